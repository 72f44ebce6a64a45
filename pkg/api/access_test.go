package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/slipway-dev/slipway/pkg/api/ratelimit"
	"github.com/slipway-dev/slipway/pkg/audit"
	"github.com/slipway-dev/slipway/pkg/names"
	"github.com/slipway-dev/slipway/pkg/projects"
)

func TestAuthentication(t *testing.T) {
	s := newStack(t, stackOptions{})
	for name, token := range map[string]string{"no token": "", "unknown token": "guessed-token-123"} {
		t.Run(name, func(t *testing.T) {
			r := s.doAs(t, token, http.MethodGet, "/api/v1/projects", "", "")
			if r.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", r.status, r.body)
			}
			if p := problem(t, r); p.Status != 401 {
				t.Errorf("problem %+v", p)
			}
			if token != "" && strings.Contains(string(r.body)+s.logs.String(), token) {
				t.Errorf("the token appears in the answer or the logs")
			}
		})
	}
	// Probes and the contract stay open.
	for _, path := range []string{"/healthz", "/api/v1/openapi.json"} {
		if r := s.doAs(t, "", http.MethodGet, path, "", ""); r.status != http.StatusOK {
			t.Errorf("GET %s without a token: %d", path, r.status)
		}
	}
}

func TestAuthorization(t *testing.T) {
	s := newStack(t, stackOptions{})
	appURL := "/api/v1/projects/" + project + "/apps/" + app + "/envs/test"
	cases := []struct {
		method, path, body string
		viewer             int
	}{
		{http.MethodGet, appURL, "", 200},
		{http.MethodGet, appURL + "/revisions", "", 200},
		{http.MethodGet, appURL + "/history", "", 200},
		{http.MethodGet, "/api/v1/projects/" + project + "/apps", "", 200},
		{http.MethodGet, "/api/v1/projects/" + project + "/members", "", 200},
		{http.MethodPost, appURL + "/deployments", `{"image":"dev.local/x/y:v2"}`, 403},
		{http.MethodPut, appURL + "/traffic", `{"targets":[{"revision":"hello-00001","percent":100}]}`, 403},
		{http.MethodPost, appURL + "/rollback", `{"revision":"hello-00001"}`, 403},
		{http.MethodDelete, appURL, "", 403},
		{http.MethodPost, "/api/v1/projects/" + project + "/members", `{"name":"eve","role":"admin"}`, 403},
		{http.MethodPost, "/api/v1/projects", `{"name":"mine"}`, 403},
		{http.MethodGet, "/api/v1/logging/filebeat", "", 403},
		// Another project: not even its existence is told.
		{http.MethodGet, "/api/v1/projects/bank/apps/ledger/envs/test", "", 403},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := s.doAs(t, viewerToken, tc.method, tc.path, "", tc.body)
			if r.status != tc.viewer {
				t.Fatalf("viewer: status %d, want %d: %s", r.status, tc.viewer, r.body)
			}
			if tc.viewer == 403 && !strings.Contains(problem(t, r).Detail, "viewer may not") {
				t.Errorf("403 detail %q does not say who may not do what", problem(t, r).Detail)
			}
		})
	}
}

// Lists show only what the caller may see.
func TestListsAreFiltered(t *testing.T) {
	s := newStack(t, stackOptions{})
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bank-test", Labels: map[string]string{
		names.LabelManagedBy: names.ManagedBy, names.LabelProject: "bank", names.LabelEnv: "test"}}}
	if _, err := s.kube.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	names := func(token string) []string {
		r := s.doAs(t, token, http.MethodGet, "/api/v1/projects", "", "")
		var ps []projects.Project
		if err := json.Unmarshal(r.body, &ps); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(names(testerToken)) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the cache never saw project bank")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := names(viewerToken); len(got) != 1 || got[0] != project {
		t.Errorf("viewer sees projects %v, want only %s", got, project)
	}
}

