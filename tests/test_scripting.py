"""Lua scripting: EVAL/EVALSHA/SCRIPT and FUNCTION/FCALL, through redis-py as applications use
them, and against the real redis-server byte for byte (conversions both ways, errors)."""
from __future__ import annotations

import hashlib
import threading
import time

import pytest
import redis
from redis.lock import Lock

from helpers import RawConnection

LIBRARY = """#!lua name=mylib
local function get(keys, args) return redis.call('GET', keys[1]) end
redis.register_function('my_get', get)
redis.register_function{function_name='my_set', callback=function(keys, args)
    return redis.call('SET', keys[1], args[1]) end}
redis.register_function{function_name='ro_get', callback=get, flags={'no-writes'},
                        description='read only'}
"""


@pytest.fixture
def both(server, real_server):
    """Raw connections to pyredis and redis-server, with no scripts, functions or keys."""
    conns = [RawConnection(server.port), RawConnection(real_server.port)]
    for conn in conns:
        for command in (("FLUSHALL",), ("SCRIPT", "FLUSH"), ("FUNCTION", "FLUSH")):
            conn.execute(*command)
    yield conns
    for conn in conns:
        conn.close()


def same(both, *command: object) -> bytes:
    ours, theirs = (conn.execute(*command) for conn in both)
    assert ours == theirs, command
    return ours


# -- redis-py, as applications use scripts -----------------------------------------------------

def test_register_script_and_evalsha(r):
    r.script_flush()
    incr_by = r.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    assert incr_by(keys=["n"], args=[5]) == 5
    assert incr_by(keys=["n"], args=[2]) == 7
    assert r.script_exists(incr_by.sha) == [True]
    r.script_flush()
    assert r.script_exists(incr_by.sha) == [False]
    assert incr_by(keys=["n"], args=[1]) == 8       # NOSCRIPT, then loaded again


def test_lock_acquire_extend_release(r):
    lock = Lock(r, "resource", timeout=10)
    assert lock.acquire(blocking=False)
    assert not Lock(r, "resource", timeout=10).acquire(blocking=False)
    assert lock.extend(20)
    assert 20_000 < r.pttl("resource") <= 30_000
    assert lock.reacquire()
    lock.release()
    assert r.get("resource") is None
    assert lock.acquire(blocking=False)
    r.set("resource", "someone else")
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        lock.release()


def test_pipeline_with_scripts(r):
    r.script_flush()
    script = r.register_script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}")
    pipe = r.pipeline()
    script(keys=["a"], args=["x"], client=pipe)
    script(keys=["a"], args=["y"], client=pipe)
    pipe.get("a")
    assert pipe.execute() == [[b"a", b"x", 1], [b"a", b"y", 2], b"2"]


def test_function_load_and_fcall(r, protocol):
    r.function_flush()
    assert r.function_load(LIBRARY) == b"mylib"
    assert r.fcall("my_set", 1, "k", "v") == b"OK"
    assert r.fcall("MY_GET", 1, "k") == b"v"             # function names ignore case
    assert r.fcall_ro("ro_get", 1, "k") == b"v"
    with pytest.raises(redis.ResponseError, match="with write flag using \\*_ro"):
        r.fcall_ro("my_set", 1, "k", "w")
    entry = r.function_list(withcode=True)[0]
    if protocol == 2:                                # a map, flattened
        entry = dict(zip(entry[::2], entry[1::2]))
    assert entry[b"library_name"] == b"mylib"
    assert entry[b"library_code"] == LIBRARY.encode()
    payload = r.function_dump()
    r.function_flush()
    assert r.function_restore(payload)
    assert r.fcall("my_get", 1, "k") == b"v"


# -- the same bytes as redis-server --------------------------------------------------------------

