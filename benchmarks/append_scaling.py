"""Per-operation cost of growing and editing one string as it gets longer.

    python -m benchmarks.append_scaling [--counts 20000,80000,320000] [--chunk 100] [--redis]

For each count N, builds one string from N APPENDs of `--chunk` bytes (2 MB for 20,000 of
100 bytes), then makes N SETRANGEs and N SETBITs near its end, on a fresh pyredis (and, with
--redis, on redis-server too). Commands go in pipelined batches; the figures are the server's
CPU time per command (its /proc CPU time around each phase) and the wall time per command.
Redis documents APPEND as amortized O(1) and SETRANGE/SETBIT as O(1) for short patches: a flat
row (the same microseconds per command at every N) is what it shows, a row growing with N
would be a copy of the whole string per command. Not a test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import time

from .servers import Conn, Server, encode

BATCH = 200          # commands per pipelined write


def drain(conn: Conn, count: int) -> None:
    for _ in range(count):
        reply = conn.read_reply()
        if isinstance(reply, Exception):
            raise RuntimeError(str(reply))


def timed(server: Server, conn: Conn, commands: list[tuple]) -> tuple[float, float]:
    """(server CPU microseconds, wall microseconds) per command, pipelined in batches."""
    cpu = server.cpu_ns()
    start = time.perf_counter()
    for first in range(0, len(commands), BATCH):
        batch = commands[first:first + BATCH]
        conn.send(b"".join(encode(c) for c in batch))
        drain(conn, len(batch))
    wall = time.perf_counter() - start
    return (server.cpu_ns() - cpu) / 1e3 / len(commands), wall * 1e6 / len(commands)


PHASES = ("APPEND", "SETRANGE near the end", "SETBIT near the end")


def run(server: Server, counts: list[int], chunk: int) -> dict[tuple[str, int], tuple]:
    results = {}
    conn = Conn(server.port, timeout=600)
    payload = b"x" * chunk
    try:
        for n in counts:
            conn.call("FLUSHALL")
            size = n * chunk
            results[("APPEND", n)] = timed(server, conn, [("APPEND", "s", payload)] * n)
            length = conn.call("STRLEN", "s")
            if length != size:
                raise RuntimeError(f"{server.label}: STRLEN {length}, expected {size}")
            results[("SETRANGE near the end", n)] = timed(
                server, conn, [("SETRANGE", "s", size - chunk - i % chunk, payload)
                               for i in range(n)])
            results[("SETBIT near the end", n)] = timed(
                server, conn, [("SETBIT", "s", size * 8 - 1 - i % 64, i & 1) for i in range(n)])
    finally:
        conn.close()
    return results


def table(label: str, results: dict, counts: list[int], chunk: int) -> str:
    header = (["command"] + [f"N={n:,} ({n * chunk / 1e6:g} MB)" for n in counts]
              + ["largest/smallest"])
    lines = [f"### {label}: server CPU µs per command (wall µs in brackets)", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for phase in PHASES:
        row = [results[(phase, n)] for n in counts]
        cells = [f"{cpu:.1f} ({wall:.1f})" for cpu, wall in row]
        ratio = row[-1][0] / row[0][0] if row[0][0] else float("nan")
        lines.append("| " + " | ".join([phase] + cells + [f"{ratio:.2f}x"]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.append_scaling", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--counts", default="20000,80000,320000",
                   help="APPENDs per string, comma-separated")
    p.add_argument("--chunk", type=int, default=100, help="bytes per APPEND")
    p.add_argument("--redis", action="store_true", help="also measure redis-server")
    args = p.parse_args(argv)
    counts = [int(n) for n in args.counts.split(",")]
    for kind in ["pyredis"] + (["redis"] if args.redis else []):
        server = Server(kind)
        try:
            results = run(server, counts, args.chunk)
        finally:
            server.stop()
        print(table(server.label, results, counts, args.chunk))
        print()


if __name__ == "__main__":
    main()
