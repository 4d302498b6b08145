#!/usr/bin/env python3
"""The native-protocol floor: how long the server takes to send a result over TCP to a client that only reads it.

Usage:  bench/drain.py HOST PORT QUERY [--runs 10]
Prints: one line, `drain median_ms min_ms max_ms bytes` (times from sending the query to the
last byte received), and exits 1 if the result did not end with EndOfStream.

A client that decodes and prints nothing cannot be faster than this: the server serializes
Native blocks and the kernel copies every byte across the socket. Comparing it with
`FORMAT Null` over HTTP (the server's time to produce the rows, without sending them) shows
what the transfer itself costs on this machine, apart from any client's work.

The client speaks revision 54000 (no client info block, no settings), which ClickHouse
18.16 accepts; the end of the result is found as the moment no more bytes arrive for
`--idle` seconds, and the last byte must then be EndOfStream (packet 5).
"""

import argparse
import socket
import statistics
import sys
import time


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def string(s):
    b = s.encode()
    return varint(len(b)) + b


def hello():
    # Hello: client name, version major/minor, revision, database, user, password.
    return (varint(0) + string("proton-shell-bench-drain") + varint(1) + varint(1)
            + varint(54000) + string("default") + string("default") + string(""))


def query(sql):
    # Query: id, settings (none: empty name ends them), stage Complete, no compression, SQL;
    # then the empty Data block that ends the (absent) external tables.
    empty_block = (varint(2) + string("") + b"\x01\x00\x02\xff\xff\xff\xff\x00"
                   + varint(0) + varint(0))
    return (varint(1) + string("") + string("") + varint(2) + varint(0) + string(sql)
            + empty_block)


def drain_once(host, port, sql, idle):
    with socket.create_connection((host, port), timeout=10) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(hello())
        s.recv(65536)  # the server's Hello
        buf = bytearray(1 << 20)
        total, last_byte = 0, 0
        t0 = time.perf_counter()
        s.sendall(query(sql))
        s.settimeout(idle)
        last = t0
        try:
            while True:
                n = s.recv_into(buf)
                if n == 0:
                    break
                total += n
                last = time.perf_counter()
                last_byte = buf[n - 1]
        except socket.timeout:
            pass
        return (last - t0) * 1000, total, last_byte


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("query")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--idle", type=float, default=0.3)
    a = p.parse_args()
    drain_once(a.host, a.port, a.query, a.idle)  # warm-up
    times, size = [], 0
    for _ in range(a.runs):
        ms, size, last_byte = drain_once(a.host, a.port, a.query, a.idle)
        if last_byte != 5:
            print(f"drain: the result did not end with EndOfStream (last byte {last_byte})",
                  file=sys.stderr)
            return 1
        times.append(ms)
    print(f"drain {statistics.median(times):.1f} {min(times):.1f} {max(times):.1f} {size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
