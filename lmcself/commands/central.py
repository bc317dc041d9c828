"""Central collection from the command line: bundle files out and in, devices, and push."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from lmcself.central.answers_file import AnswersFileError, is_bundle_path, read_answers_path
from lmcself.central.bundle import (
    DEFAULT_MAX_BYTES,
    PARALLEL_FROM,
    BundleError,
    check_bundle,
    checked_rows,
    exported_lines,
    import_rows,
    import_submissions,
    write_bundle,
)
from lmcself.central.push import PushError, http_sender, pending_lines, push
from lmcself.core.submissions import normalize_workshop
from lmcself.storage import devices, submissions
from lmcself.storage.db import get_db, init_db
from lmcself.storage.workshops import definitions


@click.command("export-bundle")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--workshop", help="Only the submissions of this workshop code.")
@click.option(
    "--token",
    envvar="LMCSELF_PUSH_TOKEN",
    required=True,
    help="This laptop's token from `lmcself add-device` on the central server: signs the file.",
)
@with_appcontext
def export_bundle_command(out: Path, workshop: str | None, token: str) -> None:
    """Write the stored submissions (or one workshop's) to a bundle file for `lmcself import`,
    signed with this laptop's device token."""
    db = get_db()
    code = normalize_workshop(workshop) if workshop else None
    if workshop and code is None:
        raise click.BadParameter(f"{workshop!r} is not a workshop code", param_hint="--workshop")
    total = submissions.count(db, code)
    if total == 0:
        raise click.ClickException("no submissions to export; nothing written")
    with click.progressbar(length=total, label=f"writing {out.name}") as bar:

        def lines() -> Iterator[dict]:
            for line in exported_lines(db, code):
                bar.update(1)
                yield line

        named = submissions.workshops_named(db, code)
        count = write_bundle(
            out,
            lines(),
            current_app.extensions["instrument"],
            definitions(db, named),
            devices.signing_key(token.strip()),
        )
    click.echo(f"{count} submissions written to {out} ({out.stat().st_size / 1024:.0f} KB)")


@click.command("import")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@with_appcontext
def import_command(files: tuple[Path, ...]) -> None:
    """Import bundle files (`lmcself export-bundle`) and owners' answers files (downloaded on
    the phone); importing one twice changes nothing."""
    instrument = current_app.extensions["instrument"]
    max_bytes = current_app.config.get("MAX_BUNDLE_BYTES", DEFAULT_MAX_BYTES)
    init_db()  # a new central server's database is made on the first import
    db = get_db()
    conflicts = []
    for path in files:
        try:
            if is_bundle_path(path):
                keys = devices.signing_keys(db)
                count, workshops = check_bundle(path, instrument, max_bytes, keys=keys)
                with click.progressbar(length=count, label=f"importing {path.name}") as bar:
                    workers = (os.cpu_count() or 1) if count >= PARALLEL_FROM else 1
                    rows = checked_rows(path, instrument, max_bytes, workers)
                    report = import_rows(db, rows, bar.update, workshops)
            else:
                report = import_submissions(db, [read_answers_path(path, instrument)])
        except (BundleError, AnswersFileError) as exc:
            raise click.ClickException(f"{path}: {exc}; nothing imported from it") from exc
        click.echo(
            f"{path}: {report.created} new, {report.existing} already here, "
            f"{len(report.conflicts)} conflicts"
        )
        for code in report.workshop_conflicts:
            click.echo(
                f"{path}: workshop {code} is stored here with another name, country or date; "
                "the stored one is kept",
                err=True,
            )
        conflicts += report.conflicts
    if conflicts:
        shown = ", ".join(conflicts[:10]) + (" ..." if len(conflicts) > 10 else "")
        raise click.ClickException(
            f"{len(conflicts)} submissions are stored here with other answers and were not "
            f"overwritten: {shown}"
        )


@click.command("add-device")
@click.argument("name")
@with_appcontext
def add_device_command(name: str) -> None:
    """Allow a laptop to push here: print its token (shown once; keep it on that laptop)."""
    init_db()
    db = get_db()
    if devices.exists(db, name):
        raise click.ClickException(f"a device named {name!r} exists already")
    token = devices.add(db, name)
    click.echo(f"Token for {name} (shown only now):\n{token}")
    click.echo(f"On that laptop: lmcself push --to <this server's address> --token {token}")
    click.echo(f"or, for a bundle file: lmcself export-bundle FILE --token {token}")


@click.command("push")
@click.option("--to", "url", required=True, help="The central server's address (https://...).")
@click.option(
    "--token", envvar="LMCSELF_PUSH_TOKEN", required=True, help="From `lmcself add-device` there."
)
@with_appcontext
def push_command(url: str, token: str) -> None:
    """Send the submissions the central server has not confirmed yet (safe to run again)."""
    init_db()
    db = get_db()
    target = url.rstrip("/")
    total = len(pending_lines(db, target))
    if total == 0:
        click.echo(f"nothing to send: {target} has confirmed every submission")
        return
    try:
        with click.progressbar(length=total, label=f"pushing to {target}") as bar:
            report = push(db, target, http_sender(target, token), progress=bar.update)
    except PushError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{report.sent} submissions confirmed by {target}")
    if report.conflicts:
        raise click.ClickException(
            f"{len(report.conflicts)} are stored there with other answers and were not "
            f"overwritten: {', '.join(report.conflicts[:10])}"
        )
