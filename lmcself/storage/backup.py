"""Backups of the live database, and putting one back.

`backup` copies the database with SQLite's online backup API: one read transaction, so the copy
is the database as it was at one moment, while the server goes on taking submissions (WAL mode
lets writers go on). The copy is one self-contained file (no -wal beside it), readable by its
owner only (0600), and written under a temporary name first, so a cut run leaves no half file.

`restore` checks a backup (SQLite's integrity_check, the tables of an lmcself database, only
migrations this version knows), brings it up to date, then swaps it in with one rename; the
database it replaces stays beside it as `<database>.bak`. It refuses while `lmcself serve` runs
on that database (the server holds `<database>.serving` locked): stop the server first.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lmcself.storage.db import MIGRATIONS, connect, migrate

REQUIRED_TABLES = {"_migrations", "submissions"}


class BackupError(Exception):
    """A backup that cannot be made or put back; the message says why."""


def _private_file(path: Path) -> None:
    """An empty file only its owner may read, in place of whatever was there."""
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of source into target, one self-contained file."""
    _private_file(target)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.execute("PRAGMA busy_timeout = 5000")
        src.backup(dst)  # all pages in one step: one read transaction, one moment
        dst.execute("PRAGMA journal_mode = DELETE")  # no -wal beside the copy
    finally:
        dst.close()
        src.close()


def check(path: Path) -> int:
    """Raise BackupError unless path is a sound lmcself database; return its submissions."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = db.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                problems = "; ".join(r[0] for r in result[:3])
                raise BackupError(f"{path}: damaged ({problems})")
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not tables >= REQUIRED_TABLES:
                raise BackupError(f"{path}: not an lmcself database (no submissions table)")
            applied = {r[0] for r in db.execute("SELECT name FROM _migrations")}
            unknown = sorted(applied - {name for name, _ in MIGRATIONS})
            if unknown:
                raise BackupError(
                    f"{path}: made by a newer lmcself (migrations {', '.join(unknown)}); "
                    "update lmcself first"
                )
            return int(db.execute("SELECT count(*) FROM submissions").fetchone()[0])
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not an SQLite database ({exc})") from exc


def backup(database: Path, target: Path) -> int:
    """Copy the live database to target (0600); return the submissions in the copy."""
    if not database.is_file():
        raise BackupError(f"{database}: no database to back up")
    if target.resolve() == database.resolve():
        raise BackupError("the backup cannot be the database itself")
    part = target.with_name(target.name + ".part")
    try:
        _copy(database, part)
        count = check(part)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return count


@contextmanager
def serving(database: Path) -> Iterator[None]:
    """Held by `lmcself serve` while it runs: restore refuses while it is held."""
    lock = open(f"{database}.serving", "a")  # noqa: SIM115 (held for the server's life)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BackupError(f"another lmcself serve is running on {database}") from exc
        yield
    finally:
        lock.close()


def _refuse_while_served(database: Path) -> None:
    path = Path(f"{database}.serving")
    if not path.exists():
        return
    with path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BackupError(
                f"lmcself serve is running on {database}: stop it, then restore"
            ) from exc
        fcntl.flock(lock, fcntl.LOCK_UN)


def restore(source: Path, database: Path) -> int:
    """Put a checked backup in place of the database (the old one kept as .bak); return the
    submissions restored."""
    check(source)
    _refuse_while_served(database)
    part = database.with_name(database.name + ".restoring")
    try:
        _copy(source, part)
        db = connect(str(part))
        try:
            migrate(db)  # a backup from an older version gets the migrations it lacks
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
        count = check(part)
        if database.exists():
            # Everything written to the old database's WAL goes into it before it is set aside.
            old = sqlite3.connect(database)
            try:
                old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                old.close()
            bak = database.with_name(database.name + ".bak")
            bak.unlink(missing_ok=True)
            os.link(database, bak)
            os.chmod(bak, 0o600)
        os.replace(part, database)  # one rename: the old database or the new, never neither
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
    finally:
        for leftover in (part, Path(f"{part}-wal"), Path(f"{part}-shm")):
            leftover.unlink(missing_ok=True)
    return count
