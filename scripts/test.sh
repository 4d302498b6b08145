#!/usr/bin/env bash
# Runs every proton-shell test: starts the ClickHouse test server, runs `cargo test --all-targets`, stops the server.
#
# Usage: scripts/test.sh [extra cargo test args...]
#   e.g. scripts/test.sh -- --nocapture
#        scripts/test.sh --test clickhouse_live
#
# Environment:
#   CLICKHOUSE_TEST_ADDR  if already set (host:port), that server is used and none is started.
#   PROTON_TEST_ADDR      if set (e.g. localhost:8463 after `docker compose up -d`), the live
#                         Proton test suite runs as well; otherwise it is skipped.
#   CH_DIR, CH_TCP_PORT, CH_HTTP_PORT, ...  passed to scripts/clickhouse-test-server.sh.
#
# Exit code: cargo's (or 1 if the test server could not be started).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CH_SCRIPT="$ROOT/scripts/clickhouse-test-server.sh"

say() { printf '[test.sh] %s\n' "$*" >&2; }

# --- cargo -------------------------------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1 && [ -f "${CARGO_HOME:-${HOME:-}/.cargo}/env" ]; then
  # shellcheck disable=SC1091
  . "${CARGO_HOME:-${HOME:-}/.cargo}/env"
fi
command -v cargo >/dev/null 2>&1 || {
  say "ERROR: cargo not found; install the Rust toolchain (https://rustup.rs)"
  exit 1
}

# --- ClickHouse test server -----------------------------------------------------------------
we_started_server=0
stop_server() {
  if [ "$we_started_server" = 1 ]; then
    we_started_server=0
    say "stopping the ClickHouse test server"
    "$CH_SCRIPT" stop || say "WARNING: stopping the ClickHouse test server failed"
  fi
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "${CLICKHOUSE_TEST_ADDR:-}" ]; then
  say "using the ClickHouse server given by CLICKHOUSE_TEST_ADDR=$CLICKHOUSE_TEST_ADDR"
else
  # A server someone started by hand (scripts/clickhouse-test-server.sh start) is reused and left running.
  if ch_env="$("$CH_SCRIPT" env 2>/dev/null)"; then
    say "reusing the already running ClickHouse test server"
  else
    we_started_server=1   # set first: the trap must also clean up after a half-finished start
    ch_env="$("$CH_SCRIPT" start)" || {
      say "ERROR: could not start the ClickHouse test server"
      exit 1
    }
  fi
  CLICKHOUSE_TEST_ADDR="$(printf '%s\n' "$ch_env" | sed -n 's/^CLICKHOUSE_TEST_ADDR=//p')"
  [ -n "$CLICKHOUSE_TEST_ADDR" ] || { say "ERROR: test server script printed no CLICKHOUSE_TEST_ADDR"; exit 1; }
fi
export CLICKHOUSE_TEST_ADDR
say "CLICKHOUSE_TEST_ADDR=$CLICKHOUSE_TEST_ADDR"

if [ -n "${PROTON_TEST_ADDR:-}" ]; then
  say "PROTON_TEST_ADDR=$PROTON_TEST_ADDR: the live Proton suite will run"
else
  say "PROTON_TEST_ADDR is not set: the live Proton suite is skipped (set PROTON_TEST_ADDR=localhost:8463 after 'docker compose up -d')"
fi

# --- tests ---------------------------------------------------------------------------------
set +e
cargo test --all-targets "$@" </dev/null
rc=$?
set -e

if [ "$rc" = 0 ]; then say "all tests passed"; else say "cargo test failed (exit $rc)"; fi
exit "$rc"
