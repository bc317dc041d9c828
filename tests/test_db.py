"""Storage: migrations safe to re-run, WAL, idempotent inserts enforced by the database."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from datetime import date

import pytest

from lmcself.core.submissions import new_id
from lmcself.storage.db import connect, migrate
from lmcself.storage.submissions import Inserted, SubmissionConflict, get, insert, stored_row

from .conftest import context_answers, make_submission, top_answers

MIGRATIONS = [
    "0001_submissions",
    "0002_reentry",
    "0003_push",
    "0004_staff",
    "0005_facts",
    "0006_locale_codes",
    "0007_sign_in_security",
    "0008_protection",
    "0009_follows",
    "0010_fact_sums",
]


@pytest.fixture
def db(tmp_path):
    database = connect(str(tmp_path / "t.db"))
    migrate(database)
    yield database
    database.close()


@pytest.fixture
def record(instrument):
    return make_submission(
        instrument, new_id(), "en", context_answers(instrument), top_answers(instrument)
    )


def test_migrations_are_recorded_and_safe_to_run_again(tmp_path):
    database = connect(str(tmp_path / "m.db"))
    names = MIGRATIONS
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
    row = {k: v for k, v in record.to_row().items() if k != "reentry"}
    database["submissions"].insert(row)
    monkeypatch.undo()
    assert migrate(database) == MIGRATIONS[1:]
    stored = database.execute("SELECT reentry FROM submissions").fetchone()[0]
    assert stored == reentry_code(record.id)


@pytest.mark.parametrize("old", ["zh_Hans", "zh-Hans", "ZH_HANS"])
def test_rows_stored_with_another_spelling_of_a_locale_take_the_url_code(tmp_path, old, instrument):
    """Before 0.2 the form flow stored Babel's `zh_Hans`: the migration makes it `zh`, and the
    content hash with it, so the same submission sent again later is a repeat, not a conflict."""
    import lmcself.storage.db as db_module

    database = connect(str(tmp_path / "old.db"))
    db_module_migrations = db_module.MIGRATIONS
    db_module.MIGRATIONS = db_module_migrations[:5]
    try:
        migrate(database)
    finally:
        db_module.MIGRATIONS = db_module_migrations
    sub = make_submission(
        instrument, new_id(), "zh", context_answers(instrument), top_answers(instrument)
    )
    row = stored_row(sub)
    row["locale"] = old
    from lmcself.core.submissions import content_hash

    row["content_hash"] = content_hash(row)
    database.conn.execute(
        f"INSERT INTO submissions ({', '.join(sub.to_row())}) "
        f"VALUES ({', '.join(':' + c for c in sub.to_row())})",
        row,
    )
    assert migrate(database) == MIGRATIONS[5:]
    assert get(database, sub.id).locale == "zh"
    assert insert(database, sub) is Inserted.EXISTS


def test_insert_is_idempotent_by_id(db, record):
    assert insert(db, record) is Inserted.CREATED
    assert insert(db, dataclasses.replace(record)) is Inserted.EXISTS
    # Sent again on another day: same content, still the same submission.
    later = dataclasses.replace(record, created_on=date(2031, 1, 1))
    assert insert(db, later) is Inserted.EXISTS
    assert db["submissions"].count == 1


def test_same_id_with_other_content_is_a_conflict(db, record, instrument):
    insert(db, record)
    other = make_submission(
        instrument, record.id, "en", context_answers(instrument), top_answers(instrument, "low")
    )
    with pytest.raises(SubmissionConflict):
        insert(db, other)
    assert get(db, record.id).answers == record.answers


def test_the_database_itself_refuses_a_second_row(db, record):
    insert(db, record)
    with pytest.raises(sqlite3.IntegrityError):
        db["submissions"].insert({**record.to_row(), "content_hash": "x"})


def test_concurrent_inserts_of_one_id_make_one_row(tmp_path, record):
    path = str(tmp_path / "c.db")
    migrate(connect(path))
    outcomes = []

    def send():
        database = connect(path)
        outcomes.append(insert(database, record))
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
