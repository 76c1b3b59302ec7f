// datasette-ofsted: the index's "Find an authority" box. Typing hides the authorities whose name and region do not
// hold the letters typed (on a phone the list is 150 cards long); the count is read out. Without JavaScript the
// box does nothing and every authority is listed.
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("find-authority");
    var list = document.getElementById("authority-list");
    if (!box || !list) return;
    var rows = Array.prototype.slice.call(list.querySelectorAll("tbody tr[data-find]"));
    var count = document.getElementById("find-authority-count");
    var none = document.getElementById("find-authority-none");
    function filter() {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var text = row.getAttribute("data-find");
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        row.hidden = !match;
        if (match) shown++;
      });
      if (count) count.textContent = words.length ? shown + " of " + rows.length + " authorities" : "";
      if (none) none.hidden = shown !== 0;
    }
    box.addEventListener("input", filter);
    box.addEventListener("keydown", function (event) {
      // Enter opens the only authority left, as a search box would.
      if (event.key !== "Enter") return;
      var left = rows.filter(function (row) { return !row.hidden; });
      if (left.length === 1) {
        event.preventDefault();
        window.location.href = left[0].querySelector("a").href;
      }
    });
    if (box.value) filter();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
