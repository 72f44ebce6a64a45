//go:build tools

// Package tools pins Knative Serving's admission webhook, which the dev stack builds and runs
// unchanged; ./controller and ./autoscaler-hpa wrap upstream's reconcilers.
package tools

import _ "knative.dev/serving/cmd/webhook"
