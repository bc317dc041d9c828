"""Text typed by people (a business name, a workshop's name), made safe to store and print."""

from __future__ import annotations

import re

from lmcself.core.zawgyi import to_unicode

# Control characters, bidirectional overrides and isolates (U+202E turns "cod.exe" into
# "exe.doc" on screen), and lone surrogates (which cannot be stored or printed).
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


LONE_SURROGATE = "text with a lone surrogate: not valid Unicode"  # every way in says this
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def has_lone_surrogate(value: object) -> bool:
    """True when a string anywhere in parsed JSON (keys included) holds a lone surrogate: JSON
    can write one ("\\ud800"), Python parses it, but it cannot be stored or printed."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    return False


def clean_line(value: str | None) -> str:
    """One line of Unicode text: Zawgyi Burmese converted, unsafe characters and runs of
    spaces removed. (Escaping is the template's: Jinja escapes everything it prints.)"""
    if not value:
        return ""
    return " ".join(to_unicode(UNSAFE.sub(" ", value)).split())
