// Package podmutator serves pkg/logging's pod mutation as a Kubernetes mutating
// admission webhook: the admission handler, the webhook's registration objects,
// and the process that runs them (TLS with self-managed or operator-provided
// certificates, health, readiness and metrics). cmd/pod-mutator only parses
// flags and calls Run.
//
// # Registration, and why it is shaped this way
//
// The MutatingWebhookConfiguration (WebhookConfiguration) sends only pod CREATE
// requests, and only for pods labelled slipway.dev/log-collect=true
// (objectSelector) in namespaces platform-api manages that are not system
// namespaces (namespaceSelector). Everyone else's pods never reach the webhook,
// so its availability cannot affect them.
//
// failurePolicy is Fail: a pod that asked for log collection and started
// without its volume would write its logs into the container's own
// filesystem, where the pipeline never sees them and they vanish with the
// pod; failing the create makes the ReplicaSet retry until the webhook
// answers, which is visible in the Deployment's status. The selectors keep the
// blast radius to opted-in apps, and system namespaces (including the
// webhook's own) are excluded so the webhook never blocks its own restart.
//
// timeoutSeconds is 5: the mutation is pure and takes microseconds, the only
// lookup is the namespace from an informer cache; 5 s leaves room for a slow
// network without holding a ReplicaSet worker for the default 10 s.
//
// reinvocationPolicy is IfNeeded: another webhook (or Knative's own defaults)
// may add containers or mounts after us; Mutate is idempotent, so running again
// re-checks collisions against the final pod and adds nothing twice.
//
// sideEffects is None: the webhook writes nothing, so dry-run requests are
// served like any other.
//
// # Certificates
//
// With CertsSelfManaged, github.com/open-policy-agent/cert-controller keeps a
// CA (10 years) and a serving certificate (1 year by default) in a Secret,
// renews the serving certificate well before it expires (LookaheadInterval)
// with the same CA, and injects the CA into the webhook configuration's
// caBundle. Because renewal keeps the CA, the caBundle the apiserver trusts
// does not change and no request fails while the new certificate propagates.
// The Secret is mounted as files (in the dev stack, internal/devstack plays the
// kubelet's part), and controller-runtime's certwatcher swaps them in without
// a restart. With CertsFromFiles, the files come from elsewhere (cert-manager's
// Certificate Secret mounted at CertDir) and the caBundle is injected by
// cert-manager's cainjector.
package podmutator
