"""Issue 12's attacks, tried as an adversary would (docs/privacy.md): random groups, random
targets, many seeded trials, through the real engine (storage/figures.py) and the real exports.
Each attack's figure is the share of trials in which the adversary's best estimate of the
target business's overall score misses by 5 points or more; it must be 90% or more (or the
attack yields nothing). `pytest -s tests/test_attacks.py` prints the figures.
"""

from __future__ import annotations

import random
import statistics
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from lmcself.core.disclosure import PUBLIC_STEP
from lmcself.core.instrument import default_instrument
from lmcself.staff.export import ANY, aggregate_rows, anonymized_records
from lmcself.staff.report import Period, month_index, month_name, situation_report
from lmcself.storage import db as db_module
from lmcself.storage import submissions as submissions_module
from lmcself.storage.figures import PEERS_STEP, dashboard, release, stored_records
from lmcself.storage.submissions import insert

from .conftest import as_record, make_submission, memory_database, submission_of

INSTRUMENT = default_instrument()
K = 5
PUBLIC_MIN = 10
TRIALS = 150
MISS = 5.0  # points
COUNTRIES = [o.key for o in INSTRUMENT.context_question("country").options]


@dataclass
class Outcome:
    errors: list[float]
    nothing: int = 0  # trials in which the attack yielded nothing

    @property
    def missed(self) -> float:
        """Share of trials the adversary missed by MISS or more (nothing counts as a miss)."""
        total = len(self.errors) + self.nothing
        return (sum(e >= MISS for e in self.errors) + self.nothing) / total

    def line(self, name: str) -> str:
        median = statistics.median(self.errors) if self.errors else float("nan")
        among = sum(e >= MISS for e in self.errors) / len(self.errors) if self.errors else 1.0
        return (
            f"{name}: missed by >= {MISS:g} points in {self.missed:.1%} of "
            f"{len(self.errors) + self.nothing} trials (nothing in {self.nothing}; of the "
            f"estimates, {among:.1%} missed, median miss {median:.1f})"
        )


def run(name: str, trial: Callable[[random.Random], tuple[float, int] | None]) -> Outcome:
    """Run the trials of an attack: each gives the adversary's estimate and the truth (or None:
    the attack yielded nothing). A score is 0-100, so the adversary clips their estimate."""
    rnd = random.Random(f"issue-12-{name}")
    outcome = Outcome([])
    for _ in range(TRIALS):
        found = trial(rnd)
        if found is None:
            outcome.nothing += 1
        else:
            estimate, truth = found
            outcome.errors.append(abs(min(100.0, max(0.0, estimate)) - truth))
    print(outcome.line(name))
    return outcome


def business(rnd: random.Random, workshop: str | None = None, **context: str) -> dict:
    """A submission as a real business makes it: its answers follow how far along it is (some
    are far ahead, some just starting), so scores spread over 0-100 as they do in the field.
    (Answers drawn uniformly would put half the businesses within 5 points of the average, and
    a guess of the average would "find" them without any attack.)"""
    maturity = rnd.random()
    values = {q.key: rnd.choice(q.options).key for q in INSTRUMENT.context}
    values.update(context)
    answers = {}
    for q in INSTRUMENT.questions:
        options = sorted(q.options, key=lambda o: o.points)
        place = round(maturity * (len(options) - 1) + rnd.gauss(0, 0.7))
        answers[q.key] = options[min(len(options) - 1, max(0, place))].key
    uid = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
    day = date(2026, 11, 1) + timedelta(days=rnd.randrange(20))
    return as_record(make_submission(INSTRUMENT, uid, "en", values, answers, workshop, day))


