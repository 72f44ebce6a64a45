package pipelines

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const (
	testSecret = "s3cret-shared-with-the-git-host"
	testToken  = "slw_hook_token_0123456789"
	testCommit = "9f2c1e0b7a6d5c4b3a29180f7e6d5c4b3a291807"
)

var testHookSecret = HookSecret{TokenSHA256: HashToken(testToken), Secret: testSecret}

// githubPushBody is shaped like GitHub's push event (trimmed, same keys).
func githubPushBody(ref, after string, deleted bool) string {
	del := "false"
	if deleted {
		del = "true"
	}
	return `{"ref":"` + ref + `","before":"0000000000000000000000000000000000000000","after":"` + after + `",
"created":false,"deleted":` + del + `,"forced":false,"base_ref":null,"compare":"https://git.example/shop/web/compare/a...b",
"commits":[{"id":"` + after + `","tree_id":"1111111111111111111111111111111111111111","distinct":true,"message":"Fix checkout",
"timestamp":"2026-12-01T10:00:00Z","url":"https://git.example/shop/web/commit/` + after + `",
"author":{"name":"Octo Cat","email":"octo@example.test","username":"octocat"},
"committer":{"name":"Octo Cat","email":"octo@example.test","username":"octocat"},"added":[],"removed":[],"modified":["main.go"]}],
"head_commit":{"id":"` + after + `","message":"Fix checkout","timestamp":"2026-12-01T10:00:00Z"},
"repository":{"id":1296269,"name":"web","full_name":"shop/web","private":true,"owner":{"login":"shop","id":1},
"html_url":"https://git.example/shop/web","clone_url":"https://git.example/shop/web.git","default_branch":"main"},
"pusher":{"name":"octocat","email":"octo@example.test"},"sender":{"login":"octocat","id":583231}}`
}

// gitlabPushBody is shaped like GitLab's Push Hook.
func gitlabPushBody(ref, after string) string {
	return `{"object_kind":"push","event_name":"push","before":"95790bf891e76fee5e1747ab589903a6a1f80f22","after":"` + after + `",
"ref":"` + ref + `","ref_protected":true,"checkout_sha":"` + after + `","user_id":4,"user_name":"John Smith","user_username":"jsmith",
"user_email":"john@example.test","project_id":15,"project":{"id":15,"name":"web","path_with_namespace":"shop/web",
"git_http_url":"https://git.example/shop/web.git","default_branch":"main"},
"commits":[{"id":"` + after + `","message":"Fix checkout","timestamp":"2026-12-01T10:00:00+00:00",
"author":{"name":"John Smith","email":"john@example.test"},"added":[],"modified":["main.go"],"removed":[]}],
"total_commits_count":1,"repository":{"name":"web","url":"https://git.example/shop/web.git","homepage":"https://git.example/shop/web"}}`
}

func sign(body, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func githubRequest(event, body, signature string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hooks/v1/h", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-GitHub-Event", event)
	r.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	if signature != "" {
		r.Header.Set("X-Hub-Signature-256", signature)
	}
	return r
}

func gitlabRequest(event, body, token string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hooks/v1/h", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Gitlab-Event", event)
	r.Header.Set("X-Gitlab-Event-UUID", "13792a34-cac6-4fda-95a8-c58e00a3954e")
	if token != "" {
		r.Header.Set("X-Gitlab-Token", token)
	}
	return r
}

