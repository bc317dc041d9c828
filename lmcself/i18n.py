"""Languages: the one list of locales, the locale selector, and language names in their own script."""

from __future__ import annotations

from datetime import date

from babel import Locale
from flask import Flask, g, request
from flask_babel import Babel, format_date

# The one list of locales the app serves, in the order the language switcher shows them.
# URL code -> Babel locale identifier.
LOCALES: dict[str, str] = {"en": "en"}
DEFAULT_LOCALE = "en"


def select_locale() -> str:
    return LOCALES.get(g.get("lang", DEFAULT_LOCALE), DEFAULT_LOCALE)


def best_language() -> str:
    """The URL language that best fits the browser's Accept-Language, or the default."""
    return request.accept_languages.best_match(list(LOCALES), default=DEFAULT_LOCALE)


def language_name(code: str) -> str:
    """The language's name in its own script (from CLDR), for the language switcher."""
    locale = Locale.parse(LOCALES[code])
    name = locale.get_display_name(locale) or code
    return name[:1].upper() + name[1:]


def format_iso_date(value: str) -> str:
    """A stored ISO date (YYYY-MM-DD) written the way the page's locale writes dates."""
    return format_date(date.fromisoformat(value), "long")


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_translation_directories="translations")
    app.jinja_env.globals.update(LOCALES=LOCALES, language_name=language_name)
    app.jinja_env.filters["format_iso_date"] = format_iso_date
