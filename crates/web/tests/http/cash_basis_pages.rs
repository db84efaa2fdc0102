//! The statements on the cash basis over HTTP: the basis is chosen on each report page, the
//! heading says which, a charge not yet paid leaves the cash-basis revenue and the receivables,
//! and the cash-basis balance sheet still balances.

use crate::harness::{Browser, Server, hidden_value, spawn};
use axum::http::StatusCode;

/// Posts a two-line manual entry dated 2026-03-02.
async fn post(server: &Server, bk: &Browser, memo: &str, debit: (&str, &str), credit: (&str, &str)) {
    let form = server.get(bk, "/books/journal/new").await.text();
    let key = hidden_value(&form, "idempotency_key").expect("the form's key");
    let fields = [
        ("idempotency_key", key.as_str()),
        ("date", "2026-03-02"),
        ("memo", memo),
        ("lines[0].account", debit.0),
        ("lines[0].debit", debit.1),
        ("lines[0].credit", ""),
        ("lines[0].memo", ""),
        ("lines[1].account", credit.0),
        ("lines[1].debit", ""),
        ("lines[1].credit", credit.1),
        ("lines[1].memo", ""),
    ];
    let reply = server.post_form(bk, "/books/journal", &fields).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
}

#[tokio::test]
async fn the_reports_switch_to_the_cash_basis_and_leave_unpaid_charges_out() {
    let server = spawn().await;
    let bk = server.login("bookkeeper").await;
    post(&server, &bk, "Charges, self-pay", ("1110", "500.00"), ("4000", "500.00")).await;
    post(&server, &bk, "Cash visit paid at the desk", ("1000", "80.00"), ("4300", "80.00")).await;

    let accrual = server.get(&bk, "/books/income-statement?from=2026-03-01&to=2026-03-31").await.text();
    assert!(accrual.contains("(accrual basis)") && accrual.contains("$580.00"), "{accrual}");
    assert!(accrual.contains("<option value=\"accrual\" selected>"));

    let cash = server.get(&bk, "/books/income-statement?from=2026-03-01&to=2026-03-31&basis=cash").await;
    assert_eq!(cash.status, StatusCode::OK);
    let cash = cash.text();
    assert!(cash.contains("(cash basis)") && cash.contains("<option value=\"cash\" selected>"), "{cash}");
    assert!(!cash.contains("Patient service revenue"), "the unpaid charge is not cash-basis revenue: {cash}");
    assert!(cash.contains("$80.00"));
    assert!(cash.contains("income-statement.csv?from=2026-03-01&amp;to=2026-03-31&amp;basis=cash"), "downloads keep the basis");

    let sheet = server.get(&bk, "/books/balance-sheet?as_of=2026-03-31&basis=cash").await.text();
    assert!(sheet.contains("Assets equal liabilities plus owners' equity"), "{sheet}");
    assert!(!sheet.contains("Accounts receivable - Patients"), "no receivables on the cash basis");
    assert!(sheet.contains("Receivables and payables not yet collected or paid"));

    let csv = server.get(&bk, "/books/download/income-statement.csv?from=2026-03-01&to=2026-03-31&basis=cash").await;
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"income-statement-2026-03-01-to-2026-03-31-cash-basis.csv\"")
    );
    let csv = csv.text();
    assert!(!csv.contains("Patient service revenue") && csv.contains("80.00"), "{csv}");

    let tb = server.get(&bk, "/books/trial-balance?as_of=2026-03-31&basis=cash").await.text();
    assert!(tb.contains("The books balance") && tb.contains("(cash basis)"), "{tb}");
}
