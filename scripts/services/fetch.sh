#!/usr/bin/env bash
# Resolves Apache Kafka (broker + tools, KRaft mode) from Maven Central with Maven and caches
# the runtime jars in ${SF_CACHE_DIR:-$HOME/.cache/streamforge}/kafka-<version>/libs.
# Idempotent: a second call with the same version and pom is a fast no-op.
# Needs: java (17+), mvn, python3. Works without stdin, as root, with CI=true.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pom="$SF_SCRIPTS_DIR/kafka/pom.xml"
home="$(sf_kafka_home)"
# The stamp ties the cache to the exact dependency list: editing the pom re-resolves.
stamp="$SF_KAFKA_VERSION $(sha256sum "$pom" | cut -c1-16)"

if [[ -f "$home/.complete" && "$(cat "$home/.complete")" == "$stamp" ]]; then
  echo "[services] kafka $SF_KAFKA_VERSION already fetched in $home"
  exit 0
fi

command -v java >/dev/null || sf_die "java not found (Debian: openjdk-17-jre-headless)"
command -v mvn >/dev/null || sf_die "mvn not found (Debian: maven)"
command -v python3 >/dev/null || sf_die "python3 not found"

sf_log "resolving kafka $SF_KAFKA_VERSION with maven into $home"
mkdir -p "$(dirname "$home")"
tmp="$(mktemp -d "$(dirname "$home")/.kafka-$SF_KAFKA_VERSION.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
(
  cd "$tmp"
  mvn -B -q -ntp -Dstyle.color=never -f "$pom" -Dkafka.version="$SF_KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/libs" </dev/null 2>&1 |
    sed 's/\x1b\[[0-9;]*m//g' # maven -q still prints bare colour resets
)
[[ -f "$tmp/libs/kafka_2.13-$SF_KAFKA_VERSION.jar" ]] || sf_die "maven did not produce kafka_2.13-$SF_KAFKA_VERSION.jar"
echo "$stamp" >"$tmp/.complete"
rm -rf "$home"
mv "$tmp" "$home"
trap - EXIT
sf_log "kafka $SF_KAFKA_VERSION ready: $(find "$home/libs" -name '*.jar' | wc -l) jars in $home/libs"