func TestParsePush(t *testing.T) {
	push := githubPushBody("refs/heads/main", testCommit, false)
	gl := gitlabPushBody("refs/heads/main", testCommit)
	tokenReq := func(token, query string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/hooks/v1/h"+query, nil)
		r.Header.Set("X-Slipway-Token", token)
		r.Header.Set("X-Slipway-Delivery", "build-42")
		return r
	}
	cases := map[string]struct {
		req     *http.Request
		want    Push
		wantErr error
	}{
		"github push": {req: githubRequest("push", push, sign(push, testSecret)),
			want: Push{Provider: ProviderGitHub, Delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Branch: "main", Commit: testCommit, Pusher: "octocat"}},
		"github, wrong secret":       {req: githubRequest("push", push, sign(push, "guess")), wantErr: ErrBadSignature},
		"github, unsigned":           {req: githubRequest("push", push, ""), wantErr: ErrBadSignature},
		"github, body changed":       {req: githubRequest("push", strings.Replace(push, "main", "prod", 1), sign(push, testSecret)), wantErr: ErrBadSignature},
		"github, ping":               {req: githubRequest("ping", `{"zen":"Keep it logically awesome."}`, sign(`{"zen":"Keep it logically awesome."}`, testSecret)), wantErr: ErrNotPush},
		"github, tag":                {req: githubRequest("push", githubPushBody("refs/tags/v1", testCommit, false), sign(githubPushBody("refs/tags/v1", testCommit, false), testSecret)), wantErr: ErrNotBranch},
		"github, branch deleted":     {req: githubRequest("push", githubPushBody("refs/heads/main", strings.Repeat("0", 40), true), sign(githubPushBody("refs/heads/main", strings.Repeat("0", 40), true), testSecret)), wantErr: ErrNotBranch},
		"github, not JSON":           {req: githubRequest("push", "{", sign("{", testSecret)), wantErr: ErrBadPayload},
		"github, hostile branch":     {req: githubRequest("push", githubPushBody("refs/heads/$(reboot)", testCommit, false), sign(githubPushBody("refs/heads/$(reboot)", testCommit, false), testSecret)), wantErr: ErrBadPayload},
		"gitlab push":                {req: gitlabRequest("Push Hook", gl, testSecret), want: Push{Provider: ProviderGitLab, Delivery: "13792a34-cac6-4fda-95a8-c58e00a3954e", Branch: "main", Commit: testCommit, Pusher: "jsmith"}},
		"gitlab, wrong token":        {req: gitlabRequest("Push Hook", gl, "guess"), wantErr: ErrBadSignature},
		"gitlab, no token":           {req: gitlabRequest("Push Hook", gl, ""), wantErr: ErrBadSignature},
		"gitlab, merge request":      {req: gitlabRequest("Merge Request Hook", `{"object_kind":"merge_request"}`, testSecret), wantErr: ErrNotPush},
		"gitlab, tag":                {req: gitlabRequest("Push Hook", gitlabPushBody("refs/tags/v1", testCommit), testSecret), wantErr: ErrNotBranch},
		"token":                      {req: tokenReq(testToken, "?branch=release"), want: Push{Provider: ProviderToken, Delivery: "build-42", Branch: "release"}},
		"token with commit":          {req: tokenReq(testToken, "?commit="+testCommit), want: Push{Provider: ProviderToken, Delivery: "build-42", Commit: testCommit}},
		"wrong token":                {req: tokenReq("slw_guess", ""), wantErr: ErrBadSignature},
		"token, short commit":        {req: tokenReq(testToken, "?commit=abc"), wantErr: ErrBadPayload},
		"no credentials":             {req: httptest.NewRequest(http.MethodPost, "/hooks/v1/h", strings.NewReader(push)), wantErr: ErrNoCredentials},
		"the token as GitHub's HMAC": {req: githubRequest("push", push, sign(push, testToken)), wantErr: ErrBadSignature},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParsePush(tc.req, testHookSecret)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if err == nil && got != tc.want {
				t.Errorf("push %+v, want %+v", got, tc.want)
			}
		})
	}
}

// FuzzParsePush: whatever arrives, correctly signed or not, parsing neither panics nor
// yields a branch or commit a run could not safely be started from.
func FuzzParsePush(f *testing.F) {
	f.Add("github", githubPushBody("refs/heads/main", testCommit, false), true)
	f.Add("github", githubPushBody("refs/heads/../../etc", testCommit, false), true)
	f.Add("github", githubPushBody("refs/heads/main", "$(id)", false), true)
	f.Add("gitlab", gitlabPushBody("refs/heads/main", testCommit), true)
	f.Add("gitlab", gitlabPushBody("refs/heads/a;b", testCommit), true)
	f.Add("github", `{"ref":"refs/heads/`+strings.Repeat("x", 300)+`"}`, false)
	f.Add("gitlab", `{"ref":null,"after":[]}`, true)
	f.Fuzz(func(t *testing.T, provider, body string, signed bool) {
		var r *http.Request
		if provider == "gitlab" {
			token := "wrong"
			if signed {
				token = testSecret
			}
			r = gitlabRequest("Push Hook", body, token)
		} else {
			sig := sign(body, "wrong")
			if signed {
				sig = sign(body, testSecret)
			}
			r = githubRequest("push", body, sig)
		}
		r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
		p, err := ParsePush(r, testHookSecret)
		if err != nil {
			return
		}
		if !signed {
			t.Fatalf("an unsigned delivery was accepted: %+v", p)
		}
		if p.Branch == "" || checkBranch(p.Branch) != "" || (p.Commit != "" && !isCommit(p.Commit)) {
			t.Fatalf("accepted an unsafe push %+v", p)
		}
		if !bytes.Contains([]byte(body), []byte(p.Branch)) {
			t.Fatalf("branch %q is not from the payload", p.Branch)
		}
	})
}
