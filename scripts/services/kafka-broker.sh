#!/usr/bin/env bash
# Stops or starts Kafka nodes started by up.sh, for outage tests.
#
# Usage: kafka-broker.sh {stop|kill|start|restart|status} {single|cluster3} [NODE|all]
#   stop     SIGTERM: controlled shutdown (leadership moves away first); waits for the exit
#   kill     SIGKILL: a crash; waits for the exit
#   start    starts the node again on the same ports and data; waits until it answers a
#            Metadata request listing every running node of its cluster and, when all nodes
#            run, until every partition is fully in sync again
#   restart  stop + start
#   status   prints "NODE running|stopped" for each node
# NODE defaults to all nodes of the cluster ("single" has one node, id 1; "cluster3" has 1-3).
# Finds the services through $SF_SERVICES_DIR (exported by `make test`) or build/services.env.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sf_die "usage: kafka-broker.sh {stop|kill|start|restart|status} {single|cluster3} [NODE|all]"; }
[[ $# -ge 2 ]] || usage
action="$1" cluster="$2" which="${3:-all}"
case "$cluster" in single | cluster3) ;; *) usage ;; esac

if ! SF_SERVICES_DIR="$(sf_resolve_services_dir "")" || [[ ! -d "$SF_SERVICES_DIR" ]]; then
  sf_die "services not found: set SF_SERVICES_DIR or run scripts/services/up.sh first"
fi
export SF_SERVICES_DIR

if [[ "$which" == all ]]; then
  mapfile -t nodes < <(sf_kafka_nodes "$cluster")
else
  nodes=("$which")
fi
[[ ${#nodes[@]} -gt 0 ]] || sf_die "cluster $cluster was not started in $SF_SERVICES_DIR"
for n in "${nodes[@]}"; do
  [[ -d "$(sf_kafka_node_dir "$cluster" "$n")" ]] || sf_die "no node $n in cluster $cluster"
done

start_nodes() {
  local n
  for n in "${nodes[@]}"; do sf_kafka_launch "$cluster" "$n"; done
  for n in "${nodes[@]}"; do
    sf_kafka_wait_ready "$cluster" "$n" "${SF_KAFKA_START_TIMEOUT:-180}" ||
      sf_die "kafka $cluster node $n did not become ready"
  done
  sf_log "kafka $cluster node(s) ${nodes[*]} running"
}

stop_nodes() {
  local signal="$1" n pids=()
  for n in "${nodes[@]}"; do
    sf_kafka_stop_node "$cluster" "$n" "$signal" 60 &
    pids+=($!)
  done
  for n in "${pids[@]}"; do wait "$n"; done
  sf_log "kafka $cluster node(s) ${nodes[*]} stopped (SIG$signal)"
}

case "$action" in
  stop) stop_nodes TERM ;;
  kill) stop_nodes KILL ;;
  start) start_nodes ;;
  restart)
    stop_nodes TERM
    start_nodes
    ;;
  status)
    for n in "${nodes[@]}"; do
      if sf_kafka_node_alive "$cluster" "$n"; then echo "$n running"; else echo "$n stopped"; fi
    done
    ;;
  *) usage ;;
esac
