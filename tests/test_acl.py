"""ACL: users, their rules as ACL GETUSER / LIST describe them, the permission checks of the
command path (commands, keys, channels, in MULTI/EXEC and scripts), the ACL log, AUTH and
HELLO AUTH, the ACL file and `user` lines. Differential: every test with `r` runs on pyredis
and on redis-server; the byte-for-byte ones compare raw replies of both servers."""
from __future__ import annotations

import os
import subprocess
from typing import Iterator

import pytest
import redis

from helpers import NO_RETRY, RawConnection, start_server
from pyredis.launch import (PACKAGE_ROOT, ServerProcess, free_port, pyredis_command,
                            redis_command)

NOPERM_CMD = "this user has no permissions to run the '%s' command"
NOPERM_KEY = "this user has no permissions to access one of the keys used as arguments"
NOPERM_CHANNEL = ("this user has no permissions to access one of the channels used as "
                  "arguments")


@pytest.fixture
def admin(target_server) -> Iterator[redis.Redis]:
    """A connection of the default user that puts the users back as they were after the
    test: only the default user, with every permission and no password."""
    client = redis.Redis(port=target_server.port, socket_timeout=30)
    yield client
    client.config_set("requirepass", "")
    client.execute_command("ACL", "SETUSER", "default", "on", "nopass", "allkeys",
                           "allchannels", "allcommands", "clearselectors")
    users = [u for u in client.acl_users() if u not in ("default", b"default")]
    if users:
        client.acl_deluser(*users)
    client.acl_log_reset()
    client.close()


def connect(server, user: str, password: str = "pw", protocol: int = 2) -> redis.Redis:
    return redis.Redis(port=server.port, username=user, password=password, protocol=protocol,
                       socket_timeout=30, retry=NO_RETRY)


def text(value: "str | bytes") -> str:
    """A reply redis-py hands back as bytes or str (it depends on the protocol)."""
    return value.decode() if isinstance(value, bytes) else value


def entries(log: list) -> list[tuple]:
    """ACL LOG entries without what differs run to run (ages, client ids and addresses)."""
    return [(e["count"], e["reason"], e["context"], e["object"], e["username"]) for e in log]


def test_setuser_and_getuser(r, admin):
    assert r.acl_setuser("alice", enabled=True, passwords=["+p1", "+p2"], keys=["cached:*"],
                         channels=["news"], commands=["+get", "+@hash", "-hset"])
    user = r.acl_getuser("alice")
    assert user["flags"] == ["on"]
    assert user["keys"] == ["~cached:*"]
    assert user["channels"] == ["&news"]
    line = r.acl_list()[0]
    words = (line.decode() if isinstance(line, bytes) else line).split()
    # Single commands come in the order of Redis's command table (a hash table): as a set.
    assert words[5:9] == ["~cached:*", "resetchannels", "&news", "-@all"]
    assert set(words[9:]) == {"+@hash", "+get", "-hset"}
    assert len(user["passwords"]) == 2
    assert words[:3] == ["user", "alice", "on"]
    assert text(r.acl_whoami()) == "default"
    assert r.acl_getuser("nobody") is None
    assert [u.decode() if isinstance(u, bytes) else u for u in r.acl_users()] == \
        ["alice", "default"]


def test_acl_list_describes_rules(r, admin):
    r.execute_command("ACL", "SETUSER", "bob", "%R~r*", "%W~w*", "%RW~x", "+@all",
                      "-@dangerous", "(+set ~s*)", "(~a* +@read)")
    r.execute_command("ACL", "SETUSER", "carol", "on", "nopass", "~*", "&*", "-@all",
                      "+config|get")
    listed = [line.decode() if isinstance(line, bytes) else line for line in r.acl_list()]
    assert listed == [
        "user bob off %R~r* %W~w* ~x resetchannels +@all -@dangerous "
        "(~s* resetchannels -@all +set) (~a* resetchannels -@all +@read)",
        "user carol on nopass ~* &* -@all +config|get",
        "user default on nopass ~* &* +@all",
    ]


