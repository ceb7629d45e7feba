"""Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH, the sharded
SSUBSCRIBE SUNSUBSCRIBE SPUBLISH, and PUBSUB CHANNELS NUMSUB NUMPAT SHARDCHANNELS
SHARDNUMSUB HELP. The registry and message delivery are in pyredis.pubsub; the RESP2
subscribed-context restriction is checked by the server's command path."""
from __future__ import annotations

from .. import notifications
from ..blocking import may_block
from ..errors import RedisError
from ..glob import glob_matcher
from ..pubsub import PLAIN, SHARD, PubSub
from ..protocol.encode import NO_REPLY
from . import KeySpec, command, container, help_reply, on_server_init


@on_server_init
def setup(server) -> None:
    server.pubsub = PubSub()
    server.client_cleanup_hooks.append(server.pubsub.forget)
    notifications.setup(server)


def _check_may_subscribe(client, name: str, even_in_multi: bool = False) -> None:
    """A client that needs one reply per command (a script, a command inside EXEC) cannot
    enter the subscribed state; SUBSCRIBE and PSUBSCRIBE inside MULTI stay allowed."""
    if not may_block(client) and (even_in_multi or not client.in_multi):
        raise RedisError(f"ERR {name} isn't allowed for a DENY BLOCKING client")


@command("subscribe", -2, "pubsub noscript loading stale", group="pubsub", since="2.0.0",
         summary="Listen for messages published to the given channels",
         complexity="O(N) where N is the number of channels to subscribe to.",
         syntax="channel [channel ...]")
def subscribe(client, argv):
    _check_may_subscribe(client, "SUBSCRIBE")
    pubsub = client.server.pubsub
    for channel in argv[1:]:
        pubsub.subscribe(client, channel)
    return NO_REPLY


@command("unsubscribe", -1, "pubsub noscript loading stale", group="pubsub", since="2.0.0",
         summary="Stop listening for messages posted to the given channels",
         complexity="O(N) where N is the number of clients already subscribed to a channel.",
         syntax="[channel [channel ...]]")
def unsubscribe(client, argv):
    pubsub = client.server.pubsub
    if len(argv) == 1:
        pubsub.unsubscribe_all(client)
    for channel in argv[1:]:
        pubsub.unsubscribe(client, channel)
    return NO_REPLY


@command("psubscribe", -2, "pubsub noscript loading stale", group="pubsub", since="2.0.0",
         summary="Listen for messages published to channels matching the given patterns",
         complexity="O(N) where N is the number of patterns the client is already "
                    "subscribed to.",
         syntax="pattern [pattern ...]")
def psubscribe(client, argv):
    _check_may_subscribe(client, "PSUBSCRIBE")
    pubsub = client.server.pubsub
    for pattern in argv[1:]:
        pubsub.psubscribe(client, pattern)
    return NO_REPLY


@command("punsubscribe", -1, "pubsub noscript loading stale", group="pubsub", since="2.0.0",
         summary="Stop listening for messages posted to channels matching the given patterns",
         complexity="O(N+M) where N is the number of patterns the client is already "
                    "subscribed and M is the number of total patterns subscribed in the system "
                    "(by any client).",
         syntax="[pattern [pattern ...]]")
def punsubscribe(client, argv):
    pubsub = client.server.pubsub
    if len(argv) == 1:
        pubsub.punsubscribe_all(client)
    for pattern in argv[1:]:
        pubsub.punsubscribe(client, pattern)
    return NO_REPLY


@command("publish", 3, "pubsub loading stale fast may-replicate", group="pubsub",
         since="2.0.0", summary="Post a message to a channel",
         complexity="O(N+M) where N is the number of clients subscribed to the receiving "
                    "channel and M is the total number of subscribed patterns (by any client).",
         syntax="channel message")
def publish(client, argv):
    return client.server.pubsub.publish(argv[1], argv[2])


@command("ssubscribe", -2, "pubsub noscript loading stale", 1, -1, 1, group="pubsub",
         since="7.0.0", summary="Listen for messages published to the given shard channels",
         complexity="O(N) where N is the number of shard channels to subscribe to.",
         syntax="shardchannel [shardchannel ...]",
         key_specs=(KeySpec("not_key", index=1, last=-1),))
