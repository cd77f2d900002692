#!/usr/bin/env bash
# Builds rdkafka_performance, librdkafka's own producer benchmark, for forwarder_bench's
# side-by-side row (--rdkafka-performance PATH). Debian 12 ships librdkafka 2.0.2 without the
# tool, so the source comes from the rdkafka-sys crate (which bundles librdkafka's full C source)
# through cargo; librdkafka's dependencies come from Debian. The tool links the librdkafka built
# here statically, never Debian's shared library.
#
# Usage: bench/forwarder/rdkafka-performance.sh      e.g. bin=$(bench/forwarder/rdkafka-performance.sh)
# Prints only the binary's absolute path on stdout; progress goes to stderr. The binary is cached
# under ${XDG_CACHE_HOME:-$HOME/.cache}/streamforge/rdkafka-performance-<librdkafka version>/, so
# a second run only prints the path. Builds in a temporary directory, never in the repository;
# installs missing Debian packages with apt-get (as root, no standard input).
set -euo pipefail

# rdkafka-sys 4.10.0 bundles librdkafka 2.12.1 (the crate version's build metadata says which).
RDKAFKA_SYS_VERSION="4.10.0+2.12.1"
LIBRDKAFKA_VERSION="${RDKAFKA_SYS_VERSION#*+}"

cache="${XDG_CACHE_HOME:-$HOME/.cache}/streamforge/rdkafka-performance-$LIBRDKAFKA_VERSION"
bin="$cache/rdkafka_performance"
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

# From here on stdout is the caller's result: everything else goes to stderr.
exec 3>&1 1>&2
log() { echo "[rdkafka-performance] $*" >&2; }
die() {
  echo "[rdkafka-performance] ERROR: $*" >&2
  exit 1
}

# Debian packages: the toolchain and librdkafka's compression, TLS and SASL libraries.
packages=(build-essential pkg-config python3 zlib1g-dev libzstd-dev liblz4-dev libssl-dev
  libsasl2-dev)
command -v cargo >/dev/null || packages+=(cargo)
# shellcheck source=../../scripts/lib/debian.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/debian.sh"
mapfile -t missing < <(sf_missing_debs "${packages[@]}")
if ((${#missing[@]})); then
  ((EUID == 0)) || die "missing Debian packages; as root: apt-get install ${missing[*]}"
  log "installing ${missing[*]}"
  sf_apt_install "${missing[@]}"
fi

start=$SECONDS
work="$(mktemp -d "${TMPDIR:-/tmp}/sf-rdkafka-performance.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The crate's source through cargo: a throwaway project that depends on exactly that version.
# Without default features it needs no optional crates; `cargo fetch` only downloads and unpacks.
log "fetching rdkafka-sys $RDKAFKA_SYS_VERSION with cargo"
mkdir "$work/fetch"
cat >"$work/fetch/Cargo.toml" <<EOF
[package]
name = "sf-rdkafka-performance-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
path = "lib.rs"

[dependencies]
rdkafka-sys = { version = "=${RDKAFKA_SYS_VERSION%%+*}", default-features = false }
EOF
touch "$work/fetch/lib.rs"
(cd "$work/fetch" && cargo fetch --quiet)
crate_dir="$(cd "$work/fetch" && cargo metadata --offline --quiet --format-version 1 |
  python3 -c '
import json, os, sys
want = sys.argv[1]
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "rdkafka-sys" and p["version"] == want:
        print(os.path.dirname(p["manifest_path"]))
' "$RDKAFKA_SYS_VERSION")"
[[ -n "$crate_dir" && -f "$crate_dir/librdkafka/configure" ]] ||
  die "cargo did not give rdkafka-sys $RDKAFKA_SYS_VERSION with its librdkafka source"

# Build in a copy: cargo's unpacked sources are shared with every other project.
src="$work/librdkafka"
cp -R "$crate_dir/librdkafka" "$src"
chmod -R u+w "$src"
hex="$(sed -n 's/^#define RD_KAFKA_VERSION *0x\([0-9a-f]*\).*/\1/p' "$src/src/rdkafka.h")"
[[ "$((16#${hex:0:2})).$((16#${hex:2:2})).$((16#${hex:4:2}))" == "$LIBRDKAFKA_VERSION" ]] ||
  die "rdkafka-sys $RDKAFKA_SYS_VERSION holds librdkafka 0x$hex, not $LIBRDKAFKA_VERSION"

# Nothing is downloaded: no --install-deps (it fetches dependency sources), --no-download (mklove
# modules), the libraries required from Debian (configure fails rather than falls back), and no
# libcurl (only the OIDC and HTTP features use it, never the producer benchmark).
log "building librdkafka $LIBRDKAFKA_VERSION in $src"
(
  cd "$src"
  ./configure --no-download --disable-curl --enable-zlib --enable-zstd --enable-lz4-ext \
    --enable-ssl --enable-gssapi
  make -j2 -C src librdkafka.a
  make -j2 -C examples rdkafka_performance
)
built="$src/examples/rdkafka_performance"
[[ -x "$built" ]] || die "no $built after the build"
if ldd "$built" | grep -q librdkafka; then die "$built links a shared librdkafka"; fi
usage="$("$built" 2>&1 || true)"
grep -q "librdkafka version $LIBRDKAFKA_VERSION" <<<"$usage" ||
  die "$built does not report librdkafka $LIBRDKAFKA_VERSION"

mkdir -p "$cache"
install -m 755 "$built" "$bin.tmp.$$"
mv -f "$bin.tmp.$$" "$bin"
log "built $bin in $((SECONDS - start)) s"
echo "$bin" >&3