CONVERSIONS = [
    "return 100.5", "return -3.99", "return 'hello'", "return true", "return false",
    "return nil", "return {ok='fine'}", "return {err='ERR bad thing'}", "return {err='x'}",
    "return {1, 2, 3, 'ciao', {1, 2}}", "return {1, nil, 3}", "return {1, false, 3}",
    "return {double=3.5}", "return {big_number='123456789012345678901234567890'}",
    "return {map={a=1}}", "return {set={a=true}}",
    "return {verbatim_string={format='txt', string='hi'}}", "return _G", "return {{{}}}",
    "return redis.call('PING')", "return redis.pcall('INCR')",
    "redis.call('SET', 'n', 9007199254740991); return redis.call('GET', 'n')",
    "return redis.call('SET', 'n', 1.5)", "return redis.call('HSET', 'h', 'f', 'v')",
    "return redis.call('HGETALL', 'h')", "return redis.call('GET', 'missing')",
    "return {type(redis.call('GET', 'missing'))}", "return redis.call('LRANGE', 'nolist', 0, -1)",
    "redis.setresp(3); return redis.call('HGETALL', 'h')",
    "redis.setresp(3); return {redis.call('GET', 'missing') == nil}",
    "redis.setresp(3); return true", "redis.setresp(3); return false",
    "redis.setresp(3); local t = redis.call('HELLO'); return t.map.proto",
    "return redis.sha1hex('Pizza & Mandolino')", "return redis.error_reply('MY message')",
    "return redis.status_reply('DONE')", "return redis.error_reply('-CODE x')",
    "math.randomseed(7); return {math.random(), math.random(10), math.random(5, 9)}",
    "return cjson.encode({1, 2, 'x', {a=true}})",
    "return cjson.decode('[1, 2.5, \"x\", null, {\"k\": [true]}]')[5].k",
    "local h = '' local e = cmsgpack.pack({1, 2, 'abc', 3.25, -1099511627776}) "
    "for i = 1, #e do h = h .. string.format('%02x', e:byte(i)) end return h",
    "return cmsgpack.unpack(cmsgpack.pack({1, {2, 'x'}, true}))",
    "return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.lshift(1, 31), "
    "bit.rshift(-1, 28), bit.arshift(-256, 4), bit.tohex(255), bit.tohex(-1, -4), bit.bnot(0)}",
    "return struct.unpack('>I2i4', struct.pack('>I2i4', 258, -5))",
]

ERRORS = [
    "return a", "a = 10", "return redis.call('nosuchcommand')", "redis.call('GET', 'a', 'b')",
    "return redis.call()", "return redis.call({})", "error('boom')", "error({err='MY boom'})",
    "return 1 +", "setmetatable(_G, {})", "local g = getmetatable(_G); g.__index = {}",
    "redis.call = 1", "cjson.encode = 1", "return loadfile", "return dofile", "return print",
    "return os.time()", "return io", "return redis.call('SUBSCRIBE', 'c')",
    "return redis.call('BLPOP', 'l', 0)", "redis.call('SET', 'k', 'v'); redis.call('LPUSH', 'k', 1)",
    "return redis.sha1hex()", "redis.setresp(4)", "redis.log(redis.LOG_WARNING)",
    "return loadstring(string.dump(function() return 1 end))()",
    "return cjson.encode({[true] = 1})",
]


@pytest.mark.parametrize("proto", [2, 3])
def test_conversions_and_errors_match_redis(both, proto):
    for conn in both:
        conn.execute("HELLO", proto)
    for script in CONVERSIONS + ERRORS:
        same(both, "EVAL", script, 0)
        function = "#!lua name=lib\nredis.register_function('f', function(KEYS, ARGV)\n%s\nend)" \
            % script
        same(both, "FUNCTION", "LOAD", "REPLACE", function)
        same(both, "FCALL", "f", 0)


