"""Geohashes as Redis computes them: 52-bit interleaved scores, their decoding, neighbour
boxes, the search area for a radius or a box, and haversine distances on Redis's sphere.

A position is stored as a sorted set score: latitude and longitude each scaled to 26 bits
over [-85.05112878, 85.05112878] and [-180, 180], interleaved (latitude bits in the even
positions). Every step below does the floating-point operations in Redis's order, so that
scores, decoded coordinates and distances come out bit for bit the same.
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional

LAT_MIN = -85.05112878
LAT_MAX = 85.05112878
LONG_MIN = -180.0
LONG_MAX = 180.0
STEP_MAX = 26                              # 26 bits per coordinate: 52-bit scores
EARTH_RADIUS_IN_METERS = 6372797.560856    # Redis's quadratic mean radius of WGS-84
MERCATOR_MAX = 20037726.37
_D_R = math.pi / 180.0

_MASK64 = (1 << 64) - 1
_EVEN = 0x5555555555555555
_ODD = 0xAAAAAAAAAAAAAAAA

# (minimum, maximum) of the coordinate ranges: Redis's own, and the standard ones of
# textual geohashes (GEOHASH).
WGS84_LONG = (LONG_MIN, LONG_MAX)
WGS84_LAT = (LAT_MIN, LAT_MAX)
STANDARD_LAT = (-90.0, 90.0)

GEOALPHABET = b"0123456789bcdefghjkmnpqrstuvwxyz"


class Hash(NamedTuple):
    bits: int
    step: int


class Area(NamedTuple):
    lat_min: float
    lat_max: float
    long_min: float
    long_max: float


def _spread(value: int) -> int:
    """The 32 low bits of value moved to the even bit positions of 64."""
    value &= 0xFFFFFFFF
    value = (value | (value << 16)) & 0x0000FFFF0000FFFF
    value = (value | (value << 8)) & 0x00FF00FF00FF00FF
    value = (value | (value << 4)) & 0x0F0F0F0F0F0F0F0F
    value = (value | (value << 2)) & 0x3333333333333333
    return (value | (value << 1)) & _EVEN


def _squash(value: int) -> int:
    """The even bits of a 64-bit value packed into 32 (the inverse of _spread)."""
    value &= _EVEN
    value = (value | (value >> 1)) & 0x3333333333333333
    value = (value | (value >> 2)) & 0x0F0F0F0F0F0F0F0F
    value = (value | (value >> 4)) & 0x00FF00FF00FF00FF
    value = (value | (value >> 8)) & 0x0000FFFF0000FFFF
    return (value | (value >> 16)) & 0xFFFFFFFF


def encode(longitude: float, latitude: float, step: int = STEP_MAX,
           long_range: tuple = WGS84_LONG, lat_range: tuple = WGS84_LAT) -> Optional[Hash]:
    """The geohash of a position, None outside Redis's limits (geohashEncode)."""
    if longitude > LONG_MAX or longitude < LONG_MIN or \
            latitude > LAT_MAX or latitude < LAT_MIN:
        return None
    if latitude < lat_range[0] or latitude > lat_range[1] or \
            longitude < long_range[0] or longitude > long_range[1]:
        return None
    lat_offset = (latitude - lat_range[0]) / (lat_range[1] - lat_range[0])
    long_offset = (longitude - long_range[0]) / (long_range[1] - long_range[0])
    lat_offset *= float(1 << step)
    long_offset *= float(1 << step)
    return Hash(_spread(int(lat_offset)) | (_spread(int(long_offset)) << 1), step)


def decode(hash_: Hash, long_range: tuple = WGS84_LONG,
           lat_range: tuple = WGS84_LAT) -> Area:
    """The box a geohash stands for (geohashDecode)."""
    lat_cell = _squash(hash_.bits)
    long_cell = _squash(hash_.bits >> 1)
    cells = float(1 << hash_.step)
    lat_scale = lat_range[1] - lat_range[0]
    long_scale = long_range[1] - long_range[0]
    return Area(lat_range[0] + (lat_cell * 1.0 / cells) * lat_scale,
                lat_range[0] + (((lat_cell + 1) & 0xFFFFFFFF) * 1.0 / cells) * lat_scale,
                long_range[0] + (long_cell * 1.0 / cells) * long_scale,
                long_range[0] + (((long_cell + 1) & 0xFFFFFFFF) * 1.0 / cells) * long_scale)


