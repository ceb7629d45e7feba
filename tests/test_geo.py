"""Geospatial commands: geohash properties, redis-py integration tests (sync and asyncio),
and differential tests against redis-server in RESP2 and RESP3: scores, positions,
distances, geohash strings and search results byte for byte, errors included."""
from __future__ import annotations

import asyncio
import random

import pytest
import redis
import redis.asyncio
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from differential import assert_same, both
from pyredis.types import geohash
from test_notifications import _events, servers  # noqa: F401 (servers: fixture)

longitudes = st.floats(geohash.LONG_MIN, geohash.LONG_MAX)
latitudes = st.floats(geohash.LAT_MIN, geohash.LAT_MAX)


# -- geohash ------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(longitudes, latitudes)
def test_a_score_decodes_to_its_cell(longitude, latitude):
    score = geohash.position_score(longitude, latitude)
    assert 0 <= score < 1 << 54    # the top edges give a cell past the last, as in Redis
    assume(score < 1 << 52)        # those edges are compared with redis-server below
    area = geohash.decode(geohash.Hash(score, geohash.STEP_MAX))
    decoded_lon, decoded_lat = geohash.score_to_position(float(score))
    assert area.long_min <= decoded_lon <= area.long_max
    assert area.lat_min <= decoded_lat <= area.lat_max
    assert abs(decoded_lon - longitude) < 1e-5 and abs(decoded_lat - latitude) < 1e-5
    assert geohash.position_score(decoded_lon, decoded_lat) == score


@settings(max_examples=200, deadline=None)
@given(st.floats(-179.9, 179.9), st.floats(-85, 85), st.integers(1, 26))
def test_neighbours_are_adjacent_cells(longitude, latitude, step):
    center = geohash.encode(longitude, latitude, step)
    east = geohash._neighbor(center, 1, 0)
    assert geohash._neighbor(east, -1, 0) == center
    north = geohash._neighbor(center, 0, 1)
    assert geohash._neighbor(north, 0, -1) == center
    area, east_area = geohash.decode(center), geohash.decode(east)
    if area.long_max < geohash.LONG_MAX:
        assert east_area.long_min == pytest.approx(area.long_max)


@settings(max_examples=200, deadline=None)
@given(longitudes, latitudes, longitudes, latitudes)
def test_distance_is_symmetric_and_bounded(lon1, lat1, lon2, lat2):
    d = geohash.distance(lon1, lat1, lon2, lat2)
    assert d == pytest.approx(geohash.distance(lon2, lat2, lon1, lat1), rel=1e-9, abs=1e-6)
    assert 0 <= d <= 3.1416 * geohash.EARTH_RADIUS_IN_METERS


def test_search_boxes_cover_the_radius():
    shape = geohash.Shape(13.361389, 38.115556, 1000.0, radius=200.0)
    boxes = geohash.search_boxes(shape)
    assert len(boxes) == 9 and boxes[0] is not None
    assert geohash.text_hash(float(geohash.position_score(13.361389, 38.115556))) == \
        b"sqc8b49rny0"


# -- redis-py -----------------------------------------------------------------------------

def test_geo_commands(r, protocol):
    assert r.geoadd("Sicily", [13.361389, 38.115556, "Palermo",
                               15.087269, 37.502669, "Catania"]) == 2
    assert r.geoadd("Sicily", [13.361389, 38.115556, "Palermo"], nx=True) == 0
    assert r.geoadd("Sicily", [13.5, 38.0, "Palermo"], xx=True, ch=True) == 1
    r.geoadd("Sicily", [13.361389, 38.115556, "Palermo"])
    assert r.geodist("Sicily", "Palermo", "Catania") == 166274.1516
    assert r.geodist("Sicily", "Palermo", "Catania", "km") == 166.2742
    assert r.geodist("Sicily", "Palermo", "nope") is None
    # redis-py decodes GEOHASH's strings in RESP2 only
    palermo = "sqc8b49rny0" if protocol == 2 else b"sqc8b49rny0"
    assert r.geohash("Sicily", "Palermo", "nope") == [palermo, None]
    (lon, lat), missing = r.geopos("Sicily", "Palermo", "nope")
    assert missing is None and abs(lon - 13.361389) < 1e-5 and abs(lat - 38.115556) < 1e-5
    assert r.georadius("Sicily", 15, 37, 200, "km", withdist=True, sort="ASC") == \
        [[b"Catania", 56.4413], [b"Palermo", 190.4424]]
    assert r.geosearch("Sicily", longitude=15, latitude=37, width=400, height=400,
                       unit="km", sort="DESC") == [b"Palermo", b"Catania"]
    assert r.geosearchstore("near", "Sicily", member="Palermo", radius=100, unit="km") == 1
    assert r.zrange("near", 0, -1) == [b"Palermo"]
    assert r.georadiusbymember("Sicily", "Palermo", 500, "km", store_dist="dists") == 2
    assert r.zscore("dists", "Palermo") == 0
    with pytest.raises(redis.ResponseError, match="invalid longitude,latitude pair"):
        r.geoadd("Sicily", [200, 100, "x"])
    with pytest.raises(redis.ResponseError, match="could not decode requested zset member"):
        r.georadiusbymember("Sicily", "nope", 1, "km")


