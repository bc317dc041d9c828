"""Charts drawn as PNG are kept by what is drawn (staff/png.py): the same chart again is the
same file without drawing it again; a chart of other figures or in another language is drawn."""

from __future__ import annotations

import io

from PIL import Image

from lmcself.staff import png
from lmcself.staff.charts import Chart, Rect, Text


def chart(lang: str, value: str) -> Chart:
    return Chart(
        "heat",
        "t",
        120,
        40,
        lang,
        [Rect(0, 0, 60, 20, "#1b7f5b"), Text(4, 32, value)],
    )


def test_a_chart_drawn_again_is_kept_and_other_figures_are_drawn(monkeypatch):
    png._DRAWN.clear()
    drawn = []
    real = png._draw
    monkeypatch.setattr(png, "_draw", lambda c: drawn.append(c) or real(c))
    first = png.png(chart("km", "កម្ពុជា 38.9"))
    assert png.png(chart("km", "កម្ពុជា 38.9")) == first and len(drawn) == 1
    other = png.png(chart("km", "កម្ពុជា 39.0"))
    assert other != first and len(drawn) == 2
    png.png(chart("my", "កម្ពុជា 38.9"))
    assert len(drawn) == 3
    image = Image.open(io.BytesIO(first))
    assert image.size == (241, 81) and image.getpixel((10, 10)) == (0x1B, 0x7F, 0x5B)
    for i in range(png.DRAWN_SIZE + 5):
        png.png(chart("en", str(i)))
    assert len(png._DRAWN) == png.DRAWN_SIZE
