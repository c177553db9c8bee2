# Aural developer entry points. Every target installs what is missing first.
SWIFT ?= swift
BENCH ?= all

.PHONY: all bootstrap build release test run bench proto check-proto c-client clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release

proto:
	scripts/gen-proto

check-proto:
	@scripts/gen-proto --check

c-client: bootstrap
	@$(MAKE) -s -C clients/c

test: bootstrap check-proto c-client
	@scripts/bootstrap --test
	$(SWIFT) build --build-tests
	@# The RPC suites assert deadlines in milliseconds: run them first, alone,
	@# not beside the DSP and multi-process suites that load both cores.
	@# Each phase has a watchdog: a hang fails with thread stacks, in minutes.
	scripts/with-watchdog 10 $(SWIFT) test --skip-build --filter AuralRPCTests
	scripts/with-watchdog 30 scripts/with-test-postgres $(SWIFT) test --skip-build --skip AuralRPCTests --skip EdgeTests
	@# The whole-stack suites start many processes each: alone, after the rest.
	scripts/with-watchdog 30 $(SWIFT) test --skip-build --filter EdgeTests

run: release
	@scripts/bootstrap --models
	@scripts/run

bench: release
	@$(MAKE) -s -C Benchmarks/nng-raw
	@scripts/bench $(BENCH)

clean:
	rm -rf .build clients/c/build Benchmarks/nng-raw/build
