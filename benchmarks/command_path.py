"""The command path alone: what a command costs from the parser to its queued reply, without
the socket, the event loop or redis-benchmark, for each build.

In a process of its own per build (PYREDIS_PURE_PYTHON=1 for the pure one), a Server is
created (nothing listens) with one Client on a socket pair; batches of 16 requests, as
redis-benchmark -P 16 sends them, go to the client's parser and run, and their replies are
dropped. The tests run in order on the same keyspace as redis-benchmark's (keys from a
range of 100,000), the best of --repeats runs counts.

    python -m benchmarks.command_path [--tests SET,GET] [--batches 2000] [--repeats 5]
"""
from __future__ import annotations

import argparse
import json
import random
import socket
import subprocess
import sys
import time
from typing import Callable

from .servers import BUILDS, build_env

PIPELINE = 16
KEY_RANGE = 100_000
Args = tuple[bytes, ...]

# redis-benchmark's commands; `r` is a random key number as its __rand_int__.
COMMANDS: dict[str, Callable[[bytes], Args]] = {
    "PING": lambda r: (b"PING",),
    "SET": lambda r: (b"SET", b"key:" + r, b"xxx"),
    "GET": lambda r: (b"GET", b"key:" + r),
    "INCR": lambda r: (b"INCR", b"counter:" + r),
    "LPUSH": lambda r: (b"LPUSH", b"mylist", b"xxx"),
    "RPOP": lambda r: (b"RPOP", b"mylist"),
    "SADD": lambda r: (b"SADD", b"myset", b"element:" + r),
    "HSET": lambda r: (b"HSET", b"myhash", b"element:" + r, b"xxx"),
    "SPOP": lambda r: (b"SPOP", b"myset"),
    "ZADD": lambda r: (b"ZADD", b"myzset", r, b"element:" + r),
    "ZPOPMIN": lambda r: (b"ZPOPMIN", b"myzset"),
    "LRANGE_100": lambda r: (b"LRANGE", b"mylist", b"0", b"99"),
    "MSET": lambda r: (b"MSET", *[part for i in range(10) for part in (b"key:" + r, b"xxx")]),
}


def measure(tests: list[str], batches: int, repeats: int) -> dict[str, float]:
    """Nanoseconds per command of each test, in this process's build."""
    from pyredis.client import Client
    from pyredis.protocol.encode import encode_command as request
    from pyredis.server import Server
    server = Server()
    ours, _ = socket.socketpair()
    client = Client(server, ours, "127.0.0.1:1", "127.0.0.1:2", 1)
    server.clients[client.id] = client
    rng = random.Random(1)
    for _ in range(600):    # the list LRANGE reads, as redis-benchmark's LPUSH leaves one
        client.parser.feed(request(COMMANDS["LPUSH"](b"")))
        client.process_input()
    results = {}
    for test in tests:
        make = COMMANDS[test]
        data = [b"".join(request(make(b"%012d" % rng.randrange(KEY_RANGE)))
                         for _ in range(PIPELINE)) for _ in range(batches)]
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter_ns()
            for chunk in data:
                client.parser.feed(chunk)
                client.process_input()
                client.discard_replies()
                client.pending_write = False
            server.pending_writes.clear()
            best = min(best, (time.perf_counter_ns() - start) / (batches * PIPELINE))
        results[test] = best
    return results


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.command_path", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tests", default=",".join(COMMANDS))
    p.add_argument("--builds", default=",".join(BUILDS))
    p.add_argument("--batches", type=int, default=2000, help="batches of 16 per test")
    p.add_argument("--repeats", type=int, default=5, help="runs of each test (best counts)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    tests = [t for t in args.tests.upper().split(",") if t]
    for test in set(tests) - set(COMMANDS):
        raise SystemExit(f"unknown test {test!r} (one of {', '.join(COMMANDS)})")
    if args.child:
        import pyredis
        # (a checkout from before the compiled build names none: pure)
        print(json.dumps({"build": getattr(pyredis, "BUILD", "pure"),
                          "ns": measure(tests, args.batches, args.repeats)}))
        return 0
    columns = []
    for build in [b for b in args.builds.split(",") if b]:
        out = subprocess.run([sys.executable, "-m", "benchmarks.command_path", "--child",
                              "--tests", ",".join(tests), "--batches", str(args.batches),
                              "--repeats", str(args.repeats)],
                             env=build_env(build), capture_output=True, text=True, check=True)
        result = json.loads(out.stdout.splitlines()[-1])
        if any(result["build"] == label for label, _ in columns):
            print(f"{build}: runs as {result['build']}, already measured", file=sys.stderr)
            continue
        columns.append((result["build"], result["ns"]))
    print("| test | " + " | ".join(f"{label} ns/command" for label, _ in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for test in tests:
        print(f"| {test} | " + " | ".join(f"{ns[test]:,.0f}" for _, ns in columns) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
