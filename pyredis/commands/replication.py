"""SYNC, PSYNC and REPLCONF: what a replica sends its master (the master's side lives in
replication.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..args import parse_int, parse_range_int
from ..client import FLAG_MONITOR
from ..errors import (SYNC_PENDING_OUTPUT, RedisError, replconf_ip_too_long,
                      replconf_unknown_option, syntax_error)
from ..protocol.encode import NO_REPLY, OK, Reply
from ..replication import FLAG_REPLICA
from ..types import string2ll
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
            return NO_REPLY
        elif option == b"rdb-only":
            link.rdb_only = parse_range_int(value, 0, 1) == 1
        elif option == b"rdb-filter-only":
            raise syntax_error()     # filtered RDBs (redis-cli --functions-rdb) are not served
        else:
            raise replconf_unknown_option(argv[i])
    return OK

