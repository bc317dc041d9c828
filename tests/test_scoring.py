"""Scoring: a pure function; every score within 0-100, monotone, deterministic."""

from __future__ import annotations

from dataclasses import asdict
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmcself.core.instrument import VERSIONS, default_instrument, instrument_for
from lmcself.core.scoring import Result, ScoringError, round_half_up, score

INSTRUMENT = default_instrument()  # 2.0, the version new checks use
BOTH = [instrument_for(v) for v in VERSIONS]  # the method holds for stored 1.0 results too


@st.composite
def answer_sets(draw) -> dict[str, str]:
    return {q.key: draw(st.sampled_from([o.key for o in q.options])) for q in INSTRUMENT.questions}


def scores_of(result) -> list[int]:
    return [result.overall, *(d.score for d in result.dimensions)]


@given(answer_sets())
def test_every_score_is_within_0_and_100(answers):
    result = score(INSTRUMENT, answers)
    assert all(0 <= s <= 100 for s in scores_of(result))
    assert result.level == INSTRUMENT.level_for(result.overall).key


@given(answer_sets(), st.data())
def test_improving_one_answer_never_lowers_any_score(answers, data):
    question = data.draw(st.sampled_from(INSTRUMENT.questions))
    current = question.option(answers[question.key])
    better = [o for o in question.options if o.points > current.points]
    if not better:
        return
    improved = {**answers, question.key: data.draw(st.sampled_from(better)).key}
    before, after = score(INSTRUMENT, answers), score(INSTRUMENT, improved)
    assert all(b <= a for b, a in zip(scores_of(before), scores_of(after), strict=True))
    levels = [lv.key for lv in INSTRUMENT.levels]
    assert levels.index(before.level) <= levels.index(after.level)


@settings(max_examples=50)
@given(answer_sets())
def test_the_same_answers_always_give_the_same_result(answers):
    shuffled = dict(reversed(list(answers.items())))
    assert (
        score(INSTRUMENT, answers)
        == score(INSTRUMENT, shuffled)
        == score(INSTRUMENT, dict(answers))
    )


def reference_scores(instrument, context, answers) -> list[int | None]:
    """The published method, literally, with Fraction objects: a question asked only when
    (`when:`) an earlier answer is one of (or, negated, none of) some options counts only then;
    a "does not apply" answer leaves the possible points; a part with nothing that applies has
    no score; the overall is the weighted mean of the parts that apply."""
    values = dict(context)
    fractions, parts = [], []
    for d in instrument.dimensions:
        earned = possible = 0
        for q in d.questions:
            if not all(
                values.get(c.key) is not None and (values[c.key] in c.options) != c.negate
                for c in q.when
            ):
                continue
            values[q.key] = answers[q.key]
            option = q.option(answers[q.key])
            if option.not_applicable:
                continue
            earned += q.weight * option.points
            possible += q.weight * max(o.points for o in q.options if not o.not_applicable)
        if possible:
            fractions.append((d.weight, Fraction(earned, possible)))
        parts.append(round_half_up(100 * Fraction(earned, possible)) if possible else None)
    total = sum(w for w, _ in fractions)
    overall = sum(w * f for w, f in fractions) / total
    return [round_half_up(100 * overall), *parts]


@st.composite
def cases(draw, instrument) -> tuple[dict[str, str], dict[str, str]]:
    """Context answers and an answer to every question (hidden ones too: they must not count)."""
    context = {q.key: draw(st.sampled_from([o.key for o in q.options])) for q in instrument.context}
    answers = {
        q.key: draw(st.sampled_from([o.key for o in q.options])) for q in instrument.questions
    }
    return context, answers


@pytest.mark.parametrize("instrument", BOTH, ids=VERSIONS)
@settings(max_examples=300)
@given(data=st.data())
def test_integer_arithmetic_gives_the_published_methods_scores(instrument, data):
    context, answers = data.draw(cases(instrument))
    expected = reference_scores(instrument, context, answers)
    assert scores_of(score(instrument, answers, context)) == expected


