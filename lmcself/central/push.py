"""Central collection over the network: a workshop laptop pushes its submissions to the central
server when it can reach one.

The central server knows each laptop by a token made with `lmcself add-device` (only its hash
is stored, storage/devices.py). Each batch is signed with the laptop's key (an HMAC-SHA256 of the
body, keyed by the token's hash): a batch changed on the way, or signed by no device registered
there, is refused; the token itself is never sent. A push sends batches of bundle lines (Submission.to_line: checked and scored again there, the
original date and workshop kept, with the definitions of the workshops they name) to
`POST /api/v1/batches`. Inserting is idempotent, so a batch
sent again after a lost answer changes nothing; the laptop remembers which ids the server
confirmed, so `lmcself push` run again after a cut connection goes on where it stopped.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlite_utils

from lmcself.storage import devices
from lmcself.storage import submissions as stored
from lmcself.storage.workshops import definitions

MAX_BATCH = 200  # lines per request: about 140 KB of JSON, under MAX_CONTENT_LENGTH
RETRIES = (1, 2, 4, 8)  # seconds to wait before each new try of a batch


class PushError(Exception):
    """The push stopped; the message says why and what to do."""


@dataclass
class PushReport:
    sent: int = 0
    conflicts: list[str] = field(default_factory=list)


def pending_lines(db: sqlite_utils.Database, target: str) -> list[dict]:
    """Bundle lines of the submissions `target` has not confirmed."""
    done = devices.confirmed(db, target)
    return [s.to_line() for s in stored.all_of(db) if s.id not in done]


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
        devices.mark_confirmed(db, target, answer["stored"])
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


SIGNATURE_HEADER = "X-Lmcself-Signature"


def http_sender(url: str, token: str, timeout: float = 30) -> Callable[[dict], dict]:
    """send() for push: POST a batch as JSON, signed with the device's key (the token itself
    never travels, so one seen on the way cannot be used); a refusal is a PushError."""
    endpoint = url.rstrip("/") + "/api/v1/batches"
    key = devices.signing_key(token.strip())

    def send(payload: dict) -> dict:
        body = json.dumps(payload, ensure_ascii=False).encode()
        req = urllib.request.Request(
            endpoint,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: devices.sign(key, body)},
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
