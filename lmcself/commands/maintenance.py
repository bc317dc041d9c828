"""A maintainer's commands: the catalog's yearly check and the font subsets."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app

from lmcself.core.catalog import CHECK_EVERY_DAYS
from lmcself.web.fonts import build_fonts


@click.command("check-catalog")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Check as of this date (default: today).",
)
def check_catalog_command(today) -> None:
    """List the catalog's tools last checked more than 12 months ago (exit 1 if any)."""
    catalog = current_app.extensions["catalog"]
    as_of = today.date() if today else date.today()
    due = catalog.due_for_check(as_of)
    for tool in due:
        age = (as_of - tool.last_checked).days
        click.echo(
            f"{tool.country}  {tool.name:<32} last checked {tool.last_checked} ({age} days)  {tool.source}"
        )
    click.echo(
        f"{len(due)} of {len(catalog.tools)} tools due for a check (older than {CHECK_EVERY_DAYS} days on {as_of})"
    )
    if due:
        raise SystemExit(1)


@click.command("build-fonts")
def build_fonts_command() -> None:
    """Make the font subsets in static/fonts/ from Debian's Noto fonts: WOFF2 for the pages, and
    the Chinese face for PDFs."""
    for path, size in build_fonts():
        click.echo(f"{path.name}: {size / 1024:.1f} KiB")
