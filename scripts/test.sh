#!/usr/bin/env bash
# Runs every proton-shell test: starts a fresh ClickHouse test server, runs `cargo test --all-targets --no-fail-fast`, stops the server.
#
# Usage: scripts/test.sh [cargo test args...] [-- test binary args...]
#   scripts/test.sh                              every test target, every test
#   scripts/test.sh --test it shell_pty          only the integration tests whose name has "shell_pty"
#   scripts/test.sh --test it redesign_          the issue-8 behaviour tests
#   scripts/test.sh --lib                        only the unit tests
#   scripts/test.sh -- --nocapture               every test, output shown
#
# `--all-targets` is added only when no target is chosen (--test, --lib, --bin, --bins, --tests,
# --example(s), --bench(es), --doc, --all-targets), so a chosen target is not widened back to
# all of them. `--no-fail-fast` is always added: one failing target does not hide the others.
#
# ClickHouse:
#   By default every run gets its own server: a fresh `mktemp -d` scratch dir and free ports
#   (chosen by scripts/clickhouse-test-server.sh), stopped and removed when the run ends, so
#   concurrent runs (several worktrees on one machine) never share or wipe each other's server.
#   CLICKHOUSE_TEST_ADDR   if set (host:port), that server is used and none is started.
#   CLICKHOUSE_TEST_REUSE=1  reuse the server `scripts/clickhouse-test-server.sh start` left
#                          running (same CH_DIR), start it there if none, and leave it running.
#   CH_TCP_PORT, CH_HTTP_PORT, CH_READY_TIMEOUT, ...  passed to scripts/clickhouse-test-server.sh.
#
# Live Proton:
#   PROTON_TEST_ADDR       if set (e.g. localhost:8463 after `docker compose up -d`), the live
#                          Proton tests run (and fail if it is down); otherwise cargo reports them
#                          as ignored. build.rs turns the variable into cfg(proton_live).
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

# --- cargo arguments -----------------------------------------------------------------------
# Only the arguments before `--` are cargo's; the rest go to the test binaries.
chose_target=0
has_no_fail_fast=0
for arg in "$@"; do
  [ "$arg" = "--" ] && break
  case "$arg" in
    --test | --test=* | --lib | --bin | --bin=* | --bins | --tests | --example | --example=* | \
      --examples | --bench | --bench=* | --benches | --doc | --all-targets)
      chose_target=1 ;;
    --no-fail-fast) has_no_fail_fast=1 ;;
  esac
done
cargo_args=(test)
[ "$chose_target" = 1 ] || cargo_args+=(--all-targets)
[ "$has_no_fail_fast" = 1 ] || cargo_args+=(--no-fail-fast)
cargo_args+=("$@")

# --- ClickHouse test server -----------------------------------------------------------------
we_started_server=0
own_dir=""
cleanup() {
  if [ "$we_started_server" = 1 ]; then
    we_started_server=0
    say "stopping the ClickHouse test server"
    CH_DIR="$ch_dir" "$CH_SCRIPT" stop || say "WARNING: stopping the ClickHouse test server failed"
  fi
  if [ -n "$own_dir" ]; then
    rm -rf -- "$own_dir" "$own_dir.lock"
    own_dir=""
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "${CLICKHOUSE_TEST_ADDR:-}" ]; then
  say "using the ClickHouse server given by CLICKHOUSE_TEST_ADDR=$CLICKHOUSE_TEST_ADDR"
else
  if [ "${CLICKHOUSE_TEST_REUSE:-0}" = 1 ]; then
    # The server a person started with `scripts/clickhouse-test-server.sh start` (default or
    # given CH_DIR): reused if it answers, started there if not, left running either way.
    ch_dir="${CH_DIR:-}"
    if ch_env="$("$CH_SCRIPT" env 2>/dev/null)"; then
      say "CLICKHOUSE_TEST_REUSE=1: reusing the running ClickHouse test server"
    else
      say "CLICKHOUSE_TEST_REUSE=1: no server running; starting one that stays up"
      ch_env="$("$CH_SCRIPT" start)" || { say "ERROR: could not start the ClickHouse test server"; exit 1; }
    fi
  else
    # A server of our own in a fresh scratch dir, on free ports; gone when we exit.
    own_dir="$(mktemp -d "${TMPDIR:-/tmp}/proton-shell-ch-test.XXXXXX")"
    ch_dir="$own_dir"
    we_started_server=1   # set first: the trap must also clean up after a half-finished start
    ch_env="$(CH_DIR="$ch_dir" "$CH_SCRIPT" start)" || {
      say "ERROR: could not start the ClickHouse test server"
      exit 1
    }
  fi
  CLICKHOUSE_TEST_ADDR="$(printf '%s\n' "$ch_env" | sed -n 's/^CLICKHOUSE_TEST_ADDR=//p')"
  [ -n "$CLICKHOUSE_TEST_ADDR" ] || { say "ERROR: test server script printed no CLICKHOUSE_TEST_ADDR"; exit 1; }
fi
export CLICKHOUSE_TEST_ADDR
# The HTTP port too, for the test that diagnoses `--port <http port>` (when we know it).
if [ -n "${ch_env:-}" ] && [ -z "${CLICKHOUSE_HTTP_PORT:-}" ]; then
  CLICKHOUSE_HTTP_PORT="$(printf '%s\n' "$ch_env" | sed -n 's/^CLICKHOUSE_HTTP_PORT=//p')"
fi
if [ -n "${CLICKHOUSE_HTTP_PORT:-}" ]; then export CLICKHOUSE_HTTP_PORT; fi
say "CLICKHOUSE_TEST_ADDR=$CLICKHOUSE_TEST_ADDR"

if [ -n "${PROTON_TEST_ADDR:-}" ]; then
  say "PROTON_TEST_ADDR=$PROTON_TEST_ADDR: the live Proton tests run"
else
  say "PROTON_TEST_ADDR is not set: the live Proton tests are reported as ignored (set PROTON_TEST_ADDR=localhost:8463 after 'docker compose up -d')"
fi

# --- tests ---------------------------------------------------------------------------------
say "cargo ${cargo_args[*]}"
set +e
cargo "${cargo_args[@]}" </dev/null
rc=$?
set -e

if [ "$rc" = 0 ]; then say "all tests passed"; else say "cargo test failed (exit $rc)"; fi
exit "$rc"
