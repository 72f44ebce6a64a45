//go:build tools

// Package tools pins Knative Serving's admission webhook, which the dev stack builds and runs
// unchanged; ./controller, ./autoscaler-hpa, ./eventing-controller and ./eventing-webhook
// wrap upstream's reconcilers and webhooks.
package tools

import _ "knative.dev/serving/cmd/webhook"
