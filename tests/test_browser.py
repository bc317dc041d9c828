"""The flow in Debian's Chromium at 360x740 against the real server, in every language:
it fits the screen, says its language, renders with the script's font, and shows no English."""

from __future__ import annotations

import os
import re
import unicodedata
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from lmcself.core.instrument import default_instrument
from lmcself.core.linebreak import FINAL_CONSONANT
from lmcself.web.fonts import FONTS
from lmcself.web.i18n import LOCALES

pytestmark = pytest.mark.browser
SCRIPT_LETTER = {
    "km": "[\\u1780-\\u17ff]",
    "lo": "[\\u0e80-\\u0eff]",
    "my": "[\\u1000-\\u109f]",
    "th": "[\\u0e00-\\u0e7f]",
}
SHOTS = os.environ.get("LMCSELF_SCREENSHOTS")
ROOT = Path(__file__).resolve().parent.parent
with (ROOT / "lmcself" / "translations" / "messages.pot").open("rb") as _f:
    ENGLISH = {(m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(_f) if m.id}


@cache
def glossary_latin(code: str) -> set[str]:
    """Latin words a language writes on purpose, as its glossary says ("App" in Chinese)."""
    import yaml

    path = ROOT / "lmcself" / "translations" / LOCALES[code] / "glossary.yaml"
    terms = yaml.safe_load(path.read_text(encoding="utf-8"))["terms"] if path.exists() else []
    return {w for t in terms for form in t["term"] for w in re.findall(r"[A-Za-z]+", form)}


@cache
def same_in(code: str) -> set[str]:
    """Texts whose translation is the English word itself (a country's name in Vietnamese)."""
    path = ROOT / "lmcself" / "translations" / LOCALES[code] / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        return {m.id for m in read_po(f) if m.id and m.id == m.string}


ENGLISH_WORDS = re.compile(
    r"\b(the|and|your|you|of|to|is|are|with|for|this|what|how)\b", re.IGNORECASE
)

VISIBLE_TEXT = """() => {
  const out = [[document.documentElement.lang, document.title]];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    const text = walker.currentNode.textContent.replace(/\\s+/g, ' ').trim();
    if (!text || el.closest('script, style, noscript, [translate=no]')) continue;
    // Catalog texts name services in their own Latin form (ABA PayWay, WeChat Pay) on purpose.
    out.push([el.closest('[lang]').getAttribute('lang'), text, !!el.closest('.tool, .note-box, .cross-border li')]);
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
    for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
      if (el.hasAttribute(name)) out.push([el.closest('[lang]').getAttribute('lang'), el.getAttribute(name)]);
    }
  }
  return out;
}"""


def english_left(page, code: str) -> list[str]:
    """Texts in the page's own language that are still English."""
    html_lang, same, found = LOCALES[code].replace("_", "-"), same_in(code), []
    loanwords = glossary_latin(code) if code != "en" else set()
    for lang, text, *names_services in page.evaluate(VISIBLE_TEXT):
        if lang != html_lang:
            continue  # the language switcher names each language in its own script
        if text in same:
            continue
        if any(names_services):
            # Catalog texts name services, banks and programs in their Latin form (SME Bank of
            # Cambodia, The Asia Foundation) on purpose; an untranslated one shows its English whole.
            if text in ENGLISH:
                found.append(text)
            continue
        latin_words = [
            w
            for w in re.findall(r"[A-Za-z]+", text)
            if len(w) > 2 and not w.isupper() and w not in loanwords
        ]
        if (
            text in ENGLISH
            or ENGLISH_WORDS.search(text)
            or (html_lang not in ("vi", "en") and latin_words)
        ):
            found.append(text)
    return found


LINE_STARTS = """() => {
  const starts = [];
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement.offsetParent) continue;
    let top = null;
    for (let i = 0; i < node.data.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (!rect || !rect.width) continue;
      if (top !== null && rect.top > top + 5) starts.push(node.data.slice(i, i + 4));
      top = rect.top;
    }
  }
  return starts;
}"""


def broken_syllables(page, code: str) -> list[str]:
    """Lines that start inside a syllable: with a vowel sign or other mark, or (Burmese) with a
    final consonant, which belongs to the syllable before it."""
    bad = []
    for start in page.evaluate(LINE_STARTS):
        start = start.lstrip("\u2060\u200b")
        if start and (
            unicodedata.category(start[0]) in ("Mn", "Mc")
            or (code == "my" and FINAL_CONSONANT.match(start))
        ):
            bad.append(start)
    return bad


def fonts_used(page, selector: str) -> list[dict]:
    """The fonts Chromium really drew the element's text with (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return fonts


STATUS_LOG = """() => {
  window.statusLog = [];
  const line = document.querySelector('#result .sync');
  new MutationObserver(() => window.statusLog.push(line.dataset.status))
    .observe(line, { attributes: true, attributeFilter: ['data-status'] });
}"""


def check_page(page, code: str, name: str) -> None:
    # After a click that navigates, the new address can be committed before its document is
    # parsed (documentElement is null then, seen on a loaded CI machine).
    page.wait_for_load_state("domcontentloaded")
    html_lang = LOCALES[code].replace("_", "-")
    assert page.evaluate("document.documentElement.lang") == html_lang
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{code} {name}: {overflow}px wider than the screen"
    if code != "en":
        assert english_left(page, code) == [], f"{code} {name}: English left on the page"
    if code in FONTS:
        assert broken_syllables(page, code) == [], f"{code} {name}: a line breaks inside a syllable"
        family = FONTS[code].family
        page.evaluate("document.fonts.ready")
        loaded = page.evaluate(
            "(family) => [...document.fonts].some(f => f.family.replaceAll('\"', '') === family && f.status === 'loaded')",
            family,
        )
        assert loaded, f"{code} {name}: {family} did not load"
        # the first heading on screen in the page's script (the one-page app keeps its other
        # steps hidden; a staff room's title is a code and a name typed by the trainer)
        page.evaluate(
            "(script) => { document.querySelectorAll('[data-probe]').forEach(h => delete h.dataset.probe);"
            "[...document.querySelectorAll('h1, h2')].find(h => h.offsetParent && new RegExp(script).test(h.textContent)).dataset.probe = '1' }",
            SCRIPT_LETTER[code],
        )
        used = fonts_used(page, "[data-probe]")
        script_font = max(used, key=lambda f: f["glyphCount"])
        assert script_font["isCustomFont"] and family in script_font["familyName"], used
    for other in (c for c in FONTS if c in LOCALES):
        # Every page names each language in its own script, drawn with the app's own tiny font,
        # so an owner whose phone lacks the script can still find their language.
        link = f'.langs a[hreflang="{LOCALES[other]}"]'
        used = max(fonts_used(page, link), key=lambda f: f["glyphCount"])
        assert used["isCustomFont"] and FONTS[other].family in used["familyName"], (
            code,
            other,
            used,
        )
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{code}-{name}.png", full_page=True)
        page.screenshot(path=f"{SHOTS}/{code}-{name}-screen.png")


def choose(page, question, index: int) -> None:
    page.locator(f"#q-{question.key} label").nth(index).click()


def next_button(page):
    return page.locator(".nav-buttons button:not([name=back])")


@pytest.mark.parametrize("code", LOCALES)
def test_a_whole_assessment_without_javascript(live_server, old_phone, code):
    instrument = default_instrument()
    page = old_phone
    page.goto(f"{live_server.url}/{code}/")
    check_page(page, code, "01-landing")

    page.locator("form button[type=submit]").click()
    assert page.locator(".error-summary").is_visible()
    check_page(page, code, "02-landing-error")
    page.locator("#consent").check()
    page.locator("form button[type=submit]").click()

    assert page.url.endswith(f"/{code}/about-you")
    check_page(page, code, "03-context")
    for q in instrument.context:
        choose(page, q, 0)
    next_button(page).click()

    for n, dim in enumerate(instrument.dimensions, start=1):
        assert page.url.endswith(f"/{code}/part/{n}"), page.url
        if n == 1:
            # Forget one answer: the page says which, in the owner's language, and keeps the rest.
            for q in dim.questions[:-1]:
                choose(page, q, 1)
            next_button(page).click()
            assert page.locator(f"#q-{dim.questions[-1].key} .error").is_visible()
            assert page.locator(f"#q-{dim.questions[0].key} input:checked").count() == 1
            check_page(page, code, "04-part-error")
        while True:  # 2.0: an answer that opens a question shows the page again with it
            for i, q in enumerate(dim.questions):
                if not page.locator(f"#q-{q.key}").count():
                    continue  # not asked: its condition does not hold
                scored = [o for o in q.options if not o.dont_know]
                choose(page, q, (n + i) % len(scored))  # a mixed result: strong and weak parts
            if n == 1:
                check_page(page, code, "05-part-1")
            next_button(page).click()
            if not page.url.endswith(f"/{code}/part/{n}"):
                break
    if instrument.unscored:  # 2.0: the unscored questions, last
        assert page.url.endswith(f"/{code}/part/{len(instrument.dimensions) + 1}"), page.url
        for q in instrument.unscored:
            choose(page, q, 0)
        next_button(page).click()

    assert f"/{code}/result/" in page.url
    assert page.locator("svg.chart-bar").count() == len(instrument.dimensions)
    assert page.locator(".score .big").inner_text().isdigit()
    check_page(page, code, "06-result")
    page.locator("main a.button").click()
    assert f"/{code}/plan/" in page.url
    assert page.locator(".part-name").count() == len(instrument.dimensions)
    assert page.locator(".tool-name").count() >= 2
    check_page(page, code, "08-plan")
    page.locator("footer a").first.click()
    check_page(page, code, "07-method")


@pytest.mark.parametrize("code", LOCALES)
def test_the_one_page_app(live_server, phone, code):
    """With JavaScript: the same questions on one page, the result drawn on the phone."""
    instrument = default_instrument()
    page = phone
    page.goto(f"{live_server.url}/{code}/")
    page.locator("#consent").check()
    page.locator("form button[type=submit]").click()
    page.wait_for_selector("section[data-step='0']:not([hidden])")
    assert page.url.endswith(f"/{code}/app")  # ?consent=1 is taken once, then dropped
    check_page(page, code, "11-app-context")
    for q in instrument.context:
        choose(page, q, 0)
    page.locator("section[data-step='0'] button[type=submit]").click()
    for n, dim in enumerate(instrument.dimensions, start=1):
        section = f"section[data-step='{n}']"
        page.wait_for_selector(section + ":not([hidden])")
        if n == 1:
            page.locator(section + " button[type=submit]").click()
            assert page.locator(f"{section} .error-summary").is_visible()
            assert page.locator(f"#q-{dim.questions[0].key} .error").is_visible()
            check_page(page, code, "12-app-error")
        for i, q in enumerate(dim.questions):
            if not page.locator(f"#q-{q.key}").is_visible():
                continue  # 2.0: not asked while its condition does not hold
            choose(page, q, (n + i) % len([o for o in q.options if not o.dont_know]))
        if n == len(instrument.dimensions) and not instrument.unscored:
            page.evaluate(STATUS_LOG)
        page.locator(section + " button[type=submit]").click()
    if instrument.unscored:  # 2.0: the unscored questions, last
        section = f"section[data-step='{len(instrument.dimensions) + 1}']"
        page.wait_for_selector(section + ":not([hidden])")
        for q in instrument.unscored:
            choose(page, q, 0)
        page.evaluate(STATUS_LOG)
        page.locator(section + " button[type=submit]").click()
    page.wait_for_selector("#result:not([hidden])")
    page.wait_for_function(
        "() => document.querySelector('#result .sync').dataset.status === 'sent'"
    )
    # Online, the owner never reads "no connection": saved on the phone, then sending, then sent.
    statuses = page.evaluate("window.statusLog")
    assert statuses[0] == "saved" and statuses[-1] == "sent", statuses
    assert not {"offline", "unreachable", "retrying"} & set(statuses), statuses
    submission_id = page.locator("#result").get_attribute("data-id")
    stored = live_server.rows(
        "SELECT overall, locale FROM submissions WHERE id = ?", [submission_id]
    )
    assert stored == [{"overall": int(page.locator("#result .big").inner_text()), "locale": code}]
    check_page(page, code, "13-app-result")
    page.locator("[data-action=plan]").click()
    page.wait_for_selector("#plan:not([hidden]) .part-name")
    assert page.locator("#plan .part-name").count() == len(instrument.dimensions)
    check_page(page, code, "14-app-plan")


def test_keyboard_only_answering(live_server, old_phone):
    page = old_phone
    page.goto(live_server.url + "/en/")
    page.locator("#consent").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url("**/about-you")
    first = page.locator("fieldset input[type=radio]").first
    first.focus()
    page.keyboard.press("Space")
    assert first.is_checked()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"


@pytest.fixture(scope="module")
def staff_on_live_server(live_server):
    """A staff member and a workshop of 12 (released from PUBLIC_MIN_GROUP, 10) on the shared live server's database."""
    from lmcself.staff.accounts import add_user
    from lmcself.storage.db import connect, migrate
    from lmcself.storage.submissions import insert

    from .conftest import random_records, submission_of

    database = connect(str(live_server.database))
    migrate(database)
    add_user(database, "browser-trainer", "correct horse battery", "staff")
    database["workshops"].insert(
        {"code": "SHOW-1", "name": "Battambang", "country": "KH", "held_on": "2026-11-28"}
    )
    for record in random_records(default_instrument(), 12, seed=40, workshop="SHOW-1"):
        insert(database, submission_of(record))
    database.close()
    return "browser-trainer"


@pytest.mark.parametrize("code", LOCALES)
def test_the_staff_pages(live_server, phone, code, staff_on_live_server):
    page = phone
    page.goto(f"{live_server.url}/{code}/staff/login")
    check_page(page, code, "21-staff-login")
    page.fill("#name", staff_on_live_server)
    page.fill("#password", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_selector("table.staff-table")
    check_page(page, code, "22-staff-home")
    for path, chart, name in [
        ("workshops/SHOW-1", True, "23-staff-room"),
        ("workshops/SHOW-1/qr", False, "24-staff-qr"),
        ("dashboard", True, "25-staff-dashboard"),
        ("report", True, "26-staff-report"),
        ("exports", False, "27-staff-exports"),
    ]:
        page.goto(f"{live_server.url}/{code}/staff/{path}")
        if chart:
            page.wait_for_selector(".chart, .chart-svg")
        check_page(page, code, name)
