"""PDFs made off the request threads, so that a flood of them never stalls the site (issue 13).

A PDF takes a quarter of a second of CPU or more; made on a request thread, 30 at once held every
thread of the server and a cheap page waited seconds. Here:
- WeasyPrint runs in a small pool of processes (`PDF_WORKERS` per server process, started with
  the server process (`lmcself serve`; elsewhere on the first PDF), fonts and stylesheets warmed
  in each, at a lower CPU priority than the pages), so the first PDF waits for no start-up;
- at most `PDF_PENDING` PDFs are running or waiting per server process, and at most
  `PDF_PER_CLIENT` per client; past that the answer is at once `Busy`, which the views turn into
  429 with Retry-After and a friendly message, and the request thread is free again;
- a client is its session (the CSRF token every PDF form carries, hashed): no IP address is used
  or kept;
- plans already made are kept in memory, at most `PDF_CACHE_BYTES`, least recently used first
  out, keyed by a keyed hash of (the stored submission's content hash, language, catalog version,
  business name): a repeat download is instant, the name is never a key in clear, and nothing is
  written to disk.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import multiprocessing
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from flask import Flask, current_app, session

# Seconds a PDF may take in the pool before the request gives up (a PDF takes well under 1 s).
RENDER_TIMEOUT = 30.0


class Busy(Exception):
    """Too many PDFs under way (for the server or for this client): try again later."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many PDFs under way; retry after {retry_after} s")
        self.retry_after = retry_after


def _warm() -> None:
    """In each pool process: yield the CPU to the pages, then load WeasyPrint, fonts and styles."""
    os.nice(10)
    warm_up()


# A letter of each language's script, and the plan's styles that pick a face or a size of their
# own (bold, headings, the score, the code, the small print, a table, the page number): Pango
# loads a face for each (family, weight, size) the first time, a tenth of a second each.
WARM_TEXTS = {"en": "Aa 1", "km": "ក", "lo": "ກ", "my": "က", "th": "ก", "vi": "Ấ", "zh": "中"}
WARM_BODY = (
    '<h1>{t}</h1><p class="business-name">{t}</p><p class="meta">{t}</p><h2>{t}</h2>'
    '<p class="score"><span class="big">1</span> <span class="level">{t}</span></p>'
    '<ul class="chart"><li>{t} <span class="chart-score">1</span></li></ul>'
    '<div class="card"><h3>{t}</h3><p>{t}</p></div><h4>{t}</h4>'
    '<p class="step-title">{t}</p><p>{t} <strong>{t}</strong> <a href="#">{t}</a></p>'
    '<table class="since-table"><tr><th>{t}</th><td>{t}</td></tr></table>'
    '<p class="code">{t}</p>'
)


def warm_up() -> None:
    """Load WeasyPrint, the stylesheets and the faces of every language in every style the plan
    uses, and write each once (bench/pdf.py times a first plan after this, as the pool's first)."""
    from lmcself.web.pdf import PDF_OPTIONS, render_document

    for lang, text in WARM_TEXTS.items():
        html = f'<html lang="{lang}"><body>{WARM_BODY.format(t=text)}</body></html>'
        render_document(html, lang).write_pdf(**PDF_OPTIONS)


def warm_plan_templates(app: Flask) -> None:
    """In a server process: compile the plan's templates (the page, its layout and the partials),
    which the first PDF's HTML would otherwise wait for (a fifth of a second)."""
    for name in app.jinja_env.list_templates(filter_func=lambda n: n.startswith("_")):
        app.jinja_env.get_template(name)
    for name in ("base.html", "plan.html"):
        app.jinja_env.get_template(name)


def _ready() -> bool:
    """A task that makes the pool start its processes (each warms itself first)."""
    return True


def _render(html: str, lang: str) -> bytes:
    from lmcself.web.pdf import render_pdf

    return render_pdf(html, lang)


