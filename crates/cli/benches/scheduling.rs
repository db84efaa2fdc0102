//! Scheduling at scale: the next-open-slot search across 20 providers over 90 days with a year of
//! appointments booked (p50/p99), and bookings per second with and without contention.
//!
//! `cargo bench -p medoffice --bench scheduling -- [--patients N] [--queries Q] [--bookings B]
//!  [--clients K] [--racers R] [--rounds N] [--database-url URL]`
//!
//! Set-up, done once per database and reused (SQLite under `target/bench-data/scheduling-N/`, or
//! the PostgreSQL database given, created when missing): the generated practice of `generate`
//! (5 providers, patients, the demo's appointment types and template), 15 more providers with
//! varied weekly templates (four-day weeks, Saturdays, an admin block), two holidays, a vacation
//! week and a half day per provider, and a year of appointments for every provider (the past 275
//! days and the next 96, about 70% of each provider's working time booked, 15 to 60 minutes),
//! written straight through the store in one transaction. The clock is fixed (Monday 2026-06-15,
//! 07:00 in the practice's time zone), so the data and every search are the same on every run.
//!
//! Then, through the same use cases as the UI and API, as the front desk:
//! 1. `App::search_open_slots`: any provider or one, 90 days, morning/afternoon, 20 results;
//! 2. `App::book_appointment`: one client booking free times one after another; K clients on
//!    distinct free times at once; K clients racing, R of them for each time, in lock-step rounds
//!    (one wins, the others get `AppError::Conflict`).
//!
//! The bookings of a run are deleted at the start of the next one (they carry a note), so every
//! run measures the same calendar. The run ends with a SQL check that no two occupying,
//! non-overbook appointments of one provider overlap anywhere; it panics if any do. Figures are
//! reported, never asserted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{FixedClock, Rng, arg, ensure_postgres_database, ms, num, percentile};

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use medoffice_app::rescheduling::SlotSearch;
use medoffice_app::scheduling::NewAppointment;
use medoffice_app::{Actor, App, AppError, Config};
use medoffice_domain::identifiers::npi_from_base;
use medoffice_store::blobs::FileBlobStore;
use medoffice_store::practice::{self, ProviderRow};
use medoffice_store::scheduling::{self as sched, AppointmentRow, ExceptionRow, HolidayRow, TemplateEntryRow, local_text, minute_of};
use medoffice_store::{Store, new_id, timestamp};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

const PASSWORD: &str = "bench-password-1";
/// The note every booking of the booking phases carries, so the next run can remove them.
const BENCH_NOTE: &str = "bench booking";
const PROVIDERS: usize = 20;
const PAST_DAYS: u64 = 275;
/// Days booked from today on: the 90 searched, plus the week the search's start date moves.
const FUTURE_DAYS: u64 = 96;
const BOOKED_SHARE: f64 = 0.70;
const OCCUPYING: &str = "('scheduled', 'confirmed', 'arrived', 'in_room', 'checked_out', 'completed')";

/// Monday 2026-06-15, 07:00 in New York: before the first appointment of the day.
/// A weekly template: (ISO weekday, start minute, end minute, `work` or `block`).
fn template_of(pattern: usize) -> Vec<(i64, i64, i64, &'static str)> {
    let mut entries = Vec::new();
    match pattern % 4 {
        // The demo's: Monday to Friday, 08:00-12:00 and 13:00-17:00.
        0 => {
            for d in 1..=5 {
                entries.push((d, 480, 720, "work"));
                entries.push((d, 780, 1020, "work"));
            }
        }
        // A four-day week: Monday to Thursday, 07:30-12:00 and 12:30-16:30.
        1 => {
            for d in 1..=4 {
                entries.push((d, 450, 720, "work"));
                entries.push((d, 750, 990, "work"));
            }
        }
        // Late hours with an admin block on Wednesday afternoon: 09:00-13:00, 14:00-18:00.
        2 => {
            for d in 1..=5 {
                entries.push((d, 540, 780, "work"));
                entries.push((d, 840, 1080, "work"));
            }
            entries.push((3, 960, 1080, "block"));
        }
        // Tuesday to Saturday, 08:00-12:00 and 13:00-16:00.
        _ => {
            for d in 2..=6 {
                entries.push((d, 480, 720, "work"));
                entries.push((d, 780, 960, "work"));
            }
        }
    }
    entries
}

