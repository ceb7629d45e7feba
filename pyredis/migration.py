"""MIGRATE's connections to its targets, kept between calls as Redis keeps them: one per
host:port as the command spelled them, remembering the database last selected there (so
that the next MIGRATE to it sends no SELECT), closed by the cron after 10 idle seconds, and
one dropped at random when 64 are open. INFO's migrate_cached_sockets counts them."""
from __future__ import annotations

import random
import socket
from typing import Optional

IDLE_SECONDS = 10
MAX_SOCKETS = 64


class RefusedConnection(Exception):
    """The target refused the connection: Redis's non-blocking connect only learns it when
    it writes, so MIGRATE reports a write error."""


class CachedSocket:
    __slots__ = ("name", "sock", "last_dbid", "last_use")

    def __init__(self, name: bytes, sock: socket.socket, now: float) -> None:
        self.name = name             # host:port as MIGRATE spelled them
        self.sock = sock
        self.last_dbid = -1          # no database selected yet
        self.last_use = now


class MigrateSockets:
    def __init__(self) -> None:
        self.cached: dict[bytes, CachedSocket] = {}

    def __len__(self) -> int:
        return len(self.cached)

    def get(self, host: bytes, port: bytes, port_number: int, timeout_ms: int,
            now: float) -> Optional[CachedSocket]:
        """The connection to host:port, cached or new; None when it cannot be made (a
        refused one raises RefusedConnection)."""
        name = host + b":" + port
        cached = self.cached.get(name)
        if cached is not None:
            cached.last_use = now
            return cached
        if len(self.cached) == MAX_SOCKETS:
            self.close(random.choice(list(self.cached)))
        address = host.split(b"\0", 1)[0].decode(errors="replace")
        try:
            sock = socket.create_connection((address, port_number), timeout=timeout_ms / 1000)
        except ConnectionRefusedError:
            raise RefusedConnection() from None
        except (OSError, ValueError, OverflowError):
            return None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cached = self.cached[name] = CachedSocket(name, sock, now)
        return cached

    def close(self, name: bytes) -> None:
        cached = self.cached.pop(name, None)
        if cached is not None:
            cached.sock.close()

    def close_idle(self, now: float) -> None:
        """The cron's part: close the connections unused for more than 10 seconds."""
        for name in [n for n, c in self.cached.items() if now - c.last_use > IDLE_SECONDS]:
            self.close(name)
