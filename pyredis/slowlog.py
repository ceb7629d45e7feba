"""The slow log (Redis's slowlog.c): the latest commands that ran longer than
`slowlog-log-slower-than` microseconds (0: every command, negative: none), at most
`slowlog-max-len` of them, newest first.

Server.call hands a command over only when it ran at least as long as the lowest threshold in
force (`Server.slow_call_floor`), so a disabled log costs the command path one comparison.
An entry keeps what SLOWLOG GET shows: its id, the unix time, the duration in microseconds,
the arguments as the command left them (passwords already "(redacted)"; at most 32, the last
one then telling how many more there were, each cut at 128 bytes with how many more bytes
there were), the client's address and its name.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import Client
    from .server import Server

MAX_ARGS = 32           # Redis's SLOWLOG_ENTRY_MAX_ARGC
MAX_ARG_BYTES = 128     # Redis's SLOWLOG_ENTRY_MAX_STRING


def peer_id(client: "Client") -> bytes:
    """The client's address as Redis shows it; a script's client has none ("?:0")."""
    return (client.addr or "?:0").encode()


def logged_args(argv: list[bytes]) -> list[bytes]:
    """The arguments as an entry keeps them, trimmed as Redis trims them."""
    count = len(argv)
    kept = argv if count <= MAX_ARGS else argv[:MAX_ARGS - 1]
    args = [arg if len(arg) <= MAX_ARG_BYTES else
            arg[:MAX_ARG_BYTES] + b"... (%d more bytes)" % (len(arg) - MAX_ARG_BYTES)
            for arg in kept]
    if count > MAX_ARGS:
        args.append(b"... (%d more arguments)" % (count - MAX_ARGS + 1))
    return args


class SlowLog:
    def __init__(self, server: "Server") -> None:
        self.server = server
        self.entries: deque[list] = deque()   # SLOWLOG GET's replies, newest first
        self.next_id = 0

    def push_if_needed(self, client: "Client", argv: list[bytes], usec: int) -> None:
        """Log a command that took `usec` if the threshold says so (Redis's
        slowlogPushEntryIfNeeded); the log is kept within slowlog-max-len either way."""
        config = self.server.config
        threshold = config.slowlog_log_slower_than
        if threshold < 0:
            return
        if usec >= threshold:
            self.entries.appendleft([
                self.next_id, int(self.server.clock.time()), usec, logged_args(argv),
                peer_id(client), client.name or b""])
            self.next_id += 1
        self.trim()

    def trim(self) -> None:
        """Drop the oldest entries past slowlog-max-len."""
        entries, limit = self.entries, self.server.config.slowlog_max_len
        while len(entries) > limit:
            entries.pop()

    def reset(self) -> None:
        self.entries.clear()

    def latest(self, count: int) -> list[list]:
        """The `count` newest entries (all of them for -1), as SLOWLOG GET replies them."""
        entries = self.entries
        if count < 0 or count >= len(entries):
            return list(entries)
        return [entries[i] for i in range(count)]
