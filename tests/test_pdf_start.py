"""The PDF renderers start with the server process, warmed, so that the first PDF waits for no
start-up; a plan made once is answered from the cache while what it is made of stays the same
(stored answers, language, catalog version, name)."""

from __future__ import annotations

import dataclasses
from concurrent.futures import wait
from types import SimpleNamespace

from lmcself.commands.server import server_options, start_pdf_pool, stop_pdf_pool
from lmcself.storage.db import get_db
from lmcself.storage.submissions import insert
from lmcself.web import pdf_jobs

from .test_pdf import typical_record
from .test_pdf_jobs import ask_for_pdf


def test_each_server_process_starts_its_pdf_renderers_when_it_is_ready(app, monkeypatch):
    started = []
    monkeypatch.setattr(pdf_jobs.PdfJobs, "start", lambda self: started.append(self))
    hook = server_options("127.0.0.1", 8000, 2, 4)["post_worker_init"]
    assert hook is start_pdf_pool
    hook(SimpleNamespace(wsgi=app))
    assert started == [app.extensions["pdf_jobs"]]
    hook(SimpleNamespace(wsgi=None))  # a worker that failed to load its app: nothing to start
    assert len(started) == 1
    stopped = []
    monkeypatch.setattr(pdf_jobs.PdfJobs, "shutdown", lambda self: stopped.append(self))
    assert server_options("127.0.0.1", 8000, 2, 4)["worker_exit"] is stop_pdf_pool
    stop_pdf_pool(None, SimpleNamespace(wsgi=app))
    assert stopped == [app.extensions["pdf_jobs"]]


def test_start_warms_the_pool_before_any_pdf_is_asked_for(monkeypatch):
    submitted = []
    jobs = pdf_jobs.PdfJobs(workers=1, pending=2, per_client=1, cache_bytes=1024)
    real_pool = jobs.pool

    def pool():
        executor = real_pool()
        submit = executor.submit
        executor.submit = lambda fn, *a: submitted.append(submit(fn, *a)) or submitted[-1]
        return executor

    monkeypatch.setattr(jobs, "pool", pool)
    try:
        jobs.start()
        assert len(submitted) == 1
        done, _ = wait(submitted, timeout=120)
        assert [f.result() for f in done] == [True]  # its process started and warmed itself
        processes = list(jobs._pool._processes.values())
        assert processes
    finally:
        jobs.shutdown()
    for process in processes:  # stopped at once, not left to finish
        process.join(timeout=10)
        assert not process.is_alive()
    pdf_jobs.PdfJobs(workers=0, pending=2, per_client=1, cache_bytes=1024).start()  # no pool


def test_a_new_catalog_version_makes_the_plan_again(app, instrument, monkeypatch):
    record = typical_record(instrument, "en", seed=23)
    with app.app_context():
        insert(get_db(), record)
    made = []
    render = pdf_jobs._render
    monkeypatch.setattr(
        pdf_jobs, "_render", lambda html, lang: made.append(1) or render(html, lang)
    )
    assert ask_for_pdf(app, record, "Sokha", "en").status_code == 200
    assert ask_for_pdf(app, record, "Sokha", "en").status_code == 200
    assert len(made) == 1
    catalog = app.extensions["catalog"]
    app.extensions["catalog"] = dataclasses.replace(catalog, version=catalog.version + "-next")
    assert ask_for_pdf(app, record, "Sokha", "en").status_code == 200
    assert len(made) == 2
