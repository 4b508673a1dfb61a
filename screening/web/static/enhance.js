// Progressive enhancement only: every page works without this script.
// Follow-up questions are shown or hidden at once by asking the server which ones apply: the engine
// decides (the same rules as for the stored result); this script never evaluates conditions itself.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sending === "1") { event.preventDefault(); return; }  // a double click sends once
      form.dataset.sending = "1";
      setTimeout(function () { form.dataset.sending = ""; }, 4000);
    });
  });

  var form = document.querySelector("form[data-visibility]");
  if (!form || !window.fetch || !window.URLSearchParams) { return; }
  var live = form.querySelector("[data-live]");
  var banner = document.querySelector("[data-emergency-banner]");
  var timer = null;
  var pending = 0;

  function update() {
    var ticket = ++pending;
    var body = new URLSearchParams(new FormData(form));
    fetch(form.dataset.visibility, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (res) { return res.ok ? res.json() : null; }).then(function (data) {
      if (!data || ticket !== pending) { return; }
      var shown = new Set(data.shown);
      var seenField = form.elements.namedItem("seen");
      var seen = new Set(seenField ? seenField.value.split(" ").filter(Boolean) : []);
      var added = 0;
      form.querySelectorAll("[data-item]").forEach(function (el) {
        var on = shown.has(el.dataset.item);
        if (on && el.hidden) { added += 1; }
        el.hidden = !on;
        if (on) { seen.add(el.dataset.item); }
      });
      if (seenField) { seenField.value = Array.from(seen).join(" "); }
      if (live && added) { live.textContent = added === 1 ? "1 follow-up question added." : added + " follow-up questions added."; }
      if (banner) {
        var list = banner.querySelector("[data-emergency-list]");
        list.textContent = "";
        (data.emergency || []).forEach(function (title) {
          var li = document.createElement("li");
          li.textContent = title;
          list.appendChild(li);
        });
        banner.hidden = !(data.emergency && data.emergency.length);
      }
    }).catch(function () { /* the server re-checks on submit */ });
  }

  form.addEventListener("change", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 50);
  });
})();
