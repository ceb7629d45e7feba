"""Geospatial commands: GEOADD, GEODIST, GEOHASH, GEOPOS, GEORADIUS, GEORADIUSBYMEMBER
(and their _RO forms), GEOSEARCH and GEOSEARCHSTORE.

Positions are members of a sorted set scored with their 52-bit geohash (types/geohash.py):
GEOADD is ZADD with computed scores, and searches scan the score ranges of the 9 boxes
around the centre as Redis does, so that results come in Redis's order.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from ..args import ArgReader, parse_float
from ..errors import (COUNT_NOT_ABOVE_ZERO, GEO_ANY_WITHOUT_COUNT, GEO_BAD_UNIT,
                      GEO_HEIGHT_NOT_NUMBER, GEO_NEGATIVE_BOX, GEO_NEGATIVE_RADIUS, GEO_NO_MEMBER,
                      GEO_RADIUS_NOT_NUMBER, GEO_WIDTH_NOT_NUMBER, RedisError, geo_one_origin,
                      geo_one_shape, geo_store_with_options, invalid_lonlat, syntax_error)
from ..protocol.encode import NULL_ARRAY, Raw, Reply
from ..types import geohash
from ..types.zset import ZSetValue
from . import command
from .sets import store_or_delete
from .zsets import zadd

if TYPE_CHECKING:
    from ..client import Client

UNITS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}


def _zset(client: Client, key: bytes) -> Optional[ZSetValue]:
    return client.db.get_typed(key, ZSetValue)


def _unit(raw: bytes) -> float:
    """Meters per unit."""
    factor = UNITS.get(raw.lower())
    if factor is None:
        raise RedisError(GEO_BAD_UNIT)
    return factor


def _position(longitude: bytes, latitude: bytes) -> tuple[float, float]:
    """A longitude, latitude pair within Redis's limits."""
    lon, lat = parse_float(longitude), parse_float(latitude)
    if lon < geohash.LONG_MIN or lon > geohash.LONG_MAX or \
            lat < geohash.LAT_MIN or lat > geohash.LAT_MAX:
        raise invalid_lonlat(lon, lat)
    return lon, lat


def _distance_arg(raw: bytes, unit: bytes) -> tuple[float, float]:
    """A radius and its unit: (radius, meters per unit)."""
    radius = parse_float(raw, GEO_RADIUS_NOT_NUMBER)
    if radius < 0:
        raise RedisError(GEO_NEGATIVE_RADIUS)
    return radius, _unit(unit)


def _member_position(value: ZSetValue, member: bytes) -> tuple[float, float]:
    score = value.score(member)
    if score is None:
        raise RedisError(GEO_NO_MEMBER)
    return geohash.score_to_position(score)


def _distance_text(meters: float) -> bytes:
    """A distance as Redis replies it: rounded to 4 decimals (half to even), fixed point."""
    scaled = round(meters * 10000.0)
    return b"%d.%04d" % divmod(scaled, 10000)


def _coordinate(client: Client, value: float) -> object:
    """A coordinate as Redis replies it: "%.17Lf" without trailing zeros, a bulk string
    in RESP2 and a double in RESP3."""
    text = b"%.17f" % value
    text = text.rstrip(b"0").rstrip(b".")
    if text == b"-0":
        text = b"0"
    return text if client.proto == 2 else Raw(b",%s\r\n" % text)


# -- GEOADD and the member lookups --------------------------------------------------------

@command("geoadd")
def geoadd(client: Client, argv: list[bytes]) -> Reply:
    first = 2
    nx = xx = False
    while first < len(argv):
        option = argv[first].lower()
        if option == b"nx":
            nx = True
        elif option == b"xx":
            xx = True
        elif option != b"ch":
            break
        first += 1
    if (len(argv) - first) % 3 or (nx and xx):
        raise syntax_error()
    zadd_argv = [b"zadd", *argv[1:first]]
    for at in range(first, len(argv), 3):
        longitude, latitude = _position(argv[at], argv[at + 1])
        zadd_argv += [b"%d" % geohash.position_score(longitude, latitude), argv[at + 2]]
    propagation = client.server.propagation
    if propagation.active:
        propagation.rewrite(zadd_argv)     # the ZADD it is, as Redis replays it
    return zadd(client, zadd_argv)


