"""Bundles: export on a laptop, import on the central server; twice changes nothing; a changed,
cut or invalid file is refused whole; conflicts are reported, never overwritten."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from lmcself import create_app
from lmcself.central.bundle import (
    BundleError,
    check_bundle,
    checked_rows,
    exported_lines,
    import_rows,
    signature,
)
from lmcself.commands import main
from lmcself.storage.db import get_db, init_db
from lmcself.storage.devices import signing_key

from .conftest import (
    DEVICE_TOKEN,
    context_answers,
    make_submission,
    random_records,
    rows,
    store,
    top_answers,
)


def run(app, *args):
    return app.test_cli_runner().invoke(main, list(map(str, args)), catch_exceptions=False)


def export(app, path: Path, *options) -> Path:
    result = run(app, "export-bundle", path, "--token", DEVICE_TOKEN, *options)
    assert result.exit_code == 0, result.output
    return path


def rewrite(path: Path, change) -> None:
    """Edit a bundle's lines (a list of dicts) and write it back, checksum left as it was."""
    lines = [json.loads(x) for x in gzip.decompress(path.read_bytes()).splitlines()]
    change(lines)
    body = b"".join(
        json.dumps(x, ensure_ascii=False, sort_keys=True).encode() + b"\n" for x in lines
    )
    path.write_bytes(gzip.compress(body))


def reseal(lines: list, token: str | None = DEVICE_TOKEN) -> None:
    """What a forger holding the laptop's token does: recompute the trailer after editing, and
    sign it (with token None: a forger without it, who can only recompute the checksum)."""
    body = [json.dumps(x, ensure_ascii=False, sort_keys=True).encode() + b"\n" for x in lines[:-1]]
    digest = hashlib.sha256(b"".join(body)).hexdigest()
    lines[-1] = {"count": len(body) - 1, "sha256": digest}
    if token is not None:
        lines[-1]["hmac"] = signature(signing_key(token), len(body) - 1, digest)


def test_a_bundle_moves_every_submission_unchanged(app, central, instrument, tmp_path):
    records = random_records(instrument, 40)
    store(app, records)
    bundle = export(app, tmp_path / "laptop.lmcself")
    result = run(central, "import", bundle)
    assert result.exit_code == 0, result.output
    assert "40 new, 0 already here, 0 conflicts" in result.output
    assert rows(central) == rows(app)  # scores, dates, workshop and re-entry codes included


def test_importing_twice_changes_nothing(app, central, instrument, tmp_path):
    store(app, random_records(instrument, 25))
    bundle = export(app, tmp_path / "b.lmcself")
    run(central, "import", bundle)
    before = rows(central)
    result = run(central, "import", bundle, bundle)
    assert result.exit_code == 0
    assert result.output.count("0 new, 25 already here, 0 conflicts") == 2
    assert rows(central) == before


def test_a_conflict_is_reported_and_not_overwritten(app, central, instrument, tmp_path):
    records = random_records(instrument, 10)
    store(app, records)
    bundle = export(app, tmp_path / "b.lmcself")
    other = make_submission(
        instrument, records[3]["id"], "en", context_answers(instrument), top_answers(instrument)
    )
    store(central, [other])
    result = run(central, "import", bundle)
    assert result.exit_code == 1
    assert "9 new, 0 already here, 1 conflicts" in result.output
    assert records[3]["id"] in result.output and "not overwritten" in result.output
    with central.app_context():
        kept = (
            get_db().execute("SELECT overall FROM submissions WHERE id = ?", [other.id]).fetchone()
        )
    assert kept[0] == other.result.overall == 100


def test_one_workshop_only(app, instrument, tmp_path):
    store(app, random_records(instrument, 6, seed=1, workshop="HANOI-01"))
    store(app, random_records(instrument, 4, seed=2, workshop="VTE-02"))
    bundle = export(app, tmp_path / "b.lmcself", "--workshop", "vte-02")
    lines = gzip.decompress(bundle.read_bytes()).splitlines()
    assert len(lines) == 4 + 2
    assert {json.loads(x)["workshop"] for x in lines[1:-1]} == {"VTE-02"}
    assert (
        run(
            app, "export-bundle", tmp_path / "none", "--token", DEVICE_TOKEN, "--workshop", "NOPE-9"
        ).exit_code
        == 1
    )


def test_nothing_to_export_writes_nothing(app, tmp_path):
    result = run(app, "export-bundle", tmp_path / "empty.lmcself", "--token", DEVICE_TOKEN)
    assert result.exit_code == 1 and "nothing written" in result.output
    assert not (tmp_path / "empty.lmcself").exists()


