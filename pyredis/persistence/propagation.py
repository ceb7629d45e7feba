"""The stream of effects (Redis's alsoPropagate and propagatePendingCommands): every change
to the dataset reaches the append-only file and the replicas once, in the form that replays
to the same data.

Server.call queues the command it ran when the command changed the dataset (the keyspace's
change counter moved) or forced propagation, as its argv or the deterministic argv the
command gave instead (`rewrite`: SET ... EX 10 -> SET ... PXAT <ms>, SPOP -> SREM ...). A
command may also queue further effects (`also`) and keep itself out (`prevent`). Keys the
server deletes (expiry, eviction) queue a DEL or UNLINK. At the end of the outermost call the
queued ops go out together, wrapped in MULTI ... EXEC when there are several (a script, a
transaction, a write that expired a key first), except for the deletions of an active expiry
cycle or an eviction pass, which go out one by one as Redis sends them.

While nothing follows the stream (no AOF, no replica and no backlog) `active` is False and
the command path skips all of this.
"""
from __future__ import annotations

from typing import Any, Final, Optional, TYPE_CHECKING

if TYPE_CHECKING:
    from ..db import Database
    from ..server import Server

AOF: Final = 1           # the targets of an op, as Redis's PROPAGATE_AOF and PROPAGATE_REPL
REPL: Final = 2
BOTH: Final = AOF | REPL

MULTI: Final = [b"MULTI"]
EXEC: Final = [b"EXEC"]


class Propagation:
    __slots__ = ("server", "active", "to_aof", "to_repl", "pending", "no_multi",
                 "rewritten", "prevented", "forced", "allowed")

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.active = False            # something follows the stream: the AOF or replication
        self.to_aof = False
        self.to_repl = False
        self.pending: list[tuple[int, list[bytes], int]] = []   # (db index, argv, targets)
        self.no_multi = False          # an expiry cycle or eviction pass: no MULTI around
        # What the running call asked for itself (Redis keeps these as client flags, saved
        # and restored around nested calls): its argv rewritten, targets kept out or forced.
        self.rewritten: Optional[list[bytes]] = None
        self.prevented = 0
        self.forced = 0
        # Where the next call may propagate its command: a script's redis.set_repl() narrows
        # it for the commands the script runs (Redis's call flags); effects queued with
        # `also` are not affected.
        self.allowed = BOTH

    def refresh(self) -> None:
        """Look again at what follows the stream, after the AOF was turned on or off or
        replicas or the backlog came or went (Redis's shouldPropagate)."""
        server = self.server
        self.to_aof = server.aof.state != "off"
        self.to_repl = server.replication.has_stream()
        active = self.to_aof or self.to_repl
        if active != self.active:
            self.active = active
            self.rewritten = None
            self.prevented = self.forced = 0
            if not active:
                self.pending.clear()
        server.keyspace.events.deleted = self.deleted if active else None

    # -- what a command asks for ---------------------------------------------------------

    def rewrite(self, argv: list[bytes]) -> None:
        """Propagate the running command as argv (Redis's rewriteClientCommandVector)."""
        self.rewritten = argv

    def prevent(self, targets: int = BOTH) -> None:
        """Keep the running command itself out of the stream; what it queued with `also`
        still goes (Redis's preventCommandPropagation)."""
        self.prevented |= targets

    def force(self, targets: int = BOTH) -> None:
        """Propagate the running command even though it changed nothing (Redis's
        forceCommandPropagation: FLUSHALL of an empty dataset, PUBLISH to replicas)."""
        self.forced |= targets

    def also(self, db_index: int, argv: list[bytes], targets: int = BOTH) -> None:
        """Queue one more effect (Redis's alsoPropagate)."""
        if self.active and not self.server.loading:
            self.pending.append((db_index, argv, targets))

    def deleted(self, db: "Database", key: bytes, lazy: bool) -> None:
        """The server deleted key itself (expiry, eviction): replay it as DEL or UNLINK, as
        the lazyfree setting for that case says (Redis's propagateDeletion)."""
        self.also(db.index, [b"UNLINK" if lazy else b"DEL", key])

    # -- around each call ----------------------------------------------------------------

    def begin_call(self) -> tuple[Optional[list[bytes]], int, int]:
        """A call starts: the caller's requests are put aside until it ends."""
        saved = (self.rewritten, self.prevented, self.forced)
        self.rewritten = None
        self.prevented = self.forced = 0
        return saved

    def end_call(self, db_index: int, argv: list[bytes], changed: bool,
                 saved: tuple[Optional[list[bytes]], int, int]) -> None:
        """A call ended: queue the command if it changed the dataset or forced it (as the
        command asked), then give the caller back its own requests."""
        targets = ((BOTH if changed else 0) | self.forced) & ~self.prevented & self.allowed
        if targets and not self.server.loading:
            self.pending.append((db_index, self.rewritten or argv, targets))
        self.rewritten, self.prevented, self.forced = saved

    def flush(self, flags: frozenset = frozenset()) -> None:
        """Send what the outermost call (or an expiry cycle, an eviction pass) queued
        (Redis's propagatePendingCommands); `flags` are the outermost command's. A command
        that may expire keys anywhere (SCAN, RANDOMKEY) sends them as they come, like the
        expiry cycle, not as one transaction."""
        ops = self.pending
        if not ops:
            return
        self.pending = []
        if len(ops) == 1:    # the usual case: one write
            self.send(*ops[0])
            return
        transaction = not self.no_multi and "touches-arbitrary-keys" not in flags
        if transaction:
            self.send(ops[0][0], MULTI, BOTH)    # the first op's db: its SELECT comes first
        for db_index, argv, targets in ops:
            self.send(db_index, argv, targets)
        if transaction:
            self.send(ops[-1][0], EXEC, BOTH)

    def send(self, db_index: int, argv: list[bytes], targets: int) -> None:
        """One op to the AOF and the replicas (Redis's propagateNow)."""
        server = self.server
        if targets & AOF and self.to_aof:
            server.aof.feed(db_index, argv)
        if targets & REPL and self.to_repl:
            server.replication.feed(db_index, argv)

    def deletions_apart(self) -> "Apart":
        """Deletions the server makes outside any command (the active expiry cycle, an
        eviction pass) go out one by one, without MULTI, once the pass is done."""
        return Apart(self)


class Apart:
    """`with propagation.deletions_apart():` around an expiry cycle or an eviction pass."""
    __slots__ = ("propagation", "outer")

    def __init__(self, propagation: Propagation) -> None:
        self.propagation = propagation
        self.outer = False

    def __enter__(self) -> None:
        self.outer = self.propagation.no_multi
        self.propagation.no_multi = True

    def __exit__(self, *exc: Any) -> None:
        self.propagation.flush()
        self.propagation.no_multi = self.outer
