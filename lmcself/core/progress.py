"""Progress from one check to the next: each part's change, what was done, what is next.

A pure function of the two checks (Submissions with their stored Results), their instruments and
the new plan. The two checks are linked by the previous check's re-entry code alone
(`Submission.follows`), never by a person.

Which parts are compared:
- both checks with the same questionnaire version: every part;
- different versions: only the parts the newer instrument lists for the older version in its
  `comparable_with`; the others are shown side by side without a change;
- a part with no score in either check (absent, or "does not apply") is not compared.

"What you did from your last plan": the actions the last plan gave for a question (the options
of the previous answers) whose answer now earns more points, in a compared part. "What is next":
the first step of each part in the new plan's focus, weakest part first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lmcself.core.instrument import HORIZONS, Action, Instrument
from lmcself.core.plan import Plan
from lmcself.core.scoring import Result

NEXT_STEPS = 3


@dataclass(frozen=True)
class PartChange:
    key: str
    before: int | None  # None: the part had no score last time
    now: int | None  # None: the part has no score this time
    comparable: bool

    @property
    def change(self) -> int | None:
        """Points gained (negative: lost) since last time; None where not comparable."""
        if not self.comparable or self.before is None or self.now is None:
            return None
        return self.now - self.before


@dataclass(frozen=True)
class Progress:
    before_version: str
    now_version: str
    parts: tuple[PartChange, ...]  # in the order of the newer check's instrument
    overall_before: int
    overall_now: int
    done: tuple[Action, ...]  # steps of the last plan now answered at a higher level
    next: tuple[Action, ...]  # the new plan's first steps

    @property
    def same_version(self) -> bool:
        return self.before_version == self.now_version

    @property
    def overall_change(self) -> int | None:
        """The overall score's change, only when every part is compared (same version)."""
        return self.overall_now - self.overall_before if self.same_version else None

    @property
    def compared(self) -> tuple[PartChange, ...]:
        return tuple(p for p in self.parts if p.change is not None)

    def keys(self) -> dict:
        """As keys and numbers: the form static/progress.js gives (tests/js/parity.test.mjs)."""
        return {
            "before_version": self.before_version,
            "now_version": self.now_version,
            "parts": [
                {
                    "key": p.key,
                    "before": p.before,
                    "now": p.now,
                    "comparable": p.comparable,
                    "change": p.change,
                }
                for p in self.parts
            ],
            "overall_before": self.overall_before,
            "overall_now": self.overall_now,
            "overall_change": self.overall_change,
            "done": [a.key for a in self.done],
            "next": [a.key for a in self.next],
        }


def comparable_parts(
    now: Instrument, before_version: str, before: Instrument | None = None
) -> frozenset[str]:
    """The keys of the parts whose scores may be compared between a check with `before_version`
    and one with `now` (either may be the newer: the newer one's `comparable_with` decides)."""
    if before_version == now.version:
        return frozenset(d.key for d in now.dimensions)
    if before_version in now.comparable_with:
        return frozenset(now.comparable_with[before_version])
    if before is not None and now.version in before.comparable_with:
        return frozenset(before.comparable_with[now.version])
    return frozenset()


def _scores(result: Result) -> dict[str, int]:
    """The parts with a score (a part where nothing applies has none: shown, never compared)."""
    return {d.key: d.score for d in result.dimensions if d.score is not None}


def part_changes(
    now: Instrument, now_result: Result, before_result: Result, before: Instrument | None = None
) -> tuple[PartChange, ...]:
    """Each part of the newer check's instrument, its score then and now, compared or not."""
    keys = comparable_parts(now, before_result.version, before)
    then, current = _scores(before_result), _scores(now_result)
    order = [d.key for d in now.dimensions]
    order += [k for k in then if k not in order]  # parts the new version no longer has
    return tuple(
        PartChange(
            key,
            then.get(key),
            current.get(key),
            key in keys and key in then and key in current,
        )
        for key in order
    )


def _points(instrument: Instrument, question: str, answer: str | None) -> int | None:
    for q in instrument.questions:
        if q.key == question:
            option = q.option(answer)
            # "I don't know" earns 0 like the lowest answer; an answer that is no option (or
            # "does not apply", which a version may give no points) is not compared.
            return option.points if option is not None else None
    return None


def done_actions(
    before: Instrument,
    before_answers: Mapping[str, str],
    now: Instrument,
    now_answers: Mapping[str, str],
    parts: frozenset[str],
) -> tuple[Action, ...]:
    """The last plan's steps (the actions of the previous answers) of every question in a
    compared part whose answer now earns more points, in the order the last plan gave them."""
    out: list[Action] = []
    for dim in before.dimensions:
        if dim.key not in parts:
            continue
        for q in dim.questions:
            option = q.option(before_answers.get(q.key))
            if option is None or not option.actions:
                continue
            then_points = option.points
            now_points = _points(now, q.key, now_answers.get(q.key))
            if now_points is None or now_points <= then_points:
                continue
            for key in option.actions:
                action = before.actions[key]
                if action not in out:
                    out.append(action)
    out.sort(key=lambda a: HORIZONS.index(a.horizon))
    return tuple(out)


def next_steps(plan: Plan, limit: int = NEXT_STEPS) -> tuple[Action, ...]:
    """The first step of each part of the plan's focus (weakest first), then further steps in
    plan order, up to `limit`."""
    firsts: list[Action] = []
    rest: list[Action] = []
    for part in plan.parts:
        steps = [s.action for h in HORIZONS for s in part.steps[h]]
        if steps and part.focus:
            firsts.append(steps[0])
            rest += steps[1:]
        else:
            rest += steps
    return tuple((firsts + rest)[:limit])


def progress(
    before: Instrument | None,
    before_answers: Mapping[str, str],
    before_result: Result,
    now: Instrument,
    now_answers: Mapping[str, str],
    now_result: Result,
    plan: Plan,
) -> Progress:
    """Progress between a previous check and this one. `before` is the previous check's
    instrument when this server knows its version (else no step can be marked done)."""
    parts = part_changes(now, now_result, before_result, before)
    compared = frozenset(p.key for p in parts if p.comparable)
    done = (
        done_actions(before, before_answers, now, now_answers, compared)
        if before is not None
        else ()
    )
    return Progress(
        before_result.version,
        now_result.version,
        parts,
        before_result.overall,
        now_result.overall,
        done,
        next_steps(plan),
    )
