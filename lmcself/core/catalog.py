"""The recommendation catalog: real tools of each country, each with a source and a check date.

The action plan attaches these to its steps. Wrong or closed services would mislead owners, so the
loader refuses a tool without a source, an unknown kind or dimension, and any mention of a service
on the do-not-recommend list outside that list. Besides tools, each country has obligations (the
tax, invoice and registration duties of small sellers) and risks (what is blocked, sanctioned or
closed by a rule). `lmcself check-catalog` lists what is due for the maintainer's yearly review.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from lmcself.core.instrument import (
    QUESTIONS_DIR,
    TOOL_KINDS,
    DataReader,
    Instrument,
    default_instrument,
    read_yaml,
)

DEFAULT_PATH = QUESTIONS_DIR / "catalog.yaml"
TRANSLATIONS_DIR = QUESTIONS_DIR.parent / "translations"
KINDS = TOOL_KINDS
CONFIDENCE = ("high", "med", "low")
SOURCE_DATE_RE = re.compile(r"^(n\.d\.|\d{4}(-\d{2}(-\d{2})?)?)$")
URL_RE = re.compile(r"^https?://[^\s/]+\.[^\s/]+(/\S*)?$")
CHECK_EVERY_DAYS = 365
# A source older than this (years) is due for the yearly review unless the entry says why.
MAX_SOURCE_AGE_YEARS = 3
# The URL language codes (lmcself.web.i18n.LOCALES): the keys of a tool's `names`.
LANGUAGES = ("km", "lo", "my", "th", "vi", "zh", "en")
START_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class Tool:
    key: str
    country: str
    name: str
    kind: str
    dimensions: tuple[str, ...]
    what: str
    source: str
    source_date: str
    last_checked: date
    confidence: str
    cost: str = ""
    bring: str = ""
    translate_name: bool = False
    names: tuple[tuple[str, str], ...] = ()  # (URL language, the name owners know there)
    recheck: str = ""  # why the entry is deliberately pending a check ("" when it is not)

    def name_in(self, lang: str) -> str | None:
        """The name owners reading `lang` know the service by, if it differs from `name`."""
        return dict(self.names).get(lang)


@dataclass(frozen=True)
class Obligation:
    """A duty of a small seller in one country (tax, invoice, registration), with its threshold,
    start, what to do, and the answers that show a gap (then the plan warns)."""

    key: str
    country: str
    name: str
    what: str
    todo: str
    when: tuple[tuple[str, tuple[str, ...]], ...]  # who it concerns; () = every owner there
    warn_when: tuple[tuple[str, tuple[str, ...]], ...]  # a gap in the answers; () = never
    warning: str
    source: str
    source_date: str
    last_checked: date
    confidence: str
    threshold: str = ""
    starts: str = ""  # YYYY, YYYY-MM or YYYY-MM-DD
    recheck: str = ""

    def applies(self, answers: Mapping[str, str]) -> bool:
        return all(answers.get(q) in options for q, options in self.when)

    def warns(self, answers: Mapping[str, str]) -> bool:
        return bool(self.warn_when) and all(answers.get(q) in o for q, o in self.warn_when)


@dataclass(frozen=True)
class Risk:
    """Something an owner of the country should know before relying on a service: what is
    blocked, sanctioned, or where an account can be closed by a rule."""

    key: str
    country: str
    title: str
    text: str
    source: str
    source_date: str
    last_checked: date
    confidence: str
    recheck: str = ""


@dataclass(frozen=True)
class ReviewItem:
    """One line of the maintainer's review list: an entry and why it is listed."""

    where: str
    name: str
    reasons: tuple[str, ...]
    pending: str = ""  # the entry's own `recheck` reason: listed on purpose


@dataclass(frozen=True)
class Note:
    """A documented figure or program from the region; `countries` are where it happened."""

    countries: tuple[str, ...]
    dimension: str
    text: str
    source: str
    source_date: str
    local_only: bool = False  # a risk or a rule of its country: not shown to owners elsewhere
    # The tool kind the note stands in for where the country has no such tool (an honest "none
    # found"), or the kind it tells more about; "" when it is about the dimension as a whole.
    kind: str = ""


@dataclass(frozen=True)
class CrossBorderLink:
    countries: tuple[str, str]
    text: str
    source: str
    source_date: str


