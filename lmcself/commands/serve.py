"""`lmcself serve`: the app on a production server, with the addresses and QR code phones need."""

from __future__ import annotations

import io
import os
from pathlib import Path
from urllib.parse import urlsplit

import click
import segno
from flask import Flask, current_app
from flask.cli import with_appcontext

from lmcself.commands.server import Server, lan_urls, server_options
from lmcself.core.submissions import normalize_workshop
from lmcself.storage.backup import BackupError, serving
from lmcself.storage.db import init_db
from lmcself.web.security import trust_host


def join_qr(url: str) -> str:
    """The link as a QR code drawn with block characters, for a projected terminal."""
    buffer = io.StringIO()
    segno.make(url, error="m", micro=False).terminal(out=buffer, compact=True, border=2)
    return buffer.getvalue()


def default_workers() -> int:
    return min((os.cpu_count() or 1) + 1, 4)


@click.command("serve")
@click.option(
    "--host", default="0.0.0.0", show_default=True, help="Address to listen on (0.0.0.0: all)."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=default_workers,
    show_default="cores + 1, at most 4",
    type=click.IntRange(1, 64),
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Threads per worker.",
)
@click.option(
    "--cert", type=click.Path(exists=True, dir_okay=False), help="TLS certificate (PEM) for HTTPS."
)
@click.option(
    "--key", type=click.Path(exists=True, dir_okay=False), help="TLS private key (PEM) for HTTPS."
)
@click.option(
    "--workshop", help="A workshop code: print its join link and a QR code to scan from the screen."
)
@click.option(
    "--public-url",
    help="The address phones open when it is a name (https://check.example.org): printed in "
    "links and QR codes, and trusted as a Host (default: PUBLIC_URL, or this machine's addresses).",
)
@with_appcontext
def serve_command(
    host: str,
    port: int,
    workers: int,
    threads: int,
    cert: str | None,
    key: str | None,
    workshop: str | None,
    public_url: str | None,
) -> None:
    """Serve the app with a production server and print the addresses phones can open."""
    if bool(cert) != bool(key):
        raise click.UsageError("--cert and --key go together")
    code = normalize_workshop(workshop) if workshop else None
    if workshop and code is None:
        raise click.BadParameter(f"{workshop!r} is not a workshop code", param_hint="--workshop")
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    # Staff sessions: over HTTPS the cookie is never sent in clear.
    app.config["SESSION_COOKIE_SECURE"] = bool(cert)
    if public_url:
        if not urlsplit(public_url).hostname or urlsplit(public_url).scheme not in (
            "http",
            "https",
        ):
            raise click.BadParameter(
                f"{public_url!r} is not an http(s) address", param_hint="--public-url"
            )
        app.config["PUBLIC_URL"] = public_url.rstrip("/")
        trust_host(app, urlsplit(public_url).hostname or "")
    for name in init_db():
        click.echo(f"applied migration {name}")
    scheme = "https" if cert else "http"
    click.echo(f"lmcself is serving the assessment ({workers} workers x {threads} threads). Open:")
    for url in lan_urls(port, host, scheme):
        click.echo(f"  {url}")
    click.echo(f"Trainers sign in at {lan_urls(port, host, scheme)[0]}en/staff/")
    urls = lan_urls(port, host, scheme)
    join = f"{urls[0]}?w={code}" if code else urls[0]
    click.echo(f"Participants scan this to {'join ' + code if code else 'start'} ({join}):")
    click.echo(join_qr(join))
    click.echo("Press Ctrl+C to stop.")
    try:
        with serving(
            Path(app.config["DATABASE"])
        ):  # `lmcself restore` waits for the server to stop
            Server(app, server_options(host, port, workers, threads, cert, key)).run()
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