def test_eval_argument_errors_match_redis(both):
    for command in (("EVAL", "return 1", -1), ("EVAL", "return 1", 2, "a"),
                    ("EVAL", "return 1", "x"), ("EVALSHA", "notasha", 0),
                    ("EVALSHA", "ffd632c7d33e571e9f24556ebed26c3479a87130", 0),
                    ("EVAL", "#!lua flags=no-writes\nreturn redis.call('SET', 'k', 1)", 0),
                    ("EVAL", "#!lua flags=bad\nreturn 1", 0), ("EVAL", "#!python\nreturn 1", 0),
                    ("EVAL", "#!lua x=1\nreturn 1", 0),
                    ("EVAL_RO", "return redis.call('DEL', KEYS[1])", 1, "k"),
                    ("EVAL_RO", "#!lua\nreturn 1", 0),
                    ("SCRIPT", "LOAD", "return 'loaded'"), ("SCRIPT", "EXISTS", "x"),
                    ("EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", 0),
                    ("SCRIPT", "FLUSH", "BAD"), ("SCRIPT", "KILL"), ("FUNCTION", "KILL"),
                    ("SCRIPT", "HELP"), ("FUNCTION", "HELP"), ("FUNCTION", "STATS")):
        same(both, *command)


def test_function_errors_match_redis(both):
    for command in (
            ("FUNCTION", "LOAD", "return 1"), ("FUNCTION", "LOAD", "#!lua\nreturn 1"),
            ("FUNCTION", "LOAD", "#!lua name=a-b\n"), ("FUNCTION", "LOAD", "#!js name=x\n"),
            ("FUNCTION", "LOAD", "#!lua name=x\nreturn 1"),
            ("FUNCTION", "LOAD", "#!lua name=x\nlocal s = string.len('a')"),
            ("FUNCTION", "LOAD", "#!lua name=x\nredis.call('PING')"),
            ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f')"),
            ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f'}"),
            ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{callback=print}"),
            ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function{function_name='f',"
             " callback=function() end, flags={'bad'}}"),
            ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f', function() end)\n"
             "redis.register_function('F', function() end)"),
            ("FUNCTION", "LOAD", LIBRARY), ("FUNCTION", "LOAD", LIBRARY),
            ("FUNCTION", "LOAD", "#!lua name=other\n"
             "redis.register_function('my_get', function() end)"),
            ("FUNCTION", "LIST", "LIBRARYNAME", "nomatch*", "WITHCODE"),
            ("FUNCTION", "LIST", "WITHCODE", "WITHCODE"), ("FUNCTION", "LIST", "LIBRARYNAME"),
            ("FCALL", "nosuch", 0), ("FCALL", "my_get", "x"), ("FCALL", "my_get", 5, "k"),
            ("FCALL_RO", "my_set", 1, "k", "v"), ("FUNCTION", "DELETE", "nosuch"),
            ("FUNCTION", "RESTORE", "bad"), ("FUNCTION", "RESTORE", "x", "BAD"),
            ("FUNCTION", "DELETE", "mylib"), ("FUNCTION", "FLUSH", "NOW")):
        same(both, *command)


def test_dump_payloads_restore_across_servers(both):
    ours, theirs = both
    library = "#!lua name=lib2\nredis.register_function('g', function() return 'from %s' end)"
    theirs.execute("FUNCTION", "LOAD", library % "a long library body to compress " * 1)
    payload = theirs.execute("FUNCTION", "DUMP")
    data = payload.split(b"\r\n", 1)[1][:-2]
    assert ours.execute("FUNCTION", "RESTORE", data) == b"+OK\r\n"
    assert ours.execute("FCALL", "g", 0) == theirs.execute("FCALL", "g", 0)
    ours.execute("FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function('h', "
                 "function() return 3 end)")
    data = ours.execute("FUNCTION", "DUMP").split(b"\r\n", 1)[1][:-2]
    assert theirs.execute("FUNCTION", "RESTORE", data, "REPLACE") == b"+OK\r\n"
    assert theirs.execute("FCALL", "h", 0) == b":3\r\n"


# -- scripts among the other clients -----------------------------------------------------------

