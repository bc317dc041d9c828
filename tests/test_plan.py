"""The action plan: weakest parts first, steps from the owner's answers, the country's own tools,
gap rules, the cross-border section, regional notes with sources, and the re-entry code."""

from __future__ import annotations

import random
import re
import uuid

import pytest

from lmcself.core.catalog import load_catalog
from lmcself.core.instrument import HORIZONS
from lmcself.core.plan import (
    FOCUS_PARTS,
    build_plan,
    normalize_reentry,
    reentry_code,
)
from lmcself.core.scoring import score

from .conftest import context_answers, top_answers

COUNTRIES = ("KH", "LA", "MM", "TH", "VN", "CN")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def random_answers(instrument, rnd: random.Random) -> dict[str, str]:
    return {q.key: rnd.choice(q.options).key for q in instrument.questions}


def plan_for(instrument, catalog, answers, **context):
    ctx = {**context_answers(instrument), **context}
    return build_plan(instrument, catalog, score(instrument, answers, ctx), ctx, answers)


def test_parts_come_weakest_first_and_the_weakest_are_in_full(instrument, catalog):
    rnd = random.Random(7)
    for _ in range(50):
        plan = plan_for(instrument, catalog, random_answers(instrument, rnd), country="TH")
        scores = [p.score.score for p in plan.parts]
        assert scores == sorted(scores)
        assert [p.focus for p in plan.parts] == [i < FOCUS_PARTS for i in range(len(plan.parts))]
        assert {p.dimension.key for p in plan.parts} == {d.key for d in instrument.dimensions}


def test_steps_are_the_actions_of_the_answers_grouped_by_horizon(instrument, catalog):
    answers = top_answers(instrument, "low")
    plan = plan_for(instrument, catalog, answers, country="VN")
    # the questions asked (2.0: a question whose condition does not hold brings no step)
    asked = instrument.shown({**context_answers(instrument), "country": "VN"}, answers)
    assert len(asked) < len(answers)  # the low answers leave some questions unasked
    expected = {
        a for q in instrument.questions if q.key in asked for a in q.option(asked[q.key]).actions
    }
    got = [s.action.key for p in plan.parts for h in HORIZONS for s in p.steps[h]]
    assert sorted(got) == sorted(expected)  # each action once
    for part in plan.parts:
        for horizon in HORIZONS:
            assert all(s.action.horizon == horizon for s in part.steps[horizon])
            assert all(s.action.dimension == part.dimension.key for s in part.steps[horizon])


def test_top_answers_leave_no_steps(instrument, catalog):
    plan = plan_for(instrument, catalog, top_answers(instrument), country="KH")
    assert all(p.step_count == 0 for p in plan.parts)
    assert plan.gaps == ()


@pytest.mark.parametrize("country", COUNTRIES)
def test_tools_come_from_the_owners_country_and_appear_once(instrument, catalog, country):
    rnd = random.Random(country)
    seen_keys: set[str] = set()
    for _ in range(40):
        plan = plan_for(instrument, catalog, random_answers(instrument, rnd), country=country)
        keys = [t.key for t in plan.tools]
        assert len(keys) == len(set(keys)), "a tool is named twice in one plan"
        assert all(t.country == country for t in plan.tools)
        seen_keys.update(keys)
    # Over many owners every tool of the country is recommended to someone.
    plan = plan_for(instrument, catalog, top_answers(instrument, "low"), country=country)
    assert {t.key for t in plan.tools} <= {t.key for t in catalog.tools_for(country)}
    assert seen_keys == {t.key for t in catalog.tools_for(country)}


def test_a_step_gets_tools_of_the_kinds_that_help_with_it(instrument, catalog):
    # (Not selling online: that gap would name the QR tools first, and a tool is named once.)
    answers = {**top_answers(instrument), "selling_channel": "none", "payments_qr": "cash_only"}
    plan = plan_for(instrument, catalog, answers, country="TH")
    step = next(
        s
        for p in plan.parts
        for h in HORIZONS
        for s in p.steps[h]
        if s.action.key == "payments_qr_start"
    )
    assert "PromptPay (Thai QR Payment)" in [t.name for t in step.tools]
    assert all(t.kind in ("qr_standard", "wallet", "bank_app") for t in step.tools)


