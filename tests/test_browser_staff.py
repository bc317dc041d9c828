"""The staff views of issue 17 in Debian's Chromium at 360, 1280 and 1920 px, in every language:
nothing wider than the screen, every chart with its table, no English left (check_page),
filters kept in the URL; at laptop width the filters in one compact bar and results side by
side; the room view on a projector in large type beside its QR code, refreshed without reload."""

from __future__ import annotations

from datetime import date

import pytest

from lmcself.core.instrument import default_instrument
from lmcself.web.i18n import LOCALES

from .test_browser import check_page

pytestmark = pytest.mark.browser
WIDTHS = {360: 740, 1280: 800, 1920: 1080}
NAME, PASSWORD = "views-staff", "correct horse battery"


@pytest.fixture(scope="module")
def views_data(live_server):
    """A staff member and 240 submissions over five months, 60 of them in workshop VIEW-1."""
    from lmcself.staff.accounts import add_user
    from lmcself.storage.db import connect, migrate
    from lmcself.storage.submissions import insert

    from .conftest import random_records, submission_of

    database = connect(str(live_server.database))
    migrate(database)
    add_user(database, NAME, PASSWORD, "staff")
    database["workshops"].insert(
        {"code": "VIEW-1", "name": "Luang Prabang", "country": "LA", "held_on": "2026-11-20"}
    )
    instrument = default_instrument()
    records = [
        *random_records(instrument, 180, seed=90, workshop=None, start=date(2026, 7, 1), days=120),
        *random_records(instrument, 60, seed=91, workshop="VIEW-1", start=date(2026, 11, 20)),
    ]
    for record in records:
        insert(database, submission_of(record))
    database.close()
    return NAME