def test_script_writes_are_seen_by_watch_blocked_clients_and_notifications(r, target_server):
    other = redis.Redis(port=target_server.port, socket_timeout=10)
    popped = []
    blocker = threading.Thread(target=lambda: popped.append(other.blpop("queue", 5)))
    blocker.start()
    deadline = time.monotonic() + 5
    while r.info("clients")["blocked_clients"] != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    pubsub = r.pubsub()
    r.config_set("notify-keyspace-events", "KEA")
    try:
        pubsub.psubscribe("__keyevent@0__:*")
        pubsub.get_message(timeout=1)
        watcher = r.pipeline()
        watcher.watch("queue")
        # the blocked client is served only once the script is over: it sees both pushes
        r.eval("redis.call('RPUSH', 'queue', 'a'); redis.call('RPUSH', 'queue', 'b')", 0)
        blocker.join(5)
        assert popped == [(b"queue", b"a")]
        assert r.lrange("queue", 0, -1) == [b"b"]
        watcher.multi()
        watcher.set("x", 1)
        with pytest.raises(redis.WatchError):
            watcher.execute()
        events = []
        for _ in range(3):
            message = pubsub.get_message(timeout=1)
            if message:
                events.append(message["channel"])
        assert events[:2] == [b"__keyevent@0__:rpush", b"__keyevent@0__:rpush"]
    finally:
        r.config_set("notify-keyspace-events", "")
        pubsub.close()
        other.close()


def test_multi_exec_with_eval_and_monitor(r, target_server):
    conn = RawConnection(target_server.port)
    monitor = RawConnection(target_server.port)
    try:
        assert monitor.execute("MONITOR") == b"+OK\r\n"
        conn.execute("MULTI")
        conn.execute("EVAL", "return redis.call('INCR', KEYS[1])", 1, "counter")
        conn.execute("EVAL", "return redis.call('BLPOP', 'nolist', 0)", 0)
        sha = hashlib.sha1(b"return redis.call('BLPOP', 'nolist', 0)").hexdigest().encode()
        assert conn.execute("EXEC") == (b"*2\r\n:1\r\n-ERR This Redis command is not allowed "
                                        b"from script script: %s, on @user_script:1.\r\n" % sha)
        lines = [monitor.read_reply() for _ in range(5)]
        assert b'"EVAL"' in lines[1] and b"[0 lua] \"INCR\" \"counter\"" in lines[2]
    finally:
        conn.close()
        monitor.close()


def test_busy_script_killed_by_script_kill(r, target_server):
    r.config_set("busy-reply-threshold", 50)
    runner = RawConnection(target_server.port)
    try:
        runner.send("EVAL", "local i = 0 while true do i = i + 1 end", 0)
        deadline = time.monotonic() + 10
        busy = None
        while busy is None and time.monotonic() < deadline:
            try:
                r.ping()
                time.sleep(0.02)
            except redis.ResponseError as exc:
                busy = str(exc)
        assert busy == ("BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
                        "SHUTDOWN NOSAVE.")
        with pytest.raises(redis.ResponseError, match="BUSY"):
            r.function_stats()          # about functions only: an EVAL is running
        with pytest.raises(redis.ResponseError, match="BUSY"):
            r.function_kill()
        assert r.script_kill()
        error = runner.read_reply()
        assert error.startswith(b"-ERR Script killed by user with SCRIPT KILL... script:")
        assert r.ping()
    finally:
        r.config_set("busy-reply-threshold", 5000)
        runner.close()


def test_info_scripting_fields(r):
    r.script_flush()
    r.function_flush()
    r.script_load("return 1")
    r.function_load(LIBRARY)
    memory = r.info("memory")
    assert memory["number_of_cached_scripts"] == 1
    assert memory["number_of_functions"] == 3
    assert memory["number_of_libraries"] == 1
    assert 0 < memory["used_memory_lua"] < 1024 * 1024
    assert memory["used_memory_vm_total"] == memory["used_memory_lua"] + \
        memory["used_memory_vm_functions"]
