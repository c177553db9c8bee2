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
	$(SWIFT) build --build-tests
	scripts/with-test-postgres $(SWIFT) test --skip-build

run: release
	@scripts/run

bench: release
	@$(MAKE) -s -C Benchmarks/nng-raw
	@scripts/bench $(BENCH)

clean:
	rm -rf .build clients/c/build Benchmarks/nng-raw/build
