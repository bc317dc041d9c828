"""Fixtures: an app on a temporary database, its client and CLI runner, and a live server."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Coroutine, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lmcself import create_app
from lmcself.core.instrument import CONTEXT_KEYS, default_instrument
from lmcself.core.submissions import Submission
from lmcself.storage import devices, submissions
from lmcself.storage.db import connect, get_db, init_db, migrate

ROOT = Path(__file__).resolve().parent.parent
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "test.db"), "SECRET_KEY": "test"})
    with app.app_context():
        init_db()
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def instrument():
    return default_instrument()


def assert_names_the_fault(load, path, key: str, problem: str) -> None:
    """A broken data file fails with one error naming the file, the key and what is wrong."""
    from lmcself.core.instrument import InstrumentError

    with pytest.raises(InstrumentError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert key in info.value.key, message
    assert problem in info.value.problem, message


def make_submission(
    instrument,
    submission_id: str,
    locale: str,
    context: dict,
    answers: dict,
    workshop: str | None = None,
    created_on: date | None = None,
) -> Submission:
    """A checked, scored Submission, as any way in makes one (here through a bundle line)."""
    line = {
        "id": submission_id,
        "instrument_version": instrument.version,
        "locale": locale,
        "context": context,
        "answers": answers,
        "workshop": workshop,
        "created_on": (created_on or date.today()).isoformat(),
    }
    return Submission.from_line(instrument, line, date.max)


def as_record(submission: Submission) -> dict:
    """A Submission as a plain dict, the shape of a stored row with its JSON parsed: the data
    the figure tests count and average by hand."""
    return {
        **submission.to_line(),
        **submission.context,
        "answers": dict(submission.answers),
        "scores": submission.scores,
        "overall": submission.result.overall,
        "level": submission.result.level,
    }


def submission_of(record) -> Submission:
    """The Submission of an as_record() dict (or the Submission itself)."""
    if isinstance(record, Submission):
        return record
    line = {**record, "context": {k: record[k] for k in CONTEXT_KEYS}}
    return Submission.from_line(default_instrument(), line, date.max)


def random_records(
    instrument,
    n: int,
    seed: int = 0,
    workshop: str | None = "HANOI-01",
    start: date = date(2026, 11, 1),
    days: int = 20,
    fixed: dict | None = None,
) -> list:
    """n records (as_record) with random answers, languages and dates from `start` over `days`
    days (the same for the same seed); context answers in `fixed` are the same for all (set
    before scoring: in 2.0 the context decides which questions apply)."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        context = {q.key: rnd.choice(q.options).key for q in instrument.context} | (fixed or {})
        answers = {q.key: rnd.choice(q.options).key for q in instrument.questions}
        submission_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        day = start + timedelta(days=i % days)
        locale = rnd.choice(["km", "lo", "my", "th", "vi", "zh", "en"])
        out.append(
            as_record(
                make_submission(instrument, submission_id, locale, context, answers, workshop, day)
            )
        )
    return out


def memory_database(records):
    """A migrated in-memory database holding the records (for the figures' pure functions)."""
    db = connect(":memory:")
    migrate(db)
    for record in records:
        submissions.insert(db, submission_of(record))
    return db


def define_workshops(db, records) -> None:
    """A workshop for each code the records name, as a trainer would have made it."""
    codes = {r.workshop if isinstance(r, Submission) else r.get("workshop") for r in records}
    for code in codes - {None, ""}:
        db["workshops"].insert(
            {"code": code, "name": f"Workshop {code}", "country": "VN", "held_on": "2026-11-01"},
            ignore=True,
        )


def store(app, records) -> None:
    with app.app_context():
        define_workshops(get_db(), records)
        for record in records:
            submissions.insert(get_db(), submission_of(record))


def rows(app) -> list[tuple]:
    with app.app_context():
        return get_db().execute("SELECT * FROM submissions ORDER BY id").fetchall()


