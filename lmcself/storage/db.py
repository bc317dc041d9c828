"""Storage: one SQLite file through sqlite-utils, WAL mode, migrations recorded in a table;
the connection of a request (`get_db`). The tables' own statements live beside this module:
submissions.py, workshops.py, devices.py, figures."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils
from flask import Flask, current_app, g

from lmcself.core.disclosure import KEY_RANGE
from lmcself.core.instrument import CONTEXT_KEYS, VERSIONS, instrument_for
from lmcself.core.locales import LOCALES, parse_locale
from lmcself.core.plan import reentry_code
from lmcself.core.submissions import content_hash

# One writer at a time within a process: threads queue here instead of in SQLite's busy handler,
# whose sleeps grow to 100 ms and make the slowest submissions wait far longer than needed.
write_lock = threading.Lock()
BUSY_TIMEOUT_MS = 5000  # how long a connection waits for another process's write lock


def connect(path: str) -> sqlite_utils.Database:
    if path != ":memory:" and not os.path.exists(path):
        # Created for its owner only: it holds password hashes. SQLite gives the -wal and -shm
        # files the same mode.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    db = sqlite_utils.Database(path)
    # Several server workers write to one file: wait for a lock instead of failing at once.
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
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
    db.table("submissions").create(
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
        not_null={
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
            "answers",
            "scores",
            "overall",
            "level",
            "created_on",
            "content_hash",
        },
    )
    db.table("submissions").create_index(["country", "sector"])
    db.table("submissions").create_index(["workshop"])


def _add_reentry(db: sqlite_utils.Database) -> None:
    """The re-entry code printed on a plan, made from the id (plan.reentry_code), indexed."""
    db.table("submissions").add_column("reentry", str)
    for (submission_id,) in db.execute("SELECT id FROM submissions").fetchall():
        db.execute(
            "UPDATE submissions SET reentry = ? WHERE id = ?",
            [reentry_code(submission_id), submission_id],
        )
    db.table("submissions").create_index(["reentry"])


def _add_push(db: sqlite_utils.Database) -> None:
    """Central collection: devices allowed to push here (a hash of each token, never the token),
    and on a laptop, which submissions each central server has confirmed."""
    db.table("devices").create(
        {"name": str, "token_hash": str, "created_on": str}, pk="name", not_null={"token_hash"}
    )
    db.table("devices").create_index(["token_hash"], unique=True)
    db.table("pushed").create({"id": str, "target": str, "pushed_on": str}, pk=("target", "id"))


def _add_staff(db: sqlite_utils.Database) -> None:
    """Staff accounts (a password hash only), failed sign-ins per name (to slow guessing), and
    workshops (the code that groups a room's submissions)."""
    db.table("users").create(
        {"name": str, "password_hash": str, "role": str, "created_on": str},
        pk="name",
        not_null={"password_hash", "role"},
    )
    db.table("login_failures").create({"name": str, "failures": int, "last_at": float}, pk="name")
    db.table("workshops").create(
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
        db.table("facts").create_index([column])


def _locale_codes(db: sqlite_utils.Database) -> None:
    """One locale vocabulary: rows stored as Babel identifiers (`zh_Hans`, from the form flow
    before 0.2) take the URL code (`zh`), and their content hash is made again to match, so a
    laptop that sends the same submission later is told it is already here."""
    marks = ", ".join("?" * len(LOCALES))
    cursor = db.execute(f"SELECT * FROM submissions WHERE locale NOT IN ({marks})", list(LOCALES))
    names = [c[0] for c in cursor.description]
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        row["locale"] = parse_locale(row["locale"]) or row["locale"]
        db.execute(
            "UPDATE submissions SET locale = ?, content_hash = ? WHERE id = ?",
            [row["locale"], content_hash(row), row["id"]],
        )


def _add_sign_in_security(db: sqlite_utils.Database) -> None:
    """Sessions that can be ended (a per-user epoch), and sign-in tries counted under a keyed
    hash of the name instead of the name typed (the old table kept what was typed: dropped)."""
    db.table("users").add_column("session_epoch", int, not_null_default=0)
    db["login_failures"].drop(ignore=True)
    db.table("login_attempts").create(
        {"key": str, "failures": int, "last_at": float}, pk="key", not_null={"failures", "last_at"}
    )
    db.table("login_attempts").create_index(["last_at"])


GAP_SLOTS = 8  # gap flags kept per submission in `facts` (the instrument has 6)
PROTECTION_COLUMNS = ("rkey", *(f"g{i}" for i in range(GAP_SLOTS)))


def gap_flags(record: dict) -> dict[str, int]:
    """g0..g7: 1 where the submission shows its version's gap of that place, else 0 (and 0
    for a questionnaire version this server does not know). The versions keep their gaps in the
    same places (tests/test_instrument_v2.py)."""
    flags = dict.fromkeys((f"g{i}" for i in range(GAP_SLOTS)), 0)
    if record["instrument_version"] not in VERSIONS:
        return flags
    instrument = instrument_for(record["instrument_version"])
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
    db.table("releases").create(
        {"scope": str, "n": int, "figures": str, "released_on": str},
        pk="scope",
        not_null={"n", "figures"},
    )


def _add_follows(db: sqlite_utils.Database) -> None:
    """A re-assessment keeps the re-entry code of the check it follows (core/progress.py): the
    one link between two checks of a business."""
    db.table("submissions").add_column("follows", str)
    db.table("submissions").create_index(["follows"])


# Pre-summed facts (`fact_sums`), so that the staff figures need not scan 100,000 facts: for
# each set of at most two filter columns (a, b; "" where fewer; SUM_SETS), the sums of the facts of each
# (version, av, bv, month, level): how many, their record keys, overall scores, each part's
# scores and how many have one (a part that does not apply has none), gap flags, and gap flags
# times record keys. The facts up to rowid `upto` (fact_sums_state) are in them; storage/figures
# adds the later ones from `facts` in the same query, so a figure is exact however far behind
# the sums are. `fold` moves later facts into them, with the facts written; triggers take a
# deleted or changed fact out of them (and count the change, for figures' memo).
SUM_COLUMNS = ("country", "sector", "size", "women_led", "region", "workshop")
SUM_SETS: tuple[tuple[str, str], ...] = (
    ("", ""),
    *((a, "") for a in SUM_COLUMNS),
    # not a workshop with another column: its facts are few and `facts` has an index of workshops
    *((a, b) for i, a in enumerate(SUM_COLUMNS[:-1]) for b in SUM_COLUMNS[i + 1 : -1]),
)
SUM_KEY = ("a", "b", "instrument_version", "av", "bv", "month", "level")
SUM_MEASURES = (
    "n",
    "rkey",
    "overall",
    *(f"s{i}" for i in range(FACT_SLOTS)),
    *(f"c{i}" for i in range(FACT_SLOTS)),
    *(f"g{i}" for i in range(GAP_SLOTS)),
    *(f"k{i}" for i in range(GAP_SLOTS)),
)
STORED_FACTS = "facts, fact_sum_sets sums"  # each fact stored, once per set
FOLD_CHUNK = 2000  # facts moved into fact_sums at once (more sum up into fewer rows of it)


def fact_measures(row: str, sign: str = "") -> list[str]:
    """One fact's SUM_MEASURES (`row`: NEW, OLD or facts), signed."""
    return [
        f"{sign}1",
        f"{sign}{row}.rkey",
        f"{sign}{row}.overall",
        *(f"{sign}coalesce({row}.s{i}, 0)" for i in range(FACT_SLOTS)),
        *(f"{sign}({row}.s{i} IS NOT NULL)" for i in range(FACT_SLOTS)),
        *(f"{sign}{row}.g{i}" for i in range(GAP_SLOTS)),
        *(f"{sign}{row}.g{i} * {row}.rkey" for i in range(GAP_SLOTS)),
    ]


def _sum_rows(row: str, sign: str, source: str = "fact_sum_sets sums") -> str:
    """A fact's rows of fact_sums, one per set, as a SELECT over `source` (the sets; with
    `facts` before them for the facts stored, rather than a trigger's NEW or OLD row)."""

    def pick(which: str) -> str:
        cases = " ".join(f"WHEN '{c}' THEN {row}.{c}" for c in SUM_COLUMNS)
        return f"CASE sums.{which} {cases} ELSE '' END"

    values = [
        "sums.a",
        "sums.b",
        f"{row}.instrument_version",
        pick("a"),
        pick("b"),
        f"{row}.month",
        f"{row}.level",
        *fact_measures(row, sign),
    ]
    named = ", ".join(f"{v} AS {n}" for v, n in zip(values, (*SUM_KEY, *SUM_MEASURES), strict=True))
    return f"SELECT {named} FROM {source}"


def _upsert(select: str) -> str:
    sums = ", ".join(f"sum({m})" for m in SUM_MEASURES)
    adds = ", ".join(f"{m} = {m} + excluded.{m}" for m in SUM_MEASURES)
    key = ", ".join(SUM_KEY)
    return (
        f"INSERT INTO fact_sums SELECT {key}, {sums} FROM ({select}) WHERE true GROUP BY {key} "
        f"ON CONFLICT ({key}) DO UPDATE SET {adds}"
    )


def fold(conn: sqlite3.Connection, limit: int = FOLD_CHUNK, at_least: int = 1) -> None:
    """Move up to `limit` of the facts not yet in fact_sums into them, in the caller's write
    transaction (storage/submissions.py: with the facts it writes), once there are `at_least`."""
    upto = conn.execute("SELECT upto FROM fact_sums_state").fetchone()[0]
    if at_least > 1:
        waiting = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM facts WHERE rowid > ? LIMIT ?)", [upto, at_least]
        ).fetchone()[0]
        if waiting < at_least:
            return
    last = conn.execute(
        "SELECT max(rowid) FROM (SELECT rowid FROM facts WHERE rowid > ? ORDER BY rowid LIMIT ?)",
        [upto, limit],
    ).fetchone()[0]
    if last is None:
        return
    facts = _sum_rows("facts", "", STORED_FACTS)
    conn.execute(_upsert(f"{facts} WHERE facts.rowid > ? AND facts.rowid <= ?"), [upto, last])
    conn.execute("UPDATE fact_sums_state SET upto = ?", [last])


