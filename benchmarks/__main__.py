"""python -m benchmarks: pyredis next to the real redis-server on this machine.

Starts redis-server (--save '' --appendonly no) and pyredis (one per --io backend and per
--builds build: the compiled one as installed, the pure Python one forced) on free ports,
with --peers the Python peers installed (fakeredis's TCP server, pyvalkey; throughput only),
and runs, section by section:
  throughput  redis-benchmark -c 50 -r 100000 for each test at -P 1 and -P 16 and SET/GET
              with 1 KB and 100 KB values, interleaved round by round; requests/s, latency
              and the server's CPU time per request (its /proc CPU time around each run)
  memory      RSS and used_memory per key after loading strings, hashes, sets, sorted sets
  clients     RSS per idle client with 10,000 connections open, then a PING on every one
  parser      the request parsers alone, in this process
Prints Markdown tables and a chart, writes results/latest.{json,csv,md}, and with --readme
puts the tables in the README.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Optional

from . import memory, parser, throughput
from .report import Report
from .servers import BUILDS, PEERS, PURE_PYTHON_VARIABLE, Server, start_all, stop_all

SECTIONS = ("throughput", "memory", "clients", "parser")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sections", default=",".join(SECTIONS),
                   help="comma-separated subset of: " + ", ".join(SECTIONS))
    p.add_argument("--io", default="selectors,uvloop",
                   help="pyredis I/O backends to compare, comma-separated (selectors,uvloop)")
    p.add_argument("--builds", default="compiled,pure",
                   help="pyredis builds to run side by side: compiled (as installed) and pure "
                        f"({PURE_PYTHON_VARIABLE}=1); each labelled by the build INFO names")
    p.add_argument("--baseline", default="", metavar="DIR",
                   help="also run pyredis from this checkout (label 'baseline'): before/after")
    p.add_argument("--peers", nargs="?", const=",".join(PEERS), default="",
                   help="also run these Python peers where installed (throughput only; "
                        f"default with the flag: {','.join(PEERS)})")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--requests", type=int, default=100_000,
                   help="redis-benchmark -n for the simple tests (heavy ones get fewer)")
    p.add_argument("--clients", type=int, default=50, help="redis-benchmark -c")
    p.add_argument("--tests", default="", help="only these tests (e.g. SET,GET,LRANGE_100)")
    p.add_argument("--strings", type=int, default=1_000_000, help="string keys to load")
    p.add_argument("--collections", type=int, default=100_000,
                   help="hashes, sets and sorted sets to load (of 10 fields each)")
    p.add_argument("--idle-clients", type=int, default=10_000, help="idle connections")
    p.add_argument("--parser-commands", type=int, default=100_000)
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"),
                   help="directory for latest.json, latest.csv and latest.md")
    p.add_argument("--readme", default="", help="README file whose results section to update")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: one round, tiny counts (checks the suite, not speed)")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.requests = 1, 300
        args.strings, args.collections, args.idle_clients = 3000, 300, 100
        args.parser_commands = 2000
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    sections = [s for s in args.sections.split(",") if s]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown sections: {', '.join(sorted(unknown))}")
    ios = [io for io in args.io.split(",") if io]
    builds = tuple(b for b in args.builds.split(",") if b)
    peers = tuple(p for p in args.peers.split(",") if p)
    for name in set(builds) - set(BUILDS):
        raise SystemExit(f"unknown build {name!r} (one of {', '.join(BUILDS)})")
    for name in set(peers) - set(PEERS):
        raise SystemExit(f"unknown peer {name!r} (one of {', '.join(PEERS)})")
    command = "python -m benchmarks " + " ".join(argv)
    if os.environ.get("MAKELEVEL"):
        command = f"make bench ({command.strip()})"
    report = Report([], command.strip())
    report.load.append(os.getloadavg())

    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def start(extra: Optional[list[str]] = None, with_peers: bool = False) -> list[Server]:
        """The servers of one section; the report's columns are the first section's."""
        servers = start_all(ios, extra, args.baseline, builds, peers if with_peers else (),
                            progress)
        for server in servers:
            if server.label not in report.labels and server.kind != "redis":
                report.labels.append(server.label)
                if server.build:
                    report.builds[server.label] = server.build
        return servers

    started = time.monotonic()
    if "throughput" in sections:
        tests = [t.strip().upper() for t in args.tests.split(",") if t.strip()]
        cases = throughput.build_cases(args.requests, tests)
        servers = start(with_peers=True)
        try:
            report.throughput = throughput.run(servers, cases, args.rounds, args.clients,
                                               progress)
        finally:
            stop_all(servers)
    if "memory" in sections:
        servers = start()
        try:
            for server in servers:
                report.keys[server.label] = memory.key_memory(
                    server, args.strings, args.collections, progress)
        finally:
            stop_all(servers)
    if "clients" in sections:
        memory.raise_fd_limit(args.idle_clients + 256)
        extra = ["--maxclients", str(args.idle_clients + 100)]
        servers = start(extra)
        try:
            for server in servers:
                report.clients[server.label] = memory.idle_clients(server, args.idle_clients)
                progress(f"{server.label}: {args.idle_clients:,} idle clients measured")
        finally:
            stop_all(servers)
    if "parser" in sections:
        report.parser = parser.run(args.parser_commands)

    report.load.append(os.getloadavg())
    text = "\n".join(report.markdown())
    print(text)
    paths = report.write(args.out)
    if args.readme:
        report.update_readme(args.readme)
        paths.append(args.readme)
    progress(f"done in {time.monotonic() - started:.0f}s; wrote {', '.join(paths)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