def test_rule_errors(r, admin):
    cases = {
        ("nosuch",): "Error in ACL SETUSER modifier 'nosuch': Syntax error",
        ("+nosuch",): "Error in ACL SETUSER modifier '+nosuch': Unknown command or category "
                      "name in ACL",
        ("+config|get|x",): "Error in ACL SETUSER modifier '+config|get|x': Allowing "
                            "first-arg of a subcommand is not supported",
        ("#abc",): "Error in ACL SETUSER modifier '#abc': The password hash must be exactly "
                   "64 characters and contain only lowercase hexadecimal characters",
        ("<nope",): "Error in ACL SETUSER modifier '<nope': The password you are trying to "
                    "remove from the user does not exist",
        ("%~foo",): "Error in ACL SETUSER modifier '%~foo': Syntax error",
        ("(~x", "+get"): "Unmatched parenthesis in acl selector starting at '(~x'.",
    }
    for rules, message in cases.items():
        with pytest.raises(redis.ResponseError) as error:
            r.execute_command("ACL", "SETUSER", "eve", *rules)
        assert str(error.value) == message
    with pytest.raises(redis.ResponseError, match="Adding a pattern after the"):
        r.execute_command("ACL", "SETUSER", "eve", "allkeys", "~foo")
    with pytest.raises(redis.ResponseError, match="can't contain spaces"):
        r.execute_command("ACL", "SETUSER", "e ve")
    assert r.acl_getuser("eve") is None     # nothing applied: no user created


def test_noperm_replies(r, admin, target_server):
    r.execute_command("ACL", "SETUSER", "u", "on", ">pw", "~k*", "%R~r*", "%W~w*", "&ch*",
                      "+@all", "-flushall", "-config|set")
    u = connect(target_server, "u")
    assert u.get("k1") is None
    with pytest.raises(redis.exceptions.NoPermissionError, match=NOPERM_KEY):
        u.get("x")
    assert u.set("w1", "v")
    with pytest.raises(redis.exceptions.NoPermissionError, match=NOPERM_KEY):
        u.get("w1")                        # a write-only pattern
    with pytest.raises(redis.exceptions.NoPermissionError, match=NOPERM_KEY):
        u.set("w1", "v", get=True)         # SET ... GET reads too
    with pytest.raises(redis.exceptions.NoPermissionError,
                       match=NOPERM_CMD % "flushall"):
        u.flushall()
    with pytest.raises(redis.exceptions.NoPermissionError,
                       match=NOPERM_CMD % "config\\|set"):
        u.config_set("maxmemory", "0")
    assert u.publish("ch1", "m") == 0
    with pytest.raises(redis.exceptions.NoPermissionError, match=NOPERM_CHANNEL):
        u.publish("other", "m")
    assert u.acl_whoami() == "u"
    u.close()


def test_denials_in_errorstats_and_commandstats(r, admin, target_server):
    r.execute_command("ACL", "SETUSER", "u", "on", ">pw", "~k*", "+@all", "-flushall")
    r.config_resetstat()
    u = connect(target_server, "u")
    for call in (lambda: u.get("x"), u.flushall, lambda: u.execute_command("AUTH", "u", "no")):
        with pytest.raises((redis.ResponseError, redis.exceptions.AuthenticationError)):
            call()
    u.close()
    errors = r.info("errorstats")
    assert errors["errorstat_NOPERM"] == {"count": 2}
    assert errors["errorstat_WRONGPASS"]["count"] >= 1
    stats = r.info("commandstats")
    assert stats["cmdstat_get"]["rejected_calls"] == 1
    assert stats["cmdstat_flushall"]["rejected_calls"] == 1
    assert stats["cmdstat_auth"]["failed_calls"] >= 1


def test_selectors_permit_what_the_root_does_not(r, admin, target_server):
    r.execute_command("ACL", "SETUSER", "s", "on", ">pw", "-@all", "+get", "~a*",
                      "(+set ~b*)")
    s = connect(target_server, "s")
    assert s.get("a1") is None
    assert s.set("b1", "v")
    with pytest.raises(redis.exceptions.NoPermissionError, match=NOPERM_KEY):
        s.set("a1", "v")
    with pytest.raises(redis.exceptions.NoPermissionError, match=NOPERM_CMD % "del"):
        s.delete("a1")
    s.close()
    assert text(r.acl_dryrun("s", "set", "b1", "v")) == "OK"
    assert text(r.acl_dryrun("s", "set", "a1", "v")) == \
        "This user has no permissions to access the 'a1' key"