@pytest.fixture(scope="module")
def module_app(tmp_path_factory):
    """An app on a database shared by one test module (for work done once per module)."""
    path = tmp_path_factory.mktemp("module") / "test.db"
    app = create_app({"TESTING": True, "DATABASE": str(path), "SECRET_KEY": "test"})
    with app.app_context():
        init_db()
    return app


# The token of the laptop the tests' bundles come from (`lmcself export-bundle --token`); every
# central server made here knows it (as `lmcself add-device bundle-laptop` would have made it).
DEVICE_TOKEN = "test-bundle-laptop-token"


def register_device(app, name: str = "bundle-laptop", token: str = DEVICE_TOKEN) -> None:
    with app.app_context():
        get_db()["devices"].insert(
            {"name": name, "token_hash": devices.token_hash(token), "created_on": "2026-12-01"}
        )


def signed_batch(token: str, payload: object) -> dict:
    """A push batch's request as http_sender makes it: the JSON body and its signature."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    signature = devices.sign(devices.signing_key(token), body)
    return {
        "data": body,
        "headers": {"Content-Type": "application/json", "X-Lmcself-Signature": signature},
    }


@pytest.fixture
def central(tmp_path):
    """A second app on its own database: the central server a laptop's data goes to."""
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "central.db"), "SECRET_KEY": "t"})
    with app.app_context():
        init_db()
    register_device(app)
    return app


PASSWORD = "correct horse battery"


@pytest.fixture
def trainer(app):
    """A trainer account on the app's database."""
    from lmcself.staff.accounts import add_user

    with app.app_context():
        add_user(get_db(), "sokha", PASSWORD, "trainer")
    return "sokha"


@pytest.fixture
def staff_member(app):
    """A program staff account (dashboard, report, exports) on the app's database."""
    from lmcself.staff.accounts import add_user

    with app.app_context():
        add_user(get_db(), "lina", PASSWORD, "staff")
    return "lina"


def sign_in(client, name="sokha", password=PASSWORD, lang="en"):
    page = client.get(f"/{lang}/staff/login")
    return client.post(
        f"/{lang}/staff/login",
        data={"name": name, "password": password, "csrf_token": csrf_token(page.text)},
    )


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def top_answers(instrument, level: str = "top") -> dict[str, str]:
    """An answer for every scored question: the top option (most points; never "does not
    apply" or "don't know"), or the first."""
    pick = (
        (
            lambda q: max(
                (o for o in q.options if not o.dont_know and not o.not_applicable),
                key=lambda o: o.points,
            )
        )
        if level == "top"
        else (lambda q: q.options[0])
    )
    return {q.key: pick(q).key for q in instrument.questions}


def context_answers(instrument) -> dict[str, str]:
    return {q.key: q.options[0].key for q in instrument.context}


class Walker:
    """Walks the no-JavaScript flow with the test client, CSRF tokens and all."""

    def __init__(self, client: FlaskClient, instrument, lang: str = "en") -> None:
        self.client, self.instrument, self.lang = client, instrument, lang

    def post(self, path: str, data: dict, **kwargs):
        page = self.client.get(path)
        return self.client.post(path, data={**data, "csrf_token": csrf_token(page.text)}, **kwargs)

    def start(self, workshop: str | None = None):
        query = f"?w={workshop}" if workshop else ""
        page = self.client.get(f"/{self.lang}/{query}")
        data = {"consent": "y", "csrf_token": csrf_token(page.text)}
        if workshop:
            data["workshop"] = workshop
        return self.client.post(f"/{self.lang}/", data=data)

    def pages(self) -> list[tuple[str, tuple]]:
        """The pages after the context page, with their questions: one per part, then (2.0)
        the page of unscored questions."""
        groups = [d.questions for d in self.instrument.dimensions]
        if self.instrument.unscored:
            groups.append(self.instrument.unscored)
        return [(f"/{self.lang}/part/{n}", qs) for n, qs in enumerate(groups, start=1)]

    @staticmethod
    def page_data(questions, answers: dict[str, str]) -> dict[str, str]:
        """A page's answers: those given; an unscored question not given gets its first."""
        return {q.key: answers.get(q.key) or q.options[0].key for q in questions}

    def answer(self, path: str, questions, answers: dict[str, str]):
        """Answers one page. When an answer opens a question (a condition, 2.0) the page asks
        it: the same answers are sent again, as an owner answers what was opened."""
        data = self.page_data(questions, answers)
        response = self.post(path, data)
        if response.status_code == 200:
            response = self.post(path, data)
        return response

    def complete(
        self, answers: dict[str, str], context: dict[str, str] | None = None, workshop=None
    ):
        """Answer every page; return the final response (a redirect to the result)."""
        self.start(workshop)
        self.post(f"/{self.lang}/about-you", context or context_answers(self.instrument))
        response = None
        for path, questions in self.pages():
            response = self.answer(path, questions, answers)
            assert response.status_code == 302, response.text
        return response


