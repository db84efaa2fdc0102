//! Paying bills over HTTP: "Pay selected" on the bills-due list leads to the payment run's page
//! (the chosen bills by vendor, the discount, the next check number), which posts with its CSRF
//! token, puts refusals next to the bill and pays nothing then; the check register with its void;
//! the aging report tied to the ledger; the 1099 totals; their API; and only for the books' staff.

use crate::harness::{Server, error_fields, spawn};
use axum::http::{Method, StatusCode};
use medoffice_app::Actor;
use medoffice_app::payables::{BillLineInput, NewBillInput, NewVendorInput};
use serde_json::json;

async fn actor(server: &Server, username: &str) -> Actor {
    let token = server.token(username).await;
    server.app.authenticate_token(&token, None).await.expect("actor")
}

async fn vendor(server: &Server, bk: &Actor, name: &str, terms: &str, is_1099: bool) -> String {
    let input =
        NewVendorInput { name: name.into(), payment_terms: terms.into(), tax_id: "98-7654321".into(), is_1099, ..Default::default() };
    server.app.add_vendor(bk, &input).await.expect("vendor").id
}

async fn bill(server: &Server, bk: &Actor, vendor_id: &str, number: &str, date: &str, cents: i64) -> String {
    let lines = vec![BillLineInput { account: "6200".into(), amount_cents: cents, memo: String::new() }];
    let bill = NewBillInput { vendor_id: vendor_id.into(), bill_number: number.into(), bill_date: date.into(), memo: String::new(), lines };
    server.app.enter_bill(bk, &bill).await.expect("bill").id
}

/// The run's fields: Alpha Labs (check 1001, two bills) and Beta Supply (ACH, one bill).
fn run_fields<'a>(a1: &'a str, a2: &'a str, b1: &'a str, b1_amount: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("payment_date", "2026-03-05"),
        ("cash_account", "1000"),
        ("payments[0].vendor_id", ""),
        ("payments[0].method", "check"),
        ("payments[0].reference", "1001"),
        ("payments[0].bills[0].bill_id", a1),
        ("payments[0].bills[0].amount", "1,000.00"),
        ("payments[0].bills[1].bill_id", a2),
        ("payments[0].bills[1].amount", "100.00"),
        ("payments[1].vendor_id", ""),
        ("payments[1].method", "ach"),
        ("payments[1].reference", "ACH-77"),
        ("payments[1].bills[0].bill_id", b1),
        ("payments[1].bills[0].amount", b1_amount),
    ]
}

