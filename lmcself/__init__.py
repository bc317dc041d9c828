"""lmcself: a digital-readiness self-assessment for MSMEs, offline-first, in seven languages."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, render_template
from flask_compress import Compress
from flask_wtf.csrf import CSRFError, CSRFProtect

from lmcself.core.catalog import DEFAULT_PATH as CATALOG_PATH
from lmcself.core.catalog import load_catalog
from lmcself.core.instrument import DEFAULT_PATH, default_instrument, load_instrument
from lmcself.storage import db
from lmcself.web import i18n, pdf_jobs, security

ROOT = Path(__file__).resolve().parent.parent
csrf = CSRFProtect()
compress = Compress()


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: defaults, then instance/config.py and LMCSELF_* variables, or test_config."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(
        SECRET_KEY=None,
        DATABASE=os.path.join(app.instance_path, "lmcself.db"),
        INSTRUMENT_PATH=None,
        CATALOG_PATH=None,
        # The address printed on plans (re-entry QR code); by default the one the request came to.
        PUBLIC_URL=None,
        # Public figures (peers, room view) from this many submissions, then in steps of
        # MIN_GROUP_SIZE; anonymous posts per client: a burst, then a rate (web/ratelimit.py).
        PUBLIC_MIN_GROUP=10,
        SUBMIT_BURST=30,
        SUBMIT_RATE=0.5,
        # An owner may pause for hours between pages; the token is tied to the session anyway.
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        # A staff sign-in lasts this long (staff/accounts.py); owners' sessions are not affected.
        STAFF_SESSION_HOURS=8,
        # Hosts believed in the Host header; None: this machine's addresses and PUBLIC_URL's host
        # (web/security.py). TRUSTED_HOSTS_EXTRA adds names to that default.
        TRUSTED_HOSTS=None,
        TRUSTED_HOSTS_EXTRA=[],
        # Behind a reverse proxy: how many proxies' X-Forwarded-Proto/-Host to believe (0: none).
        PROXY_FIX_HOPS=0,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=256 * 1024,
        # Phones on 3G: compress every text response; static URLs carry a version, cache them long.
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_MIMETYPES=[
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/json",
            "application/manifest+json",
            "image/svg+xml",
        ],
        COMPRESS_MIN_SIZE=300,
        SEND_FILE_MAX_AGE_DEFAULT=365 * 24 * 3600,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("LMCSELF")
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))

    path = app.config["INSTRUMENT_PATH"]
    app.extensions["instrument"] = (
        default_instrument() if path in (None, DEFAULT_PATH) else load_instrument(path)
    )

    # The catalog is checked at start-up too: a broken file stops the app with a clear message.
    app.extensions["catalog"] = load_catalog(
        app.config["CATALOG_PATH"] or CATALOG_PATH, instrument=app.extensions["instrument"]
    )

    db.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    compress.init_app(app)
    security.init_app(app)
    pdf_jobs.init_app(app)

    from lmcself import commands as cli
    from lmcself.staff import imports  # noqa: F401  (its page joins the staff blueprint)
    from lmcself.staff import views as staff
    from lmcself.web import api, assessment, plan_views, pwa

    app.register_blueprint(assessment.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(plan_views.bp)
    app.register_blueprint(staff.bp)
    csrf.exempt(api.bp)
    pwa.init_app(app)
    cli.init_app(app)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_template("error.html", title_key="expired"), 400

    @app.errorhandler(403)
    def forbidden(error):
        return render_template("error.html", title_key="forbidden"), 403

    @app.errorhandler(404)
    def not_found(error):
        return render_template("error.html", title_key="not_found"), 404

    @app.errorhandler(409)
    def conflict(error):
        return render_template("error.html", title_key="conflict"), 409

    @app.errorhandler(413)
    def too_large(error):
        return render_template("error.html", title_key="too_large"), 413

    @app.errorhandler(500)
    def server_error(error):
        return render_template("error.html", title_key="server"), 500

    @app.errorhandler(503)
    def busy(error):
        """The database stayed busy (a big import): the answers are kept, try again."""
        headers = [(k, v) for k, v in error.get_headers() if k == "Retry-After"]
        return render_template("error.html", title_key="server"), 503, headers

    return app


def _instance_secret(instance: Path) -> str:
    """A secret key kept in the instance folder, so sessions survive a restart of the laptop."""
    key_file = instance / "secret_key"
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return key_file.read_text().strip()