def _add_fact_sums(db: sqlite_utils.Database) -> None:
    """fact_sums (above), its state, its triggers and the sums of the facts stored so far."""
    db.execute("CREATE TABLE fact_sum_sets (a TEXT NOT NULL, b TEXT NOT NULL)")
    db.conn.executemany("INSERT INTO fact_sum_sets (a, b) VALUES (?, ?)", SUM_SETS)
    keys = ", ".join(f"{c} TEXT NOT NULL" for c in SUM_KEY)
    measures = ", ".join(f"{m} INTEGER NOT NULL" for m in SUM_MEASURES)
    db.execute(
        f"CREATE TABLE fact_sums ({keys}, {measures}, PRIMARY KEY ({', '.join(SUM_KEY)})) "
        "WITHOUT ROWID"
    )
    db.execute("CREATE TABLE fact_sums_state (upto INTEGER NOT NULL, changes INTEGER NOT NULL)")
    upto = db.execute("SELECT coalesce(max(rowid), 0) FROM facts").fetchone()[0]
    db.execute("INSERT INTO fact_sums_state (upto, changes) VALUES (?, 0)", [upto])
    db.execute(_upsert(_sum_rows("facts", "", STORED_FACTS)))
    # A fact already summed that is deleted or changed: out of the sums (the new one in).
    folded = "(SELECT upto FROM fact_sums_state)"
    count = "UPDATE fact_sums_state SET changes = changes + 1;"
    db.execute(
        f"CREATE TRIGGER fact_sums_delete AFTER DELETE ON facts WHEN OLD.rowid <= {folded} "
        f"BEGIN {_upsert(_sum_rows('OLD', '-'))}; END"
    )
    db.execute(
        f"CREATE TRIGGER fact_sums_update AFTER UPDATE ON facts WHEN OLD.rowid <= {folded} "
        f"BEGIN {_upsert(_sum_rows('OLD', '-'))}; {_upsert(_sum_rows('NEW', ''))}; END"
    )
    for event in ("DELETE", "UPDATE"):
        db.execute(
            f"CREATE TRIGGER fact_changes_{event.lower()} AFTER {event} ON facts BEGIN {count} END"
        )


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("0001_submissions", _create_submissions),
    ("0002_reentry", _add_reentry),
    ("0003_push", _add_push),
    ("0004_staff", _add_staff),
    ("0005_facts", _add_facts),
    ("0006_locale_codes", _locale_codes),
    ("0007_sign_in_security", _add_sign_in_security),
    ("0008_protection", _add_protection),
    ("0009_follows", _add_follows),
    ("0010_fact_sums", _add_fact_sums),
]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; return their names."""
    db.enable_wal()
    db.table("_migrations").create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
    done = {row["name"] for row in db.table("_migrations").rows}
    applied = []
    for name, apply in MIGRATIONS:
        if name in done:
            continue
        with db.conn:
            apply(db)
            db.table("_migrations").insert(
                {"name": name, "applied_at": datetime.now(UTC).isoformat()}
            )
        applied.append(name)
    return applied


def init_db() -> list[str]:
    path = current_app.config["DATABASE"]
    db = connect(path)
    if path != ":memory:" and os.stat(path).st_mode & 0o077:
        os.chmod(path, 0o600)  # a database made before files were closed to others
    try:
        return migrate(db)
    finally:
        db.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
