"""INFO: Redis's sections, fields and line format, with real figures."""
from __future__ import annotations

import os
import re
import time

import pytest
import redis

import pyredis
from helpers import RawConnection, start_server

DEFAULT = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
           "Modules", "Errorstats", "Cluster", "Keyspace"]
ALL = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
       "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"]


def info_text(port: int, *sections: str) -> str:
    conn = RawConnection(port)
    try:
        reply = conn.execute("INFO", *sections)
    finally:
        conn.close()
    header, _, body = reply.partition(b"\r\n")
    assert header.startswith(b"$") and int(header[1:]) == len(body) - 2
    return body[:-2].decode()


def headers(text: str) -> list[str]:
    return [line[2:] for line in text.split("\r\n") if line.startswith("# ")]


def fields(text: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in text.split("\r\n")
                if line and not line.startswith("#"))


@pytest.mark.parametrize("args,expected", [
    ((), DEFAULT), (("default",), DEFAULT), (("all",), ALL), (("everything",), ALL),
    (("cpu",), ["CPU"]), (("CommandStats",), ["Commandstats"]),
    (("cpu", "sentinel"), ["CPU"]), (("keyspace", "server"), ["Server", "Keyspace"]),
    (("cpu", "all"), ALL), (("cpu", "default"), DEFAULT), (("nosuch",), []),
    (("modules",), ["Modules"]), (("latencystats",), ["Latencystats"]),
])
def test_sections_as_redis(server, real_server, args, expected):
    assert headers(info_text(server.port, *args)) == expected
    assert headers(info_text(real_server.port, *args)) == expected


def test_same_fields_as_redis(server, real_server):
    """Every section has Redis's fields in Redis's order."""
    ours, theirs = info_text(server.port, "default"), info_text(real_server.port, "default")
    ours_keys = [line.split(":")[0] for line in ours.split("\r\n")]
    theirs_keys = [line.split(":")[0] for line in theirs.split("\r\n")]
    theirs_keys = [k for k in theirs_keys if not k.startswith(("db", "errorstat_"))]
    ours_keys = [k for k in ours_keys if not k.startswith(("db", "errorstat_"))
                 and k not in OURS_ONLY]
    assert ours_keys == theirs_keys


def test_format_is_crlf_lines_with_blank_between_sections(server):
    text = info_text(server.port)
    assert "\n" not in text.replace("\r\n", "")
    assert "\r\n\r\n# Clients\r\n" in text
    assert text.startswith("# Server\r\nredis_version:7.0.15\r\n")


def test_build_line(server, monkeypatch):
    """pyredis_build, after the redis_* lines, names the build: the one this process chose
    from the same files, pure Python whenever PYREDIS_PURE_PYTHON=1, which also holds for a
    server started with it beside compiled modules."""
    lines = info_text(server.port, "server").split("\r\n")
    assert lines[6].startswith("pyredis_build:") and lines[5].startswith("redis_mode:")
    expected = "pure" if os.environ.get("PYREDIS_PURE_PYTHON") == "1" else pyredis.BUILD
    assert lines[6] == f"pyredis_build:{expected}"
    assert expected in ("mypyc", "pure")
    monkeypatch.setenv("PYREDIS_PURE_PYTHON", "1")
    forced = start_server()
    try:
        assert fields(info_text(forced.port, "server"))["pyredis_build"] == "pure"
    finally:
        forced.stop()


def test_server_fields(server):
    info = fields(info_text(server.port, "server"))
    assert info["redis_mode"] == "standalone"
    assert info["arch_bits"] == "64"
    assert info["os"].split()[0] == os.uname().sysname
    assert int(info["process_id"]) == server.proc.pid
    assert int(info["tcp_port"]) == server.port
    assert re.fullmatch(r"[0-9a-f]{40}", info["run_id"])
    assert info["hz"] == info["configured_hz"] == "10"
    assert info["config_file"] == ""
    assert int(info["uptime_in_seconds"]) >= 0


def test_stats_count_commands_hits_and_errors(r):
    r.config_resetstat()
    r.set("k", "v")
    r.get("k")
    r.get("missing")
    with pytest.raises(redis.ResponseError):
        r.execute_command("GET")
    with pytest.raises(redis.ResponseError):
        r.execute_command("NOSUCH")
    stats = r.info("stats")
    assert stats["keyspace_hits"] == 1
    assert stats["keyspace_misses"] == 1
    assert stats["total_error_replies"] == 2
    assert stats["total_commands_processed"] >= 4
    errors = r.info("errorstats")
    assert errors == {"errorstat_ERR": {"count": 2}}
    commands = r.info("commandstats")
    assert commands["cmdstat_get"]["calls"] == 2
    assert commands["cmdstat_get"]["rejected_calls"] == 1
    assert commands["cmdstat_get"]["failed_calls"] == 0
    assert commands["cmdstat_set"]["calls"] == 1


