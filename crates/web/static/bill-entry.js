// medoffice books: the bill form's due date (from the chosen vendor's terms and the bill date),
// its running total, and lines that start on the vendor's default account; on the vendor form,
// the day-of-month field shown only for those terms. The forms work without this file; the
// server works out the due date itself and checks every field again.
(function () {
  "use strict";

  // --- the vendor form --------------------------------------------------------------------
  var terms = document.querySelector('select[name="payment_terms"]');
  var dayField = document.querySelector("[data-terms-day]");
  if (terms && dayField) {
    var showDay = function () { dayField.hidden = terms.value !== "day_of_month"; };
    terms.addEventListener("change", showDay);
    showDay();
  }

  // --- the bill form ----------------------------------------------------------------------
  var form = document.querySelector("form[data-bill-entry]");
  if (!form) return;
  var vendor = form.querySelector("[data-bill-vendor]");
  var date = form.querySelector('input[name="bill_date"]');
  var dueOut = form.querySelector("[data-bill-due]");
  var totalOut = form.querySelector("[data-bill-total]");

  // A date from "YYYY-MM-DD" in UTC (no time zone shifts), or null.
  function parseDay(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
    if (!m) return null;
    var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return d.getUTCMonth() === +m[2] - 1 ? d : null;
  }

  function dayText(d) {
    return d.getUTCFullYear() + "-" + ("0" + (d.getUTCMonth() + 1)).slice(-2) + "-" + ("0" + d.getUTCDate()).slice(-2);
  }

  function addDays(d, n) {
    return new Date(d.getTime() + n * 86400000);
  }

  // The due date as domain::ledger::terms::PaymentTerms::due_date works it out.
  function dueDate(termsText, billDate) {
    var t = termsText.trim().toLowerCase().replace(/\s+/g, " ");
    var m;
    if (t === "due_on_receipt") return billDate;
    if ((m = /^net_(\d+)$/.exec(t))) return addDays(billDate, +m[1]);
    if ((m = /^\d+\/\d+ net (\d+)$/.exec(t))) return addDays(billDate, +m[1]);
    if ((m = /^day_of_month:(\d+)$/.exec(t))) {
      var year = billDate.getUTCFullYear(), month = billDate.getUTCMonth() + 1;
      if (month === 12) { year += 1; month = 0; }
      var last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
      return new Date(Date.UTC(year, month, Math.min(+m[1], last)));
    }
    return null;
  }

  function showDue() {
    var option = vendor.options[vendor.selectedIndex];
    var billDate = parseDay(date.value);
    var due = option && option.value && billDate ? dueDate(option.getAttribute("data-terms") || "", billDate) : null;
    dueOut.textContent = due ? dayText(due) : "from the vendor's terms";
  }

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
    var dollars = Math.floor(c / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return "$" + dollars + "." + ("0" + (c % 100)).slice(-2);
  }

  function showTotal() {
    var total = 0, bad = false;
    form.querySelectorAll("[data-bill-amount]").forEach(function (input) {
      var c = cents(input.value);
      if (c === null) bad = true; else total += c;
    });
    totalOut.textContent = bad ? "An amount is not a number" : money(total);
  }

  // Lines the user has not set follow the vendor's default account.
  var accounts = form.querySelectorAll("[data-bill-account]");
  accounts.forEach(function (select) {
    select.addEventListener("change", function () { select.setAttribute("data-chosen", ""); });
  });
  function followVendor() {
    var option = vendor.options[vendor.selectedIndex];
    var account = option ? option.getAttribute("data-account") || "" : "";
    accounts.forEach(function (select) {
      if (!select.hasAttribute("data-chosen")) select.value = account;
    });
  }

  vendor.addEventListener("change", function () { followVendor(); showDue(); });
  date.addEventListener("input", showDue);
  date.addEventListener("change", showDue);
  form.addEventListener("input", function (e) {
    if (e.target.hasAttribute && e.target.hasAttribute("data-bill-amount")) showTotal();
  });
  showDue();
  showTotal();
})();
