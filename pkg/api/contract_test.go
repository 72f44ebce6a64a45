package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/slipway-dev/slipway/internal/golden"
	"github.com/slipway-dev/slipway/pkg/api"
)

// TestContractIsCommitted keeps api/openapi.json — what the Go client, the console's types
// and the linter read — equal to the document the server builds (-update rewrites it; then
// `go generate ./pkg/client` and `npm run api:types` in web/).
func TestContractIsCommitted(t *testing.T) {
	b, err := json.MarshalIndent(api.Contract(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "../../api/openapi.json", append(b, '\n'))
}

// The served document is the contract plus the configured environments' names.
func TestServedDocumentIsTheContract(t *testing.T) {
	s := newStack(t, stackOptions{})
	served := loadOpenAPI(t, s)
	contract := api.Contract()
	if len(served.Paths.Map()) != len(contract.Paths.Map()) {
		t.Fatalf("served %d paths, the contract %d", len(served.Paths.Map()), len(contract.Paths.Map()))
	}
	env := func(doc *openapi3.T) *openapi3.Schema {
		op := doc.Paths.Find("/api/v1/projects/{project}/apps/{app}/envs/{env}").GetOperation(http.MethodGet)
		return op.Parameters.GetByInAndName("path", "env").Schema.Value
	}
	if got := env(served).Enum; len(got) != 2 || got[0] != "test" || got[1] != "prod" {
		t.Errorf("served env enum = %v, want the configured [test prod]", got)
	}
	if got := env(contract).Enum; len(got) != 0 {
		t.Errorf("contract env enum = %v, want none (clients serve any configuration)", got)
	}
}
