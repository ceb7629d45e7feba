"""SLOWLOG and LATENCY: entries, spikes and histograms as redis-server gives them (times and
durations masked), their errors, and what Redis keeps out of the slow log or redacts."""
from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any, Iterator

import pytest
import redis

from helpers import RawConnection
from pyredis.commands.entry import LatencyHistogram
from pyredis.latency import LatencyMonitor, cumulative_histogram

DEFAULTS = {"slowlog-log-slower-than": "10000", "slowlog-max-len": "128",
            "latency-monitor-threshold": "0"}


@pytest.fixture
def logged(r: redis.Redis) -> Iterator[redis.Redis]:
    """`r` with every command going to an empty slow log; the defaults back afterwards."""
    r.config_set("slowlog-log-slower-than", 0)
    r.slowlog_reset()
    yield r
    r.config_set("slowlog-log-slower-than", DEFAULTS["slowlog-log-slower-than"])
    r.config_set("slowlog-max-len", DEFAULTS["slowlog-max-len"])
    r.slowlog_reset()


@pytest.fixture
def monitored(r: redis.Redis) -> Iterator[redis.Redis]:
    """`r` with the latency monitor on at 50 ms (only DEBUG SLEEP takes that long) and no
    spikes yet; off again afterwards."""
    r.config_set("latency-monitor-threshold", 50)
    r.latency_reset()
    yield r
    r.config_set("latency-monitor-threshold", DEFAULTS["latency-monitor-threshold"])
    r.latency_reset()


def commands_logged(r: redis.Redis, count: int = -1) -> list[bytes]:
    return [entry["command"] for entry in r.slowlog_get(count)]


def text(reply: Any) -> str:
    """A verbatim reply (a bulk string in RESP2) as text."""
    return reply.decode() if isinstance(reply, bytes) else str(reply)


def as_map(reply: Any) -> dict:
    """A map reply as a dict, in RESP2 (a flat array, nested maps too) as in RESP3."""
    if isinstance(reply, list):
        return {reply[i]: as_map(reply[i + 1]) for i in range(0, len(reply), 2)}
    if isinstance(reply, dict):
        return {key: as_map(value) for key, value in reply.items()}
    return reply


# -- SLOWLOG --------------------------------------------------------------------------------

def test_slowlog_entry_shape(logged):
    r = logged
    r.client_setname("worker")
    r.set("k", "v")
    entries = r.slowlog_get()
    assert [e["command"] for e in entries] == [b"SET k v", b"CLIENT SETNAME worker",
                                               b"SLOWLOG RESET"]
    newest = entries[0]
    assert newest["id"] == entries[1]["id"] + 1 == entries[2]["id"] + 2
    assert newest["duration"] >= 0 and newest["start_time"] > 1_600_000_000
    assert re.fullmatch(rb"127\.0\.0\.1:\d+", newest["client_address"])
    assert newest["client_name"] == b"worker"
    assert entries[2]["client_name"] == b""
    r.client_setname("")


def test_slowlog_raw_entry_is_six_fields(logged):
    logged.set("k", "v")
    [[entry_id, when, duration, args, address, name]] = logged.execute_command(
        "SLOWLOG", "GET", "1")
    assert all(isinstance(n, int) for n in (entry_id, when, duration))
    assert args == [b"SET", b"k", b"v"] and address.startswith(b"127.0.0.1:") and name == b""


def test_slowlog_trims_arguments_and_long_strings(logged):
    r = logged
    r.sadd("set", *range(3, 34))
    r.sadd("set", "foo", "A" * 129)
    long_entry, many_entry = commands_logged(r, 2)
    assert many_entry == b"SADD set " + b" ".join(b"%d" % i for i in range(3, 32)) + \
        b" ... (2 more arguments)"
    assert long_entry == b"SADD set foo " + b"A" * 128 + b"... (1 more bytes)"


def test_slowlog_len_get_count_and_max_len(logged):
    r = logged
    r.config_set("slowlog-max-len", 3)
    for i in range(5):
        r.set("k", i)
    assert r.slowlog_len() == 3
    assert len(r.slowlog_get(0)) == 0
    assert len(r.slowlog_get(1)) == 1
    assert len(r.slowlog_get(-1)) == 3
    assert len(r.slowlog_get(10)) == 3
    assert r.slowlog_reset()
    assert commands_logged(r) == [b"SLOWLOG RESET"]


def test_slowlog_lowered_max_len_trims_at_once(logged):
    r = logged
    for i in range(5):
        r.set("k", i)
    r.config_set("slowlog-max-len", 2)
    assert commands_logged(r) == [b"CONFIG SET slowlog-max-len 2", b"SET k 4"]


