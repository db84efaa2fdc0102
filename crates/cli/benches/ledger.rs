//! The general ledger at scale: a million transactions posted, then the trial balance, balance
//! sheet, income statement and AP aging timed (p50 of several runs), side by side in the same
//! run with `ledger balance` and `hledger balance` on the exported journal, whose balances must
//! agree with medoffice's trial balance.
//!
//! `cargo bench -p medoffice --bench ledger -- [--transactions N] [--runs R] [--postings P]
//!  [--clients K] [--no-tools] [--database-url URL]`
//!
//! Set-up, done once per size and database and reused (SQLite under `target/bench-data/ledger-N/`,
//! or the PostgreSQL database given, created when missing): the generated practice of `generate`
//! (200 patients, its payers), 40 vendors, and N transactions spread evenly over the three years
//! 2023-07-01 to 2026-06-30 in a medical office's mix: charges to insurance and patients,
//! remittances with contractual adjustments, co-pays, patient payments, bank deposits, vendor
//! bills (with their `bill` rows) and their payments about four weeks later (`bill_payment` rows),
//! bank fees, rent on the first of each month and payroll on the 1st and 15th. They are written
//! through `store::ledger::insert_entries_in_bulk` (multi-row inserts, 10,000 entries to a
//! transaction; the daily totals maintained as by a posting), not through `App::post_entry`, so a
//! million take minutes rather than an hour. The clock is fixed (2026-07-01), so the books are the
//! same on every machine.
//!
//! Then, as the bookkeeper:
//! 1. P postings through the real path (`App::post_entry`, a co-pay each, its own transaction):
//!    one writer after the other, then K writers at once on the same accounts and day (on
//!    PostgreSQL they queue on the day's total rows, see migration 0014);
//! 2. the reports, p50 and slowest of R runs: trial balance, balance sheet, income statement
//!    (year to date), AP aging, the AP subledger; and, for comparison, the trial balance's and the
//!    income statement's sums computed from `journal_line` as the reports did before the daily
//!    totals (checked equal to the daily totals' figures);
//! 3. the export (`App::export_journal_offline`, ledger format) to a temporary file, and
//!    `ledger -f FILE balance --flat` and `hledger -f FILE balance --flat -O csv` timed on it, each
//!    account's balance compared with the trial balance (the run panics if they disagree).
//!
//! The postings of step 1 stay in the books (a few thousand per run beside the million). Figures
//! are reported, never asserted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{FixedClock, Rng, arg, ensure_postgres_database, flag, ms, num, percentile};

use chrono::{Datelike, Days, NaiveDate, TimeZone, Utc};
use medoffice_app::ledger::{NewEntry, NewLine};
use medoffice_app::ledger_reports::ExportFormat;
use medoffice_app::{Actor, App, Config};
use medoffice_domain::ledger::AccountType;
use medoffice_domain::ledger::accounts;
use medoffice_domain::ledger::export::{ExportAccount, account_paths};
use medoffice_store::bill_payments::{self as pay_store, ApplicationRow, PaymentRow};
use medoffice_store::blobs::FileBlobStore;
use medoffice_store::ledger::{self as store, EntryRow, LineRow, Party};
use medoffice_store::payables::{self, BillLineRow, BillRow, VendorRow};
use medoffice_store::{Store, new_id, timestamp};
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "bench-password-1";
/// Who the generated entries are posted by (how a rerun finds them).
const GENERATOR: &str = "bench-generator";
const BATCH: usize = 10_000;
const VENDORS: usize = 40;

fn phase(name: &str) {
    eprintln!("{} {name}", Utc::now().format("%H:%M:%S"));
}

/// A bill waiting for its payment.
struct OpenBill {
    id: String,
    vendor: usize,
    date: NaiveDate,
    cents: i64,
}

/// What one batch writes besides the entries.
#[derive(Default)]
struct Batch {
    entries: Vec<(EntryRow, Vec<LineRow>)>,
    bills: Vec<(BillRow, BillLineRow)>,
    payments: Vec<(PaymentRow, ApplicationRow)>,
}

struct Generator {
    practice_id: String,
    account_id: HashMap<&'static str, String>,
    patients: Vec<String>,
    payers: Vec<String>,
    vendors: Vec<String>,
    first_day: NaiveDate,
    days: u64,
    total: u64,
    rng: Rng,
    open_bills: VecDeque<OpenBill>,
    now: String,
}

