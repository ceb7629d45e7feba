"""COMMAND and CLIENT: Redis 7.0's reply shapes and error texts byte for byte, read from the
one command table; MONITOR's format; redis-cli's hints built from COMMAND DOCS."""
from __future__ import annotations

import os
import pty
import re
import select
import struct
import subprocess
import time
from typing import Optional

import pytest
import redis

from differential import parse_reply
from helpers import ONE_IO_BACKEND, RawConnection, start_server


def both(raw, real_raw, *args) -> bytes:
    ours, theirs = raw.execute(*args), real_raw.execute(*args)
    assert ours == theirs, args
    return ours


# -- COMMAND -------------------------------------------------------------------------------

SAME_AS_REDIS = [
    ("COMMAND", "INFO", "get"),
    ("COMMAND", "INFO", "info", "config|get", "config|set", "config|resetstat", "time",
     "dbsize", "flushall", "flushdb", "swapdb", "shutdown", "monitor", "lastsave", "debug"),
    ("COMMAND", "INFO", "command|count", "command|help", "client|list", "client|kill",
     "client|id", "client|setname", "client|getname", "client|pause", "client|reply",
     "client|no-evict", "client|unpause", "client|info", "ping", "echo"),
    ("COMMAND", "INFO", "get|key", "config|get|key", "nosuch", "CONFIG|GET", "GeT"),
    # No name with a NUL: Redis's table hashes the whole name but compares it up to the NUL,
    # so whether it finds "get" for "get\0x" depends on its per-process hash seed.
    ("COMMAND", "INFO", "|get", "config|", "|", "||", "config|nosuch", "lolwut",
     "module|list", "module|load"),
    ("COMMAND", "DOCS", "config|get", "nosuch", "config|nosuch", "get|x", "module|help"),
    ("COMMAND", "INFO", "command|getkeys", "command|getkeysandflags", "command|list",
     "command|docs", "command|info"),
    ("COMMAND", "GETKEYS", "get", "key"),
    ("COMMAND", "GETKEYS", "del", "a", "b", "c"),
    ("COMMAND", "GETKEYS", "get"),
    ("COMMAND", "GETKEYS", "nosuch", "a"),
    ("COMMAND", "GETKEYS", "ping", "x"),
    ("COMMAND", "GETKEYS", "config", "get", "x"),
    ("COMMAND", "GETKEYS", "config", "nosuch"),
    ("COMMAND", "GETKEYS", "get", "a", "b"),
    ("COMMAND", "GETKEYS"),
    ("COMMAND", "GETKEYS", "ping"),
    ("COMMAND", "GETKEYSANDFLAGS", "get", "key"),
    ("COMMAND", "LIST", "bad_arg"),
    ("COMMAND", "LIST", "filterby", "bad_arg"),
    ("COMMAND", "LIST", "filterby", "bad_arg", "bad_arg2"),
    ("COMMAND", "LIST", "filterby", "pattern", "a", "b"),
    ("COMMAND", "LIST", "filterby", "pattern", "non_exists*"),
    ("COMMAND", "LIST", "filterby", "module", "non_existing_module"),
    ("COMMAND", "LIST", "filterby", "aclcat", "non_existing_category"),
    ("COMMAND", "LIST", "filterby", "pattern", "get"),
    ("COMMAND", "DOCS", "nosuch"),
    ("COMMAND", "DOCS", "get", "nosuch"),
    ("COMMAND", "DOCS", "dbsize", "time", "info"),
    ("COMMAND", "HELP"),
    ("COMMAND", "COUNT", "x"),
    ("COMMAND", "NOSUCH"),
]


@pytest.mark.parametrize("args", SAME_AS_REDIS, ids=lambda a: " ".join(a[1:4]))
def test_command_replies_match_redis(raw, real_raw, args):
    both(raw, real_raw, *args)


def _listed(conn: RawConnection, *args: str) -> object:
    kind, items = parse_reply(conn.execute("COMMAND", "LIST", *args))
    return (kind, items) if kind == b"-" else {item[1].decode() for item in items}


