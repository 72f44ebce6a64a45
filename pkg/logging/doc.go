// Package logging holds the pure part of Slipway's file-log collection: the
// log-path annotation schema, its parser and validator, and the pod mutation
// that the pod-mutator admission webhook (cmd/pod-mutator) serves. Nothing here
// talks to a cluster.
//
// Knative refuses hostPath volumes in a Service, so an app that writes log
// files opts in through its revision template instead: its pods carry the label
// LabelCollect = "true" and the annotation AnnotationLogPaths, a JSON array
// such as
//
//	[{"path":"/app/logs","container":"user-container","name":"app"}]
//
// (container and name are optional). ParseLogPaths validates that value
// strictly. Mutate then adds to a deep copy of the pod:
//
//   - one hostPath volume, VolumeName, of type DirectoryOrCreate at
//     {Config.HostRoot}/{namespace}/{app}, where namespace is the admission
//     request's namespace and app is the pod's Knative service label. Nothing
//     in the annotation takes part in the host path;
//   - for every log path, a mount of that volume in the target container at
//     the log path with subPathExpr $(SLIPWAY_POD_NAME)/{name}, so each pod
//     writes to {host root}/{namespace}/{app}/{pod name}/{name} on the node
//     (pods have only a generateName at admission, hence subPathExpr);
//   - the env var EnvPodName (from the downward API metadata.name) in every
//     target container;
//   - the labels and annotations KeyLogProject, KeyLogApp and KeyLogEnv the
//     collector indexes by.
//
// Mutate is idempotent (the webhook is registered with reinvocationPolicy
// IfNeeded), never modifies its input, and refuses pods that already carry a
// VolumeName volume or mount it did not make.
package logging
