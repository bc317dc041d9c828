"""The one aggregation engine: every count and average shown anywhere comes from here, grouped
and filtered by country, sector, size, women-led, region, workshop and month over the narrow
`facts` table (db.py), as exact sums (core/disclosure.py's Cell); disclosure.py decides what
of them is shown. The staff dashboard shows them exact; the situation report and the aggregate
export protected; peers and the room view protected, rounded and released in steps (`release`).
All the SQL for facts, figures and releases is in this module.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace as dataclass_replace
from datetime import UTC, datetime

import sqlite_utils

from lmcself.core.disclosure import (
    PUBLIC_STEP,
    Cell,
    Figures,
    Tally,
    counts_across,
    public,
    release_due,
    shown,
)
from lmcself.core.instrument import CONTEXT_KEYS, VERSIONS, Instrument, instrument_for
from lmcself.core.progress import comparable_parts
from lmcself.core.suppress import suppressed, suppressed_table, total_or_none
from lmcself.storage.db import (
    FACT_SLOTS,
    GAP_SLOTS,
    SUM_COLUMNS,
    SUM_MEASURES,
    SUM_SETS,
    fact_measures,
)

GROUPS = ("country", "sector", "size", "women_led", "region", "workshop", "month")
FILTERS = ("country", "sector", "size", "women_led", "region", "workshop")
PUBLIC_MIN_GROUP = 10  # default: public figures (peers, room view) from this many submissions
PEERS_STEP = 10  # "businesses like yours" averages shown rounded to this many points (the room
# view: PUBLIC_STEP); anyone can watch them, again and again, for any group


@dataclass(frozen=True)
class Group:
    value: str
    n: int
    overall: float
    dimensions: dict[str, float]
    levels: dict[str, int | None]


@dataclass(frozen=True)
class Dashboard:
    total: int | None  # None: fewer than k match
    overall: float | None
    dimensions: dict[str, float | None]
    levels: dict[str, int | None]
    groups: list[Group]
    hidden_groups: int
    gaps: dict[str, int | None]  # of all, the most common first
    gap_table: dict[str, dict[str, int | None]]  # gap: group shown: count, None if hidden

    def as_group(self, value: str = "") -> Group:
        """All submissions as one group (shown only when the total is)."""
        if self.total is None or self.overall is None:
            raise ValueError("fewer than k submissions: nothing to show")
        return Group(value, self.total, self.overall, _known(self.dimensions), self.levels)


def _known(values: dict[str, float | None]) -> dict[str, float]:
    return {key: value for key, value in values.items() if value is not None}


def _where(
    instrument: Instrument, filters: dict[str, str], since: str, until: str
) -> tuple[str, list[str]]:
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


def cells(
    db: sqlite_utils.Database,
    instrument: Instrument,
    by: str | None,
    filters: dict[str, str] | None = None,
    since: str = "",
    until: str = "",
    keys: bool = True,
) -> dict[str, Cell]:
    """The exact sums of each group (by a column of GROUPS; None: all as one group ""); the
    record keys' sums only with keys (the exact dashboard needs none: 0 instead)."""
    if by is not None and by not in GROUPS:
        raise ValueError(f"cannot group by {by!r}")
    found = _grouped(db, instrument, [by] if by else [], filters, since, until, keys)
    return {group[0] if group else "": cell for group, cell in found.items()}


STEPS = {
    "month": "month",
    # 2026-Q4: the calendar quarter of a month
    "quarter": "substr(month, 1, 4) || '-Q' || ((CAST(substr(month, 6, 2) AS INTEGER) + 2) / 3)",
}


def _grouped(
    db: sqlite_utils.Database,
    instrument: Instrument,
    by: list[str],
    filters: dict[str, str] | None,
    since: str,
    until: str,
    keys: bool,
) -> dict[tuple[str, ...], Cell]:
    """The exact sums of each group of the SQL expressions `by` (trusted: columns of GROUPS or
    STEPS' expressions), in one scan; kept for the same question until the facts change."""
    where, params = _where(instrument, filters or {}, since, until)
    version = _version(db)
    memo = (version, tuple(by), where, tuple(params), keys, instrument.version)
    if version is not None and memo in _MEMO:
        _MEMO.move_to_end(memo)
        return _MEMO[memo]
    columns = [c for c in SUM_COLUMNS if c in by or (filters or {}).get(c) is not None]
    if tuple([*columns, "", ""][:2]) in SUM_SETS and len(columns) <= 2:
        out = _scan(db, instrument, by, where, params, keys, _summed(columns))
    else:  # three columns, or a workshop with another: not pre-summed
        out = _scan(db, instrument, by, where, params, keys)
    if version is not None:
        _MEMO[memo] = out
        while len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)
    return out


