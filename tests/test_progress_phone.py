"""Progress on the phone, offline, in every language: an owner who comes back with the re-entry
code and answers again on the one-page app sees "Since your last check" on the result and the
plan with the server unreachable and the phone offline; the result reaches the server linked to
the previous check by that code, and the server's result page shows the same progress."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from lmcself.core.instrument import default_instrument
from lmcself.storage.db import connect
from lmcself.storage.submissions import insert
from lmcself.web.i18n import LOCALES

from .conftest import context_answers, make_submission, top_answers
from .test_offline_matrix import phone_context, shot, sync_status, wait_until_kept
from .test_progress import improved_answers

pytestmark = pytest.mark.browser
INSTRUMENT = default_instrument()
COUNTRY = {"km": "KH", "lo": "LA", "my": "MM", "th": "TH", "vi": "VN", "zh": "CN", "en": "VN"}

# Choose the given answers on the visible step through the page's own inputs, and go on.
CHOOSE = """([step, answers]) => {
  const section = document.querySelector(`#assess section[data-step="${step}"]`);
  for (const [key, value] of Object.entries(answers)) {
    const input = section.querySelector(`input[name="${key}"][value="${value}"]`);
    if (input) input.click();
  }
  section.querySelector('button[type=submit]').click();
}"""
SINCE = r"""(root) => {
  const box = document.querySelector(root + ' .since');
  if (!box) return null;
  const t = (e) => e.textContent.replace(/\s+/g, ' ').trim();
  return {
    meta: t(box.querySelector('.meta')),
    rows: [...box.querySelectorAll('tbody tr')].map(r => [r.className, ...[...r.children].map(t)]),
    items: [...box.querySelectorAll('li')].map(t),
  };
}"""


def previous_check(live_server, lang: str):
    context = {**context_answers(INSTRUMENT), "country": COUNTRY[lang]}
    before = make_submission(
        INSTRUMENT,
        str(uuid.uuid4()),
        lang,
        context,
        top_answers(INSTRUMENT, "low"),
        created_on=date.today() - timedelta(days=90),
    )
    db = connect(str(live_server.database))
    try:
        insert(db, before)
    finally:
        db.close()
    return before


def answer_the_parts(page, answers: dict[str, str]) -> None:
    """Answer every part's step on the phone, then (2.0) the unscored questions' step, last."""
    for n, dim in enumerate(INSTRUMENT.dimensions, start=1):
        page.wait_for_selector(f"#assess section[data-step='{n}']:not([hidden])")
        page.evaluate(CHOOSE, [n, {q.key: answers[q.key] for q in dim.questions}])
    if INSTRUMENT.unscored:
        n = len(INSTRUMENT.dimensions) + 1
        page.wait_for_selector(f"#assess section[data-step='{n}']:not([hidden])")
        page.evaluate(CHOOSE, [n, {q.key: q.options[0].key for q in INSTRUMENT.unscored}])


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_phone_shows_progress_offline(browser, gate, live_server, lang):
    before = previous_check(live_server, lang)
    context = phone_context(browser, "lan")
    page = context.new_page()
    page.goto(f"{gate.url}/{lang}/again/{before.reentry}")
    page.locator("#consent").check()
    page.locator("form button[type=submit]").click()
    page.wait_for_selector("#assess section[data-step='0']:not([hidden])")
    wait_until_kept(page, lang, "lan")
    # The business details of last time are filled in on the phone too.
    for key, value in before.context.items():
        assert page.locator(f"input[name='{key}'][value='{value}']").is_checked()
    answers = improved_answers(INSTRUMENT)
    page.evaluate(CHOOSE, [0, {}])
    gate.cut()  # the laptop goes away, then the phone's internet
    context.set_offline(True)
    answer_the_parts(page, answers)
    page.wait_for_selector("#result:not([hidden]) .since")
    sync_status(page, "offline")
    on_phone = page.evaluate(SINCE, "#result")
    first = INSTRUMENT.dimensions[0]
    then = before.result.dimension(first.key).score
    up = [r for r in on_phone["rows"] if r[0] == "change-up"]
    assert len(up) == 1 and up[0][2:4] == [str(then), "100"], on_phone
    assert (
        len([r for r in on_phone["rows"] if r[0] == "change-same"])
        == len(INSTRUMENT.dimensions) - 1
    )
    assert on_phone["items"], on_phone  # what was done, what is next
    shot(page, f"{lang}-progress-offline-result")
    page.locator("[data-action=plan]").click()
    page.wait_for_selector("#plan:not([hidden]) .since")
    assert page.evaluate(SINCE, "#plan") == on_phone
    assert page.locator("#result .since").count() == 0  # one section at a time (its ids)
    page.locator("[data-action=back-to-result]").click()
    page.wait_for_selector("#result:not([hidden]) .since")

    # Back online: sent with the code of the check it follows; the server shows the same.
    context.set_offline(False)
    gate.restore()
    sync_status(page, "sent")
    submission_id = page.locator("#result").get_attribute("data-id")
    rows = live_server.rows("SELECT follows FROM submissions WHERE id = ?", [submission_id])
    assert [r["follows"] for r in rows] == [before.reentry]
    server = context.new_page()
    server.goto(f"{gate.url}/{lang}/result/{submission_id}")
    assert server.evaluate(SINCE, "main") == on_phone
    context.close()
