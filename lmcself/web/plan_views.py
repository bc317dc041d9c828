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
from markupsafe import Markup, escape

from lmcself.core.catalog import Tool
from lmcself.core.instrument import HORIZONS
from lmcself.core.plan import (
    CROSS_BORDER_ANSWERS,
    FOCUS_PARTS,
    NOTES_PER_PART,
    build_plan,
    normalize_reentry,
)
from lmcself.core.submissions import Submission
from lmcself.storage import submissions
from lmcself.storage.db import get_db
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


def tool_line(tool: Tool) -> Markup:
    """ "Name: what it does" through a translatable pattern (Chinese writes a full-width colon);
    the name stays untranslated by browsers where it is the service's own written name."""
    shown = tool_name(tool)
    attribute = (
        Markup("") if shown != tool.name or tool.translate_name else Markup(' translate="no"')
    )
    name = Markup('<strong class="tool-name"{}>{}</strong>').format(attribute, shown)
    return Markup(escape(gettext("%(name)s: %(text)s"))) % {
        "name": name,
        "text": gettext(tool.what),
    }


def source_host(url: str) -> str:
    return urlparse(url).netloc.removeprefix("www.").removeprefix("m.")


def source_link(url: str) -> Markup:
    """A source as a link named by its site, which no language translates (the full address is
    in the link, and in the PDF)."""
    return Markup('<a href="{}" translate="no">{}</a>').format(url, source_host(url))


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


def render_plan(
    submission: Submission, form: PlanForm | None, pdf: bool = False, business_name: str = ""
) -> str:
    instrument = current_app.extensions["instrument"]
    plan = build_plan(
        instrument,
        current_app.extensions["catalog"],
        submission.result,
        submission.context,
        submission.answers,
    )
    code = submission.reentry
    url = again_url(code)
    return render_template(
        "plan.html",
        plan=plan,
        record=submission,
        form=form,
        pdf=pdf,
        business_name=business_name,
        name_max=NAME_MAX,
        horizon_titles=horizon_titles(),
        code=code,
        again_url=url,
        qr_svg=qr_svg(url),
    )


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
        cache_key=jobs().key(submission.id, lang, business_name),
    )


def busy_response(response: Response, retry_after: int) -> Response:
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    return response


def plan_data() -> dict:
    """Everything app.js needs to build and show the plan offline, in the page's language: the
    rules' data (plan.js applies them as plan.py does) and every text, translated and formatted
    here exactly as the plan page prints them."""
    instrument = current_app.extensions["instrument"]
    catalog = current_app.extensions["catalog"]

    def source(url: str, when: str) -> dict:
        return {"url": url, "site": source_host(url), "date": when}

    return {
        "focus": FOCUS_PARTS,
        "notes_per_part": NOTES_PER_PART,
        "cross_border_answers": list(CROSS_BORDER_ANSWERS),
        "horizons": list(HORIZONS),
        "dimensions": [
            {
                "key": d.key,
                "questions": [
                    {"key": q.key, "actions": {o.key: list(o.actions) for o in q.options}}
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
        "tools": [
            {
                "key": t.key,
                "country": t.country,
                "kind": t.kind,
                "dimensions": list(t.dimensions),
                "name": tool_name(t),
                "translated_name": tool_name(t) != t.name or t.translate_name,
                "what": gettext(t.what),
                "cost": gettext("Cost: %(text)s", text=gettext(t.cost)) if t.cost else "",
                "bring": gettext("To sign up: %(text)s", text=gettext(t.bring)) if t.bring else "",
                "source": source(t.source, format_iso_date(t.last_checked.isoformat())),
            }
            for t in catalog.tools
        ],
        "notes": [
            {
                "countries": list(n.countries),
                "dimension": n.dimension,
                "local_only": n.local_only,
                "text": gettext(n.text),
                "source": source(n.source, format_source_date(n.source_date)),
            }
            for n in catalog.notes
        ],
        "cross_border": [
            {
                "countries": list(x.countries),
                "text": gettext(x.text),
                "source": source(x.source, format_source_date(x.source_date)),
            }
            for x in catalog.cross_border
        ],
        "obligations": [
            {
                "key": o.key,
                "country": o.country,
                "when": {k: list(v) for k, v in o.when},
                "warn_when": {k: list(v) for k, v in o.warn_when},
                "name": gettext(o.name),
                "warning": gettext(o.warning) if o.warning else "",
                "what": gettext(o.what),
                "threshold": gettext("Threshold: %(text)s", text=gettext(o.threshold))
                if o.threshold
                else "",
                "starts": gettext("In force since %(date)s", date=format_source_date(o.starts))
                if o.starts
                else "",
                "todo": gettext(o.todo),
                "source": source(o.source, format_iso_date(o.last_checked.isoformat())),
            }
            for o in catalog.obligations
        ],
        "risks": [
            {
                "key": r.key,
                "country": r.country,
                "title": gettext(r.title),
                "text": gettext(r.text),
                "source": source(r.source, format_iso_date(r.last_checked.isoformat())),
            }
            for r in catalog.risks
        ],
        "countries": {
            o.key: gettext(o.label) for o in instrument.context_question("country").options
        },
        "levels": {lv.key: gettext(lv.name) for lv in instrument.levels},
        "strings": {
            "title": gettext("Your action plan"),
            "meta": gettext("%(country)s · %(date)s · questionnaire version %(version)s"),
            "gaps": gettext("Fix these first"),
            "focus": gettext("Start with these"),
            "later": gettext("Then, when you are ready"),
            "out_of": gettext("%(score)s out of 100"),
            "nothing_to_do": gettext(
                "You already do everything this part asks about. Keep it up, and help others to learn it."
            ),
            "horizons": {str(h): t for h, t in horizon_titles().items()},
            "more_tools": gettext("More for this part in %(country)s"),
            "from_region": gettext("From the region:"),
            "good_to_know": gettext("Good to know:"),
            "tool_source": gettext("Source: %(site)s, checked on %(date)s"),
            "note_source": gettext("Source: %(site)s, %(date)s"),
            "cross_title": gettext("Selling to other countries"),
            "cross_some": gettext(
                "QR payments already work between your country and these neighbours: visitors pay with their own app, and you can pay with yours when you travel."
            ),
            "cross_none": gettext(
                "We found no QR payment link between your country and the other countries of this check yet. Ask your bank which payments from abroad it accepts."
            ),
            "again_title": gettext("Check again in 90 days"),
            "again_text": gettext(
                "Scan this code, or open the address below and type your code, to take the check again and see what has changed."
            ),
            "disclaimer": gettext(
                "The tools named here are examples, not endorsements. Check costs and rules with the provider before you sign up."
            ),
            "pdf": gettext("Download the plan as PDF"),
            "tool_line": gettext("%(name)s: %(text)s"),
            "duties_title": gettext("Rules for sellers in %(country)s"),
            "todo": gettext("What to do:"),
            "risks_title": gettext("Risks to know in %(country)s"),
        },
    }


def plan_keys(plan, catalog) -> dict:
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
    flash(
        gettext(
            "Welcome back. Last time your score was %(score)s out of 100 (%(date)s). Your business details will be filled in: check them, then answer the questions again.",
            score=format_decimal(record.result.overall),
            date=format_iso_date(record.created_on),
        )
    )
    return redirect(url_for("assessment.landing"))


bp.add_app_template_global(source_link)
bp.add_app_template_global(tool_line)


@bp.app_template_filter("format_source_date")
def format_source_date_filter(value: str) -> str:
    return format_source_date(value)
