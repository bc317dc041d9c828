"""The trainers' and program staff's pages: sign-in, workshops, a room's live view, the QR code
to project. Every page but the sign-in needs a signed-in user (tests walk the URL map)."""

from __future__ import annotations

import csv
import functools
import io
from datetime import date
from urllib.parse import urlparse

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
from flask_babel import gettext

from lmcself.core.disclosure import COUNT_MAX, mean_bound
from lmcself.core.instrument import VERSIONS
from lmcself.core.suppress import DEFAULT_K
from lmcself.staff.accounts import (
    DEVICE_COOKIE,
    DEVICE_DAYS,
    current_user,
    end_sessions,
    login_required,
    sign_in,
    signed_in,
    staff_required,
    start_session,
)
from lmcself.staff.charts import csv_rows, heat_step
from lmcself.staff.charts import svg as chart_svg
from lmcself.staff.dashboard import CHARTS, group_names, value_label, version_note
from lmcself.staff.dashboard import build as build_dashboard
from lmcself.staff.export import FORMATS, KINDS, build_export
from lmcself.staff.filters import choices as filter_choices
from lmcself.staff.filters import (
    period_label,
    period_value,
    read_by,
    read_report,
    read_selection,
    read_version,
    report_periods,
    version_instrument,
)
from lmcself.staff.png import png as chart_png
from lmcself.staff.report import Period, situation_report
from lmcself.storage.db import get_db
from lmcself.storage.figures import (
    GROUPS,
    PUBLIC_MIN_GROUP,
    months,
    workshop_codes,
)
from lmcself.storage.figures import (
    room as room_figures,
)
from lmcself.storage.workshops import create as create_workshop
from lmcself.storage.workshops import created_by, definitions, is_known, listing
from lmcself.web.forms import LoginForm, WorkshopForm
from lmcself.web.i18n import register_language_in_url
from lmcself.web.pdf_jobs import Busy, client_key, jobs
from lmcself.web.plan_views import qr_svg
from lmcself.web.security import public_base

bp = Blueprint("staff", __name__, url_prefix="/<lang>/staff")
register_language_in_url(bp)
ROOM_REFRESH = 15  # seconds between refreshes of the room view


@bp.after_request
def private(response):
    """Staff pages show results: never kept by a shared computer's cache."""
    response.cache_control.no_store = True
    return response


