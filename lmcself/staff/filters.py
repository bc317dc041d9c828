"""What a staff page was asked for, read from its URL in one place (the dashboard, its charts'
downloads, the situation report, the exports): every filter lives in the URL, so a view can be
shared with a colleague who is signed in. Unknown values are dropped, never an error. Month and
quarter choices carry labels in the reader's language and calendar (web/i18n.write_date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from lmcself.core.instrument import VERSIONS, Instrument, instrument_for
from lmcself.staff.report import Period, month_index, month_name
from lmcself.storage.db import get_db
from lmcself.storage.figures import FILTERS, GROUPS, STEPS, months, workshop_codes
from lmcself.web.i18n import write_date

# Years 1970 to 2999: the period before a report's (its comparison) must be a real month too.
MONTH_RE = re.compile(r"^(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])$")
QUARTER_RE = re.compile(r"^(19[7-9]\d|2\d{3})-Q([1-4])$")
YEAR_RE = re.compile(r"^(19[7-9]\d|2\d{3})$")


def month_label(value: str) -> str:
    year, month = map(int, value.split("-"))
    return write_date(date(year, month, 1), "month")


def quarter_label(value: str) -> str:
    """2026-Q4 as the reader's language writes a quarter (CLDR's yQQQQ, Thai in its era)."""
    match = QUARTER_RE.match(value)
    if not match:
        return value
    return write_date(date(int(match[1]), int(match[2]) * 3 - 2, 1), "quarter")


def period_label(value: str) -> str:
    if QUARTER_RE.match(value):
        return quarter_label(value)
    if MONTH_RE.match(value):
        return month_label(value)
    return value


@dataclass(frozen=True)
class Selection:
    """The dashboard's view: grouped by `by`, filtered, between two months, its lines by month
    or quarter, and two of its groups to compare."""

    by: str = "country"
    filters: dict[str, str] = field(default_factory=dict)
    since: str = ""
    until: str = ""
    step: str = "month"
    a: str = ""
    b: str = ""
    version: str = ""  # the questionnaire version counted ("": the server's current one)

    def args(self, **change: str) -> dict[str, str]:
        """The URL's query for this view (empty values left out), with changes."""
        values = {
            "by": self.by,
            **self.filters,
            "since": self.since,
            "until": self.until,
            "step": self.step,
            "a": self.a,
            "b": self.b,
            "version": self.version,
            **change,
        }
        return {key: value for key, value in values.items() if value}


def choices(instrument: Instrument) -> dict[str, tuple]:
    """The options of each filter but the workshop (which are the stored codes)."""
    return {key: instrument.context_question(key).options for key in FILTERS if key != "workshop"}


def current_instrument() -> Instrument:
    return current_app.extensions["instrument"]


def read_version(args: MultiDict) -> str:
    """The questionnaire version asked for: "" for the server's current one (or an unknown)."""
    asked = args.get("version", "")
    return asked if asked in VERSIONS and asked != current_instrument().version else ""


def version_instrument(version: str) -> Instrument:
    """The instrument a selection counts: the server's own, or that of the version asked for."""
    return instrument_for(version) if version else current_instrument()


def read_selection(args: MultiDict) -> Selection:
    version = read_version(args)
    instrument = version_instrument(version)
    db = get_db()
    asked = args.get("by", "")
    by = asked if asked in GROUPS else "country"
    options = choices(instrument)
    filters: dict[str, str] = {}
    codes: list[str] | None = None
    for key in FILTERS:
        value = args.get(key, "")
        if not value:
            continue
        if key == "workshop":
            codes = workshop_codes(db) if codes is None else codes
            allowed = codes
        else:
            allowed = [o.key for o in options[key]]
        if value in allowed:
            filters[key] = value
    available = months(db)
    since = args.get("since", "")
    until = args.get("until", "")
    since = since if since in available else ""
    until = until if until in available else ""
    if since and until and since > until:
        since, until = until, since
    step = args.get("step", "")
    step = step if step in STEPS else "month"
    # a and b are checked against the groups shown (the dashboard drops one it does not show)
    a, b = args.get("a", "")[:40], args.get("b", "")[:40]
    return Selection(by, filters, since, until, step, a, b, version)


def read_by(args: MultiDict, default: str = "country") -> str | None:
    """The grouping asked for (None: one that does not exist)."""
    by = args.get("by", default)
    return by if by in GROUPS else None


def report_periods(available: list[str]) -> list[tuple[str, str]]:
    """The periods a report can cover (it covers quarters or whole years: report.Period.snapped),
    newest first, as (value, label): each year with submissions and each of its quarters up to
    the latest."""
    if not available:
        return []
    first, last = month_index(available[0]), month_index(available[-1])
    out: list[tuple[str, str]] = []
    for year in range(last // 12, first // 12 - 1, -1):
        for quarter in range(4, 0, -1):
            start = year * 12 + (quarter - 1) * 3
            if start > last or start + 2 < first:
                continue
            value = f"{year}-Q{quarter}"
            out.append((value, quarter_label(value)))
        out.append((str(year), str(write_date(date(year, 1, 1), "year"))))
    return out


def period_of(value: str) -> Period | None:
    """A report's period from its picker's value (2026-Q4, 2026)."""
    if match := QUARTER_RE.match(value):
        start = int(match[1]) * 12 + (int(match[2]) - 1) * 3
        return Period(month_name(start), month_name(start + 2))
    if YEAR_RE.match(value):
        return Period(f"{value}-01", f"{value}-12")
    return None


def period_value(period: Period) -> str:
    """The picker's value of a (snapped) period: its quarter or its year (or years)."""
    if period.months == 3:
        start = month_index(period.since)
        return f"{start // 12}-Q{start % 12 // 3 + 1}"
    return period.since[:4]


def read_report(args: MultiDict) -> tuple[Period, str | None, list[str]]:
    """The report's period and country asked for, else the quarter of the latest month with
    submissions; and the problems with what was asked, for the page to say. The picker sends
    `period` (2026-Q4, 2026); links made before it send `since` and `until` (months)."""
    instrument = current_app.extensions["instrument"]
    available = months(get_db())
    period = Period.default(available[-1] if available else None)
    problems = []
    since, until = args.get("since", ""), args.get("until", "")
    picked = args.get("period", "")
    if picked:
        found = period_of(picked)
        if found:
            period = found
        else:
            problems.append(gettext("Choose a quarter or a year."))
    elif since or until:
        if MONTH_RE.match(since) and MONTH_RE.match(until) and since <= until:
            period = Period(since, until).snapped()
        else:
            problems.append(
                gettext("Choose a first and a last month, the first not after the last.")
            )
    country = args.get("country") or None
    if country not in [o.key for o in instrument.context_question("country").options]:
        country = None
    return period, country, problems
