"""Public figures (docs/privacy.md): "businesses like yours" on the result page and through the
API, released from snapshots that move only in steps of k from PUBLIC_MIN_GROUP, the same on
every way out and in every language; the answer to a post carries no figure of other
businesses; repeated posts from one client are slowed, in memory, with no address kept."""

from __future__ import annotations

import uuid

import pytest

from lmcself.storage.db import get_db
from lmcself.web.i18n import LOCALES
from lmcself.web.ratelimit import TokenBucket

from .conftest import Walker, context_answers, random_records, store, top_answers

PEER_KEYS = ("country", "sector", "size")


def payload(instrument, locale: str = "en") -> dict:
    return {
        "id": str(uuid.uuid4()),
        "instrument_version": instrument.version,
        "locale": locale,
        "context": context_answers(instrument),
        "answers": top_answers(instrument),
    }


def like(instrument, context: dict, n: int, seed: int) -> list[dict]:
    fixed = {key: context[key] for key in PEER_KEYS}
    return random_records(instrument, n, seed=seed, workshop=None, fixed=fixed)


def peers_json(client, context: dict):
    query = {key: context[key] for key in PEER_KEYS}
    return client.get("/api/v1/peers", query_string=query).get_json()["peers"]


@pytest.mark.parametrize("lang", list(LOCALES))
def test_peers_are_released_from_ten_then_only_in_steps_of_k(app, client, instrument, lang):
    context = context_answers(instrument)
    owner = like(instrument, context, 1, seed=70)[0]
    store(app, [owner, *like(instrument, context, 8, seed=71)])
    result = f"/{lang}/result/{owner['id']}"
    assert peers_json(client, context) is None  # 9: nothing yet
    assert 'id="peers-title"' not in client.get(result).text
    store(app, like(instrument, context, 1, seed=72))
    first = peers_json(client, context)
    assert 8 <= first["n"] <= 12 and first["overall"] % 10 == 0  # rounded to 10 points
    page = client.get(result).text
    assert 'id="peers-title"' in page
    for seed in range(73, 77):  # 4 more, one at a time: nothing moves, on any way out
        store(app, like(instrument, context, 1, seed=seed))
        assert peers_json(client, context) == first
        assert client.get(result).text == page
    store(app, like(instrument, context, 1, seed=77))
    second = peers_json(client, context)
    assert second != first and 13 <= second["n"] <= 17  # 15 now


def test_peers_need_a_valid_context(client):
    answer = client.get("/api/v1/peers", query_string={"country": "KH", "sector": "x"})
    assert answer.status_code == 422 and "sector" in answer.get_json()["error"]


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_the_answer_to_a_post_carries_no_figure_of_other_businesses(
    app, client, instrument, locale
):
    context = context_answers(instrument)
    store(app, like(instrument, context, 40, seed=78))
    body = payload(instrument, locale)
    for status in (201, 200):
        answer = client.post("/api/v1/submissions", json=body)
        assert answer.status_code == status
        assert set(answer.get_json()) == {"id", "status", "scores"}


def test_repeated_posts_from_one_client_are_slowed_and_no_address_is_kept(app, client, instrument):
    """The issue's 200 fake posts in a row: after the burst, 429 with Retry-After; another
    phone is not slowed; the buckets hold keyed hashes, never an address."""
    app.config.update(SUBMIT_BURST=30, SUBMIT_RATE=0.5)
    client.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    statuses = [
        client.post("/api/v1/submissions", json=payload(instrument)).status_code for _ in range(200)
    ]
    assert statuses[:30] == [201] * 30
    assert set(statuses[30:]) == {429}
    refused = client.post("/api/v1/submissions", json=payload(instrument))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    with app.app_context():
        assert get_db()["submissions"].count == 30
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.24"
    assert other.post("/api/v1/submissions", json=payload(instrument)).status_code == 201
    buckets = app.extensions["submit_buckets"]
    names = b"".join(buckets._buckets)
    assert b"198.51.100" not in names and len(buckets._buckets) == 2


def test_a_bucket_refills_with_time():
    now = [0.0]
    buckets = TokenBucket(clock=lambda: now[0])
    assert [buckets.take("a", 0.5, 2) for _ in range(3)] == [0, 0, 2.0]
    now[0] += 2.0
    assert buckets.take("a", 0.5, 2) == 0
    assert buckets.take("b", 0.5, 2) == 0  # another client: its own bucket


def test_repeated_submissions_through_the_form_flow_are_slowed_too(app, client, instrument):
    """The no-JavaScript way in: past the burst the last page answers 429, nothing is stored,
    and the answers stay in the session for a later try."""
    app.config.update(SUBMIT_BURST=2, SUBMIT_RATE=0.001)
    client.environ_base["REMOTE_ADDR"] = "198.51.100.25"
    walker = Walker(client, instrument)
    for _ in range(2):
        walker.complete(top_answers(instrument))
    with pytest.raises(AssertionError, match="Too Many Requests"):
        walker.complete(top_answers(instrument))
    with app.app_context():
        assert get_db()["submissions"].count == 2
    last = f"/en/part/{len(instrument.dimensions)}"
    page = client.get(last)
    assert page.status_code == 200 and "checked" in page.text  # the answers are kept