# The sums asked for lately, per server process: staff views ask the same few questions again
# and again (a page, then its charts' downloads; a colleague opening a shared view), and a scan
# of 100,000 facts takes longer than a page may. Facts are only ever added (a restore replaces
# the file), so the file and its largest rowid name what they were computed from.
MEMO_SIZE = 64
_MEMO: OrderedDict[tuple, dict[tuple[str, ...], Cell]] = OrderedDict()
_MONTHS: dict[tuple, list[str]] = {}


def _version(db: sqlite_utils.Database) -> tuple | None:
    """What the facts are now, for the memo; None for a database in memory (never kept)."""
    path = db.execute("PRAGMA database_list").fetchone()[2]
    if not path:
        return None
    try:
        inode = os.stat(path).st_ino
    except OSError:
        return None
    # The largest rowid grows with every fact added; fact_sums_state counts deletions and changes.
    return (
        path,
        inode,
        *db.execute(
            "SELECT (SELECT max(rowid) FROM facts), (SELECT changes FROM fact_sums_state)"
        ).fetchone(),
    )


def _summed(columns: list[str]) -> tuple[str, list[str]]:
    """The facts as rows of sums (SUM_MEASURES) with the columns version, `columns`, month and
    level: fact_sums' rows of the set of these columns, and the facts not yet summed in it
    (rowid after fact_sums_state's upto), one row each; read in one statement, so both are of
    the same moment."""
    a, b = (*columns, "", "")[:2]
    names = ("instrument_version", *columns, "month", "level")
    cube = ", ".join(
        [
            "instrument_version",
            *(f"{side} AS {c}" for side, c in zip(("av", "bv"), columns, strict=False)),
            "month",
            "level",
            *SUM_MEASURES,
        ]
    )
    fresh = ", ".join(
        [
            *names,
            *(f"{v} AS {m}" for v, m in zip(fact_measures("facts"), SUM_MEASURES, strict=True)),
        ]
    )
    return (
        f"(SELECT {cube} FROM fact_sums WHERE a = ? AND b = ? UNION ALL SELECT {fresh} FROM facts"
        " WHERE facts.rowid > (SELECT upto FROM fact_sums_state))",
        [a, b],
    )


def _scan(
    db: sqlite_utils.Database,
    instrument: Instrument,
    by: list[str],
    where: str,
    params: list[str],
    keys: bool,
    summed: tuple[str, list[str]] | None = None,
) -> dict[tuple[str, ...], Cell]:
    """One scan: of `facts`, or of `summed` (_summed: the same sums from fact_sums)."""
    dims = [d.key for d in instrument.dimensions]
    levels = [lv.key for lv in instrument.levels]
    gaps = [g.key for g in instrument.gaps[:GAP_SLOTS]]
    assert len(dims) <= FACT_SLOTS
    source, source_params = summed or ("facts", [])
    if summed is None:
        columns = [
            "count(*)",
            "sum(rkey)" if keys else "0",
            "sum(overall)",
            *(f"sum(s{i})" for i in range(len(dims))),
            *("sum(level = ?)" for _ in levels),
            *(("sum((level = ?) * rkey)" if keys else "0 + ?") for _ in levels),
            *(f"sum(g{i})" for i in range(len(gaps))),
            *((f"sum(g{i} * rkey)" if keys else "0") for i in range(len(gaps))),
        ]
    else:  # the same sums of sums (a part's: none where no fact has a score, as sum() gives)
        columns = [
            "sum(n)",
            "sum(rkey)" if keys else "0",
            "sum(overall)",
            *(f"CASE WHEN sum(c{i}) > 0 THEN sum(s{i}) END" for i in range(len(dims))),
            *("sum(n * (level = ?))" for _ in levels),
            *(("sum(rkey * (level = ?))" if keys else "0 + ?") for _ in levels),
            *(f"sum(g{i})" for i in range(len(gaps))),
            *((f"sum(k{i})" if keys else "0") for i in range(len(gaps))),
        ]
    group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(by)))}" if by else ""
    rows = db.execute(
        f"SELECT {', '.join([*by, *columns])} FROM {source}{where}{group}",
        [*levels, *levels, *source_params, *params],
    ).fetchall()
    out = {}
    width = len(by)
    for full in rows:
        head, row = tuple(full[:width]), full[width:]
        if not row[0]:
            continue  # no group at all (an aggregate without GROUP BY over nothing)
        at = 3 + len(dims)
        level_n, level_key = (
            row[at : at + len(levels)],
            row[at + len(levels) : at + 2 * len(levels)],
        )
        at += 2 * len(levels)
        gap_n, gap_key = row[at : at + len(gaps)], row[at + len(gaps) : at + 2 * len(gaps)]
        out[head] = Cell(
            row[0],
            row[1],
            row[2],
            dict(zip(dims, row[3 : 3 + len(dims)], strict=True)),
            {lv: Tally(n, key) for lv, n, key in zip(levels, level_n, level_key, strict=True)},
            {g: Tally(n, key) for g, n, key in zip(gaps, gap_n, gap_key, strict=True)},
        )
    return out


