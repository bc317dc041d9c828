"""`make bench`: throughput and latency of the real server (gunicorn) under concurrent clients.

Starts `lmcself serve` on a temporary database and drives it with N concurrent participants, each
with its own cookies, over keep-alive connections:
- question pages: every participant reloads a question page as fast as it can;
- complete assessments: every participant walks the whole flow (landing, consent, context, six
  parts, result) again and again; the last page stores a row;
- a rush (2 s per page) and a workshop pace (15 s per page, five times faster than the ~75 s a
  page the instrument is planned for): the same walk with a pause before each page.
Client and server share this machine's cores, so the figures are a floor, not a ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from common import start_server  # bench/common.py also puts the project on sys.path

from lmcself.core.instrument import default_instrument

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
INSTRUMENT = default_instrument()


class Participant:
    """One phone: its own cookie jar and connection, timing every request."""

    def __init__(self, url: str, latencies: dict[str, list[float]]) -> None:
        self.url = url
        self.latencies = latencies
        # unsafe=True: accept cookies from an IP address, as a phone on the LAN does.
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=1), cookie_jar=aiohttp.CookieJar(unsafe=True)
        )

    async def request(self, kind: str, method: str, path: str, data: dict | None = None) -> str:
        start = time.perf_counter()
        async with self.session.request(
            method, self.url + path, data=data, allow_redirects=False
        ) as r:
            body = await r.text()
            if r.status >= 400:
                raise RuntimeError(f"{method} {path}: {r.status}")
        self.latencies.setdefault(kind, []).append(time.perf_counter() - start)
        return body

    async def post_form(self, kind: str, path: str, data: dict) -> None:
        page = await self.request("page", "GET", path)
        token = CSRF_RE.search(page).group(1)
        await self.request(kind, "POST", path, {**data, "csrf_token": token})

    async def start(self) -> None:
        await self.post_form("post", "/en/", {"consent": "y"})
        await self.post_form(
            "post", "/en/about-you", {q.key: q.options[0].key for q in INSTRUMENT.context}
        )

    async def assessment(self, think: float, rng, deadline: float) -> bool:
        """Walk the flow; give up (storing nothing) when the deadline passes. True when stored."""
        await self.start()
        dims = INSTRUMENT.dimensions
        for n, dim in enumerate(dims, start=1):
            await asyncio.sleep(think)
            if time.perf_counter() > deadline:
                return False
            answers = {q.key: rng.choice(q.options).key for q in dim.questions}
            await self.post_form("submit" if n == len(dims) else "post", f"/en/part/{n}", answers)
        return True

    async def close(self) -> None:
        await self.session.close()


def summary(name: str, samples: list[float], seconds: float) -> str:
    if not samples:
        return f"{name:<34} no samples"
    ms = sorted(s * 1000 for s in samples)
    p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]  # noqa: E731
    return (
        f"{name:<34} {len(ms) / seconds:8.1f} req/s  p50 {statistics.median(ms):6.1f} ms"
        f"  p95 {p(0.95):6.1f} ms  p99 {p(0.99):6.1f} ms  (n={len(ms)})"
    )


async def question_pages(url: str, clients: int, seconds: float) -> None:
    latencies: dict[str, list[float]] = {}
    people = [Participant(url, latencies) for _ in range(clients)]
    await asyncio.gather(*(p.start() for p in people))
    latencies.clear()
    deadline = time.perf_counter() + seconds

    async def loop(p: Participant) -> None:
        while time.perf_counter() < deadline:
            await p.request("question page", "GET", "/en/part/1")

    start = time.perf_counter()
    await asyncio.gather(*(loop(p) for p in people))
    elapsed = time.perf_counter() - start
    await asyncio.gather(*(p.close() for p in people))
    print(summary(f"question page GET, {clients} clients", latencies["question page"], elapsed))


async def assessments(url: str, clients: int, seconds: float, think: float, label: str) -> int:
    import random

    latencies: dict[str, list[float]] = {}
    people = [Participant(url, latencies) for _ in range(clients)]
    deadline = time.perf_counter() + seconds
    done = 0

    async def loop(i: int, p: Participant) -> None:
        nonlocal done
        rng = random.Random(i)
        await asyncio.sleep(rng.random() * think)  # participants do not all start at once
        while time.perf_counter() < deadline:
            stored = await p.assessment(think, rng, deadline)  # read `done` only after the await
            done += stored

    start = time.perf_counter()
    await asyncio.gather(*(loop(i, p) for i, p in enumerate(people)))
    elapsed = time.perf_counter() - start
    await asyncio.gather(*(p.close() for p in people))
    print(f"{label}: {done} assessments stored in {elapsed:.1f} s ({done / elapsed:.1f}/s)")
    print(summary("  page GET", latencies.get("page", []), elapsed))
    print(summary("  answer POST", latencies.get("post", []), elapsed))
    print(summary("  final POST (scores, stores row)", latencies.get("submit", []), elapsed))
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=min((os.cpu_count() or 1) + 1, 4))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        # Every simulated phone posts from 127.0.0.1; real phones have addresses of their own, so
        # the per-address limit on submissions (web/ratelimit.py) is lifted here, not measured.
        unlimited = {"LMCSELF_SUBMIT_RATE": "1000000", "LMCSELF_SUBMIT_BURST": "1000000"}
        proc, url = start_server(db, args.workers, unlimited)
        try:
            print(
                f"lmcself serve: {args.workers} workers x 8 threads, {os.cpu_count()} cores shared with the clients"
                " (the per-address submission limit lifted: all clients share one address)"
            )
            asyncio.run(question_pages(url, args.clients, args.seconds))
            stored = asyncio.run(
                assessments(
                    url, args.clients, args.seconds, 0.0, f"{args.clients} clients, no pause"
                )
            )
            stored += asyncio.run(
                assessments(
                    url,
                    args.clients,
                    args.seconds * 2,
                    2.0,
                    f"{args.clients} clients, 2 s per page",
                )
            )
            # The workshop pace: DESIGN.md plans ~10 minutes for 8 pages (~75 s a page); 15 s is 5x that.
            stored += asyncio.run(
                assessments(
                    url,
                    args.clients,
                    args.seconds * 12,  # one paced assessment takes 6 x 15 s
                    15.0,
                    f"{args.clients} participants, 15 s per page",
                )
            )
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        rows = sqlite3.connect(db).execute("SELECT count(*) FROM submissions").fetchone()[0]
        print(f"rows stored: {rows} (expected {stored})")
        if rows != stored:
            raise SystemExit("stored rows do not match completed assessments")


if __name__ == "__main__":
    main()
