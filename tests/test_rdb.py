"""The RDB format: DUMP / RESTORE (within pyredis and interchanged with redis-server) and
whole snapshots (SAVE, BGSAVE, DEBUG RELOAD, loading at startup), both ways with
redis-server and checked by redis-check-rdb."""
from __future__ import annotations

import os
import random
import shutil
import struct
import subprocess
import time

import pytest
import redis
from hypothesis import given, settings, strategies as st

from helpers import NO_RETRY, start_server
from pyredis.persistence.crc64 import CRC64_FUNCTIONS, crc64

KEYS = ["s", "int", "neg", "big", "lzf", "list", "biglist", "intlist", "iset", "bigiset",
        "sset", "zset", "bigzset", "hash", "bighash"]


def fill(c: redis.Redis) -> None:
    """One key of every type, small and large, so that redis-server writes ziplists,
    listpacks, intsets, quicklists and LZF strings."""
    c.set("s", "hello")
    c.set("int", "12345")
    c.set("neg", "-70000")
    c.set("big", "x" * 30000 + "end")
    c.set("lzf", "abcdefghij" * 20)
    c.rpush("list", "a", "1", "-4000", "70000", "123456789012", "b" * 40)
    c.rpush("biglist", *[f"item-{i}" * (1 + i % 7) for i in range(600)])
    c.rpush("intlist", *range(-3000, 3000, 7))
    c.sadd("iset", 1, -2, 30000, 2**40)
    c.sadd("bigiset", *range(1000))
    c.sadd("sset", "a", "b", "c" * 50)
    c.zadd("zset", {"a": 1.5, "b": -2, "c": 3e100, "d": float("inf")})
    c.zadd("bigzset", {f"member-{i}" * 3: i / 3 for i in range(300)})
    c.hset("hash", mapping={"f": "v", "n": "17", "long": "q" * 40})
    c.hset("bighash", mapping={f"field{i}": f"value{i}" * 20 for i in range(600)})
    c.expire("hash", 1000)


def digests(c: redis.Redis) -> dict:
    return {k: c.execute_command("DEBUG", "DIGEST-VALUE", k) for k in KEYS}


@pytest.fixture
def real(real_server):
    c = redis.Redis(port=real_server.port, socket_timeout=30)
    c.flushall()
    yield c
    c.close()


@pytest.mark.parametrize("name", sorted(CRC64_FUNCTIONS))
def test_crc64_is_redis_crc64(name):
    """Redis's own check value (crc64.c's test), and a CRC continued over pieces equals the
    CRC of the whole, in every implementation."""
    crc = CRC64_FUNCTIONS[name]
    assert crc(b"123456789") == 0xE9C6D914C4B8D9CA
    assert crc(b"") == 0
    data = bytes(range(256)) * 41 + b"tail"
    whole = crc(data)
    assert whole == CRC64_FUNCTIONS["python"](data)
    assert crc(data[1001:], crc(data[:1001])) == whole
    # Data followed by its CRC (little-endian, as an RDB file ends) has the CRC 0.
    assert crc(data + struct.pack("<Q", whole)) == 0


def test_dump_restore_round_trip(r):
    fill(r)
    before = digests(r)
    for key in KEYS:
        payload = r.dump(key)
        r.restore(key, max(r.pttl(key), 0), payload, replace=True)   # digests cover TTLs
    assert digests(r) == before
    assert r.dump("missing") is None


@pytest.mark.pyredis_only("compares pyredis's payloads with redis-server's")
def test_dump_payloads_interchange_with_redis(r, real):
    fill(r)
    fill(real)
    assert digests(r) == digests(real)
    for key in KEYS:
        for src, dst in ((r, real), (real, r)):
            dst.restore(key + ":copy", max(src.pttl(key), 0), src.dump(key))
            assert (dst.execute_command("DEBUG", "DIGEST-VALUE", key + ":copy")
                    == src.execute_command("DEBUG", "DIGEST-VALUE", key))
    # Small strings serialize to the same bytes.
    for key in ("s", "int", "neg"):
        assert r.dump(key) == real.dump(key)


