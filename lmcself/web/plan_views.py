"""The action plan as a page and as a PDF, and the re-entry code that brings an owner back.

The business name typed for the PDF goes into that one response and nowhere else: it is not
stored, logged or put in a URL (hence POST).
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlparse

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_decimal, gettext
from markupsafe import Markup

from lmcself.core.catalog import Catalog, CrossBorderLink, Note, Obligation, Risk, Tool
from lmcself.core.instrument import HORIZONS, VERSIONS, Instrument, instrument_for
from lmcself.core.plan import (
    CROSS_BORDER_ANSWERS,
    FOCUS_PARTS,
    NOTES_PER_PART,
    Part,
    Plan,
    build_plan,
    normalize_reentry,
)
from lmcself.core.progress import NEXT_STEPS, Progress, progress
from lmcself.core.submissions import Submission
from lmcself.storage import submissions
from lmcself.storage.db import get_db
from lmcself.web.blank import BLANK, link, slot
from lmcself.web.forms import NAME_MAX, PlanForm, ReentryForm
from lmcself.web.i18n import (
    DEFAULT_LOCALE,
    format_iso_date,
    register_language_in_url,
    write_date,
    year_in_calendar,
)
from lmcself.web.pdf import render_pdf
from lmcself.web.pdf_jobs import Busy, client_key, jobs
from lmcself.web.security import public_base

bp = Blueprint("plan", __name__)
register_language_in_url(bp)


def horizon_titles() -> dict[int, str]:
    return {
        30: gettext("In the next 30 days"),
        60: gettext("Within 60 days"),
        90: gettext("Within 90 days"),
    }


def tool_name(tool: Tool) -> str:
    """The name owners reading the page's language know the service by: its own name there
    (`names`), else the translated name of a descriptive one, else the name as written."""
    own = tool.name_in(g.get("lang", DEFAULT_LOCALE))
    if own:
        return own
    return gettext(tool.name) if tool.translate_name else tool.name


def source_host(url: str) -> str:
    return urlparse(url).netloc.removeprefix("www.").removeprefix("m.")


def format_source_date(value: str) -> str:
    """A source's date as the catalog gives it: a day, a month, a year, or none known."""
    if value == "n.d.":
        return gettext("no date")
    if re.fullmatch(r"\d{4}-\d{2}", value):
        year, month = map(int, value.split("-"))
        return write_date(date(year, month, 1), "month")
    if re.fullmatch(r"\d{4}", value):
        return str(year_in_calendar(int(value)))
    return write_date(date.fromisoformat(value))


def again_url(code: str) -> str:
    return public_base() + url_for("plan.again", code=code)


def qr_svg(url: str) -> str:
    """The re-entry link as an inline SVG QR code (no file, nothing to fetch)."""
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_inline(scale=4, border=2, dark="#000", omitsize=True)


def instrument_of(version: str) -> Instrument:
    """The instrument a stored result was scored with: the server's own, or another version it
    knows, so a 1.0 result keeps its 1.0 plan after the server moves to 2.0."""
    own = current_app.extensions["instrument"]
    if version == own.version or version not in VERSIONS:
        return own
    return instrument_for(version)


def render_plan(
    submission: Submission, form: PlanForm | None, pdf: bool = False, business_name: str = ""
) -> str:
    instrument = instrument_of(submission.instrument_version)
    plan = build_plan(
        instrument,
        current_app.extensions["catalog"],
        submission.result,
        submission.context,
        submission.answers,
    )
    view = plan_view(plan, submission, again_url(submission.reentry))
    return render_template(
        "plan.html",
        plan=plan,
        view={**view, "qr": Markup(qr_svg(str(view["again_url"])))},
        record=submission,
        since=since_view(submission, plan),
        form=form,
        pdf=pdf,
        business_name=business_name,
        name_max=NAME_MAX,
    )


# The plan as the texts templates/_plan.html shows: the page renders this view, and the phone
# builds the same view offline (static/js/plan-view.js) and fills the same partials with it.
View = dict[str, object]


def source_view(url: str, when: str) -> dict[str, str]:
    return {"url": url, "site": source_host(url), "date": when}


