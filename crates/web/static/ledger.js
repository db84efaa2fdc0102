// medoffice books: the manual entry form's running totals and balance indicator, and a button
// for more lines. The form works without this file; the server checks every rule again.
(function () {
  "use strict";
  var form = document.querySelector("form[data-ledger-entry]");
  if (!form) return;
  var rows = form.querySelector("[data-ledger-rows]");
  var debitOut = form.querySelector('[data-ledger-total="debit"]');
  var creditOut = form.querySelector('[data-ledger-total="credit"]');
  var indicator = form.querySelector("[data-ledger-balance]");
  var addRow = form.querySelector("[data-ledger-add-row]");

  // Cents from what a person types ("1,025.5", "$25"); null when it is not an amount.
  function cents(text) {
    var t = text.replace(/[$,\s]/g, "");
    if (t === "") return 0;
    if (!/^\d*(\.\d{0,2})?$/.test(t) || t === ".") return null;
    var parts = t.split(".");
    var whole = parts[0] === "" ? 0 : parseInt(parts[0], 10);
    var frac = parts.length > 1 ? parseInt((parts[1] + "00").slice(0, 2), 10) : 0;
    return whole * 100 + frac;
  }

  function money(c) {
    var sign = c < 0 ? "-" : "";
    c = Math.abs(c);
    var dollars = Math.floor(c / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return sign + "$" + dollars + "." + ("0" + (c % 100)).slice(-2);
  }

  function update() {
    var debit = 0, credit = 0, bad = false, lines = 0;
    form.querySelectorAll("input[data-side]").forEach(function (input) {
      var c = cents(input.value);
      if (c === null) { bad = true; return; }
      if (c > 0) lines += 1;
      if (input.getAttribute("data-side") === "debit") debit += c; else credit += c;
    });
    debitOut.textContent = money(debit);
    creditOut.textContent = money(credit);
    indicator.classList.remove("ok", "off");
    if (bad) {
      indicator.textContent = "An amount is not a number";
      indicator.classList.add("off");
    } else if (debit === 0 && credit === 0) {
      indicator.textContent = "";
    } else if (debit === credit && lines >= 2) {
      indicator.textContent = "Balanced";
      indicator.classList.add("ok");
    } else {
      indicator.textContent = "Off by " + money(Math.abs(debit - credit));
      indicator.classList.add("off");
    }
  }

  form.addEventListener("input", function (e) {
    if (e.target && e.target.hasAttribute("data-side")) update();
  });

  if (addRow && rows) {
    addRow.hidden = false;
    addRow.addEventListener("click", function () {
      var all = rows.querySelectorAll("[data-ledger-row]");
      var last = all[all.length - 1];
      if (!last || all.length >= 100) return;
      var index = all.length;
      var copy = last.cloneNode(true);
      copy.querySelectorAll(".field-error").forEach(function (p) { p.remove(); });
      copy.querySelectorAll(".has-error").forEach(function (td) { td.classList.remove("has-error"); });
      copy.querySelectorAll("input").forEach(function (input) {
        var field = input.name.replace(/^lines\[\d+\]\./, "");
        input.name = "lines[" + index + "]." + field;
        input.id = "l" + index + "-" + field;
        input.value = "";
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-describedby");
      });
      copy.querySelectorAll("label").forEach(function (label) {
        var field = label.htmlFor.replace(/^l\d+-/, "");
        label.htmlFor = "l" + index + "-" + field;
        label.textContent = "Line " + (index + 1) + " " + field;
      });
      rows.appendChild(copy);
      copy.querySelector("input").focus();
    });
  }

  update();
})();
