# The two commands that matter: `make dev` and `make test`.
GO        ?= go
BIN       := bin
DEVSERVER := $(BIN)/temporal-dev
export PAYOUTS_DEVSERVER_BIN := $(CURDIR)/$(DEVSERVER)

.PHONY: dev test test-postgres build devserver unit vet fmt fuzz fuzz-short chaos rolling clean

## dev: run everything locally (Temporal dev server + UI, migrations, sandbox, API, worker)
dev: build devserver
	$(BIN)/payouts dev

## test: vet, then unit and integration tests (needs PostgreSQL on 127.0.0.1:5432)
test: devserver vet
	$(GO) test -count=1 -timeout 20m ./...

## test-postgres: the integration tests on the production shape, Temporal on PostgreSQL with 4 shards
# One package at a time (-p 1): each test binary runs its own Temporal,
# whose pools (up to 20 connections a store) would together pass
# PostgreSQL's default max_connections of 100.
test-postgres: devserver
	PAYOUTS_TEMPORAL_PERSISTENCE=postgres $(GO) test -p 1 -count=1 -timeout 20m ./e2e/... ./chaos/

build:
	$(GO) build -o $(BIN)/payouts ./cmd/payouts

# The dev server is its own Go module (it pins an older SDK than the product).
# Its first build takes minutes: devbuild says so before it starts and counts
# the packages compiled; it prints nothing when bin/temporal-dev is current.
devserver:
	@$(GO) run ./internal/devtemporal/devbuild

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo 'gofmt needed'; exit 1)
	$(GO) vet ./...
	cd devserver && $(GO) vet ./...
	$(GO) tool workflowcheck ./workflows/... ./bench/...

unit:
	$(GO) test -count=1 ./payout/ ./heleket/ ./workflows/ ./config/

# Every fuzz target, as package:Target. `go test -fuzz` takes one target
# per run, so `make fuzz` runs them one after another; plain `go test`
# (and so `make test`) runs each one's seed corpus.
FUZZTIME ?= 30s
# Minimizing each newly interesting input defaults to 60s, which would eat
# a short run (a long webhook seed took most of 20s): keep it short.
FUZZMINIMIZETIME ?= 5s
FUZZ_TARGETS := \
	./heleket:FuzzVerifyWebhook ./heleket:FuzzAmountUnmarshal ./heleket:FuzzWebhookDedupeKey \
	./heleket:FuzzClassifyResponse ./payout:FuzzParseAmount ./payout:FuzzValidAddress ./payout:FuzzParseLimits \
	./httpapi:FuzzReadCreate ./httpapi:FuzzReadWebhookBody ./httpapi:FuzzParseListQuery ./httpapi:FuzzDecodeCursor \
	./httpapi:FuzzDuplicateKey ./httpapi:FuzzWebhookSource ./batch:FuzzParse ./schedule:FuzzValidate \
	./config:FuzzParseIPPrefixes ./config:FuzzParseAdminTokens ./config:FuzzParseAdminTokensFile

## fuzz: run each fuzz target for FUZZTIME (default 30s), one after another
fuzz:
	@missing=$$(grep -rhoE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+' . | sed 's/^func //' | sort -u | \
		while read -r f; do case " $(FUZZ_TARGETS) " in *":$$f "*) ;; *) echo "$$f" ;; esac; done); \
		test -z "$$missing" || { echo "fuzz targets missing from FUZZ_TARGETS in the Makefile:" $$missing; exit 1; }
	@# A run that fails with "context deadline exceeded" at the end of
	@# FUZZTIME and saves no failing input is Go's coordinator race
	@# (go.dev/issue/75804, unfixed in Go 1.26), not a finding.
	@out=$$(mktemp); trap 'rm -f "$$out"' EXIT; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; saved=$$pkg/testdata/fuzz/$$name; \
		echo "== $$pkg $$name for $(FUZZTIME)"; \
		before=$$(ls "$$saved" 2>/dev/null | wc -l); \
		if $(GO) test "$$pkg" -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) >"$$out" 2>&1; then \
			cat "$$out"; continue; fi; \
		cat "$$out"; \
		if [ "$$(ls "$$saved" 2>/dev/null | wc -l)" = "$$before" ] && grep -q '^    context deadline exceeded$$' "$$out"; then \
			echo "(not a finding: go.dev/issue/75804, no failing input saved)"; continue; fi; \
		exit 1; \
	done

## fuzz-short: every fuzz target for 15s
fuzz-short:
	$(MAKE) fuzz FUZZTIME=15s

## chaos: payouts through two api and two worker processes while workers die, an API restarts,
## Postgres drops connections and restarts, the Temporal server is killed -9 and Heleket
## misbehaves; then the invariants (CHAOS_PAYOUTS, CHAOS_SEED; CHAOS_TEMPORAL=postgres runs
## Temporal on the run's own PostgreSQL, which then restarts under it too; chaos/)
CHAOS_PAYOUTS ?= 200
CHAOS_TEMPORAL ?= sqlite
chaos: devserver build
	$(GO) vet -tags chaos ./chaos/
	CHAOS_BIN=$(CURDIR)/$(BIN)/payouts CHAOS_PAYOUTS=$(CHAOS_PAYOUTS) PAYOUTS_TEMPORAL_PERSISTENCE=$(CHAOS_TEMPORAL) \
		$(GO) test -tags chaos -count=1 -v -timeout 90m -run '^TestChaos$$' ./chaos/

## rolling: the workers replaced by a build with a guarded workflow change (-tags rolling_v2)
## while payouts poll and wait for approval, and the Temporal server killed under payouts in
## flight (chaos/rolling_test.go, chaos/temporal_restart_test.go; about a minute)
rolling: devserver build
	CHAOS_BIN=$(CURDIR)/$(BIN)/payouts $(GO) test -tags chaos -count=1 -v -timeout 10m \
		-run '^(TestRollingDeploy|TestTemporalKilledAPIAnswers503ThenAllPaidOnce)$$' ./chaos/

clean:
	rm -rf $(BIN) .dev