def _many(app, instrument, tmp_path) -> Path:
    # More than one insert batch (500), so a late fault must undo batches already written.
    store(app, random_records(instrument, 620, seed=3))
    return export(app, tmp_path / "b.lmcself")


def _refused(central, bundle: Path, words: str) -> None:
    result = run(central, "import", bundle)
    assert result.exit_code == 1, result.output
    assert words in result.output and "nothing imported" in result.output, result.output
    assert rows(central) == []


def test_an_edited_bundle_is_refused_whole(app, central, instrument, tmp_path):
    bundle = _many(app, instrument, tmp_path)
    question = instrument.questions[0]

    def edit(lines):
        answers = lines[1]["answers"]
        answers[question.key] = next(
            o.key for o in question.options if o.key != answers[question.key]
        )

    rewrite(bundle, edit)
    _refused(central, bundle, "checksum does not match")


def test_a_bundle_rewritten_unchanged_still_imports(app, central, instrument, tmp_path):
    """The tests' rewrite() keeps the bundle's exact bytes, so the refusals above are the edits'."""
    bundle = _many(app, instrument, tmp_path)
    rewrite(bundle, lambda lines: None)
    assert run(central, "import", bundle).exit_code == 0
    assert len(rows(central)) == 620


def test_a_resealed_bundle_with_an_invalid_answer_is_refused_whole(
    app, central, instrument, tmp_path
):
    bundle = _many(app, instrument, tmp_path)

    def edit(lines):
        lines[-2]["answers"][instrument.questions[0].key] = "always, honestly"
        reseal(lines)

    rewrite(bundle, edit)
    _refused(central, bundle, "line 621")


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("created_on", (date.today() + timedelta(days=5)).isoformat(), "in the future"),
        ("created_on", "yesterday", "not a date"),
        ("locale", "fr", "locale: 'fr' is not one of"),
        ("workshop", "hanoi 01", "not a valid workshop code"),
        ("id", "42", "not a UUID"),
        ("context", [], "context: must be a JSON object"),
    ],
)
def test_a_resealed_bundle_with_a_bad_field_is_refused(
    app, central, instrument, tmp_path, field, value, words
):
    store(app, random_records(instrument, 3))
    bundle = export(app, tmp_path / "b.lmcself")

    def edit(lines):
        lines[2][field] = value
        reseal(lines)

    rewrite(bundle, edit)
    _refused(central, bundle, words)


def test_a_cut_bundle_is_refused(app, central, instrument, tmp_path):
    bundle = _many(app, instrument, tmp_path)
    rewrite(bundle, lambda lines: lines.pop())
    _refused(central, bundle, "cut short")
    bundle.write_bytes(bundle.read_bytes()[:-200])  # the gzip stream itself cut
    _refused(central, bundle, "not a readable bundle")


def test_other_files_are_refused(central, tmp_path):
    plain = tmp_path / "notes.txt"
    plain.write_text("not a bundle")
    _refused(central, plain, "not an answers file (not JSON)")
    other = tmp_path / "other.gz"
    other.write_bytes(gzip.compress(b'{"hello": 1}\n'))
    _refused(central, other, "not an lmcself bundle")


def test_a_bundle_of_another_questionnaire_version_is_refused(app, central, instrument, tmp_path):
    store(app, random_records(instrument, 2))
    bundle = export(app, tmp_path / "b.lmcself")

    def edit(lines):
        lines[0]["instrument"] = "0.9"

    rewrite(bundle, edit)
    _refused(central, bundle, "questionnaire version '0.9'")


def test_an_oversized_bundle_is_refused(app, instrument, tmp_path):
    store(app, random_records(instrument, 30))
    bundle = export(app, tmp_path / "b.lmcself")
    small = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "small.db"),
            "SECRET_KEY": "t",
            "MAX_BUNDLE_BYTES": 10_000,
        }
    )
    with small.app_context():
        init_db()
    _refused(small, bundle, "larger than")


