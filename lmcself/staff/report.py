"""The regional situation report for program staff: where businesses stand by country, sector,
size and women-led; the most common gaps; the change from the period before. It is what a
program shares, so every figure in it comes from the one engine (storage/figures.py) through
the cell key method (core/disclosure.py), under the small-group rule: the gap counts are
suppressed across countries as one table, so that the region's count minus the countries shown
never gives away a country's count under k.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlite_utils

from lmcself.core.instrument import Instrument
from lmcself.storage.figures import (
    Dashboard,
    Group,
    change_dashboard,
    dashboard,
    gives_away,
    other_versions,
    pairs_give_away,
    pooled,
    pooled_parts,
    with_pooled,
)

SECTIONS = ("country", "sector", "size", "women_led")
TOP_GAPS = 5


def month_index(month: str) -> int:
    year, number = map(int, month.split("-"))
    return year * 12 + number - 1


def month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Period:
    since: str  # first month, YYYY-MM
    until: str  # last month, YYYY-MM, included

    @property
    def months(self) -> int:
        return month_index(self.until) - month_index(self.since) + 1

    def before(self) -> Period:
        """The period of the same length that ends the month before this one starts."""
        start = month_index(self.since)
        return Period(month_name(start - self.months), month_name(start - 1))

    def snapped(self) -> Period:
        """The period a report covers: the calendar quarter of both months, or else the whole
        calendar years from the first to the last. Reports come from this fixed lattice of
        periods only, so that no two of them differ by a month or two: with any first and last
        month, many reports that differ by the same few submissions would each carry their own
        noise, and their average would wear it away (docs/privacy.md)."""
        start, end = month_index(self.since), month_index(self.until)
        if start // 3 == end // 3:
            quarter = start // 3 * 3
            return Period(month_name(quarter), month_name(quarter + 2))
        return Period(month_name(start // 12 * 12), month_name(end // 12 * 12 + 11))

    @classmethod
    def default(cls, latest: str | None, today: date | None = None) -> Period:
        """The calendar quarter of the latest month with submissions (or of today)."""
        end = month_index(latest or (today or date.today()).strftime("%Y-%m"))
        return cls(month_name(end), month_name(end)).snapped()


@dataclass(frozen=True)
class GapCount:
    key: str
    count: int
    share: float  # of the group's submissions, 0 to 1


@dataclass(frozen=True)
class Change:
    value: str  # a country code; "" for all countries of the report
    n_before: int
    n_now: int
    before: float
    now: float
    dimensions: dict[str, float]  # change of each part's average, in points

    @property
    def change(self) -> float:
        return round(self.now - self.before, 1)


@dataclass(frozen=True)
class Report:
    period: Period
    earlier: Period
    country: str | None  # the report of one country, or of all (None)
    k: int
    stand: dict[str, Dashboard]  # by each of SECTIONS, the period
    gaps: list[GapCount]  # all countries of the report, most common first
    gap_table: dict[str, dict[str, int | None]]  # gap: country shown: count, None if hidden
    country_gaps: dict[str, list[GapCount]]  # the most common of each country shown
    changes: list[Change]  # all first, then by country
    withheld: bool  # set beside a wider report, this one would give away a group under k
    # The change among businesses that checked again in the period (by their re-entry code),
    # by each of SECTIONS: pairs of checks, averages of the later minus the earlier scores.
    reassessed: dict[str, Dashboard] | None = None
    reassessed_withheld: bool = False  # as withheld, for the pairs
    # Parts comparable across questionnaire versions, pooled in `stand` over the versions named
    # (part: "1.0 + 2.0"); the other parts, the overall and the levels count this version only.
    pools: dict[str, str] | None = None
    # checks of the period on other versions, not in these figures (None: too few to say)
    others: dict[str, int | None] | None = None

    @property
    def whole(self) -> Dashboard:
        return self.stand["country"]


def _top(counts: dict[str, int | None], n: int) -> list[GapCount]:
    """The most common gaps shown, with their share of the (shown) size of the group."""
    shown = sorted(
        ((key, c) for key, c in counts.items() if c is not None and c > 0), key=lambda x: -x[1]
    )
    return [GapCount(key, c, c / n) for key, c in shown[:TOP_GAPS]]


def _change(value: str, before: Group, now: Group, keys: list[str]) -> Change:
    return Change(
        value,
        before.n,
        now.n,
        before.overall,
        now.overall,
        {key: round(now.dimensions[key] - before.dimensions[key], 1) for key in keys},
    )


def situation_report(
    db: sqlite_utils.Database,
    instrument: Instrument,
    period: Period,
    k: int,
    country: str | None = None,
    protect: bool = True,
) -> Report:
    """The report's figures for the period's snapped form (Period.snapped), protected (the
    cell key method) unless protect is False (tests of the suppression)."""
    period = period.snapped()
    filters = {"country": country} if country else {}
    # checks of the period on other versions: where there are any, pool what is comparable
    others = other_versions(db, instrument, k, filters, period.since, period.until, protect)
    own = {
        by: dashboard(db, instrument, by, k, filters, period.since, period.until, protect)
        for by in SECTIONS
    }
    stand = {
        by: with_pooled(
            figures,
            pooled(db, instrument, by, k, filters, period.since, period.until, protect),
        )
        if figures.total is not None and others
        else figures
        for by, figures in own.items()
    }
    earlier = period.before()
    before = dashboard(db, instrument, "country", k, filters, earlier.since, earlier.until, protect)
    whole = own["country"]  # the change from the period before: this version's own figures
    gaps = _top(whole.gaps, whole.total) if whole.total is not None else []
    gap_table = whole.gap_table
    country_gaps = {
        g.value: _top({key: row[g.value] for key, row in gap_table.items()}, g.n)
        for g in whole.groups
    }

    keys = [d.key for d in instrument.dimensions]
    changes = []
    if whole.total is not None and before.total is not None:
        changes.append(_change("", before.as_group(), whole.as_group(), keys))
        earlier_groups = {g.value: g for g in before.groups}
        for group in whole.groups:
            if group.value in earlier_groups:
                changes.append(_change(group.value, earlier_groups[group.value], group, keys))
    withheld = gives_away(db, instrument, k, filters, period.since, period.until)
    reassessed = {
        by: change_dashboard(db, instrument, by, k, filters, period.since, period.until, protect)
        for by in SECTIONS
    }
    return Report(
        period,
        earlier,
        country,
        k,
        stand,
        gaps,
        gap_table,
        country_gaps,
        changes,
        withheld,
        reassessed,
        pairs_give_away(db, instrument, k, filters, period.since, period.until),
        {key: " + ".join(sorted(v)) for key, v in pooled_parts(instrument).items()}
        if others
        else {},
        others,
    )
