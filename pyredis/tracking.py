"""Client-side caching (CLIENT TRACKING): which clients may have cached which keys, and the
invalidation messages sent when those keys change.

Default mode: the keys a tracking client reads are remembered in one table (key -> client
ids, for every database alike); the first write to such a key sends `invalidate [key]` to
each of those clients and forgets the entry. BCAST mode: clients subscribe to key prefixes
instead, and the keys written under a prefix during one event loop cycle are sent together
at its end. Messages go as RESP3 pushes, or for a RESP2 client through REDIRECT to a client
subscribed in RESP2 (a message on `__redis__:invalidate`). A write made by a command of the
client that cached the key is told after that command's reply (EXEC's whole reply).
The table holds at most tracking-table-max-keys keys: past that, the oldest entries are
invalidated (bounded work per command, more when still over the limit).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Final, Optional, TYPE_CHECKING

from .commands import lookup
from .protocol.encode import encode

if TYPE_CHECKING:
    from .client import Client
    from .commands import Command
    from .db import Database
    from .server import Server

INVALIDATE: Final = b"$10\r\ninvalidate\r\n"
REDIRECT_BROKEN: Final = b">2\r\n$21\r\ntracking-redir-broken\r\n"
INVALIDATE_CHANNEL: Final = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
# Scripts' read-only variants do not remember keys on their own (the commands they call do).
NOT_REMEMBERING: Final = frozenset(("eval_ro", "evalsha_ro", "fcall_ro"))


class ClientTracking:
    """A client's CLIENT TRACKING state (client.tracking while tracking is on)."""
    __slots__ = ("redirect", "bcast", "optin", "optout", "noloop", "caching",
                 "broken_redirect", "prefixes", "last_argv", "last_was_client")

    def __init__(self) -> None:
        self.redirect = 0             # client id the messages go to (0: this client)
        self.bcast = False
        self.optin = False
        self.optout = False
        self.noloop = False
        self.caching = False          # CLIENT CACHING yes|no given for the next command
        self.broken_redirect = False
        self.prefixes: dict[bytes, None] = {}   # BCAST prefixes
        self.last_argv: Optional[list[bytes]] = None   # the command seen last
        self.last_was_client = False  # ... was a CLIENT one


class Prefix:
    """A BCAST prefix: its subscribers, and the keys under it written this cycle with the
    client that wrote each (None: expired), for NOLOOP."""
    __slots__ = ("clients", "keys")

    def __init__(self) -> None:
        self.clients: dict["Client", None] = {}
        self.keys: dict[bytes, Optional["Client"]] = {}