@dataclass(frozen=True)
class Catalog:
    version: str
    tools: tuple[Tool, ...]
    notes: tuple[Note, ...]
    cross_border: tuple[CrossBorderLink, ...]
    do_not_recommend: tuple[tuple[str, str, str], ...]  # (name, country, reason)
    obligations: tuple[Obligation, ...] = ()
    risks: tuple[Risk, ...] = ()

    def obligations_for(self, country: str) -> list[Obligation]:
        return [o for o in self.obligations if o.country == country]

    def risks_for(self, country: str) -> list[Risk]:
        return [r for r in self.risks if r.country == country]

    def covers(self, country: str, kind: str) -> bool:
        """Whether the country has a tool of this kind, or a note that says what stands in for
        one (for example that no e-invoice service for micro-firms exists there)."""
        return any(t.kind == kind for t in self.tools_for(country)) or any(
            n.kind == kind and country in n.countries for n in self.notes
        )

    def tools_for(self, country: str, dimension: str | None = None) -> list[Tool]:
        return [
            t
            for t in self.tools
            if t.country == country and (dimension is None or dimension in t.dimensions)
        ]

    def texts(self) -> list[tuple[str, str]]:
        """(key path, English text) for every translatable text; tool names stay as they are."""
        out: list[tuple[str, str]] = []
        for t in self.tools:
            k = f"countries.{t.country}.tools.{t.key}"
            out += [(f"{k}.name", t.name)] if t.translate_name else []
            out += [(f"{k}.what", t.what)]
            out += [(f"{k}.{f}", getattr(t, f)) for f in ("cost", "bring") if getattr(t, f)]
        for o in self.obligations:
            k = f"countries.{o.country}.obligations.{o.key}"
            out += [(f"{k}.{f}", getattr(o, f)) for f in OBLIGATION_TEXTS if getattr(o, f)]
        for risk in self.risks:
            k = f"countries.{risk.country}.risks.{risk.key}"
            out += [(f"{k}.title", risk.title), (f"{k}.text", risk.text)]
        out += [(f"notes.{'-'.join(n.countries)}.{n.dimension}", n.text) for n in self.notes]
        out += [(f"cross_border.{'-'.join(x.countries)}", x.text) for x in self.cross_border]
        return out

    def due_for_check(self, today: date) -> list[Tool]:
        """Tools last checked more than 12 months before today, oldest first."""
        return sorted(
            (t for t in self.tools if (today - t.last_checked).days > CHECK_EVERY_DAYS),
            key=lambda t: t.last_checked,
        )

    def review(self, today: date, max_age_years: int = MAX_SOURCE_AGE_YEARS) -> list[ReviewItem]:
        """The yearly review list: every tool, obligation and risk that was last checked more
        than a year ago, whose source is older than `max_age_years` (a page without a date counts
        as current as of its check), whose confidence is not high, or that is marked `recheck`."""
        oldest = date(today.year - max_age_years, today.month, min(today.day, 28))
        entries: list[tuple[str, str, Tool | Obligation | Risk]] = []
        entries += [(f"countries.{t.country}.tools.{t.key}", t.name, t) for t in self.tools]
        entries += [
            (f"countries.{o.country}.obligations.{o.key}", o.name, o) for o in self.obligations
        ]
        entries += [(f"countries.{r.country}.risks.{r.key}", r.title, r) for r in self.risks]
        out = []
        for where, name, e in entries:
            reasons = []
            if (today - e.last_checked).days > CHECK_EVERY_DAYS:
                reasons.append(f"last checked {e.last_checked}")
            if e.source_date != "n.d." and _period_start(e.source_date) < oldest:
                reasons.append(f"source from {e.source_date}")
            if e.confidence != "high":
                reasons.append(f"confidence {e.confidence}")
            if e.recheck:
                reasons.append("marked for re-checking")
            if reasons:
                out.append(ReviewItem(where, name, tuple(reasons), e.recheck))
        return out

    def banned_mentions(self, texts: Iterable[tuple[str, str]]) -> list[tuple[str, str, str]]:
        """(where, name, reason) for each service of the do-not-recommend list named in the
        given (where, text) pairs, for example the translations of the catalog's texts."""
        found = []
        for name, _country, reason in self.do_not_recommend:
            pattern = _name_pattern(name)
            found += [(where, name, reason) for where, text in texts if pattern.search(text)]
        return found


