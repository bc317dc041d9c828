"""The browser builds the same plan as the server: static/plan.js against lmcself.core.plan."""

from __future__ import annotations

import random
import uuid

import pytest
from flask import g

from lmcself import create_app
from lmcself.core.catalog import load_catalog
from lmcself.core.instrument import default_instrument
from lmcself.core.plan import build_plan, reentry_code
from lmcself.core.scoring import score
from lmcself.web.plan_views import plan_keys

pytestmark = pytest.mark.browser
COUNTRIES = ("KH", "LA", "MM", "TH", "VN", "CN")


def test_browser_and_server_build_the_same_plan(live_server, phone, tmp_path):
    instrument, catalog = default_instrument(), load_catalog()
    rng = random.Random(20261128)
    cases, expected = [], []
    for _ in range(1200):
        context = {q.key: rng.choice(q.options).key for q in instrument.context}
        context["country"] = rng.choice(COUNTRIES)
        answers = {q.key: rng.choice(q.options).key for q in instrument.questions}
        result = score(instrument, answers)
        cases.append([result.as_dict(), context, answers])
        expected.append(
            plan_keys(build_plan(instrument, catalog, result, context, answers), catalog)
        )
    page = phone
    page.goto(live_server.url + "/en/method")
    page.add_script_tag(url="/static/plan.js")
    got = page.evaluate(
        """async (cases) => {
          const pd = await (await fetch('/en/plan-data.json')).json();
          return cases.map(([result, context, answers]) => lmcPlan(pd, result, context, answers));
        }""",
        cases,
    )
    assert got == expected
    # Every rule was exercised: gaps, cross-border sections, parts without steps, tools on steps.
    assert any(p["gaps"] for p in expected) and any(p["cross_border"] for p in expected)
    assert any(p["cross_border"] is None for p in expected)
    # and the country's duties (warned and not) and risks
    assert any(p["duty_warnings"] for p in expected) and any(p["duties"] for p in expected)
    assert any(p["risks"] for p in expected) and any(not p["risks"] for p in expected)
    assert any(
        s["tools"]
        for p in expected
        for part in p["parts"]
        for h in part["steps"].values()
        for s in h
    )


def test_browser_makes_the_same_reentry_code(live_server, phone):
    rng = random.Random(5)
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(1000)]
    page = phone
    page.goto(live_server.url + "/en/method")
    page.add_script_tag(url="/static/plan.js")
    assert page.evaluate("(ids) => ids.map(lmcReentryCode)", ids) == [reentry_code(i) for i in ids]


def test_plan_data_texts_are_the_pages_texts(tmp_path):
    """The data the phone shows offline carries the same translated texts as the server's page."""
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "t.db"), "SECRET_KEY": "t"})
    from lmcself.web.plan_views import plan_data

    for lang in ("km", "zh", "en"):
        with app.test_request_context(f"/{lang}/"):
            g.lang = lang
            from flask_babel import gettext

            pd = plan_data()
            action = default_instrument().actions["payments_qr_start"]
            assert pd["actions"]["payments_qr_start"]["title"] == gettext(action.title)
            tool = next(t for t in pd["tools"] if t["key"] == "khqr")
            assert tool["name"] == "KHQR (Bakong)"
