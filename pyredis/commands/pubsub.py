"""Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH, the sharded
SSUBSCRIBE SUNSUBSCRIBE SPUBLISH, and PUBSUB CHANNELS NUMSUB NUMPAT SHARDCHANNELS
SHARDNUMSUB HELP. The registry and message delivery are in pyredis.pubsub; the RESP2
subscribed-context restriction is checked by the server's command path."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..blocking import may_block
from ..errors import not_for_deny_blocking, subcommand_syntax
from ..glob import glob_matcher
from ..pubsub import SHARD
from ..persistence.propagation import REPL
from ..protocol.encode import NO_REPLY, Reply
from . import command, help_reply

if TYPE_CHECKING:
    from ..client import Client


def _check_may_subscribe(client: Client, name: str, even_in_multi: bool = False) -> None:
    """A client that needs one reply per command (a script, a command inside EXEC) cannot
    enter the subscribed state; SUBSCRIBE and PSUBSCRIBE inside MULTI stay allowed."""
    if not may_block(client) and (even_in_multi or not client.in_multi):
        raise not_for_deny_blocking(name)


@command("subscribe")
def subscribe(client: Client, argv: list[bytes]) -> Reply:
    _check_may_subscribe(client, "SUBSCRIBE")
    pubsub = client.server.pubsub
    for channel in argv[1:]:
        pubsub.subscribe(client, channel)
    return NO_REPLY


@command("unsubscribe")
def unsubscribe(client: Client, argv: list[bytes]) -> Reply:
    pubsub = client.server.pubsub
    if len(argv) == 1:
        pubsub.unsubscribe_all(client)
    for channel in argv[1:]:
        pubsub.unsubscribe(client, channel)
    return NO_REPLY


@command("psubscribe")
def psubscribe(client: Client, argv: list[bytes]) -> Reply:
    _check_may_subscribe(client, "PSUBSCRIBE")
    pubsub = client.server.pubsub
    for pattern in argv[1:]:
        pubsub.psubscribe(client, pattern)
    return NO_REPLY


@command("punsubscribe")
def punsubscribe(client: Client, argv: list[bytes]) -> Reply:
    pubsub = client.server.pubsub
    if len(argv) == 1:
        pubsub.punsubscribe_all(client)
    for pattern in argv[1:]:
        pubsub.punsubscribe(client, pattern)
    return NO_REPLY


@command("publish")
def publish(client: Client, argv: list[bytes]) -> Reply:
    client.server.propagation.force(REPL)   # replicas' subscribers get it too
    return client.server.pubsub.publish(argv[1], argv[2])


@command("ssubscribe")
def ssubscribe(client: Client, argv: list[bytes]) -> Reply:
    _check_may_subscribe(client, "SSUBSCRIBE", even_in_multi=True)
    pubsub = client.server.pubsub
    for channel in argv[1:]:
        pubsub.subscribe(client, channel, SHARD)
    return NO_REPLY


@command("sunsubscribe")
def sunsubscribe(client: Client, argv: list[bytes]) -> Reply:
    pubsub = client.server.pubsub
    if len(argv) == 1:
        pubsub.unsubscribe_all(client, SHARD)
    for channel in argv[1:]:
        pubsub.unsubscribe(client, channel, SHARD)
    return NO_REPLY


@command("spublish")
def spublish(client: Client, argv: list[bytes]) -> Reply:
    client.server.propagation.force(REPL)
    return client.server.pubsub.publish(argv[1], argv[2], SHARD)


# -- PUBSUB ------------------------------------------------------------------------------


HELP = (
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
)


@command("pubsub|help")
def pubsub_help(client: Client, argv: list[bytes]) -> Reply:
    return help_reply(argv, HELP)


def _channel_list(client: Client, argv, channels: dict) -> list:
    if len(argv) > 3:
        raise subcommand_syntax(argv)
    if len(argv) == 2:
        return list(channels)
    match = glob_matcher(argv[2])
    return [channel for channel in channels if match(channel)]


@command("pubsub|channels")
def pubsub_channels(client: Client, argv: list[bytes]) -> Reply:
    return _channel_list(client, argv, client.server.pubsub.channels)


@command("pubsub|shardchannels")
def pubsub_shardchannels(client: Client, argv: list[bytes]) -> Reply:
    return _channel_list(client, argv, client.server.pubsub.shard_channels)


@command("pubsub|numsub")
def pubsub_numsub(client: Client, argv: list[bytes]) -> Reply:
    pubsub = client.server.pubsub
    reply: list = []
    for channel in argv[2:]:
        reply += [channel, pubsub.numsub(channel)]
    return reply


@command("pubsub|shardnumsub")
def pubsub_shardnumsub(client: Client, argv: list[bytes]) -> Reply:
    pubsub = client.server.pubsub
    reply: list = []
    for channel in argv[2:]:
        reply += [channel, pubsub.numsub(channel, SHARD)]
    return reply


@command("pubsub|numpat")
def pubsub_numpat(client: Client, argv: list[bytes]) -> Reply:
    return len(client.server.pubsub.patterns)
