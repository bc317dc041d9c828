"""Bundles: a workshop laptop's submissions as one file, carried to the central server.

A bundle is gzip-compressed JSON lines: a header line (with the definitions of the workshops
its submissions name), one line per submission, and a trailer with the count, the SHA-256 of
every line before it and an HMAC-SHA256 of both keyed by the laptop's device key
(storage/devices.py: signing_key, from the token `lmcself add-device` made on the central
server). The central server checks the signature against its registered devices, so a cut or
edited file is refused whole, also when the editor computed the checksum again; so is an
unsigned one. Importing checks and scores
every submission again (core/submissions.py, as for the API), and stores the file whole or not
at all, in chunks that let the phones' posts in between (storage/submissions.py: store_many):
bad input leaves the database as it was, and importing twice changes nothing.
A submission whose id is stored with other answers is a conflict: reported, never overwritten;
so is a workshop stored with other details. A workshop code neither stored nor defined in the
bundle refuses the whole bundle.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import hmac
import itertools
import json
import multiprocessing
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path

import sqlite_utils

from lmcself.core.instrument import VERSIONS, Instrument
from lmcself.core.submissions import InvalidSubmission, Submission
from lmcself.core.text import LONE_SURROGATE, has_lone_surrogate
from lmcself.storage import submissions as stored
from lmcself.storage.workshops import WorkshopError, checked_definition

FORMAT = "lmcself-bundle"
VERSION = 2  # 2: the header carries workshop definitions and is covered by the checksum
DEFAULT_MAX_BYTES = 512 * 1024 * 1024  # uncompressed; 100,000 submissions take about 60 MB


class BundleError(ValueError):
    """The file is not a whole, unchanged bundle this server can read; the message says where."""


def exported_lines(db: sqlite_utils.Database, workshop: str | None = None) -> Iterator[dict]:
    """Stored submissions as bundle lines (Submission.line_of_row)."""
    return stored.lines_of(db, workshop)


def signature(key: bytes, count: int, sha256: str) -> str:
    """The trailer's HMAC: of the count and the checksum of every line before the trailer."""
    return hmac.new(key, f"{FORMAT} {count} {sha256}".encode(), hashlib.sha256).hexdigest()


def write_bundle(
    path: Path,
    lines: Iterable[dict],
    instrument: Instrument,
    workshops: Iterable[dict] = (),
    key: bytes | None = None,
) -> int:
    """Write the bundle atomically (a temporary file renamed into place); return its count.
    `workshops`: the definitions of the workshops the lines name (workshops.definitions);
    `key`: the device's signing key (without one, a central server refuses the file)."""
    digest, count = hashlib.sha256(), 0
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # gzip's level 6 (zlib's default) rather than 9: an eighth less time to export, 4% more bytes
        with (
            os.fdopen(fd, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) as out,
        ):
            header = {
                "format": FORMAT,
                "version": VERSION,
                "instrument": instrument.version,
                "workshops": list(workshops),
            }
            data = _dump(header)
            digest.update(data)
            out.write(data)
            for line in lines:
                data = _dump(line)
                digest.update(data)
                out.write(data)
                count += 1
            trailer: dict[str, object] = {"count": count, "sha256": digest.hexdigest()}
            if key is not None:
                trailer["hmac"] = signature(key, count, digest.hexdigest())
            out.write(_dump(trailer))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return count


def _dump(obj: dict) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True).encode() + b"\n"


MAX_LINE_BYTES = 4 * 1024 * 1024  # a submission line is about 600 bytes; a header, a few KB