def ssubscribe(client, argv):
    _check_may_subscribe(client, "SSUBSCRIBE", even_in_multi=True)
    pubsub = client.server.pubsub
    for channel in argv[1:]:
        pubsub.subscribe(client, channel, SHARD)
    return NO_REPLY


@command("sunsubscribe", -1, "pubsub noscript loading stale", 1, -1, 1, group="pubsub",
         since="7.0.0", summary="Stop listening for messages posted to the given shard channels",
         complexity="O(N) where N is the number of clients already subscribed to a shard "
                    "channel.",
         syntax="[shardchannel [shardchannel ...]]",
         key_specs=(KeySpec("not_key", index=1, last=-1),))
def sunsubscribe(client, argv):
    pubsub = client.server.pubsub
    if len(argv) == 1:
        pubsub.unsubscribe_all(client, SHARD)
    for channel in argv[1:]:
        pubsub.unsubscribe(client, channel, SHARD)
    return NO_REPLY


@command("spublish", 3, "pubsub loading stale fast may-replicate", 1, group="pubsub",
         since="7.0.0", summary="Post a message to a shard channel",
         complexity="O(N) where N is the number of clients subscribed to the receiving shard "
                    "channel.",
         syntax="shardchannel message",
         key_specs=(KeySpec("not_key", index=1),))
def spublish(client, argv):
    return client.server.pubsub.publish(argv[1], argv[2], SHARD)


# -- PUBSUB ------------------------------------------------------------------------------

container("pubsub", group="pubsub", since="2.8.0")

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


@command("pubsub|help", 2, "loading stale", group="pubsub", since="6.2.0",
         summary="Show helpful text about the different subcommands", complexity="O(1)",
         categories="-pubsub")
def pubsub_help(client, argv):
    return help_reply(argv, HELP)


def _channel_list(client, argv, channels: dict) -> list:
    if len(argv) > 3:
        raise RedisError("ERR unknown subcommand or wrong number of arguments for '%s'. "
                         "Try PUBSUB HELP." % argv[1].decode(errors="replace"))
    if len(argv) == 2:
        return list(channels)
    match = glob_matcher(argv[2])
    return [channel for channel in channels if match(channel)]


@command("pubsub|channels", -2, "pubsub loading stale", group="pubsub", since="2.8.0",
         summary="List active channels",
         complexity="O(N) where N is the number of active channels, and assuming constant time "
                    "pattern matching (relatively short channels and patterns)",
         syntax="[pattern]")
def pubsub_channels(client, argv):
    return _channel_list(client, argv, client.server.pubsub.channels)


@command("pubsub|shardchannels", -2, "pubsub loading stale", group="pubsub", since="7.0.0",
         summary="List active shard channels",
         complexity="O(N) where N is the number of active shard channels, and assuming "
                    "constant time pattern matching (relatively short shard channels).",
         syntax="[pattern]")
def pubsub_shardchannels(client, argv):
    return _channel_list(client, argv, client.server.pubsub.shard_channels)


@command("pubsub|numsub", -2, "pubsub loading stale", group="pubsub", since="2.8.0",
         summary="Get the count of subscribers for channels",
         complexity="O(N) for the NUMSUB subcommand, where N is the number of requested "
                    "channels",
         syntax="[channel [channel ...]]")
def pubsub_numsub(client, argv):
    pubsub = client.server.pubsub
    reply: list = []
    for channel in argv[2:]:
        reply += [channel, pubsub.numsub(channel)]
    return reply


@command("pubsub|shardnumsub", -2, "pubsub loading stale", group="pubsub", since="7.0.0",
         summary="Get the count of subscribers for shard channels",
         complexity="O(N) for the SHARDNUMSUB subcommand, where N is the number of requested "
                    "shard channels",
         syntax="[shardchannel [shardchannel ...]]")
def pubsub_shardnumsub(client, argv):
    pubsub = client.server.pubsub
    reply: list = []
    for channel in argv[2:]:
        reply += [channel, pubsub.numsub(channel, SHARD)]
    return reply


@command("pubsub|numpat", 2, "pubsub loading stale", group="pubsub", since="2.8.0",
         summary="Get the count of unique patterns pattern subscriptions", complexity="O(1)")
def pubsub_numpat(client, argv):
    return len(client.server.pubsub.patterns)
