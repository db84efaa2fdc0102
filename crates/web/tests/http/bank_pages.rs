//! Bank reconciliation over HTTP: a statement uploaded as a browser uploads it (multipart), its
//! lines shown with their matches in the books, the fee and the interest posted from their
//! buttons, the difference going to zero and the account marked reconciled; the same file again
//! adds nothing, a bad file is refused next to the file field, and the front desk sees none of it.

use crate::harness::{Browser, Reply, Server, spawn};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use medoffice_app::Actor;
use medoffice_app::ledger::{JournalEntryInput, JournalLineInput};

const BOUNDARY: &str = "----medofficeBankBoundary4f1c2d";
const SGML_OFX: &[u8] = include_bytes!("../../../domain/tests/fixtures/bank/statement_sgml.ofx");

/// Uploads a statement file into the account as the import form does.
async fn upload(server: &Server, browser: &Browser, account_id: &str, file_name: &str, bytes: &[u8]) -> Reply {
    let mut body = Vec::new();
    for (name, value) in [("csrf", browser.csrf.as_str()), ("account_id", account_id)] {
        body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let request = Request::builder()
        .method(Method::POST)
        .uri("/books/bank")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::COOKIE, format!("medoffice_session={}", browser.cookie))
        .header(header::HOST, "localhost:8080")
        .header("sec-fetch-site", "same-origin")
        .header("origin", "http://localhost:8080")
        .body(Body::from(body))
        .expect("request");
    server.send(request).await
}

async fn actor(server: &Server, username: &str) -> Actor {
    let token = server.token(username).await;
    server.app.authenticate_token(&token, None).await.expect("actor")
}

async fn post(server: &Server, bk: &Actor, date: &str, memo: &str, debit: &str, credit: &str, cents: i64) -> String {
    let line = |account: &str, debit_cents, credit_cents| JournalLineInput {
        account: account.into(),
        debit_cents,
        credit_cents,
        memo: String::new(),
    };
    let input = JournalEntryInput {
        date: date.into(),
        memo: memo.into(),
        idempotency_key: String::new(),
        lines: vec![line(debit, cents, 0), line(credit, 0, cents)],
    };
    server.app.post_journal_entry(bk, &input).await.expect("entry").id
}

/// Every value of an attribute in a page, in order.
fn attributes(html: &str, name: &str) -> Vec<String> {
    let needle = format!("{name}=\"");
    html.match_indices(&needle)
        .filter_map(|(i, _)| {
            let start = i + needle.len();
            html[start..].find('"').map(|end| html[start..start + end].to_string())
        })
        .collect()
}

