"""Golden vectors for the phone's JavaScript, made by the Python code it must agree with.

`python tests/js/golden.py OUT.json` writes random answer sets with their Python results: scores
(lmcself.core.scoring, on the shipped instrument and on reweighted copies), plans as keys
(lmcself.core.plan), plans as the texts the page shows (lmcself.web.plan_views.plan_view) in
every language, re-entry codes, and dates as the server writes them. tests/js/parity.test.mjs
makes this file at test time and checks static/scoring.js, static/plan.js and static/js/ on it.
"""

from __future__ import annotations

import dataclasses
import json
import random
import sys
import tempfile
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, g

from lmcself import create_app
from lmcself.core.catalog import load_catalog
from lmcself.core.instrument import (
    VERSIONS,
    Condition,
    Instrument,
    Option,
    default_instrument,
    instrument_for,
)
from lmcself.core.plan import build_plan, reentry_code
from lmcself.core.progress import progress
from lmcself.core.scoring import score
from lmcself.core.submissions import Submission
from lmcself.web.assessment import app_data
from lmcself.web.i18n import LOCALES, format_iso_date
from lmcself.web.plan_views import again_url, plan_data, plan_keys, plan_view, progress_view

COUNTRIES = ("KH", "LA", "MM", "TH", "VN", "CN")


def reweighted(instrument: Instrument, rng: random.Random) -> Instrument:
    """The same questions with random dimension and question weights (the weighted mean)."""
    dims = tuple(
        dataclasses.replace(
            d,
            weight=rng.randint(1, 5),
            questions=tuple(dataclasses.replace(q, weight=rng.randint(1, 3)) for q in d.questions),
        )
        for d in instrument.dimensions
    )
    return dataclasses.replace(instrument, dimensions=dims)