/// Working ranges of one weekday: work entries minus blocks.
fn working_ranges(template: &[TemplateEntryRow], weekday: i64) -> Vec<(i64, i64)> {
    let mut ranges: Vec<(i64, i64)> =
        template.iter().filter(|e| e.weekday == weekday && e.kind == "work").map(|e| (e.start_minute, e.end_minute)).collect();
    for block in template.iter().filter(|e| e.weekday == weekday && e.kind == "block") {
        ranges = ranges
            .into_iter()
            .flat_map(|(s, e)| {
                if block.end_minute <= s || block.start_minute >= e {
                    return vec![(s, e)];
                }
                let mut parts = Vec::new();
                if s < block.start_minute {
                    parts.push((s, block.start_minute));
                }
                if e > block.end_minute {
                    parts.push((block.end_minute, e));
                }
                parts
            })
            .collect();
    }
    ranges.sort();
    ranges
}

struct Setup {
    practice_id: String,
    providers: Vec<ProviderRow>,
    patients: Vec<String>,
}

/// The practice, 20 providers with templates, holidays, exceptions and a year of appointments;
/// each step skipped when an earlier run did it.
async fn set_up(app: &App, patients: usize, today: NaiveDate) -> Setup {
    if !app.has_practice().await.unwrap() {
        eprintln!("generating the practice ({patients} patients)");
        let started = Instant::now();
        app.seed_practice("Bench Scheduling Practice", patients, PASSWORD).await.unwrap();
        eprintln!("generated in {:.1} s", started.elapsed().as_secs_f64());
    }
    let practice_id = {
        let mut conn = app.store.pool().acquire().await.unwrap();
        practice::list(&mut conn).await.unwrap().into_iter().next().unwrap().id
    };
    let now = timestamp(app.now());

    // 15 more providers, their templates and the types linked to all 20, in one transaction.
    let mut tx = app.store.begin().await.unwrap();
    let mut providers = practice::list_providers(&mut tx, &practice_id).await.unwrap();
    if providers.len() < PROVIDERS {
        assert_eq!(providers.len(), 5, "the generated practice has 5 providers; start from an empty database");
        let location = sched::list_locations(&mut tx, &practice_id).await.unwrap().into_iter().next().unwrap();
        let families = [
            "Abbott",
            "Baptiste",
            "Chen",
            "Delgado",
            "Eriksen",
            "Fofana",
            "Gupta",
            "Hoffman",
            "Ito",
            "Jaramillo",
            "Kaur",
            "Lindqvist",
            "Mensah",
            "Novak",
            "Oduya",
        ];
        let colours = ["#7c3aed", "#db2777", "#0891b2", "#65a30d", "#ea580c"];
        for (i, family) in families.iter().enumerate() {
            let id = new_id();
            practice::insert_provider(
                &mut tx,
                &ProviderRow {
                    practice_id: practice_id.clone(),
                    id: id.clone(),
                    family_name: family.to_string(),
                    given_name: "Sam".into(),
                    credentials: Some(if i % 3 == 0 { "NP" } else { "MD" }.into()),
                    npi: npi_from_base(145_000_000 + i as u32 * 7_919),
                    specialty: Some("Family Medicine".into()),
                    colour: colours[i % colours.len()].into(),
                    user_id: None,
                    created_at: now.clone(),
                    taxonomy_code: None,
                },
            )
            .await
            .unwrap();
            for (weekday, start_minute, end_minute, kind) in template_of(i + 1) {
                sched::insert_template_entry(
                    &mut tx,
                    &TemplateEntryRow {
                        practice_id: practice_id.clone(),
                        id: new_id(),
                        provider_id: id.clone(),
                        location_id: location.id.clone(),
                        weekday,
                        start_minute,
                        end_minute,
                        kind: kind.into(),
                        reason: (kind == "block").then(|| "Admin time".into()),
                        allowed_type_ids: None,
                        allow_overbook: 0,
                        created_at: now.clone(),
                    },
                )
                .await
                .unwrap();
            }
        }
        providers = practice::list_providers(&mut tx, &practice_id).await.unwrap();
        let ids: Vec<String> = providers.iter().map(|p| p.id.clone()).collect();
        for t in sched::list_appointment_types(&mut tx, &practice_id).await.unwrap() {
            medoffice_store::schedule_setup::update_appointment_type(&mut tx, &t.appointment_type, &ids).await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    assert_eq!(providers.len(), PROVIDERS);

    let patient_ids: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM patient WHERE practice_id = $1 AND merged_into IS NULL ORDER BY id LIMIT 200000")
            .bind(&practice_id)
            .fetch_all(app.store.pool())
            .await
            .unwrap();
    let patient_ids: Vec<String> = patient_ids.into_iter().map(|(id,)| id).collect();
    let (booked,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointment WHERE practice_id = $1")
        .bind(&practice_id)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    if booked == 0 {
        book_a_year(app, &practice_id, &providers, &patient_ids, today, &now).await;
    }
    Setup { practice_id, providers, patients: patient_ids }
}

/// Holidays, a vacation week and a half day per provider, and the year of appointments, written
/// through the store in one transaction.
async fn book_a_year(app: &App, practice_id: &str, providers: &[ProviderRow], patients: &[String], today: NaiveDate, now: &str) {
    let started = Instant::now();
    let mut rng = Rng(20_261_128);
    let mut tx = app.store.begin().await.unwrap();
    let location = sched::list_locations(&mut tx, practice_id).await.unwrap().into_iter().next().unwrap();
    let types = sched::list_appointment_types(&mut tx, practice_id).await.unwrap();
    let type_id = |name: &str| types.iter().find(|t| t.appointment_type.name == name).unwrap().appointment_type.id.clone();
    let (office, physical, new_patient) = (type_id("Office visit"), type_id("Annual physical"), type_id("New patient visit"));

    let first = today - Days::new(PAST_DAYS);
    let last = today + Days::new(FUTURE_DAYS - 1);
    // Two holidays in the searched window and two in the past.
    let holidays = [
        ("2026-07-03", "Independence Day (observed)"),
        ("2026-09-07", "Labor Day"),
        ("2025-11-27", "Thanksgiving"),
        ("2025-12-25", "Christmas Day"),
    ];
    for (date, name) in holidays {
        sched::insert_holiday(
            &mut tx,
            &HolidayRow { practice_id: practice_id.into(), date: date.into(), name: name.into(), created_at: now.into() },
        )
        .await
        .unwrap();
    }
    let holiday_dates: Vec<NaiveDate> = holidays.iter().map(|(d, _)| d.parse().unwrap()).collect();

    let mut rows = 0usize;
    let mut booked_minutes = 0i64;
    let mut working_minutes = 0i64;
    for (p, provider) in providers.iter().enumerate() {
        let template = sched::list_template_entries(&mut tx, practice_id, &provider.id).await.unwrap();
        // A vacation week (closed) and a half day (08:00-12:00 only), both in the searched window.
        let vacation_start = today + Days::new(14 + (p as u64 * 3) % 60);
        let half_day = today + Days::new(5 + (p as u64 * 7) % 80);
        let mut closed = Vec::new();
        for d in 0..7 {
            let date = vacation_start + Days::new(d);
            if date == half_day {
                continue;
            }
            closed.push(date);
            sched::insert_exception(
                &mut tx,
                &ExceptionRow {
                    practice_id: practice_id.into(),
                    id: new_id(),
                    provider_id: provider.id.clone(),
                    date: date.to_string(),
                    kind: "closed".into(),
                    location_id: None,
                    ranges: None,
                    reason: Some("Vacation".into()),
                    created_at: now.into(),
                },
            )
            .await
            .unwrap();
        }
        sched::insert_exception(
            &mut tx,
            &ExceptionRow {
                practice_id: practice_id.into(),
                id: new_id(),
                provider_id: provider.id.clone(),
                date: half_day.to_string(),
                kind: "replace_hours".into(),
                location_id: Some(location.id.clone()),
                ranges: Some("480-720".into()),
                reason: Some("Half day".into()),
                created_at: now.into(),
            },
        )
        .await
        .unwrap();

        let mut date = first;
        while date <= last {
            let ranges = if holiday_dates.contains(&date) || closed.contains(&date) {
                Vec::new()
            } else if date == half_day {
                vec![(480, 720)]
            } else {
                working_ranges(&template, i64::from(date.weekday().number_from_monday()))
            };
            for (start, end) in ranges {
                working_minutes += end - start;
                let mut cursor = start;
                loop {
                    let fitting: Vec<i64> = [15, 20, 20, 20, 30, 40, 40, 60].into_iter().filter(|l| cursor + l <= end).collect();
                    if fitting.is_empty() {
                        break;
                    }
                    let length = fitting[rng.below(fitting.len())];
                    let take = rng.unit() < BOOKED_SHARE;
                    let future = date >= today;
                    // A free gap in the future is sometimes a cancelled appointment's time.
                    let cancelled_gap = !take && future && rng.unit() < 0.10;
                    if take || cancelled_gap {
                        let status = if cancelled_gap {
                            "cancelled"
                        } else if future {
                            if date <= today + Days::new(2) && rng.unit() < 0.6 { "confirmed" } else { "scheduled" }
                        } else {
                            match rng.below(100) {
                                0..=3 => "no_show",
                                4..=9 => "cancelled",
                                _ => "completed",
                            }
                        };
                        let type_id = match length {
                            40 if rng.below(3) == 0 => &new_patient,
                            40 => &physical,
                            _ => &office,
                        };
                        let s = date.and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::minutes(cursor);
                        let e = s + chrono::Duration::minutes(length);
                        let is_cancelled = status == "cancelled";
                        sched::insert_appointment(
                            &mut tx,
                            &AppointmentRow {
                                practice_id: practice_id.into(),
                                id: new_id(),
                                patient_id: patients[rng.below(patients.len())].clone(),
                                provider_id: provider.id.clone(),
                                location_id: location.id.clone(),
                                appointment_type_id: type_id.clone(),
                                start_at: local_text(s),
                                end_at: local_text(e),
                                start_minute: minute_of(s),
                                end_minute: minute_of(e),
                                status: status.into(),
                                overbook: 0,
                                cancel_reason: is_cancelled.then(|| "patient called".into()),
                                cancelled_by: is_cancelled.then(|| "patient".into()),
                                rescheduled_to: None,
                                notes: None,
                                version: 1,
                                created_at: now.into(),
                                updated_at: now.into(),
                                series_id: None,
                                rescheduled_from: None,
                                room_id: None,
                            },
                        )
                        .await
                        .unwrap();
                        rows += 1;
                        if take {
                            booked_minutes += length;
                        }
                    }
                    cursor += length;
                }
            }
            date = date + Days::new(1);
        }
        eprintln!("  provider {}/{}: {rows} appointments so far", p + 1, providers.len());
    }
    tx.commit().await.unwrap();
    eprintln!(
        "booked a year: {rows} appointments, {:.1}% of working time, in {:.1} s",
        100.0 * booked_minutes as f64 / working_minutes.max(1) as f64,
        started.elapsed().as_secs_f64()
    );
}

/// Removes the bookings of an earlier run (and their history), so each run sees the same calendar.
async fn remove_earlier_bookings(app: &App, practice_id: &str) -> u64 {
    let mut tx = app.store.begin().await.unwrap();
    sqlx::query(
        "DELETE FROM appointment_event WHERE practice_id = $1 AND appointment_id IN \
         (SELECT id FROM appointment WHERE practice_id = $1 AND notes = $2)",
    )
    .bind(practice_id)
    .bind(BENCH_NOTE)
    .execute(&mut *tx)
    .await
    .unwrap();
    let done = sqlx::query("DELETE FROM appointment WHERE practice_id = $1 AND notes = $2")
        .bind(practice_id)
        .bind(BENCH_NOTE)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    done.rows_affected()
}

/// Occupying, non-overbook appointments that overlap an earlier-starting one of the same provider,
/// in the whole book (zero exactly when no two overlap). A window over each provider's
/// appointments by start, so the check does not depend on the planner (n log n, not n²).
async fn overlapping_appointments(app: &App, practice_id: &str) -> i64 {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT start_minute, MAX(end_minute) OVER (PARTITION BY provider_id ORDER BY start_minute, id \
         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_end \
         FROM appointment WHERE practice_id = $1 AND overbook = 0 AND status IN {OCCUPYING}) t \
         WHERE earlier_end > start_minute"
    );
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(practice_id).fetch_one(app.store.pool()).await.unwrap();
    n
}

/// A free time to book.
#[derive(Clone)]
struct Target {
    provider_id: String,
    start: String,
}

/// Free office-visit times in the searched window, none overlapping another, found with the slot
/// search (one provider at a time, moving the start date) before anything is timed.
async fn free_targets(app: &App, actor: &Actor, providers: &[ProviderRow], today: NaiveDate, wanted: usize) -> Vec<Target> {
    let mut per_provider: Vec<Vec<Target>> = vec![Vec::new(); providers.len()];
    let mut total = 0;
    'outer: for offset in (1..88u64).step_by(4) {
        for (p, provider) in providers.iter().enumerate() {
            let from = today + Days::new(offset);
            let search = SlotSearch {
                provider_id: provider.id.clone(),
                from: from.to_string(),
                to: (from + Days::new(3)).to_string(),
                max_results: "50".into(),
                ..Default::default()
            };
            let mut last_end: Option<DateTime<chrono::FixedOffset>> = None;
            for slot in app.search_open_slots(actor, &search).await.unwrap() {
                let start = DateTime::parse_from_rfc3339(&slot.start).unwrap();
                if last_end.is_some_and(|end| start < end) {
                    continue;
                }
                last_end = Some(DateTime::parse_from_rfc3339(&slot.end).unwrap());
                per_provider[p].push(Target { provider_id: slot.provider_id, start: slot.start });
                total += 1;
            }
            if total >= wanted {
                break 'outer;
            }
        }
    }
    // Interleave the providers, so consecutive bookings go to different calendars.
    let mut out = Vec::with_capacity(total);
    let mut i = 0;
    while out.len() < total {
        for list in &per_provider {
            if let Some(t) = list.get(i) {
                out.push(t.clone());
            }
        }
        i += 1;
    }
    assert!(out.len() >= wanted, "found only {} free times, {wanted} needed", out.len());
    out.truncate(wanted);
    out
}

fn booking(target: &Target, patient: &str) -> NewAppointment {
    NewAppointment {
        patient_id: patient.to_string(),
        provider_id: target.provider_id.clone(),
        start: target.start.clone(),
        notes: BENCH_NOTE.into(),
        ..Default::default()
    }
}

/// What happened to a set of booking attempts.
#[derive(Default)]
struct Outcome {
    booked: usize,
    conflicts: usize,
    other_errors: usize,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Outcome {
    fn record(&mut self, result: &Result<medoffice_app::views::AppointmentView, AppError>, took: Duration) {
        self.latencies.push(took);
        match result {
            Ok(_) => self.booked += 1,
            Err(AppError::Conflict(_)) => self.conflicts += 1,
            Err(e) => {
                self.other_errors += 1;
                eprintln!("booking failed: {e}");
            }
        }
    }

    fn attempts(&self) -> usize {
        self.latencies.len()
    }
}

/// `clients` tasks, each booking its share of `targets` one after another, all at once.
async fn book_concurrently(app: &App, actor: &Actor, targets: &[Target], patients: &[String], clients: usize) -> Outcome {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let mine: Vec<Target> = targets.iter().skip(c).step_by(clients).cloned().collect();
        let (app, actor, patients) = (app.clone(), actor.clone(), patients.to_vec());
        tasks.push(tokio::spawn(async move {
            let mut out = Outcome::default();
            for (i, t) in mine.iter().enumerate() {
                let s = Instant::now();
                let r = app.book_appointment(&actor, &booking(t, &patients[(c * 7919 + i * 31) % patients.len()])).await;
                out.record(&r, s.elapsed());
            }
            out
        }));
    }
    let mut all = Outcome::default();
    for t in tasks {
        let o = t.await.unwrap();
        all.booked += o.booked;
        all.conflicts += o.conflicts;
        all.other_errors += o.other_errors;
        all.latencies.extend(o.latencies);
    }
    all.elapsed = started.elapsed();
    all
}

/// `clients` tasks in lock-step rounds; each round `clients / racers` free times, each wanted by
/// `racers` clients at the same instant. Answers the outcome and the most winners any time had.
async fn race(app: &App, actor: &Actor, targets: &[Target], patients: &[String], clients: usize, racers: usize) -> (Outcome, usize) {
    let per_round = clients / racers;
    let rounds = targets.len() / per_round;
    let barrier = Arc::new(Barrier::new(clients));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (app, actor, patients, barrier) = (app.clone(), actor.clone(), patients.to_vec(), barrier.clone());
        let targets = targets.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut out = Outcome::default();
            let mut won = Vec::new();
            for round in 0..rounds {
                let slot = round * per_round + c % per_round;
                barrier.wait().await;
                let s = Instant::now();
                let r =
                    app.book_appointment(&actor, &booking(&targets[slot], &patients[(c * 104_729 + round * 13) % patients.len()])).await;
                out.record(&r, s.elapsed());
                if r.is_ok() {
                    won.push(slot);
                }
            }
            (out, won)
        }));
    }
    let mut all = Outcome::default();
    let mut winners: HashMap<usize, usize> = HashMap::new();
    for t in tasks {
        let (o, won) = t.await.unwrap();
        all.booked += o.booked;
        all.conflicts += o.conflicts;
        all.other_errors += o.other_errors;
        all.latencies.extend(o.latencies);
        for slot in won {
            *winners.entry(slot).or_default() += 1;
        }
    }
    all.elapsed = started.elapsed();
    (all, winners.values().copied().max().unwrap_or(0))
}

