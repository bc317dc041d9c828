"""Opening the database in Datasette (program staff exploring the data on their own computer).

`lmcself datasette-metadata` writes the metadata for `datasette <db> --metadata <file>`: what each
table and column holds, and permissions that keep the account tables (password and token
hashes, sign-in failures) closed and arbitrary SQL off, since SQL would read any table.
Datasette publishes nothing record-level: `submissions` (answers, exact dates, re-entry codes)
and `facts` (groupings, month and scores of each submission) are closed too, as are their exact
sums (`fact_sums`, down to groups of one) and the releases of public figures; what leaves for
others goes through `lmcself export` and the situation report (docs/privacy.md). Only the
workshops table is open.
"""

from __future__ import annotations

from pathlib import Path

CLOSED = (
    "users",
    "login_attempts",
    "devices",
    "pushed",
    "_migrations",
    # Record-level: one row per submission (docs/privacy.md).
    "submissions",
    "facts",
    "releases",
    # The facts' exact sums, down to groups of one (db.py: fact_sums).
    "fact_sums",
    "fact_sum_sets",
    "fact_sums_state",
)
TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "workshops": ("Workshops: code, name, country and date", {}),
}


def metadata(database: Path) -> dict:
    """Datasette metadata for this database file (Datasette names a database by its stem)."""
    tables: dict[str, dict[str, object]] = {
        name: {"description": text, "columns": columns} for name, (text, columns) in TABLES.items()
    }
    tables.update({name: {"allow": False, "hidden": True} for name in CLOSED})
    return {
        "title": "lmcself: digital-readiness self-assessments",
        "description": "Anonymous self-assessments of small businesses. The record-level tables "
        "are closed: the situation report and `lmcself export` publish protected figures and "
        "anonymized records.",
        "databases": {database.stem: {"allow_sql": False, "tables": tables}},
    }
