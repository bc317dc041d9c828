"""The JSON API: the instrument's scoring data for the browser, and idempotent submissions."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from lmcself.central.bundle import BundleError, import_submissions, submission_from_line
from lmcself.central.push import MAX_BATCH, SIGNATURE_HEADER
from lmcself.core.instrument import Instrument
from lmcself.core.submissions import InvalidSubmission, Submission
from lmcself.core.suppress import DEFAULT_K
from lmcself.core.text import LONE_SURROGATE
from lmcself.storage import devices
from lmcself.storage import submissions as stored
from lmcself.storage.db import get_db
from lmcself.storage.figures import PEER_KEYS, PUBLIC_MIN_GROUP, peers
from lmcself.storage.workshops import WorkshopError, checked_definition, is_known
from lmcself.web.ratelimit import slowed

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_SUBMISSION_BYTES = 32 * 1024
OPENAPI = Path(__file__).with_name("openapi.json")


def error(status: int, message: str):
    return jsonify({"error": message}), status


def write_wait() -> float:
    """How long a post may wait for the database (an import's chunk, another writer)."""
    return float(current_app.config.get("WRITE_WAIT", stored.WRITE_WAIT))


def busy(exc: stored.Busy):
    """503 with Retry-After: nothing stored; the phone's outbox (and a push) sends it again."""
    response = jsonify({"error": "the server is busy; nothing was stored, send it again soon"})
    return response, 503, {"Retry-After": str(exc.retry_after)}


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    return error(exc.code or 500, exc.description or exc.name)


def instrument() -> Instrument:
    return current_app.extensions["instrument"]


# The app's pages answer these codes with HTML (lmcself/__init__.py), and a code's handler there
# comes before a blueprint's class handler: the API names them again, to answer in JSON.
for _code in (400, 401, 403, 404, 405, 409, 413, 415, 422, 429):
    bp.register_error_handler(_code, http_error)


@bp.errorhandler(500)
def server_error(exc: Exception):
    """Never an HTML page on the API, even for a fault of ours."""
    return error(500, "the server could not handle this request; nothing was stored")


# Per endpoint: the most a body may hold, also when it comes chunked (no Content-Length).
BODY_LIMITS = {"api.submit": MAX_SUBMISSION_BYTES}


@bp.before_request
def checked_body():
    """Bodies are read with a cap and parsed once here, so that no body reaches a view too big
    (413), nested too deep for the parser, or holding text that is not Unicode (400)."""
    if request.method != "POST":
        return None
    limit = BODY_LIMITS.get(request.endpoint or "")
    if limit is not None:
        request.max_content_length = limit  # a longer Content-Length: 413 at once
        if request.content_length is None and request.environ.get("wsgi.input_terminated"):
            # Chunked: werkzeug would cut the body at the limit without a word; read one byte
            # more to tell, and hand the view what was read.
            raw = request.environ["wsgi.input"].read(limit + 1)
            if len(raw) > limit:
                return error(413, f"a body of more than {limit} bytes")
            request.environ["wsgi.input"] = io.BytesIO(raw)
    request.get_data(cache=True)
    if not request.is_json:
        return None
    try:
        payload = request.get_json(silent=True)  # cached: the view gets the same object
        # A lone surrogate ("\ud800") parses, but cannot be stored or printed.
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        return error(400, "JSON nested too deeply")
    except UnicodeEncodeError:
        return error(400, LONE_SURROGATE)
    return None


@bp.get("/openapi.json")
def openapi_json():
    """The API described as OpenAPI 3.1: the same file as lmcself/web/openapi.json."""
    response = current_app.response_class(OPENAPI.read_bytes(), mimetype="application/json")
    response.cache_control.no_cache = True
    return response


@bp.get("/instrument.json")
def instrument_json():
    inst = instrument()
    response = jsonify(inst.as_json())
    response.set_etag(f"instrument-{inst.version}")
    response.cache_control.no_cache = True  # revalidate: a new version must reach the phones
    return response.make_conditional(request)


@bp.post("/submissions")
@slowed
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
        outcome = stored.insert(db, submission, write_wait())
    except InvalidSubmission as exc:
        return error(422, str(exc))
    except stored.SubmissionConflict:
        return error(409, "a different submission with this id exists")
    except stored.Busy as exc:
        return busy(exc)
    status = 201 if outcome is stored.Inserted.CREATED else 200
    # No figure of other businesses here: an answer to a post must not show what it changed
    # (the phone asks GET /api/v1/peers for the released "businesses like yours").
    body = {**submission.to_phone(), "status": outcome.value}
    location = url_for("assessment.result", lang=submission.locale, submission_id=submission.id)
    return jsonify(body), status, {"Location": location}


@bp.get("/peers")
def peers_json():
    """ "Businesses like yours" for ?country=&sector=&size=, as last released (released in
    steps of k, protected and rounded; storage/figures.py): {"peers": {"n", "overall"} | null}."""
    inst = current_app.extensions["instrument"]
    context: dict[str, str] = {}
    for key in PEER_KEYS:
        value = request.args.get(key, "")
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
    """A laptop's push (central/push.py): 200 with the ids stored (new or already there) and the
    conflicts; 401, 413 or 422 with a JSON error, nothing stored."""
    db = get_db()
    signed = request.headers.get(SIGNATURE_HEADER)
    if not signed:
        return error(
            401,
            "an unsigned batch: pushes are signed with the laptop's device token (made by "
            "`lmcself add-device` on this server); update lmcself on the laptop",
        )
    if devices.signed_by(db, request.get_data(), signed) is None:
        return error(
            401,
            "the batch's signature matches no device registered here: changed on the way, or "
            "signed with a token not made by `lmcself add-device` on this server",
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
        report = import_submissions(db, submissions, workshops=defined, wait=write_wait())
    except (BundleError, WorkshopError) as exc:
        return error(422, str(exc))
    except stored.Busy as exc:
        return busy(exc)
    conflicts = set(report.conflicts)
    confirmed = [s.id for s in submissions if s.id not in conflicts]
    return jsonify({"stored": confirmed, "conflicts": sorted(conflicts)}), 200
