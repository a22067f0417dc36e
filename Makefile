# egovnet build, test, bench and demo entry points.
# `make demo` runs the lab network demo (root) or the loopback demo; `make test` runs every test.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -s -w -X github.com/egovnet/egovnet/internal/version.Version=$(VERSION) -X github.com/egovnet/egovnet/internal/version.Commit=$(COMMIT)
BINARIES  := egovnet-agent egovnet-collector egovnet-lab
TEST_TIMEOUT ?= 45m

.PHONY: all build test test-short bench demo demo-go lint package dist clean

all: build

build:
	@mkdir -p bin
	@for b in $(BINARIES); do \
		CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/$$b ./cmd/$$b || exit 1; \
	done
	@echo "built: $(addprefix bin/,$(BINARIES))"

# Every test, unit and integration. Integration tests need root (namespaces,
# raw sockets), snmpsim, snmpd, fping, nmap, chromium, PostgreSQL and influxd;
# .ci/run installs them. Without them the tests skip with a reason, unless
# EGOVNET_REQUIRE_INTEGRATION=1, where they fail.
# Test binaries are built in parallel first; the packages then run one at a
# time, because lab tests share the kernel's host-wide tables (neighbours,
# ICMP rate limits) and labs of two packages at once would crowd each other.
test: build lint
	$(GO) test -count=1 -run '^$$' ./... >/dev/null
	$(GO) test -count=1 -p 1 -timeout $(TEST_TIMEOUT) ./...

test-short:
	$(GO) test -short -count=1 ./...

bench: build
	bash deploy/bench/run.sh

# The demo needs only this clone (no ../shared): the lab's device recordings
# are in deploy/lab/recordings. As root demo.sh installs the Debian packages
# the lab needs; building needs Go (go.mod's version; Debian 12's golang-go
# is too old, see https://go.dev/dl).
demo: demo-go build
	bash deploy/demo/demo.sh

demo-go:
	@command -v $(GO) >/dev/null 2>&1 || { echo "make demo: Go is needed to build egovnet: install Go $$(sed -n 's/^go //p' go.mod) or newer from https://go.dev/dl (Debian 12's golang-go is too old), then run make demo again" >&2; exit 1; }

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; git ls-files --others --exclude-standard '*.go' 2>/dev/null)); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Static agent builds for linux amd64/arm64/loong64/mips64le and windows
# amd64/386, collectors for linux amd64/arm64 (CONTRACT "make dist").
dist:
	GO=$(GO) bash deploy/package/dist.sh $(VERSION) '$(LDFLAGS)'

# deb and rpm for every linux arch of make dist.
package: build dist
	bash deploy/package/package.sh $(VERSION)

clean:
	rm -rf bin dist
