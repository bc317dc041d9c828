"""The assessment without JavaScript: consent, context, one page per dimension, result."""

from __future__ import annotations

import html
import re

import pytest

from lmcself.storage.db import get_db

from .conftest import context_answers, csrf_token, define_workshops, top_answers


def stored(app):
    with app.app_context():
        return list(get_db()["submissions"].rows)


def test_root_picks_the_language_and_keeps_the_workshop_code(client):
    response = client.get("/?w=room1", headers={"Accept-Language": "fr;q=0.9, en;q=0.5"})
    assert response.status_code == 302
    assert response.location == "/en/?w=room1"


def test_unknown_language_is_a_404_page_not_a_500(client):
    response = client.get("/xx/")
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_landing_requires_consent_and_says_so(client):
    page = client.get("/en/")
    assert 'lang="en"' in page.text
    response = client.post("/en/", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 200
    assert "Please tick the box to agree" in response.text


def test_pages_are_refused_without_a_csrf_token(client, walker):
    walker.start()
    response = client.post("/en/about-you", data=context_answers(walker.instrument))
    assert response.status_code == 400
    assert "This page has expired" in response.text


def test_question_pages_need_a_started_assessment(client):
    assert client.get("/en/about-you").location == "/en/"
    assert client.get("/en/part/1").location == "/en/"


def test_a_full_assessment_stores_one_row_and_shows_the_result(app, client, walker, instrument):
    with app.app_context():
        define_workshops(get_db(), [{"workshop": "ROOM-7"}])
    answers = top_answers(instrument)
    response = walker.complete(answers, workshop="room-7")
    match = re.fullmatch(r"/en/result/([0-9a-f-]{36})", response.location)
    assert match
    rows = stored(app)
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == match.group(1)
    assert row["overall"] == 100 and row["level"] == instrument.levels[-1].key
    assert row["workshop"] == "ROOM-7"
    assert row["instrument_version"] == instrument.version
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["created_on"])
    page = client.get(response.location)
    assert page.status_code == 200
    assert "<svg" in page.text and page.text.count('class="chart-bar') == len(instrument.dimensions)
    assert instrument.levels[-1].name in page.text
    # Frozen: the next visit starts a new assessment with a new id.
    assert client.get("/en/part/1").location == "/en/"


def test_progress_is_shown_on_every_step(client, walker, instrument):
    walker.start()
    # the context page, one page per part, and 2.0's page of unscored questions
    total = len(instrument.dimensions) + 1 + (1 if instrument.unscored else 0)
    assert instrument.version == "2.0" and total == 8
    assert f"Step 1 of {total}" in client.get("/en/about-you").text
    walker.post("/en/about-you", context_answers(instrument))
    page = client.get("/en/part/1").text
    assert f"Step 2 of {total}" in page
    assert f'<progress max="{total}" value="2"' in page


def test_a_missing_answer_is_explained_on_the_same_page_and_other_answers_are_kept(
    client, walker, instrument
):
    walker.start()
    walker.post("/en/about-you", context_answers(instrument))
    dim = instrument.dimensions[0]
    given = {q.key: q.options[1].key for q in dim.questions[:-1]}
    missing = dim.questions[-1]
    response = walker.post("/en/part/1", given)
    assert response.status_code == 200
    assert "1 question still needs an answer" in response.text
    assert f'href="#q-{missing.key}"' in response.text
    assert response.text.count("Please choose an answer.") == 1
    for key, value in given.items():
        assert re.search(
            rf'<input type="radio" [^>]*name="{key}" value="{value}" checked', response.text
        ), key
    # They are kept across a reload too.
    reloaded = client.get("/en/part/1").text
    assert all(f'value="{v}"' in reloaded for v in given.values())


def test_a_tampered_answer_is_refused_with_a_message(client, walker, instrument):
    walker.start()
    walker.post("/en/about-you", context_answers(instrument))
    dim = instrument.dimensions[0]
    data = {q.key: q.options[0].key for q in dim.questions}
    data[dim.questions[0].key] = "<script>alert(x7)</script>"
    response = walker.post("/en/part/1", data)
    assert response.status_code == 200
    assert "Please choose one of the answers shown." in response.text
    assert "alert(x7)" not in response.text  # never echoed back, escaped or not


def test_back_keeps_answers_and_skipping_ahead_is_redirected(client, walker, instrument):
    walker.start()
    walker.post("/en/about-you", context_answers(instrument))
    assert client.get("/en/part/3").location == "/en/part/1"
    dim = instrument.dimensions[0]
    partial = {dim.questions[0].key: dim.questions[0].options[0].key}
    response = walker.post("/en/part/1", {**partial, "back": "1"})
    assert response.location == "/en/about-you"
    assert f'value="{dim.questions[0].options[0].key}"' in client.get("/en/part/1").text


def test_the_landing_offers_to_resume(client, walker, instrument):
    walker.start()
    walker.post("/en/about-you", context_answers(instrument))
    assert 'href="/en/part/1"' in client.get("/en/").text


@pytest.mark.parametrize("path", ["/en/part/0", "/en/part/99", "/en/result/not-an-id"])
def test_out_of_range_pages_are_404(client, walker, path):
    walker.start()
    assert client.get(path).status_code == 404


def test_the_method_page_publishes_every_question_and_its_points(client, instrument):
    page = html.unescape(client.get("/en/method").text)  # the text as read, however escaped
    for q in instrument.questions:
        assert q.text in page
    for lv in instrument.levels:
        assert lv.name in page
    assert f"version {instrument.version}" in page


def test_double_submitting_the_last_page_stores_one_row(app, client, walker, instrument):
    answers = top_answers(instrument, "low")
    walker.start()
    walker.post("/en/about-you", context_answers(instrument))
    *before, (last, questions) = walker.pages()  # 2.0: the last page is the unscored one
    for path, page_questions in before:
        assert walker.answer(path, page_questions, answers).status_code == 302
    data = walker.page_data(questions, answers)
    data["csrf_token"] = csrf_token(client.get(last).text)
    with client.session_transaction() as s:
        saved = dict(s)
    first = client.post(last, data=data)
    with (
        client.session_transaction() as s
    ):  # the double click: the second request carries the old cookie
        s.clear()
        s.update(saved)
    second = client.post(last, data=data)
    assert first.location == second.location
    assert len(stored(app)) == 1


def test_an_unknown_workshop_code_in_the_link_is_said_and_dropped(app, client, walker, instrument):
    landing = client.get("/en/?w=hue-9")
    assert (
        'The workshop code <span translate="no">HUE-9</span> in your link is not known here.'
        in landing.text
    )
    assert "is not known here" in client.get("/en/app?w=hue-9").text
    response = walker.complete(top_answers(instrument), workshop="hue-9")
    assert response.status_code == 302  # the assessment is kept, without the workshop
    assert stored(app)[0]["workshop"] is None
