"""Facts an owner can act on: their country's duties (warned where the answers show a gap) and
risks, services named as owners of the page's language know them, and dates in their calendar;
on the plan page and in the PDF, in every language."""

from __future__ import annotations

import re
import subprocess
import unicodedata
import uuid
from datetime import date

import pytest
from flask import g
from flask_babel import gettext

from lmcself.core.catalog import load_catalog
from lmcself.core.plan import build_plan
from lmcself.core.scoring import score
from lmcself.core.submissions import Submission
from lmcself.storage.db import get_db
from lmcself.storage.submissions import insert
from lmcself.web.i18n import LOCALES
from lmcself.web.pdf import ZWSP, render_pdf
from lmcself.web.plan_views import render_plan, tool_name
from lmcself.web.security import trust_host

from .conftest import context_answers, make_submission, top_answers

COUNTRIES = ("KH", "LA", "MM", "TH", "VN", "CN")
ONLINE = ("chat", "social", "marketplace", "several")
# The day the test records are made, as readers of each language write it.
DAY = {
    "km": "3 ធ្នូ 2026",
    "lo": "3 ທັນວາ 2026",
    "my": "2026 ဒီဇင်ဘာ 3",
    "th": "3 ธันวาคม 2569",
    "vi": "3 tháng 12 năm 2026",
    "zh": "2026年12月3日",
    "en": "December 3, 2026",
}
HOME = {"km": "KH", "lo": "LA", "my": "MM", "th": "TH", "vi": "VN", "zh": "CN", "en": "MM"}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def plan_for(instrument, catalog, answers, **context):
    ctx = {**context_answers(instrument), **context}
    return build_plan(instrument, catalog, score(instrument, answers), ctx, answers)


def seller(instrument, channel: str = "marketplace", records: str = "none") -> dict[str, str]:
    answers = top_answers(instrument, "low")
    return {**answers, "selling_channel": channel, "payments_records": records}


@pytest.mark.parametrize("country", COUNTRIES)
def test_online_sellers_get_their_countrys_duties_and_others_do_not(instrument, catalog, country):
    duties = catalog.obligations_for(country)
    plan = plan_for(instrument, catalog, seller(instrument, "several"), country=country)
    shown = plan.duty_warnings + plan.duties
    assert {o.key for o in shown} == {o.key for o in duties}
    assert all(o.country == country for o in shown)
    # An owner who does not sell online sees only the duties of every owner there.
    offline = plan_for(instrument, catalog, seller(instrument, "none"), country=country)
    assert {o.key for o in offline.duty_warnings + offline.duties} == {
        o.key for o in duties if not o.when
    }


def test_every_country_with_online_tax_rules_has_them_in_the_catalog(catalog):
    for country in ("VN", "CN", "TH", "KH", "LA"):
        assert catalog.obligations_for(country), country
    assert all(o.todo and o.source for o in catalog.obligations)


@pytest.mark.parametrize("country", ("VN", "CN", "TH"))
def test_platform_sellers_without_records_are_warned_and_with_records_are_told(
    instrument, catalog, country
):
    unkept = plan_for(
        instrument, catalog, seller(instrument, "marketplace", "none"), country=country
    )
    assert unkept.duty_warnings, "selling on platforms without records is a gap"
    kept = plan_for(instrument, catalog, seller(instrument, "marketplace", "app"), country=country)
    assert not kept.duty_warnings
    assert {o.key for o in kept.duties} == {o.key for o in unkept.duty_warnings + unkept.duties}


@pytest.mark.parametrize("country", COUNTRIES)
def test_a_countrys_risks_are_shown_to_all_its_owners_and_nobody_else(instrument, catalog, country):
    plan = plan_for(instrument, catalog, top_answers(instrument, "top"), country=country)
    assert [r.key for r in plan.risks] == [r.key for r in catalog.risks_for(country)]
    assert all(r.country == country for r in plan.risks)


def test_myanmar_owners_are_told_of_the_block_the_sanctions_and_the_account_levels(catalog):
    risks = " ".join(f"{r.title} {r.text}" for r in catalog.risks_for("MM"))
    for fact in ("Facebook", "VPN", "sanctions", "MFTB", "MICB", "Level 2"):
        assert fact in risks, fact
    assert not any("myanmarinsider" in t.source for t in catalog.tools)  # the partisan source


def stored_plan(app, instrument, lang: str, country: str, answers: dict) -> Submission:
    context = {**context_answers(instrument), "country": country, "cross_border": "yes"}
    record = make_submission(
        instrument,
        str(uuid.UUID(int=len(lang) * 7 + ord(lang[0]), version=4)),
        lang,
        context,
        answers,
        created_on=date(2026, 12, 3),
    )
    with app.app_context():
        insert(get_db(), record)
    return record


def script_letters(text: str, lang: str) -> bool:
    script = {"zh": "CJK", "th": "THAI"}[lang]
    return any(script in unicodedata.name(c, "") for c in text)


@pytest.mark.parametrize(("lang", "country"), [("zh", "CN"), ("th", "TH")])
def test_no_service_of_the_country_is_named_in_latin_letters_only(app, catalog, lang, country):
    with app.test_request_context(f"/{lang}/"):
        g.lang = lang
        names = {t.key: tool_name(t) for t in catalog.tools_for(country)}
    assert [k for k, n in names.items() if not script_letters(n, lang)] == []


