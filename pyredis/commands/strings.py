"""String commands."""
from __future__ import annotations

from ..resp import OK
from . import command


@command("get", 2, "readonly fast", 1, group="string", summary="Get the value of a key",
         complexity="O(1)", syntax="key")
def get(client, argv):
    return client.db.get_typed(argv[1], bytes)


@command("set", -3, "write denyoom", 1, group="string",
         summary="Set the string value of a key", complexity="O(1)",
         syntax="key value [NX | XX] [GET] [EX seconds | PX milliseconds | "
                "EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]")
def set_(client, argv):
    client.db.set(argv[1], argv[2])
    return OK
