"""The request parser a client gets, picked as uvicorn's `auto` modules pick a backend:
hiredis's when hiredis is importable, else the pure-Python one."""
from __future__ import annotations

from .parse import BaseRequestParser, RequestParser

# Every request parser available here, by name (for the tests and the parser benchmark).
REQUEST_PARSERS: dict[str, type[BaseRequestParser]] = {"python": RequestParser}

try:
    from .parse_hiredis import HiredisRequestParser
except ImportError:   # the pure-Python parser serves alone
    AutoRequestParser: type[BaseRequestParser] = RequestParser
else:
    REQUEST_PARSERS["hiredis"] = AutoRequestParser = HiredisRequestParser
