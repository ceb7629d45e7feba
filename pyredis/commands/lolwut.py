"""LOLWUT: the computer art of each Redis version.

redis-server 7.0 has no art of its own: LOLWUT answers its version, and LOLWUT VERSION 5
and VERSION 6 draw the art of those versions (Georg Nees's Schotter in Braille dots; a
city skyline in four grays). The drawing follows Redis's arithmetic, single-precision
floats included, so that what does not depend on chance comes out byte for byte the same;
the random displacements and windows come from Python's generator.
"""
from __future__ import annotations

import math
import random
import struct
from typing import TYPE_CHECKING

from ..args import parse_int
from ..errors import c_text
from ..protocol.encode import Reply, Verbatim
from ..server import REDIS_VERSION
from . import command

if TYPE_CHECKING:
    from ..client import Client

RAND_MAX = 2**31 - 1


def _f32(value: float) -> float:
    """A value rounded to a C float (Redis does this art's arithmetic in floats)."""
    return struct.unpack("f", struct.pack("f", value))[0]


def _c_round(value: float) -> int:
    """C's round(): halves away from zero."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def _rand() -> int:
    return random.randint(0, RAND_MAX)


class Canvas:
    """Pixels of a few colors, written out of bounds without harm."""

    def __init__(self, width: int, height: int, color: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray([color]) * (width * height)

    def draw(self, x: int, y: int, color: int) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.pixels[x + y * self.width] = color

    def get(self, x: int, y: int) -> int:
        if 0 <= x < self.width and 0 <= y < self.height:
            return self.pixels[x + y * self.width]
        return 0

    def line(self, x1: int, y1: int, x2: int, y2: int, color: int) -> None:
        """Bresenham's line."""
        dx, dy = abs(x2 - x1), abs(y2 - y1)
        sx = 1 if x1 < x2 else -1
        sy = 1 if y1 < y2 else -1
        err = dx - dy
        while True:
            self.draw(x1, y1, color)
            if x1 == x2 and y1 == y2:
                return
            e2 = err * 2
            if e2 > -dy:
                err -= dy
                x1 += sx
            if e2 < dx:
                err += dx
                y1 += sy

    def square(self, x: int, y: int, size: float, angle: float, color: int) -> None:
        """A square centered at x,y with the given side and rotation: its corners lie on
        the circle through them, starting at 45 degrees plus the angle."""
        size = _f32(_c_round(_f32(size / 1.4142135623)))
        k = _f32(math.pi / 4 + angle)
        corners = []
        for _ in range(4):
            corners.append((_c_round(math.sin(k) * size + x), _c_round(math.cos(k) * size + y)))
            k = _f32(k + math.pi / 2)
        for j in range(4):
            (x1, y1), (x2, y2) = corners[j], corners[(j + 1) % 4]
            self.line(x1, y1, x2, y2, color)


# -- LOLWUT VERSION 5: Schotter ------------------------------------------------------------

def _schotter(cols: int, per_row: int, per_col: int) -> Canvas:
    """Rows of squares, rotated and shifted more and more at random going down."""
    width = cols * 2
    padding = 2 if width > 4 else 0
    side = _f32(_f32(width - padding * 2) / per_row)
    canvas = Canvas(width, int(_f32(_f32(side * per_col) + padding * 2)), 0)
    half = _f32(side / 2)
    for y in range(per_col):
        for x in range(per_row):
            sx = int(_f32(_f32(_f32(x * side) + half) + padding))
            sy = int(_f32(_f32(_f32(y * side) + half) + padding))
            angle = 0.0
            if y > 1:
                r1, r2, r3 = (_f32(_f32(_f32(_f32(_rand()) / _f32(RAND_MAX)) / per_col) * y)
                              for _ in range(3))
                r1, r2, r3 = (-r if _rand() % 2 else r for r in (r1, r2, r3))
                angle = r1
                sx = int(_f32(sx + _f32(_f32(r2 * side) / 3)))
                sy = int(_f32(sy + _f32(_f32(r3 * side) / 3)))
            canvas.square(sx, sy, side, angle, 1)
    return canvas


def _braille(canvas: Canvas) -> bytes:
    """Each 2x4 group of pixels as one Braille character (dots 1-8, U+2800 on)."""
    out = bytearray()
    get = canvas.get
    for y in range(0, canvas.height, 4):
        for x in range(0, canvas.width, 2):
            dots = (get(x, y) | get(x, y + 1) << 1 | get(x, y + 2) << 2 | get(x + 1, y) << 3
                    | get(x + 1, y + 1) << 4 | get(x + 1, y + 2) << 5 | get(x, y + 3) << 6
                    | get(x + 1, y + 3) << 7)
            out += chr(0x2800 + dots).encode()
        if y != canvas.height - 1:
            out += b"\n"
    return bytes(out)


