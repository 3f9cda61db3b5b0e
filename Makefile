# EventIngestor — build, test and tooling entry points. Tool versions are
# pinned here; tools are installed into bin/tools by the targets that need them.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO       ?= go
BIN      := $(CURDIR)/bin
TOOLS    := $(BIN)/tools
BINARY   := $(BIN)/eventingestor
PKGS     := ./...

GOLANGCI_LINT_VERSION  := v2.15.0
GOLANGCI_LINT          := $(TOOLS)/golangci-lint-$(GOLANGCI_LINT_VERSION)

FUZZTIME ?= 30s
BENCHTIME ?= 2s
PARTITIONS ?= 3

.PHONY: help
help: ## Show the targets.
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  %-12s %s\n", $$1, $$2}'

##@ Build

.PHONY: build
build: ## Build bin/eventingestor.
	$(GO) build -o $(BINARY) .

.PHONY: dev
dev: build ## Run a local cluster of $(PARTITIONS) partitions on loopback (no Kubernetes).
	$(BINARY) dev --partitions $(PARTITIONS)

##@ Quality

.PHONY: fmt
fmt: ## Format the code.
	$(GO) fmt $(PKGS)

.PHONY: vet
vet: ## Run go vet.
	$(GO) vet $(PKGS)

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint.
	$(GOLANGCI_LINT) run $(PKGS)

$(GOLANGCI_LINT):
	@mkdir -p $(TOOLS)/.gl
	GOBIN=$(TOOLS)/.gl $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv $(TOOLS)/.gl/golangci-lint $@

##@ Test

.PHONY: test
test: vet ## Run every test (unit, data plane) with the race detector.
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each.
	hack/fuzz.sh $(FUZZTIME)

.PHONY: bench
bench: ## Run the Go benchmarks (measurements, not pass/fail).
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem ./ingestor/...

.PHONY: clean
clean: ## Remove build outputs (keeps the cached Kubernetes binaries).
	rm -rf $(BINARY) data
