"""Privacy: nothing that identifies a participant reaches the database or the server's logs."""

from __future__ import annotations

import urllib.request

from lmcself.commands.server import server_options
from lmcself.storage.db import get_db

from .conftest import top_answers

MARKERS = {
    "User-Agent": "UA-MARKER-7731",
    "X-Forwarded-For": "203.0.113.77",
    "Referer": "http://ref.example/",
}


def test_the_database_file_holds_no_ip_or_user_agent(app, client, walker, instrument):
    client.environ_base.update(REMOTE_ADDR="198.51.100.23", HTTP_USER_AGENT=MARKERS["User-Agent"])
    walker.complete(top_answers(instrument))
    with app.app_context():
        db = get_db()
        assert db["submissions"].count == 1
        dump = "\n".join(db.iterdump())
    for marker in ("198.51.100.23", MARKERS["User-Agent"]):
        assert marker not in dump


def test_the_production_server_keeps_no_access_log():
    assert server_options("0.0.0.0", 8000, 2, 4)["accesslog"] is None


def test_a_live_request_leaves_no_ip_or_agent_in_the_server_output(live_server):
    for path in ("/en/", "/en/nowhere", "/api/v1/instrument.json"):
        request = urllib.request.Request(live_server.url + path, headers=MARKERS)
        try:
            urllib.request.urlopen(request)
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
    output = live_server.log.read_text()
    assert "lmcself is serving" in output
    for marker in ("127.0.0.1 ", *MARKERS.values()):
        assert marker not in output
