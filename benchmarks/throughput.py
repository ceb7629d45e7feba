"""Throughput, CPU per request and latency: redis-benchmark against each server in turn,
interleaved (Redis, pyredis, Redis, pyredis ... for each case), so that a change in the
machine's load falls on every server alike."""
from __future__ import annotations

import csv
import io
import statistics
import subprocess
from dataclasses import dataclass, field, replace
from typing import Callable, Optional

from .servers import PEERS, Conn, Server

# The tests of the issue, as redis-benchmark -t names them, with a probe command that tells
# whether a server implements what the test sends (redis-benchmark stops at the first error).
SIMPLE = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP",
          "SADD", "HSET", "SPOP"]
COMPLEX = ["ZADD", "ZPOPMIN", "LRANGE_100", "LRANGE_300", "MSET"]
PROBES: dict[str, list[tuple]] = {
    "PING_INLINE": [("PING",)], "PING_MBULK": [("PING",)],
    "SET": [("SET", "bench:probe", "x")], "GET": [("GET", "bench:probe")],
    "INCR": [("INCR", "bench:probe:n")], "LPUSH": [("LPUSH", "bench:probe:l", "x")],
    "RPUSH": [("RPUSH", "bench:probe:l", "x")], "LPOP": [("LPOP", "bench:probe:l")],
    "RPOP": [("RPOP", "bench:probe:l")], "SADD": [("SADD", "bench:probe:s", "x")],
    "HSET": [("HSET", "bench:probe:h", "f", "v")], "SPOP": [("SPOP", "bench:probe:s")],
    "ZADD": [("ZADD", "bench:probe:z", "1", "x")], "ZPOPMIN": [("ZPOPMIN", "bench:probe:z")],
    "LRANGE_100": [("RPUSH", "bench:probe:l", "x"), ("LRANGE", "bench:probe:l", "0", "99")],
    "LRANGE_300": [("RPUSH", "bench:probe:l", "x"), ("LRANGE", "bench:probe:l", "0", "299")],
    "LRANGE_600": [("RPUSH", "bench:probe:l", "x"), ("LRANGE", "bench:probe:l", "0", "599")],
    "MSET": [("MSET", "bench:probe:a", "x", "bench:probe:b", "y")],
}
LIST_ELEMENTS = 600   # what redis-benchmark's own LRANGE setup leaves at least in mylist
PEER_REQUESTS = 5000  # at most this many requests in a peer's run
PEER_TIMEOUT = 60     # seconds a peer's run may take before it counts as failed


@dataclass
class Case:
    """One redis-benchmark run configuration: a test at a pipeline depth and value size."""
    test: str
    pipeline: int
    requests: int
    data_size: int = 3
    key_range: int = 100_000
    label: str = ""
    fill: int = 0        # keys of data_size bytes SET beforehand (key:000000000000 ...)

    @property
    def name(self) -> str:
        return self.label or self.test

    def benchmark_args(self) -> list[str]:
        """The test part of the redis-benchmark command line. LRANGE runs as a custom
        command so that redis-benchmark's own LPUSH fill stays out of the measurement."""
        if self.test.startswith("LRANGE_"):
            last = int(self.test.split("_")[1]) - 1
            return ["LRANGE", "mylist", "0", str(last)]
        return ["-t", self.test.lower()]

    def prepare(self, conn: Conn) -> None:
        """Set up what the test reads, outside the measured window."""
        if self.test.startswith("LRANGE_"):
            conn.call("DEL", "mylist")
            conn.call("RPUSH", "mylist", *[b"x" * self.data_size] * LIST_ELEMENTS)
        for i in range(self.fill):
            conn.call("SET", b"key:%012d" % i, b"x" * self.data_size)


@dataclass
class Sample:
    rps: float
    cpu_us: float          # server CPU microseconds per request
    p50_ms: float
    p99_ms: float


@dataclass
class CaseResult:
    case: Case
    samples: dict[str, list[Sample]] = field(default_factory=dict)   # server label -> rounds
    skipped: dict[str, str] = field(default_factory=dict)            # server label -> why

    def median(self, label: str, attr: str) -> Optional[float]:
        values = [getattr(s, attr) for s in self.samples.get(label, [])]
        return statistics.median(values) if values else None


