#!/usr/bin/env bash
# Benchmarks proton-shell against clickhouse-client and the server's own time (FORMAT Null over HTTP) on a local ClickHouse 18.16 test server: wall time, peak RSS, output identity.
#
# Usage: bench/run.sh
#
# Environment (all optional):
#   CLICKHOUSE_TEST_ADDR  host:port of a server to use; otherwise scripts/clickhouse-test-server.sh
#                         starts one (and stops it again at the end).
#   PROTON_SHELL_BIN      proton-shell binary to measure; if set, `cargo build --release` is skipped.
#                         Default: target/release/proton-shell (built by this script).
#   BENCH_RUNS            timed runs per command (default 10)
#   BENCH_ROWS            rows for the big query (default 10000000)
#   BENCH_CHECK_ROWS      rows for the byte-identity check (default 100000)
#   BENCH_NO_HYPERFINE=1  use the plain timing loop even if hyperfine is available
#   CLICKHOUSE_HTTP_PORT  the server's HTTP port, for the floor (default: from the test-server script)
#   BENCH_SERVER_CPUS     on a machine with spare cores: pin the (local) server to these CPUs
#   BENCH_CLIENT_CPUS     ... and every client (ours, clickhouse-client, curl, drain) to these,
#                         e.g. BENCH_SERVER_CPUS=0-1 BENCH_CLIENT_CPUS=2-3 (taskset lists). Without
#                         them the server and the client share all cores, and the report shows the
#                         lower bound that puts on the wall time.
#
# Output: a table on stdout, also written to target/bench-results.txt. Logs go to stderr.
# Exit code 1 if the two clients' TSV, CSV or JSONEachRow outputs differ.
#
# What the columns mean: wall times are medians (this kind of machine is noisy; the mean and
# spread are shown too); CPU is the client's user + system time; "server CPU" is what the
# ClickHouse process itself used per run (from /proc, when the server is local). Two floors:
# `FORMAT Null` over HTTP is the server producing the rows without sending them (the goal's
# reference); bench/drain.py is a native-protocol client that only reads the bytes, the
# least any client of this protocol can take on this machine.
# Needs hyperfine and GNU time (/usr/bin/time); both are apt-get installed if missing, and
# without hyperfine a plain timing loop is used.
#
# Note: never run `clickhouse-client --help` with this ClickHouse build; it never terminates.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BENCH_RUNS="${BENCH_RUNS:-10}"
BENCH_ROWS="${BENCH_ROWS:-10000000}"
BENCH_CHECK_ROWS="${BENCH_CHECK_ROWS:-100000}"
RESULTS="$ROOT/target/bench-results.txt"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/proton-shell-bench.XXXXXX")"

say() { printf '[bench] %s\n' "$*" >&2; }
fail() { say "ERROR: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else return 1; fi
}

