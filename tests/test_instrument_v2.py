"""Questionnaire 2.0 (issue 16): it loads beside 1.0, and the owners the review named are scored
only on what applies to them: a business that does not sell abroad, a service business, a
business with no online orders, one for which invoices are not required."""

from __future__ import annotations

import pytest

from lmcself.core.catalog import load_catalog
from lmcself.core.instrument import VERSIONS, instrument_for
from lmcself.core.plan import build_plan
from lmcself.core.scoring import score

V2 = instrument_for("2.0")
V1 = instrument_for("1.0")
BASE = {
    "country": "VN",
    "sector": "retail",
    "size": "1",
    "years": "1_3",
    "women_led": "yes",
    "region": "city",
    "cross_border": "no",
}


def top(q):
    return max((o for o in q.options if not o.not_applicable), key=lambda o: o.points).key


def tops(**changes):
    answers = {q.key: top(q) for q in V2.questions}
    answers.update(changes)
    return answers


def test_both_versions_are_known_and_distinct():
    assert VERSIONS == ("1.0", "2.0")
    assert V1.version == "1.0" and V2.version == "2.0"
    with pytest.raises(KeyError):
        instrument_for("0.9")
    # the catalog's rules fit both versions' answers
    load_catalog(instrument=V1)
    load_catalog(instrument=V2)


def test_a_non_exporter_is_not_asked_about_export_papers():
    shown = V2.shown(BASE, tops())
    assert "operations_export" not in shown
    assert "operations_export" in V2.shown({**BASE, "cross_border": "not_yet"}, tops())
    low = tops(operations_export="no_idea")
    assert score(V2, low, BASE).dimension("operations").score == 100
    assert score(V2, low, {**BASE, "cross_border": "yes"}).dimension("operations").score < 100


@pytest.mark.parametrize("sector", ["services", "tourism"])
def test_a_service_business_is_asked_about_booking_not_delivery(sector):
    context = {**BASE, "sector": sector}
    shown = V2.shown(context, tops())
    assert "selling_booking" in shown and "selling_delivery" not in shown
    answers = tops(selling_delivery="pickup")
    assert score(V2, answers, context).dimension("selling").score == 100
    shop = V2.shown(BASE, tops())
    assert "selling_delivery" in shop and "selling_booking" not in shop


def test_no_online_orders_costs_the_channel_and_share_only():
    answers = tops(selling_channel="none", selling_share="none")
    for key in ("selling_orders", "selling_delivery"):
        answers.pop(key)
    result = score(V2, answers, BASE)
    # 2 questions apply (channel 0, share 0): the part is 0 from them alone, not from 4 zeros
    assert result.dimension("selling").score == 0
    answers["selling_share"] = "over_half"
    assert score(V2, answers, BASE).dimension("selling").score == 50


def test_invoices_not_required_leave_the_possible_points():
    result = score(V2, tops(operations_tax="not_required"), BASE)
    assert result.dimension("operations").score == 100
    plan = build_plan(
        V2, load_catalog(instrument=V2), result, BASE, tops(operations_tax="not_required")
    )
    steps = [s.action.key for p in plan.parts for h in p.steps.values() for s in h]
    assert "operations_tax_check" in steps


def test_border_payments_are_asked_near_a_border_only():
    assert "operations_border_payments" not in V2.shown(BASE, tops())
    border = {**BASE, "region": "border"}
    assert "operations_border_payments" in V2.shown(border, tops())
    no_foreign = tops(operations_border_payments="no_foreign")
    assert score(V2, no_foreign, border).dimension("operations").score == 100


def test_the_review_points_are_in_the_questions():
    q = {x.key: x for x in V2.questions}
    assert "invoice" not in " ".join(o.label.lower() for o in q["payments_outgoing"].options)
    assert {"payments_qr_account", "payments_alerts", "operations_tax", "security_two_step"} <= set(
        q
    )
    assert "Not counting this workshop" in q["skills_learning"].text
    assert "Not counting this workshop" in q["skills_help"].text
    assert "food delivery" in q["selling_channel"].option("marketplace").label
    regions = {o.key for o in V2.context_question("region").options}
    assert {"capital_or_provincial", "border"} <= regions
    assert [u.key for u in V2.unscored] == ["about_phone", "about_barrier", "about_outcome"]
    # unscored answers are kept and never scored
    answers = tops(about_phone="shared", about_barrier="cost", about_outcome="no")
    assert score(V2, answers, BASE) == score(V2, tops(), BASE)
    assert V2.shown(BASE, answers)["about_barrier"] == "cost"


def test_security_login_has_a_true_answer_for_every_combination():
    """Screen lock, passwords and two-step login are asked apart: two-step login with weak
    passwords is two true answers, not none."""
    answers = tops(security_login="lock_only", security_two_step="all")
    result = score(V2, answers, BASE)
    assert 0 < result.dimension("security").score < 100


def test_new_kinds_bring_the_catalogs_tools_through_actions():
    kinds = {k for a in V2.actions.values() for k in a.tools}
    assert {"e_invoice", "food_delivery", "cross_border"} <= kinds
    dims = {a.dimension for a in V2.actions.values() if "e_invoice" in a.tools}
    assert dims == {"operations"}
    assert {a.dimension for a in V2.actions.values() if "food_delivery" in a.tools} == {"selling"}


def test_start_here_suits_micro_firms_and_comparability_is_stated():
    zero = {q.key: q.options[0].key for q in V2.questions}
    assert score(V2, zero, BASE).weakest == "payments"
    assert V2.comparable_with == {"1.0": ("presence",)}
    p1 = next(d for d in V1.dimensions if d.key == "presence")
    p2 = next(d for d in V2.dimensions if d.key == "presence")
    assert p1 == p2  # the same questions, options and points: comparable


def test_the_gaps_keep_their_places_so_gap_counts_add_up_across_versions():
    from lmcself.storage.db import gap_flags

    assert [g.key for g in V2.gaps] == [g.key for g in V1.gaps]
    answers = {q.key: q.options[0].key for q in V2.questions}
    record = {"instrument_version": "2.0", "answers": answers, **BASE, "cross_border": "yes"}
    flags = gap_flags(record)
    expected = {
        f"g{i}": int(g.applies({**answers, **BASE, "cross_border": "yes"}))
        for i, g in enumerate(V2.gaps)
    }
    assert any(flags.values()) and {k: flags[k] for k in expected} == expected


@pytest.mark.parametrize("version", VERSIONS)
def test_comparable_parts_are_the_same_questions_and_points(version):
    """`comparable_with` claims only what is true: the parts named have the same questions,
    options, points, conditions and weights in both versions."""
    new = instrument_for(version)
    for old_version, parts in new.comparable_with.items():
        old = instrument_for(old_version)
        for key in parts:
            assert new.dimension(key) == old.dimension(key), (version, old_version, key)


def test_a_part_that_does_not_apply_shows_so_not_0(app):
    from dataclasses import replace

    from flask import render_template

    result = score(V2, tops(), BASE)
    dims = tuple(
        replace(d, score=None, level=None) if d.key == "operations" else d
        for d in result.dimensions
    )
    with app.test_request_context("/en/"):
        from flask import g

        g.lang = "en"
        html = render_template("_chart.html", result=replace(result, dimensions=dims))
    row = html.split('data-dim="operations"')[1].split("</li>")[0]
    assert "Does not apply" in row and "None" not in row and 'width="0"' in row
