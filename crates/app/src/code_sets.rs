//! Code sets: ICD-10-CM diagnoses (shipped whole, loaded into the database on first use) and the
//! practice's CPT and HCPCS procedure codes (imported from its own files; demo practices get a
//! small set with medoffice's own short labels).
//!
//! The ICD-10-CM FY2026 file is compiled into the binary (`data/icd10cm/`, 700 KB gzipped) and
//! loaded by [`App::ensure_icd10cm_loaded`] in one transaction of multi-row inserts: at
//! `medoffice serve`'s start and, failing that, by the first diagnosis search. A complete load
//! leaves a `code_set_version` row, so the check costs one read and a load interrupted half-way
//! leaves nothing. Searching needs [`Action::ReadCodeSets`]; importing [`Action::ManageCodeSets`].
//! Reads of reference codes are not audited (they name no patient); imports are.

use crate::{Actor, App, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::coding::{
    self, ICD10CM, ProcedureCodeSet, icd10cm_prefix, is_icd10cm_prefix, parse_icd10cm, parse_procedure_code, search_words,
};
use medoffice_domain::security::Action;
use medoffice_store::code_sets::{self as store, ALWAYS, CodeQuery, CodeSetVersionRow, DiagnosisRow, NewDiagnosis, ProcedureRow};
use medoffice_store::{Connection, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Read;
use utoipa::ToSchema;

/// The ICD-10-CM release medoffice ships.
pub const ICD10CM_VERSION: &str = "2026";
/// The first date of service FY2026 codes apply to (the fiscal year starts on October 1).
pub const ICD10CM_EFFECTIVE_FROM: &str = "2025-10-01";
/// The shipped file: `code<TAB>billable<TAB>description`, a header line first.
static ICD10CM_2026_GZ: &[u8] = include_bytes!("../../../data/icd10cm/icd10cm-2026.tsv.gz");
/// How many rows the shipped file has (a load that reads another number refuses to finish).
pub const ICD10CM_2026_ROWS: i64 = 98_147;
/// The most results a code search answers by default.
pub const DEFAULT_SEARCH_LIMIT: i64 = 25;
/// The largest procedure file an import reads (CPT has about 11,000 codes, HCPCS about 8,000).
pub const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;
/// The most lines an import reads.
pub const MAX_IMPORT_LINES: usize = 100_000;
/// The most line errors an import reports (the rest are counted).
const MAX_REPORTED_ERRORS: usize = 50;
/// The longest short description an import accepts.
const MAX_DESCRIPTION_CHARS: usize = 300;

/// What [`App::ensure_icd10cm_loaded`] found or did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeSetLoad {
    pub code_set: String,
    pub version: String,
    pub rows: i64,
    pub billable: i64,
    /// False when the version was already loaded.
    pub loaded_now: bool,
    /// How long this call took, in milliseconds.
    pub elapsed_ms: u64,
}

/// A diagnosis search as typed: a code (or its start) or words of the description.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct DiagnosisSearch {
    pub q: String,
    /// Only codes that may go on a claim.
    pub billable_only: bool,
    /// `YYYY-MM-DD`: codes in effect on this date of service (blank: today).
    pub on: String,
    /// At most this many (blank or 0: 25; 200 at most).
    pub limit: i64,
}

/// How a search result matched, in ranking order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The code typed, exactly.
    Exact,
    /// A code starting with what was typed.
    CodePrefix,
    /// Every word found in the description.
    Description,
}

/// One diagnosis code.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiagnosisView {
    /// Dotted, as in the tabular list (`J02.0`).
    pub code: String,
    /// Without the dot, as claims carry it (`J020`).
    pub claim_code: String,
    pub description: String,
    /// Whether the code may go on a claim (a leaf of the tabular list).
    pub billable: bool,
    pub version: String,
    pub effective_from: String,
    pub effective_to: Option<String>,
    #[serde(rename = "match")]
    pub match_kind: MatchKind,
}

