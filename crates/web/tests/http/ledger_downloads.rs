//! The ledger's reports as CSV and PDF downloads: each answers 200 with its content type and an
//! attachment file name, the CSV's totals are the page's, the PDF is a PDF with the report's
//! title, each download is audited, and the report pages link to both. Also the recurring
//! entries' page: a template saved through the form and posted by "Post due entries now".

use crate::harness::{Browser, Server, hidden_value, spawn};
use axum::http::StatusCode;
use medoffice_app::Actor;

async fn actor(server: &Server, username: &str) -> Actor {
    let token = server.token(username).await;
    server.app.authenticate_token(&token, None).await.expect("actor")
}

/// Posts an entry of two lines through the manual entry form.
async fn post_entry(server: &Server, bk: &Browser, date: &str, memo: &str, debit: (&str, &str), credit: (&str, &str)) {
    let form = server.get(bk, "/books/journal/new").await.text();
    let key = hidden_value(&form, "idempotency_key").expect("key");
    let fields = [
        ("idempotency_key", key.as_str()),
        ("date", date),
        ("memo", memo),
        ("lines[0].account", debit.0),
        ("lines[0].debit", debit.1),
        ("lines[1].account", credit.0),
        ("lines[1].credit", credit.1),
    ];
    let reply = server.post_form(bk, "/books/journal", &fields).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
}

/// Some books: capital in, rent paid (with a comma and quotes in its memo), revenue earned.
async fn books(server: &Server) -> Browser {
    let bk = server.login("bookkeeper").await;
    post_entry(server, &bk, "2026-03-01", "Owner's capital", ("1000", "10,000.00"), ("3000", "10,000.00")).await;
    post_entry(server, &bk, "2026-03-02", "March rent, \"Suite 4\"", ("6100", "3,200.00"), ("1000", "3,200.00")).await;
    post_entry(server, &bk, "2026-03-10", "Visits", ("1110", "1,850.50"), ("4000", "1,850.50")).await;
    bk
}

/// A CSV's rows, fields split (the test's fields hold no quoted commas except where said).
fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.split("\r\n").filter(|l| !l.is_empty()).map(|l| l.split(',').map(str::to_string).collect()).collect()
}

#[tokio::test]
async fn each_report_downloads_as_csv_and_pdf_with_the_screen_totals_and_is_audited() {
    let server = spawn().await;
    let bk = books(&server).await;
    let cash =
        server.app.chart_of_accounts(&actor(&server, "bookkeeper").await).await.unwrap().into_iter().find(|a| a.number == "1000").unwrap();
    let reports = [
        ("trial-balance", "as_of=2026-03-31".to_string(), "Trial balance", "trial-balance-2026-03-31"),
        ("balance-sheet", "as_of=2026-03-31".to_string(), "Balance sheet", "balance-sheet-2026-03-31"),
        ("income-statement", "from=2026-03-01&to=2026-03-31".to_string(), "Income statement", "income-statement-2026-03-01-to-2026-03-31"),
        ("journal", "from=2026-03-01&to=2026-03-31".to_string(), "Journal", "journal-2026-03-01-to-2026-03-31"),
        (
            "account-detail",
            format!("account={}&from=2026-03-01&to=2026-03-31", cash.id),
            "General ledger: 1000 Cash - Operating",
            "account-detail-2026-03-01-to-2026-03-31",
        ),
    ];
    for (report, query, title, stem) in &reports {
        let csv = server.get(&bk, &format!("/books/download/{report}.csv?{query}")).await;
        assert_eq!(csv.status, StatusCode::OK, "{report}: {}", csv.text());
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"), "{report}");
        assert_eq!(csv.header("content-disposition"), Some(format!("attachment; filename=\"{stem}.csv\"").as_str()), "{report}");
        assert!(csv.text().ends_with("\r\n"), "{report}: CRLF line ends");

        let pdf = server.get(&bk, &format!("/books/download/{report}.pdf?{query}")).await;
        assert_eq!(pdf.status, StatusCode::OK, "{report}: {}", pdf.text());
        assert_eq!(pdf.header("content-type"), Some("application/pdf"), "{report}");
        assert_eq!(pdf.header("content-disposition"), Some(format!("attachment; filename=\"{stem}.pdf\"").as_str()), "{report}");
        assert!(pdf.body.starts_with(b"%PDF-"), "{report}");
        let text = String::from_utf8_lossy(&pdf.body);
        assert!(text.contains(&format!("({title})")), "{report}: the title is in the PDF");
        assert!(text.contains("(Riverside Family Medicine)"), "{report}: the practice is named");
        assert!(text.contains("(Page 1 of 1)"), "{report}");
    }

    // The trial balance: the CSV's totals are the page's.
    let page = server.get(&bk, "/books/trial-balance?as_of=2026-03-31").await.text();
    assert!(page.contains("data-total=\"debit\">$11,850.50<") && page.contains("data-total=\"credit\">$11,850.50<"), "{page}");
    assert!(
        page.contains("href=\"/books/download/trial-balance.csv?as_of=2026-03-31&amp;basis=accrual\"") && page.contains("Download PDF"),
        "{page}"
    );
    let tb = rows(&server.get(&bk, "/books/download/trial-balance.csv?as_of=2026-03-31").await.text());
    assert_eq!(tb[0], ["Number", "Account", "Debit", "Credit"]);
    assert_eq!(tb.last().unwrap(), &["", "Totals", "11850.50", "11850.50"]);
    assert!(tb.contains(&vec!["1000".to_string(), "Cash - Operating".into(), "6800.00".into(), String::new()]), "{tb:?}");

    // The balance sheet and income statement: their bottom lines are the page's.
    let bs_page = server.get(&bk, "/books/balance-sheet?as_of=2026-03-31").await.text();
    assert!(bs_page.contains("data-total=\"assets\">$8,650.50<"), "{bs_page}");
    let bs = rows(&server.get(&bk, "/books/download/balance-sheet.csv?as_of=2026-03-31").await.text());
    assert!(bs.contains(&vec!["Assets".to_string(), String::new(), "Total assets".into(), "8650.50".into()]), "{bs:?}");
    assert_eq!(bs.last().unwrap(), &["", "", "Total liabilities and owners' equity", "8650.50"]);
    let is_page = server.get(&bk, "/books/income-statement?from=2026-03-01&to=2026-03-31").await.text();
    assert!(is_page.contains("data-total=\"net-income\">-$1,349.50<"), "{is_page}");
    let is = rows(&server.get(&bk, "/books/download/income-statement.csv?from=2026-03-01&to=2026-03-31").await.text());
    assert_eq!(is.last().unwrap(), &["", "", "Net income", "-1349.50"]);

    // The account's detail: its running balance; the journal: a row per line, quoted as RFC 4180 says.
    let detail = rows(
        &server.get(&bk, &format!("/books/download/account-detail.csv?account={}&from=2026-03-01&to=2026-03-31", cash.id)).await.text(),
    );
    assert_eq!(detail[0], ["Date", "Entry", "Memo", "Debit", "Credit", "Balance"]);
    assert_eq!(detail.last().unwrap(), &["2026-03-31", "", "Closing balance", "", "", "6800.00"]);
    let journal = server.get(&bk, "/books/download/journal.csv?from=2026-03-01&to=2026-03-31").await.text();
    assert!(journal.contains("2,2026-03-02,\"March rent, \"\"Suite 4\"\"\",6100 Rent,3200.00,\r\n"), "{journal}");

    let trail = server.app.audit_trail(&actor(&server, "admin").await, &Default::default(), 100).await.unwrap();
    let downloads: Vec<_> = trail.iter().filter(|r| r.action == "ledger.report.download").collect();
    assert!(downloads.len() >= 2 * reports.len(), "every download is audited: {}", downloads.len());
    assert!(downloads.iter().any(|r| r.detail.starts_with("trial-balance-2026-03-31.pdf") && r.username == "bookkeeper"));
}