def group_figures(
    db: sqlite_utils.Database,
    instrument: Instrument,
    k: int,
    filters: dict[str, str] | None = None,
    protect: bool = True,
) -> Figures:
    """All submissions matching the filters as one group."""
    found = cells(db, instrument, None, filters).get("")
    return shown(found or _empty(instrument), k, protect)


def _empty(instrument: Instrument) -> Cell:
    return Cell(
        0,
        0,
        0,
        {d.key: 0 for d in instrument.dimensions},
        {lv.key: Tally(0, 0) for lv in instrument.levels},
        {g.key: Tally(0, 0) for g in instrument.gaps[:GAP_SLOTS]},
    )


def dashboard(
    db: sqlite_utils.Database,
    instrument: Instrument,
    by: str,
    k: int,
    filters: dict[str, str] | None = None,
    since: str = "",
    until: str = "",
    protect: bool = False,
) -> Dashboard:
    """Groups by one column and their whole, under the small-group rule; with protect, every
    figure through the cell key method (what leaves the staff's screen)."""
    if by not in GROUPS:
        raise ValueError(f"cannot group by {by!r}")
    per_group = cells(db, instrument, by, filters, since, until, keys=protect)
    return _dashboard(instrument, by, k, per_group, protect)


def _dashboard(
    instrument: Instrument, by: str, k: int, per_group: dict[str, Cell], protect: bool, floor=0.0
) -> Dashboard:
    """The groups' cells and their whole as shown (dashboard, change_dashboard)."""
    counts = {value: cell.n for value, cell in per_group.items()}
    if total_or_none(counts, k) is None:
        nothing = shown(_empty(instrument), k, protect, floor)
        return Dashboard(None, None, nothing.dimensions, nothing.levels, [], 0, {}, {})
    visible = suppressed(counts, k)
    groups = []
    for value in sorted(per_group, key=_order(instrument, by)):
        if visible[value] is not None:
            figures = shown(per_group[value], k, protect, floor)
            assert figures.n is not None and figures.overall is not None
            groups.append(
                Group(value, figures.n, figures.overall, _known(figures.dimensions), figures.levels)
            )
    whole_cell = _empty(instrument)
    for cell in per_group.values():
        whole_cell = whole_cell + cell
    whole = shown(whole_cell, k, protect, floor)
    # A gap's counts across the groups are one table, suppressed together; of it, the groups shown.
    gap_table = {}
    for gap in whole_cell.gaps:
        across = counts_across({v: c.gaps[gap] for v, c in per_group.items()}, k, protect)
        gap_table[gap] = {g.value: across.get(g.value) for g in groups}
    return Dashboard(
        whole.n,
        whole.overall,
        whole.dimensions,
        whole.levels,
        groups,
        sum(1 for n in visible.values() if n is None),
        whole.gaps,
        gap_table,
    )