func TestMembers(t *testing.T) {
	s := newStack(t, stackOptions{})
	members := "/api/v1/projects/" + project + "/members"
	if r := s.do(t, http.MethodPost, members, "", `{"name":"dev-user","role":"developer"}`); r.status != http.StatusCreated {
		t.Fatalf("grant: %d %s", r.status, r.body)
	}
	if r := s.do(t, http.MethodPost, members, "", `{"name":"dev-user","role":"developer"}`); r.status != http.StatusCreated {
		t.Fatalf("granting again: %d %s", r.status, r.body)
	}
	for _, bad := range []struct{ body, field string }{
		{`{"name":"dev-user","role":"owner"}`, "role"},
		{`{"role":"viewer"}`, "name"},
		{`{"kind":"ServiceAccount","name":"x","role":"viewer"}`, "kind"},
	} {
		r := s.do(t, http.MethodPost, members, "", bad.body)
		if r.status != http.StatusUnprocessableEntity || len(problem(t, r).Errors) == 0 || problem(t, r).Errors[0].Field != bad.field {
			t.Errorf("%s: %d %s", bad.body, r.status, r.body)
		}
	}
	if r := s.do(t, http.MethodPost, "/api/v1/projects/ghost/members", "", `{"name":"a","role":"viewer"}`); r.status != http.StatusNotFound {
		t.Errorf("unknown project: %d", r.status)
	}
	var got []map[string]string
	if err := json.Unmarshal(s.do(t, http.MethodGet, members, "", "").body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0]["name"] != "dev-user" || got[0]["role"] != "developer" || got[0]["kind"] != "User" {
		t.Errorf("members = %v", got)
	}
	// One RoleBinding per environment, to the developer ClusterRole.
	for _, env := range []string{"test", "prod"} {
		rbs, err := s.kube.RbacV1().RoleBindings(project+"-"+env).List(context.Background(), metav1.ListOptions{})
		if err != nil || len(rbs.Items) != 1 || rbs.Items[0].RoleRef.Name != "slipway-developer" {
			t.Errorf("%s: bindings %v, %v", env, rbs, err)
		}
	}
}

// Each caller has their own bucket; past it, 429 with Retry-After.
func TestRateLimit(t *testing.T) {
	s := newStack(t, stackOptions{limit: &ratelimit.Bucket{Rate: 0.5, Burst: 3}})
	codes := func(token string, n int) []int {
		var out []int
		for range n {
			out = append(out, s.doAs(t, token, http.MethodGet, "/api/v1/environments", "", "").status)
		}
		return out
	}
	if got := codes(testerToken, 5); fmt.Sprint(got) != "[200 200 200 429 429]" {
		t.Errorf("tester's burst: %v", got)
	}
	r := s.doAs(t, testerToken, http.MethodGet, "/api/v1/environments", "", "")
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "2" || problem(t, r).Status != 429 {
		t.Errorf("denied answer: %d, Retry-After %q, %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	// Another caller is not slowed by the first.
	if got := codes(viewerToken, 3); fmt.Sprint(got) != "[200 200 200]" {
		t.Errorf("viewer: %v", got)
	}
}

// A write that times out is a 503, never a success: retry.OnError would take
// the deadline for its own and report the (absent) previous error.
func TestWriteTimeoutIsUnavailable(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.serving.PrependReactor("patch", "services", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, fmt.Errorf("Patch: %w", context.DeadlineExceeded)
	})
	r := s.do(t, http.MethodPost, "/api/v1/projects/"+project+"/apps/"+app+"/envs/test/deployments", "", `{"image":"dev.local/x/y:v9"}`)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Fatalf("deploy whose write timed out: %d (Retry-After %q) %s", r.status, r.header.Get("Retry-After"), r.body)
	}
}

