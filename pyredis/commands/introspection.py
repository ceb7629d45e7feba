"""Introspection: COMMAND (the command table as Redis 7.0 describes it) and CLIENT (the
connections). CLIENT UNBLOCK and the CLIENT TRACKING family live with blocking and
client-side caching."""
from __future__ import annotations

from functools import lru_cache
from typing import Optional

from .. import usage
from ..args import INT64_MAX, ArgReader, parse_int, parse_range_int
from ..errors import RedisError, syntax_error
from ..glob import glob_match
from ..protocol.encode import NO_REPLY, OK, OrderedSet, SimpleString, Verbatim
from . import (ACL_CATEGORIES, COMMANDS, Command, KeySpec, all_commands, command,
               container, help_reply, lookup_name)
from .connection import validate_client_name

# -- COMMAND -------------------------------------------------------------------------------


def _status_set(words) -> OrderedSet:
    return OrderedSet(SimpleString(w.encode()) for w in words)


def key_spec_reply(spec: KeySpec) -> dict:
    reply: dict = {}
    if spec.notes:
        reply[b"notes"] = spec.notes.encode()
    reply[b"flags"] = _status_set(spec.key_flags())
    if spec.unknown:
        reply[b"begin_search"] = {b"type": b"unknown", b"spec": {}}
        reply[b"find_keys"] = {b"type": b"unknown", b"spec": {}}
        return reply
    if spec.keyword:
        reply[b"begin_search"] = {b"type": b"keyword", b"spec": {
            b"keyword": spec.keyword.encode(), b"startfrom": spec.startfrom}}
    else:
        reply[b"begin_search"] = {b"type": b"index", b"spec": {b"index": spec.index}}
    if spec.keynum is not None:
        count_index, first, step = spec.keynum
        reply[b"find_keys"] = {b"type": b"keynum", b"spec": {
            b"keynumidx": count_index, b"firstkey": first, b"keystep": step}}
    else:
        reply[b"find_keys"] = {b"type": b"range", b"spec": {
            b"lastkey": spec.last, b"keystep": spec.step, b"limit": spec.limit}}
    return reply


def command_info(cmd: Optional[Command]) -> object:
    """One command as COMMAND INFO describes it (Redis 7.0's ten fields)."""
    if cmd is None:
        return None
    return [cmd.name.encode(), cmd.arity, _status_set(cmd.shown_flags()), cmd.first_key,
            cmd.last_key, cmd.step, _status_set("@" + c for c in cmd.acl_categories()),
            OrderedSet(t.encode() for t in cmd.tips),
            OrderedSet(key_spec_reply(s) for s in cmd.key_specs),
            [command_info(sub) for sub in cmd.subcommands.values()] or OrderedSet()]


@lru_cache(maxsize=None)
def _arguments(syntax: str) -> list:
    return [arg.as_reply() for arg in usage.parse(syntax)]


def command_docs(cmd: Command) -> dict:
    """One command as COMMAND DOCS describes it; the arguments come from its syntax line."""
    docs: dict = {}
    if cmd.summary:
        docs[b"summary"] = cmd.summary.encode()
    if cmd.since:
        docs[b"since"] = cmd.since.encode()
    docs[b"group"] = cmd.group.replace("_", "-").encode()
    if cmd.complexity:
        docs[b"complexity"] = cmd.complexity.encode()
    if cmd.doc_flags:
        docs[b"doc_flags"] = _status_set(cmd.doc_flags)
    if cmd.deprecated_since:
        docs[b"deprecated_since"] = cmd.deprecated_since.encode()
    if cmd.replaced_by:
        docs[b"replaced_by"] = cmd.replaced_by.encode()
    if cmd.history:
        docs[b"history"] = OrderedSet([v.encode(), c.encode()] for v, c in cmd.history)
    if cmd.syntax:
        docs[b"arguments"] = _arguments(cmd.syntax)
    if cmd.subcommands:
        docs[b"subcommands"] = {sub.name.encode(): command_docs(sub)
                                for sub in cmd.subcommands.values()}
    return docs


@command("command", -1, "loading stale", group="server", since="2.8.13",
         categories="connection", summary="Get array of Redis command details",
         complexity="O(N) where N is the total number of Redis commands",
         tips="nondeterministic_output_order")
