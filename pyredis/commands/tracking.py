"""Client-side caching commands: CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO (the
tracking table and invalidation messages are in pyredis.tracking)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..args import parse_int
from ..errors import RedisError, syntax_error
from ..protocol.encode import OK, OrderedSet, Reply
from . import command

if TYPE_CHECKING:
    from ..client import Client


def _overlap(a: bytes, b: bytes) -> bool:
    """One prefix is a prefix of the other: a key could match both."""
    return a.startswith(b) or b.startswith(a)


def _check_prefixes(client: Client, prefixes: list[bytes]) -> None:
    existing = sorted(client.tracking.prefixes) if client.tracking is not None else []
    for i, prefix in enumerate(prefixes):
        for other in existing:
            if _overlap(other, prefix):
                raise RedisError(
                    "ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a "
                    "single client must not overlap." % (_text(prefix), _text(other)))
        for other in prefixes[i + 1:]:
            if _overlap(prefix, other):
                raise RedisError(
                    "ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes "
                    "for a single client must not overlap." % (_text(prefix), _text(other)))


def _text(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode(errors="replace")


@command("client|tracking")
def client_tracking(client: Client, argv: list[bytes]) -> Reply:
    server = client.server
    redirect = 0
    bcast = optin = optout = noloop = False
    prefixes: list[bytes] = []
    j = 3
    while j < len(argv):
        option = argv[j].lower()
        more = j + 1 < len(argv)
        if option == b"redirect" and more:
            j += 1
            if redirect:
                raise RedisError("ERR A client can only redirect to a single other client")
            redirect = parse_int(argv[j])
            if redirect not in server.clients:
                raise RedisError("ERR The client ID you want redirect to does not exist")
        elif option == b"bcast":
            bcast = True
        elif option == b"optin":
            optin = True
        elif option == b"optout":
            optout = True
        elif option == b"noloop":
            noloop = True
        elif option == b"prefix" and more:
            j += 1
            prefixes.append(argv[j])
        else:
            raise syntax_error()
        j += 1
    mode = argv[2].lower()
    if mode == b"on":
        state = client.tracking
        if not bcast and prefixes:
            raise RedisError("ERR PREFIX option requires BCAST mode to be enabled")
        if state is not None and state.bcast != bcast:
            raise RedisError("ERR You can't switch BCAST mode on/off before disabling tracking "
                             "for this client, and then re-enabling it with a different mode.")
        if bcast and (optin or optout):
            raise RedisError("ERR OPTIN and OPTOUT are not compatible with BCAST")
        if optin and optout:
            raise RedisError("ERR You can't specify both OPTIN mode and OPTOUT mode")
        if state is not None and ((optin and state.optout) or (optout and state.optin)):
            raise RedisError("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking "
                             "for this client, and then re-enabling it with a different mode.")
        if bcast:
            _check_prefixes(client, prefixes)
        server.tracking.enable(client, redirect, bcast, optin, optout, noloop, prefixes)
    elif mode == b"off":
        server.tracking.disable(client)
    else:
        raise syntax_error()
    return OK


@command("client|caching")
def client_caching(client: Client, argv: list[bytes]) -> Reply:
    state = client.tracking
    if state is None:
        raise RedisError("ERR CLIENT CACHING can be called only when the client is in tracking "
                         "mode with OPTIN or OPTOUT mode enabled")
    option = argv[2].lower()
    if option == b"yes":
        if not state.optin:
            raise RedisError("ERR CLIENT CACHING YES is only valid when tracking is enabled in "
                             "OPTIN mode.")
    elif option == b"no":
        if not state.optout:
            raise RedisError("ERR CLIENT CACHING NO is only valid when tracking is enabled in "
                             "OPTOUT mode.")
    else:
        raise syntax_error()
    state.caching = True
    return OK


@command("client|getredir")
def client_getredir(client: Client, argv: list[bytes]) -> Reply:
    return client.tracking.redirect if client.tracking is not None else -1


@command("client|trackinginfo")
def client_trackinginfo(client: Client, argv: list[bytes]) -> Reply:
    state = client.tracking
    if state is None:
        return {b"flags": OrderedSet([b"off"]), b"redirect": -1, b"prefixes": []}
    flags = [b"on"]
    if state.bcast:
        flags.append(b"bcast")
    if state.optin:
        flags.append(b"optin")
        if state.caching:
            flags.append(b"caching-yes")
    if state.optout:
        flags.append(b"optout")
        if state.caching:
            flags.append(b"caching-no")
    if state.noloop:
        flags.append(b"noloop")
    if state.broken_redirect:
        flags.append(b"broken_redirect")
    return {b"flags": OrderedSet(flags), b"redirect": state.redirect,
            b"prefixes": sorted(state.prefixes)}
