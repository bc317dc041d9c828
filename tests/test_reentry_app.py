"""A re-entry code typed into the one-page app's own start screen (issue 16): the app fetches the
check it names while online (GET /<lang>/previous/<code>.json), fills in last time's business
details and keeps that check with the new one on the phone, so "Since your last check" shows on
the phone's result and plan offline, as it does after the again page. In every language, on the
service-worker path."""

from __future__ import annotations

import pytest

from lmcself.web.i18n import LOCALES

from .conftest import context_answers, make_submission, top_answers
from .test_offline_matrix import phone_context, shot, sync_status, wait_until_kept
from .test_progress import improved_answers
from .test_progress_phone import CHOOSE, INSTRUMENT, SINCE, answer_the_parts, previous_check


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_code_gives_the_previous_check_and_nothing_else(client, app, lang):
    import uuid

    from lmcself.storage.db import get_db
    from lmcself.storage.submissions import insert

    before = make_submission(
        INSTRUMENT, str(uuid.uuid4()), lang, context_answers(INSTRUMENT), top_answers(INSTRUMENT)
    )
    with app.app_context():
        insert(get_db(), before)
    typed = before.reentry.lower().replace("-", " ")  # as an owner may type it
    response = client.get(f"/{lang}/previous/{typed}.json")
    assert response.status_code == 200, response.text
    assert "no-store" in response.headers["Cache-Control"]
    found = response.get_json()
    assert found["code"] == before.reentry
    assert found["context"] == dict(before.context)
    assert found["answers"] == dict(before.answers)
    assert set(found) == {"code", "date", "context", "answers", "result"}
    assert client.get(f"/{lang}/previous/ABCD-EFGH.json").status_code == 404
    assert client.get(f"/{lang}/previous/nonsense.json").status_code == 404
    page = client.get(f"/{lang}/app").text
    assert 'id="reentry-code"' in page and 'data-action="reentry"' in page


@pytest.mark.browser
@pytest.mark.parametrize("lang", list(LOCALES))
def test_a_code_typed_in_the_app_shows_progress_offline(browser, gate, live_server, lang):
    before = previous_check(live_server, lang)
    context = phone_context(browser, "sw")
    page = context.new_page()
    page.goto(f"{gate.url}/{lang}/app")
    page.wait_for_selector("#assess section[data-step='start']:not([hidden])")
    wait_until_kept(page, lang, "sw")
    strings = page.evaluate("JSON.parse(document.getElementById('lmc-data').textContent).strings")
    page.locator(".reentry-start summary").click()
    page.fill("#reentry-code", "NOPE-NOPE")
    page.locator("[data-action=reentry]").click()
    page.wait_for_selector(".reentry-status:not([hidden])")
    assert page.locator(".reentry-status").text_content() == strings["no_code"]
    page.fill("#reentry-code", before.reentry.lower())
    page.locator("[data-action=reentry]").click()
    page.wait_for_function(
        "(s) => document.querySelector('.reentry-status').textContent !== s", arg=strings["no_code"]
    )
    welcome = strings["welcome_back"].split("%(date)s")[0]
    assert page.locator(".reentry-status").text_content().startswith(welcome)
    shot(page, f"{lang}-typed-code-start")
    page.locator("#consent").check()
    page.locator("[data-action=start]").click()
    page.wait_for_selector("#assess section[data-step='0']:not([hidden])")
    for key, value in before.context.items():
        assert page.locator(f"input[name='{key}'][value='{value}']").is_checked()
    answers = improved_answers(INSTRUMENT)
    page.evaluate(CHOOSE, [0, {}])
    gate.cut()  # the server goes away, then the phone's internet
    context.set_offline(True)
    answer_the_parts(page, answers)
    page.wait_for_selector("#result:not([hidden]) .since")
    sync_status(page, "offline")
    on_phone = page.evaluate(SINCE, "#result")
    first = INSTRUMENT.dimensions[0]
    then = before.result.dimension(first.key).score
    up = [r for r in on_phone["rows"] if r[0] == "change-up"]
    assert len(up) == 1 and up[0][2:4] == [str(then), "100"], on_phone
    assert on_phone["items"], on_phone
    shot(page, f"{lang}-progress-typed-code-offline")
    page.locator("[data-action=plan]").click()
    page.wait_for_selector("#plan:not([hidden]) .since")
    assert page.evaluate(SINCE, "#plan") == on_phone
    # a reload offline (the service worker's copy of the app) shows the same progress
    page.reload()
    page.wait_for_selector("#plan:not([hidden]) .since")
    assert page.evaluate(SINCE, "#plan") == on_phone

    context.set_offline(False)
    gate.restore()
    page.locator("[data-action=back-to-result]").click()
    sync_status(page, "sent")
    submission_id = page.locator("#result").get_attribute("data-id")
    rows = live_server.rows("SELECT follows FROM submissions WHERE id = ?", [submission_id])
    assert [r["follows"] for r in rows] == [before.reentry]
    context.close()


@pytest.mark.browser
def test_without_a_connection_the_app_says_the_code_needs_one(browser, gate, live_server):
    before = previous_check(live_server, "en")
    context = phone_context(browser, "sw")
    page = context.new_page()
    page.goto(f"{gate.url}/en/app")
    wait_until_kept(page, "en", "sw")
    strings = page.evaluate("JSON.parse(document.getElementById('lmc-data').textContent).strings")
    context.set_offline(True)
    page.locator(".reentry-start summary").click()
    page.fill("#reentry-code", before.reentry)
    page.locator("[data-action=reentry]").click()
    page.wait_for_selector(".reentry-status:not([hidden])")
    assert page.locator(".reentry-status").text_content() == strings["code_offline"]
    context.close()


@pytest.mark.parametrize("lang", list(LOCALES))
def test_guessing_codes_is_slowed_and_then_gives_nothing(client, app, lang):
    """The attack: one address trying codes to find someone's check. After the burst every try,
    the right code included, is answered 429 with Retry-After and no answers."""
    import uuid

    from lmcself.storage.db import get_db
    from lmcself.storage.submissions import insert

    before = make_submission(
        INSTRUMENT, str(uuid.uuid4()), lang, context_answers(INSTRUMENT), top_answers(INSTRUMENT)
    )
    with app.app_context():
        insert(get_db(), before)
    burst = app.config["SUBMIT_BURST"]
    guesses = [client.get(f"/{lang}/previous/AAAA-{i:04d}.json") for i in range(burst)]
    assert [r.status_code for r in guesses] == [404] * burst
    right = client.get(f"/{lang}/previous/{before.reentry}.json")
    assert right.status_code == 429 and int(right.headers["Retry-After"]) >= 1
    assert "answers" not in right.get_json() and before.reentry not in right.text
    # another address is not slowed by this one's guesses
    other = client.get(
        f"/{lang}/previous/{before.reentry}.json", environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert other.status_code == 200 and other.get_json()["code"] == before.reentry
