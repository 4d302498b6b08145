#!/usr/bin/env bash
# Runs a throwaway ClickHouse 18.16 (Debian package) native-protocol server on 127.0.0.1 for proton-shell's tests and benchmarks.
#
# Usage: scripts/clickhouse-test-server.sh start|stop|status|env|install
#
#   start    install the Debian packages if missing, then (re)create $CH_DIR, write a
#            minimal config, launch the server in the background and wait until it
#            answers `SELECT 1`. If our server is already up and answering, nothing is
#            restarted: the KEY=VALUE lines are printed again.
#   stop     stop the server recorded in $CH_DIR (SIGTERM, SIGKILL after a timeout).
#   status   exit 0 iff our server is running and answers `SELECT 1`.
#   env      print the KEY=VALUE lines of the running server (exit 1 if none).
#   install  only install the packages (used by CI).
#
# stdout carries only KEY=VALUE lines, everything else goes to stderr, so callers can do
#   eval "$(scripts/clickhouse-test-server.sh start)"
# Lines printed:
#   CLICKHOUSE_TEST_ADDR=127.0.0.1:<native port>
#   CLICKHOUSE_TCP_PORT=<native port>
#   CLICKHOUSE_HTTP_PORT=<http port>
#   CLICKHOUSE_PID=<server pid>
#   CLICKHOUSE_DIR=<scratch dir>
#
# Environment (all optional):
#   CH_DIR            scratch dir for config, data, logs and state
#                     (default ${TMPDIR:-/tmp}/proton-shell-ch-test; scripts/test.sh passes a
#                     fresh `mktemp -d` dir per run unless told to reuse a server)
#   CH_TCP_PORT       native port; default: a free port in 19000-19999 (random start)
#   CH_HTTP_PORT      HTTP port;   default: a free port in 18123-18999 (random start)
#                     Ports picked here that turn out taken at bind time are re-picked (3 tries).
#   CH_READY_TIMEOUT  seconds to wait for `SELECT 1` after launch (default 30)
#   CH_STOP_TIMEOUT   seconds to wait after SIGTERM before SIGKILL (default 15)
#
# Never run `clickhouse-client --help` with this ClickHouse build: it prints whitespace forever.
set -euo pipefail

CH_DIR="${CH_DIR:-${TMPDIR:-/tmp}/proton-shell-ch-test}"
CH_DIR="${CH_DIR%/}"
CH_READY_TIMEOUT="${CH_READY_TIMEOUT:-30}"
CH_STOP_TIMEOUT="${CH_STOP_TIMEOUT:-15}"
REQ_TCP_PORT="${CH_TCP_PORT:-}"
REQ_HTTP_PORT="${CH_HTTP_PORT:-}"

STATE_FILE="$CH_DIR/server.env"     # KEY=VALUE lines of the running server
MARKER="$CH_DIR/.proton-shell-clickhouse"
LOCK_FILE="$CH_DIR.lock"            # outside CH_DIR because start wipes CH_DIR

say() { printf '[clickhouse-test-server] %s\n' "$*" >&2; }
fail() { say "ERROR: $*"; exit 1; }

case "$CH_DIR" in
  "" | "/" | "/tmp" | "/var/tmp" | "${HOME:-/}" | "${TMPDIR:-/tmp}") fail "refusing to use CH_DIR='$CH_DIR'" ;;
esac

run_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# ---------------------------------------------------------------------------------------
# Installation

packages_present() {
  command -v clickhouse-server >/dev/null 2>&1 \
    && command -v clickhouse-client >/dev/null 2>&1 \
    && [ -e /usr/share/zoneinfo/UTC ]
}

ensure_installed() {
  packages_present && return 0
  say "installing Debian packages clickhouse-server clickhouse-client tzdata"
  # The server package's postinst would start a system-wide server on port 9000 on hosts
  # without systemd. A policy-rc.d that exits 101 tells invoke-rc.d not to start anything.
  local own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    run_as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d'
    own_policy=1
  fi
  local rc=0
  {
    run_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q \
      && run_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
           clickhouse-server clickhouse-client tzdata
  } </dev/null >&2 || rc=$?
  if [ "$own_policy" = 1 ]; then run_as_root rm -f /usr/sbin/policy-rc.d; fi
  [ "$rc" = 0 ] || fail "apt-get failed (exit $rc)"
  packages_present || fail "packages installed but clickhouse-server/clickhouse-client/tzdata still missing"
}

# ---------------------------------------------------------------------------------------
# Ports

