"""Profile pyredis under redis-benchmark: py-spy samples the server process while one test
runs, and the hottest functions are printed (own time and inclusive time, in % of samples).

    python -m benchmarks.profile SET -P 16 [-n 300000] [--io selectors] [--build pure]
"""
from __future__ import annotations

import argparse
import collections
import os
import shutil
import signal
import subprocess
import sys
import tempfile

from .servers import BUILDS, Conn, Server
from .throughput import Case


def top_frames(raw_path: str, limit: int, lines: bool = False) -> list[str]:
    """Own and inclusive sample counts per function from py-spy's raw (collapsed) output."""
    own: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    total = 0
    with open(raw_path) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            n = int(count)
            total += n
            frames = [_short(frame, lines) for frame in stack.split(";")]
            own[frames[-1]] += n
            for frame in set(frames):
                inclusive[frame] += n
    lines = [f"{total} samples", "", "own %  incl %  function"]
    for frame, n in own.most_common(limit):
        lines.append(f"{100 * n / total:5.1f}  {100 * inclusive[frame] / total:6.1f}  {frame}")
    lines += ["", "inclusive (top):", "incl %  function"]
    for frame, n in inclusive.most_common(limit):
        lines.append(f"{100 * n / total:6.1f}  {frame}")
    return lines


def _short(frame: str, lines: bool) -> str:
    """'func (path/to/pyredis/file.py:12)' -> 'func (pyredis/file.py)' (':12' kept if lines)."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")") if lines else where.split(":")[0]
    for marker in ("pyredis/", "lib/python"):
        if marker in path:
            path = path[path.index(marker):]
            break
    return f"{name} ({path})"


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    p.add_argument("test", help="a redis-benchmark test, e.g. SET, GET, LRANGE_100")
    p.add_argument("-P", "--pipeline", type=int, default=16)
    p.add_argument("-n", "--requests", type=int, default=300_000)
    p.add_argument("-c", "--clients", type=int, default=50)
    p.add_argument("-d", "--data-size", type=int, default=3)
    p.add_argument("--io", default="selectors")
    p.add_argument("--build", default="compiled", choices=BUILDS,
                   help="the build to profile: compiled (as installed) or pure")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--lines", action="store_true", help="per source line, not per function")
    p.add_argument("--server-args", default="",
                   help="more pyredis-server arguments, e.g. '--appendonly yes'")
    p.add_argument("--native", action="store_true",
                   help="sample C frames too: the compiled build's functions (CPyDef_...)")
    args = p.parse_args(argv)
    spy = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
    if not os.path.exists(spy):
        raise SystemExit("py-spy is not installed (pip install '.[bench]')")
    server = Server("pyredis", args.io, extra=args.server_args.split(), build=args.build)
    print(f"pyredis build: {server.build}")
    raw = tempfile.NamedTemporaryFile(suffix=".txt", delete=False).name
    try:
        case = Case(args.test.upper(), args.pipeline, args.requests, args.data_size)
        conn = Conn(server.port)
        case.prepare(conn)
        conn.close()
        record = subprocess.Popen([spy, "record", "--pid", str(server.pid), "--rate", "250",
                                   "--format", "raw", "--output", raw]
                                  + (["--native"] if args.native else []),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cmd = ["redis-benchmark", "-p", str(server.port), "-c", str(args.clients),
               "-n", str(args.requests), "-P", str(args.pipeline), "-r", "100000",
               "-d", str(args.data_size), "-q"] + case.benchmark_args()
        out = subprocess.run(cmd, capture_output=True, text=True)
        record.send_signal(signal.SIGINT)   # py-spy writes its output on Ctrl-C
        record.wait(30)
        print(out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr)
        print("\n".join(top_frames(raw, args.top, args.lines)))
    finally:
        server.stop()
        os.unlink(raw)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
