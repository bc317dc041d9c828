"""The regional situation report: the right periods and figures, nothing under k (a property
over random data sets, the gap table across countries included), the page and its PDF for staff
only, in the staff member's language."""

from __future__ import annotations

import subprocess
import unicodedata
from datetime import date

import pytest
from flask import g
from hypothesis import given, settings
from hypothesis import strategies as st

from lmcself.core.instrument import CONTEXT_KEYS, default_instrument
from lmcself.staff.report import Period, situation_report
from lmcself.staff.views import render_report, report_request
from lmcself.web.i18n import LOCALES
from lmcself.web.pdf import render_document

from .conftest import memory_database, random_records, sign_in, store
from .test_pdf import UNSPACED, lines

INSTRUMENT = default_instrument()
# June to November 2026: the default period (the fourth quarter) and the one before.
POOL = random_records(INSTRUMENT, 240, seed=61, start=date(2026, 6, 1), days=183)


def test_periods():
    period = Period("2026-09", "2026-11")
    assert period.months == 3
    assert period.before() == Period("2026-06", "2026-08")
    assert Period("2026-01", "2026-01").before() == Period("2025-12", "2025-12")
    assert Period.default("2026-02") == Period("2026-01", "2026-03")
    assert Period.default(None, today=date(2026, 12, 3)) == Period("2026-10", "2026-12")


@pytest.mark.parametrize(
    "asked, covered",
    [
        (("2026-11", "2026-11"), ("2026-10", "2026-12")),  # one quarter
        (("2026-04", "2026-05"), ("2026-04", "2026-06")),
        (("2026-09", "2026-11"), ("2026-01", "2026-12")),  # two quarters: the whole year
        (("2025-12", "2026-01"), ("2025-01", "2026-12")),
    ],
)
def test_a_report_covers_a_quarter_or_whole_years(asked, covered):
    """The lattice of periods: no two reports differ by a month or two (docs/privacy.md)."""
    assert Period(*asked).snapped() == Period(*covered)
    report = situation_report(memory_database(POOL[:30]), INSTRUMENT, Period(*asked), 5)
    assert report.period == Period(*covered)
    assert report.earlier == Period(*covered).before()


def in_period(records, period):
    return [r for r in records if period.since <= r["created_on"][:7] <= period.until]


def test_the_figures_are_right_with_k_1():
    period = Period("2026-10", "2026-12")
    report = situation_report(memory_database(POOL), INSTRUMENT, period, 1, protect=False)
    now, before = in_period(POOL, period), in_period(POOL, period.before())
    assert report.whole.total == len(now)
    assert report.changes[0].n_before == len(before) and report.changes[0].n_now == len(now)
    mean = lambda rs: round(sum(r["overall"] for r in rs) / len(rs), 1)  # noqa: E731
    assert report.changes[0].change == round(mean(now) - mean(before), 1)
    sizes = [g.value for g in report.stand["size"].groups]
    order = [o.key for o in INSTRUMENT.context_question("size").options]
    assert sizes == [key for key in order if key in sizes]  # small to large, not alphabetical
    expected = {
        g.key: sum(
            1 for r in now if g.applies({**{k: r[k] for k in r if k != "answers"}, **r["answers"]})
        )
        for g in INSTRUMENT.gaps
    }
    assert {g.key: g.count for g in report.gaps} == {
        key: n for key, n in sorted(expected.items(), key=lambda x: -x[1])[:5] if n
    }


