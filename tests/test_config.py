"""CONFIG GET / SET / RESETSTAT / REWRITE / HELP: replies and error texts byte for byte as
redis-server's, atomic multi-directive SET with rollback, and REWRITE of a config file."""
from __future__ import annotations

import ast
import contextlib
import os

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

import pyredis
from helpers import RawConnection, start_server, free_port
from pyredis.config import DIRECTIVES
from pyredis.launch import ServerProcess, pyredis_command, redis_command


@contextlib.contextmanager
def restored(*conns, names=()):
    """Put the named directives back as they were on every connection."""
    saved = [[(n, _get(c, n)) for n in names] for c in conns]
    try:
        yield
    finally:
        for conn, values in zip(conns, saved):
            for name, value in values:
                conn.execute("CONFIG", "SET", name, value)


def _get(conn, name: str) -> bytes:
    reply = conn.execute("CONFIG", "GET", name)
    # *2 $len name $len value
    parts = reply.split(b"\r\n")
    return parts[4]


def both(raw, real_raw, *args) -> bytes:
    ours, theirs = raw.execute(*args), real_raw.execute(*args)
    assert ours == theirs, args
    return ours


ERROR_CASES = [
    ("CONFIG", "SET", "no-such-directive", "1"),
    ("CONFIG", "SET", "maxmemory", "1", "nosuch", "2"),
    ("CONFIG", "SET", "daemonize", "yes"),
    ("CONFIG", "SET", "maxmemory", "100", "maxmemory", "200"),
    ("CONFIG", "SET", "maxmemory", "lots"),
    ("CONFIG", "SET", "maxmemory", "-1"),
    ("CONFIG", "SET", "maxmemory-clients", "200%"),
    ("CONFIG", "SET", "maxmemory-clients", "lots"),
    ("CONFIG", "SET", "hz", "ten"),
    ("CONFIG", "SET", "hz", "-1"),
    ("CONFIG", "SET", "maxclients", "-5"),
    ("CONFIG", "SET", "maxmemory-samples", "0"),
    ("CONFIG", "SET", "appendonly", "maybe"),
    ("CONFIG", "SET", "loglevel", "loud"),
    ("CONFIG", "SET", "maxmemory-policy", "sometimes"),
    ("CONFIG", "SET", "save", "10"),
    ("CONFIG", "SET", "save", "10 x"),
    ("CONFIG", "SET", "save", "0 10"),
    ("CONFIG", "SET", "client-output-buffer-limit", "bogus 1 2 3"),
    ("CONFIG", "SET", "client-output-buffer-limit", "normal 1 2"),
    ("CONFIG", "SET", "client-output-buffer-limit", "master 1 2 3"),
    ("CONFIG", "SET", "client-output-buffer-limit", "normal x 2 3"),
    ("CONFIG", "SET", "notify-keyspace-events", "KEQ"),
    ("CONFIG", "SET", "oom-score-adj-values", "1 2"),
    ("CONFIG", "SET", "oom-score-adj-values", "1 2 3000"),
    ("CONFIG", "SET", "latency-tracking-info-percentiles", "50 x"),
    ("CONFIG", "SET", "latency-tracking-info-percentiles", "50 101"),
    ("CONFIG", "SET", "shutdown-on-sigint", "save nosave"),
    ("CONFIG", "SET", "shutdown-on-sigint", "later"),
    ("CONFIG", "SET", "proc-title-template", "{nosuch}"),
    ("CONFIG", "SET", "cluster-announce-hostname", "a_b"),
    ("CONFIG", "SET", "dir", "/no/such/dir"),
    ("CONFIG", "SET", "dbfilename", "a/b"),
    ("CONFIG", "SET", "replicaof", "localhost 1"),
    ("CONFIG", "SET", "maxmemory"),
    ("CONFIG", "SET", "maxmemory", "1", "hz"),
    ("CONFIG", "GET"),
    ("CONFIG", "NOSUCH"),
    ("CONFIG",),
    ("CONFIG", "RESETSTAT", "x"),
    ("CONFIG", "REWRITE"),
]


@pytest.mark.parametrize("args", ERROR_CASES, ids=lambda a: " ".join(a[1:4]))
def test_config_errors_match_redis(raw, real_raw, args):
    both(raw, real_raw, *args)


def test_protected_config_refused(raw, real_raw):
    assert both(raw, real_raw, "CONFIG", "SET", "dbfilename", "x.rdb").startswith(
        b"-ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set "
        b"protected config")


