"""Sign-in as an attacker tries it: parallel guesses, one password across many names, locking a
trainer out, what is kept of typed names; passwords; sessions that can be ended."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from lmcself import create_app
from lmcself.staff import accounts
from lmcself.staff.accounts import (
    OVERALL,
    PER_NAME,
    PasswordRejected,
    add_user,
    check_password_rules,
)
from lmcself.storage.db import get_db, init_db

from .conftest import PASSWORD, csrf_token, sign_in


@pytest.fixture
def kdf_calls(monkeypatch) -> list[str]:
    """Every password checked by the key-derivation function (the attacker's real gain)."""
    calls: list[str] = []
    real = accounts.verify_password
    lock = threading.Lock()

    def counted(stored: str, password: str) -> tuple[bool, bool]:
        with lock:
            calls.append(password)
        return real(stored, password)

    monkeypatch.setattr(accounts, "verify_password", counted)
    return calls


@pytest.fixture
def frozen_clock(monkeypatch) -> None:
    """One instant for every try: the race tests are about the count being atomic, not about
    how fast a loaded machine lets 40 threads arrive (a late one may rightly find the wait over)."""
    instant = time.time()
    monkeypatch.setattr("lmcself.staff.accounts.time.time", lambda: instant)


@pytest.fixture
def raw_app(tmp_path: Path):
    """An app on a real SQLite file without CSRF, so threads can post at once."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "race.db"),
            "SECRET_KEY": "race",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        init_db()
        add_user(get_db(), "sokha", PASSWORD, "trainer")
    return app


def parallel_sign_ins(app, passwords: list[str], name: str = "sokha") -> list[int]:
    """One thread per password, all released at once; the status codes."""
    barrier = threading.Barrier(len(passwords))
    statuses: list[int] = [0] * len(passwords)

    def go(i: int, password: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post("/en/staff/login", data={"name": name, "password": password})
        statuses[i] = response.status_code

    threads = [threading.Thread(target=go, args=(i, p)) for i, p in enumerate(passwords)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_forty_parallel_sign_ins_check_at_most_the_allowed_passwords(
    raw_app, kdf_calls, frozen_clock
):
    statuses = parallel_sign_ins(raw_app, [f"guess number {i:02d}" for i in range(40)])
    assert len(kdf_calls) <= PER_NAME.free, len(kdf_calls)
    assert statuses.count(401) == len(kdf_calls)
    assert statuses.count(429) == 40 - len(kdf_calls)


def test_twenty_parallel_guesses_sign_in_only_within_the_allowance(
    raw_app, kdf_calls, frozen_clock
):
    guesses = [f"guess number {i:02d}" for i in range(19)] + [PASSWORD]
    statuses = parallel_sign_ins(raw_app, guesses)
    signed_in = statuses.count(302)
    assert signed_in == (1 if PASSWORD in kdf_calls else 0), (statuses, kdf_calls)
    # The right password gives back its own try, and only its own: one more guess at most.
    assert len(kdf_calls) <= PER_NAME.free + signed_in, kdf_calls


def test_a_right_sign_in_between_guesses_gives_back_only_its_own_try(app, kdf_calls, monkeypatch):
    """The owner signing in (from a browser without a device cookie) while someone guesses at the
    name must not wipe the guesser's count: that would hand out a fresh allowance per sign-in."""
    monkeypatch.setattr("lmcself.staff.accounts.time.time", lambda: 3_000_000.0)
    attacker = app.test_client()
    with app.app_context():
        add_user(get_db(), "dara", PASSWORD, "trainer")
    assert [sign_in(attacker, name="dara", password=f"wrong {i}").status_code for i in (1, 2)] == [
        401,
        401,
    ]
    assert sign_in(app.test_client(), name="dara").status_code == 302
    guesses = [sign_in(attacker, name="dara", password=f"again {i}").status_code for i in range(5)]
    assert guesses == [401, 429, 429, 429, 429]
    assert len(kdf_calls) == 2 + 1 + 1


def test_one_password_across_many_names_is_limited(client, kdf_calls, monkeypatch):
    # A still clock: a slow machine must not let the first wait (1 s) pass between two tries.
    monkeypatch.setattr("lmcself.staff.accounts.time.time", lambda: 5_000_000.0)
    statuses = [
        sign_in(client, name=f"user{i}", password="Summer2026!!").status_code for i in range(60)
    ]
    assert statuses[: OVERALL.free] == [401] * OVERALL.free
    assert statuses[OVERALL.free] == 429
    assert len(kdf_calls) <= OVERALL.free + 1


def test_a_lock_out_is_bounded_and_the_trainers_browser_still_signs_in(
    app, client, trainer, monkeypatch
):
    clock = [2_000_000.0]
    monkeypatch.setattr("lmcself.staff.accounts.time.time", lambda: clock[0])
    # The trainer signed in from this laptop once (a device cookie) and signed out.
    assert sign_in(client).status_code == 302
    client.post("/en/staff/logout", data={"csrf_token": csrf_token(client.get("/en/staff/").text)})
    attacker = app.test_client()
    waits = []
    for _ in range(40):  # an attacker keeps the name busy for hours, trying whenever allowed
        response = sign_in(attacker, password="guess guess guess")
        if response.status_code == 429:
            waits.append(int(response.headers["Retry-After"]))
            clock[0] += waits[-1]
    assert waits and max(waits) <= PER_NAME.most  # never more than 5 minutes
    while sign_in(attacker, password="guess guess guess").status_code != 429:
        pass  # the attacker takes the slot that just opened
    assert sign_in(attacker).status_code == 429  # the name is held up for a new browser...
    assert sign_in(client).status_code == 302  # ...but not for the trainer's own


def test_a_quarter_hour_without_failures_starts_afresh(app, client, trainer, monkeypatch):
    clock = [3_000_000.0]
    monkeypatch.setattr("lmcself.staff.accounts.time.time", lambda: clock[0])
    for _ in range(PER_NAME.free):
        sign_in(client, password="guess guess guess")
    assert sign_in(client).status_code == 429
    clock[0] += 15 * 60 + 1
    for _ in range(PER_NAME.free):  # one try each 15 minutes never locks anyone out
        assert sign_in(client, password="guess guess guess").status_code == 401
        clock[0] += 15 * 60 + 1
    assert sign_in(client).status_code == 302


def test_typed_names_are_not_kept_and_old_rows_go(app, client, trainer, monkeypatch):
    clock = [4_000_000.0]
    monkeypatch.setattr("lmcself.staff.accounts.time.time", lambda: clock[0])
    typed = "MyPassword-typed-in-the-name-field"
    for i in range(5):
        sign_in(client, name=f"{typed}{i}", password="guess guess guess")
        clock[0] += 20
    database = Path(app.config["DATABASE"])
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        kept = db.execute("SELECT key FROM login_attempts").fetchall()
    assert len(kept) == 6  # five names and the overall count
    data = b"".join(p.read_bytes() for p in database.parent.glob("test.db*"))
    assert typed.encode() not in data and typed.lower().encode() not in data
    clock[0] += 16 * 60
    sign_in(client, name="someone", password="guess guess guess")
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM login_attempts").fetchone()[0] == 2


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short pass", "at least 12"),
        (" " * 14, "blank"),
        ("\t\n" * 8, "blank"),
        ("qwerty123456", "common"),
        ("Q1W2E3R4T5Y6", "common"),
        ("  1qaz2wsx3edc  ", "common"),
    ],
)
def test_weak_passwords_are_refused(app, runner, password, why):
    with pytest.raises(PasswordRejected, match=why):
        check_password_rules(password)
    result = runner.invoke(args=["add-user", "weak", "--password", password])
    assert result.exit_code != 0 and why in result.output


