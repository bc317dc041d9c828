"""The staff dashboard: right figures from the `facts` table, nothing under k (a property over
random data sets), filters and periods."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lmcself.core.instrument import CONTEXT_KEYS, default_instrument
from lmcself.storage.db import connect, get_db, migrate
from lmcself.storage.figures import GROUPS, dashboard, gives_away
from lmcself.storage.submissions import INSERT_ROW, insert, stored_row

from .conftest import (
    DEVICE_TOKEN,
    csrf_token,
    memory_database,
    random_records,
    sign_in,
    store,
    submission_of,
)

INSTRUMENT = default_instrument()
POOL = random_records(INSTRUMENT, 200, seed=51) + random_records(
    INSTRUMENT, 60, seed=52, workshop="VTE-1"
)


def test_facts_mirror_every_stored_submission_and_the_backfill(tmp_path, monkeypatch):
    import lmcself.storage.db as db_module

    old = connect(str(tmp_path / "old.db"))
    monkeypatch.setattr(db_module, "MIGRATIONS", db_module.MIGRATIONS[:4])
    migrate(old)
    with old.conn:  # rows as the code before the facts table stored them
        before_follows = INSERT_ROW.replace(", follows", "").replace(", :follows", "")
        for record in POOL[:5]:
            old.conn.execute(before_follows, stored_row(submission_of(record)))
    monkeypatch.undo()
    # rows stored before the table are copied in, with a record key and their gap flags
    assert migrate(old) == [
        "0005_facts",
        "0006_locale_codes",
        "0007_sign_in_security",
        "0008_protection",
        "0009_follows",
        "0010_fact_sums",
    ]
    for record in POOL[5:10]:
        insert(old, submission_of(record))  # and new ones with their submission
    for record in POOL[:10]:
        fact = old.execute(
            "SELECT country, workshop, month, overall, s0, s5 FROM facts WHERE id = ?",
            [record["id"]],
        ).fetchone()
        dims = record["scores"]["dimensions"]
        assert fact == (
            record["country"],
            record["workshop"] or "",
            record["created_on"][:7],
            record["overall"],
            dims[0]["score"],
            dims[5]["score"],
        )
        flags = old.execute(
            f"SELECT {', '.join(f'g{i}' for i in range(len(INSTRUMENT.gaps)))} FROM facts "
            "WHERE id = ?",
            [record["id"]],
        ).fetchone()
        values = {**{k: record[k] for k in CONTEXT_KEYS}, **record["answers"]}
        assert flags == tuple(int(g.applies(values)) for g in INSTRUMENT.gaps)
    keys = [r[0] for r in old.execute("SELECT rkey FROM facts")]
    assert all(0 <= key < 256 for key in keys) and len(set(keys)) > 1


def test_the_figures_are_right_with_k_1():
    db = memory_database(POOL[:40])
    figures = dashboard(db, INSTRUMENT, "country", 1)
    assert figures.total == 40
    assert figures.overall == round(sum(r["overall"] for r in POOL[:40]) / 40, 1)
    for group in figures.groups:
        members = [r for r in POOL[:40] if r["country"] == group.value]
        assert group.n == len(members)
        first = INSTRUMENT.dimensions[0].key
        expected = sum(r["scores"]["dimensions"][0]["score"] for r in members) / len(members)
        assert group.dimensions[first] == round(expected, 1)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(range(len(POOL))), max_size=60, unique=True),
    st.sampled_from(GROUPS),
    st.integers(2, 8),
)
def test_nothing_under_k_is_shown(picks, by, k):
    records = [POOL[i] for i in picks]
    figures = dashboard(memory_database(records), INSTRUMENT, by, k)
    if len(records) < k:
        assert figures.total is None and figures.groups == []
        return
    assert figures.total == len(records)
    assert all(g.n >= k for g in figures.groups)
    hidden = len(records) - sum(g.n for g in figures.groups)
    assert hidden == 0 or hidden >= k
    levels = [n for n in figures.levels.values() if n is not None]
    assert all(n == 0 or n >= k for n in levels)
    assert len(records) - sum(levels) in (0,) or len(records) - sum(levels) >= k


def test_filters_and_periods():
    db = memory_database(POOL)
    kh = [r for r in POOL if r["country"] == "KH"]
    assert dashboard(db, INSTRUMENT, "sector", 1, {"country": "KH"}).total == len(kh)
    november = [r for r in POOL if r["created_on"][:7] == "2026-11"]
    assert dashboard(db, INSTRUMENT, "month", 1, since="2026-11", until="2026-11").total == len(
        november
    )
    assert dashboard(db, INSTRUMENT, "workshop", 1, {"workshop": "VTE-1"}).total == 60


def test_the_dashboard_page(app, client, trainer, staff_member):
    with app.app_context():
        for record in POOL[:30]:
            insert(get_db(), submission_of(record))
    sign_in(client)
    refused = client.get("/en/staff/dashboard")
    assert refused.status_code == 403 and "This page is for program staff" in refused.text
    client.post("/en/staff/logout", data={"csrf_token": csrf_token(client.get("/en/staff/").text)})
    sign_in(client, staff_member)
    page = client.get("/en/staff/dashboard?by=sector&country=KH")
    assert page.status_code == 200 and "<svg" in page.text
    odd = client.get("/en/staff/dashboard?by=nonsense&country=XX&since=never")
    assert odd.status_code == 200  # unknown choices are ignored, not an error


def facts_match(app) -> int:
    with app.app_context():
        db = get_db()
        ids = {r[0] for r in db.execute("SELECT id FROM submissions")}
        facts = db.execute("SELECT id, overall, country FROM facts").fetchall()
        stored = {
            r[0]: (r[1], r[2]) for r in db.execute("SELECT id, overall, country FROM submissions")
        }
    assert {f[0] for f in facts} == ids and len(facts) == len(ids)
    assert all(stored[f[0]] == (f[1], f[2]) for f in facts)
    return len(ids)


def test_every_way_in_writes_the_fact_once(app, client, central, instrument, tmp_path):
    from lmcself.commands import main

    from .conftest import context_answers, top_answers

    body = {
        "id": "0b9a3b5e-4a7e-4b1e-9a77-6a0b2f3c4d5e",
        "instrument_version": instrument.version,
        "locale": "en",
        "context": context_answers(instrument),
        "answers": top_answers(instrument),
    }
    assert client.post("/api/v1/submissions", json=body).status_code == 201
    assert client.post("/api/v1/submissions", json=body).status_code == 200  # no second fact
    store(app, POOL[:20])
    assert facts_match(app) == 21
    runner = app.test_cli_runner()
    bundle = tmp_path / "b.lmcself"
    assert (
        runner.invoke(main, ["export-bundle", str(bundle), "--token", DEVICE_TOKEN]).exit_code == 0
    )
    for _ in range(2):  # importing twice writes no second fact
        assert central.test_cli_runner().invoke(main, ["import", str(bundle)]).exit_code == 0
    assert facts_match(central) == 21


def test_a_view_that_would_give_away_a_small_group_by_difference_is_withheld(
    app, client, staff_member
):
    kh = [r for r in POOL if r["country"] == "KH"][:20]
    la = [r for r in POOL if r["country"] == "LA"][:3]
    db = memory_database(kh + la)
    assert not gives_away(db, INSTRUMENT, 5)
    # All (23) beside Cambodia (20) would give away Laos (3), its sums too.
    assert gives_away(db, INSTRUMENT, 5, {"country": "KH"})
    assert not gives_away(db, INSTRUMENT, 3, {"country": "KH"})
    months = sorted({r["created_on"][:7] for r in kh + la})
    assert not gives_away(db, INSTRUMENT, 5, since=months[0], until=months[-1])
    store(app, kh + la)
    sign_in(client, staff_member)
    page = client.get("/en/staff/dashboard?country=KH")
    assert "This selection is not shown" in page.text and "<svg" not in page.text
    assert "This selection is not shown" not in client.get("/en/staff/dashboard").text
    report = client.get("/en/staff/report?country=KH&since=2026-11&until=2026-11")
    assert "This selection is not shown" in report.text