def test_failed_calls_and_error_codes(r):
    r.config_resetstat()
    r.set("s", "x")
    with pytest.raises(redis.ResponseError):
        r.execute_command("INCR", "s")
    with pytest.raises(redis.ResponseError):
        r.execute_command("CONFIG", "SET", "maxmemory", "x")
    commands = r.info("commandstats")
    assert commands["cmdstat_incr"]["failed_calls"] == 1
    assert commands["cmdstat_config|set"]["failed_calls"] == 1
    assert r.info("errorstats")["errorstat_ERR"]["count"] == 2


def test_commandstats_line_format(server):
    conn = RawConnection(server.port)
    conn.execute("CONFIG", "RESETSTAT")
    conn.execute("PING")
    text = info_text(server.port, "commandstats")
    assert re.search(r"\r\ncmdstat_ping:calls=1,usec=\d+,usec_per_call=\d+\.\d\d,"
                     r"rejected_calls=0,failed_calls=0\r\n", text + "\r\n")
    latency = info_text(server.port, "latencystats")
    assert re.search(r"latency_percentiles_usec_ping:p50=\d+\.\d{3},p99=\d+\.\d{3},"
                     r"p99\.9=\d+\.\d{3}", latency)
    conn.close()


def test_keyspace_section(r):
    r.set("a", "1")
    r.set("b", "2", ex=100)
    other = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=3)
    other.set("c", "3")
    keyspace = r.info("keyspace")
    assert keyspace["db0"]["keys"] == 2
    assert keyspace["db0"]["expires"] == 1
    assert 0 <= keyspace["db0"]["avg_ttl"] <= 100_000   # Redis's expire cycle estimates it
    assert keyspace["db3"] == {"keys": 1, "expires": 0, "avg_ttl": 0}
    other.close()


def test_clients_and_memory(target_server, r):
    extra = [redis.Redis(port=target_server.port) for _ in range(3)]
    for c in extra:
        c.ping()
    clients = r.info("clients")
    assert clients["connected_clients"] >= 4
    assert clients["maxclients"] == 10000
    memory = r.info("memory")
    assert memory["used_memory"] > 0
    assert memory["used_memory_peak"] >= memory["used_memory"] * 0.5
    assert memory["maxmemory_policy"] == "noeviction"
    assert memory["used_memory_human"].endswith(("K", "M", "G"))
    for c in extra:
        c.close()


def test_replication_persistence_cpu_cluster(r):
    info = r.info("everything")
    assert info["role"] == "master"
    assert info["connected_slaves"] == 0
    assert re.fullmatch(r"[0-9a-f]{40}", info["master_replid"])
    assert info["master_repl_offset"] == 0
    assert info["loading"] == 0
    assert info["aof_enabled"] == 0
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["used_cpu_user"] > 0
    assert info["cluster_enabled"] == 0


def test_info_resp3_is_verbatim(server):
    conn = RawConnection(server.port)
    conn.execute("HELLO", "3")
    reply = conn.execute("INFO", "cluster")
    assert reply == b"=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n"
    conn.close()


def test_bytes_to_human():
    from pyredis.info import bytes_to_human
    assert [bytes_to_human(n) for n in (0, 1023, 1024, 1536, 1024**2, 5 * 1024**3)] == [
        "0B", "1023B", "1.00K", "1.50K", "1.00M", "5.00G"]


