"""The libraries Redis bundles with its Lua: bit (LuaBitOp), cjson, cmsgpack and struct.

lupa's Lua comes without them, so they are written here: `bit` in Lua (pure arithmetic on
32-bit values), the other three in Python behind thin Lua wrappers that raise their errors
in Lua. They follow the behaviour of the versions Redis 7.0 ships (lua-cjson 2.1,
lua-cmsgpack 0.4, Roberto's struct 0.2): same encodings, same defaults.
"""
from __future__ import annotations

import json
import math
import struct as _struct
from typing import Any

import lupa.lua51 as lua51



class ScriptError(Exception):
    """An error a Python function called from Lua raises in Lua: a Redis error table, or a
    message that gets the script's position in front, as luaL_error gives."""

    def __init__(self, value: Any, positioned: bool = False) -> None:
        super().__init__(value)
        self.value = value
        self.positioned = positioned

_LUA = rb"""
local py = ...
local select, type, tonumber, error, pairs = select, type, tonumber, error, pairs
local floor, fmod = math.floor, math.fmod
local string_format, string_upper = string.format, string.upper

-- bit: LuaBitOp's functions on numbers taken modulo 2^32 as signed 32-bit integers.
local function number_arg(v, i, name)
    local n = tonumber(v)
    if n == nil then
        error(string_format("bad argument #%d to '%s' (number expected, got %s)", i, name,
                            v == nil and "no value" or type(v)), 3)
    end
    return n
end
local function u32(n)
    n = floor(n + 0.5)
    n = fmod(n, 4294967296)
    if n < 0 then n = n + 4294967296 end
    return n
end
local function s32(u)
    if u >= 2147483648 then return u - 4294967296 end
    return u
end
local function arg32(v, i, name) return u32(number_arg(v, i, name)) end
local function bitwise(a, b, op)
    local result, bitv = 0, 1
    for _ = 1, 32 do
        local x, y = a % 2, b % 2
        if op(x, y) then result = result + bitv end
        a, b, bitv = (a - x) / 2, (b - y) / 2, bitv * 2
    end
    return result
end
local function folder(name, op)
    return function(...)
        local acc = arg32((...), 1, name)
        for i = 2, select("#", ...) do
            acc = bitwise(acc, arg32(select(i, ...), i, name), op)
        end
        return s32(acc)
    end
end
local function shift_count(v, name) return number_arg(v, 2, name) % 32 end
local function shift_count_floor(v, name) return floor(number_arg(v, 2, name)) % 32 end
local bit = {
    tobit = function(x) return s32(arg32(x, 1, "tobit")) end,
    bnot = function(x) return s32(4294967295 - arg32(x, 1, "bnot")) end,
    band = folder("band", function(x, y) return x == 1 and y == 1 end),
    bor = folder("bor", function(x, y) return x == 1 or y == 1 end),
    bxor = folder("bxor", function(x, y) return x ~= y end),
    lshift = function(x, n)
        return s32(u32(arg32(x, 1, "lshift") * 2 ^ shift_count_floor(n, "lshift")))
    end,
    rshift = function(x, n)
        return s32(floor(arg32(x, 1, "rshift") / 2 ^ shift_count_floor(n, "rshift")))
    end,
    arshift = function(x, n)
        return s32(u32(floor(s32(arg32(x, 1, "arshift")) / 2 ^ shift_count_floor(n, "arshift"))))
    end,
    rol = function(x, n)
        local v, k = arg32(x, 1, "rol"), shift_count_floor(n, "rol")
        return s32(u32(v * 2 ^ k) + floor(v / 2 ^ (32 - k)))
    end,
    ror = function(x, n)
        local v, k = arg32(x, 1, "ror"), shift_count_floor(n, "ror")
        return s32(floor(v / 2 ^ k) + u32(v * 2 ^ (32 - k)))
    end,
    bswap = function(x)
        local v = arg32(x, 1, "bswap")
        local b0, b1, b2, b3 = v % 256, floor(v / 256) % 256, floor(v / 65536) % 256,
                               floor(v / 16777216)
        return s32(((b0 * 256 + b1) * 256 + b2) * 256 + b3)
    end,
    tohex = function(x, n)
        local v = arg32(x, 1, "tohex")
        n = n == nil and 8 or floor(number_arg(n, 2, "tohex"))
        local upper = n < 0
        if upper then n = -n end
        if n > 8 then n = 8 end
        local text = string_format("%08x", v)
        text = text:sub(9 - n)
        if upper then text = string_upper(text) end
        return text
    end,
}

local null = newproxy()
local cjson = {null = null}
for name, f in pairs(py.cjson) do cjson[name] = f end
local cmsgpack = {}
for name, f in pairs(py.cmsgpack) do cmsgpack[name] = f end
local struct = {}
for name, f in pairs(py.struct) do struct[name] = f end
return bit, cjson, cmsgpack, struct, null
"""


