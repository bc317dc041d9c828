"""The JSON API under hostile input: its OpenAPI document, the inputs that once gave a 500 (in
HTML), bodies past the limit sent chunked, and thousands of generated requests (schemathesis)
with no server error."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest

from lmcself import create_app
from lmcself.storage import devices
from lmcself.storage.db import get_db, init_db
from lmcself.web.api import MAX_SUBMISSION_BYTES, OPENAPI

from .conftest import context_answers, rows, top_answers


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """An app that answers a fault with a 500 response (as in production) instead of raising."""
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "fuzz", "PROPAGATE_EXCEPTIONS": False})
    with app.app_context():
        init_db()
        app.config["FUZZ_TOKEN"] = devices.add(get_db(), "laptop-1")
    return app


def test_the_served_openapi_document_is_the_file_and_names_every_api_route(client, app):
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200 and served.json == json.loads(OPENAPI.read_text())
    paths = served.json["paths"]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            assert rule.rule in paths, rule.rule
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in paths[rule.rule], (method, rule.rule)


def submission(instrument, **changes) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "instrument_version": instrument.version,
        "locale": "en",
        "context": context_answers(instrument),
        "answers": top_answers(instrument),
    }
    return {**body, **changes}


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (nested(10_000), 400),
        ('{"a": ' + nested(5000) + "}", 400),
        ('{"id": "x", "context": {"country": "\\ud800"}}', 400),
        ("not json", 400),
        ("[]", 400),
    ],
)
def test_hostile_json_gets_a_json_4xx(app, client, body, status):
    response = client.post(
        "/api/v1/submissions", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status and "error" in response.json
    assert rows(app) == []


def test_a_lone_surrogate_in_a_pushed_workshop_name_is_refused(app, client, instrument):
    with app.app_context():
        token = devices.add(get_db(), "laptop-1")
    body = (
        '{"submissions": [], "workshops": [{"code": "VTE-1", "name": "Bad \\udc00 name", '
        '"country": "LA", "held_on": "2026-11-28"}]}'
    )
    response = client.post(
        "/api/v1/batches",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400 and "surrogate" in response.json["error"]


def test_a_fault_on_the_api_is_answered_in_json(fuzz_app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a fault of ours")

    monkeypatch.setattr("lmcself.web.api.Submission.from_payload", broken)
    response = fuzz_app.test_client().post(
        "/api/v1/submissions", json=submission(fuzz_app.extensions["instrument"])
    )
    assert response.status_code == 500 and response.is_json and "error" in response.json


@pytest.mark.parametrize("declared", [False, True])
def test_a_chunked_body_cannot_pass_the_submission_limit(app, client, instrument, declared):
    body = submission(instrument, padding="x" * (MAX_SUBMISSION_BYTES + 1000))
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if declared:
        headers["Content-Length"] = str(len(data))
    # Without a length (chunked), the server marks the stream as ending by itself (gunicorn does).
    response = client.post(
        "/api/v1/submissions",
        headers=headers,
        input_stream=io.BytesIO(data),
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413 and response.is_json
    assert rows(app) == []
    small = json.dumps(submission(instrument)).encode()
    ok = client.post(
        "/api/v1/submissions",
        headers={"Content-Type": "application/json"},
        input_stream=io.BytesIO(small),
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert ok.status_code == 201, ok.json


def test_a_chunked_body_past_the_limit_against_the_live_server(own_server, instrument):
    import http.client

    body = json.dumps(submission(instrument, padding="x" * (4 * MAX_SUBMISSION_BYTES))).encode()
    conn = http.client.HTTPConnection("127.0.0.1", own_server.port, timeout=10)
    chunks = (body[i : i + 4096] for i in range(0, len(body), 4096))
    conn.request(
        "POST",
        "/api/v1/submissions",
        body=chunks,
        headers={"Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    status, text = response.status, response.read()
    conn.close()
    assert status == 413 and b"error" in text, text
    assert own_server.rows() == []


# The whole API, generated from its OpenAPI document: valid and invalid bodies, headers, types.
schemathesis = pytest.importorskip("schemathesis")
FUZZ_EXAMPLES = 400


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)


def fuzz(
    schema, operation: str, method: str, token: str | None = None, examples: int = FUZZ_EXAMPLES
) -> list[tuple[int, str]]:
    """Run generated requests against one operation; the 5xx answers."""
    from hypothesis import HealthCheck, given, settings

    op = schema[operation][method]
    server_errors: list[tuple[int, str]] = []
    seen = [0]

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    @given(case=op.as_strategy())
    def run(case) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        response = case.call(headers=headers)
        seen[0] += 1
        if response.status_code >= 500:
            server_errors.append((response.status_code, repr(case.body)[:200]))

    run()
    assert seen[0] >= min(examples // 2, 1), seen[0]
    return server_errors


def test_fuzzing_the_instrument_and_document_gives_no_server_error(fuzz_app, api_schema):
    for path in ("/api/v1/instrument.json", "/api/v1/openapi.json"):
        assert fuzz(api_schema, path, "GET", examples=50) == []


def signing(app, token: str):
    """The app behind a layer that signs each request's body as the laptop would (push.py), so
    the fuzzed batches reach the view's checks instead of stopping at the signature."""
    inner, key = app.wsgi_app, devices.signing_key(token)

    def wsgi(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["HTTP_X_LMCSELF_SIGNATURE"] = devices.sign(key, body)
        return inner(environ, start_response)

    return wsgi


@pytest.mark.parametrize("operation", ["/api/v1/submissions", "/api/v1/batches"])
def test_fuzzing_the_api_gives_no_server_error(fuzz_app, api_schema, operation, monkeypatch):
    token = fuzz_app.config["FUZZ_TOKEN"] if operation.endswith("batches") else None
    if token:
        monkeypatch.setattr(fuzz_app, "wsgi_app", signing(fuzz_app, token))
    errors = fuzz(api_schema, operation, "POST", token)
    assert errors == [], f"{len(errors)} server errors, e.g. {errors[:5]}"


def json_values():
    from hypothesis import strategies as st

    return st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )


