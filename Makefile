# scalebench — common tasks. `make run` and `make test` are all a newcomer needs.
GO      ?= go
PKG     := github.com/scalebench/scalebench
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS := -X $(PKG)/internal/app.Version=$(VERSION) -X $(PKG)/internal/app.Commit=$(COMMIT)
BIN     := bin/scalebench
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
SCENARIO ?= scenarios/quickstart.yaml

.PHONY: build run test test-long bench lint clean

## build: compile bin/scalebench
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/scalebench

## run: run the quickstart scenario (or SCENARIO=...) and print the report's path
run: build
	./$(BIN) run $(SCENARIO)

## test: vet, then the fast tests with the race detector (about 2 m 40 s on 2 cores)
test:
	$(GO) vet ./...
	$(GO) test -race -short -count=1 -timeout 10m ./...

## test-long: every test with the race detector, the real measurements too
## (real A/B runs, the gate on real runs, hundreds of agents, network namespaces)
test-long:
	$(GO) test -race -count=1 -timeout 30m ./...

## bench: the benchmarks behind the figures in docs/measurement.md (several minutes)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 -cpu 1,2 -timeout 30m ./...

## lint: formatting, vet (Linux and macOS) and staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=darwin $(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

clean:
	rm -rf bin
