"""Every way in, in every language: a submission made on a laptop through the form, the phone's
API (with today's and an old app's spelling of the language), or an owner's answers file (on the
command line and on the staff page) reaches a central server by bundle and by push with the
same language, and `lmcself pdf` prints its plan in that language. The questionnaire version is
checked on every way in, with the same message."""

from __future__ import annotations

import gzip
import json
import subprocess
import uuid
from datetime import date
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext

from lmcself import create_app
from lmcself.central.push import push
from lmcself.core.locales import LOCALES
from lmcself.storage import devices
from lmcself.storage.db import get_db, init_db

from .conftest import (
    Walker,
    context_answers,
    csrf_token,
    register_device,
    rows,
    sign_in,
    signed_batch,
    top_answers,
)
from .test_bundle import export, reseal, rewrite, run
from .test_push import sender

ENTRIES = ("form", "api", "api_old_spelling", "answers_file_cli", "answers_file_page")
OLD = "0.9"
VERSION_FAULT = (
    "instrument_version: this server scores questionnaire version '1.0' or '2.0', not '0.9'"
)


def payload(instrument, lang: str, version: str | None = None) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "instrument_version": version or instrument.version,
        "locale": lang,
        "context": context_answers(instrument),
        "answers": top_answers(instrument, "low"),
        "workshop": None,
    }


def answers_file(tmp_path: Path, body: dict) -> Path:
    """The file the phone saves on "Download your answers" (static/app.js)."""
    path = tmp_path / f"lmcself-{date.today()}-{body['id'][:8]}.json"
    record = {"payload": body, "result": {"overall": 99}, "date": date.today().isoformat()}
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def enter(way: str, app, instrument, lang: str, tmp_path: Path) -> str:
    """Make one submission on the laptop `app` by `way`; return its id."""
    client = app.test_client()
    if way == "form":
        response = Walker(client, instrument, lang).complete(top_answers(instrument, "low"))
        return response.location.rsplit("/", 1)[-1]
    if way.startswith("api"):
        spelling = LOCALES[lang] if way == "api_old_spelling" else lang
        body = payload(instrument, spelling)
        response = client.post("/api/v1/submissions", json=body)
        assert response.status_code == 201, response.get_json()
        return body["id"]
    body = payload(instrument, lang)
    path = answers_file(tmp_path, body)
    if way == "answers_file_cli":
        result = run(app, "import", path)
        assert result.exit_code == 0 and "1 new" in result.output, result.output
    else:
        from lmcself.staff.accounts import add_user

        with app.app_context():
            add_user(get_db(), "sokha", "correct horse battery", "trainer")
        sign_in(client)
        page = client.get(f"/{lang}/staff/import")
        with path.open("rb") as f:
            response = client.post(
                f"/{lang}/staff/import",
                data={"csrf_token": csrf_token(page.text), "files": [(f, path.name)]},
                content_type="multipart/form-data",
            )
        assert response.status_code == 200, response.text
    return body["id"]


def another_central(tmp_path: Path, name: str):
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / f"{name}.db"), "SECRET_KEY": "t"})
    with app.app_context():
        init_db()
    register_device(app)
    return app


def plan_title(app, submission_id: str, lang: str, tmp_path: Path) -> str:
    out = tmp_path / f"plans-{lang}"
    result = run(app, "pdf", submission_id, "--out", out)
    assert result.exit_code == 0, result.output
    (pdf,) = out.iterdir()
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    title = next(x for x in info.stdout.splitlines() if x.startswith("Title:"))
    return title.removeprefix("Title:").strip().replace("\u200b", "").replace("\u2060", "")


@pytest.mark.parametrize("lang", list(LOCALES))
@pytest.mark.parametrize("way", ENTRIES)
def test_every_way_in_reaches_the_centre_in_its_language(app, instrument, lang, way, tmp_path):
    submission_id = enter(way, app, instrument, lang, tmp_path)
    by_bundle = another_central(tmp_path, "by-bundle")
    result = run(by_bundle, "import", export(app, tmp_path / "laptop.lmcself"))
    assert result.exit_code == 0 and "1 new" in result.output, result.output
    by_push = another_central(tmp_path, "by-push")
    with by_push.app_context():
        token = devices.add(get_db(), "laptop")
    with app.app_context():
        report = push(get_db(), "https://central", sender(by_push, token))
    assert report.sent == 1 and report.conflicts == []
    assert rows(by_bundle) == rows(by_push) == rows(app)
    for central in (app, by_bundle, by_push):
        with central.app_context():
            stored = get_db().execute("SELECT locale FROM submissions").fetchall()
        assert stored == [(lang,)]
    with app.test_request_context(f"/{lang}/"), force_locale(LOCALES[lang]):
        expected = gettext("Your action plan").replace("\u200b", "").replace("\u2060", "")
    assert plan_title(by_push, submission_id, lang, tmp_path).startswith(expected)


def _old_line(instrument) -> dict:
    line = payload(instrument, "vi", OLD)
    return {**line, "created_on": date.today().isoformat()}


def test_the_version_is_checked_on_every_way_in_with_one_message(
    app, central, instrument, tmp_path
):
    client = app.test_client()
    api = client.post("/api/v1/submissions", json=payload(instrument, "zh", OLD))
    assert api.status_code == 422 and api.get_json()["error"] == VERSION_FAULT

    with central.app_context():
        token = devices.add(get_db(), "laptop")
    batch = central.test_client().post(
        "/api/v1/batches", **signed_batch(token, {"submissions": [_old_line(instrument)]})
    )
    assert batch.status_code == 422 and VERSION_FAULT in batch.get_json()["error"]

    refused = run(app, "import", answers_file(tmp_path, payload(instrument, "km", OLD)))
    assert refused.exit_code == 1 and VERSION_FAULT in refused.output

    client.post("/api/v1/submissions", json=payload(instrument, "th"))
    bundle = export(app, tmp_path / "b.lmcself")
    rewrite(bundle, lambda lines: (lines[1].update(instrument_version=OLD), reseal(lines)))
    result = run(central, "import", bundle)
    assert result.exit_code == 1 and VERSION_FAULT in result.output
    assert rows(central) == []


def test_an_answers_file_imported_twice_is_stored_once(app, instrument, tmp_path):
    path = answers_file(tmp_path, payload(instrument, "my"))
    assert "1 new" in run(app, "import", path).output
    assert "0 new, 1 already here" in run(app, "import", path).output
    assert len(rows(app)) == 1


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x00\x01 not text", "not an answers file"),
        (b'{"hello": 1}', "no submission in it"),
        (b"[1, 2]", "no submission in it"),
        (json.dumps({"payload": {"id": "x"}, "date": "2026-01-01"}).encode(), "id: not a UUID"),
        (gzip.compress(b"garbage"), "line 1: not JSON"),
    ],
)
def test_a_file_that_is_not_an_answers_file_is_refused_on_the_page(
    app, client, trainer, content, words
):
    sign_in(client)
    page = client.get("/en/staff/import")
    response = client.post(
        "/en/staff/import",
        data={"csrf_token": csrf_token(page.text), "files": [(_bytes(content), "x.json")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and words in response.text
    assert rows(app) == []


def _bytes(content: bytes):
    import io

    return io.BytesIO(content)


def test_the_import_page_needs_a_signed_in_trainer(client):
    assert client.get("/en/staff/import").status_code == 302
