"""Exports for program staff: anonymized records, aggregates, and a codebook for each column.

Record level: no id, no re-entry code, the quarter instead of the date. The quasi-identifiers
(the quarter included) are generalized one after the other (the finest first: workshop,
quarter, region, ...) until at most MAX_SUPPRESSED of the rows sit in a combination seen fewer
than k times; those rows are left out. Then, column by column, rows get their true value back
where k or more of their combination share it (local recoding), so a common group keeps its
detail. No combination of quasi-identifiers in the file appears fewer than k times (k-anonymity).
Then attribute disclosure (distinct l-diversity, l = L_DIVERSITY): where every member of a
combination gives the same answer to a question, membership alone would tell it, so that answer
is suppressed ("*") in those rows, and with it the part's score and the overall score that
would give it back. The export states the k and l it achieved.
Aggregates: the one engine's groups (storage/figures.py) through the cell key method.
CSV files are UTF-8 with a byte-order mark, so Excel shows Khmer, Lao, Burmese and Chinese.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlite_utils
from flask import current_app
from flask_babel import gettext

from lmcself.core.instrument import CONTEXT_KEYS, Instrument
from lmcself.core.suppress import DEFAULT_K, suppressed
from lmcself.storage.db import get_db
from lmcself.storage.figures import GROUPS, dashboard, stored_records

# Generalized in this order (the finest and least needed first); "*" means "any".
QUASI_IDENTIFIERS = (
    "workshop",
    "quarter",
    "region",
    "years",
    "cross_border",
    "locale",
    "size",
    "sector",
    "women_led",
    "country",
)
ANY = "*"
NOT_ASKED = ""  # an answer cell of a question not asked (2.0: its condition did not hold)
KINDS = ("records", "aggregate", "codebook")
FORMATS = ("csv", "json")
MAX_SUPPRESSED = 0.05  # share of rows that may be left out instead of generalizing further
L_DIVERSITY = 2  # distinct answers to each question within every combination (or suppressed)


@dataclass(frozen=True)
class RecordExport:
    columns: tuple[str, ...]
    rows: list[dict]
    generalized: tuple[str, ...]
    left_out: int
    k: int  # the smallest combination of quasi-identifiers in the file (0: no rows)
    l_diversity: (
        int  # the fewest distinct answers to a question shown in a combination (0: no rows)
    )
    answers_suppressed: int  # answers replaced by "*" for l-diversity


def record_columns(instrument: Instrument) -> tuple[str, ...]:
    return (
        *QUASI_IDENTIFIERS,
        "instrument_version",
        "overall",
        "level",
        *(f"score_{d.key}" for d in instrument.dimensions),
        *(f"answer_{q.key}" for q in instrument.questions),
    )


def anonymized_records(
    records: Iterable[Mapping], instrument: Instrument, k: int = DEFAULT_K
) -> RecordExport:
    """The records as export rows in which every quasi-identifier combination appears >= k times."""
    rows = [_row(r, instrument) for r in records]
    originals = {id(row): {c: row[c] for c in QUASI_IDENTIFIERS} for row in rows}
    generalized: list[str] = []
    for column in (None, *QUASI_IDENTIFIERS):
        if column is not None:
            generalized.append(column)
            for row in rows:
                row[column] = ANY
        sizes = Counter(_combination(row) for row in rows)
        small = [row for row in rows if sizes[_combination(row)] < k]
        if len(small) <= MAX_SUPPRESSED * len(rows):
            break
    kept = [row for row in rows if sizes[_combination(row)] >= k]
    for column in reversed(generalized):
        _restore(kept, column, originals, k)
    suppressed_answers = _diversify(kept, instrument)
    classes = Counter(_combination(row) for row in kept)
    return RecordExport(
        record_columns(instrument),
        kept,
        tuple(generalized),
        len(rows) - len(kept),
        min(classes.values(), default=0),
        achieved_l(kept, instrument),
        suppressed_answers,
    )


def _classes(rows: list[dict]) -> dict[tuple, list[dict]]:
    classes: dict[tuple, list[dict]] = {}
    for row in rows:
        classes.setdefault(_combination(row), []).append(row)
    return classes


def _diversify(rows: list[dict], instrument: Instrument) -> int:
    """Distinct l-diversity: in a combination whose members all give one answer to a question,
    that answer is suppressed, and with it what would give it back (the part's score, the
    overall score). Returns how many answers were suppressed."""
    count = 0
    for members in _classes(rows).values():
        for dim in instrument.dimensions:
            for q in dim.questions:
                column = f"answer_{q.key}"
                given = {row[column] for row in members} - {NOT_ASKED}
                if given and len(given) < L_DIVERSITY:
                    for row in members:
                        row[column] = ANY
                        row[f"score_{dim.key}"] = ANY
                        row["overall"] = ANY
                    count += len(members)
    return count


def achieved_l(rows: list[dict], instrument: Instrument) -> int:
    """The fewest distinct answers to one question within one combination, "*" not counted;
    a question suppressed in a combination does not count against it."""
    fewest = [
        len(shown)
        for members in _classes(rows).values()
        for q in instrument.questions
        if (shown := {row[f"answer_{q.key}"] for row in members} - {ANY, NOT_ASKED})
    ]
    return min(fewest, default=0)


def _restore(rows: list[dict], column: str, originals: dict, k: int) -> None:
    """Local recoding: give back a generalized column's true value to the rows of each
    combination whose value is shared by at least k of them. The rest keep "*", and as in
    suppress.py they are at least k together (or none), so every combination stays >= k."""
    classes: dict[tuple, list[dict]] = {}
    for row in rows:
        classes.setdefault(_combination(row), []).append(row)
    for members in classes.values():
        by_value: dict = {}
        for row in members:
            by_value.setdefault(originals[id(row)][column], []).append(row)
        shown = suppressed({value: len(group) for value, group in by_value.items()}, k)
        for value, n in shown.items():
            if n is not None:
                for row in by_value[value]:
                    row[column] = value


def _combination(row: Mapping) -> tuple:
    return tuple(row[c] for c in QUASI_IDENTIFIERS)


def _row(record: Mapping, instrument: Instrument) -> dict:
    answers = record["answers"]
    answers = json.loads(answers) if isinstance(answers, str) else answers
    scores = record["scores"]
    scores = json.loads(scores) if isinstance(scores, str) else scores
    row = {key: record[key] for key in CONTEXT_KEYS}
    year, month = record["created_on"][:4], int(record["created_on"][5:7])
    row.update(
        workshop=record.get("workshop") or "",
        locale=record["locale"],
        quarter=f"{year}-Q{(month - 1) // 3 + 1}",
        instrument_version=record["instrument_version"],
        overall=record["overall"],
        level=record["level"],
    )
    for dim in scores["dimensions"]:
        row[f"score_{dim['key']}"] = dim["score"]
    for q in instrument.questions:  # empty: not asked (its condition did not hold)
        row[f"answer_{q.key}"] = answers.get(q.key, NOT_ASKED)
    return row


def aggregate_rows(
    db: sqlite_utils.Database, instrument: Instrument, by: str, k: int = DEFAULT_K
) -> list[dict]:
    """One row per value of `by` (a column of GROUPS): size, averages and level counts, through
    the cell key method (core/disclosure.py), None where fewer than k submissions stand behind a
    figure; groups under k left out (and more, where the total would give one away)."""
    if by not in GROUPS:
        raise ValueError(f"cannot group by {by!r}; one of {', '.join(GROUPS)}")
    out = []
    for group in dashboard(db, instrument, by, k, protect=True).groups:
        row: dict = {
            by: group.value,
            "instrument_version": instrument.version,  # the figures count this version only
            "submissions": group.n,
            "overall_mean": group.overall,
        }
        row.update({f"score_{key}_mean": v for key, v in group.dimensions.items()})
        row.update({f"level_{key}": v for key, v in group.levels.items()})
        out.append(row)
    return out


def to_csv(rows: list[dict], columns: Iterable[str]) -> bytes:
    """CSV in UTF-8 with a byte-order mark (Excel reads it as UTF-8); empty cells for None."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def codebook(instrument: Instrument, label=lambda text: text) -> list[dict]:
    """Each record-level column: what it holds and its codes with labels (label() translates)."""
    entries = []
    for key in QUASI_IDENTIFIERS:
        if key in CONTEXT_KEYS:
            question = instrument.context_question(key)
            codes = "; ".join(f"{o.key} = {label(o.label)}" for o in question.options)
            entries.append({"column": key, "meaning": label(question.text), "codes": codes})
    entries += [
        {
            "column": "workshop",
            "meaning": "Workshop code (empty: not through a workshop)",
            "codes": "",
        },
        {"column": "locale", "meaning": "Language the questionnaire was answered in", "codes": ""},
        {"column": "quarter", "meaning": "Quarter of the submission (YYYY-Qn)", "codes": ""},
        {"column": "instrument_version", "meaning": "Questionnaire version", "codes": ""},
        {"column": "overall", "meaning": "Overall score, 0-100", "codes": ""},
        {
            "column": "level",
            "meaning": "Overall level",
            "codes": "; ".join(f"{lv.key} = {label(lv.name)}" for lv in instrument.levels),
        },
    ]
    for d in instrument.dimensions:
        entries.append(
            {"column": f"score_{d.key}", "meaning": label(d.name) + ", 0-100", "codes": ""}
        )
    for q in instrument.questions:
        codes = "; ".join(f"{o.key} = {label(o.label)}" for o in q.options)
        entries.append({"column": f"answer_{q.key}", "meaning": label(q.text), "codes": codes})
    entries.append(
        {
            "column": ANY,
            "meaning": "In a quasi-identifier column: generalized, so that every combination of "
            "them appears at least k times. In an answer column: suppressed, because every "
            "record of its combination gave the same answer (and then the part's score and the "
            "overall score are suppressed too)",
            "codes": "",
        }
    )
    return entries