# Re-assessed businesses: a submission that follows an earlier one by its re-entry code (the one
# link between two checks, core/progress.py), with the same questionnaire version, makes a pair;
# its change is the later check's scores minus the earlier one's. A pair belongs to the groups
# and the month of its later check, and carries that check's record key.
# The later checks are found first, by the index of `follows` (few submissions follow another;
# `>= ''`: every code, none NULL, as the index can read it), not by a look-up of every fact.
PAIRS = (
    " FROM submissions s CROSS JOIN facts f ON f.id = s.id"
    " CROSS JOIN submissions p"
    " ON p.reentry = s.follows AND p.id != s.id AND p.created_on <= s.created_on"
    " CROSS JOIN facts pf ON pf.id = p.id AND pf.instrument_version = f.instrument_version"
)


def _pair_where(
    instrument: Instrument, filters: dict[str, str], since: str, until: str
) -> tuple[str, list[str]]:
    where, params = _where(instrument, filters, since, until)
    for column in ("instrument_version", *FILTERS, "month"):
        where = where.replace(f" {column} ", f" f.{column} ")
    return where.replace(" WHERE ", " WHERE s.follows >= '' AND ", 1), params


def pair_cells(
    db: sqlite_utils.Database,
    instrument: Instrument,
    by: str | None,
    filters: dict[str, str] | None = None,
    since: str = "",
    until: str = "",
) -> dict[str, Cell]:
    """The exact sums of the pairs' changes of each group (by a column of GROUPS; None: all as
    one group ""): count, record keys, overall change and each part's change."""
    if by is not None and by not in GROUPS:
        raise ValueError(f"cannot group by {by!r}")
    where, params = _pair_where(instrument, filters or {}, since, until)
    dims = [d.key for d in instrument.dimensions]
    columns = [
        f"f.{by}" if by else "''",
        "count(*)",
        "sum(f.rkey)",
        "sum(f.overall - pf.overall)",
        *(f"sum(f.s{i} - pf.s{i})" for i in range(len(dims))),
    ]
    group = f" GROUP BY f.{by}" if by else ""
    rows = db.execute(f"SELECT {', '.join(columns)}{PAIRS}{where}{group}", params).fetchall()
    empty = _empty(instrument)
    return {
        row[0]: Cell(
            row[1],
            row[2],
            row[3],
            dict(zip(dims, row[4 : 4 + len(dims)], strict=True)),
            empty.levels,
            empty.gaps,
        )
        for row in rows
        if row[1]
    }


def change_dashboard(
    db: sqlite_utils.Database,
    instrument: Instrument,
    by: str,
    k: int,
    filters: dict[str, str] | None = None,
    since: str = "",
    until: str = "",
    protect: bool = True,
) -> Dashboard:
    """The change among re-assessed businesses by one column, under the rules of every figure:
    no group of fewer than k pairs (suppressed with the others so that none is the difference
    of the rest), and with protect, through the cell key method (averages of changes, -100 to
    100). A pair's levels and gaps are not counted here."""
    if by not in GROUPS:
        raise ValueError(f"cannot group by {by!r}")
    per_group = pair_cells(db, instrument, by, filters, since, until)
    if not protect:
        per_group = {v: dataclass_replace(c, key=0) for v, c in per_group.items()}
    return _dashboard(instrument, by, k, per_group, protect, floor=-100.0)


def _pair_count(
    db: sqlite_utils.Database,
    instrument: Instrument,
    filters: dict[str, str],
    since: str = "",
    until: str = "",
) -> int:
    where, params = _pair_where(instrument, filters, since, until)
    return int(db.execute(f"SELECT count(*){PAIRS}{where}", params).fetchone()[0])


def pairs_give_away(
    db: sqlite_utils.Database,
    instrument: Instrument,
    k: int,
    filters: dict[str, str] | None = None,
    since: str = "",
    until: str = "",
) -> bool:
    """gives_away for the pairs: whether this filtered view of changes, beside the view without
    one of its filters (or its months), would give away 1 to k - 1 pairs by difference."""
    filters = filters or {}
    n = _pair_count(db, instrument, filters, since, until)
    wider = [
        _pair_count(db, instrument, {c: v for c, v in filters.items() if c != column}, since, until)
        for column in filters
    ]
    if since or until:
        wider.append(_pair_count(db, instrument, filters))
    return any(0 < total - n < k for total in wider)


