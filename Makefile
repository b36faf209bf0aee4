# Everything here needs only Go and make; tools come from the Go module proxy.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# Every module in the repository: the library, and nested modules (such as
# iamtest/sdkcoretest) that depend on other SDKs.
MODULES := $(shell find . -name go.mod -not -path './.git/*' -exec dirname {} \; | sort)

.PHONY: demo test fmt vet staticcheck race crowd fuzz bench

## demo: run the quickstart against the embedded fake IAM (or real IAM
## when IBM_AUTH_URL and WATSONX_APIKEY are set).
demo:
	go run ./examples/quickstart

## test: formatting, vet, staticcheck, race-enabled tests of every module,
## and the huge-crowd tests that -race cannot hold.
test: fmt vet staticcheck race crowd

fmt:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then \
		echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	@echo "gofmt: ok"

vet:
	@set -e; for d in $(MODULES); do echo "go vet ($$d)"; \
		(cd $$d && go vet ./...); done

staticcheck:
	@set -e; for d in $(MODULES); do echo "staticcheck ($$d)"; \
		(cd $$d && go run $(STATICCHECK) ./...); done

race:
	@set -e; for d in $(MODULES); do echo "go test -race ($$d)"; \
		(cd $$d && go test -race -count=1 -timeout 10m ./...); done

# The race detector allows at most 8,128 goroutines: tests with more are
# built only without -race (huge_test.go) and run here.
crowd:
	@echo "go test (no -race): huge crowds"
	@go test -count=1 -run 'Huge' .

## fuzz: explore reply decoding beyond the seeds that `make test` runs.
FUZZTIME ?= 60s
fuzz:
	go test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) .

## bench: the cached path next to its peers and the floor, one table.
## Runs interleave so that a burst of load on a shared machine spreads
## over every row; BENCHRUNS sets how many.
BENCHRUNS ?= 6
bench:
	@cd benchmarks && for i in $$(seq $(BENCHRUNS)); do \
		go test -run '^$$' -bench . -count 1 -cpu 1,2 . && \
		(cd .. && go test -run '^$$' -bench 'Cached|Floor' -count 1 -cpu 1,2 .) \
		|| exit 1; done > ../bench.out
	@cd benchmarks && go test -count=1 -v -run 'ColdHerd|RefreshWindow' . >> ../bench.out
	@cd benchmarks && go run ./cmd/benchtable < ../bench.out
	@echo "raw results in bench.out; compare runs with:"
	@echo "  go run golang.org/x/perf/cmd/benchstat@latest old.out bench.out"
