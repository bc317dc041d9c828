"""Offline-first on the phone (Chromium at phone size, against the real server): answers kept on
the device, the score computed there, and each result sent exactly once when a connection exists."""

from __future__ import annotations

import json
import random
import urllib.request

import pytest

from lmcself.core.instrument import CONTEXT_KEYS, default_instrument

from .conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, submission_of

pytestmark = pytest.mark.browser
INSTRUMENT = default_instrument()
PRECACHED = """async () => {
  for (const key of await caches.keys()) {
    const cache = await caches.open(key);
    if (await cache.match('/en/app') && await cache.match('/en/plan-data.json')) return true;
  }
  return false;
}"""


def start(page, url: str) -> None:
    page.goto(url)
    page.locator("#consent").check()
    page.locator("[data-action=start]").click()


def answer(page, seed: int, from_step: int = 0, to_step: int | None = None) -> None:
    """Answer the steps from_step..to_step of the one-page app (0 is the context)."""
    rng = random.Random(seed)
    parts = len(INSTRUMENT.dimensions)
    steps = [INSTRUMENT.context, *(d.questions for d in INSTRUMENT.dimensions)]
    if INSTRUMENT.unscored:  # 2.0: the unscored questions' step, last
        steps.append(INSTRUMENT.unscored)
    last = len(steps) - 1 if to_step is None else to_step
    for n in range(from_step, last + 1):
        section = f"section[data-step='{n}']"
        page.wait_for_selector(section + ":not([hidden])")
        for q in steps[n]:
            if 0 < n <= parts and not page.locator(f"#q-{q.key}").is_visible():
                continue  # 2.0: a question whose condition does not hold is not shown
            page.locator(f"#q-{q.key} label").nth(rng.randrange(len(q.options))).click()
        page.locator(section + " button[type=submit]").click()


def shown_result(page) -> tuple[str, int]:
    page.wait_for_selector("#result:not([hidden])")
    return page.locator("#result").get_attribute("data-id"), int(
        page.locator("#result .big").inner_text()
    )


PLAN_TEXT = r"""(root) => {
  const texts = (sel) => [...document.querySelectorAll(sel)].map(e => e.textContent.replace(/\s+/g, ' ').trim());
  return {
    parts: texts(root + ' .part-name'),
    gaps: texts(root + ' .gap h3'),
    steps: texts(root + ' .step-title, ' + root + ' .later-steps li'),
    tools: texts(root + ' .tool-name'),
    notes: texts(root + ' .note-box p, ' + root + ' .cross-border li p'),
    facts: texts(root + ' .tool p'),
    code: texts(root + ' .code'),
  };
}"""


def shown_plan(page) -> dict:
    """The plan the phone shows (built there), as the texts an owner reads."""
    page.locator("[data-action=plan]").click()
    page.wait_for_selector("#plan:not([hidden]) .part-name")
    return page.evaluate(PLAN_TEXT, "#plan")


def wait_for_sync(page, status: str, timeout: float = 30_000) -> None:
    page.wait_for_function(
        "(s) => document.querySelector('#result .sync').dataset.status === s",
        arg=status,
        timeout=timeout,
    )


def post_again(server, row: dict) -> int:
    payload = {
        "id": row["id"],
        "instrument_version": row["instrument_version"],
        "locale": row["locale"],
        "context": {k: row[k] for k in CONTEXT_KEYS},
        "answers": json.loads(row["answers"]),
        "workshop": row["workshop"],
    }
    request = urllib.request.Request(
        server.url + "/api/v1/submissions",
        json.dumps(payload).encode(),
        {"Content-Type": "application/json"},
    )
    return urllib.request.urlopen(request).status