@dataclass(frozen=True)
class Line:
    value: str  # the group ("" for all submissions of the selection)
    n: dict[str, int | None]  # period: count, None where hidden
    overall: dict[str, float | None]  # period: average score, None where hidden


@dataclass(frozen=True)
class Series:
    step: str  # "month" or "quarter"
    periods: list[str]  # 2026-11 or 2026-Q4, oldest first
    whole: Line
    lines: list[Line]  # one per group shown (none when grouped by month)


def series(
    db: sqlite_utils.Database,
    instrument: Instrument,
    by: str,
    k: int,
    filters: dict[str, str] | None = None,
    since: str = "",
    until: str = "",
    step: str = "month",
    protect: bool = False,
) -> Series:
    """The average score of each group shown (the dashboard's) by month or quarter, and of all.
    A group by period is a two-way table: suppressed both ways (suppress.suppressed_table), so
    neither a group's total nor a period's gives a hidden cell away; the groups the dashboard
    hides are hidden in every period."""
    if by not in GROUPS or step not in STEPS:
        raise ValueError(f"cannot group by {by!r} and {step!r}")
    # kept as the sums are (a table of 61 workshops by 10 months takes long to suppress)
    version = _version(db)
    chosen = tuple(sorted((filters or {}).items()))
    memo: tuple = (version, instrument.version, by, k, chosen, since, until, step, protect)
    if version is not None and memo in _SERIES:
        return _SERIES[memo]
    found = _series(db, instrument, by, k, filters, since, until, step, protect)
    if version is not None:
        if len(_SERIES) >= MEMO_SIZE:
            _SERIES.clear()
        _SERIES[memo] = found
    return found


_SERIES: dict[tuple, Series] = {}


def _series(
    db: sqlite_utils.Database,
    instrument: Instrument,
    by: str,
    k: int,
    filters: dict[str, str] | None,
    since: str,
    until: str,
    step: str,
    protect: bool,
) -> Series:
    per = {
        (group, period): cell
        for (group, period), cell in _grouped(
            db, instrument, [by, STEPS[step]], filters, since, until, protect
        ).items()
    }
    totals: dict[str, int] = {}
    whole: dict[str, Cell] = {}
    for (group, period), cell in per.items():
        totals[group] = totals.get(group, 0) + cell.n
        whole[period] = whole[period] + cell if period in whole else cell
    periods = sorted(whole)
    if total_or_none(totals, k) is None:
        empty = Line("", dict.fromkeys(periods), dict.fromkeys(periods))
        return Series(step, periods, empty, [])

    def line(value: str, found: dict[str, Cell], shown_n: dict[str, int | None]) -> Line:
        ns: dict[str, int | None] = {}
        overall: dict[str, float | None] = {}
        for period in periods:
            figures = (
                shown(found[period], k, protect)
                if period in found and shown_n.get(period) is not None
                else None
            )
            ns[period] = figures.n if figures else None
            overall[period] = figures.overall if figures else None
        return Line(value, ns, overall)

    all_shown = suppressed({p: c.n for p, c in whole.items()}, k)
    lines = []
    if by != "month":
        visible = suppressed(totals, k)
        table = suppressed_table(
            {cell: c.n for cell, c in per.items()},
            k,
            frozenset(cell for cell in per if visible[cell[0]] is None),
        )
        of_group: dict[str, dict[str, Cell]] = {}
        for (group, period), c in per.items():
            of_group.setdefault(group, {})[period] = c
        for value in sorted(totals, key=_order(instrument, by)):
            if visible[value] is None:
                continue
            mine = of_group[value]
            lines.append(line(value, mine, {p: table[(value, p)] for p in mine}))
    return Series(step, periods, line("", whole, all_shown), lines)


def _order(instrument: Instrument, by: str) -> Callable[[str], tuple[int, str]]:
    """Groups of an answer in the questionnaire's order of options (sizes small to large);
    workshops and months by their value."""
    if by in CONTEXT_KEYS:
        place = {o.key: i for i, o in enumerate(instrument.context_question(by).options)}
        return lambda value: (place.get(value, len(place)), value)
    return lambda value: (0, value)