/// Whether a diagnosis code may go on a claim for a date of service, and if not why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DiagnosisStatus {
    /// A billable code in effect on the date.
    Billable { description: String },
    /// A category or subcategory header: a longer code below it must be chosen.
    Header { description: String },
    /// The code exists in another version but not on this date.
    NotInEffect,
    /// No such code.
    Unknown,
}

impl DiagnosisStatus {
    pub fn is_billable(&self) -> bool {
        matches!(self, DiagnosisStatus::Billable { .. })
    }

    /// The reason in plain words, for the claim scrubber and forms (`None` when billable).
    pub fn problem(&self, code: &str, date: NaiveDate) -> Option<String> {
        match self {
            DiagnosisStatus::Billable { .. } => None,
            DiagnosisStatus::Header { description } => {
                Some(format!("{code} ({description}) is a category, not a billable code: choose a more specific code below it"))
            }
            DiagnosisStatus::NotInEffect => Some(format!("{code} is not a valid ICD-10-CM code on {date}")),
            DiagnosisStatus::Unknown => Some(format!("{code} is not an ICD-10-CM code")),
        }
    }
}

/// A procedure code search.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProcedureSearch {
    pub q: String,
    /// `cpt`, `hcpcs` or blank for both.
    pub code_set: String,
    /// `YYYY-MM-DD` (blank: today).
    pub on: String,
    pub limit: i64,
}

/// One of the practice's procedure codes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProcedureView {
    pub code: String,
    /// `cpt` or `hcpcs`.
    pub code_set: String,
    pub short_description: String,
    /// Blank when the code is valid for any date.
    pub effective_from: Option<String>,
    pub effective_to: Option<String>,
    /// `import` or `demo`.
    pub source: String,
    #[serde(rename = "match")]
    pub match_kind: MatchKind,
}

/// An import of the practice's CPT or HCPCS file.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProcedureImport {
    /// `cpt` or `hcpcs`.
    pub code_set: String,
    /// The file's text: one code a line, `code<TAB>description` or `code,description` (a quoted
    /// description may hold commas); a header line is optional.
    pub text: String,
    /// `YYYY-MM-DD` the codes apply from; blank: any date (a re-import updates them in place).
    pub effective_from: String,
}

/// What an import wrote.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportSummary {
    pub code_set: String,
    /// Codes new to the practice.
    pub added: usize,
    /// Codes already there whose description was rewritten.
    pub updated: usize,
    /// Whether the first line was taken as a header and skipped.
    pub header_skipped: bool,
}

/// How many procedure codes the practice has.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProcedureCounts {
    pub cpt: i64,
    pub hcpcs: i64,
}

/// The demo practice's procedure codes, with medoffice's own short labels (not the AMA's
/// descriptors) and the demo's standard fee in cents.
pub const DEMO_PROCEDURES: [(&str, &str, i64); 36] = [
    ("99202", "New patient office visit, straightforward MDM", 11_000),
    ("99203", "New patient office visit, low MDM", 16_500),
    ("99204", "New patient office visit, moderate MDM", 25_000),
    ("99205", "New patient office visit, high MDM", 32_000),
    ("99211", "Established patient visit, nurse only", 3_500),
    ("99212", "Office visit, established, straightforward MDM", 9_000),
    ("99213", "Office visit, established, low MDM", 15_000),
    ("99214", "Office visit, established, moderate MDM", 21_000),
    ("99215", "Office visit, established, high MDM", 29_000),
    ("99385", "Preventive visit, new patient, age 18-39", 24_000),
    ("99386", "Preventive visit, new patient, age 40-64", 27_000),
    ("99395", "Preventive visit, established, age 18-39", 21_000),
    ("99396", "Preventive visit, established, age 40-64", 23_000),
    ("99397", "Preventive visit, established, age 65+", 25_000),
    ("99401", "Preventive counselling, about 15 minutes", 6_000),
    ("36415", "Blood draw from a vein", 1_500),
    ("80053", "Comprehensive metabolic panel", 4_000),
    ("83036", "Hemoglobin A1c", 3_000),
    ("85025", "Complete blood count with differential", 2_800),
    ("81002", "Urinalysis by dipstick, read by hand", 1_200),
    ("87804", "Rapid influenza test", 3_500),
    ("87880", "Rapid strep test (group A)", 3_000),
    ("90471", "Vaccine given, first one", 3_000),
    ("90472", "Vaccine given, each additional", 1_800),
    ("90686", "Flu vaccine, preservative-free, age 3+", 3_500),
    ("93000", "ECG, 12 leads, with reading and report", 6_500),
    ("94010", "Spirometry", 7_000),
    ("96127", "Brief emotional or behavioural screening", 1_500),
    ("96372", "Injection under the skin or into a muscle", 4_000),
    ("G0438", "Medicare annual wellness visit, first", 22_000),
    ("G0439", "Medicare annual wellness visit, later years", 15_000),
    ("G0442", "Yearly alcohol misuse screening", 2_500),
    ("G0444", "Yearly depression screening", 2_500),
    ("J1100", "Dexamethasone injection, per 1 mg", 500),
    ("J3420", "Vitamin B-12 injection, up to 1,000 mcg", 1_500),
    ("Q0091", "Collection of a screening Pap smear", 5_000),
];

