"""Questions that do not apply: a "does not apply" answer and conditions (`when:`) leave the
possible points, a part with nothing that applies has no score, and "Start here" breaks ties by
the instrument's stated order. Built from the shipped 1.0 file (which has no conditions of its
own) with small changes, so the rules are tested whatever each shipped version holds; 2.0's own
conditions are tested in test_instrument_v2.py and test_versions_*.py."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from lmcself.core.instrument import INSTRUMENT_FILES, load_instrument
from lmcself.core.scoring import ScoringError, score

from .conftest import assert_names_the_fault

BASE = INSTRUMENT_FILES["1.0"]  # no conditions, no "does not apply", no start order
RAW = yaml.safe_load(BASE.read_text(encoding="utf-8"))


def load(tmp_path: Path, change) -> object:
    data = copy.deepcopy(RAW)
    change(data)
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_instrument(path), path


def dim(data, key):
    return next(d for d in data["dimensions"] if d["key"] == key)


def question(data, key):
    return next(q for d in data["dimensions"] for q in d["questions"] if q["key"] == key)


def with_rules(data):
    """operations_export only for cross-border sellers; selling_orders and selling_delivery only
    when there is a selling channel; an N/A answer on operations_documents."""
    question(data, "operations_export")["when"] = {"cross_border": ["yes", "not_yet"]}
    for key in ("selling_orders", "selling_delivery"):
        question(data, key)["when"] = {"selling_channel": {"not": ["none"]}}
    records = question(data, "operations_documents")
    na = {
        "key": "not_needed",
        "label": "Not needed",
        "points": 0,
        "not_applicable": True,
        "actions": records["options"][0]["actions"],
    }
    opts = records["options"]
    at = len(opts) - 1 if opts[-1].get("dont_know") else len(opts)
    opts.insert(at, na)


def top(q):
    return max((o for o in q.options if not o.not_applicable), key=lambda o: o.points).key


def lowest(q):
    return q.options[0].key


@pytest.fixture
def ruled(tmp_path):
    return load(tmp_path, with_rules)[0]


CONTEXT = {"country": "TH", "cross_border": "no"}


def test_a_non_exporter_is_scored_only_on_what_applies(ruled):
    answers = {q.key: top(q) for q in ruled.questions if q.key != "operations_export"}
    result = score(ruled, answers, CONTEXT)
    assert result.overall == 100 and result.dimension("operations").score == 100
    # the answer to the hidden question, if a phone sends it, changes nothing
    assert score(ruled, {**answers, "operations_export": lowest(ruled.questions[0])}, CONTEXT)
    exporter = {**CONTEXT, "cross_border": "yes"}
    with pytest.raises(ScoringError, match="operations_export"):
        score(ruled, answers, exporter)
    export_q = next(q for q in ruled.questions if q.key == "operations_export")
    low = score(ruled, {**answers, "operations_export": lowest(export_q)}, exporter)
    assert low.dimension("operations").score == 75


def test_no_online_orders_does_not_zero_the_selling_part(ruled):
    answers = {q.key: top(q) for q in ruled.questions}
    answers["selling_channel"] = "none"
    del answers["selling_orders"], answers["selling_delivery"]
    result = score(ruled, answers, {**CONTEXT, "cross_border": "yes"})
    channel = next(q for q in ruled.questions if q.key == "selling_channel")
    share = next(q for q in ruled.questions if q.key == "selling_share")
    expected = round(100 * (channel.option("none").points + share.max_points) / 8)
    assert result.dimension("selling").score == expected
    # shown() keeps what a phone or form shows: the hidden answers are dropped
    assert "selling_orders" not in ruled.shown(CONTEXT, {**answers, "selling_orders": "x"})


def test_a_does_not_apply_answer_leaves_the_possible_points(ruled):
    answers = {q.key: top(q) for q in ruled.questions}
    answers["operations_documents"] = "not_needed"
    ops = score(ruled, answers, {**CONTEXT, "cross_border": "yes"}).dimension("operations")
    assert ops.score == 100 and ops.dont_know == 0


def test_a_part_with_nothing_that_applies_does_not_apply_and_leaves_the_overall(tmp_path):
    def only_exporters(data):
        for q in dim(data, "operations")["questions"]:
            q["when"] = {"cross_border": ["yes"]}

    instrument, _ = load(tmp_path, only_exporters)
    answers = {q.key: top(q) for q in instrument.questions if not q.key.startswith("operations")}
    result = score(instrument, answers, CONTEXT)
    ops = result.dimension("operations")
    assert ops.score is None and ops.level is None
    assert result.overall == 100 and result.weakest != "operations"
    assert result.as_dict()["dimensions"][3]["score"] is None


def test_a_condition_on_a_hidden_question_does_not_hold(tmp_path):
    def chained(data):
        question(data, "operations_export")["when"] = {"cross_border": ["yes"]}
        # a later question shown only for one export answer
        first_export = question(data, "operations_export")["options"][0]["key"]
        dim(data, "skills")["questions"][0]["when"] = {"operations_export": [first_export]}

    instrument, _ = load(tmp_path, chained)
    export_q = next(q for q in instrument.questions if q.key == "operations_export")
    answers = {q.key: top(q) for q in instrument.questions}
    answers["operations_export"] = lowest(export_q)
    skills_first = instrument.dimension("skills").questions[0].key
    # not an exporter: operations_export is hidden, so its stale answer opens nothing
    assert skills_first not in instrument.shown(CONTEXT, answers)
    assert skills_first in instrument.shown({**CONTEXT, "cross_border": "yes"}, answers)


def test_start_here_breaks_ties_by_the_stated_order(tmp_path):
    order = ["payments", "security", "selling", "operations", "presence", "skills"]
    instrument, _ = load(tmp_path, lambda d: d.update(start_here=order))
    zero = {q.key: lowest(q) for q in instrument.questions}
    assert score(instrument, zero, CONTEXT).weakest == "payments"
    plain = load_instrument(BASE)
    assert score(plain, zero, CONTEXT).weakest == plain.dimensions[0].key


BROKEN = {
    "condition on a later question": (
        lambda d: question(d, "presence_map").update(when={"skills_plan": ["x"]}),
        "presence_map.when.skills_plan",
        "unknown key",
    ),
    "condition on an unknown option": (
        lambda d: question(d, "operations_export").update(when={"cross_border": ["maybe"]}),
        "operations_export.when.cross_border",
        "unknown option 'maybe'",
    ),
    "N/A with points": (
        lambda d: next(
            o for o in question(d, "operations_export")["options"] if o["points"] == 4
        ).update(not_applicable=True),
        ".points",
        "scores nothing",
    ),
    "start order misses a part": (
        lambda d: d.update(start_here=["payments"] * 6),
        "start_here",
        "every part once",
    ),
    "comparable with an unknown part": (
        lambda d: d.update(comparable_with={"0.9": ["nowhere"]}),
        "comparable_with.0.9",
        "unknown part",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_condition_names_the_fault(tmp_path, case):
    change, key, problem = BROKEN[case]
    data = copy.deepcopy(RAW)
    change(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert_names_the_fault(load_instrument, path, key, problem)
