"""Burmese typed in the Zawgyi font encoding, converted to Unicode before it is stored or printed.

Many phones in Myanmar still type Zawgyi: the same code points as Unicode Burmese, in another order
and meaning. Google's detector (myanmartools, its model inside the package) decides; paraencoder
converts. Text that is not Burmese, or already Unicode, is returned unchanged.
"""

from __future__ import annotations

import math
import warnings
from functools import cache

from para import zg_to_unicode

# Google's detector gives probabilities near 0 or near 1; 0.95 leaves Unicode text alone.
ZAWGYI_THRESHOLD = 0.95


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


def is_zawgyi(text: str) -> bool:
    return zawgyi_probability(text) > ZAWGYI_THRESHOLD


def to_unicode(text: str) -> str:
    """The text in Unicode Burmese if it was typed in Zawgyi; otherwise unchanged.

    The detector misjudges some short Unicode texts as Zawgyi, so a conversion is kept only when
    the detector reads its result as Unicode: real Zawgyi converts to clean Unicode, while
    "converting" Unicode would mangle it into something that still looks like Zawgyi.
    """
    if not text or not is_zawgyi(text):
        return text
    converted = zg_to_unicode(text, force=True)
    return converted if zawgyi_probability(converted) < 1 - ZAWGYI_THRESHOLD else text