func TestAuditTrail(t *testing.T) {
	s := newStack(t, stackOptions{})
	appURL := "/api/v1/projects/" + project + "/apps/" + app + "/envs/test"
	const secret = "hunter2-do-not-log"
	if r := s.do(t, http.MethodPost, appURL+"/deployments", "", `{"image":"dev.local/x/y:v2","env":[{"name":"PASSWORD","value":"`+secret+`"}]}`); r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	s.doAs(t, viewerToken, http.MethodPost, appURL+"/rollback", "", `{"revision":"hello-00001"}`)
	s.do(t, http.MethodPost, "/api/v1/projects", "", `{"name":"bank"}`)

	var records []audit.Record
	eventually := func(token, query string, want int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := s.doAs(t, token, http.MethodGet, "/api/v1/audit"+query, "", "")
			if r.status != http.StatusOK {
				t.Fatalf("GET audit%s: %d %s", query, r.status, r.body)
			}
			records = nil
			if err := json.Unmarshal(r.body, &records); err != nil {
				t.Fatal(err)
			}
			if len(records) == want || time.Now().After(deadline) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	eventually(testerToken, "", 3)
	if len(records) != 3 {
		t.Fatalf("records = %+v", records)
	}
	byAction := map[string]audit.Record{}
	for _, r := range records {
		byAction[r.Action] = r
	}
	d := byAction["deploy"]
	if d.User != "tester" || d.Result != audit.ResultOK || d.Status != 201 || d.RequestID == "" || d.Env != "test" ||
		!strings.Contains(d.Before, "hello-00001") || !strings.Contains(d.After, "dev.local/x/y:v2") {
		t.Errorf("deploy record = %+v", d)
	}
	if rb := byAction["rollback"]; rb.User != "viewer" || rb.Status != 403 || rb.Result != audit.ResultRefused {
		t.Errorf("refused rollback record = %+v", rb)
	}
	if cp := byAction["create-project"]; cp.Project != "" || !strings.Contains(cp.After, "bank") {
		t.Errorf("create-project record = %+v", cp)
	}
	// Filters, and what a project viewer may see (not tester's project creation).
	eventually(testerToken, "?action=deploy&user=tester", 1)
	eventually(viewerToken, "", 2)
	for _, r := range records {
		if r.Action == "create-project" {
			t.Errorf("viewer sees %+v", r)
		}
	}
	if r := s.do(t, http.MethodGet, "/api/v1/audit?since=yesterday", "", ""); r.status != http.StatusBadRequest {
		t.Errorf("bad since: %d", r.status)
	}
	// Neither the trail nor the logs hold request bodies' secrets or tokens.
	raw := s.do(t, http.MethodGet, "/api/v1/audit", "", "").body
	for _, leak := range []string{secret, testerToken, viewerToken} {
		if strings.Contains(string(raw), leak) || strings.Contains(s.logs.String(), leak) {
			t.Errorf("%q leaked into the audit trail or the logs", leak)
		}
	}
	if !strings.Contains(s.logs.String(), `msg=audit`) {
		t.Errorf("no audit log line:\n%s", s.logs.String())
	}
}

// A client can ask what it may do, and hide the rest.
func TestMeAndProjectAccess(t *testing.T) {
	s := newStack(t, stackOptions{})
	var me map[string]any
	if err := json.Unmarshal(s.doAs(t, viewerToken, http.MethodGet, "/api/v1/me", "", "").body, &me); err != nil {
		t.Fatal(err)
	}
	if me["name"] != "viewer" || me["createProjects"] != false || me["readPlatform"] != false {
		t.Errorf("viewer's me = %v", me)
	}
	if err := json.Unmarshal(s.doAs(t, testerToken, http.MethodGet, "/api/v1/me", "", "").body, &me); err != nil {
		t.Fatal(err)
	}
	if me["createProjects"] != true {
		t.Errorf("tester's me = %v", me)
	}
	r := s.doAs(t, viewerToken, http.MethodGet, "/api/v1/projects/"+project+"/access", "", "")
	var acc struct {
		ManageMembers bool
		Envs          map[string]struct {
			Read, Change, Delete, StartRuns, ChangeRuns bool
			Actions                                     map[string]bool
		}
	}
	if err := json.Unmarshal(r.body, &acc); err != nil {
		t.Fatal(err)
	}
	if acc.ManageMembers || !acc.Envs["test"].Read || acc.Envs["test"].Change || acc.Envs["prod"].Delete ||
		acc.Envs["test"].StartRuns || acc.Envs["test"].ChangeRuns || len(acc.Envs) != 2 ||
		!acc.Envs["test"].Actions["readRuns"] || acc.Envs["test"].Actions["approveRuns"] {
		t.Errorf("viewer's access = %+v", acc)
	}
	if err := json.Unmarshal(s.doAs(t, testerToken, http.MethodGet, "/api/v1/projects/"+project+"/access", "", "").body, &acc); err != nil {
		t.Fatal(err)
	}
	if !acc.Envs["prod"].StartRuns || !acc.Envs["prod"].ChangeRuns || !acc.Envs["prod"].Actions["approveRuns"] {
		t.Errorf("tester's access = %+v", acc)
	}
	if r := s.doAs(t, viewerToken, http.MethodGet, "/api/v1/projects/bank/access", "", ""); r.status != http.StatusForbidden {
		t.Errorf("access to another project: %d", r.status)
	}
}
