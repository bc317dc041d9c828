"""PDF action plans: median render time and size per language, for typical plans.

A typical plan is made from random answers (each option equally likely) in the language's
country, by an owner who sells abroad (so the cross-border section is in). Each language renders
the same 15 answer sets; the time is the whole `plan_pdf` call (plan, template, WeasyPrint,
PDF writing), in one process whose fonts and stylesheets are loaded once, as in the server.
Aim (issue 5): median <= 0.3 s and <= 150 KB for every language.
"""

from __future__ import annotations

import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import g

from lmcself import create_app
from lmcself.core.submissions import build_record
from lmcself.web.i18n import LOCALES
from lmcself.web.plan_views import plan_pdf

COUNTRY = {"km": "KH", "lo": "LA", "my": "MM", "th": "TH", "vi": "VN", "zh": "CN", "en": "KH"}
PLANS = 15


def records(instrument, lang: str) -> list[dict]:
    out = []
    for seed in range(PLANS):
        rnd = random.Random(seed)
        context = {q.key: rnd.choice(q.options).key for q in instrument.context}
        context.update(country=COUNTRY[lang], cross_border="yes")
        answers = {q.key: rnd.choice(q.options).key for q in instrument.questions}
        submission_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        out.append(build_record(instrument, submission_id, LOCALES[lang], context, answers))
    return out


def page_count(pdf: bytes) -> int:
    """Pages as poppler's pdfinfo reads them (the PDF's objects are compressed in streams)."""
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    return int(re.search(rb"^Pages:\s+(\d+)", info, re.M).group(1))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE": f"{tmp}/bench.db", "SECRET_KEY": "bench"})
        instrument = app.extensions["instrument"]

        def render(record: dict, lang: str) -> bytes:
            with app.test_request_context(f"/{lang}/", base_url="https://check.example.org"):
                g.lang = lang
                return plan_pdf(record, "Sokha Trading")

        render(records(instrument, "en")[0], "en")  # fonts and stylesheets load once
        print(
            f"\nPDF action plans: {PLANS} typical plans per language (aim: median <= 0.3 s, <= 150 KB)"
        )
        print(
            f"  {'lang':<5} {'median s':>9} {'p90 s':>7} {'median KB':>10} {'max KB':>7} {'pages':>6}"
        )
        for lang in LOCALES:
            times, sizes, pages = [], [], []
            for record in records(instrument, lang):
                start = time.perf_counter()
                pdf = render(record, lang)
                times.append(time.perf_counter() - start)
                sizes.append(len(pdf) / 1024)
                pages.append(page_count(pdf))
            p90 = statistics.quantiles(times, n=10)[-1]
            print(
                f"  {lang:<5} {statistics.median(times):>9.3f} {p90:>7.3f} "
                f"{statistics.median(sizes):>10.1f} {max(sizes):>7.1f} "
                f"{statistics.median(pages):>6}"
            )


if __name__ == "__main__":
    main()