def score_bits(score: float) -> int:
    """A sorted set score as the 64-bit integer Redis's (uint64_t) cast makes of it on
    x86-64 (scores outside the 52 bits of a geohash, negative ones included)."""
    if 0.0 <= score < 18446744073709551616.0:
        return int(score)
    if math.isnan(score) or score >= 2.0**64 or score <= -2.0**63:
        return 0x8000000000000000 if score <= -2.0**63 else 0
    return int(score) & _MASK64


def score_to_position(score: float) -> tuple[float, float]:
    """(longitude, latitude) of a member's score: the centre of its 52-bit box, kept
    within Redis's limits."""
    lat_min, lat_max, long_min, long_max = decode(Hash(score_bits(score), STEP_MAX))
    longitude = (long_min + long_max) / 2
    if longitude > LONG_MAX:
        longitude = LONG_MAX
    elif longitude < LONG_MIN:
        longitude = LONG_MIN
    latitude = (lat_min + lat_max) / 2
    if latitude > LAT_MAX:
        latitude = LAT_MAX
    elif latitude < LAT_MIN:
        latitude = LAT_MIN
    return longitude, latitude


def position_score(longitude: float, latitude: float) -> int:
    """The sorted set score of a position already checked against the limits."""
    hash_ = encode(longitude, latitude)
    assert hash_ is not None
    return hash_.bits


def text_hash(score: float) -> bytes:
    """GEOHASH's 11-character standard geohash of a member's score: its position encoded
    again over latitudes -90..90, the 11th character standing for two missing bits."""
    longitude, latitude = score_to_position(score)
    hash_ = encode(longitude, latitude, STEP_MAX, WGS84_LONG, STANDARD_LAT)
    bits = hash_.bits if hash_ is not None else 0
    chars = bytearray(GEOALPHABET[(bits >> (52 - (i + 1) * 5)) & 0x1F] for i in range(10))
    chars.append(GEOALPHABET[0])
    return bytes(chars)


# -- neighbours and search areas ----------------------------------------------------------

def _move(hash_: Hash, direction: int, moving: int, fixed: int) -> Hash:
    """Move one cell along the coordinate whose bits are `moving` (the odd bits for
    longitude, the even ones for latitude), wrapping around."""
    if direction == 0:
        return hash_
    bits, step = hash_.bits, hash_.step
    coordinate = bits & moving
    other = bits & fixed
    gaps = fixed >> (64 - step * 2)          # the other coordinate's bit positions
    if direction > 0:
        coordinate = coordinate + (gaps + 1)
    else:
        coordinate = ((coordinate | gaps) - (gaps + 1)) & _MASK64
    coordinate &= moving >> (64 - step * 2)
    return Hash(coordinate | other, step)


def _neighbor(hash_: Hash, dx: int, dy: int) -> Hash:
    return _move(_move(hash_, dx, _ODD, _EVEN), dy, _EVEN, _ODD)


class Shape(NamedTuple):
    """A search area: around (longitude, latitude), a radius or a width and height, in a
    unit of `conversion` meters."""
    longitude: float
    latitude: float
    conversion: float
    radius: float = 0.0
    width: float = 0.0
    height: float = 0.0
    is_box: bool = False


def estimate_steps_by_radius(range_meters: float, latitude: float) -> int:
    """How many bits per coordinate the 9 search boxes get for a radius."""
    if range_meters == 0:
        return 26
    step = 1
    while range_meters < MERCATOR_MAX:
        range_meters *= 2
        step += 1
    step -= 2
    if latitude > 66 or latitude < -66:
        step -= 1
        if latitude > 80 or latitude < -80:
            step -= 1
    return min(max(step, 1), 26)


def bounding_box(shape: Shape) -> tuple[float, float, float, float]:
    """(min longitude, min latitude, max longitude, max latitude) around the shape."""
    if shape.is_box:
        height = shape.conversion * (shape.height / 2)
        width = shape.conversion * (shape.width / 2)
    else:
        height = width = shape.conversion * shape.radius
    lat_delta = (height / EARTH_RADIUS_IN_METERS) / _D_R
    latitude = shape.latitude
    long_delta_top = (width / EARTH_RADIUS_IN_METERS /
                      math.cos((latitude + lat_delta) * _D_R)) / _D_R
    long_delta_bottom = (width / EARTH_RADIUS_IN_METERS /
                         math.cos((latitude - lat_delta) * _D_R)) / _D_R
    long_delta = long_delta_bottom if latitude < 0 else long_delta_top
    return (shape.longitude - long_delta, latitude - lat_delta,
            shape.longitude + long_delta, latitude + lat_delta)


