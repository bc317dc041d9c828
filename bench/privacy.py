"""What the protection costs: the error the cell key method (core/disclosure.py) adds to counts
and averages, on groups of 5, 20, 100 and 1,000 submissions among 100,000.

100,000 random submissions are stored with `import_submissions` (as a bundle import does), in
workshops of exactly 5, 20, 100 and 1,000 participants (400, 100, 50 and 20 of each) and one
workshop for the rest; then the aggregate export's figures by workshop, protected, against the
exact ones: mean and largest absolute change of a group's count, of its average overall score
and of its part averages. Then the time of the protected and the exact dashboard.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import owner_answers, submission  # bench/common.py also puts the project on sys.path

from lmcself.central.bundle import import_submissions
from lmcself.core.disclosure import mean_bound
from lmcself.core.instrument import default_instrument
from lmcself.storage.db import connect, migrate
from lmcself.storage.figures import dashboard

SUBMISSIONS = 100_000
SIZES = {5: 400, 20: 100, 100: 50, 1000: 20}  # group size: how many such workshops


def workshops() -> list[tuple[str, int]]:
    out = [(f"S{size}-{i:03d}", size) for size, count in SIZES.items() for i in range(count)]
    used = sum(size for _, size in out)
    return [*out, ("REST", SUBMISSIONS - used)]


def fill(db, instrument) -> None:
    rnd = random.Random(12)
    codes = workshops()
    definitions = [
        {"code": code, "name": code, "country": "KH", "held_on": "2026-01-01"} for code, _ in codes
    ]

    def records():
        i = 0
        for code, size in codes:
            for _ in range(size):
                answers = owner_answers(instrument, rnd)
                yield submission(
                    instrument,
                    str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                    "en",
                    {q.key: rnd.choice(q.options).key for q in instrument.context},
                    answers,
                    code,
                    date(2026, 1, 1) + timedelta(days=i % 300),
                )
                i += 1

    import_submissions(db, records(), workshops=definitions)


def main() -> None:
    instrument = default_instrument()
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(f"{tmp}/privacy.db")
        migrate(db)
        start = time.perf_counter()
        fill(db, instrument)
        print(
            f"\nProtection's cost: {SUBMISSIONS:,} submissions stored in "
            f"{time.perf_counter() - start:.0f} s"
        )
        exact = {g.value: g for g in dashboard(db, instrument, "workshop", 5).groups}
        shown = {g.value: g for g in dashboard(db, instrument, "workshop", 5, protect=True).groups}
        print(
            f"  {'group of':>9} {'groups':>7} {'count: mean':>12} {'max':>4}"
            f" {'average: mean':>14} {'max':>5} {'parts: mean':>12} {'max':>5} {'bound':>6}"
        )
        for size, count in SIZES.items():
            codes = [code for code, n in workshops() if n == size]
            counts = [abs(shown[c].n - exact[c].n) for c in codes]
            means = [abs(shown[c].overall - exact[c].overall) for c in codes]
            parts = [
                abs(shown[c].dimensions[d] - exact[c].dimensions[d])
                for c in codes
                for d in exact[c].dimensions
            ]
            print(
                f"  {size:>9,} {count:>7} {statistics.mean(counts):>12.2f} {max(counts):>4}"
                f" {statistics.mean(means):>14.2f} {max(means):>5.1f}"
                f" {statistics.mean(parts):>12.2f} {max(parts):>5.1f} {mean_bound(size):>6.1f}"
            )
        for protect in (False, True):
            times = []
            for _ in range(7):
                start = time.perf_counter()
                dashboard(db, instrument, "country", 5, protect=protect)
                times.append(time.perf_counter() - start)
            label = "protected" if protect else "exact"
            print(f"  dashboard by country, {label:<9} {statistics.median(times) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
