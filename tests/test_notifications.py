"""Keyspace notifications: for each command family, the events a subscriber receives are
compared with those of the real redis-server configured alike (every class: AKEnm)."""
import pytest

from helpers import ServerProcess, Session

ALL_EVENTS = ["--notify-keyspace-events", "AKEnm"]


@pytest.fixture(scope="module")
def servers():
    ours = ServerProcess("pyredis", ALL_EVENTS)
    theirs = ServerProcess("redis", ALL_EVENTS)
    yield ours, theirs
    ours.stop()
    theirs.stop()


def _events(port: int, commands: list[tuple]) -> list[list[bytes]]:
    """The messages the subscriber got after each command (and the command's reply)."""
    session = Session(port, ["sub", "w"])
    try:
        session.step("w", "FLUSHALL")
        session.step("w", "SELECT", "2")
        session.step("sub", "PSUBSCRIBE", "__key*__:*")
        out = []
        for command in commands:
            seen = session.step("w", *command)
            out.append(seen["w"] + seen["sub"])
        return out
    finally:
        session.close()


FAMILIES = {
    "generic": [("GET", "missing"), ("FLUSHALL",)],
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_events_match_redis(servers, family):
    ours, theirs = servers
    commands = FAMILIES[family]
    for command, mine, reference in zip(commands, _events(ours.port, commands),
                                        _events(theirs.port, commands)):
        assert mine == reference, command


def test_no_events_without_k_or_e():
    proc = ServerProcess("pyredis", ["--notify-keyspace-events", "A"])
    try:
        session = Session(proc.port, ["sub", "w"])
        session.step("sub", "PSUBSCRIBE", "*")
        assert session.step("w", "SET", "k", "v") == {"w": [b"+OK\r\n"], "sub": []}
        session.close()
    finally:
        proc.stop()
