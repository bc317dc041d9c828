"""The action plan as a page and as a PDF, and the re-entry code that brings an owner back.

The business name typed for the PDF goes into that one response and nowhere else: it is not
stored, logged or put in a URL (hence POST).
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlparse

import segno
from babel.dates import format_skeleton
from flask import (
    Blueprint,
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
from flask_babel import format_decimal, get_locale, gettext
from markupsafe import Markup

from lmcself.core.catalog import Catalog, CrossBorderLink, Note, Tool
from lmcself.core.instrument import CONTEXT_KEYS, HORIZONS
from lmcself.core.plan import (
    CROSS_BORDER_ANSWERS,
    FOCUS_PARTS,
    NOTES_PER_PART,
    Part,
    Plan,
    build_plan,
    normalize_reentry,
    reentry_code,
)
from lmcself.core.scoring import Result
from lmcself.storage.db import find_by_reentry, get_db, get_submission
from lmcself.web.blank import BLANK, link, slot
from lmcself.web.forms import NAME_MAX, PlanForm, ReentryForm
from lmcself.web.i18n import DEFAULT_LOCALE, format_iso_date, register_language_in_url
from lmcself.web.pdf import render_pdf

bp = Blueprint("plan", __name__)
register_language_in_url(bp)


def horizon_titles() -> dict[int, str]:
    return {
        30: gettext("In the next 30 days"),
        60: gettext("Within 60 days"),
        90: gettext("Within 90 days"),
    }


def source_host(url: str) -> str:
    return urlparse(url).netloc.removeprefix("www.").removeprefix("m.")


def format_source_date(value: str) -> str:
    """A source's date as the catalog gives it: a day, a month, a year, or none known."""
    if value == "n.d.":
        return gettext("no date")
    if re.fullmatch(r"\d{4}-\d{2}", value):
        year, month = map(int, value.split("-"))
        return format_skeleton("yMMMM", date(year, month, 1), locale=get_locale())
    if re.fullmatch(r"\d{4}", value):
        return value
    return format_skeleton("yMMMMd", date.fromisoformat(value), locale=get_locale())


def again_url(code: str) -> str:
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + url_for("plan.again", code=code)


def qr_svg(url: str) -> str:
    """The re-entry link as an inline SVG QR code (no file, nothing to fetch)."""
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_inline(scale=4, border=2, dark="#000", omitsize=True)


def render_plan(
    record: dict, form: PlanForm | None, pdf: bool = False, business_name: str = ""
) -> str:
    instrument = current_app.extensions["instrument"]
    result = Result.from_dict(record["scores"])
    context = {k: record[k] for k in CONTEXT_KEYS}
    plan = build_plan(
        instrument, current_app.extensions["catalog"], result, context, record["answers"]
    )
    view = plan_view(plan, record, again_url(reentry_code(record["id"])))
    return render_template(
        "plan.html",
        plan=plan,
        view={**view, "qr": Markup(qr_svg(view["again_url"]))},
        record=record,
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
    return {
        "name": gettext(t.name) if t.translate_name else t.name,
        # Names of services stay as written: browsers' page translators must leave them alone.
        "translate": "yes" if t.translate_name else "no",
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


def link_view(x: CrossBorderLink) -> View:
    return {"text": gettext(x.text), **source_view(x.source, format_source_date(x.source_date))}


def part_view(part: Part, number: int, country: str) -> View:
    instrument = current_app.extensions["instrument"]
    titles = horizon_titles()
    level = next(lv for lv in instrument.levels if lv.key == part.score.level)
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
        "score": gettext("%(score)s out of 100", score=format_decimal(part.score.score)),
        "level": gettext(level.name),
        "done": not horizons,
        "horizons": horizons,
        "more_title": gettext("More for this part in %(country)s", country=country),
        "more_tools": [tool_view(t) for t in part.more_tools],
        "notes": [note_view(n) for n in part.notes],
    }


def plan_view(plan: Plan, record: dict, again: str) -> View:
    """Everything templates/_plan.html prints, as texts in the page's language."""
    instrument = current_app.extensions["instrument"]
    country = gettext(instrument.context_question("country").option(plan.country).label)
    parts = [part_view(p, n, country) for n, p in enumerate(plan.parts, start=1)]
    links = plan.cross_border
    code = reentry_code(record["id"])
    return {
        "country": country,
        "date": format_iso_date(record["created_on"]),
        "version": record["instrument_version"],
        "gaps": [
            {
                "title": gettext(w.gap.title),
                "detail": gettext(w.gap.detail),
                "tools": [tool_view(t) for t in w.tools],
            }
            for w in plan.gaps
        ],
        "focus_parts": [v for v, p in zip(parts, plan.parts, strict=True) if p.focus],
        "later_parts": [v for v, p in zip(parts, plan.parts, strict=True) if not p.focus],
        # None: the owner does not sell abroad; no links: none known for the country yet.
        "cross_border": links is not None,
        "cross_links": [link_view(x) for x in links or ()],
        "cross_none": links == (),
        "code": code,
        "again_url": again,
        "qr": "",  # the page draws the QR code on the server; the phone shows the code and address
    }


def plan_pdf(record: dict, business_name: str = "") -> bytes:
    """The plan as PDF bytes, in the language of the current request (g.lang)."""
    html = render_plan(record, None, pdf=True, business_name=business_name)
    return render_pdf(html, g.get("lang", DEFAULT_LOCALE))


def plan_data() -> dict:
    """Everything app.js needs to build and show the plan offline, in the page's language: the
    rules' data (plan.js applies them as plan.py does) and every text, translated and formatted
    here exactly as the plan page prints them."""
    instrument = current_app.extensions["instrument"]
    catalog = current_app.extensions["catalog"]
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
        "countries": {
            o.key: gettext(o.label) for o in instrument.context_question("country").options
        },
        "levels": {lv.key: gettext(lv.name) for lv in instrument.levels},
        "dimension_names": {d.key: gettext(d.name) for d in instrument.dimensions},
        # The texts with a value in them; every other text is in the template's markup.
        "strings": {
            "out_of": gettext("%(score)s out of 100"),
            "horizons": {str(h): t for h, t in horizon_titles().items()},
            "more_tools": gettext("More for this part in %(country)s"),
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
    }


def stored(submission_id: str) -> dict:
    record = get_submission(get_db(), submission_id)
    if record is None:
        abort(404)
    return record


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
    response = make_response(plan_pdf(record, form.business_name.data))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="action-plan-{record["created_on"]}.pdf"'
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
    record = find_by_reentry(get_db(), canonical) if canonical else None
    if record is None:
        form = ReentryForm(formdata=None, data={"code": code})
        form.code.errors = [gettext("No result has this code. Check the code and try again.")]
        return render_template("again.html", form=form), 404
    # Taken by the landing page when the owner agrees and starts (a new id, the consent again).
    session["prefill"] = {k: record[k] for k in CONTEXT_KEYS}
    flash(
        gettext(
            "Welcome back. Last time your score was %(score)s out of 100 (%(date)s). Your business details will be filled in: check them, then answer the questions again.",
            score=format_decimal(record["overall"]),
            date=format_iso_date(record["created_on"]),
        )
    )
    return redirect(url_for("assessment.landing"))


# For the partials shared by the page and the phone's <template> (lmcself/web/blank.py).
bp.add_app_template_global(BLANK, "BLANK")
bp.add_app_template_global(slot)
bp.add_app_template_global(link)


@bp.app_template_filter("format_source_date")
def format_source_date_filter(value: str) -> str:
    return format_source_date(value)
