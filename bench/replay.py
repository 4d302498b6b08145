#!/usr/bin/env python3
"""Record a server's answer to one query and replay it, so a client can be timed without the server sharing its cores.

Usage:
  bench/replay.py record UPSTREAM_HOST UPSTREAM_PORT FILE   # prints the port to point a client at
  bench/replay.py serve FILE                                # prints the port; serves until killed

`record` is a one-connection proxy: it passes the client's bytes to the server and the
server's back, and writes the server's bytes to FILE in two parts: what it sent before the
client's second write (the Hello answer) and everything after (the query's result). `serve`
answers each connection with the same two parts: the first after the client's first write,
the second (with sendfile, so the kernel does the copying) after its second. A client that
sends the same handshake and query as when recording cannot tell the difference.

Why: on a 2-core machine the server's own CPU time for a 10 M-row result (about as much as
the client's) shares the cores with the client, so wall time measures the pair. Against a
replay the server costs almost nothing, and wall time is the client's own.
"""

import os
import socket
import struct
import sys
import threading


def listen():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    print(s.getsockname()[1], flush=True)
    return s


def record(host, port, path):
    lsock = listen()
    client, _ = lsock.accept()
    server = socket.create_connection((host, int(port)))
    parts = [bytearray(), bytearray()]
    writes = [0]  # client writes seen

    def upstream():
        while True:
            data = client.recv(1 << 16)
            if not data:
                server.shutdown(socket.SHUT_WR)
                return
            writes[0] += 1
            server.sendall(data)

    t = threading.Thread(target=upstream, daemon=True)
    t.start()
    while True:
        data = server.recv(1 << 20)
        if not data:
            break
        # The Hello answer comes before the client's second write (its query).
        parts[0 if writes[0] < 2 else 1] += data
        try:
            client.sendall(data)
        except OSError:
            break
    client.close()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(parts[0])))
        f.write(parts[0])
        f.write(parts[1])


def serve(path):
    with open(path, "rb") as f:
        (hello_len,) = struct.unpack("<Q", f.read(8))
        hello = f.read(hello_len)
    body_at = 8 + hello_len
    body_len = os.path.getsize(path) - body_at
    lsock = listen()

    def answer(conn):
        with conn, open(path, "rb") as f:
            conn.recv(1 << 16)  # Hello
            conn.sendall(hello)
            conn.recv(1 << 16)  # the query
            conn.sendfile(f, offset=body_at, count=body_len)
            # Wait for the client to hang up.
            while conn.recv(1 << 16):
                pass

    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=answer, args=(conn,), daemon=True).start()


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "record":
        record(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
