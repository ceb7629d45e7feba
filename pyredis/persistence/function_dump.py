"""FUNCTION DUMP / RESTORE payloads: each library's code as an RDB FUNCTION2 opcode and
string, then the RDB version and a CRC64, as DUMP payloads are; read with the RDB reader."""
from __future__ import annotations

from typing import Any, Iterable

from ..errors import (BAD_DUMP_PAYLOAD, BAD_FUNCTIONS_PAYLOAD, NOT_A_FUNCTION,
                      PRE_GA_FUNCTION_FORMAT, RedisError, engine_not_found)
from ..scripting import parse_library_metadata
from .rdb import (OPCODE_FUNCTION2, RdbError, Reader, encode_length, seal_payload,
                  verify_payload)

OPCODE_FUNCTION_PRE_GA = 246


def dump(libraries: Iterable[Any]) -> bytes:
    return seal_payload(b"".join(bytes((OPCODE_FUNCTION2,)) + encode_length(len(lib.code))
                                 + lib.code for lib in libraries))


def load(payload: bytes) -> list[bytes]:
    """The library payloads a FUNCTION DUMP holds; Redis's errors for a bad one."""
    if not verify_payload(payload):
        raise RedisError(BAD_DUMP_PAYLOAD)
    reader = Reader(payload, len(payload) - 10)
    codes = []
    try:
        while reader.pos < reader.end:
            opcode = reader.byte()
            if opcode == OPCODE_FUNCTION_PRE_GA:
                raise RedisError(PRE_GA_FUNCTION_FORMAT)
            if opcode != OPCODE_FUNCTION2:
                raise RedisError(NOT_A_FUNCTION)
            codes.append(reader.string())
    except RdbError:
        raise RedisError(BAD_FUNCTIONS_PAYLOAD) from None
    return codes


def library_of(code: bytes) -> tuple[bytes, bytes, bytes]:
    """(name, payload, code) of a library's payload, for Scripting.compile_library."""
    name, engine, body = parse_library_metadata(code)
    if engine.lower() != b"lua":
        raise engine_not_found(engine)
    return name, code, body