def test_passwords_are_kept_as_argon2id_and_old_scrypt_hashes_still_work(app, client):
    with app.app_context():
        db = get_db()
        add_user(db, "new", PASSWORD, "staff")
        assert db.execute("SELECT password_hash FROM users").fetchone()[0].startswith("$argon2id$")
        db["users"].insert(
            {"name": "old", "password_hash": generate_password_hash(PASSWORD), "role": "staff"}
        )
    assert sign_in(client, name="old").status_code == 302
    with app.app_context():
        stored = get_db().execute("SELECT password_hash FROM users WHERE name = 'old'").fetchone()
    assert stored[0].startswith("$argon2id$")  # rehashed at the sign-in
    assert sign_in(app.test_client(), name="old").status_code == 302


def test_outdated_argon2_parameters_are_rehashed(app, client, trainer, monkeypatch):
    from argon2 import PasswordHasher

    stronger = PasswordHasher(time_cost=4)
    monkeypatch.setattr(accounts, "hasher", stronger)
    assert sign_in(client).status_code == 302
    with app.app_context():
        stored = get_db().execute("SELECT password_hash FROM users").fetchone()[0]
    assert ",t=4," in stored and not stronger.check_needs_rehash(stored)


def test_a_cookie_copied_before_sign_out_no_longer_opens_the_exports(app, client, staff_member):
    sign_in(client, name=staff_member)
    assert client.get("/en/staff/exports/codebook.csv").status_code == 200
    stolen = client.get_cookie("session").value
    client.post("/en/staff/logout", data={"csrf_token": csrf_token(client.get("/en/staff/").text)})
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/en/staff/exports/codebook.csv")
    assert response.status_code in (302, 403) and "Codebook" not in response.text


