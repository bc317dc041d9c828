/* lmcself on the phone: answers kept on the device as they are given, the score computed here,
   and an outbox that sends each finished assessment exactly once when there is a connection.
   Plain JavaScript, no dependencies. Runs on every page: it flushes the outbox, registers the
   service worker where the origin allows it, and on the one-page app (/<lang>/app) runs the
   questionnaire. */
(function () {
  "use strict";

  /* ---- storage: IndexedDB, else localStorage, else memory (private modes, old browsers) ---- */
  var store = (function () {
    var memory = {}, local = null, dbPromise = null;
    try { localStorage.setItem("lmc:test", "1"); localStorage.removeItem("lmc:test"); local = localStorage; } catch (e) { local = null; }
    function open() {
      if (!dbPromise) {
        dbPromise = new Promise(function (resolve, reject) {
          if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
          var request = indexedDB.open("lmcself", 1);
          request.onupgradeneeded = function () { request.result.createObjectStore("kv"); };
          request.onsuccess = function () { resolve(request.result); };
          request.onerror = function () { reject(request.error); };
        });
      }
      return dbPromise;
    }
    function run(mode, work) {
      return open().then(function (db) {
        return new Promise(function (resolve, reject) {
          var tx = db.transaction("kv", mode), request = work(tx.objectStore("kv"));
          tx.oncomplete = function () { resolve(request.result); };
          tx.onerror = tx.onabort = function () { reject(tx.error); };
        });
      });
    }
    function fallbackGet(key) {
      var raw = local ? local.getItem("lmc:" + key) : memory[key];
      return raw ? JSON.parse(raw) : undefined;
    }
    function fallbackSet(key, value) {
      var raw = JSON.stringify(value);
      if (local) local.setItem("lmc:" + key, raw); else memory[key] = raw;
    }
    return {
      get: function (key) {
        return run("readonly", function (s) { return s.get(key); })
          .then(function (v) { return v === undefined ? fallbackGet(key) : v; }, function () { return fallbackGet(key); });
      },
      set: function (key, value) {
        return run("readwrite", function (s) { return s.put(value, key); })
          .catch(function () { fallbackSet(key, value); });
      },
      remove: function (key) {
        if (local) local.removeItem("lmc:" + key);
        delete memory[key];
        return run("readwrite", function (s) { return s.delete(key); }).catch(function () {});
      }
    };
  })();

  /* A UUID made on the device. crypto.randomUUID needs a secure context; a workshop laptop on
     http://192.168.x.x is not one, so build a version 4 UUID from getRandomValues. */
  function uuid4() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* An ISO date written with Babel's long pattern for the page's locale (d, M, y, G, 'text'),
     so the phone writes dates as the server does, whatever its own ICU data. */
  function formatDate(spec, iso) {
    var parts = iso.split("-"), y = parts[0], m = +parts[1], d = +parts[2];
    return spec.pattern.replace(/'([^']*)'|G+|y+|M+|d+/g, function (token, quoted) {
      if (quoted !== undefined) return quoted;
      if (token[0] === "G") return spec.era;
      if (token[0] === "y") return y;
      if (token[0] === "M") return token.length >= 3 ? spec.months[m - 1] : (token.length === 2 && m < 10 ? "0" : "") + m;
      return (token.length === 2 && d < 10 ? "0" : "") + d;
    });
  }
  window.lmcFormatDate = formatDate;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (m, name) { return name in values ? String(values[name]) : m; });
  }

  /* ---- outbox: a finished assessment leaves the device only when the server confirms it ---- */
  var apiUrl = "/api/v1/submissions", retryDelay = 0, retryTimer = null, flushing = null, onSync = function () {};

  function flush() {
    if (flushing) return flushing;
    flushing = store.get("outbox").then(function (box) {
      box = box || [];
      return box.reduce(function (chain, item) {
        return chain.then(function () { return send(item); });
      }, Promise.resolve());
    }).then(function () {
      retryDelay = 0;
    }, function () {
      /* no connection or the server is down: try again later, backing off to five minutes */
      retryDelay = Math.min(retryDelay ? retryDelay * 2 : 2000, 300000);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(flush, retryDelay * (0.75 + Math.random() / 2));
      onSync("waiting");
    }).then(function () { flushing = null; }, function () { flushing = null; });
    return flushing;
  }

  function send(item) {
    onSync("sending", item.id);
    return fetch(apiUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(item.payload),
      cache: "no-store",
      credentials: "same-origin"
    }).then(function (response) {
      if (response.status === 200 || response.status === 201) {
        return response.json().then(function (body) { return body.peers; }, function () { return null; })
          .then(function (peers) { return done(item, "sent", peers); });
      }
      if (response.status === 409) return done(item, "conflict");
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
        return done(item, "rejected");
      }
      throw new Error("server answered " + response.status);
    });
  }

  /* peers: "businesses like yours" from the server's answer, kept with the result */
  function done(item, status, peers) {
    return store.get("outbox").then(function (box) {
      box = (box || []).filter(function (x) { return x.id !== item.id; });
      return store.set("outbox", box);
    }).then(function () {
      return store.get("results").then(function (results) {
        results = results || {};
        if (results[item.id]) {
          results[item.id].sync = status;
          if (peers) results[item.id].peers = peers;
          return store.set("results", results);
        }
      });
    }).then(function () { onSync(status, item.id, peers); });
  }

  function queue(payload) {
    return store.get("outbox").then(function (box) {
      box = box || [];
      if (!box.some(function (x) { return x.id === payload.id; })) box.push({ id: payload.id, payload: payload });
      return store.set("outbox", box);
    });
  }

  window.addEventListener("online", function () { clearTimeout(retryTimer); flush(); });

  /* ---- the one-page app ---- */
  function runApp(root) {
    var data = JSON.parse(document.getElementById("lmc-data").textContent);
    var form = document.getElementById("assess"), resultView = document.getElementById("result");
    var steps = Array.prototype.slice.call(form.querySelectorAll("section[data-step]"));
    var lang = root.getAttribute("data-lang"), state = null;
    var planView = document.getElementById("plan"), planData = null;
    apiUrl = root.getAttribute("data-api");

    function sectionOf(step) { return form.querySelector('section[data-step="' + step + '"]'); }
    function questionKeys(section) {
      var seen = {};
      Array.prototype.forEach.call(section.querySelectorAll("input[type=radio]"), function (i) { seen[i.name] = true; });
      return Object.keys(seen);
    }
    function contextKeys() { return questionKeys(sectionOf(0)); }
    var lastStep = steps.length - 2; /* steps: start, 0 (context), 1..N (parts) */

    function firstOpenStep() {
      for (var n = 0; n <= lastStep; n++) {
        var bucket = n === 0 ? state.context : state.answers;
        if (questionKeys(sectionOf(n)).some(function (k) { return !(k in bucket); })) return n;
      }
      return lastStep + 1;
    }

    function save() { state.updated = new Date().toISOString(); return store.set("current", state); }

    function show(step) {
      steps.forEach(function (s) { s.hidden = s.getAttribute("data-step") !== String(step); });
      resultView.hidden = true;
      planView.hidden = true;
      form.hidden = false;
      if (step !== "start") {
        var section = sectionOf(step), bucket = step === 0 ? state.context : state.answers;
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
      summary.querySelector("h2").textContent = fill(data.strings[missing.length === 1 ? "missing_one" : "missing_other"], { num: missing.length });
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

    form.addEventListener("change", function (event) {
      var input = event.target;
      if (input.type !== "radio" || !state) return;
      var bucket = contextKeys().indexOf(input.name) >= 0 ? state.context : state.answers;
      bucket[input.name] = input.value;
      save(); /* every answer is kept the moment it is given */
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var step = state.step, section = sectionOf(step);
      if (!validate(section, step === 0 ? state.context : state.answers)) return;
      if (step < lastStep) show(step + 1); else finish();
    });

    root.addEventListener("click", function (event) {
      var action = event.target.getAttribute && event.target.getAttribute("data-action");
      if (!action) return;
      if (action === "start") {
        var consent = document.getElementById("consent");
        document.getElementById("consent-error").hidden = consent.checked;
        if (!consent.checked) { consent.focus(); return; }
        state = { id: uuid4(), workshop: root.getAttribute("data-workshop") || null, context: {}, answers: {}, step: 0, started: new Date().toISOString() };
        if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
        show(0);
      } else if (action === "resume") {
        show(Math.min(firstOpenStep(), lastStep));
      } else if (action === "back") {
        show(Math.max(state.step - 1, 0));
      } else if (action === "download") {
        download();
      } else if (action === "plan") {
        store.get("results").then(function (results) { showPlan(results[resultView.getAttribute("data-id")]); });
      } else if (action === "back-to-result") {
        planView.hidden = true;
        resultView.hidden = false;
        resultView.querySelector("h1").focus();
      } else if (action === "new") {
        state = null;
        store.remove("current");
        startScreen();
      } else if (action === "last-result") {
        store.get("last").then(function (id) { return store.get("results").then(function (r) { showResult(r[id]); }); });
      }
    });

    function finish() {
      var result = window.lmcScore(data.instrument, state.answers);
      var payload = {
        id: state.id,
        instrument_version: data.instrument.version,
        locale: lang,
        context: state.context,
        answers: state.answers,
        workshop: state.workshop
      };
      /* "saved" until the server confirms; "waiting" only once a send has failed */
      var record = { payload: payload, result: result, date: new Date().toISOString().slice(0, 10), sync: "saved" };
      /* frozen from here: the outbox holds it, and a new assessment gets a new id */
      store.get("results").then(function (results) {
        results = results || {};
        results[state.id] = record;
        return store.set("results", results);
      }).then(function () { return store.set("last", state.id); })
        .then(function () { return queue(payload); })
        .then(function () { return store.remove("current"); })
        .then(function () { state = null; showResult(record); flush(); });
    }

    function showResult(record) {
      var result = record.result, level = data.levels[result.level];
      form.hidden = true;
      planView.hidden = true;
      resultView.hidden = false;
      resultView.setAttribute("data-id", record.payload.id);
      resultView.querySelector(".score .big").textContent = result.overall;
      var levelLine = resultView.querySelector("p.level");
      levelLine.className = "level level-" + result.level;
      levelLine.textContent = level.name;
      resultView.querySelector(".level-description").textContent = level.description;
      result.dimensions.forEach(function (d) {
        var row = resultView.querySelector('li[data-dim="' + d.key + '"]');
        row.querySelector(".chart-score").textContent = d.score;
        var svg = row.querySelector("svg");
        svg.setAttribute("class", "chart-bar level-" + d.level);
        svg.setAttribute("aria-label", fill(data.strings.out_of, { score: d.score }));
        svg.querySelector(".bar").setAttribute("width", d.score);
      });
      var same = result.strongest === result.weakest;
      resultView.querySelector(".same").hidden = !same;
      [["strongest", "strongest", result.strongest], ["weakest", "start_here", result.weakest]].forEach(function (c) {
        var card = resultView.querySelector(".card." + c[0]), dim = data.dimensions[c[2]];
        var score = result.dimensions.filter(function (d) { return d.key === c[2]; })[0];
        card.hidden = same;
        card.querySelector("h3").textContent = fill(data.strings[c[1]], { name: dim.name });
        card.querySelector("p").textContent = dim.levels[score.level];
      });
      var dk = resultView.querySelector(".dont-know");
      dk.hidden = !result.dont_know;
      dk.textContent = fill(data.strings[result.dont_know === 1 ? "dont_know_one" : "dont_know_other"], { num: result.dont_know });
      var written = formatDate(data.date, record.date);
      resultView.querySelector(".scored-on").textContent = fill(data.strings.scored_on, { version: result.version, date: written });
      showSync(record.sync || "saved");
      showPeers(record.peers);
      window.scrollTo(0, 0);
      resultView.querySelector("h1").focus();
    }

    /* The plan's data: from the network when online (kept on the phone), else the kept copy. */
    function loadPlanData() {
      var key = "plan-data:" + lang;
      return fetch(root.getAttribute("data-plan-data"), { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      }).then(function (pd) {
        planData = pd;
        return store.set(key, pd).then(function () { return pd; });
      }).catch(function () {
        return store.get(key).then(function (pd) { planData = planData || pd || null; return planData; });
      });
    }

    function el(tag, className, text) {
      var node = document.createElement(tag);
      if (className) node.className = className;
      if (text) node.textContent = text;
      return node;
    }

    function sourceLine(template, source) {
      /* "Source: %(site)s, %(date)s" with the site as a link, built without HTML strings */
      var line = el("p", "source"), parts = template.split("%(site)s");
      var link = el("a", "", source.site);
      link.href = source.url;
      line.appendChild(document.createTextNode(parts[0]));
      line.appendChild(link);
      line.appendChild(document.createTextNode(fill(parts.slice(1).join("%(site)s"), { date: source.date })));
      return line;
    }

    function toolList(pd, keys) {
      var list = el("ul", "tools");
      keys.forEach(function (key) {
        var t = pd.tools.filter(function (x) { return x.key === key; })[0];
        var item = el("li", "tool"), first = el("p"), name = el("strong", "tool-name", t.name);
        if (!t.translated_name) name.setAttribute("translate", "no");
        first.appendChild(name);
        first.appendChild(document.createTextNode(": " + t.what));
        item.appendChild(first);
        if (t.cost) item.appendChild(el("p", "tool-fact", t.cost));
        if (t.bring) item.appendChild(el("p", "tool-fact", t.bring));
        item.appendChild(sourceLine(pd.strings.tool_source, t.source));
        list.appendChild(item);
      });
      return keys.length ? list : document.createTextNode("");
    }

    function showPlan(record) {
      (planData ? Promise.resolve(planData) : loadPlanData()).then(function (pd) {
        if (!pd || !record) return;
        var s = pd.strings, context = record.payload.context, body = planView.querySelector(".plan-body");
        var plan = window.lmcPlan(pd, record.result, context, record.payload.answers);
        body.textContent = "";
        body.appendChild(el("p", "meta", fill(s.meta, {
          country: pd.countries[context.country], date: formatDate(data.date, record.date), version: record.result.version
        })));
        if (plan.gaps.length) {
          body.appendChild(el("h2", "", s.gaps));
          plan.gaps.forEach(function (g) {
            var gap = pd.gaps.filter(function (x) { return x.key === g.key; })[0], card = el("div", "card gap");
            card.appendChild(el("h3", "", gap.title));
            card.appendChild(el("p", "", gap.detail));
            card.appendChild(toolList(pd, g.tools));
            body.appendChild(card);
          });
        }
        plan.parts.forEach(function (part, i) {
          if (i === 0) body.appendChild(el("h2", "parts-title", s.focus));
          if (!part.focus && plan.parts[i - 1].focus) body.appendChild(el("h2", "parts-title", s.later));
          var score = record.result.dimensions.filter(function (d) { return d.key === part.key; })[0];
          var section = el("section", "part" + (part.focus ? "" : " later"));
          var heading = el("h3", "part-name", (i + 1) + ". " + data.dimensions[part.key].name + " ");
          heading.appendChild(el("span", "part-score", fill(s.out_of, { score: score.score }) + " · " + pd.levels[score.level]));
          section.appendChild(heading);
          var count = 0;
          pd.horizons.forEach(function (h) {
            var steps = part.steps[String(h)];
            count += steps.length;
            if (!steps.length) return;
            section.appendChild(el("h4", "", s.horizons[String(h)]));
            var list = el(part.focus ? "ol" : "ul", part.focus ? "steps" : "later-steps");
            steps.forEach(function (step) {
              var action = pd.actions[step.action];
              if (!part.focus) { list.appendChild(el("li", "", action.title)); return; }
              var item = el("li", "step");
              item.appendChild(el("p", "step-title", action.title));
              item.appendChild(el("p", "", action.detail));
              item.appendChild(toolList(pd, step.tools));
              list.appendChild(item);
            });
            section.appendChild(list);
          });
          if (!count) section.insertBefore(el("p", "", s.nothing_to_do), heading.nextSibling);
          if (part.more_tools.length) {
            section.appendChild(el("h4", "", fill(s.more_tools, { country: pd.countries[context.country] })));
            section.appendChild(toolList(pd, part.more_tools));
          }
          part.notes.forEach(function (n) {
            var note = pd.notes[n], box = el("div", "note-box"), p = el("p");
            p.appendChild(el("strong", "", note.local_only ? s.good_to_know : s.from_region));
            p.appendChild(document.createTextNode(" " + note.text));
            box.appendChild(p);
            box.appendChild(sourceLine(s.note_source, note.source));
            section.appendChild(box);
          });
          body.appendChild(section);
        });
        if (plan.cross_border) {
          var cross = el("section", "cross-border");
          cross.appendChild(el("h2", "", s.cross_title));
          cross.appendChild(el("p", "", plan.cross_border.length ? s.cross_some : s.cross_none));
          var notes = el("ul", "notes");
          plan.cross_border.forEach(function (pair) {
            var link = pd.cross_border.filter(function (x) { return x.countries.join("-") === pair; })[0], item = el("li");
            item.appendChild(el("p", "", link.text));
            item.appendChild(sourceLine(s.note_source, link.source));
            notes.appendChild(item);
          });
          if (plan.cross_border.length) cross.appendChild(notes);
          body.appendChild(cross);
        }
        var code = window.lmcReentryCode(record.payload.id), again = el("section", "reentry");
        again.appendChild(el("h2", "", s.again_title));
        again.appendChild(el("p", "", s.again_text));
        again.appendChild(el("p", "code", code)).setAttribute("translate", "no");
        again.appendChild(el("p", "url", location.origin + "/" + lang + "/again/" + code)).setAttribute("translate", "no");
        body.appendChild(again);
        if (record.sync === "sent") {
          /* on the server now: its plan page has the PDF with the QR code */
          var pdf = el("a", "button secondary", s.pdf);
          pdf.href = "/" + lang + "/plan/" + record.payload.id;
          body.appendChild(el("p")).appendChild(pdf);
        }
        body.appendChild(el("p", "meta", s.disclaimer));
        resultView.hidden = true;
        planView.hidden = false;
        window.scrollTo(0, 0);
        planView.querySelector("h1").focus();
      });
    }

    function showSync(status) {
      var line = resultView.querySelector(".sync");
      line.textContent = data.strings[status] || "";
      line.setAttribute("data-status", status);
    }

    /* A number as the server writes it in this language (its decimal and group signs). */
    function formatNumber(x) {
      var parts = String(x).split(".");
      var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, data.number.group);
      return parts[1] ? whole + data.number.decimal + parts[1] : whole;
    }

    function showPeers(peers) {
      var box = resultView.querySelector(".peers");
      box.hidden = !peers;
      if (!peers) return;
      box.querySelector("p").textContent = fill(data.strings[peers.n === 1 ? "peers_one" : "peers_other"], {
        num: formatNumber(peers.n), score: formatNumber(peers.overall)
      });
    }

    onSync = function (status, id, peers) {
      if (!resultView.hidden && (!id || resultView.getAttribute("data-id") === id)) {
        showSync(status);
        if (peers) showPeers(peers);
      }
    };

    function download() {
      var id = resultView.getAttribute("data-id");
      store.get("results").then(function (results) {
        var record = results[id];
        var blob = new Blob([JSON.stringify(record, null, 2)], { type: "application/json" });
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = "lmcself-" + record.date + "-" + id.slice(0, 8) + ".json";
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      });
    }

    function startScreen() {
      show("start");
      var start = sectionOf("start");
      start.querySelector(".resume").hidden = !state;
      store.get("last").then(function (id) { start.querySelector(".last-result").hidden = !id; });
    }

    /* The plan's data is needed only at the end: a service worker's precache keeps it (one
       download, after the page); without one (plain http on a LAN) the page keeps it itself, once
       it has loaded, so it never delays the first question. */
    if (!("serviceWorker" in navigator && window.isSecureContext)) {
      if (document.readyState === "complete") loadPlanData();
      else window.addEventListener("load", function () { loadPlanData(); });
    } else {
      window.addEventListener("lmcself-no-precache", function () { loadPlanData(); });
    }

    /* Consent given on the landing page travels in this tab's storage, never in the address:
       a link cannot tick it for the owner. */
    var consented = false;
    try {
      consented = sessionStorage.getItem("lmcself-consent") === "1";
      sessionStorage.removeItem("lmcself-consent");
    } catch (e) { /* storage off: the owner ticks the box here */ }
    store.get("current").then(function (saved) {
      state = saved || null;
      if (state) {
        show(Math.min(typeof state.step === "number" ? state.step : firstOpenStep(), lastStep));
      } else if (consented) {
        document.getElementById("consent").checked = true;
        sectionOf("start").querySelector('[data-action="start"]').click();
      } else {
        startScreen();
      }
    });
  }

  /* ---- every page ---- */
  var app = document.getElementById("app");
  if (app) runApp(app);

  /* The landing page: with JavaScript, "Start" opens the one-page app that works offline. */
  var startForm = document.querySelector("form[data-app-url]");
  if (startForm) {
    startForm.addEventListener("submit", function (event) {
      var consent = startForm.querySelector("input[name=consent]");
      if (!consent || !consent.checked) return; /* let the server say what is missing */
      event.preventDefault();
      var workshop = startForm.querySelector("input[name=workshop]");
      try { sessionStorage.setItem("lmcself-consent", "1"); } catch (e) { /* ticked again there */ }
      var url = startForm.getAttribute("data-app-url");
      if (workshop && workshop.value) url += "?w=" + encodeURIComponent(workshop.value);
      location.href = url;
    });
  }

  flush();

  /* Reload while offline needs a service worker, which browsers allow only on HTTPS or localhost.
     Everything else above works without it. */
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js").then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      if (!app) return;
      /* keep what this language's app page needs: itself, its styles, scripts and font */
      var urls = [location.pathname, "/api/v1/instrument.json", app.getAttribute("data-plan-data")];
      Array.prototype.forEach.call(document.querySelectorAll("link[rel=stylesheet], link[rel=preload], link[rel=icon], script[src]"), function (el) {
        urls.push(el.getAttribute("href") || el.getAttribute("src"));
      });
      Array.prototype.forEach.call(document.querySelectorAll("style"), function (el) {
        (el.textContent.match(/url\("([^"]+)"\)/g) || []).forEach(function (m) { urls.push(m.slice(5, -2)); });
      });
      registration.active.postMessage({ type: "precache", urls: urls });
    }).catch(function () {
      window.dispatchEvent(new Event("lmcself-no-precache")); /* the page keeps the plan's data */
    });
  }
})();