OBLIGATION_TEXTS = ("name", "threshold", "what", "todo", "warning")


def translated_texts(directory: Path) -> list[tuple[str, str]]:
    """(locale: message id, translation) of every translation under `directory`
    (<locale>/LC_MESSAGES/messages.po), for the review's check of banned names."""
    from babel.messages.pofile import read_po

    out = []
    for path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        with path.open("rb") as f:
            for message in read_po(f):
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                where = f"{path.parent.parent.name}: {str(message.id)[:40]!r}"
                out += [(where, str(text)) for text in strings if text]
    return out


def _period_start(value: str) -> date:
    """The first day of a source date given as YYYY, YYYY-MM or YYYY-MM-DD."""
    parts = [int(p) for p in value.split("-")] + [1, 1]
    return date(parts[0], parts[1], parts[2])


def _name_pattern(name: str) -> re.Pattern[str]:
    """A service's name as a whole word, also beside letters of unspaced scripts (Thai, Khmer)."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", re.IGNORECASE)


def _conditions(
    r: DataReader, raw: Any, k: str, questions: Mapping[str, Any]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A `when` mapping of question (or context) keys to options, checked against the instrument."""
    when = r.mapping(raw, k, set(), set(questions))
    out = []
    for qkey, options in when.items():
        options = [str(o) for o in r.seq(options, f"{k}.{qkey}")]
        bad = [o for o in options if questions[qkey].option(o) is None]
        if bad:
            raise r.fail(f"{k}.{qkey}", f"unknown option {bad[0]!r}")
        out.append((qkey, tuple(options)))
    return tuple(out)


def _checked(r: DataReader, m: dict, k: str) -> tuple[date, str, str]:
    """last_checked, confidence and the optional recheck reason of an entry."""
    if not isinstance(m["last_checked"], date):
        raise r.fail(f"{k}.last_checked", "expected a date YYYY-MM-DD")
    if m["confidence"] not in CONFIDENCE:
        raise r.fail(f"{k}.confidence", f"expected one of {CONFIDENCE}")
    recheck = r.text(m["recheck"], f"{k}.recheck") if "recheck" in m else ""
    return m["last_checked"], m["confidence"], recheck


def _names(r: DataReader, raw: Any, k: str) -> tuple[tuple[str, str], ...]:
    names = r.mapping(raw, k, set(), set(LANGUAGES))
    return tuple((lang, r.text(text, f"{k}.{lang}")) for lang, text in names.items())


def _source(r: DataReader, m: dict, k: str) -> tuple[str, str]:
    source, source_date = m["source"], str(m["source_date"])
    if not isinstance(source, str) or not URL_RE.match(source):
        raise r.fail(f"{k}.source", f"expected a full http(s) URL, found {source!r}")
    if not SOURCE_DATE_RE.match(source_date):
        raise r.fail(
            f"{k}.source_date",
            f"expected YYYY, YYYY-MM, YYYY-MM-DD or 'n.d.', found {source_date!r}",
        )
    return source, source_date


