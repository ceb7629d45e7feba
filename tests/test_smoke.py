"""The server starts, answers redis-py and redis-cli, and gives Redis's basic errors."""
import subprocess



def test_ping_set_get(r):
    assert r.ping()
    assert r.set("a", "1")
    assert r.get("a") == b"1"


def test_unknown_command_error_matches_redis(raw, real_raw):
    for args in (("NOSUCH", "a", "b"), ("GET",), ("get", "a", "b")):
        assert raw.execute(*args) == real_raw.execute(*args)


def test_redis_cli_talks_to_server(server):
    out = subprocess.run(["redis-cli", "-p", str(server.port), "PING"], capture_output=True,
                         text=True, timeout=30)
    assert out.stdout.strip() == "PONG"


def test_function_registry_is_empty_as_in_redis(raw, real_raw):
    for args in (("FUNCTION", "FLUSH"), ("FUNCTION", "FLUSH", "ASYNC"), ("FUNCTION", "FLUSH", "x"),
                 ("FUNCTION", "FLUSH", "a", "b"), ("FUNCTION", "LIST"),
                 ("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "x"),
                 ("FUNCTION", "LIST", "LIBRARYNAME"), ("FUNCTION", "LIST", "WITHCODE", "WITHCODE"),
                 ("FUNCTION", "NOSUCH")):
        assert raw.execute(*args) == real_raw.execute(*args), args