def _raw_lines(path: Path, max_bytes: int) -> Iterator[bytes]:
    """The file's lines, decompressed, refusing a file larger than max_bytes once unpacked and
    a line longer than MAX_LINE_BYTES. Read in bounded pieces, so memory stays small whatever
    the file unpacks to (a gzip bomb, one line of gigabytes with no newline)."""
    total = 0
    try:
        with gzip.open(path, "rb") as f:
            for number in itertools.count(1):
                line = f.readline(MAX_LINE_BYTES + 1)
                if not line:
                    return
                total += len(line)
                if total > max_bytes:
                    raise BundleError(f"larger than the limit of {max_bytes:,} bytes unpacked")
                if len(line) > MAX_LINE_BYTES:
                    raise BundleError(
                        f"line {number}: longer than {MAX_LINE_BYTES:,} bytes: not a bundle line"
                    )
                yield line
    except (OSError, EOFError) as exc:  # not gzip, or cut short
        raise BundleError(f"not a readable bundle file ({exc})") from exc


UNSIGNED = (
    "the bundle is not signed, so this server cannot tell it is unchanged; make it again on the "
    "laptop with `lmcself export-bundle FILE --token TOKEN` (the laptop's token from "
    "`lmcself add-device` on this server)"
)


def check_bundle(
    path: Path,
    instrument: Instrument,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    keys: Mapping[str, bytes],
) -> tuple[int, list[dict]]:
    """Read the whole file once: header, trailer, count, checksum and the signature, which one
    of `keys` (the registered devices', devices.signing_keys) must have made. Return the count
    and the header's workshop definitions, each checked."""
    digest, count, header, last = hashlib.sha256(), 0, None, None
    for number, line in enumerate(_raw_lines(path, max_bytes), start=1):
        if number == 1:
            header = _json(line, 1)
            digest.update(line)
            continue
        if last is not None:
            digest.update(last)
            count += 1
        last = line
    if header is None or header.get("format") != FORMAT:
        raise BundleError("not an lmcself bundle (its first line is not a bundle header)")
    if header.get("version") != VERSION:
        raise BundleError(
            f"bundle format version {header.get('version')!r}; this server reads {VERSION}"
        )
    # A bundle is made with the laptop's current version; its lines may hold older versions,
    # each checked on its own. Any version this server knows is read; an unknown one refused.
    known = {instrument.version, *VERSIONS}
    if header.get("instrument") not in known:
        raise BundleError(
            f"made with questionnaire version {header.get('instrument')!r}; "
            f"this server has {' or '.join(map(repr, sorted(known)))}"
        )
    trailer = _json(last, count + 2) if last is not None else {}
    if "sha256" not in trailer:
        raise BundleError("the file is cut short: its last line is not the bundle's trailer")
    if trailer.get("count") != count or trailer["sha256"] != digest.hexdigest():
        raise BundleError("the file was changed after it was made: its checksum does not match")
    signed = trailer.get("hmac")
    if not signed:
        raise BundleError(UNSIGNED)
    expected = [signature(key, count, digest.hexdigest()) for key in keys.values()]
    if not isinstance(signed, str) or not any(hmac.compare_digest(signed, e) for e in expected):
        raise BundleError(
            "the signature matches no device registered on this server: the file was changed "
            "after it was signed, or signed with a token not made here (`lmcself add-device`)"
        )
    return count, _workshops(header, instrument)


def _workshops(header: dict, instrument: Instrument) -> list[dict]:
    items = header.get("workshops")
    if not isinstance(items, list):
        raise BundleError("line 1: workshops must be a list")
    try:
        return [
            checked_definition(item, f"line 1: workshops[{i}]", instrument)
            for i, item in enumerate(items)
        ]
    except WorkshopError as exc:
        raise BundleError(str(exc)) from exc


def _json(line: bytes, number: int) -> dict:
    try:
        value = json.loads(line)
    except ValueError as exc:
        raise BundleError(f"line {number}: not JSON") from exc
    if not isinstance(value, dict):
        raise BundleError(f"line {number}: not a JSON object")
    # Only an escape (\\udxxx) or bytes ED A0..BF (which json.loads lets through) can give one.
    if (b"\\u" in line or b"\xed" in line) and has_lone_surrogate(value):
        raise BundleError(f"line {number}: {LONE_SURROGATE}")
    return value


