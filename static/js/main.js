/* lmcself on the phone, on every page: sends the outbox, starts the one-page app (/<lang>/app)
   where there is one, and keeps the app for offline use through the service worker where the
   origin allows one (HTTPS or localhost). Plain ES modules, no dependencies:
   store.js (what the phone keeps), sync.js (the outbox), questionnaire.js, result.js,
   plan-view.js (the plan, filled into the page's <template>), fill.js (texts and templates). */
import * as store from "./store.js";
import * as sync from "./sync.js";
import { questionnaire } from "./questionnaire.js";
import { resultView } from "./result.js";
import { planScreen } from "./plan-view.js";
import { fillText, formatDate } from "./fill.js";

var CONSENT = "lmcself-consent"; /* the landing page's ticked consent, for this tab only */
var PREVIOUS = "lmcself-previous"; /* the check the owner came back to with its re-entry code */

var root = document.getElementById("app");
var data = root ? JSON.parse(document.getElementById("lmc-data").textContent) : null;
var worker = "serviceWorker" in navigator && window.isSecureContext;

/* Something failed: the owner reads it, in their language, on the screen (and a developer in the
   console). fail(key) is the error path of a promise chain. */
function fail(key) {
  return function (error) {
    console.error(error);
    var line = document.getElementById("app-error");
    line.textContent = data.strings[key] || data.strings.failed;
    line.hidden = false;
  };
}

function runApp() {
  var views = ["assess", "result", "plan"].map(function (id) { return document.getElementById(id); });
  var app = {
    fail: fail,
    showOnly: function (shown) {
      views.forEach(function (v) { v.hidden = v !== shown; });
      document.getElementById("app-error").hidden = true;
    },
    outbox: sync.queue,
    finished: function (record) {
      remember("result");
      result.show(record);
      sync.flush();
    },
    /* "Since your last check" into the view shown (one at a time: the section has ids) */
    since: function (record, box) {
      Array.prototype.forEach.call(document.querySelectorAll(".since-body"), function (b) { b.textContent = ""; });
      if (record.previous) plan.since(record, box);
    }
  };
  var steps = questionnaire(root, data, app), result = resultView(data, app), plan = planScreen(root, data, app);
  sync.configure(root.getAttribute("data-api"));
  sync.onStatus(result.status);

  /* what a reload shows again ("result" or "plan"); none: the start screen */
  function remember(screen) {
    (screen ? store.set("screen", screen) : store.remove("screen")).catch(fail("storage"));
  }
  function lastRecord() {
    return store.get("last").then(function (id) {
      return id && store.get("results").then(function (results) { return results && results[id]; });
    });
  }
  function shownRecord() {
    return store.get("results").then(function (results) { return results[result.shownId()]; });
  }

  /* A re-entry code typed on the start screen: the check it names, fetched while online; "Start"
     keeps it with the new check (on the phone, so the progress shows offline too). */
  var typed = null;
  function useCode() {
    var input = document.getElementById("reentry-code"), line = root.querySelector(".reentry-status");
    var code = input.value.trim();
    function say(text) { line.textContent = text; line.hidden = false; }
    if (!code) { input.focus(); return; }
    typed = null;
    fetch(root.getAttribute("data-previous").replace("CODE", encodeURIComponent(code)), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 404) return say(data.strings.no_code);
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json().then(function (previous) {
          typed = previous;
          say(fillText(data.strings.welcome_back, { date: formatDate(data.date, previous.date) }));
        });
      })
      .catch(function (error) { console.error(error); say(data.strings.code_offline); });
  }

  var actions = {
    start: function () { steps.start(typed); },
    reentry: useCode,
    resume: function () { steps.resume(); },
    back: steps.back,
    download: function () { result.download().catch(fail("failed")); },
    plan: function () {
      remember("plan");
      shownRecord().then(plan.show, fail("failed"));
    },
    "back-to-result": function () {
      remember("result");
      shownRecord().then(result.show, fail("failed"));
    },
    "new": function () {
      remember(null);
      steps.abandon().then(steps.startScreen).catch(fail("failed"));
    },
    "last-result": function () {
      remember("result");
      lastRecord().then(result.show, fail("failed"));
    }
  };
  root.addEventListener("click", function (event) {
    var action = event.target.closest && event.target.closest("[data-action]");
    if (action && actions[action.getAttribute("data-action")]) actions[action.getAttribute("data-action")]();
  });

  /* Opening the app: an assessment under way goes on; after a finished one, a reload or a
     restored tab shows its result (or plan) again; "Start" on the landing page (the owner's
     ticked consent, handed over in this tab's sessionStorage and taken once: never from the
     address, which anyone could send as a link) begins a new one; else the start screen. */
  var params = new URLSearchParams(location.search), started = false, previous = null;
  try {
    started = sessionStorage.getItem(CONSENT) === "1";
    previous = started && JSON.parse(sessionStorage.getItem(PREVIOUS) || "null");
    sessionStorage.removeItem(CONSENT);
    sessionStorage.removeItem(PREVIOUS);
  } catch (e) { /* no session storage: the owner ticks consent on the start screen */ }
  if (params.has("consent")) { /* an old link: the word is dropped, and ticks nothing */
    params.delete("consent");
    history.replaceState(history.state, "", location.pathname + (String(params) ? "?" + params : "") + location.hash);
  }
  Promise.all([store.get("current"), store.get("screen"), lastRecord()]).then(function (kept) {
    var current = kept[0], screen = kept[1], last = kept[2];
    if (current) steps.resume(current);
    else if (started) steps.startWithConsent(previous);
    else if (screen && last) {
      result.show(last);
      if (screen === "plan") plan.show(last);
    } else steps.startScreen();
  }).catch(fail("storage")).then(sync.start); /* once the result shown can hear how sending went */

  if (!worker) {
    if (document.readyState === "complete") plan.keep();
    else window.addEventListener("load", function () { plan.keep(); });
  }
  return plan;
}

