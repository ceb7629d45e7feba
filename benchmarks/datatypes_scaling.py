"""Per-operation cost of stream, HyperLogLog and geo commands as the value grows.

    python -m benchmarks.datatypes_scaling [--sizes 1000,100000,1000000] [--ops 2000]
                                           [--rounds 3] [--redis]

For each size N, builds one stream of N entries, one HyperLogLog of N elements and one geo
set of N members on a fresh pyredis (and, with --redis, on redis-server in the same run),
then times: XADD with MAXLEN N (the stream keeps its size), XRANGE COUNT 10 at the start and
at the end of the stream, XREADGROUP COUNT 10 followed by the XACK of what it read, PFADD of
10 new elements, PFCOUNT (cached, and after each PFADD of one new element, which recounts
when that element changed a register), GEOADD moving an existing member, and GEOSEARCH
BYRADIUS around a point (the members lie on a grid of constant density, so the radius holds
about the same number at every N). Commands go in pipelined batches; the figure is the
server's CPU time per operation (its /proc CPU time around each batch), the best of a few
rounds. A flat row (the same microseconds at 1k and 1M) is what it shows; a row growing with
N would be a complexity bug. Not a test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import math
import random
from typing import Callable, Iterator

from .servers import Conn, Server, encode

BATCH = 200          # operations per pipelined write
LOAD_BATCH = 1000    # commands (XADD) or elements (PFADD, GEOADD) per pipelined write
READ_COUNT = 10      # entries per XREADGROUP
GRID_STEP = 0.001    # degrees between neighbouring geo members (about 111 m)
RADIUS_M = 300       # GEOSEARCH radius: about 23 members of the grid
ORIGIN = (10.0, 0.0)  # longitude, latitude of the grid's corner

# An operation: (name, maker); the maker is given the connection (to look the value up before
# the timing), the size and a random generator, and returns a function of the op number
# giving that op's commands.
Maker = Callable[[Conn, int, random.Random], Callable[[int], list[tuple]]]


def drain(conn: Conn, count: int) -> None:
    for _ in range(count):
        reply = conn.read_reply()
        if isinstance(reply, Exception):
            raise RuntimeError(str(reply))


def grid_side(size: int) -> int:
    """The side of the smallest square grid that holds `size` members."""
    return math.isqrt(size - 1) + 1


def grid_point(i: int, side: int) -> tuple[float, float]:
    return ORIGIN[0] + (i % side) * GRID_STEP, ORIGIN[1] + (i // side) * GRID_STEP


def build(conn: Conn, size: int) -> None:
    """Stream `s` with entries 1-0..N-0, group `g` at its start, HLL `h`, geo set `geo`."""
    conn.call("FLUSHALL")
    commands = []
    for i in range(1, size + 1):
        commands.append(encode(("XADD", "s", f"{i}-0", "field", i)))
        if len(commands) == LOAD_BATCH:
            conn.send(b"".join(commands))
            drain(conn, len(commands))    # XADD replies are bulk strings: two lines each
            commands = []
    conn.send(b"".join(commands))
    drain(conn, len(commands))
    commands = []
    side = grid_side(size)
    for start in range(0, size, LOAD_BATCH):
        stop = min(size, start + LOAD_BATCH)
        commands.append(encode(("PFADD", "h", *(f"e{i}" for i in range(start, stop)))))
        members: list[object] = []
        for i in range(start, stop):
            members += [*grid_point(i, side), f"m{i}"]
        commands.append(encode(("GEOADD", "geo", *members)))
    conn.send(b"".join(commands))
    conn.count_lines(len(commands))
    if conn.call("XGROUP", "CREATE", "s", "g", "0") != b"OK":
        raise RuntimeError("XGROUP CREATE failed")


def xadd(conn: Conn, size: int, rng: random.Random) -> Callable[[int], list[tuple]]:
    return lambda i: [("XADD", "s", "MAXLEN", size, "*", "field", i)]


def xrange_start(conn: Conn, size: int, rng: random.Random) -> Callable[[int], list[tuple]]:
    return lambda i: [("XRANGE", "s", "-", "+", "COUNT", 10)]


def xrange_end(conn: Conn, size: int, rng: random.Random) -> Callable[[int], list[tuple]]:
    tail = conn.call("XREVRANGE", "s", "+", "-", "COUNT", 10)
    assert isinstance(tail, list)
    first = tail[-1][0]    # the 10th last entry's ID
    return lambda i: [("XRANGE", "s", first, "+", "COUNT", 10)]


def pfadd(conn: Conn, size: int, rng: random.Random) -> Callable[[int], list[tuple]]:
    return lambda i: [("PFADD", "h", *(f"n{i}-{k}" for k in range(10)))]


def pfcount(conn: Conn, size: int, rng: random.Random) -> Callable[[int], list[tuple]]:
    return lambda i: [("PFCOUNT", "h")]


def pfadd_pfcount(conn: Conn, size: int, rng: random.Random) -> Callable[[int], list[tuple]]:
    return lambda i: [("PFADD", "h", f"c{i}"), ("PFCOUNT", "h")]


def geoadd(conn: Conn, size: int, rng: random.Random) -> Callable[[int], list[tuple]]:
    side = grid_side(size)
    return lambda i: [("GEOADD", "geo", *grid_point(rng.randrange(size), side),
                       f"m{rng.randrange(size)}")]


def geosearch(conn: Conn, size: int, rng: random.Random) -> Callable[[int], list[tuple]]:
    side = grid_side(size)
    margin = 4    # grid steps kept from the edge, so the circle is full of members
    inner = max(1, side - 2 * margin)

    def make(i: int) -> list[tuple]:
        lon = ORIGIN[0] + (margin + rng.randrange(inner)) * GRID_STEP
        lat = ORIGIN[1] + (margin + rng.randrange(inner)) * GRID_STEP
        return [("GEOSEARCH", "geo", "FROMLONLAT", lon, lat, "BYRADIUS", RADIUS_M, "m")]
    return make


OPERATIONS: list[tuple[str, Maker]] = [
    ("XRANGE - + COUNT 10 (start)", xrange_start),
    ("XADD MAXLEN N", xadd),
    ("XRANGE COUNT 10 (end)", xrange_end),
    ("PFADD 10 new elements", pfadd),
    ("PFCOUNT (cached)", pfcount),
    ("PFADD 1 + PFCOUNT", pfadd_pfcount),
    ("GEOSEARCH BYRADIUS 300 m", geosearch),
    ("GEOADD (move a member)", geoadd),
]
READGROUP = "XREADGROUP COUNT 10 + XACK"
NAMES = [name for name, _ in OPERATIONS[:3]] + [READGROUP] + [n for n, _ in OPERATIONS[3:]]


def timed_batches(server: Server, conn: Conn, batches: Iterator[list[tuple]]) -> float:
    """Server CPU microseconds spent on the given pipelined batches."""
    cpu = 0
    for batch in batches:
        payload = b"".join(encode(c) for c in batch)
        before = server.cpu_ns()
        conn.send(payload)
        drain(conn, len(batch))
        cpu += server.cpu_ns() - before
    return cpu / 1e3


def time_op(server: Server, conn: Conn, make: Callable[[int], list[tuple]], ops: int) -> float:
    batches = ([c for i in range(first, min(ops, first + BATCH)) for c in make(i)]
               for first in range(0, ops, BATCH))
    return timed_batches(server, conn, batches) / ops


class GroupReader:
    """XREADGROUP COUNT 10 then XACK of the IDs it reads, pipelined: the entries are read in
    ID order from the loaded IDs 1-0..N-0 (the group is read before any XADD trims them),
    and the group goes back to the start, untimed, when it reaches the end."""

    def __init__(self, server: Server, conn: Conn, size: int) -> None:
        self.server, self.conn, self.size = server, conn, size
        self.next_id = 1

    def commands(self, reads: int) -> list[tuple]:
        batch = []
        for _ in range(reads):
            ids = [f"{n}-0" for n in range(self.next_id, self.next_id + READ_COUNT)]
            batch += [("XREADGROUP", "GROUP", "g", "c", "COUNT", READ_COUNT, "STREAMS", "s",
                       ">"), ("XACK", "s", "g", *ids)]
            self.next_id += READ_COUNT
        return batch

    def time(self, ops: int) -> float:
        cpu = 0.0
        done = 0
        per_cycle = self.size // READ_COUNT
        while done < ops:
            left_in_cycle = (self.size - self.next_id + 1) // READ_COUNT
            if left_in_cycle == 0:
                self.conn.call("XGROUP", "SETID", "s", "g", "0")
                self.next_id = 1
                left_in_cycle = per_cycle
            reads = min(BATCH, ops - done, left_in_cycle)
            cpu += timed_batches(self.server, self.conn, iter([self.commands(reads)]))
            done += reads
        return cpu / ops


def run(server: Server, sizes: list[int], ops: int, rounds: int
        ) -> dict[tuple[str, int], float]:
    """The best of `rounds` timings (server CPU µs per op) of each op at each size."""
    results: dict[tuple[str, int], float] = {}
    conn = Conn(server.port, timeout=600)
    try:
        for size in sizes:
            build(conn, size)
            if conn.call("XLEN", "s") != size:
                raise RuntimeError(f"{server.label}: the stream was not loaded")
            reader = GroupReader(server, conn, size)
            results[(READGROUP, size)] = min(reader.time(ops) for _ in range(rounds))
            rng = random.Random(size)
            for name, maker in OPERATIONS:
                make = maker(conn, size, rng)
                results[(name, size)] = min(time_op(server, conn, make, ops)
                                            for _ in range(rounds))
    finally:
        conn.close()
    return results


def table(results: dict[str, dict[tuple[str, int], float]], sizes: list[int]) -> str:
    """Rows of µs per op for each operation and server, then pyredis's ratio to redis."""
    header = ["operation", "server"] + [f"{size:,}" for size in sizes] + ["largest/smallest"]
    lines = ["### Server CPU µs per operation (per pair in the rows of two commands)", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    labels = sorted(results, key=lambda label: label != "redis")
    for name in NAMES:
        for label in labels:
            row = [results[label][(name, size)] for size in sizes]
            growth = f"{row[-1] / row[0]:.2f}x" if row[0] else "-"
            lines.append("| " + " | ".join([name, label] + [f"{v:.1f}" for v in row]
                                           + [growth]) + " |")
        if "redis" in results:
            for label in labels[1:]:
                ratios = [results[label][(name, size)] / results["redis"][(name, size)]
                          if results["redis"][(name, size)] else float("nan")
                          for size in sizes]
                lines.append("| " + " | ".join([name, f"{label} / redis"]
                                               + [f"{r:.2f}x" for r in ratios] + [""]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.datatypes_scaling",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000,100000,1000000")
    p.add_argument("--ops", type=int, default=2000, help="operations per measurement")
    p.add_argument("--rounds", type=int, default=3, help="timings per op, the best kept")
    p.add_argument("--redis", action="store_true", help="also measure redis-server")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    for kind in ["pyredis"] + (["redis"] if args.redis else []):
        server = Server(kind)
        try:
            results[server.label] = run(server, sizes, args.ops, args.rounds)
        finally:
            server.stop()
    print(table(results, sizes))


if __name__ == "__main__":
    main()
