"""Central collection: importing 100,000 submissions from a bundle file.

A laptop's database is filled with 100,000 random submissions (seven languages, 200 workshops,
dates over a year), exported with `write_bundle`, then imported into an empty central database
the way `lmcself import` does it: the whole-file check (checksum), then every submission checked
and scored again (in one process per core) and stored in one transaction. Then the same file
again (all already there).
Then the staff dashboard's queries over the 100,000 (median of 7 runs each, the differencing
check included), and the situation report's figures (median of 3).
Aim (issue 6): import >= 5,000 submissions/s; dashboard under 200 ms.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import submission  # bench/common.py also puts the project on sys.path

from lmcself.central.bundle import (
    check_bundle,
    checked_rows,
    exported_lines,
    import_rows,
    import_submissions,
    write_bundle,
)
from lmcself.core.instrument import default_instrument
from lmcself.staff.report import Period, situation_report
from lmcself.storage.db import connect, migrate
from lmcself.storage.devices import add as add_device
from lmcself.storage.devices import signing_key, signing_keys
from lmcself.storage.figures import dashboard, gives_away
from lmcself.storage.workshops import definitions
from lmcself.web.i18n import LOCALES

SUBMISSIONS = 100_000
WORKSHOPS = [
    {"code": f"WS-{i:03d}", "name": f"Workshop {i}", "country": "KH", "held_on": "2025-11-01"}
    for i in range(200)
]


def fill(db, instrument, n: int) -> None:
    rnd = random.Random(6)
    locales = list(LOCALES)

    def records():
        for i in range(n):
            yield submission(
                instrument,
                str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                rnd.choice(locales),
                {q.key: rnd.choice(q.options).key for q in instrument.context},
                {q.key: rnd.choice(q.options).key for q in instrument.questions},
                f"WS-{i % 200:03d}",
                date(2025, 11, 1) + timedelta(days=i % 365),
            )

    import_submissions(db, records(), workshops=WORKSHOPS)


def timed(label: str, fn):
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    return value, seconds


def main() -> None:
    instrument = default_instrument()
    with tempfile.TemporaryDirectory() as tmp:
        laptop, central = connect(f"{tmp}/laptop.db"), connect(f"{tmp}/central.db")
        migrate(laptop)
        migrate(central)
        fill(laptop, instrument, SUBMISSIONS)
        token = add_device(central, "laptop-1")
        bundle = Path(tmp) / "laptop.lmcself"
        _, export_s = timed(
            "export",
            lambda: write_bundle(
                bundle,
                exported_lines(laptop),
                instrument,
                definitions(laptop, (w["code"] for w in WORKSHOPS)),
                signing_key(token),
            ),
        )

        def load():
            _, workshops = check_bundle(bundle, instrument, keys=signing_keys(central))
            rows = checked_rows(bundle, instrument, workers=os.cpu_count() or 1)
            return import_rows(central, rows, workshops=workshops)

        report, import_s = timed("import", load)
        again, again_s = timed("again", load)
        stored = central.execute("SELECT count(*) FROM submissions").fetchone()[0]
        print(
            f"\nCentral collection: {SUBMISSIONS:,} submissions in one bundle (aim: import >= 5,000/s)"
        )
        print(
            f"  export           {export_s:6.1f} s   bundle {bundle.stat().st_size / 1024 / 1024:.1f} MB"
        )
        print(
            f"  import, new      {import_s:6.1f} s   {SUBMISSIONS / import_s:,.0f} submissions/s"
            f"   ({report.created:,} new)"
        )
        print(
            f"  import again     {again_s:6.1f} s   {SUBMISSIONS / again_s:,.0f} submissions/s"
            f"   ({again.existing:,} already there, {stored:,} rows)"
        )
        dashboard_times(central, instrument)
        report_times(central, instrument)


def dashboard_times(db, instrument) -> None:
    cases = [
        ("all, by country", "country", {}),
        ("all, by month", "month", {}),
        ("Cambodia, by sector", "sector", {"country": "KH"}),
        ("women-led, by size", "size", {"women_led": "yes"}),
        ("one workshop, by sector", "sector", {"workshop": "WS-007"}),
    ]
    print("  dashboard (aim < 200 ms):")
    for label, by, filters in cases:
        times = []
        for _ in range(7):
            start = time.perf_counter()
            dashboard(db, instrument, by, 5, filters)
            gives_away(db, instrument, 5, filters)  # the page's differencing check
            times.append(time.perf_counter() - start)
        print(f"    {label:<26} {statistics.median(times) * 1000:6.1f} ms")


def report_times(db, instrument) -> None:
    """The situation report's figures (HTML page; the PDF adds its layout, see bench/pdf.py)."""
    print("  situation report figures:")
    for label, period, country in [
        ("all, three months", Period("2026-08", "2026-10"), None),
        ("all, twelve months", Period("2025-11", "2026-10"), None),
        ("Cambodia, three months", Period("2026-08", "2026-10"), "KH"),
    ]:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            situation_report(db, instrument, period, 5, country)
            times.append(time.perf_counter() - start)
        print(f"    {label:<26} {statistics.median(times) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
