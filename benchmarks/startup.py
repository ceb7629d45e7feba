"""Start-up time: from "start a server" to its first PONG, for the embedded pyredis server in
a thread of this process, in a child process, and for redis-server, side by side.

    python -m benchmarks.startup [--runs 20] [--readme README.md]

Each run starts a server on a free port, sends PING on a new connection until PONG comes
back (retrying while the port refuses), and stops the server. "first start" is a fresh
interpreter's first in-process server, its imports included (what a test session pays once);
the other in-process starts come after a first, unmeasured one.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from typing import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import pyredis  # noqa: E402  (after the path set-up above)
from benchmarks.servers import cpu_ns  # noqa: E402
from pyredis.launch import launch  # noqa: E402

PING_TIMEOUT = 20.0


def wait_for_pong(port: int, deadline: float) -> None:
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            if time.perf_counter() > deadline:
                raise
            time.sleep(0.001)


# Each case returns (wall seconds, CPU seconds) from "start" to the first PONG. CPU time
# hardly depends on what else the machine runs; wall time does.

def in_thread() -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    server = pyredis.Server(port=0).start()
    try:
        wait_for_pong(server.port, started + PING_TIMEOUT)
        return time.perf_counter() - started, time.process_time() - cpu
    finally:
        server.stop()


def in_child_process() -> tuple[float, float]:
    started = time.perf_counter()
    server = pyredis.Server.start_process(port=0)
    try:
        wait_for_pong(server.port, started + PING_TIMEOUT)
        return time.perf_counter() - started, cpu_ns(server._process.pid) / 1e9
    finally:
        server.stop()


def redis_server() -> tuple[float, float]:
    started = time.perf_counter()
    try:
        server = launch("redis", start_timeout=PING_TIMEOUT)
    except FileNotFoundError as exc:
        raise SystemExit(str(exc)) from None
    try:
        return time.perf_counter() - started, cpu_ns(server.pid) / 1e9
    finally:
        server.stop()


FIRST_START = """
import time
started, cpu = time.perf_counter(), time.process_time()
import pyredis
from benchmarks.startup import wait_for_pong
server = pyredis.Server(port=0).start()
wait_for_pong(server.port, started + 20)
print(time.perf_counter() - started, time.process_time() - cpu)
server.stop()
"""


def first_start() -> tuple[float, float]:
    """A fresh interpreter's first in-process server, `import pyredis` included."""
    out = subprocess.run([sys.executable, "-c", FIRST_START], capture_output=True, text=True,
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), check=True)
    wall, cpu = out.stdout.split()[-2:]
    return float(wall), float(cpu)


CASES: list[tuple[str, Callable[[], tuple[float, float]]]] = [
    ("pyredis.Server().start()  (thread)", in_thread),
    ("pyredis.Server.start_process()", in_child_process),
    ("first start, imports included (thread)", first_start),
    ("redis-server 7 (child process)", redis_server),
]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="starts per case (default 20)")
    parser.add_argument("--readme", default="",
                        help="README file whose start-up results section to update")
    args = parser.parse_args(argv)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in CASES}
    in_thread()                             # the first one imports the command modules
    load_before = os.getloadavg()[0]
    for _ in range(args.runs):              # interleaved, so load changes hit every case
        for name, case in CASES:
            times[name].append(case())
    lines = [f"| {'server':<40} | wall ms: median | min | max | CPU ms: median |",
             f"|{'-' * 42}|---------------:|----:|----:|---------------:|"]
    for name, values in times.items():
        wall = [w * 1000 for w, _ in values]
        cpu = statistics.median(c * 1000 for _, c in values)
        lines.append(f"| {name:<40} | {statistics.median(wall):14.1f} | {min(wall):3.0f} | "
                     f"{max(wall):3.0f} | {cpu:14.1f} |")
    lines += ["", f"`python -m benchmarks.startup --runs {args.runs}`: {args.runs} starts each, "
                  f"interleaved, on {os.cpu_count()} CPUs with a load average of "
                  f"{load_before:.1f} to {os.getloadavg()[0]:.1f}. Wall time is from the call "
                  "(or the spawn) to the first PONG; CPU time is the server's until then (the "
                  "whole test process's for the thread cases)."]
    if sys.dont_write_bytecode:
        lines.append("Bytecode was not cached (PYTHONDONTWRITEBYTECODE): every new interpreter "
                     "compiled pyredis from source, which an installed package does not do.")
    print("\n".join(lines))
    if args.readme:
        update_readme(args.readme, lines)
    return 0


def update_readme(path: str, lines: list[str]) -> None:
    """Replace the text between the README's start-up results markers."""
    start, end = "<!-- startup results: start -->", "<!-- startup results: end -->"
    with open(path) as f:
        text = f.read()
    head, found, rest = text.partition(start)
    if not found or end not in rest:
        raise SystemExit(f"{path} has no {start} ... {end} section")
    tail = rest.split(end, 1)[1]
    with open(path, "w") as f:
        f.write(head + start + "\n" + "\n".join(lines) + "\n" + end + tail)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
