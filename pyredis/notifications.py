"""Keyspace notifications (notify-keyspace-events): Database.notify publishes
`__keyspace@<db>__:<key>` -> event and `__keyevent@<db>__:<event>` -> key on Pub/Sub.

The hook is installed in the keyspace's events only while some event class is enabled, so a
server without notifications pays one attribute check per write."""
from __future__ import annotations

from typing import Any


class Notifications:
    """The server's part for keyspace notifications; needs server.pubsub."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.configure()

    def configure(self) -> None:
        """Set or clear the keyspace's notify hook from the configured classes (at start and
        on CONFIG SET notify-keyspace-events)."""
        server = self.server
        flags = server.config.notify_keyspace_events
        events = server.keyspace.events
        if not flags or ("K" not in flags and "E" not in flags):
            events.notify = None
            return
        keyspace = "K" in flags
        keyevent = "E" in flags
        publish = server.pubsub.publish

        def notify(db: Any, event_class: str, event: str, key: bytes) -> None:
            if event_class not in flags:
                return
            name = event.encode()
            if keyspace:
                publish(b"__keyspace@%d__:%s" % (db.index, key), name)
            if keyevent:
                publish(b"__keyevent@%d__:%s" % (db.index, name), key)

        events.notify = notify
