"""Staff accounts: trainers and program staff, made with `lmcself add-user`.

Passwords are kept only as scrypt hashes (werkzeug). After three failed sign-ins a name must
wait before the next try, twice as long after each further failure (up to 15 minutes), whether
or not the name exists, so guessing is slow and no one learns which names are real.
"""

from __future__ import annotations

import functools
import time
from datetime import date

import sqlite_utils
from flask import abort, g, redirect, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from lmcself.storage.db import get_db

ROLES = ("trainer", "staff")
MIN_PASSWORD = 10
FREE_TRIES = 3
MAX_WAIT = 15 * 60
# Checked when a name is unknown, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


def add_user(db: sqlite_utils.Database, name: str, password: str, role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password has at least {MIN_PASSWORD} characters")
    db["users"].insert(
        {
            "name": name,
            "password_hash": generate_password_hash(password),  # scrypt
            "role": role,
            "created_on": date.today().isoformat(),
        }
    )


def wait_seconds(db: sqlite_utils.Database, name: str, now: float | None = None) -> int:
    """Seconds before this name may try again (0: now)."""
    row = db.execute(
        "SELECT failures, last_at FROM login_failures WHERE name = ?", [name.lower()]
    ).fetchone()
    if row is None or row[0] < FREE_TRIES:
        return 0
    wait = min(2 ** (row[0] - FREE_TRIES) * 5, MAX_WAIT)
    return max(0, int(row[1] + wait - (now or time.time()) + 0.999))


def check_login(db: sqlite_utils.Database, name: str, password: str) -> dict | None:
    """The user for a right name and password, else None (and the failure is counted)."""
    row = db.execute(
        "SELECT name, password_hash, role FROM users WHERE name = ?", [name]
    ).fetchone()
    if row and check_password_hash(row[1], password):
        with db.conn:
            db.execute("DELETE FROM login_failures WHERE name = ?", [name.lower()])
        return {"name": row[0], "role": row[2]}
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
    with db.conn:
        db.execute(
            "INSERT INTO login_failures (name, failures, last_at) VALUES (?, 1, ?) "
            "ON CONFLICT(name) DO UPDATE SET failures = failures + 1, last_at = excluded.last_at",
            [name.lower(), time.time()],
        )
    return None


def current_user() -> dict | None:
    if "user" not in g:
        name = session.get("user")
        row = (
            get_db().execute("SELECT name, role FROM users WHERE name = ?", [name]).fetchone()
            if name
            else None
        )
        g.user = {"name": row[0], "role": row[1]} if row else None
    return g.user


def login_required(view):
    """Staff pages: a signed-in trainer or staff member, else the sign-in page."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_user() is None:
            return redirect(url_for("staff.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped


def staff_required(view):
    """Program staff's pages (dashboard, report, exports): a signed-in staff member; a trainer
    is told the page is not for trainers (403), a signed-out visitor goes to the sign-in page."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_user()["role"] != "staff":
            abort(403)
        return view(*args, **kwargs)

    return login_required(wrapped)
