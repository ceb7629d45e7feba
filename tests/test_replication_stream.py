"""The master side of replication as a reader of the stream sees it: SYNC and PSYNC answered
with the RDB payload, then the commands as they happen; pyredis and redis-server side by
side, the streams compared after the same commands (times normalised)."""
from __future__ import annotations

import re
import socket
import subprocess
import tempfile
import time
from typing import Any, Iterator, Optional

import pytest
import redis

from helpers import start_server
from pyredis.config import Config
from pyredis.launch import ServerProcess
from pyredis.persistence import rdb

KINDS = ["pyredis", "redis"]


class StreamReader:
    """A replica as Redis's own tests attach one: SYNC (or PSYNC) on a raw socket, the RDB
    payload, then one command of the stream at a time."""

    def __init__(self, port: int, *handshake: bytes) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buf = b""
        for line in handshake[:-1]:
            self.sock.sendall(line)
            assert self.line() == b"+OK"
        self.sock.sendall(handshake[-1] if handshake else b"SYNC\r\n")
        self.fullresync: Optional[bytes] = None
        header = self.line()
        while not header:                  # newlines keep the link alive meanwhile
            header = self.line()
        if header.startswith(b"+FULLRESYNC"):
            self.fullresync = header
            header = self.line()
            while not header:
                header = self.line()
        assert header.startswith(b"$"), header
        if header.startswith(b"$EOF:"):
            # Diskless: the RDB ends with the 40 bytes of the mark.
            mark = header[5:]
            while not self.buf.endswith(mark):
                self.fill()
            self.payload, self.buf = self.buf[:-len(mark)], b""
        else:
            self.payload = self.take(int(header[1:]))

    def fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the master closed the link")
        self.buf += data

    def line(self) -> bytes:
        while b"\n" not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def command(self) -> list[bytes]:
        header = self.line()
        assert header.startswith(b"*"), header
        argv = []
        for _ in range(int(header[1:])):
            size = self.line()
            argv.append(self.take(int(size[1:]) + 2)[:-2])
        return argv

    def commands_until(self, key: bytes, limit: int = 200) -> list[list[bytes]]:
        """The stream up to the write of `key` that the test makes last, without the
        master's PINGs (one may come at any time: the first cron run after start sends it)."""
        seen = []
        for _ in range(limit):
            argv = self.command()
            if argv == [b"PING"]:
                continue
            seen.append(argv)
            if len(argv) > 1 and argv[1] == key:
                return seen
        raise AssertionError(f"no write of {key!r} in {seen}")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def masters() -> Iterator[dict[str, ServerProcess]]:
    """A pyredis and a redis-server of this module's own: replicas change a server's state
    (a backlog, a stream fed by every write)."""
    servers = {kind: start_server(kind) for kind in KINDS}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(params=KINDS)
def master(request: pytest.FixtureRequest,
           masters: dict[str, ServerProcess]) -> Iterator[tuple[ServerProcess, redis.Redis]]:
    server = masters[request.param]
    client = redis.Redis(port=server.port, socket_timeout=20)
    client.config_set("repl-ping-replica-period", 3600)   # no PING in the middle
    client.config_set("min-replicas-to-write", 0)
    client.flushall()
    yield server, client
    client.close()


def load_payload(payload: bytes) -> tuple[dict[bytes, bytes], dict[tuple[int, bytes], Any]]:
    """The AUX fields and (db, key) -> value of an RDB payload, read by pyredis's reader;
    redis-check-rdb must accept it too."""
    keys: dict[tuple[int, bytes], Any] = {}
    aux = rdb.parse_snapshot(payload, Config(), lambda db, key, value, expire:
                             keys.__setitem__((db, key), value), lambda code: None)
    with tempfile.NamedTemporaryFile(suffix=".rdb") as f:
        f.write(payload)
        f.flush()
        check = subprocess.run(["redis-check-rdb", f.name], capture_output=True, text=True,
                               timeout=30)
    assert check.returncode == 0, check.stdout
    return aux, keys


def test_sync_sends_the_rdb_then_the_stream(master: tuple[ServerProcess, redis.Redis]) -> None:
    server, r = master
    r.set("s", "v")
    r.rpush("l", "a", "b")
    r.hset("h", "f", "v")
    r.sadd("set", "m")
    r.zadd("z", {"m": 1.5})
    r.xadd("x", {"f": "v"}, id="1-1")
    r.execute_command("SELECT", 2)   # a pool connection: SELECT stays on it
    r.set("db2", "v")
    r.execute_command("SELECT", 0)
    reader = StreamReader(server.port)
    try:
        aux, keys = load_payload(reader.payload)
        info = r.info("replication")
        assert aux[b"repl-id"].decode() == info["master_replid"]
        assert {key for _, key in keys} == {b"s", b"l", b"h", b"set", b"z", b"x", b"db2"}
        assert (2, b"db2") in keys
        r.set("after", "1")
        assert reader.commands_until(b"after") == [[b"SELECT", b"0"],
                                                   [b"SET", b"after", b"1"]]
        info = r.info("replication")
        assert info["connected_slaves"] == 1
        assert info["slave0"]["state"] == "online"
        assert info["repl_backlog_active"] == 1
        assert info["master_repl_offset"] == info["repl_backlog_histlen"] > 0
        assert [c["flags"] for c in r.client_list() if c["cmd"] == "sync"] == ["S"]
    finally:
        reader.close()


