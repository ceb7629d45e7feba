"""A small web-app back end on Redis: login sessions that expire after 30 idle minutes, and
a login rate limit of 5 attempts per user per minute."""
from __future__ import annotations

import os
import secrets
from typing import Optional

import redis

SESSION_TTL = 30 * 60        # seconds of inactivity before a session ends
LOGIN_LIMIT = 5              # attempts per user ...
LOGIN_WINDOW = 60            # ... per this many seconds


def connect() -> redis.Redis:
    """The app's connection, from REDIS_URL (redis://localhost:6379 by default)."""
    return redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://localhost:6379"))


def login_allowed(r: redis.Redis, user: str) -> bool:
    """Count one login attempt; False once the user made LOGIN_LIMIT in the window."""
    key = f"login-attempts:{user}"
    attempts = r.incr(key)
    if attempts == 1:
        r.expire(key, LOGIN_WINDOW)
    return attempts <= LOGIN_LIMIT


def create_session(r: redis.Redis, user: str) -> str:
    token = secrets.token_urlsafe(16)
    r.set(f"session:{token}", user, ex=SESSION_TTL)
    return token


def session_user(r: redis.Redis, token: str) -> Optional[str]:
    """The session's user, None if it ended; each use keeps it alive SESSION_TTL longer."""
    user = r.getex(f"session:{token}", ex=SESSION_TTL)
    return user.decode() if user is not None else None


def logout(r: redis.Redis, token: str) -> None:
    r.delete(f"session:{token}")


async def active_session_count(r) -> int:
    """How many sessions are alive (with an asyncio client)."""
    return sum([1 async for _ in r.scan_iter(match="session:*")])