def build_cases(requests: int, tests: Optional[list[str]] = None) -> list[Case]:
    """Every test at -P 1 and -P 16, then SET/GET with 1 KB and 100 KB values. Request
    counts are scaled down for the heavy cases so each run lasts about as long."""
    scale = {"LRANGE_100": 0.25, "LRANGE_300": 0.1, "MSET": 0.5}
    cases: list[Case] = []
    for pipeline in (1, 16):
        for test in SIMPLE + COMPLEX:
            if tests and test not in tests:
                continue
            n = max(100, int(requests * scale.get(test, 1.0)))
            cases.append(Case(test, pipeline, n))
    for size, label, fraction, key_range in ((1024, "1KB", 0.5, 100_000),
                                             (100 * 1024, "100KB", 0.02, 1000)):
        for pipeline in (1, 16):
            for test in ("SET", "GET"):
                if tests and f"{test}_{label}" not in tests and test not in tests:
                    continue
                cases.append(Case(test, pipeline, max(100, int(requests * fraction)),
                                  data_size=size, key_range=key_range,
                                  label=f"{test} {label}"))
    return cases


def supported(server: Server, test: str) -> Optional[str]:
    """None when the server implements the test's commands, else the error it answered
    ("failed: ..." when a peer hung up on them)."""
    conn = Conn(server.port)
    try:
        why = None
        for args in PROBES[test]:
            reply = conn.call(*args)
            if isinstance(reply, Exception) and "unknown command" in str(reply):
                why = str(reply)
                break
        conn.call("FLUSHALL")
        return why
    except OSError as exc:
        if server.kind not in PEERS:
            raise
        return f"failed: {exc}"
    finally:
        conn.close()


def run_once(server: Server, case: Case, clients: int, timeout: float = 900) -> Sample:
    """One redis-benchmark run, with the server's CPU time read just before and after."""
    conn = Conn(server.port)
    try:
        case.prepare(conn)
    finally:
        conn.close()
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-c", str(clients),
           "-n", str(case.requests), "-P", str(case.pipeline), "-r", str(case.key_range),
           "-d", str(case.data_size), "--csv"] + case.benchmark_args()
    before = server.cpu_ns()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    after = server.cpu_ns()
    rows = [row for row in csv.reader(io.StringIO(out.stdout)) if row and row[0] != "test"]
    if out.returncode != 0 or not rows:
        raise RuntimeError(f"redis-benchmark failed on {server.label} ({case.name}): "
                           f"{out.stderr.strip() or out.stdout.strip()}")
    row = rows[-1]
    return Sample(rps=float(row[1]), cpu_us=(after - before) / 1000 / case.requests,
                  p50_ms=float(row[4]), p99_ms=float(row[6]))


def run(servers: list[Server], cases: list[Case], rounds: int, clients: int,
        progress: Callable[[str], None]) -> list[CaseResult]:
    """Each round runs every case on every server, one after the other (A, B, A, B ...)."""
    results = [CaseResult(case) for case in cases]
    tests = {case.test for case in cases}
    unsupported = {(s.label, t): why for s in servers for t in sorted(tests)
                   if (why := supported(s, t)) is not None}
    for result in results:
        for server in servers:
            why = unsupported.get((server.label, result.case.test))
            if why:
                result.skipped[server.label] = why
    for round_no in range(rounds):
        for server in servers:
            try:
                conn = Conn(server.port)
                conn.call("FLUSHALL")
                conn.close()
            except OSError:
                if server.kind not in PEERS:
                    raise
                for result in results:      # a peer gone: nothing more is run on it
                    result.skipped[server.label] = "failed"
        for result in results:
            case = result.case
            for server in servers:
                if server.label in result.skipped:
                    continue
                if server.kind in PEERS:
                    # Fewer requests: the peers are slow. One that breaks down is reported,
                    # not the end of the run; one too slow at a depth is not run at it again.
                    try:
                        sample = run_once(server, replace(case, requests=min(
                            case.requests, PEER_REQUESTS)), clients, PEER_TIMEOUT)
                    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
                        failed = [result]
                        if isinstance(exc, subprocess.TimeoutExpired):
                            # the cases still to come of this size and depth
                            failed += [r for r in results[results.index(result):]
                                       if r.case.pipeline == case.pipeline
                                       and r.case.data_size == case.data_size]
                        for other in failed:
                            other.skipped[server.label] = "failed"
                        progress(f"round {round_no + 1}/{rounds} {case.name:<12} -P "
                                 f"{case.pipeline:<2} {server.label}: failed: "
                                 f"{str(exc).splitlines()[0][:200]}")
                        continue
                else:
                    sample = run_once(server, case, clients)
                result.samples.setdefault(server.label, []).append(sample)
                progress(f"round {round_no + 1}/{rounds} {case.name:<12} -P {case.pipeline:<2} "
                         f"{server.label:<16} {sample.rps:>11,.0f} rps "
                         f"{sample.cpu_us:>7.2f} us/req")
    return results
