package audit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/slipway-dev/slipway/pkg/names"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func record(i int, user, project string) Record {
	return Record{ID: fmt.Sprintf("REQ%03d", i), Time: t0.Add(time.Duration(i) * time.Second), User: user, Action: "deploy",
		Project: project, App: "web", Env: "test", Status: 201, Result: ResultOK}
}

func TestBuildParse(t *testing.T) {
	r := record(1, "system:serviceaccount:ci:bot", "shop")
	r.Groups = []string{"system:authenticated"}
	cm := Build("slipway-system", r)
	if cm.Name != "audit-1795514401000000000-req001" || cm.Labels["slipway.dev/project"] != "shop" || cm.Labels[names.LabelAuditRecord] != "true" {
		t.Errorf("ConfigMap %s labels %v", cm.Name, cm.Labels)
	}
	got, err := Parse(cm)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("Parse(Build(r)) (-want,+got):\n%s", diff)
	}
	// A project name that is no label value is kept in the record, not the label.
	if cm := Build("ns", record(2, "u", "a/b")); cm.Labels["slipway.dev/project"] != "" {
		t.Errorf("invalid label value written: %v", cm.Labels)
	}
}

func TestResultOf(t *testing.T) {
	for code, want := range map[int]string{200: ResultOK, 201: ResultOK, 204: ResultOK, 403: ResultRefused, 422: ResultRefused, 503: ResultFailed} {
		if got := ResultOf(code); got != want {
			t.Errorf("ResultOf(%d) = %s, want %s", code, got, want)
		}
	}
}

// The store lists newest first with filters and keeps at most its maximum.
func TestStoreListAndPrune(t *testing.T) {
	client := fake.NewClientset()
	s := NewStore(client, "slipway-system", 100, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if !s.Start(ctx) {
		t.Fatal("informer did not sync")
	}
	defer s.Shutdown()
	for i := range 120 {
		user := "alice"
		if i%2 == 1 {
			user = "bob"
		}
		s.Write(ctx, record(i, user, "shop"))
		// Pruning reads the informer: let it see each write.
		deadline := time.Now().Add(5 * time.Second)
		for {
			all, _ := s.lister.List(labels.Everything())
			if len(all) > 0 && Name(record(i, user, "shop")) <= maxName(all) || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	stored, err := client.CoreV1().ConfigMaps("slipway-system").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(stored.Items); n < 100 || n > 105 {
		t.Errorf("%d records stored, want the 100 newest (plus at most 5%% before a prune)", n)
	}
	got, err := s.List(Filter{User: "bob", Limit: 3}, func(Record) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if diff := cmp.Diff([]string{"REQ119", "REQ117", "REQ115"}, ids); diff != "" {
		t.Errorf("bob's newest three (-want,+got):\n%s", diff)
	}
	if got, _ := s.List(Filter{Since: t0.Add(118 * time.Second)}, func(Record) bool { return true }); len(got) != 2 {
		t.Errorf("since filter: %d records", len(got))
	}
	if got, _ := s.List(Filter{}, func(r Record) bool { return r.User == "alice" }); len(got) == 0 || got[0].User != "alice" {
		t.Errorf("allow filter: %+v", got)
	}
}

func maxName(cms []*corev1.ConfigMap) string {
	m := ""
	for _, cm := range cms {
		if cm.Name > m {
			m = cm.Name
		}
	}
	return m
}
