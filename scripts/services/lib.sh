# shellcheck shell=bash
# Shared helpers for the test-service scripts (fetch.sh, up.sh, down.sh, kafka-broker.sh).
# Sourced, never run. Layout of one running set of services, under $SF_SERVICES_DIR:
#   services.env                 the env file up.sh wrote (also copied to the caller's path)
#   logs/                        every service's log; kept by down.sh
#   kafka/<cluster>/node-<id>/   server.properties, data/, pid   (cluster: single | cluster3)
#   mosquitto/                   mosquitto.conf, certs/, data/, pid
#   postgres/                    data/, run/ (unix socket), superuser password

SF_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SF_REPO_DIR="$(cd "$SF_SCRIPTS_DIR/../.." && pwd)"

# Kafka 4.1.1: see docs/SERVICES.md ("Why this Kafka version") before changing it.
SF_KAFKA_VERSION="${SF_KAFKA_VERSION:-4.1.1}"
SF_KAFKA_HEAP="${SF_KAFKA_HEAP:--Xms128m -Xmx384m}"
SF_PG_BIN="${SF_PG_BIN:-/usr/lib/postgresql/15/bin}"

sf_log() { echo "[services] $*" >&2; }

# Starts "$@" in the background in a session of its own (signals to the caller's process group
# do not reach it), stdout and stderr appended to LOG, stdin from /dev/null, and writes the
# command's own pid to PIDFILE. `$!` is not that pid when setsid has to fork (it does when the
# caller is a process group leader), so the command writes its pid before it execs.
# Usage: sf_launch PIDFILE LOG COMMAND [ARG...]; returns once PIDFILE is written.
sf_launch() {
  local pidfile="$1" log="$2" i
  shift 2
  rm -f "$pidfile"
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" \
    >>"$log" 2>&1 </dev/null &
  for ((i = 0; i < 250; i++)); do
    [[ -s "$pidfile" ]] && return 0
    sleep 0.02
  done
  sf_log "no pid from $1 after 5 s"
  return 1
}
sf_die() {
  echo "[services] ERROR: $*" >&2
  exit 1
}

sf_cache_dir() { echo "${SF_CACHE_DIR:-$HOME/.cache/streamforge}"; }
sf_kafka_home() { echo "$(sf_cache_dir)/kafka-$SF_KAFKA_VERSION"; }

# Prints N distinct free loopback TCP ports, one per line. They are drawn at random from below
# the kernel's ephemeral range: a port from inside it (what binding port 0 gives) can be taken
# as the source port of an outgoing connection, e.g. one broker dialling another, before the
# service meant to listen on it has started. All candidates stay bound until all are chosen,
# so one call never returns a port twice; two concurrent runs collide only by chance among
# ~20000 ports (and then the later one fails to start instead of talking to the wrong server).
sf_free_ports() {
  python3 - "$1" <<'EOF'
import random, socket, sys
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        ephemeral_low = int(f.read().split()[0])
except OSError:
    ephemeral_low = 32768
low, high = 10000, max(ephemeral_low - 1, 20000)
want, socks, ports = int(sys.argv[1]), [], []
for port in random.sample(range(low, high + 1), min(2000, high - low + 1)):
    if len(ports) == want:
        break
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    socks.append(s)
    ports.append(port)
print("\n".join(map(str, ports)))
EOF
}

# True while PID runs and its command line contains MARKER (guards against PID reuse).
# A zombie counts as exited: PID 1 on some sandboxes does not reap orphans.
sf_pid_alive() {
  local pid="$1" marker="$2" stat=""
  [[ -n "$pid" ]] || return 1
  # Cheap on purpose (one fork at most): stop loops poll it ten times a second per process.
  read -r stat 2>/dev/null <"/proc/$pid/stat" || return 1
  stat="${stat##*) }"
  [[ -n "$stat" && "${stat:0:1}" != Z ]] || return 1
  [[ -z "$marker" ]] && return 0
  grep -qaF -- "$marker" "/proc/$pid/cmdline" 2>/dev/null
}

# Sends SIGNAL to the process in PIDFILE and waits up to TIMEOUT seconds for it to exit, then
# kills it. Returns 0 when nothing is left running (also when it was not running at all).
sf_stop_pidfile() {
  local pidfile="$1" marker="$2" signal="${3:-TERM}" timeout="${4:-30}" pid i
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if sf_pid_alive "$pid" "$marker"; then
    kill "-$signal" "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
      sf_pid_alive "$pid" "$marker" || break
      sleep 0.1
    done
    if sf_pid_alive "$pid" "$marker"; then
      sf_log "pid $pid ($marker) still running ${timeout}s after SIG$signal, killing it"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        sf_pid_alive "$pid" "$marker" || break
        sleep 0.1
      done
    fi
  fi
  rm -f "$pidfile"
}

