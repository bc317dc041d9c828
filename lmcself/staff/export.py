"""Exports for program staff: anonymized records, aggregates, and a codebook for each column.

Record level: no id, no re-entry code, the month instead of the date. The quasi-identifiers are
generalized one after the other (the finest first: workshop, region, ...) until at most
MAX_SUPPRESSED of the rows sit in a combination seen fewer than k times; those rows are left out.
Then, column by column, rows get their true value back where k or more of their combination
share it (local recoding), so a common group keeps its detail. No combination of
quasi-identifiers in the file appears fewer than k times.
Aggregates: aggregate.summarize per group, with its small-group suppression.
CSV files are UTF-8 with a byte-order mark, so Excel shows Khmer, Lao, Burmese and Chinese.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext

from lmcself.core.instrument import CONTEXT_KEYS, Instrument
from lmcself.core.suppress import DEFAULT_K, suppressed
from lmcself.storage.aggregate import GROUPINGS, stored_records, summarize
from lmcself.storage.db import get_db

# Generalized in this order (the finest and least needed first); "*" means "any".
QUASI_IDENTIFIERS = (
    "workshop",
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
KINDS = ("records", "aggregate", "codebook")
FORMATS = ("csv", "json")
MAX_SUPPRESSED = 0.05  # share of rows that may be left out instead of generalizing further


@dataclass(frozen=True)
class RecordExport:
    columns: tuple[str, ...]
    rows: list[dict]
    generalized: tuple[str, ...]
    left_out: int


def record_columns(instrument: Instrument) -> tuple[str, ...]:
    return (
        *QUASI_IDENTIFIERS,
        "month",
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
    return RecordExport(record_columns(instrument), kept, tuple(generalized), len(rows) - len(kept))


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
    row.update(
        workshop=record.get("workshop") or "",
        locale=record["locale"],
        month=record["created_on"][:7],
        instrument_version=record["instrument_version"],
        overall=record["overall"],
        level=record["level"],
    )
    for dim in scores["dimensions"]:
        row[f"score_{dim['key']}"] = dim["score"]
    for q in instrument.questions:
        row[f"answer_{q.key}"] = answers[q.key]
    return row


def aggregate_rows(
    records: Iterable[Mapping], instrument: Instrument, by: str, k: int = DEFAULT_K
) -> list[dict]:
    """One row per value of `by` (a column of GROUPINGS): size, averages and level counts,
    None where fewer than k submissions stand behind a figure; groups under k left out."""
    if by not in GROUPINGS:
        raise ValueError(f"cannot group by {by!r}; one of {', '.join(GROUPINGS)}")
    groups: dict[str, list] = {}
    for record in records:
        value = record["created_on"][:7] if by == "month" else (record.get(by) or "")
        groups.setdefault(value, []).append(record)
    out = []
    for value, members in sorted(groups.items()):
        summary = summarize(members, instrument, k)
        if summary.n is None:
            continue
        row = {by: value, "submissions": summary.n, "overall_mean": summary.overall}
        row.update({f"score_{key}_mean": v for key, v in summary.dimensions.items()})
        row.update({f"level_{key}": v for key, v in summary.levels.items()})
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
        {"column": "month", "meaning": "Month of the submission (YYYY-MM)", "codes": ""},
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
            "them appears at least k times",
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
        rows, columns = codebook(instrument, gettext), ["column", "meaning", "codes"]
        note = f"{len(rows)} columns described"
    elif kind == "records":
        result = anonymized_records(stored_records(get_db()), instrument, k)
        rows, columns = result.rows, result.columns
        note = (
            f"{len(rows)} records; generalized: {', '.join(result.generalized) or 'nothing'}; "
            f"left out: {result.left_out} (in combinations seen fewer than {k} times)"
        )
    elif kind == "aggregate":
        rows = aggregate_rows(stored_records(get_db()), instrument, by, k)
        columns = list(rows[0]) if rows else [by, "submissions"]
        note = f"{len(rows)} groups by {by} (groups of fewer than {k} left out)"
    else:
        raise ValueError(f"no export of kind {kind!r}")
    if fmt == "csv":
        return to_csv(rows, columns), note
    return json.dumps(rows, ensure_ascii=False, indent=1).encode(), note
