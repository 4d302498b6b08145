#!/usr/bin/env python3
"""Interactive-shell benchmarks: Ctrl-C -> prompt latency, start-up to first prompt, peak RSS of the table view.

Usage:  bench/shell.py [--runs 20] [--bin target/release/proton-shell]
Needs:  CLICKHOUSE_TEST_ADDR=host:port (scripts/clickhouse-test-server.sh start prints it),
        clickhouse-client on PATH (for the start-up comparison), GNU time at /usr/bin/time.

Each interactive measurement runs the real binary on a pseudo-terminal. The harness answers
the line editor's cursor-position query (ESC[6n) at once, as a terminal does; times are taken
from the keystroke (or spawn) to the moment the prompt text is read back.

Targets (issue 4): Ctrl-C -> prompt median <= 50 ms, max <= 250 ms; start-up <= 30 ms;
peak RSS <= 40 MB and flat in the row count.
"""

import argparse
import os
import pty
import re
import select
import statistics
import subprocess
import sys
import time

ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\r")


class Session:
    """A program on a pty, with a byte buffer of everything it printed."""

    def __init__(self, argv, env=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvpe(argv[0], argv, env or os.environ)
        self.buf = b""
        self.base = 0  # bytes dropped from the front of buf (offsets stay absolute)

    def pump(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            return False
        if b"\x1b[6n" in chunk:
            os.write(self.fd, b"\x1b[1;1R")
        self.buf += chunk
        # keep the buffer small on floods
        if len(self.buf) > 1 << 20:
            drop = len(self.buf) - (1 << 16)
            self.buf = self.buf[drop:]
            self.base += drop
        return True

    def wait_for(self, pattern, limit=10.0, since=0):
        """Wait until `pattern` (bytes, ANSI stripped) appears after offset `since`."""
        deadline = time.monotonic() + limit
        while True:
            text = ANSI.sub(b"", self.buf[max(0, since - self.base):])
            if pattern in text:
                return time.monotonic()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"waited {limit}s for {pattern!r}; tail: {text[-300:]!r}")
            self.pump(min(left, 0.05))

    def end(self):
        return self.base + len(self.buf)

    def send(self, data):
        os.write(self.fd, data)

    def close(self):
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except OSError:
            pass
        os.close(self.fd)


def stats(name, values_ms, target=None):
    med = statistics.median(values_ms)
    line = f"{name:<44} median {med:7.1f} ms   max {max(values_ms):7.1f} ms   min {min(values_ms):7.1f} ms   (n={len(values_ms)})"
    if target:
        line += f"   target {target}"
    print(line, flush=True)


def shell_env(tmp):
    env = dict(os.environ)
    for k in ["PROTON_HOST", "PROTON_PORT", "PROTON_USER", "PROTON_PASSWORD", "PROTON_DATABASE",
              "PROTON_SHELL_HISTORY", "PROTON_SHELL_CONFIG", "NO_COLOR"]:
        env.pop(k, None)
    env.update(TERM="xterm-256color", XDG_CONFIG_HOME=f"{tmp}/config", XDG_DATA_HOME=f"{tmp}/data")
    return env


def startup(argv, prompt, runs, env):
    times = []
    for _ in range(runs):
        t0 = time.monotonic()
        s = Session(argv, env)
        try:
            t1 = s.wait_for(prompt)
            times.append((t1 - t0) * 1000)
        finally:
            s.close()
    return times


def cancel_latency(argv, prompt, sql, first_row, runs, env, setup=None):
    s = Session(argv, env)
    times = []
    try:
        s.wait_for(prompt)
        if setup:
            mark = s.end()
            s.send(setup.encode() + b"\r")
            s.wait_for(b"OK", since=mark)
            time.sleep(0.2)
            while s.pump(0):
                pass
        for _ in range(runs):
            mark = s.end()
            s.send(sql.encode() + b"\r")
            s.wait_for(first_row, since=mark, limit=20)
            time.sleep(0.3)
            while s.pump(0):
                pass
            mark = s.end()
            t0 = time.monotonic()
            s.send(b"\x03")
            s.wait_for(b"Query cancelled", since=mark)
            t1 = s.wait_for(prompt, since=mark)
            times.append((t1 - t0) * 1000)
            time.sleep(0.2)
            while s.pump(0):
                pass
    finally:
        s.close()
    return times


def pty_drain_seconds(argv, env, cols=120, rows=40):
    """Run argv with stdout and stderr on a fresh pseudo-terminal, read everything it prints,
    and return the wall time until it exits (what a person's terminal would have to swallow)."""
    import fcntl
    import pty
    import struct
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    while True:
        try:
            if not os.read(master, 1 << 16):
                break
        except OSError:
            break
    p.wait()
    os.close(master)
    return time.monotonic() - t0


def history_file(path, n):
    """A history file of n single- and multi-line entries, in the shell's format."""
    with open(path, "w") as f:
        f.write("#V2\n")
        for i in range(n):
            if i % 10 == 0:
                f.write(f"SELECT {i} AS a,\\n       {i + 1} AS b;\n")
            else:
                f.write(f"SELECT count() FROM stream_{i % 97} WHERE x = {i};\n")


def peak_rss(argv):
    out = subprocess.run(["/usr/bin/time", "-f", "%M %e"] + argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, check=True).stderr.decode().strip().splitlines()[-1]
    kb, secs = out.split()
    return int(kb) / 1024, float(secs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--bin", default="target/release/proton-shell")
    a = ap.parse_args()
    addr = os.environ.get("CLICKHOUSE_TEST_ADDR")
    if not addr:
        sys.exit("CLICKHOUSE_TEST_ADDR is not set (eval \"$(scripts/clickhouse-test-server.sh start)\")")
    host, port = addr.rsplit(":", 1)
    tmp = f"/tmp/proton-shell-bench-{os.getpid()}"
    os.makedirs(tmp, exist_ok=True)
    env = shell_env(tmp)
    ps = [a.bin, "--host", host, "--port", port, "--history-file", f"{tmp}/history"]
    prompt = b":default> "

    print(f"proton-shell {a.bin} against ClickHouse at {addr}, {a.runs} runs each\n", flush=True)
    stats("start-up to first prompt: proton-shell", startup(ps, prompt, a.runs, env), "<= 30 ms")
    try:
        ch = ["clickhouse-client", "--host", host, "--port", port]
        stats("start-up to first prompt: clickhouse-client", startup(ch, b":) ", a.runs, env))
    except (FileNotFoundError, TimeoutError) as e:
        print(f"clickhouse-client start-up: skipped ({e})")

    hist = f"{tmp}/history-10k"
    history_file(hist, 10_000)
    ps10k = [a.bin, "--host", host, "--port", port, "--history-file", hist]
    stats("start-up to first prompt, 10 000-entry history", startup(ps10k, prompt, a.runs, env),
          "<= 10 ms (issue 12)")

    q1m = "SELECT number, toString(number) FROM system.numbers LIMIT 1000000"
    ours = pty_drain_seconds([a.bin, "--host", host, "--port", port, "--format", "table", "-q", q1m], env)
    print(f"{'table view into a PTY, 1 M rows: proton-shell':<44} {ours:7.2f} s   "
          f"{1_000_000 / ours / 1e6:5.2f} M rows/s", flush=True)
    try:
        theirs = pty_drain_seconds(["clickhouse-client", "--host", host, "--port", port,
                                    "--format", "PrettyCompact", "--output_format_pretty_max_rows", "1000000",
                                    "-q", q1m], env)
        print(f"{'  clickhouse-client PrettyCompact':<44} {theirs:7.2f} s   "
              f"{1_000_000 / theirs / 1e6:5.2f} M rows/s   (ours/theirs {ours / theirs:.2f})", flush=True)
    except FileNotFoundError:
        print("clickhouse-client PrettyCompact: skipped (not installed)")

    stats("Ctrl-C -> prompt, trickling stream (1 row/10ms)",
          cancel_latency(ps, prompt, "SELECT number, sleepEachRow(0.01) FROM system.numbers;",
                         b"\n    10 ", a.runs, env, setup="SET max_block_size = 1;"),
          "median <= 50 ms, max <= 250 ms")
    stats("Ctrl-C -> prompt, flooding stream (system.numbers)",
          cancel_latency(ps, prompt, "SELECT number FROM system.numbers;", b"Ctrl-C cancels", a.runs, env),
          "median <= 50 ms, max <= 250 ms")

    for rows in (1_000_000, 10_000_000):
        mb, secs = peak_rss([a.bin, "--host", host, "--port", port, "--format", "table", "-q",
                             f"SELECT number, toString(number) FROM system.numbers LIMIT {rows}"])
        print(f"peak RSS, table view, {rows:>10,} rows to /dev/null   {mb:6.1f} MB   ({secs:.2f} s)   target <= 40 MB, flat",
              flush=True)


if __name__ == "__main__":
    main()
