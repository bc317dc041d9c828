"""Opening the database in Datasette (program staff exploring the data on their own computer).

`lmcself datasette-metadata` writes the metadata for `datasette <db> --metadata <file>`: what each
table and column holds, and permissions that keep the account tables (password and token
hashes, sign-in failures) closed and arbitrary SQL off, since SQL would read any table.
"""

from __future__ import annotations

from pathlib import Path

from lmcself.storage.db import FACT_SLOTS

CLOSED = ("users", "login_attempts", "devices", "pushed", "_migrations")
TABLES = {
    "facts": (
        "One row per submission: its groups and scores, for counting and averaging",
        {
            "month": "Month of the submission (YYYY-MM)",
            "overall": "Overall score, 0-100",
            "level": "Overall level",
            "workshop": "Workshop code; empty: not through a workshop",
            **{
                f"s{i}": f"Score of the questionnaire's part {i + 1}, 0-100"
                for i in range(FACT_SLOTS)
            },
        },
    ),
    "submissions": (
        "Every stored assessment: what was answered and its scores. Record-level data: publish "
        "only through `lmcself export`, which keeps every group at k or more",
        {
            "answers": "The answers as JSON (question key: option key)",
            "scores": "The scores as JSON, per part",
            "reentry": "The owner's re-entry code: never publish",
            "content_hash": "SHA-256 of the content, to tell a repeat from a conflict",
        },
    ),
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
        "description": "Anonymous self-assessments of small businesses. Groups under k "
        "submissions must not be published; the staff dashboard, report and exports apply it.",
        "databases": {database.stem: {"allow_sql": False, "tables": tables}},
    }
