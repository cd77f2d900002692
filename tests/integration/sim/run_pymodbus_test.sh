#!/usr/bin/env bash
# Runs pymodbus_client_test.py with the project venv's python. Usage: run_pymodbus_test.sh BIN
set -u
here="$(cd "$(dirname "$0")" && pwd)"
if [[ -z "${SF_PYTHON:-}" ]]; then
  echo "SKIP: SF_PYTHON is not set (scripts/test.sh exports the project venv's python)"
  exit 77
fi
if ! "$SF_PYTHON" -c "import pymodbus" 2>/dev/null; then
  echo "FAIL: $SF_PYTHON has no pymodbus (scripts/requirements-test.txt; make deps)"
  exit 1
fi
exec "$SF_PYTHON" "$here/pymodbus_client_test.py" "$1"