def _not_yet(name: str) -> bool:
    from pyredis.commands import NOT_YET_IMPLEMENTED
    return name in NOT_YET_IMPLEMENTED or name.split("|")[0] in NOT_YET_IMPLEMENTED


@pytest.mark.parametrize("args", [
    (), ("FILTERBY", "ACLCAT", "admin"), ("filterby", "aclcat", "WRITE"),
    ("FILTERBY", "ACLCAT", "nosuch"), ("FILTERBY", "ACLCAT", "@admin"),
    ("FILTERBY", "ACLCAT", "str\0ing"), ("FILTERBY", "PATTERN", "*"),
    ("FILTERBY", "PATTERN", "CONFIG|*"), ("FILTERBY", "PATTERN", "c[lo]*"),
    ("FILTERBY", "pattern", "*|*"), ("FILTERBY", "PATTERN", "get\0x"),
    ("FILTERBY", "MODULE", "x"), ("FILTERBY", "MODULE", ""),
    ("FILTERBY", "PATTERN", "a", "FILTERBY", "ACLCAT", "admin"), ("FILTERBY",),
    ("FILTERBY", "x", "y")], ids=repr)
def test_command_list_filters_as_redis(raw, real_raw, args):
    """The same names as redis-server (in its hash order, so compared as sets), less the
    commands pyredis does not have yet."""
    theirs = _listed(real_raw, *args)
    if isinstance(theirs, set):
        theirs = {name for name in theirs if not _not_yet(name)}
    assert _listed(raw, *args) == theirs


def test_command_count_is_redis_less_what_is_not_there_yet(raw, real_raw):
    real = int(real_raw.execute("COMMAND", "COUNT")[1:-2])
    missing = len({n for n in _listed(real_raw) if "|" not in n and _not_yet(n)})
    assert int(raw.execute("COMMAND", "COUNT")[1:-2]) == real - missing


def test_command_info_resp3_shapes(raw, real_raw):
    for conn in (raw, real_raw):
        conn.execute("HELLO", "3")
    both(raw, real_raw, "COMMAND", "INFO", "get", "config|set", "client|list")
    both(raw, real_raw, "COMMAND", "DOCS", "time")


def _call(port: int, *args):
    """A reply parsed, without redis-py's own parsing of COMMAND replies."""
    r = redis.Redis(port=port, protocol=2)
    conn = r.connection_pool.get_connection()
    try:
        conn.send_command(*args)
        return conn.read_response()
    finally:
        r.connection_pool.release(conn)
        r.close()


def test_command_count_and_list_cover_the_table(server):
    port = server.port
    count = _call(port, "COMMAND", "COUNT")
    everything = _call(port, "COMMAND")
    assert count == len(everything) > 20
    names = _call(port, "COMMAND", "LIST")
    assert b"get" in names and b"client|list" in names and b"config|get" in names
    assert len(names) > count                       # subcommands are listed too
    admin = _call(port, "COMMAND", "LIST", "FILTERBY", "ACLCAT", "admin")
    assert b"config|set" in admin and b"get" not in admin
    config = _call(port, "COMMAND", "LIST", "FILTERBY", "PATTERN", "config|*re*")
    assert set(config) == {b"config|resetstat", b"config|rewrite"}
    helps = _call(port, "COMMAND", "LIST", "FILTERBY", "PATTERN", "cl*help")
    assert b"client|help" in helps


def test_command_info_shape(server):
    (info,) = _call(server.port, "COMMAND", "INFO", "config")
    name, arity, flags, first, last, step, categories, tips, specs, subcommands = info
    assert (name, arity, flags, first, last, step) == (b"config", -2, [], 0, 0, 0)
    assert categories == [b"@slow"]
    assert {sub[0] for sub in subcommands} == {b"config|get", b"config|set",
                                               b"config|resetstat", b"config|rewrite",
                                               b"config|help"}