def test_one_country():
    period = Period("2026-10", "2026-12")
    report = situation_report(memory_database(POOL), INSTRUMENT, period, 1, "LA", False)
    assert report.whole.total == sum(1 for r in in_period(POOL, period) if r["country"] == "LA")
    assert [g.value for g in report.whole.groups] == ["LA"]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.sampled_from(range(len(POOL))), min_size=40, max_size=240, unique=True),
    st.integers(2, 8),
)
def test_nothing_under_k_is_shown(picks, k):
    records = [POOL[i] for i in picks]
    db = memory_database(records)
    period = Period("2026-10", "2026-12")
    report = situation_report(db, INSTRUMENT, period, k, protect=False)
    for figures in report.stand.values():
        assert all(g.n >= k for g in figures.groups)
    assert all(g.count >= k for g in report.gaps)
    assert all(c.n_before >= k and c.n_now >= k for c in report.changes)
    whole = {
        gap.key: sum(
            gap.applies({**{c: r[c] for c in CONTEXT_KEYS}, **r["answers"]})
            for r in in_period(records, period)
        )
        for gap in INSTRUMENT.gaps
    }
    for gap in INSTRUMENT.gaps:
        row = report.gap_table.get(gap.key, {})
        assert all(n is None or n == 0 or n >= k for n in row.values())
        # What the countries shown leave of the region's count is none, or at least k: a
        # country's count under k cannot be worked out from the others.
        left = whole[gap.key] - sum(n for n in row.values() if n)
        if report.whole.total is not None and whole[gap.key] >= k:
            assert left == 0 or left >= k
    for top in report.country_gaps.values():
        assert all(g.count >= k for g in top)


def test_the_report_page_and_pdf(app, client, trainer, staff_member):
    store(app, POOL)
    sign_in(client)
    assert client.get("/en/staff/report").status_code == 403
    assert client.get("/en/staff/report.pdf").status_code == 403
    client = app.test_client()
    sign_in(client, staff_member, lang="vi")
    page = client.get("/vi/staff/report?since=2026-10&until=2026-11&country=KH")
    assert page.status_code == 200 and 'lang="vi"' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    # The fourth quarter (October to December), its months written in Vietnamese.
    assert "tháng 10, 2026" in page.text or "tháng 10 năm 2026" in page.text
    bad = client.get("/en/staff/report?since=2026-13&until=2026-11")
    assert "Choose a first and a last month, the first not after the last." in bad.text
    pdf = client.get("/vi/staff/report.pdf?since=2026-09&until=2026-11")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "situation-report-all-2026-01-2026-12.pdf" in pdf.headers["Content-Disposition"]
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True
    ).stdout.decode()
    assert "Campuchia" in text  # the countries in Vietnamese


@pytest.fixture(scope="module")
def report_app(module_app):
    store(module_app, POOL)
    return module_app


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_report_pdf_stays_inside_the_page_and_wraps_between_syllables(report_app, lang):
    with report_app.test_request_context(f"/{lang}/staff/report?since=2026-09&until=2026-11"):
        g.lang = lang
        html = render_report(*report_request(), pdf=True)
    assert "<table" in html and 'class="chart"' in html
    document = render_document(html, lang)
    past, starts = [], []
    for number, page, texts in lines(document):
        right = page.content_box_x() + page.width
        past += [(number, t.text[:30]) for t in texts if t.position_x + t.width > right + 0.5]
        starts.append(texts[0].text.lstrip("\u2060\u200b"))
    assert past == []
    if lang in UNSPACED:
        assert [s[:12] for s in starts if s and unicodedata.category(s[0]) in ("Mn", "Mc")] == []


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_report_is_protected_says_so_and_stays_the_same(report_app, lang):
    """Every figure through the cell key method: the same report twice is the same; counts
    within 2 and averages within 1 point of the exact ones on groups of 100 or more."""
    period = Period("2026-10", "2026-12")
    with report_app.app_context():
        from lmcself.storage.db import get_db

        db = get_db()
        shown = situation_report(db, INSTRUMENT, period, 5)
        assert shown == situation_report(db, INSTRUMENT, period, 5)
        exact = situation_report(db, INSTRUMENT, period, 5, protect=False)
    assert shown.whole.total != exact.whole.total or shown.whole.overall != exact.whole.overall
    assert abs(shown.whole.total - exact.whole.total) <= 2
    if exact.whole.total >= 100:
        assert abs(shown.whole.overall - exact.whole.overall) <= 1.05
    with report_app.test_request_context(f"/{lang}/staff/report"):
        g.lang = lang
        html = render_report(*report_request())
        assert html == render_report(*report_request())
    with report_app.test_request_context("/en/staff/report"):
        g.lang = "en"
        english = render_report(*report_request())
    assert "cell key method" in english and "at most 1 point" in english
