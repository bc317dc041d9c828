"""Scoring: one pure function of (instrument, answers).

The method, published on the "How is this scored?" page:
- each answer earns its option's points (0-4); "I don't know" earns 0, like the lowest answer,
  and is counted apart;
- a question that does not apply (its "does not apply" answer, or a condition `when:` that the
  context or earlier answers do not meet, so it is not shown) leaves both earned and possible
  points: it neither helps nor hurts;
- a dimension's score is its earned points over its possible points (question weights applied),
  as 0-100; a dimension with no question that applies has no score ("does not apply");
- the overall score is the weighted mean of the scores of the dimensions that apply;
- scores are rounded half up to whole numbers only at the end, from exact fractions, so that the
  browser, which scores with the same rules, can reproduce every number exactly;
- the level is the highest level whose threshold the score reaches;
- "Start here" (the weakest part) is the lowest score; among equal scores, the first part in the
  instrument's `start_here` order (the file's order unless stated); the strongest is the highest,
  the first in file order among equals.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from lmcself.core.instrument import Instrument


class ScoringError(ValueError):
    """The answers do not fit the instrument (missing, unknown question or option)."""


@dataclass(frozen=True)
class DimensionScore:
    key: str
    score: int | None  # None: no question of the part applies ("does not apply")
    level: str | None
    dont_know: int

    @property
    def applies(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class Result:
    version: str
    overall: int
    level: str
    dimensions: tuple[DimensionScore, ...]
    strongest: str
    weakest: str
    dont_know: int

    def as_dict(self) -> dict:
        # By hand: dataclasses.asdict deep-copies every field, a third of an import's time.
        return {
            "version": self.version,
            "overall": self.overall,
            "level": self.level,
            "dimensions": tuple(
                {"key": d.key, "score": d.score, "level": d.level, "dont_know": d.dont_know}
                for d in self.dimensions
            ),
            "strongest": self.strongest,
            "weakest": self.weakest,
            "dont_know": self.dont_know,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Result:
        # By name, not **data: every stored row read (an export of 100,000) builds one.
        return cls(
            data["version"],
            data["overall"],
            data["level"],
            tuple(
                DimensionScore(d["key"], d["score"], d["level"], d["dont_know"])
                for d in data["dimensions"]
            ),
            data["strongest"],
            data["weakest"],
            data["dont_know"],
        )

    def dimension(self, key: str) -> DimensionScore:
        return next(d for d in self.dimensions if d.key == key)


def round_half_up(value: Fraction) -> int:
    """Round to a whole number, halves upwards (Python's round() would round halves to even)."""
    return _round_ratio(value.numerator, value.denominator)


def _round_ratio(numerator: int, denominator: int) -> int:
    """numerator / denominator (denominator > 0) rounded half up, in integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def score(
    instrument: Instrument,
    answers: Mapping[str, str],
    context: Mapping[str, str] | None = None,
) -> Result:
    """Score a complete set of answers {question key: option key}, with the context answers
    {context key: option key} that conditions may name.

    Raises ScoringError when a question that applies is unanswered or an answer is not one of
    its options. Extra keys that are not questions are an error too: they mean the answers were
    made for another version of the instrument. Answers to questions that do not apply (hidden by
    a condition) are ignored.
    """
    extra = sorted(set(answers) - instrument.answer_keys)
    if extra:
        raise ScoringError(f"unknown question {extra[0]!r} for instrument {instrument.version}")
    values = dict(context or {})  # grows question by question: a hidden answer never counts
    # Exact integer arithmetic (a fraction's numerator and denominator), about twice as fast as
    # Fraction objects, which matters when a central server imports 100,000 submissions.
    parts: list[tuple[int, int, int]] = []  # (dimension weight, earned, possible)
    dims = []
    for d in instrument.dimensions:
        earned = possible = dont_know = 0
        for q in d.questions:
            if q.when and not q.applies(values):
                continue
            if q.key not in answers:
                raise ScoringError(f"question {q.key!r} is not answered")
            option = q.option(answers[q.key])
            if option is None:
                raise ScoringError(f"{answers[q.key]!r} is not an option of {q.key!r}")
            values[q.key] = option.key
            dont_know += option.dont_know
            if option.not_applicable:
                continue
            earned += q.weight * option.points
            possible += q.weight * q.max_points
        if not possible:
            dims.append(DimensionScore(d.key, None, None, dont_know))
            continue
        parts.append((d.weight, earned, possible))
        value = _round_ratio(100 * earned, possible)
        dims.append(DimensionScore(d.key, value, instrument.level_for(value).key, dont_know))
    overall = 0  # nothing applies at all: no instrument allows it, but the answer is defined
    if parts:
        common = math.lcm(*(p for _, _, p in parts))
        total_weight = sum(w for w, _, _ in parts)
        overall = _round_ratio(
            100 * sum(w * e * (common // p) for w, e, p in parts), total_weight * common
        )
    scored = [x for x in dims if x.score is not None] or dims
    # Ties: the strongest is the part met first; the weakest ("Start here") the first in the
    # instrument's start order, so the same answers always name the same parts.
    rank = instrument.start_rank
    strongest = max(scored, key=lambda x: x.score or 0)
    weakest = min(scored, key=lambda x: (x.score or 0, rank[x.key]))
    return Result(
        version=instrument.version,
        overall=overall,
        level=instrument.level_for(overall).key,
        dimensions=tuple(dims),
        strongest=strongest.key,
        weakest=weakest.key,
        dont_know=sum(x.dont_know for x in dims),
    )


@dataclass(frozen=True)
class ExamplePart:
    key: str
    earned: int  # weighted points earned on the questions that apply
    possible: int  # weighted points possible on them (0: the part does not apply)
    exact: Fraction | None
    rounded: int | None


@dataclass(frozen=True)
class WorkedExample:
    """The method page's worked example, computed step by step as the page explains it
    (tests/test_method.py checks that it ends where score() ends)."""

    context: dict[str, str]
    answers: dict[str, str]
    skipped: tuple[str, ...]  # questions not asked (their condition does not hold)
    parts: tuple[ExamplePart, ...]
    exact_overall: Fraction
    overall: int
    average_of_rounded: Fraction  # what a reader gets from the rounded part scores


def worked_example(instrument: Instrument) -> WorkedExample:
    """A fixed set of answers (the same on every run) whose overall differs from the average of
    the rounded part scores, with a question skipped by its condition where the version has
    conditions: the two things a reader most needs to see worked out."""
    rng = random.Random(16)
    context = {q.key: q.options[0].key for q in instrument.context}
    for q in instrument.context:  # an owner for whom some condition does not hold
        for option in q.options:
            trial = {**context, q.key: option.key}
            if any(not x.applies(trial) for x in instrument.questions if x.when):
                context = trial
                break
    best = None
    for _ in range(5000):
        answers = {q.key: rng.choice(q.options).key for q in instrument.questions}
        answers = instrument.shown(context, answers)
        example = _example(instrument, context, answers)
        if example is None:
            continue
        best = best or example
        if round_half_up(example.average_of_rounded) != example.overall:
            return example
    assert best is not None
    return best


def _example(
    instrument: Instrument, context: dict[str, str], answers: dict[str, str]
) -> WorkedExample | None:
    values = dict(context)
    parts, skipped = [], []
    for d in instrument.dimensions:
        earned = possible = 0
        for q in d.questions:
            if not q.applies(values):
                skipped.append(q.key)
                continue
            if q.key not in answers:
                return None
            option = q.option(answers[q.key])
            assert option is not None
            values[q.key] = option.key
            if not option.not_applicable:
                earned += q.weight * option.points
                possible += q.weight * q.max_points
        exact = Fraction(100 * earned, possible) if possible else None
        rounded = round_half_up(exact) if exact is not None else None
        parts.append(ExamplePart(d.key, earned, possible, exact, rounded))
    weights = {d.key: d.weight for d in instrument.dimensions}
    applying = [p for p in parts if p.exact is not None]
    total = sum(weights[p.key] for p in applying)
    exact_overall = sum((weights[p.key] * p.exact for p in applying if p.exact), Fraction(0))
    exact_overall /= total
    average = Fraction(sum(weights[p.key] * (p.rounded or 0) for p in applying), total)
    return WorkedExample(
        context,
        answers,
        tuple(skipped),
        tuple(parts),
        exact_overall,
        round_half_up(exact_overall),
        average,
    )