def search_boxes(shape: Shape) -> list[Optional[Hash]]:
    """The centre box and its 8 neighbours to scan for a search, in Redis's order (centre,
    N, S, E, W, NE, NW, SE, SW); None for the neighbours that cannot hold a match."""
    min_lon, min_lat, max_lon, max_lat = bounding_box(shape)
    if shape.is_box:
        radius_meters = math.sqrt((shape.width / 2) * (shape.width / 2)
                                  + (shape.height / 2) * (shape.height / 2))
    else:
        radius_meters = shape.radius
    radius_meters *= shape.conversion
    steps = estimate_steps_by_radius(radius_meters, shape.latitude)
    center = encode(shape.longitude, shape.latitude, steps)
    assert center is not None
    north, south = _neighbor(center, 0, 1), _neighbor(center, 0, -1)
    east, west = _neighbor(center, 1, 0), _neighbor(center, -1, 0)
    # A neighbour too close to the area's edge to cover it: one step coarser.
    if steps > 1 and (decode(north).lat_max < max_lat or decode(south).lat_min > min_lat
                      or decode(east).long_max < max_lon or decode(west).long_min > min_lon):
        steps -= 1
        center = encode(shape.longitude, shape.latitude, steps)
        assert center is not None
    area = decode(center)
    boxes: list[Optional[Hash]] = [
        center, _neighbor(center, 0, 1), _neighbor(center, 0, -1), _neighbor(center, 1, 0),
        _neighbor(center, -1, 0), _neighbor(center, 1, 1), _neighbor(center, -1, 1),
        _neighbor(center, 1, -1), _neighbor(center, -1, -1)]
    if steps >= 2:
        useless = set()
        if area.lat_min < min_lat:
            useless.update((2, 8, 7))          # south, south-west, south-east
        if area.lat_max > max_lat:
            useless.update((1, 5, 6))          # north, north-east, north-west
        if area.long_min < min_lon:
            useless.update((4, 8, 6))          # west, south-west, north-west
        if area.long_max > max_lon:
            useless.update((3, 7, 5))          # east, south-east, north-east
        for index in useless:
            boxes[index] = None
    return boxes


def box_score_range(hash_: Hash) -> tuple[int, int]:
    """The scores [min, max) of the 52-bit hashes inside a box."""
    shift = 52 - hash_.step * 2
    return (hash_.bits << shift) & _MASK64, ((hash_.bits + 1) << shift) & _MASK64


# -- distances ----------------------------------------------------------------------------

def lat_distance(lat1: float, lat2: float) -> float:
    return EARTH_RADIUS_IN_METERS * abs(lat2 * _D_R - lat1 * _D_R)


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine great-circle distance in meters, on Redis's sphere."""
    lon1r = lon1 * _D_R
    lon2r = lon2 * _D_R
    v = math.sin((lon2r - lon1r) / 2)
    if v == 0.0:
        return lat_distance(lat1, lat2)
    lat1r = lat1 * _D_R
    lat2r = lat2 * _D_R
    u = math.sin((lat2r - lat1r) / 2)
    a = u * u + math.cos(lat1r) * math.cos(lat2r) * v * v
    return 2.0 * EARTH_RADIUS_IN_METERS * math.asin(math.sqrt(a))


def within(shape: Shape, longitude: float, latitude: float) -> Optional[float]:
    """The distance from the shape's centre to a point inside the shape, else None."""
    if not shape.is_box:
        dist = distance(shape.longitude, shape.latitude, longitude, latitude)
        return None if dist > shape.radius * shape.conversion else dist
    if lat_distance(latitude, shape.latitude) > shape.height * shape.conversion / 2:
        return None
    if distance(longitude, latitude, shape.longitude, latitude) > \
            shape.width * shape.conversion / 2:
        return None
    return distance(shape.longitude, shape.latitude, longitude, latitude)
