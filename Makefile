# The two commands: `make run` (dev stack + platform-api + pod-mutator on 127.0.0.1) and `make test`.
SHELL := /bin/bash
GO ?= go

.PHONY: run test tools build unit fuzz integration bench fmt vet

run: tools build
	$(GO) run ./hack/devstack

test: tools build vet unit fuzz integration

# Dev stack binaries from Go modules into bin/; skipped when already built.
tools:
	hack/build-tools.sh

build:
	$(GO) build -o bin/platform-api ./cmd/platform-api
	$(GO) build -o bin/pod-mutator ./cmd/pod-mutator

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags integration ./test/...

unit:
	$(GO) test -count=1 ./...

# Bounded fuzzing of the pod mutation (hostile log-path annotations).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzMutate -fuzztime 20s ./pkg/logging/

# Real kube-apiserver, Knative and kwok; see test/integration.
integration:
	$(GO) test -tags integration -count=1 -timeout 40m -v ./test/integration/... 2>&1 | tee .integration.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test.go' ; exit $${PIPESTATUS[0]}

# Benchmarks against the dev stack; results are recorded in docs/benchmarks.md.
bench: tools
	$(GO) test -tags integration -run '^$$' -bench . -benchtime 200x -timeout 30m ./test/integration/...