def tool_view(t: Tool) -> View:
    shown = tool_name(t)
    return {
        "name": shown,
        # Names of services stay as written: browsers' page translators must leave them alone.
        "translate": "yes" if t.translate_name or shown != t.name else "no",
        "what": gettext(t.what),
        "cost": gettext("Cost: %(text)s", text=gettext(t.cost)) if t.cost else "",
        "bring": gettext("To sign up: %(text)s", text=gettext(t.bring)) if t.bring else "",
        **source_view(t.source, format_iso_date(t.last_checked.isoformat())),
    }


def note_view(n: Note) -> View:
    return {
        "label": gettext("Good to know:") if n.local_only else gettext("From the region:"),
        "text": gettext(n.text),
        **source_view(n.source, format_source_date(n.source_date)),
    }


def duty_view(o: Obligation) -> View:
    """A duty of small sellers (tax, invoice, registration); `warning` where the answers show
    a gap."""
    return {
        "warning": gettext(o.warning) if o.warning else "",
        "name": gettext(o.name),
        "what": gettext(o.what),
        "threshold": gettext("Threshold: %(text)s", text=gettext(o.threshold))
        if o.threshold
        else "",
        "starts": gettext("In force since %(date)s", date=format_source_date(o.starts))
        if o.starts
        else "",
        "todo": gettext(o.todo),
        **source_view(o.source, format_iso_date(o.last_checked.isoformat())),
    }


def risk_view(r: Risk) -> View:
    return {
        "title": gettext(r.title),
        "text": gettext(r.text),
        **source_view(r.source, format_iso_date(r.last_checked.isoformat())),
    }


def link_view(x: CrossBorderLink) -> View:
    return {"text": gettext(x.text), **source_view(x.source, format_source_date(x.source_date))}


def part_view(part: Part, number: int, country: str) -> View:
    instrument = current_app.extensions["instrument"]
    titles = horizon_titles()
    level = next((lv for lv in instrument.levels if lv.key == part.score.level), None)
    horizons = [
        {
            "title": titles[h],
            "steps": [
                {
                    "title": gettext(s.action.title),
                    "detail": gettext(s.action.detail),
                    "tools": [tool_view(t) for t in s.tools],
                }
                for s in part.steps[h]
            ],
        }
        for h in HORIZONS
        if part.steps[h]
    ]
    return {
        "anchor": f"part-{part.dimension.key}",
        "number": format_decimal(number),
        "name": gettext(part.dimension.name),
        "score": (
            gettext("%(score)s out of 100", score=format_decimal(part.score.score))
            if part.score.score is not None
            else gettext("Does not apply")
        ),
        "level": gettext(level.name) if level else "",
        "done": not horizons,
        "horizons": horizons,
        "more_title": gettext("More for this part in %(country)s", country=country),
        "more_tools": [tool_view(t) for t in part.more_tools],
        "notes": [note_view(n) for n in part.notes],
    }


def plan_view(plan: Plan, submission: Submission, again: str) -> View:
    """Everything templates/_plan.html prints, as texts in the page's language."""
    instrument = current_app.extensions["instrument"]
    country = gettext(instrument.context_question("country").option(plan.country).label)
    parts = [part_view(p, n, country) for n, p in enumerate(plan.parts, start=1)]
    links = plan.cross_border
    code = submission.reentry
    return {
        "country": country,
        "date": format_iso_date(submission.created_on),
        "version": submission.instrument_version,
        "gaps": [
            {
                "title": gettext(w.gap.title),
                "detail": gettext(w.gap.detail),
                "tools": [tool_view(t) for t in w.tools],
            }
            for w in plan.gaps
        ],
        "duty_warnings": [duty_view(o) for o in plan.duty_warnings],
        "fix_first": bool(plan.gaps or plan.duty_warnings),
        "focus_parts": [v for v, p in zip(parts, plan.parts, strict=True) if p.focus],
        "later_parts": [v for v, p in zip(parts, plan.parts, strict=True) if not p.focus],
        "duties_title": gettext("Rules for sellers in %(country)s", country=country),
        "duties": [duty_view(o) for o in plan.duties],
        "risks_title": gettext("Risks to know in %(country)s", country=country),
        "risks": [risk_view(r) for r in plan.risks],
        # None: the owner does not sell abroad; no links: none known for the country yet.
        "cross_border": links is not None,
        "cross_links": [link_view(x) for x in links or ()],
        "cross_none": links == (),
        "code": code,
        "again_url": again,
        "qr": "",  # the page draws the QR code on the server; the phone shows the code and address
    }


