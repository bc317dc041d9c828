"""Exports: no quasi-identifier combination under k (a property over random data sets), no id or
date that could single an owner out, CSV that Excel reads as UTF-8, a codebook for every column."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from lmcself.commands import main
from lmcself.core.instrument import default_instrument
from lmcself.staff.export import (
    ANY,
    NOT_ASKED,
    QUASI_IDENTIFIERS,
    aggregate_rows,
    anonymized_records,
    codebook,
    record_columns,
    to_csv,
)

from .conftest import memory_database, random_records, sign_in, store

INSTRUMENT = default_instrument()
POOL = random_records(INSTRUMENT, 400, seed=21) + random_records(
    INSTRUMENT, 100, seed=22, workshop=None
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(range(len(POOL))), max_size=120, unique=True), st.integers(2, 8))
def test_no_quasi_identifier_combination_appears_fewer_than_k_times(picks, k):
    records = [POOL[i] for i in picks]
    result = anonymized_records(records, INSTRUMENT, k)
    combos: dict = {}
    for row in result.rows:
        key = tuple(row[c] for c in QUASI_IDENTIFIERS)
        combos[key] = combos.get(key, 0) + 1
    assert all(n >= k for n in combos.values())
    assert len(result.rows) + result.left_out == len(records)
    assert result.left_out <= max(0.05 * len(records), 0) or result.rows == []


def test_a_common_group_keeps_its_detail_where_others_are_generalized():
    records = random_records(INSTRUMENT, 1000, seed=23, workshop=None)
    result = anonymized_records(records, INSTRUMENT, 5)
    assert "size" in result.generalized  # too many combinations to keep every size
    kept = [row for row in result.rows if row["size"] != ANY]
    assert kept  # but where 5 or more of a combination share a size, they keep it
    truth = {r["id"]: r["size"] for r in records}
    originals = Counter((r["country"], r["women_led"], r["sector"], r["size"]) for r in records)
    for row in kept:
        if row["sector"] != ANY:
            assert originals[(row["country"], row["women_led"], row["sector"], row["size"])] >= 5
    assert {row["size"] for row in kept} <= set(truth.values())


def test_rows_hold_no_id_no_date_and_the_true_scores():
    result = anonymized_records(POOL[:200], INSTRUMENT, 5)
    assert "id" not in result.columns and "reentry" not in result.columns
    assert "created_on" not in result.columns and "month" not in result.columns
    assert "quarter" in result.columns and "quarter" in QUASI_IDENTIFIERS
    assert set(result.columns) == set(result.rows[0])
    ids = {r["id"] for r in POOL} | {r["id"][:8] for r in POOL}
    text = json.dumps(result.rows)
    assert not any(i in text for i in ids)
    kept = [r["overall"] for r in result.rows if r["overall"] != ANY]
    assert sum(kept) <= sum(r["overall"] for r in POOL[:200])
    assert "workshop" in result.generalized  # 200 records: workshop-level detail goes first


def test_aggregates_leave_out_small_groups():
    rows = aggregate_rows(memory_database(POOL[:60]), INSTRUMENT, "sector", k=5)
    assert rows and all(r["submissions"] >= 5 for r in rows)
    assert all(
        v is None or v == 0 or v >= 5 for r in rows for k, v in r.items() if k.startswith("level_")
    )


def test_csv_has_a_byte_order_mark_and_round_trips_scripts():
    rows = [{"column": "answer_x", "meaning": "ការលក់តាមអនឡាញ ຂາຍອອນລາຍ အွန်လိုင်း 网上卖货"}]
    data = to_csv(rows, ["column", "meaning"])
    assert data.startswith(b"\xef\xbb\xbf")
    read = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert read == rows


def test_the_codebook_describes_every_record_column():
    described = {e["column"] for e in codebook(INSTRUMENT)}
    assert set(record_columns(INSTRUMENT)) <= described and ANY in described


def test_export_commands_write_files(app, tmp_path):
    store(app, POOL[:80])
    runner = app.test_cli_runner()
    out = tmp_path / "records.csv"
    result = runner.invoke(main, ["export", "records", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "left out" in result.output and out.read_bytes().startswith(b"\xef\xbb\xbf")
    book = tmp_path / "codebook.csv"
    assert (
        runner.invoke(main, ["export", "codebook", "--out", str(book), "--lang", "km"]).exit_code
        == 0
    )
    assert any("\u1780" <= ch <= "\u17ff" for ch in book.read_text(encoding="utf-8-sig"))
    agg = tmp_path / "by-month.json"
    result = runner.invoke(
        main, ["export", "aggregate", "--by", "month", "--format", "json", "--out", str(agg)]
    )
    assert result.exit_code == 0
    assert json.loads(agg.read_text())[0]["submissions"] >= 5


def test_staff_download_the_exports_and_trainers_cannot(app, client, trainer, staff_member):
    store(app, POOL[:120])
    sign_in(client)
    assert client.get("/en/staff/exports").status_code == 403
    assert client.get("/en/staff/exports/records.csv").status_code == 403
    client = app.test_client()
    sign_in(client, staff_member, lang="km")
    page = client.get("/km/staff/exports")
    assert page.status_code == 200 and "/km/staff/exports/records.csv" in page.text
    records = client.get("/km/staff/exports/records.csv")
    assert records.headers["Cache-Control"] == "no-store"
    assert "attachment" in records.headers["Content-Disposition"]
    assert records.data.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(records.data.decode("utf-8-sig"))))
    assert len(table) >= 0.95 * 120 and "id" not in table[0]
    by_size = client.get("/km/staff/exports/aggregate.json?by=size").get_json()
    assert {row["size"] for row in by_size} <= {
        o.key for o in INSTRUMENT.context_question("size").options
    }
    assert all(row["submissions"] >= 5 for row in by_size)
    book = client.get("/km/staff/exports/codebook.csv").data.decode("utf-8-sig")
    assert "កម្ពុជា" in book  # the labels in the staff member's language (Khmer: Cambodia)
    assert client.get("/km/staff/exports/records.xlsx").status_code == 404
    assert client.get("/km/staff/exports/aggregate.csv?by=answers").status_code == 404


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(range(len(POOL))), max_size=150, unique=True), st.integers(2, 8))
def test_no_combination_gives_away_an_answer_by_membership(picks, k):
    """Distinct l-diversity (l = 2): in every combination of quasi-identifiers, each question's
    answer is either shown with two or more different answers among its members, or
    suppressed in all of them, with the part's and the overall score that would give it back;
    the achieved k and l are what the rows show."""
    records = [POOL[i] for i in picks]
    result = anonymized_records(records, INSTRUMENT, k)
    classes: dict = {}
    for row in result.rows:
        classes.setdefault(tuple(row[c] for c in QUASI_IDENTIFIERS), []).append(row)
    for members in classes.values():
        for dim in INSTRUMENT.dimensions:
            for q in dim.questions:
                values = {row[f"answer_{q.key}"] for row in members}
                # 2.0: a question not asked (its condition did not hold) is an empty cell, no
                # answer; the answers given are two or more, or suppressed
                given = values - {NOT_ASKED}
                assert values == {ANY} or not given or (len(given) >= 2 and ANY not in values)
                if values == {ANY}:
                    assert {row[f"score_{dim.key}"] for row in members} == {ANY}
                    assert {row["overall"] for row in members} == {ANY}
    if result.rows:
        assert result.k == min(len(m) for m in classes.values()) >= k
        assert result.l_diversity >= 2


def test_the_record_export_shows_the_quarter_never_the_month_or_day():
    result = anonymized_records(POOL[:300], INSTRUMENT, 5)
    quarters = {row["quarter"] for row in result.rows}
    assert quarters <= {"2026-Q4", ANY} and "2026-Q4" in quarters
    days = {r["created_on"] for r in POOL} | {r["created_on"][:7] for r in POOL}
    assert not any(day in json.dumps(result.rows) for day in days)


def test_the_export_states_the_k_and_l_it_achieved(app, tmp_path):
    store(app, POOL[:150])
    out = tmp_path / "records.csv"
    result = app.test_cli_runner().invoke(main, ["export", "records", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "achieved k = " in result.output and ", l = 2" in result.output


def test_the_aggregate_export_is_protected_consistent_and_close_on_large_groups(app):
    records = random_records(INSTRUMENT, 700, seed=24, workshop=None)
    db = memory_database(records)
    rows = aggregate_rows(db, INSTRUMENT, "country")
    assert rows == aggregate_rows(db, INSTRUMENT, "country")  # the same cell, the same value
    moved = 0
    for row in rows:
        members = [r for r in records if r["country"] == row["country"]]
        assert len(members) >= 100 and abs(row["submissions"] - len(members)) <= 2
        exact = sum(r["overall"] for r in members) / len(members)
        assert abs(row["overall_mean"] - exact) <= 1.05
        moved += row["overall_mean"] != round(exact, 1) or row["submissions"] != len(members)
    assert moved  # perturbed, not exact
