"""`make bench`: a flood of PDF requests does not stall the site (issue 13).

Starts `lmcself serve` (default workers and threads) on a temporary database with one stored
plan, then for 12 s sends 30 PDF requests at a time, each client with its own session, and
meanwhile opens a cheap page (`/en/method`) once every 50 ms. Prints the cheap page's latency
(median, p95, max) before and during the flood, and how the PDF requests were answered.
Aim: p95 of the cheap page under 200 ms during the flood.
"""

from __future__ import annotations

import asyncio
import random
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from common import start_server, submission  # bench/common.py also puts the project on sys.path

from lmcself import create_app
from lmcself.storage.db import get_db, init_db
from lmcself.storage.submissions import insert

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PARALLEL = 30
SECONDS = 12.0


def stored_plan(db: Path) -> str:
    app = create_app({"DATABASE": str(db), "SECRET_KEY": "bench"})
    instrument = app.extensions["instrument"]
    rnd = random.Random(7)
    context = {q.key: rnd.choice(q.options).key for q in instrument.context}
    context.update(country="KH", cross_border="yes")
    answers = {q.key: rnd.choice(q.options).key for q in instrument.questions}
    record = submission(instrument, str(uuid.uuid4()), "km", context, answers)
    with app.app_context():
        init_db()
        insert(get_db(), record)
    return record.id


async def cheap_pages(url: str, until: float) -> list[float]:
    times = []
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() < until:
            start = time.perf_counter()
            async with session.get(url + "/en/method") as r:
                await r.read()
                assert r.status == 200, r.status
            times.append(time.perf_counter() - start)
            await asyncio.sleep(0.05)
    return times


async def pdf_client(
    url: str, plan: str, until: float, codes: dict[int, int], at_least: int = 0
) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.get(f"{url}/km/plan/{plan}") as r:
            token = CSRF_RE.search(await r.text()).group(1)
        n = 0
        while time.perf_counter() < until or n < at_least:
            n += 1
            data = {"business_name": f"Shop {uuid.uuid4().hex[:6]}", "csrf_token": token}
            async with session.post(f"{url}/km/plan/{plan}/pdf", data=data) as r:
                await r.read()
                codes[r.status] = codes.get(r.status, 0) + 1
                if r.status == 429:
                    await asyncio.sleep(min(float(r.headers.get("Retry-After", "1")), 2))


def summary(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"median {statistics.median(ms):6.1f} ms  p95 {p95:6.1f} ms  max {ms[-1]:6.1f} ms  ({len(ms)} requests)"


async def flood(url: str, plan: str) -> None:
    # Each server process starts and warms its PDF pool when it starts (in the background, at a
    # lower priority): the first PDFs are timed, from just after the server answers.
    start = time.perf_counter()
    warm: dict[int, int] = {}
    for _ in range(3):
        await asyncio.gather(*(pdf_client(url, plan, 0, warm, at_least=1) for _ in range(3)))
    print(
        f"\nfirst PDFs (pools warming since the start): {time.perf_counter() - start:.1f} s, answers {warm}"
    )
    quiet = await cheap_pages(url, time.perf_counter() + 3)
    until = time.perf_counter() + SECONDS
    codes: dict[int, int] = {}
    clients = [pdf_client(url, plan, until, codes) for _ in range(PARALLEL)]
    results = await asyncio.gather(cheap_pages(url, until), *clients)
    print(
        f"\nPDF flood: {PARALLEL} parallel PDF requests for {SECONDS:.0f} s (aim: cheap page p95 < 200 ms)"
    )
    print(f"  /en/method, no flood:     {summary(quiet)}")
    print(f"  /en/method, during flood: {summary(results[0])}")
    made = codes.get(200, 0)
    print(
        f"  PDF answers: {made} PDFs ({made / SECONDS:.1f}/s), {codes.get(429, 0)} x 429, "
        f"other: { {k: v for k, v in codes.items() if k not in (200, 429)} }"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        plan = stored_plan(db)
        proc, url = start_server(db, workers=3)
        try:
            asyncio.run(flood(url, plan))
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
