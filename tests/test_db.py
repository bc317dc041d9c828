"""Storage: migrations safe to re-run, WAL, idempotent inserts enforced by the database."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from lmcself.core.submissions import build_record, new_id
from lmcself.storage.db import (
    Inserted,
    SubmissionConflict,
    connect,
    get_submission,
    insert_submission,
    migrate,
)

from .conftest import context_answers, top_answers


@pytest.fixture
def db(tmp_path):
    database = connect(str(tmp_path / "t.db"))
    migrate(database)
    yield database
    database.close()


@pytest.fixture
def record(instrument):
    return build_record(
        instrument, new_id(), "en", context_answers(instrument), top_answers(instrument)
    )


def test_migrations_are_recorded_and_safe_to_run_again(tmp_path):
    database = connect(str(tmp_path / "m.db"))
    names = [
        "0001_submissions",
        "0002_reentry",
        "0003_push",
        "0004_staff",
        "0005_facts",
        "0006_protection",
    ]
    assert migrate(database) == names
    assert migrate(database) == []
    assert [r["name"] for r in database["_migrations"].rows] == names
    assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_reentry_migration_fills_in_rows_stored_before_it(tmp_path, record, monkeypatch):
    import lmcself.storage.db as db_module
    from lmcself.core.plan import reentry_code

    database = connect(str(tmp_path / "old.db"))
    monkeypatch.setattr(db_module, "MIGRATIONS", db_module.MIGRATIONS[:1])
    migrate(database)
    row = {c: record[c] for c in db_module.SUBMISSION_COLUMNS}
    row.update(answers="{}", scores="{}", content_hash="x")
    database["submissions"].insert(row)
    monkeypatch.undo()
    assert migrate(database) == [
        "0002_reentry",
        "0003_push",
        "0004_staff",
        "0005_facts",
        "0006_protection",
    ]
    stored = database.execute("SELECT reentry FROM submissions").fetchone()[0]
    assert stored == reentry_code(record["id"])


def test_insert_is_idempotent_by_id(db, record):
    assert insert_submission(db, record) is Inserted.CREATED
    assert insert_submission(db, dict(record)) is Inserted.EXISTS
    # Sent again on another day: same content, still the same submission.
    assert insert_submission(db, {**record, "created_on": "2031-01-01"}) is Inserted.EXISTS
    assert db["submissions"].count == 1


def test_same_id_with_other_content_is_a_conflict(db, record, instrument):
    insert_submission(db, record)
    other = build_record(
        instrument, record["id"], "en", context_answers(instrument), top_answers(instrument, "low")
    )
    with pytest.raises(SubmissionConflict):
        insert_submission(db, other)
    assert get_submission(db, record["id"])["answers"] == record["answers"]


def test_the_database_itself_refuses_a_second_row(db, record):
    insert_submission(db, record)
    with pytest.raises(sqlite3.IntegrityError):
        db["submissions"].insert({**record, "content_hash": "x"})


def test_concurrent_inserts_of_one_id_make_one_row(tmp_path, record):
    path = str(tmp_path / "c.db")
    migrate(connect(path))
    outcomes = []

    def send():
        database = connect(path)
        outcomes.append(insert_submission(database, record))
        database.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.value for o in outcomes) == ["created"] + ["exists"] * 7
    assert connect(path)["submissions"].count == 1


def test_a_row_holds_no_personal_data_columns(db):
    columns = {c.name for c in db["submissions"].columns}
    for personal in ("name", "phone", "email", "ip", "user_agent", "business_name", "created_at"):
        assert personal not in columns
    assert {"id", "instrument_version", "locale", "workshop", "created_on"} <= columns
