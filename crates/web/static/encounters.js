// The superbill's conveniences: search-as-you-type for diagnosis (ICD-10-CM) and procedure codes
// into the inputs' datalists, and the patient's recent diagnoses added with one click. The form
// works without this file.
(function () {
  "use strict";
  var form = document.querySelector("[data-superbill]");
  if (!form) { return; }
  var timers = {};
  function serviceDate() {
    var d = form.querySelector("[data-service-date]");
    return d ? d.value : "";
  }
  function fill(list, hits) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    hits.forEach(function (h) {
      var o = document.createElement("option");
      o.value = h.code;
      o.label = h.code + " " + h.description;
      o.textContent = h.description;
      list.appendChild(o);
    });
  }
  form.addEventListener("input", function (ev) {
    var input = ev.target;
    var kind = input.getAttribute && input.getAttribute("data-code-search");
    if (!kind) { return; }
    var q = input.value.trim();
    if (q.length < 2) { return; }
    clearTimeout(timers[kind]);
    timers[kind] = setTimeout(function () {
      var url = "/billing/encounters/codes?kind=" + kind + "&q=" + encodeURIComponent(q) + "&on=" + encodeURIComponent(serviceDate());
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (hits) { fill(document.getElementById(kind + "-list"), hits); })
        .catch(function () {});
    }, 200);
  });
  form.addEventListener("click", function (ev) {
    var code = ev.target.getAttribute && ev.target.getAttribute("data-offer-code");
    if (!code) { return; }
    var slots = form.querySelectorAll("input[data-code-search='dx']");
    for (var i = 0; i < slots.length; i++) {
      if (slots[i].value.trim() === code) { return; }
    }
    for (var j = 0; j < slots.length; j++) {
      if (slots[j].value.trim() === "") { slots[j].value = code; slots[j].focus(); return; }
    }
  });
})();