fn diagnosis_view(r: DiagnosisRow, match_kind: MatchKind) -> DiagnosisView {
    DiagnosisView {
        claim_code: coding::icd10cm_without_dot(&r.code),
        code: r.code,
        description: r.description,
        billable: r.billable == 1,
        version: r.version,
        effective_from: r.effective_from,
        effective_to: r.effective_to,
        match_kind,
    }
}

fn procedure_view(r: ProcedureRow, match_kind: MatchKind) -> ProcedureView {
    ProcedureView {
        code: r.code,
        code_set: r.code_set,
        short_description: r.short_description,
        effective_from: (r.effective_from != ALWAYS).then_some(r.effective_from),
        effective_to: r.effective_to,
        source: r.source,
        match_kind,
    }
}

/// A search's date: the one typed, or the practice's today.
fn search_date(text: &str, today: NaiveDate, errors: &mut ValidationErrors) -> String {
    if text.trim().is_empty() {
        return today.to_string();
    }
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(d) => d.to_string(),
        Err(_) => {
            errors.add("on", "enter a date as YYYY-MM-DD");
            today.to_string()
        }
    }
}

fn search_limit(limit: i64) -> i64 {
    if limit <= 0 { DEFAULT_SEARCH_LIMIT } else { limit.min(store::MAX_SEARCH_ROWS) }
}

/// The shipped ICD-10-CM file, decompressed.
fn icd10cm_text() -> Result<String> {
    let mut text = String::with_capacity(8 * 1024 * 1024 + 100_000);
    flate2::read::GzDecoder::new(ICD10CM_2026_GZ)
        .read_to_string(&mut text)
        .map_err(|e| crate::AppError::Internal(format!("the shipped ICD-10-CM file cannot be read: {e}")))?;
    Ok(text)
}

/// The rows of the shipped file: (code, billable, description).
fn icd10cm_rows(text: &str) -> Result<Vec<(&str, bool, &str)>> {
    let mut rows = Vec::with_capacity(ICD10CM_2026_ROWS as usize);
    for (i, line) in text.lines().enumerate().skip(1) {
        let mut fields = line.splitn(3, '\t');
        let (Some(code), Some(billable), Some(description)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(crate::AppError::Internal(format!("ICD-10-CM file line {}: not code, billable, description", i + 1)));
        };
        if parse_icd10cm(code).as_deref() != Ok(code) || !matches!(billable, "0" | "1") {
            return Err(crate::AppError::Internal(format!("ICD-10-CM file line {}: bad code or billable flag", i + 1)));
        }
        rows.push((code, billable == "1", description));
    }
    Ok(rows)
}

