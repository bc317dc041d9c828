"""Catalogs: complete, not fuzzy, placeholders intact, in the right script, glossary applied,
and the template not stale."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

from lmcself.core.zawgyi import zawgyi_probability
from lmcself.web.i18n import LOCALES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "lmcself" / "translations"
POT = TRANSLATIONS / "messages.pot"
TRANSLATED = [code for code in LOCALES if code != "en"]
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd%]")
# A letter of the language's own script must appear in every translated text.
SCRIPTS = {
    "km": r"[\u1780-\u17ff]",
    "lo": r"[\u0e80-\u0eff]",
    "my": r"[\u1000-\u109f]",
    "th": r"[\u0e00-\u0e7f]",
    "zh": r"[\u4e00-\u9fff]",
    "vi": r"[a-zA-ZÀ-ỹ]",
}


def read(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def catalog(code: str):
    return read(TRANSLATIONS / LOCALES[code] / "LC_MESSAGES" / "messages.po")


def forms(value) -> list[str]:
    return list(value) if isinstance(value, tuple | list) else [value]


def entries(code: str):
    return [m for m in catalog(code) if m.id]


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_entry_is_translated_and_none_is_fuzzy(code):
    cat = catalog(code)
    assert not cat.fuzzy, f"{code}: the catalog header is marked fuzzy"
    missing = [m.id for m in entries(code) if not all(s and s.strip() for s in forms(m.string))]
    fuzzy = [m.id for m in entries(code) if m.fuzzy]
    assert not missing, f"{code}: {len(missing)} untranslated, e.g. {missing[:3]}"
    assert not fuzzy, f"{code}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:3]}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_placeholders_are_identical_to_the_source(code):
    for m in entries(code):
        source = sorted(PLACEHOLDER.findall(forms(m.id)[-1]))
        for text in forms(m.string):
            assert sorted(PLACEHOLDER.findall(text)) == source, f"{code}: {m.id!r} -> {text!r}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_text_is_in_the_language_script(code):
    script = re.compile(SCRIPTS[code])
    for m in entries(code):
        if not re.search(r"\w", PLACEHOLDER.sub("", forms(m.id)[0])):
            continue  # a pattern of placeholders and punctuation only ("%(name)s: %(text)s")
        for text in forms(m.string):
            assert script.search(PLACEHOLDER.sub("", text)), f"{code}: {m.id!r} -> {text!r}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_catalog_has_exactly_the_template_messages(code):
    template = {m.id for m in read(POT) if m.id}
    assert {m.id for m in entries(code)} == template, f"{code}: run `make translations`"


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_glossary_is_applied(code):
    glossary = yaml.safe_load(
        (TRANSLATIONS / LOCALES[code] / "glossary.yaml").read_text(encoding="utf-8")
    )
    assert len(glossary["terms"]) >= 10
    for term in glossary["terms"]:
        english = [re.compile(rf"\b{re.escape(e)}\b", re.IGNORECASE) for e in term["en"]]
        for m in entries(code):
            if any(e.search(PLACEHOLDER.sub("", forms(m.id)[0])) for e in english):
                for text in forms(m.string):
                    assert any(t in text for t in term["term"]), (
                        f"{code}: glossary term {term['en']} -> {term['term']} not used in {m.id!r} -> {text!r}"
                    )


@pytest.mark.skipif("my" not in LOCALES, reason="Burmese is not served yet")
def test_burmese_is_unicode_not_zawgyi():
    """The detector is unreliable on a few characters (plain "I don't know" scores 0.59), so it
    judges each text of 15 Burmese letters or more, and the whole catalog as one text."""
    texts = [text for m in entries("my") for text in forms(m.string)]
    assert zawgyi_probability(" ".join(texts)) < 0.01
    for text in texts:
        if len(re.findall(r"[\u1000-\u109f]", text)) >= 15:
            assert zawgyi_probability(text) < 0.05, text


def test_the_template_is_not_stale(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--add-comments=TRANSLATORS:",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    committed = {m.id: m.auto_comments for m in read(POT) if m.id}
    extracted = {m.id: m.auto_comments for m in read(fresh) if m.id}
    assert extracted.keys() == committed.keys(), (
        "messages.pot is stale: run `make translations` "
        f"(new: {sorted(map(str, extracted.keys() - committed.keys()))[:3]}, "
        f"gone: {sorted(map(str, committed.keys() - extracted.keys()))[:3]})"
    )


@pytest.mark.parametrize("code", TRANSLATED)
def test_only_names_are_left_as_in_english(code):
    """A translation equal to its source is a name (a country, "QR"), never a sentence."""
    for m in entries(code):
        if forms(m.string)[0] == forms(m.id)[0]:
            assert len(forms(m.id)[0].split()) <= 2, f"{code}: {m.id!r} is not translated"
