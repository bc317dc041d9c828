/* The result on the phone: score, level, a bar per part, where to start, the sending status and
   "businesses like yours" once the server has answered; and the owner's answers as a file. */
import * as store from "./store.js";
import { fillText, formatDate, formatNumber } from "./fill.js";

export function resultView(data, app) {
  var view = document.getElementById("result");

  function show(record) {
    var result = record.result, level = data.levels[result.level];
    app.showOnly(view);
    view.setAttribute("data-id", record.payload.id);
    view.querySelector(".score .big").textContent = formatNumber(data.number, result.overall);
    var levelLine = view.querySelector("p.level");
    levelLine.className = "level level-" + result.level;
    levelLine.textContent = level.name;
    view.querySelector(".level-description").textContent = level.description;
    result.dimensions.forEach(function (d) {
      var row = view.querySelector('li[data-dim="' + d.key + '"]');
      var none = d.score === null, text = none ? data.strings.does_not_apply : formatNumber(data.number, d.score);
      row.querySelector(".chart-score").textContent = text;
      var svg = row.querySelector("svg");
      svg.setAttribute("class", "chart-bar level-" + (none ? "none" : d.level));
      svg.setAttribute("aria-label", none ? text : fillText(data.strings.out_of, { score: text }));
      svg.querySelector(".bar").setAttribute("width", none ? 0 : d.score);
    });
    var same = result.strongest === result.weakest;
    view.querySelector(".same").hidden = !same;
    [["strongest", "strongest", result.strongest], ["weakest", "start_here", result.weakest]].forEach(function (c) {
      var card = view.querySelector(".card." + c[0]), dim = data.dimensions[c[2]];
      var part = result.dimensions.filter(function (d) { return d.key === c[2]; })[0];
      card.hidden = same;
      card.querySelector("h3").textContent = fillText(data.strings[c[1]], { name: dim.name });
      card.querySelector("p").textContent = dim.levels[part.level];
    });
    var dk = view.querySelector(".dont-know");
    dk.hidden = !result.dont_know;
    dk.textContent = fillText(data.strings[result.dont_know === 1 ? "dont_know_one" : "dont_know_other"], { num: result.dont_know });
    view.querySelector(".scored-on").textContent = fillText(data.strings.scored_on, { version: result.version, date: formatDate(data.date, record.date) });
    app.since(record, view.querySelector(".since-body"));
    showSync(record.sync || "saved");
    showPeers(record.peers);
    window.scrollTo(0, 0);
    view.querySelector("h1").focus();
  }

  function showSync(status) {
    var line = view.querySelector(".sync");
    line.textContent = data.strings[status] || "";
    line.setAttribute("data-status", status);
  }

  function showPeers(peers) {
    var box = view.querySelector(".peers");
    box.hidden = !peers;
    if (!peers) return;
    box.querySelector("p").textContent = fillText(data.strings[peers.n === 1 ? "peers_one" : "peers_other"], {
      num: formatNumber(data.number, peers.n), score: formatNumber(data.number, peers.overall)
    });
  }

  /* The outbox's news, for the result on screen (a failed send names no result: it is every one). */
  function status(status, id, peers) {
    if (view.hidden || (id && view.getAttribute("data-id") !== id)) return;
    showSync(status);
    if (peers) showPeers(peers);
  }

  function download() {
    var id = view.getAttribute("data-id");
    return store.get("results").then(function (results) {
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

  return { show: show, status: status, download: download, shownId: function () { return view.getAttribute("data-id"); } };
}
