package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/slipway-dev/slipway/pkg/client"
)

// session is one command's connection to the API: the typed client with the caller's
// token, and the project and environment it works in.
type session struct {
	api *client.ClientWithResponses
	settings
}

// session resolves the settings and builds the client; every command that calls the API
// gets its client here.
func (c *cli) session() (*session, error) {
	s, err := c.resolve()
	if err != nil {
		return nil, err
	}
	if s.tokenFile == "" {
		return nil, &exitError{code: ExitAuth, err: errors.New("not logged in: run slipway login, or pass --server and --token-file")}
	}
	token, err := readToken(s.tokenFile)
	if err != nil {
		return nil, err
	}
	api, err := newAPI(s.server, token)
	if err != nil {
		return nil, err
	}
	return &session{api: api, settings: s}, nil
}

// newAPI is the one HTTP setup: the server's URL checked, and every request with the
// bearer token and slipway's User-Agent.
func newAPI(server, token string) (*client.ClientWithResponses, error) {
	if server == "" {
		return nil, usagef("no server: run slipway login, or pass --server")
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--server %q: want an http(s) URL such as http://127.0.0.1:8080", server)
	}
	ua := userAgent()
	return client.NewClientWithResponses(strings.TrimSuffix(server, "/"), client.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("User-Agent", ua)
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}))
}

// readToken reads a token file. Errors name the file, never what is in it.
func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the token: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("token file %s is empty", path)
	}
	if strings.ContainsAny(token, "\r\n") {
		return "", fmt.Errorf("token file %s holds more than one line", path)
	}
	return token, nil
}

// forApp is session for a command on one app in the project and environment.
func (c *cli) forApp(name string) (*session, appRef, error) {
	s, err := c.session()
	if err != nil {
		return nil, appRef{}, err
	}
	a, err := s.app(name)
	return s, a, err
}

// forProject is session for a command on the project.
func (c *cli) forProject() (*session, string, error) {
	s, err := c.session()
	if err != nil {
		return nil, "", err
	}
	p, err := s.needProject()
	return s, p, err
}

// appRef is an app in the session's project and environment.
type appRef struct{ project, app, env string }

// app names an app in the session's project and environment, which must be set.
func (s *session) app(name string) (appRef, error) {
	p, err := s.needProject()
	if err != nil {
		return appRef{}, err
	}
	if s.environment == "" {
		return appRef{}, usagef("no environment: pass --environment (-e) or store one with slipway context set-environment")
	}
	return appRef{project: p, app: name, env: s.environment}, nil
}

func (s *session) needProject() (string, error) {
	if s.project == "" {
		return "", usagef("no project: pass --project (-p) or store one with slipway context set-project")
	}
	return s.project, nil
}

// answer is what every generated response has.
type answer interface {
	StatusCode() int
	ContentType() string
	GetBody() []byte
}

// check turns a generated client call into its response or an error: a transport failure,
// or any status but 2xx as a problemError.
func check[R answer](r R, err error) (R, error) {
	if err != nil {
		return r, transportError(err)
	}
	if s := r.StatusCode(); s < 200 || s > 299 {
		return r, problemFrom(s, r.ContentType(), r.GetBody())
	}
	return r, nil
}

// open is check for the calls whose answer the generated client cannot be left to read:
// YAML (it would decode the documents into a string) and event streams (it would read to
// the end). The caller reads and closes the body of a success.
func open(resp *http.Response, err error) (*http.Response, error) {
	if err != nil {
		return nil, transportError(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, problemFrom(resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return resp, nil
}

// transportError keeps the cancellation of a command (Ctrl-C) recognisable.
func transportError(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("cannot reach %s: %w", ue.URL, ue.Err)
	}
	return err
}
