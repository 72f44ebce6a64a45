package pipelines

import (
	"encoding/hex"
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway-dev/slipway/pkg/names"
)

// Keys of the records kept in the platform's namespace (store): an app's pipeline as JSON in
// a ConfigMap, a hook's token hash and shared secret in a Secret.
const (
	PipelineKey   = "pipeline.json"
	HookTokenKey  = "token-sha256"
	HookSecretKey = "secret"
)

// RecordLabels label what is kept for the app of t in the platform's namespace; kind is
// names.KindPipeline or names.KindHook.
func RecordLabels(t Target, kind string) map[string]string {
	return map[string]string{
		names.LabelManagedBy: names.ManagedBy, names.LabelProject: t.Project,
		names.LabelApp: t.App, names.LabelEnv: t.Env, names.LabelKind: kind,
	}
}

// PipelineConfigMap keeps pl, the pipeline of the app of t, in namespace store.
func PipelineConfigMap(store string, t Target, pl Pipeline) (*corev1.ConfigMap, error) {
	raw, err := json.Marshal(pl)
	if err != nil {
		return nil, err
	}
	return &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: names.PipelineConfigMap(t.Namespace, t.App), Namespace: store,
			Labels: RecordLabels(t, names.KindPipeline)},
		Data: map[string]string{PipelineKey: string(raw)},
	}, nil
}

// HookRecord keeps hook id of the app of t in namespace store: the hash of its token (the
// token itself is shown once and never kept) and the shared secret pushes are signed with.
func HookRecord(store string, t Target, id, token, secret string) *corev1.Secret {
	labels := RecordLabels(t, names.KindHook)
	labels[names.LabelHookID] = id
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: names.HookSecret(id), Namespace: store, Labels: labels},
		Type:       corev1.SecretTypeOpaque,
		Data: map[string][]byte{
			HookTokenKey:  []byte(hex.EncodeToString(HashToken(token))),
			HookSecretKey: []byte(secret),
		},
	}
}
