"""Scoring: one pure function of (instrument, answers).

The method, published on the "How is this scored?" page:
- each answer earns its option's points (0-4); "I don't know" earns 0, like the lowest answer,
  and is counted apart;
- a dimension's score is its earned points over its possible points (question weights applied),
  as 0-100;
- the overall score is the weighted mean of the dimension scores;
- scores are rounded half up to whole numbers only at the end, from exact fractions, so that the
  browser, which scores with the same rules, can reproduce every number exactly;
- the level is the highest level whose threshold the score reaches.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from lmcself.core.instrument import Instrument


class ScoringError(ValueError):
    """The answers do not fit the instrument (missing, unknown question or option)."""


@dataclass(frozen=True)
class DimensionScore:
    key: str
    score: int
    level: str
    dont_know: int


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
        dims = tuple(DimensionScore(**d) for d in data["dimensions"])
        return cls(**{**data, "dimensions": dims})

    def dimension(self, key: str) -> DimensionScore:
        return next(d for d in self.dimensions if d.key == key)


def round_half_up(value: Fraction) -> int:
    """Round to a whole number, halves upwards (Python's round() would round halves to even)."""
    return _round_ratio(value.numerator, value.denominator)


def _round_ratio(numerator: int, denominator: int) -> int:
    """numerator / denominator (denominator > 0) rounded half up, in integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def score(instrument: Instrument, answers: Mapping[str, str]) -> Result:
    """Score a complete set of answers {question key: option key}.

    Raises ScoringError when a question is unanswered or an answer is not one of its options.
    Extra keys that are not questions are an error too: they mean the answers were made for
    another version of the instrument.
    """
    known = {q.key for q in instrument.questions}
    extra = sorted(set(answers) - known)
    if extra:
        raise ScoringError(f"unknown question {extra[0]!r} for instrument {instrument.version}")
    # Exact integer arithmetic (a fraction's numerator and denominator), about twice as fast as
    # Fraction objects, which matters when a central server imports 100,000 submissions.
    parts: list[tuple[int, int, int]] = []  # (dimension weight, earned, possible)
    dims = []
    for d in instrument.dimensions:
        earned = possible = dont_know = 0
        for q in d.questions:
            if q.key not in answers:
                raise ScoringError(f"question {q.key!r} is not answered")
            option = q.option(answers[q.key])
            if option is None:
                raise ScoringError(f"{answers[q.key]!r} is not an option of {q.key!r}")
            earned += q.weight * option.points
            possible += q.weight * q.max_points
            dont_know += option.dont_know
        parts.append((d.weight, earned, possible))
        value = _round_ratio(100 * earned, possible)
        dims.append(DimensionScore(d.key, value, instrument.level_for(value).key, dont_know))
    common = math.lcm(*(p for _, _, p in parts))
    total_weight = sum(w for w, _, _ in parts)
    overall = _round_ratio(
        100 * sum(w * e * (common // p) for w, e, p in parts), total_weight * common
    )
    # Ties go to the dimension met first, so the same answers always name the same dimension.
    strongest = max(dims, key=lambda x: x.score)
    weakest = min(dims, key=lambda x: x.score)
    return Result(
        version=instrument.version,
        overall=overall,
        level=instrument.level_for(overall).key,
        dimensions=tuple(dims),
        strongest=strongest.key,
        weakest=weakest.key,
        dont_know=sum(x.dont_know for x in dims),
    )
