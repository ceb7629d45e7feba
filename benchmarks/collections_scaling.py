"""Per-operation cost of list and hash commands as the collection grows.

    python -m benchmarks.collections_scaling [--sizes 1000,100000,1000000] [--ops 20000]
                                             [--redis]

Builds one list and one hash of each size on a fresh pyredis (and, with --redis, on
redis-server too), then times commands that Redis documents as O(1) (or O(1) per element
touched near an end): pushes and pops that keep the size constant, LINDEX and LSET at both
ends, short LRANGEs at both ends, HSET/HGET/HDEL/HEXISTS/HINCRBY on one field. Commands go in
pipelined batches, so the time per operation is the server's cost, not the round trip; the best of a few rounds
is kept.
A flat row (the same microseconds per op at 1k and 1M elements) is what it shows; a row that
grows with the size would be a complexity bug. Not a test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import time

from .servers import Conn, Server, encode

BATCH = 100          # commands per pipelined write
LOAD_CHUNK = 1000    # elements per RPUSH/HSET while building

# (name, command arguments for the i-th op): each keeps the collection's size unchanged.
LIST_OPS = [
    ("LPUSH+RPOP", lambda i: [("LPUSH", "l", i), ("RPOP", "l")]),
    ("RPUSH+LPOP", lambda i: [("RPUSH", "l", i), ("LPOP", "l")]),
    ("LINDEX 0", lambda i: [("LINDEX", "l", 0)]),
    ("LINDEX -1", lambda i: [("LINDEX", "l", -1)]),
    ("LSET -1", lambda i: [("LSET", "l", -1, i)]),
    ("LRANGE 0 9", lambda i: [("LRANGE", "l", 0, 9)]),
    ("LRANGE -10 -1", lambda i: [("LRANGE", "l", -10, -1)]),
    ("LLEN", lambda i: [("LLEN", "l")]),
]
HASH_OPS = [
    ("HSET existing", lambda i: [("HSET", "h", "f1", i)]),
    ("HGET", lambda i: [("HGET", "h", f"f{i % 1000}")]),
    ("HDEL+HSET", lambda i: [("HDEL", "h", "f2"), ("HSET", "h", "f2", i)]),
    ("HEXISTS", lambda i: [("HEXISTS", "h", "f3")]),
    ("HINCRBY", lambda i: [("HINCRBY", "h", "counter", 1)]),
    ("HLEN", lambda i: [("HLEN", "h")]),
    ("HRANDFIELD", lambda i: [("HRANDFIELD", "h")]),
    ("HRANDFIELD 5", lambda i: [("HRANDFIELD", "h", 5)]),
]


def drain(conn: Conn, count: int) -> None:
    for _ in range(count):
        reply = conn.read_reply()
        if isinstance(reply, Exception):
            raise RuntimeError(str(reply))


def build(conn: Conn, size: int) -> None:
    conn.call("FLUSHALL")
    pending = 0
    for start in range(0, size, LOAD_CHUNK):
        stop = min(size, start + LOAD_CHUNK)
        conn.send(encode(("RPUSH", "l", *range(start, stop))))
        fields = []
        for i in range(start, stop):
            fields += [f"f{i}", i]
        conn.send(encode(("HSET", "h", *fields)))
        pending += 2
        if pending >= 20:
            drain(conn, pending)
            pending = 0
    drain(conn, pending)


def time_op(conn: Conn, make, ops: int) -> float:
    """Microseconds per command of `make`'s sequence, over `ops` operations."""
    commands = 0
    start = time.perf_counter()
    for first in range(0, ops, BATCH):
        batch = [c for i in range(first, min(ops, first + BATCH)) for c in make(i)]
        conn.send(b"".join(encode(c) for c in batch))
        drain(conn, len(batch))
        commands += len(batch)
    return (time.perf_counter() - start) * 1e6 / commands


def run(server: Server, sizes: list[int], ops: int, rounds: int
        ) -> dict[tuple[str, int], float]:
    """The best of `rounds` timings of each op at each size (the least disturbed by other
    work on the machine)."""
    results = {}
    conn = Conn(server.port, timeout=600)
    try:
        for size in sizes:
            build(conn, size)
            for name, make in LIST_OPS + HASH_OPS:
                results[(name, size)] = min(time_op(conn, make, ops) for _ in range(rounds))
    finally:
        conn.close()
    return results


def table(label: str, results: dict[tuple[str, int], float], sizes: list[int]) -> str:
    header = ["op"] + [f"{size:,} elements" for size in sizes] + ["largest/smallest"]
    lines = [f"### {label}: microseconds per command", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, _ in LIST_OPS + HASH_OPS:
        row = [results[(name, size)] for size in sizes]
        lines.append("| " + " | ".join([name] + [f"{v:.1f}" for v in row]
                                       + [f"{row[-1] / row[0]:.2f}x"]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.collections_scaling",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000,100000,1000000")
    p.add_argument("--ops", type=int, default=20_000, help="operations per measurement")
    p.add_argument("--rounds", type=int, default=3, help="timings per op, the best kept")
    p.add_argument("--redis", action="store_true", help="also measure redis-server")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    kinds = ["pyredis"] + (["redis"] if args.redis else [])
    for kind in kinds:
        server = Server(kind)
        try:
            results = run(server, sizes, args.ops, args.rounds)
        finally:
            server.stop()
        print(table(server.label, results, sizes))
        print()


if __name__ == "__main__":
    main()
