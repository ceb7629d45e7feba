"""Tables (Markdown, printed as they are and put in the README), the target checks, a bar
chart for the terminal, and the JSON/CSV result files."""
from __future__ import annotations

import csv
import json
import math
import os
import platform
import re
import subprocess
from dataclasses import asdict
from typing import Any, Optional

from .memory import ClientMemory, KeyMemory
from .parser import ParserResult
from .throughput import COMPLEX, SIMPLE, CaseResult

# The performance issue's targets: the simple commands (PING as PING_MBULK) whose geometric
# mean is held to a ceiling, the heavier ones held each to their own, the pure Python build's
# ratios before that work (which it is to beat), and the big values' size.
TARGET_SIMPLE = ["PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPOP", "SADD", "HSET", "SPOP"]
TARGET_COMPLEX = ["ZADD", "ZPOPMIN", "LRANGE_100", "LRANGE_300", "MSET"]
PURE_BEFORE = {16: 3.9, 1: 1.6}
BIG_VALUE = 100 * 1024

README_START = "<!-- benchmark results: start -->"
README_END = "<!-- benchmark results: end -->"


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = re.search(r"model name\s*:\s*(.*)", f.read()).group(1)  # type: ignore
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/meminfo") as f:
            mem_gb = int(f.readline().split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        mem_gb = 0.0
    redis = subprocess.run(["redis-server", "--version"], capture_output=True, text=True)
    version = re.search(r"v=(\S+)", redis.stdout)
    try:
        import hiredis
        hiredis_version = hiredis.__version__
    except ImportError:
        hiredis_version = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_gb, 1),
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(),
            "redis": version.group(1) if version else "?", "hiredis": hiredis_version}


def _ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    """a / b, or None when either is missing, zero or infinite (redis-benchmark says "inf"
    requests/s for a run too short to time)."""
    if a is None or b is None or not (0 < a < math.inf and 0 < b < math.inf):
        return None
    return a / b


def _fmt(value: Optional[float], spec: str = ",.0f") -> str:
    return "-" if value is None else format(value, spec)


