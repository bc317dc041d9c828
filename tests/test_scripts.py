"""The joined script browsers get (lmcself/web/scripts.py) is the modules of static/js, whole.
(In Chromium it runs every offline promise: test_offline_matrix.py; Node's parity tests run the
modules themselves.)"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import sys
from pathlib import Path

import brotli
import pytest

from lmcself.web.pwa import MODULES
from lmcself.web.scripts import STATIC, join, joined_script, modules, parse

ROOT = Path(__file__).resolve().parent.parent


def code_lines(name: str, text: str) -> list[str]:
    """The lines that do something: no comments, no imports, `export` dropped."""
    module = parse(name, text)
    return [line for line in module.body.splitlines() if line.strip()]


def test_the_script_holds_every_module_after_the_modules_it_imports():
    ordered = modules()
    assert {m.name for m in ordered} == set(MODULES)
    assert ordered[-1].name == "js/main.js"
    seen: set[str] = set()
    for module in ordered:
        assert {target for _binding, target in module.imports} <= seen, module.name
        seen.add(module.name)


def test_the_script_keeps_every_line_of_code_of_every_module_in_order():
    """Made from the files on disk at start, so it cannot lag behind them; and nothing of them is
    lost on the way (only comments, imports and the word `export` go)."""
    text = "\n".join(line for line in joined_script().text.decode().splitlines() if line.strip())
    for name in MODULES:
        source = (STATIC / name).read_text(encoding="utf-8")
        lines = code_lines(name, source)
        assert len(lines) > 5, name
        block = "\n".join(lines)
        assert block in text, f"{name} is not in the joined script whole"
        # Every exported name is handed to the importers.
        for exported in re.findall(r"^\s*export (?:function|var|const|let) (\w+)", source, re.M):
            assert exported in parse(name, source).exports


def test_imports_become_bindings_to_the_exporting_module():
    text = join(modules())
    assert "import " not in re.sub(r'"[^"\n]*"', '""', text)
    assert not re.search(r"^\s*export ", text, re.M)
    assert "var { fillText, formatDate, formatNumber, render } = m_js_fill_js;" in text
    assert "var store = m_js_store_js;" in text
    assert "return { get, set, remove, persist, uuid4 };" in text


def test_the_joiner_refuses_what_it_cannot_read():
    with pytest.raises(ValueError):
        parse("x.js", "export default function () {}\n")
    with pytest.raises(ValueError):
        parse("x.js", 'import "./y.js";\n')


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
def test_node_reads_the_joined_script_as_a_module(tmp_path):
    path = tmp_path / "app.mjs"
    path.write_bytes(joined_script().text)
    subprocess.run(["node", "--check", str(path)], check=True)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
def test_the_joined_modules_compute_what_the_modules_compute(tmp_path):
    """Scoring, the plan's rules and the plan's texts, joined as browsers get them, on Python's
    golden vectors (tests/js/golden.py): the same answers as the modules Node's tests check."""
    golden = tmp_path / "golden.json"
    subprocess.run(
        [sys.executable, str(ROOT / "tests" / "js" / "golden.py"), str(golden)], check=True
    )
    ordered = modules("js/plan-view.js")
    ordered += [
        m for m in modules("js/questionnaire.js") if m.name not in {o.name for o in ordered}
    ]
    (tmp_path / "joined.mjs").write_text(join(ordered, library=True), encoding="utf-8")
    check = tmp_path / "check.mjs"
    check.write_text(
        f"""
import {{ readFileSync }} from "node:fs";
import {{ isDeepStrictEqual }} from "node:util";
import * as joined from "./joined.mjs";
const golden = JSON.parse(readFileSync({str(golden)!r}, "utf-8"));
const {{ score }} = joined.m_scoring_js, {{ buildPlan, reentryCode }} = joined.m_plan_js;
const {{ planView }} = joined.m_js_plan_view_js, {{ formatDate }} = joined.m_js_fill_js;
let n = 0;
function same(a, b, what) {{
  if (!isDeepStrictEqual(a, b)) throw new Error(what + ": " + JSON.stringify([a, b]).slice(0, 300));
  n++;
}}
for (const {{ instrument, contexts, answers, results }} of golden.scoring)
  same(answers.map((a, i) => score(instrument, a, contexts[i])), results, "score");
for (const {{ plan_data, cases }} of golden.plans)
  for (const c of cases) same(buildPlan(plan_data, c.result, c.context, c.answers), c.plan, "plan");
same(golden.reentry.ids.map(reentryCode), golden.reentry.codes, "reentry");
for (const [lang, v] of Object.entries(golden.views)) {{
  for (const c of v.cases) same(planView(v.plan_data, v.data, c.record, v.again), c.view, lang);
  for (const [iso, written] of Object.entries(v.dates)) same(formatDate(v.data.date, iso), written, iso);
}}
console.log(n);
""",
        encoding="utf-8",
    )
    out = subprocess.run(["node", str(check)], capture_output=True, text=True, check=True)
    assert int(out.stdout) > 7 * 40


def test_the_script_is_served_compressed_once_and_cached_under_its_digest(client):
    made = joined_script()
    url = f"/static/app-{made.digest}.js"
    with client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"}) as response:
        assert response.headers["Content-Encoding"] == "br"
        assert brotli.decompress(response.data) == made.text
        assert response.cache_control.max_age == 365 * 24 * 3600
        assert "Accept-Encoding" in response.headers["Vary"]
        etag = response.headers["ETag"]
    with client.get(url, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.data) == made.text
    with client.get(url, headers={"Accept-Encoding": "identity"}) as response:
        assert "Content-Encoding" not in response.headers and response.data == made.text
    with client.get(
        url, headers={"Accept-Encoding": "gzip, deflate, br", "If-None-Match": etag}
    ) as response:
        assert response.status_code == 304
    # An old page's address gets today's script, not kept long.
    with client.get("/static/app-000000000000.js") as old:
        assert old.status_code == 200 and old.cache_control.max_age == 0
