"""What every response carries and which hosts are believed.

- Security headers on every response: a Content-Security-Policy without 'unsafe-inline' (the few
  inline blocks the templates write are allowed by their SHA-256 hash, recorded as they are
  rendered with `csp_inline`, never by scanning the response), frame-ancestors 'none', nosniff,
  no referrer to other sites, and a Permissions-Policy that turns off what the app never uses.
- Trusted hosts: by default the machine's own addresses and names (read again every half minute,
  so a hotspot switched on later is trusted too), localhost and PUBLIC_URL's host; a request for
  any other Host gets 400, so links, QR codes and re-entry URLs never carry a forged host.
- The session cookie is Secure whenever the request came over HTTPS (also behind a proxy when
  PROXY_FIX_HOPS says how many proxies to believe).
"""

from __future__ import annotations

import base64
import hashlib
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import psutil
from flask import Flask, Response, current_app, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "serial",
        "midi",
        "magnetometer",
        "gyroscope",
        "accelerometer",
        "display-capture",
        "interest-cohort",
    )
)


def csp_inline(kind: str, text: str) -> Markup:
    """Write an inline <script> or <style> body from a template and allow exactly it."""
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    g.setdefault("csp_hashes", {"script": set(), "style": set()})[kind].add(f"'sha256-{digest}'")
    return Markup(text)


def content_security_policy() -> str:
    hashes = g.get("csp_hashes", {"script": set(), "style": set()})
    script = " ".join(["'self'", *sorted(hashes["script"])])
    style = " ".join(["'self'", *sorted(hashes["style"])])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {script}",
            f"style-src {style}",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for old browsers
    # Never to other sites; kept within the site, where Flask-WTF's HTTPS check needs it.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


class MachineHosts:
    """The names and addresses this machine answers to, read again every 30 seconds, with the
    configured extras (PUBLIC_URL's host, TRUSTED_HOSTS_EXTRA)."""

    EVERY = 30.0

    def __init__(self, extra: list[str]) -> None:
        self.extra = [h.lower() for h in extra if h]
        self._hosts: list[str] = []
        self._read_at = 0.0

    def _read(self) -> list[str]:
        hosts = {"localhost", "127.0.0.1", "::1", "[::1]"}
        name = socket.gethostname().lower()
        hosts |= {name, f"{name}.local"}
        for addresses in psutil.net_if_addrs().values():
            for addr in addresses:
                if addr.family == socket.AF_INET:
                    hosts.add(addr.address)
                elif addr.family == socket.AF_INET6:
                    bare = addr.address.split("%")[0]
                    hosts |= {bare, f"[{bare}]"}
        return sorted(hosts | set(self.extra))

    def __iter__(self) -> Iterator[str]:
        now = time.monotonic()
        if now - self._read_at > self.EVERY:
            self._hosts, self._read_at = self._read(), now
        return iter(self._hosts)

    def __len__(self) -> int:
        return len(list(iter(self)))

    def __contains__(self, host: object) -> bool:
        return host in list(iter(self))


def trust_host(app: Flask, host: str) -> None:
    """Believe one more Host (an address given on the command line)."""
    trusted = app.config.get("TRUSTED_HOSTS")
    if isinstance(trusted, MachineHosts):
        trusted.extra.append(host.lower())
        trusted._read_at = 0.0
    elif trusted is not None and host not in trusted:
        app.config["TRUSTED_HOSTS"] = [*trusted, host]


def public_base() -> str:
    """The address printed in links and QR codes: PUBLIC_URL, else the (trusted) request host."""
    return (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request itself came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(super().get_cookie_secure(app) or (has_request_context() and request.is_secure))


def init_app(app: Flask) -> None:
    if app.config.get("TRUSTED_HOSTS") is None:
        public = urlsplit(app.config.get("PUBLIC_URL") or "").hostname
        app.config["TRUSTED_HOSTS"] = MachineHosts(
            [public or "", *app.config.get("TRUSTED_HOSTS_EXTRA", [])]
        )
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops:
        # Only when configured: otherwise anyone could claim HTTPS or another host in a header.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=0, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.session_interface = SessionInterface()
    app.jinja_env.globals["csp_inline"] = csp_inline
    app.after_request(add_headers)
