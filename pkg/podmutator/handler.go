package podmutator

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/slipway-dev/slipway/pkg/logging"
	"github.com/slipway-dev/slipway/pkg/names"
)

// Outcomes of an admission request, as counted in the metrics.
const (
	OutcomeMutated   = "mutated"   // the pod got (part of) its log volume
	OutcomeUnchanged = "unchanged" // opted in, and already as Mutate wants it
	OutcomeSkipped   = "skipped"   // not an opted-in pod CREATE: let through untouched
	OutcomeDenied    = "denied"    // refused: the message names the problem
	OutcomeError     = "error"     // the request could not be handled
)

// NamespaceLookup returns the labels of a namespace.
type NamespaceLookup func(ctx context.Context, name string) (map[string]string, error)

// Handler is the admission handler: decode, look up the namespace, call
// logging.Mutate, answer with a JSON patch against the request's own bytes.
type Handler struct {
	Config     logging.Config
	Namespaces NamespaceLookup
	Decoder    admission.Decoder
	Metrics    *Metrics
}

var _ admission.Handler = (*Handler)(nil)

// Handle implements admission.Handler.
func (h *Handler) Handle(ctx context.Context, req admission.Request) admission.Response {
	start := time.Now()
	resp, outcome := h.handle(ctx, req)
	h.Metrics.observe(outcome, time.Since(start))
	return resp
}

func (h *Handler) handle(ctx context.Context, req admission.Request) (admission.Response, string) {
	// The registration sends only pod CREATEs; anything else passes untouched.
	if req.Kind.Group != "" || req.Kind.Kind != "Pod" || req.Operation != admissionv1.Create {
		return admission.Allowed("not a pod creation"), OutcomeSkipped
	}
	pod := &corev1.Pod{}
	if err := h.Decoder.Decode(req, pod); err != nil {
		return admission.Errored(http.StatusBadRequest, err), OutcomeError
	}
	if pod.Labels[names.LabelLogCollect] != "true" {
		return admission.Allowed("not opted in to log collection"), OutcomeSkipped
	}
	nsLabels, err := h.Namespaces(ctx, req.Namespace)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err), OutcomeError
	}
	ns := logging.Namespace{Name: req.Namespace}
	// Only namespaces platform-api made carry a trustworthy project and env.
	if nsLabels[names.LabelManagedBy] == names.ManagedBy {
		ns.Project, ns.Env = nsLabels[names.LabelProject], nsLabels[names.LabelEnv]
	}
	mutated, err := logging.Mutate(pod, ns, h.Config)
	if err != nil {
		return admission.Denied(err.Error()), OutcomeDenied
	}
	// The patch is the difference between the pod as decoded and the pod as
	// mutated, both encoded by the same types, and it is applied to the
	// request's own bytes. Diffing against those bytes instead would add a
	// "remove" for every field these types do not know (a newer apiserver's),
	// and churn for defaults the encoder writes out.
	before, err := json.Marshal(pod)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err), OutcomeError
	}
	after, err := json.Marshal(mutated)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err), OutcomeError
	}
	resp := admission.PatchResponseFromRaw(before, after)
	if len(resp.Patches) == 0 {
		return resp, OutcomeUnchanged
	}
	return resp, OutcomeMutated
}
