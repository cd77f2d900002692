#!/usr/bin/env bash
# Installs what the build, `make run` and `make test` need, and nothing that is already there.
# Idempotent: a second run only checks. Runs as root on Debian 12 with no standard input.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/debian.sh
source scripts/lib/debian.sh

# Debian packages: toolchain, -dev libraries, the real services the tests use, test peers.
packages=(
  build-essential cmake ninja-build pkg-config git python3 python3-venv
  libgtest-dev libgmock-dev
  librdkafka-dev libasio-dev libyaml-cpp-dev nlohmann-json3-dev libmodbus-dev
  libssl-dev libzstd-dev zlib1g-dev liblz4-dev libsqlite3-dev libpq-dev
  libprotobuf-dev protobuf-compiler
  clang clang-format clang-tidy libclang-rt-14-dev
  mosquitto mosquitto-clients postgresql-15 socat
  default-jre-headless maven openssl
)
mapfile -t missing < <(sf_missing_debs "${packages[@]}")
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sf_apt_install "${missing[@]}"
  # The Debian packages start system services; the project runs its own on free ports.
  systemctl disable --now mosquitto postgresql >/dev/null 2>&1 || true
else
  echo "install-deps: Debian packages present"
fi

# Python peers and validators for tests (pymodbus, jsonschema, ...) in a project venv.
cache="${SF_CACHE_DIR:-$HOME/.cache/streamforge}"
venv="$cache/venv"
req=scripts/requirements-test.txt
if [[ -f "$req" ]]; then
  stamp="$venv/.req-$(sha256sum "$req" | cut -c1-16)"
  if [[ ! -f "$stamp" ]]; then
    echo "install-deps: python test packages into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
    rm -f "$venv"/.req-*
    touch "$stamp"
  else
    echo "install-deps: python test packages present"
  fi
fi

# Third-party sources and services fetched through registries (cached, fast no-ops after).
if [[ -x scripts/services/fetch.sh ]]; then scripts/services/fetch.sh; fi
if [[ -x scripts/fetch-open62541.sh ]]; then scripts/fetch-open62541.sh; fi
