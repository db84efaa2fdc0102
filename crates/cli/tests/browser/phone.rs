//! The telephone journey: the office manager puts a new user, Nina, in the nurse inbox; the front
//! desk takes an urgent call for Harriet Quintanilla-Brooks (found as they type), sees the
//! instruction appear while typing, routes the call to the nurse; Nina signs in, sees it first in
//! her inbox with the count in the navigation bar, and marks it done.

use super::{PASSWORD, click, fill, shot, text_of};
use fantoccini::{Client, Locator};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

async fn sign_in_as(client: &Client, base: &str, username: &str, password: &str, next: &str) {
    if client.find(Locator::Css(".topbar-user button")).await.is_ok() {
        click(client, ".topbar-user button").await;
        client.wait().for_element(Locator::Id("username")).await.unwrap();
    }
    client.goto(&format!("{base}/login?next={next}")).await.unwrap();
    fill(client, "username", username).await;
    fill(client, "password", password).await;
    click(client, "button[type=submit]").await;
    client.wait().for_element(Locator::Css(".topbar-user")).await.unwrap();
}

pub async fn phone_journey(client: &Client, base: &str, data_dir: &Path) {
    // A nurse: a front-desk user the office manager names in the nurse inbox.
    let mut add = Command::new(env!("CARGO_BIN_EXE_medoffice"))
        .args(["--data-dir", data_dir.to_str().unwrap(), "user", "add", "--username", "nina", "--role", "front_desk"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    assert!(add.wait().unwrap().success(), "medoffice user add nina");
    sign_in_as(client, base, "admin", PASSWORD, "/messages/rules").await;
    client.goto(&format!("{base}/messages/rules")).await.unwrap();
    client.find(Locator::Id("u-nurse")).await.unwrap().select_by_value("nina").await.unwrap();
    click(client, "form.inline-form:has(#u-nurse) button").await;
    client.wait().for_element(Locator::Css(".notice")).await.unwrap();
    let rules = text_of(client, "#inboxes").await;
    assert!(rules.contains("nina"), "{rules}");
    shot(client, "30-message-rules").await;

    // The front desk takes the call.
    sign_in_as(client, base, "frontdesk", PASSWORD, "/messages/new").await;
    client.goto(&format!("{base}/messages/new")).await.unwrap();
    fill(client, "f-q", "quintan").await;
    click(client, "#patient-results a.button").await;
    client.wait().for_element(Locator::Css(".chosen-patient")).await.unwrap();
    fill(client, "f-callback_phone", "(518) 555-0142").await;
    fill(client, "f-body", "Her husband says she has had chest pain for an hour and feels faint").await;
    // The instruction appears while typing (messages.js asks /messages/triage).
    let mut shown = false;
    for _ in 0..50 {
        if let Ok(el) = client.find(Locator::Id("triage-instruction")).await
            && el.is_displayed().await.unwrap_or(false)
        {
            shown = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(shown, "the triage instruction shows before saving");
    assert!(text_of(client, "#triage-instruction").await.contains("dial 911"));
    client.find(Locator::Id("f-assigned_to")).await.unwrap().select_by_value("nurse").await.unwrap();
    shot(client, "31-call-pad-urgent").await;
    click(client, "form.call-pad button[type=submit]").await;
    client.wait().for_element(Locator::Css(".triage-alert")).await.unwrap();
    let message_url = client.current_url().await.unwrap();
    assert!(text_of(client, ".triage-alert").await.contains("dial 911"));
    shot(client, "32-message-taken").await;

    // The nurse sees it first, with the count, and marks it done.
    sign_in_as(client, base, "nina", PASSWORD, "/messages").await;
    client.goto(&format!("{base}/messages")).await.unwrap();
    client.wait().for_element(Locator::Css(".message-list")).await.unwrap();
    let badge = text_of(client, ".nav-badge.urgent").await;
    assert!(badge.trim().parse::<i64>().unwrap_or(0) >= 1, "{badge}");
    let first = text_of(client, ".message-list tbody tr:first-child").await;
    assert!(first.contains("Urgent") && first.contains("Quintanilla-Brooks"), "{first}");
    shot(client, "33-nurse-inbox").await;
    click(client, ".message-list tbody tr:first-child a").await;
    client.wait().for_element(Locator::Css(".message-thread")).await.unwrap();
    assert_eq!(client.current_url().await.unwrap().path(), message_url.path());
    fill(client, "f-reply", "Called back: husband called 911, ambulance on the way.").await;
    client.find(Locator::Id("f-reply-status")).await.unwrap().select_by_value("done").await.unwrap();
    click(client, ".reply-box button[type=submit]").await;
    client.wait().for_element(Locator::Css(".notice")).await.unwrap();
    let page = text_of(client, "main").await;
    assert!(page.contains("Done") && page.contains("ambulance on the way"), "{page}");
    shot(client, "34-message-done").await;
}