def load_catalog(path: Path | str = DEFAULT_PATH, instrument: Instrument | None = None) -> Catalog:
    """Read and validate the catalog against the instrument's countries and dimensions."""
    path = Path(path)
    instrument = instrument or default_instrument()
    countries = [o.key for o in instrument.context_question("country").options]
    dimensions = {d.key for d in instrument.dimensions}
    r = DataReader(path)
    top = r.mapping(
        read_yaml(path),
        "(top)",
        {"version", "countries", "cross_border", "do_not_recommend"},
        {"regional_notes"},
    )
    per_country = r.mapping(top["countries"], "countries", set(countries))
    questions = {q.key: q for q in instrument.context} | {q.key: q for q in instrument.questions}
    tools: list[Tool] = []
    notes: list[Note] = []
    obligations: list[Obligation] = []
    risks: list[Risk] = []
    for country in countries:
        c = r.mapping(
            per_country[country],
            f"countries.{country}",
            {"tools"},
            {"notes", "obligations", "risks"},
        )
        for i, raw in enumerate(r.seq(c["tools"], f"countries.{country}.tools")):
            k = f"countries.{country}.tools[{i}]"
            m = r.mapping(
                raw,
                k,
                {
                    "key",
                    "name",
                    "kind",
                    "dimensions",
                    "what",
                    "source",
                    "source_date",
                    "last_checked",
                    "confidence",
                },
                {"cost", "bring", "translate_name", "names", "recheck"},
            )
            k = f"countries.{country}.tools.{r.ident(m['key'], f'{k}.key')}"
            if m["kind"] not in KINDS:
                raise r.fail(f"{k}.kind", f"expected one of {KINDS}, found {m['kind']!r}")
            dims = r.seq(m["dimensions"], f"{k}.dimensions")
            unknown = [d for d in dims if d not in dimensions]
            if unknown:
                raise r.fail(f"{k}.dimensions", f"unknown dimension {unknown[0]!r}")
            last_checked, confidence, recheck = _checked(r, m, k)
            names = _names(r, m["names"], f"{k}.names") if "names" in m else ()
            if names and m.get("translate_name") is True:
                raise r.fail(f"{k}.names", "a translated name (translate_name) takes no names")
            tools.append(
                Tool(
                    m["key"],
                    country,
                    r.text(m["name"], f"{k}.name"),
                    m["kind"],
                    tuple(dims),
                    r.text(m["what"], f"{k}.what"),
                    *_source(r, m, k),
                    last_checked,
                    confidence,
                    r.text(m["cost"], f"{k}.cost") if "cost" in m else "",
                    r.text(m["bring"], f"{k}.bring") if "bring" in m else "",
                    m.get("translate_name") is True,
                    names,
                    recheck,
                )
            )
        for i, raw in enumerate(
            r.seq(c.get("obligations", []), f"countries.{country}.obligations", 0)
        ):
            obligations.append(
                _obligation(r, raw, f"countries.{country}.obligations[{i}]", country, questions)
            )
        for i, raw in enumerate(r.seq(c.get("risks", []), f"countries.{country}.risks", 0)):
            risks.append(_risk(r, raw, f"countries.{country}.risks[{i}]", country))
        for i, raw in enumerate(r.seq(c.get("notes", []), f"countries.{country}.notes", 0)):
            k = f"countries.{country}.notes[{i}]"
            m = r.mapping(
                raw, k, {"dimension", "text", "source", "source_date"}, {"local_only", "kind"}
            )
            if m["dimension"] not in dimensions:
                raise r.fail(f"{k}.dimension", f"unknown dimension {m['dimension']!r}")
            if not isinstance(m.get("local_only", False), bool):
                raise r.fail(f"{k}.local_only", "expected true or false")
            if "kind" in m and m["kind"] not in KINDS:
                raise r.fail(f"{k}.kind", f"expected one of {KINDS}, found {m['kind']!r}")
            notes.append(
                Note(
                    (country,),
                    m["dimension"],
                    r.text(m["text"], f"{k}.text"),
                    *_source(r, m, k),
                    m.get("local_only", False),
                    m.get("kind", ""),
                )
            )
    for i, raw in enumerate(r.seq(top.get("regional_notes", []), "regional_notes", 0)):
        k = f"regional_notes[{i}]"
        m = r.mapping(raw, k, {"countries", "dimension", "text", "source", "source_date"})
        where = r.seq(m["countries"], f"{k}.countries", 2)
        if any(c not in countries for c in where):
            raise r.fail(f"{k}.countries", f"expected countries of {countries}")
        if m["dimension"] not in dimensions:
            raise r.fail(f"{k}.dimension", f"unknown dimension {m['dimension']!r}")
        notes.append(
            Note(tuple(where), m["dimension"], r.text(m["text"], f"{k}.text"), *_source(r, m, k))
        )
    r.unique([t.key for t in tools], "countries.tools")
    r.unique([o.key for o in obligations], "countries.obligations")
    r.unique([x.key for x in risks], "countries.risks")
    links = []
    for i, raw in enumerate(r.seq(top["cross_border"], "cross_border", 0)):
        k = f"cross_border[{i}]"
        m = r.mapping(raw, k, {"countries", "text", "source", "source_date"})
        pair = r.seq(m["countries"], f"{k}.countries", 2, 2)
        if any(c not in countries for c in pair) or pair[0] == pair[1]:
            raise r.fail(f"{k}.countries", f"expected two different countries of {countries}")
        links.append(
            CrossBorderLink(tuple(pair), r.text(m["text"], f"{k}.text"), *_source(r, m, k))
        )
    banned = []
    for i, raw in enumerate(r.seq(top["do_not_recommend"], "do_not_recommend", 0)):
        m = r.mapping(raw, f"do_not_recommend[{i}]", {"name", "country", "reason"})
        banned.append(
            (
                r.text(m["name"], f"do_not_recommend[{i}].name"),
                m["country"],
                r.text(m["reason"], f"do_not_recommend[{i}].reason"),
            )
        )
    catalog = Catalog(
        str(top["version"]),
        tuple(tools),
        tuple(notes),
        tuple(links),
        tuple(banned),
        tuple(obligations),
        tuple(risks),
    )
    _refuse_banned(r, catalog)
    return catalog


