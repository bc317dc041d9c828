"""Burmese typed in the Zawgyi font encoding, converted to Unicode before it is stored or printed.

Many phones in Myanmar still type Zawgyi: the same code points as Unicode Burmese, in another order
and meaning. Google's detector (myanmartools, its model inside the package) decides; paraencoder
converts. Text that is not Burmese, or already Unicode, is returned unchanged.
"""

from __future__ import annotations

import math
import re
import warnings
from functools import cache

from para import zg_to_unicode

# Google's detector gives probabilities near 0 or near 1; 0.95 leaves Unicode text alone.
ZAWGYI_THRESHOLD = 0.95
# What Unicode Burmese never has and Zawgyi typing always does, however short the text: the
# vowel sign E (U+1031) or medial (U+103B, medial RA in Zawgyi) typed before its consonant, and
# Zawgyi's own code points for stacked and positional forms (U+1060-1097; e.g. its kinzi U+1064
# in "မဂၤလာပါ"). The detector alone reads such short names as 50/50.
ZAWGYI_MARKS = re.compile(
    "(?:^|(?<![\u1000-\u1021\u103f\u103b-\u103e\u200b-\u200d\u2060]))\u1031"
    "|(?:^|(?<![\u1000-\u1021\u103f]))\u103b"
    "|[\u1060-\u1097]"
)


@cache
def _detector():
    with warnings.catch_warnings():
        # myanmartools loads its model through a deprecated importlib.resources call.
        warnings.simplefilter("ignore", DeprecationWarning)
        from myanmartools import ZawgyiDetector

        return ZawgyiDetector()


def zawgyi_probability(text: str) -> float:
    """0..1; 0 for text with no Burmese at all (the detector says -inf there)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        p = _detector().get_zawgyi_probability(text)
    return 0.0 if math.isinf(p) or math.isnan(p) else p


def _zawgyi_marks(text: str) -> bool:
    # A mark counts where it follows Burmese or starts the text, not a word in another script.
    return any(ZAWGYI_MARKS.search(word) for word in text.split())


def is_zawgyi(text: str) -> bool:
    return _zawgyi_marks(text) or zawgyi_probability(text) > ZAWGYI_THRESHOLD


def to_unicode(text: str) -> str:
    """The text in Unicode Burmese if it was typed in Zawgyi; otherwise unchanged.

    Short texts (a shop's name) are told by what only Zawgyi has (`ZAWGYI_MARKS`); longer ones by
    the detector too. A conversion is kept only when its result is sound Unicode: no Zawgyi marks
    left and not read as Zawgyi by the detector. Real Zawgyi converts to clean Unicode, while
    "converting" Unicode would mangle it into something that still looks like Zawgyi.
    """
    if not text or not is_zawgyi(text):
        return text
    converted = zg_to_unicode(text, force=True)
    if _zawgyi_marks(converted):
        return text
    limit = 0.5 if _zawgyi_marks(text) else 1 - ZAWGYI_THRESHOLD
    return converted if zawgyi_probability(converted) < limit else text
