#!/usr/bin/env bash
# Stops every service that up.sh started and deletes their data; keeps the logs.
# Idempotent: services already stopped (or a directory already cleaned) are fine.
#
# Usage: down.sh [ENVFILE | SERVICES_DIR]
#   without an argument: $SF_SERVICES_DIR, else the env file build/services.env of this repo.
#   SF_KEEP_DATA=1 keeps the data directories too (for a post-mortem).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! SF_SERVICES_DIR="$(sf_resolve_services_dir "${1:-}")" || [[ -z "$SF_SERVICES_DIR" ]]; then
  sf_log "no services to stop (no env file or SF_SERVICES_DIR found${1:+ for $1})"
  exit 0
fi
if [[ ! -d "$SF_SERVICES_DIR" ]]; then
  sf_log "$SF_SERVICES_DIR is gone; nothing to stop"
  exit 0
fi
export SF_SERVICES_DIR

# Kafka: SIGTERM every node at once. The last node of a cluster whose nodes all leave together
# has lost its controller quorum and waits in vain to finish its controlled shutdown, so a
# cluster node still running after 2 s is killed; its data is thrown away anyway.
pids=()
for cluster in single cluster3; do
  grace=5
  [[ $cluster == cluster3 ]] && grace=2
  for node in $(sf_kafka_nodes "$cluster"); do
    if sf_kafka_node_alive "$cluster" "$node"; then
      sf_kafka_stop_node "$cluster" "$node" TERM "$grace" &
      pids+=($!)
    fi
  done
done

mq="$SF_SERVICES_DIR/mosquitto"
if [[ -f "$mq/pid" ]]; then
  sf_stop_pidfile "$mq/pid" "$mq/mosquitto.conf" TERM 10 &
  pids+=($!)
fi

pg="$SF_SERVICES_DIR/postgres"
if [[ -f "$pg/data/postmaster.pid" ]]; then
  (
    pg_pid="$(head -n 1 "$pg/data/postmaster.pid")"
    if sf_pid_alive "$pg_pid" "$pg/data"; then
      # The postmaster exits on SIGINT after a fast shutdown; no need to become its user.
      echo "$pg_pid" >"$pg/postmaster.stop"
      sf_stop_pidfile "$pg/postmaster.stop" "$pg/data" INT 30
    fi
  ) &
  pids+=($!)
fi

rc=0
for pid in "${pids[@]}"; do
  wait "$pid" || rc=1
done

if [[ "${SF_KEEP_DATA:-0}" != 1 ]]; then
  for d in "$SF_SERVICES_DIR"/kafka/*/node-*/data "$mq/data" "$pg/data"; do
    [[ -d "$d" ]] && rm -rf "$d"
  done
fi
sf_log "services stopped; logs kept in $SF_SERVICES_DIR/logs"
exit $rc
