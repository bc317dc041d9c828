"""The owner's answers file: what the phone saves when the owner taps "Download your answers"
(the submission as the phone would post it, the phone's result and the day it was finished).

The README tells owners to give it to their trainer when their phone could not send it; the
trainer's laptop imports it (`lmcself import FILE`, or the staff page "Import files") like any
other way in: checked and scored again, and importing it twice changes nothing.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path

import sqlite_utils

from lmcself.central.bundle import check_bundle, checked_rows, import_rows, import_submissions
from lmcself.core.instrument import Instrument
from lmcself.core.submissions import InvalidSubmission, Submission
from lmcself.core.text import LONE_SURROGATE, has_lone_surrogate
from lmcself.storage.devices import signing_keys
from lmcself.storage.submissions import ImportReport

MAX_BYTES = 64 * 1024  # a phone's file is about 2 KB


class AnswersFileError(ValueError):
    """The file is not an answers file this server can read; the message says why."""


def is_bundle(head: bytes) -> bool:
    """Bundles are gzip files; answers files are JSON text."""
    return head[:2] == b"\x1f\x8b"


def read_answers(data: bytes, instrument: Instrument, name: str = "file") -> Submission:
    """The submission in an answers file, checked and scored by this server."""
    if len(data) > MAX_BYTES:
        raise AnswersFileError(f"{name}: larger than {MAX_BYTES // 1024} KB: not an answers file")
    try:
        item = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise AnswersFileError(f"{name}: not an answers file (not JSON)") from exc
    if not isinstance(item, dict) or "payload" not in item:
        raise AnswersFileError(f"{name}: not an answers file (no submission in it)")
    if has_lone_surrogate(item):
        raise AnswersFileError(f"{name}: {LONE_SURROGATE}")
    latest = date.today() + timedelta(days=1)  # a phone's clock a time zone ahead
    try:
        return Submission.from_answers_file(instrument, item, latest)
    except InvalidSubmission as exc:
        raise AnswersFileError(f"{name}: {exc}") from exc


def read_answers_path(path: Path, instrument: Instrument) -> Submission:
    with path.open("rb") as f:
        data = f.read(MAX_BYTES + 1)
    return read_answers(data, instrument, path.name)


def is_bundle_path(path: Path) -> bool:
    with path.open("rb") as f:
        return is_bundle(f.read(2))


def import_file(
    db: sqlite_utils.Database, name: str, data: bytes, instrument: Instrument
) -> ImportReport:
    """Import one uploaded file, a bundle or an answers file, whole or not at all
    (AnswersFileError or BundleError say why)."""
    if not is_bundle(data):
        return import_submissions(db, [read_answers(data, instrument, name)])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.lmcself"
        path.write_bytes(data)
        _count, workshops = check_bundle(path, instrument, keys=signing_keys(db))
        return import_rows(db, checked_rows(path, instrument), workshops=workshops)
