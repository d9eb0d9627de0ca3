# touchpoint — the two commands a new user needs:
#   make run    install missing Debian packages, build, create demo data, start the server
#   make test   the same set-up, then every test (release build and an ASan+UBSan build)
SHELL := /bin/bash
BUILD_DIR  ?= build/release
ASAN_DIR   ?= build/asan
DB         ?= sqlite:var/touchpoint.db
LISTEN     ?= 127.0.0.1:8080
JOBS       ?= $(shell nproc)
CMAKE_COMMON := -G Ninja -DCMAKE_EXPORT_COMPILE_COMMANDS=ON

.PHONY: all deps web build build-server build-asan run test test-release test-asan test-node-deps bench clean

all: build

deps:
	@./scripts/install-deps.sh

# -g1 (line tables only) keeps stack traces readable at a fraction of the compile time of full -g.
$(BUILD_DIR)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"

$(ASAN_DIR)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(ASAN_DIR) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" \
	  -DTP_SANITIZE=ON -DTP_BUILD_BENCH=OFF

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# What serving needs and nothing else: no tests, no benchmarks. The survey pages' SurveyJS files come
# from web/node_modules, exactly as pinned in web/package-lock.json; the web app from web/dist/app.
build-server: deps web $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS) --target touchpoint

web/node_modules/.package-lock.json: web/package-lock.json web/package.json | deps
	cd web && npm ci --no-audit --no-fund && touch node_modules/.package-lock.json

# The web application (docs/web.md): API types generated from openapi.json, tsc, then Vite into
# web/dist/app (git ignores it). Rebuilt only when a source, the API contract or the packages change.
WEB_APP_SOURCES := $(shell find web/app -type f -not -name openapi.d.ts 2>/dev/null)
web/dist/.stamp: web/node_modules/.package-lock.json src/api/openapi.json $(WEB_APP_SOURCES)
	cd web && npm run --silent build
	touch $@

web: web/node_modules/.package-lock.json web/dist/.stamp

build-asan: deps $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS)

run: build-server
	@mkdir -p var
	@./$(BUILD_DIR)/touchpoint demo-data --db $(DB) --if-empty
	exec ./$(BUILD_DIR)/touchpoint serve --db $(DB) --listen $(LISTEN)

test: test-release test-asan

# Segment's Node.js library for tests/e2e/segment_client.py, exactly as pinned in the lockfile.
tests/segment/node_modules/.package-lock.json: tests/segment/package-lock.json tests/segment/package.json | deps
	cd tests/segment && npm ci --no-audit --no-fund && touch node_modules/.package-lock.json

test-node-deps: tests/segment/node_modules/.package-lock.json web

test-release: build test-node-deps
	./scripts/run-tests.sh $(BUILD_DIR)

test-asan: build-asan test-node-deps
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ./scripts/run-tests.sh $(ASAN_DIR)

bench: build
	./bench/run.sh $(BUILD_DIR)
	./bench/customer_data.sh $(BUILD_DIR)

clean:
	rm -rf build
