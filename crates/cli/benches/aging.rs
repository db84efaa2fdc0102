//! The AR aging report at scale: the report by patient (and by guarantor) over a million open
//! items of AR - Patients, timed through the same code as the page and the API.
//!
//! `cargo bench -p medoffice --bench aging -- [--items N] [--patients P] [--runs R] [--database-url URL]`
//!
//! Set-up, once per size and database and reused (SQLite under `target/bench-data/aging-N-P/`, or
//! the PostgreSQL database given, created when missing): the generated practice of `seed_practice`
//! (P patients, default 20,000), then N charges (default 1,000,000) on AR - Patients spread evenly
//! over the 365 days before the report's day (2026-06-15, a fixed clock), $20 to $300 each, and one
//! payment for every ten charges ($10 to $100), so credits are applied oldest-first as in a real
//! practice. A tenth of the patients name another patient as guarantor. They are written through
//! `store::ledger::insert_entries_in_bulk` (one entry per day and patient group, multi-row
//! inserts, 20,000 lines to a transaction), not through `App::post_entry`, so a million take a
//! couple of minutes rather than an hour.
//!
//! Then, R times each (p50 and slowest reported):
//! 1. reading the movements of 1110 (`store::receivables::movements_unsorted`, the one big query);
//! 2. computing the report from them (`aging_rows`: first-in-first-out per patient, the columns,
//!    the rows sorted by name);
//! 3. the whole use case `App::aging_report` by patient and by guarantor (authorization, every
//!    read, the control account's balance, the audit record), as the page calls it.
//!
//! The report must tie to the control account (the bench panics if it does not). Figures are
//! reported, never asserted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{FixedClock, Rng, arg, ensure_postgres_database, ms, num, percentile};

use chrono::{Days, NaiveDate, TimeZone, Utc};
use medoffice_app::aging_reports::{AgingBy, AgingInput, AgingInputs, aging_rows};
use medoffice_app::{Actor, App, Config};
use medoffice_domain::ledger::accounts;
use medoffice_store::blobs::FileBlobStore;
use medoffice_store::ledger::{self as store, EntryRow, LineRow};
use medoffice_store::receivables as receivables_store;
use medoffice_store::{Store, new_id, timestamp};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "bench-password-1";
const GENERATOR: &str = "bench-aging";
/// Lines written per transaction.
const BATCH_LINES: usize = 20_000;

