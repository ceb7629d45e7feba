"""Server commands."""
from __future__ import annotations

from . import command


@command("dbsize", 1, "readonly fast", group="server",
         summary="Return the number of keys in the selected database", complexity="O(1)")
def dbsize(client, argv):
    return len(client.db)


@command("flushall", -1, "write", group="server", summary="Remove all keys from all databases",
         complexity="O(N) where N is the total number of keys in all databases",
         syntax="[ASYNC | SYNC]")
def flushall(client, argv):
    from ..args import ArgReader
    from ..resp import OK
    reader = ArgReader(argv)
    reader.match(b"ASYNC", b"SYNC")
    reader.done()
    for db in client.server.dbs:
        db.flush()
    return OK