def test_asyncio_client(server):
    async def main():
        client = redis.asyncio.Redis(port=server.port)
        try:
            await client.delete("ag")
            await client.geoadd("ag", [2.2945, 48.8584, "eiffel", 2.3376, 48.8606, "louvre"])
            return (await client.geodist("ag", "eiffel", "louvre", "km"),
                    await client.geosearch("ag", member="eiffel", radius=5, unit="km",
                                           sort="ASC"))
        finally:
            await client.aclose()
    dist, found = asyncio.run(main())
    assert dist == 3.1636 and found == [b"eiffel", b"louvre"]


# -- differential -------------------------------------------------------------------------

def _points(rng: random.Random, n: int) -> list:
    args: list = []
    for i in range(n):
        if rng.random() < 0.7:
            lon, lat = rng.uniform(12, 14), rng.uniform(40, 42)
        else:
            lon, lat = rng.uniform(-180, 180), rng.uniform(-85.05, 85.05)
        args += [repr(lon), repr(lat), "m%d" % i]
    return args


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("size", [20, 300])
def test_searches_as_redis(raw, real_raw, proto, size):
    rng = random.Random(size * proto)
    both(raw, real_raw, "HELLO", proto)
    assert_same(raw, real_raw, "GEOADD", "g", *_points(rng, size))
    assert_same(raw, real_raw, "ZRANGE", "g", 0, -1, "WITHSCORES")
    assert_same(raw, real_raw, "GEOPOS", "g", "m1", "nope", "m2")
    assert_same(raw, real_raw, "GEOHASH", "g", "m1", "nope", "m2")
    for unit in ("m", "km", "ft", "mi", "KM"):
        assert_same(raw, real_raw, "GEODIST", "g", "m1", "m2", unit)
    for _ in range(25):
        lon, lat = rng.uniform(11, 15), rng.uniform(39, 43)
        radius = rng.choice([1, 100, 5000, 50000, 200000, 5000000, 20000000])
        unit = rng.choice(["m", "km", "mi", "ft"])
        if unit != "m":
            radius /= 1000
        options: list = rng.sample(["WITHDIST", "WITHHASH", "WITHCOORD", "ASC", "DESC"],
                                   rng.randint(0, 3))
        if rng.random() < 0.4:
            options += ["COUNT", rng.randint(1, 20)] + (["ANY"] if rng.random() < 0.3 else [])
        plain = [o for o in options if not str(o).startswith("WITH")]
        width, height = rng.uniform(0, radius * 2), rng.uniform(0, radius * 2)
        assert_same(raw, real_raw, "GEORADIUS", "g", lon, lat, radius, unit, *options)
        assert_same(raw, real_raw, "GEORADIUSBYMEMBER_RO", "g", "m%d" % rng.randrange(10),
                    radius, unit, *options)
        assert_same(raw, real_raw, "GEOSEARCH", "g", "FROMLONLAT", lon, lat,
                    "BYBOX", width, height, unit, *options)
        assert_same(raw, real_raw, "GEOSEARCH", "g", "FROMMEMBER", "m3",
                    "BYRADIUS", radius, unit, *options)
        assert_same(raw, real_raw, "GEOSEARCHSTORE", "dst", "g", "FROMLONLAT", lon, lat,
                    "BYBOX", width, height, unit, *plain,
                    *(["STOREDIST"] if rng.random() < 0.5 else []))
        assert_same(raw, real_raw, "ZRANGE", "dst", 0, -1, "WITHSCORES")
        assert_same(raw, real_raw, "GEORADIUS", "g", lon, lat, radius, unit, *plain,
                    rng.choice(["STORE", "STOREDIST"]), "d2")
        assert_same(raw, real_raw, "ZRANGE", "d2", 0, -1, "WITHSCORES")
        assert_same(raw, real_raw, "OBJECT", "ENCODING", "d2")


