"""Generic key commands through redis-py: DEL UNLINK EXISTS TOUCH TYPE RENAME RENAMENX COPY
MOVE KEYS SCAN RANDOMKEY, the EXPIRE and TTL families, PERSIST and OBJECT."""
from __future__ import annotations

import time

import pytest
import redis

from helpers import start_server


# -- DEL, UNLINK, EXISTS, TOUCH, TYPE ------------------------------------------------------

@pytest.mark.parametrize("name", ["delete", "unlink"])
def test_del_and_unlink_count_removed_keys(r, name):
    r.set("a", "1")
    r.set("b", "2")
    assert getattr(r, name)("a", "b", "missing", "a") == 2
    assert r.exists("a", "b") == 0
    assert getattr(r, name)("a") == 0


def test_exists_counts_repeats_and_ignores_missing(r):
    r.set("a", "1")
    assert r.exists("a", "a", "nokey") == 2
    assert r.exists("nokey") == 0


def test_touch_counts_existing_keys_and_resets_idle_time(r):
    r.set("a", "1")
    r.set("b", "2")
    assert r.touch("a", "b", "nokey") == 2
    assert r.object("idletime", "a") == 0


def test_type_of_each_builtin_value(r):
    r.set("s", "v")
    assert r.type("s") == b"string"
    assert r.type("nokey") == b"none"


# -- RENAME, RENAMENX -----------------------------------------------------------------------

def test_rename_moves_value_and_ttl(r):
    r.set("src", "v")
    r.expire("src", 100)
    assert r.rename("src", "dst") is True
    assert r.get("dst") == b"v"
    assert r.exists("src") == 0
    assert 95 < r.ttl("dst") <= 100


def test_rename_overwrites_and_drops_target_ttl(r):
    r.set("src", "new")
    r.set("dst", "old")
    r.expire("dst", 100)
    r.rename("src", "dst")
    assert r.get("dst") == b"new"
    assert r.ttl("dst") == -1


def test_rename_errors_and_same_key(r):
    with pytest.raises(redis.ResponseError, match="^no such key$"):
        r.rename("nokey", "other")
    with pytest.raises(redis.ResponseError, match="^no such key$"):
        r.rename("nokey", "nokey")
    r.set("k", "v")
    assert r.rename("k", "k") is True
    assert r.renamenx("k", "k") is False
    assert r.get("k") == b"v"


def test_renamenx_only_when_target_missing(r):
    r.set("a", "1")
    r.set("b", "2")
    assert r.renamenx("a", "b") is False
    assert r.get("a") == b"1"
    assert r.renamenx("a", "c") is True
    assert r.get("c") == b"1" and r.exists("a") == 0


# -- COPY, MOVE -----------------------------------------------------------------------------

def test_copy_same_db_keeps_ttl_and_is_independent(r):
    r.set("src", "v")
    r.pexpire("src", 100_000)
    assert r.copy("src", "dst") is True
    assert r.get("dst") == b"v"
    assert 0 < r.pttl("dst") <= 100_000
    r.set("dst", "changed")
    assert r.get("src") == b"v"


def test_copy_without_ttl_creates_none(r):
    r.set("src", "v")
    r.copy("src", "dst")
    assert r.ttl("dst") == -1


def test_copy_respects_replace_and_db(r):
    r.set("src", "v")
    r.set("dst", "old")
    assert r.copy("src", "dst") is False
    assert r.get("dst") == b"old"
    assert r.copy("src", "dst", replace=True) is True
    assert r.get("dst") == b"v"
    assert r.copy("src", "src", destination_db=1) is True
    other = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=1)
    try:
        assert other.get("src") == b"v"
    finally:
        other.close()
    assert r.copy("nokey", "x") is False


