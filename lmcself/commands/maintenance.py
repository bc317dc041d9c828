"""A maintainer's commands: the catalog's yearly check and the font subsets."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask import current_app

from lmcself.core.catalog import (
    CHECK_EVERY_DAYS,
    MAX_SOURCE_AGE_YEARS,
    TRANSLATIONS_DIR,
    translated_texts,
)
from lmcself.web.fonts import build_fonts


@click.command("check-catalog")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Check as of this date (default: today).",
)
@click.option(
    "--max-age",
    type=click.IntRange(0),
    default=MAX_SOURCE_AGE_YEARS,
    show_default=True,
    help="List sources older than this many years.",
)
def check_catalog_command(today: datetime | None, max_age: int) -> None:
    """The catalog's yearly review list: tools, obligations and risks with a source older than
    --max-age years, confidence below high, a recheck mark, or no check for 12 months; and any
    do-not-recommend service named in the translations. Exit 1 if anything is listed that is not
    marked as pending on purpose (`recheck:` in catalog.yaml)."""
    catalog = current_app.extensions["catalog"]
    as_of = today.date() if today else date.today()
    items = catalog.review(as_of, max_age)
    for item in items:
        mark = "pending" if item.pending else "DUE"
        click.echo(f"{mark:<8}{item.where}  {item.name}")
        click.echo(f"        {'; '.join(item.reasons)}")
        if item.pending:
            click.echo(f"        {' '.join(item.pending.split())}")
    banned = catalog.banned_mentions(translated_texts(TRANSLATIONS_DIR))
    for where, name, reason in banned:
        click.echo(f"BANNED  {where} names {name!r} ({reason})")
    due = [i for i in items if not i.pending]
    entries = len(catalog.tools) + len(catalog.obligations) + len(catalog.risks)
    click.echo(
        f"{len(items)} of {entries} entries to review on {as_of} (sources older than {max_age} "
        f"years, checked over {CHECK_EVERY_DAYS} days ago, confidence below high, or marked): "
        f"{len(items) - len(due)} pending on purpose, {len(due)} due; "
        f"{len(banned)} banned names in translations"
    )
    if due or banned:
        raise SystemExit(1)


@click.command("build-fonts")
def build_fonts_command() -> None:
    """Make the font subsets in static/fonts/ from Debian's Noto fonts: WOFF2 for the pages, and
    the Chinese face for PDFs."""
    for path, size in build_fonts():
        click.echo(f"{path.name}: {size / 1024:.1f} KiB")
