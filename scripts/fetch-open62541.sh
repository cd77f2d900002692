#!/usr/bin/env bash
# Fetch the open62541 C source into the StreamForge cache, for builds with SF_WITH_OPCUA=ON.
#
# Debian 12 packages no open62541, and this project reaches only package registries. The Rust
# crate `open62541-sys` ships the complete C source of one pinned open62541 release (its git
# submodule, copied into the crate), so cargo fetches that crate at an exact version, the
# checksum is checked against the one pinned here, and the `open62541/` folder is extracted to
#   ${SF_CACHE_DIR:-$HOME/.cache/streamforge}/open62541-<version>/
# cmake/SfOpen62541.cmake builds it from there. Nothing third-party enters the repository.
#
# Idempotent: returns at once when the cache already holds this version. Non-interactive (CI=true,
# no stdin, root are fine). Needs cargo, tar, sha256sum. See docs/OPCUA.md.
#
# Usage: scripts/fetch-open62541.sh [--print-dir] [--force]
#   --print-dir  print the source directory on stdout (and nothing else there)
#   --force      re-fetch even when the cache looks complete
set -euo pipefail

# Pinned together: bump all three at once (and SF_OPEN62541_VERSION in cmake/SfOpen62541.cmake).
readonly CRATE_NAME="open62541-sys"
readonly CRATE_VERSION="0.6.6"
readonly CRATE_SHA256="12fe6cb894630ce8b6d7f15c6c6ed7f457310d6cd318d563252e755a0fd4990e"
readonly OPEN62541_VERSION="1.5.10"

print_dir=0
force=0
for arg in "$@"; do
  case "${arg}" in
    --print-dir) print_dir=1 ;;
    --force) force=1 ;;
    -h | --help)
      sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "fetch-open62541: unknown argument '${arg}'" >&2
      exit 2
      ;;
  esac
done