/// One day of the generated journal: its date, its charges and its credits (patient id, cents).
type PlannedDay = (NaiveDate, Vec<(String, i64)>, Vec<(String, i64)>);
fn phase(name: &str) {
    eprintln!("{} {name}", Utc::now().format("%H:%M:%S"));
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let items = num("--items", 1_000_000).max(10);
    let patients = num("--patients", 20_000).max(2);
    let runs = num("--runs", 3).max(1);
    let data_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/bench-data/aging-{items}-{patients}"));
    std::fs::create_dir_all(&data_dir).unwrap();
    let url = arg("--database-url").unwrap_or_else(|| format!("sqlite://{}", data_dir.join("medoffice.db").display()));
    let backend = if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    if backend == "PostgreSQL" {
        ensure_postgres_database(&url).await;
    }
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
    let clock = FixedClock(Utc.with_ymd_and_hms(2026, 6, 15, 16, 0, 0).unwrap());
    let store = Store::connect(&url).await.unwrap();
    let app = App::new(store, FileBlobStore::new(data_dir.join("blobs")), Config::default()).with_clock(Arc::new(clock));

    let (generated,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM journal_entry WHERE posted_by = $1")
        .bind(GENERATOR)
        .fetch_one(app.store.pool())
        .await
        .unwrap_or((0,));
    if generated == 0 {
        let started = Instant::now();
        phase("generating the practice");
        app.seed_practice("Bench Aging Practice", patients, PASSWORD).await.unwrap();
        let seeded = started.elapsed();
        phase("writing the receivables");
        let t = Instant::now();
        let lines = generate(&app, items).await;
        eprintln!(
            "set-up: {patients} patients in {:.1} s, {items} charges and their payments ({lines} lines) in {:.1} s",
            seeded.as_secs_f64(),
            t.elapsed().as_secs_f64()
        );
        if backend == "PostgreSQL" {
            sqlx::query("ANALYZE").execute(app.store.pool()).await.unwrap();
        }
    } else {
        eprintln!("reusing the receivables of a previous run ({generated} generated entries)");
    }

    let biller: Actor = app.login("biller", PASSWORD, Some("127.0.0.1".into()), None).await.unwrap().actor;
    let practice_id = biller.practice_id.clone();
    let day = as_of.to_string();

    let mut read_times = Vec::new();
    let mut compute_times = Vec::new();
    let mut open_items = 0usize;
    let mut rows_count = 0usize;
    let mut movement_count = 0usize;
    for _ in 0..runs {
        let mut conn = app.store.pool().acquire().await.unwrap();
        let t = Instant::now();
        let rows = receivables_store::movements_unsorted(&mut conn, &practice_id, accounts::AR_PATIENTS, &day).await.unwrap();
        read_times.push(t.elapsed());
        movement_count = rows.len();
        let labels: HashMap<String, (String, String)> = receivables_store::patient_labels(&mut conn, &practice_id)
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.id, (format!("{}, {}", p.family_name, p.given_name), p.mrn)))
            .collect();
        let empty = HashMap::new();
        let t = Instant::now();
        let (report_rows, totals) = aging_rows(&AgingInputs {
            by: AgingBy::Patient,
            as_of,
            insurance: &[],
            patients: &rows,
            patient_labels: &labels,
            guarantors: &empty,
            claims: &HashMap::new(),
            payer_names: &empty,
            provider_names: &empty,
        });
        compute_times.push(t.elapsed());
        rows_count = report_rows.len();
        open_items = medoffice_app::receivables::group_open_items(&rows, |r| r.patient_id.clone().unwrap_or_default())
            .iter()
            .map(|(_, o)| o.items.len())
            .sum();
        let control = receivables_store::account_balance(&mut conn, &practice_id, accounts::AR_PATIENTS, &day).await.unwrap();
        assert_eq!(totals.total_cents, control, "the report ties to 1110");
    }

    let mut use_case = HashMap::new();
    for by in ["patient", "guarantor"] {
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let report = app.aging_report(&biller, &AgingInput { by: by.into(), as_of: day.clone() }).await.unwrap();
            times.push(t.elapsed());
            assert!(report.ties(), "by {by}: the report ties to the control account");
        }
        use_case.insert(by, times);
    }

    let summary = |mut t: Vec<Duration>| {
        t.sort();
        format!("{} / {}", ms(percentile(&t, 0.5)), ms(*t.last().unwrap()))
    };
    println!(
        "aging, {backend}: {movement_count} lines on 1110, {open_items} open items after first-in-first-out, {rows_count} patient rows, {runs} runs"
    );
    println!("| step | p50 / slowest (ms) |");
    println!("|---|---|");
    println!("| read the movements of 1110 (one query) | {} |", summary(read_times));
    println!("| compute the report (FIFO, columns, rows by name) | {} |", summary(compute_times));
    println!("| `App::aging_report` by patient (whole use case) | {} |", summary(use_case.remove("patient").unwrap()));
    println!("| `App::aging_report` by guarantor (whole use case) | {} |", summary(use_case.remove("guarantor").unwrap()));
}

