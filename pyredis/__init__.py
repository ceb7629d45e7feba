"""pyredis: a Redis-compatible in-memory key-value server in Python."""
from __future__ import annotations

__version__ = "0.1.0"
