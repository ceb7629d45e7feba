"""Persistence: the RDB format and snapshots."""
