/* The outbox: a finished assessment leaves the phone only when the server confirms it (201 or
   200; the same id again is a 200, never a second row). Sent when the app opens, when the phone
   comes back online or back into view, and on a timer that backs off to five minutes. */
import * as store from "./store.js";

var apiUrl = "/api/v1/submissions", retryDelay = 0, retryTimer = null, flushing = null, listeners = [];

export function configure(url) { apiUrl = url; }

/* fn(status, id, peers): "sending", "sent", "conflict", "rejected" for one result; "offline"
   (the phone has no internet), "unreachable" (online, but the server does not answer: the
   workshop laptop is off or elsewhere) or "retrying" (the server answered with an error). */
export function onStatus(fn) { listeners.push(fn); }

function emit(status, id, peers) {
  listeners.forEach(function (fn) { fn(status, id, peers); });
}

export function queue(payload) {
  return store.get("outbox").then(function (box) {
    box = box || [];
    if (!box.some(function (x) { return x.id === payload.id; })) box.push({ id: payload.id, payload: payload });
    return store.set("outbox", box);
  });
}

export function flush() {
  if (flushing) return flushing;
  clearTimeout(retryTimer);
  flushing = store.get("outbox").then(function (box) {
    return (box || []).reduce(function (chain, item) {
      return chain.then(function () { return send(item); });
    }, Promise.resolve());
  }).then(function () {
    retryDelay = 0;
  }, function (error) {
    retryDelay = Math.min(retryDelay ? retryDelay * 2 : 2000, 300000);
    retryTimer = setTimeout(flush, retryDelay * (0.75 + Math.random() / 2));
    emit(error.status ? "retrying" : navigator.onLine === false ? "offline" : "unreachable");
  }).then(function () { flushing = null; });
  return flushing;
}

/* "Businesses like yours" as the server last released them: asked for apart, since the answer
   to a post carries no figure of other businesses; none when they cannot be had. */
function peersFor(payload) {
  var query = ["country", "sector", "size"].map(function (k) {
    return k + "=" + encodeURIComponent(payload.context[k]);
  }).join("&");
  return fetch(apiUrl.replace(/submissions$/, "peers") + "?" + query, { cache: "no-store", credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : {}; })
    .then(function (body) { return body.peers || null; }, function () { return null; });
}

function send(item) {
  emit("sending", item.id);
  return fetch(apiUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(item.payload),
    cache: "no-store",
    credentials: "same-origin"
  }).then(function (response) {
    if (response.status === 200 || response.status === 201) {
      return peersFor(item.payload).then(function (peers) { return done(item, "sent", peers); });
    }
    if (response.status === 409) return done(item, "conflict");
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
      return done(item, "rejected");
    }
    var error = new Error("the server answered " + response.status);
    error.status = response.status;
    throw error;
  });
}

/* peers: "businesses like yours" from the server's answer, kept with the result. The result's
   status is written before the outbox lets go of it: a page closed in between sends it once more
   (the server answers 200, no second row) rather than showing "not sent" for ever. */
function done(item, status, peers) {
  return store.get("results").then(function (results) {
    var record = results && results[item.id];
    if (!record) return;
    record.sync = status;
    if (peers) record.peers = peers;
    return store.set("results", results);
  }).then(function () {
    return store.get("outbox");
  }).then(function (box) {
    return store.set("outbox", (box || []).filter(function (x) { return x.id !== item.id; }));
  }).then(function () { emit(status, item.id, peers); });
}

export function start() {
  window.addEventListener("online", flush);
  /* the phone lost its internet: say so at once for a result still waiting to be sent */
  window.addEventListener("offline", function () {
    store.get("outbox").then(function (box) { if (box && box.length) emit("offline"); }, function () {});
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) flush(); });
  return flush();
}