def build_export(kind: str, fmt: str, by: str = "country") -> tuple[bytes, str]:
    """An export file's bytes and a line saying what is in it, from the app's database; the
    codebook's labels in the request's language. For `lmcself export` and the staff pages."""
    instrument = current_app.extensions["instrument"]
    k = current_app.config.get("MIN_GROUP_SIZE", DEFAULT_K)
    if kind == "codebook":
        columns: Sequence[str]
        rows, columns = codebook(instrument, gettext), ("column", "meaning", "codes")
        note = f"{len(rows)} columns described"
    elif kind == "records":
        result = anonymized_records(stored_records(get_db()), instrument, k)
        rows, columns = result.rows, result.columns
        note = (
            f"{len(rows)} records; achieved k = {result.k}, l = {result.l_diversity} "
            f"(asked k = {k}, l = {L_DIVERSITY}); generalized: "
            f"{', '.join(result.generalized) or 'nothing'}; left out: {result.left_out} "
            f"(in combinations seen fewer than {k} times); answers suppressed: "
            f"{result.answers_suppressed} (every record of their combination gave the same)"
        )
    elif kind == "aggregate":
        rows = aggregate_rows(get_db(), instrument, by, k)
        columns = list(rows[0]) if rows else [by, "submissions"]
        note = (
            f"{len(rows)} groups by {by} (groups of fewer than {k} left out; counts and "
            "averages perturbed by the cell key method)"
        )
    else:
        raise ValueError(f"no export of kind {kind!r}")
    if fmt == "csv":
        return to_csv(rows, columns), note
    return json.dumps(rows, ensure_ascii=False, indent=1).encode(), note
