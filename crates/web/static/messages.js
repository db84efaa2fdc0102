// The call pad's live triage: as the receptionist types, ask /messages/triage what the practice's
// rules say and show the instruction at once when the call is urgent. The form works without it
// (the message page shows the instruction after saving).
(function () {
  "use strict";
  var form = document.querySelector("form[data-triage]");
  var box = document.getElementById("triage-instruction");
  var text = document.getElementById("triage-text");
  if (!form || !box || !text) return;
  var timer = null;
  var seq = 0;
  function value(name) {
    var el = form.elements[name];
    return el ? el.value : "";
  }
  function check() {
    var mine = ++seq;
    var reason = form.elements["reason"];
    var reasonText = reason && reason.selectedIndex > 0 ? reason.options[reason.selectedIndex].text + " " : "";
    var discharged = form.elements["recently_discharged"];
    var params = new URLSearchParams();
    params.set("caller_kind", value("caller_kind"));
    params.set("text", reasonText + value("body"));
    if (discharged && discharged.checked) params.set("recently_discharged", "1");
    fetch(form.getAttribute("data-triage") + "?" + params.toString(), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) {
        if (!answer || mine !== seq) return;
        if (answer.instruction) {
          text.textContent = answer.instruction + (answer.rule_name ? " (" + answer.rule_name + ")" : "");
          box.hidden = false;
        } else {
          box.hidden = true;
        }
      })
      .catch(function () {});
  }
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  }
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  if (value("body") || value("caller_kind") !== "patient") check();
})();
