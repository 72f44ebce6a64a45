package apitest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// Request builds the case's request against baseURL ("" for an in-process handler).
func (c BadInput) Request(baseURL string) *http.Request {
	var body *strings.Reader
	if c.Body != "" {
		body = strings.NewReader(c.Body)
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(c.Method, baseURL+c.Path, body)
	if err != nil {
		panic(err) // the table's paths are fixed
	}
	if c.Body != "" {
		ct := c.ContentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	return req
}

// Check asserts the answer: the status, a problem+json body, and the field paths or detail.
func (c BadInput) Check(t testing.TB, status int, contentType string, body []byte) {
	t.Helper()
	if status != c.Status {
		t.Fatalf("status = %d, want %d; body: %.300s", status, c.Status, body)
	}
	if !strings.HasPrefix(contentType, "application/problem+json") {
		t.Fatalf("Content-Type = %q, want application/problem+json", contentType)
	}
	var p struct {
		Status int    `json:"status"`
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body is not JSON: %v: %.300s", err, body)
	}
	if p.Status != c.Status || p.Title == "" {
		t.Errorf("problem status %d title %q, want status %d and a title", p.Status, p.Title, c.Status)
	}
	if c.DetailHas != "" && !strings.Contains(p.Detail, c.DetailHas) {
		t.Errorf("detail %q does not contain %q", p.Detail, c.DetailHas)
	}
	if len(c.Fields) > 0 {
		var got []string
		for _, e := range p.Errors {
			got = append(got, e.Field)
		}
		want := append([]string(nil), c.Fields...)
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("fields = %v, want %v (detail %q)", got, want, p.Detail)
		}
	}
}
