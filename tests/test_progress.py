"""Progress from one check to the next (issue 16): each part's change, what was done from the
last plan, what is next; linked by the previous check's re-entry code alone, and shown on the
result page, the plan and its PDF in every language."""

from __future__ import annotations

import dataclasses
import html
import re
import subprocess
import unicodedata
import uuid
from datetime import date, timedelta
from functools import cache
from types import MappingProxyType

import pytest
from flask import g
from flask_babel import gettext

from lmcself.core.catalog import load_catalog
from lmcself.core.instrument import INSTRUMENT_FILES, instrument_for, load_instrument
from lmcself.core.plan import build_plan, reentry_code
from lmcself.core.progress import comparable_parts, part_changes, progress
from lmcself.core.scoring import DimensionScore
from lmcself.core.submissions import InvalidSubmission, Submission
from lmcself.storage.db import get_db
from lmcself.storage.submissions import get, insert, previous_of
from lmcself.web.i18n import LOCALES
from lmcself.web.pdf import PDF_OPTIONS, render_document
from lmcself.web.plan_views import render_plan

from .conftest import (
    Walker,
    assert_names_the_fault,
    context_answers,
    csrf_token,
    make_submission,
    top_answers,
)

LANGS = list(LOCALES)
DAYS = 90


def improved_answers(instrument) -> dict[str, str]:
    """The lowest answer everywhere but the first part, answered at the top."""
    answers = top_answers(instrument, "low")
    first = instrument.dimensions[0]
    answers.update({q.key: top_answers(instrument)[q.key] for q in first.questions})
    return answers


def low_check(instrument, lang="en", country="VN", days_ago=DAYS) -> Submission:
    context = {**context_answers(instrument), "country": country}
    return make_submission(
        instrument,
        str(uuid.uuid4()),
        lang,
        context,
        top_answers(instrument, "low"),
        created_on=date.today() - timedelta(days=days_ago),
    )


@cache
def catalog():
    return load_catalog()


def plan_of(instrument, submission):
    return build_plan(
        instrument, catalog(), submission.result, submission.context, submission.answers
    )


def progress_between(before, now, instrument, before_instrument=None):
    return progress(
        before_instrument or instrument,
        before.answers,
        before.result,
        instrument,
        now.answers,
        now.result,
        plan_of(instrument, now),
    )


# The core ------------------------------------------------------------------------------------


def test_same_version_compares_every_part_and_names_what_was_done(instrument):
    before = low_check(instrument)
    now = dataclasses.replace(
        make_submission(
            instrument,
            str(uuid.uuid4()),
            "en",
            dict(before.context),
            improved_answers(instrument),
        ),
        follows=before.reentry,
    )
    p = progress_between(before, now, instrument)
    first = instrument.dimensions[0]
    assert p.same_version and [c.key for c in p.parts] == [d.key for d in instrument.dimensions]
    assert all(c.comparable for c in p.parts)
    changes = {c.key: c.change for c in p.parts}
    assert (
        changes[first.key]
        == now.result.dimension(first.key).score - before.result.dimension(first.key).score
    )
    assert changes[first.key] > 0
    assert all(changes[d.key] == 0 for d in instrument.dimensions[1:])
    assert p.overall_change == now.result.overall - before.result.overall
    # Done: exactly the last plan's steps for the first part's questions (answered higher now).
    expected = []
    for q in first.questions:
        for key in q.option(before.answers[q.key]).actions:
            if instrument.actions[key] not in expected:
                expected.append(instrument.actions[key])
    assert sorted(a.key for a in p.done) == sorted(a.key for a in expected)
    # Next: the new plan's first steps, none of them a part answered at the top.
    assert p.next and all(a.dimension != first.key for a in p.next)
    assert len(p.next) <= 3


def test_nothing_is_done_when_no_answer_rose(instrument):
    before = low_check(instrument)
    p = progress_between(before, before, instrument)
    assert p.done == () and all(c.change == 0 for c in p.parts)


def test_another_version_compares_only_the_parts_the_newer_one_lists(instrument):
    # a made-up version after the shipped one (2.0), listing one part as comparable with it
    listed = instrument.dimensions[1].key
    newer = dataclasses.replace(
        instrument, version="3.0", comparable_with=MappingProxyType({instrument.version: (listed,)})
    )
    before = low_check(instrument)
    now_result = dataclasses.replace(before.result, version="3.0")
    assert comparable_parts(newer, instrument.version) == {listed}
    # Either order: the newer instrument's list decides.
    assert comparable_parts(instrument, "3.0", newer) == {listed}
    assert comparable_parts(newer, "0.9") == frozenset()
    changes = part_changes(newer, now_result, before.result, instrument)
    assert [c.key for c in changes if c.comparable] == [listed]
    assert all(c.change is None for c in changes if c.key != listed)
    p = progress(
        instrument,
        before.answers,
        before.result,
        newer,
        before.answers,
        now_result,
        plan_of(instrument, before),
    )
    assert not p.same_version and p.overall_change is None
    assert [c.key for c in p.compared] == [listed]


