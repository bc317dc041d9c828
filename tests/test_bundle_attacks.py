"""Bundles are signed by the laptop that made them: a file changed in any way, even with its
checksum made again, is refused whole with a message naming the problem, and so is an unsigned
one or one signed by a device this server does not know. Lone surrogates in a bundle or an
answers file are refused with the API's message."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from lmcself.central.bundle import UNSIGNED, exported_lines, signature, write_bundle
from lmcself.core.text import LONE_SURROGATE
from lmcself.storage import devices
from lmcself.storage import submissions as stored
from lmcself.storage.db import get_db

from .conftest import (
    DEVICE_TOKEN,
    csrf_token,
    random_records,
    register_device,
    rows,
    sign_in,
    signed_batch,
    store,
    top_answers,
)
from .test_bundle import export, run

NOT_SIGNED_HERE = "signature matches no device registered on this server"


def body_lines(bundle: Path) -> tuple[list[bytes], dict]:
    """The bundle's lines before the trailer (bytes, newline kept), and the trailer."""
    lines = gzip.decompress(bundle.read_bytes()).splitlines(keepends=True)
    return lines[:-1], json.loads(lines[-1])


def forge(bundle: Path, lines: list[bytes], hmac_of: str | bytes | None) -> None:
    """Write the lines with a checksum made again (what anyone can do) and as signature: the old
    one kept (str), one made with a key (bytes), or none."""
    digest = hashlib.sha256(b"".join(lines)).hexdigest()
    trailer: dict = {"count": len(lines) - 1, "sha256": digest}
    if isinstance(hmac_of, bytes):
        trailer["hmac"] = signature(hmac_of, len(lines) - 1, digest)
    elif isinstance(hmac_of, str):
        trailer["hmac"] = hmac_of
    bundle.write_bytes(gzip.compress(b"".join(lines) + json.dumps(trailer).encode() + b"\n"))


def refused(central, bundle: Path, words: str) -> str:
    result = run(central, "import", bundle)
    assert result.exit_code == 1, result.output
    assert words in result.output and "nothing imported" in result.output, result.output
    assert rows(central) == []
    return result.output


@pytest.fixture
def bundle(app, instrument, tmp_path) -> Path:
    store(app, random_records(instrument, 5, workshop="HANOI-01"))
    return export(app, tmp_path / "laptop.lmcself")


def test_a_signed_bundle_imports(central, bundle):
    result = run(central, "import", bundle)
    assert result.exit_code == 0 and "5 new" in result.output, result.output


def test_one_changed_byte_is_refused(central, bundle):
    raw = bytearray(gzip.decompress(bundle.read_bytes()))
    at = raw.index(b'"locale": "') + len(b'"locale": "')
    raw[at : at + 2] = b"en" if raw[at : at + 2] != b"en" else b"km"
    bundle.write_bytes(gzip.compress(bytes(raw)))
    refused(central, bundle, "checksum does not match")


def edit_answers_to_top(instrument):
    def edit(lines: list[bytes]) -> list[bytes]:
        line = json.loads(lines[1])
        line["answers"] = top_answers(instrument)  # the attack: overall 100
        return [lines[0], json.dumps(line, sort_keys=True).encode() + b"\n", *lines[2:]]

    return edit


@pytest.mark.parametrize(
    "change",
    [
        "answers to the top",
        "a line removed",
        "lines reordered",
        "a line added",
    ],
)
def test_a_changed_bundle_with_its_checksum_made_again_is_refused(
    central, bundle, instrument, change
):
    lines, trailer = body_lines(bundle)
    if change == "answers to the top":
        lines = edit_answers_to_top(instrument)(lines)
    elif change == "a line removed":
        del lines[2]
    elif change == "lines reordered":
        lines[1], lines[2] = lines[2], lines[1]
    else:
        extra = json.loads(lines[1])
        extra["id"] = "0" + extra["id"][1:]  # another submission, made up
        lines.append(json.dumps(extra, sort_keys=True).encode() + b"\n")
    forge(bundle, lines, trailer["hmac"])  # the checksum is right again; the signature is not
    refused(central, bundle, NOT_SIGNED_HERE)


def test_a_bundle_signed_with_another_devices_key_is_refused(central, bundle, instrument):
    lines, _ = body_lines(bundle)
    other = devices.signing_key("a token made on another central server")
    forge(bundle, edit_answers_to_top(instrument)(lines), other)
    refused(central, bundle, NOT_SIGNED_HERE)
    # Signed by a device registered here, the same file goes in.
    forge(bundle, lines, devices.signing_key(DEVICE_TOKEN))
    assert run(central, "import", bundle).exit_code == 0


