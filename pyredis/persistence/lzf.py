"""LZF decompression, for the compressed strings Redis writes in RDB files and payloads."""
from __future__ import annotations


def lzf_decompress(data: bytes, size: int) -> bytes:
    """The `size` bytes LZF-compressed in `data`; ValueError (or IndexError) if corrupt."""
    out = bytearray()
    i = 0
    while i < len(data):
        ctrl = data[i]
        i += 1
        if ctrl < 32:
            out += data[i:i + ctrl + 1]
            i += ctrl + 1
            continue
        length = ctrl >> 5
        if length == 7:
            length += data[i]
            i += 1
        ref = len(out) - ((ctrl & 0x1F) << 8) - data[i] - 1
        i += 1
        if ref < 0:
            raise ValueError("LZF back reference before the start")
        for _ in range(length + 2):
            out.append(out[ref])
            ref += 1
    if len(out) != size:
        raise ValueError("LZF data of another length than announced")
    return bytes(out)