/// Marks the start of a phase on stderr with the wall-clock time, to match against what else ran.
fn phase(name: &str) {
    eprintln!("{} {name}", Utc::now().format("%H:%M:%S"));
}

fn print_bookings(label: &str, o: &mut Outcome) {
    o.latencies.sort();
    let secs = o.elapsed.as_secs_f64();
    println!("| {label}: successful bookings per second | {:.1} |", o.booked as f64 / secs);
    println!("| {label}: attempts per second | {:.1} |", o.attempts() as f64 / secs);
    println!(
        "| {label}: attempts / booked / conflicts / other errors | {} / {} / {} / {} |",
        o.attempts(),
        o.booked,
        o.conflicts,
        o.other_errors
    );
    println!(
        "| {label}: attempt latency p50 / p99 / max (ms) | {} / {} / {} |",
        ms(percentile(&o.latencies, 0.50)),
        ms(percentile(&o.latencies, 0.99)),
        ms(*o.latencies.last().unwrap())
    );
    let slow = o.latencies.iter().filter(|l| **l >= Duration::from_millis(500)).count();
    println!("| {label}: attempts that took 0.5 s or more | {slow} |");
}

#[tokio::main]
async fn main() {
    let patients: usize = num("--patients", 5_000);
    let queries = num("--queries", 500);
    let bookings = num("--bookings", 300);
    let clients = num("--clients", 8).max(1);
    let racers = num("--racers", 4).clamp(1, clients);
    let rounds = num("--rounds", 100);
    let data_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/bench-data/scheduling-{patients}"));
    std::fs::create_dir_all(&data_dir).unwrap();
    let url = arg("--database-url").unwrap_or_else(|| format!("sqlite://{}", data_dir.join("medoffice.db").display()));
    let backend = if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    if backend == "PostgreSQL" {
        ensure_postgres_database(&url).await;
    }
    let clock = FixedClock(Utc.with_ymd_and_hms(2026, 6, 15, 11, 0, 0).unwrap());
    let store = Store::connect(&url).await.unwrap();
    let app = App::new(store, FileBlobStore::new(data_dir.join("blobs")), Config::default()).with_clock(Arc::new(clock));

    let started = Instant::now();
    let today = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
    let setup = set_up(&app, patients, today).await;
    let removed = remove_earlier_bookings(&app, &setup.practice_id).await;
    if backend == "PostgreSQL" {
        // Fresh statistics after the bulk load, as autovacuum would have them in a running practice.
        sqlx::query("ANALYZE").execute(app.store.pool()).await.unwrap();
    }
    eprintln!("set-up ready in {:.1} s ({removed} bookings of an earlier run removed)", started.elapsed().as_secs_f64());
    let actor = app.login("frontdesk", PASSWORD, Some("127.0.0.1".into()), None).await.unwrap().actor;
    assert_eq!(actor.today(app.now()), today);
    let (appointments,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointment WHERE practice_id = $1")
        .bind(&setup.practice_id)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let (searched_window,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM appointment WHERE practice_id = $1 AND start_minute >= $2 AND start_minute < $3 AND status IN {OCCUPYING}"
    )))
    .bind(&setup.practice_id)
    .bind(minute_of(today.and_hms_opt(0, 0, 0).unwrap()))
    .bind(minute_of((today + Days::new(90)).and_hms_opt(0, 0, 0).unwrap()))
    .fetch_one(app.store.pool())
    .await
    .unwrap();

    phase("searches");
    // 1. The next-open-slot search.
    const KINDS: [&str; 6] = [
        "any provider, office visit (20 min)",
        "any provider, annual physical (40 min)",
        "any provider, office visit, morning",
        "any provider, office visit, afternoon",
        "one provider, office visit",
        "one provider, 60 minutes",
    ];
    let searches: Vec<(usize, SlotSearch)> = (0..queries)
        .map(|i| {
            let kind = i % KINDS.len();
            // The start date moves over the first week; the range is always 90 days.
            let from = today + Days::new((i / KINDS.len() % 7) as u64);
            let provider = &setup.providers[(i * 7) % setup.providers.len()];
            let search = SlotSearch {
                provider_id: if kind >= 4 { provider.id.clone() } else { String::new() },
                appointment_type: if kind == 1 { "Annual physical".into() } else { String::new() },
                from: from.to_string(),
                to: (from + Days::new(89)).to_string(),
                part_of_day: match kind {
                    2 => "morning".into(),
                    3 => "afternoon".into(),
                    _ => String::new(),
                },
                duration_minutes: if kind == 5 { "60".into() } else { String::new() },
                max_results: "20".into(),
            };
            (kind, search)
        })
        .collect();
    for (_, s) in searches.iter().take(20) {
        app.search_open_slots(&actor, s).await.unwrap();
    }
    let mut times = Vec::with_capacity(queries);
    let mut by_kind: Vec<Vec<Duration>> = vec![Vec::new(); KINDS.len()];
    let mut results = 0usize;
    let search_started = Instant::now();
    for (kind, s) in &searches {
        let t = Instant::now();
        results += app.search_open_slots(&actor, s).await.unwrap().len();
        let took = t.elapsed();
        times.push(took);
        by_kind[*kind].push(took);
    }
    let search_total = search_started.elapsed();
    times.sort();

    // 2. Bookings: the free times are found first (not timed).
    let distinct = clients * bookings.div_ceil(clients).max(1);
    let per_round = (clients / racers).max(1);
    let all = free_targets(&app, &actor, &setup.providers, today, bookings + distinct + rounds * per_round).await;
    let (one_by_one, rest) = all.split_at(bookings);
    let (parallel, racing) = rest.split_at(distinct);

    phase("bookings, one client");
    let mut sequential = Outcome::default();
    let t = Instant::now();
    for (i, target) in one_by_one.iter().enumerate() {
        let s = Instant::now();
        let r = app.book_appointment(&actor, &booking(target, &setup.patients[(i * 7919) % setup.patients.len()])).await;
        sequential.record(&r, s.elapsed());
    }
    sequential.elapsed = t.elapsed();
    assert_eq!(sequential.booked, one_by_one.len(), "a free time could not be booked by a single client");

    phase("bookings, clients on distinct times");
    let mut concurrent = book_concurrently(&app, &actor, parallel, &setup.patients, clients).await;
    assert_eq!(concurrent.booked, parallel.len(), "a free time could not be booked by concurrent clients on distinct times");

    phase("bookings, clients racing");
    let (mut racing_outcome, most_winners) = race(&app, &actor, racing, &setup.patients, clients, racers).await;
    assert!(most_winners <= 1, "{most_winners} clients booked the same time");

    phase("overlap check");
    let overlaps = overlapping_appointments(&app, &setup.practice_id).await;
    assert_eq!(overlaps, 0, "DOUBLE BOOKING: {overlaps} occupying appointment(s) overlap another of the same provider");

    println!("| figure | {backend} |");
    println!("|---|---|");
    println!("| providers / patients | {} / {} |", setup.providers.len(), setup.patients.len());
    println!("| appointments in the database (any status) | {appointments} |");
    println!("| appointments holding time in the 90 searched days | {searched_window} |");
    println!("| searches (6 kinds in turn, start date over the first week, 90 days, 20 results) | {queries} |");
    println!("| search p50 (ms) | {} |", ms(percentile(&times, 0.50)));
    println!("| search p99 (ms) | {} |", ms(percentile(&times, 0.99)));
    println!("| search max (ms) | {} |", ms(*times.last().unwrap()));
    println!("| searches per second, one client | {:.1} |", queries as f64 / search_total.as_secs_f64());
    println!("| mean results per search | {:.1} |", results as f64 / queries as f64);
    for (kind, mut t) in by_kind.into_iter().enumerate() {
        if t.is_empty() {
            continue;
        }
        t.sort();
        println!("| {}: p50 / p99 (ms) | {} / {} |", KINDS[kind], ms(percentile(&t, 0.50)), ms(percentile(&t, 0.99)));
    }
    print_bookings("one client, free times", &mut sequential);
    print_bookings(&format!("{clients} clients, distinct free times"), &mut concurrent);
    print_bookings(&format!("{clients} clients, {racers} racing for each time"), &mut racing_outcome);
    println!("| overlapping occupying appointments after the run (SQL check) | {overlaps} |");
}
