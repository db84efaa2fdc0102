//! The front desk's journey in a real browser (headless Chromium driven through ChromeDriver):
//! sign in, register a patient, add insurance with a card image, find the patient by part of
//! the name as you type, open the chart, sign out. Screenshots of every step are kept in
//! `artifacts/browser/` for people to look at, and on failure.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian packages chromium and
//! chromium-driver; `scripts/test.sh` installs them). Without them this test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "browser/documents.rs"]
mod documents;
#[path = "browser/mail.rs"]
mod mail;
#[path = "browser/phone.rs"]
mod phone;
#[path = "browser/receivables.rs"]
mod receivables;

use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "demo-password-1";
/// A small PNG (8x5 pixels), standing in for the photo of an insurance card.
const CARD_PNG: [u8; 74] = [
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 8, 0, 0, 0, 5, 8, 2, 0, 0, 0, 247, 243, 58, 2, 0, 0, 0, 17, 73,
    68, 65, 84, 120, 156, 99, 16, 201, 59, 129, 21, 49, 208, 65, 2, 0, 123, 185, 51, 145, 198, 9, 153, 108, 0, 0, 0, 0, 73, 69, 78, 68,
    174, 66, 96, 130,
];

/// Kills the child process when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not start listening on port {port}");
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(artifacts().join(format!("{name}.png")), png).unwrap();
}

/// Starts medoffice on the demo practice and ChromeDriver; returns their guards and a client.
async fn start() -> (Guard, Guard, Client, String, tempfile::TempDir) {
    for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        assert!(Path::new(tool).exists(), "{tool} is missing: run scripts/test.sh (it installs chromium and chromium-driver)");
    }
    let data = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_medoffice");
    let demo = Command::new(bin).args(["--data-dir", data.path().to_str().unwrap(), "demo"]).output().unwrap();
    assert!(demo.status.success(), "medoffice demo failed: {}", String::from_utf8_lossy(&demo.stderr));
    let port = free_port();
    let server = Guard(
        Command::new(bin)
            .args(["--data-dir", data.path().to_str().unwrap(), "serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let driver_port = free_port();
    let driver = Guard(
        Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port, "medoffice");
    wait_for_port(driver_port, "chromedriver");
    let profile = data.path().join("chromium-profile");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--no-first-run", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1366,900",
                     format!("--user-data-dir={}", profile.display())]
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector).capabilities(caps).connect(&format!("http://127.0.0.1:{driver_port}")).await.unwrap();
    (server, driver, client, format!("http://127.0.0.1:{port}"), data)
}