@pytest.fixture(autouse=True)
def seeded_record_keys(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """The record keys drawn from a seeded generator, so every run gives the same figures."""
    rnd = random.Random(f"keys-{request.node.name}")
    monkeypatch.setattr(db_module, "record_key", lambda: rnd.randrange(256))
    monkeypatch.setattr(submissions_module, "record_key", lambda: rnd.randrange(256))


def people(rnd: random.Random, n: int, **fixed: str) -> list[dict]:
    """n businesses with the given context answers."""
    return [business(rnd, **fixed) for _ in range(n)]


def fake(rnd: random.Random, workshop: str | None = None, **context: str) -> dict:
    """A submission made by the adversary: its overall score is known to them."""
    return business(rnd, workshop, **context)


def test_the_test_businesses_spread_as_real_ones_do():
    """The baseline: an adversary who knows nothing and guesses one score for every business
    (the best such score for these businesses) misses by 5 or more in most trials; no attack
    can be told from a guess where it misses as often."""
    rnd = random.Random(1)
    scores = [business(rnd)["overall"] for _ in range(3000)]
    best = max(range(101), key=lambda guess: sum(abs(s - guess) < MISS for s in scores))
    guessed = sum(abs(s - best) >= MISS for s in scores) / len(scores)
    print(
        f"baseline (one guess, {best}, for every business): missed by >= {MISS:g} in {guessed:.1%}"
    )
    assert statistics.pstdev(scores) > 20 and guessed > 0.8


def total(n: int | None, mean: float | None) -> float:
    assert n is not None and mean is not None
    return n * mean


def test_differencing_across_filters():
    """The issue's `{country} minus the same with women_led=no`: the target is its country's
    one women-led business; the two protected tables differ by it alone."""

    def trial(rnd: random.Random) -> tuple[float, int] | None:
        country = rnd.choice(COUNTRIES)
        target = people(rnd, 1, country=country, women_led="yes")[0]
        others = people(rnd, rnd.randint(8, 150), country=country, women_led="no")
        rest = [r for r in people(rnd, 40) if r["country"] != country]
        db = memory_database([target, *others, *rest])
        with_all = dashboard(db, INSTRUMENT, "country", K, protect=True)
        without = dashboard(db, INSTRUMENT, "country", K, {"women_led": "no"}, protect=True)
        a = next(g for g in with_all.groups if g.value == country)
        b = next((g for g in without.groups if g.value == country), None)
        if b is None:
            return None
        return total(a.n, a.overall) - total(b.n, b.overall), target["overall"]

    assert run("filters", trial).missed >= 0.9


def test_differencing_across_months():
    """The target is its country's only business in its month. The adversary asks for the
    situation report of that country for every first and last month there is, and for each
    two periods whose difference holds no other business of the country (they are told which
    months hold no other, more than they could know) takes the difference; their estimate is
    the average of all of them."""
    months = [f"{year}-{m:02d}" for year in (2025, 2026) for m in range(1, 13)]

    def trial(rnd: random.Random) -> tuple[float, int] | None:
        country = rnd.choice(COUNTRIES)
        target_month = rnd.choice(months)
        records = []
        for month in months:
            if month != target_month and rnd.random() < 0.4:
                for record in people(rnd, rnd.randint(1, 12), country=country):
                    record["created_on"] = f"{month}-10"
                    records.append(record)
        target = people(rnd, 1, country=country)[0]
        target["created_on"] = f"{target_month}-10"
        db = memory_database([*records, target, *people(rnd, 30)])
        alone = {target_month} | (set(months) - {r["created_on"][:7] for r in records})
        shown: dict[Period, float] = {}
        for i, since in enumerate(months):
            for until in months[i:]:
                period = Period(since, until).snapped()
                if period in shown:
                    continue
                report = situation_report(db, INSTRUMENT, period, K, country)
                whole = report.whole
                if not report.withheld and whole.total is not None:
                    shown[period] = total(whole.total, whole.overall)
        # Every period shown, minus periods shown inside it that leave only the target's months
        # uncovered: a quarter or year minus one inside it, a year minus its other quarters.
        estimates = []
        for wide, value in shown.items():
            inside = [p for p in shown if p != wide and covered(p) < covered(wide)]
            quarters = [p for p in inside if p.months == 3]
            years = [p for p in inside if p.months == 12]
            for parts in ([p] for p in inside), [quarters], [years]:
                for part in parts:
                    union = set().union(*map(covered, part))
                    rest = covered(wide) - union
                    disjoint = sum(len(covered(p)) for p in part) == len(union)
                    if part and disjoint and target_month in rest and rest <= alone:
                        estimates.append(value - sum(shown[p] for p in part))
        if not estimates:
            return None
        return statistics.mean(estimates), target["overall"]

    assert run("months", trial).missed >= 0.9


def covered(period: Period) -> set[str]:
    start, end = month_index(period.since), month_index(period.until)
    return {month_name(i) for i in range(start, end + 1)}


def test_differencing_across_tools():
    """The aggregate export by workshop minus the room view released before the target
    arrived (the issue's room view minus the dashboard by workshop)."""

    def trial(rnd: random.Random) -> tuple[float, int] | None:
        n = rnd.choice([10, 15, 20, 25, 40])
        room = people(rnd, n)
        for record in room:
            record["workshop"] = "ROOM-1"
        db = memory_database(room)
        released = release(db, INSTRUMENT, "room", {"workshop": "ROOM-1"}, K, PUBLIC_MIN)
        target = people(rnd, 1)[0]
        target["workshop"] = "ROOM-1"
        insert(db, submission_of(target))
        after = release(db, INSTRUMENT, "room", {"workshop": "ROOM-1"}, K, PUBLIC_MIN)
        assert after == released  # one more: the room view does not move
        row = next(r for r in aggregate_rows(db, INSTRUMENT, "workshop", K) if r["workshop"])
        # The adversary knows the true counts (they counted the room): n, then n + 1.
        assert released is not None and released.overall is not None
        return (n + 1) * row["overall_mean"] - n * released.overall, target["overall"]

    assert run("tools", trial).missed >= 0.9


def test_tracking_peers_over_time():
    """The adversary asks for "businesses like yours" after every new submission of a group and
    estimates the target (the one they watched arrive) from the release it changed."""

    def trial(rnd: random.Random) -> tuple[float, int] | None:
        context = {"country": rnd.choice(COUNTRIES), "sector": "retail", "size": "1"}
        db = memory_database(people(rnd, rnd.randint(10, 60), **context))
        scope = "peers"
        before = release(db, INSTRUMENT, scope, context, K, PUBLIC_MIN, PEERS_STEP)
        n_before = db.execute("SELECT count(*) FROM facts").fetchone()[0]
        target = None
        for record in people(rnd, 12, **context):
            insert(db, submission_of(record))
            now = release(db, INSTRUMENT, scope, context, K, PUBLIC_MIN, PEERS_STEP)
            if now != before:
                target = record  # the arrival that moved the figures
                break
        if target is None or before is None or now is None:
            return None
        n_now = db.execute("SELECT count(*) FROM facts").fetchone()[0]
        estimate = (total(n_now, now.overall) - total(n_before, before.overall)) / (
            n_now - n_before
        )
        return estimate, target["overall"]

    assert run("peers over time", trial).missed >= 0.9


@pytest.mark.parametrize("where", ["group", "workshop"])
@pytest.mark.parametrize("start", ["new", "released"])
def test_k_minus_1_fakes(where, start):
    """k - 1 fakes (or, for a group not yet released, PUBLIC_MIN - 1) and one real business:
    the fakes' scores are known, the release shows the rest."""

    def trial(rnd: random.Random) -> tuple[float, int] | None:
        context = {"country": rnd.choice(COUNTRIES), "sector": "food", "size": "2-4"}
        code = "ROOM-2" if where == "workshop" else None
        filters = {"workshop": code} if code else context
        before_n = 0 if start == "new" else rnd.choice([10, 15, 30, 60])
        real_before = people(rnd, before_n, **context)
        for record in real_before:
            record["workshop"] = code
        db = memory_database(real_before)
        step = PEERS_STEP if where == "group" else PUBLIC_STEP
        before = release(db, INSTRUMENT, "s", filters, K, PUBLIC_MIN, step)
        fakes = [
            fake(rnd, code, **context) for _ in range((PUBLIC_MIN if start == "new" else K) - 1)
        ]
        for record in fakes:
            insert(db, submission_of(record))
            assert release(db, INSTRUMENT, "s", filters, K, PUBLIC_MIN, step) == before
        target = people(rnd, 1, **context)[0]
        target["workshop"] = code
        insert(db, submission_of(target))
        after = release(db, INSTRUMENT, "s", filters, K, PUBLIC_MIN, step)
        if after is None or after == before:
            return None
        # The adversary knows the true counts: their own fakes and the one they waited for.
        known = sum(f["overall"] for f in fakes)
        earlier = total(before_n, before.overall) if before else 0.0
        estimate = total(before_n + len(fakes) + 1, after.overall) - earlier - known
        return estimate, target["overall"]

    assert run(f"k-1 fakes into a {where} ({start})", trial).missed >= 0.9


def test_record_linkage_of_the_record_export_with_the_aggregate_export():
    """A business the adversary knows (its country, and that it is in the data) whose overall
    score is not in the record export (left out, or suppressed for l-diversity): the country's
    protected total minus the scores the record export shows for that country."""

    def trial(rnd: random.Random) -> tuple[float, int] | None:
        records = people(rnd, rnd.randint(60, 250))
        db = memory_database(records)
        export = anonymized_records(stored_records(db), INSTRUMENT, K)
        shown = {}  # the true records behind the rows are unknown to the adversary; the scores
        for row in export.rows:  # a row shows are matched to its country where it shows one
            if row["country"] != ANY and row["overall"] != ANY:
                shown.setdefault(row["country"], []).append(row["overall"])
        aggregates = {r["country"]: r for r in aggregate_rows(db, INSTRUMENT, "country", K)}
        # A target: a record whose overall score the export does not show with its country.
        visible = {(r["country"], r["overall"]) for r in export.rows}
        hidden = [r for r in records if (r["country"], r["overall"]) not in visible]
        if not hidden:
            return None
        target = rnd.choice(hidden)
        row = aggregates.get(target["country"])
        if row is None:
            return None
        true_n = sum(r["country"] == target["country"] for r in records)
        unknown = true_n - len(shown.get(target["country"], []))
        # Every score of the country the export does not show is worth the same to them.
        rest = total(true_n, row["overall_mean"]) - sum(shown.get(target["country"], []))
        return rest / unknown, target["overall"]

    assert run("record linkage", trial).missed >= 0.9