@pytest.mark.parametrize("command", ["end-sessions", "set-password"])
def test_commands_end_every_session_of_a_user(app, client, staff_member, runner, command):
    sign_in(client, name=staff_member)
    assert client.get("/en/staff/exports").status_code == 200
    args = [command, staff_member] + (
        ["--password", "a new long passphrase"] if command == "set-password" else []
    )
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert client.get("/en/staff/exports").status_code in (302, 403)
    if command == "set-password":
        assert sign_in(app.test_client(), name=staff_member).status_code == 401
        fresh = app.test_client()
        assert (
            sign_in(fresh, name=staff_member, password="a new long passphrase").status_code == 302
        )
    missing = runner.invoke(args=[command, "nobody", *args[2:]])
    assert missing.exit_code == 1 and "no user named" in missing.output


def test_a_staff_session_lasts_hours_not_days(app, client, staff_member, monkeypatch):
    sign_in(client, name=staff_member)
    assert client.get("/en/staff/exports").status_code == 200
    now = accounts.time.time()
    hours = app.config["STAFF_SESSION_HOURS"]
    monkeypatch.setattr("lmcself.staff.accounts.time.time", lambda: now + hours * 3600 - 60)
    assert client.get("/en/staff/exports").status_code == 200
    monkeypatch.setattr("lmcself.staff.accounts.time.time", lambda: now + hours * 3600 + 60)
    assert client.get("/en/staff/exports").status_code in (302, 403)


def test_cookies_are_secure_over_https_and_keep_samesite(client, trainer):
    page = client.get("/en/staff/login", base_url="https://localhost")
    response = client.post(
        "/en/staff/login",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/en/staff/login"},
        data={"name": "sokha", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c and "SameSite=Lax" in c for c in cookies), cookies
    plain = sign_in(client)
    assert all("Secure" not in c for c in plain.headers.getlist("Set-Cookie"))


def test_forty_parallel_sign_ins_against_the_live_server(own_server):
    """Two server processes: the count is kept in the database, not in one process's memory.
    Every wrong password checked is a 401; every try held up before the check, a 429."""
    import http.cookiejar
    import urllib.error
    import urllib.parse
    import urllib.request

    from lmcself.storage.db import connect, migrate

    database = connect(str(own_server.database))
    migrate(database)
    add_user(database, "sokha", PASSWORD, "trainer")
    database.close()
    url = own_server.url + "/en/staff/login"
    openers, bodies = [], []
    for i in range(40):
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        token = csrf_token(opener.open(url, timeout=10).read().decode())
        openers.append(opener)
        bodies.append(
            urllib.parse.urlencode(
                {"name": "sokha", "password": f"guess number {i:02d}", "csrf_token": token}
            ).encode()
        )
    barrier = threading.Barrier(40)
    statuses = [0] * 40

    def go(i: int) -> None:
        barrier.wait()
        try:
            statuses[i] = openers[i].open(url, data=bodies[i], timeout=30).status
        except urllib.error.HTTPError as exc:
            statuses[i] = exc.code
            exc.close()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(401) <= PER_NAME.free, statuses
    assert statuses.count(401) + statuses.count(429) == 40, statuses
