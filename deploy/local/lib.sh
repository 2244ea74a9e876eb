# shellcheck shell=bash disable=SC2034 # settings here are used by the scripts that source this
# Shared by deploy/local/{up,down,status}. Sourced, never run: it defines settings and
# functions and changes nothing on disk by itself.
#
# Layout of the state dir (default <repo>/.local, override with KRUZHOK_STATE_DIR):
#   kafka/lib/            broker jars from Maven (+ .complete marker holding the pom's hash)
#   kafka/config/         server.properties, log4j.properties (rewritten on every start)
#   kafka/data/           KRaft metadata and topic data (kept by `down`, removed by `down --purge`)
#   kafka/logs/           server.log (log4j) and kafka.out (JVM stdout/stderr)
#   kafka/kafka.pid       pid of the broker that `up` started; kafka/ports: its two ports
#   redis/                redis.pid, redis.log, started-by-up   (only if `up` started Redis)
#   postgres/started-by-up  "<version> <cluster>" (only if `up` started PostgreSQL)

KRUZHOK_LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KRUZHOK_REPO_ROOT="$(cd "$KRUZHOK_LOCAL_DIR/../.." && pwd)"
STATE_DIR="${KRUZHOK_STATE_DIR:-$KRUZHOK_REPO_ROOT/.local}"

HOST=127.0.0.1
POSTGRES_PORT="${POSTGRES_PORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"

# A fixed cluster id (base64url of the 16 bytes "kruzhok-local-01") lets us format the data
# dir without starting a JVM just to generate one.
KAFKA_CLUSTER_ID=a3J1emhvay1sb2NhbC0wMQ
KAFKA_HEAP_OPTS=(-Xms256m -Xmx512m -XX:+UseSerialGC)
KAFKA_START_TIMEOUT="${KRUZHOK_KAFKA_TIMEOUT:-120}"
KAFKA_STOP_TIMEOUT=30
POSTGRES_START_TIMEOUT=60
REDIS_START_TIMEOUT=30

KAFKA_DIR="$STATE_DIR/kafka"
KAFKA_LIB="$KAFKA_DIR/lib"
KAFKA_CONFIG="$KAFKA_DIR/config"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_LOGS="$KAFKA_DIR/logs"
KAFKA_PIDFILE="$KAFKA_DIR/kafka.pid"
KAFKA_PORTSFILE="$KAFKA_DIR/ports"
KAFKA_POM="$KRUZHOK_LOCAL_DIR/kafka/pom.xml"
REDIS_DIR="$STATE_DIR/redis"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"
REDIS_MARK="$REDIS_DIR/started-by-up"
POSTGRES_DIR="$STATE_DIR/postgres"
POSTGRES_MARK="$POSTGRES_DIR/started-by-up"

QUIET=0
ONLY=()     # empty = all components
PURGE=0

die() {
  printf 'kruzhok: %s\n' "$*" >&2
  exit 1
}

warn() {
  printf 'kruzhok: %s\n' "$*" >&2
}

# Progress and results; silenced by --quiet.
say() {
  if [[ $QUIET -eq 0 ]]; then
    printf '%s\n' "$*"
  fi
}

note() {
  if [[ $QUIET -eq 0 ]]; then
    printf 'kruzhok: %s\n' "$*" >&2
  fi
}

row() { # component address remark
  if [[ $QUIET -eq 0 ]]; then
    printf '%-9s %-15s %s\n' "$1" "$2" "$3"
  fi
}

# parse_args <allow_purge> "$@"
parse_args() {
  local allow_purge=$1 usage
  shift
  usage="usage: $(basename "$0") [--quiet] [--only postgres|redis|kafka]..."
  if [[ $allow_purge -eq 1 ]]; then
    usage+=" [--purge]"
  fi
  while [[ $# -gt 0 ]]; do
    case $1 in
      -q | --quiet) QUIET=1 ;;
      --only) [[ $# -ge 2 ]] || die "$usage"; add_only "$2"; shift ;;
      --only=*) add_only "${1#--only=}" ;;
      --purge) [[ $allow_purge -eq 1 ]] || die "$usage"; PURGE=1 ;;
      -h | --help) printf '%s\n' "$usage"; exit 0 ;;
      *) die "$usage" ;;
    esac
    shift
  done
}

add_only() {
  local c
  local -a items
  IFS=, read -r -a items <<<"$1"
  for c in "${items[@]}"; do
    case $c in
      postgres | redis | kafka) ONLY+=("$c") ;;
      *) die "unknown component '$c' (expected postgres, redis or kafka)" ;;
    esac
  done
}

