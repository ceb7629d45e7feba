"""Tests of the sessions app, on the real server the pyredis fixtures provide."""
import asyncio

import sessions


def test_a_session_remembers_its_user(redis_client):
    token = sessions.create_session(redis_client, "ada")
    assert sessions.session_user(redis_client, token) == "ada"


def test_the_app_connects_through_redis_url(redis_client):
    token = sessions.create_session(sessions.connect(), "grace")
    assert sessions.session_user(redis_client, token) == "grace"


def test_every_test_starts_empty(redis_client):
    assert redis_client.dbsize() == 0


def test_an_idle_session_expires(redis_client, pyredis_server):
    token = sessions.create_session(redis_client, "ada")
    pyredis_server.clock.advance(sessions.SESSION_TTL + 1)    # no sleeping
    assert sessions.session_user(redis_client, token) is None


def test_using_a_session_keeps_it_alive(redis_client, pyredis_server):
    token = sessions.create_session(redis_client, "ada")
    for _ in range(3):
        pyredis_server.clock.advance(sessions.SESSION_TTL - 60)
        assert sessions.session_user(redis_client, token) == "ada"
    pyredis_server.clock.advance(sessions.SESSION_TTL + 1)
    assert sessions.session_user(redis_client, token) is None


def test_logout(redis_client):
    token = sessions.create_session(redis_client, "ada")
    sessions.logout(redis_client, token)
    assert sessions.session_user(redis_client, token) is None


def test_login_rate_limit_resets_after_the_window(redis_client, pyredis_server):
    assert all(sessions.login_allowed(redis_client, "mallory") for _ in range(5))
    assert not sessions.login_allowed(redis_client, "mallory")
    assert sessions.login_allowed(redis_client, "ada")          # per user
    pyredis_server.clock.advance(sessions.LOGIN_WINDOW + 1)
    assert sessions.login_allowed(redis_client, "mallory")


def test_active_sessions_with_the_async_client(pyredis_async_client, pyredis_server):
    sync = pyredis_server.client()
    for user in ("ada", "grace", "edsger"):
        sessions.create_session(sync, user)

    async def count():
        try:
            return await sessions.active_session_count(pyredis_async_client)
        finally:
            await pyredis_async_client.aclose()

    assert asyncio.run(count()) == 3
