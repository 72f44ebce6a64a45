//go:build tools

// Package tools pins the admission webhooks of Knative Serving and Knative Eventing, which
// the dev stack builds and runs unchanged; ./controller, ./autoscaler-hpa and
// ./eventing-controller wrap upstream's reconcilers.
package tools

import (
	_ "knative.dev/eventing/cmd/webhook"
	_ "knative.dev/serving/cmd/webhook"
)