#[tokio::test]
async fn downloads_are_refused_to_other_staff_and_unknown_reports_are_not_found() {
    let server = spawn().await;
    let desk = server.login("frontdesk").await;
    assert_eq!(server.get(&desk, "/books/download/trial-balance.csv").await.status, StatusCode::FORBIDDEN);
    let bk = server.login("bookkeeper").await;
    assert_eq!(server.get(&bk, "/books/download/trial-balance.xlsx").await.status, StatusCode::NOT_FOUND);
    assert_eq!(server.get(&bk, "/books/download/payroll.csv").await.status, StatusCode::NOT_FOUND);
    assert_eq!(server.get(&bk, "/books/download/account-detail.csv?account=nope").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_recurring_entry_is_saved_through_its_form_and_posted_by_the_button() {
    let server = spawn().await;
    let bk = server.login("bookkeeper").await;
    let form = server.get(&bk, "/books/recurring/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    let html = form.text();
    assert!(
        html.contains("data-ledger-entry") && html.contains("data-ledger-balance") && html.contains("src=\"/books/ledger.js\""),
        "{html}"
    );

    let mut fields = vec![
        ("memo", "Office rent"),
        ("frequency", "monthly"),
        ("day_of_month", "last"),
        ("start_date", "2026-01-31"),
        ("end_date", ""),
        ("occurrences", ""),
        ("lines[0].account", "6100"),
        ("lines[0].debit", "3,200.00"),
        ("lines[1].account", "1000"),
        ("lines[1].credit", "3,100.00"),
    ];
    let refused = server.post_form(&bk, "/books/recurring", &fields).await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(refused.text().contains("the entry does not balance"), "{}", refused.text());
    fields[9] = ("lines[1].credit", "3,200.00");
    let saved = server.post_form(&bk, "/books/recurring", &fields).await;
    assert_eq!((saved.status, saved.location()), (StatusCode::SEE_OTHER, "/books/recurring?done=added"), "{}", saved.text());
    let list = server.get(&bk, "/books/recurring").await.text();
    assert!(list.contains("Office rent") && list.contains("Monthly on the last day") && list.contains("2026-01-31"), "{list}");
    assert!(list.contains("aria-current=\"page\">Recurring</a>"), "{list}");

    let run = server.post_form(&bk, "/books/recurring/run", &[("as_of", "2026-03-31")]).await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text());
    let html = run.text();
    for date in ["2026-01-31", "2026-02-28", "2026-03-31"] {
        assert!(html.contains(&format!("<span class=\"mono\">{date}</span> Office rent")), "{date} posted: {html}");
    }
    let again = server.post_form(&bk, "/books/recurring/run", &[("as_of", "2026-03-31")]).await.text();
    assert!(again.contains("Nothing was due to post."), "{again}");
    assert!(again.contains("2026-04-30"), "the next date is listed");
}