@pytest.mark.parametrize(("lang", "country"), [("zh", "CN"), ("th", "TH")])
def test_the_plan_page_and_pdf_name_services_as_owners_know_them(
    app, client, instrument, catalog, lang, country, tmp_path
):
    record = stored_plan(app, instrument, lang, country, seller(instrument, "several"))
    page = client.get(f"/{lang}/plan/{record.id}").text
    named = re.findall(r'<strong class="tool-name"[^>]*>([^<]+)</strong>', page)
    assert named and all(script_letters(n, lang) for n in named), named
    local = {t.name_in(lang) for t in catalog.tools_for(country)} - {None}
    assert local & set(named)
    trust_host(app, "check.example.org")  # the plans' address, as PUBLIC_URL would make it
    with app.test_request_context(f"/{lang}/", base_url="https://check.example.org"):
        g.lang = lang
        pdf = render_pdf(render_plan(record, None, pdf=True), lang)
    text = pdf_text(pdf, tmp_path)
    for name in local & set(named):
        assert squeeze(name) in text, name


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return squeeze(out.replace(ZWSP, ""))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_plan_page_and_pdf_write_dates_in_the_readers_calendar(
    app, client, instrument, lang, tmp_path
):
    answers = seller(instrument, "several")
    record = stored_plan(app, instrument, lang, HOME[lang], answers)
    page = client.get(f"/{lang}/plan/{record.id}").text
    assert DAY[lang] in page
    assert "ค.ศ." not in page
    trust_host(app, "check.example.org")  # the plans' address, as PUBLIC_URL would make it
    with app.test_request_context(f"/{lang}/", base_url="https://check.example.org"):
        g.lang = lang
        html = render_plan(record, None, pdf=True)
        pdf = render_pdf(html, lang)
    assert DAY[lang] in html
    if lang in ("en", "vi", "zh", "th"):  # poppler garbles Khmer, Lao and Burmese extraction
        assert squeeze(DAY[lang]) in pdf_text(pdf, tmp_path)


@pytest.mark.parametrize("lang", list(LOCALES))
def test_duties_and_risks_appear_on_the_page_and_in_the_pdf(app, client, instrument, lang):
    from flask_babel import force_locale, gettext

    country = "MM" if lang in ("my", "en") else HOME[lang]
    record = stored_plan(app, instrument, lang, country, seller(instrument, "several", "none"))
    page = client.get(f"/{lang}/plan/{record.id}").text
    catalog = app.extensions["catalog"]
    with app.test_request_context(f"/{lang}/"), force_locale(LOCALES[lang]):
        g.lang = lang
        expected = [gettext(r.title) for r in catalog.risks_for(country)]
        expected += [gettext(o.warning) for o in catalog.obligations_for(country) if o.warning]
        expected += [gettext(o.todo) for o in catalog.obligations_for(country)]
        html = render_plan(record, None, pdf=True)
    assert expected
    for text in expected:  # gettext in a template gives markup: quotes stay as they are
        assert text in page and text in html, text


def test_staff_months_are_written_in_the_readers_calendar(app, instrument):
    from lmcself.staff.views import value_label

    for lang, month in (
        ("th", "พฤศจิกายน 2569"),
        ("vi", "tháng 11 năm 2026"),
        ("en", "November 2026"),
    ):
        with app.test_request_context(f"/{lang}/"):
            g.lang = lang
            assert value_label(instrument, "month", "2026-11") == month


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_phones_plan_data_carries_local_names_duties_risks_and_dates(app, lang):
    """The phone builds the plan offline from plan_data(): the same names, duties and dates."""
    from lmcself.web.plan_views import plan_data

    with app.test_request_context(f"/{lang}/"):
        g.lang = lang
        pd = plan_data()
    names = {t["key"]: t["view"]["name"] for t in pd["tools"]}
    assert names["douyin"] == ("抖音" if lang == "zh" else "Douyin")
    assert names["thung_ngern"] == ("ถุงเงิน (กรุงไทย)" if lang == "th" else "Thung Ngern (Krungthai)")
    assert {o["key"] for o in pd["obligations"]} >= {
        "vn_platform_withholding",
        "cn_platform_reporting",
    }
    assert {r["country"] for r in pd["risks"]} == {"MM"}
    tax = next(o for o in pd["obligations"] if o["key"] == "vn_platform_withholding")
    assert tax["when"] == {"selling_channel": ["marketplace", "several"]} and tax["warn_when"]
    view = tax["view"]
    assert view["todo"] and view["warning"] and view["date"] == DAY[lang]


@pytest.mark.parametrize("lang", list(LOCALES))
def test_a_tools_name_and_what_it_does_are_joined_as_the_language_writes_it(
    app, client, instrument, lang
):
    """The colon after a tool's name is the catalog's, not the template's: Chinese writes '：'."""
    record = stored_plan(app, instrument, lang, "CN", seller(instrument, "several"))
    page = client.get(f"/{lang}/plan/{record.id}").text
    with app.test_request_context(f"/{lang}/"):
        g.lang = lang
        joined = gettext("%(name)s: %(what)s")
    between = joined.split("%(name)s")[1].split("%(what)s")[0]
    lines = re.findall(r'</strong>(.*?)<span data-slot="what">', page)
    assert lines and set(lines) == {between}, (lines[:3], between)
    if lang == "zh":
        assert between == "："