def test_restore_errors_match_redis(raw, real_raw):
    for conn in (raw, real_raw):
        conn.execute("SET", "k", "v")
        conn.execute("SET", "n", "12")
    cases = [
        ("RESTORE", "k", "0", "x"),
        ("RESTORE", "new", "-1", "x"),
        ("RESTORE", "new", "abc", "x"),
        ("RESTORE", "new", "0", "garbage-payload"),
        ("RESTORE", "new", "0", "x", "BOGUS"),
        ("RESTORE", "new", "0", "x", "IDLETIME", "-1"),
        ("RESTORE", "new", "0", "x", "FREQ", "300"),
        ("RESTORE", "new", "0", "x", "IDLETIME", "1", "FREQ", "3"),
        ("RESTORE", "new", "0", "x", "IDLETIME"),
        ("RESTORE", "new", "0", b"\x00\x01a\x0b\x00" + b"\x00" * 8),
        ("RESTORE", "new", "0", b"\x63\x01a\x0a\x00" + b"\x00" * 8),
    ]
    for case in cases:
        assert raw.execute(*case) == real_raw.execute(*case), case


def test_restore_options(r):
    r.set("k", "v")
    payload = r.dump("k")
    with pytest.raises(redis.ResponseError, match="BUSYKEY Target key name already exists."):
        r.restore("k", 0, payload)
    r.restore("k", 0, payload, replace=True, idletime=1000)
    assert r.object("idletime", "k") >= 1000
    r.restore("t", 5000, payload)
    assert 0 < r.pttl("t") <= 5000
    r.restore("a", 4102444800000, payload, absttl=True)
    assert r.pexpiretime("a") == 4102444800000
    # An absolute time already past: nothing is created, the replaced key is gone.
    assert r.restore("k", 1, payload, replace=True, absttl=True)
    assert r.exists("k") == 0


values = st.one_of(
    st.binary(max_size=80),
    st.integers(min_value=-2**63, max_value=2**63 - 1).map(lambda n: b"%d" % n),
)


@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from(["string", "list", "set", "zset", "hash"]),
       items=st.lists(values, min_size=1, max_size=40),
       scores=st.lists(st.floats(allow_nan=False), min_size=40, max_size=40))
def test_random_values_round_trip(server, real_server, kind, items, scores):
    ours = redis.Redis(port=server.port)
    theirs = redis.Redis(port=real_server.port)
    try:
        for c in (ours, theirs):
            c.delete("v", "v2")
            if kind == "string":
                c.set("v", items[0])
            elif kind == "list":
                c.rpush("v", *items)
            elif kind == "set":
                c.sadd("v", *items)
            elif kind == "zset":
                c.zadd("v", dict(zip(items, scores)))
            else:
                c.hset("v", mapping=dict(zip(items, items[::-1])))
        want = theirs.execute_command("DEBUG", "DIGEST-VALUE", "v")
        assert ours.execute_command("DEBUG", "DIGEST-VALUE", "v") == want
        for src, dst in ((ours, ours), (ours, theirs), (theirs, ours)):
            dst.restore("v2", 0, src.dump("v"), replace=True)
            assert dst.execute_command("DEBUG", "DIGEST-VALUE", "v2") == want
    finally:
        ours.close()
        theirs.close()


# -- snapshots -----------------------------------------------------------------------------

