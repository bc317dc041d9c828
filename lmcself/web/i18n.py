"""Languages on the web: the locale selector, the language in the URL, and language names in
their own script (the list of languages is core/locales.py)."""

from __future__ import annotations

import re
from datetime import date

from babel import Locale
from babel.dates import get_date_format
from flask import Blueprint, Flask, abort, current_app, g, request
from flask_babel import (
    Babel,
    Domain,
    format_date,
    format_decimal,
    format_percent,
    get_locale,
    gettext,
)
from markupsafe import Markup, escape

from lmcself.core.linebreak import keep_syllables
from lmcself.core.locales import DEFAULT_LOCALE, LOCALES
from lmcself.web.fonts import FONTS, NAMES_FAMILY, names_file


def register_language_in_url(bp: Blueprint) -> None:
    """The blueprint's routes start with /<lang>/: an unknown language is a 404, and url_for
    keeps the current language unless told otherwise."""

    @bp.url_value_preprocessor
    def pull_lang(endpoint, values):
        if values and "lang" in values:
            lang = values.pop("lang")
            if lang not in LOCALES:
                abort(404)
            g.lang = lang

    @bp.url_defaults
    def add_lang(endpoint, values):
        if "lang" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values["lang"] = g.get("lang", DEFAULT_LOCALE)


def select_locale() -> str:
    return LOCALES.get(g.get("lang", DEFAULT_LOCALE), DEFAULT_LOCALE)


def best_language() -> str:
    """The URL language that best fits the browser's Accept-Language, or the default.

    Matched by primary subtag in the browser's order of preference: `my-MM, en;q=0.5` is Burmese
    (werkzeug's best_match would prefer the exact `en` to the regional `my-MM`).
    """
    for tag, _quality in request.accept_languages:  # sorted by quality, highest first
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary in LOCALES:
            return primary
    return DEFAULT_LOCALE


def html_lang(code: str) -> str:
    """The BCP 47 tag for the page's lang attribute (zh_Hans -> zh-Hans)."""
    return LOCALES.get(code, DEFAULT_LOCALE).replace("_", "-")


def language_name(code: str) -> str:
    """The language's name in its own script (from CLDR), for the language switcher."""
    locale = Locale.parse(LOCALES[code])
    name = locale.get_display_name(locale) or code
    return name[:1].upper() + name[1:]


# Dates as each language's readers write them. Thai readers count years in the Buddhist era
# (2026 is 2569) with no era label; Babel has no Buddhist calendar, so the year is added here.
# Vietnamese readers write a full date "3 tháng 12 năm 2026", not CLDR's "3 tháng 12, 2026".
YEAR_OFFSET: dict[str, int] = {"th": 543}
DATE_PATTERNS: dict[str, dict[str, str]] = {
    "vi": {"day": "d 'tháng' M 'năm' y", "month": "'tháng' M 'năm' y"},
}
_SKELETONS = {"day": "yMMMMd", "month": "yMMMM", "quarter": "yQQQQ", "year": "y"}
_TOKENS = re.compile(r"'[^']*'|G+\s*|y+")


def date_pattern(kind: str = "day", locale: str | None = None) -> str:
    """The date pattern (CLDR syntax) the locale's readers use for a day ("day", Babel's long
    format), a month ("month"), a quarter or a year; without an era field where the year is written in another era."""
    code = locale or str(get_locale())
    if kind in DATE_PATTERNS.get(code, {}):
        return DATE_PATTERNS[code][kind]
    babel_locale = Locale.parse(code)
    if kind == "day":
        pattern = get_date_format("long", locale=babel_locale).pattern
    else:
        pattern = babel_locale.datetime_skeletons[_SKELETONS[kind]].pattern
    if code in YEAR_OFFSET:  # "ค.ศ." would contradict the Buddhist-era year
        pattern = _TOKENS.sub(lambda m: "" if m.group().startswith("G") else m.group(), pattern)
    return pattern.strip()


def year_in_calendar(year: int, locale: str | None = None) -> int:
    """A Gregorian year as the locale's readers count it (Thai: the Buddhist era)."""
    return year + YEAR_OFFSET.get(locale or str(get_locale()), 0)


def write_date(value: date, kind: str = "day") -> str:
    """A day or a month in the page's language and calendar: every date the app prints goes
    through here (pages, PDF, staff report, the phone's pattern data)."""
    code = str(get_locale())
    year = str(year_in_calendar(value.year, code))
    pattern = _TOKENS.sub(
        lambda m: f"'{year}'" if m.group().startswith("y") else m.group(), date_pattern(kind, code)
    )
    return format_date(value, pattern)


def format_iso_date(value: date | str) -> str:
    """A date (or a stored ISO date, YYYY-MM-DD) written the way the page's locale writes dates."""
    return write_date(value if isinstance(value, date) else date.fromisoformat(value))


class Catalogs(Domain):
    """The app's gettext domain. Burmese texts get word joiners that keep syllables whole when
    a line breaks (see linebreak.py), once per process, when the catalog is first loaded."""

    def get_translations(self):
        translations = super().get_translations()
        if str(get_locale()) == "my" and not getattr(translations, "_syllables_kept", False):
            catalog = translations._catalog  # gettext's own table, shared by every lookup
            for key, text in catalog.items():
                catalog[key] = keep_syllables(text)
            translations._syllables_kept = True
        return translations


def labelled(label: object, value: object) -> Markup:
    """A label and its value (or a name and what it is) joined as the page's language writes it:
    the catalog's one pattern, so Chinese gets '：' and Khmer '៖', never a hard-coded ': '."""
    return Markup(escape(gettext("%(name)s: %(what)s"))) % {"name": label, "what": value}


def init_app(app: Flask) -> None:
    babel = Babel(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    babel.domain_instance = Catalogs(domain="messages")
    app.jinja_env.globals.update(
        LOCALES=LOCALES,
        FONTS=FONTS,
        NAMES_FAMILY=NAMES_FAMILY,
        names_file=names_file,
        language_name=language_name,
        html_lang=html_lang,
        labelled=labelled,
    )
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.filters["percent"] = format_percent
    app.jinja_env.filters["format_iso_date"] = format_iso_date
