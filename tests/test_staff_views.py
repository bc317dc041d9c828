"""The staff views of issue 17: the two-way table's suppression, the charts and their downloads
(protected like the exports, hidden figures never a number), filters kept in the URL, the
report's period picker in the reader's language, the room view that swaps its figures."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmcself.core.instrument import default_instrument
from lmcself.core.suppress import suppressed_table
from lmcself.staff.charts import Text, csv_rows
from lmcself.storage.figures import GROUPS, series
from lmcself.web.i18n import LOCALES

from .conftest import csrf_token, memory_database, random_records, sign_in, store

INSTRUMENT = default_instrument()
POOL = [
    *random_records(INSTRUMENT, 120, seed=71, start=date(2026, 7, 1), days=60),
    *random_records(INSTRUMENT, 120, seed=72, workshop="VTE-1", start=date(2026, 10, 1), days=50),
]
CHARTS = ("heat", "levels", "trend", "compare", "gaps")


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from("ABCDE"), st.sampled_from("1234")), st.integers(0, 12)
    ),
    st.integers(2, 8),
)
def test_a_two_way_table_hides_nothing_a_row_or_a_column_total_gives_away(counts, k):
    shown = suppressed_table(counts, k)
    assert all(shown[c] is None for c, n in counts.items() if 0 < n < k)
    for axis in (0, 1):
        for line in {c[axis] for c in counts}:
            held = sum(n for c, n in counts.items() if c[axis] == line and shown[c] is None)
            total = sum(n for c, n in counts.items() if c[axis] == line)
            # a line of fewer than k in all is hidden whole: its total is not shown either
            assert held == 0 or held >= k or held == total < k


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.sampled_from(range(len(POOL))), max_size=80, unique=True),
    st.sampled_from([g for g in GROUPS if g != "month"]),
    st.sampled_from(["month", "quarter"]),
    st.integers(2, 8),
)
def test_the_series_shows_nothing_under_k(picks, by, step, k):
    records = [POOL[i] for i in picks]
    found = series(memory_database(records), INSTRUMENT, by, k, step=step)
    for line in [found.whole, *found.lines]:
        assert all(n is None or n >= k for n in line.n.values())
        assert all((line.n[p] is None) == (line.overall[p] is None) for p in found.periods)
    for period in found.periods:
        members = [
            r for r in records if (r["created_on"][:7] if step == "month" else _q(r)) == period
        ]
        if found.whole.n[period] is not None:
            assert found.whole.n[period] == len(members)
        held = sum(
            1
            for r in members
            if not any(
                line.value == (r[by] or "") and line.n[period] is not None for line in found.lines
            )
        )
        if found.lines:  # (a period of fewer than k in all is hidden whole, in all too)
            assert (
                held == 0 or held >= k or (held == len(members) < k and not found.whole.n[period])
            )


def _q(record) -> str:
    year, month = record["created_on"][:4], int(record["created_on"][5:7])
    return f"{year}-Q{(month + 2) // 3}"


def signed_in_staff(app, client, staff_member, records=POOL):
    store(app, records)
    sign_in(client, staff_member)


def test_chart_downloads_need_staff_like_the_exports(app, client, trainer, staff_member):
    store(app, POOL)
    url = "/en/staff/dashboard/heat.csv?by=country"
    signed_out = client.get(url)
    assert signed_out.status_code in (302, 401, 403)
    assert "login" in signed_out.headers.get("Location", "login")
    sign_in(client)  # a trainer
    assert client.get(url).status_code == 403
    client.post("/en/staff/logout", data={"csrf_token": csrf_token(client.get("/en/staff/").text)})
    sign_in(client, staff_member)
    for chart in CHARTS:
        svg = client.get(f"/en/staff/dashboard/{chart}.svg?by=country")
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert svg.text.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
        png = client.get(f"/en/staff/dashboard/{chart}.png?by=country")
        assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
        table = client.get(f"/en/staff/dashboard/{chart}.csv?by=country")
        assert table.status_code == 200 and table.data.startswith("\ufeff".encode())
        assert "attachment" in table.headers["Content-Disposition"]
        assert client.get(f"/en/staff/dashboard/{chart}.csv?by=country").data == table.data
    assert client.get("/en/staff/dashboard/nope.svg").status_code == 404
    assert client.get("/en/staff/dashboard/heat.pdf").status_code == 404


def test_downloads_are_protected_and_the_page_exact(app, client, staff_member):
    signed_in_staff(app, client, staff_member)
    page = client.get("/en/staff/dashboard?by=workshop").text
    exact = len([r for r in POOL if r["workshop"] == "VTE-1"])
    assert f">{exact}<" in page  # the page: exact, as the dashboard always was
    rows = list(
        csv.reader(io.StringIO(client.get("/en/staff/dashboard/levels.csv?by=workshop").text))
    )
    assert rows[0][0].lstrip("\ufeff") == "Workshop"
    with app.test_request_context("/en/staff/dashboard?by=workshop"):
        from flask import g

        from lmcself.staff.dashboard import build
        from lmcself.staff.filters import read_selection

        g.lang = "en"
        protected = build(read_selection({"by": "workshop"}), protect=True, plain=True)
    assert protected.figures.total is not None
    assert abs(protected.figures.total - len(POOL)) <= 2 * (len(protected.figures.groups) + 1)


def test_a_selection_withheld_on_the_page_is_withheld_in_every_download(app, client, staff_member):
    kh = [r for r in POOL if r["country"] == "KH"][:20]
    la = [r for r in POOL if r["country"] == "LA"][:3]
    signed_in_staff(app, client, staff_member, kh + la)
    assert "This selection is not shown" in client.get("/en/staff/dashboard?country=KH").text
    for chart in CHARTS:
        for fmt in ("svg", "png", "csv"):
            assert client.get(f"/en/staff/dashboard/{chart}.{fmt}?country=KH").status_code == 404


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:[.,]\d+)?", text))


@pytest.mark.parametrize("chart", CHARTS)
def test_a_hidden_figure_is_never_a_number_in_the_svg_png_or_csv(app, client, staff_member, chart):
    # 3 businesses of one month among many: their month, their levels, their gaps are hidden
    few = random_records(INSTRUMENT, 3, seed=73, workshop=None, start=date(2026, 3, 1), days=1)
    signed_in_staff(app, client, staff_member, POOL + few)
    with app.test_request_context("/en/staff/dashboard"):
        from flask import g

        from lmcself.staff.dashboard import build
        from lmcself.staff.filters import Selection

        g.lang = "en"
        view = build(Selection(by="country", step="month"), protect=True)
    found = view.charts[chart]
    if chart == "trend":
        assert None in found.rows[0]  # March 2026 of all is hidden: 3 businesses
    table = {cell for row in [found.headers, *found.rows] for cell in row if cell is not None}
    drawn = {s.text for s in found.shapes if isinstance(s, Text)}
    # every number the picture shows is one the table shows (or an axis mark, a part's number)
    axis = {"0", "50", "100", *(str(i) for i in range(1, 10))}
    for text in drawn:
        assert _numbers(text) <= _numbers(" ".join(table)) | axis | _numbers(found.title), text
    rows = csv_rows(found)
    assert all(cell != "" for row in rows[1:] for cell in row[1:])
    if any(None in row for row in found.rows):
        assert any("x" in row for row in rows)
        svg = client.get(f"/en/staff/dashboard/{chart}.svg?by=country").text
        assert "hidden-cell" in svg or chart == "trend"


def test_every_filter_round_trips_through_the_url(app, client, staff_member):
    signed_in_staff(app, client, staff_member)
    narrow = client.get("/en/staff/dashboard?country=KH&workshop=VTE-1&by=size").text
    for name, value in [("country", "KH"), ("workshop", "VTE-1")]:
        select = re.search(rf'<select id="f-{name}" name="{name}">(.*?)</select>', narrow, re.S)
        assert select and re.search(rf'value="{value}"[^>]* selected', select.group(1))
    query = "by=sector&since=2026-07&until=2026-11&step=quarter"
    page = client.get(f"/en/staff/dashboard?{query}").text
    for name, value in [("since", "2026-07"), ("until", "2026-11"), ("step", "quarter")]:
        select = re.search(rf'<select id="f-{name}" name="{name}">(.*?)</select>', page, re.S)
        assert select and f'value="{value}" selected' in select.group(1)
    assert re.search(r'<select id="f-by" name="by">.*?value="sector" selected', page, re.S)
    links = re.findall(r'href="(/en/staff/dashboard/heat\.csv\?[^"]+)"', page)
    assert links
    for part in ["by=sector", "since=2026-07", "until=2026-11", "step=quarter"]:
        assert part in links[0].replace("&amp;", "&")
    assert 'type="month"' not in page


def test_month_and_quarter_pickers_speak_the_readers_language(app, client, staff_member):
    signed_in_staff(app, client, staff_member)
    report = client.get("/vi/staff/report").text
    assert 'type="month"' not in report
    assert "Quý 4 năm 2026" in report
    th = client.get("/th/staff/report").text
    assert "ไตรมาส 4 2569" in th  # the Buddhist era
    dashboard = client.get("/vi/staff/dashboard").text
    assert "tháng 11 năm 2026" in dashboard
    by_period = client.get("/en/staff/report?period=2026-Q4").text
    by_months = client.get("/en/staff/report?since=2026-10&until=2026-12").text
    strip = lambda html: re.sub(r'<select id="r-period".*?</select>', "", html, flags=re.S)  # noqa: E731
    assert strip(by_period) == strip(by_months)
    assert "Choose a quarter or a year." in client.get("/en/staff/report?period=nope").text


@pytest.mark.parametrize("code", LOCALES)
def test_the_room_view_swaps_its_figures_beside_the_qr_code(app, client, staff_member, code):
    store(app, random_records(INSTRUMENT, 12, seed=74, workshop="VTE-1"))
    with app.app_context():
        from lmcself.storage.db import get_db

        get_db()["workshops"].insert(
            {"code": "VTE-1", "name": "Vientiane", "country": "LA", "held_on": "2026-11-01"},
            ignore=True,
        )
    sign_in(client, staff_member, lang=code)
    page = client.get(f"/{code}/staff/workshops/VTE-1").text
    assert 'id="room-figures"' in page and "js/room.js" in page
    assert re.search(r'<div class="room-qr"><svg', page)
    # reloads only without JavaScript
    assert re.search(r"<noscript><meta http-equiv=\"refresh\"", page)


@pytest.mark.parametrize("lang", list(LOCALES))
def test_labels_and_figures_are_joined_as_the_language_writes_them(app, client, staff_member, lang):
    """'Submissions: 240', 'Download: SVG': the catalog's pattern, so Chinese gets '：' and
    Khmer '៖' on the dashboard, the report and the room view, never a template's ': '."""
    signed_in_staff(app, client, staff_member)
    with app.test_request_context(f"/{lang}/"):
        from flask import g

        from lmcself.web.i18n import labelled

        g.lang = lang
        joined = str(labelled("A", "B"))
    between = joined[1:-1]
    for path in ("dashboard", "report"):
        page = client.get(f"/{lang}/staff/{path}").text
        labels = re.findall(r'<p class="(?:participants|downloads)">(.*?)</p>', page, re.S)
        assert labels, path
        for line in labels:
            assert between in line, (path, line[:120])
        if between != ": ":
            assert all(": <" not in line for line in labels), (path, labels[0][:120])
    if lang in ("zh", "km"):
        assert between != ": "
