"""Submissions in SQLite: every statement on the `submissions` table and the `facts` row written
with each (the staff figures' narrow copy).

A submission is stored under the UUID its device (or the form flow) gave it. Storing is
idempotent and the database enforces it: the primary key refuses a second row, and a retry is
told apart from a conflict by the content hash (core/submissions.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum

import sqlite_utils

from lmcself.core.submissions import Submission
from lmcself.storage.db import (
    FACT_COLUMNS,
    FACT_SLOTS,
    PROTECTION_COLUMNS,
    gap_flags,
    record_key,
    write_lock,
)
from lmcself.storage.workshops import known_codes
from lmcself.storage.workshops import merge as merge_workshops

ROW_COLUMNS = (
    "id",
    "instrument_version",
    "locale",
    "country",
    "sector",
    "size",
    "years",
    "women_led",
    "region",
    "cross_border",
    "workshop",
    "answers",
    "scores",
    "overall",
    "level",
    "created_on",
    "content_hash",
    "reentry",
    "follows",
)
INSERT_ROW = (
    f"INSERT INTO submissions ({', '.join(ROW_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in ROW_COLUMNS)}) ON CONFLICT(id) DO NOTHING"
)
INSERT_FACT = (
    f"INSERT INTO facts ({', '.join((*FACT_COLUMNS, *PROTECTION_COLUMNS))}) VALUES ("
    + ", ".join(
        "coalesce(:workshop, '')" if c == "workshop" else f":{c}"
        for c in (*FACT_COLUMNS, *PROTECTION_COLUMNS)
    )
    + ")"
)
CHUNK = 500  # rows per INSERT batch and per look-up of existing ids


class Inserted(Enum):
    CREATED = "created"
    EXISTS = "exists"


class SubmissionConflict(Exception):
    """A submission with this id exists with different content."""


class UnknownWorkshop(ValueError):
    """A submission names a workshop code neither stored here nor defined in what was sent."""


@dataclass
class ImportReport:
    created: int = 0
    existing: int = 0
    conflicts: list[str] = field(default_factory=list)
    workshop_conflicts: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.existing + len(self.conflicts)


def stored_row(submission: Submission) -> dict[str, object]:
    """The submission's row with its fact's values (which the INSERT_FACT statement names):
    the month, the part scores, a random record key and the gap flags (figures.py)."""
    row = submission.to_row()
    row.setdefault("follows", None)
    row["month"] = submission.created_on.isoformat()[:7]
    dims = submission.result.dimensions
    for i in range(FACT_SLOTS):
        row[f"s{i}"] = dims[i].score if i < len(dims) else None
    row["rkey"] = record_key()
    row.update(
        gap_flags(
            {
                "instrument_version": submission.instrument_version,
                "answers": dict(submission.answers),
                **submission.context,
            }
        )
    )
    return row


def insert(db: sqlite_utils.Database, submission: Submission) -> Inserted:
    """Store a submission once. Same id and content again: EXISTS. Same id, other content:
    SubmissionConflict."""
    row = stored_row(submission)
    with write_lock, db.conn:
        cursor = db.conn.execute(INSERT_ROW, row)
        if cursor.rowcount == 1:
            db.conn.execute(INSERT_FACT, row)
    if cursor.rowcount == 1:
        return Inserted.CREATED
    existing = db.execute(
        "SELECT content_hash FROM submissions WHERE id = ?", [row["id"]]
    ).fetchone()
    if existing and existing[0] == row["content_hash"]:
        return Inserted.EXISTS
    raise SubmissionConflict(submission.id)


def _select(db: sqlite_utils.Database, where: str, params: list) -> Iterator[Submission]:
    cursor = db.execute(f"SELECT * FROM submissions {where}", params)
    names = [c[0] for c in cursor.description]
    for values in cursor:
        yield Submission.from_row(dict(zip(names, values, strict=True)))


def get(db: sqlite_utils.Database, submission_id: str) -> Submission | None:
    return next(_select(db, "WHERE id = ?", [submission_id]), None)


def find_by_reentry(db: sqlite_utils.Database, code: str) -> Submission | None:
    return next(_select(db, "WHERE reentry = ? LIMIT 1", [code]), None)


def previous_of(db: sqlite_utils.Database, submission: Submission) -> Submission | None:
    """The check this one follows, found by its re-entry code alone (None: a first check, or
    the previous one is not stored here)."""
    if not submission.follows:
        return None
    previous = find_by_reentry(db, submission.follows)
    # A check made later than this one is no previous check (the code of a later check can only
    # be typed by someone who had it: never shown as progress).
    if (
        previous is None
        or previous.id == submission.id
        or previous.created_on > submission.created_on
    ):
        return None
    return previous


def _workshop_filter(workshop: str | None) -> tuple[str, list]:
    return ("WHERE workshop = ?", [workshop]) if workshop else ("", [])


def all_of(db: sqlite_utils.Database, workshop: str | None = None) -> Iterator[Submission]:
    """Every stored submission (or one workshop's), oldest first."""
    where, params = _workshop_filter(workshop)
    return _select(db, f"{where} ORDER BY created_on, id", params)


def count(db: sqlite_utils.Database, workshop: str | None = None) -> int:
    where, params = _workshop_filter(workshop)
    return db.execute(f"SELECT count(*) FROM submissions {where}", params).fetchone()[0]


def workshops_named(db: sqlite_utils.Database, workshop: str | None = None) -> list[str]:
    """The workshop codes the stored submissions (or one workshop's) name."""
    where, params = _workshop_filter(workshop)
    sql = f"SELECT DISTINCT workshop FROM submissions {where}"
    return [r[0] for r in db.execute(sql, params) if r[0]]


def store_many(
    db: sqlite_utils.Database,
    rows: Iterable[dict[str, object]],
    progress: Callable[[int], None] = lambda n: None,
    workshops: Iterable[dict[str, str]] = (),
) -> ImportReport:
    """Store workshop definitions and rows (`stored_row`) in one transaction: an error on any
    rolls all back. New ids are inserted, the same id and content counts as existing, other
    content as a conflict; a row naming a workshop unknown here raises UnknownWorkshop."""
    report = ImportReport()
    seen: dict[str, str] = {}
    with write_lock, db.conn:
        db.conn.execute("BEGIN IMMEDIATE")  # no other writer between the look-up and the insert
        report.workshop_conflicts = merge_workshops(db, workshops)
        known = known_codes(db)
        chunk: list[dict[str, object]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == CHUNK:
                _store(db, chunk, seen, report, known)
                progress(len(chunk))
                chunk = []
        if chunk:
            _store(db, chunk, seen, report, known)
            progress(len(chunk))
    return report


def _store(
    db: sqlite_utils.Database,
    rows: list[dict[str, object]],
    seen: dict[str, str],
    report: ImportReport,
    known: set[str],
) -> None:
    for row in rows:
        if row["workshop"] and row["workshop"] not in known:
            raise UnknownWorkshop(
                f"submission {row['id']}: unknown workshop code {row['workshop']!r}, "
                "neither stored here nor defined in what was sent"
            )
    ids = [str(r["id"]) for r in rows]
    marks = ", ".join("?" * len(ids))
    stored = dict(
        db.conn.execute(
            f"SELECT id, content_hash FROM submissions WHERE id IN ({marks})", ids
        ).fetchall()
    )
    new = []
    for row in rows:
        submission_id, digest = str(row["id"]), str(row["content_hash"])
        known_hash = stored.get(submission_id) or seen.get(submission_id)
        if known_hash is None:
            new.append(row)
            seen[submission_id] = digest
        elif known_hash == digest:
            report.existing += 1
        else:
            report.conflicts.append(submission_id)
    db.conn.executemany(INSERT_ROW, new)
    db.conn.executemany(INSERT_FACT, new)
    report.created += len(new)
