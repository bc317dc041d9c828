"""The production WSGI server (gunicorn) and the addresses a phone on the same network can open."""

from __future__ import annotations

import ipaddress
import re
import socket

import psutil
from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from lmcself.web.pdf_jobs import warm_plan_templates

# IPv4, and IPv6 with three colons or more or a "::" (a time of day such as 16:00:22 is left).
ADDRESS_RE = re.compile(
    r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])"
    r"|(?<![\w:])(?:[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){3,7}"
    r"|[0-9A-Fa-f]{0,4}::[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4})?)(?![\w:])"
)


class PrivateLogger(Logger):
    """gunicorn's error log without client addresses ("Invalid request from ip=..."): the
    README promises that no IP address is kept."""

    @staticmethod
    def _scrub(msg: object, args: tuple) -> str:
        text = str(msg) % args if args else str(msg)
        return ADDRESS_RE.sub("[address]", text)

    def critical(self, msg: object, *args: object, **kwargs: object) -> None:
        super().critical(self._scrub(msg, args), **kwargs)

    def error(self, msg: object, *args: object, **kwargs: object) -> None:
        super().error(self._scrub(msg, args), **kwargs)

    def warning(self, msg: object, *args: object, **kwargs: object) -> None:
        super().warning(self._scrub(msg, args), **kwargs)

    def info(self, msg: object, *args: object, **kwargs: object) -> None:
        super().info(self._scrub(msg, args), **kwargs)

    def debug(self, msg: object, *args: object, **kwargs: object) -> None:
        super().debug(self._scrub(msg, args), **kwargs)

    def exception(self, msg: object, *args: object, **kwargs: object) -> None:
        super().exception(self._scrub(msg, args), **kwargs)

    def log(self, lvl: int, msg: object, *args: object, **kwargs: object) -> None:
        super().log(lvl, self._scrub(msg, args), **kwargs)


def lan_urls(port: int, host: str = "0.0.0.0", scheme: str = "http") -> list[str]:
    """Every URL the server answers on: this machine's IPv4 addresses, loopback last."""
    if host not in ("0.0.0.0", ""):
        return [f"{scheme}://{host}:{port}/"]
    found: list[ipaddress.IPv4Address] = []
    for addresses in psutil.net_if_addrs().values():
        for addr in addresses:
            if addr.family == socket.AF_INET:
                found.append(ipaddress.IPv4Address(addr.address))
    found = sorted(set(found), key=lambda a: (a.is_loopback, a.is_link_local, str(a)))
    return [f"{scheme}://{a}:{port}/" for a in found]


class Server(BaseApplication):
    """gunicorn with threaded workers, run from Python so that `lmcself serve` is all it takes."""

    def __init__(self, app: Flask, options: dict) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def start_pdf_pool(worker: object) -> None:
    """In each server process once it is ready: start (and warm) its PDF renderers, so that the
    first PDF does not wait seconds for them, and compile the plan's templates (web/pdf_jobs.py)."""
    app = getattr(worker, "wsgi", None)
    if isinstance(app, Flask) and "pdf_jobs" in app.extensions:
        app.extensions["pdf_jobs"].start()
        warm_plan_templates(app)


def stop_pdf_pool(_arbiter: object, worker: object) -> None:
    """When a server process stops: its PDF renderers stop with it, at once."""
    app = getattr(worker, "wsgi", None)
    if isinstance(app, Flask) and "pdf_jobs" in app.extensions:
        app.extensions["pdf_jobs"].shutdown()


def server_options(
    host: str,
    port: int,
    workers: int,
    threads: int,
    cert: str | None = None,
    key: str | None = None,
) -> dict:
    """gunicorn's settings for lmcself: threaded workers, no access log, TLS when given."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        # No access log: it would hold the participants' IP addresses.
        "accesslog": None,
        "errorlog": "-",
        "logger_class": "lmcself.commands.server.PrivateLogger",
        "loglevel": "warning",
        "keepalive": 5,
        "timeout": 60,
        "post_worker_init": start_pdf_pool,
        "worker_exit": stop_pdf_pool,
    }
    if cert and key:
        options.update(certfile=cert, keyfile=key)
    return options