def test_key_specs_give_getkeys():
    """Key specs as Redis has them (read from the table): flags per key, keyword searches,
    key counts; None when the arguments do not fit."""
    from pyredis.commands import TABLE
    assert TABLE["lmove"].keys_and_flags([b"lmove", b"a", b"b", b"left", b"right"]) == [
        (1, ("RW", "access", "delete")), (2, ("RW", "insert"))]
    assert TABLE["xread"].key_indexes([b"xread", b"COUNT", b"2", b"STREAMS", b"a", b"b",
                                       b"1", b"2"]) == [4, 5]
    zunion = TABLE["zunionstore"]
    assert zunion.key_indexes([b"zunionstore", b"d", b"2", b"a", b"b", b"WEIGHTS", b"1",
                               b"2"]) == [1, 3, 4]
    assert zunion.keys_and_flags([b"zunionstore", b"d", b"x", b"a"]) == []
    # a numkeys string2ll refuses is read by Redis's own procedure, with atoi, flags unknown
    assert zunion.keys_and_flags([b"zunionstore", b"d", b"1x", b"a"]) == [(3, ()), (1, ())]
    assert TABLE["mset"].key_indexes([b"mset", b"a", b"1", b"b", b"2"]) == [1, 3]


def test_every_entry_is_bound_or_not_yet_implemented():
    """Every command of Redis 7.0 has a function, or is on the one list of those pyredis
    does not have yet; that list names only entries without one."""
    from pyredis import commands
    commands.load_all()
    listed = set(commands.NOT_YET_IMPLEMENTED)
    missing = []
    for name, cmd in commands.TABLE.items():
        container = "subcommands" in cmd.entry
        implemented = cmd.func is not None or bool(cmd.subcommands)
        on_list = name in listed or name.split("|")[0] in listed
        if not implemented and not on_list and not container:
            missing.append(name)
        if on_list and implemented:
            missing.append(f"{name} (has a function: take it off NOT_YET_IMPLEMENTED)")
    missing += [f"{name} (no such entry)" for name in listed if name not in commands.TABLE]
    assert not missing, missing


def test_a_function_needs_an_entry():
    from pyredis.commands import command
    with pytest.raises(KeyError):
        command("client|setinfo")        # Redis 7.2's, not in 7.0.15


def _names(port: int) -> list[str]:
    conn = RawConnection(port)
    try:
        kind, items = parse_reply(conn.execute("COMMAND", "LIST"))
        return sorted(item[1].decode() for item in items)
    finally:
        conn.close()


def _without_subcommands(reply: bytes, field: Optional[int]) -> tuple:
    """COMMAND INFO (field 9, an array of entries) or DOCS (field "subcommands", a map) of
    one container: the rest of the reply, and its subcommands by name (Redis lists them in
    an order that changes from run to run)."""
    kind, items = parse_reply(reply)
    if field is not None:                                # COMMAND INFO
        entry = items[0][1]
        subs = {sub[1][0][1]: sub for sub in entry[field][1]}
        return entry[:field], subs
    docs = items[1][1]                                  # COMMAND DOCS: a map
    pairs = dict(zip([k[1] for k in docs[::2]], docs[1::2]))
    sub_map = pairs.pop(b"subcommands")[1]
    subs = {sub_map[i][1]: sub_map[i + 1] for i in range(0, len(sub_map), 2)}
    return sorted(pairs.items()), subs


@ONE_IO_BACKEND
@pytest.mark.parametrize("proto", [2, 3])
def test_command_info_and_docs_are_redis_own(server, real_server, proto):
    """COMMAND INFO and COMMAND DOCS of every command pyredis has are redis-server's, byte
    for byte, in RESP2 and RESP3 (a container's subcommands compared by name)."""
    from pyredis.commands import NOT_YET_IMPLEMENTED
    ours, theirs = RawConnection(server.port), RawConnection(real_server.port)
    for conn in (ours, theirs):
        conn.execute("HELLO", proto)
    names = _names(server.port)
    assert "get" in names and "config|get" in names
    containers = {name.split("|")[0] for name in names if "|" in name}
    differ = []
    for name in names:
        for sub, field in (("INFO", 9), ("DOCS", None)):
            mine = ours.execute("COMMAND", sub, name)
            real = theirs.execute("COMMAND", sub, name)
            if name not in containers:
                if mine != real:
                    differ.append(f"COMMAND {sub} {name}: {mine!r}\nredis-server: {real!r}")
                continue
            mine_rest, mine_subs = _without_subcommands(mine, field)
            real_rest, real_subs = _without_subcommands(real, field)
            for missing in set(real_subs) - set(mine_subs):
                assert missing.decode() in NOT_YET_IMPLEMENTED, missing
            if mine_rest != real_rest or any(mine_subs[k] != real_subs[k] for k in mine_subs):
                differ.append(f"COMMAND {sub} {name}: {mine!r}\nredis-server: {real!r}")
    ours.close()
    theirs.close()
    assert not differ, "\n".join(differ[:5])


