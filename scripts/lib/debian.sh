# Debian packages for the project's scripts (sourced, not run): what is missing, and installing
# it without questions. scripts/install-deps.sh and bench/forwarder/rdkafka-performance.sh use it.

# Prints, one per line, the packages of "$@" that are not installed.
sf_missing_debs() {
  local p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      echo "$p"
    fi
  done
}

# Installs "$@" (as root, no standard input, no recommended extras).
sf_apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}
