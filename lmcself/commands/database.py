"""The database from the command line: create or migrate it, and open it in Datasette."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from lmcself.storage.datasette import metadata
from lmcself.storage.db import init_db


@click.command("init-db")
def init_db_command() -> None:
    """Create the database or bring it up to date (safe to run again)."""
    applied = init_db()
    for name in applied:
        click.echo(f"applied migration {name}")
    click.echo(
        f"database ready: {current_app.config['DATABASE']} ({len(applied)} migrations applied)"
    )


@click.command("datasette-metadata")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default="datasette-metadata.json",
    show_default=True,
)
@with_appcontext
def datasette_metadata_command(out: Path) -> None:
    """Write the metadata to open the database in Datasette, account tables closed."""
    init_db()
    database = Path(current_app.config["DATABASE"])
    out.write_text(json.dumps(metadata(database), indent=1), encoding="utf-8")
    click.echo(f"datasette {database} --metadata {out}")