/// Whether a diagnosis code may go on a claim for a date of service, inside the caller's
/// transaction (the claim scrubber's check). `code` may be typed with or without its dot.
pub async fn diagnosis_status_on(conn: &mut Connection, code: &str, date: NaiveDate) -> Result<DiagnosisStatus> {
    let Ok(code) = parse_icd10cm(code) else {
        return Ok(DiagnosisStatus::Unknown);
    };
    match store::diagnosis_on(conn, ICD10CM, &code, &date.to_string()).await? {
        Some(r) if r.billable == 1 => Ok(DiagnosisStatus::Billable { description: r.description }),
        Some(r) => Ok(DiagnosisStatus::Header { description: r.description }),
        None if store::diagnosis_versions(conn, ICD10CM, &code).await?.is_empty() => Ok(DiagnosisStatus::Unknown),
        None => Ok(DiagnosisStatus::NotInEffect),
    }
}

/// One line of a procedure file, split: (code, description) as written.
fn split_line(line: &str) -> (String, String) {
    if let Some((code, rest)) = line.split_once('\t') {
        // Tab-separated: the description is the next column (a third column, if any, is ignored).
        let description = rest.split('\t').next().unwrap_or("");
        return (code.trim().to_string(), description.trim().to_string());
    }
    let Some((code, rest)) = line.split_once(',') else {
        return (line.trim().to_string(), String::new());
    };
    let rest = rest.trim();
    // A quoted description: "Office visit, established" with "" for a quote inside.
    let description = if let Some(inner) = rest.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    out.push('"');
                    chars.next();
                } else {
                    break;
                }
            } else {
                out.push(c);
            }
        }
        out
    } else {
        // Unquoted: up to the next comma (later columns are ignored).
        rest.split(',').next().unwrap_or("").to_string()
    };
    (code.trim().trim_matches('"').to_string(), description.trim().to_string())
}

/// A procedure file, checked whole: the codes and descriptions, or every line at fault
/// (`file`, "line N: ...").
pub fn parse_procedure_file(text: &str, set: ProcedureCodeSet) -> Result<(Vec<(String, String)>, bool), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut problems = 0usize;
    let mut report = |errors: &mut ValidationErrors, message: String| {
        problems += 1;
        if problems <= MAX_REPORTED_ERRORS {
            errors.add("file", message);
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut header_skipped = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        if n > MAX_IMPORT_LINES {
            report(&mut errors, format!("line {n}: the file has more than {MAX_IMPORT_LINES} lines"));
            break;
        }
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let (code, description) = split_line(line);
        // A header: a first line whose first column has no digit ("code", "HCPCS").
        if rows.is_empty() && !header_skipped && first_line.is_empty() && !code.chars().any(|c| c.is_ascii_digit()) {
            header_skipped = true;
            continue;
        }
        let code = match parse_procedure_code(&code, set) {
            Ok(c) => c,
            Err(e) => {
                report(&mut errors, format!("line {n}: {e}"));
                continue;
            }
        };
        let description = description.split_whitespace().collect::<Vec<_>>().join(" ");
        if description.is_empty() {
            report(&mut errors, format!("line {n}: {code} has no description"));
            continue;
        }
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            report(&mut errors, format!("line {n}: the description of {code} is longer than {MAX_DESCRIPTION_CHARS} characters"));
            continue;
        }
        if let Some(first) = first_line.get(&code) {
            report(&mut errors, format!("line {n}: {code} is also on line {first}"));
            continue;
        }
        first_line.insert(code.clone(), n);
        rows.push((code, description));
    }
    if problems > MAX_REPORTED_ERRORS {
        errors.add("file", format!("and {} more lines with problems", problems - MAX_REPORTED_ERRORS));
    }
    if errors.is_empty() && rows.is_empty() {
        errors.add("file", "the file has no codes");
    }
    errors.into_result((rows, header_skipped))
}

