"""The loader: the shipped instrument is valid; a broken file names the file, the key and the fault."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from lmcself import create_app
from lmcself.core.instrument import (
    CURRENT_VERSION,
    DEFAULT_PATH,
    VERSIONS,
    InstrumentError,
    default_instrument,
    instrument_for,
    load_instrument,
)

from .conftest import assert_names_the_fault

RAW = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


# Questions per part: 1.0 had 3 to 5; 2.0 split bundled answers into their own questions and
# added some asked only when they apply, up to 6 on a page.
MOST_PER_PART = {"1.0": 5, "2.0": 6}


@pytest.mark.parametrize("version", VERSIONS)
def test_the_shipped_instrument_is_complete(version):
    instrument = instrument_for(version)
    assert instrument.version == version
    assert len(instrument.dimensions) >= 5
    assert all(3 <= len(d.questions) <= MOST_PER_PART[version] for d in instrument.dimensions)
    assert next(c.key for c in instrument.context) == "country"
    assert {o.key for o in instrument.context_question("country").options} == {
        "KH",
        "LA",
        "MM",
        "VN",
        "TH",
        "CN",
    }
    assert {o.key for o in instrument.context_question("women_led").options} >= {"prefer_not"}
    assert any(o.dont_know for q in instrument.questions for o in q.options)


def test_new_checks_use_2_0_and_the_app_serves_it_by_default(app):
    assert CURRENT_VERSION == "2.0" and default_instrument().version == "2.0"
    assert app.extensions["instrument"] is default_instrument()
    assert instrument_for("1.0").version == "1.0"  # stored 1.0 results keep their version


def test_every_text_is_real_content(instrument):
    for key, text in instrument.texts():
        assert len(text) >= 2, key
        assert not any(word in text.lower() for word in ("lorem", "todo", "tbd", "xxx")), key


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def mutate(fn):
    data = copy.deepcopy(RAW)
    fn(data)
    return data


def first_question(data):
    return data["dimensions"][0]["questions"][0]


CASES = {
    "missing version": (lambda d: d.pop("version"), "(top)", "missing key 'version'"),
    "typo key": (
        lambda d: d["dimensions"][0].update(sumary="x"),
        "dimensions[0].sumary",
        "unknown key",
    ),
    "level order": (lambda d: d["levels"][2].update(min=10), "levels[2].min", "must rise"),
    "points above 4": (
        lambda d: first_question(d)["options"][0].update(points=9),
        ".points",
        "0 to 4",
    ),
    "points not rising": (
        lambda d: first_question(d)["options"][1].update(
            points=first_question(d)["options"][0]["points"]
        ),
        f"{RAW['dimensions'][0]['questions'][0]['key']}.options",
        "rise strictly",
    ),
    "unknown action": (
        lambda d: first_question(d)["options"][0].update(actions=["no_such_action"]),
        ".actions",
        "unknown action 'no_such_action'",
    ),
    "missing action": (
        lambda d: first_question(d)["options"][0].pop("actions"),
        ".actions",
        "needs an action",
    ),
    "placeholder": (
        lambda d: first_question(d).update(text="Do you use %s?"),
        ".text",
        "placeholders",
    ),
    "empty text": (lambda d: first_question(d).update(text="  "), ".text", "non-empty text"),
    "bad horizon": (lambda d: d["actions"][0].update(horizon=45), ".horizon", "(30, 60, 90)"),
    "unused action": (
        lambda d: d["actions"].append(
            {**d["actions"][0], "key": d["actions"][0]["key"] + "_spare"}
        ),
        "_spare",
        "never used",
    ),
    "too few questions": (
        lambda d: d["dimensions"][0].update(questions=d["dimensions"][0]["questions"][:2]),
        ".questions",
        "3-6 entries",
    ),
    "question prefix": (
        lambda d: first_question(d).update(key="other_key"),
        ".key",
        "start with their dimension key",
    ),
    "context order": (lambda d: d["context"].reverse(), "context[0].key", "expected 'country'"),
    "bad country": (
        lambda d: d["context"][0]["options"][0].update(key="Cambodia"),
        "context.country.options[0].key",
        "expected an identifier",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_broken_file_names_file_key_and_fault(tmp_path, case):
    change, key, problem = CASES[case]
    path = write(tmp_path, mutate(change))
    assert_names_the_fault(load_instrument, path, key, problem)


def test_invalid_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: '1\nlevels: [", encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"bad\.yaml: line \d+: not valid YAML"):
        load_instrument(bad)
    with pytest.raises(InstrumentError, match=r"nowhere\.yaml: \(file\): cannot read"):
        load_instrument(tmp_path / "nowhere.yaml")


def test_the_app_refuses_to_start_with_a_broken_instrument(tmp_path):
    path = write(tmp_path, mutate(lambda d: d["levels"].pop()))
    with pytest.raises(InstrumentError, match="levels"):
        create_app(
            {
                "TESTING": True,
                "INSTRUMENT_PATH": str(path),
                "SECRET_KEY": "x",
                "DATABASE": str(tmp_path / "d.db"),
            }
        )


def test_the_extractor_gives_every_text_with_its_key(instrument):
    from lmcself.core.extract import extract_instrument

    with DEFAULT_PATH.open("rb") as f:
        messages = list(extract_instrument(f, [], [], {}))
    assert len(messages) == len(instrument.texts())
    lineno, _, _text, comments = messages[0]
    assert lineno > 0 and comments[0].startswith("TRANSLATORS: levels.")
    assert {m[2] for m in messages} == {t for _, t in instrument.texts()}
