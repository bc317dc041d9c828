"""Burmese lines that never split a syllable.

Browsers break Burmese with a dictionary; for a word it does not know (a loanword such as
မက်ဆေ့ချ်, "message") Chromium offers a break before the word's final consonant and cuts a
syllable in two. A WORD JOINER before every final consonant (a consonant, its medials, then the
asat or the stacking virama) forbids exactly those breaks and leaves every other break to the
browser. Spaces between phrases, as Burmese is written, stay the preferred places to break.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"
FINAL_CONSONANT = re.compile("(?<!\u2060)([\u1000-\u1021][\u103b-\u103e]*[\u103a\u1039])")


def keep_syllables(text: str) -> str:
    """Burmese text with a word joiner before each final consonant (idempotent)."""
    return FINAL_CONSONANT.sub(WORD_JOINER + r"\1", text)
