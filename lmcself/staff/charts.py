"""The staff dashboard's charts as shapes: laid out once, then written as inline SVG (on the page
and as a download) or drawn as PNG (staff/png.py), so that what a download shows is what the
page shows. Every chart carries its figures as a table (the page shows it beside the chart, the
CSV download is it). A hidden figure (fewer than k behind it) is None in the table, "x" in the
CSV, a hatched grey shape or a gap in a line in the picture: never a number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

from lmcself.core.instrument import Instrument
from lmcself.staff.png import measure
from lmcself.storage.figures import Dashboard, Group, Series

HIDDEN = "x"  # a hidden cell in the CSV, as statistical offices mark one
INK, MUTED, LINE, SOFT, PAPER = "#1b1f24", "#4a5560", "#c9d1d8", "#e6ecea", "#ffffff"
HIDDEN_FILL = "#d9dde1"
LEVEL_FILLS = {
    "starting": "#b3261e",
    "emerging": "#a35200",
    "growing": "#2b6cb0",
    "leading": "#0b5d4b",
}
# Five steps of 20 points, light to dark (ColorBrewer Greens); black text on the light three.
HEAT = ("#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c")
SIZE, SMALL, ROW, PAD = 13.0, 11.0, 24.0, 8.0


def heat_step(value: float) -> int:
    return min(4, max(0, int(value // 20)))


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    hatch: bool = False  # a hidden figure: grey with diagonal lines


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    size: float = SIZE
    fill: str = INK
    anchor: str = "start"  # start, middle, end
    bold: bool = False


@dataclass(frozen=True)
class Path:
    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float = 2.0
    dash: bool = False


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    r: float
    fill: str


Shape = Rect | Text | Path | Dot


@dataclass
class Chart:
    key: str  # heat, levels, trend, compare, gaps
    title: str
    width: float
    height: float
    lang: str
    shapes: list[Shape] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)  # None: hidden
    summary: str = ""  # one sentence for screen readers (the table has the figures)


def width(text: str, lang: str, size: float = SIZE, bold: bool = False) -> float:
    return measure(text, lang, size, bold)


class Labels:
    """How the page writes what a chart shows: group values, numbers, periods."""

    def __init__(
        self,
        group: Callable[[str], str],
        number: Callable[[float], str],
        percent: Callable[[float], str],
        period: Callable[[str], str],
        hidden: str,
        all_label: str,
    ) -> None:
        self.group, self.number, self.percent, self.period = group, number, percent, period
        self.hidden, self.all = hidden, all_label


def _cell(value: float | int | None, write: Callable[[float], str]) -> str | None:
    return None if value is None else write(value)


def heat(
    figures: Dashboard,
    instrument: Instrument,
    parts: list[str],
    by_name: str,
    labels: Labels,
    title: str,
    lang: str,
) -> Chart:
    """Groups by parts: each cell the average, coloured in steps of 20 points, its number on it."""
    dims = [d.key for d in instrument.dimensions]
    names = [labels.group(g.value) for g in figures.groups]
    left = max([width(n, lang) for n in [*names, by_name]] or [0]) + 2 * PAD
    cell_w, header = 52.0, ROW + 4
    chart = Chart("heat", title, 0, 0, lang)
    chart.headers = [by_name, *parts]
    for i in range(len(dims)):
        x = left + i * cell_w + cell_w / 2
        chart.shapes.append(Text(x, header - 8, str(i + 1), bold=True, anchor="middle"))
    chart.shapes.append(Text(PAD, header - 8, by_name, bold=True))
    for row, (group, name) in enumerate(zip(figures.groups, names, strict=True)):
        y = header + row * ROW
        chart.shapes.append(Text(PAD, y + ROW - 8, name))
        values: list[str | None] = [name]
        for i, dim in enumerate(dims):
            value = group.dimensions.get(dim)
            x = left + i * cell_w
            if value is None:
                chart.shapes.append(Rect(x + 1, y + 1, cell_w - 2, ROW - 2, HIDDEN_FILL, True))
                values.append(None)
                continue
            step = heat_step(value)
            chart.shapes.append(Rect(x + 1, y + 1, cell_w - 2, ROW - 2, HEAT[step]))
            text = labels.number(value)
            colour = PAPER if step >= 3 else INK
            chart.shapes.append(
                Text(x + cell_w / 2, y + ROW - 8, text, fill=colour, anchor="middle")
            )
            values.append(text)
        chart.rows.append(values)
    y = header + len(figures.groups) * ROW + PAD
    for i, part in enumerate(parts):
        y += SMALL + 6
        chart.shapes.append(Text(PAD, y, f"{i + 1} · {part}", size=SMALL, fill=MUTED))
    legend_w = max([width(f"{i + 1} · {p}", lang, SMALL) for i, p in enumerate(parts)] or [0])
    chart.width = max(left + len(dims) * cell_w + PAD, legend_w + 2 * PAD)
    chart.height = y + PAD
    return chart


def _legend(chart: Chart, items: Sequence[tuple[str, str, bool]], y: float, limit: float) -> float:
    """Colour keys and their names in rows that fit `limit`; the y below them."""
    x = PAD
    for name, fill, hatch in items:
        w = 14 + 4 + width(name, chart.lang, SMALL) + 14
        if x + w > limit and x > PAD:
            x, y = PAD, y + ROW - 6
        chart.shapes.append(Rect(x, y - 10, 12, 12, fill, hatch))
        chart.shapes.append(Text(x + 16, y, name, size=SMALL))
        x += w
    return y + ROW - 6


def levels(
    figures: Dashboard,
    instrument: Instrument,
    level_names: dict[str, str],
    by_name: str,
    labels: Labels,
    title: str,
    lang: str,
) -> Chart:
    """Each group's businesses by level, as one bar of 100%; a hidden part of it hatched grey."""
    groups: list[tuple[str, Group]] = [(labels.group(g.value), g) for g in figures.groups]
    left = max([width(n, lang) for n, _ in groups] or [0]) + 2 * PAD
    bar = 420.0
    chart = Chart("levels", title, left + bar + PAD, 0, lang)
    keys = [lv.key for lv in instrument.levels]
    chart.headers = [by_name, *(level_names[k] for k in keys)]
    items = [(level_names[k], LEVEL_FILLS.get(k, MUTED), False) for k in keys]
    y = _legend(chart, [*items, (labels.hidden, HIDDEN_FILL, True)], ROW - 6, chart.width)
    for name, group in groups:
        chart.shapes.append(Text(PAD, y + ROW - 8, name))
        x = left
        row: list[str | None] = [name]
        known = sum(n or 0 for n in group.levels.values())
        # what the hidden levels hold (nothing when none is hidden: a protected count and its
        # levels' counts are perturbed apart, so they need not add up)
        held = max(0, group.n - known) if None in group.levels.values() else 0
        whole = max(1, known + held)
        for key in keys:
            n = group.levels.get(key)
            row.append(_cell(n, labels.number))
            if not n:
                continue
            w = bar * n / whole
            chart.shapes.append(Rect(x, y + 2, w, ROW - 4, LEVEL_FILLS.get(key, MUTED)))
            text = labels.number(n)
            if w >= width(text, lang, SMALL) + 6:
                chart.shapes.append(
                    Text(x + w / 2, y + ROW - 8, text, size=SMALL, fill=PAPER, anchor="middle")
                )
            x += w
        if held > 0:
            chart.shapes.append(
                Rect(x, y + 2, max(0.0, left + bar - x), ROW - 4, HIDDEN_FILL, True)
            )
        chart.rows.append(row)
        y += ROW
    chart.height = y + PAD
    return chart


