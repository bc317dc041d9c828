/* The action plan on the phone, offline too: plan.js applies the rules of lmcself/core/plan.py
   to the plan's data; planView turns its keys into the texts lmcself/web/plan_views.py gives
   templates/_plan.html; the page's <template> (the same partials) is filled with them. */
import * as store from "./store.js";
import { fillText, formatDate, formatNumber, render } from "./fill.js";
import { buildPlan, reentryCode, rulesFor } from "../plan.js";
import { sinceView } from "./since-view.js";

function byKey(list, key) {
  return list.filter(function (x) { return x.key === key; })[0];
}

/* pd: /<lang>/plan-data.json; data: the page's own data (numbers, dates); record: a finished
   result as the phone keeps it; again: the address before the re-entry code. */
export function planView(pd, data, record, again) {
  var context = record.payload.context, answers = record.payload.answers, result = record.result;
  var plan = buildPlan(pd, result, context, answers), country = pd.countries[context.country];
  var rules = rulesFor(pd, result); /* the actions and gaps of the result's own version */
  function tools(keys) { return keys.map(function (k) { return byKey(pd.tools, k).view; }); }
  var parts = plan.parts.map(function (part, i) {
    var score = byKey(result.dimensions, part.key);
    var horizons = pd.horizons.filter(function (h) { return part.steps[String(h)].length; }).map(function (h) {
      return {
        title: pd.strings.horizons[String(h)],
        steps: part.steps[String(h)].map(function (step) {
          var action = rules.actions[step.action];
          return { title: action.title, detail: action.detail, tools: tools(step.tools) };
        })
      };
    });
    return {
      focus: part.focus,
      view: {
        anchor: "part-" + part.key,
        number: formatNumber(data.number, i + 1),
        name: pd.dimension_names[part.key],
        score: score.score === null ? pd.strings.does_not_apply : fillText(pd.strings.out_of, { score: formatNumber(data.number, score.score) }),
        level: score.level === null ? "" : pd.levels[score.level],
        done: !horizons.length,
        horizons: horizons,
        more_title: fillText(pd.strings.more_tools, { country: country }),
        more_tools: tools(part.more_tools),
        notes: part.notes.map(function (n) { return pd.notes[n].view; })
      }
    };
  });
  var links = plan.cross_border, code = reentryCode(record.payload.id);
  function partsWhere(focus) {
    return parts.filter(function (p) { return p.focus === focus; }).map(function (p) { return p.view; });
  }
  function views(list, keys) { return keys.map(function (k) { return byKey(list, k).view; }); }
  var warnings = views(pd.obligations, plan.duty_warnings);
  return {
    country: country,
    date: formatDate(data.date, record.date),
    version: record.payload.instrument_version,
    gaps: plan.gaps.map(function (g) {
      var gap = byKey(rules.gaps, g.key);
      return { title: gap.title, detail: gap.detail, tools: tools(g.tools) };
    }),
    duty_warnings: warnings,
    fix_first: plan.gaps.length > 0 || warnings.length > 0,
    focus_parts: partsWhere(true),
    later_parts: partsWhere(false),
    duties_title: fillText(pd.strings.duties_title, { country: country }),
    duties: views(pd.obligations, plan.duties),
    risks_title: fillText(pd.strings.risks_title, { country: country }),
    risks: views(pd.risks, plan.risks),
    cross_border: links !== null,
    cross_links: (links || []).map(function (pair) {
      return pd.cross_border.filter(function (x) { return x.countries.join("-") === pair; })[0].view;
    }),
    cross_none: links !== null && !links.length,
    code: code,
    again_url: again + code,
    qr: ""
  };
}

export function planScreen(root, data, app) {
  var view = document.getElementById("plan"), lang = root.getAttribute("data-lang");
  var url = root.getAttribute("data-plan-data"), key = "plan-data:" + lang, planData = null;

  /* From the network (the service worker answers offline), else the copy the page kept. */
  function load(keep) {
    if (planData) return Promise.resolve(planData);
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (pd) {
      planData = pd;
      return keep ? store.set(key, pd).then(function () { return pd; }) : pd;
    }).catch(function () {
      return store.get(key).then(function (pd) { planData = pd || null; return planData; });
    });
  }

  function show(record) {
    return load(false).then(function (pd) {
      if (!pd) { app.fail("plan_unavailable")(new Error("no plan data on this phone")); return; }
      var body = view.querySelector(".plan-body"), pdf = view.querySelector(".plan-pdf-link");
      body.textContent = "";
      body.appendChild(render(document.getElementById("plan-template"),
        planView(pd, data, record, location.origin + "/" + lang + "/again/")));
      /* on the server now: its plan page has the PDF with the QR code */
      pdf.hidden = record.sync !== "sent";
      pdf.querySelector("a").href = "/" + lang + "/plan/" + record.payload.id;
      app.since(record, view.querySelector(".since-body"));
      app.showOnly(view);
      window.scrollTo(0, 0);
      view.querySelector("h1").focus();
    }).catch(app.fail("failed"));
  }

  /* Where no service worker keeps the plan's data, the page keeps it (after the page has loaded,
     so it never delays the first question). */
  function keep() { return load(true); }

  /* Progress since the last check, into box, once the plan's data is here (none: not shown). */
  function since(record, box) {
    return load(false).then(function (pd) {
      var v = pd && sinceView(pd, data, record);
      if (v) box.appendChild(render(document.getElementById("since-template"), v));
    }).catch(function (error) { console.error(error); });
  }

  return { show: show, keep: keep, since: since };
}
