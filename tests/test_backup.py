"""Backups of a live database while submissions arrive, and restoring one with nothing lost."""

from __future__ import annotations

import sqlite3
import stat
import threading
import time
import uuid
from pathlib import Path

import pytest

from lmcself.storage.backup import BackupError, backup, check, restore, serving

from .conftest import context_answers, top_answers


def ids_in(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT id FROM submissions")}


def test_a_backup_while_submissions_arrive_holds_every_confirmed_one(app, instrument, tmp_path):
    app.config.update(SUBMIT_BURST=10**6)  # four posting threads as fast as they go, one client
    database = Path(app.config["DATABASE"])
    confirmed: list[tuple[float, str]] = []
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[int] = []

    def post() -> None:
        client = app.test_client()
        while not stop.is_set():
            body = {
                "id": str(uuid.uuid4()),
                "instrument_version": instrument.version,
                "locale": "en",
                "context": context_answers(instrument),
                "answers": top_answers(instrument),
            }
            response = client.post("/api/v1/submissions", json=body)
            if response.status_code != 201:
                errors.append(response.status_code)
            with lock:
                confirmed.append((time.monotonic(), body["id"]))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    started = time.monotonic()
    count = backup(database, tmp_path / "copy.db")
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    before = {i for at, i in confirmed if at < started}
    after = {i for _, i in confirmed}
    copy = ids_in(tmp_path / "copy.db")
    assert before and before <= copy and copy <= after and len(copy) == count
    assert len(after) > len(copy)  # submissions went on arriving during and after the copy
    assert stat.S_IMODE((tmp_path / "copy.db").stat().st_mode) == 0o600
    assert not list(tmp_path.glob("copy.db?*"))  # one self-contained file, no part left

    restored = restore(tmp_path / "copy.db", database)
    assert restored == len(copy) and ids_in(database) == copy
    assert ids_in(Path(f"{database}.bak")) == after  # the replaced one is kept
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    response = app.test_client().get(f"/en/result/{sorted(copy)[0]}")
    assert response.status_code == 200


def test_restore_refuses_a_broken_or_foreign_file_and_changes_nothing(app, tmp_path, runner):
    database = Path(app.config["DATABASE"])
    before = database.read_bytes()
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x01" * 4000)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE notes (x)")
    newer = tmp_path / "newer.db"
    backup(database, newer)
    with sqlite3.connect(newer) as db:
        db.execute("INSERT INTO _migrations VALUES ('9999_future', 'x')")
    for source, why in (
        (broken, "not an SQLite database"),
        (foreign, "not an lmcself database"),
        (newer, "newer lmcself"),
        (tmp_path / "missing.db", "no such file"),
    ):
        with pytest.raises(BackupError, match=why):
            check(source)
        result = runner.invoke(args=["restore", str(source), "--yes"])
        assert result.exit_code == 1 and why in result.output and "nothing changed" in result.output
    assert database.read_bytes() == before and not Path(f"{database}.bak").exists()


def test_restore_refuses_while_the_server_runs(app, tmp_path):
    database = Path(app.config["DATABASE"])
    backup(database, tmp_path / "copy.db")
    with serving(database):
        with pytest.raises(BackupError, match="stop it"):
            restore(tmp_path / "copy.db", database)
        with pytest.raises(BackupError, match="another lmcself serve"), serving(database):
            pass
    assert restore(tmp_path / "copy.db", database) == 0


def test_backup_and_restore_commands(app, runner, tmp_path):
    out = tmp_path / "nightly.db"
    result = runner.invoke(args=["backup", str(out)])
    assert result.exit_code == 0 and "0 submissions" in result.output, result.output
    assert runner.invoke(args=["restore", str(out)], input="n\n").exit_code == 1  # asked first
    result = runner.invoke(args=["restore", str(out), "--yes"])
    assert result.exit_code == 0 and ".bak" in result.output, result.output
