"""Submissions in SQLite: every statement on the `submissions` table and the `facts` row written
with each (the staff figures' narrow copy).

A submission is stored under the UUID its device (or the form flow) gave it. Storing is
idempotent and the database enforces it: the primary key refuses a second row, and a retry is
told apart from a conflict by the content hash (core/submissions.py).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import operator
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum

import sqlite_utils

from lmcself.core.instrument import CONTEXT_KEYS
from lmcself.core.submissions import Submission
from lmcself.storage.db import (
    BUSY_TIMEOUT_MS,
    FACT_COLUMNS,
    FACT_SLOTS,
    FOLD_CHUNK,
    PROTECTION_COLUMNS,
    fold,
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
FOLD_POST = 20  # a post sums its fact, and a few left by an import (db.py: fold)


class Inserted(Enum):
    CREATED = "created"
    EXISTS = "exists"


class SubmissionConflict(Exception):
    """A submission with this id exists with different content."""


class UnknownWorkshop(ValueError):
    """A submission names a workshop code neither stored here nor defined in what was sent."""


class Busy(Exception):
    """The database stayed locked by another writer for longer than the wait allowed: nothing
    was written; try again in a moment (the API answers 503 with Retry-After)."""

    retry_after = 2


class ImportBusy(Exception):
    """Another import is under way on this database."""


WRITE_WAIT = 2.0  # seconds a phone's post may wait for the database before a 503


@contextlib.contextmanager
def writing(db: sqlite_utils.Database, wait: float | None = None) -> Iterator[None]:
    """One write transaction (BEGIN IMMEDIATE), committed at the end, rolled back on error.
    With `wait`: raise Busy instead of waiting longer than that in all for this process's
    writers and another process's (SQLite's busy timeout)."""
    start = time.monotonic()
    if not write_lock.acquire(timeout=-1 if wait is None else wait):
        raise Busy("the database is busy")
    try:
        if wait is not None:  # what is left of the wait, for another process's lock
            left = max(0.0, wait - (time.monotonic() - start))
            db.conn.execute(f"PRAGMA busy_timeout = {int(left * 1000)}")
        try:
            try:
                db.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if wait is not None and ("locked" in str(exc) or "busy" in str(exc)):
                    raise Busy("the database is busy") from exc
                raise
            try:
                yield
            except BaseException:
                db.conn.rollback()
                raise
            db.conn.commit()
        finally:
            if wait is not None:
                db.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    finally:
        write_lock.release()


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


def insert(
    db: sqlite_utils.Database, submission: Submission, wait: float | None = WRITE_WAIT
) -> Inserted:
    """Store a submission once. Same id and content again: EXISTS. Same id, other content:
    SubmissionConflict. Busy when the database stays locked for longer than `wait` seconds."""
    row = stored_row(submission)
    with writing(db, wait):
        cursor = db.conn.execute(INSERT_ROW, row)
        if cursor.rowcount == 1:
            db.conn.execute(INSERT_FACT, row)
            fold(db.conn, FOLD_POST)
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


LINE_COLUMNS = ("id", "instrument_version", "locale", *CONTEXT_KEYS, "answers", "workshop")


def lines_of(db: sqlite_utils.Database, workshop: str | None = None) -> Iterator[dict[str, object]]:
    """all_of's submissions as bundle lines (Submission.line_of_row: their scores not read)."""
    where, params = _workshop_filter(workshop)
    columns = (*LINE_COLUMNS, "created_on", "follows")
    cursor = db.execute(
        f"SELECT {', '.join(columns)} FROM submissions {where} ORDER BY created_on, id", params
    )
    for values in cursor:
        yield Submission.line_of_row(dict(zip(columns, values, strict=True)))


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
    wait: float | None = None,
) -> ImportReport:
    """Store workshop definitions and rows (`stored_row`), whole or not at all, without holding
    the database for longer than one chunk: a phone's post waits at most for one chunk.

    New ids are inserted, the same id and content counts as existing, other content as a
    conflict; a row naming a workshop neither stored nor defined raises UnknownWorkshop.

    Up to CHUNK rows (an answers file, a pushed batch): one short transaction. More (a bundle):
    an import in two phases, each written chunk by chunk in short transactions.

    1. Staging. The rows are checked (workshops, duplicates within the file) and written to
       `import_staging` under a new import id, listed in `imports` with the state 'staging'.
       Nothing of it is visible: no query but this module's reads the staging table. Any error
       (a bad line, an unknown workshop, a full disk, an interrupt) removes the staged rows and
       the import's entry, and the database is as it was.
    2. Publishing. One small update marks the import 'publishing' and merges its workshop
       definitions: from then on the import is committed. Its staged rows move to `submissions`
       and `facts` chunk by chunk, each chunk in one transaction with the removal of its staged
       rows, looked up against what is stored at that moment (a phone's post of the same id in
       between counts as existing, or a conflict, never doubled). Nothing in this phase depends
       on the file any more, so it cannot fail on input; if the process dies (power cut, kill),
       the next import on this database finishes it (`recover`). While it runs (a few seconds
       for 100,000 rows) a reader can see part of the file; a failed import never shows any.

    One import at a time per database: a second one while the first is staging or publishing
    raises ImportBusy (an import whose process is gone is cleaned up first, `recover`).
    `wait`: for one short transaction, raise Busy rather than wait longer (writing)."""
    workshops = list(workshops)
    rows = iter(rows)
    first = list(itertools.islice(rows, CHUNK + 1))
    recover(db)
    if len(first) <= CHUNK:
        report = ImportReport()
        with writing(db, wait):
            report.workshop_conflicts = merge_workshops(db, workshops)
            known = known_codes(db)
            _check_workshops(first, known)
            _store(db, first, {}, report)
        progress(len(first))
        return report
    return _staged_import(db, itertools.chain(first, rows), progress, workshops)