def command_(client, argv):
    return [command_info(cmd) for cmd in COMMANDS.values()]


container("command", group="server", since="2.8.13")


@command("command|count", 2, "loading stale", group="server", since="2.8.13",
         categories="connection", summary="Get total number of Redis commands",
         complexity="O(1)")
def command_count(client, argv):
    return len(COMMANDS)


@command("command|info", -2, "loading stale", group="server", since="2.8.13",
         categories="connection", summary="Get array of specific Redis command details, or "
         "all when no argument is given.",
         complexity="O(N) where N is the number of commands to look up",
         syntax="[command-name [command-name ...]]", tips="nondeterministic_output_order",
         history=(("7.0.0", "Allowed to be called with no argument to get info on all "
                   "commands."),))
def command_info_(client, argv):
    if len(argv) == 2:
        return [command_info(cmd) for cmd in COMMANDS.values()]
    return [command_info(lookup_name(name)) for name in argv[2:]]


@command("command|docs", -2, "loading stale", group="server", since="7.0.0",
         categories="connection", summary="Get array of specific Redis command documentation",
         complexity="O(N) where N is the number of commands to look up",
         syntax="[command-name [command-name ...]]", tips="nondeterministic_output_order")
def command_docs_(client, argv):
    if len(argv) == 2:
        return {cmd.name.encode(): command_docs(cmd) for cmd in COMMANDS.values()}
    found = {}
    for name in argv[2:]:
        cmd = lookup_name(name)
        if cmd is not None:
            found[cmd.name.encode()] = command_docs(cmd)
    return found


@command("command|list", -2, "loading stale", group="server", since="7.0.0",
         categories="connection",
         summary="Get an array of Redis command names",
         complexity="O(N) where N is the total number of Redis commands",
         syntax="[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]",
         tips="nondeterministic_output_order")
def command_list(client, argv):
    kind = value = None
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
            category = value.lower().decode(errors="replace")  # type: ignore[union-attr]
            if category not in ACL_CATEGORIES or category not in cmd.acl_categories():
                continue
        if kind == b"pattern" and not glob_match(value, cmd.name.encode(),  # type: ignore
                                                 nocase=True):
            continue
        names.append(cmd.name.encode())
    return names


def _lookup_full(argv: list[bytes]) -> Optional[Command]:
    """The command a full command line names (a container needs a known subcommand)."""
    cmd = COMMANDS.get(argv[0].lower())
    if cmd is None or not cmd.subcommands or len(argv) == 1:
        return cmd
    return cmd.subcommands.get(argv[1].lower())


def _keys_of(argv: list[bytes]) -> list[tuple[int, list[str]]]:
    """COMMAND GETKEYS / GETKEYSANDFLAGS: the keys of the command line argv[2:]."""
    line = argv[2:]
    cmd = _lookup_full(line)
    if cmd is None:
        raise RedisError("ERR Invalid command specified")
    if not cmd.has_keys():
        raise RedisError("ERR The command has no key arguments")
    if (cmd.arity > 0 and cmd.arity != len(line)) or len(line) < -cmd.arity:
        raise RedisError("ERR Invalid number of arguments specified for command")
    found = cmd.keys_and_flags(line)
    if found is None:
        if "no-mandatory-keys" in cmd.flags:
            return []
        raise RedisError("ERR Invalid arguments specified for command")
    return [(pos + 2, flags) for pos, flags in found]


@command("command|getkeys", -4, "loading stale", group="server", since="2.8.13",
         categories="connection", summary="Extract keys given a full Redis command",
         complexity="O(N) where N is the number of arguments to the command")
def command_getkeys(client, argv):
    return [argv[pos] for pos, _ in _keys_of(argv)]


@command("command|getkeysandflags", -4, "loading stale", group="server", since="7.0.0",
         categories="connection",
         summary="Extract keys and access flags given a full Redis command",
         complexity="O(N) where N is the number of arguments to the command")
def command_getkeysandflags(client, argv):
    return [[argv[pos], _status_set(flags)] for pos, flags in _keys_of(argv)]


@command("command|help", 2, "loading stale", group="server", since="5.0.0",
         categories="connection", summary="Show helpful text about the different subcommands",
         complexity="O(1)")
def command_help(client, argv):
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

container("client", group="connection", since="2.4.0",
          summary="A container for client connection commands")