def test_slowlog_threshold(logged):
    r = logged
    r.config_set("slowlog-log-slower-than", 1_000_000)
    r.slowlog_reset()
    r.ping()
    r.execute_command("DEBUG", "SLEEP", "0")
    assert r.slowlog_len() == 0
    r.config_set("slowlog-log-slower-than", -1)
    r.set("k", "v")
    assert r.slowlog_len() == 0
    r.config_set("slowlog-log-slower-than", 0)
    assert commands_logged(r) == [b"CONFIG SET slowlog-log-slower-than 0"]


def test_slowlog_get_errors(logged):
    r = logged
    for count in ("-2", "-222", "abc", "1.5", "99999999999999999999"):
        with pytest.raises(redis.ResponseError,
                           match=r"^count should be greater than or equal to -1$"):
            r.execute_command("SLOWLOG", "GET", count)
    with pytest.raises(redis.ResponseError) as exc:
        r.execute_command("SLOWLOG", "GET", "1", "2")
    assert str(exc.value) == ("unknown subcommand or wrong number of arguments for 'GET'. "
                              "Try SLOWLOG HELP.")
    with pytest.raises(redis.ResponseError) as exc:
        r.execute_command("SLOWLOG", "LEN", "1")
    assert str(exc.value) == "wrong number of arguments for 'slowlog|len' command"
    with pytest.raises(redis.ResponseError) as exc:
        r.execute_command("SLOWLOG", "FOO")
    assert str(exc.value) == "unknown subcommand 'FOO'. Try SLOWLOG HELP."


def test_slowlog_help(r):
    lines = r.execute_command("SLOWLOG", "HELP")
    assert [bytes(line) if not isinstance(line, str) else line.encode() for line in lines] == [
        b"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"GET [<count>]",
        b"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        b"    Entries are made of:",
        b"    id, timestamp, time in microseconds, arguments array, client IP and port,",
        b"    client name",
        b"LEN",
        b"    Return the length of the slowlog.",
        b"RESET",
        b"    Reset the slowlog.",
        b"HELP",
        b"    Prints this help."]


def test_slowlog_redacts_secrets(logged, target_server):
    r = logged
    conn = RawConnection(target_server.port)     # redis-py reconnects after AUTH errors
    try:
        assert conn.execute("AUTH", "secret").startswith(b"-ERR AUTH <password> called")
        assert conn.execute("AUTH", "someone", "secret").startswith(b"-WRONGPASS")
        assert conn.execute("HELLO", "2", "AUTH", "someone", "secret").startswith(
            b"-WRONGPASS")
        assert conn.execute("CONFIG", "SET", "masterauth", "") == b"+OK\r\n"
    finally:
        conn.close()
    assert commands_logged(r, 4) == [b"CONFIG SET masterauth (redacted)",
                                     b"HELLO 2 AUTH (redacted) (redacted)",
                                     b"AUTH (redacted) (redacted)",
                                     b"AUTH (redacted)"]


def test_slowlog_logs_transaction_commands_not_exec(logged):
    r = logged
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", 1).incr("a")
        pipe.execute()
    assert commands_logged(r) == [b"INCRBY a 1", b"SET a 1", b"MULTI", b"SLOWLOG RESET"]


def test_slowlog_logs_script_commands_from_no_address(logged):
    r = logged
    r.eval("return redis.call('set', KEYS[1], 'v')", 1, "k")
    script, inner = r.slowlog_get(2)
    assert inner["command"] == b"set k v" and inner["client_address"] == b"?:0"
    assert script["command"] == b"EVAL return redis.call('set', KEYS[1], 'v') 1 k"


def test_slowlog_logs_blocked_command_once_served(logged, target_server):
    r = logged
    conn = RawConnection(target_server.port)
    try:
        conn.execute("SELECT", "0")
        conn.send("BLPOP", "blocked-list", "0")
        for _ in range(500):
            if r.info("clients")["blocked_clients"]:
                break
        assert r.info("clients")["blocked_clients"] == 1
        assert b"BLPOP blocked-list 0" not in commands_logged(r)
        r.lpush("blocked-list", "x")
        assert conn.read_reply() == b"*2\r\n$12\r\nblocked-list\r\n$1\r\nx\r\n"
    finally:
        conn.close()
    assert commands_logged(r, 2) == [b"BLPOP blocked-list 0", b"LPUSH blocked-list x"]


# -- LATENCY --------------------------------------------------------------------------------

DISABLED_REPORT = (
    "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. "
    "You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable "
    "it. If we weren't in a deep space mission I'd suggest to take a look at "
    "https://redis.io/topics/latency-monitor.\n")


