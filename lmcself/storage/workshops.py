"""Workshop definitions (code, name, country, date) as they travel with submissions.

A submission names its workshop by code. A code this server does not know is refused (by the
API, a push or an import) rather than stored as a group nobody can name, so a bundle or a push
carries the definitions of the workshops its submissions name. A definition stored here already
with other details is a conflict: reported, never overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

import sqlite_utils

from lmcself.core.instrument import Instrument
from lmcself.core.submissions import normalize_workshop
from lmcself.core.text import clean_line

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
EARLIEST, LATEST = 2000, 2999
FIELDS = ("code", "name", "country", "held_on")
NAME_MAX = 80  # the staff page's form (forms.WorkshopForm) allows the same


class WorkshopError(ValueError):
    """A workshop definition that cannot be stored; the message says which and why."""


def known_codes(db: sqlite_utils.Database) -> set[str]:
    return {row[0] for row in db.execute("SELECT code FROM workshops")}


def is_known(db: sqlite_utils.Database, code: str) -> bool:
    return db.execute("SELECT 1 FROM workshops WHERE code = ?", [code]).fetchone() is not None


def definitions(db: sqlite_utils.Database, codes: Iterable[str]) -> list[dict]:
    """The stored definitions of these codes (those this database knows), by code."""
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return []
    marks = ", ".join("?" * len(wanted))
    rows = db.execute(
        f"SELECT {', '.join(FIELDS)} FROM workshops WHERE code IN ({marks}) ORDER BY code", wanted
    )
    return [dict(zip(FIELDS, row, strict=True)) for row in rows]


def listing(db: sqlite_utils.Database, created_by: str | None = None) -> list[tuple]:
    """(code, name, country, held_on, submissions) of every workshop, or of one trainer's,
    newest first."""
    where, params = (
        ("WHERE w.created_by = ? ", [created_by]) if created_by is not None else ("", [])
    )
    return db.execute(
        "SELECT w.code, w.name, w.country, w.held_on, count(s.id) FROM workshops w "
        f"LEFT JOIN submissions s ON s.workshop = w.code {where}"
        "GROUP BY w.code ORDER BY w.held_on DESC, w.code",
        params,
    ).fetchall()


def created_by(db: sqlite_utils.Database, code: str) -> str | None:
    """Who made this workshop on this server (None for one that came in a bundle or a push)."""
    row = db.execute("SELECT created_by FROM workshops WHERE code = ?", [code]).fetchone()
    return row[0] if row else None


def checked_definition(item: object, where: str, instrument: Instrument) -> dict:
    """A definition from a bundle or a push, checked as the staff page's form checks one."""
    if not isinstance(item, dict) or set(item) != set(FIELDS):
        raise WorkshopError(f"{where}: a workshop needs exactly {', '.join(FIELDS)}")
    code, name, country, held_on = (item[f] for f in FIELDS)
    if not isinstance(code, str) or normalize_workshop(code) != code:
        raise WorkshopError(f"{where}: not a valid workshop code {code!r}")
    # Cleaned as the form cleans a typed name (control and bidi characters, Zawgyi, spaces).
    name = clean_line(name) if isinstance(name, str) else ""
    if not name or len(name) > NAME_MAX:
        raise WorkshopError(f"{where}: a name of 1 to {NAME_MAX} characters is needed")
    if instrument.context_question("country").option(country) is None:
        raise WorkshopError(f"{where}: unknown country {country!r}")
    # The form's date field takes YYYY-MM-DD only (fromisoformat alone would take 2026-W01-1).
    if not (isinstance(held_on, str) and DAY.fullmatch(held_on)):
        raise WorkshopError(f"{where}: held_on is not a date")
    try:
        day = date.fromisoformat(held_on)
    except ValueError as exc:
        raise WorkshopError(f"{where}: held_on is not a date") from exc
    if not EARLIEST <= day.year <= LATEST:
        raise WorkshopError(f"{where}: held_on {held_on} is not a workshop's year")
    return {"code": code, "name": name, "country": country, "held_on": held_on}


def create(
    db: sqlite_utils.Database, code: str, name: str, country: str, held_on: date, by: str
) -> None:
    """A workshop made on the staff page by a signed-in trainer or staff member."""
    with db.conn:
        db.execute(
            "INSERT INTO workshops (code, name, country, held_on, created_by) "
            "VALUES (?, ?, ?, ?, ?)",
            [code, name, country, held_on.isoformat(), by],
        )


def merge(db: sqlite_utils.Database, incoming: Iterable[dict]) -> list[str]:
    """Store the definitions this database lacks (in the caller's transaction); return the
    codes stored here already with other details (left as they are)."""
    conflicts = []
    for item in incoming:
        row = db.execute(
            f"SELECT {', '.join(FIELDS)} FROM workshops WHERE code = ?", [item["code"]]
        ).fetchone()
        if row is None:
            db.execute(
                f"INSERT INTO workshops ({', '.join(FIELDS)}) VALUES (?, ?, ?, ?)",
                [item[f] for f in FIELDS],
            )
        elif dict(zip(FIELDS, row, strict=True)) != item:
            conflicts.append(item["code"])
    return conflicts