# Something accepts connections on 127.0.0.1:$1 (bash's /dev/tcp; no ss/netstat needed).
port_listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# We could bind+listen on 127.0.0.1:$1 ourselves (python3 if available; else only the
# connect probe above is used).
port_bindable() {
  command -v python3 >/dev/null 2>&1 || return 0
  python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(1)
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

port_free() { ! port_listening "$1" && port_bindable "$1"; }

# A free port in [$1, $2], skipping $3 (so TCP and HTTP never collide). The search starts at a
# random port of the range and wraps, so concurrent starts (several test runs on one machine)
# rarely probe the same port first.
pick_port() {
  local lo="$1" hi="$2" skip="${3:-}" span i p
  span=$((hi - lo + 1))
  local start=$((RANDOM % span))
  for ((i = 0; i < span; i++)); do
    p=$((lo + (start + i) % span))
    [ "$p" = "$skip" ] && continue
    if port_free "$p"; then echo "$p"; return 0; fi
  done
  return 1
}

# ---------------------------------------------------------------------------------------
# Server state

# Prints KEY=VALUE from the state file for key $1 (empty if absent).
state_get() {
  [ -f "$STATE_FILE" ] || return 0
  sed -n "s/^$1=//p" "$STATE_FILE" | head -n 1
}

# $1 = pid: alive and really a clickhouse-server started with our config file.
is_our_server() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null \
    && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "--config-file=$CH_DIR/config.xml"
}

# $1 = port: the server there answers SELECT 1. `timeout` guards against a wedged client.
answers_select_1() {
  [ "$(timeout 5 clickhouse-client --host 127.0.0.1 --port "$1" --connect_timeout 1 \
        -q 'SELECT 1' </dev/null 2>/dev/null)" = "1" ]
}

# The recorded server is ours, alive and answering.
recorded_server_ok() {
  local pid port
  pid="$(state_get CLICKHOUSE_PID)"
  port="$(state_get CLICKHOUSE_TCP_PORT)"
  [ -n "$port" ] && is_our_server "$pid" && answers_select_1 "$port"
}

print_env() { cat "$STATE_FILE"; }

# ---------------------------------------------------------------------------------------
# Config

write_config() {
  local tcp="$1" http="$2"
  mkdir -p "$CH_DIR"/{data,tmp,user_files,format_schemas,log}
  : >"$MARKER"
  cat >"$CH_DIR/config.xml" <<EOF
<?xml version="1.0"?>
<!-- Generated by proton-shell scripts/clickhouse-test-server.sh; recreated on every start. -->
<yandex>
    <logger>
        <level>information</level>
        <log>$CH_DIR/log/clickhouse-server.log</log>
        <errorlog>$CH_DIR/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>2</count>
    </logger>

    <!-- Loopback only; no interserver port, no ZooKeeper, no clusters. -->
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>$tcp</tcp_port>
    <http_port>$http</http_port>

    <path>$CH_DIR/data/</path>
    <tmp_path>$CH_DIR/tmp/</tmp_path>
    <user_files_path>$CH_DIR/user_files/</user_files_path>
    <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>

    <users_config>users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>

    <!-- Deterministic DateTime rendering in tests. Needs tzdata installed. -->
    <timezone>UTC</timezone>

    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <max_concurrent_queries>100</max_concurrent_queries>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
</yandex>
EOF
  cat >"$CH_DIR/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
        </default>
    </profiles>
    <users>
        <!-- user "default", empty password, loopback only -->
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
}

# ---------------------------------------------------------------------------------------
# Commands

stop_server() {
  local pid i
  pid="$(state_get CLICKHOUSE_PID)"
  if [ -z "$pid" ]; then
    say "no server recorded in $CH_DIR; nothing to stop"
    return 0
  fi
  if ! is_our_server "$pid"; then
    say "PID $pid is not our clickhouse-server (already gone); clearing state"
    rm -f "$STATE_FILE"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < CH_STOP_TIMEOUT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "PID $pid still running after ${CH_STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$STATE_FILE"
  say "stopped PID $pid"
}

