package cli_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/pkg/cli"
)

// scale set is a deploy of the current spec with new knobs; scale schedule edits the windows
// by reading and writing back the whole list. The windows open on 29 February, so their
// next times stay put in the golden file (until 2028).
func TestScale(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.check("scale", cli.ExitOK,
		w.do("scale", "set", "hello", "--min", "1", "--max", "4", "--window", "90s", "--async"),
		w.do("app", "describe", "hello"),
		w.do("scale", "schedule", "set", "hello", "--name", "leap", "--start", "0 9 29 2 *", "--end", "0 18 29 2 *", "--timezone", "Europe/Berlin", "--min", "3"),
		w.do("scale", "schedule", "set", "hello", "--name", "leap-night", "--start", "0 22 29 2 *", "--duration", "2h", "--min", "2"),
		w.do("scale", "schedule", "set", "hello", "--name", "leap", "--start", "0 8 29 2 *", "--end", "0 18 29 2 *", "--timezone", "Europe/Berlin", "--min", "4"),
		w.do("scale", "schedule", "list", "hello"),
		w.do("scale", "schedule", "rm", "hello", "--name", "leap-night"),
		w.do("scale", "schedule", "list", "hello", "-o", "name"),
	)
	var sent []string
	for _, r := range w.got() {
		if r.method == http.MethodPost && strings.HasSuffix(r.path, "/scaling") {
			var body map[string]any
			if err := json.Unmarshal([]byte(r.body), &body); err != nil {
				t.Fatal(err)
			}
			s, _ := json.Marshal(body["scaling"])
			sent = append(sent, string(s))
		}
	}
	if len(sent) != 1 || sent[0] != `{"maxScale":4,"minScale":1,"window":"90s"}` {
		t.Errorf("scale set sent %v, want only the knobs given", sent)
	}
	w.check("scale-errors", cli.ExitUsage,
		w.do("scale", "set", "hello"),
		w.do("scale", "schedule", "set", "hello", "--name", "x", "--start", "0 9 * * *", "--min", "2"),
	)
	w.check("scale-invalid", cli.ExitUsage,
		w.do("scale", "set", "hello", "--window", "5s", "--async"),
		w.do("scale", "schedule", "set", "hello", "--name", "x", "--start", "0 9 * * *", "--duration", "1h", "--timezone", "Mars/Base", "--min", "2"),
	)
	w.check("scale-rm-missing", cli.ExitNotFound, w.do("scale", "schedule", "rm", "hello", "--name", "nope"))
}
