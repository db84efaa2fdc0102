//! The audit report page (`/admin/audit`): a period, filters and a whitelisted sort, pages, a CSV
//! download with the same filter, emergency access flagged; reading it is audited and only the
//! office manager may.

use crate::harness::{Server, spawn, test_audit_key};
use medoffice_store::audit::NewAuditEvent;

async fn count_of(server: &Server, action: &str) -> usize {
    let admin = server.app.store.pool();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action = $1").bind(action).fetch_one(admin).await.unwrap();
    usize::try_from(n).unwrap()
}

/// The user names in the report's rows, in order.
fn usernames(html: &str) -> Vec<String> {
    html.split("<tr class=\"outcome-")
        .skip(1)
        .filter_map(|row| row.split("<td>").nth(1).and_then(|cell| cell.split("</td>").next()).map(str::to_string))
        .collect()
}

#[tokio::test]
async fn the_audit_report_filters_sorts_flags_and_downloads_and_is_audited() {
    let server = spawn().await;
    let admin = server.login("admin").await;
    let _desk = server.login("frontdesk").await;
    let _biller = server.login("biller").await;

    let page = server.get(&admin, "/admin/audit").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("Audit report") && html.contains("Download CSV") && html.contains("records"), "{html}");
    assert_eq!(count_of(&server, "audit.report").await, 1, "reading the report is audited");

    // Filtered by user: only that user's records.
    let html = server.get(&admin, "/admin/audit?username=frontdesk").await.text();
    let names = usernames(&html);
    assert!(!names.is_empty() && names.iter().all(|n| n == "frontdesk"), "{names:?}");

    // Sorted by user, ascending then descending.
    let html = server.get(&admin, "/admin/audit?sort=user&dir=asc").await.text();
    let names = usernames(&html);
    assert!(names.windows(2).all(|w| w[0] <= w[1]) && names.first() != names.last(), "{names:?}");
    assert!(html.contains("User ▲"), "the sorted column is marked");
    let html = server.get(&admin, "/admin/audit?sort=user&dir=desc").await.text();
    let names = usernames(&html);
    assert!(names.windows(2).all(|w| w[0] >= w[1]), "{names:?}");

    // A sort that is not on the list is never SQL: the report comes newest first.
    let injected = server.get(&admin, "/admin/audit?sort=seq%3B%20DROP%20TABLE%20audit_event%3B--&dir=asc%2C%20(SELECT%201)").await;
    assert_eq!(injected.status, 200);
    assert!(count_of(&server, "audit.report").await >= 4, "the table is still there");

    // A bad date is named next to its field.
    let bad = server.get(&admin, "/admin/audit?from=2026-13-45").await;
    assert_eq!(bad.status, 200);
    assert!(bad.text().contains("id=\"e-from\""), "{}", bad.text());

    // Emergency ("break the glass") access is flagged.
    {
        let mut tx = server.app.store.begin().await.unwrap();
        let (practice_id,): (String,) = sqlx::query_as("SELECT id FROM practice").fetch_one(&mut *tx).await.unwrap();
        medoffice_store::audit::append(
            &mut tx,
            &test_audit_key(),
            NewAuditEvent {
                practice_id,
                at: "2026-06-15T16:00:00.000000Z".into(),
                username: "doctor".into(),
                action: "emergency.open".into(),
                record_type: "patient".into(),
                outcome: "success".into(),
                detail: "unconscious patient in the waiting room".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let html = server.get(&admin, "/admin/audit?action=emergency.").await.text();
    assert!(html.contains("Emergency access") && html.contains("unconscious patient"), "{html}");

    // The CSV has the same filter, and the download is audited.
    let csv = server.get(&admin, "/admin/audit.csv?username=frontdesk&sort=action&dir=asc").await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type().starts_with("text/csv"));
    assert!(csv.header("content-disposition").unwrap_or("").starts_with("attachment; filename=\"audit-"));
    let text = csv.text();
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    assert!(lines.next().unwrap().starts_with("seq,at,username"));
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty() && rows.iter().all(|l| l.split(',').nth(2) == Some("frontdesk")), "{text}");
    assert_eq!(count_of(&server, "audit.export").await, 1);
    assert!(server.app.verify_audit_chain().await.unwrap().ok);
}

#[tokio::test]
async fn only_the_office_manager_reads_or_downloads_the_audit_report() {
    let server = spawn().await;
    for user in ["frontdesk", "biller", "doctor", "bookkeeper"] {
        let browser = server.login(user).await;
        assert_eq!(server.get(&browser, "/admin/audit").await.status, 403, "{user}");
        assert_eq!(server.get(&browser, "/admin/audit.csv").await.status, 403, "{user}");
    }
    assert_eq!(count_of(&server, "audit.report").await + count_of(&server, "audit.export").await, 0);
}
