"""kill -9 of pyredis under a write load, over and over, with the AOF on:

    python -m benchmarks.aof_crash --fsync always --kills 20

Each round starts pyredis with `--appendonly yes --appendfsync FSYNC` on the same directory,
lets 4 clients SET their own keys, kills the server with SIGKILL at a random moment (0.3 to
2.5 s in), restarts it, and checks every key whose reply a client received. Prints, per kill
and in all, how many acknowledged writes were missing and how long before the kill the
oldest of them was acknowledged (everysec may lose about the last second or two; always
nothing).
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import threading
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from pyredis.launch import launch

CLIENTS = 4


def write(port: int, round_no: int, acked: list[tuple[bytes, float]], index: int) -> None:
    """SET this client's keys until the server dies; each acknowledged key, with when."""
    client = redis.Redis(port=port, socket_timeout=5, retry=Retry(NoBackoff(), 0))
    for i in range(1_000_000):
        key = b"r%d:c%d:%d" % (round_no, index, i)
        try:
            client.set(key, i)
        except (redis.ConnectionError, redis.TimeoutError):
            return
        acked.append((key, time.monotonic()))


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.aof_crash", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fsync", choices=("always", "everysec", "no"), default="always")
    p.add_argument("--kills", type=int, default=20)
    args = p.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="aof-crash-")
    options = ["--dir", folder, "--appendonly", "yes", "--appendfsync", args.fsync]
    worst_missing, worst_age, total = 0, 0.0, 0
    for round_no in range(1, args.kills + 1):
        server = launch("pyredis", options, cwd=folder)
        acked: list[list[tuple[bytes, float]]] = [[] for _ in range(CLIENTS)]

        threads = [threading.Thread(target=write, args=(server.port, round_no, acked[n], n))
                   for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        time.sleep(random.uniform(0.3, 2.5))
        killed_at = time.monotonic()
        os.kill(server.pid, signal.SIGKILL)
        for thread in threads:
            thread.join(10)
        server.wait()
        server = launch("pyredis", options, cwd=folder)
        try:
            check = redis.Redis(port=server.port)
            missing, age = 0, 0.0
            for writes in acked:
                if writes:
                    values = check.mget([key for key, _ in writes])
                    lost = [at for (_, at), value in zip(writes, values) if value is None]
                    missing += len(lost)
                    if lost:
                        age = max(age, killed_at - min(lost))
            count = sum(map(len, acked))
        finally:
            server.stop()
        total += count
        worst_missing, worst_age = max(worst_missing, missing), max(worst_age, age)
        print(f"kill {round_no}: {count} writes acknowledged, {missing} missing, the oldest "
              f"missing acknowledged {age:.3f} s before the kill", flush=True)
    print(f"appendfsync {args.fsync}: {args.kills} kills, {total} acknowledged writes, at most "
          f"{worst_missing} missing after one kill, the oldest {worst_age:.3f} s before it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