ERRORS = [
    ("GEOADD", "g", "200", "10", "x"), ("GEOADD", "g", "10", "86", "x"),
    ("GEOADD", "g", "NX", "XX", "1", "1", "x"), ("GEOADD", "g", "1", "1"),
    ("GEOADD", "g", "CH", "NX", "x", "1", "m"), ("GEOADD", "g", "GT", "1", "1", "m"),
    ("GEOADD", "g", "NX", "CH", "XX"), ("GEOADD", "g", "1", "2", "a", "3", "4", "b"),
    ("GEODIST", "g", "a", "b", "yards"), ("GEODIST", "g", "a", "b", "km", "x"),
    ("GEODIST", "nokey", "a", "b"), ("GEODIST", "s", "a", "b"),
    ("GEOPOS", "s", "a"), ("GEOHASH", "nokey", "a"), ("GEOPOS", "nokey", "a"),
    ("GEORADIUS", "g", "1", "2", "-1", "km"), ("GEORADIUS", "g", "1", "2", "x", "km"),
    ("GEORADIUS", "g", "1", "2", "1", "parsec"), ("GEORADIUS", "g", "1", "2", "1", "km",
                                                   "COUNT", "0"),
    ("GEORADIUS", "g", "1", "2", "1", "km", "COUNT", "x"),
    ("GEORADIUS", "g", "1", "2", "1", "km", "ANY"),
    ("GEORADIUS", "g", "1", "2", "1", "km", "STORE", "x", "WITHDIST"),
    ("GEORADIUS_RO", "g", "1", "2", "1", "km", "STORE", "x"),
    ("GEORADIUS", "g", "1", "2", "1", "km", "BYBOX"),
    ("GEORADIUS", "nokey", "1", "2", "1", "km", "STORE", "a"),
    ("GEORADIUSBYMEMBER", "g", "nope", "1", "km"),
    ("GEORADIUSBYMEMBER", "nokey", "nope", "x", "km"),
    ("GEORADIUSBYMEMBER", "s", "a", "1", "km"),
    ("GEOSEARCH", "g", "BYRADIUS", "1", "km"), ("GEOSEARCH", "g", "FROMMEMBER", "a"),
    ("geosearch", "g", "FROMLONLAT", "1", "2"),
    ("GEOSEARCH", "g", "FROMMEMBER", "a", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km"),
    ("GEOSEARCH", "g", "FROMMEMBER", "a", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"),
    ("GEOSEARCH", "g", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"),
    ("GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYBOX", "-1", "1", "km"),
    ("GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYBOX", "x", "1", "km"),
    ("GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYBOX", "1", "y", "km"),
    ("GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STOREDIST"),
    ("GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STORE", "x"),
    ("GEOSEARCH", "nokey", "FROMMEMBER", "a", "BYRADIUS", "1", "km"),
    ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "WITHHASH"),
    ("GEOSEARCHSTORE", "d", "nokey", "FROMMEMBER", "a", "BYRADIUS", "1", "km"),
    ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STORE", "x"),
    ("GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "COUNT", "1", "ANY"),
]


@pytest.mark.parametrize("proto", [2, 3])
def test_errors_and_edges_as_redis(raw, real_raw, proto):
    both(raw, real_raw, "HELLO", proto)
    assert_same(raw, real_raw, "GEOADD", "g", "1", "2", "a", "1.00001", "2", "b")
    assert_same(raw, real_raw, "SET", "s", "x")
    assert_same(raw, real_raw, "ZADD", "g", "-5", "neg", "1e20", "huge")
    assert_same(raw, real_raw, "GEOADD", "g", "180", "0", "e1", "0", "85.05112878", "e2",
                "-180", "-85.05112878", "e3")
    assert_same(raw, real_raw, "GEOPOS", "g", "neg", "huge", "a", "e1", "e2", "e3")
    assert_same(raw, real_raw, "GEORADIUS", "g", "180", "85", "20000", "km", "WITHCOORD")
    assert_same(raw, real_raw, "GEOHASH", "g", "neg", "huge", "a", "e1", "e2", "e3")
    assert_same(raw, real_raw, "SET", "d", "x")
    for command in ERRORS:
        assert_same(raw, real_raw, *command)
    assert_same(raw, real_raw, "EXISTS", "d")


def test_keyspace_events_as_redis(servers):  # noqa: F811
    commands = [("GEOADD", "g", "1", "2", "a"), ("GEOADD", "g", "1", "2", "a"),
                ("GEOADD", "g", "XX", "CH", "1", "3", "a"),
                ("GEORADIUS", "g", "1", "2", "500", "km", "STORE", "d"),
                ("GEOSEARCHSTORE", "e", "g", "FROMMEMBER", "a", "BYRADIUS", "1", "km"),
                ("GEOSEARCHSTORE", "e", "g", "FROMLONLAT", "50", "50", "BYRADIUS", "1", "km"),
                ("GEORADIUS", "nokey", "1", "2", "5", "km", "STOREDIST", "d"),
                ("GEOSEARCH", "g", "FROMMEMBER", "a", "BYRADIUS", "1", "km")]
    ours, theirs = servers
    assert _events(ours.port, commands) == _events(theirs.port, commands)
