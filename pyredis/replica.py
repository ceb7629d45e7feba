"""Replication, the replica side (Redis's replication.c, SLAVE part): the link to a master.

REPLICAOF host port starts it: a non-blocking connect, then the handshake (PING, AUTH with
masterauth, REPLCONF listening-port / ip-address / capa eof capa psync2, PSYNC), each reply
read as it comes so the loop never waits. A full resynchronisation receives the master's
RDB (`$<size>` or `$EOF:<mark>` framed) into a temporary file a read at a time, then loads it
as dbfilename; or, with repl-diskless-load, parses it straight from the socket (a blocking
load that serves clients now and then, as a load from disk does), either into the emptied
dataset or, with swapdb, beside the old one, which stays if the transfer fails. A partial
resynchronisation (+CONTINUE) resumes the cached master. The master then is a
client with flag M whose commands run through the normal command path without replies;
the bytes it applied count as its offset and go on, unchanged, to this server's backlog and
sub-replicas. Once a second the cron acknowledges the offset, times out a silent master and
reconnects a broken link.
"""
from __future__ import annotations

import os
import socket
import time
from typing import TYPE_CHECKING, Optional

from .acl import User
from .blocking import unblock
from .client import FLAG_MASTER, Client
from .db import Database, flush_databases, swap_databases
from .errors import FORCE_UNBLOCKED, ProtocolError
from .persistence import rdb
from .protocol.encode import encode_command
from .replication import FAILOVER_IN_PROGRESS, NO_REPLID

if TYPE_CHECKING:
    from .commands import Command
    from .scripting import FunctionSet
    from .server import Server

# The link's states (Redis's REPL_STATE_*), with ROLE's names for them.
NONE = "none"
CONNECT = "connect"                 # to connect at the next cron run
CONNECTING = "connecting"
RECEIVE_PING_REPLY = "receive_ping_reply"
RECEIVE_AUTH_REPLY = "receive_auth_reply"
RECEIVE_PORT_REPLY = "receive_port_reply"
RECEIVE_IP_REPLY = "receive_ip_reply"
RECEIVE_CAPA_REPLY = "receive_capa_reply"
RECEIVE_PSYNC_REPLY = "receive_psync_reply"
TRANSFER = "transfer"               # the RDB arrives
CONNECTED = "connected"             # the stream flows
HANDSHAKE = (RECEIVE_PING_REPLY, RECEIVE_AUTH_REPLY, RECEIVE_PORT_REPLY, RECEIVE_IP_REPLY,
             RECEIVE_CAPA_REPLY, RECEIVE_PSYNC_REPLY)

# The master's commands are checked against no ACL rule (Redis gives its client no user).
SUPERUSER = User(b"(superuser)")
for _rule in (b"on", b"nopass", b"allcommands", b"allkeys", b"allchannels"):
    SUPERUSER.apply(_rule, True)

READ_SIZE = 16 * 1024       # PROTO_IOBUF_LEN: a read of the handshake or the stream
# A transfer's read: Redis reads 16 KB a turn of its loop; a turn costs pyredis far more,
# so it takes more per turn for the same price (the file is written as it comes).
TRANSFER_READ_SIZE = 256 * 1024
EOF_MARK_SIZE = 40          # RDB_EOF_MARK_SIZE


def request_size(argv: list[bytes]) -> int:
    """The bytes of a request as a master writes it (RESP, lengths without padding): what
    the parser consumed for it, a partial request's head left over from a read included."""
    size = len(b"*%d\r\n" % len(argv))
    for arg in argv:
        n = len(arg)
        size += n + (6 if n < 10 else 7 if n < 100 else len(b"%d" % n) + 5)
    return size