def _pty_session(port: int, keys: list[bytes]) -> bytes:
    """Type into an interactive redis-cli on a terminal; everything it drew."""
    import fcntl
    import termios
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm"
        os.execvp("redis-cli", ["redis-cli", "-p", str(port)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 200, 0, 0))

    def read(seconds: float) -> bytes:
        out = b""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    break
        return out
    try:
        out = read(1.0)
        for key in keys:
            os.write(fd, key)
            out += read(0.5)
        return out
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


@ONE_IO_BACKEND
def test_redis_cli_hints_come_from_command_docs(server):
    out = _pty_session(server.port, [b"CONFIG SET ", b"\x15CLIENT PAUSE ",
                                     b"\x15help zadd\r"])
    assert b"CONFIG SET \x1b[0;90;49mparameter value [parameter value ...]" in out
    assert b"CLIENT PAUSE \x1b[0;90;49mtimeout [WRITE|ALL]" in out
    assert b"ZADD\x1b[0m \x1b[90mkey [NX|XX] [GT|LT] [CH] [INCR] score member " \
        b"[score member ...]" in out
    assert b"summary:\x1b[0m Add one or more members to a sorted set" in out


def _hints(port: int) -> dict:
    """Every command's arguments as redis-cli turns COMMAND DOCS into hints."""
    def pairs(items):
        return {items[i].decode(): items[i + 1] for i in range(0, len(items), 2)}

    def usage(arg):
        arg = pairs(arg)
        kind, name = arg["type"].decode(), arg["name"].decode()
        flags = [f.decode() for f in arg.get("flags", [])]
        token = arg["token"].decode() if "token" in arg else ""
        if kind in ("oneof", "block"):
            body = ("|" if kind == "oneof" else " ").join(usage(a) for a in arg["arguments"])
        else:
            body = "" if kind == "pure-token" else name
        head = token + (" " if token and kind != "pure-token" else "")
        text = head + body
        if "multiple" in flags:
            text += " [" + (head if "multiple_token" in flags else "") + body + " ...]"
        return f"[{text}]" if "optional" in flags else text

    hints = {}

    def walk(name, docs):
        docs = pairs(docs)
        hints[name] = " ".join(usage(a) for a in docs.get("arguments", []))
        for sub, sub_docs in pairs(docs.get("subcommands", [])).items():
            walk(sub, sub_docs)
    for name, docs in pairs(_call(port, "COMMAND", "DOCS")).items():
        walk(name, docs)
    return hints


def test_redis_cli_hints_same_as_with_redis(server, real_server):
    """The syntax line of every command gives redis-cli the hint redis-server's docs give."""
    ours, theirs = _hints(server.port), _hints(real_server.port)
    differ = [f"{name}: {hint!r}, redis-server: {theirs[name]!r}"
              for name, hint in sorted(ours.items())
              if name in theirs and hint != theirs[name]]
    assert not differ, "\n".join(differ)


# -- CLIENT --------------------------------------------------------------------------------

