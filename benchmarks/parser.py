"""The request parser's own cost: pipelines of requests fed in 16 KB reads (as recv gives
them) to each parser pyredis has, in this process, in nanoseconds per command."""
from __future__ import annotations

import time
from dataclasses import dataclass

from pyredis.protocol.auto import REQUEST_PARSERS

from .servers import encode

CHUNK = 16 * 1024


def _workloads(count: int) -> dict[str, bytes]:
    return {
        "SET k v (multibulk)": b"".join(encode((b"SET", b"key:%06d" % i, b"xxx"))
                                        for i in range(count)),
        "GET k (multibulk)": b"".join(encode((b"GET", b"key:%06d" % i)) for i in range(count)),
        "PING (inline)": b"PING\r\n" * count,
        "SET k 1KB (multibulk)": b"".join(encode((b"SET", b"key:%06d" % i, b"x" * 1024))
                                          for i in range(count)),
    }


def parsers() -> dict[str, type]:
    """Every request parser pyredis offers, by name."""
    return dict(REQUEST_PARSERS)


@dataclass
class ParserResult:
    workload: str
    parser: str
    ns_per_command: float


def _time_one(parser_class: type, data: bytes, count: int) -> float:
    parser = parser_class()
    chunks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]
    started = time.perf_counter()
    parsed = 0
    for chunk in chunks:
        parser.feed(chunk)
        for _ in parser.parse():
            parsed += 1
    elapsed = time.perf_counter() - started
    if parsed != count:
        raise RuntimeError(f"{parser_class.__name__} parsed {parsed} of {count} commands")
    return elapsed * 1e9 / count


def run(count: int = 100_000, repeat: int = 3) -> list[ParserResult]:
    results = []
    for name, data in _workloads(count).items():
        n = count if "1KB" not in name else max(1, count // 10)
        if n != count:
            data = data[:len(data) * n // count]
        for parser_name, parser_class in parsers().items():
            best = min(_time_one(parser_class, data, n) for _ in range(repeat))
            results.append(ParserResult(name, parser_name, best))
    return results
