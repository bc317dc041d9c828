"""The staff page that imports files: the answers files owners download on their phones (when
their result could not be sent) and bundles from other laptops. Trainers and staff may use it;
each file is imported whole or not at all, and importing one twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import gettext

from lmcself.central.answers_file import AnswersFileError, import_file
from lmcself.central.bundle import BundleError
from lmcself.staff.accounts import login_required
from lmcself.staff.views import bp
from lmcself.storage.db import get_db
from lmcself.web.forms import ImportForm


@dataclass(frozen=True)
class FileOutcome:
    name: str
    created: int = 0
    existing: int = 0
    conflicts: int = 0
    error: str = ""


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_files():
    form = ImportForm()
    outcomes: list[FileOutcome] = []
    status = 200
    if form.validate_on_submit():
        instrument = current_app.extensions["instrument"]
        for upload in form.files.data:
            name = upload.filename or gettext("file")
            try:
                report = import_file(get_db(), name, upload.read(), instrument)
            except (AnswersFileError, BundleError) as exc:
                outcomes.append(FileOutcome(name, error=str(exc)))
                status = 422
                continue
            outcomes.append(
                FileOutcome(name, report.created, report.existing, len(report.conflicts))
            )
    elif form.errors:
        status = 400
    return render_template("staff_import.html", form=form, outcomes=outcomes), status