def test_latency_doctor_when_disabled(r):
    r.latency_reset()
    assert text(r.execute_command("LATENCY", "DOCTOR")) == DISABLED_REPORT


def test_latency_spike_in_latest_history_graph_doctor(monitored):
    r = monitored
    r.execute_command("DEBUG", "SLEEP", "0.1")     # a "command" spike of 100 ms or more
    [[event, when, latest, worst]] = r.latency_latest()
    assert event == b"command" and latest >= 100 and worst == latest
    assert r.latency_history("command") == [[when, latest]]
    graph = text(r.execute_command("LATENCY", "GRAPH", "command"))
    # One column: the lowest mark, a blank line, then its age ("0s", or "1s" a second on).
    assert re.fullmatch("command - high %d ms, low %d ms \\(all time high %d ms\\)\n" % (
        latest, latest, latest) + "-" * 80 + "\n" + " \n" * 3 + "_\n \n[01]\ns\n", graph)
    report = text(r.execute_command("LATENCY", "DOCTOR"))
    assert report.startswith("Dave, I have observed latency spikes in this Redis instance. "
                             "You don't mind talking about it, do you Dave?\n\n")
    assert re.search(r"\n\d\. command: 1 latency spikes \(average %dms, mean deviation 0ms, "
                     r"period 1\.00 sec\)\. Worst all time event %dms\.\n" % (latest, latest),
                     report)
    assert "\nI have a few advices for you:\n\n- Check your Slow Log to understand " in report


def test_latency_reset(monitored):
    r = monitored
    r.execute_command("DEBUG", "SLEEP", "0.1")
    assert r.latency_reset("no-such-event") == 0
    assert r.latency_history("no-such-event") == []
    assert r.latency_reset("COMMAND", "command") >= 1
    assert r.latency_history("command") == []
    assert r.latency_reset() == len(r.latency_latest()) == 0


def test_latency_errors(r):
    with pytest.raises(redis.ResponseError) as exc:
        r.execute_command("LATENCY", "GRAPH", "no-such-event")
    assert str(exc.value) == "No samples available for event 'no-such-event'"
    with pytest.raises(redis.ResponseError) as exc:
        r.execute_command("LATENCY", "HELP", "xxx")
    assert str(exc.value) == "wrong number of arguments for 'latency|help' command"
    with pytest.raises(redis.ResponseError) as exc:
        r.execute_command("LATENCY", "HISTORY")
    assert str(exc.value) == "wrong number of arguments for 'latency|history' command"
    with pytest.raises(redis.ResponseError) as exc:
        r.execute_command("LATENCY", "FOO")
    assert str(exc.value) == "unknown subcommand 'FOO'. Try LATENCY HELP."


def test_latency_help(r):
    lines = [line if isinstance(line, str) else line.decode()
             for line in r.execute_command("LATENCY", "HELP")]
    assert lines[0] == "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert lines[1:3] == ["DOCTOR", "    Return a human readable latency analysis report."]
    assert lines[-4:] == [
        "    Return a cumulative distribution of latencies in the format of a histogram for "
        "the specified command names.",
        "    If no commands are specified then all histograms are replied.",
        "HELP", "    Prints this help."]
    assert len(lines) == 17


def test_latency_histogram(r):
    r.config_resetstat()
    r.set("a", "b")
    r.set("c", "d")
    r.get("a")
    r.client_id()
    every = as_map(r.execute_command("LATENCY", "HISTOGRAM"))
    assert set(every) == {b"config|resetstat", b"set", b"get", b"client|id"}
    assert every[b"set"][b"calls"] == 2
    for histogram in every.values():
        buckets = list(histogram[b"histogram_usec"].items())
        assert buckets and buckets[-1][1] == histogram[b"calls"]
        assert [usec for usec, _ in buckets] == sorted(usec for usec, _ in buckets)
    some = as_map(r.execute_command("LATENCY", "HISTOGRAM", "blabla", "SET", "client", "zadd"))
    assert set(some) == {b"set", b"client|id"}
    assert as_map(r.execute_command("LATENCY", "HISTOGRAM", "client|id"))[b"client|id"][
        b"calls"] == 1
    assert as_map(r.execute_command("LATENCY", "HISTOGRAM", "blabla")) == {}


@pytest.mark.pyredis_only("the buckets of known durations, as Redis's HdrHistogram has them")
def test_cumulative_histogram_buckets():
    histogram = LatencyHistogram()
    for usec in (0, 1, 5, 5, 40, 600, 600, 600, 2_000_000):
        histogram.record(usec)
    assert cumulative_histogram(histogram) == {
        b"calls": 9,
        b"histogram_usec": {1: 2, 8: 4, 66: 5, 1056: 8, 1073741: 9}}


