#!/usr/bin/env bash
# Runs every test against real services: starts them, runs ctest, stops them, and exits
# non-zero on any failure. Usage: scripts/test.sh BUILD_DIR [ctest args...]
set -uo pipefail
cd "$(dirname "$0")/.."
build="$1"
shift
env_file="$build/services.env"

cleanup() { scripts/services/down.sh "$env_file" || true; }
trap cleanup EXIT

if ! scripts/services/up.sh "$env_file"; then
  echo "test: could not start the test services (logs above)" >&2
  exit 1
fi
set -a
# shellcheck disable=SC1090
. "$env_file"
set +a
export SF_PYTHON="${SF_CACHE_DIR:-$HOME/.cache/streamforge}/venv/bin/python"
export SF_REPO_DIR="$PWD"

rc=0
scripts/lint.sh "$build" || rc=1
ctest --test-dir "$build" --output-on-failure --no-tests=error -j2 "$@" 2>&1 | tee "$build/ctest.log"
ctest_rc=${PIPESTATUS[0]}
((ctest_rc == 0)) || rc=1
echo
echo "===== ctest summary ====="
grep -E "tests passed|tests failed|Total Test time|^\s+[0-9]+ - " "$build/ctest.log" || true
exit $rc
