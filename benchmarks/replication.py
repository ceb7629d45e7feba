"""Replication, pyredis next to redis-server, with pyredis and redis-server on either side:

    python -m benchmarks.replication [--keys 1000000] [--requests 200000] [--rounds 1]

  full sync  a master loaded with --keys keys (DEBUG POPULATE), a new empty replica told
             REPLICAOF: seconds until the replica's master_link_status is up and it holds
             every key (then DEBUG DIGEST is compared on both sides, outside the timing);
             diskless transfer (Redis 7's default) with no delay
  lag        redis-benchmark SET (-c 50 -P 16, 1,000,000 random keys) to the master, --requests
             of them; INFO replication sampled every 20 ms on the master: master_repl_offset
             minus the replica's acknowledged offset (its slave0 line), median and largest;
             then the seconds from the load's end until the replica's own offset reached the
             master's (catch-up)
  reload     SAVE, then DEBUG RELOAD NOSAVE (the dataset emptied and loaded from that
             file) of the --keys keys on each master: seconds of each

Pairs are master -> replica; ratios are to redis -> redis (to redis for reload) measured in
the same run. With --baseline DIR, pyredis from that checkout runs as a third kind
("baseline", paired with itself), for before/after figures in one run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from typing import Callable

from .servers import Conn, Server

SAMPLE_EVERY = 0.02      # seconds between lag samples
ARGS = ["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"]


def info(conn: Conn, section: str = "replication") -> dict[str, str]:
    text = conn.call("INFO", section)
    assert isinstance(text, bytes), text
    fields = {}
    for line in text.decode().splitlines():
        if ":" in line and not line.startswith("#"):
            name, value = line.split(":", 1)
            fields[name] = value
    return fields


def acked_offset(master_info: dict[str, str]) -> int:
    """The offset the first replica acknowledged, from `slave0:ip=...,offset=N,lag=...`."""
    parts = dict(item.split("=", 1) for item in master_info["slave0"].split(","))
    return int(parts["offset"])


def wait_until(check: Callable[[], bool], what: str, timeout: float = 600.0,
               every: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout} s: {what}")
        time.sleep(every)


class Kinds:
    """Which server each kind name starts: redis, pyredis, and the baseline checkout."""

    def __init__(self, baseline: str) -> None:
        self.baseline = baseline

    def start(self, kind: str) -> Server:
        if kind == "baseline":
            return Server("pyredis", extra=ARGS, root=self.baseline, label="baseline")
        return Server(kind, extra=ARGS)


def full_sync(master: Server, master_conn: Conn, replica_kind: str, kinds: Kinds,
              keys: int) -> float:
    """Seconds from REPLICAOF until a new replica is up with every key."""
    replica = kinds.start(replica_kind)
    try:
        conn = Conn(replica.port, timeout=600)
        started = time.monotonic()
        conn.call("REPLICAOF", "127.0.0.1", master.port)
        wait_until(lambda: info(conn).get("master_link_status") == "up"
                   and conn.call("DBSIZE") == keys, "the replica up with every key")
        seconds = time.monotonic() - started
        digest = conn.call("DEBUG", "DIGEST")
        assert digest == master_conn.call("DEBUG", "DIGEST"), "the datasets differ"
        conn.close()
        return seconds
    finally:
        replica.stop()


def lag(master: Server, master_conn: Conn, replica_kind: str, kinds: Kinds,
        requests: int) -> dict[str, float]:
    """The replica's lag under redis-benchmark SET on the master (see the module's doc)."""
    master_conn.call("FLUSHALL")
    replica = kinds.start(replica_kind)
    try:
        conn = Conn(replica.port, timeout=600)
        conn.call("REPLICAOF", "127.0.0.1", master.port)
        wait_until(lambda: info(conn).get("master_link_status") == "up"
                   and info(master_conn).get("slave0", "").find("state=online") >= 0,
                   "the replica online")
        load = subprocess.Popen(
            ["redis-benchmark", "-p", str(master.port), "-t", "set", "-n", str(requests),
             "-c", "50", "-P", "16", "-r", "1000000", "-q"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        started = time.monotonic()
        samples = []
        while load.poll() is None:
            fields = info(master_conn)
            if "slave0" in fields:
                samples.append(int(fields["master_repl_offset"]) - acked_offset(fields))
            time.sleep(SAMPLE_EVERY)
        ended = time.monotonic()
        output = load.communicate()[0]
        assert load.returncode == 0, output
        target = int(info(master_conn)["master_repl_offset"])
        wait_until(lambda: int(info(conn)["slave_repl_offset"]) >= target, "the catch-up",
                   every=0.005)
        catch_up = time.monotonic() - ended
        assert conn.call("DEBUG", "DIGEST") == master_conn.call("DEBUG", "DIGEST")
        conn.close()
        return {"rps": requests / (ended - started), "median": statistics.median(samples or [0]),
                "max": max(samples or [0]), "catch_up": catch_up}
    finally:
        replica.stop()


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.replication", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--keys", type=int, default=1_000_000)
    p.add_argument("--requests", type=int, default=200_000)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--baseline", default="", metavar="DIR",
                   help="also run pyredis from this checkout, as the kind 'baseline'")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: tiny counts (checks the benchmark, not speed)")
    args = p.parse_args(argv)
    if args.quick:
        args.keys, args.requests, args.rounds = 2000, 2000, 1
    kinds = Kinds(args.baseline)
    pairs = [("redis", "redis"), ("pyredis", "pyredis"), ("redis", "pyredis"),
             ("pyredis", "redis")] + ([("baseline", "baseline")] if args.baseline else [])
    masters = sorted({m for m, _ in pairs}, key=[m for m, _ in pairs].index)

    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    load_before = os.getloadavg()
    syncs: dict[tuple[str, str], list[float]] = {}
    lags: dict[tuple[str, str], list[dict[str, float]]] = {}
    reloads: dict[str, list[tuple[float, float]]] = {}
    for round_no in range(1, args.rounds + 1):
        for master_kind in masters:
            master = kinds.start(master_kind)
            try:
                conn = Conn(master.port, timeout=600)
                conn.call("DEBUG", "POPULATE", args.keys)
                started = time.monotonic()
                assert conn.call("SAVE") == b"OK"
                saved = time.monotonic()
                assert conn.call("DEBUG", "RELOAD", "NOSAVE") == b"OK"
                times = (saved - started, time.monotonic() - saved)
                reloads.setdefault(master_kind, []).append(times)
                progress(f"round {round_no} SAVE, DEBUG RELOAD NOSAVE {master_kind}: "
                         f"{times[0]:.2f} s, {times[1]:.2f} s")
                replica_kinds = [replica for master_of, replica in pairs
                                 if master_of == master_kind]
                for replica_kind in replica_kinds:
                    taken = full_sync(master, conn, replica_kind, kinds, args.keys)
                    syncs.setdefault((master_kind, replica_kind), []).append(taken)
                    progress(f"round {round_no} full sync {master_kind} -> {replica_kind}: "
                             f"{taken:.2f} s")
                for replica_kind in replica_kinds:
                    measured = lag(master, conn, replica_kind, kinds, args.requests)
                    lags.setdefault((master_kind, replica_kind), []).append(measured)
                    progress(f"round {round_no} lag {master_kind} -> {replica_kind}: "
                             f"{measured}")
                conn.close()
            finally:
                master.stop()

    med = statistics.median
    reference = med(syncs[("redis", "redis")])
    print(f"Command: `python -m benchmarks.replication {' '.join(argv)}`".rstrip() + ". Load "
          "average (1/5/15 min) before: %.2f / %.2f / %.2f, after: %.2f / %.2f / %.2f.\n"
          % (*load_before, *os.getloadavg()))
    print(f"| full sync of {args.keys:,} keys, master -> replica | seconds | ratio |")
    print("|---|---|---|")
    for pair, times in syncs.items():
        print(f"| {pair[0]} -> {pair[1]} | {med(times):.2f} | {med(times) / reference:.2f}x |")
    print(f"\n| SET load ({args.requests:,} requests), master -> replica | SET/s "
          "| lag median bytes | lag max bytes | catch-up s | max lag ratio |")
    print("|---|---|---|---|---|---|")
    reference = med(x["max"] for x in lags[("redis", "redis")]) or 1
    for pair, runs in lags.items():
        rps, median, largest, catch_up = (med(x[name] for x in runs)
                                          for name in ("rps", "median", "max", "catch_up"))
        print(f"| {pair[0]} -> {pair[1]} | {rps:,.0f} | {median:,.0f} | {largest:,.0f} "
              f"| {catch_up:.3f} | {largest / reference:.2f}x |")
    print(f"\n| {args.keys:,} keys | SAVE s | ratio | DEBUG RELOAD NOSAVE s | ratio |")
    print("|---|---|---|---|---|")
    save_reference, load_reference = (med(x[n] for x in reloads["redis"]) for n in (0, 1))
    for kind, runs in reloads.items():
        save, load = (med(x[n] for x in runs) for n in (0, 1))
        print(f"| {kind} | {save:.2f} | {save / save_reference:.2f}x | {load:.2f} "
              f"| {load / load_reference:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
