"""The method page is written from the instrument and from score(): its worked example is the
result score() gives for the example's answers, its conditions, "does not apply" answers and
"Start here" order are those of the version, in every language and for both versions."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from lmcself import create_app
from lmcself.core.instrument import QUESTIONS_DIR, instrument_for
from lmcself.core.scoring import round_half_up, score, worked_example
from lmcself.storage.db import init_db
from lmcself.web.i18n import LOCALES

# The server's own version is 2.0 (the default); a server still on 1.0 is configured.
VERSIONS = {"1.0": str(QUESTIONS_DIR / "instrument.yaml"), "2.0": None}


@pytest.fixture(params=list(VERSIONS))
def versioned(request, tmp_path):
    config = {"TESTING": True, "DATABASE": str(tmp_path / "m.db"), "SECRET_KEY": "t"}
    if VERSIONS[request.param]:
        config["INSTRUMENT_PATH"] = VERSIONS[request.param]
    app = create_app(config)
    with app.app_context():
        init_db()
    return app, instrument_for(request.param)


@pytest.mark.parametrize("version", list(VERSIONS))
def test_the_worked_example_equals_score(version):
    inst = instrument_for(version)
    example = worked_example(inst)
    result = score(inst, example.answers, example.context)
    assert example.overall == result.overall
    assert [p.rounded for p in example.parts] == [d.score for d in result.dimensions]
    # it shows what a reader would get wrong: the rounded scores' average rounds differently
    assert round_half_up(example.average_of_rounded) != result.overall
    assert example.exact_overall == Fraction(
        sum(p.exact for p in example.parts if p.exact is not None),
        len([p for p in example.parts if p.exact is not None]),
    )
    if any(q.when for q in inst.questions):
        assert example.skipped  # the example shows a question not asked


@pytest.mark.parametrize("lang", LOCALES)
def test_the_method_page_shows_the_example_score_gives(versioned, lang):
    app, inst = versioned
    page = app.test_client().get(f"/{lang}/method").text
    example = worked_example(inst)
    result = score(inst, example.answers, example.context)
    assert f'data-overall="{result.overall}"' in page
    for d in result.dimensions:
        assert re.search(rf'data-part="{d.key}" data-score="{d.score}"', page)
    order = page.split('class="start-order"')[1].split("</span>")[0]
    with app.test_request_context(f"/{lang}/"):
        from flask import g
        from flask_babel import gettext

        g.lang = lang
        names = [gettext(inst.dimension(k).name) for k in inst.start_rank]
    positions = [order.find(n) for n in names]
    assert positions == sorted(positions) and -1 not in positions
    conditional = [q for q in inst.questions if q.when]
    assert page.count('class="condition"') == sum(len(q.when) for q in conditional)


def test_2_0_starts_with_payments_and_security():
    assert list(instrument_for("2.0").start_rank)[:2] == ["payments", "security"]


@pytest.mark.parametrize("lang", LOCALES)
def test_the_method_page_says_earlier_results_keep_their_version(versioned, lang):
    """2.0, the version new checks use, says that 1.0 results are still shown as 1.0."""
    app, inst = versioned
    page = app.test_client().get(f"/{lang}/method").text
    earlier = re.findall(r'<p class="meta earlier-version">([^<]*)</p>', page)
    if inst.version == "2.0":
        assert len(earlier) == 1 and "1.0" in earlier[0]
    else:
        assert earlier == []
