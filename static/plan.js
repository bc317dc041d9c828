/* lmcself action plan in the browser (an ES module): the rules of lmcself/core/plan.py, on the
   data of /<lang>/plan-data.json, so that the plan appears offline exactly as the server builds it.
   buildPlan(pd, result, context, answers) -> keys only (js/plan-view.js turns them into texts).
   reentryCode(id) -> the code printed on the plan (the first 60 bits of the UUID).
   tests/js/parity.test.mjs checks both against the Python code on vectors Python makes. */
var rules = {};
(function (root) {
  "use strict";

  /* a question's when: every clause holds (as static/scoring.js and Python's Condition) */
  function applies(q, values) {
    return (q.when || []).every(function (c) {
      var v = values[c.key];
      return v !== undefined && (c.options.indexOf(v) >= 0) !== c.not;
    });
  }

  /* the rules of the version that scored the result (pd.versions: the other versions) */
  function rulesFor(pd, result) {
    return (pd.versions && pd.versions[result.version]) || pd;
  }

  function lmcPlan(pd, result, context, given) {
    var rules = rulesFor(pd, result);
    var country = context.country, named = {}, values = {}, answers = {};
    Object.keys(context).forEach(function (k) { values[k] = context[k]; });
    /* hidden questions bring no steps or warnings (values grow question by question) */
    rules.dimensions.forEach(function (d) {
      d.questions.forEach(function (q) {
        if (q.key in given && applies(q, values)) answers[q.key] = values[q.key] = given[q.key];
      });
    });
    var all = {};
    Object.keys(context).forEach(function (k) { all[k] = context[k]; });
    Object.keys(answers).forEach(function (k) { all[k] = answers[k]; });

    function take(tools) {
      var fresh = tools.filter(function (t) { return !named[t.key]; });
      fresh.forEach(function (t) { named[t.key] = true; });
      return fresh.map(function (t) { return t.key; });
    }
    function toolsFor(dimension) {
      return pd.tools.filter(function (t) {
        return t.country === country && t.dimensions.indexOf(dimension) >= 0;
      });
    }
    function helping(kinds, dimension) {
      return toolsFor(dimension).filter(function (t) { return kinds.indexOf(t.kind) >= 0; });
    }

    var gaps = rules.gaps.filter(function (g) {
      return Object.keys(g.when).every(function (q) { return g.when[q].indexOf(all[q]) >= 0; });
    }).map(function (g) { return { key: g.key, tools: take(helping(g.tools, g.dimension)) }; });

    var order = {}, rank = {};
    rules.dimensions.forEach(function (d, i) { order[d.key] = i; });
    (rules.start_order || rules.dimensions.map(function (d) { return d.key; })).forEach(function (k, i) { rank[k] = i; });
    /* weakest first; equal scores in the "Start here" order; parts that do not apply last */
    var weakestFirst = result.dimensions.slice().sort(function (a, b) {
      return (a.score === null) - (b.score === null) || (a.score || 0) - (b.score || 0) || rank[a.key] - rank[b.key];
    });

    var parts = weakestFirst.map(function (score, rank) {
      var dim = rules.dimensions[order[score.key]], focus = rank < pd.focus, actions = [];
      dim.questions.forEach(function (q) {
        (q.actions[answers[q.key]] || []).forEach(function (a) {
          if (actions.indexOf(a) < 0) actions.push(a);
        });
      });
      var steps = {};
      pd.horizons.forEach(function (h) {
        steps[String(h)] = actions.filter(function (a) { return rules.actions[a].horizon === h; })
          .map(function (a) {
            return { action: a, tools: focus ? take(helping(rules.actions[a].tools, dim.key)) : [] };
          });
      });
      var own = pd.notes.filter(function (n) { return n.dimension === dim.key; });
      /* own country first, then the region, in catalog order (a stable sort) */
      var notes = own.filter(function (n) { return n.countries.indexOf(country) >= 0; })
        .concat(own.filter(function (n) { return n.countries.indexOf(country) < 0 && !n.local_only; }))
        .slice(0, pd.notes_per_part).map(function (n) { return pd.notes.indexOf(n); });
      return {
        key: dim.key,
        focus: focus,
        steps: steps,
        more_tools: focus ? take(toolsFor(dim.key)) : [],
        notes: notes
      };
    });

    var crossBorder = null;
    if (pd.cross_border_answers.indexOf(context.cross_border) >= 0) {
      crossBorder = pd.cross_border.filter(function (x) { return x.countries.indexOf(country) >= 0; })
        .map(function (x) { return x.countries.join("-"); });
    }

    /* the country's duties that concern the owner: warned where the answers show a gap */
    function holds(when) {
      return Object.keys(when).every(function (q) { return when[q].indexOf(all[q]) >= 0; });
    }
    function warns(o) { return Object.keys(o.warn_when).length > 0 && holds(o.warn_when); }
    function key(x) { return x.key; }
    var concern = pd.obligations.filter(function (o) { return o.country === country && holds(o.when); });
    return {
      gaps: gaps,
      parts: parts,
      cross_border: crossBorder,
      duty_warnings: concern.filter(warns).map(key),
      duties: concern.filter(function (o) { return !warns(o); }).map(key),
      risks: pd.risks.filter(function (r) { return r.country === country; }).map(key)
    };
  }

  var CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

  function lmcReentryCode(id) {
    var hex = id.replace(/-/g, "").slice(0, 15), bits = "", code = "";
    for (var i = 0; i < hex.length; i++) bits += ("000" + parseInt(hex[i], 16).toString(2)).slice(-4);
    for (var j = 0; j < 60; j += 5) code += CROCKFORD[parseInt(bits.slice(j, j + 5), 2)];
    return code.slice(0, 4) + "-" + code.slice(4, 8) + "-" + code.slice(8);
  }

  root.lmcPlan = lmcPlan;
  root.lmcRulesFor = rulesFor;
  root.lmcReentryCode = lmcReentryCode;
})(rules);

export var buildPlan = rules.lmcPlan;
export var rulesFor = rules.lmcRulesFor;
export var reentryCode = rules.lmcReentryCode;