def test_acl_log(r, admin, target_server):
    r.execute_command("ACL", "SETUSER", "u", "on", ">pw", "~k*", "+@all", "-flushall")
    u = connect(target_server, "u")
    for _ in range(3):
        with pytest.raises(redis.exceptions.NoPermissionError):
            u.get("x")
    with pytest.raises(redis.exceptions.NoPermissionError):
        u.flushall()
    with pytest.raises(redis.exceptions.AuthenticationError):
        u.execute_command("AUTH", "u", "wrong")
    pipe = u.pipeline()
    pipe.get("y")
    with pytest.raises(redis.exceptions.NoPermissionError):
        pipe.execute()
    with pytest.raises(redis.ResponseError, match="The user executing the script can't run"):
        u.eval("return redis.call('flushall')", 0)
    log = admin.acl_log()          # (RESP2: redis-py parses its entries)
    assert log[2]["count"] >= 1     # redis-py retries a failed AUTH: as many as it sent
    log[2]["count"] = 1
    assert entries(log) == [
        (1, "command", "lua", "flushall", "u"),
        (1, "key", "multi", "y", "u"),
        (1, "auth", "toplevel", "AUTH", "u"),
        (1, "command", "toplevel", "flushall", "u"),
        (3, "key", "toplevel", "x", "u"),
    ]
    assert log[0]["client-info"]["user"] == "u"
    assert entries(admin.acl_log(2)) == entries(log[:2])
    assert r.acl_log_reset()
    assert admin.acl_log() == []
    u.close()


def test_exec_checks_permissions_again(r, admin, target_server):
    r.execute_command("ACL", "SETUSER", "u", "on", ">pw", "~*", "+@all")
    raw = RawConnection(target_server.port)
    assert raw.execute("AUTH", "u", "pw") == b"+OK\r\n"
    assert raw.execute("MULTI") == b"+OK\r\n"
    assert raw.execute("SET", "a", "1") == b"+QUEUED\r\n"
    assert raw.execute("GET", "a") == b"+QUEUED\r\n"
    r.execute_command("ACL", "SETUSER", "u", "-set")
    assert raw.execute("EXEC") == (
        b"*2\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated "
        b"and the EXEC call. This command is no longer allowed for the following reason: no "
        b"permission to execute the command or subcommand\r\n$-1\r\n")
    assert entries(admin.acl_log()) == [(1, "command", "multi", "set", "u")]
    raw.close()


def test_scripts_run_with_the_callers_rights(r, admin, target_server):
    r.execute_command("ACL", "SETUSER", "u", "on", ">pw", "~k*", "+@all")
    u = connect(target_server, "u")
    with pytest.raises(redis.ResponseError, match="The user executing the script can't "
                                                  "access at least one of the keys"):
        u.eval("return redis.call('get', 'x')", 0)
    assert u.eval("return redis.acl_check_cmd('get', 'x')", 0) is None
    assert u.eval("return redis.acl_check_cmd('get', 'k1')", 0) == 1
    u.close()


def test_auth_and_hello(r, admin, target_server):
    r.acl_setuser("u", enabled=True, passwords=["+pw"], commands=["+@all"], keys=["*"])
    raw = RawConnection(target_server.port)
    assert raw.execute("AUTH", "u", "bad") == \
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    assert raw.execute("AUTH", "bad") == (
        b"-ERR AUTH <password> called without any password configured for the default user. "
        b"Are you sure your configuration is correct?\r\n")
    assert raw.execute("AUTH", "u", "pw") == b"+OK\r\n"
    assert raw.execute("ACL", "WHOAMI") == b"$1\r\nu\r\n"
    assert b"user=u " in raw.execute("CLIENT", "INFO")
    assert raw.execute("HELLO", "2", "AUTH", "nobody", "x") == \
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    assert raw.execute("HELLO", "2", "AUTH", "default", "x").startswith(b"*14\r\n")
    assert raw.execute("ACL", "WHOAMI") == b"$7\r\ndefault\r\n"
    r.acl_setuser("u", enabled=False)
    assert raw.execute("AUTH", "u", "pw") == \
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    raw.close()