@settings(max_examples=30)
@given(answer_sets())
def test_a_result_as_a_dict_holds_every_field_and_reads_back(answers):
    result = score(INSTRUMENT, answers)
    assert result.as_dict() == asdict(result)
    assert Result.from_dict(result.as_dict()) == result


def test_an_answer_that_is_not_a_string_is_refused():
    answers = {q.key: top(q) for q in INSTRUMENT.questions}
    first = INSTRUMENT.questions[0].key
    for odd in (None, 3, ["yes"], {"a": 1}):
        with pytest.raises(ScoringError):
            score(INSTRUMENT, {**answers, first: odd})


def top(q):
    return max(q.options, key=lambda o: o.points).key


def test_all_top_answers_score_100_and_the_top_level():
    result = score(INSTRUMENT, {q.key: top(q) for q in INSTRUMENT.questions})
    assert scores_of(result) == [100] * (len(INSTRUMENT.dimensions) + 1)
    assert result.level == INSTRUMENT.levels[-1].key
    assert result.dont_know == 0


@pytest.mark.parametrize("instrument", BOTH, ids=VERSIONS)
def test_dont_know_scores_like_the_lowest_answer_and_is_counted_apart(instrument):
    lowest = {q.key: q.options[0].key for q in instrument.questions}
    dont_know = {
        q.key: (q.options[-1] if q.options[-1].dont_know else q.options[0]).key
        for q in instrument.questions
    }
    # counted among the questions asked (2.0: a "don't know" may leave a later one unasked)
    asked = instrument.shown({}, dont_know)
    by_key = {q.key: q for q in instrument.questions}
    n_dont_know = sum(by_key[k].option(v).dont_know for k, v in asked.items())
    assert n_dont_know > 0
    a, b = score(instrument, lowest), score(instrument, dont_know)
    assert scores_of(a) == scores_of(b) == [0] * (len(instrument.dimensions) + 1)
    assert (a.dont_know, b.dont_know) == (0, n_dont_know)
    assert sum(d.dont_know for d in b.dimensions) == n_dont_know


def test_weakest_and_strongest_name_the_right_dimensions():
    answers = {q.key: q.options[0].key for q in INSTRUMENT.questions}
    strong, weak = INSTRUMENT.dimensions[2], INSTRUMENT.dimensions[0]
    for q in strong.questions:
        answers[q.key] = top(q)
    for dim in INSTRUMENT.dimensions[1:]:
        if dim is not strong:
            answers[dim.questions[0].key] = top(dim.questions[0])
    result = score(INSTRUMENT, answers)
    assert (result.strongest, result.weakest) == (strong.key, weak.key)
    assert result.dimension(strong.key).score == 100


def test_overall_is_the_weighted_mean_of_dimensions():
    answers = {q.key: q.options[0].key for q in INSTRUMENT.questions}
    first = INSTRUMENT.dimensions[0]
    for q in first.questions:
        answers[q.key] = top(q)
    result = score(INSTRUMENT, answers)
    total = sum(d.weight for d in INSTRUMENT.dimensions)
    assert result.overall == round_half_up(Fraction(100 * first.weight, total))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(1, 2), 1),
        (Fraction(5, 2), 3),
        (Fraction(49, 2), 25),
        (Fraction(2, 3), 1),
        (Fraction(1, 3), 0),
    ],
)
def test_halves_round_up(value, expected):
    assert round_half_up(value) == expected


def test_missing_unknown_or_foreign_answers_are_refused():
    answers = {q.key: top(q) for q in INSTRUMENT.questions}
    first = INSTRUMENT.questions[0].key
    with pytest.raises(ScoringError, match="not answered"):
        score(INSTRUMENT, {k: v for k, v in answers.items() if k != first})
    with pytest.raises(ScoringError, match="not an option"):
        score(INSTRUMENT, {**answers, first: "nonsense"})
    with pytest.raises(ScoringError, match="unknown question"):
        score(INSTRUMENT, {**answers, "from_another_version": "x"})
