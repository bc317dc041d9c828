"""What the benchmarks share: the real server (`lmcself serve`) on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    db: Path, workers: int = 2, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "LMCSELF_DATABASE": str(db), "LMCSELF_SECRET_KEY": "bench"}
    env.update(extra_env or {})
    lmcself = str(Path(sys.executable).parent / "lmcself")
    cmd = [lmcself, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/api/v1/instrument.json", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def submission(instrument, submission_id, locale, context, answers, workshop=None, day=None):
    """A checked, scored Submission made as a bundle line is (the benches' synthetic data)."""
    from datetime import date

    from lmcself.core.submissions import Submission

    line = {
        "id": submission_id,
        "instrument_version": instrument.version,
        "locale": locale,
        "context": context,
        "answers": answers,
        "workshop": workshop,
        "created_on": (day or date.today()).isoformat(),
    }
    return Submission.from_line(instrument, line, date.max)


def owner_answers(instrument, rnd):
    """The answers of one synthetic owner of a random maturity: each answer near that share of
    the way up its question's options (the benches' realistic spread of scores and levels)."""
    maturity = rnd.random()
    answers = {}
    for q in instrument.questions:
        options = sorted(q.options, key=lambda o: o.points)
        place = round(maturity * (len(options) - 1) + rnd.gauss(0, 0.7))
        answers[q.key] = options[min(len(options) - 1, max(0, place))].key
    return answers
