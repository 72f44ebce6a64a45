//go:build tools

// Package tools pins kwok, the dev stack's node and pod simulator: it makes pods of revision
// Deployments Running on fake nodes without a container runtime.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
