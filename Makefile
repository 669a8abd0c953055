# dr-syncer — see README.md. `make test` is what CI runs; it builds everything it needs.
SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

GO ?= go
BIN := bin
# Test bed binaries (kube-apiserver, etcd, kubectl, and the runnables kube-controller-manager,
# kube-scheduler and kwok) are built once into a cache outside the checkout, or taken from
# $KUBEBUILDER_ASSETS when set (docs/development.md).
TESTBIN = $(shell ./hack/testbin.sh)
# The one version source: VERSION goes into the binaries, the chart (version and appVersion), the
# image and the krew manifest. `make release VERSION=v0.1.0`.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
# The build date is the commit's, so that building the same commit twice gives the same bytes.
BUILD_DATE ?= $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
VERSION_PKG := github.com/dr-syncer/dr-syncer/internal/version
LDFLAGS := -X $(VERSION_PKG).Version=$(VERSION) -X $(VERSION_PKG).Commit=$(COMMIT) -X $(VERSION_PKG).Date=$(BUILD_DATE)
TEST_TIMEOUT ?= 40m

.PHONY: all
all: build testbin

.PHONY: build
build: ## Build the dr-syncer binary into bin/.
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/dr-syncer ./cmd/dr-syncer

.PHONY: testbin
testbin: ## Build the pinned kube-apiserver, etcd, kubectl, kube-controller-manager, kube-scheduler and kwok (first time: 11-14 minutes).
	@./hack/testbin.sh >/dev/null

.PHONY: demo
demo: build testbin ## Run dr-syncer on two local clusters (control planes, controllers, fake nodes) with a sample application (Ctrl-C stops it).
	KUBEBUILDER_ASSETS="$(TESTBIN)" ./$(BIN)/dr-syncer demo

.PHONY: generate
generate: ## Regenerate deepcopy code and CRDs from api/, and the chart's README from its values.
	$(GO) tool controller-gen object:headerFile=hack/boilerplate.go.txt paths=./api/...
	$(GO) tool controller-gen crd paths=./api/... output:crd:artifacts:config=config/crd/bases
	./hack/sync-chart-crds.sh
	$(GO) tool helm-docs --chart-search-root charts --sort-values-order file --skip-version-footer --log-level warning

GENERATED := api config/crd charts/dr-syncer/templates/crds charts/dr-syncer/README.md

.PHONY: verify-generate
verify-generate: generate ## Fail when generated files are stale.
	@if [ -n "$$(git status --porcelain -- $(GENERATED))" ]; then \
		echo "generated files are stale: run 'make generate' and commit the result"; \
		git status --porcelain -- $(GENERATED); git --no-pager diff --stat -- $(GENERATED); exit 1; fi

.PHONY: vet
vet: ## go vet, gofmt and a tidy go.mod.
	$(GO) mod tidy -diff
	$(GO) vet ./...
	@test -z "$$(gofmt -l api cmd internal test)" || { echo "gofmt needed:"; gofmt -l api cmd internal test; exit 1; }

# The fault suite (test/faults) runs on its own: make test-faults.
TEST_PKGS = $(shell $(GO) list ./... | grep -v /test/faults)
# Packages whose goroutines share state: their unit tests also run under the race detector.
RACE_PKGS := ./internal/engine/... ./internal/continuous/... ./internal/clustercache/... ./internal/controller/...
FAULTS_TIMEOUT ?= 15m
# FUZZTIME is how long each fuzz target runs in make fuzz.
FUZZTIME ?= 10m

.PHONY: test
test: verify-generate vet testbin ## Stale-generation check, vet, unit, integration and e2e tests, race detector on the concurrent packages.
	KUBEBUILDER_ASSETS="$(TESTBIN)" $(GO) test -timeout $(TEST_TIMEOUT) -count=1 $(TEST_PKGS)
	KUBEBUILDER_ASSETS="$(TESTBIN)" $(GO) test -race -timeout $(TEST_TIMEOUT) -count=1 $(RACE_PKGS)

.PHONY: test-faults
test-faults: testbin ## Fault suite: the binary killed, clusters cut off or stopped, leader handover (about 3.5 minutes).
	KUBEBUILDER_ASSETS="$(TESTBIN)" $(GO) test -timeout $(FAULTS_TIMEOUT) -count=1 -v ./test/faults/...

.PHONY: fuzz
fuzz: ## Fuzz the transforms and kubeconfig validation, FUZZTIME each (default 10m).
	$(GO) test -run '^$$' -fuzz '^FuzzToDestination$$' -fuzztime $(FUZZTIME) ./internal/transform
	$(GO) test -run '^$$' -fuzz '^FuzzParkingRecords$$' -fuzztime $(FUZZTIME) ./internal/transform
	$(GO) test -run '^$$' -fuzz '^FuzzStash$$' -fuzztime $(FUZZTIME) ./internal/transform
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./internal/kubeconfig

.PHONY: bench
bench: testbin ## Benchmarks on the README's setup against real API servers (about 4 minutes); figures go to docs/performance.md.
	KUBEBUILDER_ASSETS="$(TESTBIN)" $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./test/bench/...

.PHONY: bench-scale
bench-scale: testbin ## Scale benchmarks: one namespace of 50,000 objects, 200 mappings of 100 objects (about 5 minutes).
	DRSYNCER_BENCH_SCALE=1 KUBEBUILDER_ASSETS="$(TESTBIN)" $(GO) test -run '^$$' -bench Scale -benchtime 1x -timeout 120m ./test/bench/...

.PHONY: release
release: ## Build a release into dist/: binaries, chart, CRDs, OCI image tarball (no Docker engine), krew manifest, SHA256SUMS (VERSION=vX.Y.Z).
	@[[ "$(VERSION)" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]] || { echo "make release needs VERSION=vX.Y.Z (got '$(VERSION)')"; exit 1; }
	@[ -z "$$(git status --porcelain --untracked-files=no)" ] || [ -n "$(ALLOW_DIRTY)" ] || { echo "make release: the work tree has uncommitted changes, so the binaries would not be commit $(COMMIT) (ALLOW_DIRTY=1 to build anyway)"; exit 1; }
	$(GO) run ./hack/release -version $(VERSION) -commit $(COMMIT) -date $(BUILD_DATE) -out dist