/// A line as the generator plans it: account, debit, credit, patient, payer, vendor.
type PlannedLine = (&'static str, i64, i64, Option<String>, Option<String>, Option<String>);

const EXPENSES: [&str; 6] = ["6200", "6210", "6300", "6310", "6150", "6850"];

impl Generator {
    fn date_of(&self, i: u64) -> NaiveDate {
        self.first_day + Days::new(i * self.days / self.total)
    }

    /// Whether entry `i` is the first of its day.
    fn first_of_day(&self, i: u64) -> bool {
        i == 0 || self.date_of(i - 1) != self.date_of(i)
    }

    fn line(&self, entry: &EntryRow, n: i64, account: &str, debit: i64, credit: i64) -> LineRow {
        LineRow {
            practice_id: self.practice_id.clone(),
            entry_id: entry.id.clone(),
            line_number: n,
            account_id: self.account_id[account].clone(),
            entry_date: entry.entry_date.clone(),
            debit_cents: debit,
            credit_cents: credit,
            memo: None,
            patient_id: None,
            payer_id: None,
            vendor_id: None,
            claim_id: None,
        }
    }

    /// Transaction `i` (numbered `number`), with its bill or payment rows when it is one.
    fn transaction(&mut self, i: u64, number: i64, batch: &mut Batch) {
        let date = self.date_of(i);
        let mut entry = EntryRow {
            practice_id: self.practice_id.clone(),
            id: new_id(),
            entry_number: number,
            entry_date: date.to_string(),
            memo: String::new(),
            source_kind: String::new(),
            source_id: None,
            idempotency_key: None,
            reversal_of: None,
            total_cents: 0,
            posted_by: GENERATOR.into(),
            posted_at: self.now.clone(),
        };
        let patient = self.patients[self.rng.below(self.patients.len())].clone();
        let payer = self.payers[self.rng.below(self.payers.len())].clone();
        let mut lines: Vec<PlannedLine> = Vec::new();
        let (kind, memo): (&str, String) = if self.first_of_day(i) && date.day() == 1 {
            let rent = 850_000;
            lines.push(("6100", rent, 0, None, None, None));
            lines.push((accounts::CASH_OPERATING, 0, rent, None, None, None));
            ("rent", format!("Rent {}", date.format("%B %Y")))
        } else if self.first_of_day(i) && date.day() == 15 || (i > 0 && self.first_of_day(i - 1) && date.day() == 1) {
            let gross = self.rng.dollars(38_000, 46_000);
            let taxes = gross / 10;
            let withheld = gross / 5;
            lines.push(("6000", gross, 0, None, None, None));
            lines.push(("6010", taxes, 0, None, None, None));
            lines.push((accounts::CASH_OPERATING, 0, gross - withheld, None, None, None));
            lines.push(("2400", 0, withheld + taxes, None, None, None));
            ("payroll", format!("Payroll {date}"))
        } else {
            match self.rng.below(100) {
                0..25 => {
                    let insurance = self.rng.dollars(60, 380);
                    let share = self.rng.dollars(0, 60);
                    lines.push((accounts::AR_INSURANCE, insurance, 0, None, Some(payer), None));
                    if share > 0 {
                        lines.push((accounts::AR_PATIENTS, share, 0, Some(patient), None, None));
                    }
                    lines.push((accounts::PATIENT_SERVICE_REVENUE, 0, insurance + share, None, None, None));
                    ("charge", "Charges of the visit".into())
                }
                25..45 => {
                    let paid = self.rng.dollars(40, 260);
                    let adjustment = self.rng.dollars(5, 120);
                    lines.push((accounts::CASH_OPERATING, paid, 0, None, None, None));
                    lines.push((accounts::CONTRACTUAL_ADJUSTMENTS, adjustment, 0, None, None, None));
                    lines.push((accounts::AR_INSURANCE, 0, paid + adjustment, None, Some(payer), None));
                    ("remittance", "Insurance payment (ERA)".into())
                }
                45..65 => {
                    let copay = [1_000, 2_000, 2_500, 3_000, 4_000, 5_000][self.rng.below(6)];
                    lines.push((accounts::UNDEPOSITED_FUNDS, copay, 0, None, None, None));
                    lines.push((accounts::AR_PATIENTS, 0, copay, Some(patient), None, None));
                    ("copay", "Co-pay at check-in".into())
                }
                65..75 => {
                    let paid = self.rng.dollars(10, 300);
                    lines.push((accounts::CASH_OPERATING, paid, 0, None, None, None));
                    lines.push((accounts::AR_PATIENTS, 0, paid, Some(patient), None, None));
                    ("patient_payment", "Patient payment on statement".into())
                }
                75..83 => {
                    let deposit = self.rng.dollars(100, 900);
                    lines.push((accounts::CASH_OPERATING, deposit, 0, None, None, None));
                    lines.push((accounts::UNDEPOSITED_FUNDS, 0, deposit, None, None, None));
                    ("deposit", "Bank deposit".into())
                }
                83..90 => {
                    let vendor = self.rng.below(VENDORS);
                    let cents = self.rng.dollars(40, 4_000);
                    let expense = EXPENSES[vendor % EXPENSES.len()];
                    lines.push((expense, cents, 0, None, None, None));
                    lines.push((accounts::ACCOUNTS_PAYABLE, 0, cents, None, None, Some(self.vendors[vendor].clone())));
                    let bill_id = new_id();
                    let bill = BillRow {
                        practice_id: self.practice_id.clone(),
                        id: bill_id.clone(),
                        vendor_id: self.vendors[vendor].clone(),
                        bill_number: format!("B{i}"),
                        bill_date: date.to_string(),
                        due_date: (date + Days::new(30)).to_string(),
                        memo: None,
                        total_cents: cents,
                        status: "open".into(),
                        journal_entry_id: entry.id.clone(),
                        created_by: GENERATOR.into(),
                        created_at: self.now.clone(),
                    };
                    let line = BillLineRow {
                        practice_id: self.practice_id.clone(),
                        bill_id: bill_id.clone(),
                        line_number: 1,
                        account_number: expense.into(),
                        amount_cents: cents,
                        memo: None,
                    };
                    batch.bills.push((bill, line));
                    entry.source_id = Some(bill_id.clone());
                    self.open_bills.push_back(OpenBill { id: bill_id, vendor, date, cents });
                    ("bill", format!("Bill B{i}"))
                }
                90..97 if self.open_bills.front().is_some_and(|b| b.date + Days::new(25) <= date) => {
                    let bill = self.open_bills.pop_front().unwrap();
                    lines.push((accounts::ACCOUNTS_PAYABLE, bill.cents, 0, None, None, Some(self.vendors[bill.vendor].clone())));
                    lines.push((accounts::CASH_OPERATING, 0, bill.cents, None, None, None));
                    let payment_id = new_id();
                    let payment = PaymentRow {
                        practice_id: self.practice_id.clone(),
                        id: payment_id.clone(),
                        vendor_id: self.vendors[bill.vendor].clone(),
                        payment_date: date.to_string(),
                        method: "ach".into(),
                        reference: format!("ACH{i}"),
                        cash_account: accounts::CASH_OPERATING.into(),
                        amount_cents: bill.cents,
                        discount_cents: 0,
                        journal_entry_id: entry.id.clone(),
                        status: "posted".into(),
                        void_date: None,
                        void_entry_id: None,
                        voided_by: None,
                        created_by: GENERATOR.into(),
                        created_at: self.now.clone(),
                    };
                    let application = ApplicationRow {
                        practice_id: self.practice_id.clone(),
                        payment_id: payment_id.clone(),
                        bill_id: bill.id,
                        amount_cents: bill.cents,
                        discount_cents: 0,
                    };
                    batch.payments.push((payment, application));
                    entry.source_id = Some(payment_id);
                    ("bill_payment", "Bill payment (ACH)".into())
                }
                _ => {
                    let fee = self.rng.dollars(1, 45);
                    lines.push(("6600", fee, 0, None, None, None));
                    lines.push((accounts::CASH_OPERATING, 0, fee, None, None, None));
                    ("bank_fee", "Card processing fee".into())
                }
            }
        };
        entry.memo = memo;
        entry.source_kind = format!("bench_{kind}");
        entry.total_cents = lines.iter().map(|l| l.1).sum();
        let rows = lines
            .into_iter()
            .enumerate()
            .map(|(n, (account, debit, credit, patient, payer, vendor))| {
                let mut line = self.line(&entry, n as i64 + 1, account, debit, credit);
                line.patient_id = patient;
                line.payer_id = payer;
                line.vendor_id = vendor;
                line
            })
            .collect();
        batch.entries.push((entry, rows));
    }
}

async fn generate(app: &App, practice_id: &str, total: u64) {
    let mut conn = app.store.pool().acquire().await.unwrap();
    let patients: Vec<(String,)> = sqlx::query_as("SELECT id FROM patient WHERE practice_id = $1 ORDER BY id LIMIT 1000")
        .bind(practice_id)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    let payers: Vec<(String,)> = sqlx::query_as("SELECT id FROM payer WHERE practice_id = $1 ORDER BY id LIMIT 100")
        .bind(practice_id)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let now = timestamp(app.now());
    let mut tx = app.store.begin().await.unwrap();
    medoffice_app::ledger::ensure_default_chart(&mut tx, practice_id, &now).await.unwrap();
    let chart = store::list_accounts(&mut tx, practice_id).await.unwrap();
    let mut vendors = Vec::new();
    for v in 0..VENDORS {
        let id = new_id();
        payables::insert_vendor(
            &mut tx,
            &VendorRow {
                practice_id: practice_id.into(),
                id: id.clone(),
                name: format!("Vendor {v:02} Medical Supply"),
                address: None,
                contact: None,
                tax_id: None,
                default_expense_account: Some(EXPENSES[v % EXPENSES.len()].into()),
                payment_terms: "net_30".into(),
                is_1099: i64::from(v % 4 == 0),
                created_at: now.clone(),
            },
        )
        .await
        .unwrap();
        vendors.push(id);
    }
    let first_number = store::reserve_entry_numbers(&mut tx, practice_id, total as i64).await.unwrap();
    tx.commit().await.unwrap();
    let account_id: HashMap<&'static str, String> = medoffice_domain::ledger::DEFAULT_CHART
        .iter()
        .filter_map(|a| chart.iter().find(|c| c.number == a.number).map(|c| (a.number, c.id.clone())))
        .collect();
    let first_day = NaiveDate::from_ymd_opt(2023, 7, 1).unwrap();
    let last_day = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let mut g = Generator {
        practice_id: practice_id.into(),
        account_id,
        patients: patients.into_iter().map(|p| p.0).collect(),
        payers: payers.into_iter().map(|p| p.0).collect(),
        vendors,
        first_day,
        days: (last_day - first_day).num_days() as u64 + 1,
        total,
        rng: Rng(0x1ed9e5),
        open_bills: VecDeque::new(),
        now,
    };
    assert!(!g.patients.is_empty() && !g.payers.is_empty(), "the generated practice has patients and payers");
    let started = Instant::now();
    let mut i = 0u64;
    while i < total {
        let mut batch = Batch::default();
        let end = (i + BATCH as u64).min(total);
        for j in i..end {
            g.transaction(j, first_number + j as i64, &mut batch);
        }
        let mut tx = app.store.begin().await.unwrap();
        store::insert_entries_in_bulk(&mut tx, &batch.entries).await.unwrap();
        for (bill, line) in &batch.bills {
            payables::insert_bill(&mut tx, bill, std::slice::from_ref(line)).await.unwrap();
        }
        for (payment, application) in &batch.payments {
            pay_store::insert_payment(&mut tx, payment, std::slice::from_ref(application)).await.unwrap();
            pay_store::set_bill_status(&mut tx, practice_id, &application.bill_id, "paid").await.unwrap();
        }
        tx.commit().await.unwrap();
        i = end;
        if i.is_multiple_of(100_000) || i == total {
            let secs = started.elapsed().as_secs_f64();
            eprintln!("  {i} transactions in {secs:.0} s ({:.0}/s)", i as f64 / secs);
        }
    }
}

/// A co-pay through the posting interface, in its own transaction; how long it took.
async fn post_copay(app: &App, practice_id: &str, key: String, patient: &str) -> Duration {
    let started = Instant::now();
    let entry = NewEntry {
        date: NaiveDate::from_ymd_opt(2026, 6, 30),
        memo: "Co-pay at check-in".into(),
        source_kind: "bench_posting".into(),
        source_id: None,
        idempotency_key: Some(key),
        reversal_of: None,
        posted_by: "bench".into(),
        lines: vec![NewLine::debit(accounts::UNDEPOSITED_FUNDS, 2_500), NewLine::credit(accounts::AR_PATIENTS, 2_500).patient(patient)],
    };
    let mut tx = app.store.begin().await.unwrap();
    app.post_entry(&mut tx, practice_id, &entry).await.unwrap();
    tx.commit().await.unwrap();
    started.elapsed()
}

/// p50 and slowest of `runs` runs of `f`.
async fn time<F, Fut, T>(runs: usize, mut f: F) -> (Duration, Duration, T)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        last = Some(f().await);
        times.push(started.elapsed());
    }
    times.sort();
    (percentile(&times, 0.5), *times.last().unwrap(), last.unwrap())
}