@pytest.fixture
def walker(client, instrument) -> Walker:
    return Walker(client, instrument)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`lmcself serve` in a subprocess on a free port and a temporary database; can stop and start."""

    def __init__(self, directory: Path, port: int | None = None, env: dict | None = None) -> None:
        self.extra_env = env or {}
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database = directory / "live.db"
        self.log = directory / "server.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> LiveServer:
        env = {
            **os.environ,
            "LMCSELF_DATABASE": str(self.database),
            "LMCSELF_SECRET_KEY": "live-test",
            # The LAN name test_offline maps to loopback, trusted as a trainer would configure it.
            "LMCSELF_TRUSTED_HOSTS_EXTRA": '["workshop.lan"]',
            **self.extra_env,
        }
        lmcself = shutil.which("lmcself", path=str(Path(sys.executable).parent)) or "lmcself"
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(
                [
                    lmcself,
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    "2",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "/api/v1/instrument.json", timeout=1)
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"server did not start:\n{self.log.read_text()}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def rows(self, sql: str = "SELECT * FROM submissions", params=()) -> list[dict]:
        import sqlite3

        with sqlite3.connect(self.database) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute(sql, params)]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The real server, shared by the browser tests that do not stop it."""
    server = LiveServer(tmp_path_factory.mktemp("live")).start()
    yield server
    server.stop()


@pytest.fixture
def own_server(tmp_path) -> Iterator[LiveServer]:
    """A server of this test's own, which the test may stop and start again."""
    server = LiveServer(tmp_path).start()
    yield server
    server.stop()


CHROMIUM = os.environ.get("LMCSELF_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    """Debian's Chromium driven by Playwright (Playwright's own browser download is not used)."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def phone(browser):
    """A fresh phone-sized page with its own cookies."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def old_phone(browser):
    """A phone-sized page without JavaScript (old phones, proxy browsers): the server-rendered flow."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


class Gate:
    """A way to the live server that a test can cut and restore: a TCP proxy on a port of its own.

    A new port is a new origin (127.0.0.1 is a secure context), so each phone that comes through
    a gate has its first visit there: no service worker, cache or storage from another test. Cut,
    connections are refused, as when a phone loses the workshop laptop but keeps its internet."""

    def __init__(self, server: LiveServer) -> None:
        self.target, self.port = server.port, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.listener: asyncio.AbstractServer | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.restore()

    def _call(self, coroutine: Coroutine[object, object, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    async def _open(self) -> None:
        if self.listener:
            return
        self.listener = await asyncio.start_server(
            self._client, "127.0.0.1", self.port, reuse_address=True
        )

    async def _close(self) -> None:
        if self.listener:
            self.listener.close()
            await self.listener.wait_closed()
            self.listener = None
        writers = list(self.writers)
        for writer in writers:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for w in writers), return_exceptions=True)

    async def _stop(self) -> None:
        await self._close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            await writer.wait_closed()
            return
        self.writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()
                self.writers.discard(dst)

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        self._call(self._close())

    def restore(self) -> None:
        self._call(self._open())

    def close(self) -> None:
        self._call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def gate(live_server) -> Iterator[Gate]:
    """A fresh origin in front of the shared live server, which the test may cut and restore."""
    g = Gate(live_server)
    yield g
    g.close()
