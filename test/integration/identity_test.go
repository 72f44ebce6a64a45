//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/projects"
)

// as runs f with call sending token instead of the admin's.
func as(token string, f func()) {
	saved := env.token
	env.token = token
	defer func() { env.token = saved }()
	f()
}

// serviceAccountToken makes a ServiceAccount in slipway-system and returns
// a token the apiserver issues for it (TokenRequest), with its user name.
func serviceAccountToken(t testing.TB, name string) (token, user string) {
	t.Helper()
	ctx := context.Background()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "slipway-system"}}
	if _, err := env.clients.Kube.CoreV1().ServiceAccounts("slipway-system").Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr, err := env.clients.Kube.CoreV1().ServiceAccounts("slipway-system").CreateToken(ctx, name, &authnv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token, "system:serviceaccount:slipway-system:" + name
}

// TestIdentityDoneWhen is the acceptance: the admin creates a
// project and grants dev-user developer; dev-user deploys there, is refused
// every write elsewhere and sees only that project.
func TestIdentityDoneWhen(t *testing.T) {
	mustCall(t, http.StatusCreated, http.MethodPost, "/api/v1/projects", map[string]string{"name": "demo"}, nil)
	createProject(t, "elsewhere")
	mustCall(t, http.StatusCreated, http.MethodPost, "/api/v1/projects/demo/members", map[string]string{"name": "dev-user", "role": "developer"}, nil)
	var members []map[string]string
	mustCall(t, http.StatusOK, http.MethodGet, "/api/v1/projects/demo/members", nil, &members)
	if got := fmt.Sprint(members); !strings.Contains(got, "name:admin role:admin") || !strings.Contains(got, "name:dev-user role:developer") {
		t.Errorf("members = %v, want the creator as admin and dev-user as developer", got)
	}

	const secret = "s3cr3t-db-password-value"
	as(env.stack.UserToken, func() {
		mustCall(t, http.StatusCreated, http.MethodPost, appPath("demo", "hello", "test")+"/deployments", map[string]any{
			"image": "dev.local/demo/hello:v1", "env": []map[string]string{{"name": "DB_PASSWORD", "value": secret}}}, nil)
		var ps []projects.Project
		mustCall(t, http.StatusOK, http.MethodGet, "/api/v1/projects", nil, &ps)
		if len(ps) != 1 || ps[0].Name != "demo" {
			t.Errorf("dev-user lists %v, want only demo", ps)
		}
		for _, w := range mutatingCalls("elsewhere", "hello") {
			if code, body := call(t, w.method, w.path, w.body, nil); code != http.StatusForbidden {
				t.Errorf("dev-user %s %s in another project = %d, want 403: %s", w.method, w.path, code, body)
			}
		}
		if code, _ := call(t, http.MethodPost, "/api/v1/projects", map[string]string{"name": "mine"}, nil); code != http.StatusForbidden {
			t.Errorf("dev-user created a project: %d", code)
		}
	})
	as("", func() {
		if code, _ := call(t, http.MethodGet, "/api/v1/projects", nil, nil); code != http.StatusUnauthorized {
			t.Errorf("no token: %d, want 401", code)
		}
	})
	as("not-a-token", func() {
		if code, _ := call(t, http.MethodGet, "/api/v1/projects", nil, nil); code != http.StatusUnauthorized {
			t.Errorf("unknown token: %d, want 401", code)
		}
	})

	// The audit trail holds both users' actions, refusals included, and survives a restart:
	// a new platform-api on the same cluster reads it back.
	fresh := startPlatform(t, env.cfg, env.platformClients)
	var records []audit.Record
	eventually(t, 10*time.Second, "audit records", func() error {
		req, _ := http.NewRequest(http.MethodGet, fresh.URL+"/api/v1/audit?limit=1000", nil)
		req.Header.Set("Authorization", "Bearer "+env.stack.AdminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		records = nil
		if err := json.NewDecoder(resp.Body).Decode(&records); err != nil {
			return err
		}
		var seen []string
		for _, r := range records {
			seen = append(seen, r.User+" "+r.Action+" "+r.Project+" "+r.Result)
		}
		all := strings.Join(seen, "\n")
		for _, want := range []string{"admin create-project  ok", "admin add-member demo ok", "dev-user deploy demo ok",
			"dev-user deploy elsewhere refused", "dev-user add-member elsewhere refused"} {
			if !strings.Contains(all, want) {
				return fmt.Errorf("no %q in the trail:\n%s", want, all)
			}
		}
		return nil
	})
	// What the trail and the logs hold: never a token or a request body's secret.
	trail, _ := json.Marshal(records)
	for _, leak := range []string{env.stack.AdminToken, env.stack.UserToken, secret} {
		if strings.Contains(string(trail), leak) || strings.Contains(env.logs.String(), leak) {
			t.Errorf("a secret leaked into the audit trail or platform-api's log")
		}
	}
	if !strings.Contains(env.logs.String(), `"msg":"audit"`) {
		t.Errorf("no audit JSON line in platform-api's log")
	}
}

type write struct {
	name, method, path string
	body               any
}

// mutatingCalls are every mutating endpoint on app in project's test environment.
func mutatingCalls(project, app string) []write {
	p := appPath(project, app, "test")
	return []write{
		{"deploy", http.MethodPost, p + "/deployments", map[string]string{"image": "dev.local/" + project + "/" + app + ":v2"}},
		{"traffic", http.MethodPut, p + "/traffic", map[string]any{"targets": []map[string]any{{"revision": app + "-00001", "percent": 100}}}},
		{"rollback", http.MethodPost, p + "/rollback", map[string]string{"revision": app + "-00001"}},
		{"members", http.MethodPost, "/api/v1/projects/" + project + "/members", map[string]string{"name": "someone", "role": "viewer"}},
		{"pipeline", http.MethodPut, p + "/pipeline", map[string]string{"repo": "https://git.example/" + project + "/" + app}},
		{"run", http.MethodPost, p + "/runs", map[string]string{}},
		{"hook", http.MethodPost, p + "/pipeline/hook/rotate", nil},
		{"cancel", http.MethodPost, p + "/runs/" + app + "-run-none/cancel", nil},
		{"approve", http.MethodPost, p + "/runs/" + app + "-run-none/approve", nil},
		{"retry", http.MethodPost, p + "/runs/" + app + "-run-none/retry", nil},
		{"delete", http.MethodDelete, p, nil},
	}
}

// TestAccessMatrix: viewer, developer, admin and no role, each in their own
// project and in another, against every mutating endpoint.
func TestAccessMatrix(t *testing.T) {
	createProject(t, "own")
	createProject(t, "other")
	roles := []string{"viewer", "developer", "admin", "none"}
	tokens := map[string]string{}
	for _, role := range roles {
		token, user := serviceAccountToken(t, "matrix-"+role)
		tokens[role] = token
		if role != "none" {
			mustCall(t, http.StatusCreated, http.MethodPost, "/api/v1/projects/own/members", map[string]string{"name": user, "role": role}, nil)
		}
		// Each role works on its own app, so one role's delete does not change another's answers.
		for _, project := range []string{"own", "other"} {
			mustCall(t, http.StatusCreated, http.MethodPost, appPath(project, "m-"+role, "test")+"/deployments", map[string]string{"image": "dev.local/m/app:v1"}, nil)
		}
	}
	allowed := map[string]map[string]bool{
		"viewer":    {},
		"developer": {"deploy": true, "traffic": true, "rollback": true, "delete": true, "pipeline": true, "run": true, "hook": true, "cancel": true, "approve": true, "retry": true},
		"admin":     {"deploy": true, "traffic": true, "rollback": true, "delete": true, "members": true, "pipeline": true, "run": true, "hook": true, "cancel": true, "approve": true, "retry": true},
		"none":      {},
	}
	for _, role := range roles {
		for _, project := range []string{"own", "other"} {
			for _, w := range mutatingCalls(project, "m-"+role) {
				t.Run(role+"/"+project+"/"+w.name, func(t *testing.T) {
					var code int
					var body []byte
					as(tokens[role], func() { code, body = call(t, w.method, w.path, w.body, nil) })
					want := project == "own" && allowed[role][w.name]
					// Allowed: past authorization (the change itself may still be a 409 or 422).
					if got := code != http.StatusForbidden && code != http.StatusUnauthorized; got != want || code >= 500 {
						t.Errorf("%s %s = %d, want allowed=%v: %s", w.method, w.path, code, want, body)
					}
				})
			}
		}
	}
}
