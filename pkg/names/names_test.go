package names

import (
	"strings"
	"testing"
)

func TestVirtualService(t *testing.T) {
	app := strings.Repeat("a", 40)
	if n := VirtualService(app); len(n) > 63 || !strings.HasPrefix(n, app) || VirtualService(app) != n {
		t.Errorf("VirtualService(%q) = %q (%d chars)", app, n, len(n))
	}
	// Knative's own VirtualServices are {app}-ingress and {app}-mesh.
	if VirtualService("web") == VirtualService("web2") || VirtualService("web") == "web-ingress" || VirtualService("web") == "web-mesh" {
		t.Error("VirtualService names collide")
	}
}

func TestNamespace(t *testing.T) {
	if got := Namespace("shop", "prod"); got != "shop-prod" {
		t.Errorf("Namespace = %q, want shop-prod", got)
	}
	if got := BuildNamespace("shop"); got != "shop-build" || got != Namespace("shop", BuildEnv) {
		t.Errorf("BuildNamespace = %q, want shop-build (the reserved env's namespace)", got)
	}
}