def safe_next(target: str | None) -> str:
    """Only a path on this site, never another site (an open redirect), nor a header break."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        # Browsers read a backslash as a slash ("/\\evil.org"); control characters break headers.
        and not any(c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in target)
        and not urlparse(target).netloc
    ):
        return target
    return url_for(".home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        attempt = sign_in(get_db(), form.name.data, form.password.data)
        if attempt.wait:
            form.password.errors.append(
                gettext(
                    "Too many failed sign-ins. Please try again in %(num)d seconds.",
                    num=attempt.wait,
                )
            )
            status = 429
        elif attempt.user:
            start_session(attempt.user)
            response = redirect(safe_next(request.args.get("next")))
            if attempt.device_cookie:
                # This browser's tries are not held up by an attack on the name (accounts.py).
                response.set_cookie(
                    DEVICE_COOKIE,
                    attempt.device_cookie,
                    max_age=DEVICE_DAYS * 24 * 3600,
                    path="/",
                    secure=request.is_secure,
                    httponly=True,
                    samesite="Lax",
                )
            return response
        else:
            form.password.errors.append(gettext("Wrong user name or password."))
            status = 401
    response = current_app.make_response((render_template("staff_login.html", form=form), status))
    if status == 429:
        response.headers["Retry-After"] = str(attempt.wait)
    return response


@bp.post("/logout")
@login_required
def logout():
    # Every session of this user ends, also a copy of this cookie kept elsewhere.
    end_sessions(get_db(), signed_in()["name"])
    session.clear()
    return redirect(url_for(".login"))


def join_url(code: str) -> str:
    return f"{public_base()}{url_for('assessment.index', w=code)}"


@bp.route("/", methods=["GET", "POST"])
@login_required
def home():
    db = get_db()
    instrument = current_app.extensions["instrument"]
    form = WorkshopForm()
    form.country.choices = [
        (o.key, gettext(o.label)) for o in instrument.context_question("country").options
    ]
    if request.method == "GET" and form.held_on.data is None:
        form.held_on.data = date.today()
    if form.validate_on_submit():
        if is_known(db, form.code.data):
            form.code.errors.append(gettext("A workshop with this code exists already."))
        else:
            create_workshop(
                db,
                form.code.data,
                form.name.data,
                form.country.data,
                form.held_on.data,
                signed_in()["name"],
            )
            flash(gettext("Workshop %(code)s created.", code=form.code.data))
            return redirect(url_for(".room", code=form.code.data))
    workshops = listing(db, sees_only_own())
    k = current_app.config.get("MIN_GROUP_SIZE", DEFAULT_K)
    return render_template(
        "staff_home.html", form=form, workshops=workshops, user=current_user(), k=k
    )


def sees_only_own() -> str | None:
    """A trainer sees and manages only the workshops they made; program staff see every one."""
    user = current_user()
    return None if user and user["role"] == "staff" else user["name"] if user else ""


def workshop_or_404(code: str) -> dict:
    found = definitions(get_db(), [code])
    own = sees_only_own()
    # Another trainer's workshop is "not found" too: its code and room stay theirs.
    if not found or (own is not None and created_by(get_db(), code) != own):
        abort(404)
    return found[0]


@bp.get("/workshops/<code>")
@login_required
def room(code: str):
    workshop = workshop_or_404(code)
    instrument = current_app.extensions["instrument"]
    k = current_app.config.get("MIN_GROUP_SIZE", DEFAULT_K)
    minimum = current_app.config.get("PUBLIC_MIN_GROUP", PUBLIC_MIN_GROUP)
    # Released in steps of k, protected and rounded: a trainer is not trusted with one
    # participant's answers (docs/privacy.md).
    summary = room_figures(get_db(), instrument, code, k, minimum)
    gaps = {g.key: g for g in instrument.gaps}
    return render_template(
        "staff_room.html",
        workshop=workshop,
        summary=summary,
        k=k,
        minimum=minimum,
        instrument=instrument,
        gaps=gaps,
        join=join_url(code),
        qr=qr_svg(join_url(code)),
        refresh=ROOM_REFRESH,
    )


@bp.get("/workshops/<code>/qr")
@login_required
def qr(code: str):
    workshop = workshop_or_404(code)
    url = join_url(code)
    return render_template("staff_qr.html", workshop=workshop, join=url, qr=qr_svg(url))


@bp.get("/dashboard")
@staff_required
def dashboard_page():
    selection = read_selection(request.args)
    view = build_dashboard(selection)
    instrument = view.instrument
    return render_template(
        "staff_dashboard.html",
        view=view,
        figures=view.figures,
        withheld=view.withheld,
        selection=selection,
        by=selection.by,
        k=view.k,
        filters=selection.filters,
        choices=filter_choices(instrument),
        codes=workshop_codes(get_db()),
        months=[(m, period_label(m)) for m in months(get_db())],
        instrument=instrument,
        group_names=group_names(),
        value_label=functools.partial(value_label, instrument),
        heat_step=heat_step,
        chart_svg=chart_svg,
        versions=VERSIONS,
        pools=version_note(view),
    )


DOWNLOADS = {"svg": "image/svg+xml", "png": "image/png", "csv": "text/csv; charset=utf-8"}


@bp.get("/dashboard/<chart>.<fmt>")
@staff_required
def chart_file(chart: str, fmt: str):
    """A chart of the dashboard as a file: its figures through the cell key method, as the
    aggregate export's (what leaves the staff's screen is protected: docs/privacy.md)."""
    if chart not in CHARTS or fmt not in DOWNLOADS:
        abort(404)
    selection = read_selection(request.args)
    view = build_dashboard(selection, protect=True, plain=fmt == "csv")
    if view.withheld or chart not in view.charts:
        abort(404)
    found = view.charts[chart]
    if fmt == "svg":
        data: bytes | str = chart_svg(found, standalone=True)
    elif fmt == "png":
        data = chart_png(found)
    else:
        out = io.StringIO()
        csv.writer(out).writerows(csv_rows(found))
        data = "\ufeff" + out.getvalue()  # a byte-order mark: Excel reads UTF-8
    current_app.logger.info(
        "chart %s.%s %s for %s", chart, fmt, selection.args(), signed_in()["name"]
    )
    response = current_app.response_class(data, mimetype=DOWNLOADS[fmt])
    version = view.instrument.version
    name = f"lmcself-{chart}-{selection.by}-v{version}-{date.today().isoformat()}.{fmt}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def report_request() -> tuple[Period, str | None, list[str]]:
    """The report's period and country asked for in this request (filters.read_report)."""
    return read_report(request.args)


