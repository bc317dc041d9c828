"""A big import shares the database: phones' posts go in between its chunks (or get 503 with
Retry-After, never a 500), and the file is still imported whole or not at all, idempotently."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from lmcself import create_app
from lmcself.central.bundle import BundleError, import_rows
from lmcself.storage import submissions as stored
from lmcself.storage.db import connect, get_db, init_db

from .conftest import context_answers, make_submission, top_answers

BIG = 3 * stored.CHUNK + 123  # more than one chunk: the staged way


@pytest.fixture
def server(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "central.db"),
            "SECRET_KEY": "t",
            "SUBMIT_BURST": 100_000,  # the posts below all come from one test client
        }
    )
    with app.app_context():
        init_db()
    return app


def import_rows_of(instrument, n: int, seed: int = 1) -> list[dict[str, object]]:
    context, answers = context_answers(instrument), top_answers(instrument)
    return [
        stored.stored_row(
            make_submission(
                instrument, str(uuid.UUID(int=seed << 64 | i, version=4)), "en", context, answers
            )
        )
        for i in range(n)
    ]


def payload(instrument) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "instrument_version": instrument.version,
        "locale": "km",
        "context": context_answers(instrument),
        "answers": top_answers(instrument),
    }


def post_until_stored(client, body: dict) -> list[int]:
    """Post as the phone's outbox does: again after a 503 (or 429), until stored."""
    statuses = []
    while True:
        response = client.post("/api/v1/submissions", json=body)
        statuses.append(response.status_code)
        if response.status_code == 503:
            assert response.headers["Retry-After"].isdigit()
        if response.status_code not in (503, 429):
            return statuses


def counts(db) -> tuple[int, int, int]:
    return (
        db.execute("SELECT count(*) FROM submissions").fetchone()[0],
        db.execute("SELECT count(DISTINCT id) FROM submissions").fetchone()[0],
        db.execute("SELECT count(*) FROM facts").fetchone()[0],
    )


def test_posts_go_in_while_a_big_import_runs(server, instrument):
    """Threads post through the API while the import runs: they start after its second chunk,
    and the import does not go on until 20 of their posts are stored (with one transaction for the whole import, as before,
    they waited for it, got "database is locked" and a 500). Nothing lost, nothing doubled, and
    nothing of the file visible before it is all checked."""
    rows = import_rows_of(instrument, BIG)
    bodies = [payload(instrument) for _ in range(60)]
    stored_posts = threading.Semaphore(0)
    importing = threading.Event()
    statuses: list[int] = []
    seen_while_staging: list[int] = []
    done_chunks = []

    def poster(mine: list[dict]) -> None:
        client = server.test_client()
        importing.wait(timeout=120)
        for body in mine:
            got = post_until_stored(client, body)
            statuses.extend(got)
            stored_posts.release()

    def progress(n: int) -> None:
        done_chunks.append(n)
        with server.app_context():
            seen_while_staging.append(counts(get_db())[0])
        if len(done_chunks) == 2:
            importing.set()  # the posts start now, in the middle of the import
            for _ in range(20):
                assert stored_posts.acquire(timeout=60), "the posts wait for the import"

    threads = [threading.Thread(target=poster, args=(bodies[i::3],)) for i in range(3)]
    for thread in threads:
        thread.start()
    with server.app_context():
        db = connect(server.config["DATABASE"])
        report = import_rows(db, iter(rows), progress)
    for thread in threads:
        thread.join()
    assert report.created == BIG and not report.conflicts
    assert set(statuses) <= {201, 503}, statuses
    assert statuses.count(201) == len(bodies)
    with server.app_context():
        assert counts(get_db()) == (BIG + 60, BIG + 60, BIG + 60)
        # While staging, none of the file's rows were visible: only the posts came in.
        assert all(n <= 60 for n in seen_while_staging)
        again = import_rows(connect(server.config["DATABASE"]), iter(rows))
        assert (again.created, again.existing) == (0, BIG)
        assert counts(get_db()) == (BIG + 60, BIG + 60, BIG + 60)
        for body in bodies:  # each post again: already there, not doubled
            assert server.test_client().post("/api/v1/submissions", json=body).status_code == 200


def test_a_failed_big_import_leaves_nothing(server, instrument):
    rows = import_rows_of(instrument, BIG)
    bad = {**rows[BIG - 5], "workshop": "NOWHERE-1"}  # in the last chunk
    with server.app_context():
        db = get_db()
        with pytest.raises(BundleError, match="unknown workshop code 'NOWHERE-1'"):
            import_rows(db, iter([*rows[: BIG - 5], bad, *rows[BIG - 4 :]]))
        assert counts(db) == (0, 0, 0)
        assert db.execute("SELECT count(*) FROM import_staging").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM imports").fetchone()[0] == 0

        def interrupted():
            yield from rows[:1800]
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            import_rows(db, interrupted())
        assert counts(db) == (0, 0, 0)
        assert db.execute("SELECT count(*) FROM import_staging").fetchone()[0] == 0
        report = import_rows(db, iter(rows))  # and the whole file then goes in
        assert report.created == BIG and counts(db) == (BIG, BIG, BIG)


