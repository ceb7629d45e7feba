"""DEBUG: the subcommands Redis's own test suite and pyredis's tests drive the server with,
allowed only by `enable-debug-command`."""
from __future__ import annotations
