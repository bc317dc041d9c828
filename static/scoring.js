/* Scoring on the phone (an ES module): the rules of lmcself/core/scoring.py, on the same
   instrument JSON (/api/v1/instrument.json), so a phone without network shows the number the
   server computes. Whole numbers only: each score is an exact fraction rounded half up once, as
   in Python. tests/js/parity.test.mjs checks it against Python on vectors Python makes. */
var rules = {};
(function (root) {
  "use strict";

  function gcd(a, b) {
    while (b) { var t = a % b; a = b; b = t; }
    return a;
  }

  /* round_half_up(n / d) for whole n >= 0 and d > 0 */
  function roundHalfUp(n, d) {
    return Math.floor((2 * n + d) / (2 * d));
  }

  function levelFor(levels, score) {
    var key = levels[0].key;
    for (var i = 0; i < levels.length; i++) if (score >= levels[i].min) key = levels[i].key;
    return key;
  }

  /* a question's when: every clause holds; an unanswered or hidden key never holds */
  function applies(q, values) {
    return (q.when || []).every(function (c) {
      var v = values[c.key];
      return v !== undefined && (c.options.indexOf(v) >= 0) !== c.not;
    });
  }

  /* the answers to the questions that apply, in the instrument's order (hidden ones dropped) */
  function shown(instrument, context, answers) {
    var values = {}, out = {}; /* grows question by question: a hidden answer never counts */
    Object.keys(context || {}).forEach(function (k) { values[k] = context[k]; });
    var all = [];
    instrument.dimensions.forEach(function (d) { all = all.concat(d.questions); });
    all.concat(instrument.unscored || []).forEach(function (q) {
      if (q.key in answers && applies(q, values)) out[q.key] = values[q.key] = answers[q.key];
    });
    return out;
  }

  function score(instrument, answers, context) {
    var known = {}, values = {}; /* grows question by question: a hidden answer never counts */
    Object.keys(context || {}).forEach(function (k) { values[k] = context[k]; });
    instrument.dimensions.forEach(function (d) {
      d.questions.forEach(function (q) { known[q.key] = true; });
    });
    (instrument.unscored || []).forEach(function (q) { known[q.key] = true; }); /* kept, never scored */
    Object.keys(answers).forEach(function (key) {
      if (!known[key]) throw new Error("unknown question " + key);
    });
    var dims = [], num = 0, den = 1, totalWeight = 0, dontKnow = 0;
    instrument.dimensions.forEach(function (d) {
      var earned = 0, possible = 0, dk = 0;
      d.questions.forEach(function (q) {
        if (!applies(q, values)) return; /* hidden by its condition: not scored */
        var max = 0, chosen = null;
        q.options.forEach(function (o) {
          if (o.points > max) max = o.points;
          if (o.key === answers[q.key]) chosen = o;
        });
        if (!chosen) throw new Error("question " + q.key + " is not answered");
        values[q.key] = chosen.key;
        if (chosen.dont_know) dk += 1;
        if (chosen.not_applicable) return; /* "does not apply": out of the possible points */
        earned += q.weight * chosen.points;
        possible += q.weight * max;
      });
      if (!possible) {
        dims.push({ key: d.key, score: null, level: null, dont_know: dk });
        dontKnow += dk;
        return;
      }
      var value = roundHalfUp(100 * earned, possible);
      dims.push({ key: d.key, score: value, level: levelFor(instrument.levels, value), dont_know: dk });
      /* num/den += weight * earned / possible, kept reduced */
      num = num * possible + d.weight * earned * den;
      den = den * possible;
      var g = gcd(num, den) || 1;
      num /= g; den /= g;
      totalWeight += d.weight;
      dontKnow += dk;
    });
    var overall = totalWeight ? roundHalfUp(100 * num, den * totalWeight) : 0;
    /* the strongest: the first met among equals, as Python's max(); the weakest ("Start here"):
       the first in the instrument's start order among equals; parts that do not apply neither */
    var rank = {}, scored = dims.filter(function (x) { return x.score !== null; });
    if (!scored.length) scored = dims;
    (instrument.start_order || dims.map(function (x) { return x.key; })).forEach(function (k, i) { rank[k] = i; });
    var strongest = scored[0], weakest = scored[0];
    scored.forEach(function (x) {
      if ((x.score || 0) > (strongest.score || 0)) strongest = x;
      if ((x.score || 0) < (weakest.score || 0) || ((x.score || 0) === (weakest.score || 0) && rank[x.key] < rank[weakest.key])) weakest = x;
    });
    return {
      version: instrument.version,
      overall: overall,
      level: levelFor(instrument.levels, overall),
      dimensions: dims,
      strongest: strongest.key,
      weakest: weakest.key,
      dont_know: dontKnow
    };
  }

  root.lmcScore = score;
  root.lmcApplies = applies;
  root.lmcShown = shown;
})(rules);

export var score = rules.lmcScore;
export var applies = rules.lmcApplies;
export var shown = rules.lmcShown;