def test_an_unsigned_bundle_is_refused_saying_how_to_get_a_signed_one(
    app, central, bundle, instrument, tmp_path
):
    lines, _ = body_lines(bundle)
    forge(bundle, lines, None)
    output = refused(central, bundle, "the bundle is not signed")
    assert "lmcself export-bundle FILE --token" in output
    # As an older lmcself wrote it (no key): the same.
    with app.app_context():
        write_bundle(tmp_path / "old.lmcself", exported_lines(get_db()), instrument)
    refused(central, tmp_path / "old.lmcself", UNSIGNED[:40])


def test_the_staff_page_refuses_an_unsigned_bundle_with_the_message(
    app, client, trainer, instrument, tmp_path
):
    store(app, random_records(instrument, 3, workshop=None))
    bundle = export(app, tmp_path / "laptop.lmcself")
    lines, _ = body_lines(bundle)
    forge(bundle, lines, None)
    register_device(app)  # the page's server knows the laptop: only the signature is missing
    before = rows(app)
    sign_in(client)
    page = client.get("/en/staff/import")
    with bundle.open("rb") as f:
        response = client.post(
            "/en/staff/import",
            data={"csrf_token": csrf_token(page.text), "files": [(f, bundle.name)]},
            content_type="multipart/form-data",
        )
    assert response.status_code == 422
    assert "not signed" in response.text and "export-bundle" in response.text
    assert rows(app) == before


def test_export_bundle_needs_the_token(app, instrument, tmp_path):
    store(app, random_records(instrument, 2))
    result = run(app, "export-bundle", tmp_path / "b.lmcself")
    assert result.exit_code == 2 and "--token" in result.output
    assert not (tmp_path / "b.lmcself").exists()


def test_a_replayed_push_batch_is_not_doubled_and_a_changed_one_is_refused(
    central, app, instrument
):
    store(app, random_records(instrument, 4, workshop=None))
    with app.app_context():
        lines = [s.to_line() for s in stored.all_of(get_db())]
    with central.app_context():
        token = devices.add(get_db(), "laptop-2")
    client = central.test_client()
    request = signed_batch(token, {"submissions": lines})
    first = client.post("/api/v1/batches", **request)
    again = client.post("/api/v1/batches", **request)  # the same bytes, sent again by anyone
    assert first.status_code == again.status_code == 200
    assert sorted(first.get_json()["stored"]) == sorted(again.get_json()["stored"])
    assert len(rows(central)) == 4
    # The answers changed on the way, the signature kept: refused, nothing stored.
    changed = json.loads(request["data"])
    changed["submissions"][0]["answers"] = top_answers(instrument)
    changed["submissions"][0]["id"] = "0" + changed["submissions"][0]["id"][1:]
    forged = {**request, "data": json.dumps(changed).encode()}
    response = client.post("/api/v1/batches", **forged)
    assert response.status_code == 401
    assert "signature matches no device" in response.get_json()["error"]
    assert len(rows(central)) == 4


# Lone surrogates ---------------------------------------------------------------------------


def test_a_lone_surrogate_in_a_bundle_line_is_refused_with_the_apis_message(central, bundle):
    lines, _ = body_lines(bundle)
    line = json.loads(lines[2])
    line["answers"]["\udc00"] = "x"
    lines[2] = json.dumps(line, sort_keys=True).encode() + b"\n"  # written as \\udc00
    forge(bundle, lines, devices.signing_key(DEVICE_TOKEN))
    refused(central, bundle, f"line 3: {LONE_SURROGATE}")


def test_a_lone_surrogate_as_raw_bytes_in_a_bundle_line_is_refused(central, bundle):
    lines, _ = body_lines(bundle)
    lines[1] = lines[1].replace(b'"locale": "', b'"region_note": "\xed\xa0\x80", "locale": "')
    forge(bundle, lines, devices.signing_key(DEVICE_TOKEN))
    refused(central, bundle, f"line 2: {LONE_SURROGATE}")


def test_a_lone_surrogate_in_a_workshop_name_of_a_bundle_is_refused(central, bundle):
    lines, _ = body_lines(bundle)
    header = json.loads(lines[0])
    header["workshops"][0]["name"] = "Bad \ud800 name"
    lines[0] = json.dumps(header, sort_keys=True).encode() + b"\n"
    forge(bundle, lines, devices.signing_key(DEVICE_TOKEN))
    refused(central, bundle, f"line 1: {LONE_SURROGATE}")


def test_a_lone_surrogate_in_an_answers_file_is_refused(app, instrument, tmp_path):
    from .test_ways_in import payload

    body = payload(instrument, "en")
    body["context"]["\ud800"] = "x"
    path = tmp_path / "lmcself-answers.json"
    record = {"payload": body, "result": {"overall": 99}, "date": "2026-12-01"}
    path.write_text(json.dumps(record), encoding="utf-8")  # written as \\ud800
    result = run(app, "import", path)
    assert result.exit_code == 1 and LONE_SURROGATE in result.output, result.output
    assert rows(app) == []
