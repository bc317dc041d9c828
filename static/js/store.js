/* What the phone keeps: IndexedDB, else localStorage, else memory (private modes, old browsers).
   Keys: "current" (the assessment being answered, with the previous check it follows when the
   owner came back with a re-entry code), "results" (finished ones by id, each with that previous
   check, so its progress shows offline), "last" (the last finished id), "outbox" (results not
   yet confirmed by the server), "screen" (what to show again after a reload), "plan-data:<lang>"
   (the plan's data, where no service worker keeps it). */

var memory = {}, dbPromise = null;

function local() {
  try { return window.localStorage; } catch (e) { return null; }
}

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
  var ls = local(), raw = ls ? ls.getItem("lmc:" + key) : memory[key];
  return raw ? JSON.parse(raw) : undefined;
}

function fallbackSet(key, value) {
  var ls = local(), raw = JSON.stringify(value);
  if (ls) ls.setItem("lmc:" + key, raw); else memory[key] = raw; /* may throw: the phone is full */
}

export function get(key) {
  return run("readonly", function (s) { return s.get(key); })
    .then(function (v) { return v === undefined ? fallbackGet(key) : v; }, function () { return fallbackGet(key); });
}

export function set(key, value) {
  return run("readwrite", function (s) { return s.put(value, key); })
    .catch(function () { fallbackSet(key, value); });
}

export function remove(key) {
  var ls = local();
  if (ls) ls.removeItem("lmc:" + key);
  delete memory[key];
  return run("readwrite", function (s) { return s.delete(key); }).catch(function () {});
}

/* Ask the browser not to clear what is kept here when the phone runs short of space. */
export function persist() {
  if (navigator.storage && navigator.storage.persist) return navigator.storage.persist().catch(function () { return false; });
  return Promise.resolve(false);
}

/* A UUID made on the device. crypto.randomUUID needs a secure context; a workshop laptop on
   http://192.168.x.x is not one, so build a version 4 UUID from getRandomValues. */
export function uuid4() {
  var b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}
