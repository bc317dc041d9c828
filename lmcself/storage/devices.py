"""Devices in SQLite: the laptops allowed to push to this server (a hash of each token, never
the token), and on a laptop, which submissions each central server has confirmed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import UTC, date, datetime

import sqlite_utils


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signing_key(token: str) -> bytes:
    """The key a device signs its bundles and pushes with (HMAC-SHA256): the hash of its token,
    which is what this server keeps, so the server can check a signature without the token."""
    return hashlib.sha256(token.encode()).digest()


def signing_keys(db: sqlite_utils.Database) -> dict[str, bytes]:
    """Every registered device's signing key, by device name."""
    return {
        name: bytes.fromhex(h) for name, h in db.execute("SELECT name, token_hash FROM devices")
    }


def sign(key: bytes, body: bytes) -> str:
    """A pushed batch's signature: the HMAC-SHA256 of its exact body."""
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def signed_by(db: sqlite_utils.Database, body: bytes, signature: str | None) -> str | None:
    """The registered device whose key made `signature` over `body`, or None."""
    given = (signature or "").strip().lower()
    if not given:
        return None
    for name, key in signing_keys(db).items():
        if hmac.compare_digest(sign(key, body), given):
            return name
    return None


def exists(db: sqlite_utils.Database, name: str) -> bool:
    return db.execute("SELECT 1 FROM devices WHERE name = ?", [name]).fetchone() is not None


def add(db: sqlite_utils.Database, name: str) -> str:
    """Register a device; return its token (shown once, stored only as a hash)."""
    token = secrets.token_urlsafe(32)
    with db.conn:
        db.execute(
            "INSERT INTO devices (name, token_hash, created_on) VALUES (?, ?, ?)",
            [name, token_hash(token), date.today().isoformat()],
        )
    return token


def named_by(db: sqlite_utils.Database, authorization: str | None) -> str | None:
    """The device name for an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    row = db.execute(
        "SELECT name FROM devices WHERE token_hash = ?", [token_hash(token.strip())]
    ).fetchone()
    return row[0] if row else None


def confirmed(db: sqlite_utils.Database, target: str) -> set[str]:
    """The ids the central server at `target` has confirmed."""
    return {r[0] for r in db.execute("SELECT id FROM pushed WHERE target = ?", [target])}


def mark_confirmed(db: sqlite_utils.Database, target: str, ids: Iterable[str]) -> None:
    now = datetime.now(UTC).date().isoformat()
    with db.conn:
        db.conn.executemany(
            "INSERT OR REPLACE INTO pushed (id, target, pushed_on) VALUES (?, ?, ?)",
            [(i, target, now) for i in ids],
        )
