"""Regenerate pyredis/commands/commands.json from a real redis-server 7.0.15.

    python scripts/generate_commands.py               start redis-server on a free port
    python scripts/generate_commands.py --port 6379   ask a redis-server already running
    python scripts/generate_commands.py --check       exit 1 if the file would change

Every command and subcommand, as COMMAND INFO and COMMAND DOCS describe it (read in RESP3,
so sets, maps and simple strings are told apart), plus the flags Redis keeps but does not
show. The JSON is deterministic: commands and subcommands sorted by name (Redis lists them
in hash-table order, which changes from run to run), every other list in Redis's order.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any, Optional

REDIS_VERSION = "7.0.15"
OUTPUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "pyredis", "commands", "commands.json")

# Command flags COMMAND INFO hides on purpose, from the command definitions of Redis 7.0.15
# (may_replicate: held by CLIENT PAUSE WRITE; protected: enable-debug-command and friends).
# The sentinel flags are left out: pyredis has no sentinel mode.
HIDDEN_FLAGS = {
    "debug": ["protected"],
    "eval": ["may_replicate"],
    "evalsha": ["may_replicate"],
    "fcall": ["may_replicate"],
    "module|load": ["protected"],
    "module|loadex": ["protected"],
    "module|unload": ["protected"],
    "pfcount": ["may_replicate"],
    "publish": ["may_replicate"],
    "randomkey": ["touches_arbitrary_keys"],
    "scan": ["touches_arbitrary_keys"],
    "spublish": ["may_replicate"],
}


# -- a RESP3 reader ------------------------------------------------------------------------

class Reader:
    """Reads RESP3 replies from a socket into plain values: strings for simple and bulk
    strings, lists for arrays and sets (order kept), dicts for maps."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._more()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _more(self) -> None:
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("redis-server closed the connection")
        self.buf += data

    def read(self) -> Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-"):
            if kind == b"-":
                raise RuntimeError(rest.decode())
            return rest.decode()
        if kind == b":":
            return int(rest)
        if kind == b"_":
            return None
        if kind == b"$":
            n = int(rest)
            while len(self.buf) < n + 2:
                self._more()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode()
        if kind in (b"*", b"~"):
            return [self.read() for _ in range(int(rest))]
        if kind == b"%":
            pairs = [(self.read(), self.read()) for _ in range(int(rest))]
            return dict(pairs)
        raise RuntimeError(f"unexpected reply type {line!r}")


def call(sock: socket.socket, reader: Reader, *args: str) -> Any:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    sock.sendall(b"".join(parts))
    return reader.read()


# -- the table -----------------------------------------------------------------------------

def info_entry(info: list) -> dict:
    """One COMMAND INFO reply as a JSON object (the subcommands sorted by name)."""
    name, arity, flags, first, last, step, categories, tips, key_specs, subs = info
    entry: dict = {"arity": arity, "flags": flags}
    hidden = HIDDEN_FLAGS.get(name)
    if hidden:
        entry["hidden_flags"] = hidden
    entry.update({"first_key": first, "last_key": last, "step": step,
                  "acl_categories": categories, "tips": tips, "key_specs": key_specs})
    if subs:
        entry["subcommands"] = {sub[0]: info_entry(sub) for sub in sorted(subs)}
    return entry


def add_docs(entry: dict, docs: dict) -> None:
    """COMMAND DOCS of a command (and its subcommands') into its entry, fields in Redis's
    order."""
    subdocs = docs.pop("subcommands", {})
    entry["docs"] = docs
    for name, sub in entry.get("subcommands", {}).items():
        add_docs(sub, subdocs[name])


def table(port: int) -> dict:
    sock = socket.create_connection(("127.0.0.1", port))
    try:
        reader = Reader(sock)
        hello = call(sock, reader, "HELLO", "3")
        if hello["version"] != REDIS_VERSION:
            raise SystemExit(f"redis-server {REDIS_VERSION} is needed on port {port}")
        infos = call(sock, reader, "COMMAND", "INFO")
        docs = call(sock, reader, "COMMAND", "DOCS")
    finally:
        sock.close()
    result = {}
    for info in sorted(infos):
        entry = info_entry(info)
        add_docs(entry, docs[info[0]])
        result[info[0]] = entry
    return result


def render(data: dict) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


# -- a throwaway redis-server --------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(directory: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", directory],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise SystemExit("redis-server did not start")


def generate(port: Optional[int]) -> str:
    if port is not None:
        return render(table(port))
    directory = tempfile.mkdtemp()
    proc, port = start_redis(directory)
    try:
        return render(table(port))
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(directory, ignore_errors=True)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, help="a running redis-server to ask")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the file is not up to date")
    args = parser.parse_args(argv)
    text = generate(args.port)
    current = ""
    if os.path.exists(OUTPUT):
        with open(OUTPUT, encoding="utf-8") as f:
            current = f.read()
    if args.check:
        if text != current:
            print(f"{OUTPUT} is out of date: run {sys.argv[0]}", file=sys.stderr)
            return 1
        return 0
    if text != current:
        with open(OUTPUT, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
