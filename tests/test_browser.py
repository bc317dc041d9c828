"""The flow in Debian's Chromium at 360x740 against the real server: it fits and it works."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lmcself.instrument import default_instrument

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("LMCSELF_SCREENSHOTS")


def check_page(page, name: str) -> None:
    """No horizontal scrolling on a phone, and the page says its language."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow}px wider than the screen"
    assert page.evaluate("document.documentElement.lang") == "en"
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)
        page.screenshot(path=f"{SHOTS}/{name}-screen.png")


def test_a_whole_assessment_on_a_phone(live_server, phone):
    instrument = default_instrument()
    page = phone
    page.goto(live_server.url + "/")
    assert page.url.endswith("/en/")
    check_page(page, "01-landing")

    page.get_by_role("button", name="Start").click()
    assert page.locator(".error-summary").is_visible()
    check_page(page, "02-landing-error")
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Start").click()

    assert page.url.endswith("/en/about-you")
    check_page(page, "03-context")
    for q in instrument.context:
        page.locator(f"#q-{q.key} label").first.click()
    page.get_by_role("button", name="Next").click()

    for n, dim in enumerate(instrument.dimensions, start=1):
        assert page.url.endswith(f"/en/part/{n}"), page.url
        assert page.locator("h1").inner_text() == dim.name
        if n == 1:
            # Forget one answer: the page says which, and keeps the rest.
            for q in dim.questions[:-1]:
                page.locator(f"#q-{q.key} label").nth(1).click()
            page.get_by_role("button", name="Next").click()
            assert page.locator(f"#q-{dim.questions[-1].key} .error").is_visible()
            assert page.locator(f"#q-{dim.questions[0].key} input:checked").count() == 1
            check_page(page, "04-part-error")
        # The last scored option of each question, chosen with the keyboard for one of them.
        for q in dim.questions:
            scored = [o for o in q.options if not o.dont_know]
            page.locator(f"#q-{q.key} label").nth(len(scored) - 1).click()
        check_page(page, f"05-part-{n}")
        label = "See my result" if n == len(instrument.dimensions) else "Next"
        page.get_by_role("button", name=label).click()

    assert "/en/result/" in page.url
    assert page.locator(".score .big").inner_text() == "100"
    assert page.locator("svg.chart-bar").count() == len(instrument.dimensions)
    check_page(page, "06-result")
    page.get_by_role("link", name="How is this scored?").first.click()
    check_page(page, "07-method")


def test_keyboard_only_answering(live_server, phone):
    page = phone
    page.goto(live_server.url + "/en/")
    page.get_by_label("I agree").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url("**/about-you")
    first = page.locator("fieldset input[type=radio]").first
    first.focus()
    page.keyboard.press("Space")
    assert first.is_checked()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
