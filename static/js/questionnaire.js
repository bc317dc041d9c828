/* The questionnaire on one page: one step at a time, every answer kept on the phone the moment
   it is given, the score computed here at the end. */
import * as store from "./store.js";
import { fillText } from "./fill.js";
import { score } from "../scoring.js";

export function questionnaire(root, data, app) {
  var form = document.getElementById("assess");
  var steps = Array.prototype.slice.call(form.querySelectorAll("section[data-step]"));
  var lastStep = steps.length - 2; /* steps: start, 0 (context), 1..N (parts) */
  var state = null;

  function sectionOf(step) { return form.querySelector('section[data-step="' + step + '"]'); }
  function questionKeys(section) {
    var seen = {};
    Array.prototype.forEach.call(section.querySelectorAll("input[type=radio]"), function (i) { seen[i.name] = true; });
    return Object.keys(seen);
  }
  function bucketFor(step) { return step === 0 ? state.context : state.answers; }

  function firstOpenStep() {
    for (var n = 0; n <= lastStep; n++) {
      var bucket = bucketFor(n);
      if (questionKeys(sectionOf(n)).some(function (k) { return !(k in bucket); })) return n;
    }
    return lastStep;
  }

  function save() {
    state.updated = new Date().toISOString();
    return store.set("current", state).catch(app.fail("storage"));
  }

  function show(step) {
    app.showOnly(form);
    steps.forEach(function (s) { s.hidden = s.getAttribute("data-step") !== String(step); });
    if (step !== "start") {
      var section = sectionOf(step), bucket = bucketFor(step);
      Array.prototype.forEach.call(section.querySelectorAll("input[type=radio]"), function (input) {
        input.checked = bucket[input.name] === input.value;
      });
      state.step = step;
      save();
      var heading = section.querySelector("h1");
      if (heading && document.activeElement !== document.body) heading.focus();
    }
    window.scrollTo(0, 0);
  }

  function clearErrors(section) {
    Array.prototype.forEach.call(section.querySelectorAll(".question.has-error"), function (q) {
      q.classList.remove("has-error");
      var p = q.querySelector("p.error");
      if (p) p.remove();
    });
    section.querySelector(".error-summary").hidden = true;
  }

  function validate(section, bucket) {
    clearErrors(section);
    var missing = questionKeys(section).filter(function (k) { return !(k in bucket); });
    if (!missing.length) return true;
    var summary = section.querySelector(".error-summary"), list = summary.querySelector("ul");
    summary.querySelector("h2").textContent = fillText(data.strings[missing.length === 1 ? "missing_one" : "missing_other"], { num: missing.length });
    list.textContent = "";
    missing.forEach(function (key) {
      var fieldset = document.getElementById("q-" + key), error = document.createElement("p");
      fieldset.classList.add("has-error");
      error.className = "error";
      error.textContent = data.strings.required;
      fieldset.querySelector("legend").after(error);
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = "#q-" + key;
      a.textContent = fieldset.querySelector("legend").textContent;
      li.appendChild(a);
      list.appendChild(li);
    });
    summary.hidden = false;
    summary.focus();
    return false;
  }

  /* previous: the check the owner came back to with its re-entry code ({code, date, context,
     answers, result}): its business details are filled in, and it is kept with the new check. */
  function begin(previous) {
    state = { id: store.uuid4(), workshop: root.getAttribute("data-workshop") || null, context: {}, answers: {}, step: 0, started: new Date().toISOString() };
    if (previous) {
      Object.keys(previous.context).forEach(function (k) { state.context[k] = previous.context[k]; });
      state.follows = previous.code;
      state.previous = { date: previous.date, answers: previous.answers, result: previous.result };
    }
    store.persist();
    store.remove("screen");
    show(0);
  }

  /* Score, keep the result, queue it for the server; frozen from here: a new one gets a new id. */
  function finish() {
    var record = {
      payload: {
        id: state.id,
        instrument_version: data.instrument.version,
        locale: root.getAttribute("data-lang"),
        context: state.context,
        answers: state.answers,
        workshop: state.workshop
      },
      result: score(data.instrument, state.answers),
      date: new Date().toISOString().slice(0, 10),
      sync: "saved" /* until the server confirms */
    };
    if (state.follows) {
      record.payload.follows = state.follows;
      record.previous = state.previous;
    }
    return store.get("results").then(function (results) {
      results = results || {};
      results[state.id] = record;
      return store.set("results", results);
    }).then(function () { return store.set("last", state.id); })
      .then(function () { return app.outbox(record.payload); })
      .then(function () { return store.remove("current"); })
      .then(function () { state = null; app.finished(record); }, app.fail("storage"));
  }

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "radio" || !state) return;
    var bucket = questionKeys(sectionOf(0)).indexOf(input.name) >= 0 ? state.context : state.answers;
    bucket[input.name] = input.value;
    save(); /* every answer is kept the moment it is given */
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var step = state.step;
    if (!validate(sectionOf(step), bucketFor(step))) return;
    if (step < lastStep) show(step + 1); else finish();
  });

  function startScreen() {
    show("start");
    sectionOf("start").querySelector(".resume").hidden = !state;
    return store.get("last").then(function (id) { sectionOf("start").querySelector(".last-result").hidden = !id; }, app.fail("storage"));
  }

  return {
    start: function () {
      var consent = document.getElementById("consent");
      document.getElementById("consent-error").hidden = consent.checked;
      if (!consent.checked) { consent.focus(); return; }
      begin();
    },
    startWithConsent: function (previous) {
      document.getElementById("consent").checked = true;
      begin(previous);
    },
    resume: function (saved) {
      if (saved) state = saved;
      show(typeof state.step === "number" ? Math.min(state.step, lastStep) : firstOpenStep());
    },
    back: function () { show(Math.max(state.step - 1, 0)); },
    startScreen: startScreen,
    abandon: function () {
      state = null;
      return store.remove("current");
    }
  };
}
