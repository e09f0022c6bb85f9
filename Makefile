# ticktape — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)
CONFIG ?= etc/ticktape.toml
PREFIX ?= /usr/local

.PHONY: bootstrap build release run test test-systemd test-completeness install deb clean bench-e2e bench-micro

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	swift build

release: bootstrap
	swift build -c release --static-swift-stdlib

## Run the daemon in the foreground on the bundled config (Ctrl-C stops it cleanly).
run: release
	.build/release/ticktaped --config $(CONFIG)

## Run every test (unit, simulator, end-to-end, ~30 s of fuzzing per parser, the daemon under systemd,
## then completeness at 40k msg/s on the release build).
test: bootstrap
	swift build --build-tests
	swift test --skip-build --no-parallel
	scripts/fuzz.sh --short
	@$(MAKE) --no-print-directory test-systemd
	@$(MAKE) --no-print-directory test-completeness

## Issue #11 at production rates: release ticktaped against the release simulator, checked by an
## independent reader against the simulator's per-connection send logs (scripts/completeness-check).
test-completeness: bootstrap
	scripts/completeness-check

## The release daemon under a real systemd booted in a private namespace (Tests/systemd/run.sh).
## Needs root, unshare and systemd; skipped with a message otherwise (exit status 77 = skipped).
test-systemd: bootstrap
	@Tests/systemd/run.sh; rc=$$?; [ $$rc -eq 77 ] && rc=0; exit $$rc

## End-to-end latency/throughput benchmark against the simulator, with a raw-socket floor (not part
## of `make test`; about 30 min on the full grid). BENCH_ARGS="--quick" for a smoke run; reports in
## bench-results/<timestamp>/. Builds into .build-e2e.
bench-e2e: bootstrap
	scripts/bench-e2e $(BENCH_ARGS)

## Install ticktaped, ticktape and the systemd unit (see scripts/install.sh; honours PREFIX
## and DESTDIR, never overwrites /etc/ticktape/ticktape.toml).
install: bootstrap
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" scripts/install.sh

## Hot-path microbenchmarks (package-benchmark, Benchmarks/HotPath; never part of `make test` or CI).
## Extra arguments through BENCH_ARGS, e.g. `make bench-micro BENCH_ARGS="baseline compare main"`
## or `BENCH_ARGS="baseline update main"`; `BENCH_ARGS="--filter Merger.*"` runs a subset.
bench-micro:
	TICKTAPE_BENCHMARKS=1 swift package --scratch-path .build-bench --allow-writing-to-package-directory \
		benchmark $(BENCH_ARGS)

clean:
	rm -rf .build

## The Debian 12 package .build/deb/ticktape_<version>-1_amd64.deb (scripts/build-deb; dpkg-deb,
## no network): `apt install ./.build/deb/ticktape_*_amd64.deb` on a server with no toolchain.
deb: release
	scripts/build-deb --bin-dir .build/release
