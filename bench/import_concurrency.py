"""An import shares the database: phones post through the API while `lmcself import` loads a
100,000-line bundle into the same central database.

The real server (`lmcself serve`, 2 workers) on a fresh database; a bundle of 100,000 random
submissions made with `write_bundle`; then `lmcself import` in its own process while 4 threads
post new submissions through `POST /api/v1/submissions`, each as fast as answers come back (a 503
is sent again after its Retry-After, as the phone's outbox does). Printed: the posts' answers
(other than 201), the longest wait for one answer, the import's duration, and the rows at the
end (every post and every bundle line once).
Aim (issue 13): 0 errors (503s that succeed when sent again are allowed), the longest wait a
moment, not the import's length.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import start_server, submission  # bench/common.py also puts the project on sys.path

from lmcself.central.bundle import write_bundle
from lmcself.core.instrument import default_instrument
from lmcself.storage import devices
from lmcself.storage.db import connect, migrate

LINES = int(os.environ.get("IMPORT_LINES", 100_000))
POSTERS = 4


def bundle_lines(instrument, n: int):
    rnd = random.Random(13)
    for i in range(n):
        yield submission(
            instrument,
            str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
            rnd.choice(["en", "km", "lo", "my", "th", "vi", "zh"]),
            {q.key: rnd.choice(q.options).key for q in instrument.context},
            {q.key: rnd.choice(q.options).key for q in instrument.questions},
            None,
            date(2025, 11, 1) + timedelta(days=i % 365),
        ).to_line()


def poster(url: str, instrument, stop: threading.Event, out: dict) -> None:
    rnd = random.Random()
    while not stop.is_set():
        body = json.dumps(
            {
                "id": str(uuid.uuid4()),
                "instrument_version": instrument.version,
                "locale": "km",
                "context": {q.key: rnd.choice(q.options).key for q in instrument.context},
                "answers": {q.key: rnd.choice(q.options).key for q in instrument.questions},
            }
        ).encode()
        while True:
            request = urllib.request.Request(
                url + "/api/v1/submissions",
                data=body,
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    status, retry = response.status, None
            except urllib.error.HTTPError as exc:
                status, retry = exc.code, exc.headers.get("Retry-After")
            except OSError:
                status, retry = 0, None
            waited = time.perf_counter() - start
            with out["lock"]:
                out["statuses"][status] += 1
                out["longest"] = max(out["longest"], waited)
                out["waits"].append(waited)
            if status == 503 and retry:
                time.sleep(float(retry))
                continue  # the same body again, as the outbox sends it
            if status in (200, 201):
                with out["lock"]:
                    out["stored"] += 1
            break


def main() -> None:
    instrument = default_instrument()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "central.db"
        central = connect(str(db_path))
        migrate(central)
        token = devices.add(central, "laptop-1")  # the bundle is signed with its token
        bundle = Path(tmp) / "laptop.lmcself"
        print(f"making a bundle of {LINES:,} submissions ...", flush=True)
        write_bundle(
            bundle, bundle_lines(instrument, LINES), instrument, key=devices.signing_key(token)
        )
        env = {
            **os.environ,
            "LMCSELF_DATABASE": str(db_path),
            "LMCSELF_SECRET_KEY": "bench",
            "LMCSELF_SUBMIT_BURST": "1000000",  # all posts come from one address here
        }
        os.environ.update({k: v for k, v in env.items() if k.startswith("LMCSELF_")})
        server, url = start_server(db_path)
        try:
            out = {"lock": threading.Lock(), "statuses": Counter(), "longest": 0.0, "waits": []}
            out["stored"] = 0
            stop = threading.Event()
            threads = [
                threading.Thread(target=poster, args=(url, instrument, stop, out))
                for _ in range(POSTERS)
            ]
            for thread in threads:
                thread.start()
            time.sleep(2)  # posts before the import, for comparison
            with out["lock"]:
                before = max(out["waits"] or [0.0])
                out["longest"], out["waits"] = 0.0, []
            lmcself = str(Path(sys.executable).parent / "lmcself")
            start = time.perf_counter()
            result = subprocess.run(
                [lmcself, "import", str(bundle)], env=env, capture_output=True, text=True
            )
            import_s = time.perf_counter() - start
            stop.set()
            for thread in threads:
                thread.join()
        finally:
            server.terminate()
            server.wait()
        db = connect(str(db_path))
        rows = db.execute("SELECT count(*), count(DISTINCT id) FROM submissions").fetchone()
        waits = sorted(out["waits"])
        p99 = waits[int(len(waits) * 0.99)] if waits else 0.0
        others = {s: n for s, n in out["statuses"].items() if s != 201}
        print(f"\nImport while phones post: {LINES:,}-line bundle, {POSTERS} posting threads")
        print(f"  import           {import_s:6.1f} s   exit {result.returncode}")
        if result.returncode:
            print("  " + result.stderr.strip().replace("\n", "\n  "))
        print(f"  posts during it  {len(waits):6,}     answers other than 201: {others or 'none'}")
        errors = sum(n for s, n in out["statuses"].items() if s not in (200, 201, 503))
        print(f"  API errors       {errors:6,}     (503s sent again after Retry-After not counted)")
        print(f"  longest wait     {out['longest'] * 1000:6.0f} ms   p99 {p99 * 1000:.0f} ms")
        print(f"  (longest before the import {before * 1000:.0f} ms)")
        print(
            f"  rows at the end  {rows[0]:,} ({rows[1]:,} distinct; "
            f"{LINES:,} lines + {out['stored']:,} posts stored)"
        )


if __name__ == "__main__":
    main()
