"""CLUSTER, READONLY, READWRITE and ASKING as a standalone Redis answers them: pyredis has no
cluster mode (cluster-enabled stays no), so every one replies that cluster support is
disabled, as redis-server does without cluster-enabled."""
from __future__ import annotations

from ..errors import RedisError
from . import command, container

DISABLED = "ERR This instance has cluster support disabled"

container("cluster", group="cluster", since="3.0.0",
          summary="A container for cluster commands")

# (subcommand, arity, flags, since, summary, complexity, syntax, tips, doc flags)
ADMIN = "admin stale no-async-loading"
SUBCOMMANDS = [
    ("addslots", -3, ADMIN, "3.0.0", "Assign new hash slots to receiving node",
     "O(N) where N is the total number of hash slot arguments", "slot [slot ...]", ""),
    ("addslotsrange", -4, ADMIN, "7.0.0", "Assign new hash slots to receiving node",
     "O(N) where N is the total number of the slots between the start slot and end slot "
     "arguments.", "start-slot end-slot [start-slot end-slot ...]", ""),
    ("bumpepoch", 2, ADMIN, "3.0.0", "Advance the cluster config epoch", "O(1)", "",
     "nondeterministic_output"),
    ("count-failure-reports", 3, "admin stale", "3.0.0",
     "Return the number of failure reports active for a given node",
     "O(N) where N is the number of failure reports", "node-id", "nondeterministic_output"),
    ("countkeysinslot", 3, "stale", "3.0.0",
     "Return the number of local keys in the specified hash slot", "O(1)", "slot", ""),
    ("delslots", -3, ADMIN, "3.0.0", "Set hash slots as unbound in receiving node",
     "O(N) where N is the total number of hash slot arguments", "slot [slot ...]", ""),
    ("delslotsrange", -4, ADMIN, "7.0.0", "Set hash slots as unbound in receiving node",
     "O(N) where N is the total number of the slots between the start slot and end slot "
     "arguments.", "start-slot end-slot [start-slot end-slot ...]", ""),
    ("failover", -2, ADMIN, "3.0.0",
     "Forces a replica to perform a manual failover of its master.", "O(1)",
     "[FORCE | TAKEOVER]", ""),
    ("flushslots", 2, ADMIN, "3.0.0", "Delete a node's own slots information", "O(1)", "",
     ""),
    ("forget", 3, ADMIN, "3.0.0", "Remove a node from the nodes table", "O(1)", "node-id",
     ""),
    ("getkeysinslot", 4, "stale", "3.0.0", "Return local key names in the specified hash slot",
     "O(log(N)) where N is the number of requested keys", "slot count",
     "nondeterministic_output"),
    ("info", 2, "stale", "3.0.0", "Provides info about Redis Cluster node state", "O(1)", "",
     "nondeterministic_output"),
    ("keyslot", 3, "stale", "3.0.0", "Returns the hash slot of the specified key",
     "O(N) where N is the number of bytes in the key", "key", ""),
    ("links", 2, "stale", "7.0.0",
     "Returns a list of all TCP links to and from peer nodes in cluster",
     "O(N) where N is the total number of Cluster nodes", "", "nondeterministic_output"),
    ("meet", -4, ADMIN, "3.0.0", "Force a node cluster to handshake with another node",
     "O(1)", "ip port [cluster_bus_port]", ""),
    ("myid", 2, "stale", "3.0.0", "Return the node id", "O(1)", "", ""),
    ("nodes", 2, "stale", "3.0.0", "Get Cluster config for the node",
     "O(N) where N is the total number of Cluster nodes", "", "nondeterministic_output"),
    ("replicas", 3, "admin stale", "5.0.0", "List replica nodes of the specified master node",
     "O(1)", "node-id", "nondeterministic_output"),
    ("replicate", 3, ADMIN, "3.0.0",
     "Reconfigure a node as a replica of the specified master node", "O(1)", "node-id", ""),
    ("reset", -2, "admin noscript stale", "3.0.0", "Reset a Redis Cluster node",
     "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a "
     "side effect.", "[HARD | SOFT]", ""),
    ("saveconfig", 2, ADMIN, "3.0.0", "Forces the node to save cluster state on disk",
     "O(1)", "", ""),
    ("set-config-epoch", 3, ADMIN, "3.0.0", "Set the configuration epoch in a new node",
     "O(1)", "config-epoch", ""),
    ("setslot", -4, ADMIN, "3.0.0", "Bind a hash slot to a specific node", "O(1)",
     "slot <IMPORTING node-id | MIGRATING node-id | NODE node-id | STABLE>", ""),
    ("shards", 2, "stale", "7.0.0", "Get array of cluster slots to node mappings",
     "O(N) where N is the total number of cluster nodes", "", "nondeterministic_output"),
    ("help", 2, "loading stale", "5.0.0",
     "Show helpful text about the different subcommands", "O(1)", "", ""),
]
DEPRECATED = [
    ("slaves", 3, "admin stale", "3.0.0", "List replica nodes of the specified master node",
     "O(1)", "node-id", "nondeterministic_output", "5.0.0", "`CLUSTER REPLICAS`"),
    ("slots", 2, "stale", "3.0.0", "Get array of Cluster slot to node mappings",
     "O(N) where N is the total number of Cluster nodes", "", "nondeterministic_output",
     "7.0.0", "`CLUSTER SHARDS`"),
]


def cluster_disabled(client, argv):
    raise RedisError(DISABLED)


for _name, _arity, _flags, _since, _summary, _complexity, _syntax, _tips in SUBCOMMANDS:
    command(f"cluster|{_name}", _arity, _flags, group="cluster", since=_since,
            summary=_summary, complexity=_complexity, syntax=_syntax,
            tips=_tips)(cluster_disabled)

for (_name, _arity, _flags, _since, _summary, _complexity, _syntax, _tips, _deprecated,
     _replaced) in DEPRECATED:
    command(f"cluster|{_name}", _arity, _flags, group="cluster", since=_since,
            summary=_summary, complexity=_complexity, syntax=_syntax, tips=_tips,
            doc_flags="deprecated", deprecated_since=_deprecated,
            replaced_by=_replaced)(cluster_disabled)


@command("readonly", 1, "loading stale fast", group="cluster", since="3.0.0",
         categories="connection",
         summary="Enables read queries for a connection to a cluster replica node",
         complexity="O(1)")
def readonly(client, argv):
    raise RedisError(DISABLED)


@command("readwrite", 1, "loading stale fast", group="cluster", since="3.0.0",
         categories="connection",
         summary="Disables read queries for a connection to a cluster replica node",
         complexity="O(1)")
def readwrite(client, argv):
    raise RedisError(DISABLED)


@command("asking", 1, "fast", group="cluster", since="3.0.0", categories="connection",
         summary="Sent by cluster clients after an -ASK redirect", complexity="O(1)")
def asking(client, argv):
    raise RedisError(DISABLED)
