"""Staff accounts: trainers and program staff, made with `lmcself add-user`.

Passwords: at least 12 characters, not only spaces, not one of the common passwords shipped in
`common-passwords.txt.gz`; kept only as argon2id hashes (argon2-cffi's recommended parameters).
Older hashes (werkzeug's scrypt) keep working and are replaced by argon2id at the next sign-in.

Sign-in throttling (the rule the README states):
- every try is counted, in one transaction, before the password is checked, and given back when
  the sign-in succeeds, so parallel tries cannot slip through between a check and a count;
- per name (whether or not it exists, so no one learns which names are real): 3 tries, then a
  wait of 5 s doubling with each further failure, at most 5 minutes; 15 minutes without a failed
  try start the count afresh;
- overall, for every name together (one password tried across many names): 20 tries, then a
  wait of 1 s doubling, at most 1 minute;
- a browser that has signed in to an account before carries a device cookie for that name; its
  tries are counted on their own (same rule as a name) and not held up by the name's or the
  overall count, so an attacker hammering a name cannot keep its trainer out;
- only a keyed hash of the lower-cased name is kept, never what was typed, and rows are deleted
  once their 15 minutes have passed.

Sessions: a signed-in session carries the user's session epoch; signing out, a new password and
`lmcself end-sessions` raise it, which ends every session of that user at once. A staff session
lasts STAFF_SESSION_HOURS (default 8) from the sign-in.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ParamSpec, TypeVar

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app, g, redirect, request, session, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.security import check_password_hash

from lmcself.storage.db import get_db, write_lock

ROLES = ("trainer", "staff")
MIN_PASSWORD = 12
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")
WINDOW = 15 * 60  # seconds without a failure after which a count starts afresh


@dataclass(frozen=True)
class Limit:
    """free tries, then a wait of `first` seconds doubling with each failure, at most `most`."""

    free: int
    first: float
    most: float

    def wait(self, failures: int) -> float:
        if failures < self.free:
            return 0
        return min(self.first * 2 ** (failures - self.free), self.most)


PER_NAME = Limit(free=3, first=5, most=5 * 60)
OVERALL = Limit(free=20, first=1, most=60)
DEVICE_COOKIE = "lmcself_device"
DEVICE_DAYS = 180

hasher = PasswordHasher()  # argon2id, RFC 9106's low-memory profile
# Checked when a name is unknown, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = hasher.hash("not a password of anyone")

P = ParamSpec("P")
R = TypeVar("R")


class PasswordRejected(ValueError):
    """A password that may not be used; the message says why."""


@functools.cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as f:
        return frozenset(line.strip().lower() for line in f if line.strip())


def check_password_rules(password: str) -> None:
    """Raise PasswordRejected for a password too short, blank or too common."""
    if not password.strip():
        raise PasswordRejected("a password cannot be blank")
    if len(password) < MIN_PASSWORD:
        raise PasswordRejected(f"a password has at least {MIN_PASSWORD} characters")
    squeezed = password.strip().lower()
    if squeezed in common_passwords() or squeezed.replace(" ", "") in common_passwords():
        raise PasswordRejected("this password is on a list of common passwords; choose another")


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(stored: str, password: str) -> tuple[bool, bool]:
    """(right password, stored hash should be replaced)."""
    if stored.startswith("$argon2"):
        try:
            hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False, False
        return True, hasher.check_needs_rehash(stored)
    # werkzeug's scrypt or pbkdf2 from before argon2id: still valid, replaced on success.
    return check_password_hash(stored, password), True


def add_user(db: sqlite_utils.Database, name: str, password: str, role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if not name.strip():
        raise ValueError("a user name cannot be blank")
    check_password_rules(password)
    with write_lock, db.conn:
        db.table("users").insert(
            {
                "name": name,
                "password_hash": hash_password(password),
                "role": role,
                "created_on": date.today().isoformat(),
                "session_epoch": 0,
            }
        )


def set_password(db: sqlite_utils.Database, name: str, password: str) -> None:
    """A new password for an existing user; every session of that user ends."""
    check_password_rules(password)
    with write_lock, db.conn:
        cursor = db.conn.execute(
            "UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE name = ?",
            [hash_password(password), name],
        )
        if cursor.rowcount != 1:
            raise LookupError(f"no user named {name!r}")
        db.conn.execute("DELETE FROM login_attempts WHERE key = ?", [name_key(name)])


def end_sessions(db: sqlite_utils.Database, name: str) -> None:
    """End every session of this user (sign-out everywhere)."""
    with write_lock, db.conn:
        cursor = db.conn.execute(
            "UPDATE users SET session_epoch = session_epoch + 1 WHERE name = ?", [name]
        )
    if cursor.rowcount != 1:
        raise LookupError(f"no user named {name!r}")


def _keyed(value: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def name_key(name: str) -> str:
    """What the throttle keeps of a typed name: a keyed hash of it, lower-cased."""
    return "n:" + _keyed("name:" + name.strip().lower())


OVERALL_KEY = "*"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="lmcself-device")


def device_key(name: str) -> str | None:
    """The throttle key of this browser's device cookie when it was issued for this name."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("n") != name_key(name):
        return None
    return "d:" + _keyed("device:" + str(data.get("d")))