SINGLE_GETS = ["maxmemory", "MAXMEMORY", "hz", "save", "client-output-buffer-limit",
               "notify-keyspace-events", "hash-max-ziplist-entries", "hash-max-listpack-value",
               "maxmemory-policy", "appendfsync", "unixsocketperm", "oom-score-adj-values",
               "latency-tracking-info-percentiles", "shutdown-on-sigterm", "key-load-delay",
               "slaveof", "lua-time-limit", "no-such-thing", "proc-title-template",
               "tracking-table-max-keys", "repl-backlog-ttl", "list-max-ziplist-size",
               "acl-pubsub-default", "enable-debug-command", "supervised", "io-threads"]


@pytest.mark.parametrize("name", SINGLE_GETS)
def test_config_get_one_matches_redis(raw, real_raw, name):
    both(raw, real_raw, "CONFIG", "GET", name)


def _pairs(reply) -> dict:
    if isinstance(reply, dict):
        return reply
    return dict(zip(reply[::2], reply[1::2]))


def test_config_get_patterns_same_names_as_redis(server, real_server):
    """Every directive Redis has (but TLS, which pyredis does not build with) is here, and
    glob patterns, several at once, find the same names without repeats."""
    ours = redis.Redis(port=server.port, protocol=2)
    theirs = redis.Redis(port=real_server.port, protocol=2)
    for patterns in (["*"], ["maxmemory", "maxmemory*", "bind", "*of"], ["*-max-*"],
                     ["[a-c]*", "*ing"]):
        mine = ours.execute_command("CONFIG", "GET", *patterns)
        real = theirs.execute_command("CONFIG", "GET", *patterns)
        assert len(mine) == 2 * len(_pairs(mine))
        real_names = {k for k in _pairs(real) if not k.startswith(b"tls-")}
        assert set(_pairs(mine)) == real_names, patterns
    # the values too, for those that do not depend on the process
    skip = {b"bind", b"dir", b"port", b"save", b"appendonly", b"enable-debug-command",
            b"hash-max-listpack-entries", b"hash-max-ziplist-entries"}
    mine = _pairs(ours.execute_command("CONFIG", "GET", "*"))
    real = _pairs(theirs.execute_command("CONFIG", "GET", "*"))
    for name, value in mine.items():
        if name not in skip:
            assert value == real[name], name


def test_config_declares_every_directive():
    """Config's typed attributes (what the type checker reads) are the directives, in order
    (read from the source: a compiled class keeps no __annotations__)."""
    with open(os.path.join(os.path.dirname(pyredis.__file__), "config.py")) as f:
        tree = ast.parse(f.read())
    config = next(node for node in tree.body
                  if isinstance(node, ast.ClassDef) and node.name == "Config")
    declared = [node.target.id for node in config.body if isinstance(node, ast.AnnAssign)]
    assert declared == [d.attr for d in DIRECTIVES]


def test_hidden_directive_only_by_name(r):
    assert b"key-load-delay" not in _pairs(r.execute_command("CONFIG", "GET", "*"))
    assert r.execute_command("CONFIG", "GET", "key-load-delay") in (
        [b"key-load-delay", b"0"], {b"key-load-delay": b"0"})


def test_config_set_several_at_once(r):
    old = r.config_get("maxmemory", "repl-backlog-size", "save")
    try:
        assert r.execute_command("CONFIG", "SET", "maxmemory", "10000001", "repl-backlog-size",
                                 "10000002", "save", "3000 5") == b"OK"
        got = r.config_get("maxmemory", "repl-backlog-size", "save")
        assert got == {"maxmemory": "10000001", "repl-backlog-size": "10000002",
                       "save": "3000 5"}
    finally:
        r.execute_command("CONFIG", "SET", *[x for kv in old.items() for x in kv])


def test_config_set_is_all_or_nothing(raw, real_raw):
    """A bad value anywhere leaves every directive as it was, with Redis's message."""
    for conn in (raw, real_raw):
        with restored(conn, names=("maxmemory", "maxmemory-clients",
                                   "client-query-buffer-limit")):
            conn.execute("CONFIG", "SET", "maxmemory", "10000002")
            reply = conn.execute("CONFIG", "SET", "maxmemory", "10000001", "maxmemory-clients",
                                 "200%", "client-query-buffer-limit", "invalid")
            assert reply == (b"-ERR CONFIG SET failed (possibly related to argument "
                             b"'maxmemory-clients') - percentage argument must be less or "
                             b"equal to 100\r\n")
            assert _get(conn, "maxmemory") == b"10000002"
            assert _get(conn, "maxmemory-clients") == b"0"


