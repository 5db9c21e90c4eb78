# hype — the two commands: `make run` (the site on http://127.0.0.1:3000) and `make test`.
SHELL := /bin/bash
CARGO_LEPTOS_VERSION := 0.3.10
WASM_BINDGEN_VERSION := 0.2.130
# PostgreSQL for the tests' second database; `HYPE_TEST_POSTGRES_URL= make test` skips it.
HYPE_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export HYPE_TEST_POSTGRES_URL

.PHONY: run release test test-rust test-e2e test-e2e-release test-api-walkthrough test-api-fuzz test-login-flood tools e2e-deps lint bench

## The build tools, installed the first time (cargo-leptos takes ~13 minutes to compile).
tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@wasm-bindgen --version 2>/dev/null | grep -q ' $(WASM_BINDGEN_VERSION)' || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
	@cargo leptos --version 2>/dev/null | grep -q ' $(CARGO_LEPTOS_VERSION)' || cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked --features no_downloads

## Build and serve the site (SQLite file hype.db unless DATABASE_URL says otherwise).
run: tools
	cargo leptos serve --split

## An optimised build: target/release/hype-server plus target/site. The wasm is split: the
## signed-in pages (lazy routes) are chunks of their own, loaded when first shown. wasm-opt comes
## from the npm package binaryen, installed under target/tools (Debian's binaryen breaks hydration).
release: tools target/tools/bin/wasm-opt
	PATH="$(CURDIR)/target/tools/bin:$$PATH" cargo leptos build --release --split

## cargo-leptos runs `wasm-opt -Oz` on every wasm file it writes. This wrapper, first on its PATH,
## also drops the toolchain's producers and target_features sections, which no browser reads:
## about 6 KB gzipped on the first load of a signed-in page, which fetches dozens of files.
target/tools/bin/wasm-opt: target/tools/node_modules/.bin/wasm-opt
	mkdir -p target/tools/bin
	printf '%s\n' '#!/bin/sh' \
	  'exec "$$(dirname "$$0")/../node_modules/.bin/wasm-opt" --strip-producers --strip-target-features "$$@"' > $@
	chmod +x $@

target/tools/node_modules/.bin/wasm-opt:
	mkdir -p target/tools && cd target/tools && npm install --no-audit --no-fund binaryen@132

## Every test: Rust (unit + HTTP on SQLite and PostgreSQL), then Playwright in Chromium on the
## debug build and on the split release build (the first release build takes ~15 minutes), then
## the README's API walkthrough, two minutes of schemathesis on the API (PyPI, in a virtualenv
## under target/tools) and a 6-second log-in flood against that release build.
test: test-rust test-e2e test-e2e-release test-api-walkthrough test-api-fuzz test-login-flood

test-rust:
	cargo test --workspace --locked

test-e2e: tools e2e-deps
	cargo leptos build --split
	cd end2end && npx playwright test

## The Playwright suite against the split release build (what `make release` deploys).
test-e2e-release: release e2e-deps
	cd end2end && HYPE_E2E_PROFILE=release npx playwright test

## The README's API walkthrough, run as written against the release build.
test-api-walkthrough: release
	end2end/api-walkthrough.sh

## Property-based requests from the OpenAPI document: no 5xx, no answer outside its schemas.
test-api-fuzz: release
	end2end/api-fuzz.sh

test-login-flood: release
	NO_BUILD=1 DURATION=6s RESULTS=target/bench/login-flood.tsv bench/login-flood.sh

e2e-deps:
	@test -x /usr/bin/chromium || { echo "Chromium missing: apt-get install chromium"; exit 1; }
	@test -d end2end/node_modules/@playwright/test || (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)

## The benchmarks and fault checks (about 15 minutes; installs wrk and nginx-light if missing;
## stops and restarts the local PostgreSQL cluster for the outage check): prints one table.
bench:
	bench/run.sh

## Format, lints, and no module that imports itself through others (.ci/module-cycles.py).
lint:
	python3 .ci/module-cycles.py
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
