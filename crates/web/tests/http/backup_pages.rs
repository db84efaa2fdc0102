//! The scheduled backup's page under Admin: every bad field answered next to it, a good setting
//! saved and shown again, the office manager's only.

use crate::harness::spawn;
use axum::http::StatusCode;

#[tokio::test]
async fn the_backup_schedule_is_set_on_its_page_by_the_office_manager_only() {
    let server = spawn().await;
    let admin = server.login("admin").await;
    assert!(server.get(&admin, "/admin").await.text().contains("href=\"/admin/backups\""), "Admin links to the backups");
    let page = server.get(&admin, "/admin/backups").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("No scheduled backup has run yet"));
    assert!(page.text().contains("keep a copy of the key files"));

    let bad = [("enabled", "1"), ("folder", "relative/folder"), ("hour", "25"), ("keep_count", "0")];
    let reply = server.post_form(&admin, "/admin/backups", &bad).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    for field in ["folder", "hour", "keep_count"] {
        assert!(html.contains(&format!("id=\"e-{field}\"")), "{field}: {html}");
    }
    assert!(html.contains("value=\"relative/folder\""), "what was typed is kept");

    let folder = tempfile::tempdir().expect("a folder");
    let folder_text = folder.path().display().to_string();
    let good = [("enabled", "1"), ("folder", folder_text.as_str()), ("hour", "3"), ("keep_count", "7")];
    let reply = server.post_form(&admin, "/admin/backups", &good).await;
    let html = reply.text();
    assert!(html.contains("every day after 3:00 and the 7 newest are kept"), "{html}");
    let again = server.get(&admin, "/admin/backups").await.text();
    assert!(again.contains(&format!("value=\"{folder_text}\"")) && again.contains("value=\"7\"") && again.contains(" checked"), "{again}");

    let desk = server.login("frontdesk").await;
    assert_eq!(server.get(&desk, "/admin/backups").await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.post_form(&desk, "/admin/backups", &good).await.status, StatusCode::FORBIDDEN);
}
