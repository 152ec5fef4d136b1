# ackup: common tasks. `make help` lists them.
GO ?= go

.PHONY: help build test lint server

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: ## build bin/ackup
	$(GO) build -o bin/ackup ./cmd/ackup

test: ## run every test (PostgreSQL, browser and kube-apiserver tests need what .ci/run starts)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...
# The SDK end-to-end suite again, every server on PostgreSQL. The replica
# tests always run on PostgreSQL and the crash test on its own SQLite file,
# so the run above has covered them.
	ACKUP_E2E_STORE=postgres $(GO) test -count=1 -timeout 20m -skip 'TestReplica|TestCrashRecovery' ./internal/e2e/

lint: ## gofmt, go vet, staticcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@latest ./...

server: build ## run the server with defaults
	./bin/ackup server