def conditioned(instrument: Instrument, rng: random.Random) -> Instrument:
    """A copy with conditions (on context and on earlier answers, plain and negated, chained),
    a "does not apply" answer on every part's first question and a shuffled "Start here" order,
    so the phone's rules meet every case, whatever the shipped versions hold."""
    values = {q.key: q for q in instrument.context}
    dims = []
    for d in instrument.dimensions:
        questions = []
        for i, q in enumerate(d.questions):
            if i == 0:
                na = Option("does_not_apply", "-", 0, False, q.options[0].actions, True)
                opts = [o for o in q.options if not o.dont_know] + [na]
                q = dataclasses.replace(
                    q, options=tuple(opts + [o for o in q.options if o.dont_know])
                )
            else:
                on = rng.choice(list(values.values()))
                chosen = tuple(o.key for o in rng.sample(on.options, max(1, len(on.options) // 2)))
                q = dataclasses.replace(q, when=(Condition(on.key, chosen, rng.random() < 0.5),))
            values[q.key] = q
            questions.append(q)
        dims.append(dataclasses.replace(d, questions=tuple(questions)))
    order = [d.key for d in instrument.dimensions]
    rng.shuffle(order)
    return dataclasses.replace(instrument, dimensions=tuple(dims), start_order=tuple(order))


def random_case(instrument: Instrument, rng: random.Random) -> tuple[dict, dict]:
    context = {q.key: rng.choice(q.options).key for q in instrument.context}
    context["country"] = rng.choice(COUNTRIES)
    answers = {q.key: rng.choice(q.options).key for q in instrument.questions}
    answers |= {q.key: rng.choice(q.options).key for q in instrument.unscored}
    if rng.random() < 0.5:  # as a phone sends them: no answers to the questions not shown
        answers = instrument.shown(context, answers)
    return context, answers


def scoring(rng: random.Random) -> list[dict[str, Any]]:
    shipped = [instrument_for(v) for v in VERSIONS]
    made = [conditioned(shipped[0], rng) for _ in range(3)]
    out = []
    for instrument in [
        *shipped,
        *made,
        *[reweighted(i, rng) for i in shipped + made for _ in range(2)],
    ]:
        cases = [random_case(instrument, rng) for _ in range(500)]
        out.append(
            {
                "instrument": instrument.as_json(),
                "contexts": [c for c, _ in cases],
                "answers": [a for _, a in cases],
                # Compared as JSON, the form a result travels in between phone and server.
                "results": [score(instrument, a, c).as_dict() for c, a in cases],
                "shown": [instrument.shown(c, a) for c, a in cases],
            }
        )
    return out


def plans(app: Flask, rng: random.Random) -> list[dict[str, Any]]:
    """Plans of the shipped versions and of a copy with conditions and "does not apply"."""
    catalog = load_catalog()
    shipped = [instrument_for(v) for v in VERSIONS]
    out = []
    for instrument in [*shipped, conditioned(shipped[0], rng)]:
        cases = []
        # results of the other shipped versions too: a phone keeps them and shows their plans
        scored_with = [instrument] * 600
        if instrument in shipped:
            scored_with += [i for i in shipped if i is not instrument] * 200
        for version in scored_with:
            context, answers = random_case(version, rng)
            result = score(version, answers, context)
            plan = build_plan(version, catalog, result, context, answers)
            cases.append(
                {
                    "result": result.as_dict(),
                    "context": context,
                    "answers": answers,
                    "plan": plan_keys(plan, catalog),
                }
            )
        kept = app.extensions["instrument"]
        app.extensions["instrument"] = instrument
        try:
            with app.test_request_context("/en/"):
                g.lang = "en"
                pd = plan_data()
        finally:
            app.extensions["instrument"] = kept
        out.append({"plan_data": pd, "cases": cases})
    return out


def views(app: Flask, rng: random.Random, per_language: int = 40) -> dict[str, Any]:
    """Whole plans as the page's texts, in every language: the phone must build the same, for
    results of the version new checks use and of the older ones it still shows."""
    instrument, catalog = default_instrument(), load_catalog()
    others = [instrument_for(v) for v in VERSIONS if v != instrument.version]
    out = {}
    for lang in LOCALES:
        with app.test_request_context(f"/{lang}/"):
            g.lang = lang
            data = app_data()
            cases = []
            for i in range(per_language):
                # every fourth a stored result of the other shipped versions: its own plan
                scored_with = others[i // 4 % len(others)] if others and i % 4 == 3 else instrument
                context, answers = random_case(scored_with, rng)
                day = date(2026, 1, 1) + timedelta(days=rng.randrange(700))
                submission_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                line = {
                    "id": submission_id,
                    "instrument_version": scored_with.version,
                    "locale": lang,
                    "context": context,
                    "answers": answers,
                    "workshop": None,
                    "created_on": day.isoformat(),
                }
                record = Submission.from_line(instrument, line, date.max)
                result = record.result
                plan = build_plan(scored_with, catalog, result, context, answers)
                cases.append(
                    {
                        "record": {
                            "payload": {
                                "id": submission_id,
                                "instrument_version": record.instrument_version,
                                "context": context,
                                "answers": answers,
                            },
                            "result": result.as_dict(),
                            "date": day.isoformat(),
                        },
                        "view": plan_view(plan, record, again_url(reentry_code(submission_id))),
                    }
                )
            days = ["2026-11-28", "2027-01-05", "2026-02-01", "2029-12-31"]
            out[lang] = {
                "plan_data": plan_data(),
                "data": {"number": data["number"], "date": data["date"]},
                "again": "http://localhost/" + lang + "/again/",
                "cases": cases,
                "dates": {d: format_iso_date(d) for d in days},
            }
    return out


def improved(instrument: Instrument, context: dict, answers: dict, rng: random.Random) -> dict:
    """The same answers, some of them raised (or lowered) by one option: a later check. A
    question the earlier check did not show gets an answer, as it may apply now; answers sent
    as a phone sends them stay so (only the questions shown)."""
    questions = (*instrument.questions, *instrument.unscored)
    out = {q.key: answers.get(q.key) or rng.choice(q.options).key for q in questions}
    for q in instrument.questions:
        if rng.random() < 0.4:
            keys = [o.key for o in q.options]
            i = keys.index(out[q.key]) + rng.choice((1, 1, 1, -1))
            out[q.key] = keys[max(0, min(i, len(keys) - 1))]
    return instrument.shown(context, out) if len(answers) < len(out) else out


def progresses(app: Flask, rng: random.Random, per_language: int = 30) -> dict[str, Any]:
    """Progress between two checks, as keys and as the page's texts, in every language: the
    same version, and an older version of which the newer instrument lists some parts."""
    shipped, catalog = default_instrument(), load_catalog()
    others = [instrument_for(v) for v in VERSIONS if v != shipped.version]
    out = {}
    for lang in LOCALES:
        with app.test_request_context(f"/{lang}/"):
            g.lang = lang
            data = app_data()
            cases = []
            for i in range(per_language):
                older = i % 3 == 2
                # a shipped older version (1.0 before 2.0): the parts 2.0 lists as comparable
                shipped_older = i % 6 == 1 and bool(others)
                parts = rng.sample([d.key for d in shipped.dimensions], 2)
                now_instrument = (
                    dataclasses.replace(shipped, comparable_with={"0.9": tuple(parts)})
                    if older
                    else shipped
                )
                before_instrument = others[0] if shipped_older else shipped
                context, before_answers = random_case(before_instrument, rng)
                if shipped_older:
                    context, now_answers = random_case(shipped, rng)
                else:
                    now_answers = improved(shipped, context, before_answers, rng)
                before_result = score(before_instrument, before_answers)
                if older:
                    before_result = dataclasses.replace(before_result, version="0.9")
                now_result = score(shipped, now_answers)
                plan = build_plan(shipped, catalog, now_result, context, now_answers)
                found = progress(
                    None if older else before_instrument,
                    before_answers,
                    before_result,
                    now_instrument,
                    now_answers,
                    now_result,
                    plan,
                )
                day = date(2026, 1, 1) + timedelta(days=rng.randrange(700))
                cases.append(
                    {
                        "instrument": now_instrument.as_json(),
                        "record": {
                            "payload": {"context": context, "answers": now_answers},
                            "result": now_result.as_dict(),
                            "previous": {
                                "date": day.isoformat(),
                                "answers": before_answers,
                                "result": before_result.as_dict(),
                            },
                        },
                        "keys": found.keys(),
                        "view": progress_view(found, day),
                    }
                )
            out[lang] = {
                "plan_data": plan_data(),
                "data": {"number": data["number"], "date": data["date"]},
                "cases": cases,
            }
    return out


def golden() -> dict[str, Any]:
    rng = random.Random(20261128)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {"TESTING": True, "DATABASE": str(Path(tmp) / "golden.db"), "SECRET_KEY": "golden"}
        )
        ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(1000)]
        return {
            "versions": list(VERSIONS),
            "scoring": scoring(rng),
            "refused": {"instrument": default_instrument().as_json()},
            "plans": plans(app, rng),
            "views": views(app, rng),
            "progress": progresses(app, rng),
            "reentry": {"ids": ids, "codes": [reentry_code(i) for i in ids]},
        }


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(golden(), ensure_ascii=False), encoding="utf-8")
