"""The JSON API: the instrument's scoring data for the browser, and idempotent submissions."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, current_app, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from lmcself.central.bundle import BundleError, import_records, record_from_line
from lmcself.central.push import MAX_BATCH, device_for
from lmcself.core.submissions import InvalidSubmission, build_record, normalize_workshop
from lmcself.core.suppress import DEFAULT_K
from lmcself.storage.db import Inserted, SubmissionConflict, get_db, insert_submission
from lmcself.storage.figures import PEER_KEYS, PUBLIC_MIN_GROUP, peers
from lmcself.storage.workshops import WorkshopError, checked_definition, is_known
from lmcself.web.i18n import LOCALES
from lmcself.web.ratelimit import slowed

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_SUBMISSION_BYTES = 32 * 1024


def error(status: int, message: str):
    return jsonify({"error": message}), status


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    return error(exc.code or 500, exc.description or exc.name)


@bp.get("/instrument.json")
def instrument_json():
    inst = current_app.extensions["instrument"]
    response = jsonify(inst.as_json())
    response.set_etag(f"instrument-{inst.version}")
    response.cache_control.no_cache = True  # revalidate: a new version must reach the phones
    return response.make_conditional(request)


@bp.post("/submissions")
@slowed
def submit():
    """201 for a new id, 200 for the same id and content again, 409 for the same id and other content."""
    if request.content_length is not None and request.content_length > MAX_SUBMISSION_BYTES:
        return error(413, f"submission larger than {MAX_SUBMISSION_BYTES} bytes")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return error(400, "expected a JSON object")
    inst = current_app.extensions["instrument"]
    if payload.get("instrument_version") != inst.version:
        return error(422, f"instrument_version must be {inst.version!r}")
    locale = payload.get("locale")
    if locale not in LOCALES:
        return error(422, f"locale must be one of {sorted(LOCALES)}")
    context, answers = payload.get("context"), payload.get("answers")
    if not isinstance(context, dict) or not isinstance(answers, dict):
        return error(400, "context and answers must be JSON objects")
    workshop = payload.get("workshop")
    code = normalize_workshop(workshop)
    if workshop is not None and code is None:
        return error(422, "workshop: not a valid workshop code")
    if code is not None and not is_known(get_db(), code):
        return error(422, f"workshop: no workshop {code!r} on this server")
    try:
        record = build_record(inst, payload.get("id"), locale, context, answers, code)
        outcome = insert_submission(get_db(), record)
    except InvalidSubmission as exc:
        return error(422, str(exc))
    except SubmissionConflict:
        return error(409, "a different submission with this id exists")
    status = 201 if outcome is Inserted.CREATED else 200
    # No figure of other businesses here: an answer to a post must not show what it changed
    # (the phone asks GET /api/v1/peers for the released "businesses like yours").
    body = {"id": record["id"], "status": outcome.value, "scores": record["scores"]}
    location = url_for("assessment.result", lang=locale, submission_id=record["id"])
    return jsonify(body), status, {"Location": location}


@bp.get("/peers")
def peers_json():
    """ "Businesses like yours" for ?country=&sector=&size=, as last released (released in
    steps of k, protected and rounded; storage/figures.py): {"peers": {"n", "overall"} | null}."""
    inst = current_app.extensions["instrument"]
    context = {}
    for key in PEER_KEYS:
        value = request.args.get(key)
        if inst.context_question(key).option(value) is None:
            return error(422, f"{key}: missing or not one of the options")
        context[key] = value
    k = current_app.config.get("MIN_GROUP_SIZE", DEFAULT_K)
    minimum = current_app.config.get("PUBLIC_MIN_GROUP", PUBLIC_MIN_GROUP)
    like = peers(get_db(), inst, context, k, minimum)
    response = jsonify({"peers": {"n": like.n, "overall": like.overall} if like else None})
    response.cache_control.no_cache = True
    return response


@bp.post("/batches")
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
