"""ACL and its subcommands: users, categories, the ACL log, the ACL file (see acl.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..acl import (CATEGORIES, CATEGORY_MEMBERS, DENIED_CMD, DENIED_KEY, OK as ACL_OK,
                   SUBCOMMANDS, TOP_LEVEL, genpass, has_spaces)
from ..args import parse_int
from ..errors import RedisError, subcommand_syntax
from ..protocol.encode import OK, OrderedSet, Reply
from . import command, help_reply, lookup

if TYPE_CHECKING:
    from ..client import Client

NO_ACL_FILE = ("ERR This Redis instance is not configured to use an ACL file. You may want to "
               "specify users via the ACL SETUSER command and then issue a CONFIG REWRITE "
               "(assuming you have a Redis configuration file set) in order to store users in "
               "the Redis configuration.")
GENPASS_MAX_BITS = 4096

HELP = (
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
)


def _text(data: bytes) -> str:
    return data.decode(errors="surrogateescape")


@command("acl|setuser")
def acl_setuser(client: Client, argv: list[bytes]) -> Reply:
    from ..server import redact
    name, rules = argv[2], argv[3:]
    for index in range(2, len(argv)):
        redact(argv, index)     # rules hold passwords: never shown by MONITOR
    if has_spaces(name):
        raise RedisError("ERR Usernames can't contain spaces or null characters")
    error = client.server.acl.set_user(name, rules)
    if error is not None:
        raise RedisError("ERR " + error.replace("\r", " ").replace("\n", " "))
    return OK


@command("acl|deluser")
def acl_deluser(client: Client, argv: list[bytes]) -> Reply:
    if b"default" in argv[2:]:
        raise RedisError("ERR The 'default' user cannot be removed")
    acl = client.server.acl
    return sum(acl.delete_user(name) for name in argv[2:])


@command("acl|getuser")
def acl_getuser(client: Client, argv: list[bytes]) -> Reply:
    user = client.server.acl.users.get(argv[2])
    if user is None:
        return None
    reply: dict = {b"flags": OrderedSet(user.flag_names()), b"passwords": list(user.passwords)}
    reply.update(user.root.getuser_fields())
    reply[b"selectors"] = [s.getuser_fields() for s in user.selectors[1:]]
    return reply


@command("acl|list")
def acl_list(client: Client, argv: list[bytes]) -> Reply:
    return client.server.acl.user_lines()


@command("acl|users")
def acl_users(client: Client, argv: list[bytes]) -> Reply:
    return [user.name for user in client.server.acl.sorted_users()]


@command("acl|whoami")
def acl_whoami(client: Client, argv: list[bytes]) -> Reply:
    return client.user.name


@command("acl|load")
def acl_load(client: Client, argv: list[bytes]) -> Reply:
    server = client.server
    if not server.config.aclfile:
        raise RedisError(NO_ACL_FILE)
    errors = server.acl.load_file(server.config.aclfile)
    if errors is not None:
        raise RedisError("ERR " + errors)
    return OK


@command("acl|save")
def acl_save(client: Client, argv: list[bytes]) -> Reply:
    server = client.server
    if not server.config.aclfile:
        raise RedisError(NO_ACL_FILE)
    if not server.acl.save_file(server.config.aclfile):
        raise RedisError("ERR There was an error trying to save the ACLs. Please check the "
                         "server logs for more information")
    return OK


@command("acl|cat")
def acl_cat(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) == 2:
        return [c.encode() for c in CATEGORIES]
    if len(argv) > 3:
        raise subcommand_syntax(argv)
    category = argv[2].decode("latin-1").lower()
    members = CATEGORY_MEMBERS.get(category)
    if members is None:
        raise RedisError("ERR Unknown category '%s'" % _text(argv[2][:128]))
    return [name.encode() for top in TOP_LEVEL for name in (top, *SUBCOMMANDS[top])
            if name in members]


@command("acl|genpass")
def acl_genpass(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) > 3:
        raise subcommand_syntax(argv)
    bits = parse_int(argv[2]) if len(argv) == 3 else 256
    if not 0 < bits <= GENPASS_MAX_BITS:
        raise RedisError("ERR ACL GENPASS argument must be the number of bits for the output "
                         "password, a positive number up to %d" % GENPASS_MAX_BITS)
    return genpass(bits)


@command("acl|log")
def acl_log(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) > 3:
        raise subcommand_syntax(argv)
    acl = client.server.acl
    count = 10
    if len(argv) == 3:
        if argv[2].lower() == b"reset":
            acl.log.clear()
            return OK
        count = max(parse_int(argv[2]), 0)
    return acl.log_reply(count)


@command("acl|dryrun")
def acl_dryrun(client: Client, argv: list[bytes]) -> Reply:
    user = client.server.acl.users.get(argv[2])
    if user is None:
        raise RedisError("ERR User '%s' not found" % _text(argv[2]))
    args = argv[3:]
    cmd = lookup(args)
    if cmd is not None and cmd.subcommands and len(args) > 1:
        cmd = None      # an unknown subcommand
    if cmd is None:
        raise RedisError("ERR Command '%s' not found" % _text(argv[3]))
    if (cmd.arity > 0 and cmd.arity != len(args)) or len(args) < -cmd.arity:
        raise RedisError("ERR wrong number of arguments for '%s' command" % cmd.name)
    result, pos = user.check(cmd, args)
    if result == ACL_OK:
        return OK
    if result == DENIED_CMD:
        return b"This user has no permissions to run the '%s' command" % cmd.name.encode()
    what = b"key" if result == DENIED_KEY else b"channel"
    return b"This user has no permissions to access the '%s' %s" % (args[pos], what)


@command("acl|help")
def acl_help(client: Client, argv: list[bytes]) -> Reply:
    return help_reply(argv, HELP)
