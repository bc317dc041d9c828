"""What makes the app installable and able to reload offline: the service worker and manifest."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext

from lmcself.web.i18n import LOCALES
from lmcself.web.scripts import joined_script

bp = Blueprint("pwa", __name__)
STATIC = Path(__file__).resolve().parents[2] / "static"


@cache
def asset_version(filename: str) -> str:
    """A short hash of a static file, put in its URL so a new release is a new URL for every cache."""
    return hashlib.sha256((STATIC / filename).read_bytes()).hexdigest()[:10]


def asset_url(filename: str) -> str:
    return url_for("static", filename=filename, v=asset_version(filename))


@cache
def release() -> str:
    """One version for the whole shell: every static file and the instrument."""
    digest = hashlib.sha256()
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        digest.update(path.read_bytes())
    digest.update(current_app.extensions["instrument"].version.encode())
    return digest.hexdigest()[:12]


# The phone's scripts: ES modules; js/main.js imports the others by relative addresses. Served
# under the release (/static/r/<release>/...), so those addresses change with every release and
# can be cached for a year; each is preloaded by the page and kept by the service worker.
MODULES = (
    "js/main.js",
    "js/store.js",
    "js/sync.js",
    "js/fill.js",
    "js/questionnaire.js",
    "js/result.js",
    "js/plan-view.js",
    "js/since-view.js",
    "scoring.js",
    "plan.js",
    "progress.js",
)


def module_url(filename: str) -> str:
    return url_for("pwa.module", release_id=release(), filename=filename)


@bp.get("/static/r/<release_id>/<path:filename>")
def module(release_id: str, filename: str) -> Response:
    """A script of this release; an old release's address gets today's file, not kept long."""
    current = release_id == release()
    return send_from_directory(STATIC, filename, max_age=365 * 24 * 3600 if current else 0)


def script_url() -> str:
    """The phone's script: the joined modules (scripts.py), or with JS_MODULES the entry module."""
    if current_app.config.get("JS_MODULES"):
        return module_url("js/main.js")
    return url_for("pwa.joined", digest=joined_script().digest)


@bp.get("/static/app-<digest>.js")
def joined(digest: str) -> Response:
    """The joined modules, compressed once; an old address gets today's script, not kept long."""
    made = joined_script()
    accepted = request.accept_encodings
    if made.brotli is not None and accepted["br"]:
        body, encoding = made.brotli, "br"
    elif accepted["gzip"]:
        body, encoding = made.gzip, "gzip"
    else:
        body, encoding = made.text, None
    response = Response(body, mimetype="text/javascript")
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    response.cache_control.public = True
    response.cache_control.max_age = 365 * 24 * 3600 if digest == made.digest else 0
    if digest == made.digest:
        response.cache_control.immutable = True
    response.set_etag(f"{made.digest}-{encoding or 'identity'}")
    response.make_conditional(request)
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    """Served from the root, so that its scope covers the whole app."""
    text = (STATIC / "sw.js").read_text(encoding="utf-8").replace("__VERSION__", release())
    response = Response(text, mimetype="text/javascript")
    response.cache_control.no_cache = True  # browsers must look for a new version every time
    response.set_etag(release())
    return response


@bp.get("/<lang>/manifest.webmanifest")
def manifest(lang: str):
    if lang not in LOCALES:
        return Response(status=404)
    g.lang = lang
    body = {
        "name": gettext("Digital readiness check"),
        "short_name": gettext("Digital check"),
        "lang": LOCALES[lang].replace("_", "-"),
        "start_url": f"/{lang}/app",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5d4b",
        "icons": [
            {
                "src": asset_url(f"icons/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any",
            }
            for size in (192, 512)
        ]
        + [
            {
                "src": asset_url("icons/maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            }
        ],
    }
    return current_app.response_class(
        json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json"
    )


def init_app(app: Flask) -> None:
    app.config.setdefault("JS_MODULES", False)
    app.jinja_env.globals.update(
        asset_url=asset_url, module_url=module_url, script_url=script_url, MODULES=MODULES
    )
    app.register_blueprint(bp)