/* The landing page: with JavaScript, "Start" opens the one-page app that works offline. */
function landing(startForm) {
  startForm.addEventListener("submit", function (event) {
    var consent = startForm.querySelector("input[name=consent]");
    if (!consent || !consent.checked) return; /* let the server say what is missing */
    event.preventDefault();
    var workshop = startForm.querySelector("input[name=workshop]");
    var previous = document.getElementById("lmc-previous");
    try {
      sessionStorage.setItem(CONSENT, "1");
      /* kept on the phone with the new check, so its progress shows offline */
      if (previous) sessionStorage.setItem(PREVIOUS, previous.textContent);
    } catch (e) { /* ticked again on the app */ }
    var url = startForm.getAttribute("data-app-url");
    if (workshop && workshop.value) url += "?w=" + encodeURIComponent(workshop.value);
    location.href = url;
  });
}

/* What this language's app needs offline, each address once (Cache.addAll refuses a list that
   names one twice): the page, its data, styles, scripts, icons and fonts. */
function shellUrls() {
  var urls = [location.pathname, "/api/v1/instrument.json", root.getAttribute("data-plan-data")];
  Array.prototype.forEach.call(document.querySelectorAll("link[rel=stylesheet], link[rel=preload], link[rel=modulepreload], link[rel=icon], script[src]"), function (el) {
    urls.push(el.getAttribute("href") || el.getAttribute("src"));
  });
  Array.prototype.forEach.call(document.querySelectorAll("style"), function (el) {
    (el.textContent.match(/url\("([^"]+)"\)/g) || []).forEach(function (m) { urls.push(m.slice(5, -2)); });
  });
  var seen = {};
  return urls.map(function (u) { return new URL(u, location.href).href; })
    .filter(function (u) { return !seen[u] && (seen[u] = true); });
}

/* Ask the service worker to keep the shell; it answers "precached" or "precache-failed". A
   failure is shown and tried again (sooner when the phone comes back online). */
function precache(registration, plan, delay) {
  var channel = new MessageChannel(), notice = document.getElementById("offline-status");
  return new Promise(function (resolve, reject) {
    channel.port1.onmessage = function (event) {
      if (event.data && event.data.type === "precached") resolve(); else reject(new Error(event.data && event.data.error));
    };
    registration.active.postMessage({ type: "precache", urls: shellUrls() }, [channel.port2]);
    setTimeout(function () { reject(new Error("the service worker did not answer")); }, 60000);
  }).then(function () {
    notice.hidden = true;
    notice.setAttribute("data-state", "kept");
  }, function (error) {
    console.error(error);
    notice.textContent = data.strings.precache_failed;
    notice.hidden = false;
    notice.setAttribute("data-state", "failed");
    plan.keep(); /* meanwhile the page keeps the plan's data itself */
    var next = Math.min(delay * 2, 300000), timer = setTimeout(retry, delay);
    function retry() {
      clearTimeout(timer);
      window.removeEventListener("online", retry);
      precache(registration, plan, next);
    }
    window.addEventListener("online", retry);
  });
}

var plan = root ? runApp() : null;
var startForm = document.querySelector("form[data-app-url]");
if (startForm) landing(startForm);
if (!root) sync.start();

/* Reload while offline needs a service worker, which browsers allow only on HTTPS or localhost.
   Everything else above works without it. */
if (worker) {
  navigator.serviceWorker.register("/sw.js").then(function (registration) {
    var installed = registration && (registration.installing || registration.waiting || registration.active);
    if (!installed) throw new Error("no service worker to keep the app");
    /* one that fails to install never gets ready: then the page keeps what it needs itself */
    installed.addEventListener("statechange", function () { if (installed.state === "redundant" && plan) plan.keep(); });
    return navigator.serviceWorker.ready;
  }).then(function (registration) {
    if (root) return precache(registration, plan, 5000);
  }).catch(function (error) {
    /* no service worker allowed here (a private window, a browser setting): as on plain HTTP,
       the page keeps the plan's data and everything but an offline reload works */
    console.warn(error);
    if (plan) plan.keep();
  });
}
