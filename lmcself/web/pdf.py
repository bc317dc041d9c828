"""The action plan as a PDF: the plan page's own HTML, laid out by WeasyPrint with system Noto fonts.

Three things make it right in every script:
- Khmer, Lao and Burmese have no spaces between words, and Pango does not break lines inside
  them; a paragraph would run off the page. A ZERO WIDTH SPACE goes at every ICU line-break
  point before layout (Thai needs none: Pango breaks it with libthai), but only where a syllable
  starts (`safe_break`): inside one it would change how HarfBuzz draws it. Burmese texts already
  carry word joiners before final consonants (linebreak.py), which ICU respects.
- Fonts are named by family (pdf.css): fontconfig would pick DejaVu for Lao and the wrong CJK
  face for Chinese otherwise. One FontConfiguration and one parsed stylesheet serve every render;
  the app's own Chinese and Thai faces (pdf-cjk.css, pdf-thai.css) are loaded the first time a
  document has text in their script, so a process that prints neither never reads them.
- Thai is set in the app's copy of Noto Sans Thai whose ำ has a glyph of its own (fonts.py), and
  each glyph of it maps back to its own character (`thai_text_map`): copy-paste gives the text.
- The renderer fetches nothing but the app's own static files (see `fetch_own_assets`).
"""

from __future__ import annotations

import atexit
import mimetypes
import re
import threading
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlparse

from icu4py.breakers import LineBreaker

from lmcself.core.linebreak import BREAK_CHARACTERS, safe_break

ZWSP = "\u200b"
# Runs of the scripts written without spaces between words that Pango cannot break by itself,
# word joiners included so that a Burmese word stays one run.
UNSPACED_RUN = re.compile("[\u1780-\u17ff\u19e0-\u19ff\u0e80-\u0eff\u1000-\u109f\u2060]{2,}")
TEXT_NODE = re.compile(r">([^<]+)<")
DATA_ATTRIBUTE = re.compile(r'\s+data-[a-z0-9-]+="[^"<>]*"')
SPAN_TAG = re.compile(r"<(/?)span\b([^>]*)>")
ICU_LOCALE = {"km": "km", "lo": "lo", "my": "my"}
STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
# System font files pdf.css may load besides the app's own (Debian's fonts-noto-color-emoji).
SYSTEM_FONTS = frozenset({Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")})
BASE_URL = STATIC_DIR.as_uri() + "/"
# The stylesheets of the app's own faces, by the text that needs them (CJK ideographs, kana,
# CJK punctuation and full-width forms; Thai).
FACE_SHEETS = {
    "pdf-cjk.css": re.compile("[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"),
    "pdf-thai.css": re.compile("[\u0e00-\u0e7f]"),
}

_render_lock = threading.Lock()


def strip_breaks(text: str) -> str:
    return text.translate({ord(c): None for c in BREAK_CHARACTERS})


class RefusedURL(ValueError):
    """The PDF asked for something other than the app's own static files."""


def break_points(text: str, lang: str) -> str:
    """`text` with a zero-width space at every ICU line-break point inside unspaced runs."""
    locale = ICU_LOCALE.get(lang)
    if locale is None:
        return text

    def mark(run: re.Match) -> str:
        s = run.group(0)
        # ICU counts UTF-16 units; these scripts are all in the BMP, so they equal indexes.
        # Only where the text is shaped the same with a break character as without it.
        cuts = [end for _start, end in LineBreaker(s, locale).segments() if safe_break(s, end)]
        pieces, last = [], 0
        for cut in cuts:
            pieces.append(s[last:cut])
            last = cut
        pieces.append(s[last:])
        return ZWSP.join(pieces)

    return UNSPACED_RUN.sub(mark, text)


def lean_html(html: str) -> str:
    """The plan's HTML without what only the phone's script uses: the data-* attributes its
    templates are filled by, and the spans that carry nothing else. Each such span is one more
    inline box to lay out, split across lines and tag (a sixth of WeasyPrint's work, issue 14).
    Jinja escapes < and " in text and attribute values, so these patterns match markup only."""
    html = DATA_ATTRIBUTE.sub("", html)
    bare: list[bool] = []

    def span(tag: re.Match) -> str:
        if tag.group(1):  # a closing tag closes the latest open span
            return "" if bare.pop() else tag.group(0)
        bare.append(not tag.group(2).strip())
        return "" if bare[-1] else tag.group(0)

    return SPAN_TAG.sub(span, html)


def prepare_html(html: str, lang: str) -> str:
    """The lean HTML (`lean_html`), with break points in text nodes only (never inside tags or
    attribute values)."""
    html = lean_html(html)
    if lang not in ICU_LOCALE:
        return html
    return TEXT_NODE.sub(lambda m: ">" + break_points(m.group(1), lang) + "<", html)


def own_asset(url: str) -> Path:
    """The file behind a URL the PDF may load: the app's static files (and the emoji font) only.
    No file:// elsewhere,
    no network, no data: URLs (the plan makes none; its chart and QR code are inline SVG)."""
    parsed = urlparse(url)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        raise RefusedURL(f"the PDF may load only the app's own files, not {url[:80]!r}")
    path = Path(unquote(parsed.path)).resolve()
    if path in SYSTEM_FONTS and path.is_file():
        return path
    if STATIC_DIR not in path.parents or not path.is_file():
        raise RefusedURL(f"the PDF may load only the app's own files, not {url[:80]!r}")
    return path


@cache
def thai_text_map(weight: int) -> dict[int, str]:
    """The character of each glyph of the PDF's Thai face, by glyph id: a glyph named uniXXXX
    (or uniXXXX.variant) is U+XXXX, the AA of an ำ is ำ, and NIKHAHIT (drawn only as part of an
    ำ) is nothing. WeasyPrint would map a glyph to the text of the first cluster it ends."""
    from fontTools.ttLib import TTFont

    from lmcself.web.fonts import AM_AA, NIKHAHIT, PDF_THAI_FILES

    with TTFont(STATIC_DIR / PDF_THAI_FILES[weight], lazy=True) as font:
        order = font.getGlyphOrder()
    found: dict[int, str] = {}
    for gid, name in enumerate(order):
        if name == AM_AA:
            found[gid] = "\u0e33"
        elif name.startswith(NIKHAHIT):
            found[gid] = ""
        elif match := re.fullmatch(r"uni(0E[0-9A-F]{2})(\..*)?", name):
            found[gid] = chr(int(match.group(1), 16))
    return found


def _correct_text_maps(fonts: dict) -> None:
    """Each used glyph of the PDF's Thai faces maps to its own character (see thai_text_map)."""
    from lmcself.web.fonts import PDF_THAI_FAMILY

    for font in fonts.values():
        if font.family == PDF_THAI_FAMILY:
            known = thai_text_map(700 if font.weight >= 600 else 400)
            for gid in font.to_unicode:
                if gid in known:
                    font.to_unicode[gid] = known[gid]


@cache
def _weasyprint():
    """WeasyPrint, its URL fetcher, one FontConfiguration and the stylesheets, once per process."""
    import weasyprint
    import weasyprint.pdf
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class OwnAssets(URLFetcher):
        def fetch(self, url, headers=None):
            path = own_asset(url)
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})

    build_fonts_dictionary = weasyprint.pdf.build_fonts_dictionary

    def build_fonts_with_text_maps(pdf: object, fonts: dict, *args: object, **kwargs: object):
        _correct_text_maps(fonts)
        return build_fonts_dictionary(pdf, fonts, *args, **kwargs)

    # The one place where the PDF's text maps are written (WeasyPrint 66-70).
    weasyprint.pdf.build_fonts_dictionary = build_fonts_with_text_maps
    fetcher = OwnAssets()
    fonts = FontConfiguration()
    # It keeps the @font-face files in a temporary folder that only its __del__ removes, and a
    # cached object lives until exit, when __del__ is not guaranteed to run.
    atexit.register(fonts.__del__)
    sheets = [weasyprint.CSS(url=f"{BASE_URL}pdf.css", url_fetcher=fetcher, font_config=fonts)]
    return weasyprint, fetcher, fonts, sheets