@pytest.mark.parametrize("add,size", [
    (("SADD", "{key}", "m{n}"), "SCARD"),
    (("HSET", "{key}", "f{n}", "v"), "HLEN"),
    (("RPUSH", "{key}", "e{n}"), "LLEN"),
    (("ZADD", "{key}", "1", "m{n}"), "ZCARD"),
])
def test_copy_deep_copies_containers(raw, add, size):
    """A copy of a collection has its type and encoding, and is independent of the
    original both ways."""
    def add_to(key: str, n: int) -> None:
        assert raw.execute(*(a.format(key=key, n=n) for a in add)).startswith(b":")
    add_to("src", 0)
    assert raw.execute("COPY", "src", "dst") == b":1\r\n"
    for info in (("TYPE",), ("OBJECT", "ENCODING")):
        assert raw.execute(*info, "dst") == raw.execute(*info, "src")
    add_to("dst", 1)
    add_to("dst", 2)
    add_to("src", 3)
    assert raw.execute(size, "src") == b":2\r\n"
    assert raw.execute(size, "dst") == b":3\r\n"


def test_copy_errors(r):
    r.set("k", "v")
    with pytest.raises(redis.ResponseError, match="source and destination objects are the same"):
        r.copy("k", "k")
    with pytest.raises(redis.ResponseError, match="DB index is out of range"):
        r.copy("k", "x", destination_db=16)
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.execute_command("COPY", "k", "x", "DB", "notanumber")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("COPY", "k", "x", "DB")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("COPY", "k", "x", "FOO")


def test_move_between_databases(r):
    r.set("k", "v")
    r.expire("k", 100)
    assert r.move("k", 1) is True
    assert r.exists("k") == 0
    other = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=1)
    try:
        assert other.get("k") == b"v"
        assert 95 < other.ttl("k") <= 100
        r.set("k", "again")
        assert r.move("k", 1) is False       # already there
        assert r.move("nokey", 1) is False
    finally:
        other.close()
    with pytest.raises(redis.ResponseError, match="source and destination objects are the same"):
        r.move("k", 0)
    with pytest.raises(redis.ResponseError, match="DB index is out of range"):
        r.move("k", 99)
    with pytest.raises(redis.ResponseError, match="value is out of range, value must between"):
        r.move("k", 2**40)


# -- KEYS, SCAN, RANDOMKEY ------------------------------------------------------------------

def test_keys_with_patterns(r):
    for key in ("key_x", "key_y", "foo_a", "foo_b", "f*o"):
        r.set(key, "v")
    assert sorted(r.keys("foo*")) == [b"foo_a", b"foo_b"]
    assert sorted(r.keys("*")) == sorted([b"key_x", b"key_y", b"foo_a", b"foo_b", b"f*o"])
    assert r.keys(r"f\*o") == [b"f*o"]
    assert sorted(r.keys("key_[^x]")) == [b"key_y"]
    assert r.keys("nomatch*") == []


def test_keys_skips_expired_keys_without_deleting_them(r):
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        r.set("gone", "v")
        r.pexpire("gone", 1)
        r.set("kept", "v")
        time.sleep(0.01)
        assert r.keys("*") == [b"kept"]
        assert r.dbsize() == 2               # KEYS deletes nothing
        assert r.scan(0, match="*")[1] == [b"kept"]
        assert r.dbsize() == 1               # SCAN deletes what it finds expired
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_scan_full_iteration_with_count_match_type(r):
    with r.pipeline(transaction=False) as pipe:
        for i in range(500):
            pipe.set(f"key:{i}", i)
        pipe.execute()
    assert set(r.scan_iter(count=7)) == {f"key:{i}".encode() for i in range(500)}
    assert set(r.scan_iter(match="key:1??")) == {f"key:{i}".encode() for i in range(100, 200)}
    assert set(r.scan_iter(_type="STRING", count=50)) == {
        f"key:{i}".encode() for i in range(500)}
    assert list(r.scan_iter(_type="list")) == []


