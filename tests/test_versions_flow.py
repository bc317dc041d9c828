"""Both versions side by side, without JavaScript: a server as shipped (questionnaire 2.0, the
version new checks use) shows each
question only when its condition holds (the form flow asks again when an answer opens a
question), scores only what applies, finishes a 1.0 questionnaire in progress as 1.0, and still
shows 1.0 results and plans with their own scores and steps. In every language."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from flask import Flask

from lmcself import create_app
from lmcself.core.instrument import instrument_for
from lmcself.core.submissions import Submission
from lmcself.storage import submissions as stored
from lmcself.storage.db import get_db, init_db
from lmcself.web.i18n import LOCALES

from .conftest import Walker

V1, V2 = instrument_for("1.0"), instrument_for("2.0")
LANGS = list(LOCALES)
SHOP = {
    "country": "VN",
    "sector": "retail",
    "size": "1",
    "years": "1_3",
    "women_led": "yes",
    "region": "city",
    "cross_border": "no",
}


@pytest.fixture
def app2(tmp_path) -> Flask:
    """The app as shipped, with no instrument configured: new checks are 2.0."""
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "v2.db"), "SECRET_KEY": "test"})
    with app.app_context():
        init_db()
    assert app.extensions["instrument"] == V2
    return app


def top(q):
    return max((o for o in q.options if not o.not_applicable), key=lambda o: o.points).key


def part_no(key: str) -> int:
    return next(n for n, d in enumerate(V2.dimensions, start=1) if d.key == key)


def shown_keys(html: str, inst=V2) -> set[str]:
    keys = [q.key for q in (*inst.questions, *inst.unscored)]
    return {k for k in keys if f'id="q-{k}"' in html}


@pytest.mark.parametrize("lang", LANGS)
def test_the_form_shows_questions_only_when_they_apply(app2, lang):
    client = app2.test_client()
    walker = Walker(client, V2, lang)
    walker.start()
    assert walker.post(f"/{lang}/about-you", SHOP).status_code == 302
    for n in range(1, part_no("selling")):
        dim = V2.dimensions[n - 1]
        walker.post(f"/{lang}/part/{n}", {q.key: top(q) for q in dim.questions})
    selling = f"/{lang}/part/{part_no('selling')}"
    page = client.get(selling).text
    # no answer yet on the channel: the order and delivery questions wait; no booking for a shop
    assert shown_keys(page) == {"selling_channel", "selling_share"}
    again = walker.post(selling, {"selling_channel": "chat", "selling_share": "over_half"})
    assert again.status_code == 200  # the answer opened two questions: the page asks them
    assert shown_keys(again.text) == {
        "selling_channel",
        "selling_share",
        "selling_orders",
        "selling_delivery",
    }
    # "no online orders": the order and delivery questions close again
    none = walker.post(selling, {"selling_channel": "none", "selling_share": "none"})
    assert none.status_code == 302
    for n in range(part_no("selling") + 1, part_no("operations")):
        dim = V2.dimensions[n - 1]
        answered = walker.post(f"/{lang}/part/{n}", {q.key: top(q) for q in dim.questions})
        assert answered.status_code == 302
    operations = client.get(f"/{lang}/part/{part_no('operations')}").text
    assert "q-operations_export" not in operations  # not selling abroad
    assert "q-operations_border_payments" not in operations  # not near a border
    assert "q-operations_tax" in operations


@pytest.mark.parametrize("lang", LANGS)
def test_a_service_business_finishes_scored_only_on_what_applies(app2, lang):
    client = app2.test_client()
    walker = Walker(client, V2, lang)
    context = {**SHOP, "sector": "services"}
    answers = {q.key: top(q) for q in V2.questions}
    answers["operations_export"] = "no_idea"  # hidden for a non-exporter: never counts
    answers.update(about_phone="shared", about_barrier="time", about_outcome="no")
    walker.start()
    walker.post(f"/{lang}/about-you", context)
    for n, dim in enumerate(V2.dimensions, start=1):
        page = client.get(f"/{lang}/part/{n}").text
        if dim.key == "selling":
            assert "q-selling_booking" in page and "q-selling_delivery" not in page
        response = walker.post(f"/{lang}/part/{n}", {q.key: answers[q.key] for q in dim.questions})
        if response.status_code == 200:  # a question opened: answer the page again
            response = walker.post(
                f"/{lang}/part/{n}", {q.key: answers[q.key] for q in dim.questions}
            )
        assert response.status_code == 302, n
    about = client.get(f"/{lang}/part/{len(V2.dimensions) + 1}").text
    assert shown_keys(about) == {"about_phone", "about_barrier", "about_outcome"}
    done = walker.post(
        f"/{lang}/part/{len(V2.dimensions) + 1}",
        {k: answers[k] for k in ("about_phone", "about_barrier", "about_outcome")},
    )
    assert done.status_code == 302 and "/result/" in done.location
    with app2.app_context():
        ((submission_id,),) = get_db().execute("SELECT id FROM submissions").fetchall()
        saved = stored.get(get_db(), submission_id)
    assert saved.instrument_version == "2.0"
    assert saved.result.overall == 100
    assert "operations_export" not in saved.answers and "selling_delivery" not in saved.answers
    assert saved.answers["about_barrier"] == "time"


def test_a_1_0_questionnaire_in_progress_finishes_as_1_0(app2):
    client = app2.test_client()
    walker = Walker(client, V1, "en")
    walker.start()
    with client.session_transaction() as s:
        state = dict(s["assessment"])
        state.pop("version", None)  # as a session begun before versions were kept
        s["assessment"] = state
    answers = {q.key: q.options[0].key for q in V1.questions}
    context = {q.key: q.options[0].key for q in V1.context}  # region "capital": a 1.0 answer
    walker.post("/en/about-you", context)
    response = None
    for n, dim in enumerate(V1.dimensions, start=1):
        response = walker.post(f"/en/part/{n}", {q.key: answers[q.key] for q in dim.questions})
        assert response.status_code == 302
    assert "/result/" in response.location
    with app2.app_context():
        (row,) = get_db().execute("SELECT instrument_version, region FROM submissions")
    assert tuple(row) == ("1.0", "capital")


@pytest.mark.parametrize("lang", LANGS)
def test_1_0_results_keep_their_scores_pages_and_plans(app2, lang):
    answers = {q.key: q.options[0].key for q in V1.questions}
    answers["payments_outgoing"] = "most"  # a 1.0 answer whose step 2.0 no longer has
    line = {
        "id": str(uuid.uuid4()),
        "instrument_version": "1.0",
        "locale": lang,
        "context": {**SHOP, "region": "capital", "cross_border": "no"},
        "answers": answers,
        "workshop": None,
        "created_on": date.today().isoformat(),
    }
    with app2.app_context():
        old = Submission.from_line(app2.extensions["instrument"], line, date.max)
        stored.insert(get_db(), old)
    assert old.result.version == "1.0"
    client = app2.test_client()
    result = client.get(f"/{lang}/result/{old.id}")
    assert result.status_code == 200
    plan = client.get(f"/{lang}/plan/{old.id}")
    assert plan.status_code == 200
    with app2.test_request_context(f"/{lang}/"):
        from flask import g
        from flask_babel import gettext

        g.lang = lang
        einvoice = gettext(V1.actions["payments_einvoice"].title)
    assert einvoice in plan.text  # the 1.0 step, from the 1.0 instrument


def test_an_unknown_version_is_refused_and_both_known_are_taken(app2):
    client = app2.test_client()
    for version, inst, status in (("1.0", V1, 201), ("2.0", V2, 201), ("0.9", V1, 422)):
        payload = {
            "id": str(uuid.uuid4()),
            "instrument_version": version,
            "locale": "en",
            "context": {q.key: q.options[1].key for q in inst.context},
            "answers": {q.key: top(q) for q in inst.questions},
            "workshop": None,
        }
        response = client.post("/api/v1/submissions", json=payload)
        assert response.status_code in ((status, 200) if status == 201 else (status,)), (
            version,
            response.text,
        )