def install(runtime: Any) -> dict:
    """Make the libraries in a Lua state: {name: table} for its globals."""
    state = _LibState(runtime)
    callbacks = runtime.table_from({
        b"cjson": runtime.table_from({name.encode(): getattr(state, "cjson_" + name)
                                      for name in _CJSON_FUNCTIONS}),
        b"cmsgpack": runtime.table_from({name.encode(): getattr(state, "msgpack_" + name)
                                         for name in _MSGPACK_FUNCTIONS}),
        b"struct": runtime.table_from({name.encode(): getattr(state, "struct_" + name)
                                       for name in ("pack", "unpack", "size")}),
    })
    loader = runtime.globals().loadstring(_LUA, b"=redis")
    bit, cjson, cmsgpack, struct, null = loader(callbacks)
    state.null = null
    return {b"bit": bit, b"cjson": cjson, b"cmsgpack": cmsgpack, b"struct": struct}


_CJSON_FUNCTIONS = ("encode", "decode", "encode_keep_buffer", "encode_max_depth",
                    "decode_max_depth", "encode_invalid_numbers", "decode_invalid_numbers",
                    "encode_sparse_array", "encode_number_precision")
_MSGPACK_FUNCTIONS = ("pack", "unpack", "unpack_one", "unpack_limit")


class LibError(Exception):
    pass


def _guard(func: Any) -> Any:
    """A library function as seen from Lua: a LibError becomes a Lua error (luaL_error's,
    with the caller's position)."""
    def wrapper(*args: Any) -> Any:
        try:
            return func(*args)
        except LibError as exc:
            raise ScriptError(str(exc).encode(), positioned=True) from None
    wrapper.__name__ = func.__name__
    return wrapper


def _lua_number_text(value: float, precision: int = 14) -> bytes:
    """A number as Lua's %.14g prints it (integers without a decimal point)."""
    return b"%.*g" % (precision, value)


def _is_table(value: Any) -> bool:
    return lua51.lua_type(value) == "table"


def _type_name(value: Any) -> str:
    if value is None:
        return "nil"
    kind = type(value)
    if kind is bool:
        return "boolean"
    if kind in (int, float):
        return "number"
    if kind is bytes:
        return "string"
    return lua51.lua_type(value) or "userdata"