def test_config_set_port_in_use_rolls_back():
    """Applying can fail too (the port is taken): everything is put back and the server
    still listens where it did."""
    server = start_server("pyredis")
    blocker = __import__("socket").socket()
    try:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        taken = blocker.getsockname()[1]
        conn = RawConnection(server.port)
        reply = conn.execute("CONFIG", "SET", "maxmemory", "10000001", "port", taken,
                             "client-query-buffer-limit", "10m")
        assert reply.startswith(b"-ERR CONFIG SET failed (possibly related to argument "
                                b"'port') - Unable to listen on this port")
        assert _get(conn, "maxmemory") == b"0"
        assert _get(conn, "port") == str(server.port).encode()
        assert RawConnection(server.port).execute("PING") == b"+PONG\r\n"
        # and a free port is taken for real
        new_port = free_port()
        assert conn.execute("CONFIG", "SET", "port", new_port) == b"+OK\r\n"
        assert RawConnection(new_port).execute("PING") == b"+PONG\r\n"
    finally:
        blocker.close()
        server.stop()


def test_config_sanity_every_value_sets_back(server):
    """Redis's own check: CONFIG SET each directive to what CONFIG GET shows changes
    nothing."""
    r = redis.Redis(port=server.port, protocol=2)
    skip = {b"dir", b"bind", b"port", b"requirepass", b"masterauth"}
    before = _pairs(r.execute_command("CONFIG", "GET", "*"))
    for name, value in before.items():
        if name in skip:
            continue
        reply = r.execute_command("CONFIG", "GET", name)
        try:
            r.execute_command("CONFIG", "SET", name, value)
        except redis.ResponseError as exc:
            assert "immutable" in str(exc) or "protected" in str(exc), (name, exc)
        assert r.execute_command("CONFIG", "GET", name) == reply
    assert _pairs(r.execute_command("CONFIG", "GET", "*")) == before


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet="0123456789kKmMgGbB-%+ x", max_size=6))
def test_memory_values_parse_as_redis(server, real_server, text):
    ours, theirs = RawConnection(server.port), RawConnection(real_server.port)
    try:
        for name in ("maxmemory", "maxmemory-clients", "hz", "unixsocketperm"):
            args = ("CONFIG", "SET", name, text)
            with restored(ours, theirs, names=(name,) if name != "unixsocketperm" else ()):
                assert ours.execute(*args) == theirs.execute(*args), args
                assert _get(ours, name) == _get(theirs, name), args
    finally:
        ours.close()
        theirs.close()


def test_values_shown_as_redis_shows_them(raw, real_raw):
    cases = [("maxmemory", "1gb"), ("maxmemory-clients", "50%"), ("hz", "1000"),
             ("notify-keyspace-events", "KEA"), ("notify-keyspace-events", "gx$Em"),
             ("client-output-buffer-limit", "replica 1mb 2mb 3 pubsub 0 0 0"),
             ("oom-score-adj", "relative"), ("shutdown-on-sigint", "force NOW nosave"),
             ("latency-tracking-info-percentiles", "99.99 50.0"), ("save", ""),
             ("save", "100 10 200 20"), ("loglevel", "WARNING"), ("lua-time-limit", "4000"),
             ("list-max-ziplist-size", "-5")]
    for name, value in cases:
        with restored(raw, real_raw, names=(name,)):
            assert both(raw, real_raw, "CONFIG", "SET", name, value) == b"+OK\r\n"
            both(raw, real_raw, "CONFIG", "GET", name)


def test_config_resetstat(r):
    r.set("a", "1")
    r.get("a")
    with pytest.raises(redis.ResponseError):
        r.execute_command("NOSUCHCOMMAND")
    assert r.config_resetstat()
    stats = r.info("stats")
    assert stats["total_error_replies"] == 0
    assert stats["keyspace_hits"] == 0
    assert sorted(r.info("commandstats")) == ["cmdstat_config|resetstat", "cmdstat_info"]
    assert r.info("errorstats") == {}


def test_config_help(raw, real_raw):
    both(raw, real_raw, "CONFIG", "HELP")


