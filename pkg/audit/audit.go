// Package audit keeps the trail of every mutating API call: who (user and
// groups), what (action, target, a before/after summary), the result and the
// request ID. Kubernetes is Slipway's only store, so each record is a small
// ConfigMap in the platform's namespace (durable, survives restarts, readable
// with kubectl), listed from an informer and pruned past a maximum count. Each
// record is also written as a JSON log line for the log pipeline.
package audit

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/slipway-dev/slipway/pkg/names"
)

// Record is one mutating call.
type Record struct {
	ID        string    `json:"id"`
	Time      time.Time `json:"time"`
	User      string    `json:"user"`
	Groups    []string  `json:"groups,omitempty"`
	Action    string    `json:"action"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Project   string    `json:"project,omitempty"`
	App       string    `json:"app,omitempty"`
	Env       string    `json:"env,omitempty"`
	Before    string    `json:"before,omitempty"`
	After     string    `json:"after,omitempty"`
	Status    int       `json:"status"`
	Result    string    `json:"result"`
	RequestID string    `json:"requestId,omitempty"`
}

// Results, from the status code.
const (
	ResultOK      = "ok"      // 2xx
	ResultRefused = "refused" // 4xx: bad input, forbidden, conflict
	ResultFailed  = "failed"  // 5xx
)

// ResultOf names a status code's result.
func ResultOf(status int) string {
	switch {
	case status < 400:
		return ResultOK
	case status < 500:
		return ResultRefused
	}
	return ResultFailed
}

// The record ConfigMaps' data key and name prefix.
const (
	dataKey    = "record.json"
	namePrefix = "audit-"
)

// Build is the ConfigMap that stores r in namespace. Its name sorts by time.
func Build(namespace string, r Record) *corev1.ConfigMap {
	body, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("audit record: %v", err)) // plain data only
	}
	labels := map[string]string{names.LabelManagedBy: names.ManagedBy, names.LabelAuditRecord: "true", names.LabelAuditAction: r.Action}
	if len(validation.IsValidLabelValue(r.Project)) == 0 && r.Project != "" {
		labels[names.LabelProject] = r.Project
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: Name(r), Namespace: namespace, Labels: labels},
		Data:       map[string]string{dataKey: string(body)},
	}
}

// Name is a record's object name: its time, then its ID.
func Name(r Record) string {
	return fmt.Sprintf("%s%019d-%s", namePrefix, r.Time.UnixNano(), strings.ToLower(r.ID))
}

// Parse reads a record back.
func Parse(cm *corev1.ConfigMap) (Record, error) {
	var r Record
	if err := json.Unmarshal([]byte(cm.Data[dataKey]), &r); err != nil {
		return Record{}, fmt.Errorf("audit record %s: %w", cm.Name, err)
	}
	return r, nil
}

// Filter selects records; zero fields match everything.
type Filter struct {
	User, Project, App, Env, Action string
	Since                           time.Time
	// Limit caps the answer (newest first).
	Limit int
}

// Match reports whether r passes f.
func (f Filter) Match(r Record) bool {
	return (f.User == "" || f.User == r.User) && (f.Project == "" || f.Project == r.Project) &&
		(f.App == "" || f.App == r.App) && (f.Env == "" || f.Env == r.Env) &&
		(f.Action == "" || f.Action == r.Action) && !r.Time.Before(f.Since)
}
