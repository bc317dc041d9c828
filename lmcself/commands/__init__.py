"""The `lmcself` command: Flask's CLI with this app's commands. Commands live here, apart from
the logic they call, one module per concern."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from lmcself import create_app
from lmcself.commands.central import (
    add_device_command,
    export_bundle_command,
    import_command,
    push_command,
)
from lmcself.commands.database import (
    backup_command,
    datasette_metadata_command,
    init_db_command,
    restore_command,
)
from lmcself.commands.maintenance import build_fonts_command, check_catalog_command
from lmcself.commands.plans import pdf_command
from lmcself.commands.serve import serve_command
from lmcself.commands.staff import (
    add_user_command,
    end_sessions_command,
    export_command,
    set_password_command,
)

COMMANDS = (
    init_db_command,
    serve_command,
    build_fonts_command,
    check_catalog_command,
    pdf_command,
    export_bundle_command,
    import_command,
    add_device_command,
    push_command,
    export_command,
    add_user_command,
    set_password_command,
    end_sessions_command,
    datasette_metadata_command,
    backup_command,
    restore_command,
)


@click.group(cls=FlaskGroup, create_app=create_app)
def main() -> None:
    """lmcself: digital-readiness self-assessment for MSMEs."""


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
