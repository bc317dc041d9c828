"""`lmcself pdf`: action plans of stored submissions as PDF files, for a trainer to hand out.

Each plan is in the language its owner used, named by its re-entry code (which identifies no one),
and carries a QR code to the address given by --base-url (or PUBLIC_URL).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import current_app, g
from flask.cli import with_appcontext

from lmcself.core.locales import LOCALES
from lmcself.core.submissions import normalize_workshop
from lmcself.storage import submissions
from lmcself.storage.db import get_db
from lmcself.web.plan_views import plan_pdf
from lmcself.web.security import trust_host


@click.command("pdf")
@click.argument("submission_ids", nargs=-1)
@click.option("--workshop", help="Every submission of this workshop code.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="plans",
    show_default=True,
    help="Folder for the PDF files (made if missing).",
)
@click.option(
    "--base-url",
    help="Address printed in the plans' QR codes (default: PUBLIC_URL, or http://localhost:8000).",
)
@click.option("--lang", type=click.Choice(list(LOCALES)), help="One language for every plan.")
@with_appcontext
def pdf_command(submission_ids, workshop, out_dir: Path, base_url, lang) -> None:
    """Render the action plans of stored submissions (by id, or a whole --workshop) as PDFs."""
    db = get_db()
    records = []
    for submission_id in submission_ids:
        record = submissions.get(db, submission_id)
        if record is None:
            raise click.ClickException(f"no submission with id {submission_id!r}; nothing written")
        records.append(record)
    if workshop:
        of_workshop = list(submissions.all_of(db, normalize_workshop(workshop) or workshop))
        if not of_workshop:
            raise click.ClickException(f"no submissions with workshop code {workshop!r}")
        records += of_workshop
    if not records:
        raise click.UsageError("give submission ids or --workshop CODE")
    base = (base_url or current_app.config.get("PUBLIC_URL") or "http://localhost:8000").rstrip("/")
    trust_host(current_app, urlsplit(base).hostname or "")  # given by the operator, not a request
    out_dir.mkdir(parents=True, exist_ok=True)
    with click.progressbar(records, label="Rendering plans", show_pos=True) as bar:
        for record in bar:
            code = lang or record.locale
            path = out_dir / f"plan-{record.reentry}.pdf"
            with current_app.test_request_context(f"/{code}/", base_url=base):
                g.lang = code
                data = plan_pdf(record)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(path)  # a finished file or none: an interrupted run leaves no half PDF
    click.echo(f"{len(records)} plans written to {out_dir}")
