"""Repeated anonymous submissions from one client are slowed, in memory only.

A token bucket per client: SUBMIT_BURST posts at once, then one every 1 / SUBMIT_RATE seconds;
past that, 429 with Retry-After (the phone's outbox keeps the result and sends it again later,
so nothing is lost). A client is its address as this process sees it, kept only as a keyed hash
in this process's memory (the key is made at start and never written down): no address is
stored, logged or kept across a restart. Each server process counts for itself.

Many phones behind one address (a workshop's hotspot reaching a central server through one
NAT, or a reverse proxy in front of this one) share one bucket: a room of 100 finishing within
a few minutes is slowed, not refused; its results arrive a little later. On a trainer's laptop
each phone has its own address on the hotspot's network.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Callable
from typing import ParamSpec

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue

SUBMIT_RATE = 0.5  # posts a second, sustained, per client (config SUBMIT_RATE)
SUBMIT_BURST = 30  # posts at once per client (config SUBMIT_BURST)
MAX_CLIENTS = 10_000  # buckets kept; the fullest (idle) ones are forgotten first


class TokenBucket:
    """Per-client buckets of one process. `take` answers 0 (go on) or the seconds to wait."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._key = secrets.token_bytes(32)  # never leaves this process's memory
        self._buckets: dict[bytes, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def client(self, address: str) -> bytes:
        return hmac.new(self._key, address.encode(), hashlib.sha256).digest()

    def take(self, address: str, rate: float, burst: int) -> float:
        now = self._clock()
        name = self.client(address)
        with self._lock:
            tokens, at = self._buckets.get(name, (float(burst), now))
            tokens = min(float(burst), tokens + (now - at) * rate)
            if tokens < 1:
                self._buckets[name] = (tokens, now)
                return (1 - tokens) / rate
            self._buckets[name] = (tokens - 1, now)
            if len(self._buckets) > MAX_CLIENTS:
                self._forget(rate, burst, now)
            return 0.0

    def _forget(self, rate: float, burst: int, now: float) -> None:
        """Drop buckets that have refilled (their clients are idle): nothing is lost by it."""
        for name, (tokens, at) in list(self._buckets.items()):
            if tokens + (now - at) * rate >= burst:
                del self._buckets[name]


P = ParamSpec("P")


def too_fast() -> float:
    """0 when this request's client may post a submission now, else the seconds to wait (and
    this post counts against its bucket either way)."""
    rate = float(current_app.config.get("SUBMIT_RATE", SUBMIT_RATE))
    burst = int(current_app.config.get("SUBMIT_BURST", SUBMIT_BURST))
    buckets = current_app.extensions.setdefault("submit_buckets", TokenBucket())
    return buckets.take(request.remote_addr or "", rate, burst)


def slowed(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Answer 429 (JSON) to a client posting faster than SUBMIT_RATE after SUBMIT_BURST posts."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        wait = too_fast()
        if wait:
            body = {"error": "too many submissions from this address; try again later"}
            return jsonify(body), 429, {"Retry-After": str(math.ceil(wait))}
        return view(*args, **kwargs)

    return wrapper
