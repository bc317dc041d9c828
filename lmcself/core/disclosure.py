"""Disclosure control: what a group's exact sums become when they are shown (pure; the sums come
from storage/figures.py). docs/privacy.md says who sees which.

- `exact`: the small-group rule only (suppress.py). For the staff dashboard: staff are trusted
  with the records (they can open the database).
- `protected`: the cell key method of the Australian Bureau of Statistics (TableBuilder) and the
  UK's ONS (2021 census), for every figure that leaves the staff's screen (situation report,
  aggregate export) and, rounded further, for the public ones (`public`: peers, room view).
  Every submission carries a random record key (0-255, stored with its fact, never shown); a
  cell's key is the sum of its records' keys mod 256, and its perturbation is a fixed function
  of that key (a ptable lookup). The same cell always shows the same value, however often and
  by whatever way it is asked for, so asking again averages nothing away; two cells that differ
  by one business have unrelated keys, so their difference carries the noise of both.
  Counts move by at most COUNT_MAX; a group's score total moves by up to sum_bound(n) points,
  so its average by up to mean_bound(n) points: 1 point from 100 submissions, 9 in a group
  of 20, 39 in a group of 5.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from lmcself.core.suppress import suppressed

KEY_RANGE = 256
# The ptable for counts: a cell key's place in [0, 256) picks the perturbation; the widths are
# the chances out of 256 (mean 0, variance 0.69, as the ONS's ptables: mostly 0 or 1).
COUNT_PTABLE: tuple[tuple[int, int], ...] = ((-2, 10), (-1, 48), (0, 140), (1, 48), (2, 10))
COUNT_MAX = max(abs(p) for p, _ in COUNT_PTABLE)
SUM_SCALE = 100  # a total of 100 scores moves by up to this (one business: 0-100); sum_bound
COMMON = 0.7  # share of a cell's noise shared by all its averages (dimension averages cannot be
# averaged together to take it away; the rest keeps the differences between parts inexact)
PUBLIC_STEP = 5  # public averages are shown rounded to this many points

assert sum(width for _, width in COUNT_PTABLE) == KEY_RANGE


@dataclass(frozen=True)
class Tally:
    """How many submissions of a group show something, and the sum of their record keys."""

    n: int
    key: int

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.n + other.n, self.key + other.key)


@dataclass(frozen=True)
class Cell:
    """The exact sums of one group of submissions, nothing shown yet."""

    n: int
    key: int  # sum of the record keys
    overall: int  # sum of the overall scores
    dimensions: dict[str, int]  # sum of each part's scores
    levels: dict[str, Tally]
    gaps: dict[str, Tally]

    def __add__(self, other: Cell) -> Cell:
        return Cell(
            self.n + other.n,
            self.key + other.key,
            self.overall + other.overall,
            {d: t + other.dimensions[d] for d, t in self.dimensions.items()},
            {lv: t + other.levels[lv] for lv, t in self.levels.items()},
            {g: t + other.gaps[g] for g, t in self.gaps.items()},
        )


@dataclass(frozen=True)
class Figures:
    """One group as shown: None wherever fewer than k submissions stand behind a figure."""

    n: int | None
    overall: float | None
    dimensions: dict[str, float | None]
    levels: dict[str, int | None]
    gaps: dict[str, int | None] = field(default_factory=dict)  # the most common first


def _spread(key: int, measure: str) -> float:
    """A fixed number in [-1, 1] for a cell key and a measure (the continuous ptable): keys
    k and k + 128 get opposite values, so over all keys the noise averages exactly 0; more
    often far from 0 than near it (density |x|), so at the same bound a difference of two
    cells says less than with evenly spread noise."""
    place = key % KEY_RANGE
    half = KEY_RANGE // 2
    digest = hashlib.blake2b(f"{measure}:{place % half}".encode(), digest_size=8).digest()
    magnitude = math.sqrt(int.from_bytes(digest) / 2**64)
    return magnitude if place < half else -magnitude


def count_noise(key: int) -> int:
    """The ptable's perturbation for a cell key."""
    place = key % KEY_RANGE
    for perturbation, width in COUNT_PTABLE:
        if place < width:
            return perturbation
        place -= width
    raise AssertionError("the ptable covers every key")