def _sections(text: str) -> dict[str, list[str]]:
    """INFO's field names, section by section, in order."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.split("\r\n"):
        if line.startswith("# "):
            current = sections.setdefault(line[2:], [])
        elif line:
            current.append(line.split(":", 1)[0])
    return sections


CONDITIONAL = ("db", "errorstat_", "cmdstat_", "latency_percentiles_usec_")
OURS_ONLY = ("pyredis_build",)   # which build runs (test_build_line)


def test_everything_field_by_field_as_redis(server, real_server):
    """INFO everything after the same workload: every section has Redis's fields in Redis's
    order; the lines that come and go with what ran (per-db, per-error, per-command) are
    compared where both servers have them."""
    workload = [("SET", "a", "1"), ("SET", "e", "1", "EX", "100"), ("SELECT", "2"),
                ("RPUSH", "l", "x"), ("GET", "a", "b"), ("INCR", "l"), ("NOSUCH",),
                ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "nostream", ">"), ("EVAL", "return 1", 0)]
    texts = []
    for port in (server.port, real_server.port):
        conn = RawConnection(port)
        conn.execute("FLUSHALL")
        conn.execute("CONFIG", "RESETSTAT")
        for command in workload:
            conn.execute(*command)
        conn.close()
        texts.append(info_text(port, "everything"))
    ours, theirs = (_sections(text) for text in texts)
    assert list(ours) == list(theirs)
    for title in theirs:
        fixed_ours = [k for k in ours[title]
                      if not k.startswith(CONDITIONAL) and k not in OURS_ONLY]
        fixed_theirs = [k for k in theirs[title] if not k.startswith(CONDITIONAL)]
        assert fixed_ours == fixed_theirs, title
        shared = set(ours[title]) & set(theirs[title])
        if title in ("Commandstats", "Latencystats"):
            continue    # Redis lists commands in its command table's hash order
        assert [k for k in ours[title] if k in shared] == \
            [k for k in theirs[title] if k in shared], title
    for line in ("db0", "db2", "errorstat_ERR", "errorstat_WRONGTYPE", "errorstat_NOGROUP",
                 "cmdstat_set", "cmdstat_eval", "latency_percentiles_usec_set"):
        name_ours = [k for section in ours.values() for k in section]
        name_theirs = [k for section in theirs.values() for k in section]
        assert line in name_ours and line in name_theirs, line


@pytest.mark.parametrize("section", ["server", "clients", "memory", "persistence", "stats",
                                     "replication", "cpu", "modules", "errorstats", "cluster",
                                     "keyspace", "commandstats", "latencystats",
                                     "everything"])
def test_redis_py_parses_every_section(r, section):
    r.set("k", "v", ex=100)
    with pytest.raises(redis.ResponseError):
        r.execute_command("NOSUCH")
    info = r.info(section)
    assert isinstance(info, dict)
    if section in ("server", "everything"):
        assert info["redis_version"] == "7.0.15"
    if section in ("keyspace", "everything"):
        assert info["db0"]["keys"] == 1 and info["db0"]["expires"] == 1
    if section in ("commandstats", "everything"):
        assert info["cmdstat_set"]["calls"] >= 1
    if section in ("errorstats", "everything"):
        assert info["errorstat_ERR"]["count"] >= 1
    if section in ("memory", "everything"):
        assert info["used_memory"] > 0 and isinstance(info["mem_fragmentation_ratio"], float)


def test_blocked_command_counted_when_served(r):
    """A blocked call's stats once it is unblocked: CLIENT UNBLOCK ERROR fails it, and a
    served one records its latency (Redis's updateStatsOnUnblock)."""
    port = r.connection_pool.connection_kwargs["port"]
    r.config_resetstat()
    r.config_set("latency-tracking", "yes")
    waiter = RawConnection(port)
    waiter_id = int(waiter.execute("CLIENT", "ID")[1:-2])
    waiter.send("BLPOP", "list", "0")
    for _ in range(1000):
        if r.info("clients")["blocked_clients"] == 1:
            break
    assert r.client_unblock(waiter_id, error=True)
    assert waiter.read_reply().startswith(b"-UNBLOCKED")
    stats = r.info("commandstats")["cmdstat_blpop"]
    assert (stats["calls"], stats["failed_calls"]) == (1, 1)
    assert r.info("errorstats")["errorstat_UNBLOCKED"]["count"] == 1
    r.config_resetstat()
    waiter.send("BLPOP", "list", "0")
    for _ in range(1000):
        if r.info("clients")["blocked_clients"] == 1:
            break
    r.lpush("list", "a")
    assert waiter.read_reply() == b"*2\r\n$4\r\nlist\r\n$1\r\na\r\n"
    assert "latency_percentiles_usec_blpop" in r.info("latencystats")
    waiter.close()


def test_forks_counted(r):
    before = r.info("stats")["total_forks"]
    r.bgsave()
    for _ in range(2000):
        if not r.info("persistence")["rdb_bgsave_in_progress"]:
            break
        time.sleep(0.01)
    stats = r.info("stats")
    assert stats["total_forks"] == before + 1
    assert stats["latest_fork_usec"] > 0


@pytest.mark.pyredis_only("the compiler of pyredis's interpreter")
def test_gcc_version_is_the_interpreters(r):
    import platform
    version = r.info("server")["gcc_version"]
    assert version == "0.0.0" or f"GCC {version}" in platform.python_compiler()
