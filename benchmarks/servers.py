"""Servers under test (the real redis-server and pyredis, each in a subprocess on a free
127.0.0.1 port) and what is measured on them from outside: CPU time, RSS, INFO fields."""
from __future__ import annotations

import glob
import importlib.util
import os
import socket
import sys
from typing import Callable, Optional

from pyredis.launch import ServerProcess, free_port, launch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpu_ns(pid: int) -> int:
    """CPU time used by every thread of a process so far, in nanoseconds (schedstat, not
    clock ticks)."""
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(path) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that ended meanwhile
    return total


def cpu_ns_all_threads(pid: int) -> int:
    """CPU time of a process's threads, those that ended too (a server with a thread per
    connection), in nanoseconds of clock-tick resolution (/proc/PID/stat's utime + stime)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


class Conn:
    """A minimal blocking RESP connection for control commands (INFO, FLUSHALL, loading)."""

    def __init__(self, port: int, timeout: float = 60.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def read_reply(self) -> object:
        """One reply: bytes for bulk/status, int, an Exception for errors, list for arrays."""
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            return Exception(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            while len(self.buf) < size + 2:
                self._fill()
            data, self.buf = self.buf[:size], self.buf[size + 2:]
            return data
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self.read_reply() for _ in range(count)]
        raise ConnectionError(f"unexpected reply {line[:40]!r}")

    def call(self, *args: object) -> object:
        self.send(encode(args))
        return self.read_reply()

    def count_lines(self, count: int) -> None:
        """Read `count` one-line replies (+OK, :n) of a pipeline, without parsing them."""
        seen = self.buf.count(b"\r\n")
        while seen < count:
            data = self.sock.recv(1 << 20)
            if not data:
                raise ConnectionError("server closed the connection")
            seen += data.count(b"\r\n")
            self.buf = data[data.rfind(b"\r\n") + 2:]
        self.buf = b""


def encode(args: tuple) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


# Python Redis-compatible servers to run beside pyredis (`--peers`), when installed: the
# module that must import, and the command line serving on a port.
PEERS: dict[str, tuple[str, list[str]]] = {
    "fakeredis": ("fakeredis", [sys.executable, "-c",
                                "import sys, fakeredis; fakeredis.TcpFakeServer(('127.0.0.1', "
                                "int(sys.argv[1])), server_type='redis').serve_forever()"]),
    "pyvalkey": ("pyvalkey", [sys.executable, "-c",
                              "import sys; from pyvalkey.server import ValkeyServer\n"
                              "with ValkeyServer(('127.0.0.1', int(sys.argv[1]))) as server:\n"
                              "    server.serve_forever()"]),
}
# pyredis's builds: the compiled one where it is installed (the default), and the pure Python
# one that this variable forces at run time.
BUILDS = ("compiled", "pure")
PURE_PYTHON_VARIABLE = "PYREDIS_PURE_PYTHON"


def peer_installed(name: str) -> bool:
    return importlib.util.find_spec(PEERS[name][0]) is not None


def build_env(build: str) -> dict[str, str]:
    """This process's environment for a pyredis of `build`: pure Python forced for "pure",
    the build as installed otherwise."""
    env = {k: v for k, v in os.environ.items() if k != PURE_PYTHON_VARIABLE}
    if build == "pure":
        env[PURE_PYTHON_VARIABLE] = "1"
    return env


class Server:
    """One server process. `kind` is "redis", "pyredis" (`io` picks its backend, `build` its
    build), "floor" (benchmarks/floor.py) or a peer's name (PEERS)."""

    def __init__(self, kind: str, io: str = "selectors", extra: Optional[list[str]] = None,
                 root: str = ROOT, label: str = "", build: str = "") -> None:
        self.kind = kind
        self.io = io
        self.label = label or (kind if kind != "pyredis" else f"pyredis/{io}")
        try:
            if kind == "floor":   # benchmarks/floor.py: the least a CPython server can do
                port = free_port()
                self.process = ServerProcess(
                    [sys.executable, "-m", "benchmarks.floor", "--serve", str(port)], port,
                    env=dict(os.environ, PYTHONPATH=root))
            elif kind in PEERS:
                port = free_port()
                # (pyvalkey answers PING with a bulk string)
                self.process = ServerProcess(PEERS[kind][1] + [str(port)], port,
                                             ready_replies=(b"+PONG", b"$4\r\nPONG"))
            else:
                self.process = launch(kind, extra or [], io=io, package_root=root,
                                      env=build_env(build))
        except FileNotFoundError as exc:      # no redis-server
            raise SystemExit(str(exc)) from None
        self.port = self.process.port
        self.pid = self.process.pid
        self.build = self.running_build() if kind == "pyredis" else ""

    def running_build(self) -> str:
        """INFO server's pyredis_build (mypyc, cython or pure); 'pure' for a pyredis that
        has no such line (before it had a compiled build)."""
        conn = Conn(self.port)
        try:
            text = conn.call("INFO", "server")
        finally:
            conn.close()
        if isinstance(text, bytes):
            for line in text.decode().splitlines():
                if line.startswith("pyredis_build:"):
                    return line.split(":", 1)[1].strip()
        return "pure"

    def stop(self) -> None:
        self.process.stop(20)

    def cpu_ns(self) -> int:
        if self.kind in PEERS:
            return cpu_ns_all_threads(self.pid)
        return cpu_ns(self.pid)

    def rss(self) -> int:
        """Resident set size in bytes."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def open_files(self) -> int:
        """Descriptors the process holds (each accepted client is one)."""
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def info_field(self, conn: Conn, section: str, field: str) -> Optional[int]:
        text = conn.call("INFO", section)
        if not isinstance(text, bytes):
            return None
        for line in text.decode().splitlines():
            if line.startswith(field + ":"):
                try:
                    return int(line.split(":", 1)[1])
                except ValueError:
                    return None
        return None


def start_all(ios: list[str], extra: Optional[list[str]] = None, baseline: str = "",
              builds: tuple[str, ...] = ("compiled",), peers: tuple[str, ...] = (),
              progress: Callable[[str], None] = print) -> list[Server]:
    """The real Redis first, then one pyredis per build and I/O backend (labelled
    pyredis/<io>/<build> by the build its INFO names), pyredis from another checkout
    (`baseline`, for before/after figures in one run) if given, then the peers installed."""
    servers: list[Server] = []
    try:
        servers.append(Server("redis", extra=extra))
        for io in ios:
            seen: set[str] = set()
            for build in builds:
                server = Server("pyredis", io, extra=extra, build=build)
                if server.build in seen:    # no compiled build here: it runs pure Python
                    progress(f"pyredis/{io} ({build}): INFO says {server.build}, the build "
                             "already started (no compiled build installed): skipped")
                    server.stop()
                    continue
                seen.add(server.build)
                server.label = f"pyredis/{io}/{server.build}"
                servers.append(server)
        if baseline:
            servers.append(Server("pyredis", extra=extra, root=os.path.abspath(baseline),
                                  label="baseline"))
        for name in peers:
            if not peer_installed(name):
                progress(f"{name}: not installed (pip install '.[peers]'): skipped")
                continue
            servers.append(Server(name))
    except BaseException:
        stop_all(servers)
        raise
    return servers


def start_labelled(specs: list[tuple[str, str, list[str]]], io: str = "selectors"
                   ) -> list[Server]:
    """Servers of (kind, label, arguments), started in that order."""
    servers: list[Server] = []
    try:
        for kind, label, args in specs:
            servers.append(Server(kind, io, extra=args, label=label))
    except BaseException:
        stop_all(servers)
        raise
    return servers


def stop_all(servers: list[Server]) -> None:
    for server in servers:
        server.stop()
