//! 835 posting at scale: how many claims a second `App::import_remittance` posts from one large
//! remittance, as the biller's upload page and the API call it.
//!
//! `cargo bench -p medoffice --bench remittance_posting -- [--claims N] [--patients P] [--database-url URL]`
//!
//! Set-up (a fresh SQLite database under `target/bench-data/remittance-N/`, or the PostgreSQL
//! database given, emptied first; the clock fixed at 2026-06-15): the generated practice of
//! `seed_practice` (P patients, default 2,000, with coverages), ICD-10-CM loaded, and N claims
//! (default 5,000) for the patients whose primary coverage is with the practice's most common
//! payer: each a visit of 2026-06-10 coded on the superbill path (`open_encounter`: J02.9, an
//! office visit 99213) with its charges posted (`post_charges`: the journal entry and the claim),
//! then marked sent (straight in the table: sending 837P files is not what is measured here).
//!
//! Then 835s (005010X221A1, one check and one transaction set each, `--per-file` claims, default 1,000) pay every claim: CLP with the
//! claim's patient control number, its service line (SVC with the date of service), a contractual
//! write-off (CO-45, 30 %) and a co-insurance (PR-2, 10 %), balanced at line, claim and check level.
//! Timed: the import (parse, balancing checks, matching every claim and line, adjudications,
//! claim status changes, the one journal entry, the audit record) and the same file imported again
//! (recognised as a duplicate, nothing posted). The run panics unless every claim was posted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{FixedClock, arg, ensure_postgres_database, num};

use chrono::{TimeZone, Utc};
use medoffice_app::encounters::{EncounterInput, LineInput};
use medoffice_app::remittances::RemittanceImportInput;
use medoffice_app::{Actor, App, Config};
use medoffice_store::Store;
use medoffice_store::blobs::FileBlobStore;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

const PASSWORD: &str = "bench-password-1";
const SERVICE_DATE: &str = "2026-06-10";

fn phase(name: &str) {
    eprintln!("{} {name}", Utc::now().format("%H:%M:%S"));
}