@command("geodist")
def geodist(client: Client, argv: list[bytes]) -> Reply:
    meters_per_unit = 1.0
    if len(argv) == 5:
        meters_per_unit = _unit(argv[4])
    elif len(argv) > 5:
        raise syntax_error()
    value = _zset(client, argv[1])
    if value is None:
        return None
    first, second = value.score(argv[2]), value.score(argv[3])
    if first is None or second is None:
        return None
    meters = geohash.distance(*geohash.score_to_position(first),
                              *geohash.score_to_position(second))
    return _distance_text(meters / meters_per_unit)


@command("geohash")
def geohash_(client: Client, argv: list[bytes]) -> Reply:
    value = _zset(client, argv[1])
    scores = [value.score(member) if value is not None else None for member in argv[2:]]
    return [None if score is None else geohash.text_hash(score) for score in scores]


@command("geopos")
def geopos(client: Client, argv: list[bytes]) -> Reply:
    value = _zset(client, argv[1])
    reply: list = []
    for member in argv[2:]:
        score = value.score(member) if value is not None else None
        if score is None:
            reply.append(NULL_ARRAY)
        else:
            longitude, latitude = geohash.score_to_position(score)
            reply.append([_coordinate(client, longitude), _coordinate(client, latitude)])
    return reply


# -- searches -----------------------------------------------------------------------------

class Found:
    """A member inside the search area."""
    __slots__ = ("member", "score", "longitude", "latitude", "dist")

    def __init__(self, member: bytes, score: float, longitude: float, latitude: float,
                 dist: float) -> None:
        self.member, self.score = member, score
        self.longitude, self.latitude, self.dist = longitude, latitude, dist


def _search(value: ZSetValue, shape: geohash.Shape, limit: int) -> list[Found]:
    """Members inside the shape, box by box in Redis's order, scanning each box's score
    range; with `limit` (ANY), stop once that many are found."""
    found: list[Found] = []
    boxes = geohash.search_boxes(shape)
    last = 0     # the last box scanned; Redis never compares a box with the centre (0)
    for index, box in enumerate(boxes):
        if box is None:
            continue
        if last and box == boxes[last]:
            continue        # huge radii repeat neighbours
        if found and limit and len(found) >= limit:
            break
        low, high = geohash.box_score_range(box)
        first, end = value.score_bounds(float(low), False, float(high), True)
        for score, member in value.slice(first, end) if first < end else ():
            longitude, latitude = geohash.score_to_position(score)
            dist = geohash.within(shape, longitude, latitude)
            if dist is not None:
                found.append(Found(member, score, longitude, latitude, dist))
                if limit and len(found) >= limit:
                    break
        last = index
    return found


COORDS, MEMBER, SEARCH = "coords", "member", "search"


