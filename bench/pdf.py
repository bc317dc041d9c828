"""PDF action plans: median render time and size per language, for typical plans.

A typical plan is made from random answers (each option equally likely) in the language's
country, by an owner who sells abroad (so the cross-border section is in). Each language renders
the same 15 answer sets; the time is the whole `plan_pdf` call (plan, template, WeasyPrint,
PDF writing), in one process whose fonts and stylesheets are loaded once, as in the server.
Also the CPU time (less sensitive than the wall clock to other programs on a shared machine),
and the first plan of each language in a fresh process: "first cold" from nothing (WeasyPrint's
import, fonts and stylesheets included; "start" is importing and creating the app before it),
and "first warm" after the warm-up each server process does when it starts (pdf_jobs.warm_up in
its PDF renderer, warm_plan_templates in itself). All of these are renders. "repeat" is the same
download asked again, which the server answers from its cache of made PDFs (pdf_jobs.py), as a
phone's second tap does.
Aim (issue 14): median <= 0.2 s, first render in a fresh process < 0.8 s, <= 150 KB.
"""

from __future__ import annotations

import os
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

from common import submission  # bench/common.py also puts the project on sys.path
from flask import g

from lmcself import create_app
from lmcself.web.i18n import LOCALES
from lmcself.web.plan_views import plan_pdf, pooled_plan_pdf

COUNTRY = {"km": "KH", "lo": "LA", "my": "MM", "th": "TH", "vi": "VN", "zh": "CN", "en": "KH"}
PLANS = 15
PUBLIC_URL = "https://check.example.org"  # a trusted host for the QR code's address


def records(instrument, lang: str) -> list[dict]:
    out = []
    for seed in range(PLANS):
        rnd = random.Random(seed)
        context = {q.key: rnd.choice(q.options).key for q in instrument.context}
        context.update(country=COUNTRY[lang], cross_border="yes")
        answers = {q.key: rnd.choice(q.options).key for q in instrument.questions}
        submission_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        out.append(submission(instrument, submission_id, lang, context, answers))
    return out


def page_count(pdf: bytes) -> int:
    """Pages as poppler's pdfinfo reads them (the PDF's objects are compressed in streams)."""
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    return int(re.search(rb"^Pages:\s+(\d+)", info, re.M).group(1))


FIRST = """
import time
start = time.perf_counter()
import os
import sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {root!r} + "/bench")
from flask import g
from lmcself import create_app
from bench.pdf import records
from lmcself.web.plan_views import plan_pdf
app = create_app({{"DATABASE": {db!r}, "SECRET_KEY": "bench", "PUBLIC_URL": {public!r}}})
if {warm!r}:
    from lmcself.web.pdf_jobs import warm_plan_templates, warm_up
    warm_up()
    warm_plan_templates(app)
ready, ready_cpu = time.perf_counter(), time.process_time()
with app.test_request_context("/{lang}/", base_url={public!r}):
    g.lang = "{lang}"
    plan_pdf(records(app.extensions["instrument"], "{lang}")[0], "Sokha Trading")
print(ready - start, time.perf_counter() - ready, time.process_time() - ready_cpu)
"""


def first_render(lang: str, db: str, warm: bool = False) -> tuple[float, float, float]:
    """(seconds to import and create the app (and warm up), seconds and CPU seconds for the first
    plan) in a new process."""
    root = str(Path(__file__).resolve().parent.parent)
    code = FIRST.format(root=root, db=db, lang=lang, public=PUBLIC_URL, warm=warm)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    start, first, cpu = map(float, out.stdout.split()[-3:])
    return start, first, cpu


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE": f"{tmp}/bench.db",
                "SECRET_KEY": "bench",
                "PUBLIC_URL": PUBLIC_URL,
                "PDF_WORKERS": 0,  # the cached path without a pool (renders here)
            }
        )
        instrument = app.extensions["instrument"]

        def render(record: dict, lang: str) -> bytes:
            with app.test_request_context(f"/{lang}/", base_url=PUBLIC_URL):
                g.lang = lang
                return plan_pdf(record, "Sokha Trading")

        def download_twice(record, lang: str) -> float:
            """Seconds for the second download of one plan (the server's cache answers it)."""
            with app.test_request_context(f"/{lang}/", base_url=PUBLIC_URL):
                g.lang = lang
                first = pooled_plan_pdf(record, "Sokha Trading")
                start = time.perf_counter()
                again = pooled_plan_pdf(record, "Sokha Trading")
                assert again == first
                return time.perf_counter() - start

        render(records(instrument, "en")[0], "en")  # fonts and stylesheets load once
        print(
            f"\nPDF action plans: {PLANS} typical plans per language "
            "(aim: median <= 0.2 s, first in a new process < 0.8 s, <= 150 KB)"
        )
        print(
            f"  {'lang':<5} {'median s':>9} {'p90 s':>7} {'cpu s':>6} {'first cold s':>13} "
            f"{'(start s)':>9} {'first warm s':>13} {'(cpu s)':>7} {'repeat ms':>10} "
            f"{'median KB':>10} {'max KB':>7} {'pages':>6}"
        )
        for lang in LOCALES:
            times, cpu, sizes, pages = [], [], [], []
            for record in records(instrument, lang):
                start, start_cpu = time.perf_counter(), time.process_time()
                pdf = render(record, lang)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
                sizes.append(len(pdf) / 1024)
                pages.append(page_count(pdf))
            p90 = statistics.quantiles(times, n=10)[-1]
            startup, first, _ = first_render(lang, f"{tmp}/first.db")
            _, first_warm, first_warm_cpu = first_render(lang, f"{tmp}/first.db", warm=True)
            repeat = download_twice(records(instrument, lang)[0], lang)
            print(
                f"  {lang:<5} {statistics.median(times):>9.3f} {p90:>7.3f} "
                f"{statistics.median(cpu):>6.3f} {first:>13.3f} {f'({startup:.2f})':>9} "
                f"{first_warm:>13.3f} {f'({first_warm_cpu:.2f})':>7} {repeat * 1000:>10.2f} "
                f"{statistics.median(sizes):>10.1f} {max(sizes):>7.1f} "
                f"{statistics.median(pages):>6}"
            )
        print(
            f"  (load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )


if __name__ == "__main__":
    main()
