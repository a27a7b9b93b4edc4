# The two commands that matter: `make dev` and `make test`.
GO        ?= go
BIN       := bin
DEVSERVER := $(BIN)/temporal-dev
export PAYOUTS_DEVSERVER_BIN := $(CURDIR)/$(DEVSERVER)

.PHONY: dev test build devserver unit vet fmt fuzz-short clean

## dev: run everything locally (Temporal dev server + UI, migrations, sandbox, API, worker)
dev: build devserver
	$(BIN)/payouts dev

## test: vet, then unit and integration tests (needs PostgreSQL on 127.0.0.1:5432)
test: devserver vet
	$(GO) test -count=1 -timeout 20m ./...

build:
	$(GO) build -o $(BIN)/payouts ./cmd/payouts

# The dev server is its own Go module (it pins an older SDK than the product).
devserver:
	cd devserver && $(GO) build -o ../$(DEVSERVER) .

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo 'gofmt needed'; exit 1)
	$(GO) vet ./...
	cd devserver && $(GO) vet ./...

unit:
	$(GO) test -count=1 ./payout/ ./heleket/ ./workflows/ ./config/

## fuzz-short: a short run of each fuzz target beyond its seed corpus
fuzz-short:
	$(GO) test ./heleket/ -run '^$$' -fuzz '^FuzzVerifyWebhook$$' -fuzztime 15s
	$(GO) test ./heleket/ -run '^$$' -fuzz '^FuzzAmountUnmarshal$$' -fuzztime 15s
	$(GO) test ./payout/ -run '^$$' -fuzz '^FuzzParseAmount$$' -fuzztime 15s

clean:
	rm -rf $(BIN) .dev
