"""Security headers on every route, trusted hosts only in links and QR codes, files only for
their owner, inputs that once gave a server error."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import pytest

from lmcself import create_app
from lmcself.storage.db import get_db, init_db

from .conftest import PASSWORD, csrf_token, random_records, sign_in, store

SAMPLE = {
    "lang": "en",
    "code": "HANOI-01",
    "submission_id": "00000000-0000-4000-8000-000000000000",
    "n": 1,
    "filename": "app.css",
    "kind": "codebook",
    "fmt": "csv",
}


def every_route(app) -> list[tuple[str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        path = rule.build({a: SAMPLE.get(a, "x") for a in rule.arguments})[1]
        out += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return out


def assert_security_headers(response, where) -> None:
    h = response.headers
    csp = h.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert "worker-src 'self'" in csp and "manifest-src 'self'" in csp, where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin"), where
    assert "camera=()" in h.get("Permissions-Policy", ""), where


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_route_sends_the_security_headers(app, client, staff_member, signed_in):
    store(app, random_records(app.extensions["instrument"], 5, seed=3))
    if signed_in:
        sign_in(client, name=staff_member)
    routes = every_route(app)
    assert len(routes) > 25
    for method, path in routes:
        if path.endswith("/logout"):
            continue  # signing out would end the walk's session
        response = client.open(path, method=method)
        assert_security_headers(response, (method, path, response.status_code))
        response.close()


def test_inline_blocks_are_allowed_by_hash_and_nothing_else(client):
    import base64
    import hashlib
    import re

    for path in ("/km/", "/en/app", "/my/method"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        blocks = re.findall(r"<(script|style)>(.*?)</\1>", response.text, re.S)
        assert blocks, path
        for kind, body in blocks:
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in csp.split(f"{kind}-src")[1].split(";")[0], (path, kind)
        assert " style=" not in response.text and not re.search(r"\son[a-z]+=", response.text)


@pytest.mark.parametrize(
    "path",
    ["/en/", "/en/staff/login", "/en/again/ABCD-EFGH", "/?w=HANOI-01"],
)
def test_a_forged_host_header_is_refused(client, path):
    response = client.get(path, headers={"Host": "evil.example.org"})
    assert response.status_code == 400
    assert "//evil.example.org" not in response.get_data(as_text=True)  # in no link


def test_links_and_qr_codes_use_the_public_url_or_a_trusted_host(tmp_path, instrument):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "h.db"),
            "SECRET_KEY": "h",
            "PUBLIC_URL": "https://check.example.org",
        }
    )
    with app.app_context():
        init_db()
    records = random_records(instrument, 1, seed=9, workshop=None)
    store(app, records)
    client = app.test_client()
    plan = client.get(f"/en/plan/{records[0]['id']}", headers={"Host": "check.example.org"})
    assert plan.status_code == 200 and "https://check.example.org/en/again/" in plan.text
    assert client.get("/en/", headers={"Host": "evil.example.org"}).status_code == 400


def test_a_trainer_sees_and_opens_only_their_own_workshops(app, client, trainer, staff_member):
    with app.app_context():
        db = get_db()
        from lmcself.staff.accounts import add_user

        add_user(db, "other", PASSWORD, "trainer")
        for code, owner in (("MINE-1", trainer), ("THEIRS-1", "other")):
            db["workshops"].insert(
                {
                    "code": code,
                    "name": f"Workshop {code}",
                    "country": "VN",
                    "held_on": "2026-11-01",
                    "created_by": owner,
                }
            )
    sign_in(client)
    home = client.get("/en/staff/")
    assert "MINE-1" in home.text and "THEIRS-1" not in home.text
    assert client.get("/en/staff/workshops/MINE-1").status_code == 200
    for path in ("/en/staff/workshops/THEIRS-1", "/en/staff/workshops/THEIRS-1/qr"):
        assert client.get(path).status_code in (403, 404), path
    staff = app.test_client()
    sign_in(staff, name=staff_member)
    assert "THEIRS-1" in staff.get("/en/staff/").text
    assert staff.get("/en/staff/workshops/THEIRS-1/qr").status_code == 200


def test_the_database_and_secret_key_are_for_their_owner_only(tmp_path):
    instance = tmp_path / "instance"
    old = os.umask(0o022)
    try:
        app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "new.db")})
        with app.app_context():
            init_db()
        from lmcself import _instance_secret

        instance.mkdir()
        _instance_secret(instance)
    finally:
        os.umask(old)
    for path in (tmp_path / "new.db", instance / "secret_key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for extra in tmp_path.glob("new.db-*"):
        assert stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0, extra


def test_an_existing_world_readable_database_is_closed(tmp_path):
    path = tmp_path / "old.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    app = create_app({"TESTING": True, "DATABASE": str(path), "SECRET_KEY": "x"})
    with app.app_context():
        init_db()
    assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "path",
    [
        "/?lang=en",
        "/?_method=DELETE",
        "/?_scheme=https",
        "/?_external=1&_anchor=x",
        "/?lang=en&w=HANOI-01",
    ],
)
def test_query_strings_on_the_root_never_give_a_server_error(client, path):
    response = client.get(path)
    assert response.status_code == 302, response.status_code
    assert response.location.startswith("/") and "://" not in response.location


def test_a_next_with_a_newline_signs_in_and_goes_home(client, trainer):
    for target in ("/en/staff/\nSet-Cookie: x=1", "/\\evil.example.org", "/en/\r\nx"):
        page = client.get("/en/staff/login")
        response = client.post(
            "/en/staff/login?next=" + target.replace("\n", "%0A").replace("\r", "%0D"),
            data={"name": "sokha", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
        )
        assert response.status_code == 302 and response.location == "/en/staff/", target


@pytest.mark.parametrize(
    "query",
    [
        "since=0001-01&until=0001-02",
        "since=0001-01&until=9999-12",
        "since=9999-12&until=9999-12",
        "since=2026-13&until=2026-14",
    ],
)
def test_report_months_at_the_ends_of_the_calendar(client, staff_member, query):
    sign_in(client, name=staff_member)
    assert client.get(f"/en/staff/report?{query}").status_code == 200


def test_no_ip_address_in_the_servers_log(own_server, instrument):
    import json
    import socket
    import urllib.request

    from lmcself.commands.server import ADDRESS_RE

    for raw in (b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost: \x00bad\r\n\r\n", b"\x16\x03\x01"):
        with socket.create_connection(("127.0.0.1", own_server.port), timeout=5) as s:
            s.sendall(raw)
            s.shutdown(socket.SHUT_WR)
            with contextlib.suppress(TimeoutError):
                s.recv(1000)
    for path in ("/en/", "/nope", "/en/staff/login"):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(own_server.url + path, timeout=5).read()
    request = urllib.request.Request(
        own_server.url + "/api/v1/submissions",
        data=json.dumps({"locale": []}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with contextlib.suppress(OSError):
        urllib.request.urlopen(request, timeout=5)
    own_server.stop()
    log = own_server.log.read_text(errors="replace")
    served = log.split("Press Ctrl+C to stop.", 1)[1]  # after the banner with the addresses
    assert "Invalid request" in served  # the garbage was logged...
    assert not ADDRESS_RE.search(served.replace(f":{own_server.port}", "")), served  # ...no IP
    assert "127.0.0.1" not in served


def test_serve_trusts_its_public_url_and_refuses_a_bad_one(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from lmcself.commands import main

    monkeypatch.setenv("LMCSELF_DATABASE", str(tmp_path / "cli.db"))
    monkeypatch.setenv("LMCSELF_SECRET_KEY", "x")
    served = []
    monkeypatch.setattr("lmcself.commands.serve.Server.run", lambda self: served.append(self))
    result = CliRunner().invoke(main, ["serve", "--public-url", "https://check.example.org/"])
    assert result.exit_code == 0, result.output
    app = served[0].application
    client = app.test_client()
    assert client.get("/en/", headers={"Host": "check.example.org"}).status_code == 200
    assert client.get("/en/", headers={"Host": "evil.example.org"}).status_code == 400
    bad = CliRunner().invoke(main, ["serve", "--public-url", "check.example.org"])
    assert bad.exit_code == 2 and "not an http(s) address" in bad.output