def known_instrument(version: str) -> Instrument | None:
    """The instrument of a questionnaire version this server knows (its own or a shipped one),
    else None."""
    own: Instrument = current_app.extensions["instrument"]
    if version == own.version:
        return own
    return instrument_for(version) if version in VERSIONS else None


def since_strings() -> dict[str, str]:
    """The texts of the progress section with a value in them (placeholders left in), for the
    page and for the phone (plan_data), which fills them the same way (static/js/since-view.js)."""
    return {
        "same_version": gettext(
            "Both checks used questionnaire version %(version)s, so every part is compared."
        ),
        "other_version": gettext(
            "Your last check used questionnaire version %(before)s and this one version %(now)s: only the parts asked the same way in both are compared."
        ),
        "overall": gettext("Overall score"),
        "no_score": gettext("no score"),
        "not_compared": gettext("not compared"),
        "up": gettext("up %(num)s"),
        "down": gettext("down %(num)s"),
        "same": gettext("no change"),
    }


def progress_view(p: Progress, before_date: date | str) -> View:
    """Everything templates/_since.html prints, as texts in the page's language."""
    instrument = current_app.extensions["instrument"]
    names = {d.key: gettext(d.name) for d in instrument.dimensions}
    texts = since_strings()
    if p.same_version:
        versions = texts["same_version"] % {"version": p.now_version}
    else:
        versions = texts["other_version"] % {"before": p.before_version, "now": p.now_version}

    def number(value: int | None) -> str:
        return format_decimal(value) if value is not None else texts["no_score"]

    def row(name: str, before: int | None, now: int | None, change: int | None) -> View:
        if change is None:
            kind, text = "none", texts["not_compared"]
        elif change > 0:
            kind, text = "up", texts["up"] % {"num": format_decimal(change)}
        elif change < 0:
            kind, text = "down", texts["down"] % {"num": format_decimal(-change)}
        else:
            kind, text = "same", texts["same"]
        return {
            "name": name,
            "before": number(before),
            "now": number(now),
            "change": text,
            "row_class": f"change-{kind}",
        }

    overall = row(texts["overall"], p.overall_before, p.overall_now, p.overall_change)
    rows = [{**overall, "row_class": f"overall {overall['row_class']}"}]
    rows += [row(names.get(c.key, c.key), c.before, c.now, c.change) for c in p.parts]
    return {
        "before_date": format_iso_date(before_date),
        "versions": versions,
        "parts": rows,
        "done": [{"title": gettext(a.title)} for a in p.done],
        "done_none": not p.done,
        "next": [{"title": gettext(a.title)} for a in p.next],
    }


def since_view(submission: Submission, plan: Plan | None = None) -> View | None:
    """The progress since the check this one follows, found by its re-entry code alone, as
    texts; None for a first check (or when the previous check or this check's questionnaire is
    not known here)."""
    previous = submissions.previous_of(get_db(), submission)
    if previous is None:
        return None
    now = known_instrument(submission.instrument_version)
    before = known_instrument(previous.instrument_version)
    if now is None or before is None:
        return None
    if plan is None:
        plan = build_plan(
            now,
            current_app.extensions["catalog"],
            submission.result,
            submission.context,
            submission.answers,
        )
    found = progress(
        before,
        previous.answers,
        previous.result,
        now,
        submission.answers,
        submission.result,
        plan,
    )
    return progress_view(found, previous.created_on)


def plan_pdf(submission: Submission, business_name: str = "") -> bytes:
    """The plan as PDF bytes, in the language of the current request (g.lang), made here (the
    `lmcself pdf` command, the bench); the site makes them in the PDF pool (`pooled_plan_pdf`)."""
    html = render_plan(submission, None, pdf=True, business_name=business_name)
    return render_pdf(html, g.get("lang", DEFAULT_LOCALE))


