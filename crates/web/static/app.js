// medoffice: small enhancements. Every page works without this file.
(function () {
  "use strict";

  // Search as you type: fetch the results fragment and swap it in.
  document.querySelectorAll("input[data-live-search]").forEach(function (input) {
    var target = document.getElementById(input.getAttribute("data-results"));
    var url = input.getAttribute("data-live-search");
    var timer = null;
    var seq = 0;
    if (!target) return;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var mine = ++seq;
        var q = input.value;
        fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "Accept": "text/html" } })
          .then(function (r) {
            if (r.redirected || r.status === 401) { window.location.reload(); return null; }
            return r.ok ? r.text() : null;
          })
          .then(function (html) {
            if (html !== null && mine === seq) {
              target.innerHTML = html;
              var u = new URL(window.location.href);
              if (q) { u.searchParams.set("q", q); } else { u.searchParams.delete("q"); }
              window.history.replaceState(null, "", u.toString());
            }
          })
          .catch(function () {});
      }, 150);
    });
  });

  // "/" focuses the patient search from anywhere but a text field.
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
    if (e.key === "/" && !typing) {
      var box = document.getElementById("patient-search") || document.getElementById("global-search");
      if (box) { e.preventDefault(); box.focus(); box.select(); }
    }
  });

  // Subscriber fields only matter when the patient is not the subscriber.
  var relationship = document.getElementById("f-relationship_to_subscriber");
  var subscriberFields = document.querySelector("[data-subscriber-fields]");
  function syncSubscriber() {
    if (relationship && subscriberFields) subscriberFields.hidden = relationship.value === "self";
  }
  if (relationship) { relationship.addEventListener("change", syncSubscriber); syncSubscriber(); }

  // Confirmations for destructive actions.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (e) {
      if (!window.confirm(el.getAttribute("data-confirm"))) e.preventDefault();
    });
  });

  // Print buttons.
  document.querySelectorAll("[data-print]").forEach(function (el) {
    el.addEventListener("click", function () { window.print(); });
  });

  // Move focus to the error summary after a failed submit.
  var errors = document.getElementById("form-errors");
  if (errors) errors.focus();
})();
