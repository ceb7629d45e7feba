"""python -m benchmarks.zset_scaling: the per-operation cost of ZADD, ZRANK, ZSCORE and the
ZRANGE forms on sorted sets of 1k, 100k and 1M members, pyredis next to redis-server.

Each operation runs as pipelined batches of random members (or ranks/scores) against one
big sorted set; the cost per operation is the server's CPU time over the batch divided by
its size (client and socket time excluded), plus the wall-clock time for reference. With
O(log n) operations the cost should grow by a small constant from 1k to 1M members, not
a thousandfold.
"""
from __future__ import annotations

import argparse
import random
import time
from typing import Callable

from .servers import Conn, Server, encode

SIZES = (1_000, 100_000, 1_000_000)
LOAD_BATCH = 1000      # members per ZADD while loading


def _load(conn: Conn, key: bytes, size: int) -> None:
    """key gets members m0..m{size-1} scored 0..size-1 (scores as the member number)."""
    commands = []
    for start in range(0, size, LOAD_BATCH):
        args: list[object] = [b"ZADD", key]
        for i in range(start, min(size, start + LOAD_BATCH)):
            args += [i, b"m%d" % i]
        commands.append(encode(tuple(args)))
        if len(commands) == 50:
            conn.send(b"".join(commands))
            conn.count_lines(len(commands))
            commands = []
    if commands:
        conn.send(b"".join(commands))
        conn.count_lines(len(commands))


def _operations(size: int, rng: random.Random) -> dict[str, Callable[[], tuple]]:
    """Each operation as a generator of one random command on key `z` of `size` members."""
    fresh = iter(range(size, size * 10))
    return {
        "ZADD (new member)": lambda: (b"ZADD", b"z", rng.random() * size, b"n%d" % next(fresh)),
        "ZADD (update)": lambda: (b"ZADD", b"z", rng.random() * size,
                                  b"m%d" % rng.randrange(size)),
        "ZSCORE": lambda: (b"ZSCORE", b"z", b"m%d" % rng.randrange(size)),
        "ZRANK": lambda: (b"ZRANK", b"z", b"m%d" % rng.randrange(size)),
        "ZRANGE by rank (10)": lambda: (b"ZRANGE", b"z", *_span(rng, size)),
        "ZRANGE BYSCORE (10)": lambda: (b"ZRANGE", b"z", *_score_span(rng, size), b"BYSCORE",
                                        b"LIMIT", 0, 10),
        "ZCOUNT": lambda: (b"ZCOUNT", b"z", *_score_span(rng, size)),
    }


def _span(rng: random.Random, size: int) -> tuple[int, int]:
    start = rng.randrange(size - 10)
    return start, start + 9


def _score_span(rng: random.Random, size: int) -> tuple[float, float]:
    low = rng.random() * (size - 100)
    return low, low + 50


def _measure(server: Server, conn: Conn, make: Callable[[], tuple], ops: int,
             batch: int) -> tuple[float, float]:
    """(server CPU µs per op, wall µs per op) over `ops` commands pipelined `batch` at a time;
    replies are read fully (they are small)."""
    cpu = wall = 0.0
    done = 0
    while done < ops:
        n = min(batch, ops - done)
        payload = b"".join(encode(make()) for _ in range(n))
        cpu0, t0 = server.cpu_ns(), time.perf_counter()
        conn.send(payload)
        for _ in range(n):
            conn.read_reply()
        wall += time.perf_counter() - t0
        cpu += server.cpu_ns() - cpu0
        done += n
    return cpu / 1000 / ops, wall * 1e6 / ops


def run(sizes: tuple[int, ...], ops: int, with_redis: bool) -> list[tuple]:
    kinds = ["pyredis"] + (["redis"] if with_redis else [])
    rows = []
    for kind in kinds:
        server = Server(kind)
        try:
            conn = Conn(server.port, timeout=600)
            for size in sizes:
                conn.call("FLUSHALL")
                _load(conn, b"z", size)
                assert conn.call("ZCARD", "z") == size
                rng = random.Random(size)
                for name, make in _operations(size, rng).items():
                    cpu, wall = _measure(server, conn, make, ops, batch=500)
                    rows.append((name, size, server.label, cpu, wall))
            conn.close()
        finally:
            server.stop()
    return rows


def report(rows: list[tuple], sizes: tuple[int, ...]) -> str:
    """A Markdown table: µs of server CPU per operation for each size and server, and the
    growth from the smallest to the largest size."""
    labels = sorted({r[2] for r in rows}, key=lambda label: label != "redis")
    names = list(dict.fromkeys(r[0] for r in rows))
    cost = {(r[0], r[1], r[2]): r[3] for r in rows}
    head = ["operation", "server"] + [f"{s:,} members (µs)" for s in sizes] + \
        [f"x from {sizes[0]:,} to {sizes[-1]:,}"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in names:
        for label in labels:
            values = [cost.get((name, s, label)) for s in sizes]
            if None in values:
                continue
            growth = values[-1] / values[0] if values[0] else float("nan")
            lines.append("| " + " | ".join([name, label] + [f"{v:.2f}" for v in values]
                                          + [f"{growth:.1f}"]) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.zset_scaling", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default=",".join(str(s) for s in SIZES),
                   help="sorted set sizes, comma-separated (default 1000,100000,1000000)")
    p.add_argument("--ops", type=int, default=5000, help="operations timed per size")
    p.add_argument("--no-redis", action="store_true", help="pyredis only")
    args = p.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))
    rows = run(sizes, args.ops, not args.no_redis)
    print(report(rows, sizes))


if __name__ == "__main__":
    main()
