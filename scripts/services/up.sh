#!/usr/bin/env bash
# Starts throwaway test services on loopback, on free ports, with their data in a fresh temp
# directory, and writes ENVFILE (KEY=value lines) describing them:
#   kafka    single-node Kafka, KRaft combined broker+controller    SF_KAFKA_BOOTSTRAP, and a
#            SASL_SSL listener (test CA; a user with a random          SF_KAFKA_SASL_SSL_BOOTSTRAP,
#            password, PLAIN and SCRAM-SHA-256)                        SF_KAFKA_CA_FILE, ...
#   kafka3   3-node Kafka cluster (RF 3, min.insync.replicas 2)     SF_KAFKA3_BOOTSTRAP, SF_KAFKA3_BROKERS
#   mqtt     Mosquitto, plain and TLS listeners                      SF_MQTT_HOST, SF_MQTT_PORT, ...
#   pg       PostgreSQL 15 cluster with a password-protected user    SF_PG_DSN, ...
# plus SF_SERVICES_DIR (state, data, logs) and SF_SERVICES_SCRIPTS (this folder).
#
# Usage: up.sh ENVFILE [SERVICE...]     (default: all four; stop with down.sh ENVFILE)
# Everything starts in parallel; up.sh returns once every service answers a real request.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 ]] || sf_die "usage: up.sh ENVFILE [kafka] [kafka3] [mqtt] [pg]"
envfile="$1"
shift
services=("$@")
[[ ${#services[@]} -gt 0 ]] || services=(kafka kafka3 mqtt pg)
for s in "${services[@]}"; do
  case "$s" in kafka | kafka3 | mqtt | pg) ;; *) sf_die "unknown service '$s'" ;; esac
done
wants() { [[ " ${services[*]} " == *" $1 "* ]]; }

start_time=$(date +%s)
SF_SERVICES_DIR="$(mktemp -d "${SF_SERVICES_TMP:-${TMPDIR:-/tmp}}/sf-services.XXXXXX")"
export SF_SERVICES_DIR
# PostgreSQL runs as an unprivileged user and must be able to reach its own directory.
chmod 755 "$SF_SERVICES_DIR"
mkdir -p "$SF_SERVICES_DIR/logs" "$SF_SERVICES_DIR/env.d"
sf_log "starting ${services[*]} in $SF_SERVICES_DIR"

if wants kafka || wants kafka3; then
  SF_KAFKA_HOME_DIR="$(sf_kafka_home)"
  [[ -f "$SF_KAFKA_HOME_DIR/.complete" ]] || "$SF_SCRIPTS_DIR/fetch.sh"
  command -v java >/dev/null || sf_die "java not found"
fi

# 2 ports for the single broker, 6 for the cluster, 2 for mosquitto, 1 for postgres, 1 for the
# single broker's SASL_SSL listener.
mapfile -t ports < <(sf_free_ports 12)
[[ ${#ports[@]} -eq 12 ]] || sf_die "could not find free ports"

# A KRaft cluster id (base64url of a UUID). One that starts with '-' would be taken for an option
# by kafka-storage's argument parser (1 in 64 ids): draw again.
new_cluster_id() {
  python3 -c '
import base64, uuid
while True:
    cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not cid.startswith("-"):
        print(cid)
        break
'
}

# ---------------------------------------------------------------------------------------------
up_kafka() {
  local cid certs="$SF_SERVICES_DIR/kafka/certs" password i
  local log="$SF_SERVICES_DIR/logs/kafka-certs.log"
  cid="$(new_cluster_id)"
  # The SASL_SSL listener's user: no default password, a fresh random one per run.
  password="$(python3 -c 'import secrets;print(secrets.token_hex(16))')"
  mkdir -p "$certs"
  sf_make_test_certs "$certs" >>"$log" 2>&1 || sf_die "openssl failed for kafka (see $log)"
  sf_kafka_write_config single 1 "${ports[0]}" "1@127.0.0.1:${ports[1]}" 1 1 "${ports[1]}" \
    "${ports[11]}" "$certs" sftest "$password"
  sf_kafka_format single 1 "$cid" --add-scram "SCRAM-SHA-256=[name=sftest,password=$password]"
  sf_kafka_launch single 1
  sf_kafka_wait_ready single 1 120
  for ((i = 0; i < 100; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/${ports[11]}") 2>/dev/null && break
    sleep 0.1
  done
  {
    echo "SF_KAFKA_BOOTSTRAP=127.0.0.1:${ports[0]}"
    echo "SF_KAFKA_SASL_SSL_BOOTSTRAP=127.0.0.1:${ports[11]}"
    echo "SF_KAFKA_CA_FILE=$certs/ca.crt"
    echo "SF_KAFKA_SASL_MECHANISM=PLAIN"
    echo "SF_KAFKA_SASL_USERNAME=sftest"
    echo "SF_KAFKA_SASL_PASSWORD=$password"
  } >"$SF_SERVICES_DIR/env.d/10-kafka.env"
}

up_kafka3() {
  local cid voters="" brokers=() n
  cid="$(new_cluster_id)"
  for n in 1 2 3; do
    voters+="${voters:+,}$n@127.0.0.1:${ports[$((2 * n + 1))]}"
    brokers+=("127.0.0.1:${ports[$((2 * n))]}")
  done
  for n in 1 2 3; do
    sf_kafka_write_config cluster3 "$n" "${ports[$((2 * n))]}" "$voters" 3 2 \
      "${ports[$((2 * n + 1))]}"
  done
  # Format the three nodes concurrently: each format is a JVM start.
  local pids=()
  for n in 1 2 3; do
    sf_kafka_format cluster3 "$n" "$cid" &
    pids+=($!)
  done
  for n in "${pids[@]}"; do wait "$n"; done
  for n in 1 2 3; do sf_kafka_launch cluster3 "$n"; done
  for n in 1 2 3; do sf_kafka_wait_ready cluster3 "$n" 180; done
  {
    echo "SF_KAFKA3_BOOTSTRAP=$(
      IFS=,
      echo "${brokers[*]}"
    )"
    # Quoted: the file is sourced by shells (`set -a; . services.env`).
    echo "SF_KAFKA3_BROKERS=\"${brokers[*]}\""
  } >"$SF_SERVICES_DIR/env.d/20-kafka3.env"
}

# ---------------------------------------------------------------------------------------------
up_mqtt() {
  local dir="$SF_SERVICES_DIR/mosquitto" port="${ports[8]}" tls_port="${ports[9]}" user_line=""
  local log="$SF_SERVICES_DIR/logs/mosquitto.log" tls=1
  mkdir -p "$dir/data" "$dir/certs"
  # A throwaway CA and a server certificate for 127.0.0.1/localhost, for the TLS listener.
  if ! sf_make_test_certs "$dir/certs" >>"$log" 2>&1; then
    sf_log "openssl failed, mosquitto runs without its TLS listener (see $log)"
    tls=0
  fi
  # As root, mosquitto would switch to the 'mosquitto' user, which cannot write here.
  [[ $(id -u) -eq 0 ]] && user_line="user root"
  cat >"$dir/mosquitto.conf" <<EOF
# Generated by scripts/services/up.sh: throwaway test broker, loopback only.
$user_line
per_listener_settings true
persistence true
persistence_location $dir/data/
log_dest stdout
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
log_timestamp_format %Y-%m-%dT%H:%M:%S

listener $port 127.0.0.1
allow_anonymous true
EOF
  if [[ $tls -eq 1 ]]; then
    cat >>"$dir/mosquitto.conf" <<EOF

listener $tls_port 127.0.0.1
allow_anonymous true
cafile $dir/certs/ca.crt
certfile $dir/certs/server.crt
keyfile $dir/certs/server.key
EOF
  fi
  echo "=== $(date -Is) starting mosquitto" >>"$log"
  sf_launch "$dir/pid" "$log" mosquitto -c "$dir/mosquitto.conf" || return 1
  local i
  for ((i = 0; i < 200; i++)); do
    sf_pid_alive "$(cat "$dir/pid")" "$dir/mosquitto.conf" || break
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null &&
      { [[ $tls -eq 0 ]] || (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null; }; then
        {
          echo "SF_MQTT_HOST=127.0.0.1"
          echo "SF_MQTT_PORT=$port"
          if [[ $tls -eq 1 ]]; then
            echo "SF_MQTT_TLS_PORT=$tls_port"
            echo "SF_MQTT_CA_FILE=$dir/certs/ca.crt"
          fi
        } >"$SF_SERVICES_DIR/env.d/30-mqtt.env"
        return 0
    fi
    sleep 0.1
  done
  sf_log "mosquitto did not open port $port; last lines of $log:"
  tail -n 20 "$log" >&2
  return 1
}

# ---------------------------------------------------------------------------------------------
up_pg() {
  local dir="$SF_SERVICES_DIR/postgres" port="${ports[10]}" log="$SF_SERVICES_DIR/logs/postgres.log"
  local run_as=() password super_password
  # URL-safe random passwords: they go into a libpq URI unescaped.
  password="$(python3 -c 'import secrets;print(secrets.token_hex(16))')"
  super_password="$(python3 -c 'import secrets;print(secrets.token_hex(16))')"
  mkdir -p "$dir/data" "$dir/run"
  echo "$super_password" >"$dir/superuser-password"
  chmod 600 "$dir/superuser-password"
  if [[ $(id -u) -eq 0 ]]; then
    # initdb refuses to run as root.
    id "${SF_PG_OS_USER:-postgres}" >/dev/null 2>&1 ||
      sf_die "user ${SF_PG_OS_USER:-postgres} missing (install postgresql-15 or set SF_PG_OS_USER)"
    chown -R "${SF_PG_OS_USER:-postgres}:" "$dir"
    touch "$log"
    chown "${SF_PG_OS_USER:-postgres}:" "$log"
    run_as=(runuser -u "${SF_PG_OS_USER:-postgres}" --)
  fi
  "${run_as[@]}" "$SF_PG_BIN/initdb" -D "$dir/data" -U postgres -E UTF8 --no-locale \
    --auth-local=trust --auth-host=scram-sha-256 --pwfile="$dir/superuser-password" \
    --no-sync >>"$log" 2>&1
  # Throwaway cluster: durability settings off for speed (the tests exercise our code's
  # durability, not PostgreSQL's).
  cat >>"$dir/data/postgresql.conf" <<EOF

# Added by scripts/services/up.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/run'
fsync = off
full_page_writes = off
synchronous_commit = off
shared_buffers = 64MB
max_connections = 100
log_min_messages = info
EOF
  echo "=== $(date -Is) starting postgres" >>"$log"
  "${run_as[@]}" setsid "$SF_PG_BIN/pg_ctl" -D "$dir/data" -l "$log" -w -t 60 start \
    </dev/null || {
    sf_log "postgres did not start; last lines of $log:"
    tail -n 20 "$log" >&2
    return 1
  }
  "$SF_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30 || {
    sf_log "pg_isready failed on port $port"
    return 1
  }
  "$SF_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$port" -U postgres -d postgres \
    -c "CREATE ROLE sftest LOGIN CREATEDB PASSWORD '$password'" \
    -c "CREATE DATABASE sftest OWNER sftest" >>"$log" 2>&1 || {
    sf_log "could not create the test role/database; see $log"
    return 1
  }
  {
    echo "SF_PG_DSN=postgresql://sftest:$password@127.0.0.1:$port/sftest"
    echo "SF_PG_SUPERUSER_DSN=postgresql://postgres:$super_password@127.0.0.1:$port/postgres"
    echo "SF_PG_HOST=127.0.0.1"
    echo "SF_PG_PORT=$port"
  } >"$SF_SERVICES_DIR/env.d/40-pg.env"
}

# ---------------------------------------------------------------------------------------------
declare -A jobs=()
for s in "${services[@]}"; do
  ("up_$s") >"$SF_SERVICES_DIR/logs/up-$s.log" 2>&1 &
  jobs[$s]=$!
done

failed=()
for s in "${!jobs[@]}"; do
  if ! wait "${jobs[$s]}"; then
    failed+=("$s")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  for s in "${failed[@]}"; do
    sf_log "$s FAILED to start; $SF_SERVICES_DIR/logs/up-$s.log says:"
    tail -n 40 "$SF_SERVICES_DIR/logs/up-$s.log" >&2
  done
  SF_KEEP_DATA=1 "$SF_SCRIPTS_DIR/down.sh" "$SF_SERVICES_DIR" >&2 || true
  sf_die "services did not start (logs in $SF_SERVICES_DIR/logs)"
fi

{
  echo "# Written by scripts/services/up.sh at $(date -Is); stop with scripts/services/down.sh"
  cat "$SF_SERVICES_DIR"/env.d/*.env
  echo "SF_SERVICES_DIR=$SF_SERVICES_DIR"
  echo "SF_SERVICES_SCRIPTS=$SF_SCRIPTS_DIR"
} >"$SF_SERVICES_DIR/services.env"
mkdir -p "$(dirname "$envfile")"
cp "$SF_SERVICES_DIR/services.env" "$envfile"
sf_log "up in $(($(date +%s) - start_time))s; env written to $envfile:"
# Passwords stay in the file (mode 600): the printout masks them.
chmod 600 "$envfile"
grep -v '^#' "$envfile" |
  sed -E 's/^([A-Z0-9_]*PASSWORD=).*/\1***/; s#(://[^:/]+:)[^@]*@#\1***@#; s/^/    /' >&2