log() { echo "fetch-open62541: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

cache_dir="${SF_CACHE_DIR:-${HOME:?HOME is not set}/.cache/streamforge}"
dest="${cache_dir}/open62541-${OPEN62541_VERSION}"
stamp="${dest}/.sf-fetch-stamp"
stamp_text="${CRATE_NAME} ${CRATE_VERSION} sha256:${CRATE_SHA256} open62541 ${OPEN62541_VERSION}"

done_ok() {
  if ((print_dir)); then
    echo "${dest}"
  fi
  exit 0
}

# Fast path: a complete extraction is marked by a stamp written last.
if ((!force)) && [[ -f "${stamp}" && "$(cat "${stamp}")" == "${stamp_text}" ]]; then
  done_ok
fi

for tool in cargo tar sha256sum; do
  command -v "${tool}" >/dev/null 2>&1 || die "'${tool}' not found"
done
# The crate's manifest is edition 2024 (cargo >= 1.85), and the registry is reached through its
# sparse index (cargo >= 1.68). Debian 12's own cargo package (0.66) is too old: use rustup's.
cargo_ver="$(cargo --version </dev/null | awk '{print $2}')"
IFS=. read -r cargo_major cargo_minor _ <<<"${cargo_ver}"
if ((cargo_major < 1 || (cargo_major == 1 && cargo_minor < 85))); then
  die "cargo ${cargo_ver} is too old, need >= 1.85 (rustup's stable toolchain)"
fi

mkdir -p "${cache_dir}"
# One fetch at a time per cache (parallel CI jobs, a developer running it twice).
exec 9>"${cache_dir}/.open62541.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
# Another process may have finished while we waited for the lock.
if ((!force)) && [[ -f "${stamp}" && "$(cat "${stamp}")" == "${stamp_text}" ]]; then
  done_ok
fi

work="$(mktemp -d "${cache_dir}/.open62541-fetch.XXXXXX")"
trap 'rm -rf "${work}"' EXIT

# A throwaway Cargo project that depends on exactly this crate version: `cargo fetch` resolves it
# through the ordinary crate registry client, verifies the registry checksum and leaves the
# .crate archive in cargo's download cache. Cargo also fetches the crate's own build dependencies
# (bindgen, cc, …): a few MB, never built.
mkdir -p "${work}/proj/src"
cat >"${work}/proj/Cargo.toml" <<EOF
[package]
name = "sf-open62541-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
path = "src/lib.rs"

[dependencies]
${CRATE_NAME} = "=${CRATE_VERSION}"
EOF
: >"${work}/proj/src/lib.rs"

log "fetching crate ${CRATE_NAME} ${CRATE_VERSION} (open62541 ${OPEN62541_VERSION}) with cargo"
export CARGO_TERM_PROGRESS_WHEN=never CARGO_TERM_COLOR=never
# From cargo's own cache first (no network), then from the registry.
if ! (cd "${work}/proj" && cargo fetch --offline --quiet </dev/null >/dev/null 2>&1); then
  (cd "${work}/proj" && cargo fetch </dev/null >&2) ||
    die "cargo fetch of ${CRATE_NAME} ${CRATE_VERSION} failed (is the crate registry reachable?)"
fi

# Cross-check the checksum cargo recorded with the one pinned here.
lock_sum="$(awk -v n="${CRATE_NAME}" -v v="${CRATE_VERSION}" '
  $0 == "name = \"" n "\"" { hit = 1; next }
  hit && $0 == "version = \"" v "\"" { ver = 1; next }
  hit && ver && $1 == "checksum" { gsub(/"/, "", $3); print $3; exit }
  /^\[\[package\]\]/ { hit = 0; ver = 0 }' "${work}/proj/Cargo.lock")"
[[ "${lock_sum}" == "${CRATE_SHA256}" ]] ||
  die "checksum mismatch for ${CRATE_NAME} ${CRATE_VERSION}: registry says '${lock_sum}', pinned '${CRATE_SHA256}'"

cargo_home="${CARGO_HOME:-${HOME}/.cargo}"
crate_file=""
for candidate in "${cargo_home}"/registry/cache/*/"${CRATE_NAME}-${CRATE_VERSION}.crate"; do
  if [[ -f "${candidate}" ]] &&
    [[ "$(sha256sum "${candidate}" | cut -d' ' -f1)" == "${CRATE_SHA256}" ]]; then
    crate_file="${candidate}"
    break
  fi
done
[[ -n "${crate_file}" ]] ||
  die "cargo fetched ${CRATE_NAME} ${CRATE_VERSION} but no matching .crate file is under ${cargo_home}/registry/cache"

# Extract only the open62541 tree (and the licence text the crate ships for it).
top="${CRATE_NAME}-${CRATE_VERSION}"
tar -xzf "${crate_file}" -C "${work}" "${top}/open62541" "${top}/LICENSES"
[[ -f "${work}/${top}/open62541/CMakeLists.txt" ]] || die "crate has no open62541/CMakeLists.txt"
IFS=. read -r want_major want_minor want_patch <<<"${OPEN62541_VERSION}"
for part in "MAJOR ${want_major}" "MINOR ${want_minor}" "PATCH ${want_patch}"; do
  grep -q "^set(OPEN62541_VER_${part% *} ${part#* })" "${work}/${top}/open62541/CMakeLists.txt" ||
    die "crate ${CRATE_VERSION} does not carry open62541 ${OPEN62541_VERSION}"
done

staged="${work}/${top}/open62541"
cp "${work}/${top}/LICENSES/MPL-2.0.txt" "${staged}/LICENSE"
cat >"${staged}/SOURCE.streamforge" <<EOF
open62541 ${OPEN62541_VERSION}, MPL-2.0.
Extracted by scripts/fetch-open62541.sh from the Rust crate ${CRATE_NAME} ${CRATE_VERSION}
(sha256 ${CRATE_SHA256}), folder open62541/.
EOF
echo "${stamp_text}" >"${staged}/.sf-fetch-stamp"

# Swap in atomically (same file system): a reader sees the old tree or the complete new one.
if [[ -e "${dest}" ]]; then
  mv "${dest}" "${work}/old"
fi
mv "${staged}" "${dest}"
log "open62541 ${OPEN62541_VERSION} source ready in ${dest}"
done_ok