def test_requirepass_is_the_default_users_password(r, admin, target_server):
    r.config_set("requirepass", "secret")
    assert r.acl_getuser("default")["flags"] == ["on"]
    raw = RawConnection(target_server.port)
    assert raw.execute("GET", "x") == b"-NOAUTH Authentication required.\r\n"
    assert raw.execute("AUTH", "secret") == b"+OK\r\n"
    assert raw.execute("CONFIG", "SET", "requirepass", "") == b"+OK\r\n"
    raw.close()
    raw = RawConnection(target_server.port)
    assert raw.execute("GET", "x") == b"$-1\r\n"
    raw.close()


def test_cat_genpass_users(r, admin):
    categories = r.acl_cat()
    categories = [c.decode() if isinstance(c, bytes) else c for c in r.acl_cat()]
    assert categories[:3] == ["keyspace", "read", "write"] and len(categories) == 21
    admin_commands = [c.decode() if isinstance(c, bytes) else c for c in r.acl_cat("admin")]
    assert "config|get" in admin_commands and "get" not in admin_commands
    with pytest.raises(redis.ResponseError, match="Unknown category 'nope'"):
        r.acl_cat("nope")
    assert len(r.acl_genpass()) == 64
    assert len(r.acl_genpass(5)) == 2
    with pytest.raises(redis.ResponseError, match="ACL GENPASS argument must be"):
        r.acl_genpass(0)
    with pytest.raises(redis.ResponseError, match="The 'default' user cannot be removed"):
        r.acl_deluser("default")
    assert r.acl_deluser("nobody") == 0


def test_deleted_users_connections_are_closed(r, admin, target_server):
    r.acl_setuser("u", enabled=True, passwords=["+pw"], commands=["+@all"], keys=["*"])
    u = connect(target_server, "u")
    assert u.ping()
    assert r.acl_deluser("u") == 1
    with pytest.raises(redis.ConnectionError):
        u.connection_pool.get_connection().send_command("PING")
        u.connection_pool.get_connection().read_response()
    u.close()


