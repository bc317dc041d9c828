"""PDFs never stall the site (issue 13): they are made in a bounded pool of processes, a flood
gets 429 with Retry-After and a friendly page while cheap pages still answer, one client cannot
take the pool, and plans already made come from a bounded cache whose keys hide the name."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext

from lmcself import create_app
from lmcself.storage.db import get_db, init_db
from lmcself.storage.submissions import insert
from lmcself.web import pdf_jobs
from lmcself.web.i18n import LOCALES

from .conftest import csrf_token
from .test_pdf import typical_record


@pytest.fixture(scope="module")
def pooled(tmp_path_factory):
    """An app whose PDFs are made in a real pool of one process, with room for two PDFs."""
    path = Path(tmp_path_factory.mktemp("pool")) / "pool.db"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(path),
            "SECRET_KEY": "test",
            "PDF_WORKERS": 1,
            "PDF_PENDING": 2,
            "PDF_PER_CLIENT": 1,
        }
    )
    record = typical_record(app.extensions["instrument"], "km", seed=21)
    with app.app_context():
        init_db()
        insert(get_db(), record)
    yield app, record
    app.extensions["pdf_jobs"].shutdown()


def ask_for_pdf(app, record, name: str, lang: str = "km"):
    client = app.test_client()
    page = client.get(f"/{lang}/plan/{record.id}")
    return client.post(
        f"/{lang}/plan/{record.id}/pdf",
        data={"business_name": name, "csrf_token": csrf_token(page.text)},
    )


def test_a_flood_of_pdfs_gets_429_and_a_cheap_page_still_answers(pooled):
    app, record = pooled
    assert ask_for_pdf(app, record, "warm-up").status_code == 200  # the pool starts and warms
    answers: list = []
    start = threading.Barrier(13)

    def one(n: int) -> None:
        start.wait()
        answers.append(ask_for_pdf(app, record, f"Flood {n}"))

    threads = [threading.Thread(target=one, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    start.wait()
    cheap = [app.test_client().get("/en/method") for _ in range(5)]
    for t in threads:
        t.join()
    assert [r.status_code for r in cheap] == [200] * 5
    codes = sorted(r.status_code for r in answers)
    assert 200 in codes and 429 in codes, codes
    assert set(codes) <= {200, 429}
    with app.test_request_context("/km/"), force_locale("km"):
        busy = gettext(
            "Many plans are being made right now. Please try again in a minute: your name stays in the field."
        )
    for r in answers:
        if r.status_code == 429:
            assert int(r.headers["Retry-After"]) >= 1
            assert "text/html" in r.content_type and busy in r.text
            assert 'value="Flood' in r.text  # the typed name stays in the field
        else:
            assert r.data.startswith(b"%PDF-")


def test_one_client_has_one_pdf_under_way(pooled):
    app, _ = pooled
    jobs = app.extensions["pdf_jobs"]
    with app.test_request_context("/km/"):
        from flask import session

        session["csrf_token"] = "one-phone"
        from lmcself.web.pdf_jobs import Busy, client_key

        me = client_key()
    assert "one-phone" not in me
    entered, release = threading.Event(), threading.Event()

    def slow_page() -> str:
        entered.set()
        release.wait(10)
        return '<html lang="en"><body><p>x</p></body></html>'

    worker = threading.Thread(target=lambda: jobs.render(me, slow_page, "en"))
    worker.start()
    entered.wait(10)
    with pytest.raises(Busy) as busy:
        jobs.render(me, lambda: "<p>y</p>", "en")
    assert busy.value.retry_after >= 1
    release.set()
    worker.join()


def test_made_plans_come_from_a_bounded_cache_whose_keys_hide_the_name(
    app, instrument, monkeypatch
):
    record = typical_record(instrument, "en", seed=22)
    with app.app_context():
        insert(get_db(), record)
    jobs = app.extensions["pdf_jobs"]
    made = []
    render = pdf_jobs._render
    monkeypatch.setattr(
        pdf_jobs, "_render", lambda html, lang: made.append(1) or render(html, lang)
    )
    name = "Dara Secret Noodles"
    first = ask_for_pdf(app, record, name, "en")
    again = ask_for_pdf(app, record, name, "en")
    assert first.status_code == again.status_code == 200 and again.data == first.data
    assert len(made) == 1  # the second came from the cache
    assert ask_for_pdf(app, record, name + "!", "en").data != first.data  # another name
    assert not [key for key in jobs._cache if "Dara" in key or "dara" in key]
    # Bounded: plans past the limit push the oldest out.
    jobs.cache_bytes = len(first.data) * 2 + 100
    for n in range(4):
        assert ask_for_pdf(app, record, f"{name} {n}", "en").status_code == 200
    assert jobs._cached_bytes <= jobs.cache_bytes and len(jobs._cache) <= 2
    assert len(made) == 6


@pytest.mark.parametrize("lang", ["km", "lo", "my", "th", "vi", "zh", "en"])
def test_a_busy_server_answers_429_with_a_friendly_plan_page(app, instrument, lang):
    record = typical_record(instrument, lang, seed=23)
    with app.app_context():
        insert(get_db(), record)
    app.extensions["pdf_jobs"].pending_limit = 0  # every PDF slot taken
    response = ask_for_pdf(app, record, "Sokha", lang)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert response.mimetype == "text/html" and 'value="Sokha"' in response.text
    with app.test_request_context(f"/{lang}/"), force_locale(LOCALES[lang]):
        message = gettext(
            "Many plans are being made right now. Please try again in a minute: your name stays in the field."
        )
    assert message in response.text.replace("&#39;", "'")


def test_a_busy_server_answers_429_for_the_staff_report(app, client, staff_member):
    from .conftest import sign_in

    sign_in(client, staff_member)
    app.extensions["pdf_jobs"].pending_limit = 0
    response = client.get("/en/staff/report.pdf")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert "Many PDFs are being made right now" in response.text
    app.extensions["pdf_jobs"].pending_limit = 2
    assert client.get("/en/staff/report.pdf").data.startswith(b"%PDF-")
