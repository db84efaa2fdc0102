//! The books over HTTP: the bookkeeper's chart of accounts, the manual entry form (errors next to
//! the fields, a double submit posting once), an entry's page and its reversal, and the trial
//! balance shown to balance.

use crate::harness::{Browser, Server, error_fields, hidden_value, spawn};
use axum::http::{Method, StatusCode};
use serde_json::json;

/// The new entry form's own idempotency key.
async fn form_key(server: &Server, browser: &Browser) -> String {
    let page = server.get(browser, "/books/journal/new").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    hidden_value(&page.text(), "idempotency_key").expect("the form carries its idempotency key")
}

/// The fields of an entry of two lines.
fn entry<'a>(key: &'a str, memo: &'a str, debit: (&'a str, &'a str), credit: (&'a str, &'a str)) -> Vec<(&'a str, &'a str)> {
    vec![
        ("idempotency_key", key),
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
        ("lines[2].account", ""),
        ("lines[2].debit", ""),
        ("lines[2].credit", ""),
        ("lines[2].memo", ""),
    ]
}

#[tokio::test]
async fn the_bookkeeper_sees_the_default_chart_and_other_staff_are_refused() {
    let server = spawn().await;
    let bookkeeper = server.login("bookkeeper").await;
    let chart = server.get(&bookkeeper, "/books").await;
    assert_eq!(chart.status, StatusCode::OK, "{}", chart.text());
    let html = chart.text();
    for text in
        ["Chart of accounts", "Accounts receivable - Insurance", "Contractual adjustments", "Contra-revenue", "Patient service revenue"]
    {
        assert!(html.contains(text), "{text} missing from the chart");
    }
    assert!(!html.contains("Not built yet"));

    let desk = server.login("frontdesk").await;
    for path in ["/books", "/books/journal", "/books/trial-balance", "/books/journal/new"] {
        assert_eq!(server.get(&desk, path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let today = server.get(&desk, "/today").await.text();
    assert!(!today.contains("href=\"/books\""), "the Books link shows for the front desk");

    let script = server.get(&bookkeeper, "/books/ledger.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.header("content-type").unwrap_or_default().starts_with("text/javascript"));
    assert!(script.text().contains("data-ledger-balance"));
}

#[tokio::test]
async fn a_manual_entry_shows_its_errors_next_to_the_fields_then_posts_once_reverses_and_the_trial_balance_balances() {
    let server = spawn().await;
    let bk = server.login("bookkeeper").await;
    let key = form_key(&server, &bk).await;

    // Unbalanced: the message is above the lines, the typed values stay, nothing is posted.
    let reply = server.post_form(&bk, "/books/journal", &entry(&key, "March rent", ("6100", "3,200.00"), ("1000", "3,100.00"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    assert!(html.contains("id=\"e-lines\""), "{html}");
    assert!(html.contains("the entry does not balance: debits $3,200.00, credits $3,100.00 (difference $100.00)"), "{html}");
    assert!(html.contains("value=\"3,100.00\""), "the typed amount is kept");
    assert!(html.contains("src=\"/books/ledger.js\""));

    // An unknown account: the message sits on that row.
    let reply = server.post_form(&bk, "/books/journal", &entry(&key, "March rent", ("6100", "3,200.00"), ("1999", "3,200.00"))).await;
    let html = reply.text();
    let at = html.find("id=\"l1-account-error\"").expect("an error on the second row's account");
    assert!(html[at..].starts_with("id=\"l1-account-error\">line 2: there is no account 1999"), "{}", &html[at..at + 120]);
    assert!(html.contains("id=\"l1-account\" name=\"lines[1].account\" list=\"ledger-accounts\" value=\"1999\" autocomplete=\"off\" class=\"ledger-account-input\" aria-invalid=\"true\""));

    let journal = server.get(&bk, "/books/journal?from=2026-01-01&to=2026-12-31").await.text();
    assert!(journal.contains("No entries dated"), "a refused entry was posted");

    // Valid: posted, and the same form submitted again posts nothing more.
    let fields = entry(&key, "March rent", ("6100", "3,200.00"), ("1000", "3,200.00"));
    let reply = server.post_form(&bk, "/books/journal", &fields).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let location = reply.location().to_string();
    assert!(location.starts_with("/books/journal/") && location.ends_with("?done=posted"), "{location}");
    let again = server.post_form(&bk, "/books/journal", &fields).await;
    assert_eq!(again.location(), location, "a double submit posts once");

    let export = server.get(&bk, "/books/export/journal.ledger").await;
    assert_eq!(export.header("content-disposition"), Some("attachment; filename=\"journal.ledger\""));
    assert!(
        export.text().contains("2026-03-02 (1) March rent\n    Expenses:Rent  $3200.00\n    Assets:Cash:Operating  $-3200.00\n"),
        "{}",
        export.text()
    );
    let csv = server.get(&bk, "/books/export/journal.csv").await.text();
    assert_eq!(csv.lines().nth(1), Some("2026-03-02,1,March rent,6100,Rent,3200.00,"));
    let page = server.get(&bk, &location).await.text();
    assert!(page.contains("Journal entry #1") && page.contains("6100 Rent") && page.contains("1000 Cash - Operating"), "{page}");
    assert!(page.contains("The entry was posted."));

    let tb = server.get(&bk, "/books/trial-balance?as_of=2026-03-31").await;
    assert_eq!(tb.status, StatusCode::OK);
    let html = tb.text();
    assert!(html.contains("data-total=\"debit\">$3,200.00<") && html.contains("data-total=\"credit\">$3,200.00<"), "{html}");
    assert!(html.contains("The books balance"));
    // Before the entry's date nothing has a balance.
    assert!(server.get(&bk, "/books/trial-balance?as_of=2026-03-01").await.text().contains("No account has a balance"));

    // Reverse it: the reversal links back, and the balances are gone.
    let id = location.trim_start_matches("/books/journal/").trim_end_matches("?done=posted");
    let reply = server.post_form(&bk, &format!("/books/journal/{id}/reverse"), &[("date", "2026-03-05"), ("memo", "")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let reversal = server.get(&bk, reply.location()).await.text();
    assert!(
        reversal.contains("Reversal of entry #1: March rent") && reversal.contains(&format!("href=\"/books/journal/{id}\"")),
        "{reversal}"
    );
    let original = server.get(&bk, &format!("/books/journal/{id}")).await.text();
    assert!(original.contains("Reversed by") && !original.contains("Post the reversal"), "{original}");
    let html = server.get(&bk, "/books/trial-balance?as_of=2026-03-31").await.text();
    assert!(html.contains("No account has a balance") && html.contains("The books balance"), "{html}");
}

#[tokio::test]
async fn the_statements_balance_and_a_closed_month_refuses_entries_until_the_admin_reopens_it() {
    let server = spawn().await;
    let bk = server.login("bookkeeper").await;
    for (key, memo, debit, credit) in [
        ("k1", "Capital", ("1000", "10,000"), ("3000", "10,000")),
        ("k2", "Charges", ("1100", "800"), ("4000", "800")),
        ("k3", "Adjustment", ("4100", "150"), ("1100", "150")),
        ("k4", "Rent", ("6100", "2,000"), ("1000", "2,000")),
    ] {
        let reply = server.post_form(&bk, "/books/journal", &entry(key, memo, debit, credit)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{memo}: {}", reply.text());
    }
    let bs = server.get(&bk, "/books/balance-sheet?as_of=2026-03-31").await;
    assert_eq!(bs.status, StatusCode::OK, "{}", bs.text());
    let html = bs.text();
    // Assets 8,000 + 650 = 8,650; equity 10,000 + net income (650 - 2,000) = 8,650.
    assert!(html.contains("data-total=\"assets\">$8,650.00<") && html.contains("data-total=\"liabilities-equity\">$8,650.00<"), "{html}");
    assert!(html.contains("Assets equal liabilities plus owners' equity."));
    let is = server.get(&bk, "/books/income-statement?from=2026-03-01&to=2026-03-31").await.text();
    assert!(is.contains("data-total=\"net-income\">-$1,350.00<") && is.contains("-$150.00"), "{is}");

    // Cash's detail: 10,000 in, 2,000 out, with the running balance.
    let chart = server.get(&bk, "/books").await.text();
    let end = chart.find("\">Cash - Operating<").expect("the cash account's link");
    let start = chart[..end].rfind("/books/accounts/").expect("a link");
    let cash = server.get(&bk, &format!("{}?from=2026-03-01&to=2026-03-31", &chart[start..end])).await;
    assert_eq!(cash.status, StatusCode::OK, "{}", cash.text());
    let html = cash.text();
    let running = html.find("$10,000.00").and_then(|i| html[i..].find("$8,000.00"));
    assert!(running.is_some() && html.contains("Closing balance 2026-03-31"), "{html}");

    let reply = server.post_form(&bk, "/books/periods", &[("period", "2026-03")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let periods = server.get(&bk, "/books/periods").await.text();
    assert!(periods.contains("2026-03") && !periods.contains("/books/periods/2026-03/reopen"), "the bookkeeper cannot reopen: {periods}");
    let refused = server.post_form(&bk, "/books/journal", &entry("k5", "Late bill", ("6100", "10"), ("1000", "10"))).await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(refused.text().contains("2026-03-02 is in a closed period (2026-03)"), "{}", refused.text());
    assert_eq!(server.post_form(&bk, "/books/periods/2026-03/reopen", &[]).await.status, StatusCode::FORBIDDEN);

    let admin = server.login("admin").await;
    let reply = server.post_form(&admin, "/books/periods/2026-03/reopen", &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let posted = server.post_form(&bk, "/books/journal", &entry("k5", "Late bill", ("6100", "10"), ("1000", "10"))).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text());

    // Closing the year: net income (650 - 2,010 = -1,360) into retained earnings, months closed.
    let reply = server.post_form(&bk, "/books/periods/year", &[("year", "2026")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let tb = server.get(&bk, "/books/trial-balance?as_of=2026-12-31").await.text();
    assert!(tb.contains("Retained earnings") && !tb.contains(">Rent<") && tb.contains("The books balance"), "{tb}");
    let again = server.post_form(&bk, "/books/periods/year", &[("year", "2026")]).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.text().contains("closed into retained earnings already"), "{}", again.text());
}

#[tokio::test]
async fn the_api_posts_an_entry_once_per_key_refuses_an_unbalanced_one_and_answers_the_trial_balance() {
    let server = spawn().await;
    let token = server.token("bookkeeper").await;
    let body = json!({
        "date": "2026-04-01", "memo": "Deposit", "idempotency_key": "bank-2026-04-01",
        "lines": [{"account": "1000", "debit_cents": 125_050}, {"account": "1010", "credit_cents": 125_050}]
    });
    let first = server.api(Method::POST, "/api/v1/ledger/entries", Some(&token), Some(&body)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let again = server.api(Method::POST, "/api/v1/ledger/entries", Some(&token), Some(&body)).await;
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(first.json()["lines"][0]["account_name"], "Cash - Operating");

    let unbalanced = json!({"date": "2026-04-01", "memo": "Typo", "lines": [{"account": "1000", "debit_cents": 100}, {"account": "1010", "credit_cents": 90}]});
    let reply = server.api(Method::POST, "/api/v1/ledger/entries", Some(&token), Some(&unbalanced)).await;
    assert_eq!(error_fields(&reply.problem(422)), ["lines"]);

    let tb = server.api(Method::GET, "/api/v1/ledger/trial-balance?as_of=2026-04-30", Some(&token), None).await.json();
    assert_eq!((tb["total_debit_cents"].as_i64(), tb["total_credit_cents"].as_i64()), (Some(125_050), Some(125_050)));
    let cash = tb["accounts"].as_array().unwrap().iter().find(|a| a["number"] == "1000").cloned().unwrap();
    assert_eq!(
        (cash["name"].as_str(), cash["debit_cents"].as_i64(), cash["credit_cents"].as_i64()),
        (Some("Cash - Operating"), Some(125_050), Some(0))
    );
    let bad = server.api(Method::GET, "/api/v1/ledger/trial-balance?as_of=April", Some(&token), None).await;
    assert_eq!(error_fields(&bad.problem(422)), ["as_of"]);

    let id = first.json()["id"].as_str().unwrap().to_string();
    let reversal = server.api(Method::POST, &format!("/api/v1/ledger/entries/{id}/reverse"), Some(&token), Some(&json!({}))).await;
    assert_eq!(reversal.status, StatusCode::CREATED, "{}", reversal.text());
    assert_eq!(reversal.json()["reversal_of"], id.as_str());
    server.api(Method::POST, &format!("/api/v1/ledger/entries/{id}/reverse"), Some(&token), Some(&json!({}))).await.problem(409);

    let desk = server.token("frontdesk").await;
    server.api(Method::GET, "/api/v1/ledger/trial-balance", Some(&desk), None).await.problem(403);
}