CLIENT_SAME_AS_REDIS = [
    ("CLIENT", "KILL"), ("CLIENT", "KILL", "id", "str"), ("CLIENT", "KILL", "id", "-1"),
    ("CLIENT", "KILL", "id", "0"), ("CLIENT", "KILL", "type", "wrong"),
    ("CLIENT", "KILL", "user", "wrong_user"), ("CLIENT", "KILL", "skipme", "yes_or_no"),
    ("CLIENT", "KILL", "id", "10", "wrong_arg"), ("CLIENT", "KILL", "1.2.3.4:5"),
    ("CLIENT", "KILL", "addr", "1.2.3.4:5"), ("CLIENT", "KILL", "id", "99999"),
    ("CLIENT", "KILL", "type", "master"), ("CLIENT", "KILL", "ID"),
    ("CLIENT", "KILL", "id", "99999", "type"), ("CLIENT", "KILL", "id", "99999999999999999999"),
    ("CLIENT", "KILL", "id", "99999", "id", "99998"), ("CLIENT", "KILL", "foo", "bar"),
    ("CLIENT", "KILL", "ID", "99999", "SKIPME", "YES", "skipme"),
    ("CLIENT", "KILL", "LADDR", "1.2.3.4:5", "USER", "default", "SKIPME", "NO"),
    ("CLIENT", "KILL", "addr", "1.2.3.4:5", "type", "normal", "id", "x"),
    ("CLIENT", "LIST", "type", "foo"),
    ("CLIENT", "LIST", "id", "abc"), ("CLIENT", "LIST", "id", "99999"),
    ("CLIENT", "LIST", "foo"), ("CLIENT", "LIST", "type", "master"),
    ("CLIENT", "REPLY", "x"), ("CLIENT", "NO-EVICT", "x"), ("CLIENT", "NO-EVICT", "on"),
    ("CLIENT", "NO-EVICT", "OFF"), ("CLIENT", "SETNAME", "a b"),
    ("CLIENT", "SETNAME", "a\nb"), ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "myname"),
    ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", ""), ("CLIENT", "GETNAME"),
    ("CLIENT", "PAUSE", "abc"), ("CLIENT", "PAUSE", "-1"), ("CLIENT", "PAUSE", "10", "foo"),
    ("CLIENT", "PAUSE", "10", "all", "x"), ("CLIENT", "PAUSE", "0"), ("CLIENT", "UNPAUSE"),
    ("CLIENT", "NOSUCH"), ("CLIENT",), ("CLIENT", "ID", "x"), ("CLIENT", "INFO", "x"),
    ("CLIENT", "SETNAME"), ("CLIENT", "REPLY"), ("CLIENT", "SETINFO", "LIB-NAME", "x"),
]


@pytest.mark.parametrize("args", CLIENT_SAME_AS_REDIS, ids=lambda a: " ".join(a[1:4]))
def test_client_replies_match_redis(raw, real_raw, args):
    both(raw, real_raw, *args)


def test_client_list_and_info_fields(server, real_server):
    pattern = (r"id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=\d+ name= age=\d+ "
               r"idle=\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=\d+ "
               r"argv-mem=10 multi-mem=0 rbs=\d+ rbp=\d+ obl=0 oll=0 omem=0 tot-mem=\d+ "
               r"events=r cmd=client\|(list|info) user=default redir=-1 resp=2")
    for port in (server.port, real_server.port):
        conn = RawConnection(port)
        for sub in ("LIST", "INFO"):
            reply = conn.execute("CLIENT", sub).decode()
            lines = reply.split("\r\n", 1)[1].rstrip("\r\n").split("\n")
            mine = [line for line in lines if f"cmd=client|{sub.lower()}" in line]
            assert re.match(pattern, mine[0]), (port, mine[0])
        conn.close()


def test_client_list_filters(server):
    a, b = RawConnection(server.port), RawConnection(server.port)
    a.execute("CLIENT", "SETNAME", "alpha")
    a_id = int(a.execute("CLIENT", "ID")[1:-2])
    b.execute("SELECT", "5")
    r = redis.Redis(port=server.port, decode_responses=True)
    only_a = r.execute_command("CLIENT", "LIST", "ID", a_id, 999999)
    assert only_a.count("\n") == 1 and "name=alpha " in only_a
    normal = r.execute_command("CLIENT", "LIST", "TYPE", "normal")
    assert "name=alpha" in normal and " db=5 " in normal
    assert r.execute_command("CLIENT", "LIST", "TYPE", "pubsub") == ""
    r.close()
    a.close()
    b.close()


def test_client_setname_getname_with_redis_py(r):
    assert r.client_getname() is None
    assert r.client_setname("worker-1")
    assert r.client_getname() in ("worker-1", b"worker-1")
    assert r.client_id() > 0
    assert any(c["name"] == "worker-1" for c in r.client_list())


