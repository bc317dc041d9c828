/* Progress from one check to the next on the phone (an ES module): the rules of
   lmcself/core/progress.py, so the phone shows offline what the result page shows.
   progress(instrument, pd, before, now, plan) -> keys and numbers (Progress.keys() in Python):
   instrument: /api/v1/instrument.json (points, comparable_with); pd: /<lang>/plan-data.json (the
   actions of each option, their horizons); before, now: {answers, result}; plan: buildPlan's.
   The previous check's rules are this version's or an older one's in pd.versions.
   tests/js/parity.test.mjs checks it against Python on vectors Python makes. */

function comparableParts(instrument, beforeVersion) {
  if (beforeVersion === instrument.version) return instrument.dimensions.map(function (d) { return d.key; });
  return (instrument.comparable_with || {})[beforeVersion] || [];
}

function scores(result) {
  var out = {};
  result.dimensions.forEach(function (d) { out[d.key] = d.score; });
  return out;
}

function points(instrument, question, answer) {
  for (var i = 0; i < instrument.dimensions.length; i++) {
    var qs = instrument.dimensions[i].questions;
    for (var j = 0; j < qs.length; j++) {
      if (qs[j].key !== question) continue;
      var option = qs[j].options.filter(function (o) { return o.key === answer; })[0];
      return option ? option.points : null;
    }
  }
  return null;
}

/* The plan rules of the previous check's version: this one's, or an older one the plan data
   carries (pd.versions); null for a version this phone does not know. */
export function beforeRules(instrument, pd, version) {
  if (version === instrument.version) return pd;
  return (pd.versions && pd.versions[version]) || null;
}

export function progress(instrument, pd, before, now, plan) {
  var then = scores(before.result), current = scores(now.result);
  var keys = comparableParts(instrument, before.result.version);
  var order = instrument.dimensions.map(function (d) { return d.key; });
  Object.keys(then).forEach(function (k) { if (order.indexOf(k) < 0) order.push(k); });
  var parts = order.map(function (key) {
    var b = key in then ? then[key] : null, n = key in current ? current[key] : null;
    var comparable = keys.indexOf(key) >= 0 && b !== null && n !== null;
    return { key: key, before: b, now: n, comparable: comparable, change: comparable ? n - b : null };
  });
  var compared = parts.filter(function (p) { return p.comparable; }).map(function (p) { return p.key; });

  var done = [], earlier = beforeRules(instrument, pd, before.result.version);
  if (earlier) { /* else this phone lacks the previous check's version */
    earlier.dimensions.forEach(function (dim) {
      if (compared.indexOf(dim.key) < 0) return;
      dim.questions.forEach(function (q) {
        var answer = before.answers[q.key], actions = q.actions[answer] || [];
        var thenPoints = answer in q.points ? q.points[answer] : null;
        if (thenPoints === null || !actions.length) return;
        var nowPoints = points(instrument, q.key, now.answers[q.key]);
        if (nowPoints === null || nowPoints <= thenPoints) return;
        actions.forEach(function (a) { if (done.indexOf(a) < 0) done.push(a); });
      });
    });
    /* by horizon, keeping the plan's order within one (a stable sort, as Python's) */
    done = pd.horizons.reduce(function (out, h) {
      return out.concat(done.filter(function (a) { return earlier.actions[a].horizon === h; }));
    }, []);
  }

  var firsts = [], rest = [];
  plan.parts.forEach(function (part) {
    var steps = [];
    pd.horizons.forEach(function (h) {
      part.steps[String(h)].forEach(function (s) { steps.push(s.action); });
    });
    if (steps.length && part.focus) { firsts.push(steps[0]); rest = rest.concat(steps.slice(1)); }
    else rest = rest.concat(steps);
  });

  var same = before.result.version === now.result.version;
  return {
    before_version: before.result.version,
    now_version: now.result.version,
    parts: parts,
    overall_before: before.result.overall,
    overall_now: now.result.overall,
    overall_change: same ? now.result.overall - before.result.overall : null,
    done: done,
    next: firsts.concat(rest).slice(0, pd.next_steps)
  };
}