impl App {
    /// Loads the shipped ICD-10-CM release into the database unless it is there already: one
    /// transaction, batches of multi-row inserts, then its `code_set_version` row. Safe to call
    /// at every start and from two places at once (rows already there are skipped).
    pub async fn ensure_icd10cm_loaded(&self) -> Result<CodeSetLoad> {
        let started = std::time::Instant::now();
        let done = |v: &CodeSetVersionRow, loaded_now: bool| CodeSetLoad {
            code_set: v.code_set.clone(),
            version: v.version.clone(),
            rows: v.row_count,
            billable: v.billable_count,
            loaded_now,
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            if let Some(v) = store::code_set_version(&mut conn, ICD10CM, ICD10CM_VERSION).await? {
                return Ok(done(&v, false));
            }
        }
        let text = icd10cm_text()?;
        let rows = icd10cm_rows(&text)?;
        let mut tx = self.store.begin().await?;
        // Another loader may have finished while this one read the file.
        if let Some(v) = store::code_set_version(&mut tx, ICD10CM, ICD10CM_VERSION).await? {
            return Ok(done(&v, false));
        }
        let new: Vec<NewDiagnosis<'_>> = rows
            .iter()
            .map(|(code, billable, description)| NewDiagnosis {
                code,
                billable: *billable,
                description,
                search_text: coding::search_text(description),
            })
            .collect();
        store::insert_diagnoses(&mut tx, ICD10CM, ICD10CM_VERSION, ICD10CM_EFFECTIVE_FROM, &new).await?;
        let (row_count, billable_count) = store::count_diagnoses(&mut tx, ICD10CM, ICD10CM_VERSION).await?;
        if row_count != ICD10CM_2026_ROWS {
            return Err(crate::AppError::Internal(format!(
                "ICD-10-CM {ICD10CM_VERSION}: {row_count} rows in the database after the load, {ICD10CM_2026_ROWS} expected"
            )));
        }
        let version = CodeSetVersionRow {
            code_set: ICD10CM.to_string(),
            version: ICD10CM_VERSION.to_string(),
            effective_from: ICD10CM_EFFECTIVE_FROM.to_string(),
            effective_to: None,
            row_count,
            billable_count,
            loaded_at: self.now_text(),
        };
        store::insert_code_set_version(&mut tx, &version).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let load = done(&version, true);
        tracing::info!(rows = load.rows, billable = load.billable, elapsed_ms = load.elapsed_ms, "ICD-10-CM {ICD10CM_VERSION} loaded");
        Ok(load)
    }

