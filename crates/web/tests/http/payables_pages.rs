//! Accounts payable over HTTP: `/books/bills` lists the open bills by due date, the overdue one
//! first with how many days it is late, the discount still available, and only for the books' staff.

use crate::harness::{Server, spawn};
use axum::http::StatusCode;
use medoffice_app::Actor;
use medoffice_app::payables::{BillLineInput, NewBillInput, NewVendorInput};

async fn actor(server: &Server, username: &str) -> Actor {
    let token = server.token(username).await;
    server.app.authenticate_token(&token, None).await.expect("actor")
}

async fn enter(server: &Server, bk: &Actor, vendor: &str, terms: &str, number: &str, date: &str, cents: i64) {
    let input = NewVendorInput { name: vendor.into(), payment_terms: terms.into(), ..Default::default() };
    let v = server.app.add_vendor(bk, &input).await.expect("vendor");
    let lines = vec![BillLineInput { account: "6200".into(), amount_cents: cents, memo: String::new() }];
    let bill = NewBillInput { vendor_id: v.id, bill_number: number.into(), bill_date: date.into(), memo: String::new(), lines };
    server.app.enter_bill(bk, &bill).await.expect("bill");
}

#[tokio::test]
async fn the_bills_due_page_lists_overdue_bills_first() {
    let server = spawn().await;
    let browser = server.login("bookkeeper").await;
    assert!(server.get(&browser, "/books/bills").await.text().contains("No open bills."));

    let bk = actor(&server, "bookkeeper").await;
    enter(&server, &bk, "Future Labs", "2/10 net 30", "FL-9", "2099-03-01", 45_000).await;
    enter(&server, &bk, "Old Supply", "net_30", "OS-1", "2020-01-01", 12_550).await;
    let page = server.get(&browser, "/books/bills").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let (old, future) = (html.find("Old Supply").expect("old bill"), html.find("Future Labs").expect("future bill"));
    assert!(old < future, "the overdue bill comes first: {html}");
    assert!(html.contains("2020-01-31") && html.contains("days overdue"), "{html}");
    assert!(html.contains("Discount until 2099-03-11"), "{html}");
    assert!(html.contains("data-total=\"open\">$575.50<"), "{html}");

    let desk = server.login("frontdesk").await;
    assert_eq!(server.get(&desk, "/books/bills").await.status, StatusCode::FORBIDDEN);
}
