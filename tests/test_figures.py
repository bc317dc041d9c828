"""The one aggregation engine (storage/figures.py) and its protection (core/disclosure.py):
exact sums right, gap counts from SQL as the instrument says, nothing under k shown either way,
the protected figures fixed for a cell and within their stated bounds."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from lmcself.core.disclosure import (
    COUNT_MAX,
    Cell,
    Tally,
    count_noise,
    mean_bound,
    perturbed_count,
    perturbed_mean,
    public,
    release_due,
    shown,
)
from lmcself.core.instrument import CONTEXT_KEYS, default_instrument
from lmcself.storage.figures import GROUPS, cells, dashboard, stored_records

from .conftest import memory_database, random_records

INSTRUMENT = default_instrument()
POOL = random_records(INSTRUMENT, 300, seed=11)


def gap_values(record: dict) -> dict:
    return {**{key: record[key] for key in CONTEXT_KEYS}, **record["answers"]}


def test_the_exact_sums_are_right_and_gap_counts_come_from_sql():
    db = memory_database(POOL[:120])
    found = cells(db, INSTRUMENT, "country")
    for country, cell in found.items():
        members = [r for r in POOL[:120] if r["country"] == country]
        assert cell.n == len(members)
        assert cell.overall == sum(r["overall"] for r in members)
        for i, d in enumerate(INSTRUMENT.dimensions):
            assert cell.dimensions[d.key] == sum(
                r["scores"]["dimensions"][i]["score"] for r in members
            )
        for level in INSTRUMENT.levels:
            assert cell.levels[level.key].n == sum(r["level"] == level.key for r in members)
        for gap in INSTRUMENT.gaps:
            assert cell.gaps[gap.key].n == sum(gap.applies(gap_values(r)) for r in members)
    keys = dict(db.execute("SELECT id, rkey FROM facts").fetchall())
    for country, cell in found.items():
        assert cell.key == sum(keys[r["id"]] for r in POOL[:120] if r["country"] == country)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(range(len(POOL))), max_size=60, unique=True),
    st.sampled_from(GROUPS),
    st.integers(2, 8),
    st.booleans(),
)
def test_nothing_backed_by_fewer_than_k_is_shown_exact_or_protected(picks, by, k, protect):
    records = [POOL[i] for i in picks]
    figures = dashboard(memory_database(records), INSTRUMENT, by, k, protect=protect)
    if len(records) < k:
        assert figures.total is None and figures.groups == [] and not figures.gaps
        return
    exact = dashboard(memory_database(records), INSTRUMENT, by, k)
    # The same groups are shown; every shown count is k or more, or 0.
    assert [g.value for g in figures.groups] == [g.value for g in exact.groups]
    for table in (figures.levels, figures.gaps, *figures.gap_table.values()):
        assert all(n is None or n == 0 or n >= k for n in table.values())
    assert all(g.n >= k for g in figures.groups)
    hidden = len(records) - sum(n or 0 for n in exact.levels.values())
    assert hidden == 0 or hidden >= k  # the hidden level bars add up to 0 or at least k


def test_a_protected_cell_always_shows_the_same_and_moves_within_its_bounds():
    rnd = random.Random(5)
    for _ in range(2000):
        n = rnd.choice([5, 20, 100, 1000, rnd.randint(5, 3000)])
        key = rnd.randrange(10**6)
        total = sum(rnd.randint(0, 100) for _ in range(n))
        assert abs(count_noise(key)) <= COUNT_MAX
        count = perturbed_count(Tally(n, key), 5)
        assert count == perturbed_count(Tally(n, key), 5) and count >= 5
        assert abs(count - n) <= COUNT_MAX
        mean = perturbed_mean(total, n, key, "overall")
        assert mean == perturbed_mean(total, n, key, "overall")
        assert abs(mean - total / n) <= mean_bound(n) + 0.05
        if n >= 100:
            assert abs(mean - total / n) <= 1.05  # the promise on the report


def test_protected_figures_are_noisy_not_shifted():
    rnd = random.Random(6)
    counts, means = [], []
    for _ in range(4000):
        n, key = 50, rnd.randrange(10**6)
        counts.append(perturbed_count(Tally(n, key), 5) - n)
        means.append(perturbed_mean(50 * n, n, key, "overall") - 50)
    assert abs(sum(counts) / len(counts)) < 0.1 and any(counts)
    assert abs(sum(means) / len(means)) < 0.1 and any(means)


def test_public_figures_are_rounded_and_released_in_steps():
    cell = Cell(12, 1234, 12 * 57, {"a": 12 * 33}, {"x": Tally(12, 1234)}, {"g": Tally(6, 77)})
    figures = public(shown(cell, 5, True))
    assert figures.overall % 5 == 0 and figures.dimensions["a"] % 5 == 0
    assert not release_due(9, None, 10, 5)
    assert release_due(10, None, 10, 5)
    assert not release_due(14, 10, 10, 5)
    assert release_due(15, 10, 10, 5)


def test_stored_records_filter_by_workshop_and_month():
    db = memory_database(
        random_records(INSTRUMENT, 8, seed=4, workshop="VTE-1")
        + random_records(INSTRUMENT, 3, seed=5, workshop="VTE-2")
    )
    assert len(stored_records(db, workshop="VTE-1")) == 8
    assert len(stored_records(db, month="2026-11")) == 11