def _obligation(
    r: DataReader, raw: Any, k: str, country: str, questions: Mapping[str, Any]
) -> Obligation:
    m = r.mapping(
        raw,
        k,
        {"key", "name", "what", "todo", "source", "source_date", "last_checked", "confidence"},
        {"when", "warn_when", "warning", "threshold", "starts", "recheck"},
    )
    k = f"countries.{country}.obligations.{r.ident(m['key'], f'{k}.key')}"
    if ("warn_when" in m) != ("warning" in m):
        raise r.fail(k, "warn_when and warning go together")
    starts = str(m.get("starts", ""))
    if starts and not START_RE.match(starts):
        raise r.fail(f"{k}.starts", f"expected YYYY, YYYY-MM or YYYY-MM-DD, found {starts!r}")
    when = _conditions(r, m["when"], f"{k}.when", questions) if "when" in m else ()
    warn_when = (
        _conditions(r, m["warn_when"], f"{k}.warn_when", questions) if "warn_when" in m else ()
    )
    last_checked, confidence, recheck = _checked(r, m, k)
    return Obligation(
        m["key"],
        country,
        r.text(m["name"], f"{k}.name"),
        r.text(m["what"], f"{k}.what"),
        r.text(m["todo"], f"{k}.todo"),
        when,
        warn_when,
        r.text(m["warning"], f"{k}.warning") if "warning" in m else "",
        *_source(r, m, k),
        last_checked,
        confidence,
        r.text(m["threshold"], f"{k}.threshold") if "threshold" in m else "",
        starts,
        recheck,
    )


def _risk(r: DataReader, raw: Any, k: str, country: str) -> Risk:
    m = r.mapping(
        raw,
        k,
        {"key", "title", "text", "source", "source_date", "last_checked", "confidence"},
        {"recheck"},
    )
    k = f"countries.{country}.risks.{r.ident(m['key'], f'{k}.key')}"
    source, source_date = _source(r, m, k)
    last_checked, confidence, recheck = _checked(r, m, k)
    return Risk(
        m["key"],
        country,
        r.text(m["title"], f"{k}.title"),
        r.text(m["text"], f"{k}.text"),
        source,
        source_date,
        last_checked,
        confidence,
        recheck,
    )


def _refuse_banned(r: DataReader, catalog: Catalog) -> None:
    """A closed or unverified service must not be named anywhere the owner could read it."""
    places: list[tuple[str, str]] = []
    for t in catalog.tools:
        texts = [t.name, t.what, t.cost, t.bring, *(n for _, n in t.names)]
        places += [(f"countries.{t.country}.tools.{t.key}", " ".join(texts))]
    for o in catalog.obligations:
        texts = [getattr(o, f) for f in OBLIGATION_TEXTS]
        places += [(f"countries.{o.country}.obligations.{o.key}", " ".join(texts))]
    places += [
        (f"countries.{x.country}.risks.{x.key}", f"{x.title} {x.text}") for x in catalog.risks
    ]
    places += [(f"notes.{'-'.join(n.countries)}", n.text) for n in catalog.notes]
    places += [(f"cross_border.{'-'.join(x.countries)}", x.text) for x in catalog.cross_border]
    for where, name, reason in catalog.banned_mentions(places)[:1]:
        raise r.fail(where, f"names {name!r}, which is on the do-not-recommend list ({reason})")