def signed_in(browser, live_server, code: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": WIDTHS[width]})
    page = context.new_page()
    page.goto(f"{live_server.url}/{code}/staff/login")
    page.fill("#name", NAME)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("table.staff-table")
    return context, page


def every_chart_has_its_table(page) -> None:
    panels = page.locator("figure.panel")
    assert panels.count() >= 4
    for i in range(panels.count()):
        panel = panels.nth(i)
        assert panel.locator("table").count() >= 1, panel.get_attribute("id")
        svg = panel.locator("svg.chart-svg")
        if svg.count():
            assert svg.locator("title").text_content().strip()
            assert svg.get_attribute("role") == "img"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("code", LOCALES)
def test_the_dashboard_fits_the_screen_in_use(browser, live_server, views_data, code, width):
    context, page = signed_in(browser, live_server, code, width)
    try:
        page.goto(f"{live_server.url}/{code}/staff/dashboard?by=country&step=quarter")
        page.wait_for_selector(".chart-svg")
        check_page(page, code, f"30-dashboard-{width}")
        every_chart_has_its_table(page)
        bar = page.locator(".filter-bar").bounding_box()
        assert bar
        if width >= 1280:
            # the filters in a compact bar, two charts side by side
            assert bar["height"] < 260, bar
            levels = page.locator("#chart-levels").bounding_box()
            compare = page.locator("#chart-compare").bounding_box()
            assert levels and compare and abs(levels["y"] - compare["y"]) < 2
        # a filter chosen is kept in the URL, and the page shows it chosen
        page.select_option("#f-by", "workshop")
        page.select_option("#f-step", "month")
        page.locator(".filter-bar button[type=submit]").click()
        page.wait_for_url("**by=workshop**")
        assert "step=month" in page.url
        assert page.locator("#f-by").input_value() == "workshop"
        shared = page.url
        page.goto(shared)  # as a colleague would open it
        assert page.locator("#f-by").input_value() == "workshop"
        assert page.locator("#f-step").input_value() == "month"
        page.goto(f"{live_server.url}/{code}/staff/report")
        page.wait_for_selector("#r-period")
        check_page(page, code, f"31-report-{width}")
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("code", LOCALES)
def test_the_room_view_on_a_projector(browser, live_server, views_data, code, width):
    context, page = signed_in(browser, live_server, code, width)
    try:
        page.goto(f"{live_server.url}/{code}/staff/workshops/VIEW-1")
        page.wait_for_selector("#room-figures .chart")
        check_page(page, code, f"32-room-{width}")
        qr = page.locator(".room-qr svg").bounding_box()
        figures = page.locator("#room-figures").bounding_box()
        assert qr and figures
        if width >= 1280:
            assert qr["x"] >= figures["x"] + figures["width"] - 1  # beside, not under
        if width == 1920:
            size = page.evaluate(
                "parseFloat(getComputedStyle(document.querySelector('#room-figures')).fontSize)"
            )
            assert size >= 24
            assert qr["width"] >= 300
    finally:
        context.close()


def test_the_room_view_refreshes_without_a_reload(browser, live_server, views_data):
    context, page = signed_in(browser, live_server, "en", 1920)
    try:
        page.goto(f"{live_server.url}/en/staff/workshops/VIEW-1")
        page.evaluate("window.stillHere = true")
        with page.expect_response(lambda r: "/workshops/VIEW-1" in r.url, timeout=30_000):
            pass
        page.wait_for_timeout(500)
        assert page.evaluate("window.stillHere") is True  # fetched and swapped, not reloaded
        assert page.locator("#room-figures .chart").count() == 1
    finally:
        context.close()


A4_TEXT_WIDTH = 718  # A4's 210 mm less Chromium's default print margins (10 mm each), in CSS px


@pytest.mark.parametrize("code", LOCALES)
def test_the_dashboard_and_the_report_print_on_clean_a4_pages(
    browser, live_server, views_data, code, tmp_path
):
    """Printed (the print stylesheet): no controls, no download links, nothing wider than the
    paper, every chart's figures on the page; the PDF Chromium prints is A4."""
    import subprocess

    context, page = signed_in(browser, live_server, code, 1280)
    try:
        for path in ("dashboard?by=country&step=quarter", "report"):
            page.goto(f"{live_server.url}/{code}/staff/{path}")
            page.emulate_media(media="print")
            page.set_viewport_size({"width": A4_TEXT_WIDTH, "height": 1000})
            for hidden in (".top", ".filter-bar", ".downloads", ".compare-pick"):
                shown = page.locator(hidden).evaluate_all(
                    "els => els.filter(e => e.getClientRects().length > 0).length"
                )
                assert shown == 0, (path, hidden)
            wide = page.evaluate(
                """(limit) => [...document.querySelectorAll('main *')]
                     .filter(e => e.getClientRects().length
                                  && e.getBoundingClientRect().right > limit + 1)
                     .map(e => [e.tagName, e.getAttribute('class'),
                                 e.closest('[id]') && e.closest('[id]').id,
                                 Math.round(e.getBoundingClientRect().right)].join(' '))
                     .slice(0, 5)""",
                A4_TEXT_WIDTH,
            )
            assert wide == [], (path, wide)
            clipped = page.evaluate(
                """() => [...document.querySelectorAll('main *')]
                     .filter(e => e.getClientRects().length && e.clientWidth > 1
                                  && e.scrollWidth > e.clientWidth + 1
                                  && getComputedStyle(e).overflowX !== 'visible')
                     .map(e => [e.tagName, e.getAttribute('class'),
                                 e.closest('[id]') && e.closest('[id]').id].join(' '))
                     .slice(0, 5)"""
            )
            assert clipped == [], (path, clipped)  # a scroll box would cut a table on paper
            pdf = tmp_path / f"{code}-{path.split('?')[0]}.pdf"
            pdf.write_bytes(page.pdf(format="A4", print_background=True))
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
            assert "(A4)" in info, info
            text = subprocess.run(
                ["pdftotext", str(pdf), "-"], capture_output=True, text=True
            ).stdout
            assert "PNG" not in text and "CSV" not in text, path  # no download links printed
    finally:
        context.close()
