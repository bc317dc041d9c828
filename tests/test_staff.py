"""Staff pages: nothing without signing in (the URL map walked), passwords hashed, guessing
slowed down, workshops, and a room view that shows nothing backed by fewer than k."""

from __future__ import annotations

import re

import pytest

from lmcself.staff.accounts import add_user
from lmcself.storage.db import get_db

from .conftest import PASSWORD, csrf_token, random_records, sign_in, store


def test_every_staff_page_needs_a_signed_in_user(app, client):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("staff.")]
    assert {r.endpoint for r in rules} >= {"staff.home", "staff.room", "staff.qr", "staff.logout"}
    for rule in rules:
        if rule.endpoint == "staff.login":
            continue
        values = {arg: "en" if arg == "lang" else "HANOI-01" for arg in rule.arguments}
        path = rule.build(values)[1]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method)
            assert response.status_code in (302, 400), (method, path)
            if response.status_code == 302:
                assert "/staff/login" in response.location, (method, path)


def test_sign_in_and_out(app, client, trainer):
    wrong = sign_in(client, password="wrong password")
    assert wrong.status_code == 401 and "Wrong user name or password." in wrong.text
    right = sign_in(client)
    assert right.status_code == 302 and right.location.endswith("/en/staff/")
    assert "HttpOnly" in right.headers["Set-Cookie"]
    home = client.get("/en/staff/")
    assert home.status_code == 200 and "sokha" in home.text
    assert home.headers["Cache-Control"] == "no-store"
    client.post("/en/staff/logout", data={"csrf_token": csrf_token(home.text)})
    assert client.get("/en/staff/").status_code == 302


def test_passwords_are_kept_only_as_argon2id_hashes(app, trainer):
    with app.app_context():
        stored = get_db().execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with app.app_context(), pytest.raises(ValueError):
        add_user(get_db(), "short", "12345", "staff")


def test_repeated_failures_slow_down_sign_in(app, client, trainer, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr("lmcself.staff.accounts.time.time", lambda: clock[0])
    for _ in range(3):
        assert sign_in(client, password="guess guess").status_code == 401
    blocked = sign_in(client)  # even the right password waits
    assert blocked.status_code == 429 and "5 seconds" in blocked.text
    clock[0] += 6
    assert sign_in(client).status_code == 302
    for _ in range(5):  # an unknown name is slowed down the same way
        sign_in(client, name="nobody", password="guess guess")
    assert sign_in(client, name="nobody", password="x").status_code == 429


def test_next_never_leads_to_another_site(client, trainer):
    page = client.get("/en/staff/login")
    response = client.post(
        "/en/staff/login?next=//evil.example.org/x",
        data={"name": "sokha", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert response.location.endswith("/en/staff/")


def create(client, code="VTE-1", name="Vientiane traders", country="LA", held_on="2026-11-28"):
    page = client.get("/en/staff/")
    return client.post(
        "/en/staff/",
        data={
            "code": code,
            "name": name,
            "country": country,
            "held_on": held_on,
            "csrf_token": csrf_token(page.text),
        },
    )


def test_a_trainer_creates_a_workshop_with_a_join_link_and_qr_code(client, trainer):
    sign_in(client)
    made = create(client, code="vte-1")
    assert made.status_code == 302 and made.location.endswith("/en/staff/workshops/VTE-1")
    room = client.get(made.location)
    assert "/?w=VTE-1" in room.text and "Vientiane traders" in room.text
    qr = client.get("/en/staff/workshops/VTE-1/qr")
    assert "<svg" in qr.text and "/?w=VTE-1" in qr.text
    again = create(client, code="VTE-1", name="Second")
    assert again.status_code == 200 and "exists already" in again.text
    bad = create(client, code="a b", name="Kept name")
    assert "A code has 3 to 20" in bad.text and 'value="Kept name"' in bad.text
    assert client.get("/en/staff/workshops/NOPE-1").status_code == 404


def numbers(html: str) -> list[str]:
    main = re.split(r'<main id="main"[^>]*>', html)[1]
    return re.findall(r"<strong>(\d+(?:\.\d)?)</strong>", main)


def test_the_room_view_shows_nothing_until_released_then_moves_only_in_steps_of_k(
    app, client, instrument, trainer
):
    sign_in(client)
    create(client)
    store(app, random_records(instrument, 9, seed=31, workshop="VTE-1"))
    room = client.get("/en/staff/workshops/VTE-1")
    assert "Results appear when 10 or more participants have finished." in room.text
    assert numbers(room.text) == []
    store(app, random_records(instrument, 1, seed=32, workshop="VTE-1"))
    first = client.get("/en/staff/workshops/VTE-1").text
    n = int(re.search(r"Participants so far: <strong>(\d+)</strong>", first).group(1))
    assert 8 <= n <= 12  # 10, perturbed by at most 2
    shown = [int(n) for n in numbers(first)[2:]]  # level and gap counts
    assert all(n >= 5 for n in shown)
    assert 'http-equiv="refresh"' in first
    for seed in range(33, 37):  # 4 more: the figures do not move
        store(app, random_records(instrument, 1, seed=seed, workshop="VTE-1"))
        assert client.get("/en/staff/workshops/VTE-1").text == first
    store(app, random_records(instrument, 1, seed=37, workshop="VTE-1"))
    assert client.get("/en/staff/workshops/VTE-1").text != first  # 5 more: a new release


def test_staff_pages_are_in_the_staff_members_language(client, trainer):
    sign_in(client, lang="km")
    page = client.get("/km/staff/")
    assert 'lang="km"' in page.text and "/km/staff/" in page.text
