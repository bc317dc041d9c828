"""The staff dashboard's figures and charts for one Selection (staff/filters.py): on the page
exact (staff are trusted with the records), in a download through the cell key method like the
aggregate export (what leaves the staff's screen: docs/privacy.md); a selection that would give
a small group away by difference shows nothing either way (figures.gives_away).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import babel.numbers
from flask import current_app, g
from flask_babel import format_percent, get_locale, gettext

from lmcself.core.instrument import Instrument
from lmcself.core.suppress import DEFAULT_K
from lmcself.staff import charts
from lmcself.staff.filters import Selection, period_label, version_instrument
from lmcself.storage.db import get_db
from lmcself.storage.figures import (
    FILTERS,
    Dashboard,
    Group,
    Pooled,
    Series,
    dashboard,
    gives_away,
    other_versions,
    pooled,
    series,
    with_pooled,
)
from lmcself.web.i18n import html_lang

CHARTS = ("heat", "levels", "trend", "compare", "gaps")


def group_names() -> dict[str, str]:
    return {
        "country": gettext("Country"),
        "sector": gettext("Sector"),
        "size": gettext("Size"),
        "women_led": gettext("Women-led"),
        "region": gettext("Region"),
        "workshop": gettext("Workshop"),
        "month": gettext("Month"),
    }


def value_label(instrument: Instrument, group: str, value: str) -> str:
    """What a group's value says to a reader: an answer's label, a code, a month."""
    if group in FILTERS and group != "workshop":
        option = instrument.context_question(group).option(value)
        return gettext(option.label) if option else value
    if group == "workshop" and not value:
        return gettext("Not through a workshop")
    if group == "month":
        return period_label(value)  # in the reader's calendar (Thai: Buddhist era)
    return value


@dataclass
class View:
    selection: Selection
    k: int
    figures: Dashboard
    withheld: bool
    series: Series | None = None
    a: Group | None = None
    b: Group | None = None
    charts: dict[str, charts.Chart] = field(default_factory=dict)
    instrument: Instrument = field(default_factory=lambda: current_app.extensions["instrument"])
    # parts comparable across questionnaire versions, pooled over them (heat table, compare)
    pooled: Pooled = field(default_factory=lambda: Pooled({}, {}, {}))
    # checks on the other versions matching the filters, not in these figures (None: under k)
    others: dict[str, int | None] = field(default_factory=dict)
    # a number as the reader writes it, once per value (Babel's formatting is slow to repeat)
    number: Callable[[float], str] = field(default_factory=lambda: _numbers())


def _numbers() -> Callable[[float], str]:
    """Numbers as the page's locale writes them (format_decimal of Flask-Babel), each once."""
    locale = get_locale()
    return functools.cache(lambda value: babel.numbers.format_decimal(value, locale=locale))


def _plain(value: float) -> str:
    return f"{value:g}"


def version_note(view: View) -> dict[str, str]:
    """Part name: the versions it pools, as the page writes them (1.0 + 2.0)."""
    return {key: " + ".join(sorted(versions)) for key, versions in view.pooled.parts.items()}


def build(selection: Selection, protect: bool = False, plain: bool = False) -> View:
    """The figures and charts of a selection; `plain` numbers (a CSV) or the reader's."""
    db = get_db()
    s = selection
    instrument = version_instrument(s.version)
    k = current_app.config.get("MIN_GROUP_SIZE", DEFAULT_K)
    others = other_versions(db, instrument, k, s.filters, s.since, s.until, protect)
    withheld = gives_away(db, instrument, k, s.filters, s.since, s.until)
    if withheld:
        empty = Dashboard(None, None, {}, {}, [], 0, {}, {})
        return View(s, k, empty, True, instrument=instrument, others=others)
    figures = dashboard(db, instrument, s.by, k, s.filters, s.since, s.until, protect)
    view = View(s, k, figures, False, instrument=instrument, others=others)
    if figures.total is None:
        return view
    if others:  # checks on another version match: pool what the method makes comparable
        view.pooled = pooled(db, instrument, s.by, k, s.filters, s.since, s.until, protect)
        figures = view.figures = with_pooled(figures, view.pooled)
    view.series = series(db, instrument, s.by, k, s.filters, s.since, s.until, s.step, protect)
    shown = {g.value: g for g in figures.groups}
    groups = list(shown)
    a = s.a if s.a in shown else (groups[0] if groups else "")
    b = s.b if s.b in shown and s.b != a else next((g for g in groups if g != a), "")
    view.a, view.b = shown.get(a), shown.get(b)

    lang = html_lang(g.lang)
    labels = charts.Labels(
        functools.cache(lambda value: value_label(instrument, s.by, value)),
        _plain if plain else view.number,
        (lambda v: f"{v:.3f}") if plain else functools.cache(lambda v: format_percent(v)),
        functools.cache(period_label),
        gettext("Hidden: too few businesses"),
        gettext("All"),
    )
    by_name = group_names()[s.by]
    pools = version_note(view)
    # a part's name says the versions it counts where it pools them (and in a CSV, always)
    parts = [
        f"{gettext(d.name)} ({pools.get(d.key, instrument.version)})"
        if d.key in pools or plain
        else gettext(d.name)
        for d in instrument.dimensions
    ]
    level_names = {lv.key: gettext(lv.name) for lv in instrument.levels}
    view.charts["heat"] = charts.heat(
        figures, instrument, parts, by_name, labels, gettext("Average per part"), lang
    )
    view.charts["levels"] = charts.levels(
        figures, instrument, level_names, by_name, labels, gettext("Levels"), lang
    )
    view.charts["trend"] = charts.trend(
        view.series,
        by_name,
        labels,
        gettext("Average score by quarter")
        if s.step == "quarter"
        else gettext("Average score by month"),
        lang,
    )
    if view.a and view.b:
        view.charts["compare"] = charts.compare(
            view.a,
            view.b,
            instrument,
            parts,
            gettext("Average score"),
            gettext("Difference"),
            labels,
            gettext("Two groups side by side"),
            lang,
        )
    view.charts["gaps"] = charts.gaps(
        figures,
        {g.key: gettext(g.title) for g in instrument.gaps},
        by_name,
        # TRANSLATORS: the heading of the gaps table's column naming a gap: a combination of
        # answers that deserves a warning (e.g. "You sell online but take only cash").
        gettext("Gap"),
        gettext("Share"),
        labels,
        gettext("Most common gaps"),
        lang,
    )
    return view