def test_subscribers_losing_a_channel_are_closed(r, admin, target_server):
    r.execute_command("ACL", "SETUSER", "u", "on", ">pw", "resetchannels", "&news", "&sport",
                      "+@all")
    raw = RawConnection(target_server.port)
    assert raw.execute("AUTH", "u", "pw") == b"+OK\r\n"
    raw.execute("SUBSCRIBE", "sport")
    r.execute_command("ACL", "SETUSER", "u", "&more")      # a superset: it stays
    assert raw.execute("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    r.execute_command("ACL", "SETUSER", "u", "resetchannels", "&news")
    with pytest.raises((ConnectionError, OSError)):
        raw.execute("PING")
    raw.close()


SAME_USERS = ("user default on nopass ~* &* +@all",
              "user alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 "
              "~k* %R~r* resetchannels &ch -@all +@hash -hset")


def test_aclfile_and_user_lines_byte_for_byte(tmp_path) -> None:
    """Both servers started on the same ACL file, then with the same `user` lines: ACL
    LIST, GETUSER, SAVE, LOAD, NOPERM replies and the log compared byte for byte."""
    commands = [("ACL", "LIST"), ("ACL", "GETUSER", "alice"), ("ACL", "USERS"),
                ("HELLO", "3"), ("ACL", "GETUSER", "alice"), ("HELLO", "2"),
                ("AUTH", "alice", "pw"), ("GET", "x"), ("HSET", "k1", "f", "v"),
                ("HGET", "k1", "f"), ("FLUSHALL",), ("PUBLISH", "nope", "m"),
                ("AUTH", "default", "x"), ("ACL", "WHOAMI"), ("ACL", "SETUSER", "bob", "on"),
                ("ACL", "SAVE"), ("ACL", "LOAD"), ("ACL", "LIST")]
    outputs = {}
    for kind in ("pyredis", "redis"):
        folder = str(tmp_path / kind)
        os.makedirs(folder)
        path = os.path.join(folder, "users.acl")
        with open(path, "w") as f:
            f.write("\n".join(SAME_USERS) + "\n")
        server = start_server(kind, ["--aclfile", path])
        try:
            raw = RawConnection(server.port)
            replies = [raw.execute(*c) for c in commands]
            del replies[3], replies[4]      # HELLO: the client ids differ
            raw.close()
            with open(path) as f:
                replies.append(f.read().encode())
        finally:
            server.stop()
        outputs[kind] = replies
    del commands[3], commands[4]
    for command, mine, theirs in zip(commands + [("file",)], outputs["pyredis"],
                                     outputs["redis"]):
        assert mine == theirs, command


def start_with_file(kind: str, path: str) -> ServerProcess:
    """A server started from a config file (the first argument, as redis-server wants it)."""
    port = free_port()
    args = [path, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    if kind == "pyredis":
        return ServerProcess(pyredis_command(args), port, cwd=os.path.dirname(path),
                             env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT))
    return ServerProcess(redis_command(args), port, cwd=os.path.dirname(path))


def test_user_lines_and_config_rewrite(tmp_path) -> None:
    """`user` lines of the config file; CONFIG REWRITE writes the users back, and a server
    started again from the file has them."""
    listed = {}
    for kind in ("pyredis", "redis"):
        folder = str(tmp_path / kind)
        os.makedirs(folder)
        path = os.path.join(folder, "redis.conf")
        with open(path, "w") as f:
            f.write("user default on nopass ~* +@all -flushdb\nuser alice on >pw ~a* +get\n")
        for _ in range(2):     # started from the file, then from the file it rewrote
            server = start_with_file(kind, path)
            try:
                client = redis.Redis(port=server.port, decode_responses=True)
                with pytest.raises(redis.exceptions.NoPermissionError,
                                   match=NOPERM_CMD % "flushdb"):
                    client.flushdb()
                listed.setdefault(kind, []).append(client.acl_list())
                client.config_rewrite()
                client.close()
            finally:
                server.stop()
        with open(path) as f:
            listed[kind].append([line for line in f if line.startswith("user ")])
    assert listed["pyredis"] == listed["redis"]
    assert listed["redis"][0] == listed["redis"][1]


def test_raw_replies_byte_for_byte(pool) -> None:
    """GETUSER in RESP2 and RESP3, LIST, DRYRUN, NOPERM replies and ACL LOG fields: the same
    bytes from both servers."""
    # (one single command per selector: Redis lists several in its hash table's order)
    setup = [("ACL", "SETUSER", "u", "on", ">pw", "~k*", "%R~r*", "%W~w*", "&ch*", "+@all",
              "-@dangerous", "+config|get", "(+set ~s*)")]
    checks = [("ACL", "GETUSER", "u"), ("ACL", "LIST"), ("ACL", "DRYRUN", "u", "get", "w1"),
              ("ACL", "DRYRUN", "u", "flushall"), ("ACL", "DRYRUN", "u", "publish", "x", "m"),
              ("ACL", "DRYRUN", "u", "sort", "r1", "STORE", "w1"),
              ("ACL", "DRYRUN", "u", "eval", "", "1", "r1"),
              ("ACL", "DRYRUN", "u", "georadius", "w1", "0", "0", "1", "m"),
              ("ACL", "DRYRUN", "u", "nosuch")]
    as_user = [("GET", "x"), ("FLUSHALL",), ("CONFIG", "SET", "maxmemory", "0"),
               ("CONFIG", "GET", "maxmemory"),
               ("PUBLISH", "other", "m"), ("SET", "s1", "v"), ("SORT", "k1", "BY", "v*"),
               ("MULTI",), ("GET", "r1"), ("FLUSHALL",), ("EXEC",)]
    results = {}
    for kind in ("pyredis", "redis"):
        server = pool.get(kind)
        admin = RawConnection(server.port)
        user = RawConnection(server.port)
        try:
            for c in setup:
                admin.execute(*c)
            replies = [admin.execute(*c) for c in checks]
            admin.execute("HELLO", "3")
            replies.append(admin.execute("ACL", "GETUSER", "u"))
            user.execute("AUTH", "u", "pw")
            replies += [user.execute(*c) for c in as_user]
            log = admin.execute("ACL", "LOG")
            # age-seconds and client-info differ from run to run: the rest must not
            replies.append(b"|".join(part for part in log.split(b"\r\n")
                                     if not part.startswith((b",", b"$", b"id=", b"0."))))
        finally:
            admin.execute("ACL", "DELUSER", "u")
            admin.execute("ACL", "LOG", "RESET")
            admin.close()
            user.close()
        results[kind] = replies
    for command, mine, theirs in zip(checks + ["GETUSER-RESP3"] + as_user + ["LOG"],
                                     results["pyredis"], results["redis"]):
        assert mine == theirs, command


def test_acl_load_closes_connections_of_the_users_it_replaces(tmp_path) -> None:
    """ACL LOAD replaces every user but the default one: their connections are closed, the
    default user's stay (as in Redis, even when the file defines the user again)."""
    for kind in ("pyredis", "redis"):
        folder = str(tmp_path / kind)
        os.makedirs(folder)
        path = os.path.join(folder, "users.acl")
        with open(path, "w") as f:
            f.write("user alice on >pw ~* &* +@all\nuser default on nopass ~* &* +@all\n")
        server = start_server(kind, ["--aclfile", path])
        try:
            admin = redis.Redis(port=server.port, decode_responses=True)
            alice = RawConnection(server.port)
            assert alice.execute("AUTH", "alice", "pw") == b"+OK\r\n"
            assert admin.acl_setuser("bob", enabled=True, nopass=True)
            assert admin.acl_save()
            with open(path) as f:
                assert f.read().splitlines() == [
                    line for line in admin.acl_list()]
            assert admin.acl_load()
            with pytest.raises((ConnectionError, OSError)):
                alice.execute("PING")
            assert admin.ping()
            alice.close()
            with open(path, "w") as f:
                f.write("user carol on nopass bad-rule\n")
            with pytest.raises(redis.ResponseError) as error:
                admin.acl_load()
            assert str(error.value) == (
                f"{path}:1: Syntax error. WARNING: ACL errors detected, no change to the "
                "previously active ACL rules was performed")
            assert admin.acl_users() == ["alice", "bob", "default"]
            admin.close()
        finally:
            server.stop()


def test_protected_mode_admits_peers_once_the_default_user_has_a_password() -> None:
    replies = []
    for kind in ("pyredis", "redis"):
        server = start_server(kind, ["--protected-mode", "yes", "--user", "default", "on",
                                     ">pw", "~*", "&*", "+@all"])
        try:
            peer = RawConnection(server.port, source="127.0.0.2")
            replies.append([peer.execute("PING"), peer.execute("AUTH", "pw"),
                            peer.execute("ACL", "WHOAMI")])
            peer.close()
        finally:
            server.stop()
    assert replies[0] == replies[1] == [b"-NOAUTH Authentication required.\r\n",
                                        b"+OK\r\n", b"$7\r\ndefault\r\n"]


def test_rename_command_renames_or_removes_commands() -> None:
    """rename-command in the config: the command answers under its new name only, an empty
    name removes it, scripts see the same names, ACL rules keep the original ones."""
    commands = [("FLUSHALL",), ("GET", "k", "v"), ("FETCH", "k"), ("SET", "k", "v"),
                ("EVAL", "return redis.call('fetch', 'k')", "0"),
                ("ACL", "SETUSER", "u", "on", "nopass", "~*", "+get", "-set"),
                ("AUTH", "u", "x"), ("FETCH", "k"), ("GET", "k", "v")]
    replies = {}
    for kind in ("pyredis", "redis"):
        server = start_server(kind, ["--rename-command", "flushall", "",
                                     "--rename-command", "get", "fetch",
                                     "--rename-command", "set", "get"])
        try:
            raw = RawConnection(server.port)
            replies[kind] = [raw.execute(*c) for c in commands]
            raw.close()
        finally:
            server.stop()
    assert replies["pyredis"] == replies["redis"]
    assert replies["redis"][0] == b"-ERR unknown command 'FLUSHALL', with args beginning " \
                                  b"with: \r\n"
    assert replies["redis"][-1] == (b"-NOPERM this user has no permissions to run the 'set' "
                                    b"command\r\n")


@pytest.mark.parametrize("line, reason", [
    (["--rename-command", "nosuch", "x"], "No such command in rename-command"),
    (["--rename-command", "get", "set"], "Target command name already exists"),
])
def test_rename_command_errors(line, reason) -> None:
    """A bad rename-command line: the server does not start, saying why as Redis does."""
    for command in (pyredis_command(["--port", str(free_port()), *line]),
                    redis_command(["--port", str(free_port()), *line])):
        done = subprocess.run(command, capture_output=True, timeout=60,
                              env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT))
        assert done.returncode == 1
        assert reason in done.stderr.decode()
