"""Generic key commands."""
from __future__ import annotations

from . import command


@command("del", -2, "write", 1, -1, group="generic", summary="Delete a key",
         complexity="O(N) where N is the number of keys that will be removed.",
         syntax="key [key ...]")
def del_(client, argv):
    db = client.db
    return sum(1 for key in argv[1:] if db.delete(key))