#[tokio::test]
async fn an_uploaded_statement_is_matched_posted_and_reconciled() {
    let server = spawn().await;
    let browser = server.login("bookkeeper").await;
    let bk = actor(&server, "bookkeeper").await;
    let empty = server.get(&browser, "/books/bank").await;
    assert_eq!(empty.status, StatusCode::OK);
    let html = empty.text();
    assert!(html.contains("No statement imported yet.") && html.contains("href=\"/books/bank\" aria-current=\"page\""), "{html}");

    let cash = server.app.cash_accounts(&bk).await.expect("accounts").into_iter().find(|a| a.number == "1000").expect("cash").id;
    let deposit = post(&server, &bk, "2026-06-01", "Blue Cross EFT deposit", "1000", "1100", 125_000).await;
    let rent = post(&server, &bk, "2026-06-02", "Rent, check 1042", "6100", "1000", 45_000).await;

    let imported = upload(&server, &browser, &cash, "june.ofx", SGML_OFX).await;
    assert_eq!(imported.status, StatusCode::SEE_OTHER, "{}", imported.text());
    let location = imported.location().to_string();
    assert!(location.starts_with("/books/bank/") && location.ends_with("?done=imported&n=4&dup=0&m=2"), "{location}");
    let statement = location.split('?').next().expect("path").to_string();
    let html = server.get(&browser, &location).await.text();
    assert!(html.contains("Imported 4 lines"), "{html}");
    assert_eq!(attributes(&html, "data-match"), [format!("{deposit}:1"), format!("{rent}:2")]);
    assert_eq!(attributes(&html, "data-status"), ["matched", "matched", "unmatched", "unmatched"]);
    assert_eq!(attributes(&html, "data-difference"), ["-$14.58"]);
    let lines = attributes(&html, "data-line");
    assert_eq!(lines.len(), 4);

    // Refused while the fee and the interest are not in the books.
    let refused =
        server.post_form(&browser, &format!("{statement}/reconcile"), &[("end_date", "2026-06-30"), ("ending_balance", "785.42")]).await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(refused.text().contains("difference of -$14.58"), "{}", refused.text());

    for line in &lines[2..] {
        let posted = server.post_form(&browser, &format!("{statement}/lines/{line}/post"), &[("account", ""), ("memo", "")]).await;
        assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text());
    }
    let html = server.get(&browser, &statement).await.text();
    assert_eq!(attributes(&html, "data-status"), ["matched"; 4]);
    assert_eq!(attributes(&html, "data-difference"), ["$0.00"]);
    assert!(html.contains("bank-difference ok"), "{html}");

    let done =
        server.post_form(&browser, &format!("{statement}/reconcile"), &[("end_date", "2026-06-30"), ("ending_balance", "785.42")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let html = server.get(&browser, done.location()).await.text();
    assert_eq!(attributes(&html, "data-reconciled").len(), 1, "{html}");
    assert!(!html.contains(">Unmatch<"), "reconciled lines cannot be unmatched: {html}");

    // The same file again adds nothing.
    let again = upload(&server, &browser, &cash, "june-again.ofx", SGML_OFX).await;
    assert_eq!(again.location(), "/books/bank?done=nothing_new&n=4");
    let list = server.get(&browser, again.location()).await.text();
    assert!(list.contains("Nothing new: all 4 lines") && list.contains("june.ofx") && !list.contains("june-again.ofx"), "{list}");

    // A bad file is refused next to its field, naming the line.
    let bad = upload(&server, &browser, &cash, "bad.csv", b"Date,Description,Amount\n06/01/2026,X,1.00\n06/02/2026,Y,abc\n").await;
    assert_eq!(bad.status, StatusCode::OK);
    let html = bad.text();
    let error = html.split("id=\"e-file\">").nth(1).and_then(|rest| rest.split('<').next()).unwrap_or("");
    assert!(error.starts_with("the statement cannot be read: line 3: ") && error.ends_with("is not an amount"), "{html}");

    let desk = server.login("frontdesk").await;
    assert_eq!(server.get(&desk, "/books/bank").await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.get(&desk, &statement).await.status, StatusCode::FORBIDDEN);
}

/// Uploads a CSV file and answers the statement's path.
async fn upload_csv(server: &Server, browser: &Browser, account_id: &str, csv: &str) -> String {
    let imported = upload(server, browser, account_id, "june.csv", csv.as_bytes()).await;
    assert_eq!(imported.status, StatusCode::SEE_OTHER, "{}", imported.text());
    imported.location().split('?').next().expect("path").to_string()
}

#[tokio::test]
async fn the_history_before_a_first_statement_is_marked_cleared_and_a_reversal_pair_shown_cleared() {
    let server = spawn().await;
    let browser = server.login("bookkeeper").await;
    let bk = actor(&server, "bookkeeper").await;
    let cash = server.app.cash_accounts(&bk).await.expect("accounts").into_iter().find(|a| a.number == "1000").expect("cash").id;
    let opening = post(&server, &bk, "2026-05-01", "Opening balance", "1000", "3000", 100_000).await;
    let check = post(&server, &bk, "2026-05-20", "Rent, check 1030", "6100", "1000", 20_000).await;
    let wrong = post(&server, &bk, "2026-06-03", "Supplies (wrong)", "6200", "1000", 9_000).await;
    let reversal = server
        .app
        .reverse_entry(&bk, &wrong, &medoffice_app::ledger::ReverseInput { date: "2026-06-04".into(), memo: String::new() })
        .await
        .expect("reversal")
        .id;
    post(&server, &bk, "2026-06-10", "Co-pays deposited", "1000", "1110", 30_000).await;
    let statement = upload_csv(&server, &browser, &cash, "Date,Description,Amount\n06/10/2026,DEPOSIT,300.00\n").await;
    let page = format!("{statement}?end_date=2026-06-30&ending_balance=1100.00");
    let html = server.get(&browser, &page).await.text();
    assert_eq!(attributes(&html, "data-difference"), ["$800.00"]);
    assert_eq!(attributes(&html, "data-clear"), [format!("{opening}:1"), format!("{check}:2")], "lines before the statement only");
    assert_eq!(attributes(&html, "data-cleared"), ["reversal", "reversal"], "{html}");
    assert!(html.contains(&format!("/books/journal/{reversal}")) && html.contains("Undo the pair"), "{html}");

    // One line, undone, then all before the statement's first day.
    let one = server.post_form(&browser, &format!("{statement}/clear"), &[("ledger_line", &format!("{check}:2"))]).await;
    assert_eq!(one.location(), format!("{statement}?done=cleared&n=1"));
    let undo = server.post_form(&browser, &format!("{statement}/unclear"), &[("ledger_line", &format!("{check}:2"))]).await;
    assert_eq!(undo.status, StatusCode::SEE_OTHER, "{}", undo.text());
    let late = server.post_form(&browser, &format!("{statement}/clear"), &[("before", "2026-07-01")]).await;
    assert_eq!(late.status, StatusCode::OK);
    assert!(late.text().contains("statement&#x27;s first day") || late.text().contains("statement's first day"), "{}", late.text());
    let all = server.post_form(&browser, &format!("{statement}/clear"), &[("before", "2026-06-10")]).await;
    assert_eq!(all.location(), format!("{statement}?done=cleared&n=2"));
    let html = server.get(&browser, &page).await.text();
    assert_eq!(attributes(&html, "data-difference"), ["$0.00"], "{html}");
    assert_eq!(attributes(&html, "data-cleared"), ["history", "history", "reversal", "reversal"]);
    let done =
        server.post_form(&browser, &format!("{statement}/reconcile"), &[("end_date", "2026-06-30"), ("ending_balance", "1100.00")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let html = server.get(&browser, done.location()).await.text();
    assert!(attributes(&html, "data-cleared").is_empty() && attributes(&html, "data-reconciled").len() == 1, "{html}");
}

#[tokio::test]
async fn a_deposit_is_matched_from_the_picker_with_two_co_pays() {
    let server = spawn().await;
    let browser = server.login("bookkeeper").await;
    let bk = actor(&server, "bookkeeper").await;
    let cash = server.app.cash_accounts(&bk).await.expect("accounts").into_iter().find(|a| a.number == "1000").expect("cash").id;
    let smith = post(&server, &bk, "2026-06-08", "Co-pay Smith", "1000", "1110", 2_500).await;
    let jones = post(&server, &bk, "2026-06-09", "Co-pay Jones", "1000", "1110", 4_000).await;
    let statement = upload_csv(&server, &browser, &cash, "Date,Description,Amount\n06/10/2026,DEPOSIT,65.00\n").await;
    let html = server.get(&browser, &statement).await.text();
    let line = attributes(&html, "data-line").remove(0);
    assert!(html.contains(&format!("?pick={line}")), "{html}");
    let picker = server.get(&browser, &format!("{statement}?pick={line}")).await.text();
    assert_eq!(attributes(&picker, "data-pick"), [format!("{smith}:1"), format!("{jones}:1")]);
    let searched = server.get(&browser, &format!("{statement}?pick={line}&q=jones")).await.text();
    assert_eq!(attributes(&searched, "data-pick"), [format!("{jones}:1")]);

    let short = server.post_form(&browser, &format!("{statement}/lines/{line}/match"), &[("ledger_line", &format!("{smith}:1"))]).await;
    assert_eq!(short.status, StatusCode::OK);
    assert!(short.text().contains("the amounts differ"), "{}", short.text());
    let matched = server
        .post_form(
            &browser,
            &format!("{statement}/lines/{line}/match"),
            &[("ledger_line", &format!("{smith}:1")), ("ledger_line", &format!("{jones}:1"))],
        )
        .await;
    assert_eq!(matched.location(), format!("{statement}?done=matched"));
    let html = server.get(&browser, &format!("{statement}?ending_balance=65.00&end_date=2026-06-30")).await.text();
    assert_eq!(attributes(&html, "data-status"), ["matched"]);
    assert_eq!(attributes(&html, "data-match"), [format!("{smith}:1"), format!("{jones}:1")]);
    assert_eq!(attributes(&html, "data-difference"), ["$0.00"]);
}
