"""Text measured and charts drawn as PNG with Pillow (in the lock already, through WeasyPrint),
with Debian's Noto fonts (`make` installs them) and Pillow's HarfBuzz layout (raqm), so Khmer,
Lao, Burmese and Thai are shaped as the page shapes them. CairoSVG was not taken: it draws text
with cairo's "toy" API, which does not shape these scripts.

A text is split into runs by the font that has its characters: the script's Noto face, else
Noto Sans (Latin, Vietnamese, digits), else Noto Sans CJK.
"""

from __future__ import annotations

import io
import subprocess
import threading
from collections import OrderedDict
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont, features

if TYPE_CHECKING:
    from lmcself.staff.charts import Chart

FAMILIES = {
    "km": "Noto Sans Khmer",
    "lo": "Noto Sans Lao",
    "my": "Noto Sans Myanmar",
    "th": "Noto Sans Thai",
}
BASE, CJK = "Noto Sans", "Noto Sans CJK SC"
SCALE = 2  # pixels per unit of the chart: sharp on a slide


@cache
def _font_file(family: str, bold: bool) -> tuple[str, int] | None:
    style = "Bold" if bold else "Regular"
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{index}", f"{family}:style={style}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    return (found[0], int(found[1] or 0)) if found and found[0] else None


@cache
def _font(family: str, size: float, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    found = _font_file(family, bold)
    if not found:
        return ImageFont.load_default(size)
    layout = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(found[0], size, index=found[1], layout_engine=layout)


@cache
def _charset(family: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    found = _font_file(family, False)
    if not found:
        return frozenset()
    with TTFont(found[0], fontNumber=found[1], lazy=True) as font:
        return frozenset(font.getBestCmap())


@cache
def _runs(text: str, lang: str) -> tuple[tuple[str, str], ...]:
    """The text in runs of (family, part): each run in the first face that has its letters;
    marks stay with the letter before them."""
    order = [f for f in (FAMILIES.get(lang), BASE, CJK) if f]
    runs: list[tuple[str, str]] = []
    for char in text:
        code = ord(char)
        family = next((f for f in order if code in _charset(f)), order[0])
        if (runs and (runs[-1][0] == family or char.isspace() or not char.isprintable())) or (
            runs and _is_mark(char)
        ):
            runs[-1] = (runs[-1][0], runs[-1][1] + char)
        else:
            runs.append((family, char))
    return tuple(runs)


def _is_mark(char: str) -> bool:
    import unicodedata

    return unicodedata.category(char) in ("Mn", "Mc")


@cache
def measure(text: str, lang: str, size: float, bold: bool = False) -> float:
    """The width of a text in units of a chart (as it is drawn, about as a browser draws it)."""
    return sum(_length(family, part, lang, size, bold) for family, part in _runs(text, lang))


@lru_cache(maxsize=4096)
def _length(family: str, part: str, lang: str, size: float, bold: bool) -> float:
    return _font(family, size, bold).getlength(part, **_direction(lang))


def _direction(lang: str) -> dict:
    return {"language": lang} if features.check("raqm") and lang else {}


def _colour(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


# The PNGs drawn lately in this process, by what is drawn (the chart's language, size and
# shapes: other figures make other shapes): a chart downloaded again, or by a colleague, is not
# drawn again.
DRAWN_SIZE = 32
_DRAWN: OrderedDict[tuple, bytes] = OrderedDict()
_DRAWN_LOCK = threading.Lock()


def png(chart: Chart) -> bytes:
    """The chart drawn as PNG, from the same shapes as its SVG."""
    key = (chart.lang, chart.width, chart.height, tuple(chart.shapes))
    with _DRAWN_LOCK:
        if key in _DRAWN:
            _DRAWN.move_to_end(key)
            return _DRAWN[key]
    data = _draw(chart)
    with _DRAWN_LOCK:
        _DRAWN[key] = data
        while len(_DRAWN) > DRAWN_SIZE:
            _DRAWN.popitem(last=False)
    return data


def _draw(chart: Chart) -> bytes:
    from lmcself.staff.charts import HIDDEN_FILL, MUTED, Dot, Path, Rect, Text

    s = SCALE
    image = Image.new("RGB", (int(chart.width * s) + 1, int(chart.height * s) + 1), "#ffffff")
    draw = ImageDraw.Draw(image)
    for shape in chart.shapes:
        if isinstance(shape, Rect):
            box = (shape.x * s, shape.y * s, (shape.x + shape.w) * s, (shape.y + shape.h) * s)
            if shape.w <= 0 or shape.h <= 0:
                continue
            draw.rectangle(box, fill=_colour(HIDDEN_FILL if shape.hatch else shape.fill))
            if shape.hatch:
                # diagonal lines drawn on a tile of the rectangle's size, then pasted on it
                x0, y0, x1, y1 = (int(v) for v in box)
                tile = Image.new("RGB", (max(1, x1 - x0), max(1, y1 - y0)), _colour(HIDDEN_FILL))
                lines = ImageDraw.Draw(tile)
                height = tile.height
                start = -height
                while start < tile.width:
                    lines.line((start, height, start + height, 0), fill=_colour(MUTED), width=s)
                    start += 6 * s
                image.paste(tile, (x0, y0))
        elif isinstance(shape, Text):
            total = measure(shape.text, chart.lang, shape.size, shape.bold)
            x = shape.x - (
                total if shape.anchor == "end" else total / 2 if shape.anchor == "middle" else 0
            )
            for family, part in _runs(shape.text, chart.lang):
                font = _font(family, shape.size * s, shape.bold)
                draw.text(
                    (x * s, shape.y * s),
                    part,
                    font=font,
                    fill=_colour(shape.fill),
                    anchor="ls",
                    **_direction(chart.lang),
                )
                x += _length(family, part, chart.lang, shape.size, shape.bold)
        elif isinstance(shape, Path):
            points = [(x * s, y * s) for x, y in shape.points]
            draw.line(
                points,
                fill=_colour(shape.stroke),
                width=max(1, int(shape.width * s)),
                joint="curve",
            )
        elif isinstance(shape, Dot):
            r = shape.r * s
            draw.ellipse(
                (shape.x * s - r, shape.y * s - r, shape.x * s + r, shape.y * s + r),
                fill=_colour(shape.fill),
            )
    out = io.BytesIO()
    # the fastest compression: optimize=True took most of a chart's time, for a tenth less
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()