def trend(
    data: Series,
    by_name: str,
    labels: Labels,
    title: str,
    lang: str,
    columns: int = 3,
) -> Chart:
    """A small chart of the average score by period for each group, side by side, each with the
    line of all (dashed) to compare with; a hidden period is a gap in the line."""
    panels = [
        (labels.all, data.whole, True),
        *((labels.group(one.value), one, False) for one in data.lines),
    ]
    pw, top, plot = 220.0, 28.0, 84.0
    first = labels.period(data.periods[0]) if data.periods else ""
    last = labels.period(data.periods[-1]) if len(data.periods) > 1 else ""
    # the first and last period under the axis, on two lines when one does not hold both
    below = width(first, lang, SMALL) + width(last, lang, SMALL) + 8 > pw - 36
    ph = top + plot + 18 + (SMALL + 4 if below else 0)
    columns = max(1, min(columns, len(panels)))
    chart = Chart("trend", title, columns * (pw + PAD) + PAD, 0, lang)
    chart.headers = [by_name, *(labels.period(p) for p in data.periods)]
    count = len(data.periods)

    def xy(i: int, value: float, x0: float, y0: float) -> tuple[float, float]:
        x = x0 + 28 + (pw - 36) * (i / (count - 1) if count > 1 else 0.5)
        return (round(x, 1), round(y0 + top + plot * (1 - value / 100), 1))

    def draw(line, x0: float, y0: float, stroke: str, dash: bool) -> None:
        run: list[tuple[float, float]] = []
        for i, period in enumerate(data.periods):
            value = line.overall.get(period)
            if value is None:
                if len(run) > 1:
                    chart.shapes.append(Path(tuple(run), stroke, 2.0, dash))
                run = []
                continue
            run.append(xy(i, value, x0, y0))
            if not dash:
                chart.shapes.append(Dot(*run[-1], 2.5, stroke))
        if len(run) > 1:
            chart.shapes.append(Path(tuple(run), stroke, 2.0, dash))

    for index, (name, line, is_all) in enumerate(panels):
        x0 = PAD + (index % columns) * (pw + PAD)
        y0 = PAD + (index // columns) * (ph + PAD)
        chart.shapes.append(Text(x0, y0 + 13, name, bold=True))
        for mark in (0, 50, 100):
            y = xy(0, mark, x0, y0)[1]
            chart.shapes.append(Path(((x0 + 26, y), (x0 + pw - 4, y)), LINE, 0.8))
            chart.shapes.append(Text(x0 + 22, y + 4, labels.number(mark), SMALL, MUTED, "end"))
        if not is_all:
            draw(data.whole, x0, y0, "#8a949c", True)
        draw(line, x0, y0, "#0b5d4b", False)
        base = y0 + top + plot + 16
        if first:
            chart.shapes.append(Text(x0 + 28, base, first, SMALL, MUTED))
        if last:
            shift = SMALL + 4 if below else 0.0
            chart.shapes.append(Text(x0 + pw - 8, base + shift, last, SMALL, MUTED, "end"))
        chart.rows.append(
            [name, *(_cell(line.overall.get(p), labels.number) for p in data.periods)]
        )
    rows = (len(panels) + columns - 1) // columns
    chart.height = PAD + rows * (ph + PAD)
    # Period labels may be wider than a panel's half: widen the panels' room if they are.
    return chart


def compare(
    a: Group,
    b: Group,
    instrument: Instrument,
    parts: list[str],
    overall_name: str,
    difference_name: str,
    labels: Labels,
    title: str,
    lang: str,
) -> Chart:
    """Two groups side by side by part, and the difference (second minus first) in points."""
    name_a, name_b = labels.group(a.value), labels.group(b.value)
    rows = [(overall_name, a.overall, b.overall)] + [
        (part, a.dimensions.get(d.key), b.dimensions.get(d.key))
        for part, d in zip(parts, instrument.dimensions, strict=True)
    ]
    left = max(width(r[0], lang) for r in rows) + 2 * PAD
    bar, diff_w = 170.0, 56.0
    chart = Chart("compare", title, left + bar + 40 + diff_w + PAD, 0, lang)
    chart.headers = ["", name_a, name_b, difference_name]
    y = _legend(
        chart, [(name_a, "#0b5d4b", False), (name_b, "#74c476", False)], ROW - 6, chart.width
    )
    chart.shapes.append(Text(chart.width - PAD, y - 6, difference_name, SMALL, MUTED, "end"))
    for name, va, vb in rows:
        chart.shapes.append(Text(PAD, y + ROW - 4, name, bold=name == overall_name))
        row: list[str | None] = [name]
        for j, (value, fill) in enumerate(((va, "#0b5d4b"), (vb, "#74c476"))):
            top = y + 4 + j * 13
            chart.shapes.append(Rect(left, top, bar, 11, SOFT))
            if value is None:
                chart.shapes.append(Rect(left, top, bar, 11, HIDDEN_FILL, True))
                row.append(None)
                continue
            chart.shapes.append(Rect(left, top, bar * value / 100, 11, fill))
            text = labels.number(value)
            chart.shapes.append(Text(left + bar + 4, top + 10, text, SMALL))
            row.append(text)
        if va is not None and vb is not None:
            change = round(vb - va, 1)
            text = ("+" if change > 0 else "") + labels.number(change)
            chart.shapes.append(Text(chart.width - PAD, y + ROW - 4, text, anchor="end", bold=True))
            row.append(text)
        else:
            row.append(None)
        chart.rows.append(row)
        y += ROW + 8
    chart.height = y + PAD
    return chart


def gaps(
    figures: Dashboard,
    gap_titles: dict[str, str],
    by_name: str,
    gap_name: str,
    share_name: str,
    labels: Labels,
    title: str,
    lang: str,
    top: int = 3,
) -> Chart:
    """Each group's most common gaps, as the share of the group's businesses that have each."""
    bar = 160.0
    chart = Chart("gaps", title, 0, 0, lang)
    chart.headers = [by_name, gap_name, share_name]
    y, widest = PAD, 0.0
    for group in figures.groups:
        counts = {
            key: row.get(group.value)
            for key, row in figures.gap_table.items()
            if row.get(group.value)
        }
        best = sorted(counts.items(), key=lambda item: -(item[1] or 0))[:top]
        if not best:
            continue
        name = labels.group(group.value)
        y += ROW - 6
        chart.shapes.append(Text(PAD, y, name, bold=True))
        widest = max(widest, width(name, lang, bold=True))
        for key, n in best:
            assert n is not None
            share = n / group.n
            chart.shapes.append(Rect(PAD, y + 5, bar, 12, SOFT))
            chart.shapes.append(Rect(PAD, y + 5, bar * min(1.0, share), 12, "#0b5d4b"))
            text = labels.percent(share)
            chart.shapes.append(Text(PAD + bar + 4, y + 15, text, SMALL))
            title_x = PAD + bar + 48
            chart.shapes.append(Text(title_x, y + 15, gap_titles[key], SMALL))
            widest = max(widest, title_x + width(gap_titles[key], lang, SMALL))
            chart.rows.append([name, gap_titles[key], text])
            y += ROW - 4
        y += 4
    chart.width = widest + 2 * PAD
    chart.height = y + PAD
    return chart


# -- SVG ------------------------------------------------------------------------------------


def _attr(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


FAMILY = "system-ui, 'Noto Sans', 'Noto Sans Khmer', 'Noto Sans Lao', 'Noto Sans Myanmar', 'Noto Sans Thai', 'Noto Sans CJK SC', sans-serif"


def svg(chart: Chart, standalone: bool = False, zoom: float = 1.3) -> str:
    """The chart as SVG: inline in the page (its title and the table beside it; drawn `zoom`
    times its units, so its text matches the page's), or a file."""
    out = []
    zoom = 1.0 if standalone else zoom
    head = 'xmlns="http://www.w3.org/2000/svg" ' if standalone else ""
    ident = f"chart-{chart.key}-title"
    out.append(
        f'<svg {head}class="chart-svg" viewBox="0 0 {_attr(chart.width)} {_attr(chart.height)}" '
        f'width="{_attr(chart.width * zoom)}" height="{_attr(chart.height * zoom)}" role="img" '
        f'aria-labelledby="{ident}" lang="{escape(chart.lang)}" font-family="{FAMILY}">'
    )
    out.append(f'<title id="{ident}">{escape(chart.title)}</title>')
    if any(isinstance(s, Rect) and s.hatch for s in chart.shapes):
        out.append(
            f'<defs><pattern id="hatch-{chart.key}" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{HIDDEN_FILL}"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="{MUTED}" stroke-width="1.5"/></pattern></defs>'
        )
    if standalone:
        out.append(f'<rect width="100%" height="100%" fill="{PAPER}"/>')
    for s in chart.shapes:
        if isinstance(s, Rect):
            fill = f"url(#hatch-{chart.key})" if s.hatch else s.fill
            cls = ' class="hidden-cell"' if s.hatch else ""
            out.append(
                f'<rect{cls} x="{_attr(s.x)}" y="{_attr(s.y)}" width="{_attr(s.w)}" '
                f'height="{_attr(s.h)}" fill="{fill}"/>'
            )
        elif isinstance(s, Text):
            anchor = "" if s.anchor == "start" else f' text-anchor="{s.anchor}"'
            weight = ' font-weight="700"' if s.bold else ""
            out.append(
                f'<text x="{_attr(s.x)}" y="{_attr(s.y)}" font-size="{_attr(s.size)}" '
                f'fill="{s.fill}"{anchor}{weight}>{escape(s.text)}</text>'
            )
        elif isinstance(s, Path):
            points = " ".join(f"{_attr(x)},{_attr(y)}" for x, y in s.points)
            dash = ' stroke-dasharray="4 3"' if s.dash else ""
            out.append(
                f'<polyline points="{points}" fill="none" stroke="{s.stroke}" '
                f'stroke-width="{_attr(s.width)}"{dash}/>'
            )
        else:
            out.append(
                f'<circle cx="{_attr(s.x)}" cy="{_attr(s.y)}" r="{_attr(s.r)}" fill="{s.fill}"/>'
            )
    out.append("</svg>")
    return "".join(out)


def csv_rows(chart: Chart) -> list[list[str]]:
    """The chart's figures as CSV rows: a hidden figure is "x", never a number."""
    return [
        [cell.replace(WORD_JOINER, "") for cell in row]
        for row in [
            chart.headers,
            *([HIDDEN if v is None else v for v in row] for row in chart.rows),
        ]
    ]


WORD_JOINER = "\u2060"  # the page keeps Burmese syllables whole with it; a spreadsheet needs none
