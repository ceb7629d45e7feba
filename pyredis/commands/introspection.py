"""Introspection: COMMAND (the command table as Redis 7.0 describes it) and CLIENT (the
connections). CLIENT UNBLOCK and the CLIENT TRACKING family live with blocking and
client-side caching."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ..args import ArgReader, parse_int, parse_range_int
from ..types.integers import INT64_MAX
from ..client import REPLY_BUFFER_SIZE
from ..errors import (CLIENT_ID_NOT_POSITIVE, CLIENT_PAUSE_MODE, INVALID_ARGUMENTS,
                      INVALID_ARGUMENT_COUNT, INVALID_CLIENT_ID, INVALID_COMMAND, NO_KEY_ARGUMENTS,
                      NO_SUCH_CLIENT, TIMEOUT_NEGATIVE, TIMEOUT_NOT_INTEGER, RedisError,
                      no_such_user, subcommand_syntax, syntax_error, unknown_client_type)
from ..glob import glob_match
from ..protocol.encode import NO_REPLY, OK, OrderedSet, Reply, SimpleString, Verbatim
from . import COMMANDS, TABLE, Command, all_commands, command, help_reply, lookup_name
from .connection import validate_client_name

if TYPE_CHECKING:
    from ..client import Client

# -- COMMAND -------------------------------------------------------------------------------

# The fields of commands.json that Redis replies as sets of status strings, and as sets.
_STATUS_SETS = frozenset(("flags", "doc_flags"))
_SETS = frozenset(("tips", "key_specs", "history"))


def _status_set(words) -> OrderedSet:
    return OrderedSet(SimpleString(w.encode()) for w in words)


def _reply(name: Optional[str], value: Any) -> Any:
    """A field of commands.json as Redis replies it: strings as bulk strings, objects as
    maps, lists as arrays, sets or sets of status strings by the field's name."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, dict):
        return {key.encode(): _reply(key, item) for key, item in value.items()}
    if isinstance(value, list):
        if name in _STATUS_SETS:
            return _status_set(value)
        items = [_reply(None, item) for item in value]
        return OrderedSet(items) if name in _SETS else items
    return value


def command_info(cmd: Optional[Command]) -> object:
    """One command as COMMAND INFO describes it (Redis 7.0's ten fields); of a container,
    the subcommands pyredis has."""
    if cmd is None:
        return None
    entry = cmd.entry
    return [cmd.name.encode(), entry["arity"], _status_set(entry["flags"]),
            entry["first_key"], entry["last_key"], entry["step"],
            _status_set(entry["acl_categories"]), _reply("tips", entry["tips"]),
            _reply("key_specs", entry["key_specs"]),
            [command_info(sub) for sub in cmd.subcommands.values()] or OrderedSet()]


def command_docs(cmd: Command) -> dict:
    """One command as COMMAND DOCS describes it; of a container, the subcommands pyredis
    has."""
    docs = _reply(None, cmd.entry["docs"])
    if cmd.subcommands:
        docs[b"subcommands"] = {sub.name.encode(): command_docs(sub)
                                for sub in cmd.subcommands.values()}
    return docs


@command("command")
def command_(client: Client, argv: list[bytes]) -> Reply:
    return [command_info(cmd) for cmd in COMMANDS.values()]


@command("command|count")
def command_count(client: Client, argv: list[bytes]) -> Reply:
    return len(COMMANDS)


@command("command|info")
def command_info_(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) == 2:
        return [command_info(cmd) for cmd in COMMANDS.values()]
    return [command_info(lookup_name(name)) for name in argv[2:]]


@command("command|docs")
def command_docs_(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) == 2:
        return {cmd.name.encode(): command_docs(cmd) for cmd in COMMANDS.values()}
    found = {}
    for name in argv[2:]:
        cmd = lookup_name(name)
        if cmd is not None:
            found[cmd.name.encode()] = command_docs(cmd)
    return found


@command("command|list")
def command_list(client: Client, argv: list[bytes]) -> Reply:
    kind, value = None, b""
    i = 2
    while i < len(argv):
        if argv[i].lower() == b"filterby" and len(argv) - 1 - i == 2:
            kind = argv[i + 1].lower()
            if kind not in (b"module", b"aclcat", b"pattern"):
                raise syntax_error()
            value = argv[i + 2]
            i += 3
        else:
            raise syntax_error()
    names = []
    for cmd in all_commands():
        if kind == b"module":
            continue            # pyredis loads no modules
        if kind == b"aclcat":
            category = value.lower().decode(errors="replace")
            if category not in cmd.acl_categories:
                continue
        if kind == b"pattern" and not glob_match(value, cmd.name.encode(), nocase=True):
            continue
        names.append(cmd.name.encode())
    return names