def pooled_plan_pdf(submission: Submission, business_name: str = "") -> bytes:
    """The plan as PDF bytes from the PDF pool (pdf_jobs.py), or its cache; Busy when too many
    are under way."""
    lang = g.get("lang", DEFAULT_LOCALE)
    return jobs().render(
        client_key(),
        lambda: render_plan(submission, None, pdf=True, business_name=business_name),
        lang,
        # What the PDF is made of: the stored answers, the language, the catalog's texts, the name.
        cache_key=jobs().key(
            str(submission.to_row()["content_hash"]),
            submission.id,
            lang,
            current_app.extensions["catalog"].version,
            business_name,
        ),
    )


def busy_response(response: Response, retry_after: int) -> Response:
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    return response


def plan_rules(instrument: Instrument) -> dict:
    """One version's rules for plan.js: parts, questions with conditions and actions, actions,
    gaps, and the "Start here" order."""
    return {
        "start_order": list(instrument.start_rank),
        "dimensions": [
            {
                "key": d.key,
                "questions": [
                    {
                        "key": q.key,
                        "when": [c.as_json() for c in q.when],
                        "actions": {o.key: list(o.actions) for o in q.options},
                        # progress.js: the steps of an older check done since (its points)
                        "points": {o.key: o.points for o in q.options},
                    }
                    for q in d.questions
                ],
            }
            for d in instrument.dimensions
        ],
        "actions": {
            a.key: {
                "dimension": a.dimension,
                "horizon": a.horizon,
                "tools": list(a.tools),
                "title": gettext(a.title),
                "detail": gettext(a.detail),
            }
            for a in instrument.actions.values()
        },
        "gaps": [
            {
                "key": gap.key,
                "dimension": gap.dimension,
                "when": {k: list(v) for k, v in gap.when.items()},
                "tools": list(gap.tools),
                "title": gettext(gap.title),
                "detail": gettext(gap.detail),
            }
            for gap in instrument.gaps
        ],
    }


def plan_data() -> dict:
    """Everything app.js needs to build and show the plan offline, in the page's language: the
    rules' data (plan.js applies them as plan.py does) and every text, translated and formatted
    here exactly as the plan page prints them."""
    instrument = current_app.extensions["instrument"]
    catalog = current_app.extensions["catalog"]
    return {
        "focus": FOCUS_PARTS,
        "next_steps": NEXT_STEPS,
        "notes_per_part": NOTES_PER_PART,
        "cross_border_answers": list(CROSS_BORDER_ANSWERS),
        "horizons": list(HORIZONS),
        "version": instrument.version,
        **plan_rules(instrument),
        # The rules of the other versions this server knows: a result kept on the phone gets
        # the plan of the version that scored it, offline too (plan.js picks by version).
        "versions": {v: plan_rules(instrument_for(v)) for v in VERSIONS if v != instrument.version},
        "tools": [
            {
                "key": t.key,
                "country": t.country,
                "kind": t.kind,
                "dimensions": list(t.dimensions),
                "view": tool_view(t),
            }
            for t in catalog.tools
        ],
        "notes": [
            {
                "countries": list(n.countries),
                "dimension": n.dimension,
                "local_only": n.local_only,
                "view": note_view(n),
            }
            for n in catalog.notes
        ],
        "cross_border": [
            {"countries": list(x.countries), "view": link_view(x)} for x in catalog.cross_border
        ],
        "obligations": [
            {
                "key": o.key,
                "country": o.country,
                "when": {k: list(v) for k, v in o.when},
                "warn_when": {k: list(v) for k, v in o.warn_when},
                "view": duty_view(o),
            }
            for o in catalog.obligations
        ],
        "risks": [
            {"key": r.key, "country": r.country, "view": risk_view(r)} for r in catalog.risks
        ],
        "countries": {
            o.key: gettext(o.label) for o in instrument.context_question("country").options
        },
        "levels": {lv.key: gettext(lv.name) for lv in instrument.levels},
        "dimension_names": {d.key: gettext(d.name) for d in instrument.dimensions},
        # The texts with a value in them; every other text is in the template's markup.
        "strings": {
            "out_of": gettext("%(score)s out of 100"),
            "does_not_apply": gettext("Does not apply"),
            "horizons": {str(h): t for h, t in horizon_titles().items()},
            "more_tools": gettext("More for this part in %(country)s"),
            "duties_title": gettext("Rules for sellers in %(country)s"),
            "risks_title": gettext("Risks to know in %(country)s"),
            "since": since_strings(),
        },
    }