def test_scan_errors(r):
    for cursor in ("abc", " 1", "1 ", "0x10", "+", "-", "18446744073709551616"):
        with pytest.raises(redis.ResponseError, match="^invalid cursor$"):
            r.execute_command("SCAN", cursor)
    for args in (("COUNT", "0"), ("COUNT",), ("MATCH",), ("TYPE",), ("FOO", "bar")):
        with pytest.raises(redis.ResponseError, match="^syntax error$"):
            r.execute_command("SCAN", "0", *args)
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.execute_command("SCAN", "0", "COUNT", "x")


def test_scan_returns_every_key_present_throughout_while_keys_come_and_go(r):
    """Redis's SCAN guarantee: a key present from the first call to the last is returned
    (at least once), however many keys are added and deleted meanwhile."""
    stable = {f"stable:{i}".encode() for i in range(1000)}
    doomed = [f"doomed:{i}".encode() for i in range(1000)]
    with r.pipeline(transaction=False) as pipe:
        for key in list(stable) + doomed:
            pipe.set(key, "v")
        pipe.execute()
    seen: set[bytes] = set()
    cursor, step = 0, 0
    while True:
        cursor, batch = r.scan(cursor, count=25)
        seen.update(batch)
        # Between calls: delete some keys that existed at the start, add new ones.
        with r.pipeline(transaction=False) as pipe:
            for key in doomed[step * 10:(step + 1) * 10]:
                pipe.delete(key)
            for i in range(20):
                pipe.set(f"new:{step}:{i}", "v")
            pipe.execute()
        step += 1
        if cursor == 0:
            break
        assert step < 10_000
    assert stable <= seen
    # Nothing is invented: every name returned existed at some point.
    assert all(k.startswith((b"stable:", b"doomed:", b"new:")) for k in seen)


def test_randomkey(r):
    assert r.randomkey() is None
    r.set("x", "1")
    r.delete("x")
    assert r.randomkey() is None
    r.set("foo", "1")
    r.set("bar", "2")
    seen = {r.randomkey() for _ in range(200)}
    assert seen == {b"foo", b"bar"}


def test_randomkey_skips_and_deletes_expired_keys(r):
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        for i in range(20):
            r.set(f"old{i}", "v")
            r.pexpire(f"old{i}", 1)
        r.set("live", "v")
        time.sleep(0.01)
        assert {r.randomkey() for _ in range(30)} == {b"live"}
        r.delete("live")
        assert r.randomkey() is None
        assert r.dbsize() == 0
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


# -- EXPIRE family, TTL family, PERSIST -----------------------------------------------------

def test_expire_and_ttl_family(r):
    r.set("k", "v")
    assert r.ttl("k") == -1 and r.pttl("k") == -1
    assert r.expiretime("k") == -1 and r.execute_command("PEXPIRETIME", "k") == -1
    assert r.expire("k", 100) is True
    assert r.ttl("k") == 100
    assert 99_000 < r.pttl("k") <= 100_000
    assert r.pexpire("k", 50_000) is True
    assert r.ttl("k") == 50
    at = int(time.time()) + 1000
    assert r.expireat("k", at) is True
    assert r.expiretime("k") == at
    assert r.pexpireat("k", at * 1000 + 123) is True
    assert r.execute_command("PEXPIRETIME", "k") == at * 1000 + 123
    assert r.expiretime("k") == at       # rounded to the nearest second
    for name in ("ttl", "pttl", "expiretime"):
        assert getattr(r, name)("nokey") == -2
    assert r.expire("nokey", 10) is False


def test_expire_in_the_past_deletes(r):
    for command, value in (("EXPIRE", -1), ("PEXPIRE", 0), ("EXPIREAT", 1),
                           ("PEXPIREAT", -9223372036854770000)):
        r.set("k", "v")
        assert r.execute_command(command, "k", value) == 1
        assert r.exists("k") == 0


