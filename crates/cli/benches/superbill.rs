//! The superbill: how much of "code a visit in under a minute" is the program's. A coder at the
//! superbill makes a handful of requests per visit; this times each of them through the use cases
//! the pages call, on the whole ICD-10-CM and a practice of generated patients, so the figure is
//! the server's share of the minute (the rest is the coder reading the note and typing).
//!
//! `cargo bench -p medoffice --bench superbill -- [--patients N] [--visits V] [--database-url URL]`
//!
//! Set-up (a fresh SQLite database under `target/bench-data/superbill-N/`, or the PostgreSQL
//! database given, emptied first): the generated practice of `seed_practice` (N patients with
//! coverages, the demo's CPT/HCPCS codes and fees), ICD-10-CM loaded whole. The clock is fixed.
//!
//! Then, as the biller, for each of V visits (a patient drawn from the practice; about one in four
//! seen before, so their recent diagnoses are offered):
//! 1. the superbill opens: the patient's recent diagnoses (`recent_diagnoses`);
//! 2. two diagnosis look-ups as typed: by code (`J02`) and by words (`strep throat` style:
//!    `pharyngitis acute`), billable codes on the date of service only;
//! 3. a procedure look-up (`992`);
//! 4. the superbill saved: two diagnoses, an office visit and a test with pointers
//!    (`open_encounter`, which validates every code against the code sets);
//! 5. the charges posted: the journal entry and the draft claim, scrubbed (`post_charges`).
//!
//! Each step's p50 and p95 and the visit's total are printed. Figures are reported, never asserted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{FixedClock, Rng, arg, ensure_postgres_database, ms, num, percentile};

use chrono::{TimeZone, Utc};
use medoffice_app::code_sets::{DiagnosisSearch, ProcedureSearch};
use medoffice_app::encounters::{EncounterInput, LineInput};
use medoffice_app::{Actor, App, Config};
use medoffice_store::Store;
use medoffice_store::blobs::FileBlobStore;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "bench-password-1";
const STEPS: [&str; 6] = [
    "recent diagnoses offered",
    "diagnosis by code `J02`",
    "diagnosis by words `pharyngitis acute`",
    "procedure by code `992`",
    "superbill saved (2 dx, 2 lines)",
    "charges posted (entry + draft claim)",
];

/// A visit's coding: diagnoses, and lines as (procedure code, pointers).
type Coding = (&'static [&'static str], &'static [(&'static str, &'static str)]);

const CODINGS: [Coding; 4] = [
    (&["J02.9", "R50.9"], &[("99213", "1 2"), ("87880", "1")]),
    (&["E11.9", "I10"], &[("99214", "1 2"), ("83036", "1")]),
    (&["J06.9", "R05.9"], &[("99213", "1 2"), ("87804", "1")]),
    (&["Z00.00", "E78.5"], &[("99396", "1"), ("80053", "2")]),
];

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let patients = num("--patients", 2_000).max(10);
    let visits = num("--visits", 200).max(1);
    let data_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/bench-data/superbill-{patients}"));
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

    let started = Instant::now();
    app.seed_practice("Bench Superbill Practice", patients, PASSWORD).await.unwrap();
    let load = app.ensure_icd10cm_loaded().await.unwrap();
    eprintln!("set-up: {patients} patients, ICD-10-CM {} codes, in {:.1} s", load.rows, started.elapsed().as_secs_f64());

    let biller: Actor = app.login("biller", PASSWORD, Some("127.0.0.1".into()), None).await.unwrap().actor;
    let providers = app.list_providers(&biller).await.unwrap();
    let practice_id = biller.practice_id.clone();
    let patient_ids: Vec<String> = sqlx::query_as::<_, (String,)>("SELECT id FROM patient WHERE practice_id = $1 ORDER BY id")
        .bind(&practice_id)
        .fetch_all(app.store.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|(id,)| id)
        .collect();

    let mut rng = Rng(20261128);
    let mut seen: Vec<String> = Vec::new();
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(visits); STEPS.len()];
    let mut totals = Vec::with_capacity(visits);
    let mut offered = 0usize;
    for visit in 0..visits {
        let patient = if !seen.is_empty() && rng.below(4) == 0 {
            seen[rng.below(seen.len())].clone()
        } else {
            patient_ids[rng.below(patient_ids.len())].clone()
        };
        seen.push(patient.clone());
        let (diagnoses, lines) = CODINGS[visit % CODINGS.len()];
        let mut step = 0;
        let mut took = Duration::ZERO;
        let mut time = |d: Duration, step: &mut usize| {
            times[*step].push(d);
            took += d;
            *step += 1;
        };

        let t = Instant::now();
        let recent = app.recent_diagnoses(&biller, &patient).await.unwrap();
        time(t.elapsed(), &mut step);
        offered += usize::from(!recent.is_empty());

        for q in ["J02", "pharyngitis acute"] {
            let t = Instant::now();
            let found = app
                .search_diagnoses(&biller, &DiagnosisSearch { q: q.into(), billable_only: true, on: String::new(), limit: 25 })
                .await
                .unwrap();
            time(t.elapsed(), &mut step);
            assert!(!found.is_empty(), "{q} finds codes");
        }

        let t = Instant::now();
        let found = app
            .search_procedures(&biller, &ProcedureSearch { q: "992".into(), code_set: String::new(), on: String::new(), limit: 25 })
            .await
            .unwrap();
        time(t.elapsed(), &mut step);
        assert!(!found.is_empty(), "992 finds office visits");

        let input = EncounterInput {
            patient_id: patient.clone(),
            rendering_provider_id: providers[visit % providers.len()].id.clone(),
            service_date: "2026-06-15".into(),
            diagnoses: diagnoses.iter().map(|d| (*d).to_string()).collect(),
            lines: lines
                .iter()
                .map(|(code, pointers)| LineInput { procedure_code: (*code).into(), pointers: (*pointers).into(), ..Default::default() })
                .collect(),
            ..Default::default()
        };
        let t = Instant::now();
        let encounter = app.open_encounter(&biller, &input).await.unwrap_or_else(|e| panic!("visit {visit}: {e}"));
        time(t.elapsed(), &mut step);

        let t = Instant::now();
        let posted = app.post_charges(&biller, &encounter.id).await.unwrap();
        time(t.elapsed(), &mut step);
        assert!(posted.total_cents > 0);
        totals.push(took);
    }

    println!("superbill, {backend}: {patients} patients, {visits} visits ({offered} offered recent diagnoses)");
    println!("| step | p50 | p95 |");
    println!("|---|---|---|");
    for (name, mut t) in STEPS.iter().zip(times) {
        t.sort();
        println!("| {name} | {} | {} |", ms(percentile(&t, 0.5)), ms(percentile(&t, 0.95)));
    }
    totals.sort();
    println!("| **a whole visit (server)** | {} | {} |", ms(percentile(&totals, 0.5)), ms(percentile(&totals, 0.95)));
}