class Tracking:
    def __init__(self, server: "Server") -> None:
        self.server = server
        self.table: OrderedDict[bytes, set[int]] = OrderedDict()
        self.items = 0                # client ids across the table (tracking_total_items)
        self.prefixes: dict[bytes, Prefix] = {}
        self.clients = 0              # clients with tracking on (tracking_clients)
        self.pending: list[Optional[bytes]] = []  # the running client's own invalidations
        self.over_limit_runs = 0
        # The command path calls before_command and after_command only while this is on:
        # from the first CLIENT TRACKING ON until a command ends with no client tracking.
        self.enabled = False

    # -- turning tracking on and off -------------------------------------------------------

    def enable(self, client: "Client", redirect: int, bcast: bool, optin: bool, optout: bool,
               noloop: bool, prefixes: list[bytes]) -> None:
        state = client.tracking
        if state is None:
            state = client.tracking = ClientTracking()
            self.clients += 1
            self.enabled = True
            self.server.keyspace.events.key_changed = self.key_modified
            self.server.keyspace.events.flushed = self.flushed
        state.redirect = redirect
        state.broken_redirect = False
        state.bcast = bcast
        state.optin = optin
        state.optout = optout
        state.noloop = noloop
        if bcast:
            for prefix in prefixes or [b""]:
                entry = self.prefixes.get(prefix)
                if entry is None:
                    entry = self.prefixes[prefix] = Prefix()
                entry.clients[client] = None
                state.prefixes[prefix] = None

    def disable(self, client: "Client") -> None:
        """CLIENT TRACKING off, RESET and disconnection. Keys the client read stay in the
        table (by id) until written: cheaper than a cleanup."""
        state = client.tracking
        if state is None:
            return
        for prefix in state.prefixes:
            entry = self.prefixes[prefix]
            del entry.clients[client]
            if not entry.clients:
                del self.prefixes[prefix]
        client.tracking = None
        self.clients -= 1

    # -- remembering reads -----------------------------------------------------------------

    def remember_keys(self, client: "Client", state: ClientTracking, cmd: "Command",
                      argv: list[bytes]) -> None:
        """Remember the keys of a read for a tracking client (its state)."""
        if (state.optin and not state.caching) or (state.optout and state.caching):
            return
        if "pubsub" in cmd.flags:   # shard channels are keys for COMMAND only
            return
        table = self.table
        client_id = client.id
        for index in cmd.key_indexes(argv):
            key = argv[index]
            ids = table.get(key)
            if ids is None:
                ids = table[key] = set()
            if client_id not in ids:
                ids.add(client_id)
                self.items += 1

    # -- around each command --------------------------------------------------------------

    def before_command(self, client: "Client", argv: list[bytes]) -> None:
        state = client.tracking
        if state is not None and argv is not state.last_argv:   # (not a paused one again)
            # CLIENT CACHING applies to the next command only (or the next transaction).
            if state.caching and not state.last_was_client and not client.in_multi:
                state.caching = False
            state.last_argv = argv
            state.last_was_client = argv[0].lower() == b"client"
        if self.clients:
            self.limit_table()

    def after_command(self, client: "Client", cmd: Optional["Command"],
                      argv: Optional[list[bytes]], top: bool) -> None:
        """After a command run by call() (cmd None: other work done for the client, such as
        serving it once unblocked): remember what it read, and once at the top level send
        the client's own invalidations, after its reply."""
        if cmd is not None and "readonly" in cmd.flags and cmd.name not in NOT_REMEMBERING:
            current = self.server.current_client
            if not top and current is not client and current is not None:
                # A script read something: its caller caches the keys the script declared.
                client, argv = current, current.argv
                cmd = lookup(argv)
            state = client.tracking
            if state is not None and not state.bcast and cmd is not None and argv is not None:
                self.remember_keys(client, state, cmd, argv)
        if top:
            if self.pending:
                pending, self.pending = self.pending, []
                for key in pending:
                    # a key, or None: the whole keyspace (a flush)
                    self.send(client, encode([key] if key is not None else None,
                                             client.proto))
            if not self.clients:
                self.enabled = False

    def key_modified(self, db: "Database", key: bytes, by_client: bool) -> None:
        """A key changed: by the running command's client, or not (it expired)."""
        self.invalidate(key, self.server.current_client if by_client else None, True)

    def invalidate(self, key: bytes, by: Optional["Client"], bcast: bool) -> None:
        if bcast and self.prefixes:
            for prefix, entry in self.prefixes.items():
                if key.startswith(prefix):
                    entry.keys[key] = by
        ids = self.table.pop(key, None)
        if ids is None:
            return
        self.items -= len(ids)
        server = self.server
        current = server.current_client
        message = None
        for client_id in ids:
            target = server.clients.get(client_id)
            if target is None or target.tracking is None or target.tracking.bcast:
                continue
            if target is current:
                if not target.tracking.noloop:
                    self.pending.append(key)   # told after the command's reply
                continue
            if message is None:
                message = encode([key])
            self.send(target, message)

    def flushed(self) -> None:
        """FLUSHDB / FLUSHALL: every tracking client is told to drop everything (a null)."""
        if self.clients:
            current = self.server.current_client
            for client in self.server.clients.values():
                if client.tracking is not None:
                    if client is current:
                        self.pending.append(None)
                    else:
                        self.send(client, encode(None, client.proto))
        self.table.clear()
        self.items = 0

    def broadcast(self) -> None:
        """End of the loop cycle: send each BCAST prefix's written keys to its clients."""
        if not self.clients:
            return
        for entry in self.prefixes.values():
            if not entry.keys:
                continue
            keys = entry.keys
            entry.keys = {}
            everything = encode(sorted(keys))
            for client in entry.clients:
                tracking = client.tracking
                if tracking is not None and tracking.noloop:
                    others = sorted(key for key, by in keys.items() if by is not client)
                    if others:
                        self.send(client, encode(others))
                else:
                    self.send(client, everything)

    def limit_table(self) -> None:
        """Keep the table within tracking-table-max-keys by invalidating its oldest keys,
        at most 100 per call, 100 more each call that still ends over the limit."""
        max_keys = self.server.config.tracking_table_max_keys
        if not max_keys or not self.clients:
            return
        table = self.table
        if len(table) <= max_keys:
            self.over_limit_runs = 0
            return
        for _ in range(100 * (self.over_limit_runs + 1)):
            self.invalidate(next(iter(table)), None, False)
            if len(table) <= max_keys:
                self.over_limit_runs = 0
                return
        self.over_limit_runs += 1

    # -- sending ---------------------------------------------------------------------------

    def send(self, client: "Client", keys: bytes) -> None:
        """One invalidation message about `keys` (an encoded array, or a null: all keys) for
        a client: to it in RESP3, to its REDIRECT client in RESP3 or as a Pub/Sub message."""
        tracking = client.tracking
        redirect = tracking.redirect if tracking is not None else 0
        target = client
        if tracking is not None and redirect:
            redirected_to = self.server.clients.get(redirect)
            if redirected_to is None:
                tracking.broken_redirect = True
                if client.proto == 3:
                    client.add_push(REDIRECT_BROKEN + encode(redirect))
                return
            target = redirected_to
        if target.proto == 3:
            target.add_push(b">2\r\n" + INVALIDATE + keys)
        elif redirect and (target.channels or target.patterns or target.shard_channels):
            target.add_push(INVALIDATE_CHANNEL + keys)