def _lookup_full(argv: list[bytes]) -> Optional[Command]:
    """The command a full command line names, among all of Redis 7.0's (a container needs
    a known subcommand): key positions are the table's, so COMMAND GETKEYS answers for the
    commands pyredis does not run too."""
    name = argv[0].lower()
    cmd = TABLE.get(name.decode("latin-1")) if b"|" not in name else None
    if cmd is None or len(argv) == 1 or "subcommands" not in cmd.entry:
        return cmd
    return TABLE.get("%s|%s" % (cmd.name, argv[1].lower().decode("latin-1")))


def _keys_of(argv: list[bytes]) -> list[tuple[int, tuple]]:
    """COMMAND GETKEYS / GETKEYSANDFLAGS: the keys of the command line argv[2:]."""
    line = argv[2:]
    cmd = _lookup_full(line)
    if cmd is None:
        raise RedisError(INVALID_COMMAND)
    if not cmd.has_keys():
        raise RedisError(NO_KEY_ARGUMENTS)
    if (cmd.arity > 0 and cmd.arity != len(line)) or len(line) < -cmd.arity:
        raise RedisError(INVALID_ARGUMENT_COUNT)
    found = cmd.keys_and_flags(line)
    if not found and "no-mandatory-keys" not in cmd.flags:
        raise RedisError(INVALID_ARGUMENTS)
    return [(pos + 2, flags) for pos, flags in found]


@command("command|getkeys")
def command_getkeys(client: Client, argv: list[bytes]) -> Reply:
    return [argv[pos] for pos, _ in _keys_of(argv)]


@command("command|getkeysandflags")
def command_getkeysandflags(client: Client, argv: list[bytes]) -> Reply:
    return [[argv[pos], _status_set(flags)] for pos, flags in _keys_of(argv)]


@command("command|help")
def command_help(client: Client, argv: list[bytes]) -> Reply:
    return help_reply(argv, [
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
    ])


# -- CLIENT --------------------------------------------------------------------------------


CLIENT_TYPES = {b"normal": "normal", b"slave": "slave", b"replica": "slave",
                b"pubsub": "pubsub", b"master": "master"}


def client_type(client: Client) -> str:
    if "S" in client.flags:
        return "slave"
    if "M" in client.flags:
        return "master"
    if client.channels or client.patterns or client.shard_channels:
        return "pubsub"
    return "normal"


def client_info(client: Client) -> str:
    """One line of CLIENT LIST, with Redis 7.0's fields."""
    server = client.server
    now = int(server.clock.time())
    qbuf, qbuf_free = client.query_buffer_usage()
    argv_mem = client.argv_memory()
    multi_mem = client.multi_memory()
    obl, oll, omem = client.output_buffer_usage()
    tot_mem = client.memory_usage()
    tracking = client.tracking
    redir = getattr(tracking, "redirect", 0) or 0 if tracking is not None else -1
    events = "r" if not client.closed else ""
    if client.writing:
        events += "w"
    fields = [
        f"id={client.id}", f"addr={client.addr}", f"laddr={client.laddr}",
        f"fd={client.fd}", "name=" + (client.name or b"").decode(errors="replace"),
        f"age={now - int(client.ctime)}", f"idle={now - int(client.last_interaction)}",
        f"flags={client.flag_string()}", f"db={client.db.index}",
        f"sub={len(client.channels)}", f"psub={len(client.patterns)}",
        f"ssub={len(client.shard_channels)}",
        f"multi={len(client.multi_queue) if client.in_multi else -1}",
        f"qbuf={qbuf}", f"qbuf-free={qbuf_free}", f"argv-mem={argv_mem}",
        f"multi-mem={multi_mem}", f"rbs={REPLY_BUFFER_SIZE}", f"rbp={REPLY_BUFFER_SIZE}",
        f"obl={obl}", f"oll={oll}", f"omem={omem}", f"tot-mem={tot_mem}",
        f"events={events}", f"cmd={client.last_cmd}",
        "user=" + client.user.name.decode(errors="replace"), f"redir={redir}",
        f"resp={client.proto}",
    ]
    return " ".join(fields)


@command("client|id")
def client_id(client: Client, argv: list[bytes]) -> Reply:
    return client.id


@command("client|info")
def client_info_(client: Client, argv: list[bytes]) -> Reply:
    return Verbatim((client_info(client) + "\n").encode())


