"""The staff dashboard's figures: submissions grouped and filtered by country, sector, size,
women-led, region, workshop and month, from the narrow `facts` table (db.py), every figure
under the small-group rule (suppress.py)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from lmcself.core.instrument import CONTEXT_KEYS, Instrument
from lmcself.core.submissions import Submission
from lmcself.core.suppress import suppressed, total_or_none

GROUPS = ("country", "sector", "size", "women_led", "region", "workshop", "month")
FILTERS = ("country", "sector", "size", "women_led", "region", "workshop")


@dataclass(frozen=True)
class Group:
    value: str
    n: int
    overall: float
    dimensions: dict[str, float]


@dataclass(frozen=True)
class Dashboard:
    total: int | None  # None: fewer than k match
    overall: float | None
    dimensions: dict[str, float | None]
    levels: dict[str, int | None]
    groups: list[Group]
    hidden_groups: int

    def as_group(self, value: str = "") -> Group:
        """All submissions as one group (shown only when the total is)."""
        if self.total is None:
            raise ValueError("fewer than k submissions: nothing to show")
        return Group(value, self.total, self.overall, self.dimensions)


def _where(instrument: Instrument, filters: dict[str, str], since: str, until: str):
    clauses, params = ["instrument_version = ?"], [instrument.version]
    for column in FILTERS:
        if filters.get(column) is not None:
            clauses.append(f"{column} = ?")
            params.append(filters[column])
    if since:
        clauses.append("month >= ?")
        params.append(since)
    if until:
        clauses.append("month <= ?")
        params.append(until)
    return " WHERE " + " AND ".join(clauses), params


def dashboard(
    db: sqlite_utils.Database,
    instrument: Instrument,
    by: str,
    k: int,
    filters: dict[str, str] | None = None,
    since: str = "",
    until: str = "",
) -> Dashboard:
    if by not in GROUPS:
        raise ValueError(f"cannot group by {by!r}")
    where, params = _where(instrument, filters or {}, since, until)
    keys = [d.key for d in instrument.dimensions]
    sums = ", ".join(f"sum(s{i})" for i in range(len(keys)))
    levels = [lv.key for lv in instrument.levels]
    by_level = ", ".join("sum(level = ?)" for _ in levels)
    # One scan, grouped by one column: counts, sums and level counts; the rest is made from them.
    rows = db.execute(
        f"SELECT {by}, count(*), sum(overall), {sums}, {by_level} FROM facts{where} GROUP BY {by}",
        [*levels, *params],
    ).fetchall()
    width = len(keys) + 2  # count, overall, dimension sums
    per_group = {row[0]: list(row[1 : 1 + width]) for row in rows}
    per_level = {key: sum(row[1 + width + i] for row in rows) for i, key in enumerate(levels)}
    counts = {value: acc[0] for value, acc in per_group.items()}
    total = total_or_none(counts, k)
    if total is None:
        empty = {key: None for key in keys}
        return Dashboard(None, None, empty, {lv.key: None for lv in instrument.levels}, [], 0)
    shown = suppressed(counts, k)

    def means(acc: list) -> tuple[float, dict[str, float]]:
        n = acc[0]
        return round(acc[1] / n, 1), {
            key: round(t / n, 1) for key, t in zip(keys, acc[2:], strict=True)
        }

    groups = []
    for value in sorted(per_group, key=_order(instrument, by)):
        if shown[value] is not None:
            overall, dims = means(per_group[value])
            groups.append(Group(value, per_group[value][0], overall, dims))
    whole = [sum(acc[i] for acc in per_group.values()) for i in range(len(keys) + 2)]
    overall, dims = means(whole)
    return Dashboard(
        total,
        overall,
        dims,
        suppressed({lv.key: per_level.get(lv.key, 0) for lv in instrument.levels}, k),
        groups,
        sum(1 for n in shown.values() if n is None),
    )


def _order(instrument: Instrument, by: str):
    """Groups of an answer in the questionnaire's order of options (sizes small to large);
    workshops and months by their value."""
    if by in CONTEXT_KEYS:
        place = {o.key: i for i, o in enumerate(instrument.context_question(by).options)}
        return lambda value: (place.get(value, len(place)), value)
    return lambda value: (0, value)


def _count(db, instrument, filters, since, until) -> int:
    where, params = _where(instrument, filters, since, until)
    return db.execute(f"SELECT count(*) FROM facts{where}", params).fetchone()[0]


def gives_away(
    db: sqlite_utils.Database,
    instrument: Instrument,
    k: int,
    filters: dict[str, str] | None = None,
    since: str = "",
    until: str = "",
) -> bool:
    """Whether this filtered view, set beside the view without one of its filters (or without
    its months), would give away a group of 1 to k - 1 submissions by difference: the total of
    all countries minus that of one country is the rest, and so are its sums."""
    filters = filters or {}
    n = _count(db, instrument, filters, since, until)
    wider = [
        _count(db, instrument, {c: v for c, v in filters.items() if c != column}, since, until)
        for column in filters
    ]
    if since or until:
        wider.append(_count(db, instrument, filters, "", ""))
    return any(0 < total - n < k for total in wider)


def months(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT month FROM facts ORDER BY month")]


def workshop_codes(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT code FROM workshops ORDER BY code")]


@dataclass(frozen=True)
class Peers:
    n: int
    overall: float


def peers(db: sqlite_utils.Database, submission: Submission, k: int) -> Peers | None:
    """ "Businesses like yours": the same country, sector and size and questionnaire, the owner's
    own submission left out; None when fewer than k."""
    n, overall = db.execute(
        "SELECT count(*), avg(overall) FROM facts WHERE country = ? AND sector = ? AND size = ? "
        "AND instrument_version = ? AND id != ?",
        [
            submission.context["country"],
            submission.context["sector"],
            submission.context["size"],
            submission.instrument_version,
            submission.id,
        ],
    ).fetchone()
    return Peers(n, round(overall, 1)) if n >= k else None
