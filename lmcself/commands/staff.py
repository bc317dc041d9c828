"""Staff from the command line: accounts, and anonymized exports."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app, g
from flask.cli import with_appcontext

from lmcself.staff.accounts import ROLES, add_user, end_sessions, set_password
from lmcself.staff.export import FORMATS, KINDS, build_export
from lmcself.storage.db import get_db, init_db
from lmcself.storage.figures import GROUPS
from lmcself.web.i18n import LOCALES


@click.command("add-user")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="trainer", show_default=True)
@click.password_option(help="Asked for when not given (typed twice, not shown).")
@with_appcontext
def add_user_command(name: str, role: str, password: str) -> None:
    """Create a staff account (trainer or staff) that can sign in to the staff pages."""
    init_db()
    db = get_db()
    if db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
        raise click.ClickException(f"a user named {name!r} exists already")
    try:
        add_user(db, name, password, role)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{role} {name} can now sign in at /<lang>/staff/")


@click.command("set-password")
@click.argument("name")
@click.password_option(help="Asked for when not given (typed twice, not shown).")
@with_appcontext
def set_password_command(name: str, password: str) -> None:
    """Give a staff account a new password; every session of that account ends."""
    init_db()
    try:
        set_password(get_db(), name, password)
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc).strip("'\"")) from exc
    click.echo(f"new password set for {name}; every session of {name} has ended")


@click.command("end-sessions")
@click.argument("name")
@with_appcontext
def end_sessions_command(name: str) -> None:
    """Sign a staff account out everywhere (a lost laptop, a copied cookie)."""
    init_db()
    try:
        end_sessions(get_db(), name)
    except LookupError as exc:
        raise click.ClickException(str(exc).strip("'\"")) from exc
    click.echo(f"every session of {name} has ended")


@click.command("export")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option(
    "--by",
    type=click.Choice(GROUPS),
    default="country",
    show_default=True,
    help="The grouping of an aggregate export.",
)
@click.option(
    "--lang",
    type=click.Choice(list(LOCALES)),
    default="en",
    show_default=True,
    help="Language of the codebook's labels.",
)
@with_appcontext
def export_command(kind: str, out: Path, fmt: str, by: str, lang: str) -> None:
    """Write anonymized records, aggregates or the codebook (CSV in UTF-8 with BOM, or JSON)."""
    init_db()
    with current_app.test_request_context(f"/{lang}/"):
        g.lang = lang
        data, note = build_export(kind, fmt, by)
    out.write_bytes(data)
    click.echo(f"{out}: {note}")