def test_a_valid_submission_with_any_field_replaced_gives_no_server_error(fuzz_app):
    """The cases a schema fuzzer seldom reaches: a right instrument version, one field wrong."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    instrument = fuzz_app.extensions["instrument"]
    client = fuzz_app.test_client()
    base = submission(instrument)
    keys = st.sampled_from(
        [*base, "workshop", "context.country", "answers." + next(iter(base["answers"]))]
    )
    failures: list[tuple[str, object]] = []

    @settings(max_examples=600, deadline=None, database=None, derandomize=True)
    @given(key=keys, value=json_values())
    def run(key: str, value: object) -> None:
        body = json.loads(json.dumps(base))
        body["id"] = str(uuid.uuid4())
        if "." in key:
            outer, inner = key.split(".")
            body[outer][inner] = value
        else:
            body[key] = value
        response = client.post("/api/v1/submissions", json=body)
        assert response.is_json
        if response.status_code >= 500:
            failures.append((key, value))

    run()
    assert failures == [], f"{len(failures)} server errors, e.g. {failures[:5]}"


def test_fuzzing_bodies_the_guards_own_gives_no_server_error(fuzz_app):
    """What the blueprint's guard answers for (not the views' validation): any JSON value,
    any depth, any text, any size, on both POST routes, gives a 4xx or a success, never a 5xx."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    values = json_values()
    client = fuzz_app.test_client()
    token = fuzz_app.config["FUZZ_TOKEN"]
    raw = st.one_of(
        values.map(lambda v: json.dumps(v).encode()),
        st.integers(1, 3000).map(lambda n: ("[" * n).encode()),
        st.binary(max_size=300),
        st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")),
    )
    statuses: list[int] = []

    @settings(max_examples=1500, deadline=None, database=None, derandomize=True)
    @given(body=raw, batches=st.booleans(), as_json=st.booleans())
    def run(body: bytes, batches: bool, as_json: bool) -> None:
        path = "/api/v1/batches" if batches else "/api/v1/submissions"
        key = devices.signing_key(token)
        headers = {"X-Lmcself-Signature": devices.sign(key, body)} if batches else {}
        if as_json:
            headers["Content-Type"] = "application/json"
        response = client.post(path, data=body, headers=headers)
        statuses.append(response.status_code)
        assert response.is_json, (path, body[:80])
        assert response.status_code < 500, (path, body[:200])

    run()
    assert len(statuses) >= 1500


def test_the_openapi_file_is_in_the_package():
    assert Path(OPENAPI).is_file()