#[tokio::test]
async fn pay_selected_pays_the_bills_by_vendor_and_the_register_shows_and_voids_them() {
    let server = spawn().await;
    let browser = server.login("bookkeeper").await;
    let bk = actor(&server, "bookkeeper").await;
    let alpha = vendor(&server, &bk, "Alpha Labs", "2/10 net 30", true).await;
    let beta = vendor(&server, &bk, "Beta Supply", "net_30", false).await;
    let a1 = bill(&server, &bk, &alpha, "AL-1", "2026-03-01", 100_000).await;
    let a2 = bill(&server, &bk, &alpha, "AL-2", "2026-03-02", 30_000).await;
    let b1 = bill(&server, &bk, &beta, "BS-1", "2026-02-01", 25_000).await;

    let bills = server.get(&browser, "/books/bills").await.text();
    assert!(bills.contains(&format!("name=\"bill\" value=\"{a1}\"")) && bills.contains("Pay selected"), "{bills}");
    assert!(bills.contains("href=\"/books/checks\"") && bills.contains("href=\"/books/ap-aging\""), "the books' tabs");

    let page = server.get(&browser, &format!("/books/payment-run?bill={a1}&bill={a2}&bill={b1}&payment_date=2026-03-05")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    let (alpha_at, beta_at) = (html.find("Alpha Labs").expect("alpha"), html.find("Beta Supply").expect("beta"));
    assert!(alpha_at < beta_at);
    assert!(html.contains(&format!("data-discount=\"{a1}\">$20.00 off")), "{html}");
    assert!(html.contains("name=\"payments[0].reference\" value=\"1001\""), "the next check number is offered: {html}");

    // The vendors' ids as the page put them.
    let fields_with = |b1_amount: &'static str| {
        let mut f = run_fields(&a1, &a2, &b1, b1_amount);
        f[2].1 = alpha.as_str();
        f[9].1 = beta.as_str();
        f
    };

    // Over the open balance: the page comes back with the message at the bill; nothing is paid.
    let refused = server.post_form(&browser, "/books/payment-run", &fields_with("250.01")).await;
    assert_eq!(refused.status, StatusCode::OK);
    let html = refused.text();
    assert!(html.contains("Nothing was paid") && html.contains("bill BS-1: at most the open balance of $250.00"), "{html}");
    assert!(html.contains("value=\"250.01\""), "what was typed stays: {html}");

    // Without the form's CSRF token nothing is paid either.
    let forged = server
        .post_form_with(
            &browser,
            "/books/payment-run",
            &fields_with("250.00"),
            &[("sec-fetch-site", "same-origin"), ("origin", "http://localhost:8080")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let register = server.get(&browser, "/books/checks?from=2026-03-01&to=2026-03-31").await.text();
    assert!(register.contains("No payments in these dates."), "{register}");

    let paid = server.post_form(&browser, "/books/payment-run", &fields_with("250.00")).await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.text());
    assert!(paid.location().starts_with("/books/checks?from=2026-03-05"));
    let register = server.get(&browser, paid.location()).await.text();
    assert!(register.contains("The payments were posted."), "{register}");
    // AL-1 in full with 2 % off (980.00) and 100.00 of AL-2: check 1001 for 1,080.00.
    assert!(register.contains("1001</a>") && register.contains("$1,080.00") && register.contains("ACH-77"), "{register}");
    assert!(register.contains("data-total=\"paid\">$1,330.00<"), "{register}");

    // AL-2 is partly paid; the bills list shows what is still open.
    let bills = server.get(&browser, "/books/bills").await.text();
    assert!(bills.contains(&format!("data-partial=\"{a2}\">Partially paid: $200.00 open")), "{bills}");
    assert!(!bills.contains(&format!("value=\"{a1}\"")), "the paid bill left the list");

    let aging = server.get(&browser, "/books/ap-aging?as_of=2026-03-31").await.text();
    assert!(aging.contains("data-ties=\"yes\"") && aging.contains("data-total=\"aging\">$200.00<"), "{aging}");

    let report = server.get(&browser, "/books/1099?year=2026").await.text();
    assert!(report.contains("Alpha Labs") && report.contains("98-7654321") && report.contains("$1,080.00"), "{report}");
    assert!(!report.contains("Beta Supply"), "not a 1099 vendor");

    // Void the check: the register marks it, the bills are open again.
    let check_id = {
        let at = register.find("1001</a>").expect("check row");
        let row_start = register[..at].rfind("data-payment=\"").expect("row id") + "data-payment=\"".len();
        register[row_start..row_start + 36].to_string()
    };
    let voided = server.post_form(&browser, &format!("/books/checks/{check_id}/void"), &[("reason", "spoiled"), ("date", "")]).await;
    assert_eq!(voided.status, StatusCode::SEE_OTHER, "{}", voided.text());
    let register = server.get(&browser, voided.location()).await.text();
    assert!(register.contains("data-status=\"voided\">Voided 2026-03-05"), "{register}");
    assert!(register.contains("data-total=\"paid\">$250.00<"), "{register}");
    let bills = server.get(&browser, "/books/bills").await.text();
    assert!(bills.contains(&format!("value=\"{a1}\"")) && bills.contains(&format!("value=\"{a2}\"")), "{bills}");

    let desk = server.login("frontdesk").await;
    for path in ["/books/payment-run", "/books/checks", "/books/ap-aging", "/books/1099"] {
        assert_eq!(server.get(&desk, path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(server.post_form(&desk, "/books/payment-run", &fields_with("1.00")).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_api_pays_bills_and_reports_aging_the_register_and_1099_totals() {
    let server = spawn().await;
    let token = server.token("bookkeeper").await;
    let bk = actor(&server, "bookkeeper").await;
    let v = vendor(&server, &bk, "Locum Doctor", "net_30", true).await;
    let b = bill(&server, &bk, &v, "LD-1", "2026-01-10", 90_000).await;

    let bad = json!({"payment_date": "2026-02-01", "payments": [{"vendor_id": v, "method": "check", "reference": "", "bills": [{"bill_id": b, "amount_cents": 0}]}]});
    let reply = server.api(Method::POST, "/api/v1/payment-runs", Some(&token), Some(&bad)).await;
    assert_eq!(error_fields(&reply.problem(422)), ["payments[0].reference", "payments[0].bills[0].amount_cents"]);

    let good = json!({"payment_date": "2026-02-01", "payments": [{"vendor_id": v, "method": "check", "reference": "5001", "bills": [{"bill_id": b, "amount_cents": 90_000}]}]});
    let reply = server.api(Method::POST, "/api/v1/payment-runs", Some(&token), Some(&good)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let run = reply.json();
    assert_eq!(run["amount_cents"], 90_000);
    let payment_id = run["payments"][0]["id"].as_str().unwrap().to_string();

    let list = server.api(Method::GET, "/api/v1/bill-payments?from=2026-02-01&to=2026-02-28", Some(&token), None).await.json();
    assert_eq!(list["payments"][0]["reference"], "5001");
    let one = server.api(Method::GET, &format!("/api/v1/bill-payments/{payment_id}"), Some(&token), None).await.json();
    assert_eq!(one["bills"][0]["bill_number"], "LD-1");

    let aging = server.api(Method::GET, "/api/v1/ap-aging?as_of=2026-01-31", Some(&token), None).await.json();
    assert_eq!((aging["totals"]["current_cents"].as_i64(), aging["difference_cents"].as_i64()), (Some(90_000), Some(0)));
    let aging = server.api(Method::GET, "/api/v1/ap-aging?as_of=2026-02-28", Some(&token), None).await.json();
    assert_eq!(aging["totals"]["total_cents"], 0);

    let totals = server.api(Method::GET, "/api/v1/vendors/1099?year=2026", Some(&token), None).await.json();
    assert_eq!((totals["vendors"][0]["paid_cents"].as_i64(), totals["vendors"][0]["tax_id"].as_str()), (Some(90_000), Some("98-7654321")));

    let void =
        server.api(Method::POST, &format!("/api/v1/bill-payments/{payment_id}/void"), Some(&token), Some(&json!({"reason": "lost"}))).await;
    assert_eq!(void.status, StatusCode::OK, "{}", void.text());
    let again = server.api(Method::POST, &format!("/api/v1/bill-payments/{payment_id}/void"), Some(&token), Some(&json!({}))).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let desk = server.token("frontdesk").await;
    assert_eq!(server.api(Method::POST, "/api/v1/payment-runs", Some(&desk), Some(&good)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.api(Method::GET, "/api/v1/ap-aging", Some(&desk), None).await.status, StatusCode::FORBIDDEN);

    let doc = server.api(Method::GET, "/api/v1/openapi.json", None, None).await.json();
    for path in ["/api/v1/payment-runs", "/api/v1/bill-payments", "/api/v1/ap-aging", "/api/v1/vendors/1099"] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
}
