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
CONTROLLER_GEN_VERSION := v0.23.0
CONTROLLER_GEN         := $(TOOLS)/controller-gen-$(CONTROLLER_GEN_VERSION)
KUSTOMIZE_VERSION      := v5.7.1
KUSTOMIZE              := $(TOOLS)/kustomize-$(KUSTOMIZE_VERSION)
HELM_VERSION           := v3.22.0
HELM                   := $(TOOLS)/helm-$(HELM_VERSION)

CHART    := charts/eventingestor

# The image of `make image` (what a bare eventingestor:e2e resolves to) and where the e2e
# outputs go: the static binary, the image tarballs, the suite's work folder and summary.
E2E_IMAGE ?= docker.io/library/eventingestor:e2e
E2E_DIR   := $(BIN)/e2e

# KUBERNETES_VERSION and the other pinned versions of the control-plane binaries.
include hack/k8s-versions.env

FUZZTIME ?= 30s
BENCHTIME ?= 2s
PARTITIONS ?= 3

.PHONY: help
help: ## Show the targets.
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  %-12s %s\n", $$1, $$2}'

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

##@ Generate and package

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate the API's deepcopy code (api/v1alpha1/zz_generated.deepcopy.go).
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRD and the operator's RBAC (config/crd/bases, config/rbac, the chart's copies).
	$(CONTROLLER_GEN) crd rbac:roleName=manager-role paths=./api/... paths=./controllers/... \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	rm -f $(CHART)/crds/*.yaml
	cp config/crd/bases/*.yaml $(CHART)/crds/
	cp config/rbac/role.yaml $(CHART)/files/manager-role.yaml

.PHONY: verify-generated
verify-generated: ## Fail if `make generate manifests` changes, adds or removes any file (CI).
	MAKE="$(MAKE)" hack/verify-generated.sh

.PHONY: helm-lint
helm-lint: $(HELM) ## Lint the Helm chart and render it.
	$(HELM) lint --strict $(CHART)
	$(HELM) template eventingestor $(CHART) --namespace eventingestor-system --kube-version $(KUBERNETES_VERSION) \
		--include-crds >/dev/null
	$(HELM) template eventingestor $(CHART) --namespace eventingestor-system --kube-version $(KUBERNETES_VERSION) \
		--set leaderElection.enabled=false,metrics.enabled=false,rbac.create=false,serviceAccount.create=false >/dev/null

.PHONY: kustomize-build
kustomize-build: $(KUSTOMIZE) ## Render config/default into dist/install.yaml, and the samples.
	@mkdir -p dist
	$(KUSTOMIZE) build config/default >dist/install.yaml
	$(KUSTOMIZE) build config/samples >/dev/null
	@echo "wrote dist/install.yaml"

$(CONTROLLER_GEN):
	@mkdir -p $(TOOLS)/.cg
	GOBIN=$(TOOLS)/.cg $(GO) install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)
	mv $(TOOLS)/.cg/controller-gen $@

$(KUSTOMIZE):
	@mkdir -p $(TOOLS)/.kz
	GOBIN=$(TOOLS)/.kz $(GO) install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	mv $(TOOLS)/.kz/kustomize $@

$(HELM):
	@mkdir -p $(TOOLS)/.hm
	GOBIN=$(TOOLS)/.hm $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	mv $(TOOLS)/.hm/helm $@

##@ Test

.PHONY: test
test: vet ## Run every test: unit and envtest suites with the race detector, then the data-plane tests.
	assets="$$(hack/envtest-assets.sh)"; export KUBEBUILDER_ASSETS="$$assets"; \
		$(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -v '/test/')
	$(MAKE) test-dataplane

.PHONY: test-dataplane
test-dataplane: ## Data plane on loopback: the seed's stress test, kill -9 under load, backpressure (no -race: 2,000 senders).
	$(GO) test -count=1 -timeout 20m -v ./test/dataplane/...

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each.
	hack/fuzz.sh $(FUZZTIME)

.PHONY: bench
bench: ## Run the Go benchmarks (measurements, not pass/fail).
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem ./ingestor/...

.PHONY: bench-http
bench-http: build ## Ingest over HTTP vs a bare handler, 1 and 3 partitions, batch 1 and 100, 2,000 senders, and 15 s steady state (ratios, not pass/fail; the 1-partition ones over 3 rounds).
	ROUNDS=3 hack/bench-http.sh 1 1
	ROUNDS=3 hack/bench-http.sh 1 100 --events 4000000
	hack/bench-http.sh 3 1
	hack/bench-http.sh 3 100 --events 4000000
	@echo "== the same 100-event batches from 200 senders instead of 2,000:"
	hack/bench-http.sh 1 100 --concurrency 200 --events 4000000
	@echo "== steady state: the same 100-event batches for 15 s each instead of 4 M events:"
	hack/bench-http.sh 1 100 --duration 15s

##@ Local Kubernetes and end to end (root; see hack/local-k8s/lib.sh for what they touch)

.PHONY: image-tar
image-tar: ## Build the eventingestor image as a tarball: a static binary packed by hack/image (no Docker, no registry).
	@mkdir -p $(E2E_DIR)/images $(E2E_DIR)/tools
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $(E2E_DIR)/eventingestor .
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $(E2E_DIR)/tools/ ./hack/image
	$(E2E_DIR)/tools/image --binary $(E2E_DIR)/eventingestor --tag $(E2E_IMAGE) --output $(E2E_DIR)/images/eventingestor.tar

.PHONY: image
image: image-tar ## Build the image tarball and import it into the local cluster's containerd (after cluster-up).
	hack/local-k8s/import-images.sh $(E2E_DIR)/images/eventingestor.tar

.PHONY: cluster-up
cluster-up: ## Bring up a single-node Kubernetes here (Debian packages and binaries first, if missing).
	hack/local-k8s/install-deps.sh
	hack/build-k8s-binaries.sh
	hack/local-k8s/up.sh

.PHONY: cluster-down
cluster-down: ## Tear the local cluster down by its recorded PIDs, leaving the machine as before.
	hack/local-k8s/down.sh

.PHONY: e2e
e2e: $(KUSTOMIZE) $(HELM) ## End to end: cluster up, image, test/e2e (Helm, kustomize, stress, scale, kill), cluster down.
	KUSTOMIZE=$(KUSTOMIZE) HELM=$(HELM) E2E_IMAGE=$(E2E_IMAGE) MAKE="$(MAKE)" hack/e2e.sh

.PHONY: clean
clean: ## Remove build outputs (keeps the cached Kubernetes binaries).
	rm -rf $(BINARY) data