def wait_until(check, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def bgsave_done(c: redis.Redis) -> bool:
    return c.info("persistence")["rdb_bgsave_in_progress"] == 0


def test_pyredis_rdb_loads_in_redis_and_passes_check(tmp_path):
    ours = start_server("pyredis")
    try:
        c = redis.Redis(port=ours.port)
        fill(c)
        c.select(3)
        c.set("other-db", "v")
        c.pexpire("other-db", 100000)
        c.select(0)
        c.execute_command("FUNCTION", "LOAD",
                          "#!lua name=lib\nredis.register_function('f', function() return 1 end)")
        want = digests(c)
        assert c.save()
        path = os.path.join(ours.dir, "dump.rdb")
        check = subprocess.run(["redis-check-rdb", path], capture_output=True, text=True,
                               timeout=60)
        assert check.returncode == 0, check.stdout
        assert "RDB looks OK!" in check.stdout
        shutil.copy(path, tmp_path / "dump.rdb")
    finally:
        ours.stop()
    real = start_server("redis", ["--dir", str(tmp_path)])
    try:
        c = redis.Redis(port=real.port)
        assert digests(c) == want
        assert c.fcall("f", 0) == 1
        c.select(3)
        assert c.get("other-db") == b"v" and c.pttl("other-db") > 0
    finally:
        real.stop()


def test_redis_rdb_loads_in_pyredis(tmp_path):
    real = start_server("redis", ["--rdbcompression", "yes"])
    try:
        c = redis.Redis(port=real.port)
        fill(c)
        c.set("gone2", "x")
        c.pexpireat("gone2", int(time.time() * 1000) + 300)
        want = digests(c)
        assert c.save()
        shutil.copy(os.path.join(real.dir, "dump.rdb"), tmp_path / "dump.rdb")
    finally:
        real.stop()
    time.sleep(0.4)    # gone2 expires while the file rests
    ours = start_server("pyredis", ["--dir", str(tmp_path)])
    try:
        c = redis.Redis(port=ours.port)
        assert digests(c) == want
        assert c.exists("gone2") == 0
        assert c.info("persistence")["rdb_last_load_keys_loaded"] == len(KEYS)
        assert c.info("persistence")["rdb_last_load_keys_expired"] == 1
    finally:
        ours.stop()


def test_debug_reload(r):
    fill(r)
    want = digests(r)
    assert r.execute_command("DEBUG", "RELOAD")
    assert digests(r) == want
    r.set("extra", "1")
    assert r.execute_command("DEBUG", "RELOAD", "NOSAVE")        # back to the saved file
    assert r.exists("extra") == 0
    r.flushall()
    r.set("extra", "1")
    r.set("s", "changed")
    assert r.execute_command("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE")
    assert r.get("extra") == b"1" and r.get("s") == b"hello"
    with pytest.raises(redis.ResponseError,
                       match="DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE"):
        r.execute_command("DEBUG", "RELOAD", "FAST")


@pytest.mark.pyredis_only("redis-server panics on a key the RDB file duplicates; pyredis "
                         "refuses the load with an error")
def test_debug_reload_noflush_refuses_duplicated_keys(r):
    fill(r)
    assert r.execute_command("DEBUG", "RELOAD")
    r.set("s", "changed")
    with pytest.raises(redis.ResponseError, match="Error trying to load the RDB dump"):
        r.execute_command("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH")


def test_save_bgsave_lastsave_and_info(r, target_server, protocol):
    started = True if protocol == 2 else b"Background saving started"  # redis-py's RESP2 bool
    r.set("a", "1")
    assert r.info("persistence")["rdb_changes_since_last_save"] > 0
    assert r.save()
    info = r.info("persistence")
    assert info["rdb_changes_since_last_save"] == 0
    assert info["rdb_last_save_time"] == int(r.lastsave().timestamp())
    r.config_set("rdb-key-save-delay", 100000)
    try:
        r.set("b", "2")
        assert r.bgsave() == started
        assert r.info("persistence")["rdb_bgsave_in_progress"] == 1
        with pytest.raises(redis.ResponseError, match="Background save already in progress"):
            r.bgsave()
        with pytest.raises(redis.ResponseError, match="Background save already in progress"):
            r.save()
    finally:
        r.config_set("rdb-key-save-delay", 0)
    wait_until(lambda: bgsave_done(r))
    info = r.info("persistence")
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_changes_since_last_save"] == 0
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("BGSAVE", "NOW")
    assert r.execute_command("BGSAVE", "SCHEDULE") == started
    wait_until(lambda: bgsave_done(r))


def test_failed_save_keeps_the_old_file(r, target_server):
    r.set("k", "old")
    assert r.save()
    path = os.path.join(target_server.dir, "dump.rdb")
    before = open(path, "rb").read()
    r.set("k", "new")
    # A directory where the temporary file goes: the write fails (even for root).
    blocker = os.path.join(target_server.dir, "temp-%d.rdb" % target_server.proc.pid)
    os.mkdir(blocker)
    try:
        with pytest.raises(redis.ResponseError):
            r.save()
        assert open(path, "rb").read() == before
        assert r.info("persistence")["rdb_changes_since_last_save"] > 0
    finally:
        os.rmdir(blocker)
    assert r.save()


def test_failed_bgsave_stops_writes(r, target_server):
    # dbfilename names a directory: the child's rename fails.
    path = os.path.join(target_server.dir, "dump.rdb")
    if os.path.exists(path):
        os.unlink(path)
    os.mkdir(path)
    try:
        r.bgsave()
        wait_until(lambda: bgsave_done(r))
        assert r.info("persistence")["rdb_last_bgsave_status"] == "err"
        r.set("k", "1")                    # no save point: writes go on
        r.config_set("save", "3600 1")
        with pytest.raises(redis.ResponseError, match="^MISCONF Redis is configured to save"):
            r.set("k", "2")
        assert r.get("k") == b"1"
        os.rmdir(path)
        r.bgsave()
        wait_until(lambda: bgsave_done(r))
        assert r.info("persistence")["rdb_last_bgsave_status"] == "ok"
        r.set("k", "3")
    finally:
        r.config_set("save", "")
        if os.path.isdir(path):
            os.rmdir(path)


def _ziplist(entries: list[bytes]) -> bytes:
    """A ziplist (Redis 6's small-collection encoding) of pre-encoded entries
    (encoding + data); each gets its previous entry's length in front."""
    body, prev, offsets = b"", 0, []
    for entry in entries:
        offsets.append(10 + len(body))
        body += bytes((prev,)) + entry
        prev = 1 + len(entry)
    total = 10 + len(body) + 1
    return (struct.pack("<IIH", total, offsets[-1], len(entries)) + body + b"\xff")


def _payload(kind: int, blob: bytes) -> bytes:
    data = bytes((kind, len(blob))) + blob + struct.pack("<H", 9)
    return data + struct.pack("<Q", crc64(data))


@pytest.mark.pyredis_only("compares pyredis with redis-server")
def test_ziplist_and_intset_payloads_load_as_in_redis(r, real):
    """Encodings Redis 6 wrote (ziplists, intsets) restore in both servers alike."""
    a, n12, n300, n_big = b"\x01a", b"\xfd", b"\xc0\x2c\x01", b"\xe0" + struct.pack("<q", -2**40)
    blobs = {
        "list": (10, _ziplist([a, n12, n300, n_big])),
        "hash": (13, _ziplist([a, n12, b"\x01b", n300])),
        "zset": (12, _ziplist([a, n300, b"\x01b", b"\x031.5"])),
        "set": (11, struct.pack("<II", 2, 3) + struct.pack("<hhh", -5, 7, 300)),
    }
    for key, (kind, blob) in blobs.items():
        payload = _payload(kind, blob)
        for c in (r, real):
            assert c.restore(key, 0, payload)
        assert (r.execute_command("DEBUG", "DIGEST-VALUE", key)
                == real.execute_command("DEBUG", "DIGEST-VALUE", key))
    assert r.lrange("list", 0, -1) == [b"a", b"12", b"300", b"-1099511627776"]


@pytest.mark.pyredis_bug("FLUSHALL with save points: Redis 7.0 saves and leaves "
                        "rdb_changes_since_last_save at 0, pyredis counts the FLUSHALL as one")
def test_flushall_saves_with_save_points(r, target_server):
    r.set("k", "v")
    r.config_set("save", "3600 100")
    try:
        r.flushall()
        assert r.info("persistence")["rdb_changes_since_last_save"] == 0
        assert r.execute_command("DEBUG", "RELOAD", "NOSAVE")
        assert r.dbsize() == 0
    finally:
        r.config_set("save", "")
    r.set("k", "v")
    r.flushall()
    assert r.info("persistence")["rdb_changes_since_last_save"] > 1


def test_save_points_and_shutdown(tmp_path):
    ours = start_server("pyredis", ["--dir", str(tmp_path)])
    try:
        c = redis.Redis(port=ours.port, retry=NO_RETRY)
        c.config_set("save", "1 1")
        start = c.lastsave()
        c.set("k", "v")
        wait_until(lambda: c.lastsave() != start and bgsave_done(c), 30)
        c.set("k2", "v2")
        c.shutdown()          # saves: a save point is configured
        ours.proc.wait(10)
    finally:
        ours.stop()
    ours = start_server("pyredis", ["--dir", str(tmp_path)])
    try:
        c = redis.Redis(port=ours.port, retry=NO_RETRY)
        assert c.get("k2") == b"v2"
        c.set("k3", "v3")
        c.shutdown(nosave=True)
        ours.proc.wait(10)
    finally:
        ours.stop()
    ours = start_server("pyredis", ["--dir", str(tmp_path), "--save", "3600 1"])
    try:
        c = redis.Redis(port=ours.port)
        assert c.exists("k2") == 1 and c.exists("k3") == 0
        c.set("k4", "v4")
    finally:
        ours.stop()               # SIGTERM saves too, with a save point
    ours = start_server("pyredis", ["--dir", str(tmp_path)])
    try:
        assert redis.Redis(port=ours.port).get("k4") == b"v4"
    finally:
        ours.stop()


def test_crc64_of_long_inputs_equals_the_tables():
    """The pure-Python CRC folds long inputs with big integers: the same checksum as its
    byte tables, continued from any crc, across the 1 MB blocks it folds at a time."""
    crc64_python = CRC64_FUNCTIONS["python"]
    data = random.Random(7).randbytes((1 << 20) + 2500)
    for start in (0, 1, 0xFFFFFFFFFFFFFFFF):
        by_tables = start
        for i in range(0, len(data), 1024):                  # each short: the tables
            by_tables = crc64_python(data[i:i + 1024], by_tables)
        assert crc64_python(data, start) == by_tables
        assert crc64_python(memoryview(data), start) == by_tables
