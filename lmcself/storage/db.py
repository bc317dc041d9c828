"""Storage: one SQLite file through sqlite-utils, WAL mode, migrations recorded in a table.

A submission is stored under the UUID its device (or the server form flow) gave it. Inserting is
idempotent and the database enforces it: the primary key refuses a second row, and a retry is
told apart from a conflict by a hash of the content.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum

import sqlite_utils
from flask import Flask, current_app, g

from lmcself.core.disclosure import KEY_RANGE
from lmcself.core.instrument import CONTEXT_KEYS, default_instrument
from lmcself.core.plan import reentry_code

SUBMISSION_COLUMNS = (
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
)
# Columns that say what was answered; created_on is left out so a retry on another day still matches.
CONTENT_COLUMNS = tuple(c for c in SUBMISSION_COLUMNS if c not in ("id", "created_on"))


# One writer at a time within a process: threads queue here instead of in SQLite's busy handler,
# whose sleeps grow to 100 ms and make the slowest submissions wait far longer than needed.
write_lock = threading.Lock()


class Inserted(Enum):
    CREATED = "created"
    EXISTS = "exists"


class SubmissionConflict(Exception):
    """A submission with this id exists with different content."""


def connect(path: str) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path)
    # Several server workers write to one file: wait for a lock instead of failing at once.
    db.execute("PRAGMA busy_timeout = 5000")
    return db


def get_db() -> sqlite_utils.Database:
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def _create_submissions(db: sqlite_utils.Database) -> None:
    db["submissions"].create(
        {
            "id": str,
            "instrument_version": str,
            "locale": str,
            "country": str,
            "sector": str,
            "size": str,
            "years": str,
            "women_led": str,
            "region": str,
            "cross_border": str,
            "workshop": str,
            "answers": str,
            "scores": str,
            "overall": int,
            "level": str,
            "created_on": str,
            "content_hash": str,
        },
        pk="id",
        not_null=set(SUBMISSION_COLUMNS) - {"workshop"} | {"content_hash"},
    )
    db["submissions"].create_index(["country", "sector"])
    db["submissions"].create_index(["workshop"])


def _add_reentry(db: sqlite_utils.Database) -> None:
    """The re-entry code printed on a plan, made from the id (plan.reentry_code), indexed."""
    db["submissions"].add_column("reentry", str)
    for (submission_id,) in db.execute("SELECT id FROM submissions").fetchall():
        db.execute(
            "UPDATE submissions SET reentry = ? WHERE id = ?",
            [reentry_code(submission_id), submission_id],
        )
    db["submissions"].create_index(["reentry"])


def _add_push(db: sqlite_utils.Database) -> None:
    """Central collection: devices allowed to push here (a hash of each token, never the token),
    and on a laptop, which submissions each central server has confirmed."""
    db["devices"].create(
        {"name": str, "token_hash": str, "created_on": str}, pk="name", not_null={"token_hash"}
    )
    db["devices"].create_index(["token_hash"], unique=True)
    db["pushed"].create({"id": str, "target": str, "pushed_on": str}, pk=("target", "id"))


def _add_staff(db: sqlite_utils.Database) -> None:
    """Staff accounts (a password hash only), failed sign-ins per name (to slow guessing), and
    workshops (the code that groups a room's submissions)."""
    db["users"].create(
        {"name": str, "password_hash": str, "role": str, "created_on": str},
        pk="name",
        not_null={"password_hash", "role"},
    )
    db["login_failures"].create({"name": str, "failures": int, "last_at": float}, pk="name")
    db["workshops"].create(
        {"code": str, "name": str, "country": str, "held_on": str, "created_by": str},
        pk="code",
        not_null={"name", "country", "held_on"},
    )


FACT_SLOTS = 8  # dimension scores kept per submission in `facts` (the instrument has 6)
FACT_COLUMNS = (
    "id",
    "instrument_version",
    "country",
    "sector",
    "size",
    "women_led",
    "region",
    "workshop",
    "month",
    "overall",
    "level",
    *(f"s{i}" for i in range(FACT_SLOTS)),
)


def _add_facts(db: sqlite_utils.Database) -> None:
    """A narrow copy of each submission's groupings and scores for the staff dashboard: a full
    scan of 100,000 rows of `submissions` (answers and scores as JSON) takes about 0.5 s, of
    `facts` a few ms. insert_submission and bundle imports write a submission's fact with it,
    in the same transaction (a trigger's JSON parsing cost a fifth of an import's speed)."""
    columns = ", ".join(FACT_COLUMNS)
    values = ", ".join(
        [
            "NEW.id",
            "NEW.instrument_version",
            "NEW.country",
            "NEW.sector",
            "NEW.size",
            "NEW.women_led",
            "NEW.region",
            "coalesce(NEW.workshop, '')",
            "substr(NEW.created_on, 1, 7)",
            "NEW.overall",
            "NEW.level",
            *(f"json_extract(NEW.scores, '$.dimensions[{i}].score')" for i in range(FACT_SLOTS)),
        ]
    )
    db.execute(
        f"CREATE TABLE facts ({', '.join(c + (' TEXT PRIMARY KEY' if c == 'id' else '') for c in FACT_COLUMNS)})"
    )
    db.execute(
        f"INSERT INTO facts ({columns}) SELECT {values.replace('NEW.', '')} FROM submissions"
    )
    for column in ("country", "workshop", "month"):
        db["facts"].create_index([column])


GAP_SLOTS = 8  # gap flags kept per submission in `facts` (the instrument has 6)
PROTECTION_COLUMNS = ("rkey", *(f"g{i}" for i in range(GAP_SLOTS)))


def gap_flags(record: dict) -> dict[str, int]:
    """g0..g7: 1 where the submission shows the instrument's gap of that place, else 0 (and 0
    for a questionnaire version other than the shipped one)."""
    instrument = default_instrument()
    flags = dict.fromkeys((f"g{i}" for i in range(GAP_SLOTS)), 0)
    if record["instrument_version"] != instrument.version:
        return flags
    answers = record["answers"]
    values = {**(json.loads(answers) if isinstance(answers, str) else answers)}
    values.update({key: record[key] for key in CONTEXT_KEYS})
    for i, gap in enumerate(instrument.gaps[:GAP_SLOTS]):
        flags[f"g{i}"] = int(gap.applies(values))
    return flags


def record_key() -> int:
    """The cell key method's record key (core/disclosure.py): random, kept with the fact, never
    shown; no one, the sender of a submission included, can know it."""
    return secrets.randbelow(KEY_RANGE)


def _add_protection(db: sqlite_utils.Database) -> None:
    """Each fact gets its record key and its gap flags (so gap counts come from SQL), and the
    public figures' releases are kept (storage/figures.py: release)."""
    for column in PROTECTION_COLUMNS:
        db.execute(f"ALTER TABLE facts ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0")
    names = ("id", "instrument_version", "answers", *CONTEXT_KEYS)
    updates = []
    for row in db.execute(f"SELECT {', '.join(names)} FROM submissions").fetchall():
        record = dict(zip(names, row, strict=True))
        updates.append({"id": record["id"], "rkey": record_key(), **gap_flags(record)})
    sets = ", ".join(f"{c} = :{c}" for c in PROTECTION_COLUMNS)
    db.conn.executemany(f"UPDATE facts SET {sets} WHERE id = :id", updates)
    db["releases"].create(
        {"scope": str, "n": int, "figures": str, "released_on": str},
        pk="scope",
        not_null={"n", "figures"},
    )


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("0001_submissions", _create_submissions),
    ("0002_reentry", _add_reentry),
    ("0003_push", _add_push),
    ("0004_staff", _add_staff),
    ("0005_facts", _add_facts),
    ("0006_protection", _add_protection),
]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; return their names."""
    db.enable_wal()
    db["_migrations"].create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
    done = {row["name"] for row in db["_migrations"].rows}
    applied = []
    for name, apply in MIGRATIONS:
        if name in done:
            continue
        with db.conn:
            apply(db)
            db["_migrations"].insert({"name": name, "applied_at": datetime.now(UTC).isoformat()})
        applied.append(name)
    return applied


def content_hash(record: dict) -> str:
    canonical = json.dumps(
        [record.get(c) for c in CONTENT_COLUMNS], sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def submission_row(record: dict) -> dict:
    """A record as the row stored: answers and scores as JSON, its content hash, its re-entry code."""
    row = {c: record.get(c) for c in SUBMISSION_COLUMNS}
    for key in ("answers", "scores"):
        if not isinstance(row[key], str):
            row[key] = json.dumps(row[key], sort_keys=True, ensure_ascii=False)
    row["content_hash"] = content_hash(row)
    row["reentry"] = reentry_code(row["id"])
    # The fact's own values (INSERT_FACT); sqlite ignores the keys a statement does not name.
    row["month"] = row["created_on"][:7]
    scores = record["scores"] if isinstance(record["scores"], dict) else json.loads(row["scores"])
    dims = scores["dimensions"]
    for i in range(FACT_SLOTS):
        row[f"s{i}"] = dims[i]["score"] if i < len(dims) else None
    row["rkey"] = record_key()
    row.update(gap_flags(record))
    return row


ROW_COLUMNS = (*SUBMISSION_COLUMNS, "content_hash", "reentry")
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


def insert_submission(db: sqlite_utils.Database, record: dict) -> Inserted:
    """Store a submission once. Same id and content again: EXISTS. Same id, other content: conflict."""
    row = submission_row(record)
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
    raise SubmissionConflict(row["id"])


def get_submission(db: sqlite_utils.Database, submission_id: str) -> dict | None:
    row = db.execute(
        f"SELECT {', '.join(SUBMISSION_COLUMNS)} FROM submissions WHERE id = ?", [submission_id]
    ).fetchone()
    if row is None:
        return None
    record = dict(zip(SUBMISSION_COLUMNS, row, strict=True))
    record["answers"] = json.loads(record["answers"])
    record["scores"] = json.loads(record["scores"])
    return record


def find_by_reentry(db: sqlite_utils.Database, code: str) -> dict | None:
    row = db.execute("SELECT id FROM submissions WHERE reentry = ? LIMIT 1", [code]).fetchone()
    return get_submission(db, row[0]) if row else None


def init_db() -> list[str]:
    db = connect(current_app.config["DATABASE"])
    try:
        return migrate(db)
    finally:
        db.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
