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


OWN_SCRIPT = {
    "km": r"[\u1780-\u17ff\u19e0-\u19ff]",
    "lo": r"[\u0e80-\u0eff]",
    "my": r"[\u1000-\u109f]",
    "th": r"[\u0e00-\u0e7f]",
}


@pytest.mark.parametrize("code", [c for c in FONTS if c in LOCALES])
def test_each_font_covers_every_character_of_its_catalog(code):
    from fontTools.ttLib import TTFont

    font = FONTS[code]
    # The page's own script: a name written in a neighbour's script (a Thai programme on a
    # Khmer page, as its English source writes it too) is drawn by that script's own face.
    script = re.compile(OWN_SCRIPT[code])
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


# Zawgyi as typed, and the Unicode it stands for: short names (the detector alone reads them as
# 50/50) and a long sentence.
ZAWGYI_TO_UNICODE = [
    ("မဂၤလာပါ", "မင်္ဂလာပါ"),  # "Mingalaba": kinzi in Zawgyi's own code point
    ("မဂၤလာ", "မင်္ဂလာ"),
    ("ၾကက္", "ကြက်"),
    ("ေက်ာင္း", "ကျောင်း"),
    ("ေရႊ", "ရွှေ"),
    ("Sokha ေရႊ", "Sokha ရွှေ"),
    (
        "ကၽြန္ေတာ္တို႔ဆိုင္မွာ ေစ်းေပါေပါနဲ႔ အရည္အေသြးေကာင္းတဲ့ ပစၥည္းေတြ ေရာင္းပါတယ္",
        "ကျွန်တော်တို့ဆိုင်မှာ ဈေးပေါပေါနဲ့ အရည်အသွေးကောင်းတဲ့ ပစ္စည်းတွေ ရောင်းပါတယ်",
    ),
]


@pytest.mark.parametrize("zawgyi, unicode", ZAWGYI_TO_UNICODE)
def test_short_and_long_zawgyi_is_detected_and_converted(zawgyi, unicode):
    assert is_zawgyi(zawgyi)
    assert to_unicode(zawgyi) == unicode
    assert to_unicode(unicode) == unicode  # and the Unicode is left alone


def test_no_burmese_text_of_the_app_is_taken_for_zawgyi():
    """Short Unicode words (the detector gives "သူ" 0.62) and every Burmese translation."""
    from babel.messages.pofile import read_po

    path = Path(__file__).resolve().parents[1] / "lmcself/translations/my/LC_MESSAGES/messages.po"
    with path.open("rb") as f:
        texts = [m.string for m in read_po(f) if isinstance(m.string, str) and m.string]
    words = {w.strip("()%.,:;") for t in texts for w in t.split()}
    for text in [*texts, *sorted(words), "သူ", "ဦး", "စာ", "ကုမ္ပဏီ", "မင်္ဂလာပါ"]:
        assert to_unicode(text) == text, text


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


# The script blocks of each web font's language: every character of them that a page or a
# catalog text uses must be inside the font's unicode-range and in both weights' files.
SCRIPT_BLOCK = {
    "km": (0x1780, 0x19FF),
    "lo": (0x0E80, 0x0EFF),
    "my": (0x1000, 0x109F),
    "th": (0x0E00, 0x0E7F),
}


@pytest.mark.parametrize("code", list(FONTS))
def test_every_character_the_pages_draw_is_in_the_web_font_subset(code):
    from babel.messages.pofile import read_po
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from lmcself.web.fonts import FONTS_DIR

    path = Path(__file__).resolve().parents[1] / "lmcself/translations" / LOCALES[code]
    with (path / "LC_MESSAGES/messages.po").open("rb") as f:
        texts = [m.string for m in read_po(f) if isinstance(m.string, str)]
    templates = Path(__file__).resolve().parents[1] / "templates"
    texts += [p.read_text() for p in templates.glob("*.html")] + [language_name(code)]
    low, high = SCRIPT_BLOCK[code]
    used = {ord(c) for t in texts for c in t if low <= ord(c) <= high}
    declared = set(subset.parse_unicodes(FONTS[code].unicode_range.replace(" ", "")))
    assert used - declared == set(), [chr(c) for c in sorted(used - declared)]
    for weight in WEIGHTS:
        with TTFont(FONTS_DIR / Path(FONTS[code].file(weight)).name) as font:
            cmap = font.getBestCmap()
        assert used - set(cmap) == set(), [chr(c) for c in sorted(used - set(cmap))]


def test_a_first_visit_takes_little_font():
    """At most 50 KB of font for a Khmer page, 60 KB for a Burmese one (both weights, and the
    language names of the switcher); `bench/pwa.py` measures what a browser really fetches."""
    from lmcself.web.fonts import FONTS_DIR, names_file

    def first_visit(code: str) -> int:
        files = [FONTS[code].file(w) for w in WEIGHTS] + [names_file(c) for c in FONTS]
        return sum((FONTS_DIR / Path(f).name).stat().st_size for f in files)

    assert first_visit("km") <= 50 * 1024
    assert first_visit("my") <= 60 * 1024
