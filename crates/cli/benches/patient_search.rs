//! Patient search at scale: p50/p99 of the front desk's searches on a generated practice.
//!
//! `cargo bench -p medoffice --bench patient_search -- [--patients N] [--queries Q] [--database-url URL]`
//!
//! The practice is generated once per size and database (SQLite under `target/bench-data/`, or the
//! PostgreSQL database given, which must be empty or hold an earlier run's practice of that size) and
//! reused. Each query runs through the same use case as the UI and API (`App::search_patients`,
//! audit record included). Figures are reported, never asserted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use medoffice_app::{App, Config};
use medoffice_store::Store;
use medoffice_store::blobs::FileBlobStore;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let patients: usize = arg("--patients").and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let queries: usize = arg("--queries").and_then(|v| v.parse().ok()).unwrap_or(2000);
    let data_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/bench-data/search-{patients}"));
    std::fs::create_dir_all(&data_dir).unwrap();
    let url = arg("--database-url").unwrap_or_else(|| format!("sqlite://{}", data_dir.join("medoffice.db").display()));
    let backend = if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    let store = Store::connect(&url).await.unwrap();
    let app = App::new(store, FileBlobStore::new(data_dir.join("blobs")), Config::default());

    if !app.has_practice().await.unwrap() {
        eprintln!("generating {patients} patients ({backend}); this is done once per size");
        let started = Instant::now();
        app.seed_practice("Bench Practice", patients, "bench-password-1").await.unwrap();
        eprintln!("generated in {:.1} s", started.elapsed().as_secs_f64());
    }
    let login = app.login("frontdesk", "bench-password-1", Some("127.0.0.1".into()), None).await.unwrap();
    let actor = login.actor;

    // What the front desk types: partial family names, "family given" pairs, misspellings,
    // birth dates, phone fragments and MRNs, drawn from the generator's own name lists.
    let families = ["smi", "johnson", "garc", "nguyen", "o'brien", "kowal", "schmidt", "pat", "will", "rodriguez"];
    let givens = ["mar", "james", "jen", "rob", "eliz", "dav", "sar", "mich"];
    let misspelt = ["jonson", "smyth", "garsia", "kowalsky", "shmidt", "tompson"];
    const KINDS: [&str; 6] = ["partial family name", "family + given", "misspelt name", "birth date", "phone fragment", "MRN"];
    let mut texts: Vec<(usize, String)> = Vec::with_capacity(queries);
    for i in 0..queries {
        let t = match i % 6 {
            0 => families[i % families.len()].to_string(),
            1 => format!("{} {}", families[i % families.len()], givens[i % givens.len()]),
            2 => misspelt[i % misspelt.len()].to_string(),
            3 => format!("{}/{}/{}", 1 + i % 12, 1 + i % 28, 1940 + i % 80),
            4 => format!("518{:03}", 200 + i % 700),
            _ => medoffice_domain::patients::mrn_from_sequence((i * 7919 % patients.max(1)) as u64 + 1),
        };
        texts.push((i % 6, t));
    }
    // Warm up the caches once, then measure.
    for (_, t) in texts.iter().take(100) {
        app.search_patients(&actor, t).await.unwrap();
    }
    let mut times = Vec::with_capacity(queries);
    let mut by_kind: Vec<Vec<Duration>> = vec![Vec::new(); KINDS.len()];
    let mut results = 0usize;
    let started = Instant::now();
    for (kind, t) in &texts {
        let s = Instant::now();
        results += app.search_patients(&actor, t).await.unwrap().len();
        let took = s.elapsed();
        times.push(took);
        by_kind[*kind].push(took);
    }
    let total = started.elapsed();
    times.sort();
    println!("| figure | {backend} |");
    println!("|---|---|");
    println!("| patients | {patients} |");
    println!("| queries (mixed: names, pairs, misspellings, birth dates, phones, MRNs) | {queries} |");
    println!("| search p50 (ms) | {} |", ms(percentile(&times, 0.50)));
    println!("| search p99 (ms) | {} |", ms(percentile(&times, 0.99)));
    println!("| search max (ms) | {} |", ms(*times.last().unwrap()));
    println!("| searches per second, one client | {:.0} |", queries as f64 / total.as_secs_f64());
    println!("| mean results per search | {:.1} |", results as f64 / queries as f64);
    for (kind, mut t) in by_kind.into_iter().enumerate() {
        if t.is_empty() {
            continue;
        }
        t.sort();
        println!("| {}: p50 / p99 (ms) | {} / {} |", KINDS[kind], ms(percentile(&t, 0.50)), ms(percentile(&t, 0.99)));
    }
}