def test_client_reply_off_on_skip(server):
    conn = RawConnection(server.port)
    conn.send("CLIENT", "REPLY", "OFF")
    conn.send("PING", "pong")
    conn.send("SET", "k", "v")
    assert conn.execute("CLIENT", "REPLY", "ON") == b"+OK\r\n"
    assert conn.execute("GET", "k") == b"$1\r\nv\r\n"
    conn.send("CLIENT", "REPLY", "SKIP")
    conn.send("PING", "one")
    assert conn.execute("PING", "two") == b"$3\r\ntwo\r\n"
    conn.send("CLIENT", "REPLY", "SKIP")
    assert conn.execute("CLIENT", "REPLY", "ON") == b"+OK\r\n"
    assert conn.execute("PING") == b"+PONG\r\n"
    conn.close()


@pytest.fixture
def own_server():
    """A server of the test's own, for what disturbs every client."""
    proc = start_server("pyredis")
    yield proc
    proc.stop()


def test_client_kill_forms(own_server):
    port = own_server.port
    me = RawConnection(port)
    others = [RawConnection(port) for _ in range(3)]
    for other in others:
        other.execute("PING")
    victim_addr = redis.Redis(port=port, decode_responses=True)
    addrs = [c["addr"] for c in victim_addr.client_list()]
    victim_addr.close()
    my_addr = me.execute("CLIENT", "INFO").decode().split("addr=")[1].split()[0]
    target = next(a for a in addrs if a != my_addr)
    assert me.execute("CLIENT", "KILL", target) == b"+OK\r\n"
    assert me.execute("CLIENT", "KILL", "ADDR", target) == b":0\r\n"
    assert me.execute("CLIENT", "KILL", "LADDR", f"127.0.0.1:{port}",
                      "SKIPME", "yes") == b":2\r\n"
    assert me.execute("CLIENT", "KILL", "SKIPME", "no") == b":1\r\n"
    with pytest.raises(ConnectionError):
        me.execute("PING")
    for conn in others:
        with pytest.raises((ConnectionError, OSError)):
            conn.execute("PING")


def test_client_pause_write_and_all(own_server):
    port = own_server.port
    admin, writer = RawConnection(port), RawConnection(port)
    assert admin.execute("CLIENT", "PAUSE", "100000", "WRITE") == b"+OK\r\n"
    assert writer.execute("GET", "k") == b"$-1\r\n"          # reads go on
    writer.send("SET", "k", "v")                              # writes wait
    assert admin.execute("GET", "k") == b"$-1\r\n"
    flags = admin.execute("CLIENT", "LIST").decode()
    assert "flags=b " in flags and "blocked_clients:1" in admin.execute(
        "INFO", "clients").decode()
    assert admin.execute("CLIENT", "UNPAUSE") == b"+OK\r\n"
    assert writer.read_reply() == b"+OK\r\n"
    assert admin.execute("CLIENT", "PAUSE", "300", "ALL") == b"+OK\r\n"
    start = time.monotonic()
    assert writer.execute("GET", "k") == b"$1\r\nv\r\n"      # answered once the pause ends
    assert time.monotonic() - start >= 0.2


def test_monitor_format(server):
    monitor = RawConnection(server.port)
    assert monitor.execute("MONITOR") == b"+OK\r\n"
    conn = RawConnection(server.port)
    conn.execute("SELECT", "2")
    conn.execute("SET", "foo", "bar\n\x01\"")
    conn.execute("CONFIG", "GET", "hz")                 # admin: never shown
    conn.execute("AUTH", "secret")                      # redacted
    port = conn.sock.getsockname()[1]
    lines = [monitor.read_reply() for _ in range(3)]
    assert re.fullmatch(rb'\+\d+\.\d{6} \[2 127\.0\.0\.1:%d\] "SELECT" "2"\r\n' % port,
                        lines[0])
    assert re.fullmatch(rb'\+\d+\.\d{6} \[2 127\.0\.0\.1:%d\] "SET" "foo" "bar\\n\\x01\\""\r\n'
                        % port, lines[1])
    assert lines[2].endswith(b'"AUTH" "(redacted)"\r\n')
    assert "flags=O " in conn.execute("CLIENT", "LIST").decode()
    monitor.close()
    conn.close()