# A staged row keeps every value of `stored_row` in a column of its own (SQLite keeps each
# value's type): staging and publishing then write and read values, not JSON text.
STAGED_COLUMNS = tuple(dict.fromkeys((*ROW_COLUMNS, *FACT_COLUMNS, *PROTECTION_COLUMNS)))
_staged_values = operator.itemgetter(*STAGED_COLUMNS)
IMPORT_TABLES = (
    "CREATE TABLE IF NOT EXISTS imports (id TEXT PRIMARY KEY, state TEXT NOT NULL, "
    "host TEXT NOT NULL, pid INTEGER NOT NULL, beat_at REAL NOT NULL, workshops TEXT NOT NULL, "
    "published TEXT NOT NULL DEFAULT '')",
    "CREATE TABLE IF NOT EXISTS import_staging (import_id TEXT NOT NULL, seq INTEGER NOT NULL, "
    f"{', '.join(STAGED_COLUMNS)}, PRIMARY KEY (import_id, seq))",
)
STAGE_ROWS = (
    f"INSERT INTO import_staging (import_id, seq, {', '.join(STAGED_COLUMNS)}) "
    f"VALUES (?, ?, {', '.join('?' * len(STAGED_COLUMNS))})"
)
STALE_AFTER = 600.0  # seconds without a chunk written: the import's process is taken as gone


def _ensure_import_tables(db: sqlite_utils.Database) -> None:
    imports, columns = (
        [r[1] for r in db.conn.execute(f"PRAGMA table_info({table})")]
        for table in ("imports", "import_staging")
    )
    if "published" in imports and columns and "row" not in columns:
        return
    with writing(db):  # made, or brought up from the first staged imports (rows as JSON text)
        if imports and "published" not in imports:
            db.conn.execute("ALTER TABLE imports ADD COLUMN published TEXT NOT NULL DEFAULT ''")
        if "row" in columns:
            db.conn.execute("ALTER TABLE import_staging RENAME TO import_staging_json")
        for statement in IMPORT_TABLES:
            db.conn.execute(statement)
        if "row" in columns:
            values = ", ".join(f"json_extract(row, '$.{c}')" for c in STAGED_COLUMNS)
            db.conn.execute(
                f"INSERT INTO import_staging (import_id, seq, {', '.join(STAGED_COLUMNS)}) "
                f"SELECT import_id, seq, {values} FROM import_staging_json"
            )
            db.conn.execute("DROP TABLE import_staging_json")


