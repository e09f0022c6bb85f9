# ticktape — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)
CONFIG ?= etc/ticktape.toml
PREFIX ?= /usr/local

.PHONY: bootstrap build release run test install clean

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	swift build

release: bootstrap
	swift build -c release --static-swift-stdlib

## Run the daemon in the foreground on the bundled config (Ctrl-C stops it cleanly).
run: release
	.build/release/ticktaped --config $(CONFIG)

## Run every test (unit, simulator, end-to-end).
test: bootstrap
	swift build --build-tests
	swift test --skip-build

clean:
	rm -rf .build