# Picks the ports (unless requested), writes the config, launches the server and waits until it
# answers. Sets tcp, http, pid and t0 for the caller. Returns 1 if the server died or did not
# answer in time (log tail printed, state cleared).
launch_server() {
  if [ -n "$REQ_TCP_PORT" ]; then
    tcp="$REQ_TCP_PORT"
    port_free "$tcp" || fail "127.0.0.1:$tcp (CH_TCP_PORT) is already in use"
  else
    tcp="$(pick_port 19000 19999 "$REQ_HTTP_PORT")" || fail "no free native port in 19000-19999"
  fi
  if [ -n "$REQ_HTTP_PORT" ]; then
    http="$REQ_HTTP_PORT"
    [ "$http" != "$tcp" ] || fail "CH_HTTP_PORT equals the native port $tcp"
    port_free "$http" || fail "127.0.0.1:$http (CH_HTTP_PORT) is already in use"
  else
    http="$(pick_port 18123 18999 "$tcp")" || fail "no free HTTP port in 18123-18999"
  fi

  rm -rf "$CH_DIR"
  write_config "$tcp" "$http"

  local deadline
  t0="$(date +%s%N)"
  # setsid: the server gets its own session, so it outlives this script and does not see
  # Ctrl-C typed in the caller's terminal. It runs in the foreground mode of the binary
  # (no --daemon), backgrounded by us, as the current user.
  setsid clickhouse-server --config-file="$CH_DIR/config.xml" \
    </dev/null >"$CH_DIR/log/stdout.log" 2>&1 &
  pid=$!
  {
    echo "CLICKHOUSE_TEST_ADDR=127.0.0.1:$tcp"
    echo "CLICKHOUSE_TCP_PORT=$tcp"
    echo "CLICKHOUSE_HTTP_PORT=$http"
    echo "CLICKHOUSE_PID=$pid"
    echo "CLICKHOUSE_DIR=$CH_DIR"
  } >"$STATE_FILE"

  deadline=$(($(date +%s) + CH_READY_TIMEOUT))
  until answers_select_1 "$tcp"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "server PID $pid exited during startup; log tail:"
      tail -n 30 "$CH_DIR/log/stdout.log" "$CH_DIR/log/clickhouse-server.err.log" >&2 2>/dev/null || true
      rm -f "$STATE_FILE"
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      say "server PID $pid did not answer within ${CH_READY_TIMEOUT}s; killing it. Log tail:"
      tail -n 30 "$CH_DIR/log/clickhouse-server.log" >&2 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$STATE_FILE"
      return 1
    fi
    sleep 0.1
  done
}

start_server() {
  local tcp http pid t0
  t0="$(date +%s%N)"
  ensure_installed

  # Already running? Reuse it unless the caller asked for different ports.
  if [ -f "$STATE_FILE" ]; then
    local cur_tcp cur_http
    cur_tcp="$(state_get CLICKHOUSE_TCP_PORT)"
    cur_http="$(state_get CLICKHOUSE_HTTP_PORT)"
    if recorded_server_ok \
       && { [ -z "$REQ_TCP_PORT" ] || [ "$REQ_TCP_PORT" = "$cur_tcp" ]; } \
       && { [ -z "$REQ_HTTP_PORT" ] || [ "$REQ_HTTP_PORT" = "$cur_http" ]; }; then
      say "already running (PID $(state_get CLICKHOUSE_PID), port $cur_tcp)"
      print_env
      return 0
    fi
    say "recorded server is not usable (dead, not answering or other ports requested); restarting"
    stop_server
  fi

  # Never wipe a directory we did not create.
  if [ -d "$CH_DIR" ] && [ -n "$(ls -A "$CH_DIR" 2>/dev/null)" ] && [ ! -e "$MARKER" ]; then
    fail "$CH_DIR exists, is not empty and was not created by this script; set CH_DIR elsewhere"
  fi

  # Ports picked by us can be taken between the probe and the server's bind (another run
  # starting at the same moment): then try again with other ports, up to three times.
  local attempt=1
  until launch_server; do
    if [ -n "$REQ_TCP_PORT$REQ_HTTP_PORT" ] || [ "$attempt" -ge 3 ] \
       || ! grep -qs "Address already in use" "$CH_DIR/log/stdout.log" "$CH_DIR/log/clickhouse-server.err.log"; then
      exit 1
    fi
    attempt=$((attempt + 1))
    say "a port was taken meanwhile; retrying with other ports (attempt $attempt)"
  done
  say "ClickHouse $(timeout 5 clickhouse-client --host 127.0.0.1 --port "$tcp" -q 'SELECT version()' </dev/null 2>/dev/null || echo '?') ready on 127.0.0.1:$tcp (http $http, PID $pid) in $((($(date +%s%N) - t0) / 1000000)) ms"
  print_env
}

with_lock() {
  # Serialise concurrent start/stop calls for the same CH_DIR.
  if command -v flock >/dev/null 2>&1; then
    mkdir -p "$(dirname "$LOCK_FILE")"
    exec 9>"$LOCK_FILE"
    flock -w 120 9 || fail "could not lock $LOCK_FILE"
  fi
  "$@"
}

case "${1:-}" in
  start) with_lock start_server ;;
  stop) with_lock stop_server ;;
  status)
    if recorded_server_ok; then
      say "running: PID $(state_get CLICKHOUSE_PID), 127.0.0.1:$(state_get CLICKHOUSE_TCP_PORT)"
    else
      say "not running (or not answering)"
      exit 1
    fi
    ;;
  env)
    if recorded_server_ok; then print_env; else say "not running (or not answering)"; exit 1; fi
    ;;
  install) ensure_installed ;;
  *)
    echo "usage: $0 start|stop|status|env|install" >&2
    exit 2
    ;;
esac