def new_device_cookie(name: str) -> str:
    return str(_serializer().dumps({"n": name_key(name), "d": secrets.token_urlsafe(16)}))


def begin_attempt(db: sqlite_utils.Database, keys: dict[str, Limit], now: float) -> int:
    """Count one try against every key, in one write transaction, before any password is
    checked; or count nothing and return the seconds to wait when a key is held up."""
    with write_lock:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            db.conn.execute("DELETE FROM login_attempts WHERE last_at < ?", [now - WINDOW])
            counts = {}
            for key, limit in keys.items():
                row = db.conn.execute(
                    "SELECT failures, last_at FROM login_attempts WHERE key = ?", [key]
                ).fetchone()
                failures, last_at = row if row else (0, now)
                wait = last_at + limit.wait(failures) - now
                if wait > 0:
                    db.conn.commit()
                    return int(wait + 0.999)
                counts[key] = failures
            for key in keys:
                db.conn.execute(
                    "INSERT INTO login_attempts (key, failures, last_at) VALUES (?, 1, ?) "
                    "ON CONFLICT(key) DO UPDATE SET failures = failures + 1, last_at = excluded.last_at",
                    [key, now],
                )
            db.conn.commit()
        except BaseException:
            db.conn.rollback()
            raise
    return 0


def release_attempt(db: sqlite_utils.Database, keys: list[str], device: bool) -> None:
    """A successful sign-in gives back its own try and only that: someone guessing at the same
    name in the meantime keeps every wrong try counted (a reset would hand them a fresh
    allowance at each sign-in). A device's count is the owner's browser's alone: cleared."""
    with write_lock, db.conn:
        for key in keys:
            if device:
                db.conn.execute("DELETE FROM login_attempts WHERE key = ?", [key])
            else:
                db.conn.execute(
                    "UPDATE login_attempts SET failures = max(failures - 1, 0) WHERE key = ?",
                    [key],
                )


@dataclass(frozen=True)
class Attempt:
    user: dict | None  # the user signed in, or None
    wait: int  # seconds to wait before trying again (then user is None)
    device_cookie: str | None = None  # a new device cookie to set on success


def sign_in(
    db: sqlite_utils.Database, name: str, password: str, now: float | None = None
) -> Attempt:
    """One sign-in try, throttled as the module says; the password is checked only when the try
    was counted first."""
    now = time.time() if now is None else now
    device = device_key(name)
    keys = {device: PER_NAME} if device else {name_key(name): PER_NAME, OVERALL_KEY: OVERALL}
    wait = begin_attempt(db, keys, now)
    if wait:
        return Attempt(None, wait)
    user = check_login(db, name, password)
    if user is None:
        return Attempt(None, 0)
    release_attempt(db, list(keys), device=device is not None)
    return Attempt(user, 0, None if device else new_device_cookie(name))


def check_login(db: sqlite_utils.Database, name: str, password: str) -> dict | None:
    """The user for a right name and password, else None. Not throttled: call sign_in."""
    row = db.execute(
        "SELECT name, password_hash, role, session_epoch FROM users WHERE name = ?", [name]
    ).fetchone()
    if row is None:
        verify_password(_DUMMY_HASH, password)
        return None
    right, outdated = verify_password(row[1], password)
    if not right:
        return None
    if outdated:
        with write_lock, db.conn:
            db.conn.execute(
                "UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?",
                [hash_password(password), row[0], row[1]],
            )
    return {"name": row[0], "role": row[2], "epoch": row[3]}


def start_session(user: dict) -> None:
    session.clear()  # a new session for the signed-in user
    session["user"] = user["name"]
    session["epoch"] = user["epoch"]
    session["since"] = int(time.time())


def signed_in() -> dict:
    """The user of a view behind login_required (who is always there)."""
    user = current_user()
    if user is None:
        raise LookupError("signed_in() outside a view that needs a signed-in user")
    return user


def current_user() -> dict | None:
    """The signed-in user: the session's epoch must be the user's, and not too old."""
    if "user" not in g:
        g.user = None
        name = session.get("user")
        row = (
            get_db()
            .execute("SELECT name, role, session_epoch FROM users WHERE name = ?", [name])
            .fetchone()
            if isinstance(name, str)
            else None
        )
        hours = current_app.config.get("STAFF_SESSION_HOURS", 8)
        since = session.get("since")
        if (
            row
            and session.get("epoch") == row[2]
            and isinstance(since, int)
            and 0 <= time.time() - since < hours * 3600
        ):
            g.user = {"name": row[0], "role": row[1]}
    return g.user


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Staff pages: a signed-in trainer or staff member, else the sign-in page."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if current_user() is None:
            return redirect(url_for("staff.login", next=request.full_path))  # type: ignore[return-value]
        return view(*args, **kwargs)

    return wrapped


def staff_required(view: Callable[P, R]) -> Callable[P, R]:
    """Program staff's pages (dashboard, report, exports): a signed-in staff member; a trainer
    is told the page is not for trainers (403), a signed-out visitor goes to the sign-in page."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        user = current_user()
        if user is None or user["role"] != "staff":
            abort(403)
        return view(*args, **kwargs)

    return login_required(wrapped)
