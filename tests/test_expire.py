"""Expiry: the active cycle reclaims keys nobody reads, a mass expiry never stalls other
clients, and the key commands fire Redis's keyspace events and write signals (observed on an
in-process server through its notify and write hooks)."""
from __future__ import annotations

import socket
import threading
import time

import pytest
import redis

from helpers import RawConnection, free_port
from pyredis.config import Config
from pyredis.server import Server


def test_active_expiry_reclaims_keys_never_accessed(r):
    with r.pipeline(transaction=False) as pipe:
        for i in range(50):
            pipe.set(f"k{i}", "v")
            pipe.pexpire(f"k{i}", 10)
        pipe.set("persistent", "v")
        pipe.execute()
    # DBSIZE counts keys without looking them up: only the active cycle can empty it.
    for _ in range(400):
        if r.dbsize() == 1:
            break
        time.sleep(0.025)
    assert r.dbsize() == 1
    assert r.exists("persistent") == 1


def _send_pipelined(port: int, commands: list[bytes], replies: int) -> None:
    """Send a large pipeline while reading the (one-line) replies, so neither side blocks."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)
    try:
        sender = threading.Thread(target=sock.sendall, args=(b"".join(commands),))
        sender.start()
        lines = 0
        while lines < replies:
            data = sock.recv(1 << 20)
            assert data, "connection closed"
            assert b"-" not in data[:1], data[:200]
            lines += data.count(b"\r\n")
        sender.join()
    finally:
        sock.close()


def test_mass_expiry_never_stalls_other_clients(server):
    """100k keys expire at once: PINGs from another client are answered while they are being
    deleted (some replies see a partly emptied keyspace), and in the end all are gone."""
    n = 100_000
    control = RawConnection(server.port, timeout=120)
    try:
        control.execute("FLUSHALL")
        assert control.execute("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"+OK\r\n"
        commands = []
        for i in range(n):
            key = b"mass:%d" % i
            commands.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n"
                            b"*3\r\n$7\r\nPEXPIRE\r\n$%d\r\n%s\r\n$1\r\n1\r\n"
                            % (len(key), key, len(key), key))
        _send_pipelined(server.port, commands, 2 * n)
        # Logically expired by now, but nothing deletes them while the cycle is off.
        assert control.execute("DBSIZE") == b":%d\r\n" % n
        watcher = RawConnection(server.port, timeout=120)
        try:
            assert control.execute("DEBUG", "SET-ACTIVE-EXPIRE", "1") == b"+OK\r\n"
            sizes = []
            for _ in range(1_000_000):
                assert watcher.execute("PING") == b"+PONG\r\n"
                size = int(watcher.execute("DBSIZE")[1:-2])
                sizes.append(size)
                if size == 0:
                    break
            assert sizes[-1] == 0
            in_progress = {s for s in sizes if 0 < s < n}
            assert len(in_progress) >= 3, sizes[:20]
            assert sizes == sorted(sizes, reverse=True)
        finally:
            watcher.close()
    finally:
        control.execute("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        control.close()


# -- keyspace events and write signals, on an in-process server -----------------------------

class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.signals: list[tuple] = []

    def notify(self, db, event_class: str, event: str, key: bytes) -> None:
        if event_class in "gx":     # generic and expiry events: those of the key commands
            self.events.append((db.index, event_class, event, key))

    def signal(self, db, key: bytes, *details) -> None:
        self.signals.append((db.index, key))

    def take(self) -> tuple[list, list]:
        events, signals = self.events, self.signals
        self.events, self.signals = [], []
        return events, signals


@pytest.fixture(scope="module")
def inproc():
    config = Config()
    config.set("port", [str(free_port())])
    config.set("bind", ["127.0.0.1"])
    config.set("loglevel", ["warning"])
    config.set("enable-debug-command", ["yes"])
    config.set("save", [""])     # its shutdown must not write dump.rdb where the tests run
    server = Server(config)
    recorder = Recorder()
    server.keyspace.events.notify = recorder.notify
    server.keyspace.events.key_changed = recorder.signal
    server.start()
    thread = threading.Thread(target=server.serve_forever, kwargs={"install_signals": False},
                              daemon=True)
    thread.start()
    yield server, recorder
    server.shutdown_asap = True
    thread.join(10)


@pytest.fixture
def hooked(inproc):
    server, recorder = inproc
    client = redis.Redis(port=server.port)
    client.flushall()
    recorder.take()
    yield client, server, recorder
    client.close()


def run(client, recorder, *args):
    """Run one command; return its reply, the events and the signals it caused."""
    reply = client.execute_command(*args)
    return (reply, *recorder.take())


def test_del_and_unlink_events(hooked):
    r, server, rec = hooked
    r.set("a", "1")
    r.set("b", "2")
    rec.take()
    dirty = server.keyspace.dirty
    assert run(r, rec, "DEL", "a", "nokey") == (1, [(0, "g", "del", b"a")], [(0, b"a")])
    assert server.keyspace.dirty == dirty + 1
    assert run(r, rec, "UNLINK", "b") == (1, [(0, "g", "del", b"b")], [(0, b"b")])
    assert run(r, rec, "DEL", "a") == (0, [], [])


def test_rename_events_and_signals(hooked):
    r, server, rec = hooked
    r.set("a", "1")
    rec.take()
    assert run(r, rec, "RENAME", "a", "b") == (
        True, [(0, "g", "rename_from", b"a"), (0, "g", "rename_to", b"b")],
        [(0, b"a"), (0, b"b")])
    assert run(r, rec, "RENAME", "b", "b") == (True, [], [])
    r.set("c", "3")
    rec.take()
    assert run(r, rec, "RENAMENX", "b", "c") == (0, [], [])
    assert run(r, rec, "RENAMENX", "b", "d")[1] == [(0, "g", "rename_from", b"b"),
                                                   (0, "g", "rename_to", b"d")]


def test_expire_persist_events(hooked):
    r, server, rec = hooked
    r.set("a", "1")
    rec.take()
    assert run(r, rec, "EXPIRE", "a", "100") == (1, [(0, "g", "expire", b"a")], [(0, b"a")])
    assert run(r, rec, "EXPIRE", "a", "50", "GT") == (0, [], [])
    assert run(r, rec, "PEXPIREAT", "a", "99999999999999") == (
        1, [(0, "g", "expire", b"a")], [(0, b"a")])
    assert run(r, rec, "PERSIST", "a") == (1, [(0, "g", "persist", b"a")], [(0, b"a")])
    assert run(r, rec, "PERSIST", "a") == (0, [], [])
    assert run(r, rec, "EXPIRE", "nokey", "10") == (0, [], [])
    # A time in the past deletes the key, as a DEL would.
    assert run(r, rec, "EXPIRE", "a", "-1") == (1, [(0, "g", "del", b"a")], [(0, b"a")])


def test_copy_and_move_events(hooked):
    r, server, rec = hooked
    r.set("a", "1")
    rec.take()
    assert run(r, rec, "COPY", "a", "b") == (1, [(0, "g", "copy_to", b"b")], [(0, b"b")])
    assert run(r, rec, "COPY", "a", "a", "DB", "2") == (
        1, [(2, "g", "copy_to", b"a")], [(2, b"a")])
    assert run(r, rec, "COPY", "a", "b") == (0, [], [])
    assert run(r, rec, "MOVE", "b", "3") == (
        1, [(0, "g", "move_from", b"b"), (3, "g", "move_to", b"b")], [(0, b"b"), (3, b"b")])
    assert run(r, rec, "MOVE", "a", "2") == (0, [], [])


def test_expired_event_on_lazy_and_active_expiry(hooked):
    r, server, rec = hooked
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        r.set("lazy", "1")
        r.pexpire("lazy", 1)
        time.sleep(0.01)
        rec.take()
        assert run(r, rec, "GET", "lazy") == (None, [(0, "x", "expired", b"lazy")],
                                              [(0, b"lazy")])
        assert run(r, rec, "EXPIRE", "lazy", "10") == (0, [], [])
        r.set("active", "1")
        r.pexpire("active", 1)
        time.sleep(0.01)
        rec.take()
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    for _ in range(400):
        if r.dbsize() == 0:
            break
        time.sleep(0.025)
    events, signals = rec.take()
    assert events == [(0, "x", "expired", b"active")]
    assert signals == [(0, b"active")]


def test_read_commands_fire_nothing(hooked):
    r, server, rec = hooked
    r.set("a", "1")
    r.expire("a", 100)
    rec.take()
    for args in (("EXISTS", "a"), ("TYPE", "a"), ("TTL", "a"), ("PTTL", "a"),
                 ("EXPIRETIME", "a"), ("TOUCH", "a"), ("KEYS", "*"), ("SCAN", "0"),
                 ("RANDOMKEY",), ("OBJECT", "ENCODING", "a")):
        assert run(r, rec, *args)[1:] == ([], []), args