/// Balances by account path from `ledger balance --flat` (`  $1200.00  Assets:Cash`).
fn ledger_balances(text: &str) -> HashMap<String, i64> {
    text.lines()
        .filter_map(|row| {
            let (amount, account) = row.trim_start().split_once("  ")?;
            let account = account.trim();
            if account.is_empty() || amount.starts_with('-') && amount.chars().all(|c| c == '-') {
                return None;
            }
            Some((account.to_string(), cents_of(amount)))
        })
        .filter(|(_, cents)| *cents != 0)
        .collect()
}

/// Balances by account path from `hledger balance --flat -O csv` (`"Assets:Cash","$-12.50"`).
fn hledger_balances(csv: &str) -> HashMap<String, i64> {
    csv.lines()
        .skip(1)
        .filter_map(|row| {
            let fields: Vec<&str> = row.split("\",\"").map(|f| f.trim_matches('"')).collect();
            Some((fields.first()?.to_string(), cents_of(fields.get(1)?)))
        })
        .filter(|(account, cents)| account != "total" && *cents != 0)
        .collect()
}

fn cents_of(amount: &str) -> i64 {
    let amount = amount.trim().replace(['$', ','], "");
    medoffice_domain::Money::parse(&amount).unwrap_or_else(|e| panic!("amount {amount}: {e}")).cents()
}

