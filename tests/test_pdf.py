"""The action plan as a PDF, in every language: it opens, embeds its script's font, keeps every
line inside the page, never starts a line inside a syllable, and gives its text back."""

from __future__ import annotations

import random
import re
import subprocess
import unicodedata
import uuid
from functools import cache
from pathlib import Path

import pytest
from flask import g
from flask_babel import force_locale, gettext
from weasyprint.formatting_structure import boxes

from lmcself.core.linebreak import FINAL_CONSONANT
from lmcself.core.plan import reentry_code
from lmcself.storage.db import get_db
from lmcself.storage.submissions import insert
from lmcself.web.forms import clean_name
from lmcself.web.i18n import LOCALES, html_lang
from lmcself.web.pdf import (
    PDF_OPTIONS,
    ZWSP,
    RefusedURL,
    break_points,
    lean_html,
    own_asset,
    render_document,
    strip_breaks,
)
from lmcself.web.plan_views import render_plan
from lmcself.web.security import trust_host

from .conftest import csrf_token, make_submission, submission_of

COUNTRY = {"km": "KH", "lo": "LA", "my": "MM", "th": "TH", "vi": "VN", "zh": "CN", "en": "KH"}
# The family each language's text must be set in (pdffonts names, subset prefix removed).
SCRIPT_FONT = {
    "km": "Noto-Sans-Khmer",
    "lo": "Noto-Sans-Lao",
    "my": "Noto-Sans-Myanmar",
    "th": "lmcself-Thai",
    "zh": "lmcself-CJK-SC",
    "vi": "Noto-Sans",
    "en": "Noto-Sans",
}
UNSPACED = ("km", "lo", "my", "th")
# poppler garbles Khmer and Burmese text extraction even from correct PDFs.
EXTRACTABLE = ("en", "vi", "zh", "th", "lo")


def typical_record(instrument, lang: str, seed: int = 4) -> dict:
    """A mid-range owner: random answers (most plans have gaps, steps and tools), selling abroad."""
    rnd = random.Random(seed)
    context = {q.key: rnd.choice(q.options).key for q in instrument.context}
    context.update(country=COUNTRY[lang], cross_border="yes")
    answers = {q.key: rnd.choice(q.options).key for q in instrument.questions}
    return make_submission(
        instrument, str(uuid.UUID(int=seed, version=4)), LOCALES[lang], context, answers
    )


@cache
def rendered(app, lang: str):
    """(html, laid-out document, PDF bytes) of the typical plan in lang: rendered once."""
    record = typical_record(app.extensions["instrument"], lang)
    trust_host(app, "check.example.org")  # the plans' address, as PUBLIC_URL would make it
    with app.test_request_context(f"/{lang}/", base_url="https://check.example.org"):
        g.lang = lang
        html = render_plan(record, None, pdf=True, business_name="Sokha & <Sons>")
        document = render_document(html, lang)
        pdf = document.write_pdf(**PDF_OPTIONS)
    return record, html, document, pdf


def walk(box):
    yield box
    for child in getattr(box, "children", None) or ():
        yield from walk(child)


def lines(document):
    """(page number, line box, its text boxes) for every line of the page content."""
    for number, page in enumerate(document.pages, start=1):
        root = page._page_box.children[0]  # the html box; margin boxes (page numbers) follow it
        for box in walk(root):
            if isinstance(box, boxes.LineBox):
                texts = [t for t in walk(box) if isinstance(t, boxes.TextBox)]
                if texts:
                    yield number, page._page_box, texts


