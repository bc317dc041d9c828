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
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_decimal, get_locale, gettext
from markupsafe import Markup

from .db import find_by_reentry, get_db, get_submission
from .forms import NAME_MAX, PlanForm, ReentryForm
from .i18n import DEFAULT_LOCALE, format_iso_date, register_language_in_url
from .instrument import CONTEXT_KEYS
from .pdf import render_pdf
from .plan import build_plan, normalize_reentry, reentry_code
from .scoring import Result

bp = Blueprint("plan", __name__)
register_language_in_url(bp)


def horizon_titles() -> dict[int, str]:
    return {
        30: gettext("In the next 30 days"),
        60: gettext("Within 60 days"),
        90: gettext("Within 90 days"),
    }


def source_link(url: str) -> Markup:
    """A source as a link named by its site (the full address is in the link, and in the PDF)."""
    host = urlparse(url).netloc.removeprefix("www.").removeprefix("m.")
    return Markup('<a href="{}">{}</a>').format(url, host)


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
    code = reentry_code(record["id"])
    url = again_url(code)
    return render_template(
        "plan.html",
        plan=plan,
        record=record,
        form=form,
        pdf=pdf,
        business_name=business_name,
        name_max=NAME_MAX,
        horizon_titles=horizon_titles(),
        code=code,
        again_url=url,
        qr_svg=qr_svg(url),
    )


def plan_pdf(record: dict, business_name: str = "") -> bytes:
    """The plan as PDF bytes, in the language of the current request (g.lang)."""
    html = render_plan(record, None, pdf=True, business_name=business_name)
    return render_pdf(html, g.get("lang", DEFAULT_LOCALE))


def stored(submission_id: str) -> dict:
    record = get_submission(get_db(), submission_id)
    if record is None:
        abort(404)
    return record


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


bp.add_app_template_global(source_link)


@bp.app_template_filter("format_source_date")
def format_source_date_filter(value: str) -> str:
    return format_source_date(value)
