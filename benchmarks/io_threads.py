"""io-threads: pyredis with helper threads for its replies (and reads) next to pyredis without
them, and redis-server with and without its own, in one interleaved run. Many clients and
big replies, where threaded I/O is meant to help, and small ones, where it costs.

    python -m benchmarks.io_threads [--threads 4] [--clients 200] [--rounds 3]

Each row: requests/s and the server's CPU time per request (all its threads), with the
ratio of each io-threads N server to the same server with io-threads 1.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Optional

from .report import _fmt, _ratio, _table, _x
from .servers import Server, start_labelled, stop_all
from .throughput import Case, run


def cases(requests: int) -> list[Case]:
    """Big replies to many clients (GET of 100 KB values, LRANGE of 600 elements), then
    small ones at -P 16 and -P 1 (SET, GET), where the threads only add hand-offs."""
    big = max(200, requests // 50)
    return [
        Case("GET", 1, big, data_size=100_000, key_range=100, fill=100, label="GET 100KB"),
        Case("GET", 16, big, data_size=100_000, key_range=100, fill=100, label="GET 100KB"),
        Case("LRANGE_600", 1, max(200, requests // 10)),
        Case("LRANGE_600", 16, max(200, requests // 10)),
        Case("GET", 16, requests),
        Case("SET", 16, requests),
        Case("SET", 1, requests // 2),
    ]


def servers(threads: int, io: str) -> list[Server]:
    """redis-server and pyredis, each with io-threads 1 and N (pyredis also N with
    io-threads-do-reads)."""
    n = str(threads)
    return start_labelled([
        ("redis", "redis io-threads 1", []),
        ("redis", f"redis io-threads {n}", ["--io-threads", n]),
        ("pyredis", "pyredis io-threads 1", []),
        ("pyredis", f"pyredis io-threads {n}", ["--io-threads", n]),
        ("pyredis", f"pyredis io-threads {n} +reads",
         ["--io-threads", n, "--io-threads-do-reads", "yes"]),
    ], io=io)


def table(results: list, labels: list[str]) -> list[str]:
    header = ["test", "-P"]
    for label in labels:
        header += [f"{label} rps", f"{label} us/req"]
    rows = []
    for result in results:
        row = [result.case.name, str(result.case.pipeline)]
        base: dict[str, Optional[float]] = {}
        for label in labels:
            rps, cpu = result.median(label, "rps"), result.median(label, "cpu_us")
            kind = label.split()[0]
            if label.endswith("io-threads 1"):
                base[kind], base[kind + "cpu"] = rps, cpu
                row += [_fmt(rps), _fmt(cpu, ".1f")]
            else:
                row += [f"{_fmt(rps)} ({_x(_ratio(rps, base.get(kind)))})",
                        f"{_fmt(cpu, '.1f')} ({_x(_ratio(cpu, base.get(kind + 'cpu')))})"]
        rows.append(row)
    return _table(header, rows)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.io_threads", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=4, help="io-threads N (default 4)")
    p.add_argument("--clients", type=int, default=200, help="redis-benchmark -c")
    p.add_argument("--requests", type=int, default=100_000, help="-n for the small tests")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--io", default="selectors", help="pyredis's I/O backend")
    args = p.parse_args(argv)

    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    load = [os.getloadavg()]
    started = servers(args.threads, args.io)
    try:
        results = run(started, cases(args.requests), args.rounds, args.clients, progress)
    finally:
        stop_all(started)
    load.append(os.getloadavg())
    print(f"`python -m benchmarks.io_threads {' '.join(argv)}`: redis-benchmark -c "
          f"{args.clients}, median of {args.rounds} interleaved rounds, {os.cpu_count()} CPUs, "
          f"load average {load[0][0]:.1f} before, {load[-1][0]:.1f} after. In brackets: "
          f"the ratio to the same server with io-threads 1.\n")
    print("\n".join(table(results, [s.label for s in started])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
