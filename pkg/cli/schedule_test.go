package cli_test

import (
	"regexp"
	"testing"

	"github.com/slipway-dev/slipway/pkg/cli"
)

// schedule set, list, pause, resume and rm: each a read and a write of the whole set on the
// version read.
func TestSchedules(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// Next runs follow the clock; the transcript shows where they are, not when.
	stamps := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	w.scrubbers = append(w.scrubbers, func(s string) string { return stamps.ReplaceAllString(s, "$$TIME") })
	w.check("schedules", cli.ExitOK,
		w.do("schedule", "list", "hello"),
		w.do("schedule", "set", "hello", "--name", "nightly-cleanup", "--cron", "0 2 * * *", "--timezone", "Europe/Berlin", "--path", "/cleanup"),
		w.do("schedule", "set", "hello", "--name", "sync", "--cron", "*/15 * * * *", "--content-type", "application/json", "--data", `{"full":false}`),
		w.do("schedule", "pause", "hello", "sync"),
		w.do("schedule", "list", "hello", "-o", "name"),
		w.do("schedule", "resume", "hello", "sync"),
		w.do("schedule", "set", "hello", "--name", "sync", "--cron", "0 * * * *", "--paused"),
		w.do("schedule", "rm", "hello", "nightly-cleanup"),
		w.do("schedule", "list", "hello", "-o", "json"),
	)
	w.check("schedule-invalid", cli.ExitUsage,
		w.do("schedule", "set", "hello", "--name", "bad", "--cron", "@daily", "--timezone", "Mars/Olympus"))
	w.check("schedule-rm-missing", cli.ExitNotFound, w.do("schedule", "rm", "hello", "ghost"))
	// prod denies schedules (apitest's configuration, as the dev stack's).
	if r := w.do("deploy", "hello", "-e", "prod", "--image", "dev.local/hello:v3", "--async"); r.code != cli.ExitOK {
		t.Fatalf("deploy to prod: %s", r.stderr)
	}
	w.check("schedule-denied", cli.ExitRefused,
		w.do("schedule", "set", "hello", "-e", "prod", "--name", "a", "--cron", "0 2 * * *"))
	w.check("schedule-forbidden", cli.ExitAuth, w.as(w.viewer, "schedule", "pause", "hello", "sync"))
}
