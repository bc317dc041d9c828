"""Push: a laptop's submissions reach the central server once, with a device token, and a push
cut off half-way goes on where it stopped without doubling anything."""

from __future__ import annotations

import pytest

from lmcself.central.bundle import exported_lines
from lmcself.central.push import MAX_BATCH, PushError, push
from lmcself.commands import main
from lmcself.storage import devices
from lmcself.storage.db import connect, get_db, migrate
from lmcself.storage.workshops import definitions

from .conftest import random_records, rows, signed_batch, store, submission_of

TARGET = "https://central.example.org"


@pytest.fixture
def token(central):
    with central.app_context():
        return devices.add(get_db(), "laptop-1")


def sender(central, token, log=None):
    """send() through the central app's test client, as http_sender does over the network."""
    client = central.test_client()

    def send(payload):
        response = client.post("/api/v1/batches", **signed_batch(token, payload))
        assert response.status_code == 200, response.get_json()
        if log is not None:
            log.append(len(payload["submissions"]))
        return response.get_json()

    return send


def pushed(app, target=TARGET) -> int:
    with app.app_context():
        return (
            get_db().execute("SELECT count(*) FROM pushed WHERE target = ?", [target]).fetchone()[0]
        )


def test_a_push_moves_every_submission_once(app, central, token, instrument):
    store(app, random_records(instrument, 45))
    log = []
    with app.app_context():
        report = push(get_db(), TARGET, sender(central, token, log), batch_size=20)
    assert log == [20, 20, 5] and report.sent == 45 and report.conflicts == []
    assert rows(central) == rows(app)  # dates, workshop codes, scores, re-entry codes
    with app.app_context():
        again = push(get_db(), TARGET, sender(central, token, log), batch_size=20)
    assert again.sent == 0 and log == [20, 20, 5]  # nothing left to send


def test_a_cut_push_goes_on_where_it_stopped_without_doubles(app, central, token, instrument):
    store(app, random_records(instrument, 50, seed=7))
    good = sender(central, token)
    calls = []

    def flaky(payload):
        calls.append(len(payload["submissions"]))
        if len(calls) == 2:
            good(payload)  # the server stores it, then the answer is lost on the way back
            raise ConnectionResetError("connection reset by peer")
        if len(calls) >= 3:
            raise ConnectionRefusedError("the Wi-Fi is gone")
        return good(payload)

    waits = []
    with app.app_context(), pytest.raises(PushError, match="after 10 of 50"):
        push(get_db(), TARGET, flaky, batch_size=10, wait=waits.append)
    assert waits == [1, 2, 4, 8]
    assert pushed(app) == 10  # only what the server confirmed
    assert len(rows(central)) == 20  # the batch whose answer was lost is there too
    with app.app_context():
        report = push(get_db(), TARGET, good, batch_size=10)
    assert report.sent == 40  # the lost batch again (already there), then the rest
    assert len(rows(central)) == 50 and rows(central) == rows(app)
    assert pushed(app) == 50


def test_a_conflict_is_reported_and_sent_again_next_time(app, central, token, instrument):
    records = random_records(instrument, 6, seed=8)
    store(app, records)
    other = random_records(instrument, 1, seed=9)[0]
    store(central, [{**other, "id": records[2]["id"]}])
    with app.app_context():
        report = push(get_db(), TARGET, sender(central, token))
    assert report.sent == 5 and report.conflicts == [records[2]["id"]]
    assert pushed(app) == 5  # not confirmed: it stays on the laptop, reported each time


def test_batches_need_a_registered_token(central, token, instrument):
    client = central.test_client()
    line = {"id": "x"}
    for headers in ({}, {"Authorization": f"Bearer {token}"}, {"Authorization": token}):
        response = client.post("/api/v1/batches", json={"submissions": [line]}, headers=headers)
        assert response.status_code == 401
        assert "unsigned batch" in response.get_json()["error"]
    wrong = signed_batch("a token not made here", {"submissions": [line]})
    response = client.post("/api/v1/batches", **wrong)
    assert response.status_code == 401
    assert "lmcself add-device" in response.get_json()["error"]


def test_a_batch_with_one_bad_submission_stores_nothing(app, central, token, instrument):
    lines = [submission_of(r).to_line() for r in random_records(instrument, 5, seed=10)]
    lines[3]["answers"] = {}
    client = central.test_client()
    response = client.post("/api/v1/batches", **signed_batch(token, {"submissions": lines}))
    assert response.status_code == 422 and "submissions[3]" in response.get_json()["error"]
    assert rows(central) == []
    too_many = client.post(
        "/api/v1/batches", **signed_batch(token, {"submissions": [lines[0]] * (MAX_BATCH + 1)})
    )
    assert too_many.status_code == 413 and "error" in too_many.get_json()
    assert client.post("/api/v1/batches", **signed_batch(token, [1])).status_code == 400


def test_a_batch_carries_its_workshops_and_an_unknown_one_is_refused(
    app, central, token, instrument
):
    store(app, random_records(instrument, 5, seed=11, workshop="LAO-3"))
    with app.app_context():
        lines = list(exported_lines(get_db()))
        workshops = definitions(get_db(), ["LAO-3"])
    client = central.test_client()
    refused = client.post("/api/v1/batches", **signed_batch(token, {"submissions": lines}))
    assert refused.status_code == 422
    assert "unknown workshop code 'LAO-3'" in refused.get_json()["error"]
    assert rows(central) == []
    bad = [{**workshops[0], "held_on": "soon"}]
    answer = client.post(
        "/api/v1/batches", **signed_batch(token, {"submissions": lines, "workshops": bad})
    )
    assert answer.status_code == 422 and "held_on is not a date" in answer.get_json()["error"]
    good = {"submissions": lines, "workshops": workshops}
    assert client.post("/api/v1/batches", **signed_batch(token, good)).status_code == 200
    assert len(rows(central)) == 5
    with central.app_context():
        assert definitions(get_db(), ["LAO-3"]) == workshops


def test_add_device_shows_the_token_once_and_stores_only_its_hash(central):
    runner = central.test_cli_runner()
    result = runner.invoke(main, ["add-device", "laptop-2"])
    assert result.exit_code == 0
    token = result.output.splitlines()[1]
    with central.app_context():
        stored = get_db().execute("SELECT * FROM devices").fetchall()
    assert stored and all(token not in map(str, row) for row in stored)
    assert runner.invoke(main, ["add-device", "laptop-2"]).exit_code == 1


def test_push_over_http_to_a_live_server(app, own_server, instrument):
    """The command itself, over HTTP, against `lmcself serve`; then a wrong token."""
    database = connect(str(own_server.database))
    migrate(database)
    token = devices.add(database, "laptop-3")
    database.close()
    store(app, random_records(instrument, 12, seed=12))
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["push", "--to", own_server.url, "--token", token])
    assert result.exit_code == 0, result.output
    assert "12 submissions confirmed" in result.output
    assert len(own_server.rows()) == 12
    again = runner.invoke(main, ["push", "--to", own_server.url, "--token", token])
    assert "nothing to send" in again.output
    store(app, random_records(instrument, 2, seed=13))
    wrong = runner.invoke(main, ["push", "--to", own_server.url, "--token", "nope"])
    assert wrong.exit_code == 1 and "(401)" in wrong.output
    assert len(own_server.rows()) == 12