class PdfJobs:
    """The pool, the limits and the cache of one server process."""

    def __init__(self, workers: int, pending: int, per_client: int, cache_bytes: int) -> None:
        self.workers = workers
        self.pending_limit = pending
        self.per_client = per_client
        self.cache_bytes = cache_bytes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending = 0
        self._clients: dict[str, int] = {}
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cached_bytes = 0
        # Cache keys are keyed hashes; the key lives only in this process's memory.
        self._salt = secrets.token_bytes(32)

    def key(self, *parts: str) -> str:
        return hmac.new(self._salt, "\0".join(parts).encode(), hashlib.sha256).hexdigest()

    def pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn: the server's threads and sockets are not copied into the renderers.
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_warm,
                )
            return self._pool

    def start(self) -> None:
        """Start the renderers now, in the background: the first PDF then waits for no start-up."""
        if self.workers:
            pool = self.pool()
            for _ in range(self.workers):
                pool.submit(_ready)

    def shutdown(self) -> None:
        """Stop the renderers at once (a server process that stops waits for no PDF or warm-up:
        a PDF under way has lost its request anyway)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
            pool.shutdown(wait=False, cancel_futures=True)

    def _retry_after(self) -> int:
        # Each waiting PDF takes about half a second of a worker.
        return max(1, math.ceil(self._pending * 0.5 / max(self.workers, 1)))

    def _cached(self, key: str) -> bytes | None:
        with self._lock:
            pdf = self._cache.get(key)
            if pdf is not None:
                self._cache.move_to_end(key)
            return pdf

    def _keep(self, key: str, pdf: bytes) -> None:
        if len(pdf) > self.cache_bytes:
            return
        with self._lock:
            if key in self._cache:
                return
            self._cache[key] = pdf
            self._cached_bytes += len(pdf)
            while self._cached_bytes > self.cache_bytes:
                _, old = self._cache.popitem(last=False)
                self._cached_bytes -= len(old)

    def render(
        self, client: str, html: Callable[[], str], lang: str, cache_key: str | None = None
    ) -> bytes:
        """The PDF of html() in lang, from the cache or the pool; Busy past the limits."""
        if cache_key is not None and (pdf := self._cached(cache_key)) is not None:
            return pdf
        with self._lock:
            if self._pending >= self.pending_limit or self._clients.get(client, 0) >= (
                self.per_client
            ):
                raise Busy(self._retry_after())
            self._pending += 1
            self._clients[client] = self._clients.get(client, 0) + 1
        try:
            page = html()
            if self.workers == 0:  # in the request thread (tests, tools)
                pdf = _render(page, lang)
            else:
                pdf = self.pool().submit(_render, page, lang).result(timeout=RENDER_TIMEOUT)
        except FutureTimeout:
            raise Busy(self._retry_after()) from None
        finally:
            with self._lock:
                self._pending -= 1
                left = self._clients.pop(client) - 1
                if left:
                    self._clients[client] = left
        if cache_key is not None:
            self._keep(cache_key, pdf)
        return pdf


def client_key() -> str:
    """This client, without its IP address: a hash of its session's CSRF token (every PDF form
    carries one), or of a token made for the session."""
    token = session.get("csrf_token") or session.setdefault("pdf_client", secrets.token_hex(16))
    return hashlib.sha256(f"pdf-client\0{token}".encode()).hexdigest()[:32]


def jobs() -> PdfJobs:
    return current_app.extensions["pdf_jobs"]


def init_app(app: Flask) -> None:
    # No pool under tests unless asked for: each test app would start (and warm) its own.
    app.config.setdefault("PDF_WORKERS", 0 if app.testing else 1)
    app.config.setdefault("PDF_PENDING", 2)
    app.config.setdefault("PDF_PER_CLIENT", 1)
    app.config.setdefault("PDF_CACHE_BYTES", 16 * 1024 * 1024)
    app.extensions["pdf_jobs"] = PdfJobs(
        workers=app.config["PDF_WORKERS"],
        pending=app.config["PDF_PENDING"],
        per_client=app.config["PDF_PER_CLIENT"],
        cache_bytes=app.config["PDF_CACHE_BYTES"],
    )
