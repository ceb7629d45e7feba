"""SYNC, PSYNC and REPLCONF: what a replica sends its master; WAIT and FAILOVER (the master's
side lives in replication.py); REPLICAOF / SLAVEOF and ROLE (the replica's side lives in
replica.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from ..args import parse_int, parse_range_int
from ..blocking import parse_timeout
from ..client import FLAG_MONITOR
from ..errors import (FAILOVER_FORCE, FAILOVER_NO_REPLICAS, FAILOVER_NONE,
                      FAILOVER_NOT_A_REPLICA, FAILOVER_NOT_ONLINE, FAILOVER_ON_REPLICA,
                      FAILOVER_RUNNING, FAILOVER_TIMEOUT, NOMASTERLINK, PSYNC_FAILOVER_REPLID,
                      PSYNC_FAILOVER_TO_MASTER, REPLICAOF_REPLICA_CLIENT,
                      REPLICAOF_WHILE_FAILING_OVER, SYNC_PENDING_OUTPUT,
                      SYNC_WHILE_FAILING_OVER, WAIT_ON_REPLICA, RedisError,
                      replconf_ip_too_long, replconf_unknown_option, syntax_error)
from ..protocol.encode import NO_REPLY, OK, Reply, SimpleString
from ..replica import CONNECTED
from ..replication import FLAG_REPLICA, NO_FAILOVER, ONLINE
from ..types.integers import string2ll
from . import command

if TYPE_CHECKING:
    from ..client import Client

HOST_MAX_LENGTH = 256   # NET_HOST_STR_LEN: room for an announced address


@command("sync")
@command("psync")
def sync(client: Client, argv: list[bytes]) -> Reply:
    """SYNC, or PSYNC <replid> <offset>: the client becomes a replica, served the RDB and
    then the stream (no reply of the usual kind: what follows is the transfer)."""
    if FLAG_REPLICA in client.flags or FLAG_MONITOR in client.flags:
        return NO_REPLY      # already a replica (or a monitor): ignored, as Redis does
    server = client.server
    if len(argv) > 3 and argv[0].lower() == b"psync" and argv[3].lower() == b"failover":
        # Our master hands its role over: its history is ours, so we become the master.
        server.log_warning(f"Failover request received for replid "
                           f"{argv[1].decode(errors='replace')}.")
        if not server.replica.active:
            raise RedisError(PSYNC_FAILOVER_TO_MASTER)
        if argv[1] != server.replid.encode():
            raise RedisError(PSYNC_FAILOVER_REPLID)
        server.replica.unset_master()
        server.log("notice", "MASTER MODE enabled (failover request from "
                   f"'{client.info_string()}')")
    if server.replication.failover_state != NO_FAILOVER:
        raise RedisError(SYNC_WHILE_FAILING_OVER)
    replica = server.replica
    if replica.active and replica.state != CONNECTED:
        raise RedisError(NOMASTERLINK)   # nothing to give: our own copy is not current
    if client.reply:
        # The stream must start on a clean connection.
        raise RedisError(SYNC_PENDING_OUTPUT)
    replication = client.server.replication
    if argv[0].lower() == b"psync":
        try:
            offset = parse_int(argv[2])
        except RedisError:
            client.server.log_warning(f"Replica {replication.link(client).name()} asks for "
                                      "synchronization but with a wrong offset")
            raise
        replication.sync(client, argv[1], offset)
    else:
        replication.sync(client, None, 0)
    return NO_REPLY


@command("replconf")
def replconf(client: Client, argv: list[bytes]) -> Reply:
    """REPLCONF <option> <value> ...: what a replica tells its master about itself, and
    ACK, its offset (which gets no reply)."""
    if len(argv) % 2 == 0:
        raise syntax_error()
    replication = client.server.replication
    link = replication.link(client)
    for i in range(1, len(argv), 2):
        option, value = argv[i].lower(), argv[i + 1]
        if option == b"listening-port":
            link.listening_port = parse_int(value)
        elif option == b"ip-address":
            if len(value) >= HOST_MAX_LENGTH:
                raise replconf_ip_too_long(len(value))
            link.announced_ip = value.decode(errors="replace")
        elif option == b"capa":
            # Capabilities this master does not know are ignored.
            word = value.lower()
            if word == b"eof":
                link.capa_eof = True
            elif word == b"psync2":
                link.capa_psync2 = True
        elif option == b"ack":
            if FLAG_REPLICA in client.flags:
                offset = string2ll(value)
                if offset is not None:
                    replication.ack(link, offset)
            return NO_REPLY
        elif option == b"getack":
            # Asked of a replica by its master; a master has nothing to answer.
            if client.server.replica.is_master(client):
                client.server.replica.send_ack()
            return NO_REPLY
        elif option == b"rdb-only":
            link.rdb_only = parse_range_int(value, 0, 1) == 1
        elif option == b"rdb-filter-only":
            raise syntax_error()     # filtered RDBs (redis-cli --functions-rdb) are not served
        else:
            raise replconf_unknown_option(argv[i])
    return OK



@command("wait")
def wait(client: Client, argv: list[bytes]) -> Reply:
    """WAIT numreplicas timeout: how many replicas acknowledged this client's writes, once
    `numreplicas` did or `timeout` milliseconds passed (0: no limit)."""
    if client.server.replica.active:
        raise RedisError(WAIT_ON_REPLICA)
    numreplicas = parse_int(argv[1])
    timeout = parse_timeout(argv[2], milliseconds=True)
    acked = client.server.replication.wait(client, numreplicas, timeout)
    return NO_REPLY if acked is None else acked


@command("failover")
def failover(client: Client, argv: list[bytes]) -> Reply:
    """FAILOVER [TO host port [FORCE]] [TIMEOUT ms] | FAILOVER ABORT: hand the master role to
    a replica once it caught up (writes paused meanwhile), this server following it."""
    replication = client.server.replication
    if len(argv) == 2 and argv[1].lower() == b"abort":
        if replication.failover_state == NO_FAILOVER:
            raise RedisError(FAILOVER_NONE)
        replication.abort_failover("Failover manually aborted")
        return OK
    timeout = 0
    force = False
    host: Optional[str] = None
    port = 0
    i = 1
    while i < len(argv):
        word = argv[i].lower()
        if word == b"timeout" and i + 1 < len(argv) and not timeout:
            timeout = parse_int(argv[i + 1])
            if timeout <= 0:
                raise RedisError(FAILOVER_TIMEOUT)
            i += 1
        elif word == b"to" and i + 2 < len(argv) and host is None:
            port = parse_int(argv[i + 2])
            host = argv[i + 1].decode(errors="surrogateescape")
            i += 2
        elif word == b"force" and not force:
            force = True
        else:
            raise syntax_error()
        i += 1
    if replication.failover_state != NO_FAILOVER:
        raise RedisError(FAILOVER_RUNNING)
    if client.server.replica.active:
        raise RedisError(FAILOVER_ON_REPLICA)
    if not replication.replicas:
        raise RedisError(FAILOVER_NO_REPLICAS)
    if force and (not timeout or host is None):
        raise RedisError(FAILOVER_FORCE)
    if host is not None:
        link = replication.find_replica(host, port)
        if link is None:
            raise RedisError(FAILOVER_NOT_A_REPLICA)
        if link.state != ONLINE:
            raise RedisError(FAILOVER_NOT_ONLINE)
    replication.start_failover(host, port, timeout, force)
    return OK


@command("replicaof")
@command("slaveof")
def replicaof(client: Client, argv: list[bytes]) -> Reply:
    """REPLICAOF host port: follow that master; REPLICAOF NO ONE: be a master again."""
    server = client.server
    replica = server.replica
    if server.replication.failover_state != NO_FAILOVER:
        raise RedisError(REPLICAOF_WHILE_FAILING_OVER)
    if argv[1].lower() == b"no" and argv[2].lower() == b"one":
        if replica.active:
            replica.unset_master()
            server.config.replicaof = ""
            server.log("notice", "MASTER MODE enabled (user request from "
                       f"'{client.info_string()}')")
        return OK
    if FLAG_REPLICA in client.flags:
        raise RedisError(REPLICAOF_REPLICA_CLIENT)
    port = parse_range_int(argv[2], 0, 65535, "ERR Invalid master port")
    host = argv[1].decode(errors="surrogateescape")
    if replica.active and replica.host is not None and replica.host.lower() == host.lower() \
            and replica.port == port:
        server.log("notice", "REPLICAOF would result into synchronization with the master "
                   "we are already connected with. No operation performed.")
        return SimpleString(b"OK Already connected to specified master")
    replica.set_master(host, port)
    server.config.replicaof = f"{host} {port}"
    server.log("notice", f"REPLICAOF {host}:{port} enabled (user request from "
               f"'{client.info_string()}')")
    return OK


@command("role")
def role(client: Client, argv: list[bytes]) -> Reply:
    """ROLE: master with its offset and online replicas, or replica with its master, the
    link's state and the offset applied."""
    server = client.server
    replica = server.replica
    if not replica.active:
        replication = server.replication
        replicas: list = []
        for link in replication.replicas:
            if link.state != ONLINE:
                continue
            ip = link.announced_ip or link.client.addr.rsplit(":", 1)[0].strip("[]")
            replicas.append([ip.encode(), b"%d" % link.listening_port,
                             b"%d" % link.ack_offset])
        return [b"master", replication.master_repl_offset, replicas]
    return [b"slave", (replica.host or "").encode(errors="surrogateescape"), replica.port,
            replica.role_state().encode(),
            replica.reploff if replica.master is not None else -1]
