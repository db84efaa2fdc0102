//! The mail room's journey: the front desk logs a records request for Harriet
//! Quintanilla-Brooks (found by search) from another provider, fulfils it by fax, and sees the
//! release in her accounting of disclosures, the report a patient can be given.

use super::{PASSWORD, click, fill, shot, text_of};
use fantoccini::{Client, Locator};

pub async fn mail_journey(client: &Client, base: &str) {
    if client.find(Locator::Css(".topbar-user button")).await.is_ok() {
        click(client, ".topbar-user button").await;
        client.wait().for_element(Locator::Id("username")).await.unwrap();
    }
    client.goto(&format!("{base}/login?next=/mail/records/new")).await.unwrap();
    fill(client, "username", "frontdesk").await;
    fill(client, "password", PASSWORD).await;
    click(client, "button[type=submit]").await;
    client.wait().for_element(Locator::Id("pick-search")).await.unwrap();

    // Find the patient, then the request: who asks, what, why.
    fill(client, "pick-search", "quintanilla").await;
    click(client, ".search-form button[type=submit]").await;
    client.wait().for_element(Locator::Css(".pick-results a.button")).await.unwrap();
    click(client, ".pick-results a.button").await;
    client.wait().for_element(Locator::Id("f-requester_name")).await.unwrap();
    fill(client, "f-requester_name", "Lakeside Cardiology").await;
    client.find(Locator::Id("f-requester_kind")).await.unwrap().select_by_value("provider").await.unwrap();
    fill(client, "f-requested_what", "Visit notes and ECGs since 2025").await;
    fill(client, "f-purpose", "Continuity of care").await;
    shot(client, "mail-01-records-request").await;
    click(client, "form.form button[type=submit]").await;
    client.wait().for_element(Locator::Css(".notice")).await.unwrap();
    let facts = text_of(client, ".bill-details").await;
    assert!(facts.contains("Lakeside Cardiology") && facts.contains("30 days left"), "the request is due in 30 days: {facts}");

    // Fulfil it by fax.
    client.find(Locator::Id("f-method")).await.unwrap().select_by_value("fax").await.unwrap();
    fill(client, "f-pages", "14").await;
    shot(client, "mail-02-fulfil").await;
    click(client, "form[action$='/fulfil'] button[type=submit]").await;
    client.wait().for_element(Locator::Css("[data-status=fulfilled]")).await.unwrap();
    let notice = text_of(client, ".notice").await;
    assert!(notice.contains("accounting of disclosures"), "{notice}");
    shot(client, "mail-03-fulfilled").await;

    // The disclosure report.
    client.find(Locator::LinkText("accounting of disclosures")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("disclosures-heading")).await.unwrap();
    let report = text_of(client, "main").await;
    assert!(
        report.contains("Lakeside Cardiology")
            && report.contains("Visit notes and ECGs since 2025 (14 pages, Fax)")
            && report.contains("Continuity of care"),
        "the release is in the accounting of disclosures: {report}"
    );
    shot(client, "mail-04-disclosures").await;

    // The incoming log and the checks to post of the demo.
    client.goto(&format!("{base}/mail")).await.unwrap();
    client.wait().for_element(Locator::Id("mail-heading")).await.unwrap();
    shot(client, "mail-05-incoming").await;
    client.goto(&format!("{base}/mail/payments")).await.unwrap();
    client.wait().for_element(Locator::Id("payments-heading")).await.unwrap();
    shot(client, "mail-06-checks-to-post").await;
}