class Replica:
    def __init__(self, server: "Server") -> None:
        self.server = server
        self.host: Optional[str] = None       # the master's, while this server is a replica
        self.port = 0
        self.state = NONE
        self.sock: Optional[socket.socket] = None   # the handshake's and transfer's socket
        self.inbuf = b""                      # bytes read and not yet used by them
        self.lastio = 0.0                     # the handshake's or transfer's last read
        self.down_since = 0.0                 # when the link went down (0: never up)
        # The master as last known (Redis's server.master, or cached_master while the link
        # is down): its replication id, the offset of the last byte applied, the offset of
        # the last byte read, the db its stream selected.
        self.master: Optional[Client] = None
        self.cached = False
        self.master_replid = NO_REPLID
        self.reploff = 0
        self.read_reploff = 0
        self.unapplied = bytearray()          # read from the master, not yet applied
        self.multi_bytes = 0                  # applied inside a MULTI not yet executed
        # A full resynchronisation: the master's id and offset, the payload's framing.
        self.initial_replid = NO_REPLID
        self.initial_offset = -1
        self.transfer_size = -1
        self.transfer_read = 0
        self.eof_mark = b""
        self.tail = b""                       # the payload's last bytes (for $EOF:)
        self.diskless = False                 # parsed from the socket, not from a file
        self.tmpfile = ""
        self.tmp_fd = -1
        self.cached_db = 0                    # the db the cached master's stream selected
        # Keys with a TTL written by clients of a writable replica: the master knows
        # nothing of them, so this replica expires them itself (Redis's slaveKeysWithExpire).
        self.own_expires: dict[tuple[int, bytes], None] = {}
        value = server.config.replicaof
        if value:
            host, port = value.rsplit(" ", 1)
            self.host, self.port = host, int(port)
            self.state = CONNECT

    @property
    def active(self) -> bool:
        """This server is a replica (Redis's server.masterhost != NULL)."""
        return self.host is not None

    def is_master(self, client: Optional[Client]) -> bool:
        return client is not None and client is self.master

    def refuses_writes(self, client: Client) -> bool:
        """A read-only replica takes writes from its master only (and replays its AOF)."""
        return self.host is not None and self.server.config.replica_read_only \
            and not client.must_obey()

    # -- REPLICAOF -----------------------------------------------------------------------

    def set_master(self, host: str, port: int) -> None:
        """REPLICAOF host port (Redis's replicationSetMaster)."""
        server = self.server
        was_master = self.host is None
        self.host = None
        if self.master is not None:
            self.master.close()               # cached: the new master may continue it
        self.unblock_clients()
        self.host, self.port = host, port
        self.cancel_handshake(reconnect=False)
        if was_master:
            # Our own history may be the new master's: offer it as a cached master.
            self.discard_cached()
            self.cached = True
            self.master_replid = server.replid
            self.reploff = self.read_reploff = server.replication.master_repl_offset
            server.log("notice", "Before turning into a replica, using my own master "
                       "parameters to synthesize a cached master: I may be able to "
                       "synchronize with the new master with just a partial transfer.")
        server.propagation.refresh()
        self.state = CONNECT
        server.log("notice", f"Connecting to MASTER {host}:{port}")
        self.connect()

    def unblock_clients(self) -> None:
        """Clients blocked while this server was a master get an error and are closed: what
        they wait for would now come from the master (Redis's disconnectAllBlockedClients)."""
        for client in list(self.server.clients.values()):
            if client.blocked is not None:
                client.add_error(FORCE_UNBLOCKED)
                unblock(client)
                client.close_after_reply = True

    def unset_master(self) -> None:
        """REPLICAOF NO ONE (Redis's replicationUnsetMaster): a new history starts here,
        the old one kept as the second id so replicas of the old master can continue."""
        server = self.server
        if self.host is None:
            return
        self.host = None
        if self.master is not None:
            self.master.close()
        self.discard_cached()
        self.cancel_handshake(reconnect=False)
        self.own_expires.clear()
        replication = server.replication
        replication.replid2 = server.replid
        replication.second_replid_offset = replication.master_repl_offset + 1
        replication.change_replid()
        server.log_warning(f"Setting secondary replication ID to {replication.replid2}, "
                           f"valid up to offset: {replication.second_replid_offset}. New "
                           f"replication ID is {server.replid}")
        replication.disconnect_replicas()
        self.state = NONE
        replication.stream_db = -1
        replication.no_replicas_since = time.time()
        self.down_since = 0.0
        server.propagation.refresh()

    def restore_history(self, aux: dict[bytes, bytes]) -> None:
        """The RDB loaded at start-up recorded where it stood in a replication history: a
        replica offers it to its master as a cached master; a master keeps it as its
        second id, so its replicas may continue (Redis's loadDataFromDisk)."""
        replid = aux.get(b"repl-id", b"").decode(errors="replace")
        offset, stream_db = aux.get(b"repl-offset", b""), aux.get(b"repl-stream-db", b"")
        if len(replid) != 40 or not offset.lstrip(b"-").isdigit() or not stream_db.isdigit():
            return
        server = self.server
        replication = server.replication
        if self.active:
            server.replid = replid
            replication.master_repl_offset = int(offset)
            self.cached = True
            self.master_replid = replid
            self.reploff = self.read_reploff = int(offset)
            self.cached_db = int(stream_db)
            return
        replication.replid2 = replid
        replication.second_replid_offset = int(offset) + 1
        # The keys that expired meanwhile are deleted in the new history: their DELs are
        # the backlog's first bytes, after the offset the file recorded.
        replication.create_backlog()
        for index, key in server.snapshots.expired_at_load:
            replication.feed(index, [b"DEL", key])
        replication.master_repl_offset += int(offset)
        assert replication.backlog is not None
        replication.backlog.rebase(replication.master_repl_offset + 1)
        replication.no_replicas_since = time.time()
        server.propagation.refresh()

    def discard_cached(self) -> None:
        if self.cached:
            self.server.log("notice", "Discarding previously cached master state.")
            self.cached = False

    # -- connecting and the handshake ----------------------------------------------------

    def connect(self) -> bool:
        """A non-blocking connect to the master (Redis's connectWithMaster)."""
        server = self.server
        assert self.host is not None
        try:
            family, kind, proto, _, address = socket.getaddrinfo(
                self.host, self.port, type=socket.SOCK_STREAM)[0]
            sock = socket.socket(family, kind, proto)
        except OSError as exc:
            server.log_warning(f"Unable to connect to MASTER: {exc.strerror or exc}")
            return False
        sock.setblocking(False)
        err = sock.connect_ex(address)
        if err not in (0, 115, 36):     # EINPROGRESS (Linux, macOS)
            sock.close()
            server.log_warning(f"Unable to connect to MASTER: {os.strerror(err)}")
            return False
        self.sock = sock
        self.inbuf = b""
        self.lastio = time.time()
        self.state = CONNECTING
        server.reactor.add_writer(sock, self.connected)
        server.log("notice", "MASTER <-> REPLICA sync started")
        return True

    def connected(self) -> None:
        server, sock = self.server, self.sock
        assert sock is not None
        server.reactor.remove_writer(sock)
        err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            server.log_warning(f"Error condition on socket for SYNC: {os.strerror(err)}")
            self.handshake_failed()
            return
        server.log("notice", "Non blocking connect for SYNC fired the event.")
        server.reactor.add_reader(sock, self.readable)
        self.state = RECEIVE_PING_REPLY
        self.send([b"PING"])

    def send(self, argv: list[bytes]) -> None:
        """A handshake command: small, so one send takes it (Redis writes it synchronously)."""
        assert self.sock is not None
        try:
            self.sock.sendall(encode_command(argv))
        except OSError as exc:
            self.server.log_warning("Sending command to master in replication handshake: "
                                    f"-Writing to master: {exc.strerror}")
            self.handshake_failed()

    def readable(self) -> None:
        sock = self.sock
        assert sock is not None
        try:
            data = sock.recv(TRANSFER_READ_SIZE if self.state == TRANSFER else READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            data = b""
            error = exc.strerror or "error"
        else:
            error = "connection lost"
        if not data:
            if self.state == TRANSFER:
                self.server.log_warning("I/O error trying to sync with MASTER: " + error)
                self.cancel_handshake(reconnect=False)
            else:
                self.server.log_warning("Master did not reply to PSYNC, will try later"
                                        if self.state == RECEIVE_PSYNC_REPLY else
                                        "Master did not respond to command during SYNC "
                                        "handshake")
                self.handshake_failed()
            return
        self.lastio = time.time()
        if self.state == TRANSFER:
            self.server.stats.net_repl_input_bytes += len(data)
        self.inbuf += data
        while self.sock is sock and self.inbuf:
            if self.state == TRANSFER:
                self.receive_payload()
                return
            if b"\n" not in self.inbuf:
                return
            line, self.inbuf = self.inbuf.split(b"\n", 1)
            self.handshake_reply(line.rstrip(b"\r").decode(errors="replace"))

    def handshake_reply(self, reply: str) -> None:
        """One reply of the handshake, in the state waiting for it (Redis's
        syncWithMaster)."""
        server, config = self.server, self.server.config
        state = self.state
        if state == RECEIVE_PING_REPLY:
            if not reply.startswith("+") and not reply.startswith(
                    ("-NOAUTH", "-NOPERM", "-ERR operation not permitted")):
                server.log_warning(f"Error reply to PING from master: '{reply}'")
                self.handshake_failed()
                return
            server.log("notice", "Master replied to PING, replication can continue...")
            if config.masterauth:
                argv = [b"AUTH"]
                if config.masteruser:
                    argv.append(config.masteruser.encode(errors="surrogateescape"))
                self.send(argv + [config.masterauth.encode(errors="surrogateescape")])
            port = config.replica_announce_port or server.port
            self.send([b"REPLCONF", b"listening-port", b"%d" % port])
            if config.replica_announce_ip:
                self.send([b"REPLCONF", b"ip-address",
                           config.replica_announce_ip.encode(errors="surrogateescape")])
            self.send([b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"])
            self.state = RECEIVE_AUTH_REPLY if config.masterauth else RECEIVE_PORT_REPLY
        elif state == RECEIVE_AUTH_REPLY:
            if reply.startswith("-"):
                server.log_warning(f"Unable to AUTH to MASTER: {reply}")
                self.handshake_failed()
                return
            self.state = RECEIVE_PORT_REPLY
        elif state == RECEIVE_PORT_REPLY:
            if reply.startswith("-"):
                server.log("notice", "(Non critical) Master does not understand REPLCONF "
                           f"listening-port: {reply}")
            self.state = RECEIVE_IP_REPLY if config.replica_announce_ip \
                else RECEIVE_CAPA_REPLY
        elif state == RECEIVE_IP_REPLY:
            if reply.startswith("-"):
                server.log("notice", "(Non critical) Master does not understand REPLCONF "
                           f"ip-address: {reply}")
            self.state = RECEIVE_CAPA_REPLY
        elif state == RECEIVE_CAPA_REPLY:
            if reply.startswith("-"):
                server.log("notice", "(Non critical) Master does not understand REPLCONF "
                           f"capa: {reply}")
            self.send_psync()
        elif state == RECEIVE_PSYNC_REPLY:
            self.psync_reply(reply)

    def send_psync(self) -> None:
        """PSYNC with the cached master's id and next offset, or `? -1` for a full sync
        (Redis's slaveTryPartialResynchronization, writing half)."""
        server = self.server
        self.initial_offset = -1
        if self.cached:
            replid, offset = self.master_replid, b"%d" % (self.reploff + 1)
            server.log("notice", "Trying a partial resynchronization (request "
                       f"{replid}:{offset.decode()}).")
        else:
            server.log("notice", "Partial resynchronization not possible (no cached master)")
            replid, offset = "?", b"-1"
        self.state = RECEIVE_PSYNC_REPLY
        argv = [b"PSYNC", replid.encode(), offset]
        if server.replication.failover_state == FAILOVER_IN_PROGRESS:
            argv.append(b"FAILOVER")      # the new master, this one's replica, takes over
        self.send(argv)
        if self.state != RECEIVE_PSYNC_REPLY:      # the send failed
            server.replication.abort_failover("Write error to failover target")

    def psync_reply(self, reply: str) -> None:
        """The master's answer to PSYNC (Redis's slaveTryPartialResynchronization, reading
        half, and what syncWithMaster does with it)."""
        server = self.server
        if not reply:
            return          # newlines keep the link alive until the master answers
        if reply.startswith("+FULLRESYNC"):
            words = reply.split(" ")
            if len(words) < 3 or len(words[1]) != 40:
                server.log_warning("Master replied with wrong +FULLRESYNC syntax.")
                self.initial_replid = NO_REPLID
            else:
                self.initial_replid = words[1]
                self.initial_offset = int(words[2]) if words[2].lstrip("-").isdigit() else 0
                server.log("notice", f"Full resync from master: {self.initial_replid}:"
                           f"{self.initial_offset}")
            # The cached master stays until the new data is loaded: a transfer that fails
            # leaves this replica able to continue its old history.
            self.start_transfer()
            server.replication.failover_psync_reply(True)
            return
        if reply.startswith("+CONTINUE"):
            server.log("notice", "Successful partial resynchronization with master.")
            new_id = reply[10:].strip()
            replication = server.replication
            if len(new_id) == 40 and new_id != self.master_replid:
                server.log_warning(f"Master replication ID changed to {new_id}")
                replication.replid2 = self.master_replid
                replication.second_replid_offset = replication.master_repl_offset + 1
                server.replid = self.master_replid = new_id
                replication.disconnect_replicas()
            self.resurrect_cached_master()
            if replication.backlog is None:
                replication.create_backlog()
            server.log("notice", "MASTER <-> REPLICA sync: Master accepted a Partial "
                       "Resynchronization.")
            server.replication.failover_psync_reply(True)
            return
        if server.replication.failover_state == FAILOVER_IN_PROGRESS:
            server.replication.failover_psync_reply(False)
            return
        if reply.startswith(("-NOMASTERLINK", "-LOADING")):
            server.log("notice", "Master is currently unable to PSYNC but should be in the "
                       f"future: {reply}")
            self.handshake_failed()
            return
        if reply.startswith("-ERR"):
            server.log("notice", f"Master does not support PSYNC or is in error state "
                       f"(reply: {reply})")
        else:
            server.log_warning(f"Unexpected reply to PSYNC from master: {reply}")
        server.log("notice", "Retrying with SYNC...")
        self.send([b"SYNC"])
        if self.sock is not None:
            self.start_transfer()

    def handshake_failed(self) -> None:
        """Close the link; the cron connects again (Redis's `error:` path)."""
        self.close_transfer()
        self.state = CONNECT

    def close_transfer(self) -> None:
        if self.sock is not None:
            self.server.reactor.forget(self.sock)
            self.sock.close()
            self.sock = None
        if self.tmp_fd != -1:
            os.close(self.tmp_fd)
            self.tmp_fd = -1
            try:
                os.unlink(self.tmpfile)
            except OSError:
                pass
        self.inbuf = b""

    def cancel_handshake(self, reconnect: bool) -> None:
        """Stop a handshake or transfer under way (Redis's cancelReplicationHandshake)."""
        if self.state not in HANDSHAKE and self.state not in (TRANSFER, CONNECTING):
            return
        self.close_transfer()
        self.state = CONNECT
        if reconnect and self.host is not None:
            self.server.log("notice", f"Reconnecting to MASTER {self.host}:{self.port} "
                            "after failure")
            self.connect()

    # -- the transfer --------------------------------------------------------------------

    def use_diskless_load(self) -> bool:
        """Redis's useDisklessLoad: swapdb always, on-empty-db while there is no key."""
        mode = self.server.config.repl_diskless_load
        return mode == "swapdb" or (
            mode == "on-empty-db" and not any(db.data for db in self.server.dbs))

    def start_transfer(self) -> None:
        """The RDB comes next: into a temporary file, unless it is to be parsed from the
        socket."""
        server = self.server
        self.diskless = self.use_diskless_load()
        if not self.diskless:
            self.tmpfile = os.path.join(server.config.dir or ".", "temp-%d.%d.rdb"
                                        % (int(time.time()), os.getpid()))
            try:
                self.tmp_fd = os.open(self.tmpfile, os.O_CREAT | os.O_WRONLY | os.O_TRUNC,
                                      0o644)
            except OSError as exc:
                server.log_warning("Opening the temp file needed for MASTER <-> REPLICA "
                                   f"synchronization: {exc.strerror}")
                self.handshake_failed()
                return
        self.state = TRANSFER
        self.transfer_size = -1
        self.transfer_read = 0
        self.eof_mark = b""
        self.tail = b""
        self.lastio = time.time()

    def receive_payload(self) -> None:
        """The RDB's framing line, then its bytes into the temporary file or the parser
        (Redis's readSyncBulkPayload)."""
        server = self.server
        if self.transfer_size == -1:
            line = b""
            while not line:     # newlines keep the link alive until the payload starts
                if b"\n" not in self.inbuf:
                    return
                line, self.inbuf = self.inbuf.split(b"\n", 1)
                line = line.rstrip(b"\r")
            if line.startswith(b"-"):
                server.log_warning("MASTER aborted replication with an error: "
                                   + line[1:].decode(errors="replace"))
                self.cancel_handshake(reconnect=False)
                return
            if not line.startswith(b"$"):
                server.log_warning("Bad protocol from MASTER, the first byte is not '$' "
                                   "(we received '%s'), are you sure the host and port are "
                                   "right?" % line.decode(errors="replace"))
                self.cancel_handshake(reconnect=False)
                return
            to = "to parser" if self.diskless else "to disk"
            if line.startswith(b"$EOF:") and len(line) >= 5 + EOF_MARK_SIZE:
                self.eof_mark = line[5:5 + EOF_MARK_SIZE]
                self.transfer_size = 0
                server.log("notice", "MASTER <-> REPLICA sync: receiving streamed RDB from "
                           f"master with EOF {to}")
            else:
                self.transfer_size = int(line[1:])
                server.log("notice", f"MASTER <-> REPLICA sync: receiving "
                           f"{self.transfer_size} bytes from master {to}")
            if not self.inbuf:
                return
        if self.diskless:
            self.load_from_socket()
            return
        data, rest = self.inbuf, b""
        if not self.eof_mark:
            left = self.transfer_size - self.transfer_read
            data, rest = data[:left], data[left:]
        self.inbuf = b""
        os.write(self.tmp_fd, data)
        self.transfer_read += len(data)
        if self.eof_mark:
            self.tail = (self.tail + data)[-EOF_MARK_SIZE:]
            if self.tail != self.eof_mark:
                return
            os.ftruncate(self.tmp_fd, self.transfer_read - EOF_MARK_SIZE)
        elif self.transfer_read < self.transfer_size:
            return
        self.load_payload(rest)

    def stop_persistence(self) -> None:
        """Before a load: loading is no command, so the AOF is made anew from the loaded
        data afterwards, and a child saving the old data would only compete with it."""
        server = self.server
        if server.aof.state != "off":
            server.aof.stop()
        if server.snapshots.in_progress():
            server.snapshots.kill_child()

    def attach_to_new_master(self) -> None:
        """A new history: what replicas of ours and our backlog held is not part of it
        (Redis's replicationAttachToNewMaster)."""
        replication = self.server.replication
        self.discard_cached()
        replication.disconnect_replicas()
        replication.backlog = None

    def flush_for_load(self) -> None:
        server = self.server
        server.log("notice", "MASTER <-> REPLICA sync: Flushing old data")
        flush_databases(server.dbs)
        server.scripting.flush_functions()

    def load_payload(self, rest: bytes) -> None:
        """The whole RDB arrived in the temporary file: it replaces the dataset, and the
        link carries the stream from the offset the master gave."""
        server = self.server
        os.fsync(self.tmp_fd)
        os.close(self.tmp_fd)
        self.tmp_fd = -1
        self.attach_to_new_master()
        self.stop_persistence()
        self.flush_for_load()
        path = server.snapshots.path()
        try:
            os.rename(self.tmpfile, path)
        except OSError as exc:
            server.log_warning("Failed trying to rename the temp DB into dump.rdb in MASTER "
                               f"<-> REPLICA synchronization: {exc.strerror}")
            self.cancel_handshake(reconnect=False)
            return
        server.log("notice", "MASTER <-> REPLICA sync: Loading DB in memory")
        assert self.sock is not None
        server.reactor.remove_reader(self.sock)     # clients are served while it loads
        server.loading = True
        server.loading_start_time = time.time()
        try:
            server.snapshots.load(on_progress=server.snapshots.serving_progress())
            aux = server.snapshots.loaded_aux
        except (rdb.RdbError, OSError) as failure:
            server.log_warning(str(failure))
            server.log_warning("Failed trying to load the MASTER synchronization DB from "
                               "disk, check server logs.")
            self.cancel_handshake(reconnect=True)
            flush_databases(server.dbs)
            return
        finally:
            server.loading = False
        self.finish_sync(aux, rest)

    def load_from_socket(self) -> None:
        """Parse the RDB as it arrives (repl-diskless-load), blocking on the socket up to
        repl-timeout at a time and serving clients every loading-process-events-interval-
        bytes, as Redis does. With swapdb it loads beside the dataset, swapped in at the
        end: until then clients get -LOADING, or, when the master continues our own
        history (the same replication id), the old data (async loading)."""
        server, config = self.server, self.server.config
        sock = self.sock
        assert sock is not None
        self.stop_persistence()
        swapdb = config.repl_diskless_load == "swapdb"
        dbs: Optional[list[Database]] = None
        functions: Optional["FunctionSet"] = None
        if swapdb:
            dbs = [Database(server.keyspace, index) for index in range(len(server.dbs))]
            functions = ({}, {})
        else:
            self.attach_to_new_master()
            self.flush_for_load()
        # The parser reads the socket itself from now on.
        server.reactor.remove_reader(sock)
        server.log("notice", "MASTER <-> REPLICA sync: Loading DB in memory")
        sock.settimeout(config.repl_timeout)
        head, stream = self.inbuf, b""
        if self.transfer_size:          # what came after the payload is the stream's
            head, stream = head[:self.transfer_size], head[self.transfer_size:]
        reader = rdb.StreamReader(sock, head, self.transfer_size, config.rdbchecksum)
        self.inbuf = b""
        server.loading = True
        server.async_loading = swapdb and server.replid == self.initial_replid
        server.loading_start_time = time.time()
        server.loading_total_bytes = self.transfer_size
        server.loading_loaded_bytes = 0
        failed = False
        aux: dict[bytes, bytes] = {}
        try:
            server.snapshots.load_from(reader, on_progress=server.snapshots.serving_progress(),
                                       dbs=dbs, functions=functions)
            aux = server.snapshots.loaded_aux
            if self.eof_mark and reader.take(EOF_MARK_SIZE) != self.eof_mark:
                server.log_warning("Replication stream EOF marker is broken")
                failed = True
        except rdb.ShortRead as short:
            server.log_warning("Short read or OOM loading DB. Unrecoverable error, aborting "
                               "now.")
            server.log_warning(f"Internal error in RDB reading offset {reader.offset()} -> "
                               "Unexpected EOF reading RDB file. Failure loading rdb format "
                               "from socket, assuming connection error, resuming operation.")
            self.log_socket_load_failure(str(short))
            failed = True
        except rdb.RdbError as exc:
            server.log_warning(str(exc))
            if exc.corruption:
                server.log_warning(f"Internal error in RDB reading offset {reader.offset()} "
                                   f"-> {exc.corruption}. Failure loading rdb format")
            self.log_socket_load_failure(exc.corruption or str(exc))
            failed = True
        finally:
            server.loading = server.async_loading = False
        if failed:
            self.cancel_handshake(reconnect=True)
            if dbs is not None:
                for db in dbs:
                    server.lazyfree.release(db.data)
                server.log("notice", "MASTER <-> REPLICA sync: Discarding temporary DB in "
                           "background")
            else:
                flush_databases(server.dbs)     # the half-loaded data
            return
        if dbs is not None and functions is not None:
            self.attach_to_new_master()
            server.log("notice", "MASTER <-> REPLICA sync: Swapping active DB with loaded DB")
            for active, loaded in zip(server.dbs, dbs):
                swap_databases(active, loaded)
            events = server.keyspace.events
            if events.flushed is not None:
                events.flushed()        # tracking clients hear of it as of a FLUSHALL
            self.own_expires.clear()
            server.scripting.swap_functions(functions)
            for db in dbs:
                server.lazyfree.release(db.data)
            server.log("notice", "MASTER <-> REPLICA sync: Discarding old DB in background")
        server.keyspace.dirty += 1      # no save followed the load
        sock.setblocking(False)
        self.finish_sync(aux, reader.rest() + stream)

    def log_socket_load_failure(self, reason: str) -> None:
        self.server.log_warning("Failed trying to load the MASTER synchronization DB from "
                                f"socket: {reason}")

    def finish_sync(self, aux: dict[bytes, bytes], rest: bytes) -> None:
        """The RDB is loaded: the master becomes a client of ours and its stream continues
        from the offset it gave, which is now ours too."""
        server = self.server
        replication = server.replication
        sock = self.sock
        assert sock is not None
        self.sock = None
        server.reactor.forget(sock)
        self.master_replid = self.initial_replid
        self.reploff = self.read_reploff = self.initial_offset
        stream_db = aux.get(b"repl-stream-db", b"0")
        db_index = int(stream_db) if stream_db.isdigit() else 0
        self.create_master_client(sock, db_index)
        server.replid = self.master_replid
        replication.master_repl_offset = self.reploff
        replication.clear_replid2()
        replication.create_backlog()
        server.log("notice", "MASTER <-> REPLICA sync: Finished with success")
        if server.config.appendonly and server.aof.state == "off":
            server.aof.start()
        server.propagation.refresh()
        if self.eof_mark:
            # A diskless master starts the stream at the first ACK: send it now.
            self.send_ack()
        if rest:
            self.receive_stream(rest)

    # -- the master client ---------------------------------------------------------------

    def create_master_client(self, sock: socket.socket, db_index: int) -> None:
        """The master as a client of ours (Redis's replicationCreateMasterClient)."""
        server = self.server
        peer = sock.getpeername()
        local = sock.getsockname()
        client = Client(server, sock, f"{peer[0]}:{peer[1]}", f"{local[0]}:{local[1]}",
                        server.next_client_id)
        server.next_client_id += 1
        client.flags = frozenset(FLAG_MASTER)
        client.reply_mode = "off"     # the master reads the stream's effects, not replies
        client.set_authenticated(True)
        client.user = SUPERUSER
        if db_index < len(server.dbs):
            client.db = server.dbs[db_index]
        server.clients[client.id] = client
        server.reactor.add_reader(sock, self.master_readable)
        self.master = client
        self.cached = False
        self.unapplied = bytearray()
        self.multi_bytes = 0
        self.state = CONNECTED
        self.down_since = 0.0

    def resurrect_cached_master(self) -> None:
        """+CONTINUE: the cached master comes back on the new link."""
        sock = self.sock
        assert sock is not None
        self.sock = None
        self.server.reactor.forget(sock)
        rest, self.inbuf = self.inbuf, b""
        self.read_reploff = self.reploff
        self.create_master_client(sock, self.cached_db)
        if rest:
            self.receive_stream(rest)

    def master_readable(self) -> None:
        client = self.master
        assert client is not None and client.sock is not None
        try:
            data = client.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self.server.log("verbose", f"Reading from client: {exc.strerror}")
            client.close()
            return
        if not data:
            client.close()
            return
        self.receive_stream(data)

    def receive_stream(self, data: bytes) -> None:
        """Apply what the master sent; each command's bytes, once applied (a transaction's
        at its EXEC), count in the offset and go on to our backlog and replicas (Redis's
        replicationFeedStreamFromMasterStream)."""
        client = self.master
        assert client is not None
        server = self.server
        server.stats.net_repl_input_bytes += len(data)
        client.last_interaction = server.clock.cached_time
        self.read_reploff += len(data)
        self.unapplied += data
        client.parser.feed(data)
        self.apply_received()

    def apply_received(self) -> None:
        """Run the commands the master sent so far. While a script of ours is past
        busy-reply-threshold they wait, to run once it is over (Redis holds the master's
        stream then, rather than answering it -BUSY and losing the writes)."""
        client = self.master
        server = self.server
        if client is None or client.closed or server.busy_script is not None:
            return
        parser = client.parser
        replication = server.replication
        try:
            for argv in parser.parse():
                server.process_command(client, argv)
                self.multi_bytes += request_size(argv)
                if client.closed:
                    return
                if client.in_multi:
                    continue
                used, self.multi_bytes = self.multi_bytes, 0
                applied = bytes(self.unapplied[:used])
                del self.unapplied[:used]
                self.reploff += used
                replication.feed_stream(applied)
        except ProtocolError as exc:
            server.log_warning(f"Protocol error from master: {exc.message}")
            client.close()

    def send_ack(self) -> None:
        """REPLCONF ACK <offset> (Redis's replicationSendAck): through the muted replies."""
        client = self.master
        if client is not None and not client.closed:
            client.add_push(encode_command([b"REPLCONF", b"ACK", b"%d" % self.reploff]))

    def client_freed(self, client: Client) -> None:
        """The master link closed: its state is cached for a PSYNC, and the link reconnects
        (Redis's freeClient of the master, replicationCacheMaster)."""
        if client is not self.master:
            return
        server = self.server
        server.log_warning("Connection with master lost.")
        server.log("notice", "Caching the disconnected master state.")
        self.master = None
        self.cached = True
        self.cached_db = client.db.index
        if client.in_multi:
            client.discard_transaction()
        self.unapplied = bytearray()
        self.multi_bytes = 0
        self.read_reploff = self.reploff
        self.state = CONNECT
        self.down_since = time.time()
        if self.host is not None:
            server.log("notice", f"Reconnecting to MASTER {self.host}:{self.port}")
            self.connect()

    # -- the cron ------------------------------------------------------------------------

    def cron(self) -> None:
        """Once a second (Redis's replicationCron, replica side)."""
        if self.host is None:
            return
        server = self.server
        timeout = server.config.repl_timeout
        now = time.time()
        if (self.state == CONNECTING or self.state in HANDSHAKE) and \
                int(now) - int(self.lastio) > timeout:
            server.log_warning("Timeout connecting to the MASTER...")
            self.cancel_handshake(reconnect=True)
        if self.state == TRANSFER and int(now) - int(self.lastio) > timeout:
            server.log_warning("Timeout receiving bulk data from MASTER... If the problem "
                               "persists try to set the 'repl-timeout' parameter in "
                               "redis.conf to a larger value.")
            self.cancel_handshake(reconnect=True)
        master = self.master
        if self.state == CONNECTED and master is not None and \
                int(now) - int(master.last_interaction) > timeout:
            server.log_warning("MASTER timeout: no data nor PING received...")
            master.close()
        if self.state == CONNECT:
            server.log("notice", f"Connecting to MASTER {self.host}:{self.port}")
            self.connect()
        self.send_ack()

    # -- keys written on a writable replica ---------------------------------------------

    def remember_written_keys(self, db: "Database", cmd: "Command", argv: list[bytes]) -> None:
        """After a client's write on a writable replica: its keys that have a TTL now."""
        for pos in cmd.key_indexes(argv):
            key = argv[pos]
            if key in db.expires:
                self.own_expires[(db.index, key)] = None

    def expire_own_keys(self) -> None:
        """From the cron: delete the remembered keys whose time passed (Redis's
        expireSlaveKeys)."""
        dbs = self.server.dbs
        for index, key in list(self.own_expires):
            db = dbs[index]
            if key not in db.expires:
                del self.own_expires[(index, key)]
            elif db.is_expired(key):
                db.delete_expired(key)
                del self.own_expires[(index, key)]

    # -- ROLE and INFO -------------------------------------------------------------------

    def role_state(self) -> str:
        if self.state in HANDSHAKE:
            return "handshake"
        return {TRANSFER: "sync"}.get(self.state, self.state)

    def info_lines(self) -> list[str]:
        """INFO replication's lines of a replica, after role:slave."""
        config = self.server.config
        now = int(time.time())
        master = self.master
        if master is not None or self.cached:
            applied, read = self.reploff, self.read_reploff
        else:
            applied = read = 1
        lines = [
            f"master_host:{self.host}",
            f"master_port:{self.port}",
            f"master_link_status:{'up' if self.state == CONNECTED else 'down'}",
            "master_last_io_seconds_ago:%d" % (now - int(master.last_interaction)
                                               if master is not None else -1),
            f"master_sync_in_progress:{int(self.state == TRANSFER)}",
            f"slave_read_repl_offset:{read}",
            f"slave_repl_offset:{applied}",
        ]
        if self.state == TRANSFER:
            size = self.transfer_size
            perc = self.transfer_read / size * 100 if size > 0 else 0.0
            lines += [f"master_sync_total_bytes:{size}",
                      f"master_sync_read_bytes:{self.transfer_read}",
                      f"master_sync_left_bytes:{size - self.transfer_read}",
                      f"master_sync_perc:{perc:.2f}",
                      f"master_sync_last_io_seconds_ago:{now - int(self.lastio)}"]
        if self.state != CONNECTED:
            lines.append("master_link_down_since_seconds:%d"
                         % (now - int(self.down_since) if self.down_since else -1))
        lines += [f"slave_priority:{config.replica_priority}",
                  f"slave_read_only:{int(config.replica_read_only)}",
                  f"replica_announced:{int(config.replica_announced)}"]
        return lines
