// The console's only script. Everything works without it; with it, a
// part marked data-live (a payout that is not final) is fetched again
// every two seconds and swapped in place until it says data-final="true".
// The part is server-rendered HTML from the same origin, escaped by
// html/template like every page.
"use strict";
(function () {
  var every = 2000;
  function poll(el) {
    if (!el || el.getAttribute("data-final") === "true") return;
    setTimeout(function () {
      fetch(el.getAttribute("data-live"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { if (!r.ok) throw new Error("status " + r.status); return r.text(); })
        .then(function (html) {
          var tpl = document.createElement("template");
          tpl.innerHTML = html.trim();
          var next = tpl.content.querySelector("[data-live]");
          if (!next) return;
          if (next.outerHTML === el.outerHTML) { poll(el); return; }
          keepTyping(el, next);
          el.replaceWith(next);
          poll(next);
        })
        .catch(function () { poll(el); });
    }, every);
  }
  // What the admin is typing in the old part survives the swap.
  function keepTyping(from, to) {
    from.querySelectorAll("textarea[id], input[id]:not([type=hidden])").forEach(function (f) {
      var g = to.querySelector("#" + CSS.escape(f.id));
      if (!g) return;
      g.value = f.value;
      if (document.activeElement === f) setTimeout(function () { g.focus(); }, 0);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(poll);
  });
})();
