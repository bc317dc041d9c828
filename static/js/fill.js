/* Texts and markup filled on the phone as the server fills them: %(name)s placeholders, numbers
   and dates in the page's language, and server-rendered <template> markup, whose four attributes
   (data-slot, data-set, data-if, data-each) are explained in lmcself/web/blank.py. */

export function fillText(template, values) {
  return template.replace(/%\((\w+)\)s/g, function (m, name) { return name in values ? String(values[name]) : m; });
}

/* A whole number or decimal with the page's decimal and group signs (Babel's, from the server). */
export function formatNumber(symbols, x) {
  var parts = String(x).split(".");
  var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, symbols.group);
  return parts[1] ? whole + symbols.decimal + parts[1] : whole;
}

/* An ISO date written with Babel's long pattern for the page's locale (d, M, y, G, 'text'),
   so the phone writes dates as the server does, whatever its own ICU data. */
export function formatDate(spec, iso) {
  var parts = iso.split("-"), y = parts[0], m = +parts[1], d = +parts[2];
  return spec.pattern.replace(/'([^']*)'|G+|y+|M+|d+/g, function (token, quoted) {
    if (quoted !== undefined) return quoted;
    if (token[0] === "G") return spec.era;
    if (token[0] === "y") return String(+y + (spec.year_offset || 0)); /* Thai: the Buddhist era */
    if (token[0] === "M") return token.length >= 3 ? spec.months[m - 1] : (token.length === 2 && m < 10 ? "0" : "") + m;
    return (token.length === 2 && d < 10 ? "0" : "") + d;
  });
}

/* A copy of the <template>'s content, filled with the view (nested objects and lists of texts). */
export function render(template, view) {
  var copy = template.content.cloneNode(true);
  fillChildren(copy, view);
  return copy;
}

function present(value) {
  return Array.isArray(value) ? value.length > 0 : !!value;
}

function valueOf(view, key) {
  if (!(key in view)) throw new Error("the view has no " + key);
  return view[key];
}

function fillChildren(node, view) {
  Array.prototype.slice.call(node.children).forEach(function (el) {
    var each = el.getAttribute("data-each");
    if (each === null) { fillElement(el, view); return; }
    valueOf(view, each).forEach(function (item) {
      var copy = el.cloneNode(true);
      copy.removeAttribute("data-each");
      el.before(copy);
      fillElement(copy, item);
    });
    el.remove();
  });
}

function fillElement(el, view) {
  var when = el.getAttribute("data-if"), slot = el.getAttribute("data-slot"), set = el.getAttribute("data-set");
  if (when !== null && !present(valueOf(view, when))) { el.remove(); return; }
  if (set) {
    set.split(" ").forEach(function (pair) {
      var p = pair.split(":");
      el.setAttribute(p[0], valueOf(view, p[1]));
    });
  }
  if (slot !== null) el.textContent = valueOf(view, slot);
  else fillChildren(el, view);
}