    /// Diagnosis codes by code or by words: the code typed exactly first, then codes starting
    /// with it, then codes whose description has every word (shortest description first).
    pub async fn search_diagnoses(&self, actor: &Actor, search: &DiagnosisSearch) -> Result<Vec<DiagnosisView>> {
        self.authorize(actor, Action::ReadCodeSets, None).await?;
        let mut errors = ValidationErrors::new();
        let on = search_date(&search.on, actor.today(self.now()), &mut errors);
        let words = search_words(&search.q);
        if words.is_empty() {
            errors.add("q", "type a code (e.g. J02.0) or words of the description (e.g. strep throat)");
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        self.ensure_icd10cm_loaded().await?;
        let limit = search_limit(search.limit);
        let (codes, text_words): (Vec<&String>, Vec<&String>) = words.iter().partition(|w| is_icd10cm_prefix(w));
        let code_prefix = codes.first().map(|w| icd10cm_prefix(w));
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let mut out: Vec<DiagnosisView> = Vec::new();
        if text_words.is_empty() {
            let typed = code_prefix.clone().unwrap_or_default();
            let exact = match parse_icd10cm(&typed) {
                Ok(code) => store::diagnosis_on(&mut conn, ICD10CM, &code, &on).await?.filter(|r| !search.billable_only || r.billable == 1),
                Err(_) => None,
            };
            if let Some(r) = exact {
                out.push(diagnosis_view(r, MatchKind::Exact));
            }
            let query = CodeQuery { code_prefix, words: Vec::new(), billable_only: search.billable_only, on, limit: limit + 1 };
            for r in store::search_diagnoses(&mut conn, ICD10CM, &query).await? {
                if !out.iter().any(|d| d.code == r.code) {
                    out.push(diagnosis_view(r, MatchKind::CodePrefix));
                }
            }
        } else {
            let query =
                CodeQuery { code_prefix, words: text_words.into_iter().cloned().collect(), billable_only: search.billable_only, on, limit };
            out.extend(
                store::search_diagnoses(&mut conn, ICD10CM, &query).await?.into_iter().map(|r| diagnosis_view(r, MatchKind::Description)),
            );
        }
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }

    /// One diagnosis code in effect on a date (blank: today).
    pub async fn diagnosis(&self, actor: &Actor, code: &str, on: &str) -> Result<DiagnosisView> {
        self.authorize(actor, Action::ReadCodeSets, None).await?;
        let mut errors = ValidationErrors::new();
        let on = search_date(on, actor.today(self.now()), &mut errors);
        let code = errors.check("code", parse_icd10cm(code));
        let Some(code) = code else { return Err(errors.into()) };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        self.ensure_icd10cm_loaded().await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let row = store::diagnosis_on(&mut conn, ICD10CM, &code, &on).await?.ok_or(crate::AppError::NotFound("diagnosis code"))?;
        Ok(diagnosis_view(row, MatchKind::Exact))
    }

    /// Whether a diagnosis code may go on a claim for a date of service.
    pub async fn is_billable_on(&self, actor: &Actor, code: &str, date: NaiveDate) -> Result<DiagnosisStatus> {
        self.authorize(actor, Action::ReadCodeSets, None).await?;
        self.ensure_icd10cm_loaded().await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        diagnosis_status_on(&mut conn, code, date).await
    }

    /// The practice's procedure codes by code (or its start) or words of the description.
    pub async fn search_procedures(&self, actor: &Actor, search: &ProcedureSearch) -> Result<Vec<ProcedureView>> {
        self.authorize(actor, Action::ReadCodeSets, None).await?;
        let mut errors = ValidationErrors::new();
        let on = search_date(&search.on, actor.today(self.now()), &mut errors);
        let set = match search.code_set.trim() {
            "" => None,
            s => errors.check("code_set", ProcedureCodeSet::parse(s)),
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let limit = search_limit(search.limit);
        let words = search_words(&search.q);
        let looks_like_code =
            |w: &str| w.len() <= 5 && w.chars().any(|c| c.is_ascii_digit()) && w.chars().all(|c| c.is_ascii_alphanumeric());
        let (codes, text_words): (Vec<&String>, Vec<&String>) = words.iter().partition(|w| looks_like_code(w));
        let code_prefix = codes.first().map(|w| w.to_ascii_uppercase());
        let query = CodeQuery {
            code_prefix: code_prefix.clone(),
            words: text_words.into_iter().cloned().collect(),
            billable_only: false,
            on,
            limit,
        };
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let rows = store::search_procedures(&mut conn, &actor.practice_id, set.map(ProcedureCodeSet::as_str), &query).await?;
        let mut out: Vec<ProcedureView> = rows
            .into_iter()
            .map(|r| {
                let kind = match &code_prefix {
                    Some(p) if *p == r.code => MatchKind::Exact,
                    Some(_) if query.words.is_empty() => MatchKind::CodePrefix,
                    _ => MatchKind::Description,
                };
                procedure_view(r, kind)
            })
            .collect();
        out.sort_by(|a, b| a.match_kind.cmp(&b.match_kind).then_with(|| a.code.cmp(&b.code)));
        Ok(out)
    }

    /// How many CPT and HCPCS codes the practice has.
    pub async fn procedure_counts(&self, actor: &Actor) -> Result<ProcedureCounts> {
        self.authorize(actor, Action::ReadCodeSets, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let (cpt, hcpcs) = store::count_procedures(&mut conn, &actor.practice_id).await?;
        Ok(ProcedureCounts { cpt, hcpcs })
    }

    /// Imports the practice's CPT or HCPCS file: every line checked first (errors name their
    /// lines, and nothing is written while any line is wrong), then one transaction that adds the
    /// new codes and rewrites the descriptions of those already there.
    pub async fn import_procedure_codes(&self, actor: &Actor, import: &ProcedureImport) -> Result<ImportSummary> {
        self.authorize(actor, Action::ManageCodeSets, None).await?;
        self.import_procedure_codes_for(&actor.practice_id, import, Some(actor)).await
    }

    /// The same for the database's one practice, from the command line (`medoffice codes
    /// import`): audited as `(command line)`, with no user.
    pub async fn import_procedure_codes_offline(&self, import: &ProcedureImport) -> Result<ImportSummary> {
        let practice = self.only_practice().await?;
        self.import_procedure_codes_for(&practice.id, import, None).await
    }

    async fn import_procedure_codes_for(
        &self,
        practice_id: &str,
        import: &ProcedureImport,
        actor: Option<&Actor>,
    ) -> Result<ImportSummary> {
        let mut errors = ValidationErrors::new();
        let set = errors.check("code_set", ProcedureCodeSet::parse(&import.code_set));
        let effective_from = match import.effective_from.trim() {
            "" => Some(ALWAYS.to_string()),
            d => errors.check(
                "effective_from",
                NaiveDate::parse_from_str(d, "%Y-%m-%d").map(|d| d.to_string()).map_err(|_| "enter a date as YYYY-MM-DD".to_string()),
            ),
        };
        if import.text.len() > MAX_IMPORT_BYTES {
            errors.add("file", format!("the file is larger than {} MB", MAX_IMPORT_BYTES / (1024 * 1024)));
        }
        let (Some(set), Some(effective_from)) = (set, effective_from) else { return Err(errors.into()) };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let (rows, header_skipped) = parse_procedure_file(&import.text, set)?;
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        let existing: std::collections::HashSet<(String, String)> =
            store::procedure_keys(&mut tx, practice_id).await?.into_iter().collect();
        let records: Vec<ProcedureRow> = rows
            .into_iter()
            .map(|(code, short_description)| ProcedureRow {
                practice_id: practice_id.to_string(),
                code,
                effective_from: effective_from.clone(),
                code_set: set.as_str().to_string(),
                short_description,
                effective_to: None,
                source: "import".to_string(),
                updated_at: now.clone(),
            })
            .collect();
        let updated = records.iter().filter(|r| existing.contains(&(r.code.clone(), r.effective_from.clone()))).count();
        store::upsert_procedures(&mut tx, &records).await?;
        let summary = ImportSummary { code_set: set.as_str().to_string(), added: records.len() - updated, updated, header_skipped };
        let detail = format!("{}: {} added, {} updated", set.label(), summary.added, summary.updated);
        match actor {
            Some(actor) => {
                let note = AuditNote { action: "codes.import", patient_id: None, record_type: "procedure_code", record_id: None, detail };
                self.audit(&mut tx, actor, note).await?;
            }
            None => {
                let event = medoffice_store::audit::NewAuditEvent {
                    practice_id: practice_id.to_string(),
                    at: now.clone(),
                    user_id: None,
                    username: crate::ledger_reports::CLI_USERNAME.to_string(),
                    action: "codes.import".to_string(),
                    patient_id: None,
                    record_type: "procedure_code".to_string(),
                    record_id: None,
                    ip: None,
                    outcome: "success".to_string(),
                    detail,
                };
                self.append_audit(&mut tx, event).await?;
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(summary)
    }

    /// Gives a new practice the demo's procedure codes and fees: standard fees, and each payer's
    /// expected amounts as a share of them by kind of plan (Medicare 55 %, Medicaid 45 %, the
    /// others 75 %). Codes and fees already there are left as they are.
    pub(crate) async fn load_demo_code_sets(&self, conn: &mut Connection, practice_id: &str) -> Result<usize> {
        let now = self.now_text();
        let existing: std::collections::HashSet<String> =
            store::procedure_keys(conn, practice_id).await?.into_iter().map(|(code, _)| code).collect();
        let rows: Vec<ProcedureRow> = DEMO_PROCEDURES
            .iter()
            .filter(|(code, ..)| !existing.contains(*code))
            .map(|(code, label, _)| ProcedureRow {
                practice_id: practice_id.to_string(),
                code: (*code).to_string(),
                effective_from: ALWAYS.to_string(),
                code_set: ProcedureCodeSet::of(code).unwrap_or(ProcedureCodeSet::Cpt).as_str().to_string(),
                short_description: (*label).to_string(),
                effective_to: None,
                source: "demo".to_string(),
                updated_at: now.clone(),
            })
            .collect();
        store::upsert_procedures(conn, &rows).await?;
        let payers = store::list_payers(conn, practice_id).await?;
        for (code, _, charge_cents) in DEMO_PROCEDURES {
            if store::standard_fee(conn, practice_id, code, "").await?.is_some() {
                continue;
            }
            let fee = store::StandardFeeRow {
                practice_id: practice_id.to_string(),
                code: code.to_string(),
                modifier: String::new(),
                charge_cents,
                updated_at: now.clone(),
            };
            store::set_standard_fee(conn, &fee).await?;
            for payer in &payers {
                let percent = match payer.claim_filing_indicator.as_str() {
                    "MB" | "MA" => 55,
                    "MC" => 45,
                    _ => 75,
                };
                let allowed = store::PayerFeeRow {
                    practice_id: practice_id.to_string(),
                    payer_id: payer.id.clone(),
                    code: code.to_string(),
                    modifier: String::new(),
                    allowed_cents: charge_cents * percent / 100,
                    updated_at: now.clone(),
                };
                store::set_payer_fee(conn, &allowed).await?;
            }
        }
        Ok(rows.len())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_procedure_file_takes_tabs_commas_quotes_and_an_optional_header() {
        let text = "\u{feff}Code,Short description\n99213,Office visit\n\n99214\t\"Quoted\" in a tab file\n99215,\"Visit, high\"\"ish\"\"\",extra\n";
        let (rows, header) = parse_procedure_file(text, ProcedureCodeSet::Cpt).unwrap();
        assert!(header);
        assert_eq!(
            rows,
            [
                ("99213".to_string(), "Office visit".to_string()),
                ("99214".to_string(), "\"Quoted\" in a tab file".to_string()),
                ("99215".to_string(), "Visit, high\"ish\"".to_string()),
            ]
        );
        let (_, header) = parse_procedure_file("g0439\tWellness visit", ProcedureCodeSet::Hcpcs).unwrap();
        assert!(!header);
    }

    #[test]
    fn every_bad_line_of_a_procedure_file_is_named_by_its_number() {
        let text = "code,description\n99213,Office visit\n9921,Too short\n99214,\nG0439,Wrong set\n99213,Again\n";
        let errors = parse_procedure_file(text, ProcedureCodeSet::Cpt).unwrap_err();
        let messages: Vec<&str> = errors.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].starts_with("line 3: '9921' is not a CPT code"), "{messages:?}");
        assert_eq!(messages[1], "line 4: 99214 has no description");
        assert!(messages[2].starts_with("line 5: 'G0439'"), "{messages:?}");
        assert_eq!(messages[3], "line 6: 99213 is also on line 2");
        assert!(errors.errors.iter().all(|e| e.field == "file"));
        assert!(parse_procedure_file("code\n\n", ProcedureCodeSet::Cpt).is_err());
    }

    #[test]
    fn the_shipped_icd10cm_file_has_every_row_and_only_well_formed_codes() {
        let text = icd10cm_text().unwrap();
        let rows = icd10cm_rows(&text).unwrap();
        assert_eq!(rows.len() as i64, ICD10CM_2026_ROWS);
        assert_eq!(rows.iter().filter(|r| r.1).count(), 74_714);
    }

    #[test]
    fn the_demo_procedures_have_valid_codes_and_fees() {
        for (code, label, fee) in DEMO_PROCEDURES {
            assert!(ProcedureCodeSet::of(code).is_some(), "{code}");
            assert!(!label.is_empty() && fee > 0, "{code}");
        }
    }
}