class FrozenClock:
    def __init__(self, now: int) -> None:
        self.now = now

    def time(self) -> float:
        return float(self.now)


def stub_server(now: int, slower_than: int = 0, threshold: int = 1) -> Any:
    """What the latency monitor reads of its server, with a clock standing still."""
    config = SimpleNamespace(latency_monitor_threshold=threshold,
                             slowlog_log_slower_than=slower_than)
    return SimpleNamespace(config=config, clock=FrozenClock(now), hz=10,
                           snapshots=SimpleNamespace(fork_rate=0.0))


@pytest.mark.pyredis_only("the monitor's own samples, on a clock that stands still")
def test_latency_graph_and_doctor_as_redis_writes_them(monkeypatch):
    monkeypatch.setattr("pyredis.latency.anon_huge_pages", lambda: 0)
    server = stub_server(1_000_000)
    monitor = LatencyMonitor(server)
    for age, ms in ((2, 50), (1, 20), (0, 10)):
        server.clock.now = 1_000_000 - age
        monitor.add_sample_if_needed("command", ms)
    server.clock.now = 1_000_000
    # What redis-server 7.0.15 answered for the same three spikes.
    assert monitor.graph("command") == (
        b"command - high 50 ms, low 10 ms (all time high 50 ms)\n" + b"-" * 80 + b"\n"
        b"#  \n|  \n|_ \n||_\n   \n210\nsss\n")
    assert monitor.doctor() == (
        b"Dave, I have observed latency spikes in this Redis instance. You don't mind talking "
        b"about it, do you Dave?\n\n"
        b"1. command: 3 latency spikes (average 26ms, mean deviation 15ms, period 0.67 sec). "
        b"Worst all time event 50ms.\n\n"
        b"I have a few advices for you:\n\n"
        b"- Check your Slow Log to understand what are the commands you are running which are "
        b"too slow to execute. Please check https://redis.io/commands/slowlog for more "
        b"information.\n"
        b"- Deleting, expiring or evicting (because of maxmemory policy) large objects is a "
        b"blocking operation. If you have very large objects that are often deleted, expired, "
        b"or evicted, try to fragment those objects into multiple smaller objects.\n")


@pytest.mark.pyredis_only("the monitor's own samples, on a clock that stands still")
def test_latency_samples_one_per_second_the_worst_kept():
    server = stub_server(2_000_000, threshold=5)
    monitor = LatencyMonitor(server)
    monitor.add_sample_if_needed("expire-cycle", 4)      # under the threshold
    assert monitor.latest() == []
    for ms in (7, 30, 9):
        monitor.add_sample_if_needed("expire-cycle", ms)
    assert monitor.latest() == [[b"expire-cycle", 2_000_000, 30, 30]]
    for second in range(1, 200):
        server.clock.now = 2_000_000 + second
        monitor.add_sample_if_needed("expire-cycle", 6)
    samples = monitor.events["expire-cycle"].samples
    assert len(samples) == 160 and samples[0] == [2_000_040, 6]
    assert monitor.latest() == [[b"expire-cycle", 2_000_199, 6, 30]]
    assert monitor.reset([b"EXPIRE-CYCLE"]) == 1 and monitor.latest() == []


@pytest.mark.pyredis_only("pyredis's fork rate, which LATENCY DOCTOR reads")
def test_bgsave_records_the_fork_rate(fresh):
    fresh.client.set("k", "v")
    fresh.client.bgsave()
    assert fresh.server.snapshots.fork_rate > 0


def test_client_unblock_logs_the_command_without_arguments(logged, target_server):
    r = logged
    r.config_resetstat()
    conn = RawConnection(target_server.port)
    try:
        client_id = int(conn.execute("CLIENT", "ID")[1:-2])
        conn.send("BLPOP", "no-such-list", "0")
        for _ in range(500):
            if r.info("clients")["blocked_clients"]:
                break
        assert r.client_unblock(client_id)
        assert conn.read_reply() == b"*-1\r\n"
        # A block that times out is neither logged nor counted again.
        assert conn.execute("BLPOP", "no-such-list", "0.01") == b"*-1\r\n"
    finally:
        conn.close()
    raw = r.execute_command("SLOWLOG", "GET", "3")
    assert [entry[3] for entry in raw] == [[b"CLIENT", b"UNBLOCK", b"%d" % client_id], [],
                                           [b"INFO", b"clients"]]
    assert r.info("commandstats")["cmdstat_blpop"]["failed_calls"] == 1