def test_a_part_without_a_score_is_not_compared(instrument):
    """Version 2 may give a part no score ("does not apply"): it is shown, never compared."""
    before = low_check(instrument)
    gone = instrument.dimensions[2].key
    now_result = dataclasses.replace(
        before.result,
        dimensions=tuple(d for d in before.result.dimensions if d.key != gone),
    )
    changes = {c.key: c for c in part_changes(instrument, now_result, before.result)}
    assert changes[gone].now is None and not changes[gone].comparable
    assert changes[gone].change is None
    extra = DimensionScore("new_part", 50, "growing", 0)
    then = dataclasses.replace(before.result, dimensions=(*before.result.dimensions, extra))
    changes = {c.key: c for c in part_changes(instrument, before.result, then)}
    assert changes["new_part"].before == 50 and changes["new_part"].change is None


def test_comparable_with_is_read_from_the_instrument(tmp_path):
    # on the 1.0 file, which has none (2.0's own list is checked in test_instrument_v2.py)
    instrument = instrument_for("1.0")
    assert instrument.comparable_with == {}
    text = INSTRUMENT_FILES["1.0"].read_text(encoding="utf-8")
    keys = [d.key for d in instrument.dimensions]
    path = tmp_path / "v.yaml"
    path.write_text(
        text + f"\ncomparable_with:\n  '0.9': [{keys[0]}, {keys[3]}]\n", encoding="utf-8"
    )
    loaded = load_instrument(path)
    assert dict(loaded.comparable_with) == {"0.9": (keys[0], keys[3])}
    path.write_text(text + "\ncomparable_with:\n  '0.9': [no_such_part]\n", encoding="utf-8")
    assert_names_the_fault(load_instrument, path, "comparable_with.0.9", "unknown part")
    path.write_text(
        text + f"\ncomparable_with:\n  '{instrument.version}': [{keys[0]}]\n", encoding="utf-8"
    )
    assert_names_the_fault(load_instrument, path, "comparable_with", "older version")


# The link: the re-entry code alone ----------------------------------------------------------


def test_a_submission_follows_only_a_valid_code_of_another_check(instrument):
    own = str(uuid.uuid4())
    line = {
        "id": own,
        "instrument_version": instrument.version,
        "locale": "en",
        "context": context_answers(instrument),
        "answers": top_answers(instrument),
        "created_on": date.today().isoformat(),
    }
    other = reentry_code(str(uuid.uuid4()))
    made = Submission.from_line(instrument, {**line, "follows": other.lower()}, date.max)
    assert made.follows == other and made.to_line()["follows"] == other
    assert "follows" not in Submission.from_line(instrument, line, date.max).to_line()
    for bad in ("12AB", 7, reentry_code(own)):
        with pytest.raises(InvalidSubmission) as info:
            Submission.from_line(instrument, {**line, "follows": bad}, date.max)
        assert info.value.field == "follows"


def test_the_previous_check_is_found_by_its_code_alone(app, instrument):
    """Same business details, same country, same day: nothing links two checks but the code."""
    before = low_check(instrument)
    twin = low_check(instrument)  # another business with the very same details
    first = make_submission(
        instrument, str(uuid.uuid4()), "en", dict(before.context), improved_answers(instrument)
    )
    now = dataclasses.replace(first, id=str(uuid.uuid4()), follows=before.reentry)
    later = low_check(instrument, days_ago=-1)  # a check made after: never "previous"
    odd = dataclasses.replace(first, id=str(uuid.uuid4()), follows=later.reentry)
    with app.app_context():
        db = get_db()
        for s in (before, twin, first, now, later, odd):
            insert(db, s)
        assert previous_of(db, get(db, first.id)) is None
        assert previous_of(db, get(db, now.id)).id == before.id
        assert previous_of(db, get(db, odd.id)) is None
        row = db.execute("SELECT follows FROM submissions WHERE id = ?", [now.id]).fetchone()
        assert row[0] == before.reentry


def came_back(client, instrument, lang, before) -> str:
    """The owner types the code, answers again (better in the first part): the result's id."""
    response = client.get(f"/{lang}/again/{before.reentry}")
    assert response.status_code == 302
    walker = Walker(client, instrument, lang)
    done = walker.complete(improved_answers(instrument), dict(before.context))
    assert done.status_code == 302
    return done.location.rsplit("/", 1)[1]