def _count(
    db: sqlite_utils.Database,
    instrument: Instrument,
    filters: dict[str, str],
    since: str = "",
    until: str = "",
) -> int:
    found = _grouped(db, instrument, [], filters, since, until, False)
    return found[()].n if () in found else 0


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
        wider.append(_count(db, instrument, filters))
    return any(0 < total - n < k for total in wider)


# Both questionnaire versions live side by side: each figure above counts one version (the
# instrument's). Only the parts the method makes comparable (an instrument's `comparable_with`)
# are pooled across versions, as new figures under the same rules: a pooled cell is shown only
# where each version's share of it is either empty or itself shown in that version's own view,
# so that the pooled figure minus one version's never gives a hidden group away.


def _instrument_of(instrument: Instrument, version: str) -> Instrument:
    return instrument if version == instrument.version else instrument_for(version)


def pooled_parts(instrument: Instrument) -> dict[str, tuple[str, ...]]:
    """The parts pooled across versions: part key: the versions pooled (this one first)."""
    out: dict[str, tuple[str, ...]] = {}
    for version in VERSIONS:
        if version == instrument.version:
            continue
        for part in sorted(comparable_parts(instrument, version, instrument_for(version))):
            out[part] = (*out.get(part, (instrument.version,)), version)
    order = [d.key for d in instrument.dimensions]
    return {part: out[part] for part in order if part in out}


@dataclass(frozen=True)
class Pooled:
    parts: dict[str, tuple[str, ...]]  # part: the versions pooled (pooled_parts)
    groups: dict[str, dict[str, float | None]]  # group: part: average over the versions
    whole: dict[str, float | None]  # part: average of all the groups, over the versions


def pooled(
    db: sqlite_utils.Database,
    instrument: Instrument,
    by: str,
    k: int,
    filters: dict[str, str] | None = None,
    since: str = "",
    until: str = "",
    protect: bool = False,
) -> Pooled:
    """The comparable parts' averages of each group (by a column of GROUPS) and of all, pooled
    across the versions that make them comparable; None where hidden (see above), through the
    cell key method with protect."""
    if by not in GROUPS:
        raise ValueError(f"cannot group by {by!r}")
    parts = pooled_parts(instrument)
    if not parts:
        return Pooled({}, {}, {})
    views: dict[str, tuple[dict[str, Cell], set[str], bool]] = {}
    for version in sorted({v for versions in parts.values() for v in versions}):
        inst = _instrument_of(instrument, version)
        found = cells(db, inst, by, filters, since, until, keys=protect)
        if gives_away(db, inst, k, filters, since, until):
            views[version] = (found, set(), False)
            continue
        own = _dashboard(inst, by, k, found, protect)
        views[version] = (found, {g.value for g in own.groups}, own.total is not None)

    def pool(value: str | None, part: str) -> float | None:
        n = key = total = 0
        for version in parts[part]:
            found, groups_shown, whole_shown = views[version]
            if value is None:
                mine = [c for c in found.values() if c.n]
                if mine and not whole_shown:
                    return None
            else:
                cell = found.get(value)
                mine = [cell] if cell is not None and cell.n else []
                if mine and value not in groups_shown:
                    return None
            for cell in mine:
                n, key, total = n + cell.n, key + cell.key, total + cell.dimensions[part]
        if not n:
            return None
        return shown(Cell(n, key, 0, {part: total}, {}, {}), k, protect).dimensions.get(part)

    mine = views[instrument.version][0]
    return Pooled(
        parts,
        {value: {part: pool(value, part) for part in parts} for value in mine},
        {part: pool(None, part) for part in parts},
    )


def with_pooled(figures: Dashboard, found: Pooled) -> Dashboard:
    """The dashboard with its comparable parts' averages pooled across versions (missing:
    hidden)."""

    def merged(values: dict, pooled_values: dict[str, float | None]) -> dict:
        out = {key: v for key, v in values.items() if key not in found.parts}
        out.update({key: v for key, v in pooled_values.items() if v is not None})
        return out

    groups = [
        dataclass_replace(g, dimensions=merged(g.dimensions, found.groups.get(g.value, {})))
        for g in figures.groups
    ]
    whole = {**figures.dimensions, **found.whole}
    return dataclass_replace(figures, groups=groups, dimensions=whole)


