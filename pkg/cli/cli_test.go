package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/apitest"
	"github.com/slipway-dev/slipway/internal/golden"
	"github.com/slipway-dev/slipway/pkg/cli"
	"github.com/slipway-dev/slipway/pkg/names"
)

// world is the in-process platform-api (apitest.Platform) served on loopback, with token
// files for its two users and a home directory for the CLI's config.
type world struct {
	t        *testing.T
	platform *apitest.Platform
	srv      *httptest.Server
	home     string
	// tester and viewer are token files.
	tester, viewer string
	// before, when set, runs ahead of each request reaching the platform.
	before func(*http.Request)
	// answer, when set, may answer a request in the platform's stead (true: it did).
	answer func(http.ResponseWriter, *http.Request) bool
	// scrubbers replace what differs from run to run (IDs, times the server made) in
	// transcripts.
	scrubbers []func(string) string

	mu       sync.Mutex
	requests []request
}

// request is what the server got, and the version it answered with.
type request struct {
	method, path, query string
	header              http.Header
	body                string
	etag                string
}

func newWorld(t *testing.T) *world { return newWorldWith(t, apitest.PlatformOptions{}) }

func newWorldWith(t *testing.T, o apitest.PlatformOptions) *world {
	t.Helper()
	w := &world{t: t, platform: apitest.NewPlatform(t, o), home: t.TempDir()}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.srv.Close)
	w.tester = w.writeFile("tester-token", apitest.TesterToken+"\n")
	w.viewer = w.writeFile("viewer-token", apitest.ViewerToken+"\n")
	return w
}

func (w *world) serve(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if w.before != nil {
		w.before(r)
	}
	answered := w.answer != nil && w.answer(rw, r)
	switch {
	case answered:
	case r.Method == http.MethodGet:
		w.platform.Echo.ServeHTTP(rw, r)
	default:
		rec := &recorder{ResponseWriter: rw}
		w.platform.Echo.ServeHTTP(rec, r)
		w.settle(r.URL.Path, rw.Header().Get("ETag"))
		w.settlePromotion(r.URL.Path, rec)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.requests = append(w.requests, request{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), body: string(body), etag: rw.Header().Get("ETag")})
}

// settle waits until the platform's caches have a traffic change it answered with
// version etag. GET …/traffic is served from the caches, so without this a command right
// after another could read the split from before it (and its write would then be a 412,
// rightly).
func (w *world) settle(path, etag string) {
	app, ok := strings.CutSuffix(path, "/traffic")
	if !ok {
		app, ok = strings.CutSuffix(path, "/rollback")
	}
	get := app + "/traffic"
	if strings.HasSuffix(path, "/schedules") { // schedules and scaling windows have versions of their own
		ok, get = true, path
		if scaling, isScaling := strings.CutSuffix(path, "/scaling/schedules"); isScaling {
			get = scaling + "/scaling"
		}
	}
	if !ok || etag == "" {
		return
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		req := httptest.NewRequest(http.MethodGet, get, nil)
		req.Header.Set("Authorization", "Bearer "+apitest.TesterToken)
		rec := httptest.NewRecorder()
		w.platform.Echo.ServeHTTP(rec, req)
		if rec.Header().Get("ETag") == etag {
			return
		}
	}
	w.t.Errorf("the caches never had the traffic change %s of %s", etag, path)
}

// recorder keeps the status and body of an answer it passes on.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

var promotionPath = regexp.MustCompile(`^/api/v1/projects/([^/]+)/apps/([^/]+)/promotions(/[^/]+/(approve|reject))?$`)

