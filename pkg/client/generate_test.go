package client_test

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// TestGeneratedClientIsCurrent regenerates the client from api/openapi.json with the pinned
// oapi-codegen (go.mod's tool) and fails when client.gen.go differs: run `go generate ./pkg/client`.
func TestGeneratedClientIsCurrent(t *testing.T) {
	var stderr bytes.Buffer
	cmd := exec.Command("go", "tool", "oapi-codegen", "-config", "oapi-codegen.yaml", "../../api/openapi.json")
	cmd.Stderr = &stderr
	want, err := cmd.Output()
	if err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, stderr.Bytes())
	}
	got, err := os.ReadFile("client.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("pkg/client/client.gen.go is stale: api/openapi.json changed since it was generated; run `go generate ./pkg/client`")
	}
}