/// Runs a command, returning its time and standard output (None when the tool is missing).
fn run_tool(program: &str, args: &[&str]) -> Option<(Duration, String)> {
    let started = Instant::now();
    let output = match Command::new(program).args(args).output() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{program} not run ({e}); install the Debian package: apt-get install {program}");
            return None;
        }
    };
    let took = started.elapsed();
    assert!(output.status.success(), "{program} failed: {}", String::from_utf8_lossy(&output.stderr));
    Some((took, String::from_utf8_lossy(&output.stdout).into_owned()))
}

#[tokio::main]
async fn main() {
    let transactions = num("--transactions", 1_000_000) as u64;
    let runs = num("--runs", 7).max(1);
    let postings = num("--postings", 1_000);
    let clients = num("--clients", 8).max(1);
    let data_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/bench-data/ledger-{transactions}"));
    std::fs::create_dir_all(&data_dir).unwrap();
    let url = arg("--database-url").unwrap_or_else(|| format!("sqlite://{}", data_dir.join("medoffice.db").display()));
    let backend = if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    if backend == "PostgreSQL" {
        ensure_postgres_database(&url).await;
    }
    let clock = FixedClock(Utc.with_ymd_and_hms(2026, 7, 1, 16, 0, 0).unwrap());
    let store = Store::connect(&url).await.unwrap();
    let app = App::new(store, FileBlobStore::new(data_dir.join("blobs")), Config::default()).with_clock(Arc::new(clock));
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();

    phase("set-up");
    let started = Instant::now();
    if !app.has_practice().await.unwrap() {
        app.seed_practice("Bench Ledger Practice", 200, PASSWORD).await.unwrap();
    }
    let practice_id = {
        let mut conn = app.store.pool().acquire().await.unwrap();
        medoffice_store::practice::list(&mut conn).await.unwrap().into_iter().next().unwrap().id
    };
    let (generated,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM journal_entry WHERE practice_id = $1 AND posted_by = $2")
        .bind(&practice_id)
        .bind(GENERATOR)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    if generated == 0 {
        eprintln!("generating {transactions} transactions");
        generate(&app, &practice_id, transactions).await;
        // Fresh statistics after the bulk load, as a running practice's would be.
        sqlx::query("ANALYZE").execute(app.store.pool()).await.unwrap();
    } else {
        assert_eq!(
            generated as u64,
            transactions,
            "an interrupted generation: start from an empty database (remove {})",
            data_dir.display()
        );
    }
    eprintln!("set-up ready in {:.1} s", started.elapsed().as_secs_f64());
    let bk: Actor = app.login("bookkeeper", PASSWORD, Some("127.0.0.1".into()), None).await.unwrap().actor;
    let count = |table: &'static str| {
        let app = &app;
        let practice_id = practice_id.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table} WHERE practice_id = $1")))
                .bind(practice_id)
                .fetch_one(app.store.pool())
                .await
                .unwrap();
            n
        }
    };
    let (entries, lines, daily, bills) =
        (count("journal_entry").await, count("journal_line").await, count("ledger_daily_total").await, count("bill").await);

    // 1. Postings through App::post_entry.
    phase("postings");
    let run_id = new_id();
    let patient = "bench-patient";
    let mut latencies = Vec::with_capacity(postings);
    let started = Instant::now();
    for i in 0..postings {
        latencies.push(post_copay(&app, &practice_id, format!("bench:{run_id}:{i}"), patient).await);
    }
    let sequential_secs = started.elapsed().as_secs_f64();
    latencies.sort();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let app = app.clone();
        let practice_id = practice_id.clone();
        let run_id = run_id.clone();
        let per_client = postings.div_ceil(clients);
        tasks.push(tokio::spawn(async move {
            for i in 0..per_client {
                post_copay(&app, &practice_id, format!("bench:{run_id}:c{c}:{i}"), patient).await;
            }
            per_client
        }));
    }
    let mut concurrent = 0;
    for t in tasks {
        concurrent += t.await.unwrap();
    }
    let concurrent_secs = started.elapsed().as_secs_f64();

    // 2. The reports.
    phase("reports");
    let year_start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let (tb_p50, tb_max, tb) = time(runs, || app.trial_balance(&bk, as_of)).await;
    let tb = tb.unwrap();
    assert!(tb.balances());
    let (bs_p50, bs_max, bs) = time(runs, || app.balance_sheet(&bk, as_of)).await;
    assert!(bs.unwrap().balances());
    let (is_p50, is_max, is) = time(runs, || app.income_statement(&bk, year_start, as_of)).await;
    let is = is.unwrap();
    let (aging_p50, aging_max, aging) = time(runs, || app.ap_aging(&bk, as_of)).await;
    let aging = aging.unwrap();
    let open_bills: usize = aging.vendors.iter().map(|v| v.bills.len()).sum();
    let (sub_p50, sub_max, sub) = time(runs, || app.subledger(&bk, accounts::ACCOUNTS_PAYABLE, Party::Vendor, as_of)).await;
    let sub = sub.unwrap();
    assert!(sub.ties());

    // The same sums from the lines, as the reports read them before the daily totals.
    phase("reports summed from journal_line (before)");
    let before_runs = runs.min(3);
    let as_of_text = as_of.to_string();
    let (lines_tb_p50, _, from_lines) = time(before_runs, || async {
        let mut conn = app.store.pool().acquire().await.unwrap();
        store::account_totals_from_lines(&mut conn, &practice_id, "0001-01-01", &as_of_text).await.unwrap()
    })
    .await;
    let (lines_is_p50, _, is_from_lines) = time(before_runs, || async {
        let mut conn = app.store.pool().acquire().await.unwrap();
        store::account_totals_without_source_from_lines(&mut conn, &practice_id, "2026-01-01", &as_of_text, "year_end_close").await.unwrap()
    })
    .await;
    let (totals_tb_p50, _, from_totals) = time(runs, || async {
        let mut conn = app.store.pool().acquire().await.unwrap();
        store::account_totals(&mut conn, &practice_id, "0001-01-01", &as_of_text).await.unwrap()
    })
    .await;
    let net = |rows: &[medoffice_store::ledger::AccountTotalsRow]| -> HashMap<String, i64> {
        rows.iter().map(|r| (r.account_id.clone(), r.debit_cents - r.credit_cents)).filter(|(_, n)| *n != 0).collect()
    };
    assert_eq!(net(&from_lines), net(&from_totals), "the daily totals disagree with the lines");
    let is_lines_net: i64 = {
        let chart = app.chart_of_accounts(&bk).await.unwrap();
        let section_of: HashMap<&str, medoffice_domain::ledger::Section> =
            chart.iter().filter_map(|a| AccountType::parse(&a.account_type).map(|t| (a.id.as_str(), t.section()))).collect();
        is_from_lines
            .iter()
            .filter(|r| {
                matches!(
                    section_of.get(r.account_id.as_str()),
                    Some(medoffice_domain::ledger::Section::Revenue | medoffice_domain::ledger::Section::Expense)
                )
            })
            .map(|r| r.credit_cents - r.debit_cents)
            .sum()
    };
    assert_eq!(is.net_income_cents, is_lines_net, "the income statement disagrees with the lines");

    // 3. The export, and ledger and hledger on it.
    phase("export");
    let (export_time, _, journal) = time(1, || app.export_journal_offline(ExportFormat::Ledger)).await;
    let journal = journal.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("books.journal");
    std::fs::write(&file, &journal).unwrap();
    let journal_mb = journal.len() as f64 / 1e6;
    drop(journal);
    let chart = app.chart_of_accounts(&bk).await.unwrap();
    let paths = account_paths(
        &chart
            .iter()
            .map(|a| ExportAccount {
                number: a.number.clone(),
                name: a.name.clone(),
                account_type: AccountType::parse(&a.account_type).unwrap(),
            })
            .collect::<Vec<_>>(),
    );
    let ours: HashMap<String, i64> = tb.accounts.iter().map(|a| (paths[&a.number].clone(), a.debit_cents - a.credit_cents)).collect();
    let file_arg = file.to_str().unwrap();
    let mut tools = Vec::new();
    if !flag("--no-tools") {
        phase("ledger balance");
        if let Some((took, out)) = run_tool("ledger", &["-f", file_arg, "balance", "--flat"]) {
            let theirs = ledger_balances(&out);
            assert_eq!(theirs, ours, "ledger's balances differ from the trial balance");
            tools.push(("`ledger -f FILE balance --flat` (ledger 3.3)", took));
        }
        phase("hledger balance");
        if let Some((took, out)) = run_tool("hledger", &["-f", file_arg, "balance", "--flat", "-O", "csv"]) {
            let theirs = hledger_balances(&out);
            assert_eq!(theirs, ours, "hledger's balances differ from the trial balance");
            tools.push(("`hledger -f FILE balance --flat -O csv` (hledger 1.25)", took));
        }
    }
    phase("done");

    println!();
    println!("Ledger, {backend}: {entries} entries, {lines} lines, {daily} daily totals, {bills} bills; as of {as_of}");
    println!();
    println!("| measure | figure |");
    println!("|---|---|");
    println!(
        "| `App::post_entry`, one writer: postings per second | {:.0} (p50 {} ms, p99 {} ms) |",
        postings as f64 / sequential_secs,
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99))
    );
    println!(
        "| `App::post_entry`, {clients} writers, same accounts and day: postings per second | {:.0} |",
        concurrent as f64 / concurrent_secs
    );
    println!("| trial balance (`App::trial_balance`), p50 / slowest of {runs} | {} / {} ms |", ms(tb_p50), ms(tb_max));
    println!("| balance sheet (`App::balance_sheet`) | {} / {} ms |", ms(bs_p50), ms(bs_max));
    println!("| income statement, year to date (`App::income_statement`) | {} / {} ms |", ms(is_p50), ms(is_max));
    println!("| AP aging (`App::ap_aging`, {open_bills} open bills, ties: {}) | {} / {} ms |", aging.ties(), ms(aging_p50), ms(aging_max));
    println!("| AP subledger by vendor (`App::subledger` 2000) | {} / {} ms |", ms(sub_p50), ms(sub_max));
    println!("| trial balance's sums from `ledger_daily_total` (after), p50 | {} ms |", ms(totals_tb_p50));
    println!("| trial balance's sums from `journal_line` (before), p50 of {before_runs} | {} ms |", ms(lines_tb_p50));
    println!("| income statement's sums from `journal_line` (before), p50 of {before_runs} | {} ms |", ms(lines_is_p50));
    println!("| export, ledger format ({journal_mb:.0} MB) | {} ms |", ms(export_time));
    for (label, took) in &tools {
        println!("| {label}, balances agree with the trial balance | {} ms |", ms(*took));
    }
}
