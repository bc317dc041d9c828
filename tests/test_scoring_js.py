"""The browser scores exactly as the server does: static/scoring.js against lmcself.core.scoring."""

from __future__ import annotations

import dataclasses
import json
import random

import pytest

from lmcself.core.instrument import default_instrument
from lmcself.core.scoring import score

pytestmark = pytest.mark.browser


def reweighted(instrument, rng: random.Random):
    """The same questions with random dimension and question weights, to exercise the weighted mean."""
    dims = tuple(
        dataclasses.replace(
            d,
            weight=rng.randint(1, 5),
            questions=tuple(dataclasses.replace(q, weight=rng.randint(1, 3)) for q in d.questions),
        )
        for d in instrument.dimensions
    )
    return dataclasses.replace(instrument, dimensions=dims)


def random_answers(instrument, rng: random.Random) -> dict[str, str]:
    return {q.key: rng.choice(q.options).key for q in instrument.questions}


def test_browser_and_server_agree_on_thousands_of_answer_sets(live_server, phone):
    rng = random.Random(20261128)
    shipped = default_instrument()
    variants = [shipped] + [reweighted(shipped, rng) for _ in range(4)]
    page = phone
    page.goto(live_server.url + "/en/method")
    page.add_script_tag(url="/static/scoring.js")
    total = 0
    for instrument in variants:
        answer_sets = [random_answers(instrument, rng) for _ in range(1000)]
        # Compared as JSON, the form a result travels in between phone and server.
        expected = json.loads(json.dumps([score(instrument, a).as_dict() for a in answer_sets]))
        got = page.evaluate(
            "([inst, sets]) => sets.map(a => lmcScore(inst, a))",
            [instrument.as_json(), answer_sets],
        )
        assert got == expected
        total += len(got)
    assert total == 5000


def test_the_browser_refuses_incomplete_or_foreign_answers(live_server, phone):
    page = phone
    page.goto(live_server.url + "/en/method")
    page.add_script_tag(url="/static/scoring.js")
    instrument = default_instrument().as_json()
    errors = page.evaluate(
        """(inst) => [{}, {nonsense: 'x'}].map(a => { try { lmcScore(inst, a); return null } catch (e) { return e.message } })""",
        instrument,
    )
    assert errors[0].startswith("question ") and "not answered" in errors[0]
    assert errors[1] == "unknown question nonsense"
