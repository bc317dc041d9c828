"""The public assessment: landing and consent, context, one page per dimension, result, method.

Works without JavaScript: plain forms, answers kept in the signed session cookie between pages
(nothing is stored on the server until the assessment is finished).
"""

from __future__ import annotations

import math
from datetime import date

from babel.dates import get_era_names, get_month_names
from babel.numbers import get_decimal_symbol, get_group_symbol
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    get_template_attribute,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, gettext

from lmcself.core.instrument import (
    VERSIONS,
    Instrument,
    Question,
    carry_over,
    instrument_for,
)
from lmcself.core.plan import normalize_reentry
from lmcself.core.scoring import DimensionScore, Result, worked_example
from lmcself.core.submissions import InvalidSubmission, Submission, new_id, normalize_workshop
from lmcself.core.suppress import DEFAULT_K
from lmcself.storage import submissions as stored
from lmcself.storage.db import get_db
from lmcself.storage.figures import PUBLIC_MIN_GROUP, peers
from lmcself.storage.workshops import is_known
from lmcself.web.forms import StartForm, questions_form, valid_answers
from lmcself.web.i18n import (
    best_language,
    date_pattern,
    register_language_in_url,
    year_in_calendar,
)
from lmcself.web.plan_views import instrument_of, since_view
from lmcself.web.ratelimit import slowed, too_fast

bp = Blueprint("assessment", __name__)
KEY = "assessment"


def instrument() -> Instrument:
    return current_app.extensions["instrument"]


register_language_in_url(bp)


@bp.get("/")
def index():
    """Pick the language from the browser; a workshop code in the link comes along."""
    # Only the workshop code: other query keys (lang, _method, _scheme...) are url_for's own.
    workshop = request.args.get("w")
    return redirect(url_for(".landing", lang=best_language(), w=workshop or None))


def current() -> dict | None:
    return session.get(KEY)


def save(state: dict) -> None:
    session[KEY] = state
    session.modified = True


def form_instrument(state: dict) -> Instrument:
    """The version a questionnaire in progress was begun on: it is finished on that version
    (a state from before versions were kept was begun on 1.0)."""
    own = instrument()
    version = state.get("version", "1.0")
    if version == own.version or version not in VERSIONS:
        return own
    return instrument_for(version)


def page_questions(inst: Instrument, n: int) -> tuple[Question, ...]:
    """Step n's questions: 0 the context, 1..N a part each, then the unscored ones if any."""
    if n == 0:
        return inst.context
    if n <= len(inst.dimensions):
        return inst.dimensions[n - 1].questions
    return inst.unscored


def last_step(inst: Instrument) -> int:
    return len(inst.dimensions) + (1 if inst.unscored else 0)


def applicable(inst: Instrument, state: dict, questions: tuple[Question, ...]) -> tuple:
    """The questions of a page that apply, given the context and the answers so far."""
    context = state.get("context", {})
    values = {**context, **inst.shown(context, state.get("answers", {}))}
    return tuple(q for q in questions if q.applies(values))


def first_open_step(state: dict) -> int:
    """0 is the context page, 1..N the dimensions (then the unscored page, if the version has
    one); the step after the last when everything that applies is answered."""
    inst = form_instrument(state)
    if set(state.get("context", {})) < {q.key for q in inst.context}:
        return 0
    answers = state.get("answers", {})
    for n in range(1, last_step(inst) + 1):
        if any(q.key not in answers for q in applicable(inst, state, page_questions(inst, n))):
            return n
    return last_step(inst) + 1


def step_url(step: int) -> str:
    return url_for(".context") if step == 0 else url_for(".part", n=step)


def workshop_from_link(code: str | None) -> tuple[str | None, str | None]:
    """The link's workshop code when this server knows it; else None, and the code to tell
    the owner about (a mistyped link must not cost an owner the assessment at the end)."""
    code = normalize_workshop(code)
    if code is None or is_known(get_db(), code):
        return code, None
    return None, code


