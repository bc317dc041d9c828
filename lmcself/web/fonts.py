"""Self-hosted web fonts for the scripts phones may lack: Khmer, Lao, Burmese, Thai.

A phone without a Khmer font, or with a Zawgyi font posing as its Burmese system font, still shows
correct text: each of these languages gets a Noto Sans (SIL Open Font License) subset as WOFF2,
declared with `unicode-range` (Latin text keeps the phone's own font) and `font-display: swap`,
and loaded only on pages in that language. Unhinted, and Burmese without the Mon, Shan and Karen
letters: a first visit takes at most 50 KB of font in Khmer and 60 KB in Burmese. `lmcself build-fonts` makes the subsets from Debian's
fonts-noto-core; the WOFF2 files are committed under static/fonts/.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import click

SOURCE_DIR = Path("/usr/share/fonts/truetype/noto")
FONTS_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts"
WEIGHTS = {400: "Regular", 700: "Bold"}
# Zero-width space and joiners (line breaking, shaping) and the dotted circle HarfBuzz shows for a
# mark typed without its base.
SHARED_RANGE = "U+200B-200D, U+25CC"


@dataclass(frozen=True)
class WebFont:
    family: str
    source: str
    unicode_range: str

    @property
    def stem(self) -> str:
        return self.family.lower().replace(" ", "-")

    def file(self, weight: int) -> str:
        return f"fonts/{self.stem}-{WEIGHTS[weight].lower()}.woff2"


# By URL language code. The whole script block is kept: owners type free text in it too.
FONTS: dict[str, WebFont] = {
    "km": WebFont("Noto Sans Khmer", "NotoSansKhmer", f"U+1780-17FF, U+19E0-19FF, {SHARED_RANGE}"),
    "lo": WebFont("Noto Sans Lao", "NotoSansLao", f"U+0E80-0EFF, {SHARED_RANGE}"),
    # Burmese (U+1000-104F); the Mon, Shan and Karen letters after it would add 12 KB a weight
    # that no Burmese page draws: those stay with the phone's own font.
    "my": WebFont("Noto Sans Myanmar", "NotoSansMyanmar", f"U+1000-104F, {SHARED_RANGE}"),
    "th": WebFont("Noto Sans Thai", "NotoSansThai", f"U+0E01-0E5B, {SHARED_RANGE}"),
}


# The language switcher names every language in its own script on every page, so that an owner
# whose phone lacks the font can still find their language: a tiny face with just those glyphs.
NAMES_FAMILY = "Language names"


def names_file(code: str) -> str:
    return f"fonts/names-{code}.woff2"


def _subset(source: Path, target: Path, unicodes: list[int], text: str, small: bool) -> None:
    from fontTools import subset

    if not source.exists():
        raise click.ClickException(f"{source} is missing: apt-get install fonts-noto-core")
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # every shaping feature: marks, stacks, reordering
    options.notdef_outline = True
    # Keep the copyright, family and licence names (OFL); the names faces drop the rest and hinting.
    options.name_IDs = [0, 1, 2, 13] if small else ["*"]
    # No TrueType hinting: phones draw these scripts unhinted anyway, and it was half the bytes
    # (Khmer 33 -> 16 KB a weight, Burmese 51 -> 26 KB).
    options.hinting = False
    ttfont = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes, text=text)
    subsetter.subset(ttfont)
    subset.save_font(ttfont, str(target), options)


# The PDF's Chinese face. Debian's Noto Sans CJK has 65,000 glyphs, and WeasyPrint keeps every
# glyph slot up to the highest one a PDF uses (hanzi sit high), so a plan would carry about 190 KB
# per face. This subset holds the 3,755 common hanzi (GB 2312 level 1), CJK punctuation, full-width
# forms and every character of the Chinese catalog, in a few thousand slots; a rarer character
# typed in a business name still prints, from the system font. One weight only: a bold face would
# add about 40 KB; the PDF marks Chinese headings by size and colour instead.
CJK_SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-{weight}.ttc")
CJK_INDEX = 2  # Noto Sans CJK SC in the collection
PDF_CJK_FAMILY = "lmcself CJK SC"
CATALOG_ZH = Path(__file__).resolve().parents[1] / "translations" / "zh_Hans" / "LC_MESSAGES"


PDF_CJK_FILE = "fonts/pdf-noto-sans-cjk-sc-regular.otf"


def cjk_characters() -> set[str]:
    chars = set()
    for hi in range(0xB0, 0xD8):  # GB 2312 level 1
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):  # unassigned codes in the row
                chars.add(bytes([hi, lo]).decode("gb2312"))
    chars.update(map(chr, range(0x3000, 0x3040)))  # CJK symbols and punctuation
    chars.update(map(chr, range(0xFF00, 0xFF66)))  # full-width forms
    chars.update(" \u00a0")  # Pango asks the face of a Chinese run for its spaces too
    from babel.messages.pofile import read_po

    with (CATALOG_ZH / "messages.po").open("rb") as f:
        for message in read_po(f):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            chars.update(c for s in strings if s for c in s if ord(c) >= 0x2E80)
    from lmcself.core.catalog import load_catalog

    # Services' Chinese names are in the catalog itself (`names: {zh: ...}`), not in a .po file.
    names = (text for t in load_catalog().tools for lang, text in t.names if lang == "zh")
    chars.update(c for text in names for c in text if ord(c) >= 0x2E80)
    return chars


def build_pdf_cjk(out_dir: Path = FONTS_DIR) -> list[tuple[Path, int]]:
    from fontTools import subset

    options = subset.Options()
    options.layout_features = []  # horizontal Chinese needs no substitutions
    options.name_IDs = ["*"]
    options.hinting = False
    options.font_number = CJK_INDEX
    options.drop_tables += ["GSUB", "GPOS", "BASE", "VORG", "vhea", "vmtx"]
    unicodes = sorted(ord(c) for c in cjk_characters())
    source = Path(str(CJK_SOURCE).format(weight="Regular"))
    if not source.exists():
        raise click.ClickException(f"{source} is missing: apt-get install fonts-noto-cjk")
    ttfont = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(ttfont)
    target = out_dir / Path(PDF_CJK_FILE).name
    subset.save_font(ttfont, str(target), options)
    return [(target, target.stat().st_size)]


def build_fonts(out_dir: Path = FONTS_DIR) -> list[tuple[Path, int]]:
    """Subset every font and weight, and the language names, to WOFF2 in out_dir."""
    from fontTools import subset

    from lmcself.web.i18n import language_name

    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(code, weight) for code in FONTS for weight in (*WEIGHTS, None)]
    made = []
    with click.progressbar(
        jobs, label="subsetting fonts", item_show_func=lambda j: j and j[0]
    ) as bar:
        for code, weight in bar:
            font = FONTS[code]
            if weight is None:  # the language's name, for the switcher
                source = SOURCE_DIR / f"{font.source}-Regular.ttf"
                target = out_dir / Path(names_file(code)).name
                _subset(source, target, [], language_name(code), small=True)
            else:
                source = SOURCE_DIR / f"{font.source}-{WEIGHTS[weight]}.ttf"
                target = out_dir / Path(font.file(weight)).name
                unicodes = subset.parse_unicodes(font.unicode_range.replace(" ", ""))
                _subset(source, target, unicodes, "", small=False)
            made.append((target, target.stat().st_size))
    return made + build_pdf_cjk(out_dir) + build_pdf_thai(out_dir)


# The PDF's Thai faces. HarfBuzz draws SARA AM (ำ) as NIKHAHIT then SARA AA, with the glyph of
# า, and a PDF maps each glyph to one text: WeasyPrint keeps the first it meets, so every า after
# an ำ pasted as ำ (or the other way round). These copies of Noto Sans Thai give the AA of an ำ a
# glyph of its own (same outline, same kerning), chosen by a contextual substitution after
# NIKHAHIT and an optional tone mark; `pdf.thai_text_map` then maps each glyph to its character.
PDF_THAI_FAMILY = "lmcself Thai"
PDF_THAI_FILES = {
    400: "fonts/pdf-noto-sans-thai-regular.ttf",
    700: "fonts/pdf-noto-sans-thai-bold.ttf",
}
SARA_AA, AM_AA = "uni0E32", "uni0E32.am"
NIKHAHIT = "uni0E4D"
TONES = ("uni0E48", "uni0E49", "uni0E4A", "uni0E4B")


def _alias_in_kerning(gpos, glyph: str, alias: str) -> None:
    """`alias` kerns exactly as `glyph` (class-based and glyph-pair kerning)."""
    for lookup in gpos.LookupList.Lookup:
        for sub in lookup.SubTable:
            if type(sub).__name__ != "PairPos":
                continue
            if sub.Format == 2:
                for classdef in (sub.ClassDef1, sub.ClassDef2):
                    if glyph in classdef.classDefs:
                        classdef.classDefs[alias] = classdef.classDefs[glyph]
                if glyph in sub.Coverage.glyphs:
                    sub.Coverage.glyphs.append(alias)
            elif sub.Format == 1 and glyph in sub.Coverage.glyphs:
                pair_set = sub.PairSet[sub.Coverage.glyphs.index(glyph)]
                sub.Coverage.glyphs.append(alias)
                sub.PairSet.append(pair_set)
                sub.PairSetCount = len(sub.PairSet)


def build_pdf_thai(out_dir: Path = FONTS_DIR) -> list[tuple[Path, int]]:
    import copy

    from fontTools.otlLib import builder
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables import otTables

    made = []
    for weight, file in PDF_THAI_FILES.items():
        source = SOURCE_DIR / f"NotoSansThai-{WEIGHTS[weight]}.ttf"
        if not source.exists():
            raise click.ClickException(f"{source} is missing: apt-get install fonts-noto-core")
        font = TTFont(str(source))
        order = font.getGlyphOrder()
        font.setGlyphOrder([*order, AM_AA])
        font["glyf"].glyphs[AM_AA] = copy.deepcopy(font["glyf"][SARA_AA])
        font["glyf"].glyphOrder = font.getGlyphOrder()
        font["hmtx"].metrics[AM_AA] = font["hmtx"].metrics[SARA_AA]
        font["maxp"].numGlyphs = len(font.getGlyphOrder())
        gdef = font["GDEF"].table.GlyphClassDef.classDefs
        gdef[AM_AA] = gdef.get(SARA_AA, 1)
        _alias_in_kerning(font["GPOS"].table, SARA_AA, AM_AA)
        # SARA AA -> its ำ copy after NIKHAHIT (and its narrow form), with or without a tone mark.
        nikhahits = [g for g in order if g.startswith(NIKHAHIT)]
        tones = [g for g in order if g.startswith(TONES)]
        gsub = font["GSUB"].table
        lookups = gsub.LookupList.Lookup
        single = builder.buildLookup([builder.buildSingleSubstSubtable({SARA_AA: AM_AA})])
        lookups.append(single)
        glyph_map = font.getReverseGlyphMap()
        rules = []
        for backtrack in ([nikhahits], [tones, nikhahits]):  # closest glyph first
            rule = otTables.ChainContextSubst()
            rule.Format = 3
            rule.BacktrackCoverage = [builder.buildCoverage(g, glyph_map) for g in backtrack]
            rule.InputCoverage = [builder.buildCoverage([SARA_AA], glyph_map)]
            rule.LookAheadCoverage = []
            record = otTables.SubstLookupRecord()
            record.SequenceIndex, record.LookupListIndex = 0, len(lookups) - 1
            rule.SubstLookupRecord = [record]
            rule.BacktrackGlyphCount, rule.InputGlyphCount = len(backtrack), 1
            rule.LookAheadGlyphCount, rule.SubstCount = 0, 1
            rules.append(rule)
        lookups.append(builder.buildLookup(rules))
        gsub.LookupList.LookupCount = len(lookups)
        index = len(lookups) - 1
        for record in gsub.FeatureList.FeatureRecord:
            if record.FeatureTag == "ccmp":
                record.Feature.LookupListIndex.append(index)
                record.Feature.LookupCount = len(record.Feature.LookupListIndex)
        target = out_dir / Path(file).name
        font.save(str(target))
        made.append((target, target.stat().st_size))
    return made
