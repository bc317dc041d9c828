"""The phone writes a result's date exactly as the server does, in every language."""

from __future__ import annotations

import json

import pytest

from lmcself.web.i18n import LOCALES

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("code", LOCALES)
def test_the_phone_and_the_server_write_dates_alike(app, live_server, phone, code):
    from flask import g

    from lmcself.web.i18n import format_iso_date

    days = ["2026-11-28", "2027-01-05", "2026-02-01"]
    with app.test_request_context():
        g.lang = code
        expected = [format_iso_date(d) for d in days]
    page = phone
    page.goto(f"{live_server.url}/{code}/app")
    data = json.loads(page.locator("#lmc-data").text_content())
    got = page.evaluate(
        "([spec, days]) => days.map(d => lmcFormatDate(spec, d))", [data["date"], days]
    )
    assert got == expected
