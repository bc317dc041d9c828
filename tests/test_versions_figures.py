"""Both questionnaire versions side by side in the staff figures (issue 16): the dashboard, its
downloads, the situation report and the aggregate export count one version, pool only the parts
the method makes comparable (2.0's `comparable_with`: presence with 1.0) across versions, say so,
and count the checks on the other version that are not in the figures. A pooled figure is a new
released figure: attacks set it beside each version's own figures."""

from __future__ import annotations

import csv
import io
import random
import re
import uuid
from datetime import date

import pytest

from lmcself.core.instrument import VERSIONS, instrument_for
from lmcself.storage.figures import dashboard, other_versions, pooled, pooled_parts
from lmcself.web.i18n import LOCALES

from .conftest import PASSWORD, make_submission, memory_database, sign_in, store

V1, V2 = instrument_for("1.0"), instrument_for("2.0")
K = 5


def checks(instrument, n: int, seed: int, country: str, day: date = date(2026, 11, 3)) -> list:
    """n checks of a version in a country with random answers."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        context = {q.key: rnd.choice(q.options).key for q in instrument.context}
        context["country"] = country
        answers = {q.key: rnd.choice(q.options).key for q in instrument.questions}
        ident = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        out.append(make_submission(instrument, ident, "en", context, answers, None, day))
    return out


def presence(check) -> int:
    return next(d["score"] for d in check.scores["dimensions"] if d["key"] == "presence")


def test_only_presence_is_comparable_and_it_pools_both_versions():
    assert VERSIONS == ("1.0", "2.0")
    assert pooled_parts(V2) == {"presence": ("2.0", "1.0")}
    assert pooled_parts(V1) == {"presence": ("1.0", "2.0")}


def test_pooled_presence_is_the_average_over_both_versions_and_the_rest_per_version():
    new = checks(V2, 12, 1, "VN") + checks(V2, 8, 2, "TH")
    old = checks(V1, 7, 3, "VN") + checks(V1, 6, 4, "KH")
    db = memory_database(new + old)
    found = pooled(db, V2, "country", K)
    vn = [c for c in new + old if c.context["country"] == "VN"]
    assert found.groups["VN"]["presence"] == round(sum(map(presence, vn)) / len(vn), 1)
    # TH has no 1.0 checks: its pooled presence is its 2.0 one
    own = {g.value: g for g in dashboard(db, V2, "country", K).groups}
    assert found.groups["TH"]["presence"] == own["TH"].dimensions["presence"]
    every = new + old
    assert found.whole["presence"] == round(sum(map(presence, every)) / len(every), 1)
    # KH only answered 1.0: no row of 2.0's (counted among the checks on 1.0 instead)
    assert "KH" not in found.groups
    assert other_versions(db, V2, K) == {"1.0": 13}
    assert other_versions(db, V1, K) == {"2.0": 20}
    assert other_versions(db, V2, K, {"country": "TH"}) == {}


@pytest.mark.parametrize("protect", [False, True])
def test_pooled_minus_per_version_never_gives_one_business_away(protect):
    """One business on 1.0 in VN beside twelve on 2.0: the pooled VN presence minus 2.0's
    VN presence would be that business's score. It is hidden, and so is every pooled figure
    of which a version's share is hidden in that version's own view."""
    new = checks(V2, 12, 11, "VN") + checks(V2, 9, 12, "TH")
    lone = checks(V1, 1, 13, "VN")
    db = memory_database(new + lone)
    found = pooled(db, V2, "country", K, protect=protect)
    assert found.groups["VN"]["presence"] is None
    assert found.groups["TH"]["presence"] is not None  # nothing of 1.0 in it
    assert found.whole["presence"] is None  # all minus 2.0's all is the lone one too
    assert other_versions(db, V2, K, protect=protect) == {"1.0": None}
    # nor through a filter: the pooled figures of VN alone
    only_vn = pooled(db, V2, "sector", K, {"country": "VN"}, protect=protect)
    assert only_vn.whole["presence"] is None
    assert all(v["presence"] is None for v in only_vn.groups.values() if v)


def test_a_protected_pooled_average_does_not_give_one_businesss_score_back():
    """k businesses on 1.0 in VN, the attacker knowing all but one: pooled (released) and 2.0's
    own (released) presence give the 1.0 sum by difference, from which the target's score is
    estimated. The cell key method makes that estimate miss by 5 points or more."""
    missed, trials = 0, 60
    for trial in range(trials):
        new = checks(V2, 10, 100 + trial, "VN") + checks(V2, 10, 300 + trial, "TH")
        old = checks(V1, K, 500 + trial, "VN") + checks(V1, K, 700 + trial, "TH")
        db = memory_database(new + old)
        found = pooled(db, V2, "country", K, protect=True)
        own = {g.value: g for g in dashboard(db, V2, "country", K, protect=True).groups}
        pooled_vn = found.groups["VN"]["presence"]
        assert pooled_vn is not None
        target, known = old[0], old[1:K]
        estimate = (pooled_vn * 15 - own["VN"].dimensions["presence"] * own["VN"].n) - sum(
            map(presence, known)
        )
        missed += abs(estimate - presence(target)) >= 5
    print(f"missed by 5 points or more: {missed} of {trials}")
    assert missed / trials >= 0.8, missed / trials


# -- the staff pages, in every language --------------------------------------------------------


@pytest.fixture(scope="module")
def both(module_app):
    """A server holding checks of both versions, and a staff account."""
    from lmcself.staff.accounts import add_user
    from lmcself.storage.db import get_db

    new = checks(V2, 12, 21, "VN") + checks(V2, 9, 22, "TH")
    old = checks(V1, 8, 23, "VN") + checks(V1, 6, 24, "KH")
    store(module_app, new + old)
    with module_app.app_context():
        add_user(get_db(), "vera", PASSWORD, "staff")
    return module_app


def other(app) -> str:
    current = app.extensions["instrument"].version
    return next(v for v in VERSIONS if v != current)


def versions_note(page: str, select_id: str, version: str) -> list[str]:
    """Checks that the page's select has the version chosen and its note names the pooled
    versions; gives the note's lines on the checks of other versions."""
    select = re.search(rf'<select id="{select_id}" name="version">(.*?)</select>', page, re.S)
    assert select and re.search(rf'value="{version}"[^>]* selected', select.group(1))
    note = re.search(r'<div class="note versions-note" role="note">(.*?)</div>', page, re.S)
    assert note
    assert "1.0 + 2.0" in note.group(1) and version in note.group(1)
    return re.findall(r'<p class="other-versions">(.*?)</p>', note.group(1), re.S)


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_dashboard_pools_presence_and_says_so(both, lang):
    client = both.test_client()
    sign_in(client, "vera", lang=lang)
    current = both.extensions["instrument"].version
    for version, elsewhere in ((current, other(both)), (other(both), current)):
        page = client.get(f"/{lang}/staff/dashboard?by=country&version={version}").text
        others = versions_note(page, "f-version", version)
        assert len(others) == 1 and f"version={elsewhere}" in others[0]
        heat = page.split('id="chart-heat"', 1)[1].split("</table>", 1)[0]
        assert '<span class="pooled-versions">(1.0 + 2.0)</span>' in heat
        # every download link keeps the version chosen
        links = re.findall(r'href="(/[a-z]+/staff/dashboard/heat\.csv\?[^"]+)"', page)
        assert links and all(
            (f"version={version}" in link) == (version != current) for link in links
        )


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_downloads_carry_the_version(both, lang):
    client = both.test_client()
    sign_in(client, "vera", lang=lang)
    for version in VERSIONS:
        response = client.get(f"/{lang}/staff/dashboard/heat.csv?by=country&version={version}")
        assert response.status_code == 200
        assert f"-v{version}-" in response.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
        assert any(cell.endswith("(1.0 + 2.0)") for cell in rows[0])  # presence, pooled
        parts = instrument_for(version).dimensions
        assert sum(cell.endswith(f"({version})") for cell in rows[0]) == len(parts) - 1
    aggregate = client.get(f"/{lang}/staff/exports/aggregate.json?by=country").get_json()
    assert aggregate and {row["instrument_version"] for row in aggregate} == {
        both.extensions["instrument"].version
    }


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_report_pools_presence_and_counts_the_other_version(both, lang):
    client = both.test_client()
    sign_in(client, "vera", lang=lang)
    current = both.extensions["instrument"].version
    for version, elsewhere in ((current, other(both)), (other(both), current)):
        page = client.get(f"/{lang}/staff/report?period=2026-Q4&version={version}").text
        others = versions_note(page, "r-version", version)
        assert len(others) == 1 and elsewhere in others[0]
        assert '<span class="pooled-versions">(1.0 + 2.0)</span>' in page
        pdf_link = re.search(r'href="(/[a-z]+/staff/report\.pdf[^"]*)"', page)
        assert pdf_link and (f"version={version}" in pdf_link.group(1)) == (version != current)


