"""Connection commands: PING ECHO QUIT RESET SELECT HELLO AUTH."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..args import ArgReader, parse_int, parse_int32
from ..errors import (AUTH_WITHOUT_PASSWORD, BAD_CLIENT_NAME, DB_INDEX, HELLO_WITHOUT_AUTH, NOPROTO,
                      PROTOCOL_VERSION_NOT_INTEGER, WRONGPASS, RedisError, hello_syntax,
                      syntax_error, wrong_arity)
from ..protocol.encode import NO_REPLY, OK, PONG, Reply, SimpleString
from . import command

if TYPE_CHECKING:
    from ..client import Client


@command("ping")
def ping(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) > 2:
        raise wrong_arity("ping")
    if client.proto == 2 and (client.channels or client.patterns or client.shard_channels):
        return [b"pong", argv[1] if len(argv) > 1 else b""]
    return argv[1] if len(argv) > 1 else PONG


@command("echo")
def echo(client: Client, argv: list[bytes]) -> Reply:
    return argv[1]


@command("quit")
def quit_(client: Client, argv: list[bytes]) -> Reply:
    client.add_reply(OK)
    client.close_after_reply = True
    return NO_REPLY


@command("select")
def select(client: Client, argv: list[bytes]) -> Reply:
    index = parse_int32(argv[1])
    if not 0 <= index < len(client.server.dbs):
        raise RedisError(DB_INDEX)
    client.db = client.server.dbs[index]
    return OK


def check_password(client: Client, username: bytes, password: bytes) -> None:
    """Authenticate the connection as `username` (AUTH, HELLO AUTH), or WRONGPASS."""
    if not client.server.acl.authenticate(client, username, password):
        raise RedisError(WRONGPASS)


@command("auth")
def auth(client: Client, argv: list[bytes]) -> Reply:
    if len(argv) > 3:
        raise syntax_error()
    from ..server import redact
    username = argv[1] if len(argv) == 3 else b"default"
    password = argv[-1]
    for index in range(1, len(argv)):
        redact(argv, index)      # MONITOR shows "(redacted)", whatever happens next
    if len(argv) == 2 and client.server.acl.default.nopass:
        raise RedisError(AUTH_WITHOUT_PASSWORD)
    check_password(client, username, password)
    return OK


@command("hello")
def hello(client: Client, argv: list[bytes]) -> Reply:
    from ..server import REDIS_VERSION
    reader = ArgReader(argv)
    proto = client.proto
    if reader.more():
        raw = reader.next()
        try:
            proto = parse_int(raw)
        except RedisError:
            raise RedisError(PROTOCOL_VERSION_NOT_INTEGER) from None
        if proto not in (2, 3):
            raise RedisError(NOPROTO)
    name = None
    while reader.more():
        option = reader.keyword()
        if option == b"AUTH" and reader.remaining() >= 2:
            username, password = reader.next(), reader.next()
            from ..server import redact
            redact(argv, reader.pos - 2)
            redact(argv, reader.pos - 1)
            check_password(client, username, password)
        elif option == b"SETNAME" and reader.remaining() >= 1:
            name = reader.next()
            validate_client_name(name)
        else:
            raise hello_syntax(argv[reader.pos - 1])
    if not client.authenticated:
        raise RedisError(HELLO_WITHOUT_AUTH)
    if name is not None:
        client.name = name or None
    client.proto = proto
    return {b"server": b"redis", b"version": REDIS_VERSION.encode(), b"proto": proto,
            b"id": client.id, b"mode": b"standalone", b"role": b"master", b"modules": []}


def validate_client_name(name: bytes) -> None:
    """Client names may not contain spaces, newlines or other special characters."""
    if any(b < 33 or b > 126 for b in name):
        raise RedisError(BAD_CLIENT_NAME)


@command("reset")
def reset(client: Client, argv: list[bytes]) -> Reply:
    server = client.server
    server.clear_client_state(client)
    client.db = server.dbs[0]
    client.proto = 2
    client.name = None
    client.reply_mode = "on"
    server.acl.set_default_auth(client)
    return SimpleString(b"RESET")
