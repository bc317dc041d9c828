"""Coming back with the plan's re-entry code, and `lmcself pdf` for a whole workshop."""

from __future__ import annotations

import uuid

from lmcself.core.plan import reentry_code
from lmcself.storage.db import get_db
from lmcself.storage.submissions import insert

from .conftest import context_answers, csrf_token, make_submission, submission_of, top_answers


def store(app, instrument, lang="en", workshop=None, **context) -> dict:
    record = make_submission(
        instrument,
        str(uuid.uuid4()),
        lang,
        {**context_answers(instrument), **context},
        top_answers(instrument, "low"),
        workshop,
    )
    with app.app_context():
        insert(get_db(), submission_of(record))
    return record


def test_the_code_brings_back_the_business_details(app, client, instrument):
    record = store(app, instrument, country="VN", sector="food", region="rural")
    code = reentry_code(record.id)
    response = client.get(f"/en/again/{code.lower()}")
    assert response.status_code == 302 and response.location.endswith("/en/")
    landing = client.get("/en/")
    assert "Welcome back" in landing.text and "what changed in each part" in landing.text
    client.post("/en/", data={"consent": "y", "csrf_token": csrf_token(landing.text)})
    about = client.get("/en/about-you")
    assert 'value="VN" checked' in about.text or 'value="VN"\n' in about.text
    assert about.text.count("checked") >= 3  # country, sector, region and the rest pre-filled


def test_the_form_takes_a_typed_code(app, client, instrument):
    record = store(app, instrument)
    code = reentry_code(record.id)
    page = client.get("/en/again")
    typed = code.replace("-", " ").replace("0", "o").lower()
    response = client.post("/en/again", data={"code": typed, "csrf_token": csrf_token(page.text)})
    assert response.status_code == 302 and response.location.endswith(f"/en/again/{code}")


def test_a_wrong_code_says_so_and_keeps_what_was_typed(client):
    page = client.get("/en/again")
    response = client.post("/en/again", data={"code": "12AB", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 400
    assert "12 letters and digits" in response.text and 'value="12AB"' in response.text
    unknown = client.get("/en/again/ZZZZ-ZZZZ-ZZZZ")
    assert unknown.status_code == 404 and "No result has this code" in unknown.text


def test_the_plan_page_shows_the_code_and_its_qr(app, client, instrument):
    record = store(app, instrument)
    code = reentry_code(record.id)
    page = client.get(f"/en/plan/{record.id}")
    assert code in page.text and f"http://localhost/en/again/{code}" in page.text
    assert "<svg" in page.text and 'class="segno"' in page.text


def test_public_url_is_what_the_qr_code_points_to(app, client, instrument):
    app.config["PUBLIC_URL"] = "https://check.example.org/"
    record = store(app, instrument)
    page = client.get(f"/km/plan/{record.id}")
    assert f"https://check.example.org/km/again/{reentry_code(record.id)}" in page.text


def test_pdf_command_renders_a_workshop(app, runner, instrument, tmp_path):
    records = [store(app, instrument, lang, workshop="PP-01") for lang in ("km", "th", "zh_Hans")]
    store(app, instrument, "en", workshop="OTHER")
    out = tmp_path / "plans"
    result = runner.invoke(
        args=["pdf", "--workshop", "pp-01", "--out", str(out), "--base-url", "https://x.org"]
    )
    assert result.exit_code == 0, result.output
    assert "3 plans written" in result.output
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(f"plan-{reentry_code(r.id)}.pdf" for r in records)
    assert all((out / f).read_bytes().startswith(b"%PDF-") for f in files)


def test_pdf_command_refuses_unknown_ids_and_writes_nothing(app, runner, instrument, tmp_path):
    record = store(app, instrument)
    out = tmp_path / "plans"
    result = runner.invoke(args=["pdf", record.id, "no-such-id", "--out", str(out)])
    assert result.exit_code != 0 and "no submission with id 'no-such-id'" in result.output
    assert not out.exists()
    result = runner.invoke(args=["pdf", "--workshop", "NONE-SUCH", "--out", str(out)])
    assert result.exit_code != 0 and "no submissions with workshop code" in result.output