@cache
def _face_sheet(name: str):
    """One of FACE_SHEETS, parsed (and its fonts added to the shared configuration) once."""
    weasyprint, fetcher, fonts, _sheets = _weasyprint()
    return weasyprint.CSS(url=f"{BASE_URL}{name}", url_fetcher=fetcher, font_config=fonts)


def stylesheets(html: str) -> list:
    """pdf.css, and the sheets of the app's own faces the text needs."""
    sheets = _weasyprint()[3]
    needed = [_face_sheet(name) for name, script in FACE_SHEETS.items() if script.search(html)]
    return [*needed, *sheets]


# Tagged (a structure tree of headings, paragraphs, lists and tables for screen readers and
# reflow), as PDF/UA-1 asks; the document's language is the html element's lang.
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}


def render_document(html: str, lang: str):
    """The laid-out document (pages and boxes), for the PDF and for tests that walk the layout."""
    weasyprint, fetcher, fonts, _sheets = _weasyprint()
    doc = weasyprint.HTML(string=prepare_html(html, lang), base_url=BASE_URL, url_fetcher=fetcher)
    # Pango and the shared font configuration are not safe to use from two threads at once.
    with _render_lock:
        document = doc.render(stylesheets=stylesheets(html), font_config=fonts, **PDF_OPTIONS)
    # The title comes from <title>, with the break characters of its text node: invisible, but a
    # reader's window title, a search or a screen reader would get them.
    if document.metadata.title:
        document.metadata.title = strip_breaks(document.metadata.title)
    return document


def render_pdf(html: str, lang: str) -> bytes:
    document = render_document(html, lang)
    with _render_lock:
        return document.write_pdf(**PDF_OPTIONS)