CLIENT_TYPES = {b"normal": "normal", b"slave": "slave", b"replica": "slave",
                b"pubsub": "pubsub", b"master": "master"}
REPLY_BUFFER_SIZE = 16 * 1024     # Redis's PROTO_REPLY_CHUNK_BYTES


def client_type(client) -> str:
    if "S" in client.flags:
        return "slave"
    if "M" in client.flags:
        return "master"
    if client.channels or client.patterns or client.shard_channels:
        return "pubsub"
    return "normal"


def client_info(client) -> str:
    """One line of CLIENT LIST, with Redis 7.0's fields (and lib-name/lib-ver)."""
    server = client.server
    now = int(server.clock.time())
    running = server.current_client is client
    qbuf = len(client.parser.buf) if running else client.parser.pending()
    argv_mem = sum(len(a) for a in client.argv) if running else 0
    multi_mem = sum(len(a) for _, argv in client.multi_queue for a in argv)
    pending = client.reply_bytes
    obl = min(pending, REPLY_BUFFER_SIZE) if len(client.reply) <= 1 else 0
    oll = max(len(client.reply) - 1, 0) if obl else len(client.reply)
    omem = pending - obl
    qbuf_free = max(REPLY_BUFFER_SIZE - qbuf, 0) if qbuf else 0
    tot_mem = qbuf + qbuf_free + argv_mem + multi_mem + REPLY_BUFFER_SIZE + omem + 1024
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
        "user=" + client.user.decode(errors="replace"), f"redir={redir}",
        f"resp={client.proto}",
        "lib-name=" + client.lib_name.decode(errors="replace"),
        "lib-ver=" + client.lib_ver.decode(errors="replace"),
    ]
    return " ".join(fields)


@command("client|id", 2, "noscript loading stale", group="connection", since="5.0.0",
         summary="Returns the client ID for the current connection", complexity="O(1)")
def client_id(client, argv):
    return client.id


@command("client|info", 2, "noscript loading stale", group="connection", since="6.2.0",
         summary="Returns information about the current client connection.",
         complexity="O(1)", tips="nondeterministic_output")
def client_info_(client, argv):
    return Verbatim((client_info(client) + "\n").encode())


@command("client|list", -2, "admin noscript loading stale", group="connection",
         since="2.4.0", categories="connection",
         summary="Get the list of client connections",
         complexity="O(N) where N is the number of client connections",
         syntax="[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]",
         tips="nondeterministic_output",
         history=(("2.8.12", "Added unique client `id` field."),
                  ("5.0.0", "Added optional `TYPE` filter."),
                  ("6.0.0", "Added `user` field."),
                  ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the "
                   "optional `ID` filter."),
                  ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."),
                  ("7.0.3", "Added `ssub` field.")))
def client_list(client, argv):
    server = client.server
    if len(argv) == 4 and argv[2].lower() == b"type":
        kind = CLIENT_TYPES.get(argv[3].lower())
        if kind is None:
            raise RedisError("ERR Unknown client type '%s'" % argv[3].decode(errors="replace"))
        chosen = [c for c in server.clients.values() if client_type(c) == kind]
    elif len(argv) > 3 and argv[2].lower() == b"id":
        chosen = []
        for raw in argv[3:]:
            other = server.clients.get(parse_int(raw, "ERR Invalid client ID"))
            if other is not None:
                chosen.append(other)
    elif len(argv) != 2:
        raise syntax_error()
    else:
        chosen = list(server.clients.values())
    return Verbatim("".join(client_info(c) + "\n" for c in chosen).encode())


@command("client|setname", 3, "noscript loading stale", group="connection", since="2.6.9",
         summary="Set the current connection name", complexity="O(1)",
         syntax="connection-name")
def client_setname(client, argv):
    name = argv[2]
    validate_client_name(name)
    client.name = name or None
    return OK


@command("client|getname", 2, "noscript loading stale", group="connection",
         since="2.6.9", summary="Get the current connection name", complexity="O(1)")
def client_getname(client, argv):
    return client.name


@command("client|setinfo", 4, "noscript loading stale", group="connection", since="7.2.0",
         summary="Set client or connection specific info", complexity="O(1)",
         syntax="<LIB-NAME libname | LIB-VER libver>",
         tips="request_policy:all_nodes response_policy:all_succeeded")
