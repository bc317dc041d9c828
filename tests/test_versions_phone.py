"""Questionnaire 2.0 on the phone, with JavaScript and offline: a question with a condition is
shown only while it holds, as the owner answers; the result and the plan are made offline from
the answers shown, and the server stores the same; a 1.0 questionnaire in progress on the phone
moves over to 2.0, keeping the answers to the questions that are the same in both. In every
language."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from lmcself.core.instrument import instrument_for
from lmcself.core.scoring import score
from lmcself.web.i18n import LOCALES

from .conftest import LiveServer
from .test_offline_matrix import KEPT_BY_PAGE, phone_context

pytestmark = pytest.mark.browser
V1, V2 = instrument_for("1.0"), instrument_for("2.0")
SERVICES = {
    "country": "TH",
    "sector": "services",
    "size": "1",
    "years": "1_3",
    "women_led": "yes",
    "region": "border",
    "cross_border": "no",
}


@pytest.fixture(scope="module")
def v2_server(tmp_path_factory) -> Iterator[LiveServer]:
    """A server as shipped, no instrument configured: new checks are 2.0."""
    server = LiveServer(tmp_path_factory.mktemp("v2")).start()
    yield server
    server.stop()


def pick(page, key: str, value: str) -> None:
    page.locator(f"#q-{key} input[value='{value}'] + label").click()


def visible(page, key: str) -> bool:
    return page.locator(f"#q-{key}").is_visible()


def step(page, n: int) -> str:
    section = f"#assess section[data-step='{n}']"
    page.wait_for_selector(section + ":not([hidden])")
    return section


def top(q):
    return max((o for o in q.options if not o.not_applicable), key=lambda o: o.points).key


@pytest.mark.parametrize("lang", LOCALES)
def test_conditions_on_the_phone_offline(browser, v2_server, lang):
    context = phone_context(browser, "lan")  # no service worker: the page keeps what it needs
    page = context.new_page()
    page.goto(f"{v2_server.url}/{lang}/app")
    page.wait_for_function(KEPT_BY_PAGE, arg=lang, polling=100)
    context.set_offline(True)  # every answer, the result and the plan from here are offline
    page.locator("#consent").check()
    page.locator("[data-action=start]").click()
    step(page, 0)
    for key, value in SERVICES.items():
        pick(page, key, value)
    page.locator(step(page, 0) + " button[type=submit]").click()
    answers = {}
    for n, dim in enumerate(V2.dimensions, start=1):
        section = step(page, n)
        if dim.key == "selling":
            assert visible(page, "selling_booking")  # a service business: booking, not delivery
            assert not visible(page, "selling_orders") and not visible(page, "selling_delivery")
            pick(page, "selling_channel", "chat")
            assert visible(page, "selling_orders") and not visible(page, "selling_delivery")
            pick(page, "selling_channel", "none")  # no online orders: the question closes
            assert not visible(page, "selling_orders")
        if dim.key == "operations":
            assert not visible(page, "operations_export")  # not selling abroad
            assert visible(page, "operations_border_payments")  # near a border
        for q in dim.questions:
            if visible(page, q.key) and q.key != "selling_channel":
                pick(page, q.key, top(q))
                answers[q.key] = top(q)
        answers.setdefault("selling_channel", "none") if dim.key == "selling" else None
        page.locator(section + " button[type=submit]").click()
    section = step(page, len(V2.dimensions) + 1)  # the unscored questions
    for q in V2.unscored:
        pick(page, q.key, q.options[0].key)
    page.locator(section + " button[type=submit]").click()
    page.wait_for_selector("#result:not([hidden])")
    expected = score(V2, answers, SERVICES)
    assert page.locator("#result .big").inner_text().strip() != ""
    kept = page.evaluate("""async () => await new Promise((resolve) => {
      const open = indexedDB.open('lmcself');
      open.onsuccess = () => {
        const get = open.result.transaction('kv').objectStore('kv').get('results');
        get.onsuccess = () => { open.result.close(); resolve(get.result); };
      };
    })""")
    (record,) = kept.values()
    assert record["result"]["overall"] == expected.overall
    assert record["payload"]["instrument_version"] == "2.0"
    assert "selling_orders" not in record["payload"]["answers"]
    assert "operations_export" not in record["payload"]["answers"]
    page.locator("[data-action=plan]").click()
    page.wait_for_selector("#plan:not([hidden]) .part-name")
    assert page.locator("#app-error").is_hidden()
    # back online: the server stores what the phone scored
    context.set_offline(False)
    page.locator("[data-action=back-to-result]").click()
    page.wait_for_function(
        "() => document.querySelector('#result .sync').dataset.status === 'sent'"
    )
    (row,) = v2_server.rows(
        "SELECT overall, instrument_version, answers FROM submissions WHERE id = ?",
        [record["payload"]["id"]],
    )
    assert row["overall"] == expected.overall and row["instrument_version"] == "2.0"
    assert "selling_orders" not in json.loads(row["answers"])
    context.close()


MOVE = """async (state) => await new Promise((resolve) => {
  const open = indexedDB.open('lmcself', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('kv');
  open.onsuccess = () => {
    const tx = open.result.transaction('kv', 'readwrite');
    tx.objectStore('kv').put(state, 'current');
    tx.oncomplete = () => { open.result.close(); resolve(true); };
  };
})"""
CURRENT = """async () => await new Promise((resolve) => {
  const open = indexedDB.open('lmcself');
  open.onsuccess = () => {
    const get = open.result.transaction('kv').objectStore('kv').get('current');
    get.onsuccess = () => { open.result.close(); resolve(get.result); };
  };
})"""


@pytest.mark.parametrize("lang", LOCALES)
def test_a_1_0_questionnaire_on_the_phone_moves_over_keeping_its_answers(browser, v2_server, lang):
    context = phone_context(browser, "lan")
    page = context.new_page()
    page.goto(f"{v2_server.url}/{lang}/app")
    old_context = {**SERVICES, "region": "capital"}  # a 1.0 option that 2.0 no longer has
    old_answers = {q.key: q.options[0].key for q in V1.questions[:12]}
    state = {
        "id": "6f1c2a1e-5b7d-4c1e-9a0b-3d2e1f0a9b8c",
        "workshop": None,
        "context": old_context,
        "answers": old_answers,
        "step": 4,
        "started": "2026-11-30T10:00:00Z",
    }  # as a phone kept it before versions were kept: 1.0
    page.evaluate(MOVE, state)
    page.reload()  # the app resumes the questionnaire under way by itself
    step(page, 0)  # the region is asked again; the rest of the context is kept
    moved = page.evaluate(CURRENT)
    assert moved["version"] == "2.0" and moved["id"] == state["id"]
    assert "region" not in moved["context"]
    assert moved["context"]["sector"] == "services"
    same = {"presence_map", "presence_page", "payments_qr", "payments_separate"}
    assert {k: moved["answers"][k] for k in same} == {k: old_answers[k] for k in same}
    assert "payments_outgoing" not in moved["answers"]  # changed in 2.0: asked again
    assert moved["moved_from"]["answers"] == old_answers  # nothing is thrown away
    assert page.locator("#q-sector input[value=services]").is_checked()
    context.close()
