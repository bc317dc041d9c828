"""The PDF's own Chinese and Thai faces are loaded for the documents whose text needs them
(a process that prints neither never reads their files; pdf.py)."""

from __future__ import annotations

import pytest

from lmcself.web.pdf import FACE_SHEETS, stylesheets


@pytest.mark.parametrize(
    "text, faces",
    [
        ("<p>Sokha Trading · Việt Nam · ខ្មែរ · ລາວ · မြန်မာ</p>", set()),
        ("<p>ร้านค้า</p>", {"pdf-thai.css"}),
        ("<p>老王小吃</p>", {"pdf-cjk.css"}),
        ("<p>（）、。</p>", {"pdf-cjk.css"}),
        ("<p>老王 ร้าน</p>", {"pdf-cjk.css", "pdf-thai.css"}),
    ],
)
def test_a_face_sheet_comes_with_text_in_its_script_only(text, faces):
    sheets = stylesheets(text)
    assert len(sheets) == 1 + len(faces)
    assert {name for name, script in FACE_SHEETS.items() if script.search(text)} == faces
