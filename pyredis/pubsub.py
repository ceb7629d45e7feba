"""The Pub/Sub registry: who listens to which channel, pattern and shard channel, and the
delivery of messages.

A message is encoded once per PUBLISH (one frame for RESP2 subscribers, one for RESP3) and
the same bytes object is queued on every receiver. Deliveries are out-of-band pushes: CLIENT
REPLY OFF does not mute them, and a subscriber that does not read is disconnected by
client-output-buffer-limit (pubsub class) instead of growing without bound.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional

from .glob import glob_matcher
from .protocol.encode import encode

if TYPE_CHECKING:
    from .client import Client


def frame(proto: int, parts: bytes, count: int) -> bytes:
    """A push of `count` already encoded elements: an array in RESP2, a push in RESP3."""
    return (b"*%d\r\n" if proto == 2 else b">%d\r\n") % count + parts


class Pattern:
    """A pattern's compiled matcher and its subscribers (a dict used as an ordered set)."""
    __slots__ = ("match", "clients")

    def __init__(self, pattern: bytes) -> None:
        self.match: Callable[[bytes], bool] = glob_matcher(pattern)
        self.clients: dict["Client", None] = {}


class Kind:
    """Plain or shard channels: which client attribute holds them, their reply words."""

    def __init__(self, attr: str, subscribe: bytes, unsubscribe: bytes, message: bytes) -> None:
        self.attr = attr
        self.subscribe = encode(subscribe)
        self.unsubscribe = encode(unsubscribe)
        self.message = encode(message)


PLAIN = Kind("channels", b"subscribe", b"unsubscribe", b"message")
SHARD = Kind("shard_channels", b"ssubscribe", b"sunsubscribe", b"smessage")
PSUBSCRIBE = encode(b"psubscribe")
PUNSUBSCRIBE = encode(b"punsubscribe")
PMESSAGE = encode(b"pmessage")


def subscription_count(client: "Client", kind: Kind) -> int:
    """The count a (un)subscribe reply carries: shard channels count apart."""
    if kind is SHARD:
        return len(client.shard_channels)
    return len(client.channels) + len(client.patterns)


def _confirm(client: "Client", word: bytes, name: Optional[bytes], count: int) -> None:
    parts = word + encode(name, client.proto) + encode(count)
    client.add_push(frame(client.proto, parts, 3))


class PubSub:
    def __init__(self) -> None:
        self.channels: dict[bytes, dict["Client", None]] = {}
        self.shard_channels: dict[bytes, dict["Client", None]] = {}
        self.patterns: dict[bytes, Pattern] = {}

    def _table(self, kind: Kind) -> dict[bytes, dict["Client", None]]:
        return self.shard_channels if kind is SHARD else self.channels

    # -- subscribing -----------------------------------------------------------------------

    def subscribe(self, client: "Client", channel: bytes, kind: Kind = PLAIN) -> None:
        subscribed = getattr(client, kind.attr)
        if channel not in subscribed:
            subscribed[channel] = None
            self._table(kind).setdefault(channel, {})[client] = None
        _confirm(client, kind.subscribe, channel, subscription_count(client, kind))

    def unsubscribe(self, client: "Client", channel: bytes, kind: Kind = PLAIN,
                    notify: bool = True) -> None:
        subscribed = getattr(client, kind.attr)
        if channel in subscribed:
            del subscribed[channel]
            table = self._table(kind)
            clients = table[channel]
            del clients[client]
            if not clients:
                del table[channel]
        if notify:
            _confirm(client, kind.unsubscribe, channel, subscription_count(client, kind))

    def unsubscribe_all(self, client: "Client", kind: Kind = PLAIN, notify: bool = True) -> None:
        subscribed = getattr(client, kind.attr)
        if not subscribed and notify:
            _confirm(client, kind.unsubscribe, None, subscription_count(client, kind))
        for channel in list(subscribed):
            self.unsubscribe(client, channel, kind, notify)

    def psubscribe(self, client: "Client", pattern: bytes) -> None:
        if pattern not in client.patterns:
            client.patterns[pattern] = None
            entry = self.patterns.get(pattern)
            if entry is None:
                entry = self.patterns[pattern] = Pattern(pattern)
            entry.clients[client] = None
        _confirm(client, PSUBSCRIBE, pattern, subscription_count(client, PLAIN))

    def punsubscribe(self, client: "Client", pattern: bytes, notify: bool = True) -> None:
        if pattern in client.patterns:
            del client.patterns[pattern]
            entry = self.patterns[pattern]
            del entry.clients[client]
            if not entry.clients:
                del self.patterns[pattern]
        if notify:
            _confirm(client, PUNSUBSCRIBE, pattern, subscription_count(client, PLAIN))

    def punsubscribe_all(self, client: "Client", notify: bool = True) -> None:
        if not client.patterns and notify:
            _confirm(client, PUNSUBSCRIBE, None, subscription_count(client, PLAIN))
        for pattern in list(client.patterns):
            self.punsubscribe(client, pattern, notify)

    def forget(self, client: "Client") -> None:
        """Drop every subscription of a client that goes away (or is RESET), silently."""
        if client.channels:
            self.unsubscribe_all(client, PLAIN, notify=False)
        if client.patterns:
            self.punsubscribe_all(client, notify=False)
        if client.shard_channels:
            self.unsubscribe_all(client, SHARD, notify=False)

    # -- publishing ------------------------------------------------------------------------

    def publish(self, channel: bytes, message: bytes, kind: Kind = PLAIN) -> int:
        """Deliver message to the channel's subscribers, then (plain channels only) to
        the subscribers of every matching pattern; returns how many got it."""
        receivers = 0
        clients = self._table(kind).get(channel)
        if clients:
            deliver(clients, kind.message + encode(channel) + encode(message), 3)
            receivers = len(clients)
        if kind is PLAIN and self.patterns:
            tail = None
            for pattern, entry in self.patterns.items():
                if entry.match(channel):
                    if tail is None:
                        tail = encode(channel) + encode(message)
                    deliver(entry.clients, PMESSAGE + encode(pattern) + tail, 4)
                    receivers += len(entry.clients)
        return receivers

    # -- introspection (PUBSUB) ------------------------------------------------------------

    def numsub(self, channel: bytes, kind: Kind = PLAIN) -> int:
        return len(self._table(kind).get(channel, ()))


def deliver(clients: dict["Client", None], parts: bytes, count: int) -> None:
    """Queue the same encoded push on each client: one encoding per protocol in use."""
    resp2 = resp3 = b""
    for client in clients:
        if client.proto == 2:
            if not resp2:
                resp2 = frame(2, parts, count)
            client.add_push(resp2)
        else:
            if not resp3:
                resp3 = frame(3, parts, count)
            client.add_push(resp3)
