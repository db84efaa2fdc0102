//! `medoffice`: the one binary. `serve` runs the web UI and API; the other commands work on the
//! same database from the command line (see `medoffice --help`).
//!
//! Exit status: 0 on success, 2 on bad arguments or bad input (with a one-line message naming
//! what is wrong), 1 on other failures.

use clap::{Args, Parser, Subcommand};
use medoffice_app::{App, AppError, Config};
use medoffice_store::Store;
use medoffice_store::blobs::FileBlobStore;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

mod tls;

#[derive(Parser)]
#[command(
    name = "medoffice",
    version,
    about = "Practice management for medical offices: patients, scheduling, messages, billing and the books."
)]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Where medoffice keeps its SQLite database and documents (created if missing).
    #[arg(long, env = "MEDOFFICE_DATA_DIR", default_value = "./medoffice-data", global = true)]
    data_dir: PathBuf,
    /// Database URL: sqlite://FILE (default: <data-dir>/medoffice.db) or postgres://...
    #[arg(long, env = "MEDOFFICE_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// The key that encrypts stored documents and scans (default: <data-dir>/blobs.key, created on
    /// first use). Keep a copy off this machine: without it the documents cannot be opened.
    #[arg(long, env = "MEDOFFICE_KEY_FILE", global = true)]
    key_file: Option<PathBuf>,
    /// The key that seals the audit trail (default: <data-dir>/audit.key, created on first use).
    /// Keep it with the document key, outside the database and off the database backups.
    #[arg(long, env = "MEDOFFICE_AUDIT_KEY_FILE", global = true)]
    audit_key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI at / and the API at /api/v1. Creates the practice and the `admin` user on first start.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "MEDOFFICE_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Mark cookies Secure with the __Host- prefix: use behind a TLS-terminating proxy.
        #[arg(long, env = "MEDOFFICE_SECURE_COOKIES")]
        secure_cookies: bool,
        /// The practice's name, used on first start.
        #[arg(long, default_value = "My Practice")]
        practice_name: String,
        /// Serve HTTPS with this certificate chain (PEM); needs --tls-key. Turns on Secure
        /// cookies and HSTS.
        #[arg(long, env = "MEDOFFICE_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM); needs --tls-cert.
        #[arg(long, env = "MEDOFFICE_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Fill an empty database with a realistic demo practice and one user per role.
    Demo {
        /// Password of every demo user.
        #[arg(long, default_value = "demo-password-1")]
        password: String,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API bearer tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Synthetic practice data at scale, for benchmarks.
    Generate {
        /// Number of patients (with insurance).
        #[arg(long)]
        patients: usize,
        /// Days of appointments for every provider (a quarter of them, at most 90, ahead of today); encounters and claims come with billing.
        #[arg(long, default_value_t = 0)]
        days: u32,
        /// Seed: the same seed makes the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Appointment reminders.
    Reminders {
        #[command(subcommand)]
        command: RemindersCommand,
    },
    /// Telephone messages: escalate the urgent ones nobody acknowledged in time.
    Messages {
        #[command(subcommand)]
        command: MessagesCommand,
    },
    /// Claims (X12 837P): send the ready claims.
    Claims {
        #[command(subcommand)]
        command: ClaimsCommand,
    },
    /// Remittances (X12 835).
    Remit {
        #[command(subcommand)]
        command: RemitCommand,
    },
    /// Code sets: import the practice's CPT or HCPCS file.
    Codes {
        #[command(subcommand)]
        command: CodesCommand,
    },
    /// The general ledger: the trial balance and the whole journal for other tools.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Patient receivables: dunning letters and late charges.
    Ar {
        #[command(subcommand)]
        command: ArCommand,
    },
    /// Patient statements: run the practice's statements for a date and family-name group.
    Statements {
        #[command(subcommand)]
        command: StatementsCommand,
    },
    /// Third-party invoices (employers, schools, attorneys): late charges by each party's policy.
    Invoices {
        #[command(subcommand)]
        command: InvoicesCommand,
    },
    /// Write an encrypted, consistent backup of the whole database and every stored document
    /// while the server runs; prints a JSON summary. The backup is encrypted with the practice data
    /// key (--key-file), which is not in it: keep a copy of the key somewhere else.
    Backup {
        /// The backup file to write (replaced if it exists).
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into an empty data dir (or an empty PostgreSQL database with
    /// --database-url); needs the practice data key the backup was made with (--key-file, or
    /// <data-dir>/blobs.key). A backup of SQLite restores into PostgreSQL and back.
    Restore {
        /// The backup file.
        file: PathBuf,
    },
    /// Letters from templates.
    Letters {
        #[command(subcommand)]
        command: LettersCommand,
    },
}

#[derive(Subcommand)]
enum LettersCommand {
    /// Render one letter from a template (its key, e.g. welcome) for a patient to a PDF file.
    Render {
        #[arg(long)]
        template: String,
        #[arg(long)]
        patient: String,
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a staff account; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        /// admin, front_desk, biller, bookkeeper or provider.
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print one bearer token for the API, acting as that user.
    Create {
        #[arg(long)]
        username: String,
        /// What the token is for.
        #[arg(long, default_value = "command line")]
        label: String,
    },
}

#[derive(Subcommand)]
enum MessagesCommand {
    /// Escalate every practice's unacknowledged urgent messages past their deadline (to the
    /// inbox's other members, then the office manager); prints `{"escalated": N}`. Run it from
    /// cron every few minutes; the inbox pages also run it when they load.
    Escalate,
}

#[derive(Subcommand)]
enum RemindersCommand {
    /// Send the reminder e-mails due (and put phone patients on the day's call list), for every
    /// practice in the database: exit 0 when every e-mail was accepted, 1 when any failed.
    Send {
        /// The day to send for, YYYY-MM-DD (default: today in the practice's time zone).
        #[arg(long)]
        date: Option<String>,
    },
}

#[derive(Subcommand)]
enum ClaimsCommand {
    /// Writes every ready claim into X12 837P files, one per receiver (the payer's electronic
    /// id), marks them sent, and prints a JSON summary (`claims`, `file`, `files`, `batches`).
    Export {
        /// An existing directory (each file under its own name; default the current one), or a
        /// file path (one receiver: that file; more: `NAME-2.x12`... for the others).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Imports a 999 or 277CA acknowledgement: accepted claims move on, rejected ones become
    /// rejected with the reason in plain words. Prints JSON (`kind`, `matched`, `accepted`,
    /// `rejected`, `unmatched`, `duplicate`); the same file twice changes nothing (`duplicate`:
    /// true). Exit 2 naming why for a file that is not a 999 or 277CA.
    ImportAck {
        /// The 999 or 277CA file.
        file: std::path::PathBuf,
    },
    /// Anything else (status): not built yet.
    #[command(external_subcommand)]
    Other(Vec<String>),
}

#[derive(Subcommand)]
enum RemitCommand {
    /// Imports an X12 835 and posts it: payments, adjustments, the patient's share, claim
    /// statuses. Prints JSON (`claims_matched`, `claims_unmatched`, `paid_cents`,
    /// `adjustment_cents`, `patient_responsibility_cents`, `duplicate`); the same payment (payer id
    /// and trace number) twice posts nothing (`duplicate`: true). Exit 2 naming why for a file that
    /// is not an 835 or does not balance.
    Import {
        /// The 835 file.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum CodesCommand {
    /// Import procedure codes: one a line, `code<TAB>short description` or `code,short description`
    /// (header optional). Every bad line is named and nothing is imported while any is wrong; a
    /// re-import updates the descriptions. Prints a JSON summary.
    Import {
        /// cpt or hcpcs.
        #[arg(long = "set")]
        code_set: String,
        /// YYYY-MM-DD the codes apply from (default: any date).
        #[arg(long, default_value = "")]
        effective_from: String,
        /// The file to import.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// The trial balance as of a date (default today) as JSON: every account with a balance, and the two totals.
    TrialBalance {
        /// YYYY-MM-DD.
        #[arg(long)]
        as_of: Option<String>,
        /// Only `json`.
        #[arg(long, default_value = "json")]
        format: String,
    },
    /// The whole journal on standard output: `ledger` (ledger/hledger syntax) or `csv`.
    Export {
        #[arg(long, default_value = "ledger")]
        format: String,
    },
    /// Post the recurring entries due up to a date (default today), for cron: JSON of what was posted and what was skipped (exit 1 when any was skipped).
    PostRecurring {
        /// YYYY-MM-DD.
        #[arg(long)]
        as_of: Option<String>,
    },
}

#[derive(Subcommand)]
enum ArCommand {
    /// Make the dunning letters due (30/60/90 days past due, each level once), logged as outgoing mail; prints {"letters": N}.
    Dunning {
        /// YYYY-MM-DD; default today.
        #[arg(long)]
        date: Option<String>,
    },
    /// Apply late charges by the practice's policy as of a date (default today), for the daily cron job: prints {"charged": N, "total_cents": X}.
    LateCharges {
        /// YYYY-MM-DD; default today.
        #[arg(long)]
        date: Option<String>,
    },
}

#[derive(Subcommand)]
enum StatementsCommand {
    /// Make the statements due (one per patient owing at least the minimum, idempotent per date), e-mail those that chose it, and print {"statements": N, "emailed": E, "printed": P, "total_cents": X, ...}; the batch PDF is on /billing/statements.
    Run {
        /// YYYY-MM-DD (default today).
        #[arg(long)]
        date: Option<String>,
        /// Family-name group such as A-F (default: everyone, or the week's group under the letter-group cycle).
        #[arg(long)]
        group: Option<String>,
    },
}

#[derive(Subcommand)]
enum InvoicesCommand {
    /// Charge late fees on overdue third-party invoices as of a date (default today), for cron: at most one per invoice in 30 days; prints {"charged": N, "total_cents": X}.
    LateCharges {
        /// YYYY-MM-DD.
        #[arg(long)]
        date: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the whole audit chain: exit 0 with {"records": N, "ok": true}, or exit 1 naming the first broken record.
    Verify,
}

/// A failure with its exit status.
struct Failure {
    code: u8,
    message: String,
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        let code = match e {
            AppError::Validation(_) | AppError::Conflict(_) | AppError::NotFound(_) | AppError::PossibleDuplicates(_) => 2,
            _ => 1,
        };
        Failure { code, message: e.to_string() }
    }
}

impl From<medoffice_store::StoreError> for Failure {
    fn from(e: medoffice_store::StoreError) -> Self {
        Failure { code: 1, message: e.to_string() }
    }
}

fn bad_input(message: impl Into<String>) -> Failure {
    Failure { code: 2, message: message.into() }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let serving = matches!(cli.command, Command::Serve { .. });
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| if serving { "info".into() } else { "warn".into() });
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new(filter)).with_writer(std::io::stderr).init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("medoffice: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("medoffice: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

async fn open(db: &DbArgs) -> Result<App, Failure> {
    std::fs::create_dir_all(&db.data_dir)
        .map_err(|e| Failure { code: 1, message: format!("cannot create data dir {}: {e}", db.data_dir.display()) })?;
    let (store, blobs) = connect(db).await?;
    blobs.ensure_key().map_err(|e| Failure { code: 1, message: e.to_string() })?;
    let audit_key = audit_key(db, &store, false).await?;
    let app = App::new(store, blobs, Config::default()).with_audit_key(audit_key);
    // A trail written before the audit key existed gets its first sealed record now.
    app.seal_audit_chains().await?;
    Ok(app)
}

/// The database (`--database-url`, default the SQLite file in the data dir) and the blob store
/// (`<data-dir>/blobs` with the data key from `--key-file`).
async fn connect(db: &DbArgs) -> Result<(Store, FileBlobStore), Failure> {
    let url = match &db.database_url {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", db.data_dir.join("medoffice.db").display()),
    };
    let store = Store::connect(&url).await.map_err(|e| Failure { code: 1, message: format!("cannot open the database: {e}") })?;
    let blob_root = db.data_dir.join("blobs");
    let blobs = match &db.key_file {
        Some(key_file) => FileBlobStore::with_key_file(blob_root, key_file),
        None => FileBlobStore::new(blob_root),
    };
    Ok((store, blobs))
}

/// The audit key from `--audit-key-file` (default `<data-dir>/audit.key`), created on first use.
/// Opening for `audit verify` (`verifying`) takes the file as it is, so that a wrong key is
/// reported as the first broken link rather than refused.
async fn audit_key(db: &DbArgs, store: &Store, verifying: bool) -> Result<medoffice_store::audit::AuditKey, Failure> {
    let path = db.audit_key_file.clone().unwrap_or_else(|| db.data_dir.join("audit.key"));
    let failed = |e: medoffice_store::StoreError| Failure { code: 1, message: e.to_string() };
    if verifying && let Some(key) = medoffice_store::audit::read_key(&path).map_err(failed)? {
        return Ok(key);
    }
    let mut conn = store.pool().acquire().await.map_err(|e| failed(e.into()))?;
    medoffice_store::audit::load_or_create_key(&mut conn, &path).await.map_err(failed)
}

/// Opens the database for `audit verify`: with the audit key file as it is, writing nothing.
async fn open_for_verify(db: &DbArgs) -> Result<App, Failure> {
    let (store, blobs) = connect(db).await?;
    let audit_key = audit_key(db, &store, true).await?;
    Ok(App::new(store, blobs, Config::default()).with_audit_key(audit_key))
}

fn not_built(what: &str) -> Result<(), Failure> {
    Err(Failure { code: 1, message: format!("'{what}' is not built yet in this version of medoffice (see the project's open issues)") })
}

async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Serve { listen, secure_cookies, practice_name, tls_cert, tls_key } => {
            let tls = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => Some(tls::server_config(&cert, &key).map_err(bad_input)?),
                _ => None,
            };
            serve(&cli.db, &listen, secure_cookies, &practice_name, tls).await
        }
        Command::Demo { password } => {
            let app = open(&cli.db).await?;
            let made = app.demo(&password).await?;
            println!(
                "{}",
                serde_json::json!({"practice_id": made.practice_id, "patients": made.patients, "coverages": made.coverages, "providers": made.providers, "payers": made.payers, "users": medoffice_app::demo::DEMO_USERS.iter().map(|u| u.0).collect::<Vec<_>>()})
            );
            Ok(())
        }
        Command::User { command: UserCommand::Add { username, role } } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| bad_input(format!("cannot read the password from standard input: {e}")))?;
            let password = password.trim_end_matches(['\n', '\r']);
            let app = open(&cli.db).await?;
            let user = app.add_user_offline(&username, &role, password).await?;
            println!("{}", serde_json::json!({"id": user.id, "username": user.username, "role": user.role}));
            Ok(())
        }
        Command::Token { command: TokenCommand::Create { username, label } } => {
            let app = open(&cli.db).await?;
            println!("{}", app.create_api_token(&username, &label).await?);
            Ok(())
        }
        Command::Generate { patients, days, seed } => {
            if patients > 10_000_000 {
                return Err(bad_input("--patients: at most 10,000,000"));
            }
            let app = open(&cli.db).await?;
            let started = std::time::Instant::now();
            let made = app
                .generate_practice("Generated Practice", patients, seed, |n| {
                    if n % 100_000 == 0 && n > 0 {
                        eprintln!("medoffice: {n} patients");
                    }
                })
                .await?;
            // A quarter of the days (at most 90) lie ahead: a booked-up future to search for open slots.
            let booked = app.generate_appointments(&made.practice_id, days, (days / 4).min(90), seed).await?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{}",
                serde_json::json!({"practice_id": made.practice_id, "patients": made.patients, "coverages": made.coverages, "days": days,
                    "appointments": booked.appointments, "past_appointments": booked.past,
                    "days_note": "encounters and claims are generated once billing exists", "seconds": (secs * 10.0).round() / 10.0})
            );
            Ok(())
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let app = open_for_verify(&cli.db).await?;
            let report = app.verify_audit_chain().await?;
            println!("{}", serde_json::to_string(&report).unwrap_or_default());
            if report.ok {
                Ok(())
            } else {
                Err(Failure { code: 1, message: report.broken.unwrap_or_else(|| "the audit chain is broken".into()) })
            }
        }
        Command::Ar { command: ArCommand::Dunning { date } } => {
            let app = open(&cli.db).await?;
            let run = app.run_dunning_offline(date.as_deref().unwrap_or("")).await?;
            println!("{}", serde_json::json!({ "letters": run.letters, "as_of": run.as_of }));
            Ok(())
        }
        Command::Messages { command: MessagesCommand::Escalate } => {
            let app = open(&cli.db).await?;
            let escalated = app.escalate_due(app.now()).await?;
            println!("{}", serde_json::json!({ "escalated": escalated }));
            Ok(())
        }
        Command::Reminders { command: RemindersCommand::Send { date } } => {
            let app = open(&cli.db).await?;
            let summaries = app.run_reminders_offline(date.as_deref().unwrap_or("")).await?;
            println!("{}", serde_json::to_string(&summaries).unwrap_or_default());
            let failed: u64 = summaries.iter().map(|s| s.emails_failed).sum();
            if failed == 0 {
                Ok(())
            } else {
                let first = summaries.iter().flat_map(|s| &s.failures).next().map(|f| f.error.as_str()).unwrap_or("");
                let message =
                    format!("{failed} reminder e-mail(s) not sent (first: {first}); listed on the reminders page, retried by the next run");
                Err(Failure { code: 1, message })
            }
        }
        Command::Claims { command: ClaimsCommand::Export { out } } => {
            let out = out.unwrap_or_else(|| std::path::PathBuf::from("."));
            let into_dir = out.is_dir();
            if !into_dir {
                let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
                if !parent.is_dir() {
                    return Err(bad_input(format!("--out {}: no such directory {}", out.display(), parent.display())));
                }
            }
            let app = open(&cli.db).await?;
            let result = app.send_ready_claims_offline().await?;
            let mut files = Vec::new();
            for (i, batch) in result.batches.iter().enumerate() {
                let (name, content) = app.claim_batch_file_offline(&batch.id).await?;
                let path = if into_dir {
                    out.join(&name)
                } else if i == 0 {
                    out.clone()
                } else {
                    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                    let ext = out.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
                    out.with_file_name(format!("{stem}-{}{ext}", i + 1))
                };
                std::fs::write(&path, content).map_err(|e| Failure {
                    code: 1,
                    message: format!("batch {} is stored but cannot be written to {}: {e}", batch.batch_number, path.display()),
                })?;
                files.push(path.display().to_string());
            }
            let claims: i64 = result.batches.iter().map(|b| b.claim_count).sum();
            println!(
                "{}",
                serde_json::json!({
                    "claims": claims,
                    "file": files.first(),
                    "files": files,
                    "batches": result.batches,
                    "returned_to_draft": result.returned_to_draft,
                })
            );
            Ok(())
        }
        Command::Claims { command: ClaimsCommand::ImportAck { file } } => {
            let bytes = std::fs::read(&file).map_err(|e| bad_input(format!("cannot read {}: {e}", file.display())))?;
            let app = open(&cli.db).await?;
            let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let input = medoffice_app::acknowledgements::AckImportInput { file_name, bytes };
            let done = app.import_acknowledgement_offline(&input).await?;
            println!(
                "{}",
                serde_json::json!({
                    "kind": done.kind,
                    "file_id": done.file_id,
                    "matched": done.matched,
                    "accepted": done.accepted,
                    "rejected": done.rejected,
                    "unmatched": done.unmatched,
                    "duplicate": done.duplicate,
                    "items": done.items,
                })
            );
            Ok(())
        }
        Command::Claims { command: ClaimsCommand::Other(rest) } => {
            not_built(&format!("claims {}", rest.first().map(String::as_str).unwrap_or("")))
        }
        Command::Remit { command: RemitCommand::Import { file } } => {
            let bytes = std::fs::read(&file).map_err(|e| bad_input(format!("cannot read {}: {e}", file.display())))?;
            let app = open(&cli.db).await?;
            let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let input = medoffice_app::remittances::RemittanceImportInput { file_name, bytes };
            let done = app.import_remittance_offline(&input).await?;
            println!("{}", serde_json::json!(done));
            Ok(())
        }
        Command::Codes { command: CodesCommand::Import { code_set, effective_from, file } } => {
            let bytes = std::fs::read(&file).map_err(|e| bad_input(format!("cannot read {}: {e}", file.display())))?;
            let text = String::from_utf8(bytes).map_err(|_| bad_input(format!("{} is not UTF-8 text", file.display())))?;
            let app = open(&cli.db).await?;
            let import = medoffice_app::code_sets::ProcedureImport { code_set, text, effective_from };
            let summary = app.import_procedure_codes_offline(&import).await?;
            println!("{}", serde_json::json!(summary));
            Ok(())
        }
        Command::Ledger { command: LedgerCommand::TrialBalance { as_of, format } } => {
            if format != "json" {
                return Err(bad_input(format!("--format: '{format}' is not known; use json")));
            }
            let app = open(&cli.db).await?;
            let tb = app.trial_balance_offline(as_of.as_deref()).await?;
            println!("{}", serde_json::to_string(&tb).unwrap_or_default());
            Ok(())
        }
        Command::Ledger { command: LedgerCommand::Export { format } } => {
            let Some(format) = medoffice_app::ledger_reports::ExportFormat::parse(&format) else {
                return Err(bad_input(format!("--format: '{format}' is not known; use ledger or csv")));
            };
            let app = open(&cli.db).await?;
            print!("{}", app.export_journal_offline(format).await?);
            Ok(())
        }
        Command::Invoices { command: InvoicesCommand::LateCharges { date } } => {
            let app = open(&cli.db).await?;
            let run = app.apply_invoice_late_charges_offline(date.as_deref()).await?;
            println!("{}", serde_json::json!({"charged": run.charged, "total_cents": run.total_cents}));
            Ok(())
        }
        Command::Ledger { command: LedgerCommand::PostRecurring { as_of } } => {
            let app = open(&cli.db).await?;
            let run = app.post_due_recurring_entries_offline(as_of.as_deref()).await?;
            println!("{}", serde_json::to_string(&run).unwrap_or_default());
            match run.skipped.first() {
                None => Ok(()),
                Some(first) => Err(Failure {
                    code: 1,
                    message: format!(
                        "{} recurring entr(ies) not posted (first: {} {}: {})",
                        run.skipped.len(),
                        first.date,
                        first.memo,
                        first.reason
                    ),
                }),
            }
        }
        Command::Statements { command: StatementsCommand::Run { date, group } } => {
            let app = open(&cli.db).await?;
            let run = app.run_statements_offline(date.as_deref(), group.as_deref()).await?;
            println!(
                "{}",
                serde_json::json!({"statements": run.statements, "emailed": run.emailed, "printed": run.printed,
                    "total_cents": run.total_cents, "run_id": run.run_id, "run_date": run.run_date, "group": run.cycle_group})
            );
            Ok(())
        }
        Command::Ar { command: ArCommand::LateCharges { date } } => {
            let app = open(&cli.db).await?;
            let run = app.apply_late_charges_offline(date.as_deref()).await?;
            println!("{}", serde_json::json!({"charged": run.charged, "total_cents": run.total_cents, "as_of": run.as_of}));
            Ok(())
        }
        Command::Backup { out } => {
            let app = open(&cli.db).await?;
            let summary = app.write_backup(&out).await.map_err(backup_failure)?;
            println!("{}", serde_json::json!({"out": out.display().to_string(), "summary": summary}));
            Ok(())
        }
        Command::Restore { file } => restore(&cli.db, &file).await,
        Command::Letters { command: LettersCommand::Render { template, patient, out } } => {
            let app = open(&cli.db).await?;
            let pdf = app.render_letter_pdf_offline(&template, &patient).await?;
            std::fs::write(&out, &pdf).map_err(|e| Failure { code: 1, message: format!("could not write {}: {e}", out.display()) })?;
            println!("{}", serde_json::json!({ "out": out.display().to_string(), "bytes": pdf.len() }));
            Ok(())
        }
    }
}

fn backup_failure(e: medoffice_app::backup::BackupError) -> Failure {
    Failure { code: if e.is_bad_input() { 2 } else { 1 }, message: e.to_string() }
}

/// `medoffice restore FILE`: checks the whole file against the key and the data dir's emptiness
/// before creating anything, then restores (one transaction) and checks the row counts.
async fn restore(db: &DbArgs, file: &std::path::Path) -> Result<(), Failure> {
    use medoffice_app::backup::{BackupKey, check_empty_data_dir, restore_backup_file, verify_backup_file};
    if !file.is_file() {
        return Err(bad_input(format!("cannot read {}: no such file", file.display())));
    }
    let key_file = db.key_file.clone().unwrap_or_else(|| db.data_dir.join("blobs.key"));
    if !key_file.is_file() {
        return Err(bad_input(format!(
            "the backup is encrypted with the practice data key: put your saved key file at {} or give --key-file",
            key_file.display()
        )));
    }
    let key = BackupKey::from_key_file(&key_file).map_err(backup_failure)?;
    verify_backup_file(file, &key).map_err(backup_failure)?;
    check_empty_data_dir(&db.data_dir).map_err(backup_failure)?;
    std::fs::create_dir_all(&db.data_dir)
        .map_err(|e| Failure { code: 1, message: format!("cannot create data dir {}: {e}", db.data_dir.display()) })?;
    // The same key file the check above used: `--key-file`, or `blobs.key` in the data dir.
    let (store, blobs) = connect(db).await?;
    let summary = restore_backup_file(&store, &blobs, file).await.map_err(backup_failure)?;
    store.close().await;
    println!("{}", serde_json::json!({"restored": file.display().to_string(), "summary": summary}));
    Ok(())
}

async fn serve(
    db: &DbArgs,
    listen: &str,
    secure_cookies: bool,
    practice_name: &str,
    tls: Option<std::sync::Arc<tokio_rustls::rustls::ServerConfig>>,
) -> Result<(), Failure> {
    let app = open(db).await?;
    let admin_password = std::env::var("MEDOFFICE_ADMIN_PASSWORD").ok().filter(|p| !p.is_empty());
    match app.bootstrap(practice_name, admin_password.as_deref()).await? {
        medoffice_app::practice::Bootstrap::Created { generated_password: Some(password) } => {
            println!("medoffice: created the practice and the user 'admin' with password: {password}");
            println!("medoffice: this password is shown once; sign in and keep it safe.");
        }
        medoffice_app::practice::Bootstrap::Created { generated_password: None } => {
            println!("medoffice: created the practice and the user 'admin' (password from MEDOFFICE_ADMIN_PASSWORD)");
        }
        medoffice_app::practice::Bootstrap::AlreadySetUp => {}
    }
    // ICD-10-CM is loaded on first start (about a second); searches before it finishes wait for it.
    let loader = app.clone();
    tokio::spawn(async move {
        if let Err(e) = loader.ensure_icd10cm_loaded().await {
            tracing::error!("cannot load ICD-10-CM: {e}");
        }
    });
    // The practice's recurring jobs, run by the server itself (cron can run the same commands):
    // urgent telephone messages nobody acknowledged in time are escalated every five minutes
    // (`medoffice messages escalate`); late charges on patient balances and on third-party
    // invoices are applied once an hour (`medoffice ar late-charges`, `medoffice invoices
    // late-charges`), which makes them daily: each charge is once per statement or invoice period,
    // so a second run, a restart or a second server charges nothing more.
    let jobs = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
        let mut runs: u64 = 0;
        loop {
            tick.tick().await;
            if let Err(e) = jobs.escalate_due(jobs.now()).await {
                tracing::warn!("escalating late messages: {e}");
            }
            if runs.is_multiple_of(12) {
                match jobs.apply_all_late_charges().await {
                    Ok((0, _)) => {}
                    Ok((n, cents)) => tracing::info!("late charges: {n} posted, {cents} cents"),
                    Err(e) => tracing::warn!("late charges: {e}"),
                }
            }
            runs += 1;
        }
    });
    // The scheduled daily backup (a practice setting, /admin/backups): checked every five minutes
    // in its own task, so a long backup does not hold up the other jobs.
    let backups = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            tick.tick().await;
            match backups.run_scheduled_backups().await {
                Ok(runs) => {
                    for run in runs {
                        match (&run.file, &run.error) {
                            (_, Some(e)) => tracing::warn!("scheduled backup: {e}"),
                            (Some(f), None) => {
                                tracing::info!("scheduled backup written to {} ({} old deleted)", f.display(), run.pruned.len())
                            }
                            (None, None) => {}
                        }
                    }
                }
                Err(e) => tracing::warn!("scheduled backups: {e}"),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| bad_input(format!("--listen {listen}: {e}")))?;
    let local = listener.local_addr().map(|a| a.to_string()).unwrap_or_else(|_| listen.to_string());
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("medoffice: serving {scheme}://{local}/ (API at /api/v1, press Ctrl-C to stop)");
    let settings = medoffice_web::WebSettings { secure_cookies: secure_cookies || tls.is_some(), hsts: tls.is_some() };
    let router = medoffice_web::router(app.clone(), settings);
    let failed = |e: std::io::Error| Failure { code: 1, message: format!("server failed: {e}") };
    match tls {
        Some(config) => {
            use axum::serve::ListenerExt;
            // tap_io: axum hands the client's address to ConnectInfo for wrapped listeners.
            let listener = tls::TlsListener::new(listener, config).map_err(failed)?.tap_io(|_| {});
            axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
                .with_graceful_shutdown(shutdown_signal())
                .await
                .map_err(failed)?;
        }
        None => {
            axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
                .with_graceful_shutdown(shutdown_signal())
                .await
                .map_err(failed)?;
        }
    }
    app.store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