def test_gap_rule_online_seller_without_digital_payment(instrument, catalog):
    answers = {**top_answers(instrument), "selling_channel": "social", "payments_qr": "cash_only"}
    plan = plan_for(instrument, catalog, answers, country="KH")
    gaps = {w.gap.key: w for w in plan.gaps}
    assert "online_sales_cash_only" in gaps
    assert "KHQR (Bakong)" in [t.name for t in gaps["online_sales_cash_only"].tools]
    # The same owner taking QR payments has no such gap.
    answers["payments_qr"] = "qr_most"
    plan = plan_for(instrument, catalog, answers, country="KH")
    assert "online_sales_cash_only" not in {w.gap.key for w in plan.gaps}


def test_gap_rule_customer_data_without_backup(instrument, catalog):
    answers = {
        **top_answers(instrument),
        "security_customer_data": "own_phone",
        "security_backup": "lost",
    }
    plan = plan_for(instrument, catalog, answers, country="LA")
    assert [w.gap.key for w in plan.gaps] == ["customer_data_no_backup"]


def test_cross_border_section_only_for_owners_who_sell_abroad(instrument, catalog):
    answers = top_answers(instrument, "low")
    assert (
        plan_for(instrument, catalog, answers, country="TH", cross_border="no").cross_border is None
    )
    for answer in ("yes", "not_yet"):
        plan = plan_for(instrument, catalog, answers, country="TH", cross_border=answer)
        assert plan.cross_border and all("TH" in x.countries for x in plan.cross_border)
        assert {tuple(sorted(x.countries)) for x in plan.cross_border} >= {
            ("KH", "TH"),
            ("TH", "VN"),
        }


def test_every_part_has_a_regional_note_with_a_source_own_country_first(instrument, catalog):
    for country in COUNTRIES:
        plan = plan_for(instrument, catalog, top_answers(instrument, "low"), country=country)
        for part in plan.parts:
            assert part.notes, f"{country} {part.dimension.key}: no note from the region"
            assert all(n.source.startswith("https://") for n in part.notes)
            own = [n for n in catalog.notes if n.dimension == part.dimension.key]
            if any(country in n.countries for n in own):
                assert country in part.notes[0].countries


def test_no_service_on_the_do_not_recommend_list_is_ever_named(instrument, catalog):
    banned = [
        re.compile(rf"\b{re.escape(name)}\b", re.I) for name, _, _ in catalog.do_not_recommend
    ]
    rnd = random.Random(3)
    for country in COUNTRIES:
        for _ in range(10):
            plan = plan_for(
                instrument,
                catalog,
                random_answers(instrument, rnd),
                country=country,
                cross_border="yes",
            )
            texts = [f"{t.name} {t.what} {t.cost} {t.bring}" for t in plan.tools]
            texts += [n.text for p in plan.parts for n in p.notes]
            texts += [x.text for x in plan.cross_border or ()]
            assert not [p.pattern for p in banned for t in texts if p.search(t)]


def test_reentry_code_is_made_from_the_id_and_forgives_typing():
    rnd = random.Random(1)
    codes = set()
    for _ in range(2000):
        submission_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        code = reentry_code(submission_id)
        assert re.fullmatch(
            r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code
        )
        assert normalize_reentry(code.lower().replace("-", " ")) == code
        codes.add(code)
    assert len(codes) == 2000
    assert normalize_reentry("abcd-efgh-jk0o") == "ABCD-EFGH-JK00"  # O read as zero
    assert normalize_reentry("ABCD-EFGH-JKU1") is None  # U is not in the alphabet
    assert normalize_reentry("ABCD-EFGH") is None
    # Known value: the first 60 bits of the id, 5 bits a letter.
    # Known values: the first 60 bits of the id (the version digit 4 included), 5 bits a letter.
    assert reentry_code("00000000-0000-4000-8000-000000000000") == "0000-0000-0100"
    assert reentry_code("ffffffff-ffff-4fff-bfff-ffffffffffff") == "ZZZZ-ZZZZ-ZX7Z"


def test_a_countrys_local_risks_and_rules_are_shown_only_to_its_owners(instrument, catalog):
    local = [n for n in catalog.notes if n.local_only]
    assert local
    for country in COUNTRIES:
        plan = plan_for(instrument, catalog, top_answers(instrument, "low"), country=country)
        shown = [n for p in plan.parts for n in p.notes]
        assert all(country in n.countries for n in shown if n.local_only)
