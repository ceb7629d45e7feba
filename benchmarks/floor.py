"""The CPython floor: how close to redis-server's CPU per request a Python server on selectors
and hiredis can come at all, next to redis-server and pyredis in one run.

The floor server does the least any such server must: a 64 KB recv, hiredis splitting the
requests, one dict operation, a pre-encoded reply, one send per read. It has none of Redis's
semantics (no checks, statistics, expiry, access times, events): the gap between it and
pyredis is the cost of those, the gap between it and redis-server is CPython's.

    python -m benchmarks.floor [--requests 300000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import selectors
import socket
import sys

from .servers import Server
from .throughput import Case, run_once

TESTS = ("PING_MBULK", "SET", "GET")
OK, PONG, NIL = b"+OK\r\n", b"+PONG\r\n", b"$-1\r\n"


def serve(port: int) -> None:
    """Run the floor server on 127.0.0.1:port until killed (PING, SET key value, GET key)."""
    import hiredis
    selector = selectors.DefaultSelector()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    listener.setblocking(False)
    data: dict[bytes, bytes] = {}

    def readable(conn: socket.socket, reader: "hiredis.Reader") -> None:
        try:
            received = conn.recv(65536)
        except BlockingIOError:
            return
        if not received:
            selector.unregister(conn)
            conn.close()
            return
        reader.feed(received)
        out = []
        while True:
            argv = reader.gets()
            if argv is False:
                break
            name = argv[0].upper()
            if name == b"SET":
                data[argv[1]] = argv[2]
                out.append(OK)
            elif name == b"GET":
                value = data.get(argv[1])
                out.append(NIL if value is None else b"$%d\r\n%s\r\n" % (len(value), value))
            elif name == b"PING":
                out.append(PONG)
            else:
                out.append(b"-ERR unknown command\r\n")
        conn.send(b"".join(out))

    def accept() -> None:
        conn, _ = listener.accept()
        conn.setblocking(False)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = hiredis.Reader()
        selector.register(conn, selectors.EVENT_READ, lambda: readable(conn, reader))

    selector.register(listener, selectors.EVENT_READ, accept)
    while True:
        for key, _ in selector.select():
            key.data()


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.floor")
    p.add_argument("--requests", type=int, default=300_000, help="redis-benchmark -n at -P 16")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args, _ = p.parse_known_args(argv)   # the server ignores the flags servers.py passes
    if args.serve:
        serve(args.serve)
        return 0
    servers = [Server("redis"), Server("floor"), Server("pyredis")]
    try:
        print(f"{'CPU us/req':<12}{'-P':>4}" + "".join(f"{s.label:>19}" for s in servers)
              + f"{'floor x':>10}{'pyredis x':>11}")
        for pipeline in (16, 1):
            requests = args.requests if pipeline > 1 else args.requests // 5
            for test in TESTS:
                case = Case(test, pipeline, requests)
                cpu = {s.label: min(run_once(s, case, 50).cpu_us for _ in range(args.rounds))
                       for s in servers}
                redis = cpu["redis"]
                print(f"{test:<12}{pipeline:>4}" + "".join(f"{cpu[s.label]:>19.2f}" for s in servers)
                      + f"{cpu['floor'] / redis:>9.2f}x{cpu['pyredis/selectors'] / redis:>10.2f}x")
    finally:
        for server in servers:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
