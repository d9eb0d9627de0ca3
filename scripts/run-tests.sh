#!/usr/bin/env bash
# Runs every test registered with CTest in the given build directory, with a throwaway PostgreSQL
# server running for the backend tests (TP_TEST_POSTGRES_URL points at it).
set -euo pipefail
build_dir=${1:?usage: run-tests.sh BUILD_DIR}
cd "$(dirname "$0")/.."
exec ./scripts/with-postgres.sh ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)"