class _LibState:
    """The settings of one Lua state's cjson, and the functions of the three libraries."""

    def __init__(self, runtime: Any) -> None:
        self.table_from = runtime.table_from
        self.null: Any = None
        self.encode_max_depth = 1000
        self.decode_max_depth = 1000
        self.encode_invalid_numbers: Any = False
        self.decode_invalid_numbers = True
        self.sparse_convert = False
        self.sparse_ratio = 2
        self.sparse_safe = 10
        self.number_precision = 14
        for name in list(vars(_LibState)):
            if name.startswith(("cjson_", "msgpack_", "struct_")):
                setattr(self, name, _guard(getattr(self, name)))

    # -- cjson ---------------------------------------------------------------------------

    def cjson_encode(self, *args: Any) -> bytes:
        if len(args) != 1:
            raise LibError("bad argument #1 to 'encode' (expected 1 argument)")
        out: list[bytes] = []
        self._json_value(args[0], out, 0)
        return b"".join(out)

    def _json_value(self, value: Any, out: list, depth: int) -> None:
        kind = type(value)
        if kind is bytes:
            out.append(_json_string(value))
        elif kind is bool:
            out.append(b"true" if value else b"false")
        elif kind is int or kind is float:
            out.append(self._json_number(value))
        elif value is None or (self.null is not None and value == self.null):
            out.append(b"null")
        elif _is_table(value):
            depth += 1
            if depth > self.encode_max_depth:
                raise LibError("Cannot serialise, excessive nesting (%d)" % depth)
            length = self._json_array_length(value)
            if length > 0:
                out.append(b"[")
                for i in range(1, length + 1):
                    if i > 1:
                        out.append(b",")
                    self._json_value(value[i], out, depth)
                out.append(b"]")
                return
            out.append(b"{")
            first = True
            for key, item in value.items():
                if not first:
                    out.append(b",")
                first = False
                key_kind = type(key)
                if key_kind is bytes:
                    out.append(_json_string(key))
                elif key_kind is int or key_kind is float:
                    out.append(b'"' + self._json_number(key) + b'"')
                else:
                    raise LibError("Cannot serialise %s: table key must be a number or string"
                                   % _type_name(key))
                out.append(b":")
                self._json_value(item, out, depth)
            out.append(b"}")
        else:
            raise LibError("Cannot serialise %s: type not supported" % _type_name(value))

    def _json_number(self, value: float) -> bytes:
        if math.isinf(value) or math.isnan(value):
            if self.encode_invalid_numbers == "null":
                return b"null"
            if not self.encode_invalid_numbers:
                raise LibError("Cannot serialise number: must not be NaN or Inf")
            if math.isnan(value):
                return b"nan"
            return b"inf" if value > 0 else b"-inf"
        return b"%.*g" % (self.number_precision, value)

    def _json_array_length(self, table: Any) -> int:
        """The array length when every key is a positive integer (else -1), as lua-cjson."""
        highest = count = 0
        for key in table.keys():
            if type(key) in (int, float) and key >= 1 and key == int(key):
                highest = max(highest, int(key))
                count += 1
            else:
                return -1
        if highest > self.sparse_safe and highest > count * self.sparse_ratio and \
                self.sparse_ratio > 0:
            if not self.sparse_convert:
                raise LibError("Cannot serialise table: excessively sparse array")
            return -1
        return highest

    def cjson_decode(self, *args: Any) -> Any:
        if len(args) != 1:
            raise LibError("bad argument #1 to 'decode' (expected 1 argument)")
        text = args[0]
        if type(text) is not bytes:
            if type(text) in (int, float):
                text = _lua_number_text(text)
            else:
                raise LibError("bad argument #1 to 'decode' (string expected, got %s)"
                               % _type_name(text))
        try:
            value = json.loads(text.decode("utf-8", "surrogateescape"),
                               parse_constant=self._json_constant)
        except (ValueError, RecursionError) as exc:
            raise LibError("Expected value but found invalid token at character %d"
                           % (getattr(exc, "pos", 0) + 1)) from None
        return self._json_to_lua(value, 1)

    def _json_constant(self, name: str) -> float:
        if not self.decode_invalid_numbers:
            raise ValueError(name)
        return float(name)

    def _json_to_lua(self, value: Any, depth: int) -> Any:
        if isinstance(value, str):
            return value.encode("utf-8", "surrogateescape")
        if value is None:
            return self.null
        if isinstance(value, (list, dict)):
            if depth > self.decode_max_depth:
                raise LibError("Found too many nested data structures (%d)" % depth)
            if isinstance(value, list):
                return self.table_from([self._json_to_lua(v, depth + 1) for v in value])
            return self.table_from({k.encode("utf-8", "surrogateescape"):
                                    self._json_to_lua(v, depth + 1) for k, v in value.items()})
        if isinstance(value, bool):
            return value
        return float(value) if isinstance(value, float) else value

    def _setting(self, value: Any, current: Any, low: int, high: int, name: str) -> Any:
        if value is None:
            return current
        if type(value) not in (int, float) or not low <= value <= high:
            raise LibError("bad argument #1 to '%s' (expected integer between %d and %d)"
                           % (name, low, high))
        return int(value)

    def cjson_encode_keep_buffer(self, *args: Any) -> bool:
        return True

    def cjson_encode_max_depth(self, value: Any = None) -> int:
        self.encode_max_depth = self._setting(value, self.encode_max_depth, 1, 2**31 - 1,
                                              "encode_max_depth")
        return self.encode_max_depth

    def cjson_decode_max_depth(self, value: Any = None) -> int:
        self.decode_max_depth = self._setting(value, self.decode_max_depth, 1, 2**31 - 1,
                                              "decode_max_depth")
        return self.decode_max_depth

    def cjson_encode_number_precision(self, value: Any = None) -> int:
        self.number_precision = self._setting(value, self.number_precision, 1, 14,
                                              "encode_number_precision")
        return self.number_precision

    def cjson_encode_invalid_numbers(self, value: Any = None) -> Any:
        if value is not None:
            self.encode_invalid_numbers = "null" if value == b"null" else bool(value)
        current = self.encode_invalid_numbers
        return b"null" if current == "null" else current

    def cjson_decode_invalid_numbers(self, value: Any = None) -> Any:
        if value is not None:
            self.decode_invalid_numbers = bool(value)
        return self.decode_invalid_numbers

    def cjson_encode_sparse_array(self, convert: Any = None, ratio: Any = None,
                                  safe: Any = None) -> tuple:
        if convert is not None:
            self.sparse_convert = bool(convert)
        self.sparse_ratio = self._setting(ratio, self.sparse_ratio, 0, 2**31 - 1,
                                          "encode_sparse_array")
        self.sparse_safe = self._setting(safe, self.sparse_safe, 0, 2**31 - 1,
                                         "encode_sparse_array")
        return self.sparse_convert, self.sparse_ratio, self.sparse_safe

    # -- cmsgpack --------------------------------------------------------------------------

    def msgpack_pack(self, *args: Any) -> bytes:
        if not args:
            raise LibError("MessagePack pack needs input.")
        out = bytearray()
        for value in args:
            self._pack(value, out, 0)
        return bytes(out)

    def _pack(self, value: Any, out: bytearray, level: int) -> None:
        kind = type(value)
        if kind is bytes:
            n = len(value)
            if n < 32:
                out.append(0xA0 | n)
            elif n <= 0xFF:
                out += b"\xd9" + bytes((n,))
            elif n <= 0xFFFF:
                out += b"\xda" + _struct.pack(">H", n)
            else:
                out += b"\xdb" + _struct.pack(">I", n)
            out += value
        elif kind is bool:
            out.append(0xC3 if value else 0xC2)
        elif kind is int or kind is float:
            if value == math.floor(value) and -2**63 <= value < 2**63 \
                    and not math.isinf(value):
                _pack_int(int(value), out)
            elif _struct.unpack(">f", _struct.pack(">f", value))[0] == value \
                    if not math.isinf(value) and abs(value) < 3.4e38 else math.isinf(value):
                out += b"\xca" + _struct.pack(">f", value)
            else:
                out += b"\xcb" + _struct.pack(">d", value)
        elif _is_table(value) and level < 16:
            length = _msgpack_array_length(value)
            if length >= 0:
                _pack_header(length, out, 0x90, b"\xdc", b"\xdd")
                for i in range(1, length + 1):
                    self._pack(value[i], out, level + 1)
            else:
                items = list(value.items())
                _pack_header(len(items), out, 0x80, b"\xde", b"\xdf")
                for key, item in items:
                    self._pack(key, out, level + 1)
                    self._pack(item, out, level + 1)
        else:
            out.append(0xC0)

    def msgpack_unpack(self, *args: Any) -> tuple:
        return self._unpack(args, -1, 0, True)

    def msgpack_unpack_one(self, *args: Any) -> tuple:
        return self._unpack(args, 1, _int_arg(args, 1, 0), False)

    def msgpack_unpack_limit(self, *args: Any) -> tuple:
        return self._unpack(args, _int_arg(args, 1, 0), _int_arg(args, 2, 0), False)

    def _unpack(self, args: tuple, limit: int, offset: int, all_values: bool) -> tuple:
        data = args[0] if args else None
        if type(data) is not bytes:
            raise LibError("bad argument #1 to 'unpack' (string expected, got %s)"
                           % _type_name(data))
        if offset < 0 or (limit < 0 and not all_values):
            raise LibError("Invalid request to unpack with offset of %d and limit of %d."
                           % (offset, limit))
        if offset > len(data):
            raise LibError("Start offset %d greater than input length %d."
                           % (offset, len(data)))
        values: list[Any] = []
        pos = offset
        while pos < len(data) and (all_values or len(values) < limit):
            value, pos = self._unpack_one(data, pos)
            values.append(value)
        if all_values:
            return tuple(values)
        return (-1 if pos >= len(data) else pos, *values)

    def _unpack_one(self, data: bytes, pos: int) -> tuple[Any, int]:
        def take(n: int) -> bytes:
            nonlocal pos
            if pos + n > len(data):
                raise LibError("Missing bytes in input.")
            chunk = data[pos:pos + n]
            pos += n
            return chunk
        tag = take(1)[0]
        if tag <= 0x7F:
            return tag, pos
        if tag >= 0xE0:
            return tag - 0x100, pos
        if 0xA0 <= tag <= 0xBF:
            return take(tag & 0x1F), pos
        if 0x90 <= tag <= 0x9F or tag in (0xDC, 0xDD):
            count = tag & 0x0F if tag <= 0x9F else _struct.unpack(
                ">H" if tag == 0xDC else ">I", take(2 if tag == 0xDC else 4))[0]
            items = []
            for _ in range(count):
                item, pos = self._unpack_one(data, pos)
                items.append(item)
            return self.table_from(items), pos
        if 0x80 <= tag <= 0x8F or tag in (0xDE, 0xDF):
            count = tag & 0x0F if tag <= 0x8F else _struct.unpack(
                ">H" if tag == 0xDE else ">I", take(2 if tag == 0xDE else 4))[0]
            entries = {}
            for _ in range(count):
                key, pos = self._unpack_one(data, pos)
                entries[key], pos = self._unpack_one(data, pos)
            entries.pop(None, None)
            return self.table_from(entries), pos
        simple = {0xC0: None, 0xC2: False, 0xC3: True}
        if tag in simple:
            return simple[tag], pos
        formats = {0xCA: ">f", 0xCB: ">d", 0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q",
                   0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q"}
        if tag in formats:
            fmt = formats[tag]
            return _struct.unpack(fmt, take(_struct.calcsize(fmt)))[0], pos
        sizes = {0xD9: ">B", 0xDA: ">H", 0xDB: ">I", 0xC4: ">B", 0xC5: ">H", 0xC6: ">I"}
        if tag in sizes:
            fmt = sizes[tag]
            n = _struct.unpack(fmt, take(_struct.calcsize(fmt)))[0]
            return take(n), pos
        raise LibError("Bad data format in input.")

    # -- struct ----------------------------------------------------------------------------

    def struct_pack(self, fmt: Any = None, *args: Any) -> bytes:
        out = bytearray()
        values = list(args)
        arg_index = 1
        for code, size, endian, align in _struct_items(_check_format(fmt, "pack")):
            if code == "x":
                out += b"\0" * size
                continue
            _align(out, size, align)
            if code == "c" or code == "s":
                arg_index += 1
                value: Any = values.pop(0) if values else None   # any Lua value, checked here
                if type(value) in (int, float):
                    value = _lua_number_text(value)
                if type(value) is not bytes:
                    raise LibError("bad argument #%d to 'pack' (string expected, got %s)"
                                   % (arg_index, _type_name(value)))
                if code == "s":
                    out += value + b"\0"
                else:
                    n = len(value) if size == 0 else size
                    if len(value) < n:
                        raise LibError("bad argument #%d to 'pack' (string too short)"
                                       % arg_index)
                    out += value[:n]
                continue
            arg_index += 1
            value = values.pop(0) if values else None
            if type(value) is bytes:
                try:
                    value = float(value)
                except ValueError:
                    value = None
            if type(value) not in (int, float):
                raise LibError("bad argument #%d to 'pack' (number expected, got %s)"
                               % (arg_index, _type_name(value)))
            if code in "fd":
                out += _struct.pack(endian + code, value)
            else:
                number = int(value) & ((1 << (8 * size)) - 1)
                out += number.to_bytes(size, "big" if endian == ">" else "little")
        return bytes(out)

    def struct_unpack(self, fmt: Any = None, data: Any = None, start: Any = None) -> tuple:
        fmt = _check_format(fmt, "unpack")
        if type(data) is not bytes:
            raise LibError("bad argument #2 to 'unpack' (string expected, got %s)"
                           % _type_name(data))
        pos = int(start) - 1 if start is not None else 0
        if pos < 0 or pos > len(data):
            raise LibError("bad argument #3 to 'unpack' (offset must be 1 or greater)")
        results: list[Any] = []
        for code, size, endian, align in _struct_items(fmt):
            if code == "x":
                pos += size
                continue
            pos = _aligned(pos, size, align)
            if code == "s":
                end = data.find(b"\0", pos)
                if end < 0:
                    raise LibError("unfinished string in data")
                results.append(data[pos:end])
                pos = end + 1
                continue
            if code == "c":
                n = size
                if n == 0:
                    if not results or type(results[-1]) not in (int, float):
                        raise LibError("format `c0' needs a previous size")
                    n = int(results.pop())
                if pos + n > len(data):
                    raise LibError("bad argument #2 to 'unpack' (data string too short)")
                results.append(data[pos:pos + n])
                pos += n
                continue
            if pos + size > len(data):
                raise LibError("bad argument #2 to 'unpack' (data string too short)")
            chunk = data[pos:pos + size]
            if code in "fd":
                results.append(_struct.unpack(endian + code, chunk)[0])
            else:
                number = int.from_bytes(chunk, "big" if endian == ">" else "little",
                                        signed=code in "bhli")
                results.append(number)
            pos += size
        results.append(pos + 1)
        return tuple(results)

    def struct_size(self, fmt: Any = None) -> int:
        pos = 0
        for code, size, _, align in _struct_items(_check_format(fmt, "size")):
            if code == "s" or (code == "c" and size == 0):
                raise LibError("bad argument #1 to 'size' (options `s' and `c0' have "
                               "variable size)")
            if code != "x":
                pos = _aligned(pos, size, align)
            pos += size
        return pos


def _pack_int(n: int, out: bytearray) -> None:
    if n >= 0:
        if n <= 0x7F:
            out.append(n)
        elif n <= 0xFF:
            out += b"\xcc" + bytes((n,))
        elif n <= 0xFFFF:
            out += b"\xcd" + _struct.pack(">H", n)
        elif n <= 0xFFFFFFFF:
            out += b"\xce" + _struct.pack(">I", n)
        else:
            out += b"\xcf" + _struct.pack(">Q", n)
    elif n >= -32:
        out.append(n & 0xFF)
    elif n >= -128:
        out += b"\xd0" + _struct.pack(">b", n)
    elif n >= -32768:
        out += b"\xd1" + _struct.pack(">h", n)
    elif n >= -2**31:
        out += b"\xd2" + _struct.pack(">i", n)
    else:
        out += b"\xd3" + _struct.pack(">q", n)


def _pack_header(n: int, out: bytearray, small: int, mid: bytes, big: bytes) -> None:
    if n <= 15:
        out.append(small | n)
    elif n <= 0xFFFF:
        out += mid + _struct.pack(">H", n)
    else:
        out += big + _struct.pack(">I", n)


def _msgpack_array_length(table: Any) -> int:
    """lua-cmsgpack's test: keys 1..n with no holes make an array (n), else -1."""
    count = highest = 0
    for key in table.keys():
        if type(key) in (int, float) and key >= 1 and key == int(key):
            count += 1
            highest = max(highest, int(key))
        else:
            return -1
    return count if count == highest else -1


def _int_arg(args: tuple, index: int, default: int) -> int:
    if len(args) <= index or args[index] is None:
        return default
    value = args[index]
    if type(value) is bytes:
        try:
            value = float(value)
        except ValueError:
            value = None
    if type(value) not in (int, float):
        raise LibError("bad argument #%d (number expected, got %s)"
                       % (index + 1, _type_name(value)))
    return int(value)


def _check_format(fmt: Any, name: str) -> bytes:
    if type(fmt) in (int, float):
        return _lua_number_text(fmt)
    if type(fmt) is not bytes:
        raise LibError("bad argument #1 to '%s' (string expected, got %s)"
                       % (name, _type_name(fmt)))
    return fmt


_STRUCT_SIZES = {"b": 1, "B": 1, "h": 2, "H": 2, "l": 8, "L": 8, "T": 8, "f": 4, "d": 8,
                 "s": 1, "x": 1}


def _struct_items(fmt: bytes) -> list[tuple[str, int, str, int]]:
    """(code, size, endianness, max alignment) of each item of a struct format."""
    items = []
    endian, align = "<", 1
    text = fmt.decode("latin-1")
    i = 0
    while i < len(text):
        ch = text[i]
        i += 1
        digits = ""
        while i < len(text) and text[i].isdigit():
            digits += text[i]
            i += 1
        if ch == " ":
            continue
        if ch in "<>":
            endian = ch
        elif ch == "=":
            endian = "<"
        elif ch == "!":
            align = int(digits) if digits else 8
        elif ch in "iI":
            size = int(digits) if digits else 4
            if not 1 <= size <= 8:
                raise LibError("integral size %d is larger than limit of 8" % size)
            items.append(("i" if ch == "i" else "I", size, endian, align))
        elif ch == "c":
            items.append(("c", int(digits) if digits else 1, endian, align))
        elif ch in _STRUCT_SIZES:
            items.append(("L" if ch == "T" else ch, _STRUCT_SIZES[ch], endian, align))
        else:
            raise LibError("invalid format option '%s'" % ch)
    return items


def _aligned(pos: int, size: int, align: int) -> int:
    step = min(size, align)
    if step > 1 and pos % step:
        pos += step - pos % step
    return pos


def _align(out: bytearray, size: int, align: int) -> None:
    pos = _aligned(len(out), size, align)
    out += b"\0" * (pos - len(out))


def _json_string(data: bytes) -> bytes:
    out = bytearray(b'"')
    for byte in data:
        escaped = _JSON_ESCAPES.get(byte)
        if escaped is not None:
            out += escaped
        else:
            out.append(byte)
    out += b'"'
    return bytes(out)


_JSON_ESCAPES = {i: b"\\u%04x" % i for i in range(32)}
_JSON_ESCAPES.update({0x08: b"\\b", 0x09: b"\\t", 0x0A: b"\\n", 0x0C: b"\\f", 0x0D: b"\\r",
                      0x22: b'\\"', 0x5C: b"\\\\", 0x2F: b"\\/"})