wanted() {
  local c
  [[ ${#ONLY[@]} -eq 0 ]] && return 0
  for c in "${ONLY[@]}"; do
    [[ $c == "$1" ]] && return 0
  done
  return 1
}

# Serialise up/down/status runs against one state dir (two test runners calling `up` at
# once must not start two brokers). Daemons we launch get fd 9 closed so they do not keep
# holding the lock.
take_lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/.lock"
  if ! flock -w 300 9; then
    die "another up/down is still running on $STATE_DIR after 300 s (lock $STATE_DIR/.lock)"
  fi
}

pid_alive() {
  [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null
}

read_pidfile() {
  local pid=""
  if [[ -f $1 ]]; then
    read -r pid <"$1" || true
  fi
  [[ $pid =~ ^[0-9]+$ ]] && printf '%s' "$pid"
  return 0
}

# Sets CMDLINE to the command line of a process (arguments joined by spaces; empty when it
# is gone). No subshell, because kafka_find_ours calls this for every process on the machine.
CMDLINE=""
read_cmdline() {
  local -a args=()
  if [[ -r /proc/$1/cmdline ]]; then
    mapfile -d '' -t args <"/proc/$1/cmdline" 2>/dev/null || true
  fi
  CMDLINE="${args[*]}"
}

# port_owner PORT -> "" when nothing listens; otherwise "<name> <pid>", or "? ?" when ss
# cannot see the process (another user's, without root).
port_owner() {
  local out
  out="$(ss -ltnpH "sport = :$1" 2>/dev/null || true)"
  if [[ -z $out ]]; then
    return 0
  fi
  if [[ $out =~ users:\(\(\"([^\"]+)\",pid=([0-9]+) ]]; then
    printf '%s %s' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  else
    printf '? ?'
  fi
}

describe_owner() { # "<name> <pid>" -> human text
  local name=${1% *} pid=${1#* }
  if [[ $name == "?" ]]; then
    printf 'a process ss cannot name (run as root to see it)'
  else
    printf '%s (pid %s)' "$name" "$pid"
  fi
}

tcp_answers() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

now_s() { date +%s; }

# ---------------------------------------------------------------- PostgreSQL

postgres_ready() {
  command -v pg_isready >/dev/null 2>&1 &&
    pg_isready -q -h "$HOST" -p "$POSTGRES_PORT" -t 3 >/dev/null 2>&1
}

postgres_login_ok() {
  # Not installed client = nothing to check; `up` only promises the server answers then.
  if ! command -v psql >/dev/null 2>&1; then
    return 0
  fi
  PGPASSWORD='' PGCONNECT_TIMEOUT=5 psql -w -X -q -At -h "$HOST" -p "$POSTGRES_PORT" \
    -U postgres -d postgres -c 'select 1' >/dev/null 2>&1
}

# "version cluster port status datadir" for the cluster of ours, or empty.
postgres_cluster_line() {
  local ver name port status datadir
  command -v pg_lsclusters >/dev/null 2>&1 || return 0
  # columns: Ver Cluster Port Status Owner Datadir Logfile
  while read -r ver name port status _ datadir _; do
    if [[ $port == "$POSTGRES_PORT" ]]; then
      printf '%s %s %s %s %s' "$ver" "$name" "$port" "$status" "$datadir"
      return 0
    fi
  done < <(pg_lsclusters -h 2>/dev/null || true)
}

postgres_pid_of_datadir() {
  local pid=""
  if [[ -r $1/postmaster.pid ]]; then
    read -r pid <"$1/postmaster.pid" || true
  fi
  printf '%s' "$pid"
}

# ---------------------------------------------------------------- Redis

redis_ready() {
  local reply=""
  if command -v redis-cli >/dev/null 2>&1; then
    reply="$(timeout 3 redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null || true)"
  else
    # No client installed: speak RESP ourselves.
    # shellcheck disable=SC2016 # $1/$2 belong to the inner bash
    reply="$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "PING\r\n" >&3 && head -c 5 <&3' \
      _ "$HOST" "$REDIS_PORT" 2>/dev/null || true)"
    reply=${reply#+}
  fi
  [[ $reply == PONG* ]]
}

redis_our_pid() { # pid of the redis-server that `up` started, if it is still alive
  local pid
  [[ -f $REDIS_MARK ]] || return 0
  pid="$(read_pidfile "$REDIS_PIDFILE")"
  read_cmdline "${pid:-0}"
  if pid_alive "$pid" && [[ $CMDLINE == *redis-server* ]]; then
    printf '%s' "$pid"
  fi
}

# ---------------------------------------------------------------- Kafka

# Pid of the broker this state dir owns, if alive. Checked against the command line so a
# recycled pid is never mistaken for ours.
kafka_our_pid() {
  local pid
  pid="$(read_pidfile "$KAFKA_PIDFILE")"
  if pid_alive "$pid" && kafka_is_ours_cmdline "$pid"; then
    printf '%s' "$pid"
  fi
}

# Our broker even when its pid file is lost: any process running kafka.Kafka with this
# state dir's server.properties.
kafka_find_ours() {
  local pid d
  pid="$(kafka_our_pid)"
  if [[ -z $pid ]]; then
    for d in /proc/[0-9]*; do
      if kafka_is_ours_cmdline "${d#/proc/}"; then
        pid=${d#/proc/}
        break
      fi
    done
  fi
  printf '%s' "$pid"
}

kafka_is_ours_cmdline() {
  read_cmdline "$1"
  [[ $CMDLINE == *kafka.Kafka* && $CMDLINE == *"$KAFKA_CONFIG/server.properties"* ]]
}

kafka_recorded_ports() {
  local p=""
  if [[ -f $KAFKA_PORTSFILE ]]; then
    read -r p <"$KAFKA_PORTSFILE" || true
  fi
  printf '%s' "$p"
}

kafka_listening() { # pid -> true when that pid listens on the broker port
  local owner
  owner="$(port_owner "$KAFKA_PORT")"
  [[ ${owner#* } == "$1" ]] && tcp_answers "$KAFKA_PORT"
}

kafka_started_logged() {
  [[ -f $KAFKA_LOGS/server.log ]] && grep -q 'Kafka Server started' "$KAFKA_LOGS/server.log"
}

kafka_print_log_tail() {
  local f
  for f in "$KAFKA_LOGS/server.log" "$KAFKA_LOGS/kafka.out"; do
    if [[ -s $f ]]; then
      printf -- '--- last lines of %s\n' "$f" >&2
      tail -n 25 "$f" >&2
    fi
  done
}
