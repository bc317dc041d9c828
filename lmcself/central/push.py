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
from datetime import UTC, date, datetime

import sqlite_utils

from lmcself.central.bundle import exported_lines
from lmcself.storage.workshops import definitions

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