def perturbed_count(tally: Tally, k: int) -> int:
    """A count of k or more as shown: perturbed, never below k (so never read as hidden) and
    zero stays zero (an empty cell has no key)."""
    if tally.n == 0:
        return 0
    return max(k, tally.n + count_noise(tally.key))


def sum_bound(n: int) -> int:
    """How far a score total of n submissions may move: one business's worth (SUM_SCALE) in a
    group of 100, more in smaller groups (where one business weighs more: up to two at the
    smallest), n from 100 on, so an average moves by at most max(1, sum_bound(n) / n) points."""
    return max(n, 2 * SUM_SCALE - n)


def mean_bound(n: int) -> float:
    """How far an average of n submissions may move, in points."""
    return sum_bound(n) / n


def perturbed_mean(total: int, n: int, key: int, measure: str, floor: float = 0.0) -> float:
    """An average of scores 0-100 as shown: the total moved by a fixed function of the cell key.
    (Changes of scores, -100 to 100, are shown with floor -100.)"""
    scale = sum_bound(n)
    noise = scale * (COMMON * _spread(key, "common") + (1 - COMMON) * _spread(key, measure))
    return round(min(100.0, max(floor, (total + noise) / n)), 1)


def _counts(tallies: Mapping[str, Tally], k: int, protect: bool) -> dict[str, int | None]:
    shown = suppressed({key: t.n for key, t in tallies.items()}, k)
    return {
        key: None if n is None else (perturbed_count(tallies[key], k) if protect and n else n)
        for key, n in shown.items()
    }


def hidden(cell: Cell) -> Figures:
    return Figures(
        None,
        None,
        dict.fromkeys(cell.dimensions),
        dict.fromkeys(cell.levels),
        {},
    )


def shown(cell: Cell, k: int, protect: bool, floor: float = 0.0) -> Figures:
    """A group's figures: nothing when fewer than k; level and gap counts under the small-group
    rule; with protect, every figure through the cell key method. floor: the lowest average
    (-100 for changes of scores between two checks)."""
    if cell.n < k:
        return hidden(cell)
    if protect:
        n: int = perturbed_count(Tally(cell.n, cell.key), k)
        overall = perturbed_mean(cell.overall, cell.n, cell.key, "overall", floor)
        dimensions: dict[str, float | None] = {
            d: perturbed_mean(t, cell.n, cell.key, f"dimension:{d}", floor)
            for d, t in cell.dimensions.items()
        }
    else:
        n = cell.n
        overall = round(cell.overall / cell.n, 1)
        dimensions = {d: round(t / cell.n, 1) for d, t in cell.dimensions.items()}
    gaps = _counts(cell.gaps, k, protect)
    order = sorted(gaps, key=lambda g: -(gaps[g] or 0))
    return Figures(
        n,
        overall,
        dimensions,
        _counts(cell.levels, k, protect),
        {g: gaps[g] for g in order if cell.gaps[g].n},
    )


def counts_across(tallies: Mapping[str, Tally], k: int, protect: bool) -> dict[str, int | None]:
    """One count across groups (a gap by country) as one table: suppressed together, so the
    hidden ones add up to 0 or at least k, then perturbed with protect."""
    return _counts(tallies, k, protect)


def public(figures: Figures, step: int = PUBLIC_STEP) -> Figures:
    """Protected figures rounded for the public: averages to `step` points."""

    def band(value: float | None) -> float | None:
        return None if value is None else float(round(value / step) * step)

    return Figures(
        figures.n,
        band(figures.overall),
        {d: band(v) for d, v in figures.dimensions.items()},
        figures.levels,
        figures.gaps,
    )


def release_due(n: int, released: int | None, minimum: int, step: int) -> bool:
    """Whether a group of n now gets a new release: from `minimum` submissions, and then only
    when it has grown by `step` or more since the last release."""
    if n < minimum:
        return False
    return released is None or n - released >= step