def test_reload_answer_and_score_offline_then_send_once(own_server, browser):
    """The network cut after the first visit (the server gone: connection refused, as on a phone
    that lost the laptop's Wi-Fi). Playwright's offline switch does not reach service workers."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(own_server.url + "/en/app")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_selector("#offline-status[data-state=kept]", state="attached")
    assert page.evaluate(PRECACHED)
    # The plan's data comes once, with the service worker's precache, not also with the page.
    assert not [url for url in asked if "plan-data" in url]

    own_server.stop()
    page.reload()  # served by the service worker
    page.locator("#consent").check()
    page.locator("[data-action=start]").click()
    answer(page, seed=1, to_step=2)
    page.reload()  # offline, mid-assessment: the answers are still there
    page.wait_for_selector("section[data-step='3']:not([hidden])")
    answer(page, seed=2, from_step=3)
    submission_id, score = shown_result(page)
    wait_for_sync(page, "unreachable")  # online, but the server is gone
    assert own_server.rows() == []
    offline_plan = shown_plan(page)  # the action plan, offline too
    assert offline_plan["parts"] and offline_plan["steps"] and offline_plan["tools"]
    page.locator("[data-action=back-to-result]").click()

    own_server.start()  # back: the retry timer sends the outbox, no reload needed
    wait_for_sync(page, "sent", timeout=60_000)
    rows = own_server.rows()
    assert [(r["id"], r["overall"]) for r in rows] == [(submission_id, score)]
    assert post_again(own_server, rows[0]) == 200
    assert len(own_server.rows()) == 1
    # The plan the phone showed offline is the one the server shows.
    server_page = context.new_page()
    server_page.goto(f"{own_server.url}/en/plan/{submission_id}")
    assert server_page.evaluate(PLAN_TEXT, "main") == offline_plan
    context.close()


def test_a_server_stopped_during_sync_loses_and_doubles_nothing(own_server, browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    start(page, own_server.url + "/en/app")
    answer(page, seed=3, to_step=len(INSTRUMENT.dimensions) - 1)
    own_server.stop()
    answer(page, seed=4, from_step=len(INSTRUMENT.dimensions))
    submission_id, score = shown_result(page)
    wait_for_sync(page, "unreachable")
    own_server.start()  # the same port: the backoff timer finds it again, no reload needed
    wait_for_sync(page, "sent")
    page.reload()  # opening the app flushes the outbox again: nothing is left to send
    page.wait_for_timeout(1500)
    assert [(r["id"], r["overall"]) for r in own_server.rows()] == [(submission_id, score)]
    context.close()


def test_plain_http_on_a_lan_address_works_without_a_service_worker(own_server, playwright):
    """A workshop laptop at http://<LAN address>: not a secure context, so no service worker and no
    crypto.randomUUID. A hostname mapped to loopback gives Chromium exactly that situation."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP workshop.lan 127.0.0.1"],
    )
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    url = f"http://workshop.lan:{own_server.port}/en/app"
    start(page, url)
    assert page.evaluate("window.isSecureContext") is False
    assert (
        page.evaluate("'serviceWorker' in navigator || typeof crypto.randomUUID === 'function'")
        is False
    )
    answer(page, seed=5, to_step=2)
    page.reload()  # answers are kept in IndexedDB on a plain-http origin too
    page.wait_for_selector("section[data-step='3']:not([hidden])")
    context.set_offline(True)  # the Wi-Fi drops
    answer(page, seed=6, from_step=3)
    submission_id, score = shown_result(page)
    wait_for_sync(page, "offline")  # the phone has no internet at all
    context.set_offline(False)
    wait_for_sync(page, "sent")
    assert [(r["id"], r["overall"]) for r in own_server.rows()] == [(submission_id, score)]
    browser.close()


def test_the_app_is_installable(live_server, playwright, tmp_path):
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport=PHONE
    )
    page = context.new_page()
    page.goto(live_server.url + "/en/app")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    cdp = context.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert not manifest["errors"]
    context.close()


def test_the_phone_shows_businesses_like_yours_as_the_server_released_them(own_server, browser):
    """Once a result is sent, the phone asks for "businesses like yours" (released by the server
    from PUBLIC_MIN_GROUP in steps, rounded: the answer to the post itself carries none), shows
    them with the result and keeps them."""
    import json
    import urllib.request

    from lmcself.storage.db import connect, migrate
    from lmcself.storage.submissions import insert

    from .conftest import random_records

    first = {q.key: q.options[0].key for q in INSTRUMENT.context}
    database = connect(str(own_server.database))
    migrate(database)
    like = {key: first[key] for key in ("country", "sector", "size")}
    for other in random_records(INSTRUMENT, 14, seed=70, workshop=None, fixed=like):
        insert(database, submission_of(other))
    database.close()

    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    start(page, own_server.url + "/vi/app")
    page.wait_for_selector("section[data-step='0']:not([hidden])")
    for q in INSTRUMENT.context:
        page.locator(f"#q-{q.key} label").first.click()
    page.locator("section[data-step='0'] button[type=submit]").click()
    answer(page, seed=5, from_step=1)
    shown_result(page)
    wait_for_sync(page, "sent")
    query = "&".join(f"{k}={first[k]}" for k in ("country", "sector", "size"))
    with urllib.request.urlopen(f"{own_server.url}/api/v1/peers?{query}") as response:
        released = json.loads(response.read())["peers"]
    assert released and released["overall"] % 10 == 0  # rounded to 10 points
    peers = page.locator("#result .peers")
    peers.wait_for(state="visible")
    written = f"{released['overall']:.1f}".replace(".", ",").removesuffix(",0")  # Vietnamese
    assert f"{released['n']} cơ sở" in peers.inner_text() and written in peers.inner_text()
    page.reload()
    peers.wait_for(state="visible")  # kept on the phone with the result
    context.close()