def poppler(tool: str, pdf: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_pdf_opens_with_its_pages_and_embeds_the_scripts_font(module_app, lang, tmp_path):
    _, _, document, pdf = rendered(module_app, lang)
    assert pdf.startswith(b"%PDF-")
    info = poppler("pdfinfo", pdf, tmp_path)
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert pages == len(document.pages) and 2 <= pages <= 8, pages
    table = poppler("pdffonts", pdf, tmp_path).splitlines()[2:]
    fonts = [row.split()[0].split("+", 1)[-1] for row in table]
    embedded = [row.split()[-5] for row in table]  # the "emb" column
    assert embedded and set(embedded) == {"yes"}, table
    assert SCRIPT_FONT[lang] in fonts, fonts
    assert not [f for f in fonts if "DejaVu" in f or "Serif" in f], fonts


@pytest.mark.parametrize("lang", list(LOCALES))
def test_no_line_runs_past_the_page_content_box(module_app, lang):
    _, _, document, _ = rendered(module_app, lang)
    past = []
    for number, page, texts in lines(document):
        right = page.content_box_x() + page.width
        for t in texts:
            if t.position_x + t.width > right + 0.5:
                past.append((number, round(t.position_x + t.width - right), t.text[:30]))
    assert past == [], past


@pytest.mark.parametrize("lang", UNSPACED)
def test_no_line_starts_inside_a_syllable(module_app, lang):
    _, _, document, _ = rendered(module_app, lang)
    starts = [texts[0].text.lstrip("\u2060\u200b") for _, _, texts in lines(document)]
    bad = [
        s[:12]
        for s in starts
        if s
        and (
            unicodedata.category(s[0]) in ("Mn", "Mc")
            or (lang == "my" and FINAL_CONSONANT.match(s))
            or s[0] == "\u17d2"  # Khmer coeng: a subscript consonant cut from its base
        )
    ]
    assert bad == []
    # And the long paragraphs did wrap: many lines, none of them alone the width of a paragraph.
    assert len(starts) > 60


def squeeze(s: str) -> str:
    """Text without white space or break characters: pdftotext breaks lines where the PDF wraps."""
    return re.sub(r"[\s\u200b\u2060]+", "", s)


def extracted(pdf: bytes, tmp_path) -> list[str]:
    """The PDF's text as pdftotext gives it, in drawing order (-raw; poppler's sorting by position
    moves some Thai and Lao marks) and sorted by position (floats such as the chart's scores
    come last in drawing order), without list numbers and page numbers."""
    texts = []
    for mode in (["-raw"], []):
        text = poppler("pdftotext", pdf, tmp_path, *mode)
        text = re.sub(r"(?m)^\s*(\d+\.|\d+ / \d+)\s*$", "", text)
        texts.append(squeeze(text))
    return texts


def paragraphs(html: str) -> list[str]:
    """The text of every paragraph, heading and list item (without blocks inside) of the body."""
    import html as html_module

    body = html.split("<body", 1)[1]
    found = []
    for _tag, inner in re.findall(r"<(p|li|h1|h2|h3|h4)\b[^>]*>(.*?)</\1>", body, re.S):
        if not re.search(r"<(p|li|ul|ol|div|h\d)\b", inner):
            text = squeeze(html_module.unescape(re.sub(r"<[^>]+>", "", inner)))
            if text:
                found.append(text)
    return found


@pytest.mark.parametrize("lang", EXTRACTABLE)
def test_pdftotext_gives_every_paragraph_of_the_plan_back(module_app, lang, tmp_path):
    record, html, _, pdf = rendered(module_app, lang)
    texts = extracted(pdf, tmp_path)
    expected = paragraphs(html)
    assert len(expected) > 50
    assert "Sokha&<Sons>" in expected and reentry_code(record.id) in "".join(expected)
    wrong = [p for p in expected if not any(p in text for text in texts)]
    assert wrong == [], f"{len(wrong)} of {len(expected)} paragraphs differ: {wrong[:3]}"


# SARA AA (า) and SARA AM (ำ, drawn with the glyph of า), with and without tone marks, in both
# orders: a PDF keeps one text per glyph, so whichever came first used to win.
THAI_HELD_OUT = [
    "ทางแชท ทำงาน น้ำดื่ม ก้าวหน้า ค่ำคืน ป่าไม้ ต่ำกว่า ทำ",
    "ทำ ต่ำกว่า ป่าไม้ ค่ำคืน ก้าวหน้า น้ำดื่ม ทำงาน ทางแชท",
]


@pytest.mark.parametrize("text", THAI_HELD_OUT)
@pytest.mark.parametrize("weight", [400, 700])
def test_thai_text_pastes_as_written(text, weight, tmp_path):
    html = f'<html lang="th"><body><p style="font-weight: {weight}">{text}</p></body></html>'
    pdf = render_document(html, "th").write_pdf(**PDF_OPTIONS)
    assert squeeze(text) in extracted(pdf, tmp_path)[0]


# Long texts written without a single space, as owners and translators often write them.
UNSPACED_TEXT = {
    "km": "ភ្ជាប់អាជីវកម្មរបស់អ្នកទៅផែនទីអនឡាញហើយបន្ថែមម៉ោងបើកលេខទូរស័ព្ទនិងរូបថតដើម្បីឱ្យអតិថិជនរកឃើញហាងរបស់អ្នកបានយ៉ាងងាយស្រួលនៅពេលពួកគេស្វែងរកនៅលើទូរស័ព្ទរបស់ពួកគេ",
    "lo": "ເປີດບັນຊີທະນາຄານສຳລັບທຸລະກິດແລະໃຫ້ລູກຄ້າທຸກຄົນຈ່າຍເງິນເຂົ້າບັນຊີນັ້ນເພື່ອໃຫ້ທ່ານຮູ້ວ່າທຸລະກິດມີກຳໄລຫຼືບໍ່ໃນແຕ່ລະເດືອນແລະສາມາດວາງແຜນໄດ້ດີຂຶ້ນ",
    "my": "လုပ်ငန်းအတွက်သီးသန့်ဘဏ်အကောင့်တစ်ခုဖွင့်ပြီးဖောက်သည်များအားလုံးကိုထိုအကောင့်ထဲသို့ငွေပေးချေစေပါကလုပ်ငန်းအမြတ်ရမရကိုလစဉ်သိနိုင်ပါသည်",
}


@pytest.mark.parametrize("lang", list(UNSPACED_TEXT))
def test_a_paragraph_without_spaces_wraps_inside_the_page(lang):
    """Pango alone keeps such a paragraph on one line, about 1,000 pt past the edge."""
    from lmcself.core.linebreak import keep_syllables

    text = UNSPACED_TEXT[lang] * 2
    text = keep_syllables(text) if lang == "my" else text
    document = render_document(f'<html lang="{lang}"><body><p>{text}</p></body></html>', lang)
    found = list(lines(document))
    assert len(found) >= 3
    for _, page, texts in found:
        assert max(t.position_x + t.width for t in texts) <= page.content_box_x() + page.width + 0.5
        start = texts[0].text.lstrip("\u2060\u200b")
        assert unicodedata.category(start[0]) not in ("Mn", "Mc") and start[0] != "\u17d2"
        assert not (lang == "my" and FINAL_CONSONANT.match(start))


def test_break_points_go_between_clusters_never_inside_one():
    khmer = "ភ្ជាប់អាជីវកម្មរបស់អ្នកទៅផែនទីអនឡាញ"
    marked = break_points(khmer, "km")
    assert marked.replace(ZWSP, "") == khmer
    assert marked.count(ZWSP) >= 4
    for piece in marked.split(ZWSP):
        assert unicodedata.category(piece[0]) not in ("Mn", "Mc") and piece[0] != "\u17d2"
    lao = "ເປີດບັນຊີທະນາຄານສຳລັບທຸລະກິດ"
    assert break_points(lao, "lo").count(ZWSP) >= 2
    # Thai is left to Pango (libthai), Latin to its spaces.
    assert ZWSP not in break_points("เปิดบัญชีธนาคารสำหรับธุรกิจ", "th")
    assert break_points("Open a bank account", "km") == "Open a bank account"


def test_burmese_break_points_keep_final_consonants_with_their_syllable():
    from lmcself.core.linebreak import keep_syllables

    text = keep_syllables("မက်ဆေ့ချ်ပို့ပြီး အော်ဒါယူပါ")
    for piece in break_points(text, "my").split(ZWSP):
        assert not FINAL_CONSONANT.match(piece.lstrip("\u2060")), piece


def test_the_pdf_chinese_font_has_every_character_of_the_chinese_texts():
    """The PDF's Chinese font is a subset; a text changed without `lmcself build-fonts` would
    fall back to the system's full CJK font and double the PDF's size."""
    from fontTools.ttLib import TTFont

    from lmcself.web.fonts import FONTS_DIR, PDF_CJK_FILE, cjk_characters

    cmap = TTFont(FONTS_DIR / Path(PDF_CJK_FILE).name).getBestCmap()
    missing = sorted(
        c for c in cjk_characters() if ord(c) not in cmap and unicodedata.category(c) != "Cn"
    )
    assert not missing, f"run `lmcself build-fonts`: {''.join(missing[:20])}"


def test_the_renderer_fetches_only_the_apps_own_files():
    from lmcself.web.pdf import STATIC_DIR

    assert own_asset((STATIC_DIR / "pdf.css").as_uri()) == STATIC_DIR / "pdf.css"
    emoji = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
    assert own_asset(emoji.as_uri()) == emoji  # the one system file it may load
    for url in (
        "file:///etc/passwd",
        (STATIC_DIR / ".." / "lmcself" / "db.py").as_uri(),
        (STATIC_DIR / "no-such-file.css").as_uri(),
        "https://example.org/style.css",
        "http://127.0.0.1:8000/static/app.css",
        "data:text/css,body{color:red}",
        "file://otherhost/etc/passwd",
        "file:///usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "file:///usr/share/fonts/truetype/noto/../../../../../etc/passwd",
    ):
        with pytest.raises(RefusedURL):
            own_asset(url)


def test_a_page_asking_for_other_files_gets_nothing(tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("p { font-size: 40pt; }")
    html = (
        f'<html lang="en"><head><link rel="stylesheet" href="{secret.as_uri()}"></head>'
        f'<body><p>Hello</p><img src="file:///etc/hostname"><img src="http://127.0.0.1:1/x.png">'
        "</body></html>"
    )
    document = render_document(html, "en")
    text = next(t for _, _, texts in lines(document) for t in texts if t.text == "Hello")
    assert text.style["font_size"] < 20  # the stylesheet outside static/ was not loaded
    assert not [b for b in walk(document.pages[0]._page_box) if isinstance(b, boxes.ReplacedBox)]


def test_business_name_is_escaped_in_the_pdf(module_app):
    _, html, _, _ = rendered(module_app, "en")
    assert "Sokha &amp; &lt;Sons&gt;" in html and "<Sons>" not in html


def test_business_name_typed_in_zawgyi_prints_as_unicode():
    zawgyi = "ေရႊျမန္မာ"  # "Shwe Myanmar" typed with a Zawgyi keyboard
    assert clean_name(zawgyi) == "ရွှေမြန်မာ"
    assert clean_name("မဂၤလာပါ") == "မင်္ဂလာပါ"  # short: the detector alone says 50/50
    assert clean_name("  Sokha\tshop\x00 \n") == "Sokha shop"


def test_pdf_route_with_name_not_stored(app, client, instrument):
    record = typical_record(instrument, "en", seed=9)
    with app.app_context():
        insert(get_db(), submission_of(record))
    page = client.get(f"/en/plan/{record.id}")
    assert page.status_code == 200
    assert "KHQR (Bakong)" in page.text or record.result.weakest in page.text
    name = "Dara Noodle Corner 7731"
    response = client.post(
        f"/en/plan/{record.id}/pdf",
        data={"business_name": name, "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    # Printed on the PDF, stored nowhere: not in the database file, its WAL, or the session.
    database = Path(app.config["DATABASE"])
    files = [p for p in (database, database.with_name(database.name + "-wal")) if p.exists()]
    assert files and not [p for p in files if name.encode() in p.read_bytes()]
    assert name not in response.headers.get("Set-Cookie", "")


def test_a_too_long_name_is_refused_and_kept_in_the_field(app, client, instrument):
    record = typical_record(instrument, "en", seed=10)
    with app.app_context():
        insert(get_db(), submission_of(record))
    page = client.get(f"/en/plan/{record.id}")
    name = "N" * 81
    response = client.post(
        f"/en/plan/{record.id}/pdf",
        data={"business_name": name, "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 400
    assert "at most 80 characters" in response.text
    assert f'value="{name}"' in response.text


def test_pdf_without_csrf_token_is_refused(app, client, instrument):
    record = typical_record(instrument, "en", seed=11)
    with app.app_context():
        insert(get_db(), submission_of(record))
    response = client.post(f"/en/plan/{record.id}/pdf", data={"business_name": "x"})
    assert response.status_code == 400
    assert not response.data.startswith(b"%PDF")


def test_unknown_plan_is_404(client):
    assert client.get(f"/en/plan/{uuid.uuid4()}").status_code == 404


def drawn_glyphs(document):
    """(font family, glyph id) of every glyph laid out, as WeasyPrint will draw it."""
    from weasyprint.text.ffi import ffi, pango
    from weasyprint.text.fonts import get_pango_font_key

    for page in document.pages:
        for box in walk(page._page_box):
            if not isinstance(box, boxes.TextBox):
                continue
            box.pango_layout.reactivate(box.style)  # as draw_text does; layout frees it after
            line, _ = box.pango_layout.get_first_line()
            run = line.runs[0]
            while run != ffi.NULL:
                item, run = run.data, run.next
                _, description, _ = get_pango_font_key(item.item.analysis.font)
                family = ffi.string(pango.pango_font_description_get_family(description)).decode()
                glyphs = item.glyphs
                for info in glyphs.glyphs[0 : glyphs.num_glyphs]:
                    yield family, info.glyph
            box.pango_layout.deactivate()


def broken_glyphs(family: str, weight: str = "Regular") -> set[int]:
    """The glyphs HarfBuzz draws only for a broken cluster: the dotted circle, and for Burmese
    the visible virama (a stack drawn apart)."""
    import uharfbuzz as hb

    path = f"/usr/share/fonts/truetype/noto/{family.replace(' ', '')}-{weight}.ttf"
    if family == "lmcself Thai":
        from lmcself.web.fonts import FONTS_DIR

        path = str(FONTS_DIR / f"pdf-noto-sans-thai-{weight.lower()}.ttf")
    font = hb.Font(hb.Face(hb.Blob.from_file_path(path)))
    return {font.get_nominal_glyph(c) for c in (0x25CC, 0x1039)} - {None, 0}


@pytest.mark.parametrize("lang", UNSPACED)
def test_no_dotted_circle_and_no_broken_stack_in_the_pdf(module_app, lang):
    from tests.test_shaping import HELD_OUT, texts

    _, _, document, _ = rendered(module_app, lang)
    family = {"km": "Noto Sans Khmer", "lo": "Noto Sans Lao", "my": "Noto Sans Myanmar"}.get(
        lang, "lmcself Thai"
    )
    from lmcself.core.linebreak import keep_syllables

    held = " ".join(HELD_OUT[lang] + texts(lang)[:40])
    held = keep_syllables(held) if lang == "my" else held
    held_in = render_document(f'<html lang="{lang}"><body><p>{held}</p></body></html>', lang)
    bad = broken_glyphs(family)
    for doc in (document, held_in):
        drawn = [g for f, g in drawn_glyphs(doc) if f == family]
        assert len(drawn) > 100
        assert [g for g in drawn if g in bad] == [], "broken clusters drawn"


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_pdf_is_tagged_with_its_language_and_a_clean_title(module_app, lang, tmp_path):
    import zlib

    _, _, _, pdf = rendered(module_app, lang)
    info = poppler("pdfinfo", pdf, tmp_path)
    assert re.search(r"^Tagged:\s+yes", info, re.M), info
    title = re.search(r"^Title:\s+(.*)$", info, re.M).group(1)
    with module_app.test_request_context(f"/{lang}/"), force_locale(LOCALES[lang]):
        assert strip_breaks(gettext("Your action plan")) in title
    assert not set(title) & set("\u200b\u2060\u200c\u200d\ufeff"), ascii(title)
    # The structure tree (in compressed object streams) names headings, paragraphs and lists.
    # (the end-of-line before "endstream" is left to zlib: a stream may itself end in "\r")
    objects = b"".join(
        zlib.decompressobj().decompress(m.group(1))
        for m in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S)
        if m.group(1)[:1] == b"x"
    )
    for role in (b"/StructTreeRoot", b"/H1", b"/P", b"/L", b"/LI"):
        assert role in objects + pdf, role
    assert f"/Lang ({html_lang(lang)})".encode() in objects + pdf


@pytest.mark.parametrize("lang, plans", [("my", 40), ("km", 5), ("th", 5)])
def test_no_page_holds_only_the_disclaimer(module_app, lang, plans):
    """One Burmese plan in twenty used to put only the closing disclaimer on its last page."""
    instrument = module_app.extensions["instrument"]
    alone = []
    for seed in range(plans):
        record = typical_record(instrument, lang, seed=seed)
        with module_app.test_request_context(f"/{lang}/", base_url="https://check.example.org"):
            g.lang = lang
            html = render_plan(record, None, pdf=True, business_name="Sokha")
            document = render_document(html, lang)
        for number, page in enumerate(document.pages, start=1):
            classes = {
                box.element.get("class")
                for box in walk(page._page_box.children[0])
                if isinstance(box, boxes.LineBox) and box.element is not None
            }
            if classes <= {"meta"}:
                alone.append((seed, number))
    assert alone == []


MIXED_NAME = "Sokha 🍜☕ 老王小吃 ຮ້ານອາຫານ ហាងលក់ ရွှေမြန်မာ ร้านน้ำดี"
# The face each script of MIXED_NAME must be drawn with, whatever the plan's language.
NAME_FACES = (
    "Noto-Sans",
    "lmcself-CJK-SC",
    "Noto-Sans-Lao",
    "Noto-Sans-Khmer",
    "Noto-Sans-Myanmar",
    "lmcself-Thai",
    "Noto-Color-Emoji",
)


@pytest.mark.parametrize("name", ["W" * 80, "ក" * 80, MIXED_NAME])
@pytest.mark.parametrize("lang", list(LOCALES))
def test_a_business_name_of_any_shape_prints_inside_the_margin_in_its_faces(
    module_app, lang, name, tmp_path
):
    record = typical_record(module_app.extensions["instrument"], lang)
    with module_app.test_request_context(f"/{lang}/", base_url="https://check.example.org"):
        g.lang = lang
        html = render_plan(record, None, pdf=True, business_name=name)
        document = render_document(html, lang)
        pdf = document.write_pdf(**PDF_OPTIONS)
    for _, page, texts in lines(document):
        right = page.content_box_x() + page.width
        assert max(t.position_x + t.width for t in texts) <= right + 0.5
    table = poppler("pdffonts", pdf, tmp_path).splitlines()[2:]
    faces = {row.split()[0].split("+", 1)[-1].removesuffix("-Bold") for row in table}
    assert not [f for f in faces if "DejaVu" in f or "JP" in f or "Noto-Sans-CJK" in f], faces
    if name == MIXED_NAME:
        assert set(NAME_FACES) <= faces, set(NAME_FACES) - faces
    texts = extracted(pdf, tmp_path)
    if lang in EXTRACTABLE and name != MIXED_NAME:
        assert any(squeeze(name) in text for text in texts)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_glyph_is_missing_from_the_pdfs_faces(module_app, lang, caplog):
    """The Chinese subset once lacked a space: eleven .notdef warnings per Chinese plan."""
    record = typical_record(module_app.extensions["instrument"], lang, seed=5)
    with module_app.test_request_context(f"/{lang}/", base_url="https://check.example.org"):
        g.lang = lang
        html = render_plan(record, None, pdf=True, business_name="老王 小吃 Sokha 🍜")
        render_document(html, lang).write_pdf(**PDF_OPTIONS)
    assert not [r for r in caplog.records if ".notdef" in r.getMessage()]


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_pdf_reads_the_plan_without_the_phones_markup_and_the_same_text(module_app, lang):
    """The PDF's HTML drops the data-* attributes the phone's script fills its templates by, and
    the spans that carried only them (fewer boxes to lay out), and nothing else."""
    record = typical_record(module_app.extensions["instrument"], lang)
    trust_host(module_app, "check.example.org")  # the plans' address, as PUBLIC_URL would make it
    with module_app.test_request_context(f"/{lang}/", base_url="https://check.example.org"):
        g.lang = lang
        html = render_plan(record, None, pdf=True, business_name='Sokha <span> data-x="1"')
    lean = lean_html(html)
    assert "data-slot" in html
    assert not re.search(r"<[^>]*\sdata-[a-z-]+=", lean)
    assert not re.search(r"<span\s*>", lean)
    assert lean.count("<span") == lean.count("</span>")
    assert lean.count('<span class="') == html.count('<span class="')

    def text(markup: str) -> str:
        return re.sub(r"<[^>]*>", "", markup)

    assert text(lean) == text(html)
    assert "Sokha &lt;span&gt; data-x=&#34;1&#34;" in lean
