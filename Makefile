# Everything here needs only Go and make; tools come from the Go module proxy.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# Every module in the repository: the library and the ones under examples/
# and iamtest/ that depend on other SDKs.
MODULES := $(shell find . -name go.mod -not -path './.git/*' -exec dirname {} \; | sort)

.PHONY: demo test fmt vet staticcheck race

## demo: run the quickstart against the embedded fake IAM (or real IAM
## when IBM_AUTH_URL and WATSONX_APIKEY are set).
demo:
	go run ./examples/quickstart

## test: formatting, vet, staticcheck and race-enabled tests of every module.
test: fmt vet staticcheck race

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
