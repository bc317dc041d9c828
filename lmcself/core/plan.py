"""The action plan: what an owner does next, weakest part first, with their country's real tools.

A pure function of (instrument, catalog, result, context, answers), so the page, the PDF and the
`lmcself pdf` command show the same plan. The steps are the actions of the owner's own answers,
grouped by 30, 60 and 90 days; a step gets the country's tools of the kinds that help with it.
Every tool appears once in a plan, at the first place it helps; the rest of a part's tools follow
the steps. The three weakest parts are the plan's focus: in full, with tools; the others list
their steps' titles. Gap rules warn about combinations of answers (sells online, takes only cash).
The country's obligations (tax, invoices, registration) that concern the owner are listed, those
whose gap the answers show as warnings first; the country's risks are shown to all its owners.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lmcself.core.catalog import Catalog, CrossBorderLink, Note, Obligation, Risk, Tool
from lmcself.core.instrument import HORIZONS, Action, Dimension, Gap, Instrument
from lmcself.core.scoring import DimensionScore, Result

NOTES_PER_PART = 1
# The weakest parts get every step in full with its tools; the rest list their steps' titles,
# so that the plan stays short enough to read, print and send through a chat app.
FOCUS_PARTS = 3
# Owners who sell abroad, or want to, get the cross-border section.
CROSS_BORDER_ANSWERS = ("yes", "not_yet")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REENTRY_LENGTH = 12


@dataclass(frozen=True)
class Step:
    action: Action
    tools: tuple[Tool, ...]


@dataclass(frozen=True)
class GapWarning:
    gap: Gap
    tools: tuple[Tool, ...]


@dataclass(frozen=True)
class Part:
    """One dimension of the plan: its score, steps by horizon, more tools, regional notes."""

    dimension: Dimension
    score: DimensionScore
    focus: bool
    steps: dict[int, tuple[Step, ...]]
    more_tools: tuple[Tool, ...]
    notes: tuple[Note, ...]

    @property
    def step_count(self) -> int:
        return sum(len(s) for s in self.steps.values())


@dataclass(frozen=True)
class Plan:
    result: Result
    country: str
    gaps: tuple[GapWarning, ...]
    parts: tuple[Part, ...]
    cross_border: tuple[CrossBorderLink, ...] | None  # None: the owner does not sell abroad
    # Duties that concern the owner: those the answers show a gap in (warnings), then the rest.
    duty_warnings: tuple[Obligation, ...] = ()
    duties: tuple[Obligation, ...] = ()
    risks: tuple[Risk, ...] = ()

    @property
    def tools(self) -> list[Tool]:
        """Every tool the plan names, in the order it names them."""
        out = [t for g in self.gaps for t in g.tools]
        for part in self.parts:
            out += [t for h in HORIZONS for s in part.steps[h] for t in s.tools]
            out += part.more_tools
        return out


def build_plan(
    instrument: Instrument,
    catalog: Catalog,
    result: Result,
    context: Mapping[str, str],
    answers: Mapping[str, str],
) -> Plan:
    country = context["country"]
    answers = instrument.shown(context, answers)  # hidden questions bring no steps or warnings
    named: set[str] = set()

    def take(tools: list[Tool]) -> tuple[Tool, ...]:
        fresh = tuple(t for t in tools if t.key not in named)
        named.update(t.key for t in fresh)
        return fresh

    def helping(kinds: tuple[str, ...], dimension: str) -> list[Tool]:
        return [t for t in catalog.tools_for(country, dimension) if t.kind in kinds]

    every_answer = {**context, **answers}
    gaps = tuple(
        GapWarning(g, take(helping(g.tools, g.dimension)))
        for g in instrument.gaps
        if g.applies(every_answer)
    )
    order = {d.key: i for i, d in enumerate(instrument.dimensions)}
    start = instrument.start_rank
    # Weakest first; equal scores in the instrument's "Start here" order; parts that do not
    # apply last.
    weakest_first = sorted(
        result.dimensions, key=lambda s: (s.score is None, s.score or 0, start[s.key])
    )
    parts = []
    for rank, dim_score in enumerate(weakest_first):
        dim = instrument.dimensions[order[dim_score.key]]
        focus = rank < FOCUS_PARTS
        actions: list[Action] = []
        for q in dim.questions:
            option = q.option(answers.get(q.key))
            for key in option.actions if option else ():
                if instrument.actions[key] not in actions:
                    actions.append(instrument.actions[key])
        steps = {
            h: tuple(
                Step(a, take(helping(a.tools, dim.key)) if focus else ())
                for a in actions
                if a.horizon == h
            )
            for h in HORIZONS
        }
        parts.append(
            Part(
                dim,
                dim_score,
                focus,
                steps,
                take(catalog.tools_for(country, dim.key)) if focus else (),
                regional_notes(catalog, country, dim.key),
            )
        )
    cross_border = None
    if context.get("cross_border") in CROSS_BORDER_ANSWERS:
        cross_border = tuple(x for x in catalog.cross_border if country in x.countries)
    concern = [o for o in catalog.obligations_for(country) if o.applies(every_answer)]
    return Plan(
        result,
        country,
        gaps,
        tuple(parts),
        cross_border,
        tuple(o for o in concern if o.warns(every_answer)),
        tuple(o for o in concern if not o.warns(every_answer)),
        tuple(catalog.risks_for(country)),
    )


def regional_notes(catalog: Catalog, country: str, dimension: str) -> tuple[Note, ...]:
    """The owner's own country first, then what others in the region did (never another
    country's local risks or rules)."""
    notes = [
        n
        for n in catalog.notes
        if n.dimension == dimension and (country in n.countries or not n.local_only)
    ]
    notes.sort(key=lambda n: country not in n.countries)
    return tuple(notes[:NOTES_PER_PART])


def reentry_code(submission_id: str) -> str:
    """A code to type or scan to come back: the first 60 bits of the UUID in Crockford base32.

    Made from the id alone, so a phone can show it offline (app.js does the same); 56 of the bits
    are random, too many to guess, and the rest of the id stays unknown.
    """
    bits = int(submission_id.replace("-", "")[:15], 16)
    code = "".join(CROCKFORD[(bits >> shift) & 31] for shift in range(55, -1, -5))
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def normalize_reentry(text: str) -> str | None:
    """A typed code in its canonical form, forgiving case, spaces, dashes and look-alike letters."""
    raw = "".join(text.split()).replace("-", "").upper()
    raw = raw.translate(str.maketrans("OIL", "011"))
    if len(raw) != REENTRY_LENGTH or any(c not in CROCKFORD for c in raw):
        return None
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
