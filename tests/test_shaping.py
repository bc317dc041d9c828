"""Break characters never change how text is drawn: every translated text of the unspaced
scripts, shaped by HarfBuzz with the PDF's fonts, gives the same glyphs with the zero-width spaces
and word joiners the PDF inserts as without them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import uharfbuzz as hb
from babel.messages.pofile import read_po

from lmcself.core.linebreak import keep_syllables, safe_break
from lmcself.web.i18n import LOCALES
from lmcself.web.pdf import break_points

TRANSLATIONS = Path(__file__).resolve().parents[1] / "lmcself" / "translations"
NOTO = Path("/usr/share/fonts/truetype/noto")
# The faces pdf.css names for each language, in both weights the plan uses.
FACES = {
    "km": "NotoSansKhmer",
    "lo": "NotoSansLao",
    "my": "NotoSansMyanmar",
    "th": "NotoSansThai",
}
# Words no catalog holds, as owners type them: loanwords with final consonants, stacks, kinzi.
HELD_OUT = {
    "my": [
        "ကမ္ဘောဒီးယား",
        "ကုမ္ပဏီ",
        "ပုဂ္ဂိုလ်",
        "မင်္ဂလာပါ",
        "ဒစ်ဂျစ်တယ်",
        "ဝက်ဘ်ဆိုက်",
        "မက်ဆေ့ချ်ပို့ပြီး",
        "သင်္ချိုင်း",
        "ဗုဒ္ဓဘာသာ",
        "အင်္ဂလိပ်စာ",
    ],
    "km": ["ស្ត្រី", "ក្រុមហ៊ុន", "សេដ្ឋកិច្ចឌីជីថល"],
    "lo": ["ຜູ້ປະກອບການ", "ສຳລັບທຸລະກິດ"],
    "th": ["น้ำดื่ม", "ทำงาน", "ผู้ประกอบการ"],
}


def texts(lang: str) -> list[str]:
    with (TRANSLATIONS / LOCALES[lang] / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    found = []
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        found += [s for s in strings if s]
    return found + HELD_OUT[lang]


@cache
def font(face: str) -> hb.Font:
    return hb.Font(hb.Face(hb.Blob.from_file_path(str(NOTO / f"{face}.ttf"))))


def glyphs(text: str, face: str) -> list[tuple[int, int, int, int]]:
    """The glyphs HarfBuzz draws, with break characters removed after shaping (as Pango does)."""
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    buf.flags = hb.BufferFlags.REMOVE_DEFAULT_IGNORABLES
    hb.shape(font(face), buf, {})
    return [
        (info.codepoint, pos.x_advance, pos.x_offset, pos.y_offset)
        for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True)
    ]


def as_printed(text: str, lang: str) -> str:
    """The text as the PDF gets it: Burmese with its word joiners, then the break points."""
    return break_points(keep_syllables(text) if lang == "my" else text, lang)


@pytest.mark.parametrize("weight", ["Regular", "Bold"])
@pytest.mark.parametrize("lang", list(FACES))
def test_break_characters_do_not_change_the_glyphs(lang, weight):
    face = f"{FACES[lang]}-{weight}"
    changed = []
    for text in texts(lang):
        printed = as_printed(text, lang)
        if printed != text and glyphs(printed, face) != glyphs(text, face):
            changed.append(printed.replace("\u200b", "|").replace("\u2060", "+")[:60])
    assert changed == [], f"{len(changed)} texts drawn differently, e.g. {changed[:5]}"


@pytest.mark.parametrize(
    "word, cuts",
    [
        ("ကမ္ဘောဒီးယား", ["ကမ္ဘော", "ဒီး", "ယား"]),
        ("ကုမ္ပဏီ", ["ကုမ္ပ", "ဏီ"]),
        ("မင်္ဂလာ", ["မင်္ဂ", "လာ"]),
        ("ဒစ်ဂျစ်တယ်", ["ဒစ်", "ဂျစ်", "တယ်"]),
    ],
)
def test_burmese_breaks_only_between_syllables(word, cuts):
    allowed = [i for i in range(1, len(word)) if safe_break(word, i)]
    starts = [len("".join(cuts[:n])) for n in range(1, len(cuts))]
    assert allowed == starts
    # Word joiners in the text change nothing.
    joined = keep_syllables(word)
    pieces = [p.replace("\u2060", "") for p in break_points(joined, "my").split("\u200b")]
    assert "".join(pieces) == word and all(pieces)
    assert {len("".join(pieces[:n])) for n in range(1, len(pieces))} <= set(starts)
