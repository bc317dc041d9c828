"""Anonymized aggregates of stored submissions, for the room view, the dashboard and exports.

Every number here is backed by at least k submissions or is None (see suppress.py): a group's
size and averages, each bar of a level distribution, each gap's count.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlite_utils

from lmcself.core.instrument import CONTEXT_KEYS, Instrument
from lmcself.core.suppress import DEFAULT_K, suppressed, total_or_none

GROUPINGS = ("country", "sector", "size", "women_led", "region", "workshop", "month")


@dataclass(frozen=True)
class Summary:
    """One group of submissions: None wherever fewer than k submissions stand behind a figure."""

    n: int | None
    overall: float | None
    dimensions: dict[str, float | None]
    levels: dict[str, int | None]
    gaps: dict[str, int | None]  # the most common first


def summarize(records: Iterable[Mapping], instrument: Instrument, k: int = DEFAULT_K) -> Summary:
    """Average scores, the overall level distribution and gap counts of the records."""
    records = list(records)
    n = len(records)
    if total_or_none({"all": n}, k) is None:
        return Summary(
            None,
            None,
            {d.key: None for d in instrument.dimensions},
            {lv.key: None for lv in instrument.levels},
            {},
        )
    dimensions = {
        d.key: round(sum(_dimension_score(r, d.key) for r in records) / n, 1)
        for d in instrument.dimensions
    }
    levels = Counter(r["level"] for r in records)
    gaps: Counter = Counter()
    for record in records:
        values = {**{key: record[key] for key in CONTEXT_KEYS}, **_answers(record)}
        gaps.update(g.key for g in instrument.gaps if g.applies(values))
    return Summary(
        n,
        round(sum(r["overall"] for r in records) / n, 1),
        dimensions,
        suppressed({lv.key: levels.get(lv.key, 0) for lv in instrument.levels}, k),
        suppressed(dict(gaps.most_common()), k),
    )


def _answers(record: Mapping) -> dict:
    answers = record["answers"]
    return json.loads(answers) if isinstance(answers, str) else dict(answers)


def _dimension_score(record: Mapping, key: str) -> int:
    scores = record["scores"]
    scores = json.loads(scores) if isinstance(scores, str) else scores
    return next(d["score"] for d in scores["dimensions"] if d["key"] == key)


def stored_records(db: sqlite_utils.Database, **filters: str) -> list[dict]:
    """The stored submissions matching every filter (a column of GROUPINGS, or month YYYY-MM)."""
    clauses, params = [], []
    for column, value in filters.items():
        if column not in GROUPINGS:
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