fn dollars(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

async fn balance(app: &App, number: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(l.debit_cents - l.credit_cents), 0) AS BIGINT) FROM journal_line l \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id WHERE a.number = $1",
    )
    .bind(number)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    n
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let claims = num("--claims", 5_000).max(1);
    let patients = num("--patients", 2_000).max(10);
    let data_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/bench-data/remittance-{claims}"));
    let _ = std::fs::remove_dir_all(&data_dir);
    std::fs::create_dir_all(&data_dir).unwrap();
    let url = arg("--database-url").unwrap_or_else(|| format!("sqlite://{}", data_dir.join("medoffice.db").display()));
    let backend = if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    if backend == "PostgreSQL" {
        ensure_postgres_database(&url).await;
        let store = Store::connect(&url).await.unwrap();
        sqlx::query("DROP SCHEMA public CASCADE").execute(store.pool()).await.unwrap();
        sqlx::query("CREATE SCHEMA public").execute(store.pool()).await.unwrap();
    }
    let clock = FixedClock(Utc.with_ymd_and_hms(2026, 6, 15, 16, 0, 0).unwrap());
    let store = Store::connect(&url).await.unwrap();
    let app = App::new(store, FileBlobStore::new(data_dir.join("blobs")), Config::default()).with_clock(Arc::new(clock));

    phase("generating the practice");
    let started = Instant::now();
    app.seed_practice("Bench Remittance Practice", patients, PASSWORD).await.unwrap();
    app.ensure_icd10cm_loaded().await.unwrap();
    let biller: Actor = app.login("biller", PASSWORD, Some("127.0.0.1".into()), None).await.unwrap().actor;
    let practice_id = biller.practice_id.clone();
    let provider_id = app.list_providers(&biller).await.unwrap()[0].id.clone();
    // The payer most patients are primarily covered by, and those patients.
    let (payer_id, payer_code, payer_name): (String, String, String) = sqlx::query_as(
        "SELECT p.id, p.payer_code, p.name FROM payer p JOIN coverage c ON c.practice_id = p.practice_id AND c.payer_id = p.id \
         WHERE p.practice_id = $1 AND c.priority = 1 GROUP BY p.id, p.payer_code, p.name ORDER BY COUNT(*) DESC, p.id LIMIT 1",
    )
    .bind(&practice_id)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    let covered: Vec<String> = sqlx::query_as::<_, (String,)>(
        "SELECT c.patient_id FROM coverage c WHERE c.practice_id = $1 AND c.payer_id = $2 AND c.priority = 1 \
         AND c.start_date <= $3 AND (c.end_date IS NULL OR c.end_date >= $3) ORDER BY c.patient_id",
    )
    .bind(&practice_id)
    .bind(&payer_id)
    .bind(SERVICE_DATE)
    .fetch_all(app.store.pool())
    .await
    .unwrap()
    .into_iter()
    .map(|(id,)| id)
    .collect();
    assert!(!covered.is_empty(), "some patients are covered by {payer_name}");
    eprintln!("practice in {:.1} s; {} patients covered by {payer_name} ({payer_code})", started.elapsed().as_secs_f64(), covered.len());

    phase("posting the claims' charges");
    let started = Instant::now();
    for i in 0..claims {
        let input = EncounterInput {
            patient_id: covered[i % covered.len()].clone(),
            rendering_provider_id: provider_id.clone(),
            service_date: SERVICE_DATE.into(),
            diagnoses: vec!["J02.9".into()],
            lines: vec![LineInput { procedure_code: "99213".into(), pointers: "1".into(), ..Default::default() }],
            ..Default::default()
        };
        let encounter = app.open_encounter(&biller, &input).await.unwrap_or_else(|e| panic!("visit {i}: {e}"));
        let posted = app.post_charges(&biller, &encounter.id).await.unwrap();
        assert!(posted.claim_id.is_some(), "visit {i} is billed to insurance");
    }
    sqlx::query("UPDATE claim SET status = 'sent' WHERE practice_id = $1 AND payer_id = $2")
        .bind(&practice_id)
        .bind(&payer_id)
        .execute(app.store.pool())
        .await
        .unwrap();
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT claim_number, total_charge_cents FROM claim WHERE practice_id = $1 AND status = 'sent' ORDER BY claim_number",
    )
    .bind(&practice_id)
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    eprintln!("{} claims sent, charges posted in {:.1} s", rows.len(), started.elapsed().as_secs_f64());

    // The 835s paying them all, `per_file` claims to a check (one journal entry each).
    let per_file = num("--per-file", 1_000).max(1);
    let (mut paid_total, mut adjusted_total, mut patient_total) = (0i64, 0i64, 0i64);
    let date = SERVICE_DATE.replace('-', "");
    let mut files = Vec::new();
    for (f, chunk) in rows.chunks(per_file).enumerate() {
        let mut body: Vec<String> = vec![
            String::new(), // BPR, once the total is known
            format!("TRN*1*BENCH-835-{f:05}*1234567890"),
            format!("N1*PR*{}*XV*{payer_code}", payer_name.to_ascii_uppercase().replace(['*', '~', ':', '^'], " ")),
            "N1*PE*BENCH PRACTICE*XX*1234567893".into(),
            "LX*1".into(),
        ];
        let mut check = 0;
        for (n, (number, charge)) in chunk.iter().enumerate() {
            let adjusted = charge * 30 / 100;
            let patient = charge / 10;
            let paid = charge - adjusted - patient;
            check += paid;
            adjusted_total += adjusted;
            patient_total += patient;
            let pcn = medoffice_app::claims::patient_control_number(*number);
            body.push(format!("CLP*{pcn}*1*{}*{}*{}*12*ICN{f:05}{n:04}", dollars(*charge), dollars(paid), dollars(patient)));
            body.push(format!("SVC*HC:99213*{}*{}**1", dollars(*charge), dollars(paid)));
            body.push(format!("DTM*472*{date}"));
            body.push(format!("CAS*CO*45*{}", dollars(adjusted)));
            body.push(format!("CAS*PR*2*{}", dollars(patient)));
        }
        paid_total += check;
        body[0] = format!("BPR*I*{}*C*ACH*CCP*01*011000015*DA*123456789*1234567890**01*021000021*DA*987654321*20260614", dollars(check));
        let count = body.len() + 2;
        let text = format!(
            "ISA*00*          *00*          *ZZ*PAYER          *ZZ*MEDOFFICE      *260614*1200*^*00501*{:09}*0*P*:~\n\
             GS*HP*PAYER*MEDOFFICE*20260614*1200*901*X*005010X221A1~\nST*835*0001~\n{}~\nSE*{count}*0001~\nGE*1*901~\nIEA*1*{:09}~\n",
            f + 1,
            body.join("~\n"),
            f + 1
        );
        files.push(RemittanceImportInput { file_name: format!("bench-{f:05}.835"), bytes: text.into_bytes() });
    }
    let size_kb = files.iter().map(|f| f.bytes.len()).sum::<usize>() as f64 / 1024.0;

    // One 835 per `per_file` claims: each posts as one remittance, one journal entry of about five
    // lines a claim (an entry holds up to 25,000 lines, so a check may pay about 5,000 claims).
    let before = balance(&app, "1100").await;
    phase("importing the 835s");
    let t = Instant::now();
    let mut matched = 0i64;
    let mut paid = 0i64;
    for file in &files {
        let done = app.import_remittance(&biller, file).await.unwrap();
        assert!(!done.duplicate);
        assert_eq!(done.claims_unmatched, 0, "every claim posted: {:?}", done.claims.iter().find(|c| c.outcome == "unmatched"));
        matched += done.claims_matched;
        paid += done.paid_cents;
    }
    let took = t.elapsed();
    assert_eq!(matched as usize, rows.len());
    assert_eq!(paid, paid_total);
    // What the payer paid and wrote off, and the patients' share, left AR - Insurance, except the
    // share of patients with a secondary coverage: it moved to the secondary payer's AR - Insurance
    // (their secondary claims are made by the import).
    let moved = before - balance(&app, "1100").await;
    let to_secondary = paid_total + adjusted_total + patient_total - moved;
    assert!(moved > 0 && to_secondary >= 0 && to_secondary <= patient_total, "AR - Insurance moved by {moved}");
    let t = Instant::now();
    for file in &files {
        assert!(app.import_remittance(&biller, file).await.unwrap().duplicate);
    }
    let took_again = t.elapsed();

    let rate = rows.len() as f64 / took.as_secs_f64();
    println!(
        "remittance posting, {backend}: {} claims in {} 835 files of {per_file} claims ({size_kb:.0} KB), paid {}",
        rows.len(),
        files.len(),
        dollars(paid_total)
    );
    println!("| figure | value |");
    println!("|---|---|");
    println!("| import and posting of every file (`App::import_remittance`, one after another) | {:.2} s |", took.as_secs_f64());
    println!("| claims posted per second | {rate:.0} |");
    println!("| the same files again (duplicates, nothing posted) | {:.2} s |", took_again.as_secs_f64());
    println!("| AR - Insurance moved / patients' share moved on to secondary payers | {} / {} |", dollars(moved), dollars(to_secondary));
}
