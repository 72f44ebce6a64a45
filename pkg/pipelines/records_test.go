package pipelines

import (
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestRecords(t *testing.T) {
	wantLabels := func(kind string) map[string]string {
		return map[string]string{"app.kubernetes.io/managed-by": "slipway", "slipway.dev/project": "shop",
			"slipway.dev/app": "web", "slipway.dev/env": "test", "slipway.dev/kind": kind}
	}
	pl := Pipeline{Repo: "https://git.example/shop/web.git", Branch: "main"}
	cm, err := PipelineConfigMap("slipway-system", testTarget, pl)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(pl)
	want := &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "pipeline.shop-test.web", Namespace: "slipway-system",
			Labels: wantLabels("pipeline")},
		Data: map[string]string{"pipeline.json": string(raw)},
	}
	if diff := cmp.Diff(want, cm); diff != "" {
		t.Errorf("PipelineConfigMap (-want,+got):\n%s", diff)
	}

	s := HookRecord("slipway-system", testTarget, "abc123", "slw_token", "shared")
	hookLabels := wantLabels("hook")
	hookLabels["slipway.dev/hook-id"] = "abc123"
	wantSecret := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: "hook.abc123", Namespace: "slipway-system", Labels: hookLabels},
		Type:       corev1.SecretTypeOpaque,
		Data: map[string][]byte{
			"token-sha256": []byte(hex.EncodeToString(HashToken("slw_token"))),
			"secret":       []byte("shared"),
		},
	}
	if diff := cmp.Diff(wantSecret, s); diff != "" {
		t.Errorf("HookRecord (-want,+got):\n%s", diff)
	}
	if string(s.Data["token-sha256"]) == "slw_token" {
		t.Error("the token itself is kept")
	}
}
