# The two commands: `make run` (dev stack + platform-api + pod-mutator on 127.0.0.1) and `make test`.
SHELL := /bin/bash
GO ?= go

NPM ?= npm
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test tools build unit fuzz integration bench fmt vet tidy-check console console-deps console-test chromium api-lint generate

run: tools console build
	$(GO) run ./hack/devstack

# The console is built before anything compiles platform-api, so binaries and the integration
# test binary embed it; its browser test (TestConsole) runs with the integration tests.
test: tools console build vet tidy-check api-lint unit console-test chromium fuzz integration

# Dev stack binaries from Go modules into bin/; skipped when already built.
tools:
	hack/build-tools.sh

build:
	$(GO) build -o bin/platform-api ./cmd/platform-api
	$(GO) build -o bin/pod-mutator ./cmd/pod-mutator
	$(GO) build -o bin/slipway ./cmd/slipway

# The API contract (api/openapi.json, written by pkg/api's tests from the route table) and
# the clients generated from it; `make test` fails when any of them is stale.
generate:
	$(GO) test ./pkg/api -run '^TestContractIsCommitted$$' -count=1 -update
	$(GO) generate ./pkg/client
	cd web && $(NPM) run api:types

# Redocly's recommended rules on the contract: 0 errors and 0 warnings (redocly.yaml).
api-lint: console-deps
	cd web && $(NPM) run --silent api:lint

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags integration ./test/...

# go.mod and go.sum, of the main module and of each tools module, are as `go mod tidy` leaves
# them: `go mod tidy -diff` writes nothing, and prints the difference and fails when they are not.
tidy-check:
	$(GO) mod tidy -diff
	cd hack/tools/kube && $(GO) mod tidy -diff
	cd hack/tools/knative && $(GO) mod tidy -diff
	cd hack/tools/kwok && $(GO) mod tidy -diff

unit:
	$(GO) test -count=1 ./...

# Bounded fuzzing of the pod mutation (hostile log-path annotations) and of hook payloads.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzMutate -fuzztime 20s ./pkg/logging/
	$(GO) test -run '^$$' -fuzz FuzzParsePush -fuzztime 15s ./pkg/pipelines/

# Real kube-apiserver, Knative and kwok; see test/integration.
integration:
	$(GO) test -tags integration -count=1 -timeout 40m -v ./test/integration/... 2>&1 | tee .integration.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test.go|console\.e2e|browser problems' ; exit $${PIPESTATUS[0]}

# The web console (web/, see web/README.md): npm ci when package-lock.json changed, then the
# type check, the Vite build into web/dist/console (embedded by go:embed) and the bundle size check.
console: console-deps
	cd web && $(NPM) run build

console-deps: web/node_modules/.slipway-installed

web/node_modules/.slipway-installed: web/package-lock.json
	cd web && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

# Vitest: the traffic editor's arithmetic and rendering.
console-test: console-deps
	cd web && $(NPM) test

# Debian's Chromium for the browser test (playwright-core never downloads a browser).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "installing Debian's chromium for the console's browser test"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi
	@$(CHROMIUM) --version 2>/dev/null | head -1

# Benchmarks against the dev stack; results are recorded in docs/benchmarks.md.
bench: tools
	$(GO) test -tags integration -run '^$$' -bench . -benchtime 200x -timeout 30m ./test/integration/...
