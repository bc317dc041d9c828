"""The database from the command line: create or migrate it, and open it in Datasette."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from lmcself.storage.backup import BackupError, backup, restore
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


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(out: Path) -> None:
    """Copy the database to FILE while the server runs (a consistent copy, readable only by you)."""
    database = Path(current_app.config["DATABASE"])
    try:
        count = backup(database, out)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{out}: backup of {database} with {count} submissions")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Check a backup FILE and put it in place of the database (the old one is kept as .bak);
    refused while `lmcself serve` runs on the database."""
    database = Path(current_app.config["DATABASE"])
    if not yes:
        click.confirm(f"Replace {database} with {source}?", abort=True)
    try:
        count = restore(source, database)
    except BackupError as exc:
        raise click.ClickException(f"{exc}; nothing changed") from exc
    kept = f" (the one replaced is {database}.bak)" if Path(f"{database}.bak").exists() else ""
    click.echo(f"{database}: restored from {source}, {count} submissions{kept}")
