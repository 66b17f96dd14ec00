# The dialer's build. `make demo` and `make test` are the two commands the
# README starts with.

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin/dialer
PKGS     := ./...
DEMO_DIR := .demo
BENCH_DIR := .bench

.PHONY: all build test test-short lint bench bench-import bench-postgres bench-fs demo clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/dialer

# The full suite, with the race detector, on real SQLite files and real
# TCP; end-to-end suites on the simulator and on a real FreeSWITCH
# (scripts/test.sh says how it is found).
test:
	GO=$(GO) scripts/test.sh

test-short:
	$(GO) test -count=1 -short $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# Go benchmarks of every package, then the import benchmark against
# sqlite3 .import (BENCHMARKS.md).
bench: build
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	scripts/bench-import.sh
	scripts/bench-import-floor.sh

bench-import: build
	scripts/bench-import.sh
	scripts/bench-import-floor.sh

# The store's import and claim benchmarks on SQLite and on a PostgreSQL
# server the script starts (BENCHMARKS.md); N=100000 make bench-postgres.
bench-postgres: build
	scripts/bench-postgres.sh

# Daemon CPU per call against FreeSWITCH CPU per call, both measured in
# one run of short answered IVR calls on a real switch started with
# ../shared/freeswitch/fs-lab (BENCHMARKS.md); N=3000 CPS=120 make bench-fs.
bench-fs:
	scripts/bench-fs-cpu.sh

# Loads the example campaign and members into a fresh database and shows
# what was stored.
demo: build
	scripts/demo.sh

clean:
	rm -rf bin $(DEMO_DIR) $(BENCH_DIR)
