//! Medical files and letters in the browser: the front desk files a scanned referral (two pages
//! photographed as JPEGs, drawn here on a canvas as a scanner would deliver them) to Harriet
//! Quintanilla-Brooks, finds it again by a word of its description, prints a referral letter to
//! another practice, and sees both on her chart.

use super::{PASSWORD, click, fill, shot, text_of};
use base64::Engine;
use fantoccini::{Client, Locator};
use std::path::Path;

/// A scanned page: a JPEG of a Letter-shaped sheet with a few lines of text, made by the browser.
async fn scanned_page(client: &Client, lines: &[&str]) -> Vec<u8> {
    let script = r#"
        const c = document.createElement('canvas');
        c.width = 850; c.height = 1100;
        const g = c.getContext('2d');
        g.fillStyle = '#fdfdf8'; g.fillRect(0, 0, c.width, c.height);
        g.fillStyle = '#222'; g.font = '28px serif';
        arguments[0].forEach((line, i) => g.fillText(line, 70, 110 + i * 44));
        return c.toDataURL('image/jpeg', 0.8);
    "#;
    let url = client.execute(script, vec![serde_json::json!(lines)]).await.unwrap();
    let url = url.as_str().unwrap().to_string();
    let data = url.strip_prefix("data:image/jpeg;base64,").expect("a JPEG data URL");
    base64::engine::general_purpose::STANDARD.decode(data).unwrap()
}

pub async fn documents_journey(client: &Client, base: &str, data_dir: &Path) {
    if client.find(Locator::Css(".topbar-user button")).await.is_ok() {
        click(client, ".topbar-user button").await;
        client.wait().for_element(Locator::Id("username")).await.unwrap();
    }
    client.goto(&format!("{base}/login?next=/documents/new")).await.unwrap();
    fill(client, "username", "frontdesk").await;
    fill(client, "password", PASSWORD).await;
    click(client, "button[type=submit]").await;
    client.wait().for_element(Locator::Id("pick-search")).await.unwrap();

    // Two scanned pages of the referral, saved where the browser can pick them up.
    let page1 =
        scanned_page(client, &["Lakeside Cardiology", "Referral", "Patient: Harriet Quintanilla-Brooks", "Please see for palpitations."])
            .await;
    let page2 = scanned_page(client, &["Page 2", "Holter monitor results enclosed."]).await;
    let scans = data_dir.join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    let (p1, p2) = (scans.join("referral-page-1.jpg"), scans.join("referral-page-2.jpg"));
    std::fs::write(&p1, &page1).unwrap();
    std::fs::write(&p2, &page2).unwrap();

    // File it to the patient: find her, then the file, category and description.
    fill(client, "pick-search", "quintanilla").await;
    click(client, ".search-form button[type=submit]").await;
    client.wait().for_element(Locator::Css(".pick-results a.button")).await.unwrap();
    click(client, ".pick-results a.button").await;
    client.wait().for_element(Locator::Id("f-file")).await.unwrap();
    let file = client.find(Locator::Id("f-file")).await.unwrap();
    // ChromeDriver takes several files for a `multiple` input as paths joined by newlines.
    file.send_keys(&format!("{}\n{}", p1.display(), p2.display())).await.unwrap();
    client.find(Locator::Id("f-category")).await.unwrap().select_by_value("referral").await.unwrap();
    fill(client, "f-title", "Cardiology referral").await;
    fill(client, "f-description", "Referral from Lakeside Cardiology: palpitations, Holter monitor results enclosed").await;
    shot(client, "documents-01-file-a-referral").await;
    click(client, "form.form button[type=submit]").await;
    client.wait().for_element(Locator::Css("iframe.document-frame")).await.unwrap();
    let page = text_of(client, "main").await;
    assert!(page.contains("Cardiology referral") && page.contains("2 pages"), "{page}");
    shot(client, "documents-02-the-referral-filed").await;

    // Find it again by a word of its description.
    client.goto(&format!("{base}/documents")).await.unwrap();
    fill(client, "f-q", "holter").await;
    click(client, "form[role=search] button[type=submit]").await;
    client.wait().for_element(Locator::Css("tbody tr[id^=document-]")).await.unwrap();
    let found = text_of(client, "tbody").await;
    assert!(found.contains("Cardiology referral") && found.contains("Quintanilla-Brooks"), "{found}");
    shot(client, "documents-03-found-by-a-word").await;
    click(client, "tbody tr[id^=document-] td a[href^='/documents/']").await;
    client.wait().for_element(Locator::Css("iframe.document-frame")).await.unwrap();
    let chart_link = client.find(Locator::Css("main a[href^='/patients/']")).await.unwrap().attr("href").await.unwrap().unwrap();

    // Write the referral letter to another practice from the chart.
    client.goto(&format!("{base}{chart_link}")).await.unwrap();
    client.wait().for_element(Locator::Id("chart-letters")).await.unwrap();
    click(client, "#chart-letters a.button").await;
    client.wait().for_element(Locator::Id("f-template")).await.unwrap();
    client.find(Locator::Id("f-template")).await.unwrap().select_by_value("referral").await.unwrap();
    fill(client, "f-recipient_name", "Lakeside Cardiology").await;
    fill(client, "f-recipient_address", "40 Harbor Road\nPortland, ME 04101").await;
    click(client, "button[value=preview]").await;
    client.wait().for_element(Locator::Id("letter-preview")).await.unwrap();
    let preview = text_of(client, "#letter-preview").await;
    assert!(preview.contains("Lakeside Cardiology") && preview.contains("Quintanilla"), "{preview}");
    shot(client, "documents-04-referral-letter-preview").await;
    click(client, "button[value=save]").await;
    client.wait().for_element(Locator::Css("a[href$='/pdf']")).await.unwrap();
    shot(client, "documents-05-referral-letter-saved").await;

    // The chart lists the filed referral and the letter.
    client.goto(&format!("{base}{chart_link}")).await.unwrap();
    client.wait().for_element(Locator::Id("chart-documents")).await.unwrap();
    let documents = text_of(client, "#chart-documents").await;
    assert!(documents.contains("Cardiology referral") && documents.contains("Referral"), "{documents}");
    let letters = text_of(client, "#chart-letters").await;
    assert!(letters.contains("Referral"), "{letters}");
    client.find(Locator::Id("chart-documents")).await.unwrap().click().await.ok();
    shot(client, "documents-06-on-the-chart").await;
}
