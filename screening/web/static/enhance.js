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
  var alerts = emergencyAlerts(form);
  var timer = null;
  var pending = 0;
  var changed = "";  // the name of the field changed last: an alert it raises is shown beside it

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
      if (alerts && data.alerts) { alerts.show(data.alerts, changed); }
    }).catch(function () { /* the server re-checks on submit */ });
  }

  form.addEventListener("change", function (event) {
    var name = event.target && event.target.name;  // on the form itself, .name is the field called "name"
    changed = typeof name === "string" ? name : "";
    clearTimeout(timer);
    timer = setTimeout(update, 50);
  });

  // The staff intake's emergency alerts: one beside each question whose answer raised an emergency red flag
  // (the server names those questions), and the bar that stays on screen. Focus is never moved: the person
  // may be mid-answer (arrow keys on a radio group fire a change per press). The alert is announced by its
  // role, sits right after the question so the next Tab reaches its button, and is scrolled into view.
  function emergencyAlerts(form) {
    var template = form.querySelector("template[data-alert-template]");
    var bar = form.querySelector("[data-emergency-bar]");
    if (!template || !bar) { return null; }
    var why = bar.querySelector("[data-emergency-why]");
    var skip = document.querySelector("[data-emergency-skip]");
    var placed = {};  // flag id -> the question its alert is beside, kept while the flag stays raised
    form.querySelectorAll("[data-q-alert]").forEach(function (box) {
      (box.dataset.flags || "").split(" ").filter(Boolean).forEach(function (id) { placed[id] = box.dataset.qAlert; });
    });

    function flagList(flags) {
      var list = document.createElement("ul");
      flags.forEach(function (flag) {
        var li = document.createElement("li");
        var title = document.createElement("strong");
        title.textContent = flag.title;
        var answers = document.createElement("ul");
        answers.className = "q-alert__answers";
        flag.answers.forEach(function (pair) {
          var row = document.createElement("li");
          var answer = document.createElement("strong");
          answer.textContent = pair[1];
          row.append(pair[0] + " ", answer);
          answers.appendChild(row);
        });
        li.append(title, answers);
        list.appendChild(li);
      });
      return list;
    }

    function words(el) { return el.textContent.replace(/\s+/g, ""); }

    function show(flags, changedItem) {
      var groups = {};
      var next = {};
      flags.forEach(function (flag) {
        var at = placed[flag.id];
        if (!at || flag.items.indexOf(at) < 0) {
          at = flag.items.indexOf(changedItem) >= 0 ? changedItem : flag.anchor;
        }
        next[flag.id] = at;
        (groups[at] = groups[at] || []).push(flag);
      });
      placed = next;
      var had = form.querySelectorAll("[data-q-alert]").length > 0;
      bar.hidden = flags.length === 0;
      if (skip) { skip.hidden = bar.hidden; }
      var first = null;
      var added = null;
      form.querySelectorAll("[data-item]").forEach(function (box) {
        var id = box.dataset.item;
        var old = box.querySelector("[data-q-alert]");
        if (!groups[id]) { if (old) { old.remove(); } return; }
        var list = flagList(groups[id]);
        first = first || id;
        if (old && words(old.querySelector("[data-alert-flags]")) === words(list)) { return; }  // said already
        var alert = template.content.firstElementChild.cloneNode(true);
        alert.id = "alert-" + id;
        alert.dataset.qAlert = id;
        alert.dataset.flags = groups[id].map(function (flag) { return flag.id; }).join(" ");
        var target = alert.querySelector("[data-alert-flags]");
        while (list.firstChild) { target.appendChild(list.firstChild); }
        if (old) { old.remove(); }
        box.appendChild(alert);
        if (id === changedItem || !added) { added = alert; }
      });
      if (why && first) { why.href = "#alert-" + first; }
      if (added) { added.scrollIntoView({ block: "nearest" }); }
      if (had && !flags.length && live) { live.textContent = "No emergency now: the alert has gone."; }
    }

    return { show: show };
  }
})();
