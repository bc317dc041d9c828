"""Lines that never split a syllable, and break characters that never change how text is drawn.

Browsers break Burmese with a dictionary; for a word it does not know (a loanword such as
မက်ဆေ့ချ်, "message") Chromium offers a break before the word's final consonant and cuts a
syllable in two. A WORD JOINER before every final consonant (a consonant, its medials, then the
asat) forbids exactly those breaks and leaves every other break to the browser. Spaces between
phrases, as Burmese is written, stay the preferred places to break.

A break character (ZERO WIDTH SPACE, WORD JOINER) also ends a cluster for HarfBuzz: put inside
one, it draws the pieces apart (a visible virama and an unstacked consonant after U+1039, a
dotted circle for kinzi or a mark cut from its base). `safe_break` says where one may go: only
where a new syllable starts, so the text is shaped exactly as without it.
"""

from __future__ import annotations

import re
import unicodedata

WORD_JOINER = "\u2060"
ZWSP = "\u200b"
BREAK_CHARACTERS = WORD_JOINER + ZWSP
# Burmese consonants (and the great sa), and what may stand between one and its asat: medials,
# the dot below.
_MY_CONSONANT = "\u1000-\u1021\u103f"
_MY_BEFORE_ASAT = "\u103b-\u103e\u1037"
# A consonant that closes its syllable: followed by its medials and the asat (U+103A) or the
# stacking virama (U+1039, the upper consonant of a stack, or kinzi's င်္). Never the lower
# consonant of a stack (after U+1039), which is part of the next syllable's cluster already.
FINAL_CONSONANT = re.compile(
    f"(?<![\u2060\u1039])([{_MY_CONSONANT}][{_MY_BEFORE_ASAT}]*[\u103a\u1039])"
)
_MY_FINAL = re.compile(f"[{_MY_CONSONANT}][{_MY_BEFORE_ASAT}]*[\u103a\u1039]")
# Characters after which nothing may break: the stacking virama (Burmese), the coeng (Khmer),
# and the joiners.
_JOINS_NEXT = {"\u1039", "\u17d2", "\u200c", "\u200d", WORD_JOINER}
# Burmese marks after a consonant that still belong to it although Unicode calls some of them
# letters or spacing marks (medials U+103B-103E, asat, the visible virama).
_MY_ATTACHED = re.compile(
    "[\u102b-\u103e\u1056-\u1059\u105e-\u1060\u1062-\u1064\u1067-\u106d\u1071-\u1074"
    "\u1082-\u108d\u108f\u109a-\u109d]"
)


def keep_syllables(text: str) -> str:
    """Burmese text with a word joiner before each final consonant (idempotent)."""
    return FINAL_CONSONANT.sub(WORD_JOINER + r"\1", text)


def _burmese_syllable_start(text: str, i: int) -> bool:
    """Whether a Burmese syllable starts at text[i] (word joiners skipped on both sides)."""
    j = i
    while j < len(text) and text[j] in BREAK_CHARACTERS:
        j += 1
    if j == len(text):
        return True
    if _MY_ATTACHED.match(text[j]):
        return False
    # A consonant that is only the final of the syllable before (asat or stack follows).
    return not _MY_FINAL.match(text, j)


def safe_break(text: str, i: int) -> bool:
    """Whether a break character may go before text[i] without changing how HarfBuzz shapes the
    text: never before a mark or after a joining sign, and in Burmese only where a syllable
    starts (never before a final consonant, inside a stack or inside kinzi)."""
    if i <= 0 or i >= len(text):
        return False
    before, after = text[i - 1], text[i]
    if before in _JOINS_NEXT or after in "\u200c\u200d":
        return False
    if unicodedata.category(after) in ("Mn", "Mc", "Me"):
        return False
    if "\u1000" <= after <= "\u109f" or after in BREAK_CHARACTERS:
        return _burmese_syllable_start(text, i)
    return True
