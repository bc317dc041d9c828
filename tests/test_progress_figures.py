"""The change among re-assessed businesses in the situation report (issue 16): pairs of checks
linked by a re-entry code, every figure through storage/figures.py and its release rules, and
attacks: a group of fewer than k pairs is not shown, two selections set side by side do not give
one pair away, and a protected average does not give one business's change back."""

from __future__ import annotations

import dataclasses
import random
import uuid
from datetime import date

import pytest
from flask import g

from lmcself.core.instrument import default_instrument
from lmcself.staff.report import Period, situation_report
from lmcself.staff.views import render_report, report_request
from lmcself.storage.figures import change_dashboard, pair_cells, pairs_give_away
from lmcself.web.i18n import LOCALES

from .conftest import make_submission, memory_database, store

INSTRUMENT = default_instrument()
K = 5
BEFORE, NOW = date(2026, 7, 10), date(2026, 10, 12)  # the third quarter, then the fourth


def pair(rng: random.Random, country: str = "VN", sector: str | None = None, gain: bool = True):
    """A business's two checks: the later one follows the earlier by its re-entry code."""
    context = {q.key: rng.choice(q.options).key for q in INSTRUMENT.context}
    context["country"] = country
    if sector:
        context["sector"] = sector
    answers = {q.key: rng.choice(q.options).key for q in INSTRUMENT.questions}
    before = make_submission(INSTRUMENT, str(uuid.uuid4()), "en", context, answers, None, BEFORE)
    later = dict(answers)
    for q in INSTRUMENT.questions:
        if gain and rng.random() < 0.5:
            later[q.key] = q.options[-2].key if q.options[-1].dont_know else q.options[-1].key
    now = make_submission(INSTRUMENT, str(uuid.uuid4()), "en", context, later, None, NOW)
    return before, dataclasses.replace(now, follows=before.reentry)


def flatten(pairs):
    return [s for p in pairs for s in p]


def test_the_changes_are_right_exact():
    rng = random.Random(1)
    pairs = [pair(rng, "VN") for _ in range(6)] + [pair(rng, "KH") for _ in range(5)]
    lone = make_submission(  # a first check, no pair
        INSTRUMENT, str(uuid.uuid4()), "en", dict(pairs[0][0].context), dict(pairs[0][0].answers)
    )
    db = memory_database([*flatten(pairs), lone])
    shown = change_dashboard(db, INSTRUMENT, "country", 1, protect=False)
    by = {g.value: g for g in shown.groups}
    for country in ("VN", "KH"):
        mine = [(b, n) for b, n in pairs if b.context["country"] == country]
        gain = sum(n.result.overall - b.result.overall for b, n in mine) / len(mine)
        assert by[country].n == len(mine)
        assert by[country].overall == round(gain, 1)
        first = INSTRUMENT.dimensions[0].key
        part = sum(
            n.result.dimension(first).score - b.result.dimension(first).score for b, n in mine
        ) / len(mine)
        assert by[country].dimensions[first] == round(part, 1)
    assert shown.total == 11


def test_only_the_code_links_two_checks():
    """The same business details without the code, or a code of a later check, make no pair."""
    rng = random.Random(2)
    before, now = pair(rng)
    unlinked = dataclasses.replace(now, id=str(uuid.uuid4()), follows=None)
    backwards = dataclasses.replace(before, id=str(uuid.uuid4()), follows=now.reentry)
    db = memory_database([before, now, unlinked, backwards])
    assert pair_cells(db, INSTRUMENT, None)[""].n == 1


def test_a_group_of_fewer_than_k_pairs_is_not_shown():
    rng = random.Random(3)
    pairs = [pair(rng, "VN") for _ in range(12)] + [pair(rng, "KH") for _ in range(K - 1)]
    pairs += [pair(rng, "LA") for _ in range(6)]
    db = memory_database(flatten(pairs))
    shown = change_dashboard(db, INSTRUMENT, "country", K)
    values = [g.value for g in shown.groups]
    assert "KH" not in values and shown.hidden_groups >= 1
    # Not the difference of the rest either: what is hidden adds up to 0 or at least k pairs.
    assert shown.total is not None
    # And fewer than k pairs in all: nothing at all.
    few = memory_database(flatten(pairs[12 : 12 + K - 1]))
    assert change_dashboard(few, INSTRUMENT, "country", K).total is None


def test_two_selections_set_side_by_side_do_not_give_one_pair_away():
    """Differencing: all countries minus one country would be the one pair of another country;
    a sector filter minus the whole would be one pair. Both selections are withheld."""
    rng = random.Random(4)
    pairs = [pair(rng, "VN", "food") for _ in range(8)] + [pair(rng, "KH", "food")]
    db = memory_database(flatten(pairs))
    q4 = ("2026-10", "2026-12")
    assert pairs_give_away(db, INSTRUMENT, K, {"country": "VN"}, *q4)
    assert not pairs_give_away(db, INSTRUMENT, K, {}, *q4)
    report = situation_report(db, INSTRUMENT, Period(*q4), K, country="VN")
    assert report.reassessed_withheld
    # One more pair in a sector of its own: the food view, against the whole, is one pair.
    more = [*pairs, pair(rng, "VN", "retail")]
    db = memory_database(flatten(more))
    assert pairs_give_away(db, INSTRUMENT, K, {"sector": "food"}, *q4)
    # With k or more pairs in the difference, the selection is shown.
    many = more + [pair(rng, "KH", "retail") for _ in range(K)]
    db = memory_database(flatten(many))
    assert not pairs_give_away(db, INSTRUMENT, K, {"country": "VN"}, *q4)


def test_a_protected_average_does_not_give_one_businesss_change_back():
    """The adversary made every other pair of the group (k - 1 to 19 fakes, changes known) and
    reads the protected change: the target's change worked back from it misses by 5 points or
    more in most of 150 trials."""
    trials, missed = 150, 0
    for seed in range(trials):
        rng = random.Random(100 + seed)
        n = rng.randint(K, 20)
        pairs = [pair(rng, "VN") for _ in range(n)]
        db = memory_database(flatten(pairs))
        shown = change_dashboard(db, INSTRUMENT, "country", K)
        group = shown.groups[0]
        target_before, target_now = pairs[0]
        truth = target_now.result.overall - target_before.result.overall
        known = sum(b_n.result.overall - b.result.overall for b, b_n in pairs[1:])
        estimate = group.overall * group.n - known
        missed += abs(estimate - truth) >= 5
    print(f"missed by 5 points or more: {missed / trials:.1%}")
    assert missed / trials >= 0.8, missed / trials


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_report_shows_the_change_among_reassessed_businesses(module_app, lang):
    rng = random.Random(5)
    pairs = [pair(rng, "VN") for _ in range(7)] + [pair(rng, "TH") for _ in range(6)]
    store(module_app, flatten(pairs))
    with module_app.test_request_context(f"/{lang}/staff/report?since=2026-10&until=2026-12"):
        g.lang = lang
        html = render_report(*report_request())
    section = html.split('id="reassessed"', 1)[1]
    assert "reassessed-table" in section
    with module_app.app_context():
        from lmcself.storage.db import get_db

        shown = change_dashboard(get_db(), INSTRUMENT, "country", K, {}, "2026-10", "2026-12")
    assert shown.total is not None and shown.total >= 2 * K
    assert len(shown.groups) == 2