def read_submissions(
    path: Path, instrument: Instrument, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[Submission]:
    """The bundle's submissions, each checked and scored again. Call check_bundle first."""
    latest = date.today() + timedelta(days=1)  # a laptop's clock a time zone ahead
    for number, line in _numbered_submissions(path, max_bytes):
        yield _submission(line, number, instrument, latest)


def _numbered_submissions(path: Path, max_bytes: int) -> Iterator[tuple[int, bytes]]:
    lines = _raw_lines(path, max_bytes)
    next(lines)  # header
    previous = None
    for number, line in enumerate(lines, start=2):
        if previous is not None:
            yield number - 1, previous
        previous = line  # the last line is the trailer


PARALLEL_FROM = 5_000  # below this, starting worker processes costs more than it saves
PARALLEL_CHUNK = 1_000


def checked_rows(
    path: Path, instrument: Instrument, max_bytes: int = DEFAULT_MAX_BYTES, workers: int = 1
) -> Iterator[dict[str, object]]:
    """Rows ready to store, each submission checked and scored again, in file order; with
    workers > 1, checked in that many processes while this one stores (a central server's
    import of 100,000 submissions)."""
    if workers <= 1:
        yield from map(stored.stored_row, read_submissions(path, instrument, max_bytes))
        return
    chunks = _chunks(_numbered_submissions(path, max_bytes), PARALLEL_CHUNK)
    context = multiprocessing.get_context("spawn")  # no fork of a threaded server or test run
    with context.Pool(workers, initializer=_start_worker, initargs=(instrument,)) as pool:
        for rows in pool.imap(_check_chunk, chunks):
            yield from rows


def _chunks(items: Iterator[tuple[int, bytes]], size: int) -> Iterator[list[tuple[int, bytes]]]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_worker_instrument: Instrument | None = None


def _start_worker(instrument: Instrument) -> None:
    global _worker_instrument
    _worker_instrument = instrument


def _check_chunk(chunk: list[tuple[int, bytes]]) -> list[dict[str, object]]:
    latest = date.today() + timedelta(days=1)
    assert _worker_instrument is not None, "a worker starts with _start_worker"
    return [
        stored.stored_row(_submission(line, number, _worker_instrument, latest))
        for number, line in chunk
    ]


def _submission(line: bytes, number: int, instrument: Instrument, latest: date) -> Submission:
    item = _json(line, number)
    return submission_from_line(item, f"line {number} (id {item.get('id')!r})", instrument, latest)


def submission_from_line(
    item: object, where: str, instrument: Instrument, latest: date
) -> Submission:
    """A bundle line (or a pushed one) as a Submission; BundleError says where and what."""
    try:
        return Submission.from_line(instrument, item, latest)
    except InvalidSubmission as exc:
        raise BundleError(f"{where}: {exc}") from exc


def import_submissions(
    db: sqlite_utils.Database,
    submissions: Iterable[Submission],
    progress: Callable[[int], None] = lambda n: None,
    workshops: Iterable[dict[str, str]] = (),
    wait: float | None = None,
) -> stored.ImportReport:
    """import_rows for Submissions."""
    return import_rows(db, map(stored.stored_row, submissions), progress, workshops, wait)


def import_rows(
    db: sqlite_utils.Database,
    rows: Iterable[dict[str, object]],
    progress: Callable[[int], None] = lambda n: None,
    workshops: Iterable[dict[str, str]] = (),
    wait: float | None = None,
) -> stored.ImportReport:
    """Store workshop definitions and rows whole or not at all, in chunks that never hold the
    database long (storage.submissions.store_many); a row naming a workshop unknown here, or
    another import under way, refuses the whole import (BundleError)."""
    try:
        return stored.store_many(db, rows, progress, workshops, wait)
    except (stored.UnknownWorkshop, stored.ImportBusy) as exc:
        raise BundleError(str(exc)) from exc