# Reads KEY from an env file written by up.sh (no sourcing: the file is data).
sf_env_get() {
  local file="$1" key="$2"
  sed -n "s/^${key}=//p" "$file" | tail -n 1 | sed 's/^"\(.*\)"$/\1/'
}

# Locates the services directory from an argument (a directory or an env file), from
# $SF_SERVICES_DIR, or from the newest env file build/services.env or build/*/services.env
# (where `make test` has scripts/test.sh write it).
sf_resolve_services_dir() {
  local arg="${1:-}"
  if [[ -n "$arg" && -d "$arg" ]]; then
    echo "$arg"
  elif [[ -n "$arg" && -f "$arg" ]]; then
    sf_env_get "$arg" SF_SERVICES_DIR
  elif [[ -n "$arg" ]]; then
    return 1
  elif [[ -n "${SF_SERVICES_DIR:-}" ]]; then
    echo "$SF_SERVICES_DIR"
  else
    local newest
    # shellcheck disable=SC2012 # our own paths, no odd characters
    newest="$(ls -t "$SF_REPO_DIR"/build/services.env "$SF_REPO_DIR"/build/*/services.env \
      2>/dev/null | head -n 1)"
    [[ -n "$newest" ]] || return 1
    sf_env_get "$newest" SF_SERVICES_DIR
  fi
}

# ---------------------------------------------------------------------------------------------
# Kafka

# A throwaway CA and a server certificate for 127.0.0.1/localhost in DIR: ca.crt, ca.key,
# server.key (PKCS#8), server.crt, and server.pem (key + certificate, a PEM keystore for Kafka).
#   sf_make_test_certs DIR >>LOG 2>&1
sf_make_test_certs() {
  (
    cd "$1"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj "/CN=StreamForge test CA" -keyout ca.key -out ca.crt
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj "/CN=localhost" -keyout server.key -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile san.ext -out server.crt
    cat server.key server.crt >server.pem
    chmod 600 ca.key server.key server.pem
  )
}

sf_kafka_node_dir() { echo "$SF_SERVICES_DIR/kafka/$1/node-$2"; }
sf_kafka_log() { echo "$SF_SERVICES_DIR/logs/kafka-$1-$2.log"; }

# The JVM options keep four brokers small and quick to start on two cores: a small heap, the
# serial collector and C1 only (the tests move little data; start-up CPU matters more). A
# benchmark wanting full broker speed sets SF_KAFKA_JVM_OPTS (e.g. "-XX:+UseG1GC").
sf_kafka_java_opts() {
  echo "$SF_KAFKA_HEAP ${SF_KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1}" \
    "-XX:+ExitOnOutOfMemoryError" \
    "-Djava.awt.headless=true -Dlog4j2.configurationFile=$SF_SCRIPTS_DIR/kafka/log4j2.properties"
}

# Writes server.properties for one combined broker+controller node.
#   sf_kafka_write_config CLUSTER NODE BROKER_PORT VOTERS REPLICATION MIN_ISR CONTROLLER_PORT \
#                         [SASL_SSL_PORT CERT_DIR SASL_USER SASL_PASSWORD]
# With SASL_SSL_PORT, a third listener takes SASL_SSL: TLS with CERT_DIR/server.pem, and the user
# SASL_USER with SASL_PASSWORD for PLAIN (and for SCRAM-SHA-256 when sf_kafka_format is given the
# matching --add-scram).
sf_kafka_write_config() {
  local cluster="$1" node="$2" port="$3" voters="$4" rf="$5" min_isr="$6" cport="$7"
  local sasl_port="${8:-}" certs="${9:-}" sasl_user="${10:-}" sasl_password="${11:-}"
  local dir listeners advertised map
  dir="$(sf_kafka_node_dir "$cluster" "$node")"
  mkdir -p "$dir/data"
  listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
  advertised="PLAINTEXT://127.0.0.1:$port"
  map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [[ -n "$sasl_port" ]]; then
    listeners+=",SASL_SSL://127.0.0.1:$sasl_port"
    advertised+=",SASL_SSL://127.0.0.1:$sasl_port"
    map+=",SASL_SSL:SASL_SSL"
  fi
  cat >"$dir/server.properties" <<EOF
# Generated by scripts/services/up.sh: throwaway test broker ($cluster, node $node).
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
listeners=$listeners
advertised.listeners=$advertised
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=$map
log.dirs=$dir/data
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$min_isr
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$min_isr
group.initial.rebalance.delay.ms=0
# Small-machine sizing: few threads, and a log-cleaner buffer that fits the small heap.
num.network.threads=2
num.io.threads=4
background.threads=2
num.replica.fetchers=1
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=8388608
# Notice a killed broker within seconds, not the default 9 s.
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000
EOF
  if [[ -n "$sasl_port" ]]; then
    cat >>"$dir/server.properties" <<EOF
# Clients on SASL_SSL: TLS (the test CA's server certificate) and a password, by PLAIN or
# SCRAM-SHA-256 (librdkafka before 2.6.1 fails SCRAM against Kafka 4: docs/FORWARDER.md).
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$sasl_user="$sasl_password";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$certs/server.pem
EOF
  fi
  chmod 600 "$dir/server.properties"
  echo "$SF_KAFKA_HOME_DIR" >"$dir/kafka-home"
}