def test_the_report_pdf_carries_the_version(both):
    client = both.test_client()
    sign_in(client, "vera")
    version = other(both)
    response = client.get(f"/en/staff/report.pdf?period=2026-Q4&version={version}")
    assert response.status_code == 200 and response.data[:5] == b"%PDF-"
    assert f"-v{version}.pdf" in response.headers["Content-Disposition"]


def test_with_one_version_only_nothing_is_pooled_and_no_note_shows(app, client, staff_member):
    current = app.extensions["instrument"]
    store(app, checks(current, 12, 31, "VN") + checks(current, 9, 32, "TH"))
    sign_in(client, staff_member)
    for path in ("dashboard", "report?period=2026-Q4"):
        page = client.get(f"/en/staff/{path}").text
        assert "versions-note" not in page and "pooled-versions" not in page


# -- in the browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def versions_server(tmp_path_factory):
    """A server of this module's own (the note would show on the shared one's pages) holding
    checks of both versions, and a staff account."""
    from lmcself.staff.accounts import add_user
    from lmcself.storage.db import connect, migrate
    from lmcself.storage.submissions import insert

    from .conftest import LiveServer

    server = LiveServer(tmp_path_factory.mktemp("versions")).start()
    database = connect(str(server.database))
    migrate(database)
    add_user(database, "vera", PASSWORD, "staff")
    for check in checks(V2, 14, 41, "VN") + checks(V2, 9, 42, "TH") + checks(V1, 8, 43, "VN"):
        insert(database, check)
    database.close()
    yield server
    server.stop()


@pytest.mark.browser
@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_note_shows_and_nothing_overflows_at_1280_px(browser, versions_server, lang):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{versions_server.url}/{lang}/staff/login")
        page.fill("#name", "vera")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        for version in VERSIONS:
            page.goto(f"{versions_server.url}/{lang}/staff/dashboard?by=country&version={version}")
            page.wait_for_selector(".chart-svg")
            note = page.locator(".versions-note")
            assert note.is_visible()
            box = note.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1280
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{lang} {version}: {overflow}px wider than the screen"
            assert page.locator("#f-version").input_value() == version
            page.screenshot(path=f"/tmp/xv-dashboard-{lang}-{version}.png", full_page=True)
        # choosing the other version keeps every other filter in the URL
        page.select_option("#f-by", "sector")
        page.select_option("#f-version", "1.0")
        page.locator(".filter-bar button[type=submit]").click()
        page.wait_for_url("**by=sector**")
        assert page.locator("#f-version").input_value() == "1.0"
        page.goto(f"{versions_server.url}/{lang}/staff/report?period=2026-Q4")
        assert page.locator(".versions-note").is_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{lang} report: {overflow}px wider than the screen"
    finally:
        context.close()
