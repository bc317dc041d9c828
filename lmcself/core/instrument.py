"""The instrument (questionnaire, points, levels, actions) loaded from YAML and validated once.

The questionnaire is data, not code: everything the app asks, scores and recommends comes from
`lmcself/questions/instrument-2.0.yaml` (new checks) and `instrument.yaml` (1.0, for stored results
and questionnaires in progress). This module is the single place that reads them, and a broken
file fails at start-up with one `InstrumentError` naming the file, the key and what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

QUESTIONS_DIR = Path(__file__).resolve().parents[1] / "questions"
# Every version the app knows: new checks use CURRENT_VERSION; results and questionnaires in
# progress of the others keep their own questions, scores and plans.
INSTRUMENT_FILES = {
    "1.0": QUESTIONS_DIR / "instrument.yaml",
    "2.0": QUESTIONS_DIR / "instrument-2.0.yaml",
}
VERSIONS = tuple(INSTRUMENT_FILES)
CURRENT_VERSION = "2.0"
DEFAULT_PATH = INSTRUMENT_FILES[CURRENT_VERSION]

LEVEL_KEYS = ("starting", "emerging", "growing", "leading")
CONTEXT_KEYS = ("country", "sector", "size", "years", "women_led", "region", "cross_border")
HORIZONS = (30, 60, 90)
# Kinds of tool in the country catalog; an action or a gap names the kinds that help with it.
TOOL_KINDS = (
    "qr_standard",
    "wallet",
    "bank_app",
    "marketplace",
    "social_commerce",
    "delivery",
    "program",
    "compliance",
    # Questionnaire 2.0 (issue 16): e-invoicing and e-filing services, food-delivery apps as a
    # selling channel, and cross-border payment and trade (foreign QR, border trade, sourcing).
    "e_invoice",
    "food_delivery",
    "cross_border",
)
TOP_POINTS = 4
# Questions per part: at most 6, of which some may be shown only when a condition holds.
MAX_QUESTIONS = 6
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
# Braces and percent signs are placeholders for gettext and str.format; texts must not carry them.
PLACEHOLDER_RE = re.compile(r"[{}%]")


class InstrumentError(ValueError):
    """A data file is broken; the message names the file, the key and what is wrong."""

    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        self.path, self.key, self.problem = str(path), key, problem
        super().__init__(f"{path}: {key}: {problem}")


@dataclass(frozen=True)
class Level:
    key: str
    min: int
    name: str
    description: str


@dataclass(frozen=True)
class Option:
    key: str
    label: str
    points: int = 0
    dont_know: bool = False
    actions: tuple[str, ...] = ()
    # "Does not apply to my business": the question leaves the part's possible points.
    not_applicable: bool = False


@dataclass(frozen=True)
class Condition:
    """One clause of a question's `when:`: the answer to `key` is (or, negated, is not) one of
    `options`. An unanswered or hidden `key` never holds, negated or not."""

    key: str
    options: tuple[str, ...]
    negate: bool = False

    def holds(self, values: Mapping[str, str]) -> bool:
        value = values.get(self.key)
        return value is not None and (value in self.options) != self.negate

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "options": list(self.options), "not": self.negate}


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    options: tuple[Option, ...]
    help: str = ""
    weight: int = 1
    # Shown and scored only when every clause holds (context answers or earlier answers).
    when: tuple[Condition, ...] = ()

    @cached_property  # scoring asks for it on every answer of every imported submission
    def max_points(self) -> int:
        return max(o.points for o in self.options)

    def when_data(self) -> list[dict[str, Any]]:
        """The condition as JSON data, for the phone (static/scoring.js `applies`)."""
        return [c.as_json() for c in self.when]

    def applies(self, values: Mapping[str, str]) -> bool:
        """Whether the question is shown and scored, given the context and answers so far."""
        return not self.when or all(c.holds(values) for c in self.when)

    @cached_property
    def _options_by_key(self) -> dict[str, Option]:
        return {o.key: o for o in self.options}

    def option(self, key: object) -> Option | None:
        return self._options_by_key.get(key) if isinstance(key, str) else None


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    summary: str
    weight: int
    levels: dict[str, str]
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Action:
    key: str
    dimension: str
    horizon: int
    title: str
    detail: str
    tools: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gap:
    """A combination of answers worth a warning of its own (e.g. sells online, takes only cash).

    `when` maps question or context keys to the options that trigger it; all must hold.
    """

    key: str
    dimension: str
    when: dict[str, tuple[str, ...]]
    title: str
    detail: str
    tools: tuple[str, ...] = ()

    def applies(self, answers: dict[str, str]) -> bool:
        return all(answers.get(q) in options for q, options in self.when.items())


@dataclass(frozen=True)
class Instrument:
    version: str
    levels: tuple[Level, ...]
    context: tuple[Question, ...]
    dimensions: tuple[Dimension, ...]
    actions: dict[str, Action]
    gaps: tuple[Gap, ...] = ()
    # "Start here": among parts with the same score, the first in this order (all parts).
    start_order: tuple[str, ...] = ()
    # An older version -> the keys of this version's parts measured the same way as in it, so
    # that a part's score then and now may be compared (core/progress.py). Same version: all.
    comparable_with: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Unscored questions about the owner's situation (phone, barrier, outcome): answered with
    # the scored ones, kept in the answers, never scored.
    unscored: tuple[Question, ...] = ()

    @cached_property  # asked for twice by every submission checked (an import: 100,000 times)
    def questions(self) -> tuple[Question, ...]:
        """Every scored question, in the order the owner meets them."""
        return tuple(q for d in self.dimensions for q in d.questions)

    @cached_property
    def answer_keys(self) -> frozenset[str]:
        """The keys of every question answered, scored or not."""
        return frozenset(q.key for q in (*self.questions, *self.unscored))

    def dimension(self, key: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.key == key), None)

    @cached_property
    def start_rank(self) -> dict[str, int]:
        """Each part's place in the "Start here" tie-break (the file's order unless stated)."""
        order = self.start_order or tuple(d.key for d in self.dimensions)
        return {key: i for i, key in enumerate(order)}

    def shown(self, context: Mapping[str, str], answers: Mapping[str, str]) -> dict[str, str]:
        """The answers to the questions that apply; answers to hidden questions are dropped."""
        values = dict(context)  # grows question by question: a hidden answer never counts
        out: dict[str, str] = {}
        for q in (*self.questions, *self.unscored):
            if q.key in answers and q.applies(values):
                out[q.key] = values[q.key] = answers[q.key]
        return out

    def context_question(self, key: str) -> Question:
        return self._context_by_key[key]

    @cached_property
    def _context_by_key(self) -> dict[str, Question]:
        return {q.key: q for q in self.context}

    def level_for(self, score: int) -> Level:
        """The highest level whose threshold the score reaches."""
        return [lv for lv in self.levels if score >= lv.min][-1]

    def texts(self) -> list[tuple[str, str]]:
        """(key path, English text) for every translatable text, for the gettext extractor."""
        out: list[tuple[str, str]] = []
        for lv in self.levels:
            out += [
                (f"levels.{lv.key}.name", lv.name),
                (f"levels.{lv.key}.description", lv.description),
            ]
        for q in self.context:
            out += _question_texts(f"context.{q.key}", q)
        for q in self.unscored:
            out += _question_texts(f"unscored.{q.key}", q)
        for d in self.dimensions:
            out += [
                (f"dimensions.{d.key}.name", d.name),
                (f"dimensions.{d.key}.summary", d.summary),
            ]
            out += [(f"dimensions.{d.key}.levels.{k}", v) for k, v in d.levels.items()]
            for q in d.questions:
                out += _question_texts(f"dimensions.{d.key}.{q.key}", q)
        for a in self.actions.values():
            out += [(f"actions.{a.key}.title", a.title), (f"actions.{a.key}.detail", a.detail)]
        for gap in self.gaps:
            out += [(f"gaps.{gap.key}.title", gap.title), (f"gaps.{gap.key}.detail", gap.detail)]
        return out

    def as_json(self) -> dict[str, Any]:
        """The scoring data a browser needs to score offline exactly as the server does."""
        return {
            "version": self.version,
            "comparable_with": {k: list(v) for k, v in self.comparable_with.items()},
            "levels": [{"key": lv.key, "min": lv.min} for lv in self.levels],
            "start_order": list(self.start_rank),
            "unscored": [
                {"key": q.key, "when": [c.as_json() for c in q.when]} for q in self.unscored
            ],
            "dimensions": [
                {
                    "key": d.key,
                    "weight": d.weight,
                    "questions": [
                        {
                            "key": q.key,
                            "weight": q.weight,
                            "when": [c.as_json() for c in q.when],
                            "options": [
                                {
                                    "key": o.key,
                                    "points": o.points,
                                    "dont_know": o.dont_know,
                                    "not_applicable": o.not_applicable,
                                }
                                for o in q.options
                            ],
                        }
                        for q in d.questions
                    ],
                }
                for d in self.dimensions
            ],
        }


def _question_texts(prefix: str, q: Question) -> list[tuple[str, str]]:
    out = [(f"{prefix}.text", q.text)]
    if q.help:
        out.append((f"{prefix}.help", q.help))
    out += [(f"{prefix}.options.{o.key}", o.label) for o in q.options]
    return out


class DataReader:
    """Walks the parsed YAML, keeping the key path so that every error can name it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> InstrumentError:
        return InstrumentError(self.path, key, problem)

    def mapping(
        self,
        value: Any,
        key: str,
        required: AbstractSet[str],
        optional: AbstractSet[str] = frozenset(),
    ) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a mapping, found {type(value).__name__}")
        missing = sorted(required - value.keys())
        if missing:
            raise self.fail(key, f"missing key {missing[0]!r}")
        unknown = sorted(set(map(str, value)) - required - optional)
        if unknown:
            raise self.fail(f"{key}.{unknown[0]}", "unknown key (a typo?)")
        return value

    def seq(self, value: Any, key: str, min_len: int = 1, max_len: int | None = None) -> list:
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, found {type(value).__name__}")
        if len(value) < min_len or (max_len is not None and len(value) > max_len):
            want = f"{min_len}-{max_len}" if max_len is not None else f"at least {min_len}"
            raise self.fail(key, f"expected {want} entries, found {len(value)}")
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "expected a non-empty text")
        if PLACEHOLDER_RE.search(value):
            raise self.fail(
                key, "texts must not contain '{', '}' or '%' (translation placeholders)"
            )
        return " ".join(value.split())

    def integer(self, value: Any, key: str, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise self.fail(key, f"expected a whole number from {lo} to {hi}, found {value!r}")
        return value

    def ident(self, value: Any, key: str, pattern: re.Pattern = KEY_RE) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise self.fail(
                key, f"expected an identifier matching {pattern.pattern}, found {value!r}"
            )
        return value

    def unique(self, keys: list[str], key: str) -> None:
        seen: set[str] = set()
        for k in keys:
            if k in seen:
                raise self.fail(key, f"duplicate key {k!r}")
            seen.add(k)


SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """Parse a data file; a missing file or broken YAML is an InstrumentError naming the line."""
    try:
        # libyaml's parser where PyYAML has it: 10 times faster at every start-up.
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except OSError as exc:
        raise InstrumentError(path, "(file)", f"cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise InstrumentError(
            path, where, f"not valid YAML: {getattr(exc, 'problem', exc)}"
        ) from exc


def load_instrument(path: Path | str = DEFAULT_PATH) -> Instrument:
    """Read and validate the instrument; raise InstrumentError naming the file and key."""
    path = Path(path)
    raw = read_yaml(path)
    r = DataReader(path)
    top = r.mapping(
        raw,
        "(top)",
        {"version", "levels", "context", "dimensions", "actions"},
        {"gaps", "start_here", "comparable_with", "unscored"},
    )
    version = top["version"]
    if not isinstance(version, str | int | float) or not str(version).strip():
        raise r.fail("version", "expected a version text such as '1.0'")
    levels = _levels(r, top["levels"])
    context = _context(r, top["context"])
    actions = _actions(r, top["actions"])
    dimensions = _dimensions(r, top["dimensions"], actions, context)
    unscored = _unscored(r, top.get("unscored", []), context, dimensions)
    gaps = _gaps(r, top.get("gaps", []), context, dimensions)
    start_order = _start_order(r, top.get("start_here"), dimensions)
    comparable = _comparable_with(r, top.get("comparable_with", {}), str(version), dimensions)
    return Instrument(
        str(version),
        levels,
        context,
        dimensions,
        actions,
        gaps,
        start_order,
        comparable,
        unscored,
    )


def _unscored(r: DataReader, raw: Any, context, dimensions) -> tuple[Question, ...]:
    """`unscored:` questions (key, text, options of key and label; help and when optional)."""
    earlier = {q.key: q for q in context} | {q.key: q for d in dimensions for q in d.questions}
    out = []
    for i, item in enumerate(r.seq(raw, "unscored", 0)):
        m = r.mapping(item, f"unscored[{i}]", {"key", "text", "options"}, {"help", "when"})
        key = r.ident(m["key"], f"unscored[{i}].key")
        k = f"unscored.{key}"
        if key in earlier:
            raise r.fail(f"{k}.key", "a question of this key exists already")
        options = []
        for j, o in enumerate(r.seq(m["options"], f"{k}.options", 2)):
            om = r.mapping(o, f"{k}.options[{j}]", {"key", "label"})
            okey = r.ident(om["key"], f"{k}.options[{j}].key")
            options.append(Option(okey, r.text(om["label"], f"{k}.options.{okey}")))
        r.unique([o.key for o in options], f"{k}.options")
        question = Question(
            key,
            r.text(m["text"], f"{k}.text"),
            tuple(options),
            r.text(m["help"], f"{k}.help") if "help" in m else "",
            1,
            _when(r, m["when"], f"{k}.when", earlier) if "when" in m else (),
        )
        earlier[key] = question
        out.append(question)
    return tuple(out)


def _start_order(r: DataReader, raw: Any, dimensions) -> tuple[str, ...]:
    """`start_here:` names every part once: the "Start here" order among equal scores."""
    if raw is None:
        return ()
    keys = [str(k) for k in r.seq(raw, "start_here", len(dimensions), len(dimensions))]
    if sorted(keys) != sorted(d.key for d in dimensions):
        raise r.fail("start_here", "must name every part once")
    return tuple(keys)


@cache
def default_instrument() -> Instrument:
    """The shipped instrument new checks use, loaded once per process."""
    return load_instrument(DEFAULT_PATH)


def _comparable_with(
    r: DataReader, raw: Any, version: str, dimensions: tuple[Dimension, ...]
) -> Mapping[str, tuple[str, ...]]:
    """`comparable_with: {older version: [part keys]}`: the parts of this version whose scores
    mean the same as in the older version's."""
    if not isinstance(raw, dict):
        raise r.fail("comparable_with", f"expected a mapping, found {type(raw).__name__}")
    dim_keys = [d.key for d in dimensions]
    out: dict[str, tuple[str, ...]] = {}
    for old, parts in raw.items():
        k = f"comparable_with.{old}"
        if not str(old).strip() or str(old) == version:
            raise r.fail(k, "expected an older version than this one")
        keys = r.seq(parts, k, 0)
        for part in keys:
            if part not in dim_keys:
                raise r.fail(k, f"unknown part {part!r} (parts: {', '.join(dim_keys)})")
        r.unique(list(keys), k)
        out[str(old)] = tuple(keys)
    return out


@cache
def instrument_for(version: str) -> Instrument:
    """The shipped instrument of a version; KeyError for a version this app does not know."""
    path = INSTRUMENT_FILES[version]
    instrument = default_instrument() if path == DEFAULT_PATH else load_instrument(path)
    if instrument.version != version:
        raise InstrumentError(
            path, "version", f"expected {version!r}, found {instrument.version!r}"
        )
    return instrument


def carry_over(old: Instrument, new: Instrument) -> tuple[str, ...]:
    """The questions (context, scored, unscored) that are the same in both versions: same text,
    help, options, points and condition. A questionnaire in progress moved from `old` to `new`
    keeps their answers; the others are asked again."""
    before = {q.key: q for q in (*old.context, *old.questions, *old.unscored)}
    return tuple(
        q.key for q in (*new.context, *new.questions, *new.unscored) if before.get(q.key) == q
    )


def _levels(r: DataReader, raw: Any) -> tuple[Level, ...]:
    items = r.seq(raw, "levels", len(LEVEL_KEYS), len(LEVEL_KEYS))
    levels: list[Level] = []
    for i, item in enumerate(items):
        k = f"levels[{i}]"
        m = r.mapping(item, k, {"key", "min", "name", "description"})
        if m["key"] != LEVEL_KEYS[i]:
            raise r.fail(f"{k}.key", f"expected {LEVEL_KEYS[i]!r} (levels in order {LEVEL_KEYS})")
        lv_min = r.integer(m["min"], f"{k}.min", 0, 100)
        if i == 0 and lv_min != 0:
            raise r.fail(f"{k}.min", "the first level must start at 0")
        if i and lv_min <= levels[-1].min:
            raise r.fail(f"{k}.min", "level thresholds must rise")
        levels.append(
            Level(
                m["key"],
                lv_min,
                r.text(m["name"], f"{k}.name"),
                r.text(m["description"], f"{k}.description"),
            )
        )
    return tuple(levels)


def _context(r: DataReader, raw: Any) -> tuple[Question, ...]:
    items = r.seq(raw, "context", len(CONTEXT_KEYS), len(CONTEXT_KEYS))
    out = []
    for i, item in enumerate(items):
        k = f"context[{i}]"
        m = r.mapping(item, k, {"key", "text", "options"}, {"help"})
        if m["key"] != CONTEXT_KEYS[i]:
            raise r.fail(
                f"{k}.key", f"expected {CONTEXT_KEYS[i]!r} (context in order {CONTEXT_KEYS})"
            )
        k = f"context.{m['key']}"
        pattern = COUNTRY_RE if m["key"] == "country" else KEY_RE
        options = []
        for j, o in enumerate(r.seq(m["options"], f"{k}.options", 2)):
            om = r.mapping(o, f"{k}.options[{j}]", {"key", "label"})
            okey = r.ident(om["key"], f"{k}.options[{j}].key", pattern)
            options.append(Option(okey, r.text(om["label"], f"{k}.options.{okey}")))
        r.unique([o.key for o in options], f"{k}.options")
        help_text = r.text(m["help"], f"{k}.help") if "help" in m else ""
        out.append(Question(m["key"], r.text(m["text"], f"{k}.text"), tuple(options), help_text))
    return tuple(out)


def _actions(r: DataReader, raw: Any) -> dict[str, Action]:
    out: dict[str, Action] = {}
    for i, item in enumerate(r.seq(raw, "actions")):
        m = r.mapping(
            item, f"actions[{i}]", {"key", "dimension", "horizon", "title", "detail"}, {"tools"}
        )
        key = r.ident(m["key"], f"actions[{i}].key")
        k = f"actions.{key}"
        if key in out:
            raise r.fail(k, "duplicate action key")
        if m["horizon"] not in HORIZONS:
            raise r.fail(
                f"{k}.horizon", f"expected one of {HORIZONS} (days), found {m['horizon']!r}"
            )
        out[key] = Action(
            key,
            r.ident(m["dimension"], f"{k}.dimension"),
            m["horizon"],
            r.text(m["title"], f"{k}.title"),
            r.text(m["detail"], f"{k}.detail"),
            _tool_kinds(r, m.get("tools", []), f"{k}.tools"),
        )
    return out


def _tool_kinds(r: DataReader, raw: Any, k: str) -> tuple[str, ...]:
    kinds = r.seq(raw, k, 0)
    unknown = [x for x in kinds if x not in TOOL_KINDS]
    if unknown:
        raise r.fail(k, f"unknown tool kind {unknown[0]!r} (kinds: {', '.join(TOOL_KINDS)})")
    return tuple(kinds)


def _gaps(r: DataReader, raw: Any, context, dimensions) -> tuple[Gap, ...]:
    questions = {q.key: q for q in context} | {q.key: q for d in dimensions for q in d.questions}
    dim_keys = {d.key for d in dimensions}
    out = []
    for i, item in enumerate(r.seq(raw, "gaps", 0)):
        m = r.mapping(
            item, f"gaps[{i}]", {"key", "dimension", "when", "title", "detail"}, {"tools"}
        )
        k = f"gaps.{r.ident(m['key'], f'gaps[{i}].key')}"
        if m["dimension"] not in dim_keys:
            raise r.fail(f"{k}.dimension", f"unknown dimension {m['dimension']!r}")
        when = r.mapping(m["when"], f"{k}.when", set(), set(questions))
        if len(when) < 2:
            raise r.fail(f"{k}.when", "a gap combines at least two answers")
        conditions = {}
        for qkey, options in when.items():
            options = [str(o) for o in r.seq(options, f"{k}.when.{qkey}")]
            bad = [o for o in options if questions[qkey].option(o) is None]
            if bad:
                raise r.fail(f"{k}.when.{qkey}", f"unknown option {bad[0]!r}")
            conditions[qkey] = tuple(options)
        out.append(
            Gap(
                m["key"],
                m["dimension"],
                conditions,
                r.text(m["title"], f"{k}.title"),
                r.text(m["detail"], f"{k}.detail"),
                _tool_kinds(r, m.get("tools", []), f"{k}.tools"),
            )
        )
    r.unique([g.key for g in out], "gaps")
    return tuple(out)


def _dimensions(
    r: DataReader, raw: Any, actions: dict[str, Action], context: tuple[Question, ...] = ()
) -> tuple[Dimension, ...]:
    # A condition names a context question or a question met earlier (shown before it).
    earlier: dict[str, Question] = {q.key: q for q in context}
    dims = []
    used_actions: set[str] = set()
    question_keys: list[str] = []
    for i, item in enumerate(r.seq(raw, "dimensions", 2)):
        m = r.mapping(
            item, f"dimensions[{i}]", {"key", "name", "summary", "levels", "questions"}, {"weight"}
        )
        dkey = r.ident(m["key"], f"dimensions[{i}].key")
        k = f"dimensions.{dkey}"
        lv = r.mapping(m["levels"], f"{k}.levels", set(LEVEL_KEYS))
        questions = []
        for j, q in enumerate(r.seq(m["questions"], f"{k}.questions", 3, MAX_QUESTIONS)):
            question = _question(r, q, f"{k}.questions[{j}]", dkey, actions, earlier)
            earlier[question.key] = question
            used_actions.update(a for o in question.options for a in o.actions)
            question_keys.append(question.key)
            questions.append(question)
        dims.append(
            Dimension(
                dkey,
                r.text(m["name"], f"{k}.name"),
                r.text(m["summary"], f"{k}.summary"),
                r.integer(m.get("weight", 1), f"{k}.weight", 1, 10),
                {lk: r.text(lv[lk], f"{k}.levels.{lk}") for lk in LEVEL_KEYS},
                tuple(questions),
            )
        )
    r.unique([d.key for d in dims], "dimensions")
    r.unique(question_keys, "dimensions.questions")
    unused = sorted(set(actions) - used_actions)
    if unused:
        raise r.fail(f"actions.{unused[0]}", "action is never used by any option")
    return tuple(dims)


def _when(r: DataReader, raw: Any, k: str, earlier: dict[str, Question]) -> tuple[Condition, ...]:
    """`when: {key: [options]}` or `{key: {not: [options]}}`, on context or earlier questions."""
    m = r.mapping(raw, k, set(), set(earlier))
    if not m:
        raise r.fail(k, "a condition names at least one earlier question")
    out = []
    for qkey, spec in m.items():
        negate = isinstance(spec, dict)
        if negate:
            spec = r.mapping(spec, f"{k}.{qkey}", {"not"})["not"]
        options = [str(o) for o in r.seq(spec, f"{k}.{qkey}")]
        bad = [o for o in options if earlier[qkey].option(o) is None]
        if bad:
            raise r.fail(f"{k}.{qkey}", f"unknown option {bad[0]!r}")
        out.append(Condition(qkey, tuple(options), negate))
    return tuple(out)


def _question(
    r: DataReader,
    raw: Any,
    k: str,
    dkey: str,
    actions: dict[str, Action],
    earlier: dict[str, Question] | None = None,
) -> Question:
    m = r.mapping(raw, k, {"key", "text", "options"}, {"help", "weight", "when"})
    qkey = r.ident(m["key"], f"{k}.key")
    if not qkey.startswith(dkey + "_"):
        raise r.fail(f"{k}.key", f"question keys start with their dimension key: {dkey}_...")
    k = f"dimensions.{dkey}.{qkey}"
    options = []
    for j, o in enumerate(r.seq(m["options"], f"{k}.options", 3, 6)):
        om = r.mapping(
            o,
            f"{k}.options[{j}]",
            {"key", "label", "points"},
            {"actions", "dont_know", "not_applicable"},
        )
        okey = r.ident(om["key"], f"{k}.options[{j}].key")
        ok = f"{k}.options.{okey}"
        acts = r.seq(om.get("actions", []), f"{ok}.actions", 0, 3)
        for a in acts:
            if a not in actions:
                raise r.fail(f"{ok}.actions", f"unknown action {a!r}")
            if actions[a].dimension != dkey:
                raise r.fail(
                    f"{ok}.actions", f"action {a!r} belongs to dimension {actions[a].dimension!r}"
                )
        dont_know = om.get("dont_know", False)
        if not isinstance(dont_know, bool):
            raise r.fail(f"{ok}.dont_know", "expected true or false")
        not_applicable = om.get("not_applicable", False)
        if not isinstance(not_applicable, bool) or (not_applicable and dont_know):
            raise r.fail(f"{ok}.not_applicable", "expected true or false, not with dont_know")
        if not_applicable and om["points"] != 0:
            raise r.fail(f"{ok}.points", "'does not apply' scores nothing: 0")
        options.append(
            Option(
                okey,
                r.text(om["label"], ok),
                r.integer(om["points"], f"{ok}.points", 0, TOP_POINTS),
                dont_know,
                tuple(acts),
                not_applicable,
            )
        )
    r.unique([o.key for o in options], f"{k}.options")
    if sum(o.not_applicable for o in options) > 1:
        raise r.fail(f"{k}.options", "one 'does not apply' option at most")
    scored = [o for o in options if not o.dont_know and not o.not_applicable]
    if len(scored) < 2:
        raise r.fail(f"{k}.options", "needs at least two scored options")
    if any(o.dont_know for o in options[:-1]) or sum(o.dont_know for o in options) > 1:
        raise r.fail(f"{k}.options", "'I don't know' must be one option, the last")
    if options[-1].dont_know and options[-1].points != 0:
        raise r.fail(
            f"{k}.options.{options[-1].key}.points", "'I don't know' scores as the lowest level: 0"
        )
    if [o.points for o in scored] != sorted({o.points for o in scored}):
        raise r.fail(f"{k}.options", "points must rise strictly from the first option to the last")
    if scored[-1].points != TOP_POINTS:
        raise r.fail(f"{k}.options.{scored[-1].key}.points", f"the top option scores {TOP_POINTS}")
    for o in options:
        if o.points < TOP_POINTS and not o.actions:
            raise r.fail(
                f"{k}.options.{o.key}.actions", "every answer below the top needs an action"
            )
        if o.points == TOP_POINTS and o.actions:
            raise r.fail(f"{k}.options.{o.key}.actions", "the top answer needs no action")
    help_text = r.text(m["help"], f"{k}.help") if "help" in m else ""
    when = _when(r, m["when"], f"{k}.when", earlier or {}) if "when" in m else ()
    return Question(
        qkey,
        r.text(m["text"], f"{k}.text"),
        tuple(options),
        help_text,
        r.integer(m.get("weight", 1), f"{k}.weight", 1, 10),
        when,
    )
