"""The Content-Security-Policy in Chromium: no violation on any page, in every language, with the
service worker still working; and the app page that never ticks consent from its address."""

from __future__ import annotations

import pytest

from lmcself.core.instrument import default_instrument
from lmcself.web.i18n import LOCALES

from .conftest import random_records, submission_of

pytestmark = pytest.mark.browser
STAFF = ("csp-staff", "a long staff passphrase")
# Every violation, also those Chromium does not print: the page reports them to this list.
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber);
});
"""


@pytest.fixture(scope="module")
def csp_data(live_server):
    """A staff account, a workshop and a stored result on the shared live server."""
    from lmcself.staff.accounts import add_user
    from lmcself.storage.db import connect, migrate
    from lmcself.storage.submissions import insert

    database = connect(str(live_server.database))
    migrate(database)
    add_user(database, *STAFF, "staff")
    database["workshops"].insert(
        {"code": "CSP-1", "name": "Pakse", "country": "LA", "held_on": "2026-11-28"},
        ignore=True,
    )
    records = random_records(default_instrument(), 6, seed=77, workshop="CSP-1")
    for record in records:
        insert(database, submission_of(record))
    database.close()
    return records[0]["id"]


def violations(page) -> list[str]:
    return page.evaluate("window.__csp || []")


@pytest.mark.parametrize("code", LOCALES)
def test_no_csp_violation_on_any_page(live_server, browser, code, csp_data):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    context.add_init_script(LISTEN)
    page = context.new_page()
    console: list[str] = []
    page.on(
        "console",
        lambda m: (
            console.append(m.text)
            if "Content Security Policy" in m.text or "Permissions-Policy" in m.text
            else None
        ),
    )
    seen: dict[str, list[str]] = {}

    def visit(path: str, name: str, wait: str | None = None) -> None:
        page.goto(f"{live_server.url}{path}")
        if wait:
            page.wait_for_selector(wait)
        page.wait_for_load_state("load")
        seen[name] = violations(page)

    base = f"/{code}"
    visit(f"{base}/", "landing")
    # The server-rendered questionnaire: the landing form without the script's handler.
    page.evaluate(
        "() => { const f = document.querySelector('form[data-app-url]');"
        " const c = f.cloneNode(true); f.replaceWith(c); }"
    )
    page.locator("#consent").check()
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"**{base}/about-you")
    seen["questionnaire"] = violations(page)
    visit(f"{base}/app", "app", "section[data-step]")
    # The service worker still registers and takes control under the policy.
    assert page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)"), "no service worker"
    seen["app-after-worker"] = violations(page)
    visit(f"{base}/result/{csp_data}", "result", ".chart")
    visit(f"{base}/plan/{csp_data}", "plan")
    visit(f"{base}/method", "method")
    visit(f"{base}/staff/login", "staff-login")
    page.fill("#name", STAFF[0])
    page.fill("#password", STAFF[1])
    page.click("button[type=submit]")
    page.wait_for_selector("table.staff-table")
    seen["staff-home"] = violations(page)
    for path in ("workshops/CSP-1", "workshops/CSP-1/qr", "dashboard", "report", "exports"):
        visit(f"{base}/staff/{path}", path)
    context.close()
    assert {name: v for name, v in seen.items() if v} == {}
    assert console == []


def test_the_app_page_never_ticks_consent_from_its_address(live_server, phone):
    page = phone
    page.goto(f"{live_server.url}/en/app?consent=1")
    page.wait_for_selector("section[data-step='start']:not([hidden])")
    assert not page.locator("#consent").is_checked()
    assert page.locator("section[data-step='0']").is_hidden()
    # Ticking the box on the landing page still opens the questions at once.
    page.goto(f"{live_server.url}/en/")
    page.locator("#consent").check()
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/en/app")
    page.wait_for_selector("section[data-step='0']:not([hidden])")
