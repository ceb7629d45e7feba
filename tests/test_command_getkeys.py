"""COMMAND GETKEYS and GETKEYSANDFLAGS for every command of Redis 7.0, compared with
redis-server byte for byte: sample command lines built from each command's documented
arguments, then the movable keys at their edges (numkeys Redis's specs refuse but its own
procedures read with atoi, SORT ... STORE, STREAMS, GEORADIUS STORE/STOREDIST, MIGRATE
KEYS) and the three errors; keywords compared as C strings."""
from __future__ import annotations

import json
import os

import pytest

from command_samples import samples
from helpers import RawConnection

TABLE_PATH = os.path.join(os.path.dirname(__file__), os.pardir, "pyredis", "commands",
                          "commands.json")


def _entries() -> dict[str, dict]:
    """Every command and subcommand of the table, by full name."""
    with open(TABLE_PATH, encoding="utf-8") as f:
        data = json.load(f)
    found = {}
    for name, entry in data.items():
        found.update(entry.get("subcommands") or {name: entry})
    return found


ENTRIES = _entries()

EDGES = [
    "eval s 0", "eval s 0 a", "eval s 1", "eval s 2 a", "eval s -1 a", "eval s x a",
    "eval s 2x a b", "eval s 1x a b", "eval_ro s 01 a", "eval s +1 a", "eval s 4294967297 a",
    "evalsha_ro s 3 a b c", "fcall f 0", "fcall f 1 a b", "fcall f 5 a b", "fcall_ro f 1x a",
    "zunionstore d 0 a", "zunionstore d 1x a", "zunionstore d 3 a b", "zunionstore d -1 a",
    "zunionstore d 2x a b c", "zunionstore d 2147483648 a", "zunionstore d 4294967297 a",
    "zunionstore d 99999999999999999999 a", "zunionstore d -99999999999999999999 a",
    "zinterstore d 2 a b weights 1 2", "zdiffstore d 1 a", "zunion 0 a", "zunion 2x a b",
    "zunion 5 a b", "zinter x a", "zintercard 0 a", "zintercard 1x a limit 1",
    "sintercard 2x a b", "sintercard 0 a", "sintercard 3 a b",
    "lmpop 2x a b left", "lmpop 0 a left", "lmpop 5 a left", "blmpop 0 2x a b left",
    "blmpop 0 0 a left", "zmpop 1x a min", "zmpop 0 a min", "bzmpop 0 1x a min",
    "bzmpop 0 9 a min",
    "sort a", "sort a store b", "sort a by x store b", "sort a by store store b",
    "sort a get store store b", "sort a limit 0 1 store b", "sort a store b store c",
    "sort a store", "sort_ro a by b get c",
    "xread streams a b 0", "xread streams", "xread foo streams a 0",
    "xread count 1 streams a b c", "xread streams 2 a", "xreadgroup group g c streams a",
    "xreadgroup group g c streams streams streams 0 0", "xreadgroup streams a b streams c",
    "xreadgroup foo streams a b streams c", "xreadgroup group g c streams a b streams c",
    "georadius a 0 0 1 m store", "georadius a 0 0 1 m store b storedist c",
    "georadius a 0 0 1 m store b storedist", "georadius a 0 0 1 m store store store",
    "georadiusbymember a m 1 km store", "georadiusbymember a m 1 km storedist b",
    "migrate h 1 k 0 1 keys a b", "migrate h 1 '' 0 1 keys a b",
    "migrate h 1 '' 0 1 copy replace keys a b", "migrate h 1 '' 0 1 auth keys keys a",
    "migrate h 1 '' 0 1 auth2 keys keys keys a", "migrate h 1 '' 0 1 keys",
    "migrate h 1 k 0 1 keys", "migrate h 1 '' 0 1 replace",
    "set a b GET", "set a b px get", "bitfield a get u8 0 set u8 0 1",
    "bitfield a overflow wrap get u8 0", "bitfield a get u8", "bitfield a foo",
    "object encoding a", "object help", "memory usage a samples 5", "object", "memory",
    "config get x", "command getkeys get a", "get", "get a b", "del", "mset a 1 b",
    "nosuch a", "ping", "GET|key x", "config|get x", "xinfo nosuch s", "",
    # keywords are compared as C strings, up to a NUL; numbers by atoi
    "set a b get\0x", "sort a store\0 b", "sort a limit\0 0 store b", "eval s 1\0x a",
    "xread streams\0 a 0", "georadius k 0 0 1 m store\0 x", "bitfield k get\0 u8 0",
    "bitfield k get u8 0 overflow\0x wrap", "migrate h 1 '' 0 1 auth\0 keys a",
    "migrate h 1 '' 0 1 keys\0 a",
]


def _compare(ours: RawConnection, theirs: RawConnection, line: list) -> list[str]:
    differ = []
    for sub in ("GETKEYS", "GETKEYSANDFLAGS"):
        mine, real = ours.execute("COMMAND", sub, *line), theirs.execute("COMMAND", sub, *line)
        if mine != real:
            differ.append(f"COMMAND {sub} {line}: {mine!r}, redis-server: {real!r}")
    return differ


@pytest.fixture(scope="module")
def pair(pool):
    ours, theirs = RawConnection(pool.get("pyredis").port), RawConnection(pool.get("redis").port)
    yield ours, theirs
    ours.close()
    theirs.close()


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_getkeys_of_every_command(pair, name):
    """The shortest and the longest documented forms of each command (pyredis answers for
    the commands it does not run too: the key positions are the table's)."""
    differ = []
    for line in samples(name, ENTRIES[name]):
        differ += _compare(*pair, line)
    assert not differ, "\n".join(differ)


@pytest.mark.parametrize("line", EDGES)
def test_getkeys_at_the_edges(pair, line):
    words = [b"" if word == "''" else word for word in line.split()]
    differ = _compare(*pair, words)
    assert not differ, "\n".join(differ)
