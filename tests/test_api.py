"""The JSON API: scoring data for the browser; submissions are idempotent and never a 500."""

from __future__ import annotations

import pytest

from lmcself.core.submissions import new_id

from .conftest import context_answers, top_answers


@pytest.fixture
def payload(instrument):
    return {
        "id": new_id(),
        "instrument_version": instrument.version,
        "locale": "en",
        "context": context_answers(instrument),
        "answers": top_answers(instrument),
    }


def test_instrument_json_has_the_scoring_data_and_revalidates(client, instrument):
    response = client.get("/api/v1/instrument.json")
    data = response.get_json()
    assert data["version"] == instrument.version
    assert [d["key"] for d in data["dimensions"]] == [d.key for d in instrument.dimensions]
    assert response.headers["ETag"]
    again = client.get(
        "/api/v1/instrument.json", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_new_then_same_then_different(client, payload, instrument):
    first = client.post("/api/v1/submissions", json=payload)
    assert first.status_code == 201
    assert first.get_json()["scores"]["overall"] == 100
    assert client.post("/api/v1/submissions", json=payload).status_code == 200
    other = {**payload, "answers": top_answers(instrument, "low")}
    conflict = client.post("/api/v1/submissions", json=other)
    assert conflict.status_code == 409
    assert "error" in conflict.get_json()


def test_the_server_recomputes_the_score(client, payload):
    body = client.post("/api/v1/submissions", json={**payload, "scores": {"overall": 3}}).get_json()
    assert body["scores"]["overall"] == 100


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"id": "not-a-uuid"}, 422),
        ({"instrument_version": "0.0-old"}, 422),
        ({"locale": "xx"}, 422),
        ({"context": "nope"}, 422),
        ({"context": {}}, 422),
        ({"answers": {"presence_x": "y"}}, 422),
        ({"workshop": "<bad code>"}, 422),
        ({"workshop": "NOT-MADE-HERE"}, 422),  # a well-formed code no trainer created here
    ],
)
def test_bad_payloads_get_a_clear_4xx(client, payload, change, status):
    response = client.post("/api/v1/submissions", json={**payload, **change})
    assert response.status_code == status
    assert response.get_json()["error"]


def test_malformed_and_oversized_bodies(client):
    assert (
        client.post("/api/v1/submissions", data="{", content_type="application/json").status_code
        == 400
    )
    assert client.post("/api/v1/submissions", json=[1, 2]).status_code == 400
    big = client.post("/api/v1/submissions", data="x" * 40_000, content_type="application/json")
    assert big.status_code == 413 and big.get_json()["error"]


def test_the_answer_carries_no_figure_of_other_businesses(app, client, payload, instrument):
    """An answer to a post must not show what the post changed (issue 12): no peers in it,
    however many businesses like it there are; the phone asks GET /api/v1/peers."""
    from .conftest import random_records, store

    like = {key: payload["context"][key] for key in ("country", "sector", "size")}
    store(app, random_records(instrument, 30, seed=80, workshop=None, fixed=like))
    for _ in range(2):
        answer = client.post("/api/v1/submissions", json=payload).get_json()
        assert set(answer) == {"id", "status", "scores"}
    query = {key: payload["context"][key] for key in ("country", "sector", "size")}
    released = client.get("/api/v1/peers", query_string=query).get_json()["peers"]
    assert released["n"] >= 29 and released["overall"] % 10 == 0
