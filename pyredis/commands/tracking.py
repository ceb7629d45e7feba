"""Client-side caching commands: CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO (the
tracking table and invalidation messages are in pyredis.tracking)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..args import parse_int
from ..errors import (CACHING_NO_WITHOUT_OPTOUT, CACHING_WITHOUT_OPT, CACHING_YES_WITHOUT_OPTIN,
                      TRACKING_BCAST_SWITCH, TRACKING_NO_REDIRECT_TARGET, TRACKING_ONE_REDIRECT,
                      TRACKING_OPTIN_AND_OPTOUT, TRACKING_OPT_SWITCH, TRACKING_OPT_WITH_BCAST,
                      TRACKING_PREFIX_WITHOUT_BCAST, RedisError, prefix_overlaps_existing,
                      prefix_overlaps_given, syntax_error)
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
                raise prefix_overlaps_existing(prefix, other)
        for other in prefixes[i + 1:]:
            if _overlap(prefix, other):
                raise prefix_overlaps_given(prefix, other)


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
                raise RedisError(TRACKING_ONE_REDIRECT)
            redirect = parse_int(argv[j])
            if redirect not in server.clients:
                raise RedisError(TRACKING_NO_REDIRECT_TARGET)
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
            raise RedisError(TRACKING_PREFIX_WITHOUT_BCAST)
        if state is not None and state.bcast != bcast:
            raise RedisError(TRACKING_BCAST_SWITCH)
        if bcast and (optin or optout):
            raise RedisError(TRACKING_OPT_WITH_BCAST)
        if optin and optout:
            raise RedisError(TRACKING_OPTIN_AND_OPTOUT)
        if state is not None and ((optin and state.optout) or (optout and state.optin)):
            raise RedisError(TRACKING_OPT_SWITCH)
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
        raise RedisError(CACHING_WITHOUT_OPT)
    option = argv[2].lower()
    if option == b"yes":
        if not state.optin:
            raise RedisError(CACHING_YES_WITHOUT_OPTIN)
    elif option == b"no":
        if not state.optout:
            raise RedisError(CACHING_NO_WITHOUT_OPTOUT)
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