def test_duplicates_within_a_big_file_are_counted_once(server, instrument):
    rows = import_rows_of(instrument, BIG)
    other = {**rows[3], "content_hash": "other"}
    with server.app_context():
        report = import_rows(get_db(), iter([*rows, rows[0], other]))
        assert (report.created, report.existing, report.conflicts) == (BIG, 1, [rows[3]["id"]])
        assert counts(get_db()) == (BIG, BIG, BIG)


CRASH = """
import os, sys, uuid
sys.path.insert(0, {root!r})
from lmcself.storage import submissions as stored
from lmcself.storage.db import connect
from tests.test_import_concurrency import import_rows_of
from lmcself.core.instrument import default_instrument
rows = import_rows_of(default_instrument(), {n})
phase = {phase!r}
calls = []
real_store = stored._store
def store(*args):
    real_store(*args)
    calls.append(1)
    if phase == "publishing" and len(calls) == 2:
        os._exit(9)  # killed inside the second chunk's transaction: one chunk published
stored._store = store
def progress(n):
    if phase == "staging" and n and len(calls) == 0:
        progress.chunks = getattr(progress, "chunks", 0) + 1
        if progress.chunks == 2:
            os._exit(9)  # killed mid-staging
stored.store_many(connect({db!r}), iter(rows), progress)
"""


@pytest.mark.parametrize("phase", ["staging", "publishing"])
def test_an_import_killed_midway_is_finished_or_removed_by_the_next(server, phase):
    """Killed while staging: nothing shows, and the next import removes what was staged.
    Killed while publishing (after the one update that commits it): the next import finishes
    publishing, so the file ends up whole."""
    path = server.config["DATABASE"]
    root = str(Path(__file__).resolve().parent.parent)
    code = CRASH.format(root=root, n=BIG, phase=phase, db=path)
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 9
    db = connect(path)
    assert db.execute("SELECT count(*) FROM imports").fetchone()[0] == 1
    visible = counts(db)[0]
    assert visible == (0 if phase == "staging" else stored.CHUNK)
    with server.app_context():
        instrument = server.extensions["instrument"]
        import_rows(db, iter(import_rows_of(instrument, 3, seed=2)))  # any next import
    assert db.execute("SELECT count(*) FROM imports").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM import_staging").fetchone()[0] == 0
    assert counts(db) == ((3, 3, 3) if phase == "staging" else (BIG + 3, BIG + 3, BIG + 3))


def test_a_post_that_would_wait_too_long_gets_503_and_nothing_is_stored(server, instrument):
    """Another process holds the database's write lock: the post waits at most WRITE_WAIT, then
    503 with Retry-After; sent again once the lock is free, it is stored once. A pushed batch
    likewise."""
    server.config["WRITE_WAIT"] = 0.1
    other = connect(server.config["DATABASE"])
    other.conn.execute("BEGIN IMMEDIATE")
    body = payload(instrument)
    client = server.test_client()
    busy = client.post("/api/v1/submissions", json=body)
    assert busy.status_code == 503 and busy.headers["Retry-After"].isdigit()
    assert "busy" in busy.get_json()["error"]
    other.conn.rollback()
    assert client.post("/api/v1/submissions", json=body).status_code == 201
    with server.app_context():
        assert counts(get_db()) == (1, 1, 1)


def test_a_second_big_import_at_once_is_refused_with_a_message(server, instrument):
    rows = import_rows_of(instrument, BIG)
    with server.app_context():
        db = get_db()
        stored.recover(db)  # makes the tables
        with db.conn:
            db.execute(
                "INSERT INTO imports (id, state, host, pid, beat_at, workshops) "
                "VALUES ('x', 'staging', ?, ?, strftime('%s'), '[]')",
                [__import__("socket").gethostname(), __import__("os").getpid()],
            )
        with pytest.raises(BundleError, match="another import is under way"):
            import_rows(db, iter(rows))
        assert counts(db) == (0, 0, 0)


@pytest.mark.parametrize("lang", ["en", "km", "lo", "my", "th", "vi", "zh"])
def test_the_form_answers_503_in_its_language_and_keeps_the_answers(app, instrument, lang):
    """The no-JavaScript flow's last page while the database stays locked: a 503 page in the
    page's language with Retry-After; sent again, the assessment is stored once."""
    import html

    from flask_babel import force_locale, gettext

    from lmcself.core.locales import LOCALES

    from .conftest import Walker

    walker = Walker(app.test_client(), instrument, lang)
    walker.start()
    walker.post(f"/{lang}/about-you", context_answers(instrument))
    answers = top_answers(instrument)
    *before, (path, questions) = walker.pages()  # 2.0: the last page is the unscored one
    for page_path, page_questions in before:
        assert walker.answer(page_path, page_questions, answers).status_code == 302
    last = (path, walker.page_data(questions, answers))
    other = connect(app.config["DATABASE"])
    other.conn.execute("BEGIN IMMEDIATE")
    busy = walker.post(*last)
    other.conn.rollback()
    assert busy.status_code == 503 and busy.headers["Retry-After"].isdigit()
    with app.test_request_context(f"/{lang}/"), force_locale(LOCALES[lang]):
        kept = gettext("Your answers are kept. Please try again in a moment.")
    assert kept in html.unescape(busy.text)
    with app.app_context():
        assert counts(get_db()) == (0, 0, 0)
    stored_now = walker.post(*last)
    assert stored_now.status_code == 302 and "/result/" in stored_now.headers["Location"]
    with app.app_context():
        assert counts(get_db()) == (1, 1, 1)
