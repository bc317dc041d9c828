"""Aggregates: every figure shown is backed by at least k submissions (a property over random
data sets), and the figures are right."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lmcself.core.instrument import default_instrument
from lmcself.storage.aggregate import stored_records, summarize
from lmcself.storage.db import get_db
from lmcself.storage.submissions import insert

from .conftest import random_records, submission_of

INSTRUMENT = default_instrument()
POOL = random_records(INSTRUMENT, 300, seed=11)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(range(len(POOL))), max_size=40, unique=True), st.integers(1, 10))
def test_no_figure_is_backed_by_fewer_than_k_submissions(picks, k):
    records = [POOL[i] for i in picks]
    summary = summarize(records, INSTRUMENT, k)
    if len(records) < k:
        assert summary.n is None and summary.overall is None and not summary.gaps
        assert set(summary.dimensions.values()) == {None}
        assert set(summary.levels.values()) == {None}
        return
    assert summary.n == len(records)
    for table in (summary.levels, summary.gaps):
        assert all(n is None or n == 0 or n >= k for n in table.values())
    # The group's size is shown, so the hidden level bars add up to 0 or at least k.
    hidden = len(records) - sum(n or 0 for n in summary.levels.values())
    assert hidden == 0 or hidden >= k


def test_the_figures_are_right():
    records = POOL[:12]
    summary = summarize(records, INSTRUMENT, 1)
    assert summary.overall == round(sum(r["overall"] for r in records) / 12, 1)
    first = INSTRUMENT.dimensions[0].key
    expected = sum(
        next(d["score"] for d in r["scores"]["dimensions"] if d["key"] == first) for r in records
    )
    assert summary.dimensions[first] == round(expected / 12, 1)
    assert sum(summary.levels.values()) == 12
    gap = INSTRUMENT.gaps[0]
    applies = sum(
        gap.applies({**{q.key: r[q.key] for q in INSTRUMENT.context}, **r["answers"]})
        for r in records
    )
    assert summary.gaps.get(gap.key, 0) == applies


def test_stored_records_filter_by_workshop_and_month(app):
    with app.app_context():
        db = get_db()
        for record in random_records(INSTRUMENT, 8, seed=4, workshop="VTE-1"):
            insert(db, submission_of(record))
        for record in random_records(INSTRUMENT, 3, seed=5, workshop="VTE-2"):
            insert(db, submission_of(record))
        assert len(stored_records(db, workshop="VTE-1")) == 8
        assert len(stored_records(db, month="2026-11")) == 11
        small = summarize(stored_records(db, workshop="VTE-2"), INSTRUMENT)
        assert small.n is None  # 3 participants: nothing shown