def _alive(host: str, pid: int, beat_at: float) -> bool:
    if time.time() - beat_at > STALE_AFTER:
        return False
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(db: sqlite_utils.Database) -> None:
    """Finish the imports whose process is gone: one that was publishing is published to the
    end (it was committed), one that was staging is removed."""
    _ensure_import_tables(db)
    for import_id, state, host, pid, beat_at in db.conn.execute(
        "SELECT id, state, host, pid, beat_at FROM imports"
    ).fetchall():
        if _alive(host, pid, beat_at):
            continue
        if state == "publishing":
            _publish(db, import_id, ImportReport())
        else:
            _discard(db, import_id)


def _refuse_while_importing(db: sqlite_utils.Database) -> None:
    if db.conn.execute("SELECT 1 FROM imports").fetchone() is not None:
        raise ImportBusy(
            "another import is under way on this server; try again when it has finished"
        )


def _staged_import(
    db: sqlite_utils.Database,
    rows: Iterator[dict[str, object]],
    progress: Callable[[int], None],
    workshops: list[dict[str, str]],
) -> ImportReport:
    report = ImportReport()
    import_id = uuid.uuid4().hex
    with writing(db):
        _refuse_while_importing(db)
        db.conn.execute(
            "INSERT INTO imports (id, state, host, pid, beat_at, workshops) "
            "VALUES (?, 'staging', ?, ?, ?, ?)",
            [import_id, socket.gethostname(), os.getpid(), time.time(), json.dumps(workshops)],
        )
    seen: dict[str, str] = {}  # id: content hash of its first copy in the file
    try:
        with _import_writes(db):
            known = known_codes(db) | {str(w["code"]) for w in workshops}
            seq = 0
            for chunk in _chunks(rows, CHUNK):
                _check_workshops(chunk, known)
                # Stored rows are never changed or removed: a row already stored is counted
                # now (existing, or a conflict) and not staged.
                stored = _stored_hashes(db, [str(row["id"]) for row in chunk])
                staged = []
                for row in chunk:
                    submission_id, digest = str(row["id"]), str(row["content_hash"])
                    known_hash = seen.get(submission_id)
                    if known_hash is None:
                        seen[submission_id] = digest
                        known_hash = stored.get(submission_id)
                        if known_hash is None:
                            staged.append((import_id, seq, *_staged_values(row)))
                            seq += 1
                            continue
                    if known_hash == digest:
                        report.existing += 1
                    else:
                        report.conflicts.append(submission_id)
                with writing(db):
                    db.conn.executemany(STAGE_ROWS, staged)
                    db.conn.execute(
                        "UPDATE imports SET beat_at = ? WHERE id = ?", [time.time(), import_id]
                    )
                progress(len(chunk))
            with writing(db):  # the one small update that commits the import
                report.workshop_conflicts = merge_workshops(db, workshops)
                db.conn.execute(
                    "UPDATE imports SET state = 'publishing', beat_at = ? WHERE id = ?",
                    [time.time(), import_id],
                )
    except BaseException:
        _discard(db, import_id)
        raise
    _publish(db, import_id, report)
    return report


@contextlib.contextmanager
def _import_writes(db: sqlite_utils.Database, **settings: object) -> Iterator[None]:
    """Settings of this connection (only: the phones' posts keep theirs) for an import's chunks.
    They are committed without waiting for the disk: synchronous NORMAL, safe in WAL mode, where
    a power cut keeps the transactions up to some point, whole, so an import comes back staging
    (removed by the next) or publishing (finished by the next). The import's last transaction,
    under the connection's own setting, makes it durable before it returns. A cache that holds
    a chunk's pages (SQLite's 2 MB writes part of a chunk twice). `settings`: more PRAGMAs."""
    settings = {"synchronous": "NORMAL", "cache_size": -64 * 1024, **settings}
    before = {name: db.conn.execute(f"PRAGMA {name}").fetchone()[0] for name in settings}
    for name, value in settings.items():
        db.conn.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        for name, value in before.items():
            db.conn.execute(f"PRAGMA {name} = {value}")


