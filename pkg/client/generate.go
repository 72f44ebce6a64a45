// Package client is the typed Go client of Slipway's platform API, generated with oapi-codegen
// from the contract in api/openapi.json (which pkg/api's tests keep equal to the served
// document). Regenerate with `go generate ./pkg/client`; TestGeneratedClientIsCurrent fails
// when client.gen.go is stale.
package client

//go:generate go tool oapi-codegen -config oapi-codegen.yaml -o client.gen.go ../../api/openapi.json
