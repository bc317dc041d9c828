"""Languages: URL language, Accept-Language, switcher, answers kept, fonts, Zawgyi, locale formats."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from lmcself.core.zawgyi import is_zawgyi, to_unicode, zawgyi_probability
from lmcself.web.fonts import FONTS, NAMES_FAMILY, WEIGHTS
from lmcself.web.i18n import LOCALES, language_name

from .conftest import Walker, context_answers

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("km-KH,km;q=0.9", "km"),
        ("lo-LA", "lo"),
        ("my-MM, en;q=0.5", "my"),
        ("th-TH,th;q=0.9,en-US;q=0.8", "th"),
        ("vi-VN", "vi"),
        ("zh-CN,zh;q=0.9", "zh"),
        ("zh-Hans-CN", "zh"),
        ("fr-FR, th;q=0.3", "th"),
        ("fr-FR", "en"),
        ("", "en"),
    ],
)
def test_the_root_follows_accept_language(client, header, lang):
    assert client.get("/", headers={"Accept-Language": header}).location == f"/{lang}/"


@pytest.mark.parametrize("code", LOCALES)
def test_every_language_page_says_its_language_and_offers_all_others(client, code):
    page = client.get(f"/{code}/").text
    html_lang = LOCALES[code].replace("_", "-")
    assert f'<html lang="{html_lang}"' in page
    for other in LOCALES:
        other_lang = LOCALES[other].replace("_", "-")
        assert f'href="/{other}/" lang="{other_lang}" hreflang="{other_lang}"' in page
        assert language_name(other) in page


def test_language_names_are_in_their_own_script():
    names = {code: language_name(code) for code in LOCALES}
    assert names["km"] == "ខ្មែរ" and names["lo"] == "ລາວ" and names["my"] == "မြန်မာ"
    assert names["th"] == "ไทย" and names["vi"] == "Tiếng Việt" and names["zh"].startswith("中文")


def test_switching_language_keeps_the_answers(client, instrument):
    walker = Walker(client, instrument, lang="km")
    walker.start()
    walker.post("/km/about-you", context_answers(instrument))
    first = instrument.dimensions[0].questions[0]
    walker.post("/km/part/1", {first.key: first.options[1].key})
    page = client.get("/th/part/1").text
    assert '<html lang="th"' in page
    assert re.search(rf'name="{first.key}" value="{first.options[1].key}" checked', page)
    # The switcher on a question page links to the same question page in each language.
    assert 'href="/vi/part/1" lang="vi"' in page


def test_country_and_language_are_chosen_apart(app, client, instrument):
    """A Thai speaker with a shop in Lao PDR: Thai pages, country LA."""
    walker = Walker(client, instrument, lang="th")
    context = {**context_answers(instrument), "country": "LA"}
    answers = {q.key: q.options[0].key for q in instrument.questions}
    walker.complete(answers, context)
    from lmcself.storage.db import get_db

    with app.app_context():
        row = next(get_db()["submissions"].rows)
    assert (row["locale"], row["country"]) == ("th", "LA")


@pytest.mark.parametrize("code", LOCALES)
def test_fonts_load_only_for_the_languages_that_need_them(client, code):
    page = client.get(f"/{code}/").text
    script_faces = re.findall(r'@font-face\{font-family:"(Noto Sans [A-Za-z]+)"', page)
    if code in FONTS:
        font = FONTS[code]
        assert script_faces == [font.family] * len(WEIGHTS)
        assert "font-display:swap" in page and f"unicode-range:{font.unicode_range}" in page
        assert re.search(rf'rel="preload" href="/static/{font.file(400)}\?v=\w+" as="font"', page)
    else:
        assert script_faces == [] and 'as="font"' not in page
    # Every page can draw the names of the languages in the switcher.
    assert page.count(f'@font-face{{font-family:"{NAMES_FAMILY}"') == len(FONTS)


@pytest.mark.parametrize("code", [c for c in FONTS if c in LOCALES])
def test_each_font_covers_every_character_of_its_catalog(code):
    from fontTools.ttLib import TTFont

    font = FONTS[code]
    script = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff]")
    with (ROOT / "lmcself" / "translations" / LOCALES[code] / "LC_MESSAGES" / "messages.po").open(
        "rb"
    ) as f:
        texts = [
            s
            for m in read_po(f)
            if m.id
            for s in (m.string if isinstance(m.string, tuple) else [m.string])
        ]
    needed = {ch for text in texts for ch in script.findall(text)}
    assert needed, f"{code}: no text in the script"
    for weight in WEIGHTS:
        path = STATIC / font.file(weight)
        cmap = TTFont(path).getBestCmap()
        assert not {ch for ch in needed if ord(ch) not in cmap}, f"{path.name} misses characters"
        assert path.stat().st_size < 60_000


# Dates as each language's readers write them: Thai in the Buddhist era with no era label,
# Vietnamese with "tháng" and "năm"; a day, a month, a year (the catalog's source dates).
DATES = {
    "th": ("28 พฤศจิกายน 2569", "ตุลาคม 2568", "2568"),
    "vi": ("28 tháng 11 năm 2026", "tháng 10 năm 2025", "2025"),
    "km": ("28 វិច្ឆិកា 2026", "តុលា 2025", "2025"),
    "lo": ("28 ພະຈິກ 2026", "ຕຸລາ 2025", "2025"),
    "my": ("2026 နိုဝင်ဘာ 28", "2025 အောက်တိုဘာ", "2025"),
    "zh": ("2026年11月28日", "2025年10月", "2025"),
    "en": ("November 28, 2026", "October 2025", "2025"),
}


@pytest.mark.parametrize("code", LOCALES)
def test_dates_are_written_in_the_readers_calendar(app, code):
    from flask import g

    from lmcself.web.i18n import format_iso_date
    from lmcself.web.plan_views import format_source_date

    day, month, year = DATES[code]
    with app.test_request_context():
        g.lang = code
        assert format_iso_date("2026-11-28") == day
        assert format_source_date("2026-11-28") == day
        assert format_source_date("2025-10") == month
        assert format_source_date("2025") == year
        assert "ค.ศ." not in format_iso_date("2026-11-28")


@pytest.mark.parametrize("code", LOCALES)
def test_the_phone_gets_the_pattern_and_year_offset_of_the_readers_calendar(app, code):
    """app.js writes a date from app_data()'s pattern, month names and year offset."""
    from flask import g

    from lmcself.web.assessment import app_data

    with app.test_request_context():
        g.lang = code
        spec = app_data()["date"]
    fill = {
        "d": "28",
        "M": "11",
        "MMMM": spec["months"][10],
        "y": str(2026 + spec["year_offset"]),
        "G": spec["era"],
    }
    written = re.sub(
        r"'([^']*)'|G+|y+|M+|d+",
        lambda m: m.group(1) if m.group(1) is not None else fill.get(m.group(), fill[m.group()[0]]),
        spec["pattern"],
    )
    assert written == DATES[code][0]


