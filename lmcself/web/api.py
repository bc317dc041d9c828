"""The JSON API: the instrument's scoring data for the browser, and idempotent submissions."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, current_app, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from lmcself.central.bundle import BundleError, import_submissions, submission_from_line
from lmcself.central.push import MAX_BATCH
from lmcself.core.instrument import Instrument
from lmcself.core.submissions import InvalidSubmission, Submission
from lmcself.core.suppress import DEFAULT_K
from lmcself.storage import devices
from lmcself.storage import submissions as stored
from lmcself.storage.dashboard import peers
from lmcself.storage.db import get_db
from lmcself.storage.workshops import WorkshopError, checked_definition, is_known

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_SUBMISSION_BYTES = 32 * 1024


def error(status: int, message: str):
    return jsonify({"error": message}), status


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    return error(exc.code or 500, exc.description or exc.name)


def instrument() -> Instrument:
    return current_app.extensions["instrument"]


@bp.get("/instrument.json")
def instrument_json():
    inst = instrument()
    response = jsonify(inst.as_json())
    response.set_etag(f"instrument-{inst.version}")
    response.cache_control.no_cache = True  # revalidate: a new version must reach the phones
    return response.make_conditional(request)


@bp.post("/submissions")
def submit():
    """201 for a new id, 200 for the same id and content again, 409 for the same id and other
    content, 422 (naming the field) for a submission this server cannot score."""
    if request.content_length is not None and request.content_length > MAX_SUBMISSION_BYTES:
        return error(413, f"submission larger than {MAX_SUBMISSION_BYTES} bytes")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return error(400, "expected a JSON object")
    db = get_db()
    try:
        submission = Submission.from_payload(instrument(), payload, date.today())
        if submission.workshop is not None and not is_known(db, submission.workshop):
            raise InvalidSubmission(
                "workshop", f"no workshop {submission.workshop!r} on this server"
            )
        outcome = stored.insert(db, submission)
    except InvalidSubmission as exc:
        return error(422, str(exc))
    except stored.SubmissionConflict:
        return error(409, "a different submission with this id exists")
    status = 201 if outcome is stored.Inserted.CREATED else 200
    # "Businesses like yours" for the phone's result, as the result page shows it (from k).
    like = peers(db, submission, current_app.config.get("MIN_GROUP_SIZE", DEFAULT_K))
    body = {
        **submission.to_phone(),
        "status": outcome.value,
        "peers": {"n": like.n, "overall": like.overall} if like else None,
    }
    location = url_for("assessment.result", lang=submission.locale, submission_id=submission.id)
    return jsonify(body), status, {"Location": location}


@bp.post("/batches")
def receive_batch():
    """A laptop's push (central/push.py): 200 with the ids stored (new or already there) and the
    conflicts; 401, 413 or 422 with a JSON error, nothing stored."""
    db = get_db()
    if devices.named_by(db, request.headers.get("Authorization")) is None:
        return error(
            401, "a valid device token is needed (made by `lmcself add-device` on this server)"
        )
    payload = request.get_json(silent=True)
    lines = payload.get("submissions") if isinstance(payload, dict) else None
    workshops = payload.get("workshops", []) if isinstance(payload, dict) else None
    if not isinstance(lines, list) or not isinstance(workshops, list):
        return error(400, 'expected {"submissions": [...], "workshops": [...]}')
    if len(lines) > MAX_BATCH:
        return error(413, f"at most {MAX_BATCH} submissions per batch")
    latest = date.today() + timedelta(days=1)  # a laptop's clock a time zone ahead
    try:
        submissions = [
            submission_from_line(line, f"submissions[{i}]", instrument(), latest)
            for i, line in enumerate(lines)
        ]
        defined = [
            checked_definition(item, f"workshops[{i}]", instrument())
            for i, item in enumerate(workshops)
        ]
        report = import_submissions(db, submissions, workshops=defined)
    except (BundleError, WorkshopError) as exc:
        return error(422, str(exc))
    conflicts = set(report.conflicts)
    confirmed = [s.id for s in submissions if s.id not in conflicts]
    return jsonify({"stored": confirmed, "conflicts": sorted(conflicts)}), 200