def test_checking_in_worker_processes_gives_the_same_rows_and_errors(
    app, central, instrument, tmp_path, monkeypatch
):
    """A central server checks big bundles in one process per core; small chunks here so that
    two workers share the file."""
    monkeypatch.setattr("lmcself.central.bundle.PARALLEL_CHUNK", 100)
    bundle = _many(app, instrument, tmp_path)

    def keyless(rows):  # the record key is drawn afresh for each row (storage/db.py)
        return [{c: v for c, v in row.items() if c != "rkey"} for row in rows]

    assert keyless(checked_rows(bundle, instrument, workers=2)) == keyless(
        checked_rows(bundle, instrument)
    )

    def edit(lines):
        lines[-2]["answers"][instrument.questions[0].key] = "always, honestly"
        reseal(lines)

    rewrite(bundle, edit)
    _, workshops = check_bundle(bundle, instrument, keys={"laptop": signing_key(DEVICE_TOKEN)})
    with central.app_context(), pytest.raises(BundleError, match="line 621"):
        import_rows(get_db(), checked_rows(bundle, instrument, workers=2), workshops=workshops)
    assert rows(central) == []


def workshop_row(app, code):
    with app.app_context():
        return (
            get_db()
            .execute("SELECT code, name, country, held_on FROM workshops WHERE code = ?", [code])
            .fetchone()
        )


def test_workshops_travel_with_their_submissions(app, central, instrument, tmp_path):
    store(app, random_records(instrument, 6, workshop="HUE-2"))
    bundle = export(app, tmp_path / "b.lmcself")
    assert run(central, "import", bundle).exit_code == 0
    assert workshop_row(central, "HUE-2") == workshop_row(app, "HUE-2")


def test_a_workshop_stored_with_other_details_is_reported_not_overwritten(
    app, central, instrument, tmp_path
):
    store(app, random_records(instrument, 6, workshop="HUE-2"))
    bundle = export(app, tmp_path / "b.lmcself")
    with central.app_context():
        get_db()["workshops"].insert(
            {"code": "HUE-2", "name": "Hue, old name", "country": "VN", "held_on": "2026-10-01"}
        )
    result = run(central, "import", bundle)
    assert result.exit_code == 0 and "6 new" in result.output
    assert "workshop HUE-2 is stored here with another name" in result.output
    assert workshop_row(central, "HUE-2")[1] == "Hue, old name"


def test_a_bundle_naming_an_unknown_workshop_is_refused_whole(app, central, instrument, tmp_path):
    store(app, random_records(instrument, 620, seed=3, workshop="HUE-2"))
    bundle = export(app, tmp_path / "b.lmcself")

    def drop_definitions(lines):
        lines[0]["workshops"] = []
        reseal(lines)

    rewrite(bundle, drop_definitions)
    _refused(central, bundle, "unknown workshop code 'HUE-2'")
    assert workshop_row(central, "HUE-2") is None


def test_an_edited_header_is_refused(app, central, instrument, tmp_path):
    store(app, random_records(instrument, 6, workshop="HUE-2"))
    bundle = export(app, tmp_path / "b.lmcself")
    rewrite(bundle, lambda lines: lines[0]["workshops"][0].update(name="Somewhere else"))
    _refused(central, bundle, "checksum does not match")
    rewrite(bundle, lambda lines: (lines[0]["workshops"][0].update(country="FR"), reseal(lines)))
    _refused(central, bundle, "unknown country 'FR'")


def test_a_stored_rows_line_is_the_line_of_its_submission():
    """exported_lines reads lines straight from the rows (scores not read): the same lines, in
    the same order, as reading each stored Submission and turning it into its line, for both
    versions, with and without a workshop or a previous check, and an old locale spelling."""
    import dataclasses

    from lmcself.core.instrument import instrument_for
    from lmcself.core.plan import reentry_code
    from lmcself.storage import submissions as stored

    from .conftest import memory_database, submission_of

    made = [
        submission_of(record)
        for version, seed, workshop in (("1.0", 1, None), ("2.0", 2, "HANOI-01"), ("2.0", 3, None))
        for record in random_records(instrument_for(version), 15, seed=seed, workshop=workshop)
    ]
    made[4] = dataclasses.replace(made[4], follows=reentry_code(made[0].id))
    made[20] = dataclasses.replace(made[20], follows=reentry_code(made[1].id))
    db = memory_database([])
    db["workshops"].insert(
        {"code": "HANOI-01", "name": "Hà Nội", "country": "VN", "held_on": "2026-11-01"}
    )
    for submission in made:
        stored.insert(db, submission)
    db.execute("UPDATE submissions SET locale = 'zh_Hans' WHERE locale = 'zh'")
    assert db.execute("SELECT count(*) FROM submissions WHERE locale = 'zh_Hans'").fetchone()[0]
    for workshop in (None, "HANOI-01"):
        expected = [s.to_line() for s in stored.all_of(db, workshop)]
        assert list(exported_lines(db, workshop)) == expected
        assert len(expected) == (45 if workshop is None else 15)
    assert sum("follows" in line for line in exported_lines(db)) == 2