@command("client|list")
def client_list(client: Client, argv: list[bytes]) -> Reply:
    server = client.server
    if len(argv) == 4 and argv[2].lower() == b"type":
        kind = CLIENT_TYPES.get(argv[3].lower())
        if kind is None:
            raise unknown_client_type(argv[3])
        chosen = [c for c in server.clients.values() if client_type(c) == kind]
    elif len(argv) > 3 and argv[2].lower() == b"id":
        chosen = []
        for raw in argv[3:]:
            other = server.clients.get(parse_int(raw, INVALID_CLIENT_ID))
            if other is not None:
                chosen.append(other)
    elif len(argv) != 2:
        raise syntax_error()
    else:
        chosen = list(server.clients.values())
    return Verbatim("".join(client_info(c) + "\n" for c in chosen).encode())


@command("client|setname")
def client_setname(client: Client, argv: list[bytes]) -> Reply:
    name = argv[2]
    validate_client_name(name)
    client.name = name or None
    return OK


@command("client|getname")
def client_getname(client: Client, argv: list[bytes]) -> Reply:
    return client.name


@command("client|kill")
def client_kill(client: Client, argv: list[bytes]) -> Reply:
    server = client.server
    addr = laddr = user = kind = None
    client_id = 0
    skipme = True
    if len(argv) == 3:
        addr = argv[2].decode(errors="replace")     # the old form: CLIENT KILL addr
        skipme = False
    else:
        reader = ArgReader(argv, 2)
        while reader.more():
            option = reader.keyword()
            value = reader.next()   # every option takes a value
            if option == b"ID":
                client_id = parse_range_int(value, 1, INT64_MAX, CLIENT_ID_NOT_POSITIVE)
            elif option == b"TYPE":
                kind = CLIENT_TYPES.get(value.lower())
                if kind is None:
                    raise unknown_client_type(value)
            elif option == b"ADDR":
                addr = value.decode(errors="replace")
            elif option == b"LADDR":
                laddr = value.decode(errors="replace")
            elif option == b"USER":
                if value not in server.acl.users:
                    raise no_such_user(value)
                user = value
            elif option == b"SKIPME":
                if value.lower() == b"yes":
                    skipme = True
                elif value.lower() == b"no":
                    skipme = False
                else:
                    raise syntax_error()
            else:
                raise syntax_error()
    killed = 0
    close_me = False
    for other in list(server.clients.values()):
        if addr is not None and other.addr != addr:
            continue
        if laddr is not None and other.laddr != laddr:
            continue
        if kind is not None and client_type(other) != kind:
            continue
        if client_id and other.id != client_id:
            continue
        if user is not None and other.user.name != user:
            continue
        if other is client:
            if skipme:
                continue
            close_me = True
        else:
            other.close()
        killed += 1
    if len(argv) == 3:
        if not killed:
            raise RedisError(NO_SUCH_CLIENT)
        reply: Reply = OK
    else:
        reply = killed
    if close_me:
        client.add_reply(reply)
        client.close_after_reply = True
        return NO_REPLY
    return reply


@command("client|pause")
def client_pause(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) > 4:
        raise subcommand_syntax(argv)
    writes_only = False
    if len(argv) == 4:
        mode = argv[3].lower()
        if mode not in (b"write", b"all"):
            raise RedisError(CLIENT_PAUSE_MODE)
        writes_only = mode == b"write"
    timeout = parse_int(argv[2], TIMEOUT_NOT_INTEGER)
    if timeout < 0:
        raise RedisError(TIMEOUT_NEGATIVE)
    client.server.pause(timeout / 1000, writes_only)
    return OK


@command("client|unpause")
def client_unpause(client: Client, argv: list[bytes]) -> Reply:
    client.server.unpause()
    return OK


@command("client|reply")
def client_reply(client: Client, argv: list[bytes]) -> Reply:
    mode = argv[2].lower()
    if mode == b"on":
        client.reply_mode = "on"
        return OK
    if mode == b"off":
        client.reply_mode = "off"
    elif mode == b"skip":
        if client.reply_mode != "off":
            client.reply_mode = "skip-next"
    else:
        raise syntax_error()
    return NO_REPLY


@command("client|no-evict")
def client_no_evict(client: Client, argv: list[bytes]) -> Reply:
    mode = argv[2].lower()
    if mode not in (b"on", b"off"):
        raise syntax_error()
    client.no_evict = mode == b"on"
    return OK


@command("client|help")
def client_help(client: Client, argv: list[bytes]) -> Reply:
    return help_reply(argv, [
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
    ])
