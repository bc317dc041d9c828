"""Every offline promise, in every language, on both ways a phone meets the app:

- "sw": a secure origin (HTTPS, or the laptop itself), where the service worker keeps the app for
  an offline reload;
- "lan": plain HTTP on a workshop laptop's address, where browsers allow no service worker
  (emulated with Playwright's `service_workers="block"`): the page keeps answers, the outbox and
  the plan's data itself, and everything but an offline reload works the same.

Each test comes through a `Gate` of its own (a fresh origin in front of the shared live server)
and cuts it to take the server away, as when a phone loses the laptop's Wi-Fi.
"""

from __future__ import annotations

import json
import os
import random
import urllib.request
from pathlib import Path

import pytest

from lmcself.core.instrument import default_instrument
from lmcself.web.i18n import LOCALES

from .conftest import PHONE

pytestmark = pytest.mark.browser
INSTRUMENT = default_instrument()
LANGS = list(LOCALES)
PATHS = ["sw", "lan"]
SHOTS = os.environ.get("LMCSELF_SCREENSHOTS")

# The app page, the plan's data and the language's own font are in the service worker's cache.
KEPT_BY_WORKER = """async ([lang, font]) => {
  for (const key of await caches.keys()) {
    const cache = await caches.open(key);
    const urls = (await cache.keys()).map(r => new URL(r.url).pathname);
    if ([`/${lang}/app`, `/${lang}/plan-data.json`].every(u => urls.includes(u))
        && (!font || urls.some(u => u.endsWith(font)))) return true;
  }
  return false;
}"""
# The plan's data is in the page's own storage (IndexedDB), where no service worker keeps it.
# (Read without creating the database: the app must make it, with its store, itself.)
KEPT_BY_PAGE = """async (lang) => await new Promise((resolve) => {
  const open = indexedDB.open('lmcself');
  open.onupgradeneeded = () => { open.transaction.abort(); };
  open.onsuccess = () => {
    const get = open.result.transaction('kv').objectStore('kv').get('plan-data:' + lang);
    get.onsuccess = () => { open.result.close(); resolve(!!get.result); };
  };
  open.onerror = () => resolve(false);
})"""
# The step the page has kept in IndexedDB for the assessment under way.
KEPT_STEP = """async () => await new Promise((resolve) => {
  const open = indexedDB.open('lmcself');
  open.onsuccess = () => {
    const get = open.result.transaction('kv').objectStore('kv').get('current');
    get.onsuccess = () => { open.result.close(); resolve(get.result ? get.result.step : null); };
  };
})"""
# Answer the visible step (one label per question, chosen by the seed) and go on: through the
# page's own controls, in one round trip to the browser.
ANSWER_STEP = """([step, seed]) => {
  let x = seed;
  const section = document.querySelector(`#assess section[data-step="${step}"]`);
  for (const q of section.querySelectorAll('fieldset.question')) {
    const labels = q.querySelectorAll('label');
    x = (x * 1103515245 + 12345) % 2147483648;
    labels[x % labels.length].click();
  }
  section.querySelector('button[type=submit]').click();
}"""
PLAN_TEXT = r"""(root) => {
  const texts = (sel) => [...document.querySelectorAll(sel)].map(e => e.textContent.replace(/\s+/g, ' ').trim());
  return {
    meta: texts(root + ' .meta'),
    parts: texts(root + ' .part-name'),
    gaps: texts(root + ' .gap h3'),
    steps: texts(root + ' .step-title, ' + root + ' .later-steps li'),
    tools: texts(root + ' .tool'),
    notes: texts(root + ' .note-box, ' + root + ' .cross-border h2, ' + root + ' .cross-border p'),
    code: texts(root + ' .code, ' + root + ' .url'),
  };
}"""
# Links an owner taps: language links, plan sources, the footer, the brand.
TAP_TARGETS = """(root) => [...document.querySelectorAll(
    `.langs a, ${root} .source a, .foot a, .brand`)]
  .filter(a => a.offsetParent)
  .map(a => { const r = a.getBoundingClientRect(); return [a.textContent.trim(), Math.round(r.width), Math.round(r.height)]; })
  .filter(([, w, h]) => w < 44 || h < 44)"""


def phone_context(browser, path: str):
    return browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        service_workers="block" if path == "lan" else "allow",
    )


def strings(page) -> dict[str, str]:
    return json.loads(page.locator("#lmc-data").text_content())["strings"]


def font_file(lang: str) -> str | None:
    from lmcself.web.fonts import FONTS

    return FONTS[lang].file(400) if lang in FONTS else None


def wait_until_kept(page, lang: str, path: str) -> None:
    """The first visit is over when the app is kept for offline use, and nothing says otherwise."""
    if path == "sw":
        page.wait_for_selector("#offline-status[data-state=kept]", state="attached")
        font = font_file(lang)
        assert page.evaluate(KEPT_BY_WORKER, [lang, font and Path(font).name])
    else:
        page.wait_for_function(KEPT_BY_PAGE, arg=lang, polling=100)
    assert page.locator("#offline-status").is_hidden()
    assert page.locator("#app-error").is_hidden()


def answer(page, steps: range, seed: int) -> None:
    for step in steps:
        page.wait_for_selector(f"#assess section[data-step='{step}']:not([hidden])")
        page.evaluate(ANSWER_STEP, [step, seed + step])


def sync_status(page, status: str) -> None:
    page.wait_for_function(
        "(s) => document.querySelector('#result .sync').dataset.status === s", arg=status
    )


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)
        page.screenshot(path=f"{SHOTS}/{name}-screen.png")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("way", ["landing", "start_url"])