@bp.route("/<lang>/", methods=["GET", "POST"])
def landing():
    workshop, unknown = workshop_from_link(request.args.get("w"))
    form = StartForm(workshop=workshop)
    if form.validate_on_submit():
        save(
            {
                "id": new_id(),
                "version": instrument().version,
                "workshop": workshop_from_link(form.workshop.data)[0],
                # Business details of last time, when the owner came back with a re-entry code.
                "context": session.pop("prefill", {}),
                # ...and the re-entry code of that check: the one link between the two.
                "follows": session.pop("follows", None),
                "answers": {},
            }
        )
        return redirect(url_for(".context"))
    state = current()
    resume = step_url(first_open_step(state)) if state else None
    return render_template(
        "landing.html",
        form=form,
        resume=resume,
        last_result=session.get("last_result"),
        unknown_workshop=unknown,
        previous_check=previous_check(session.get("follows")),
    )


def previous_check(code: str | None) -> dict | None:
    """The check an owner came back to with its re-entry code, for the phone to keep (the page
    that follows the code hands it to the one-page app, which shows the progress offline)."""
    previous = stored.find_by_reentry(get_db(), code) if code else None
    if previous is None:
        return None
    return {
        "code": previous.reentry,
        "date": previous.created_on.isoformat(),
        "context": dict(previous.context),
        "answers": dict(previous.answers),
        "result": previous.scores,
    }


@bp.get("/<lang>/previous/<code>.json")
@slowed  # a code is the one key to a check: guesses are slowed like posts
def previous_json(code: str):
    """The check of a re-entry code typed into the one-page app's start screen, for the phone
    to keep with the new check (as previous_check hands it to the app after /again/<code>), so
    that its progress shows offline; 404 for a code of no check."""
    found = previous_check(normalize_reentry(code))
    response = jsonify(found) if found else (jsonify({"error": "no check has this code"}), 404)
    response = make_response(response)
    response.cache_control.no_store = True  # an owner's answers: kept by the app, not a cache
    return response


@bp.route("/<lang>/about-you", methods=["GET", "POST"])
def context():
    state = current()
    if not state:
        return redirect(url_for(".landing"))
    inst = form_instrument(state)
    questions = inst.context
    form = questions_form(questions)(data=state["context"])
    if request.method == "POST":
        state["context"].update(valid_answers(form, questions))
        save(state)
        if form.validate():
            return redirect(url_for(".part", n=1))
    return render_template(
        "questions.html", form=form, questions=questions, step=0, dimension=None, instrument=inst
    )


@bp.route("/<lang>/part/<int:n>", methods=["GET", "POST"])
def part(n: int):
    state = current()
    if not state:
        return redirect(url_for(".landing"))
    inst = form_instrument(state)
    if not 1 <= n <= last_step(inst):
        abort(404)
    if n > first_open_step(state):
        return redirect(step_url(first_open_step(state)))
    everything = page_questions(inst, n)
    if request.method == "POST":
        # Keep every valid answer, even when the page is incomplete or the owner goes back; an
        # answer that opens a question (a condition) shows the page again with it.
        state["answers"].update(
            {
                q.key: request.form[q.key]
                for q in everything
                if q.option(request.form.get(q.key)) is not None
            }
        )
        save(state)
        if "back" in request.form:
            return redirect(step_url(n - 1))
    questions = applicable(inst, state, everything)
    form = questions_form(questions)(data=state["answers"])
    if request.method == "POST" and form.validate():
        if n < last_step(inst):
            return redirect(url_for(".part", n=n + 1))
        return finish(state)
    dim = inst.dimensions[n - 1] if n <= len(inst.dimensions) else None
    return render_template(
        "questions.html",
        form=form,
        questions=questions,
        step=n,
        dimension=dim,
        about=dim is None,
        instrument=inst,
    )


