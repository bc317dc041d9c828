/* The questionnaire on one page: one step at a time, every answer kept on the phone the moment
   it is given, the score computed here at the end. */
import * as store from "./store.js";
import { fillText } from "./fill.js";
import { score, shown, applies } from "../scoring.js";

export function questionnaire(root, data, app) {
  var form = document.getElementById("assess");
  var steps = Array.prototype.slice.call(form.querySelectorAll("section[data-step]"));
  var lastStep = steps.length - 2; /* steps: start, 0 (context), 1..N (parts), unscored if any */
  var state = null;

  function sectionOf(step) { return form.querySelector('section[data-step="' + step + '"]'); }
  /* the context and the answers to the questions shown so far: what conditions are read from */
  function values() {
    var out = shown(data.instrument, state.context, state.answers);
    Object.keys(state.context).forEach(function (k) { out[k] = state.context[k]; });
    return out;
  }
  /* a question with a condition (data-when) is shown, asked and kept only while it holds */
  function holds(fieldset, known) {
    var when = fieldset.getAttribute("data-when");
    return !when || applies({ when: JSON.parse(when) }, known);
  }
  function refresh(section) {
    var known = values();
    Array.prototype.forEach.call(section.querySelectorAll("fieldset[data-when]"), function (f) {
      f.hidden = !holds(f, known);
    });
  }
  function questionKeys(section) {
    var known = values(), keys = [];
    Array.prototype.forEach.call(section.querySelectorAll("fieldset.question"), function (f) {
      if (holds(f, known)) keys.push(f.id.slice(2)); /* id="q-<key>" */
    });
    return keys;
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
      refresh(section);
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
    state = { id: store.uuid4(), version: data.instrument.version, workshop: root.getAttribute("data-workshop") || null, context: {}, answers: {}, step: 0, started: new Date().toISOString() };
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
    var answers = shown(data.instrument, state.context, state.answers); /* hidden ones dropped */
    var record = {
      payload: {
        id: state.id,
        instrument_version: data.instrument.version,
        locale: root.getAttribute("data-lang"),
        context: state.context,
        answers: answers,
        workshop: state.workshop
      },
      result: score(data.instrument, answers, state.context),
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
    refresh(sectionOf(state.step)); /* an answer may open or close a question */
    save(); /* every answer is kept the moment it is given */
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var step = state.step;
    if (!validate(sectionOf(step), bucketFor(step))) return;
    if (step < lastStep) show(step + 1); else finish();
  });

  /* A questionnaire begun on another version (before versions were kept: 1.0) moves over to
     this page's version: the answers to questions that are the same in both are kept, the rest
     asked again; the old answers stay in the state, never sent. */
  function moveOver(saved) {
    var from = saved.version || "1.0", to = data.instrument.version;
    if (from === to) return saved;
    var same = (data.carry_over || {})[from] || [], moved = { id: saved.id, version: to, workshop: saved.workshop, context: {}, answers: {}, started: saved.started };
    ["context", "answers"].forEach(function (bucket) {
      Object.keys(saved[bucket] || {}).forEach(function (k) {
        if (same.indexOf(k) >= 0) moved[bucket][k] = saved[bucket][k];
      });
    });
    moved.moved_from = { version: from, context: saved.context, answers: saved.answers };
    state = moved;
    moved.step = firstOpenStep();
    return moved;
  }

  function startScreen() {
    show("start");
    sectionOf("start").querySelector(".resume").hidden = !state;
    return store.get("last").then(function (id) { sectionOf("start").querySelector(".last-result").hidden = !id; }, app.fail("storage"));
  }

  return {
    start: function (previous) { /* previous: the check of a code typed on the start screen */
      var consent = document.getElementById("consent");
      document.getElementById("consent-error").hidden = consent.checked;
      if (!consent.checked) { consent.focus(); return; }
      begin(previous || null);
    },
    startWithConsent: function (previous) {
      document.getElementById("consent").checked = true;
      begin(previous);
    },
    resume: function (saved) {
      if (saved) state = moveOver(saved);
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
