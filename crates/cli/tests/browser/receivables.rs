//! The biller's receivables journey: the payer's 835 for one of the demo's sent claims is
//! uploaded on the remittances page; the claim shows paid; the statement run puts the patient's
//! share on the patient's statement; the patient pays it at the account page and the receipt and
//! the account say so.
//!
//! The 835 stands for the file a payer sends: it is built here from the demo database (the claim's
//! number, lines and payer id), as a clearinghouse would deliver it.

use super::{PASSWORD, click, fill, shot, text_of};
use fantoccini::{Client, Locator};
use sqlx::{Connection, SqliteConnection};
use std::path::Path;

/// The claim the 835 pays: (claim id, claim number, total charge, patient id, payer's id).
type SentClaim = (String, i64, i64, String, String);

/// A sent claim of a patient with one coverage (so the share goes to the patient), and its lines
/// (code, modifiers, charge, date).
async fn sent_claim(data_dir: &Path) -> (SentClaim, Vec<(String, String, i64, String)>) {
    let url = format!("sqlite://{}", data_dir.join("medoffice.db").display());
    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    let claim: SentClaim = sqlx::query_as(
        "SELECT c.id, c.claim_number, c.total_charge_cents, c.patient_id, p.payer_code FROM claim c \
         JOIN payer p ON p.practice_id = c.practice_id AND p.id = c.payer_id \
         WHERE c.status = 'sent' AND p.payer_code <> '' \
         AND NOT EXISTS (SELECT 1 FROM coverage v WHERE v.practice_id = c.practice_id AND v.patient_id = c.patient_id AND v.priority > 1) \
         ORDER BY c.claim_number LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await
    .expect("the demo has a sent claim of a patient with one coverage");
    let lines: Vec<(String, String, i64, String)> = sqlx::query_as(
        "SELECT l.procedure_code, l.modifiers, l.charge_cents, l.service_date FROM encounter_line l \
         JOIN claim c ON c.practice_id = l.practice_id AND c.encounter_id = l.encounter_id \
         WHERE c.id = $1 ORDER BY l.line_number",
    )
    .bind(&claim.0)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(!lines.is_empty());
    (claim, lines)
}

fn amount(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The payer's 835: each line allowed at 80 % of its charge (the rest CO-45); of the first line's
/// allowed amount $20.00 is the patient's co-insurance (PR-2). Returns the file and the share.
fn remittance_835(claim: &SentClaim, lines: &[(String, String, i64, String)]) -> (String, i64) {
    let (_, number, total, _, payer_code) = claim;
    let today = chrono::Local::now().format("%Y%m%d").to_string();
    let mut body = Vec::new();
    let (mut paid, mut share) = (0, 0);
    for (i, (code, modifiers, charge, date)) in lines.iter().enumerate() {
        let allowed = charge * 80 / 100;
        let pr = if i == 0 { 2_000.min(allowed) } else { 0 };
        let line_paid = allowed - pr;
        paid += line_paid;
        share += pr;
        let mut composite = format!("HC:{code}");
        for m in modifiers.split([',', ' ', ':']).filter(|m| !m.is_empty()) {
            composite.push(':');
            composite.push_str(m);
        }
        body.push(format!("SVC*{composite}*{}*{}**1", amount(*charge), amount(line_paid)));
        body.push(format!("DTM*472*{}", date.replace('-', "")));
        if charge - allowed != 0 {
            body.push(format!("CAS*CO*45*{}", amount(charge - allowed)));
        }
        if pr != 0 {
            body.push(format!("CAS*PR*2*{}", amount(pr)));
        }
    }
    let mut segments = vec![
        "ST*835*0001".to_string(),
        format!("BPR*I*{}*C*CHK************{today}", amount(paid)),
        "TRN*1*BROWSER-CHK-1*1999999999".into(),
        format!("N1*PR*DEMO PAYER*XV*{payer_code}"),
        "N1*PE*DEMO PRACTICE*XX*1234567893".into(),
        "LX*1".into(),
        format!("CLP*MO{number:08}*1*{}*{}*{}*12*ICN-BROWSER", amount(*total), amount(paid), amount(share)),
    ];
    segments.extend(body);
    let count = segments.len() + 1;
    let mut text = format!(
        "ISA*00*          *00*          *ZZ*DEMOPAYER      *ZZ*MEDOFFICE      *{}*1200*^*00501*000000901*0*P*:~\n\
         GS*HP*DEMOPAYER*MEDOFFICE*{today}*1200*901*X*005010X221A1~\n",
        &today[2..]
    );
    for s in segments {
        text.push_str(&s);
        text.push_str("~\n");
    }
    text.push_str(&format!("SE*{count}*0001~\nGE*1*901~\nIEA*1*000000901~\n"));
    (text, share)
}

async fn sign_in_as(client: &Client, base: &str, user: &str, next: &str) {
    if client.find(Locator::Css(".topbar-user button")).await.is_ok() {
        click(client, ".topbar-user button").await;
        client.wait().for_element(Locator::Id("username")).await.unwrap();
    }
    client.goto(&format!("{base}/login?next={next}")).await.unwrap();
    fill(client, "username", user).await;
    fill(client, "password", PASSWORD).await;
    click(client, "button[type=submit]").await;
}

pub async fn receivables_journey(client: &Client, base: &str, data_dir: &Path) {
    let (claim, lines) = sent_claim(data_dir).await;
    let (text, share) = remittance_835(&claim, &lines);
    let file = data_dir.join("payer-check.835");
    std::fs::write(&file, text).unwrap();
    let pcn = format!("MO{:08}", claim.1);

    // The biller uploads the payer's 835.
    sign_in_as(client, base, "biller", "/billing/remittances").await;
    client.wait().for_element(Locator::Id("f-file")).await.unwrap();
    client.find(Locator::Id("f-file")).await.unwrap().send_keys(file.to_str().unwrap()).await.unwrap();
    shot(client, "ar-01-upload-835").await;
    click(client, "form[enctype='multipart/form-data'] button[type=submit]").await;
    client.wait().for_element(Locator::Css(".notice")).await.unwrap();
    let page = text_of(client, "main").await;
    assert!(page.contains(&pcn) && page.contains("Paid"), "the remittance page lists the claim paid: {page}");
    shot(client, "ar-02-remittance-posted").await;

    // The claim is paid.
    client.goto(&format!("{base}/billing/claims/{}", claim.0)).await.unwrap();
    let claim_page = text_of(client, "main").await;
    assert!(claim_page.contains("Paid"), "the claim shows paid: {claim_page}");
    shot(client, "ar-03-claim-paid").await;

    // The statement run puts the patient's share on the patient's statement.
    client.goto(&format!("{base}/billing/statements")).await.unwrap();
    client.wait().for_element(Locator::Css("form[action='/billing/statements/runs'] button[type=submit]")).await.unwrap();
    click(client, "form[action='/billing/statements/runs'] button[type=submit]").await;
    client.wait().for_element(Locator::Css(".notice")).await.unwrap();
    shot(client, "ar-04-statement-run").await;
    client.goto(&format!("{base}/patients/{}/statements", claim.3)).await.unwrap();
    click(client, "main table a[href^='/billing/statements/']").await;
    client.wait().for_element(Locator::Css("a[href$='/pdf']")).await.unwrap();
    let statement = text_of(client, "main").await;
    let share_text = format!("${}", amount(share));
    assert!(statement.contains(&share_text), "the patient's share {share_text} is on the statement: {statement}");
    shot(client, "ar-05-statement").await;

    // The patient pays the share at the account page.
    client.goto(&format!("{base}/patients/{}/account", claim.3)).await.unwrap();
    client.wait().for_element(Locator::Id("f-amount")).await.unwrap();
    let before = text_of(client, "main").await;
    fill(client, "f-amount", &amount(share)).await;
    client.find(Locator::Id("f-method")).await.unwrap().select_by_value("check").await.unwrap();
    fill(client, "f-reference", "1042").await;
    shot(client, "ar-06-take-payment").await;
    click(client, "form[action$='/account/payments'] button[type=submit]").await;
    client.wait().for_element(Locator::Css(".receipt, main")).await.unwrap();
    let receipt = text_of(client, "main").await;
    assert!(receipt.contains(&share_text) && receipt.contains("Payment on account"), "the receipt: {receipt}");
    shot(client, "ar-07-receipt").await;
    client.goto(&format!("{base}/patients/{}/account", claim.3)).await.unwrap();
    let after = text_of(client, "main").await;
    assert!(after.contains("1042"), "the payment is on the account: {after}");
    assert_ne!(before, after);
    shot(client, "ar-08-account-after-payment").await;
}
