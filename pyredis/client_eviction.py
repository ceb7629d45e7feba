"""Client eviction (maxmemory-clients, Redis 7.0): when the memory of the normal and pub/sub
clients together reaches the limit, the biggest clients are closed until it is under again.
Each client's figure is CLIENT LIST's tot-mem (Client.memory_usage), taken again whenever its
buffers may have changed: after its input is read and run, after its replies are written, and
before each command. Clients with CLIENT NO-EVICT on, replicas and the master are left out.
Nothing is counted while maxmemory-clients is 0 (the default)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .client import FLAG_MONITOR

if TYPE_CHECKING:
    from .client import Client
    from .server import Server

MIN_LIMIT = 128 * 1024   # a smaller limit would leave no room to talk to the server at all


class ClientEviction:
    __slots__ = ("server", "total", "counted")

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.total = 0                            # the sum of `counted`
        self.counted: dict["Client", int] = {}    # each evictable client's last figure

    def limit(self) -> int:
        """The limit in bytes (a negative maxmemory-clients is a percentage of maxmemory);
        0: no client eviction."""
        config = self.server.config
        setting = config.maxmemory_clients
        if setting < 0:
            if not config.maxmemory:
                return 0
            limit = int(config.maxmemory * -setting / 100)
        else:
            limit = setting
        return max(limit, MIN_LIMIT) if limit else 0

    def update(self, client: "Client", running: bool = False) -> None:
        """Take `client`'s figure again (when client eviction is on); `running`: its
        command is about to run, its arguments count."""
        if not self.server.config.maxmemory_clients:
            return
        old = self.counted.pop(client, 0)
        self.total -= old
        if client.closed or client.no_evict or FLAG_MONITOR in client.flags \
                or "S" in client.flags or "M" in client.flags:
            return
        mem = client.memory_usage(running)
        self.counted[client] = mem
        self.total += mem

    def forget(self, client: "Client") -> None:
        self.total -= self.counted.pop(client, 0)

    def recount(self) -> None:
        """maxmemory-clients or maxmemory changed: count every client from scratch."""
        self.counted.clear()
        self.total = 0
        for client in list(self.server.clients.values()):
            self.update(client)

    def evict(self) -> None:
        """Close the biggest clients until the total is under the limit (Redis's
        evictClients)."""
        limit = self.limit()
        if not limit or self.total < limit:
            return
        server = self.server
        for client in sorted(self.counted, key=self.counted.__getitem__, reverse=True):
            if self.total < limit:
                return
            server.log("notice", f"Evicting client: {client.info_string()}")
            server.stats.evicted_clients += 1
            client.close()       # free_client forgets it, taking its figure off the total
        if self.total >= limit:
            server.log_warning("Over client maxmemory after evicting all evictable clients")
