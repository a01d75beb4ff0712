// Keyboard shortcuts for the queue and item pages, like `sourcewatch triage`'s keys.
// Progressive enhancement only: every action is a plain form or link without it.
// j/k move the selection, o or Enter opens, r/i/e/d mark the selected entry,
// c claims the next entry, s skips and n writes a note (item page), / jumps to the filters.
(function () {
  "use strict";
  var selected = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr[data-row]")); }
  function select(index) {
    var all = rows();
    if (!all.length) { return; }
    selected = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) { row.classList.toggle("selected", i === selected); });
    all[selected].scrollIntoView({ block: "nearest" });
  }
  function press(scope, key) {
    var button = scope.querySelector('button[data-key="' + key + '"]');
    if (button) { button.click(); return true; }
    return false;
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) { return; }
    var key = event.key;
    var all = rows();
    if (key === "j") { select(selected + 1); }
    else if (key === "k") { select(selected - 1); }
    else if ((key === "o" || key === "Enter") && all[selected]) { window.location = all[selected].getAttribute("data-href"); }
    else if (key === "n") { var note = document.querySelector("textarea[name=note]"); if (!note) { return; } note.focus(); }
    else if (key === "/") { var field = document.querySelector(".filters input"); if (field) { field.focus(); } }
    else if (key === "c") { if (!press(document, "c")) { return; } }
    else if ("rieds".indexOf(key) >= 0) {
      var scope = all[selected] || document.getElementById("mark-form") || document;
      if (!press(scope, key) && !press(document, key)) { return; }
    } else { return; }
    event.preventDefault();
  });
  document.addEventListener("DOMContentLoaded", function () { if (rows().length) { select(0); } });
})();
