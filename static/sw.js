/* lmcself service worker: reload while offline, on HTTPS or localhost (browsers allow no service
   worker elsewhere; the page itself keeps answers and the outbox without it).
   - never touches anything but GET requests of this origin: submissions always reach the network;
   - static files: cache first (their URLs carry a version, so a new release is new URLs);
   - the one-page app, the instrument and the plan data: network first, the cached copy offline;
   - caches are named by version; activating a new version deletes the old ones. */
var VERSION = "__VERSION__";
var CACHE = "lmcself-" + VERSION;
var APP_PAGE = /^\/[a-z]{2}\/app$/;
var PLAN_DATA = /^\/[a-z]{2}\/plan-data\.json$/;
var precaching = Promise.resolve();

self.addEventListener("install", function () {
  self.skipWaiting(); /* no one is trapped on an old version */
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) {
        return k.indexOf("lmcself-") === 0 && k !== CACHE;
      }).map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

/* The page names what its language needs (the app page, its data, styles, scripts, fonts) and
   gets an answer on the port it sends: "precached", or "precache-failed" to show and try again.
   Each address once: Cache.addAll refuses a whole list that names one twice. */
self.addEventListener("message", function (event) {
  if (!event.data || event.data.type !== "precache") return;
  var seen = {}, urls = event.data.urls.map(function (u) { return new URL(u, self.location.href).href; })
    .filter(function (u) { return !seen[u] && (seen[u] = true); });
  var port = event.ports && event.ports[0];
  function answer(message) { if (port) port.postMessage(message); }
  /* one after the other: a second page's list is checked against what the first one kept */
  precaching = precaching.then(function () { return caches.open(CACHE); }).then(function (cache) {
    /* what is kept already stays (the app page and its data are refreshed on every visit) */
    return Promise.all(urls.map(function (u) { return cache.match(u).then(function (hit) { return hit ? null : u; }); }))
      .then(function (missing) { return cache.addAll(missing.filter(Boolean)); });
  }).then(function () {
    answer({ type: "precached", version: VERSION });
  }, function (error) {
    answer({ type: "precache-failed", error: String(error) });
  });
  event.waitUntil(precaching);
});

function networkFirst(request, keep) {
  return fetch(request).then(function (response) {
    if (keep && response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    var url = new URL(request.url);
    return caches.match(request, { ignoreSearch: true }).then(function (hit) {
      if (hit) return hit;
      /* any page of a language, offline: that language's app page */
      var lang = url.pathname.split("/")[1];
      return caches.match("/" + lang + "/app").then(function (app) {
        return app || Response.error();
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
    }));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, APP_PAGE.test(url.pathname)));
  } else if (url.pathname === "/api/v1/instrument.json" || PLAN_DATA.test(url.pathname)) {
    event.respondWith(networkFirst(request, true));
  }
});