def other_versions(
    db: sqlite_utils.Database,
    instrument: Instrument,
    k: int,
    filters: dict[str, str] | None = None,
    since: str = "",
    until: str = "",
    protect: bool = False,
) -> dict[str, int | None]:
    """The checks on each other version that match the filters (and so are not in this
    version's figures): version: count, None where fewer than k or where that version's view
    would give a group away; versions with none left out."""
    out: dict[str, int | None] = {}
    for version in VERSIONS:
        if version == instrument.version:
            continue
        inst = instrument_for(version)
        cell = cells(db, inst, None, filters, since, until, keys=protect).get("")
        if cell is None or not cell.n:
            continue
        withheld = gives_away(db, inst, k, filters, since, until)
        out[version] = None if withheld else shown(cell, k, protect).n
    return out


def months(db: sqlite_utils.Database) -> list[str]:
    version = _version(db)
    if version is not None and version in _MONTHS:
        return list(_MONTHS[version])
    found = [r[0] for r in db.execute("SELECT DISTINCT month FROM facts ORDER BY month")]
    if version is not None:
        if len(_MONTHS) >= MEMO_SIZE:
            _MONTHS.clear()
        _MONTHS[version] = found
    return found


def workshop_codes(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT code FROM workshops ORDER BY code")]


def stored_records(db: sqlite_utils.Database, **filters: str) -> list[dict]:
    """The stored submissions matching every filter (a column of GROUPS, or month YYYY-MM), for
    the record export."""
    clauses, params = [], []
    for column, value in filters.items():
        if column not in GROUPS:
            raise ValueError(f"cannot filter on {column!r}")
        if column == "month":
            clauses.append("substr(created_on, 1, 7) = ?")
        else:
            clauses.append(f"{column} = ?")
        params.append(value)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    cursor = db.execute(f"SELECT * FROM submissions{where}", params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def release(
    db: sqlite_utils.Database,
    instrument: Instrument,
    scope: str,
    filters: dict[str, str],
    k: int,
    minimum: int,
    step: int = PUBLIC_STEP,
) -> Figures | None:
    """The public figures of a group (peers, a room): the last release, renewed only when the
    group has grown by k or more since (from `minimum` submissions); protected and averages
    rounded to `step` points (disclosure.public). None before the first release. Every caller
    of a scope sees the same."""
    count = _count(db, instrument, filters)
    row = db.execute("SELECT n, figures FROM releases WHERE scope = ?", [scope]).fetchone()
    if release_due(count, row[0] if row else None, minimum, k):
        figures = public(group_figures(db, instrument, k, filters, protect=True), step)
        with db.conn:
            db.conn.execute(
                "INSERT INTO releases (scope, n, figures, released_on) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(scope) DO UPDATE SET n = excluded.n, figures = excluded.figures, "
                "released_on = excluded.released_on",
                [scope, count, json.dumps(figures.__dict__), datetime.now(UTC).date().isoformat()],
            )
        return figures
    return Figures(**json.loads(row[1])) if row else None


@dataclass(frozen=True)
class Peers:
    n: int
    overall: float


PEER_KEYS = ("country", "sector", "size")


def peers(
    db: sqlite_utils.Database,
    instrument: Instrument,
    context: dict[str, str],
    k: int,
    minimum: int = PUBLIC_MIN_GROUP,
) -> Peers | None:
    """ "Businesses like yours": the same country, sector and size and questionnaire, as last
    released (see release); None before a release."""
    filters = {key: context[key] for key in PEER_KEYS}
    scope = "peers:" + ":".join([instrument.version, *filters.values()])
    figures = release(db, instrument, scope, filters, k, minimum, PEERS_STEP)
    if figures is None or figures.n is None or figures.overall is None:
        return None
    return Peers(figures.n, figures.overall)


def room(
    db: sqlite_utils.Database,
    instrument: Instrument,
    code: str,
    k: int,
    minimum: int = PUBLIC_MIN_GROUP,
) -> Figures | None:
    """A workshop's room view as last released (see release); None before a release."""
    return release(
        db, instrument, f"room:{instrument.version}:{code}", {"workshop": code}, k, minimum
    )