def finish(state: dict):
    """Score, store once, and freeze: a new assessment starts with a new id."""
    inst = form_instrument(state)
    if first_open_step(state) <= last_step(inst):
        return redirect(step_url(first_open_step(state)))
    if wait := too_fast():  # the answers stay in the session: sending again later stores them
        abort(429, retry_after=math.ceil(wait))
    try:
        submission = Submission.from_form(inst, state, g.lang, date.today())
        stored.insert(get_db(), submission)
    except stored.Busy as exc:  # the answers stay in the session: sending again stores them
        abort(503, retry_after=exc.retry_after)
    except (InvalidSubmission, stored.SubmissionConflict):
        # Only a tampered or replayed session can get here: keep what is stored, start afresh.
        session.pop(KEY, None)
        abort(409)
    session.pop(KEY, None)
    session["last_result"] = submission.id
    return redirect(url_for(".result", submission_id=submission.id))


@bp.get("/<lang>/result/<submission_id>")
def result(submission_id: str):
    submission = stored.get(get_db(), submission_id)
    if submission is None:
        abort(404)
    # The stored scores, not a new scoring: a result keeps the instrument version that scored it.
    k = current_app.config.get("MIN_GROUP_SIZE", DEFAULT_K)
    return render_template(
        "result.html",
        instrument=instrument_of(submission.instrument_version),
        result=submission.result,
        record=submission,
        since=since_view(submission),
        peers=peers(
            get_db(),
            instrument(),
            dict(submission.context),
            k,
            current_app.config.get("PUBLIC_MIN_GROUP", PUBLIC_MIN_GROUP),
        ),
    )


def app_data() -> dict:
    """What app.js needs, in the page's language: scoring data, and texts with their placeholders
    left in (%(name)s, %(num)s) for the script to fill."""
    inst = instrument()
    counts = {
        name: get_template_attribute("_counts.html", name) for name in ("missing", "dont_know")
    }
    strings = {
        # Each language here has one plural form, or English's two (one / other).
        **{f"{k}_one": str(macro(1, "%(num)s")) for k, macro in counts.items()},
        **{f"{k}_other": str(macro(2, "%(num)s")) for k, macro in counts.items()},
        "strongest": gettext("Strongest: %(name)s"),
        "start_here": gettext("Start here: %(name)s"),
        "out_of": gettext("%(score)s out of 100"),
        "does_not_apply": gettext("Does not apply"),
        "required": gettext("Please choose an answer."),
        "scored_on": gettext("Scored with questionnaire version %(version)s on %(date)s."),
        "saved": gettext("Your result is saved on this phone."),
        "sending": gettext("Sending your result..."),
        "sent": gettext("Your result has been sent. Thank you."),
        "offline": gettext(
            "Not sent yet: this phone has no internet connection. It will be sent by itself when the phone is online again."
        ),
        "unreachable": gettext(
            "Not sent yet: the phone is online but gets no answer from the server (the workshop computer may be off or on another network). It will be sent by itself when the server answers."
        ),
        "retrying": gettext(
            "Not sent yet: the server could not take it just now. It will be sent again by itself."
        ),
        "conflict": gettext(
            "This result was sent before with other answers, so it was not sent again."
        ),
        "rejected": gettext(
            "The server did not accept this result. Download your answers and give the file to your trainer."
        ),
        "precache_failed": gettext(
            "This page could not yet be kept on the phone for use without a connection. Trying again..."
        ),
        "plan_unavailable": gettext(
            "The plan cannot be shown without a connection yet. Open it once while the phone is connected; after that it works offline too."
        ),
        "storage": gettext(
            "Your answers could not be kept on this phone: it may be full. Free some space, or download your answers."
        ),
        "failed": gettext(
            "Something went wrong on this phone. Reload the page: your answers are kept."
        ),
        # a re-entry code typed into the start screen (the again page's texts)
        "welcome_back": gettext(
            "Welcome back. Your business details of %(date)s will be filled in: check them, then answer the questions again. Your result will show what changed in each part since then."
        ),
        "no_code": gettext("No result has this code. Check the code and try again."),
        "code_offline": gettext(
            "Your code can be used only with an internet connection. Connect, then try again."
        ),
    }
    peers_text = get_template_attribute("_counts.html", "peers")
    strings["peers_one"] = str(peers_text(1, "%(score)s", "%(num)s"))
    strings["peers_other"] = str(peers_text(2, "%(score)s", "%(num)s"))
    locale = get_locale()
    return {
        "instrument": inst.as_json(),
        "number": {
            "decimal": get_decimal_symbol(locale),
            "group": get_group_symbol(locale),
        },
        # Dates written as the server writes them (Babel's long format), not as the phone's ICU may.
        # Thai years in the Buddhist era: the pattern has no era then, and year_offset is added
        # to the year (static/app.js formatDate must add it: `String(+y + (spec.year_offset || 0))`).
        "date": {
            "pattern": date_pattern("day"),
            "months": [get_month_names("wide", locale=locale)[m] for m in range(1, 13)],
            "era": get_era_names("abbreviated", locale=locale)[1],
            "year_offset": year_in_calendar(0),
        },
        "levels": {
            lv.key: {"name": gettext(lv.name), "description": gettext(lv.description)}
            for lv in inst.levels
        },
        "dimensions": {
            d.key: {"name": gettext(d.name), "levels": {k: gettext(v) for k, v in d.levels.items()}}
            for d in inst.dimensions
        },
        "strings": strings,
        # A questionnaire begun on another version moves over keeping these answers.
        "carry_over": {
            v: list(carry_over(instrument_for(v), inst)) for v in VERSIONS if v != inst.version
        },
    }


