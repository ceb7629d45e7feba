"""A bug inside one command costs that command's reply, not the server: the client gets an
error, the log gets the traceback, every other client goes on."""
from __future__ import annotations

import pytest
import redis

import pyredis
from pyredis.commands import TABLE


def test_an_exception_in_a_command_is_an_error_reply(monkeypatch):
    server = pyredis.Server().start()      # (binds the command functions)

    def fails(client, argv):               # ECHO made to fail as a bug in a command would
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr(TABLE["echo"], "func", fails)
    try:
        r = redis.Redis(port=server.port)
        other = redis.Redis(port=server.port)
        r.set("k", "v")
        other.ping()
        r.config_resetstat()
        with pytest.raises(redis.ResponseError,
                           match="^internal error running 'echo': ZeroDivisionError$"):
            r.echo("x")
        assert r.get("k") == b"v"                   # the same connection goes on
        assert other.ping() is True                 # and so does everyone else
        assert r.info("errorstats")["errorstat_ERR"]["count"] == 1
        pipe = r.pipeline(transaction=True)         # inside EXEC: that command alone fails
        pipe.set("a", 1).echo("y").get("a")
        assert [type(v) if isinstance(v, Exception) else v
                for v in pipe.execute(raise_on_error=False)] == [True, redis.ResponseError,
                                                                 b"1"]
    finally:
        server.stop()