MONITORED_SEQUENCE = [
    ("SET", "foo", "bar"), ("AUTH", "not-real"), ("AUTH", "not-real", "not-a-password"),
    ("AUTH", "a", "b", "c"), ("HELLO", "2", "AUTH", "not-real", "not-a-password"),
    ("HELLO", "2", "AUTH", "u"), ("HELLO", "2", "SETNAME", "x", "AUTH", "u", "p"),
    ("HELLO", "4", "AUTH", "u", "p"), ("HELLO", "3", "AUTH", "default", "x", "SETNAME"),
    ("CONFIG", "SET", "maxmemory", "0"), ("CONFIG", "GET", "maxmemory"),
    ("DEBUG", "SLEEP", "0"), ("CLIENT", "LIST"), ("CLIENT", "ID"), ("SLOWLOG", "GET"),
    ("NOSUCH", "x"), ("GET",), ("SELECT", "0"), ("MULTI",), ("SET", "a", "1"), ("EXEC",),
    ("MULTI",), ("NOSUCH",), ("EXEC",),
    ("EVAL", "return redis.call('set', 'a', 'b')", "0"),
    ("SCRIPT", "LOAD", "return 1"),
    ("FUNCTION", "LOAD", "REPLACE",
     "#!lua name=t\nredis.register_function('t', function() return redis.call('get', 'a') end)"),
    ("FCALL", "t", "0"), ("BLPOP", "nolist", "0.01"), ("LPUSH", "l", "x"), ("BLPOP", "l", "0"),
    ("SET", "k", "\0x"), ("MODULE", "LIST"), ("LOLWUT",), ("INFO", "server"),
    ("FLUSHDB",), ("SAVE",), ("LASTSAVE",), ("SHUTDOWN", "ABORT"), ("ECHO", "end"),
]


def _monitored(port: int) -> list[bytes]:
    monitor, conn = RawConnection(port), RawConnection(port)
    monitor.execute("MONITOR")
    for call in MONITORED_SEQUENCE:
        conn.execute(*call)
    lines = []
    for _ in range(len(MONITORED_SEQUENCE)):
        line = re.sub(rb"^\+\d+\.\d+ ", b"+T ", monitor.read_reply())
        line = re.sub(rb"^\+T \[(\d+) 127\.0\.0\.1:\d+\]", rb"+T [\1 client]", line)
        lines.append(line)
        if line.endswith(b'"ECHO" "end"\r\n'):
            break
    monitor.close()
    conn.close()
    return lines


def test_monitor_shows_and_redacts_as_redis(server, real_server):
    """What MONITOR shows of each command (admin ones and those refused before they ran
    never), with AUTH's and HELLO ... AUTH's secrets "(redacted)"."""
    assert _monitored(server.port) == _monitored(real_server.port)


def test_reset_ends_monitor_mode(server, real_server):
    """RESET leaves MONITOR, as in Redis: neither its own RESET nor later commands of others
    reach the connection."""
    for port in (server.port, real_server.port):
        monitor, other = RawConnection(port), RawConnection(port)
        assert monitor.execute("MONITOR") == b"+OK\r\n"
        assert monitor.execute("RESET") == b"+RESET\r\n"
        assert other.execute("SET", "seen", "no") == b"+OK\r\n"
        assert monitor.execute("ECHO", "next") == b"$4\r\nnext\r\n"
        assert "flags=O " not in other.execute("CLIENT", "LIST").decode()
        monitor.close()
        other.close()


def test_monitor_with_redis_cli(server):
    proc = subprocess.Popen(["redis-cli", "-p", str(server.port), "MONITOR"],
                            stdout=subprocess.PIPE, text=True)
    try:
        r = redis.Redis(port=server.port)
        deadline = time.monotonic() + 10
        while not any(c["flags"] == "O" for c in r.client_list()) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        r.execute_command("ECHO", "seen-by-monitor")
        line = proc.stdout.readline()
        while "seen-by-monitor" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline()
        assert '"ECHO" "seen-by-monitor"' in line
        r.close()
    finally:
        proc.kill()
        proc.wait()