@pytest.mark.parametrize("lang", LANGS)
def test_a_first_visit_keeps_the_app(browser, gate, lang, way, path):
    """By the landing page (a QR code, a typed address) or by the manifest's start address (the
    installed app, a shared link): the app is kept for offline use at once."""
    context = phone_context(browser, path)
    page = context.new_page()
    if way == "landing":
        page.goto(f"{gate.url}/{lang}/")
        page.locator("#consent").check()
        page.locator("form button[type=submit]").click()
        page.wait_for_selector("#assess section[data-step='0']:not([hidden])")
        assert page.url == f"{gate.url}/{lang}/app"  # "consent=1" is taken once, then dropped
    else:
        manifest = json.load(urllib.request.urlopen(f"{gate.url}/{lang}/manifest.webmanifest"))
        page.goto(gate.url + manifest["start_url"])
        page.wait_for_selector("#assess section[data-step='start']:not([hidden])")
    wait_until_kept(page, lang, path)
    if path == "sw":
        gate.cut()
        page.reload()  # from the service worker's cache: the server is gone
        page.wait_for_selector("#assess section:not([hidden])")
        assert page.evaluate("document.documentElement.lang") == LOCALES[lang].replace("_", "-")
    context.close()


def test_a_failed_precache_is_shown_and_tried_again(browser, gate):
    """Cache.addAll refuses a whole list when one address fails: the owner is told the app is not
    kept yet, and it is tried again when the phone comes back online."""
    context = phone_context(browser, "sw")
    context.route("**/plan-data.json", lambda route: route.abort())
    page = context.new_page()
    page.goto(f"{gate.url}/km/app")
    notice = page.locator("#offline-status")
    notice.wait_for(state="visible")
    assert notice.inner_text() == strings(page)["precache_failed"]
    assert page.evaluate(KEPT_BY_WORKER, ["km", None]) is False
    context.unroute("**/plan-data.json")
    context.set_offline(True)
    context.set_offline(False)  # the "online" event: try again now
    wait_until_kept(page, "km", "sw")
    context.close()


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("lang", LANGS)
def test_offline_answers_result_plan_and_one_row_after_reconnect(
    browser, gate, live_server, lang, path
):
    context = phone_context(browser, path)
    page = context.new_page()
    page.goto(f"{gate.url}/{lang}/app")
    wait_until_kept(page, lang, path)
    texts = strings(page)
    page.locator("#consent").check()
    page.locator("[data-action=start]").click()
    seed = random.Random(lang + path).randrange(1000)
    parts = len(INSTRUMENT.dimensions)
    answer(page, range(0, 3), seed)
    page.wait_for_function(f"async () => (await ({KEPT_STEP})()) === 3", polling=100)

    # The laptop goes away; the phone keeps its internet (or has none: see below).
    if path == "sw":
        gate.cut()
        page.reload()  # offline: answers and the step are still there
    else:
        page.reload()  # (no offline reload without a service worker)
        gate.cut()
    page.wait_for_selector("#assess section[data-step='3']:not([hidden])")
    steps = parts + (1 if INSTRUMENT.unscored else 0)  # 2.0: then the unscored questions
    answer(page, range(3, steps + 1), seed)
    page.wait_for_selector("#result:not([hidden])")
    submission_id = page.locator("#result").get_attribute("data-id")
    # Online, but the server does not answer: the owner is told so, not "no internet".
    sync_status(page, "unreachable")
    assert page.locator("#result .sync").inner_text() == texts["unreachable"]
    context.set_offline(True)
    sync_status(page, "offline")
    assert page.locator("#result .sync").inner_text() == texts["offline"]

    # The plan, offline.
    page.locator("[data-action=plan]").click()
    page.wait_for_selector("#plan:not([hidden]) .part-name")
    assert page.locator("#app-error").is_hidden()
    offline_plan = page.evaluate(PLAN_TEXT, "#plan")
    assert len(offline_plan["parts"]) == parts
    assert page.evaluate(TAP_TARGETS, "#plan") == []
    shot(page, f"{lang}-{path}-offline-plan")
    page.locator("[data-action=back-to-result]").click()
    page.wait_for_selector("#result:not([hidden])")

    # A reload after finishing (a restored tab may still carry ?consent=1) shows the result.
    page.evaluate("history.replaceState(null, '', location.pathname + '?consent=1')")
    if path == "lan":
        context.set_offline(False)
        gate.restore()
    page.reload()
    page.wait_for_selector("#result:not([hidden])")
    assert page.locator("#result").get_attribute("data-id") == submission_id
    assert page.locator("#assess").is_hidden()
    shot(page, f"{lang}-{path}-result-after-reload")

    # Back online: sent by itself, exactly once.
    context.set_offline(False)
    gate.restore()
    sync_status(page, "sent")
    assert page.locator("#result .sync").inner_text() == texts["sent"]
    rows = live_server.rows("SELECT id, locale FROM submissions WHERE id = ?", [submission_id])
    assert [r["id"] for r in rows] == [submission_id]
    page.reload()  # opening the app sends the outbox again: nothing is left in it
    page.wait_for_selector("#result:not([hidden])")
    page.locator("[data-action=new]").click()
    page.locator("#assess .last-result").wait_for(state="visible")  # "See your last result"
    assert len(live_server.rows("SELECT id FROM submissions WHERE id = ?", [submission_id])) == 1

    # The plan the phone showed offline is the plan the server shows, in the owner's language.
    server = context.new_page()
    server.goto(f"{gate.url}/{lang}/plan/{submission_id}")
    server_plan = server.evaluate(PLAN_TEXT, "main")
    server_plan["code"] = [t.replace(gate.url, "") for t in server_plan["code"]]
    offline_plan["code"] = [t.replace(gate.url, "") for t in offline_plan["code"]]
    assert offline_plan == server_plan
    assert server.evaluate(TAP_TARGETS, "main") == []
    context.close()
