"""The server's side of the phone app: its scripts, the plan's template and the plan's data.
(The scripts themselves: tests/js/ with Node; in Chromium: test_offline_matrix.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import g
from flask_babel import gettext

from lmcself.core.instrument import default_instrument
from lmcself.web.i18n import LOCALES
from lmcself.web.pwa import MODULES, STATIC, release
from lmcself.web.scripts import joined_script

IMPORT = re.compile(r'^import .* from "([^"]+)";$', re.MULTILINE)


def imported(start: str) -> set[str]:
    """Every module the entry module loads, as paths under static/."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        text = (STATIC / name).read_text(encoding="utf-8")
        for spec in IMPORT.findall(text):
            todo.append(
                (STATIC / Path(name).parent / spec)
                .resolve()
                .relative_to(STATIC.resolve())
                .as_posix()
            )
    return seen


def test_every_module_is_preloaded_and_kept_offline():
    """The page preloads MODULES, and the service worker keeps what the page preloads: a module
    missing from the list would be missing offline."""
    assert set(MODULES) == imported("js/main.js")
    assert MODULES[0] == "js/main.js"


def test_the_app_page_loads_the_joined_script_and_nothing_else(app, client):
    """Browsers get the modules joined into one script (web/scripts.py), under its digest."""
    page = client.get("/en/app").text
    assert 'rel="modulepreload"' not in page
    with app.app_context():
        digest = joined_script().digest
    assert re.findall(r'<script type="module" src="([^"]+)"', page) == [f"/static/app-{digest}.js"]


def test_with_js_modules_the_page_preloads_every_module_under_the_release(app, client):
    """JS_MODULES (for development) loads the modules one by one, each preloaded."""
    app.config["JS_MODULES"] = True
    page = client.get("/en/app").text
    with app.app_context():
        assert release()
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', page)
    assert preloaded == [f"/static/r/{release()}/{m}" for m in MODULES]
    assert f'<script type="module" src="/static/r/{release()}/js/main.js"></script>' in page


def test_a_release_address_is_cached_long_an_old_one_not(app, client):
    """Relative imports inherit the release in the address, so a new release is new addresses."""
    with app.app_context():
        assert release()
    with client.get(f"/static/r/{release()}/js/fill.js") as current:
        assert current.status_code == 200
        assert current.cache_control.max_age == 365 * 24 * 3600
        with client.get("/static/r/000000000000/js/fill.js") as old:
            assert old.status_code == 200 and old.data == current.data
            assert old.cache_control.max_age == 0


def test_the_plan_template_is_the_plan_pages_markup_left_empty(client):
    """The phone's <template> is the page's partials rendered with BLANK: every repeated element
    once, every optional one there for the phone to keep or drop, no value filled in."""
    page = client.get("/en/app").text
    template = re.search(r'<template id="plan-template">(.*?)</template>', page, re.S).group(1)
    for each in ("gaps", "focus_parts", "later_parts", "horizons", "steps", "notes"):
        assert f'data-each="{each}"' in template, each
    for key in ("more_tools", "cross_border", "cross_links", "cross_none", "done", "qr"):
        assert f'data-if="{key}"' in template, key
    assert 'data-each="more_tools"' in template and 'data-each="tools"' in template
    # Slots are empty: no text, no address left from a real plan.
    assert not re.search(r'data-slot="\w+">[^<]', template)
    assert 'href=""' in template and "http" not in template


@pytest.mark.parametrize("lang", LOCALES)
def test_the_plan_data_carries_the_pages_texts(app, lang):
    """The data the phone shows offline holds the same translated texts as the server's page."""
    from lmcself.web.plan_views import plan_data

    with app.test_request_context(f"/{lang}/"):
        g.lang = lang
        pd = plan_data()
        action = default_instrument().actions["payments_qr_start"]
        assert pd["actions"]["payments_qr_start"]["title"] == gettext(action.title)
        tool = next(t for t in pd["tools"] if t["key"] == "khqr")
        assert tool["view"]["name"] == "KHQR (Bakong)"  # a service keeps its own name
        assert tool["view"]["translate"] == "no"
        assert tool["view"]["site"] == "ftb.com.kh" and tool["view"]["url"].startswith("https://")
