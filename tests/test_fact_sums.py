"""The staff figures' pre-summed facts (storage/db.py: fact_sums): every figure read through
them is the same, bit for bit, as the scan of `facts` gives (exact sums, and what the privacy
rules make of them), in many filters, whether the latest facts are summed yet or not; and every
way of writing facts keeps them right: one post, a small and a staged import, the same file
again, an import killed midway, facts deleted or changed."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import date
from itertools import combinations
from pathlib import Path

import pytest

from lmcself.central.bundle import import_rows
from lmcself.core.instrument import default_instrument
from lmcself.staff.report import Period, situation_report
from lmcself.storage import figures
from lmcself.storage import submissions as stored
from lmcself.storage.db import (
    FACT_SLOTS,
    FOLD_CHUNK,
    GAP_SLOTS,
    SUM_KEY,
    SUM_MEASURES,
    SUM_SETS,
    connect,
    migrate,
)

from .conftest import random_records, submission_of
from .test_import_concurrency import BIG, CRASH, import_rows_of

INSTRUMENT = default_instrument()
K = 5


def records(n: int, seed: int) -> list[dict]:
    """Random records over several workshops and four months."""
    rnd = random.Random(seed)
    out = []
    for i, start in enumerate((date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1))):
        for record in random_records(INSTRUMENT, n // 3, seed=seed * 10 + i, start=start, days=45):
            out.append({**record, "workshop": rnd.choice(["WS-1", "WS-2", "WS-3", None])})
    return out


def database(path: Path, rows: list[dict]):
    db = connect(str(path))
    migrate(db)
    for code in ("WS-1", "WS-2", "WS-3"):
        db["workshops"].insert(
            {"code": code, "name": code, "country": "VN", "held_on": "2026-08-01"}
        )
    for record in rows:
        stored.insert(db, submission_of(record))
    return db


def expected_sums(db, upto: int) -> dict[tuple, tuple]:
    """fact_sums as it should be, computed here in Python from every fact summed (to `upto`)."""
    names = [c[0] for c in db.execute("SELECT * FROM facts LIMIT 0").description]
    out: dict[tuple, list[int]] = {}
    for values in db.execute("SELECT * FROM facts WHERE rowid <= ?", [upto]).fetchall():
        fact = dict(zip(names, values, strict=True))
        scores = [fact[f"s{i}"] for i in range(FACT_SLOTS)]
        gaps = [fact[f"g{i}"] for i in range(GAP_SLOTS)]
        measures = [
            1,
            fact["rkey"],
            fact["overall"],
            *(s or 0 for s in scores),
            *(int(s is not None) for s in scores),
            *gaps,
            *(g * fact["rkey"] for g in gaps),
        ]
        for a, b in SUM_SETS:
            key = (
                a,
                b,
                fact["instrument_version"],
                fact[a] if a else "",
                fact[b] if b else "",
                fact["month"],
                fact["level"],
            )
            sums = out.setdefault(key, [0] * len(SUM_MEASURES))
            for i, value in enumerate(measures):
                sums[i] += value
    return {key: tuple(sums) for key, sums in out.items()}


def assert_sums_right(db, behind: int = 0) -> None:
    """The sums those of the facts summed (a group emptied by deletions: all 0), and at most
    `behind` facts not summed yet; the figures the scan's either way."""
    upto, last = db.execute(
        "SELECT upto, (SELECT coalesce(max(rowid), 0) FROM facts) FROM fact_sums_state"
    ).fetchone()
    assert 0 <= last - upto <= behind
    for by in [[], ["country"], ["workshop"], ["sector", "month"]]:
        figures._MEMO.clear()
        assert figures._grouped(db, INSTRUMENT, by, {}, "", "", True) == scanned(
            db, INSTRUMENT, by, {}, "", "", True
        )
    width = len(SUM_KEY)
    found = {
        tuple(row[:width]): tuple(row[width:])
        for row in db.execute(f"SELECT {', '.join((*SUM_KEY, *SUM_MEASURES))} FROM fact_sums")
    }
    empty = tuple([0] * len(SUM_MEASURES))
    assert {k: v for k, v in found.items() if v != empty} == expected_sums(db, upto)


def scanned(db, instrument, by, filters, since, until, keys):
    """The figures' sums as they were made before fact_sums: one scan of `facts`."""
    where, params = figures._where(instrument, filters or {}, since, until)
    return figures._scan(db, instrument, by, where, params, keys)


def filter_cases(rows: list[dict]) -> list[dict[str, str]]:
    rnd = random.Random(3)
    out: list[dict[str, str]] = [{}]
    for size in (1, 2, 3):
        for columns in combinations(figures.FILTERS, size):
            record = rnd.choice(rows)
            out.append({c: record[c] or "" for c in columns})
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_the_sums_give_the_scan_s_figures_bit_for_bit(tmp_path, monkeypatch, seed):
    rows = records(240, seed)
    # the last 30 facts not summed yet: the figures read them from `facts`
    db = database(tmp_path / "f.db", rows[:-30])
    monkeypatch.setattr(stored, "fold", lambda *args, **kwargs: None)
    for record in rows[-30:]:
        stored.insert(db, submission_of(record))
    monkeypatch.undo()
    assert db.execute("SELECT upto FROM fact_sums_state").fetchone()[0] == len(rows) - 30
    for filters in filter_cases(rows):
        for by in [[], *([g] for g in figures.GROUPS), ["country", figures.STEPS["quarter"]]]:
            for since, until in (("", ""), ("2026-09", "2026-10"), ("2026-10", "")):
                for keys in (True, False):
                    figures._MEMO.clear()
                    new = figures._grouped(db, INSTRUMENT, by, filters, since, until, keys)
                    old = scanned(db, INSTRUMENT, by, filters, since, until, keys)
                    assert new == old, (by, filters, since, until, keys)
    # what is shown of them, exact and protected, the same too
    released = released_figures(db, rows)
    figures._MEMO.clear()
    figures._SERIES.clear()
    monkeypatch.setattr(
        figures,
        "_grouped",
        lambda db, instrument, by, filters, since, until, keys: scanned(
            db, instrument, by, filters, since, until, keys
        ),
    )
    assert released_figures(db, rows) == released