def test_expire_options(r):
    r.set("k", "v")
    assert r.expire("k", 100, xx=True) is False
    assert r.expire("k", 100, gt=True) is False     # no TTL counts as infinite
    assert r.expire("k", 100, nx=True) is True
    assert r.expire("k", 200, nx=True) is False
    assert r.expire("k", 50, gt=True) is False
    assert r.expire("k", 200, gt=True) is True
    assert r.expire("k", 300, lt=True) is False
    assert r.expire("k", 100, lt=True) is True
    assert r.expire("k", 150, xx=True) is True
    assert r.ttl("k") == 150
    r.persist("k")
    assert r.expire("k", 100, lt=True) is True      # LT on a key without TTL
    assert r.execute_command("EXPIRE", "k", 90, "lt", "xx") == 1
    assert r.execute_command("EXPIRE", "k", 95, "LT", "XX") == 0


@pytest.mark.parametrize("args,message", [
    (("NX", "XX"), "NX and XX, GT or LT options at the same time are not compatible"),
    (("NX", "GT"), "NX and XX, GT or LT options at the same time are not compatible"),
    (("LT", "NX"), "NX and XX, GT or LT options at the same time are not compatible"),
    (("GT", "LT"), "GT and LT options at the same time are not compatible"),
    (("XX", "AB"), "Unsupported option AB"),
])
def test_expire_option_errors(r, args, message):
    r.set("k", "v")
    with pytest.raises(redis.ResponseError, match=f"^{message}$"):
        r.execute_command("EXPIRE", "k", 10, *args)


@pytest.mark.parametrize("command,value", [
    ("EXPIRE", 9223370399119966), ("EXPIRE", 9223372036854776), ("EXPIRE", -9223372036854776),
    ("PEXPIRE", 9223372036854770000), ("EXPIREAT", 9223372036854776),
])
def test_expire_overflow_errors(r, command, value):
    r.set("k", "v")
    with pytest.raises(redis.ResponseError,
                       match=f"^invalid expire time in '{command.lower()}' command$"):
        r.execute_command(command, "k", value)
    assert r.ttl("k") == -1


def test_expire_bad_number(r):
    r.set("k", "v")
    for value in ("", "1.5", "abc"):
        with pytest.raises(redis.ResponseError, match="not an integer"):
            r.execute_command("EXPIRE", "k", value)


def test_persist(r):
    r.set("k", "v")
    assert r.persist("k") is False
    assert r.persist("nokey") is False
    r.expire("k", 100)
    assert r.persist("k") is True
    assert r.ttl("k") == -1


def test_expired_key_is_gone_on_access(r):
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        r.set("k", "v")
        r.pexpire("k", 5)
        time.sleep(0.02)
        assert r.dbsize() == 1
        assert r.expire("k", 100) is False       # no resurrection
        assert r.exists("k") == 0
        assert r.dbsize() == 0
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


# -- OBJECT ---------------------------------------------------------------------------------

def test_object_encoding_of_strings(r):
    for value, encoding in (("12345", b"int"), ("-9223372036854775808", b"int"),
                            ("012", b"embstr"), ("x" * 44, b"embstr"), ("x" * 45, b"raw"),
                            ("9223372036854775808", b"embstr"), ("", b"embstr")):
        r.set("k", value)
        assert r.object("encoding", "k") == encoding, value
    assert r.object("encoding", "nokey") is None


def test_incrbyfloat_result_is_an_embstr_until_rewritten(r):
    """INCRBYFLOAT stores its result without the integer encoding: an integer-looking
    result is embstr (raw past 44 bytes), for the key and a COPY of it, until a write that
    encodes again (SET) or a reload."""
    r.set("f", 1)
    assert r.incrbyfloat("f", 1) == 2
    assert r.object("encoding", "f") == b"embstr"
    assert r.object("refcount", "f") == 1
    assert r.type("f") == b"string" and r.get("f") == b"2" and r.strlen("f") == 1
    r.copy("f", "g")
    assert r.object("encoding", "g") == b"embstr"
    r.incrbyfloat("big", "1e50")
    assert r.object("encoding", "big") == b"raw"
    r.set("f", r.get("f"))
    assert r.object("encoding", "f") == b"int"
    r.execute_command("DEBUG", "RELOAD")
    assert r.object("encoding", "g") == b"int"