def _search_command(client: Client, argv: list[bytes], source_index: int, kind: str,
                    can_store: bool = False, search_store: bool = False):
    """GEORADIUS, GEORADIUSBYMEMBER (can_store: not the _RO forms), GEOSEARCH and
    GEOSEARCHSTORE (search_store): Redis's georadiusGeneric, its checks in its order."""
    value = _zset(client, argv[source_index])
    center: Optional[tuple[float, float]] = None
    radius = width = height = conversion = 0.0
    store_key: Optional[bytes] = argv[1] if search_store else None
    if kind == COORDS:
        first_option = 6
        center = _position(argv[2], argv[3])
        radius, conversion = _distance_arg(argv[4], argv[5])
    elif kind == MEMBER:
        first_option = 5
        if value is not None:
            center = _member_position(value, argv[2])
            radius, conversion = _distance_arg(argv[3], argv[4])
    else:
        first_option = 3 if search_store else 2
    withdist = withhash = withcoord = any_ = store_dist = False
    from_member = from_lonlat = by_radius = by_box = False
    ascending: Optional[bool] = None
    count = 0
    reader = ArgReader(argv, first_option)
    while reader.more():
        option = reader.keyword()
        left = reader.remaining()     # arguments after this one
        if option == b"WITHDIST":
            withdist = True
        elif option == b"WITHHASH":
            withhash = True
        elif option == b"WITHCOORD":
            withcoord = True
        elif option == b"ANY":
            any_ = True
        elif option == b"ASC":
            ascending = True
        elif option == b"DESC":
            ascending = False
        elif option == b"COUNT" and left >= 1:
            count = reader.next_int(minimum=1, range_error=COUNT_NOT_ABOVE_ZERO)
        elif option in (b"STORE", b"STOREDIST") and left >= 1 and can_store:
            store_key, store_dist = reader.next(), option == b"STOREDIST"
        elif option == b"STOREDIST" and search_store:
            store_dist = True
        elif option == b"FROMMEMBER" and left >= 1 and kind == SEARCH and not from_lonlat:
            member = reader.next()
            if value is not None:
                center = _member_position(value, member)
            from_member = True
        elif option == b"FROMLONLAT" and left >= 2 and kind == SEARCH and not from_member:
            center = _position(reader.next(), reader.next())
            from_lonlat = True
        elif option == b"BYRADIUS" and left >= 2 and kind == SEARCH and not by_box:
            radius, conversion = _distance_arg(reader.next(), reader.next())
            by_radius = True
        elif option == b"BYBOX" and left >= 3 and kind == SEARCH and not by_radius:
            width = parse_float(reader.next(), GEO_WIDTH_NOT_NUMBER)
            height = parse_float(reader.next(), GEO_HEIGHT_NOT_NUMBER)
            if height < 0 or width < 0:
                raise RedisError(GEO_NEGATIVE_BOX)
            conversion = _unit(reader.next())
            by_box = True
        else:
            raise syntax_error()

    if store_key is not None and (withdist or withhash or withcoord):
        raise geo_store_with_options("GEOSEARCHSTORE" if search_store
                                     else "STORE option in GEORADIUS")
    name = argv[0].decode(errors="surrogateescape")
    if kind == SEARCH and not (from_member or from_lonlat):
        raise geo_one_origin(name)
    if kind == SEARCH and not (by_radius or by_box):
        raise geo_one_shape(name)
    if any_ and not count:
        raise RedisError(GEO_ANY_WITHOUT_COUNT)

    if value is None:
        if store_key is not None:
            return store_or_delete(client, store_key, ZSetValue(), "z", "")
        return []
    if count and ascending is None and not any_:
        ascending = True    # the nearest COUNT: sorted anyway
    assert center is not None
    shape = geohash.Shape(center[0], center[1], conversion, radius, width, height, by_box)
    found = _search(value, shape, count if any_ else 0)
    if not found and store_key is None:
        return []
    if ascending is not None:
        found.sort(key=lambda point: point.dist, reverse=not ascending)
    if count:
        del found[count:]

    if store_key is None:
        reply: list[Reply] = []
        for point in found:
            dist = point.dist / conversion
            if not (withdist or withhash or withcoord):
                reply.append(point.member)
                continue
            item: list = [point.member]
            if withdist:
                item.append(_distance_text(dist))
            if withhash:
                item.append(int(point.score))
            if withcoord:
                item.append([_coordinate(client, point.longitude),
                             _coordinate(client, point.latitude)])
            reply.append(item)
        return reply
    pairs = [(point.member, point.dist / conversion if store_dist else point.score)
             for point in found]
    result = ZSetValue.from_pairs(pairs, client.server.config)
    event = "geosearchstore" if kind == SEARCH else "georadiusstore"
    return store_or_delete(client, store_key, result, "z", event, changes=len(found))


@command("georadius")
def georadius(client: Client, argv: list[bytes]) -> Reply:
    return _search_command(client, argv, 1, COORDS, can_store=True)


@command("georadius_ro")
def georadius_ro(client: Client, argv: list[bytes]) -> Reply:
    return _search_command(client, argv, 1, COORDS)


@command("georadiusbymember")
def georadiusbymember(client: Client, argv: list[bytes]) -> Reply:
    return _search_command(client, argv, 1, MEMBER, can_store=True)


@command("georadiusbymember_ro")
def georadiusbymember_ro(client: Client, argv: list[bytes]) -> Reply:
    return _search_command(client, argv, 1, MEMBER)


@command("geosearch")
def geosearch(client: Client, argv: list[bytes]) -> Reply:
    return _search_command(client, argv, 1, SEARCH)


@command("geosearchstore")
def geosearchstore(client: Client, argv: list[bytes]) -> Reply:
    return _search_command(client, argv, 2, SEARCH, search_store=True)
