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

// Schedule: arrow keys on the calendar grid, single-key shortcuts, the booking page's patient
// search as you type, and the arrivals list's refresh. The pages work without any of it.
(function () {
  "use strict";

  function typing(t) {
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  // Arrow keys move between the grid's free times and appointments: up and down within a column,
  // left and right to the nearest row of the next column.
  document.querySelectorAll("[data-cal-grid]").forEach(function (grid) {
    grid.addEventListener("keydown", function (e) {
      var from = e.target;
      if (!from.hasAttribute || !from.hasAttribute("data-col") || e.altKey || e.ctrlKey || e.metaKey) return;
      var col = +from.getAttribute("data-col");
      var row = +from.getAttribute("data-row");
      var items = Array.prototype.slice.call(grid.querySelectorAll("[data-col]"));
      var inCol = function (c) { return items.filter(function (el) { return +el.getAttribute("data-col") === c; }); };
      var target = null;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        var list = inCol(col);
        var i = list.indexOf(from) + (e.key === "ArrowDown" ? 1 : -1);
        target = list[i] || null;
      } else if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
        var next = inCol(col + (e.key === "ArrowRight" ? 1 : -1));
        var best = Infinity;
        next.forEach(function (el) {
          var d = Math.abs(+el.getAttribute("data-row") - row);
          if (d < best) { best = d; target = el; }
        });
      } else {
        return;
      }
      e.preventDefault();
      if (target) { target.focus(); target.scrollIntoView({ block: "nearest", inline: "nearest" }); }
    });
  });

  // Single-key shortcuts named by data-key-* attributes (t today, p/n previous/next, d/w/a the
  // views, b book); "?" opens the list of shortcuts.
  var page = document.querySelector("[data-shortcuts]");
  if (page) {
    document.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) return;
      if (e.key === "?") {
        var help = document.getElementById("shortcuts");
        if (help) { help.open = !help.open; e.preventDefault(); }
        return;
      }
      var href = /^[a-z]$/.test(e.key) ? page.getAttribute("data-key-" + e.key) : null;
      if (href) { e.preventDefault(); window.location.href = href; }
    });
  }

  // A provider filter applies as soon as it is chosen.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { if (select.form) select.form.submit(); });
  });

  // The booking page's patient search: fetch the results as the user types, with the rest of
  // the page's state (provider, time...) so the "Choose" links keep it.
  document.querySelectorAll("input[data-schedule-search]").forEach(function (input) {
    var target = document.getElementById(input.getAttribute("data-results"));
    var form = input.form;
    var timer = null;
    var seq = 0;
    if (!target || !form) return;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var mine = ++seq;
        var query = new URLSearchParams(new FormData(form)).toString();
        fetch(input.getAttribute("data-schedule-search") + "?" + query, { credentials: "same-origin", headers: { "Accept": "text/html" } })
          .then(function (r) {
            if (r.redirected || r.status === 401) { window.location.reload(); return null; }
            return r.ok ? r.text() : null;
          })
          .then(function (html) { if (html !== null && mine === seq) target.innerHTML = html; })
          .catch(function () {});
      }, 200);
    });
  });

  // A booking that lost its time: the message (with fresh times) takes the focus.
  var taken = document.getElementById("booking-error");
  if (taken) taken.focus();

  // The arrivals list refreshes itself. Focus stays where it was: the focused control is found
  // again by its data-key after the swap; nothing is refreshed while the user types.
  document.querySelectorAll("[data-refresh]").forEach(function (box) {
    var seconds = Math.max(15, +box.getAttribute("data-refresh-seconds") || 60);
    setInterval(function () {
      if (document.visibilityState !== "visible" || typing(document.activeElement)) return;
      // The header marks the request as background: the server does not count it as activity,
      // so a page left open still signs its user out after the idle timeout.
      fetch(box.getAttribute("data-refresh"), { credentials: "same-origin", headers: { "Accept": "text/html", "X-Medoffice-Background": "1" } })
        .then(function (r) {
          if (r.redirected || r.status === 401) { window.location.reload(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          if (html === null) return;
          var active = document.activeElement;
          var key = active && box.contains(active) ? active.getAttribute("data-key") : null;
          box.innerHTML = html;
          if (key) {
            var again = box.querySelector('[data-key="' + key.replace(/"/g, "") + '"]');
            if (again) again.focus({ preventScroll: true });
          }
        })
        .catch(function () {});
    }, seconds * 1000);
  });
})();

// Mailings: the count of recipients follows the filter as it is typed (GET /mailings/preview
// with the filter's fields); the form's Count button does the same without script.
(function () {
  "use strict";
  document.querySelectorAll("form[data-live-preview]").forEach(function (form) {
    var target = document.getElementById(form.getAttribute("data-preview-target"));
    var url = form.getAttribute("data-live-preview");
    var timer = null;
    var seq = 0;
    if (!target) return;
    function refresh(e) {
      var name = e && e.target ? e.target.name : "";
      if (name === "title" || name === "body" || name === "template") return;
      clearTimeout(timer);
      timer = setTimeout(function () {
        var mine = ++seq;
        var data = new FormData(form);
        ["csrf", "title", "body", "template", "intent"].forEach(function (k) { data.delete(k); });
        fetch(url + "?" + new URLSearchParams(data).toString(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
          .then(function (r) {
            if (r.redirected || r.status === 401) { window.location.reload(); return null; }
            return r.ok ? r.text() : null;
          })
          .then(function (html) { if (html !== null && mine === seq) target.innerHTML = html; })
          .catch(function () {});
      }, 300);
    }
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
  });
})();
