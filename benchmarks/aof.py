"""The append-only file, pyredis next to redis-server with the same settings:

    python -m benchmarks.aof [--requests 100000] [--keys 1000000] [--rounds 2]

  writes    redis-benchmark SET (-c 50, -P 1 and -P 16) with appendonly yes and appendfsync
            everysec, then always: requests/s and the server's CPU time per request
  rewrite   BGREWRITEAOF of --keys keys (DEBUG POPULATE): seconds until INFO shows it done
  load      a restart on that appendonlydir: seconds from start to the first PONG (a server
            answers -LOADING until the dataset is in)

Each server runs in its own temporary directory; rounds are interleaved (Redis, pyredis ...)
so that the machine's load falls on both alike. Ratios are pyredis / redis-server.
"""
from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import sys
import tempfile
import time

from .servers import Conn, Server
from .throughput import Case, run_once

KINDS = ("redis", "pyredis")


def aof_server(kind: str, directory: str, fsync: str) -> Server:
    return Server(kind, extra=["--dir", directory, "--appendonly", "yes",
                               "--appendfsync", fsync, "--enable-debug-command", "yes"])


def wait_until(conn: Conn, field: str, value: bytes, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = conn.call("INFO", "persistence")
        if isinstance(info, bytes) and f"{field}:".encode() + value in info:
            return
        time.sleep(0.01)
    raise TimeoutError(f"{field} did not become {value!r} in {timeout} s")


def first_pong(port: int, started: float, timeout: float) -> float:
    """Seconds from `started` to a +PONG (not -LOADING) on a new connection."""
    deadline = started + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
                while time.monotonic() < deadline:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return time.monotonic() - started
                    time.sleep(0.005)
        except OSError:
            time.sleep(0.005)
    raise TimeoutError("no PONG")


def writes(requests: int, rounds: int, progress) -> dict:
    """{(fsync, pipeline): {kind: [(rps, cpu_us)]}}"""
    results: dict = {}
    for fsync in ("everysec", "always"):
        dirs = {kind: tempfile.mkdtemp(prefix=f"aof-{kind}-") for kind in KINDS}
        servers = {kind: aof_server(kind, dirs[kind], fsync) for kind in KINDS}
        try:
            for round_no in range(rounds):
                for pipeline in (1, 16):
                    case = Case("SET", pipeline, requests)
                    for kind in KINDS:
                        sample = run_once(servers[kind], case, 50)
                        results.setdefault((fsync, pipeline), {}).setdefault(kind, []).append(
                            (sample.rps, sample.cpu_us))
                        progress(f"round {round_no + 1} {fsync:<8} -P {pipeline:<2} {kind:<8}"
                                 f" {sample.rps:>10,.0f} rps {sample.cpu_us:>7.2f} us/req")
        finally:
            for kind in KINDS:
                servers[kind].stop()
                shutil.rmtree(dirs[kind], ignore_errors=True)
    return results


def rewrite_and_load(keys: int, rounds: int, progress) -> dict:
    """{"rewrite"|"load": {kind: [seconds]}}"""
    results: dict = {"rewrite": {}, "load": {}}
    for round_no in range(rounds):
        for kind in KINDS:
            directory = tempfile.mkdtemp(prefix=f"aof-{kind}-")
            try:
                server = aof_server(kind, directory, "everysec")
                try:
                    conn = Conn(server.port, timeout=600)
                    conn.call("DEBUG", "POPULATE", keys, "key", 10)
                    wait_until(conn, "aof_rewrite_in_progress", b"0", 600)
                    started = time.monotonic()
                    conn.call("BGREWRITEAOF")
                    wait_until(conn, "aof_rewrite_in_progress", b"0", 600)
                    seconds = time.monotonic() - started
                    results["rewrite"].setdefault(kind, []).append(seconds)
                    progress(f"round {round_no + 1} BGREWRITEAOF {keys:,} keys {kind:<8} "
                             f"{seconds:.2f} s")
                    conn.close()
                finally:
                    server.stop()
                started = time.monotonic()
                server = aof_server(kind, directory, "everysec")
                try:
                    seconds = first_pong(server.port, started, 600)
                finally:
                    server.stop()
                results["load"].setdefault(kind, []).append(seconds)
                progress(f"round {round_no + 1} load {keys:,} keys {kind:<8} {seconds:.2f} s")
            finally:
                shutil.rmtree(directory, ignore_errors=True)
    return results


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.aof", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=100_000)
    p.add_argument("--keys", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args(argv)
    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    med = statistics.median
    print(f"Command: `python -m benchmarks.aof {' '.join(argv)}`".rstrip() + "\n")
    print("| appendfsync | -P | redis rps | pyredis rps | rps ratio | redis CPU us/req "
          "| pyredis CPU us/req | CPU ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for (fsync, pipeline), by_kind in writes(args.requests, args.rounds, progress).items():
        r_rps, p_rps = (med(x[0] for x in by_kind[k]) for k in KINDS)
        r_cpu, p_cpu = (med(x[1] for x in by_kind[k]) for k in KINDS)
        print(f"| {fsync} | {pipeline} | {r_rps:,.0f} | {p_rps:,.0f} | {p_rps / r_rps:.2f}x "
              f"| {r_cpu:.2f} | {p_cpu:.2f} | {p_cpu / r_cpu:.2f}x |")
    timings = rewrite_and_load(args.keys, args.rounds, progress)
    print(f"\n| {args.keys:,} keys | redis s | pyredis s | ratio |\n|---|---|---|---|")
    for name, label in (("rewrite", "BGREWRITEAOF"), ("load", "start-up load")):
        r, py = (med(timings[name][k]) for k in KINDS)
        print(f"| {label} | {r:.2f} | {py:.2f} | {py / r:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