def test_psync_gets_a_full_resync_at_the_offset_of_its_rdb(
        master: tuple[ServerProcess, redis.Redis]) -> None:
    server, r = master
    first = StreamReader(server.port)      # makes the backlog: offsets from here on count
    try:
        r.set("k", "v")
        first.commands_until(b"k")
        offset = r.info("replication")["master_repl_offset"]
        reader = StreamReader(server.port, b"REPLCONF listening-port 7777\r\n",
                              b"REPLCONF capa psync2\r\n", b"PSYNC ? -1\r\n")
        try:
            replid = r.info("replication")["master_replid"]
            assert reader.fullresync == b"+FULLRESYNC %s %d" % (replid.encode(), offset)
            aux, keys = load_payload(reader.payload)
            assert int(aux[b"repl-offset"]) == offset and (0, b"k") in keys
            r.incr("n")
            assert reader.commands_until(b"n") == [[b"SELECT", b"0"], [b"INCRBY", b"n", b"1"]]
            replicas = [v for k, v in r.info("replication").items() if k.startswith("slave")]
            assert sorted(s["port"] for s in replicas) == [0, 7777]
        finally:
            reader.close()
    finally:
        first.close()


def test_diskless_transfer_then_the_stream_after_the_first_ack(
        master: tuple[ServerProcess, redis.Redis]) -> None:
    server, r = master
    r.config_set("repl-diskless-sync", "yes")
    r.config_set("repl-diskless-sync-delay", 0)
    r.set("k", "v")
    reader = StreamReader(server.port, b"REPLCONF capa eof capa psync2\r\n",
                          b"PSYNC ? -1\r\n")
    try:
        assert reader.fullresync is not None
        _, keys = load_payload(reader.payload)
        assert (0, b"k") in keys
        r.set("during", "1")     # gathered for the replica until its first ACK
        reader.sock.sendall(b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n")
        assert reader.commands_until(b"during") == [[b"SELECT", b"0"],
                                                    [b"SET", b"during", b"1"]]
        assert r.info("replication")["slave0"]["state"] == "online"
    finally:
        reader.close()
        r.config_set("repl-diskless-sync-delay", 5)


def test_psync_continues_from_the_backlog(master: tuple[ServerProcess, redis.Redis]) -> None:
    server, r = master
    first = StreamReader(server.port)      # makes the backlog
    try:
        r.set("a", "1")
        first.commands_until(b"a")
        info = r.info("replication")
        r.set("b", "2")
        with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
            sock.sendall(b"REPLCONF capa psync2\r\n")
            assert sock.recv(5) == b"+OK\r\n"
            sock.sendall(b"PSYNC %s %d\r\n" % (info["master_replid"].encode(),
                                                 info["master_repl_offset"] + 1))
            expected = (b"+CONTINUE %s\r\n" % info["master_replid"].encode()
                        + b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n")
            data = b""
            while len(data) < len(expected):
                data += sock.recv(1024)
            assert data == expected
        assert r.info("stats")["sync_partial_ok"] >= 1
    finally:
        first.close()


def test_sync_refused_with_pending_output(master: tuple[ServerProcess, redis.Redis]) -> None:
    server, _ = master
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(b"PING\r\nSYNC\r\n")
        expected = b"+PONG\r\n-ERR SYNC and PSYNC are invalid with pending output\r\n"
        data = b""
        while len(data) < len(expected):
            data += sock.recv(1024)
        assert data == expected


def test_a_replica_touching_the_keyspace_is_disconnected(
        master: tuple[ServerProcess, redis.Redis]) -> None:
    server, r = master
    reader = StreamReader(server.port)
    try:
        reader.sock.sendall(b"GET k\r\n")
        with pytest.raises(ConnectionError):
            reader.fill()
        assert r.get("k") is None
    finally:
        reader.close()


def test_min_replicas_to_write_counts_the_replicas_online(
        master: tuple[ServerProcess, redis.Redis]) -> None:
    server, r = master
    r.config_set("min-replicas-to-write", 1)
    with pytest.raises(redis.ResponseError, match="NOREPLICAS"):
        r.set("k", "v")
    reader = StreamReader(server.port)
    try:
        assert r.set("k", "v")
        assert r.info("replication")["min_slaves_good_slaves"] == 1
    finally:
        reader.close()
        r.config_set("min-replicas-to-write", 0)


@pytest.mark.parametrize("args, error", [
    (["REPLCONF", "listening-port"], "syntax error"),
    (["REPLCONF", "foo", "bar"], "Unrecognized REPLCONF option: foo"),
    (["REPLCONF", "listening-port", "x"], "value is not an integer or out of range"),
    (["REPLCONF", "ip-address", "a" * 300], "is too long: 300 bytes"),
    (["PSYNC", "?", "x"], "value is not an integer or out of range"),
])
def test_replconf_and_psync_errors(r: redis.Redis, args: list[str], error: str) -> None:
    with pytest.raises(redis.ResponseError, match=re.escape(error)):
        r.execute_command(*args)


def test_replconf_settings(master: tuple[ServerProcess, redis.Redis]) -> None:
    server, _ = master
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        # ACK and GETACK answer nothing: the next reply is PING's.
        sock.sendall(b"REPLCONF listening-port 6380 capa eof capa psync2 capa unknown "
                     b"ip-address 10.0.0.1\r\nREPLCONF ACK 10\r\nREPLCONF GETACK *\r\nPING\r\n")
        expected = b"+OK\r\n+PONG\r\n"
        data = b""
        while len(data) < len(expected):
            data += sock.recv(1024)
        assert data == expected


# The same writes on both servers; their streams compared once times are normalised.
STREAM_WRITES: list[tuple[Any, ...]] = [
    ("SET", "a", "1"),
    ("SET", "a", "1", "PXAT", "99999999999999"),
    ("APPEND", "a", "2"),
    ("GET", "a"),                  # read-only: nothing
    ("DEL", "missing"),            # changes nothing: nothing
    ("RPUSH", "l", "x", "y"),
    ("HSET", "h", "f", "v"),
    ("ZADD", "z", "1", "m"),
    ("SADD", "s", "m"),
    ("PEXPIREAT", "s", "99999999999999"),
    ("SET", "t", "v", "EX", "100"),   # relative times go out absolute
    ("EXPIRE", "l", "100"),
    ("GETEX", "a", "PX", "5000"),
    ("GETDEL", "t"),
    ("INCRBYFLOAT", "f", "1.5"),
    ("EVAL", "redis.call('incr', 'n'); redis.call('incr', 'n')", "0"),
    ("SELECT", "3"),
    ("INCR", "n"),
    ("MULTI",), ("INCR", "n"), ("RPUSH", "l3", "v"), ("EXEC",),
    ("SELECT", "0"),
    ("FLUSHDB",),
    ("SET", "end", "1"),
]


def normalised(argv: list[bytes]) -> list[bytes]:
    """Absolute times depend on the clock of each run: keep their place, not their value."""
    out = list(argv)
    for i in range(2, len(out)):
        if out[i - 1].upper() == b"PXAT" or (i == 2 and out[0].upper() == b"PEXPIREAT"):
            out[i] = b"<time>"
    return out


def test_the_stream_is_redis_s(masters: dict[str, ServerProcess]) -> None:
    streams = {}
    for kind, server in masters.items():
        r = redis.Redis(port=server.port, socket_timeout=20, single_connection_client=True)
        r.config_set("repl-ping-replica-period", 3600)
        r.flushall()
        reader = StreamReader(server.port)
        try:
            for args in STREAM_WRITES:
                r.execute_command(*args)
            streams[kind] = [normalised(c) for c in reader.commands_until(b"end")]
        finally:
            reader.close()
            r.close()
    assert streams["pyredis"] == streams["redis"]


def test_replica_over_its_output_limit_is_closed() -> None:
    server = start_server("pyredis", ["--client-output-buffer-limit", "replica 1mb 0 0",
                                      "--repl-backlog-size", "16kb"])
    try:
        r = redis.Redis(port=server.port, socket_timeout=20)
        reader = StreamReader(server.port)
        value = b"x" * 100_000
        for i in range(150):    # up to 15 MB the reader does not read: more than sockets hold
            r.set(f"k{i}", value)
            if r.info("replication")["connected_slaves"] == 0:
                break
        assert r.info("replication")["connected_slaves"] == 0
        reader.close()
        r.close()
    finally:
        server.stop()


def test_keys_found_expired_go_out_as_redis_sends_them(
        masters: dict[str, ServerProcess]) -> None:
    """A write that finds its key expired goes out in MULTI with the DEL; SCAN and RANDOMKEY,
    which may expire keys anywhere, send bare DELs, as the expiry cycle does."""
    streams = {}
    for kind, server in masters.items():
        r = redis.Redis(port=server.port, socket_timeout=20, single_connection_client=True)
        r.config_set("repl-ping-replica-period", 3600)
        r.flushall()
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        reader = StreamReader(server.port)
        try:
            for key in ("foo1", "foo2", "bar"):
                r.set(key, "v", px=1)
            time.sleep(0.01)
            assert r.scan(0, match="foo*") == (0, [])
            r.set("bar", "new")
            r.set("end", "1")
            seen = reader.commands_until(b"end")
        finally:
            r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
            reader.close()
            r.close()
        writes = [c for c in seen if c[0] != b"SELECT" and c[-2:-1] != [b"PXAT"]]
        scan_dels, rest = writes[:2], writes[2:]
        streams[kind] = (sorted(scan_dels), rest)
    assert streams["redis"][0] == [[b"DEL", b"foo1"], [b"DEL", b"foo2"]]
    assert streams["redis"][1] == [[b"MULTI"], [b"DEL", b"bar"], [b"SET", b"bar", b"new"],
                                   [b"EXEC"], [b"SET", b"end", b"1"]]
    assert streams["pyredis"] == streams["redis"]
