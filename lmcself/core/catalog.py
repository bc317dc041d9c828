"""The recommendation catalog: real tools of each country, each with a source and a check date.

The action plan attaches these to its steps. Wrong or closed services would mislead owners, so the
loader refuses a tool without a source, an unknown kind or dimension, and any mention of a service
on the do-not-recommend list outside that list; `lmcself check-catalog` lists what is due a check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lmcself.core.instrument import (
    QUESTIONS_DIR,
    TOOL_KINDS,
    DataReader,
    Instrument,
    default_instrument,
    read_yaml,
)

DEFAULT_PATH = QUESTIONS_DIR / "catalog.yaml"
KINDS = TOOL_KINDS
CONFIDENCE = ("high", "med", "low")
SOURCE_DATE_RE = re.compile(r"^(n\.d\.|\d{4}(-\d{2}(-\d{2})?)?)$")
URL_RE = re.compile(r"^https?://[^\s/]+\.[^\s/]+(/\S*)?$")
CHECK_EVERY_DAYS = 365


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


@dataclass(frozen=True)
class Note:
    """A documented figure or program from the region; `countries` are where it happened."""

    countries: tuple[str, ...]
    dimension: str
    text: str
    source: str
    source_date: str
    local_only: bool = False  # a risk or a rule of its country: not shown to owners elsewhere


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
        out += [(f"notes.{'-'.join(n.countries)}.{n.dimension}", n.text) for n in self.notes]
        out += [(f"cross_border.{'-'.join(x.countries)}", x.text) for x in self.cross_border]
        return out

    def due_for_check(self, today: date) -> list[Tool]:
        """Tools last checked more than 12 months before today, oldest first."""
        return sorted(
            (t for t in self.tools if (today - t.last_checked).days > CHECK_EVERY_DAYS),
            key=lambda t: t.last_checked,
        )


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
    tools: list[Tool] = []
    notes: list[Note] = []
    for country in countries:
        c = r.mapping(per_country[country], f"countries.{country}", {"tools"}, {"notes"})
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
                {"cost", "bring", "translate_name"},
            )
            k = f"countries.{country}.tools.{r.ident(m['key'], f'{k}.key')}"
            if m["kind"] not in KINDS:
                raise r.fail(f"{k}.kind", f"expected one of {KINDS}, found {m['kind']!r}")
            dims = r.seq(m["dimensions"], f"{k}.dimensions")
            unknown = [d for d in dims if d not in dimensions]
            if unknown:
                raise r.fail(f"{k}.dimensions", f"unknown dimension {unknown[0]!r}")
            if not isinstance(m["last_checked"], date):
                raise r.fail(f"{k}.last_checked", "expected a date YYYY-MM-DD")
            if m["confidence"] not in CONFIDENCE:
                raise r.fail(f"{k}.confidence", f"expected one of {CONFIDENCE}")
            tools.append(
                Tool(
                    m["key"],
                    country,
                    r.text(m["name"], f"{k}.name"),
                    m["kind"],
                    tuple(dims),
                    r.text(m["what"], f"{k}.what"),
                    *_source(r, m, k),
                    m["last_checked"],
                    m["confidence"],
                    r.text(m["cost"], f"{k}.cost") if "cost" in m else "",
                    r.text(m["bring"], f"{k}.bring") if "bring" in m else "",
                    m.get("translate_name") is True,
                )
            )
        for i, raw in enumerate(r.seq(c.get("notes", []), f"countries.{country}.notes", 0)):
            k = f"countries.{country}.notes[{i}]"
            m = r.mapping(raw, k, {"dimension", "text", "source", "source_date"}, {"local_only"})
            if m["dimension"] not in dimensions:
                raise r.fail(f"{k}.dimension", f"unknown dimension {m['dimension']!r}")
            if not isinstance(m.get("local_only", False), bool):
                raise r.fail(f"{k}.local_only", "expected true or false")
            notes.append(
                Note(
                    (country,),
                    m["dimension"],
                    r.text(m["text"], f"{k}.text"),
                    *_source(r, m, k),
                    m.get("local_only", False),
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
    _refuse_banned(r, banned, tools, notes, links)
    return Catalog(str(top["version"]), tuple(tools), tuple(notes), tuple(links), tuple(banned))


def _refuse_banned(r: DataReader, banned, tools, notes, links) -> None:
    """A closed or unverified service must not be named anywhere the owner could read it."""
    places: list[tuple[str, str]] = []
    for t in tools:
        places += [
            (f"countries.{t.country}.tools.{t.key}", f"{t.name} {t.what} {t.cost} {t.bring}")
        ]
    places += [(f"notes.{'-'.join(n.countries)}", n.text) for n in notes]
    places += [(f"cross_border.{'-'.join(x.countries)}", x.text) for x in links]
    for name, _country, reason in banned:
        pattern = re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE)
        for where, text in places:
            if pattern.search(text):
                raise r.fail(
                    where, f"names {name!r}, which is on the do-not-recommend list ({reason})"
                )