def test_config_rewrite(tmp_path):
    conf = tmp_path / "redis.conf"
    port = free_port()
    conf.write_text("# my settings\nport %d\nbind 127.0.0.1\nsave \"\"\nmaxmemory 1mb\n"
                    "hash-max-ziplist-entries 20\n" % port)
    proc = ServerProcess(pyredis_command([str(conf)]), port, cwd=str(tmp_path))
    try:
        r = redis.Redis(port=port)
        r.config_set("maxmemory", "2mb")
        r.config_set("hash-max-listpack-entries", "100")
        r.config_set("notify-keyspace-events", "KEA")
        assert r.execute_command("CONFIG", "REWRITE") == b"OK"
        text = conf.read_text()
        assert text.startswith("# my settings\n")
        assert "maxmemory 2mb\n" in text
        assert "hash-max-listpack-entries 100\n" in text   # the alias line, renamed
        assert "# Generated by CONFIG REWRITE\n" in text
        assert 'notify-keyspace-events "AKE"\n' in text
        assert "hash-max-ziplist-entries" not in text
        assert text.count("save \"\"") == 1
        r.close()
    finally:
        proc.stop()
    # the rewritten file starts a server with the same settings
    proc = ServerProcess(pyredis_command([str(conf)]), port, cwd=str(tmp_path))
    try:
        r = redis.Redis(port=port, decode_responses=True)
        assert r.config_get("maxmemory") == {"maxmemory": "2097152"}
        assert r.config_get("hash-max-listpack-entries") == {"hash-max-listpack-entries": "100"}
        assert r.config_get("notify-keyspace-events") == {"notify-keyspace-events": "AKE"}
        r.close()
    finally:
        proc.stop()


def test_config_rewrite_force_all_restarts_with_same_values(tmp_path):
    """DEBUG CONFIG-REWRITE-FORCE-ALL writes every directive; the file loads back to the same
    CONFIG GET *."""
    port = free_port()
    conf = tmp_path / "redis.conf"
    conf.write_text("port %d\nbind 127.0.0.1\nenable-debug-command yes\n" % port)
    proc = ServerProcess(pyredis_command([str(conf)]), port, cwd=str(tmp_path))
    try:
        r = redis.Redis(port=port, protocol=2)
        before = _pairs(r.execute_command("CONFIG", "GET", "*"))
        assert r.execute_command("DEBUG", "CONFIG-REWRITE-FORCE-ALL") == b"OK"
        r.close()
    finally:
        proc.stop()
    proc = ServerProcess(pyredis_command([str(conf)]), port, cwd=str(tmp_path))
    try:
        r = redis.Redis(port=port, protocol=2)
        assert _pairs(r.execute_command("CONFIG", "GET", "*")) == before
        r.close()
    finally:
        proc.stop()


def test_config_rewrite_writes_what_redis_writes(tmp_path):
    """The same file and the same CONFIG SETs give the same rewritten file as redis-server's
    (the lines it appends come in its hash order: compared as sets; pyredis has no ACL users
    to write)."""
    body = ("# header comment\nport {port}\nbind 127.0.0.1\nsave \"\"\nmaxmemory 1mb\n"
            "hash-max-ziplist-entries 20\nclient-output-buffer-limit pubsub 32mb 8mb 60\n"
            "unixsocketperm 700\n\n\n# trailing\nappendonly no\nsave 10 10\n")
    changes = [("maxmemory", "2mb"), ("hash-max-listpack-entries", "100"),
               ("notify-keyspace-events", "KEA"), ("save", "100 10"),
               ("client-output-buffer-limit", "normal 1mb 2mb 3"),
               ("maxmemory-clients", "10%"), ("oom-score-adj-values", "1 2 3"),
               ("shutdown-on-sigint", "nosave now"), ("bind", "127.0.0.1"),
               ("proc-title-template", "{title} \"quoted\" \\ {port}"),
               ("maxmemory-policy", "allkeys-lru"), ("masterauth", "secret")]
    results = []
    for kind in ("redis", "pyredis"):
        folder = tmp_path / kind
        folder.mkdir()
        port = free_port()
        conf = folder / "redis.conf"
        conf.write_text(body.format(port=port))
        cmd = redis_command([str(conf)]) if kind == "redis" else pyredis_command([str(conf)])
        proc = ServerProcess(cmd, port, cwd=str(folder))
        try:
            conn = RawConnection(port)
            for name, value in changes:
                assert conn.execute("CONFIG", "SET", name, value) == b"+OK\r\n", name
            assert conn.execute("CONFIG", "REWRITE") == b"+OK\r\n"
            conn.close()
        finally:
            proc.stop()
        text = conf.read_text().replace(f"port {port}\n", "port P\n")
        lines = text.replace(str(folder), "DIR").split("\n")
        marker = lines.index("# Generated by CONFIG REWRITE")
        appended = {line for line in lines[marker:] if not line.startswith("user ")}
        results.append((lines[:marker], appended))
    assert results[0] == results[1]