def plan_keys(plan: Plan, catalog: Catalog) -> dict:
    """The plan as keys only (notes by their index in the catalog), the form plan.js gives."""
    return {
        "gaps": [{"key": w.gap.key, "tools": [t.key for t in w.tools]} for w in plan.gaps],
        "parts": [
            {
                "key": p.dimension.key,
                "focus": p.focus,
                "steps": {
                    str(h): [
                        {"action": s.action.key, "tools": [t.key for t in s.tools]}
                        for s in p.steps[h]
                    ]
                    for h in HORIZONS
                },
                "more_tools": [t.key for t in p.more_tools],
                "notes": [catalog.notes.index(n) for n in p.notes],
            }
            for p in plan.parts
        ],
        "cross_border": None
        if plan.cross_border is None
        else ["-".join(x.countries) for x in plan.cross_border],
        "duty_warnings": [o.key for o in plan.duty_warnings],
        "duties": [o.key for o in plan.duties],
        "risks": [r.key for r in plan.risks],
    }


def stored(submission_id: str) -> Submission:
    submission = submissions.get(get_db(), submission_id)
    if submission is None:
        abort(404)
    return submission


@bp.get("/<lang>/plan-data.json")
def data():
    """For the one-page app: revalidated on each visit (an ETag makes it a 304 when unchanged)."""
    response = jsonify(plan_data())
    response.cache_control.no_cache = True
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/<lang>/plan/<submission_id>")
def page(submission_id: str):
    return render_plan(stored(submission_id), PlanForm())


@bp.post("/<lang>/plan/<submission_id>/pdf")
def pdf(submission_id: str):
    record = stored(submission_id)
    form = PlanForm()
    if not form.validate_on_submit():
        # The owner's typing stays in the field, with the message above it.
        return render_plan(record, form), 400
    try:
        pdf = pooled_plan_pdf(record, form.business_name.data)
    except Busy as busy:
        # The owner's typing stays in the field, with the message above it.
        form.business_name.errors = [
            gettext(
                "Many plans are being made right now. Please try again in a minute: your name stays in the field."
            )
        ]
        return busy_response(make_response(render_plan(record, form)), busy.retry_after)
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="action-plan-{record.created_on.isoformat()}.pdf"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<lang>/again", methods=["GET", "POST"])
def again_form():
    form = ReentryForm()
    if form.validate_on_submit():
        return redirect(url_for(".again", code=form.code.data))
    return render_template("again.html", form=form), 400 if form.errors else 200


@bp.get("/<lang>/again/<code>")
def again(code: str):
    """Start a new assessment with the business details of last time filled in."""
    canonical = normalize_reentry(code)
    record = submissions.find_by_reentry(get_db(), canonical) if canonical else None
    if record is None:
        form = ReentryForm(formdata=None, data={"code": code})
        form.code.errors = [gettext("No result has this code. Check the code and try again.")]
        return render_template("again.html", form=form), 404
    # Taken by the landing page when the owner agrees and starts (a new id, the consent again).
    session["prefill"] = dict(record.context)
    session["follows"] = record.reentry
    flash(
        gettext(
            "Welcome back. Your business details of %(date)s will be filled in: check them, then answer the questions again. Your result will show what changed in each part since then.",
            date=format_iso_date(record.created_on),
        )
    )
    return redirect(url_for("assessment.landing"))


# For the partials shared by the page and the phone's <template> (lmcself/web/blank.py).
bp.add_app_template_global(BLANK, "BLANK")  # type: ignore[arg-type]  # a value, not a function
bp.add_app_template_global(slot)
bp.add_app_template_global(link)


@bp.app_template_filter("format_source_date")
def format_source_date_filter(value: str) -> str:
    return format_source_date(value)