async fn fill(client: &Client, id: &str, text: &str) {
    let field = client.find(Locator::Id(id)).await.unwrap_or_else(|_| panic!("no field #{id}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn text_of(client: &Client, css: &str) -> String {
    client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("nothing matches {css}")).text().await.unwrap()
}

async fn journey(client: &Client, base: &str, data_dir: &Path) {
    // Sign in as the front desk.
    client.goto(&format!("{base}/today")).await.unwrap();
    assert!(client.current_url().await.unwrap().path().starts_with("/login"), "an anonymous visit must land on the sign-in page");
    shot(client, "01-sign-in").await;
    fill(client, "username", "frontdesk").await;
    fill(client, "password", PASSWORD).await;
    client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Css(".stat-figure")).await.unwrap();
    assert_eq!(client.current_url().await.unwrap().path(), "/today");
    shot(client, "02-today").await;

    // Register a patient; first with a mistake, to see the message next to the field.
    client.goto(&format!("{base}/patients/new")).await.unwrap();
    fill(client, "f-family_name", "Quintanilla-Brooks").await;
    fill(client, "f-given_name", "Harriet").await;
    fill(client, "f-birth_date", "02/30/1988").await;
    client.find(Locator::Id("f-sex")).await.unwrap().select_by_value("female").await.unwrap();
    fill(client, "f-phone_mobile", "(518) 555-0142").await;
    fill(client, "f-email", "harriet.qb@example.com").await;
    fill(client, "f-address.line1", "41 Lark St").await;
    fill(client, "f-address.city", "Albany").await;
    fill(client, "f-address.state", "NY").await;
    fill(client, "f-address.postal_code", "12210").await;
    client.find(Locator::Css("form.form button[type=submit]")).await.unwrap().click().await.unwrap();
    let message = text_of(client, "#e-birth_date").await;
    assert!(message.contains("not a real date"), "the birth date error is shown next to the field, got: {message}");
    shot(client, "03-register-error").await;
    fill(client, "f-birth_date", "03/14/1988").await;
    client.find(Locator::Css("form.form button[type=submit]")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Css(".chart-head")).await.unwrap();
    let heading = text_of(client, ".chart-head h1").await;
    assert!(heading.contains("Quintanilla-Brooks, Harriet"), "the chart shows the new patient, got: {heading}");
    let notice = text_of(client, ".notice").await;
    assert!(notice.contains("MRN"), "registration says the MRN, got: {notice}");
    let chart_url = client.current_url().await.unwrap();

    // Add the insurance with a photo of the card.
    client.find(Locator::LinkText("Add insurance")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("f-payer_id")).await.unwrap();
    let payer_select = client.find(Locator::Id("f-payer_id")).await.unwrap();
    let aetna = payer_select.find(Locator::XPath("option[starts-with(normalize-space(.), 'Aetna')]")).await.unwrap();
    aetna.click().await.unwrap();
    fill(client, "f-member_id", "W228 4410 93").await;
    fill(client, "f-group_number", "GRP-7731").await;
    fill(client, "f-copay", "25").await;
    fill(client, "f-start_date", "01/01/2026").await;
    let card = data_dir.join("card-front.png");
    std::fs::write(&card, CARD_PNG).unwrap();
    client.find(Locator::Id("f-card_front")).await.unwrap().send_keys(card.to_str().unwrap()).await.unwrap();
    shot(client, "04-insurance-form").await;
    client.find(Locator::Css("form.form button[type=submit]")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Css(".coverage")).await.unwrap();
    let coverage = text_of(client, ".coverage").await;
    assert!(
        coverage.contains("Aetna") && coverage.contains("W228441093") && coverage.contains("$25.00"),
        "the chart lists the coverage, got: {coverage}"
    );
    let image = client.find(Locator::Css(".card-images img")).await.unwrap();
    let loaded = client.execute("return arguments[0].naturalWidth;", vec![serde_json::to_value(&image).unwrap()]).await.unwrap();
    assert_eq!(loaded, serde_json::json!(8), "the card image loads in the chart");
    shot(client, "05-chart-with-insurance").await;

    // Find the patient again by part of the name, as you type.
    client.goto(&format!("{base}/patients")).await.unwrap();
    fill(client, "patient-search", "quinta harr").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // Read through script: the results are swapped in as you type, so an element handle could go stale.
        let results = client.execute("return document.getElementById('patient-results').textContent;", vec![]).await.unwrap();
        let results = results.as_str().unwrap_or_default().to_string();
        // The page starts with the recent patients; wait for the answer to this query.
        if results.contains("for “quinta harr”") && results.contains("Quintanilla-Brooks") {
            break;
        }
        assert!(Instant::now() < deadline, "search as you type did not find the patient; results: {results}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shot(client, "06-search-as-you-type").await;
    // A late answer for an earlier keystroke may still replace the results: retry the click.
    let mut clicked = false;
    for _ in 0..30 {
        if let Ok(link) = client.find(Locator::LinkText("Quintanilla-Brooks, Harriet")).await
            && link.click().await.is_ok()
        {
            clicked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(clicked, "the search result links to the chart");
    client.wait().for_element(Locator::Css(".chart-head")).await.unwrap();
    assert_eq!(client.current_url().await.unwrap().path(), chart_url.path());

    schedule_journey(client, chart_url.as_str()).await;

    // Sign out: the chart is no longer reachable.
    client.find(Locator::Css(".topbar-user button")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("username")).await.unwrap();
    shot(client, "07-signed-out").await;
    client.goto(chart_url.as_str()).await.unwrap();
    assert!(client.current_url().await.unwrap().path().starts_with("/login"), "after sign-out the chart needs a new sign-in");

    books_journey(client, base).await;
}

/// The bookkeeper's journey: a new vendor on Net 30, its bill entered (due in 30 days), seen on
/// the bills-due list, paid by check from a payment run, and the trial balance and the balance
/// sheet that still balance.
async fn books_journey(client: &Client, base: &str) {
    // Signing in on the way to the new-vendor form lands on it.
    client.goto(&format!("{base}/books/vendors/new")).await.unwrap();
    fill(client, "username", "bookkeeper").await;
    fill(client, "password", PASSWORD).await;
    client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("f-name")).await.unwrap();
    fill(client, "f-name", "Lakeside Linen Service").await;
    client.find(Locator::Id("f-payment_terms")).await.unwrap().select_by_value("net_30").await.unwrap();
    client.find(Locator::Id("f-default_expense_account")).await.unwrap().select_by_value("6850").await.unwrap();
    shot(client, "20-new-vendor").await;
    click(client, "form.form button[type=submit]").await;
    client.wait().for_element(Locator::Css(".notice")).await.unwrap();

    // The bill: dated today, so Net 30 makes it due in thirty days.
    client.goto(&format!("{base}/books/bills/new")).await.unwrap();
    let vendor = client.find(Locator::Id("f-vendor_id")).await.unwrap();
    vendor.find(Locator::XPath("option[starts-with(normalize-space(.), 'Lakeside Linen')]")).await.unwrap().click().await.unwrap();
    fill(client, "f-bill_number", "LL-1042").await;
    // The bill date starts as the practice's today.
    let dated = client.find(Locator::Id("f-bill_date")).await.unwrap().prop("value").await.unwrap().unwrap_or_default();
    let today = chrono::NaiveDate::parse_from_str(&dated, "%Y-%m-%d").unwrap();
    fill(client, "l0-amount", "312.40").await;
    fill(client, "l0-memo", "Gowns and drapes, November").await;
    shot(client, "21-bill-entry").await;
    click(client, "form[data-bill-entry] button[type=submit]").await;
    client.wait().for_element(Locator::Css(".notice")).await.unwrap();
    let due = (today + chrono::Days::new(30)).format("%Y-%m-%d").to_string();

    // Due in thirty days on the bills-due list; pay it from a payment run.
    client.goto(&format!("{base}/books/bills")).await.unwrap();
    let row = client.find(Locator::XPath("//tr[td[normalize-space(.)='Lakeside Linen Service']]")).await.unwrap();
    let text = row.text().await.unwrap();
    assert!(text.contains(&due) && text.contains("$312.40"), "the bill is due {due}: {text}");
    row.find(Locator::Css("input[type=checkbox]")).await.unwrap().click().await.unwrap();
    shot(client, "22-bills-due").await;
    click(client, ".bills-pay-form button[type=submit]").await;
    client.wait().for_element(Locator::Css("form.payment-run")).await.unwrap();
    let reference = client.find(Locator::Css("input[name='payments[0].reference']")).await.unwrap();
    if reference.prop("value").await.unwrap().unwrap_or_default().is_empty() {
        reference.send_keys("2001").await.unwrap();
    }
    shot(client, "23-payment-run").await;
    click(client, "form.payment-run button[type=submit]").await;
    client.wait().for_element(Locator::Css("[data-total=paid]")).await.unwrap();
    let register = text_of(client, "main").await;
    assert!(register.contains("Lakeside Linen Service") && register.contains("$312.40"), "the check register lists the check: {register}");
    shot(client, "24-check-register").await;

    // The books still balance.
    client.goto(&format!("{base}/books/trial-balance")).await.unwrap();
    let balance = text_of(client, ".ledger-balance").await;
    assert!(balance.contains("The books balance"), "{balance}");
    shot(client, "25-trial-balance").await;
    client.goto(&format!("{base}/books/balance-sheet")).await.unwrap();
    let balance = text_of(client, ".ledger-balance").await;
    assert!(balance.contains("Assets equal liabilities plus owners' equity"), "{balance}");
    shot(client, "26-balance-sheet").await;
    client.goto(&format!("{base}/books/bills")).await.unwrap();
    let open = text_of(client, "main").await;
    assert!(!open.contains("LL-1042"), "the paid bill left the bills-due list");
}

/// Clicks the first element matching `css`, retrying briefly while the page settles.
async fn click(client: &Client, css: &str) {
    for _ in 0..50 {
        if let Ok(e) = client.find(Locator::Css(css)).await
            && e.click().await.is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not click {css}");
}

/// From the patient's chart: find the next open afternoon slot, book it, confirm, check in with
/// the $25.00 co-pay (receipt), take the patient to a room, check out booking the follow-up.
async fn schedule_journey(client: &Client, chart_url: &str) {
    client.find(Locator::LinkText("Book an appointment")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("find-heading")).await.unwrap();
    client.find(Locator::Id("f-part")).await.unwrap().select_by_value("afternoon").await.unwrap();
    click(client, ".find-form button[type=submit]").await;
    client.wait().for_element(Locator::Css(".slot-list .slot form button[type=submit]")).await.unwrap();
    let first_slot = text_of(client, ".slot-list .slot .slot-when").await;
    assert!(first_slot.as_str() >= "12:00", "an afternoon slot, got {first_slot}");
    shot(client, "08-next-open-slots").await;
    click(client, ".slot-list .slot form button[type=submit]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.current_url().await.unwrap().path() == "/schedule/new" {
        assert!(Instant::now() < deadline, "booking the slot did not leave the booking form");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The chart lists the new appointment; open its page.
    client.goto(chart_url).await.unwrap();
    click(client, "a[href^='/schedule/appointments/']").await;
    client.wait().for_element(Locator::Css(".appt-head")).await.unwrap();
    assert!(text_of(client, ".appt-head").await.contains(&first_slot[..5]), "the booked time is on the page");
    click(client, "form[action$='/status'] input[value=confirm] ~ button").await;
    client.wait().for_element(Locator::Css(".status-tag.status-confirmed")).await.unwrap();

    // Check in: confirm demographics and insurance, take the co-pay by card.
    client.find(Locator::Id("f-demographics_confirmed")).await.unwrap().click().await.unwrap();
    client.find(Locator::Id("f-insurance_confirmed")).await.unwrap().click().await.unwrap();
    let amount = client.find(Locator::Id("f-copay_amount")).await.unwrap().prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(amount, "25.00", "the co-pay of the primary coverage is offered");
    client.find(Locator::Id("f-payment_method")).await.unwrap().select_by_value("card").await.unwrap();
    fill(client, "f-payment_reference", "4242").await;
    shot(client, "09-check-in").await;
    click(client, "#check-in button[type=submit]").await;
    client.wait().for_element(Locator::Css(".receipt")).await.unwrap();
    let receipt = text_of(client, ".receipt").await;
    assert!(receipt.contains("$25.00") && receipt.contains("Quintanilla-Brooks, Harriet") && receipt.contains("No. 1"), "{receipt}");
    shot(client, "10-receipt").await;
    client.find(Locator::LinkText("Back to the appointment")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Css(".status-tag.status-arrived")).await.unwrap();

    // To a room, then check out with the first follow-up time offered.
    click(client, "form.room-form button[type=submit]").await;
    client.wait().for_element(Locator::Css(".status-tag.status-in_room")).await.unwrap();
    click(client, "input[name=follow_up_slot]:not([value=none])").await;
    shot(client, "11-check-out").await;
    click(client, "#check-out button[type=submit]").await;
    client.wait().for_element(Locator::Css(".status-tag.status-scheduled")).await.unwrap();
    let history = text_of(client, ".chart-grid").await;
    assert!(history.contains("Booked for"), "the follow-up's page: {history}");
    shot(client, "12-follow-up-booked").await;

    // Back on the chart: the visit is checked out and the follow-up is on the list.
    client.goto(chart_url).await.unwrap();
    let list = text_of(client, ".chart-grid").await;
    assert!(list.contains("Checked out") && list.contains("Scheduled"), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn front_desk_registers_insures_finds_and_signs_out() {
    let (_server, _driver, client, base, data) = start().await;
    let result = tokio::spawn({
        let client = client.clone();
        let dir = data.path().to_path_buf();
        async move {
            journey(&client, &base, &dir).await;
            phone::phone_journey(&client, &base, &dir).await;
            mail::mail_journey(&client, &base).await;
            receivables::receivables_journey(&client, &base, &dir).await;
            documents::documents_journey(&client, &base, &dir).await;
        }
    })
    .await;
    if result.is_err() {
        shot(&client, "failure").await;
    }
    let _ = client.close().await;
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}