def _discard(db: sqlite_utils.Database, import_id: str, published: bool = False) -> None:
    """Remove a staged import's rows (chunk by chunk), then its entry (the transaction that
    makes the import's end durable). Rows of a `published` import are copies of stored ones:
    removed without overwriting their pages with zeros first (secure_delete FAST)."""
    with _import_writes(db, secure_delete="FAST" if published else "ON"):
        while True:
            with writing(db):
                removed = db.conn.execute(
                    "DELETE FROM import_staging WHERE rowid IN (SELECT rowid FROM import_staging "
                    "WHERE import_id = ? LIMIT ?)",
                    [import_id, CHUNK * 4],
                ).rowcount
            if not removed:
                break
    with writing(db):
        db.conn.execute("DELETE FROM imports WHERE id = ?", [import_id])


def _publish(db: sqlite_utils.Database, import_id: str, report: ImportReport) -> None:
    """Move a committed import's staged rows to `submissions` and `facts`, chunk by chunk, in
    the order of their ids: so a chunk adds to a few pages of the indexes on the id (random
    UUIDs; in file order each chunk rewrote most of those pages). Each chunk's transaction
    records its last id, so an import finished by the next one goes on after it; the staged
    rows are removed at the end."""
    (after,) = db.conn.execute("SELECT published FROM imports WHERE id = ?", [import_id]).fetchone()
    seqs = [
        seq
        for (seq,) in db.conn.execute(
            "SELECT seq FROM import_staging WHERE import_id = ? AND id > ? ORDER BY id",
            [import_id, after],
        )
    ]
    with _import_writes(db):
        for start in range(0, len(seqs), CHUNK):
            chunk = seqs[start : start + CHUNK]
            with writing(db):
                staged = db.conn.execute(
                    f"SELECT {', '.join(STAGED_COLUMNS)} FROM import_staging "
                    f"WHERE import_id = ? AND seq IN ({', '.join('?' * len(chunk))}) ORDER BY id",
                    [import_id, *chunk],
                )
                rows = [dict(zip(STAGED_COLUMNS, r, strict=True)) for r in staged]
                _store(db, rows, {}, report)
                db.conn.execute(
                    "UPDATE imports SET published = ?, beat_at = ? WHERE id = ?",
                    [rows[-1]["id"], time.time(), import_id],
                )
    _discard(db, import_id, published=True)


def _chunks(rows: Iterator[dict[str, object]], size: int) -> Iterator[list[dict[str, object]]]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def _check_workshops(rows: list[dict[str, object]], known: set[str]) -> None:
    for row in rows:
        if row["workshop"] and row["workshop"] not in known:
            raise UnknownWorkshop(
                f"submission {row['id']}: unknown workshop code {row['workshop']!r}, "
                "neither stored here nor defined in what was sent"
            )


def _store(
    db: sqlite_utils.Database,
    rows: list[dict[str, object]],
    seen: dict[str, str],
    report: ImportReport,
) -> None:
    stored = _stored_hashes(db, [str(r["id"]) for r in rows])
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
    # into the staff figures' sums (db.py: fact_sums), in the same transaction, a few chunks at
    # once (the figures read the facts not yet summed from `facts`)
    fold(db.conn, at_least=FOLD_CHUNK)
    report.created += len(new)


def _stored_hashes(db: sqlite_utils.Database, ids: list[str]) -> dict[str, str]:
    """{id: content hash} of those of `ids` (at most CHUNK) that are stored."""
    marks = ", ".join("?" * len(ids))
    sql = f"SELECT id, content_hash FROM submissions WHERE id IN ({marks})"
    return dict(db.conn.execute(sql, ids).fetchall())