def _x(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).rjust(w) for c, w in zip(r, widths)) + " |"
    return [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + \
        [line(r) for r in rows]


def geomean(values: list[float]) -> Optional[float]:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


class Report:
    def __init__(self, labels: list[str], command: str) -> None:
        self.labels = labels            # the pyredis variants and peers, next to "redis"
        self.builds: dict[str, str] = {}   # pyredis label -> its build (peers have none)
        self.command = command
        self.machine = machine()
        self.load: list[tuple[float, float, float]] = []
        self.throughput: list[CaseResult] = []
        self.keys: dict[str, list[KeyMemory]] = {}
        self.clients: dict[str, ClientMemory] = {}
        self.parser: list[ParserResult] = []

    # -- tables --------------------------------------------------------------------------

    def throughput_table(self) -> list[str]:
        header = ["test", "-P", "redis rps"]
        for label in self.labels:
            header += [f"{label} rps", "x"]
        header.append("redis us/req")
        for label in self.labels:
            header += [f"{label} us/req", "x"]
        rows = []
        for result in self.throughput:
            redis_rps = result.median("redis", "rps")
            redis_cpu = result.median("redis", "cpu_us")
            row = [result.case.name, str(result.case.pipeline), _fmt(redis_rps)]
            for label in self.labels:
                if label in result.skipped and not result.samples.get(label):
                    row += ["failed" if result.skipped[label].startswith("failed")
                            else "not implemented", "-"]
                    continue
                rps = result.median(label, "rps")
                row += [_fmt(rps), _x(_ratio(rps, redis_rps))]
            row.append(_fmt(redis_cpu, ".2f"))
            for label in self.labels:
                cpu = result.median(label, "cpu_us")
                row += [_fmt(cpu, ".2f"), _x(_ratio(cpu, redis_cpu))]
            rows.append(row)
        return _table(header, rows)

    def latency_table(self) -> list[str]:
        header = ["test (-P 1 -c 50)", "redis p50 ms"]
        for label in self.labels:
            header += [f"{label} p50", "x"]
        header.append("redis p99 ms")
        for label in self.labels:
            header += [f"{label} p99", "x"]
        rows = []
        for result in self._main_cases(1):
            p50, p99 = result.median("redis", "p50_ms"), result.median("redis", "p99_ms")
            row = [result.case.name, _fmt(p50, ".3f")]
            for label in self.labels:
                value = result.median(label, "p50_ms")
                row += [_fmt(value, ".3f"), _x(_ratio(value, p50))]
            row.append(_fmt(p99, ".3f"))
            for label in self.labels:
                value = result.median(label, "p99_ms")
                row += [_fmt(value, ".3f"), _x(_ratio(value, p99))]
            rows.append(row)
        return _table(header, rows)

    def memory_table(self) -> list[str]:
        labels = [label for label in self.labels if label in self.keys]   # not the peers
        header = ["keys", "redis RSS B/key"]
        for label in labels:
            header += [f"{label} RSS B/key", "x"]
        header.append("redis used_memory B/key")
        for label in labels:
            header += [f"{label} used_memory B/key", "x"]
        rows = []
        for kind_result in self.keys.get("redis", []):
            kind = kind_result.kind
            row = [f"{kind_result.keys:,} {kind}", _fmt(kind_result.rss_per_key)]
            mine = {label: next((k for k in self.keys.get(label, []) if k.kind == kind), None)
                    for label in labels}
            for label in labels:
                value = mine[label].rss_per_key if mine[label] else None
                row += [_fmt(value), _x(_ratio(value, kind_result.rss_per_key))]
            row.append(_fmt(kind_result.used_per_key))
            for label in labels:
                value = mine[label].used_per_key if mine[label] else None
                row += [_fmt(value), _x(_ratio(value, kind_result.used_per_key))]
            rows.append(row)
        return _table(header, rows)

    def clients_table(self) -> list[str]:
        header = ["server", "idle clients", "accepted", "RSS B/client", "answered PING",
                  "all answered in s"]
        rows = [[label, f"{c.clients:,}", f"{c.connected:,}", _fmt(c.rss_per_client),
                 f"{c.answered:,}", _fmt(c.serve_all_s, ".2f")]
                for label, c in self.clients.items()]
        return _table(header, rows)

    def parser_table(self) -> list[str]:
        names = list(dict.fromkeys(r.parser for r in self.parser))
        header = ["workload"] + [f"{n} ns/command" for n in names]
        rows = []
        for workload in dict.fromkeys(r.workload for r in self.parser):
            by_name = {r.parser: r.ns_per_command for r in self.parser if r.workload == workload}
            rows.append([workload] + [_fmt(by_name.get(n)) for n in names])
        return _table(header, rows)

    # -- targets -------------------------------------------------------------------------

    def _main_cases(self, pipeline: int, tests: Optional[list[str]] = None) -> list[CaseResult]:
        names = tests or SIMPLE + COMPLEX
        return [r for r in self.throughput if r.case.pipeline == pipeline
                and r.case.data_size == 3 and r.case.test in names]

    def _ratios(self, label: str, pipeline: int, tests: list[str], attr: str) -> list[float]:
        out = []
        for result in self._main_cases(pipeline, tests):
            value = _ratio(result.median(label, attr), result.median("redis", attr))
            if value is not None:
                out.append(value)
        return out

    def _worst(self, label: str, results: list[CaseResult]) -> tuple[Optional[float], str]:
        """The highest CPU per request ratio to Redis among these cases, and of how many."""
        ratios = [v for r in results if (v := _ratio(r.median(label, "cpu_us"),
                                                     r.median("redis", "cpu_us"))) is not None]
        return (max(ratios) if ratios else None), f" ({len(ratios)}/{len(results)} tests)"

    def targets(self) -> list[str]:
        """The performance issue's targets, for each pyredis build and I/O backend."""
        rows = []

        def check(what: str, label: str, goal: str, value: Optional[float],
                  ok: Optional[bool], count: str = "") -> None:
            verdict = "n/a" if value is None or ok is None else ("yes" if ok else "NO")
            rows.append([what, label, goal, _x(value) + (count if value is not None else ""),
                         verdict])

        peers = [label for label in self.labels if not self.builds.get(label)]
        big = [r for r in self.throughput if r.case.data_size == BIG_VALUE]
        for label in self.labels:
            build = self.builds.get(label)
            if not build:
                continue        # a peer: measured, not held to pyredis's targets
            compiled = build != "pure"
            for pipeline, ceiling, goal in ((16, 2.0, 1.3), (1, 1.3, 1.2)):
                ratios = self._ratios(label, pipeline, TARGET_SIMPLE, "cpu_us")
                g = geomean(ratios)
                count = f" ({len(ratios)}/{len(TARGET_SIMPLE)} tests)"
                if compiled:
                    check(f"simple CPU/req geomean -P {pipeline}", label,
                          f"<= {ceiling}x (project goal {goal}x)", g,
                          None if g is None else g <= ceiling, count)
                else:
                    before = PURE_BEFORE[pipeline]
                    check(f"simple CPU/req geomean -P {pipeline}", label,
                          f"< {before}x (before this work)", g,
                          None if g is None else g < before, count)
            worst, count = self._worst(label, self._main_cases(16, TARGET_COMPLEX))
            check("ZADD..MSET CPU/req worst -P 16", label, "<= 2.5x", worst,
                  None if worst is None else worst <= 2.5, count)
            worst, count = self._worst(label, big)
            check("SET/GET 100KB CPU/req worst", label, "<= 2x", worst,
                  None if worst is None else worst <= 2, count)
            for attr, ceiling in (("p50_ms", 1.5), ("p99_ms", 2.0)):
                g = geomean(self._ratios(label, 1, TARGET_SIMPLE + TARGET_COMPLEX, attr))
                check(f"latency {attr[:3]} geomean -P 1", label, f"<= {ceiling}x", g,
                      None if g is None else g <= ceiling)
            redis_strings = next((k for k in self.keys.get("redis", []) if k.kind == "string"),
                                 None)
            mine = next((k for k in self.keys.get(label, []) if k.kind == "string"), None)
            value = _ratio(mine.rss_per_key if mine else None,
                           redis_strings.rss_per_key if redis_strings else None)
            check("RSS per small string key", label, "<= 1.5x", value,
                  None if value is None else value <= 1.5)
            for peer in peers:
                for pipeline in (16, 1):
                    ratios = [v for r in self._main_cases(pipeline, TARGET_SIMPLE)
                              if (v := _ratio(r.median(label, "rps"),
                                              r.median(peer, "rps"))) is not None]
                    g = geomean(ratios)
                    check(f"simple rps geomean -P {pipeline} vs {peer}", label, "> 1x (ahead)",
                          g, None if g is None else g > 1,
                          f" ({len(ratios)}/{len(TARGET_SIMPLE)} tests)")
        return _table(["target", "server", "goal", "measured", "met"], rows)

    # -- chart ---------------------------------------------------------------------------

    def chart(self, width: int = 40) -> list[str]:
        """Horizontal bars of CPU per request relative to Redis (| marks 1x; 3x full width)."""
        lines = [f"CPU per request relative to redis (each '#' = {3 / width:.3f}x, "
                 f"'|' = 1x, '>' = more than 3x)"]
        one = round(width / 3)
        for label in self.labels:
            lines.append(f"  {label}")
            for result in self.throughput:
                value = _ratio(result.median(label, "cpu_us"), result.median("redis", "cpu_us"))
                name = f"{result.case.name} -P {result.case.pipeline}"
                if value is None:
                    lines.append(f"    {name:<18} (not run)")
                    continue
                filled = min(width, round(value / 3 * width))
                bar = ["#" if i < filled else " " for i in range(width)]
                if bar[one] == " ":
                    bar[one] = "|"
                over = ">" if value > 3 else " "
                lines.append(f"    {name:<18} {''.join(bar)}{over} {value:.2f}x")
        return lines

    # -- output --------------------------------------------------------------------------

    def markdown(self) -> list[str]:
        m = self.machine
        out = [f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}; "
               f"Python {m['python']}, redis-server {m['redis']}, hiredis {m['hiredis']}.",
               f"Command: `{self.command}`. Load average (1/5/15 min) before: "
               + " / ".join(f"{v:.2f}" for v in self.load[0]) + ", after: "
               + " / ".join(f"{v:.2f}" for v in self.load[-1]) + ".", ""]
        if self.throughput:
            rounds = max((len(s) for r in self.throughput for s in r.samples.values()),
                         default=0)
            out += ["Targets (ratios to Redis measured in the same run):", ""]
            out += self.targets() + [""]
            out += [f"Throughput and server CPU per request (redis-benchmark -c 50 -r 100000, "
                    f"median of {rounds} interleaved rounds; 100KB cases use -r 1000):", ""]
            out += self.throughput_table() + ["", "Latency (redis-benchmark, -P 1 -c 50):", ""]
            out += self.latency_table() + [""]
        if self.keys:
            out += ["Memory after loading keys (small strings: 12-byte keys and values; "
                    "hashes, sets and sorted sets of 10 small fields):", ""]
            out += self.memory_table() + [""]
        if self.clients:
            out += ["Idle clients (connected, never sent a byte; then all PING at once):", ""]
            out += self.clients_table() + [""]
        if self.parser:
            out += ["Request parser alone (16 KB reads of a pipeline, best of 3):", ""]
            out += self.parser_table() + [""]
        if self.throughput:
            out += ["```text"] + self.chart() + ["```", ""]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command, "machine": self.machine, "load_average": self.load,
            "builds": self.builds,
            "throughput": [{"case": asdict(r.case),
                            "samples": {k: [asdict(s) for s in v] for k, v in r.samples.items()},
                            "skipped": r.skipped} for r in self.throughput],
            "keys": {k: [asdict(x) for x in v] for k, v in self.keys.items()},
            "clients": {k: asdict(v) for k, v in self.clients.items()},
            "parser": [asdict(p) for p in self.parser],
        }

    def write(self, directory: str) -> list[str]:
        os.makedirs(directory, exist_ok=True)
        paths = [os.path.join(directory, name) for name in
                 ("latest.json", "latest.csv", "latest.md")]
        with open(paths[0], "w") as f:
            json.dump(self.to_json(), f, indent=1)
        with open(paths[1], "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["test", "pipeline", "data_size", "server", "rps", "cpu_us_per_req",
                             "p50_ms", "p99_ms", "rounds"])
            for r in self.throughput:
                for label, samples in r.samples.items():
                    writer.writerow([r.case.name, r.case.pipeline, r.case.data_size, label,
                                     r.median(label, "rps"), r.median(label, "cpu_us"),
                                     r.median(label, "p50_ms"), r.median(label, "p99_ms"),
                                     len(samples)])
        with open(paths[2], "w") as f:
            f.write("\n".join(self.markdown()) + "\n")
        return paths

    def update_readme(self, path: str) -> None:
        """Replace the README's results section (between the markers) with this run."""
        with open(path) as f:
            text = f.read()
        section = README_START + "\n" + "\n".join(self.markdown()) + "\n" + README_END
        if README_START in text and README_END in text:
            head, rest = text.split(README_START, 1)
            text = head + section + rest.split(README_END, 1)[1]
        else:
            text = text.rstrip("\n") + "\n\n## Benchmarks\n\n" + section + "\n"
        with open(path, "w") as f:
            f.write(text)
