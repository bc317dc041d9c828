"""The one vocabulary of languages: the URL code (`km`, ..., `zh`, `en`).

Every place a language is stored or sent (database, API, bundles, pushes, exports, CLI options,
URLs) uses the URL code. Babel's identifier (`zh_Hans`, the catalog folder) is used only where
Babel is called. Input accepts the other spellings forever (`zh_Hans`, `zh-Hans`, any case),
because phones with a cached old app.js and bundles already written carry them.
"""

from __future__ import annotations

# URL code -> Babel locale identifier, in the order the language switcher shows them. The keys
# are the vocabulary; the values are only for calling Babel.
LOCALES: dict[str, str] = {
    "km": "km",
    "lo": "lo",
    "my": "my",
    "th": "th",
    "vi": "vi",
    "zh": "zh_Hans",
    "en": "en",
}
DEFAULT_LOCALE = "en"
_SPELLINGS = {
    **{code.lower(): code for code in LOCALES},
    **{babel.lower().replace("_", "-"): code for code, babel in LOCALES.items()},
}


def parse_locale(value: object) -> str | None:
    """The URL code for any accepted spelling of a served language; None for anything else."""
    if not isinstance(value, str):
        return None
    return _SPELLINGS.get(value.strip().lower().replace("_", "-"))


def babel_locale(code: str) -> str:
    """Babel's identifier for a URL code (the catalog folder under lmcself/translations/)."""
    return LOCALES[code]
