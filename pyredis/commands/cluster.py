"""CLUSTER, READONLY, READWRITE and ASKING as a standalone Redis answers them: pyredis has no
cluster mode (cluster-enabled stays no), so every one replies that cluster support is
disabled, as redis-server does without cluster-enabled."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import CLUSTER_DISABLED, RedisError
from ..protocol.encode import Reply
from . import command, subcommand_names

if TYPE_CHECKING:
    from ..client import Client


def cluster_disabled(client: Client, argv: list[bytes]) -> Reply:
    raise RedisError(CLUSTER_DISABLED)


# Every CLUSTER subcommand answers so, HELP included, as in Redis without cluster-enabled.
for _name in subcommand_names("cluster"):
    command(_name)(cluster_disabled)


@command("readonly")
def readonly(client: Client, argv: list[bytes]) -> Reply:
    raise RedisError(CLUSTER_DISABLED)


@command("readwrite")
def readwrite(client: Client, argv: list[bytes]) -> Reply:
    raise RedisError(CLUSTER_DISABLED)


@command("asking")
def asking(client: Client, argv: list[bytes]) -> Reply:
    raise RedisError(CLUSTER_DISABLED)