def client_setinfo(client, argv):
    attr = argv[2].lower()
    value = argv[3]
    if attr not in (b"lib-name", b"lib-ver"):
        raise RedisError("ERR Unrecognized option '%s'" % argv[2].decode(errors="replace"))
    if any(b < 33 or b > 126 for b in value):
        raise RedisError("ERR %s cannot contain spaces, newlines or special characters."
                         % argv[2].decode(errors="replace"))
    if attr == b"lib-name":
        client.lib_name = value
    else:
        client.lib_ver = value
    return OK


@command("client|kill", -3, "admin noscript loading stale", group="connection",
         since="2.4.0", categories="connection", summary="Kill the connection of a client",
         complexity="O(N) where N is the number of client connections",
         syntax="<ip:port | <[ID client-id] | [TYPE <NORMAL | MASTER | SLAVE | REPLICA | "
                "PUBSUB>] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | "
                "[SKIPME yes/no] ...>>",
         history=(("2.8.12", "Added new filter format."), ("2.8.12", "`ID` option."),
                  ("3.2.0", "Added `master` type in for `TYPE` option."),
                  ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported "
                   "for backward compatibility."),
                  ("6.2.0", "`LADDR` option.")))
def client_kill(client, argv):
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
                client_id = parse_range_int(value, 1, INT64_MAX,
                                            "ERR client-id should be greater than 0")
            elif option == b"TYPE":
                kind = CLIENT_TYPES.get(value.lower())
                if kind is None:
                    raise RedisError("ERR Unknown client type '%s'"
                                     % value.decode(errors="replace"))
            elif option == b"ADDR":
                addr = value.decode(errors="replace")
            elif option == b"LADDR":
                laddr = value.decode(errors="replace")
            elif option == b"USER":
                if value not in {c.user for c in server.clients.values()} | {b"default"}:
                    raise RedisError("ERR No such user '%s'" % value.decode(errors="replace"))
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
        if user is not None and other.user != user:
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
            raise RedisError("ERR No such client")
        reply: object = OK
    else:
        reply = killed
    if close_me:
        client.add_reply(reply)
        client.close_after_reply = True
        return NO_REPLY
    return reply


@command("client|pause", -3, "admin noscript loading stale", group="connection",
         since="2.9.50", categories="connection",
         summary="Stop processing commands from clients for some time",
         complexity="O(1)", syntax="timeout [WRITE | ALL]",
         history=(("6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option."),))
def client_pause(client, argv):
    if len(argv) > 4:
        raise RedisError("ERR unknown subcommand or wrong number of arguments for '%s'. Try "
                         "CLIENT HELP." % argv[1].decode(errors="replace"))
    writes_only = False
    if len(argv) == 4:
        mode = argv[3].lower()
        if mode not in (b"write", b"all"):
            raise RedisError("ERR CLIENT PAUSE mode must be WRITE or ALL")
        writes_only = mode == b"write"
    timeout = parse_int(argv[2], "ERR timeout is not an integer or out of range")
    if timeout < 0:
        raise RedisError("ERR timeout is negative")
    client.server.pause(timeout / 1000, writes_only)
    return OK


@command("client|unpause", 2, "admin noscript loading stale", group="connection",
         since="6.2.0", categories="connection",
         summary="Resume processing of clients that were paused",
         complexity="O(N) Where N is the number of paused clients")
def client_unpause(client, argv):
    client.server.unpause()
    return OK


@command("client|reply", 3, "noscript loading stale", group="connection", since="3.2.0",
         summary="Instruct the server whether to reply to commands", complexity="O(1)",
         syntax="<ON | OFF | SKIP>")
def client_reply(client, argv):
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


@command("client|no-evict", 3, "admin noscript loading stale", group="connection",
         since="7.0.0", categories="connection",
         summary="Set client eviction mode for the current connection", complexity="O(1)",
         syntax="<ON | OFF>")
def client_no_evict(client, argv):
    mode = argv[2].lower()
    if mode not in (b"on", b"off"):
        raise syntax_error()
    client.no_evict = mode == b"on"
    return OK


@command("client|help", 2, "loading stale", group="connection", since="5.0.0",
         summary="Show helpful text about the different subcommands", complexity="O(1)")
def client_help(client, argv):
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
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
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