# "Myanmar" (the country's name) as typed on a Zawgyi keyboard, and in Unicode.
ZAWGYI_MYANMAR, UNICODE_MYANMAR = "ျမန္မာ", "မြန်မာ"
ZAWGYI_SHOP, UNICODE_SHOP = "ေစ်းဆိုင္", "ဈေးဆိုင်"


def test_zawgyi_is_detected_and_converted():
    assert is_zawgyi(ZAWGYI_MYANMAR)
    assert to_unicode(ZAWGYI_MYANMAR) == UNICODE_MYANMAR
    assert to_unicode(f"{ZAWGYI_SHOP} 24") == f"{UNICODE_SHOP} 24"


@pytest.mark.parametrize(
    "text", [UNICODE_MYANMAR, UNICODE_SHOP, "Mya Mya shop", "ហាងលក់ទំនិញ", "", "123"]
)
def test_text_that_is_not_zawgyi_is_left_alone(text):
    assert to_unicode(text) == text
    assert 0.0 <= zawgyi_probability(text) < 0.5


def test_burmese_finals_are_joined_to_their_syllable():
    from lmcself.core.linebreak import WORD_JOINER, keep_syllables

    message = "မက်ဆေ့ချ်"  # "message": Chromium would break before its final consonants
    joined = keep_syllables(message)
    assert joined == f"မ{WORD_JOINER}က်ဆေ့{WORD_JOINER}ချ်"
    assert keep_syllables(joined) == joined
    assert keep_syllables("မင်္ဂလာ") == f"မ{WORD_JOINER}င်္ဂလာ"  # kinzi stays with its syllable
    for text in ("ហាងលក់ទំនិញ", "ร้านค้า", "Mya Mya shop", ""):
        assert keep_syllables(text) == text


def test_burmese_pages_carry_the_joiners_and_others_do_not(client):
    from lmcself.core.linebreak import WORD_JOINER

    assert client.get("/my/method").text.count(WORD_JOINER) > 100
    assert WORD_JOINER not in client.get("/km/method").text