def test_object_refcount_idletime_freq(r):
    r.set("small", "100")
    r.set("big", "100000")
    assert r.object("refcount", "small") == 2147483647
    assert r.object("refcount", "big") == 1
    # (a shared small integer's idle time is the server's age in Redis). Idle time counts
    # whole seconds of the LRU clock, so a second may tick between the two commands.
    assert r.object("idletime", "big") <= 1
    assert r.object("refcount", "nokey") is None
    with pytest.raises(redis.ResponseError, match="An LFU maxmemory policy is not selected"):
        r.object("freq", "small")


def test_object_freq_under_lfu_policy():
    proc = start_server("pyredis", ["--maxmemory-policy", "allkeys-lfu"])
    try:
        r = redis.Redis(port=proc.port)
        r.set("new", "v")
        assert r.object("freq", "new") == 5      # Redis's initial LFU counter
        with pytest.raises(redis.ResponseError, match="An LFU maxmemory policy is selected"):
            r.object("idletime", "new")
        r.set("hot", "v")
        with r.pipeline(transaction=False) as pipe:
            for _ in range(300):
                pipe.get("hot")
            pipe.execute()
        # Logarithmic: grows quickly at first, then ever more slowly.
        assert 5 < r.object("freq", "hot") < 100
        assert r.object("freq", "new") == 5      # OBJECT itself does not count as access
        r.close()
    finally:
        proc.stop()


def test_object_help_and_errors(r):
    lines = r.execute_command("OBJECT", "HELP")
    assert lines[0] == b"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert lines[-2:] == [b"HELP", b"    Prints this help."]
    with pytest.raises(redis.ResponseError, match=r"^unknown subcommand 'foo'. Try OBJECT HELP.$"):
        r.execute_command("OBJECT", "foo", "k")
    with pytest.raises(redis.ResponseError,
                       match="wrong number of arguments for 'object|encoding'"):
        r.execute_command("OBJECT", "ENCODING")


@pytest.mark.parametrize("command,amount", [
    ("EXPIRE", 100), ("PEXPIRE", 100_000), ("EXPIREAT", None), ("PEXPIREAT", None)])
def test_expire_flags_on_every_variant(r, command, amount):
    def when(seconds: int) -> int:
        if amount is not None:
            return seconds * amount // 100
        at = int(time.time()) + seconds
        return at * 1000 if command == "PEXPIREAT" else at
    r.set("k", "v")
    assert r.execute_command(command, "k", when(100), "XX") == 0
    assert r.execute_command(command, "k", when(100), "GT") == 0
    assert r.execute_command(command, "k", when(100), "NX") == 1
    assert r.execute_command(command, "k", when(200), "NX") == 0
    assert r.execute_command(command, "k", when(50), "GT") == 0
    assert r.execute_command(command, "k", when(300), "gt") == 1
    assert r.execute_command(command, "k", when(400), "LT") == 0
    assert r.execute_command(command, "k", when(100), "lt", "xx") == 1
    assert 90 <= r.ttl("k") <= 100


# -- with a clock of their own: idle times, TTLs and LFU decay as time passes ---------------

@pytest.fixture
def clocked():
    proc = start_server("pyredis")
    client = redis.Redis(port=proc.port)
    yield client
    client.close()
    proc.stop()


def advance(r: redis.Redis, seconds: float) -> None:
    assert r.execute_command("DEBUG", "ADVANCE-CLOCK", seconds) == b"OK"


