/* "Since your last check" on the phone, offline too: progress.js applies the rules of
   lmcself/core/progress.py; sinceView turns its keys into the texts lmcself/web/plan_views.py
   (progress_view) gives templates/_since.html, whose <template> the page holds. */
import { fillText, formatDate, formatNumber } from "./fill.js";
import { beforeRules, progress } from "../progress.js";
import { buildPlan } from "../plan.js";

/* record: a finished result as the phone keeps it, with `previous` ({date, answers, result}) when
   the owner came back with a re-entry code; null when there is nothing to compare. */
export function sinceView(pd, data, record) {
  var previous = record.previous;
  if (!previous) return null;
  var payload = record.payload, texts = pd.strings.since;
  var plan = buildPlan(pd, record.result, payload.context, payload.answers);
  var p = progress(data.instrument, pd, previous, { answers: payload.answers, result: record.result }, plan);
  function number(value) { return value === null ? texts.no_score : formatNumber(data.number, value); }
  function row(name, before, now, change) {
    var kind = "none", text = texts.not_compared;
    if (change !== null && change > 0) { kind = "up"; text = fillText(texts.up, { num: formatNumber(data.number, change) }); }
    else if (change !== null && change < 0) { kind = "down"; text = fillText(texts.down, { num: formatNumber(data.number, -change) }); }
    else if (change === 0) { kind = "same"; text = texts.same; }
    return { name: name, before: number(before), now: number(now), change: text, row_class: "change-" + kind };
  }
  var overall = row(texts.overall, p.overall_before, p.overall_now, p.overall_change);
  overall.row_class = "overall " + overall.row_class;
  var versions = p.before_version === p.now_version
    ? fillText(texts.same_version, { version: p.now_version })
    : fillText(texts.other_version, { before: p.before_version, now: p.now_version });
  /* the steps done are the last plan's, in its version's words */
  var earlier = beforeRules(data.instrument, pd, p.before_version) || pd;
  function titles(keys, rules) { return keys.map(function (k) { return { title: rules.actions[k].title }; }); }
  return {
    before_date: formatDate(data.date, previous.date),
    versions: versions,
    parts: [overall].concat(p.parts.map(function (c) {
      return row(pd.dimension_names[c.key] || c.key, c.before, c.now, c.change);
    })),
    done: titles(p.done, earlier),
    done_none: !p.done.length,
    next: titles(p.next, pd)
  };
}
