/* The phone computes what the server computes: static/scoring.js, static/plan.js and the plan's
   texts (static/js/plan-view.js), numbers and dates (static/js/fill.js) against the Python code,
   on vectors Python makes at test time (tests/js/golden.py). Node's own test runner, no packages:
   `node --test tests/js/` (`make test` runs it). LMCSELF_PYTHON names the Python with lmcself
   installed (default: the project's .venv). */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { score, shown } from "../../static/scoring.js";
import { buildPlan, reentryCode } from "../../static/plan.js";
import { planView } from "../../static/js/plan-view.js";
import { progress } from "../../static/progress.js";
import { sinceView } from "../../static/js/since-view.js";
import { formatDate, formatNumber } from "../../static/js/fill.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
let golden, tmp;

before(() => {
  tmp = mkdtempSync(join(tmpdir(), "lmcself-golden-"));
  const out = join(tmp, "golden.json");
  const python = process.env.LMCSELF_PYTHON || join(root, ".venv", "bin", "python");
  execFileSync(python, [join(root, "tests", "js", "golden.py"), out], { stdio: "inherit" });
  golden = JSON.parse(readFileSync(out, "utf-8"));
});

after(() => rmSync(tmp, { recursive: true, force: true }));

test("scoring.js scores thousands of answer sets as Python does: every version, any weights, conditions, 'does not apply'", () => {
  let total = 0, hidden = 0, na = 0, none = 0, versions = new Set();
  for (const { instrument, contexts, answers, results } of golden.scoring) {
    assert.deepEqual(answers.map((a, i) => score(instrument, a, contexts[i])), results);
    versions.add(instrument.version);
    total += results.length;
    for (const [i, a] of answers.entries()) {
      const given = Object.keys(a).length, kept = Object.keys(shown(instrument, contexts[i], a)).length;
      if (kept < given || kept < instrument.dimensions.reduce((n, d) => n + d.questions.length, 0)) hidden += 1;
      if (instrument.dimensions.some((d) => d.questions.some((q) => q.options.some((o) => o.not_applicable && o.key === a[q.key])))) na += 1;
    }
    none += results.filter((r) => r.dimensions.some((d) => d.score === null)).length;
  }
  // Every case met: hidden questions, "does not apply" answers, whole parts that do not apply.
  assert.ok(total >= 5000 && hidden > 500 && na > 500 && none > 0, JSON.stringify({ total, hidden, na, none }));
  assert.ok(versions.size >= golden.versions.length);
});

test("scoring.js keeps and drops the answers Python keeps and drops", () => {
  for (const { instrument, contexts, answers, shown: kept } of golden.scoring) {
    assert.deepEqual(answers.map((a, i) => shown(instrument, contexts[i], a)), kept);
  }
});

test("scoring.js refuses incomplete or foreign answers", () => {
  const instrument = golden.refused.instrument;
  assert.throws(() => score(instrument, {}), /^Error: question \w+ is not answered$/);
  assert.throws(() => score(instrument, { nonsense: "x" }), /^Error: unknown question nonsense$/);
});

test("plan.js builds the plan Python builds, for every version and with conditions", () => {
  const plans = [];
  for (const { plan_data: pd, cases } of golden.plans) {
    for (const c of cases) assert.deepEqual(buildPlan(pd, c.result, c.context, c.answers), c.plan);
    plans.push(...cases.map((c) => c.plan));
  }
  // Both versions and a copy with conditions: parts that do not apply come last.
  assert.ok(golden.plans.length >= golden.versions.length + 1);
  assert.ok(golden.plans.some(({ cases }) => cases.some((c) => c.result.dimensions.some((d) => d.score === null))));
  // A result of another version gets its own version's plan from the same plan data.
  assert.ok(golden.plans.some(({ plan_data: pd, cases }) => cases.some((c) => c.result.version !== pd.version && pd.versions[c.result.version])));
  // Every rule was exercised: gaps, cross-border sections or none, tools on steps.
  assert.ok(plans.some((p) => p.gaps.length));
  assert.ok(plans.some((p) => p.cross_border && p.cross_border.length));
  assert.ok(plans.some((p) => p.cross_border === null));
  assert.ok(plans.some((p) => p.parts.some((part) => Object.values(part.steps).some((h) => h.some((s) => s.tools.length)))));
});

test("plan.js makes the re-entry code Python makes", () => {
  assert.deepEqual(golden.reentry.ids.map(reentryCode), golden.reentry.codes);
});

for (const lang of ["km", "lo", "my", "th", "vi", "zh", "en"]) {
  test(`the phone's plan has the page's texts, in ${lang}`, () => {
    const { plan_data: pd, data, again, cases } = golden.views[lang];
    assert.equal(cases.length, 40);
    for (const c of cases) assert.deepEqual(planView(pd, data, c.record, again), c.view);
    // Stored results of every shipped version: the older ones keep their own plans.
    assert.deepEqual(new Set(cases.map((c) => c.record.payload.instrument_version)), new Set(golden.versions));
  });

  test(`the phone's progress since the last check is the page's, in ${lang}`, () => {
    const { plan_data: pd, data, cases } = golden.progress[lang];
    assert.equal(cases.length, 30);
    for (const c of cases) {
      const r = c.record;
      const plan = buildPlan(pd, r.result, r.payload.context, r.payload.answers);
      const now = { answers: r.payload.answers, result: r.result };
      assert.deepEqual(progress(c.instrument, pd, r.previous, now, plan), c.keys);
      assert.deepEqual(sinceView(pd, { ...data, instrument: c.instrument }, r), c.view);
    }
    // Both kinds were met: every part compared, and only the parts the newer version lists,
    // also after a check of an older shipped version (1.0 before 2.0).
    assert.ok(cases.some((c) => c.record.previous.result.version !== c.record.result.version && golden.versions.includes(c.record.previous.result.version)));
    assert.ok(cases.some((c) => c.keys.overall_change !== null && c.keys.done.length));
    assert.ok(cases.some((c) => c.keys.overall_change === null && c.keys.parts.some((p) => p.comparable)));
    assert.ok(cases.some((c) => c.keys.parts.some((p) => p.change > 0)));
    assert.ok(cases.some((c) => c.keys.parts.some((p) => p.change < 0)));
  });

  test(`the phone writes dates and numbers as the server does, in ${lang}`, () => {
    const { data, dates } = golden.views[lang];
    for (const [iso, written] of Object.entries(dates)) assert.equal(formatDate(data.date, iso), written);
    assert.equal(formatNumber(data.number, "1234567.5"), `1${data.number.group}234${data.number.group}567${data.number.decimal}5`);
  });
}