def test_idle_time_grows_and_only_real_accesses_reset_it(clocked):
    r = clocked
    r.set("k", "v")
    advance(r, 10)
    for read in (("TTL", "k"), ("PTTL", "k"), ("TYPE", "k"), ("EXISTS", "k"),
                 ("OBJECT", "ENCODING", "k"), ("EXPIRETIME", "k"), ("KEYS", "*"),
                 ("SCAN", "0"), ("RANDOMKEY",)):
        r.execute_command(*read)
    assert r.object("idletime", "k") == 10
    r.get("k")
    assert r.object("idletime", "k") == 0
    advance(r, 5)
    r.touch("k")
    assert r.object("idletime", "k") == 0


def test_ttl_counts_down_and_keys_expire_with_the_clock(clocked):
    r = clocked
    r.set("k", "v")
    r.expire("k", 100)
    advance(r, 40)
    assert r.ttl("k") == 60
    assert 59_000 < r.pttl("k") <= 60_000
    at = r.expiretime("k")
    advance(r, 61)
    assert r.ttl("k") == -2
    assert r.get("k") is None
    assert r.execute_command("EXPIRETIME", "k") == -2
    assert at > 0


def test_lfu_counter_decays_by_idle_minutes():
    proc = start_server("pyredis", ["--maxmemory-policy", "volatile-lfu",
                                     "--lfu-decay-time", "2"])
    try:
        r = redis.Redis(port=proc.port)
        r.set("k", "v")
        assert r.object("freq", "k") == 5
        advance(r, 4 * 60)              # two decay periods of two minutes
        assert r.object("freq", "k") == 3
        advance(r, 60 * 60)
        assert r.object("freq", "k") == 0
        r.close()
    finally:
        proc.stop()


# -- lazy freeing ----------------------------------------------------------------------------

def lazyfree_info(r: redis.Redis) -> tuple[int, int]:
    memory = r.info("memory")
    return memory["lazyfree_pending_objects"], memory["lazyfreed_objects"]


def wait_lazyfree_done(r: redis.Redis) -> int:
    for _ in range(400):
        pending, freed = lazyfree_info(r)
        if pending == 0:
            return freed
        assert r.ping()
        time.sleep(0.025)
    raise AssertionError("lazy free never finished")


def test_unlink_hands_big_values_to_the_lazy_free(r):
    freed = wait_lazyfree_done(r)
    r.hset("big", mapping={f"f{i}": i for i in range(20_000)})     # a hashtable
    r.hset("small", "f", "v")                                      # a listpack
    r.set("string", "v")
    assert r.unlink("small", "string") == 2
    assert lazyfree_info(r) == (0, freed)          # one allocation each: freed at once
    assert r.unlink("big") == 1
    assert r.exists("big") == 0
    assert wait_lazyfree_done(r) == freed + 1


def test_del_is_lazy_only_with_lazyfree_lazy_user_del(r):
    freed = wait_lazyfree_done(r)
    r.hset("big", mapping={f"f{i}": i for i in range(1000)})
    assert r.delete("big") == 1
    assert lazyfree_info(r) == (0, freed)
    r.config_set("lazyfree-lazy-user-del", "yes")
    try:
        r.hset("big", mapping={f"f{i}": i for i in range(1000)})
        assert r.delete("big") == 1
        assert wait_lazyfree_done(r) == freed + 1
    finally:
        r.config_set("lazyfree-lazy-user-del", "no")


def test_expiry_is_lazy_only_with_lazyfree_lazy_expire(r):
    freed = wait_lazyfree_done(r)
    r.config_set("lazyfree-lazy-expire", "yes")
    try:
        r.hset("big", mapping={f"f{i}": i for i in range(1000)})
        r.pexpire("big", 1)
        for _ in range(400):          # the active cycle reclaims it, nobody reads it
            if r.dbsize() == 0:
                break
            time.sleep(0.025)
        assert wait_lazyfree_done(r) == freed + 1
        r.hset("big", mapping={f"f{i}": i for i in range(1000)})
        assert r.expire("big", -1) == 1       # a time in the past deletes, lazily too
        assert wait_lazyfree_done(r) == freed + 2
    finally:
        r.config_set("lazyfree-lazy-expire", "no")