def released_figures(db, rows: list[dict]) -> list:
    out: list = []
    for filters in filter_cases(rows)[:12]:
        for protect in (True, False):
            for by in figures.GROUPS:
                out.append(figures.dashboard(db, INSTRUMENT, by, K, filters, protect=protect))
                out.append(
                    figures.series(
                        db, INSTRUMENT, by, K, filters, "2026-08", "", "quarter", protect
                    )
                )
            out.append(figures.group_figures(db, INSTRUMENT, K, filters, protect))
        out.append(figures.gives_away(db, INSTRUMENT, K, filters, "2026-09", "2026-10"))
    for country in (None, rows[0]["country"]):
        out.append(situation_report(db, INSTRUMENT, Period("2026-09", "2026-10"), K, country))
    return out


def test_posts_and_imports_keep_the_sums_right(tmp_path):
    rows = records(60, 4)
    db = database(tmp_path / "f.db", rows[:20])  # posts, one by one
    assert_sums_right(db)
    small = [stored.stored_row(submission_of(r)) for r in rows[20:]]
    report = stored.store_many(db, small)  # an answers file: one transaction
    assert report.created == 40
    assert_sums_right(db, behind=40)  # summed with a later write
    again = stored.store_many(db, small)  # the same file again: nothing added twice
    assert (again.created, again.existing) == (0, 40)
    assert_sums_right(db, behind=40)
    big = import_rows_of(INSTRUMENT, BIG, seed=5)  # a bundle: staged, chunk by chunk
    assert import_rows(db, iter(big)).created == BIG
    assert_sums_right(db, behind=FOLD_CHUNK)  # the last few summed by the next write
    assert import_rows(db, iter(big)).existing == BIG
    assert_sums_right(db, behind=FOLD_CHUNK)
    stored.insert(db, submission_of(records(3, 9)[0]))  # a post sums a few more
    upto = db.execute("SELECT upto FROM fact_sums_state").fetchone()[0]
    assert_sums_right(db, behind=max(0, 60 + BIG + 1 - upto))
    assert upto > 60 + BIG - FOLD_CHUNK
    assert figures.cells(db, INSTRUMENT, None)[""].n == 60 + BIG + 1


@pytest.mark.parametrize("phase", ["staging", "publishing"])
def test_an_import_killed_midway_leaves_the_sums_right(tmp_path, phase):
    path = tmp_path / "f.db"
    database(path, records(12, 6)).close()
    root = str(Path(__file__).resolve().parent.parent)
    code = CRASH.format(root=root, n=BIG, phase=phase, db=str(path))
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 9
    db = connect(str(path))
    assert_sums_right(db, behind=FOLD_CHUNK)  # what was published of it
    import_rows(db, iter(import_rows_of(INSTRUMENT, 3, seed=2)))  # finishes or removes it
    assert_sums_right(db, behind=FOLD_CHUNK)
    n = 12 + 3 + (BIG if phase == "publishing" else 0)
    assert figures.cells(db, INSTRUMENT, None)[""].n == n


def test_deleted_or_changed_facts_leave_the_sums(tmp_path):
    rows = records(90, 7)
    db = database(tmp_path / "f.db", rows)
    country = rows[0]["country"]
    before = figures.dashboard(db, INSTRUMENT, "sector", K, {"country": country})
    gone = [r["id"] for r in rows if r["country"] == country][:4]
    with db.conn:
        db.conn.executemany("DELETE FROM facts WHERE id = ?", [[i] for i in gone])
        db.conn.execute("UPDATE facts SET overall = 0, s0 = NULL WHERE id = ?", [rows[-1]["id"]])
    assert_sums_right(db)
    # the figures follow at once (their memo sees the change), as the scan gives them
    after = figures.dashboard(db, INSTRUMENT, "sector", K, {"country": country})
    assert after != before
    assert figures.cells(db, INSTRUMENT, "country")[country].n == sum(
        r["country"] == country for r in rows
    ) - len(gone)
    for by in figures.GROUPS:
        figures._MEMO.clear()
        assert figures.cells(db, INSTRUMENT, by, {"country": country}) == {
            (key[0] if key else ""): cell
            for key, cell in scanned(
                db, INSTRUMENT, [by], {"country": country}, "", "", True
            ).items()
        }


def test_a_database_from_before_gets_its_facts_summed(tmp_path, monkeypatch):
    from lmcself.storage import db as db_module

    monkeypatch.setattr(db_module, "MIGRATIONS", db_module.MIGRATIONS[:-1])
    monkeypatch.setattr(stored, "fold", lambda *args, **kwargs: None)  # stored before it
    old = database(tmp_path / "f.db", records(30, 8))
    assert not old.execute("SELECT 1 FROM sqlite_master WHERE name = 'fact_sums'").fetchone()
    monkeypatch.undo()
    assert migrate(old) == ["0010_fact_sums"]
    assert_sums_right(old)
