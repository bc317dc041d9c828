"""Central collection over the network: a workshop laptop pushes its submissions to the central
server when it can reach one.

The central server knows each laptop by a token made with `lmcself add-device` (only its hash
is stored). A push sends batches of bundle lines (bundle.py: checked and scored again, the
original date and workshop kept, with the definitions of the workshops they name) to
`POST /api/v1/batches`. Inserting is idempotent, so a batch
sent again after a lost answer changes nothing; the laptop remembers which ids the server
confirmed, so `lmcself push` run again after a cut connection goes on where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import click
import sqlite_utils
from flask import current_app, jsonify, request
from flask.cli import with_appcontext

from .bundle import BundleError, exported_lines, import_records, record_from_line
from .db import get_db, init_db
from .workshops import WorkshopError, checked_definition, definitions

MAX_BATCH = 200  # lines per request: about 140 KB of JSON, under MAX_CONTENT_LENGTH
RETRIES = (1, 2, 4, 8)  # seconds to wait before each new try of a batch


class PushError(Exception):
    """The push stopped; the message says why and what to do."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_device(db: sqlite_utils.Database, name: str) -> str:
    """Register a device; return its token (shown once, stored only as a hash)."""
    token = secrets.token_urlsafe(32)
    db["devices"].insert(
        {"name": name, "token_hash": token_hash(token), "created_on": date.today().isoformat()}
    )
    return token


def device_for(db: sqlite_utils.Database, authorization: str | None) -> str | None:
    """The device name for an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    row = db.execute(
        "SELECT name FROM devices WHERE token_hash = ?", [token_hash(token.strip())]
    ).fetchone()
    return row[0] if row else None


def receive_batch():
    """`POST /api/v1/batches` (registered on the API blueprint): 200 with the ids stored
    (new or already there) and the conflicts; 401, 413 or 422 with a JSON error, nothing stored."""
    db = get_db()
    if device_for(db, request.headers.get("Authorization")) is None:
        return jsonify(
            {
                "error": "a valid device token is needed (made by `lmcself add-device` on this server)"
            }
        ), 401
    payload = request.get_json(silent=True)
    lines = payload.get("submissions") if isinstance(payload, dict) else None
    workshops = payload.get("workshops", []) if isinstance(payload, dict) else None
    if not isinstance(lines, list) or not isinstance(workshops, list):
        return jsonify({"error": 'expected {"submissions": [...], "workshops": [...]}'}), 400
    if len(lines) > MAX_BATCH:
        return jsonify({"error": f"at most {MAX_BATCH} submissions per batch"}), 413
    instrument = current_app.extensions["instrument"]
    latest = date.today() + timedelta(days=1)
    try:
        records = [
            record_from_line(line, f"submissions[{i}]", instrument, latest)
            for i, line in enumerate(lines)
        ]
        if any(r["instrument_version"] != instrument.version for r in records):
            raise BundleError(f"this server has questionnaire version {instrument.version!r}")
        defined = [
            checked_definition(item, f"workshops[{i}]", instrument)
            for i, item in enumerate(workshops)
        ]
        report = import_records(db, records, workshops=defined)
    except (BundleError, WorkshopError) as exc:
        return jsonify({"error": str(exc)}), 422
    conflicts = set(report.conflicts)
    stored = [r["id"] for r in records if r["id"] not in conflicts]
    return jsonify({"stored": stored, "conflicts": sorted(conflicts)}), 200


@dataclass
class PushReport:
    sent: int = 0
    conflicts: list[str] = field(default_factory=list)


def pending_lines(db: sqlite_utils.Database, target: str) -> list[dict]:
    done = {r[0] for r in db.execute("SELECT id FROM pushed WHERE target = ?", [target])}
    return [line for line in exported_lines(db) if line["id"] not in done]


def push(
    db: sqlite_utils.Database,
    target: str,
    send: Callable[[dict], dict],
    batch_size: int = MAX_BATCH,
    progress: Callable[[int], None] = lambda n: None,
    wait: Callable[[float], None] = time.sleep,
) -> PushReport:
    """Send what the target has not confirmed, batch by batch (with the definitions of the
    workshops the batch names), remembering each confirmation.
    A batch that fails on the network is tried again after 1, 2, 4 and 8 s; then PushError."""
    report = PushReport()
    lines = pending_lines(db, target)
    for start in range(0, len(lines), batch_size):
        batch = lines[start : start + batch_size]
        payload = {
            "submissions": batch,
            "workshops": definitions(db, (line["workshop"] for line in batch)),
        }
        answer = _send_with_retries(send, payload, wait, done=start, total=len(lines))
        now = datetime.now(UTC).date().isoformat()
        with db.conn:
            db["pushed"].insert_all(
                ({"id": i, "target": target, "pushed_on": now} for i in answer["stored"]),
                replace=True,
            )
        report.sent += len(answer["stored"])
        report.conflicts += answer["conflicts"]
        progress(len(batch))
    return report


def _send_with_retries(send, payload, wait, done: int, total: int) -> dict:
    for delay in (*RETRIES, None):
        try:
            return send(payload)
        except OSError as exc:  # refused, reset, timed out, name not found
            if delay is None:
                raise PushError(
                    f"the connection was lost after {done} of {total} submissions ({exc}); "
                    "run the same command again to go on from there"
                ) from exc
            wait(delay)
    raise AssertionError("unreachable")


def http_sender(url: str, token: str, timeout: float = 30) -> Callable[[dict], dict]:
    """send() for push: POST a batch as JSON; a refusal by the server is a PushError."""
    endpoint = url.rstrip("/") + "/api/v1/batches"

    def send(payload: dict) -> dict:
        body = json.dumps(payload, ensure_ascii=False).encode()
        req = urllib.request.Request(
            endpoint,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:
                raise ConnectionError(f"server error {exc.code}") from exc  # tried again
            try:
                message = json.loads(exc.read()).get("error", exc.reason)
            except ValueError:
                message = exc.reason
            raise PushError(f"{endpoint} refused the batch ({exc.code}): {message}") from exc

    return send


@click.command("add-device")
@click.argument("name")
@with_appcontext
def add_device_command(name: str) -> None:
    """Allow a laptop to push here: print its token (shown once; keep it on that laptop)."""
    init_db()
    db = get_db()
    if db.execute("SELECT 1 FROM devices WHERE name = ?", [name]).fetchone():
        raise click.ClickException(f"a device named {name!r} exists already")
    token = add_device(db, name)
    click.echo(f"Token for {name} (shown only now):\n{token}")
    click.echo(f"On that laptop: lmcself push --to <this server's address> --token {token}")


@click.command("push")
@click.option("--to", "url", required=True, help="The central server's address (https://...).")
@click.option(
    "--token", envvar="LMCSELF_PUSH_TOKEN", required=True, help="From `lmcself add-device` there."
)
@with_appcontext
def push_command(url: str, token: str) -> None:
    """Send the submissions the central server has not confirmed yet (safe to run again)."""
    init_db()
    db = get_db()
    target = url.rstrip("/")
    total = len(pending_lines(db, target))
    if total == 0:
        click.echo(f"nothing to send: {target} has confirmed every submission")
        return
    try:
        with click.progressbar(length=total, label=f"pushing to {target}") as bar:
            report = push(db, target, http_sender(target, token), progress=bar.update)
    except PushError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{report.sent} submissions confirmed by {target}")
    if report.conflicts:
        raise click.ClickException(
            f"{len(report.conflicts)} are stored there with other answers and were not "
            f"overwritten: {', '.join(report.conflicts[:10])}"
        )
