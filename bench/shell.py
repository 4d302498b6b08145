#!/usr/bin/env python3
"""Interactive-shell benchmarks: Ctrl-C -> prompt latency, start-up to first prompt, Tab -> completion
menu with a large catalog, peak RSS of the table view.

Usage:  bench/shell.py [--runs 20] [--bin target/release/proton-shell]
Needs:  CLICKHOUSE_TEST_ADDR=host:port (scripts/clickhouse-test-server.sh start prints it),
        clickhouse-client on PATH (for the start-up comparison), GNU time at /usr/bin/time.

Each interactive measurement runs the real binary on a pseudo-terminal. The harness answers
the line editor's cursor-position query (ESC[6n) at once, as a terminal does; times are taken
from the keystroke (or spawn) to the moment the prompt text is read back.

Targets (issue 4): Ctrl-C -> prompt median <= 50 ms, max <= 250 ms; start-up <= 30 ms;
peak RSS <= 40 MB and flat in the row count.
Targets (issue 12): start-up with a 10 000-entry history <= 10 ms; completion popup with 10 000
catalog names <= 10 ms from Tab to drawn list (the database bench_compl with tables t00000 ...
t09999 is created for it and dropped again; that shell runs on a 120x40 terminal, where the menu
draws the first 156 of the 10 000 names).
"""

import argparse
import fcntl
import os
import pty
import re
import select
import statistics
import struct
import subprocess
import sys
import termios
import time

ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\r")


class Session:
    """A program on a pty, with a byte buffer of everything it printed."""

    def __init__(self, argv, env=None, size=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            if size:  # (cols, rows), set before the program first asks
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
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

    def wait_for_frame(self, pattern, limit=10.0, since=0):
        """Wait until `pattern` (ANSI stripped) appears after `since` in a frame that is complete:
        the line editor ends each redraw by showing the cursor again (ESC[?25h)."""
        deadline = time.monotonic() + limit
        while True:
            raw = self.buf[max(0, since - self.base):]
            shown = raw.rfind(b"\x1b[?25h")
            if shown >= 0 and pattern in ANSI.sub(b"", raw[:shown]):
                return time.monotonic()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"waited {limit}s for a frame with {pattern!r}; tail: {raw[-300:]!r}")
            self.pump(min(left, 0.05))

    def quiet(self, secs=0.2):
        """Read until the program has printed nothing for `secs`."""
        while self.pump(secs):
            pass

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


COMPL_DB = "bench_compl"


def compl_tables(argv, n, tmp, create=True):
    """Create (or drop) database bench_compl with n Memory tables t00000...: one batch run of the
    shell, which sends them back to back (clickhouse-client --multiquery takes three times as long)."""
    stmts = [f"DROP DATABASE IF EXISTS {COMPL_DB};"]
    if create:
        stmts.append(f"CREATE DATABASE {COMPL_DB};")
        stmts += [f"CREATE TABLE {COMPL_DB}.t{i:05d} (x UInt8) ENGINE = Memory;" for i in range(n)]
    path = f"{tmp}/compl.sql"
    with open(path, "w") as f:
        f.write("\n".join(stmts) + "\n")
    subprocess.run(argv + ["-f", path], stdout=subprocess.DEVNULL, check=True)


def tab_menu(s, line, name, limit=10.0):
    """Type `line`, press Tab once the line is drawn; return the ms from writing the Tab byte to
    reading back a complete frame whose menu shows `name`. Ctrl-C clears line and menu after."""
    mark = s.end()
    s.send(line.encode())
    s.wait_for_frame(line.encode(), since=mark)
    s.quiet(0.05)
    mark = s.end()
    t0 = time.monotonic()
    s.send(b"\t")
    try:
        t1 = s.wait_for_frame(name, limit=limit, since=mark)
    finally:
        s.send(b"\x03")
        s.quiet(0.1)
    return (t1 - t0) * 1000


def completion_latency(argv, prompt, n, runs, env):
    """Tab after `FROM bench_compl.t`: all n tables match (the menu's partial completion first
    extends the word to `t0`). Waits until the background catalog load has the last table."""
    s = Session(argv, env, size=(120, 40))
    times = []
    try:
        s.wait_for(prompt)
        last = f"t{n - 1:05d}"
        deadline = time.monotonic() + 60
        while True:
            try:
                tab_menu(s, f"SELECT * FROM {COMPL_DB}.{last[:-1]}", last.encode(), limit=1.0)
                break
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise
        for _ in range(runs):
            times.append(tab_menu(s, f"SELECT * FROM {COMPL_DB}.t", b"t00001"))
    finally:
        s.close()
    return times


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

    batch = [a.bin, "--host", host, "--port", port]
    try:
        compl_tables(batch, 10_000, tmp)
        stats("Tab -> completion menu, 10 000 table names", completion_latency(ps, prompt, 10_000, a.runs, env),
              "<= 10 ms (issue 12)")
    finally:
        compl_tables(batch, 0, tmp, create=False)

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