// settlePromotion waits until the platform's caches have a promotion the answer created or
// decided: promotion list is served from them, and so is the app in the promotion's target
// once it is deployed there.
func (w *world) settlePromotion(path string, rec *recorder) {
	m := promotionPath.FindStringSubmatch(path)
	if m == nil || rec.status/100 != 2 {
		return
	}
	var p struct{ ID, State, To string }
	if err := json.Unmarshal(rec.body.Bytes(), &p); err != nil || p.ID == "" {
		w.t.Errorf("%s answered %s", path, rec.body.String())
		return
	}
	project, app := m[1], m[2]
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/projects/"+project+"/apps/"+app+"/promotions?state="+p.State, nil)
		req.Header.Set("Authorization", "Bearer "+apitest.TesterToken)
		got := httptest.NewRecorder()
		w.platform.Echo.ServeHTTP(got, req)
		if !strings.Contains(got.Body.String(), `"id":"`+p.ID+`"`) {
			continue
		}
		if p.State != "deployed" {
			return
		}
		if _, err := w.platform.Cache.Services.Services(names.Namespace(project, p.To)).Get(app); err == nil {
			return
		}
	}
	w.t.Errorf("the caches never had promotion %s %s", p.ID, p.State)
}

// got returns the requests the server has had, and forgets them.
func (w *world) got() []request {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.requests
	w.requests = nil
	return out
}

func (w *world) writeFile(name, content string) string {
	w.t.Helper()
	p := filepath.Join(w.home, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// result is one run of the CLI.
type result struct {
	args           []string
	code           int
	stdout, stderr string
}

// transcript is a run as a golden file holds it, with the server's address and the
// temporary directory replaced so the file is the same on every run.
func (r result) transcript(w *world) string {
	var b strings.Builder
	b.WriteString("$ slipway " + shellJoin(r.args) + "\n")
	b.WriteString(r.stdout)
	if r.stderr != "" {
		b.WriteString("--- stderr\n" + r.stderr)
	}
	b.WriteString("--- exit " + strconv.Itoa(r.code) + "\n")
	return w.scrub(b.String())
}

// shellJoin quotes the arguments that need it, so a transcript reads as a command line.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " '\"$%&*;|<>()") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

func (w *world) scrub(s string) string {
	s = strings.NewReplacer(w.srv.URL, "$SERVER", w.home, "$HOME").Replace(s)
	for _, f := range w.scrubbers {
		s = f(s)
	}
	return s
}

// env is the CLI's environment in a test: a home of its own, nothing else unless added.
type env map[string]string

// runWith runs the CLI in process.
func (w *world) runWith(streams cli.IO, e env, args ...string) result {
	w.t.Helper()
	var out, errOut bytes.Buffer
	streams.Out, streams.Err = &out, &errOut
	if e == nil {
		e = env{}
	}
	if _, ok := e["HOME"]; !ok {
		e["HOME"] = w.home
	}
	streams.Getenv = func(k string) string { return e[k] }
	streams.Now = func() time.Time { return time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC) }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := cli.Main(ctx, args, streams)
	r := result{args: args, code: code, stdout: out.String(), stderr: errOut.String()}
	// Whatever happens, no token is ever printed.
	for _, tok := range []string{apitest.TesterToken, apitest.ViewerToken} {
		if strings.Contains(r.stdout+r.stderr, tok) {
			w.t.Errorf("slipway %s printed a token:\n%s\n%s", strings.Join(args, " "), r.stdout, r.stderr)
		}
	}
	return r
}

func (w *world) run(args ...string) result { return w.runWith(cli.IO{}, nil, args...) }

// flags point the CLI at the world without a config file, as a script would.
func (w *world) flags(tokenFile string) []string {
	return []string{"--server", w.srv.URL, "--token-file", tokenFile, "-p", apitest.Project, "-e", "test"}
}

// as runs a command as the user of tokenFile, in project demo, environment test.
func (w *world) as(tokenFile string, args ...string) result {
	return w.run(append(w.flags(tokenFile), args...)...)
}

// do runs a command as tester, and shows it without the connection flags.
func (w *world) do(args ...string) result {
	r := w.as(w.tester, args...)
	r.args = args
	return r
}

// check compares the transcripts of runs with a golden file, and their exit codes with
// want.
func (w *world) check(name string, want int, runs ...result) {
	w.t.Helper()
	var b strings.Builder
	for i, r := range runs {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(r.transcript(w))
		if r.code != want {
			w.t.Errorf("slipway %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(r.args, " "), r.code, want, r.stdout, r.stderr)
		}
	}
	golden.Check(w.t, filepath.Join("testdata", name+".golden"), []byte(b.String()))
}