def render_report(
    period: Period,
    country: str | None,
    problems: list[str],
    pdf: bool = False,
    version: str | None = None,
) -> str:
    """The report of the questionnaire version asked for (None: read from the request)."""
    version = read_version(request.args) if version is None else version
    instrument = version_instrument(version)
    k = current_app.config.get("MIN_GROUP_SIZE", DEFAULT_K)
    report = situation_report(get_db(), instrument, period, k, country)
    return render_template(
        "staff_report.html",
        report=report,
        count_max=COUNT_MAX,
        small_bound=round(mean_bound(20)),
        problems=problems,
        pdf=pdf,
        k=k,
        instrument=instrument,
        gaps={g.key: g for g in instrument.gaps},
        dimension_names={d.key: d.name for d in instrument.dimensions},
        countries=instrument.context_question("country").options,
        group_names=group_names(),
        value_label=functools.partial(value_label, instrument),
        today=date.today().isoformat(),
        periods=report_periods(months(get_db())),
        period_value=period_value(period.snapped()),
        versions=VERSIONS,
        version=version,
    )


@bp.get("/report")
@staff_required
def report():
    return render_report(*report_request())


@bp.get("/report.pdf")
@staff_required
def report_pdf():
    period, country, problems = report_request()
    version = read_version(request.args)
    try:
        pdf = jobs().render(
            client_key(),
            lambda: render_report(period, country, problems, pdf=True, version=version),
            g.lang,
        )
    except Busy as busy:
        flash(gettext("Many PDFs are being made right now. Please try again in a minute."))
        response = make_response(render_report(period, country, problems, version=version), 429)
        response.headers["Retry-After"] = str(busy.retry_after)
        return response
    response = current_app.response_class(pdf, mimetype="application/pdf")
    asked = f"-v{version}" if version else ""  # a version other than the server's own
    name = f"situation-report-{country or 'all'}-{period.since}-{period.until}{asked}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/exports")
@staff_required
def exports():
    k = current_app.config.get("MIN_GROUP_SIZE", DEFAULT_K)
    return render_template("staff_exports.html", k=k, groupings=GROUPS, group_names=group_names())


@bp.get("/exports/<kind>.<fmt>")
@staff_required
def export_file(kind: str, fmt: str):
    by = read_by(request.args)
    if kind not in KINDS or fmt not in FORMATS or by is None:
        abort(404)
    data, note = build_export(kind, fmt, by)
    current_app.logger.info(
        "export %s.%s by %s for %s: %s", kind, fmt, by, signed_in()["name"], note
    )
    response = current_app.response_class(
        data, mimetype="text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    )
    name = (
        f"lmcself-{kind}{'-' + by if kind == 'aggregate' else ''}-{date.today().isoformat()}.{fmt}"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