def _lolwut5(args: list[bytes]) -> bytes:
    """LOLWUT [columns] [squares per row] [squares per column]: 66, 8 and 12 by default."""
    cols, per_row, per_col = ([parse_int(a) for a in args[:3]] + [66, 8, 12][len(args):])[:3]
    canvas = _schotter(min(max(cols, 1), 1000), min(max(per_row, 1), 200),
                       min(max(per_col, 1), 200))
    return _braille(canvas) + (b"\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. "
                               + REDIS_VERSION.encode() + b"\n")


# -- LOLWUT VERSION 6: a skyline -----------------------------------------------------------

_GRAYS = {0: b"0;30;40m", 1: b"0;90;100m", 2: b"0;37;47m", 3: b"0;97;107m"}


def _skyscraper(canvas: Canvas, xoff: int, width: int, height: int, windows: bool,
                color: int) -> None:
    """One building standing on the bottom row; its roof two pixels narrower on each side,
    windows two pixels wide in one of the two grays other than its own."""
    bottom = canvas.height - 1
    top = bottom - height + 1
    for y in range(bottom, top - 1, -1):
        for x in range(xoff, xoff + width):
            if y == top and (x <= xoff + 1 or x >= xoff + width - 2):
                continue
            pixel = color
            if windows and xoff + 1 < x < xoff + width - 2 and top + 1 < y < bottom - 1:
                relx, rely = x - (xoff + 1), y - (top + 1)
                # C's / and % on these non-negative values
                if (relx // 2) % 2 and rely % 2:
                    pixel = color
                    while pixel == color:
                        pixel = 1 + _rand() % 2
                    if relx % 2:
                        pixel = canvas.get(x - 1, y)
            canvas.draw(x, y, pixel)


def _skyline(canvas: Canvas) -> None:
    """Two rows of plain buildings in the grays (the lighter behind), then the black ones
    with windows in front."""
    height = canvas.height
    for color in (2, 1):
        offset = -10
        while offset < canvas.width:
            offset += _rand() % 8
            width = 10 + _rand() % 9
            tall = height // 2 + (_rand() % height) // (2 if color == 2 else 3)
            _skyscraper(canvas, offset, width, tall, False, color)
            offset += width // 2 if color == 2 else width + 1
    offset = -10
    while offset < canvas.width:
        offset += _rand() % 8
        width = 5 + _rand() % 14
        if width % 4:
            width += width % 3
        tall = height // 3 + (_rand() % height) // 2
        _skyscraper(canvas, offset, width, tall, True, 0)
        offset += width + 5


def _lolwut6(args: list[bytes]) -> bytes:
    """LOLWUT [columns] [rows]: 80 and 20 by default."""
    cols, rows = ([parse_int(a) for a in args[:2]] + [80, 20][len(args):])[:2]
    canvas = Canvas(min(max(cols, 1), 1000), min(max(rows, 1), 1000), 3)
    _skyline(canvas)
    lines = []
    for y in range(canvas.height):
        lines.append(b"".join(b"\033[%s \033[0m" % _GRAYS.get(canvas.get(x, y), _GRAYS[0])
                              for x in range(canvas.width)))
    return b"\n".join(lines) + (
        b"\nDedicated to the 8 bit game developers of past and present.\n"
        b"Original 8 bit image from Plaguemon by hikikomori. Redis ver. "
        + REDIS_VERSION.encode() + b"\n")


@command("lolwut")
def lolwut(client: Client, argv: list[bytes]) -> Reply:
    """LOLWUT [VERSION v] [the version's own arguments]: Redis picks the art by the
    version's "%u.0.0" text, so only 5 and 6 (modulo 2^32) draw."""
    version = REDIS_VERSION
    args = argv[1:]
    if len(argv) >= 3 and c_text(argv[1]).lower() == "version":
        version = "%d.0.0" % (parse_int(argv[2]) % 2**32)
        args = argv[3:]
    major = version.split(".", 1)[0]
    if major == "5":
        return Verbatim(_lolwut5(args))
    if major == "6":
        return Verbatim(_lolwut6(args))
    return Verbatim(b"Redis ver. %s\n" % REDIS_VERSION.encode())