apt_install() {  # best effort; returns non-zero if it could not install
  command -v apt-get >/dev/null 2>&1 || return 1
  say "apt-get install $*"
  { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q \
      && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"; } \
    </dev/null >&2
}

# --- cleanup --------------------------------------------------------------------------------
we_started_server=0
REPLAY_PID=""
PINNED_SERVER=""
cleanup() {
  [ -n "$REPLAY_PID" ] && kill "$REPLAY_PID" 2>/dev/null
  # A server we only borrowed gets all its cores back.
  [ -n "$PINNED_SERVER" ] && taskset -a -p -c "0-$(($(nproc) - 1))" "$PINNED_SERVER" >/dev/null 2>&1
  rm -rf "$WORK"
  if [ "$we_started_server" = 1 ]; then
    we_started_server=0
    "$ROOT/scripts/clickhouse-test-server.sh" stop || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools ----------------------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
  apt_install time || fail "GNU time (/usr/bin/time) is missing and could not be installed"
fi
HAVE_HYPERFINE=0
if [ "${BENCH_NO_HYPERFINE:-0}" = 1 ]; then
  :
elif command -v hyperfine >/dev/null 2>&1 || apt_install hyperfine; then
  command -v hyperfine >/dev/null 2>&1 && HAVE_HYPERFINE=1
fi
[ "$HAVE_HYPERFINE" = 1 ] || say "hyperfine not available; using a plain timing loop"

# --- proton-shell binary --------------------------------------------------------------------
if [ -n "${PROTON_SHELL_BIN:-}" ]; then
  PS="$PROTON_SHELL_BIN"
  say "using PROTON_SHELL_BIN=$PS (no build)"
else
  if ! command -v cargo >/dev/null 2>&1 && [ -f "${CARGO_HOME:-${HOME:-}/.cargo}/env" ]; then
    # shellcheck disable=SC1091
    . "${CARGO_HOME:-${HOME:-}/.cargo}/env"
  fi
  say "cargo build --release"
  cargo build --release </dev/null >&2 || fail "cargo build --release failed"
  PS="$ROOT/target/release/proton-shell"
fi
[ -x "$PS" ] || fail "proton-shell binary $PS not found"

# --- server ---------------------------------------------------------------------------------
if [ -z "${CLICKHOUSE_TEST_ADDR:-}" ]; then
  if ch_env="$("$ROOT/scripts/clickhouse-test-server.sh" env 2>/dev/null)"; then
    say "reusing the running ClickHouse test server"
  else
    we_started_server=1
    ch_env="$("$ROOT/scripts/clickhouse-test-server.sh" start)" || fail "could not start the ClickHouse test server"
  fi
  CLICKHOUSE_TEST_ADDR="$(printf '%s\n' "$ch_env" | sed -n 's/^CLICKHOUSE_TEST_ADDR=//p')"
fi
HOST="${CLICKHOUSE_TEST_ADDR%:*}"
PORT="${CLICKHOUSE_TEST_ADDR##*:}"
[ -n "$HOST" ] && [ -n "$PORT" ] && [ "$HOST" != "$CLICKHOUSE_TEST_ADDR" ] \
  || fail "CLICKHOUSE_TEST_ADDR must be host:port, got '$CLICKHOUSE_TEST_ADDR'"
if [ -z "${CLICKHOUSE_HTTP_PORT:-}" ] && [ -n "${ch_env:-}" ]; then
  CLICKHOUSE_HTTP_PORT="$(printf '%s\n' "$ch_env" | sed -n 's/^CLICKHOUSE_HTTP_PORT=//p')"
fi
if [ -z "${CLICKHOUSE_HTTP_PORT:-}" ]; then
  CLICKHOUSE_HTTP_PORT="$("$ROOT/scripts/clickhouse-test-server.sh" env 2>/dev/null | sed -n 's/^CLICKHOUSE_HTTP_PORT=//p')"
fi
[ -n "${CLICKHOUSE_HTTP_PORT:-}" ] || fail "the server's HTTP port is unknown: set CLICKHOUSE_HTTP_PORT"
command -v curl >/dev/null 2>&1 || apt_install curl || fail "curl is missing"
CH_VERSION="$(timeout 10 clickhouse-client --host "$HOST" --port "$PORT" -q 'SELECT version()' </dev/null)" \
  || fail "no ClickHouse answering at $HOST:$PORT"
say "server: ClickHouse $CH_VERSION at $HOST:$PORT"

# --- where each side runs ------------------------------------------------------------------
# The server's PID from its listening socket (local servers only): for its CPU time and pinning.
SERVER_PID="$(ss -ltnpH "sport = :$PORT" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)"
PIN=()
if [ -n "${BENCH_SERVER_CPUS:-}" ] || [ -n "${BENCH_CLIENT_CPUS:-}" ]; then
  [ -n "${BENCH_SERVER_CPUS:-}" ] && [ -n "${BENCH_CLIENT_CPUS:-}" ] \
    || fail "set both BENCH_SERVER_CPUS and BENCH_CLIENT_CPUS, or neither"
  [ -n "$SERVER_PID" ] || fail "BENCH_SERVER_CPUS needs a local server (its PID was not found)"
  PINNED_SERVER="$SERVER_PID"
  taskset -a -p -c "$BENCH_SERVER_CPUS" "$SERVER_PID" >/dev/null || fail "could not pin the server"
  PIN=(taskset -c "$BENCH_CLIENT_CPUS")
  PLACEMENT="server on CPUs $BENCH_SERVER_CPUS, clients on CPUs $BENCH_CLIENT_CPUS"
else
  PLACEMENT="server and client share all $(nproc) cores"
fi
say "$PLACEMENT"

# --- the commands ---------------------------------------------------------------------------
BIG_Q="SELECT number, toString(number) FROM system.numbers LIMIT $BENCH_ROWS"
CHECK_Q="SELECT number, toString(number) FROM system.numbers LIMIT $BENCH_CHECK_ROWS"

# --- a replay of the server's answer ---------------------------------------------------------
# bench/replay.py records the result of BIG_Q once (through a proxy) and serves it again with
# sendfile: the client's own time, without the server's CPU on the same cores.
coproc RECORD { exec python3 "$ROOT/bench/replay.py" record "$HOST" "$PORT" "$WORK/replay.bin"; }
read -r RECORD_PORT <&"${RECORD[0]}" || fail "bench/replay.py record did not start"
"$PS" --host 127.0.0.1 --port "$RECORD_PORT" -q "$BIG_Q" --format tsv </dev/null >/dev/null \
  || fail "recording the replay failed"
wait "$RECORD_PID" 2>/dev/null || true
coproc REPLAY { exec ${BENCH_SERVER_CPUS:+taskset -c "$BENCH_SERVER_CPUS"} python3 "$ROOT/bench/replay.py" serve "$WORK/replay.bin"; }
read -r REPLAY_PORT <&"${REPLAY[0]}" || fail "bench/replay.py serve did not start"

# name | label | argv (run with stdout to /dev/null, stdin from /dev/null)
NAMES=(floor ps_tsv ps_tsv_lz4 ps_csv ps_csv_lz4 ps_json ps_json_lz4 ps_tsv_replay ps_csv_replay ps_json_replay ch_tsv ch_csv ch_json ch_null ps_select1 ch_select1)
declare -A LABEL CMD
LABEL[floor]="server only (HTTP FORMAT Null) ${BENCH_ROWS} rows"
LABEL[ps_tsv]="proton-shell      ${BENCH_ROWS} rows TSV"
LABEL[ps_tsv_lz4]="proton-shell      ${BENCH_ROWS} rows TSV lz4"
LABEL[ps_csv]="proton-shell      ${BENCH_ROWS} rows CSV"
LABEL[ps_csv_lz4]="proton-shell      ${BENCH_ROWS} rows CSV lz4"
LABEL[ps_json]="proton-shell      ${BENCH_ROWS} rows JSON"
LABEL[ps_json_lz4]="proton-shell      ${BENCH_ROWS} rows JSON lz4"
LABEL[ps_tsv_replay]="proton-shell      ${BENCH_ROWS} rows TSV replayed"
LABEL[ps_csv_replay]="proton-shell      ${BENCH_ROWS} rows CSV replayed"
LABEL[ps_json_replay]="proton-shell      ${BENCH_ROWS} rows JSON replayed"
LABEL[ch_csv]="clickhouse-client ${BENCH_ROWS} rows CSV"
LABEL[ch_json]="clickhouse-client ${BENCH_ROWS} rows JSONEachRow"
LABEL[ch_tsv]="clickhouse-client ${BENCH_ROWS} rows TSV"
LABEL[ch_null]="clickhouse-client ${BENCH_ROWS} rows Null"
LABEL[ps_select1]="proton-shell      SELECT 1"
LABEL[ch_select1]="clickhouse-client SELECT 1"
# Command line with every word single-quoted: valid for bash and for hyperfine -N's own splitting.
q() {
  local a out=""
  for a in "$@"; do out+="'${a//\'/\'\\\'\'}' "; done
  printf '%s' "${out% }"
}
CMD[floor]="$(q "${PIN[@]}" curl -sS --fail "http://$HOST:$CLICKHOUSE_HTTP_PORT/" --data-binary "$BIG_Q FORMAT Null")"
CMD[ps_tsv]="$(q "${PIN[@]}" "$PS" --host "$HOST" --port "$PORT" -q "$BIG_Q" --format tsv)"
CMD[ps_tsv_lz4]="$(q "${PIN[@]}" "$PS" --host "$HOST" --port "$PORT" -q "$BIG_Q" --format tsv --compression)"
CMD[ps_csv]="$(q "${PIN[@]}" "$PS" --host "$HOST" --port "$PORT" -q "$BIG_Q" --format csv)"
CMD[ps_csv_lz4]="$(q "${PIN[@]}" "$PS" --host "$HOST" --port "$PORT" -q "$BIG_Q" --format csv --compression)"
CMD[ps_json]="$(q "${PIN[@]}" "$PS" --host "$HOST" --port "$PORT" -q "$BIG_Q" --format json)"
CMD[ps_json_lz4]="$(q "${PIN[@]}" "$PS" --host "$HOST" --port "$PORT" -q "$BIG_Q" --format json --compression)"
CMD[ps_tsv_replay]="$(q "${PIN[@]}" "$PS" --host 127.0.0.1 --port "$REPLAY_PORT" -q "$BIG_Q" --format tsv)"
CMD[ps_csv_replay]="$(q "${PIN[@]}" "$PS" --host 127.0.0.1 --port "$REPLAY_PORT" -q "$BIG_Q" --format csv)"
CMD[ps_json_replay]="$(q "${PIN[@]}" "$PS" --host 127.0.0.1 --port "$REPLAY_PORT" -q "$BIG_Q" --format json)"
CMD[ch_csv]="$(q "${PIN[@]}" clickhouse-client --host "$HOST" --port "$PORT" -q "$BIG_Q" --format CSV)"
CMD[ch_json]="$(q "${PIN[@]}" clickhouse-client --host "$HOST" --port "$PORT" -q "$BIG_Q" --format JSONEachRow)"
CMD[ch_tsv]="$(q "${PIN[@]}" clickhouse-client --host "$HOST" --port "$PORT" -q "$BIG_Q" --format TabSeparated)"
CMD[ch_null]="$(q "${PIN[@]}" clickhouse-client --host "$HOST" --port "$PORT" -q "$BIG_Q" --format Null)"
CMD[ps_select1]="$(q "${PIN[@]}" "$PS" --host "$HOST" --port "$PORT" -q "SELECT 1")"
CMD[ch_select1]="$(q "${PIN[@]}" clickhouse-client --host "$HOST" --port "$PORT" -q "SELECT 1")"

# Sanity: every command must succeed once before timing it.
for n in "${NAMES[@]}"; do
  bash -c "${CMD[$n]} </dev/null >/dev/null" || fail "command failed: ${CMD[$n]}"
done

# --- wall time ------------------------------------------------------------------------------
declare -A MEAN SD MEDIAN CPU   # seconds
if [ "$HAVE_HYPERFINE" = 1 ]; then
  # -N: no intermediate shell (so a ~1 ms SELECT 1 is measured correctly); hyperfine discards
  # the commands' stdout, and they inherit its stdin (/dev/null).
  hf_args=(-N --warmup 1 --runs "$BENCH_RUNS" --style basic --export-csv "$WORK/hf.csv")
  for n in "${NAMES[@]}"; do hf_args+=(--command-name "$n" "${CMD[$n]}"); done
  hyperfine "${hf_args[@]}" </dev/null >&2
  # CSV: command,mean,stddev,median,user,system,min,max (names contain no commas)
  while IFS=, read -r name mean sd median user system _; do
    [ "$name" = "command" ] && continue
    MEAN[$name]="$mean"; SD[$name]="$sd"; MEDIAN[$name]="$median"
    CPU[$name]="$(awk -v u="$user" -v s="$system" 'BEGIN{print u+s}')"
  done <"$WORK/hf.csv"
  TIMER="hyperfine $(hyperfine --version | awk '{print $2}'), $BENCH_RUNS runs + 1 warmup"
else
  for n in "${NAMES[@]}"; do
    eval "${CMD[$n]}" </dev/null >/dev/null   # warmup
    : >"$WORK/$n.times"
    for ((i = 0; i < BENCH_RUNS; i++)); do
      t0=$(date +%s%N)
      eval "${CMD[$n]}" </dev/null >/dev/null
      t1=$(date +%s%N)
      echo $((t1 - t0)) >>"$WORK/$n.times"
    done
    read -r MEAN[$n] SD[$n] < <(awk '{s+=$1; ss+=$1*$1} END {m=s/NR; v=ss/NR-m*m; if (v<0) v=0; printf "%.6f %.6f\n", m/1e9, sqrt(v)/1e9}' "$WORK/$n.times")
    MEDIAN[$n]="$(sort -n "$WORK/$n.times" | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.6f", m/1e9}')"
    CPU[$n]=""
    say "$n: mean ${MEAN[$n]} s"
  done
  TIMER="bash loop (date +%s%N), $BENCH_RUNS runs + 1 warmup"
fi

# --- peak RSS -------------------------------------------------------------------------------
declare -A RSS   # KiB
for n in "${NAMES[@]}"; do
  # exec: GNU time's child becomes the measured program itself, not a wrapping shell
  /usr/bin/time -f %M -o "$WORK/$n.rss" bash -c "exec ${CMD[$n]} </dev/null >/dev/null"
  RSS[$n]="$(tail -n 1 "$WORK/$n.rss")"
done

# --- native-protocol floor ------------------------------------------------------------------
read -r _ DRAIN_MEDIAN DRAIN_MIN DRAIN_MAX _ < <("${PIN[@]}" python3 "$ROOT/bench/drain.py" "$HOST" "$PORT" "$BIG_Q" --runs "$BENCH_RUNS") \
  || fail "bench/drain.py failed"

# --- the server's own CPU per run -----------------------------------------------------------
# The server shares this machine's cores with the client: what it burns per run is part of
# every wall time above. Only for a local server.
declare -A SERVER_CPU   # ms per run
server_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
if [ -n "$SERVER_PID" ] && [ -r "/proc/$SERVER_PID/stat" ]; then
  hz="$(getconf CLK_TCK)"
  for n in floor ps_tsv ch_tsv drain; do
    t0="$(server_ticks)"
    for ((i = 0; i < BENCH_RUNS; i++)); do
      if [ "$n" = drain ]; then
        "${PIN[@]}" python3 "$ROOT/bench/drain.py" "$HOST" "$PORT" "$BIG_Q" --runs 1 >/dev/null
      else
        bash -c "exec ${CMD[$n]} </dev/null >/dev/null"
      fi
    done
    t1="$(server_ticks)"
    # drain.py also runs a warm-up query per call.
    per=$BENCH_RUNS; [ "$n" = drain ] && per=$((BENCH_RUNS * 2))
    SERVER_CPU[$n]="$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v n="$per" 'BEGIN{printf "%.0f", (b-a)*1000/hz/n}')"
  done
fi

# --- byte identity --------------------------------------------------------------------------
IDENTICAL="MATCH"
declare -A PS_SUM CH_SUM
for f in tsv:TabSeparated csv:CSV json:JSONEachRow; do
  ours="${f%%:*}"; theirs="${f##*:}"
  PS_SUM[$ours]="$("$PS" --host "$HOST" --port "$PORT" -q "$CHECK_Q" --format "$ours" --json-quote-64bit </dev/null | sha256sum | cut -d' ' -f1)"
  CH_SUM[$ours]="$(clickhouse-client --host "$HOST" --port "$PORT" -q "$CHECK_Q" --format "$theirs" </dev/null | sha256sum | cut -d' ' -f1)"
  [ "${PS_SUM[$ours]}" = "${CH_SUM[$ours]}" ] || IDENTICAL="MISMATCH ($ours)"
done

# --- report ---------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
{
  echo "proton-shell benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "server:  ClickHouse $CH_VERSION at $HOST:$PORT"
  echo "binary:  $PS"
  echo "timing:  $TIMER"
  echo "cores:   $PLACEMENT"
  echo
  ms() { awk -v x="$1" 'BEGIN{ if (x == "") print "-"; else printf "%.1f", x*1000 }'; }
  printf '%-44s %11s %11s %11s %9s %11s %9s\n' "command" "median[ms]" "mean[ms]" "stddev[ms]" "CPU[ms]" "server[ms]" "RSS[MiB]"
  for n in "${NAMES[@]}"; do
    printf '%-44s %11s %11s %11s %9s %11s %9.1f\n' "${LABEL[$n]}" \
      "$(ms "${MEDIAN[$n]}")" "$(ms "${MEAN[$n]}")" "$(ms "${SD[$n]}")" "$(ms "${CPU[$n]}")" \
      "${SERVER_CPU[$n]:--}" "$(awk -v x="${RSS[$n]}" 'BEGIN{print x/1024}')"
  done
  printf '%-44s %11.1f %11s %11s %9s %11s %9s\n' "native drain (bench/drain.py)" "$DRAIN_MEDIAN" \
    "-" "-" "-" "${SERVER_CPU[drain]:--}" "-"
  echo "  (drain: in-process, query sent to last byte received; min $DRAIN_MIN, max $DRAIN_MAX ms)"
  echo
  echo "ratios (median wall time; floor = the server's own time to produce the rows):"
  printf '  %-14s %12s %16s %16s\n' "format" "ours/floor" "ours/clickhouse" "peak RSS [MiB]"
  for f in tsv csv json; do
    for c in "" _lz4; do
      n="ps_${f}${c}"
      printf '  %-14s %12s %16s %16.1f\n' "${f}${c:+ lz4}" \
        "$(ratio "${MEDIAN[$n]}" "${MEDIAN[floor]}")" \
        "$(ratio "${MEDIAN[$n]}" "${MEDIAN[ch_$f]}")" \
        "$(awk -v x="${RSS[$n]}" 'BEGIN{print x/1024}')"
    done
  done
  for f in tsv csv json; do
    printf '  %-52s %s\n' "$f replayed (server idle) / floor:" "$(ratio "${MEDIAN[ps_${f}_replay]}" "${MEDIAN[floor]}")"
  done
  printf '  %-52s %s\n' "native drain / floor:" "$(ratio "$(awk -v x="$DRAIN_MEDIAN" 'BEGIN{print x/1000}')" "${MEDIAN[floor]}")"
  printf '  %-52s %s\n' "clickhouse-client TSV / floor:" "$(ratio "${MEDIAN[ch_tsv]}" "${MEDIAN[floor]}")"
  printf '  %-52s %s\n' "proton-shell SELECT 1 / clickhouse-client SELECT 1:" "$(ratio "${MEDIAN[ps_select1]}" "${MEDIAN[ch_select1]}")"
  echo "goal (issue 12): TSV ours/floor <= 1.5 on a quiet machine; $(nproc) cores; load now: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ -z "${PIN[*]}" ] && [ -n "${SERVER_CPU[ps_tsv]:-}" ] && [ -n "${CPU[ps_tsv]:-}" ]; then
    # Both sides' CPU has to fit on the shared cores: no wall time can be shorter than this.
    bound="$(awk -v s="${SERVER_CPU[ps_tsv]}" -v c="${CPU[ps_tsv]}" -v n="$(nproc)" 'BEGIN{printf "%.1f", (s + c*1000)/n}')"
    echo "  shared cores: (server ${SERVER_CPU[ps_tsv]} ms + client $(ms "${CPU[ps_tsv]}") ms CPU) / $(nproc) cores = $bound ms," \
      "$(ratio "$bound" "$(ms "${MEDIAN[floor]}")")x the floor, is the least TSV's wall time can be here"
  fi
  echo
  echo "output identity ($BENCH_CHECK_ROWS rows, sha256, JSON with --json-quote-64bit): $IDENTICAL"
  for f in tsv csv json; do
    echo "  $f  proton-shell      ${PS_SUM[$f]}"
    echo "  $f  clickhouse-client ${CH_SUM[$f]}"
  done
} | tee "$WORK/report.txt"

mkdir -p "$(dirname "$RESULTS")"
cp "$WORK/report.txt" "$RESULTS"
say "written to $RESULTS"
# A benchmark of wrong output is worthless: make a mismatch visible in the exit code.
[ "$IDENTICAL" = "MATCH" ] || fail "proton-shell output differs from clickhouse-client's: $IDENTICAL"