@bp.get("/<lang>/app")
def app_page():
    """The one-page assessment for phones with JavaScript; works offline once loaded."""
    inst = instrument()
    # The chart's rows, empty until app.js fills in the phone's own result.
    blank = Result(
        inst.version,
        0,
        inst.levels[0].key,
        tuple(DimensionScore(d.key, 0, inst.levels[0].key, 0) for d in inst.dimensions),
        inst.dimensions[0].key,
        inst.dimensions[0].key,
        0,
    )
    workshop, unknown = workshop_from_link(request.args.get("w"))
    response = make_response(
        render_template(
            "app.html", data=app_data(), result=blank, workshop=workshop, unknown_workshop=unknown
        )
    )
    # Revalidated on every visit: unchanged, it costs a 304, and a new release is seen at once.
    response.cache_control.no_cache = True
    response.add_etag()
    return response


@bp.get("/<lang>/method")
def method():
    """The method, written from the instrument itself (weights, conditions, "does not apply",
    rounding with an example computed step by step, the "Start here" order)."""
    inst = instrument()
    every = {q.key: q for q in (*inst.context, *inst.questions, *inst.unscored)}
    conditions = {
        q.key: [
            {
                "question": gettext(every[c.key].text),
                "negate": c.negate,
                "options": [gettext(every[c.key].option(o).label) for o in c.options],  # type: ignore[union-attr]
            }
            for c in q.when
        ]
        for q in inst.questions
        if q.when
    }
    return render_template(
        "method.html",
        example=worked_example(inst),
        conditions=conditions,
        start_order=[inst.dimension(k) for k in inst.start_rank],
        same_weights=len({d.weight for d in inst.dimensions}) == 1,
        same_question_weights=len({q.weight for q in inst.questions}) == 1,
        # the versions before this one, whose stored results are still shown as they were
        earlier=VERSIONS[: VERSIONS.index(inst.version)] if inst.version in VERSIONS else (),
    )


@bp.app_context_processor
def inject():
    return {"instrument": instrument(), "lang": g.get("lang", "en")}
