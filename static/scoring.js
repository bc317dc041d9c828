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

  function score(instrument, answers) {
    var known = {};
    instrument.dimensions.forEach(function (d) {
      d.questions.forEach(function (q) { known[q.key] = true; });
    });
    Object.keys(answers).forEach(function (key) {
      if (!known[key]) throw new Error("unknown question " + key);
    });
    var dims = [], num = 0, den = 1, totalWeight = 0, dontKnow = 0;
    instrument.dimensions.forEach(function (d) {
      var earned = 0, possible = 0, dk = 0;
      d.questions.forEach(function (q) {
        var max = 0, chosen = null;
        q.options.forEach(function (o) {
          if (o.points > max) max = o.points;
          if (o.key === answers[q.key]) chosen = o;
        });
        if (!chosen) throw new Error("question " + q.key + " is not answered");
        earned += q.weight * chosen.points;
        possible += q.weight * max;
        if (chosen.dont_know) dk += 1;
      });
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
    var overall = roundHalfUp(100 * num, den * totalWeight);
    /* ties go to the dimension met first, as in Python's max() and min() */
    var strongest = dims[0], weakest = dims[0];
    dims.forEach(function (x) {
      if (x.score > strongest.score) strongest = x;
      if (x.score < weakest.score) weakest = x;
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
})(rules);

export var score = rules.lmcScore;