def texts_in(app, lang, instrument, before):
    with app.test_request_context(f"/{lang}/"):
        g.lang = lang
        first = instrument.dimensions[0]
        done = [
            gettext(instrument.actions[k].title)
            for q in first.questions
            for k in q.option(before.answers[q.key]).actions
        ]
        return gettext(first.name), done


def since_section(page: str) -> str:
    match = re.search(r'<section class="since".*?</section>', page, re.S)
    assert match, "no progress section"
    return html.unescape(match.group(0))


@pytest.mark.parametrize("lang", LANGS)
def test_the_result_and_the_plan_show_progress_in_every_language(app, client, instrument, lang):
    before = low_check(instrument, lang)
    with app.app_context():
        insert(get_db(), before)
    new_id = came_back(client, instrument, lang, before)
    with app.app_context():
        now = get(get_db(), new_id)
    assert now.follows == before.reentry
    name, done = texts_in(app, lang, instrument, before)
    first = instrument.dimensions[0]
    then_score = before.result.dimension(first.key).score
    now_score = now.result.dimension(first.key).score
    for path in (f"/{lang}/result/{new_id}", f"/{lang}/plan/{new_id}"):
        section = since_section(client.get(path).text)
        row = re.search(r'<tr class="change-up".*?</tr>', section, re.S).group(0)
        assert name in row and f">{then_score}<" in row and f">{now_score}<" in row, row
        assert section.count('class="change-same"') == len(instrument.dimensions) - 1
        assert all(title in section for title in done)
        assert section.count("<li") >= len(set(done)) + 1  # what was done, and what is next


@pytest.mark.parametrize("lang", LANGS)
def test_a_first_check_shows_no_progress(client, instrument, lang):
    walker = Walker(client, instrument, lang)
    done = walker.complete(top_answers(instrument, "low"))
    page = client.get(done.location).text
    assert 'class="since"' not in page


@pytest.mark.parametrize("lang", LANGS)
def test_welcome_back_no_longer_flashes_only_last_times_score(app, client, instrument, lang):
    before = low_check(instrument, lang)
    with app.app_context():
        insert(get_db(), before)
    client.get(f"/{lang}/again/{before.reentry}")
    landing = client.get(f"/{lang}/").text
    with app.test_request_context(f"/{lang}/"):
        g.lang = lang
        old = gettext("%(score)s out of 100", score=before.result.overall)
    assert old not in landing
    assert csrf_token(landing)


def pdf_text(app, lang, submission, tmp_path) -> str:
    with app.test_request_context(f"/{lang}/"):
        g.lang = lang
        page = render_plan(submission, None, pdf=True)
        pdf = render_document(page, lang).write_pdf(**PDF_OPTIONS)
    path = tmp_path / f"plan-{lang}.pdf"
    path.write_bytes(pdf)
    return page, path


@pytest.mark.parametrize("lang", LANGS)
def test_the_pdf_shows_progress_in_every_language(app, client, instrument, lang, tmp_path):
    before = low_check(instrument, lang)
    with app.app_context():
        insert(get_db(), before)
    new_id = came_back(client, instrument, lang, before)
    with app.app_context():
        now = get(get_db(), new_id)
    page, path = pdf_text(app, lang, now, tmp_path)
    assert 'class="since"' in page
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    first = instrument.dimensions[0]
    then_score = before.result.dimension(first.key).score
    now_score = now.result.dimension(first.key).score
    squeezed = re.sub(r"\s+", " ", text)
    # The part's row as drawn: its two scores side by side (poppler garbles Khmer and Burmese
    # letters, not digits), and the progress heading where poppler gives text back.
    assert re.search(rf"\b{then_score} {now_score}\b", squeezed), squeezed[:2000]
    if lang in ("en", "vi", "zh", "th", "lo"):
        with app.test_request_context(f"/{lang}/"):
            g.lang = lang
            heading = gettext("Since your last check")
        assert letters(heading) in letters(text)


def letters(text: str) -> str:
    """The text's letters without spaces or marks: poppler gives Thai and Lao marks back out of
    order (รบั for รับ), so the heading is compared on its base letters, in order."""
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) != "Mn")


NEW_TEXTS = (
    "Since your last check",
    "What you did from your last plan",
    "What is next",
    "Last time",
    "not compared",
)


@pytest.mark.parametrize("lang", [x for x in LANGS if x != "en"])
def test_the_progress_texts_are_translated(app, lang):
    """Waits on the translators: the new texts of issue 16 in every language."""
    with app.test_request_context(f"/{lang}/"):
        g.lang = lang
        untranslated = [t for t in NEW_TEXTS if gettext(t) == t]
    assert untranslated == []