# Formats the node's storage for cluster id CID (no-op when already formatted).
#   sf_kafka_format CLUSTER NODE CLUSTER_ID [STORAGE TOOL OPTIONS, e.g. --add-scram ...]
sf_kafka_format() {
  local cluster="$1" node="$2" cid="$3" dir
  shift 3
  dir="$(sf_kafka_node_dir "$cluster" "$node")"
  # shellcheck disable=SC2046
  java $(sf_kafka_java_opts) -cp "$(cat "$dir/kafka-home")/libs/*" kafka.tools.StorageTool \
    format -t "$cid" -c "$dir/server.properties" --ignore-formatted "$@" \
    >>"$(sf_kafka_log "$cluster" "$node")" 2>&1
}

# Starts the node in the background, detached from the caller's session, without waiting.
sf_kafka_launch() {
  local cluster="$1" node="$2" dir log
  dir="$(sf_kafka_node_dir "$cluster" "$node")"
  log="$(sf_kafka_log "$cluster" "$node")"
  if sf_pid_alive "$(cat "$dir/pid" 2>/dev/null)" "$dir/server.properties"; then
    sf_log "kafka $cluster node $node already running"
    return 0
  fi
  echo "=== $(date -Is) starting kafka $cluster node $node" >>"$log"
  # shellcheck disable=SC2046
  sf_launch "$dir/pid" "$log" java $(sf_kafka_java_opts) -cp "$(cat "$dir/kafka-home")/libs/*" \
    kafka.Kafka "$dir/server.properties"
}

# All node ids of a cluster, from its directory.
sf_kafka_nodes() {
  local d
  for d in "$SF_SERVICES_DIR/kafka/$1"/node-*; do
    [[ -d "$d" ]] && echo "${d##*/node-}"
  done
}

sf_kafka_node_alive() {
  local dir
  dir="$(sf_kafka_node_dir "$1" "$2")"
  sf_pid_alive "$(cat "$dir/pid" 2>/dev/null)" "$dir/server.properties"
}

sf_kafka_node_port() {
  sed -n 's|^advertised.listeners=PLAINTEXT://127.0.0.1:||p' \
    "$(sf_kafka_node_dir "$1" "$2")/server.properties"
}

# Waits until the node answers a Metadata request listing every live node of its cluster and,
# when all nodes are up, until every partition is fully in sync again.
sf_kafka_wait_ready() {
  local cluster="$1" node="$2" timeout="${3:-120}" live=0 total=0 n isr=() pids=""
  for n in $(sf_kafka_nodes "$cluster"); do
    total=$((total + 1))
    if sf_kafka_node_alive "$cluster" "$n"; then
      live=$((live + 1))
      pids+="${pids:+,}$(cat "$(sf_kafka_node_dir "$cluster" "$n")/pid")"
    fi
  done
  [[ $live -eq $total ]] && isr=(--full-isr)
  local probe_out rc=0
  probe_out="$(python3 "$SF_SCRIPTS_DIR/kafka_probe.py" "127.0.0.1:$(sf_kafka_node_port "$cluster" "$node")" \
    --brokers "$live" "${isr[@]}" --timeout "$timeout" --pids "$pids" 2>&1)" || rc=$?
  if [[ $rc -ne 0 ]]; then
    sf_log "$probe_out"
    for n in $(sf_kafka_nodes "$cluster"); do
      if [[ -f "$(sf_kafka_node_dir "$cluster" "$n")/pid" ]] && ! sf_kafka_node_alive "$cluster" "$n"; then
        sf_log "kafka $cluster node $n exited; last lines of $(sf_kafka_log "$cluster" "$n"):"
        grep -E 'ERROR|FATAL|Exception' "$(sf_kafka_log "$cluster" "$n")" | tail -n 15 >&2
      fi
    done
    return 1
  fi
}

# Stops one node: SIGTERM (controlled shutdown) or SIGKILL (a crash).
sf_kafka_stop_node() {
  local cluster="$1" node="$2" signal="${3:-TERM}" timeout="${4:-60}" dir
  dir="$(sf_kafka_node_dir "$cluster" "$node")"
  [[ -d "$dir" ]] || sf_die "no kafka node $cluster/$node under $SF_SERVICES_DIR"
  echo "=== $(date -Is) SIG$signal to kafka $cluster node $node" >>"$(sf_kafka_log "$cluster" "$node")"
  sf_stop_pidfile "$dir/pid" "$dir/server.properties" "$signal" "$timeout"
}