/// Writes the charges and payments; returns the number of journal lines written.
async fn generate(app: &App, items: usize) -> usize {
    let mut conn = app.store.pool().acquire().await.unwrap();
    let (practice_id,): (String,) = sqlx::query_as("SELECT id FROM practice").fetch_one(&mut *conn).await.unwrap();
    let patients: Vec<String> = sqlx::query_as::<_, (String,)>("SELECT id FROM patient WHERE practice_id = $1 ORDER BY id")
        .bind(&practice_id)
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .into_iter()
        .map(|(id,)| id)
        .collect();
    drop(conn);
    let now = timestamp(app.now());
    let mut tx = app.store.begin().await.unwrap();
    medoffice_app::ledger::ensure_default_chart(&mut tx, &practice_id, &now).await.unwrap();
    let chart = store::list_accounts(&mut tx, &practice_id).await.unwrap();
    // A tenth of the patients name the patient before them as guarantor (never a guarantor's own).
    for pair in patients.chunks(10) {
        if let [guarantor, dependant, ..] = pair {
            medoffice_store::families::set_guarantor(
                &mut tx,
                &medoffice_store::families::GuarantorRow {
                    practice_id: practice_id.clone(),
                    patient_id: dependant.clone(),
                    guarantor_patient_id: guarantor.clone(),
                    set_by: GENERATOR.into(),
                    set_at: now.clone(),
                },
            )
            .await
            .unwrap();
        }
    }
    tx.commit().await.unwrap();
    let account = |number: &str| chart.iter().find(|a| a.number == number).unwrap().id.clone();
    let (ar, revenue, undeposited) =
        (account(accounts::AR_PATIENTS), account(accounts::PATIENT_SERVICE_REVENUE), account(accounts::UNDEPOSITED_FUNDS));

    // Each day: its share of the charges, and a payment for every ten, patients drawn at random.
    let days = 365usize;
    let first_day = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap() - Days::new(days as u64 - 1);
    let mut rng = Rng(0x000a_6196);
    let mut planned: Vec<PlannedDay> = Vec::with_capacity(days);
    for d in 0..days {
        let date = first_day + Days::new(d as u64);
        let count = items * (d + 1) / days - items * d / days;
        let charges = (0..count).map(|_| (patients[rng.below(patients.len())].clone(), rng.dollars(20, 300))).collect();
        let payments = (0..count / 10).map(|_| (patients[rng.below(patients.len())].clone(), rng.dollars(10, 100))).collect();
        planned.push((date, charges, payments));
    }
    let entries_per_day = 2 * items.div_ceil(days).div_ceil(200).max(1);
    let mut tx = app.store.begin().await.unwrap();
    let mut number = store::reserve_entry_numbers(&mut tx, &practice_id, (days * entries_per_day * 2) as i64).await.unwrap();
    tx.commit().await.unwrap();

    let mut batch: Vec<(EntryRow, Vec<LineRow>)> = Vec::new();
    let mut batch_lines = 0usize;
    let mut written = 0usize;
    for (date, charges, payments) in planned {
        let date_text = date.to_string();
        // Up to 200 patient lines an entry, and the balancing line.
        for (kind, lines, debit_side) in [("charges", charges, true), ("patient_payment", payments, false)] {
            for chunk in lines.chunks(200) {
                let total: i64 = chunk.iter().map(|(_, c)| c).sum();
                let entry = EntryRow {
                    practice_id: practice_id.clone(),
                    id: new_id(),
                    entry_number: number,
                    entry_date: date_text.clone(),
                    memo: if debit_side { "Charges (generated)".into() } else { "Patient payments (generated)".into() },
                    source_kind: kind.into(),
                    source_id: None,
                    idempotency_key: None,
                    reversal_of: None,
                    total_cents: total,
                    posted_by: GENERATOR.into(),
                    posted_at: now.clone(),
                };
                number += 1;
                let line = |n: usize, account_id: &str, debit: i64, credit: i64, patient: Option<&String>| LineRow {
                    practice_id: practice_id.clone(),
                    entry_id: entry.id.clone(),
                    line_number: n as i64,
                    account_id: account_id.to_string(),
                    entry_date: date_text.clone(),
                    debit_cents: debit,
                    credit_cents: credit,
                    memo: None,
                    patient_id: patient.cloned(),
                    payer_id: None,
                    vendor_id: None,
                    claim_id: None,
                };
                let mut rows = Vec::with_capacity(chunk.len() + 1);
                for (i, (patient, cents)) in chunk.iter().enumerate() {
                    rows.push(if debit_side {
                        line(i + 1, &ar, *cents, 0, Some(patient))
                    } else {
                        line(i + 1, &ar, 0, *cents, Some(patient))
                    });
                }
                let n = chunk.len() + 1;
                rows.push(if debit_side { line(n, &revenue, 0, total, None) } else { line(n, &undeposited, total, 0, None) });
                batch_lines += rows.len();
                batch.push((entry, rows));
                if batch_lines >= BATCH_LINES {
                    let mut tx = app.store.begin().await.unwrap();
                    store::insert_entries_in_bulk(&mut tx, &batch).await.unwrap();
                    tx.commit().await.unwrap();
                    written += batch_lines;
                    batch.clear();
                    batch_lines = 0;
                }
            }
        }
    }
    if !batch.is_empty() {
        let mut tx = app.store.begin().await.unwrap();
        store::insert_entries_in_bulk(&mut tx, &batch).await.unwrap();
        tx.commit().await.unwrap();
        written += batch_lines;
    }
    written
}
