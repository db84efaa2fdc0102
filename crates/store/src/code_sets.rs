//! Code sets, payers' claim details and fee schedules (migration 0016_code_sets).
//!
//! `diagnosis_code` is shared reference data (every practice reads the same ICD-10-CM), loaded in
//! batches of multi-row inserts inside the caller's transaction; `code_set_version` records a
//! complete load. `procedure_code`, the payer columns of 0016, `standard_fee` and
//! `payer_allowed_fee` belong to one practice each.
//!
//! Searches are range scans of the code key for code prefixes (codes are ASCII, so `prefix ~` is
//! an upper bound: `~` sorts after every letter, digit and `.`), and `LIKE '%word%'` over
//! `search_text` for words (lower case on both sides, so one expression serves both databases).
//! A word scan reads the whole set (98,147 ICD-10-CM rows): about 30 ms, measured in
//! bench/README.md, which a search box can afford without a word index.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, AssertSqlSafe, FromRow};

/// The most rows one multi-row insert writes (4 bound values a row stays far below both
/// databases' limits on bound parameters).
pub const INSERT_BATCH: usize = 1000;
/// The most rows a code search answers.
pub const MAX_SEARCH_ROWS: i64 = 200;

/// One diagnosis code of one version.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct DiagnosisRow {
    pub code_set: String,
    pub version: String,
    pub code: String,
    /// 1 for a code that may go on a claim.
    pub billable: i64,
    pub description: String,
    pub effective_from: String,
    pub effective_to: Option<String>,
}

const DIAGNOSIS_COLUMNS: &str = "code_set, version, code, billable, description, effective_from, effective_to";

/// A code set version that loaded completely.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct CodeSetVersionRow {
    pub code_set: String,
    pub version: String,
    pub effective_from: String,
    pub effective_to: Option<String>,
    pub row_count: i64,
    pub billable_count: i64,
    pub loaded_at: String,
}

/// One diagnosis to load: code (dotted), billable, description, search text.
pub struct NewDiagnosis<'a> {
    pub code: &'a str,
    pub billable: bool,
    pub description: &'a str,
    pub search_text: String,
}

/// The record of a complete load of `code_set` `version`, if there is one.
pub async fn code_set_version(conn: &mut AnyConnection, code_set: &str, version: &str) -> Result<Option<CodeSetVersionRow>> {
    Ok(sqlx::query_as("SELECT * FROM code_set_version WHERE code_set = $1 AND version = $2")
        .bind(code_set)
        .bind(version)
        .fetch_optional(conn)
        .await?)
}

/// Inserts one batch of diagnoses of a version; rows already there are left as they are (a
/// second loader racing the first writes nothing twice).
pub async fn insert_diagnoses(
    conn: &mut AnyConnection,
    code_set: &str,
    version: &str,
    effective_from: &str,
    rows: &[NewDiagnosis<'_>],
) -> Result<()> {
    for chunk in rows.chunks(INSERT_BATCH) {
        let mut sql = String::with_capacity(chunk.len() * 40 + 200);
        sql.push_str("INSERT INTO diagnosis_code (code_set, version, effective_from, code, billable, description, search_text) VALUES ");
        for i in 0..chunk.len() {
            let p = 4 + i * 4;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("($1, $2, $3, ${p}, ${}, ${}, ${})", p + 1, p + 2, p + 3));
        }
        sql.push_str(" ON CONFLICT (code_set, code, effective_from) DO NOTHING");
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(code_set).bind(version).bind(effective_from);
        for r in chunk {
            q = q.bind(r.code).bind(i64::from(r.billable)).bind(r.description).bind(&r.search_text);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Records a complete load (the load's last write).
pub async fn insert_code_set_version(conn: &mut AnyConnection, v: &CodeSetVersionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO code_set_version (code_set, version, effective_from, effective_to, row_count, billable_count, loaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code_set, version) DO NOTHING",
    )
    .bind(&v.code_set)
    .bind(&v.version)
    .bind(&v.effective_from)
    .bind(&v.effective_to)
    .bind(v.row_count)
    .bind(v.billable_count)
    .bind(&v.loaded_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Rows and billable rows of a version, counted.
pub async fn count_diagnoses(conn: &mut AnyConnection, code_set: &str, version: &str) -> Result<(i64, i64)> {
    let (rows, billable): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(billable), 0) AS BIGINT) FROM diagnosis_code WHERE code_set = $1 AND version = $2",
    )
    .bind(code_set)
    .bind(version)
    .fetch_one(conn)
    .await?;
    Ok((rows, billable))
}

/// The version of `code` in effect on `date` (`YYYY-MM-DD`), if any.
pub async fn diagnosis_on(conn: &mut AnyConnection, code_set: &str, code: &str, date: &str) -> Result<Option<DiagnosisRow>> {
    let sql = format!(
        "SELECT {DIAGNOSIS_COLUMNS} FROM diagnosis_code WHERE code_set = $1 AND code = $2 AND effective_from <= $3 \
         AND (effective_to IS NULL OR effective_to >= $3) ORDER BY effective_from DESC LIMIT 1"
    );
    Ok(sqlx::query_as(AssertSqlSafe(sql)).bind(code_set).bind(code).bind(date).fetch_optional(conn).await?)
}

/// Every version of `code`, oldest first.
pub async fn diagnosis_versions(conn: &mut AnyConnection, code_set: &str, code: &str) -> Result<Vec<DiagnosisRow>> {
    let sql = format!("SELECT {DIAGNOSIS_COLUMNS} FROM diagnosis_code WHERE code_set = $1 AND code = $2 ORDER BY effective_from LIMIT 100");
    Ok(sqlx::query_as(AssertSqlSafe(sql)).bind(code_set).bind(code).fetch_all(conn).await?)
}

/// What a code search asks for.
#[derive(Debug, Clone, Default)]
pub struct CodeQuery {
    /// Codes starting with this (in stored form), if given.
    pub code_prefix: Option<String>,
    /// Words that must all appear in the description (search form).
    pub words: Vec<String>,
    pub billable_only: bool,
    /// Only versions in effect on this date (`YYYY-MM-DD`).
    pub on: String,
    pub limit: i64,
}

/// Appends the WHERE conditions of `q` after the first `params` already bound.
fn code_conditions(q: &CodeQuery, code_column: &str, params: &mut Vec<String>) -> String {
    let mut bind = |value: String| {
        params.push(value);
        format!("${}", params.len())
    };
    let mut sql = String::new();
    if let Some(prefix) = &q.code_prefix {
        let (low, high) = (bind(prefix.clone()), bind(format!("{prefix}~")));
        sql.push_str(&format!(" AND {code_column} >= {low} AND {code_column} < {high}"));
    }
    for w in &q.words {
        // Words are letters, digits and dots (domain::coding::search_words): no LIKE wildcards.
        let pattern = bind(format!("%{w}%"));
        sql.push_str(&format!(" AND search_text LIKE {pattern}"));
    }
    sql
}

/// Diagnoses matching `q`: by code when only a prefix is given, else the shortest descriptions
/// first (the general term before its refinements), then by code.
pub async fn search_diagnoses(conn: &mut AnyConnection, code_set: &str, q: &CodeQuery) -> Result<Vec<DiagnosisRow>> {
    let mut params = vec![code_set.to_string(), q.on.clone()];
    let mut sql = format!(
        "SELECT {DIAGNOSIS_COLUMNS} FROM diagnosis_code WHERE code_set = $1 AND effective_from <= $2 \
         AND (effective_to IS NULL OR effective_to >= $2)"
    );
    if q.billable_only {
        sql.push_str(" AND billable = 1");
    }
    sql.push_str(&code_conditions(q, "code", &mut params));
    let order = if q.words.is_empty() { "code" } else { "LENGTH(description), code" };
    sql.push_str(&format!(" ORDER BY {order} LIMIT {}", q.limit.clamp(1, MAX_SEARCH_ROWS)));
    let mut query = sqlx::query_as::<_, DiagnosisRow>(AssertSqlSafe(sql));
    for p in &params {
        query = query.bind(p);
    }
    Ok(query.fetch_all(conn).await?)
}

// ---------------------------------------------------------------------------------------------
// Procedure codes
// ---------------------------------------------------------------------------------------------

/// "Valid for any date": the start of a procedure code imported without one.
pub const ALWAYS: &str = "0001-01-01";

/// One CPT or HCPCS code of a practice.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct ProcedureRow {
    pub practice_id: String,
    pub code: String,
    pub effective_from: String,
    /// `cpt` or `hcpcs`.
    pub code_set: String,
    pub short_description: String,
    pub effective_to: Option<String>,
    /// `import` or `demo`.
    pub source: String,
    pub updated_at: String,
}

const PROCEDURE_COLUMNS: &str = "practice_id, code, effective_from, code_set, short_description, effective_to, source, updated_at";

/// Inserts procedure codes, or updates the description, set and source of a code already there
/// with the same start date (a re-import).
pub async fn upsert_procedures(conn: &mut AnyConnection, rows: &[ProcedureRow]) -> Result<()> {
    for chunk in rows.chunks(INSERT_BATCH / 2) {
        let mut sql = String::from(
            "INSERT INTO procedure_code (practice_id, code, effective_from, code_set, short_description, search_text, effective_to, \
             source, updated_at) VALUES ",
        );
        for i in 0..chunk.len() {
            let p = 1 + i * 9;
            if i > 0 {
                sql.push_str(", ");
            }
            let marks: Vec<String> = (p..p + 9).map(|n| format!("${n}")).collect();
            sql.push_str(&format!("({})", marks.join(", ")));
        }
        sql.push_str(
            " ON CONFLICT (practice_id, code, effective_from) DO UPDATE SET short_description = excluded.short_description, \
             search_text = excluded.search_text, code_set = excluded.code_set, source = excluded.source, updated_at = excluded.updated_at",
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in chunk {
            q = q
                .bind(&r.practice_id)
                .bind(&r.code)
                .bind(&r.effective_from)
                .bind(&r.code_set)
                .bind(&r.short_description)
                .bind(medoffice_domain::coding::search_text(&r.short_description))
                .bind(&r.effective_to)
                .bind(&r.source)
                .bind(&r.updated_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The codes (and start dates) a practice has, for telling a re-import's updates from its new codes.
pub async fn procedure_keys(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as("SELECT code, effective_from FROM procedure_code WHERE practice_id = $1 LIMIT 200000")
        .bind(practice_id)
        .fetch_all(conn)
        .await?)
}

/// The version of a practice's `code` in effect on `date`, if any.
pub async fn procedure_on(conn: &mut AnyConnection, practice_id: &str, code: &str, date: &str) -> Result<Option<ProcedureRow>> {
    let sql = format!(
        "SELECT {PROCEDURE_COLUMNS} FROM procedure_code WHERE practice_id = $1 AND code = $2 AND effective_from <= $3 \
         AND (effective_to IS NULL OR effective_to >= $3) ORDER BY effective_from DESC LIMIT 1"
    );
    Ok(sqlx::query_as(AssertSqlSafe(sql)).bind(practice_id).bind(code).bind(date).fetch_optional(conn).await?)
}

/// A practice's procedure codes matching `q` (its `on` date applies), by code.
pub async fn search_procedures(
    conn: &mut AnyConnection,
    practice_id: &str,
    code_set: Option<&str>,
    q: &CodeQuery,
) -> Result<Vec<ProcedureRow>> {
    let mut params = vec![practice_id.to_string(), q.on.clone()];
    let mut sql = format!(
        "SELECT {PROCEDURE_COLUMNS} FROM procedure_code WHERE practice_id = $1 AND effective_from <= $2 \
         AND (effective_to IS NULL OR effective_to >= $2)"
    );
    if let Some(set) = code_set {
        params.push(set.to_string());
        sql.push_str(&format!(" AND code_set = ${}", params.len()));
    }
    sql.push_str(&code_conditions(q, "code", &mut params));
    sql.push_str(&format!(" ORDER BY code, effective_from LIMIT {}", q.limit.clamp(1, MAX_SEARCH_ROWS)));
    let mut query = sqlx::query_as::<_, ProcedureRow>(AssertSqlSafe(sql));
    for p in &params {
        query = query.bind(p);
    }
    Ok(query.fetch_all(conn).await?)
}

/// How many procedure codes a practice has in each set: (cpt, hcpcs).
pub async fn count_procedures(conn: &mut AnyConnection, practice_id: &str) -> Result<(i64, i64)> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT code_set, COUNT(*) FROM procedure_code WHERE practice_id = $1 GROUP BY code_set")
        .bind(practice_id)
        .fetch_all(conn)
        .await?;
    let count = |set: &str| rows.iter().find(|(s, _)| s == set).map(|(_, n)| *n).unwrap_or(0);
    Ok((count("cpt"), count("hcpcs")))
}

// ---------------------------------------------------------------------------------------------
// Payers
// ---------------------------------------------------------------------------------------------

/// A payer with every column a claim needs (`practice::PayerRow` is the short form other areas read).
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct PayerDetailRow {
    pub practice_id: String,
    pub id: String,
    pub name: String,
    /// The electronic payer id (2010BB NM109).
    pub payer_code: String,
    /// SBR09, `domain::coding::ClaimFilingIndicator::code`.
    pub claim_filing_indicator: String,
    pub phone: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub accepts_electronic_claims: i64,
    pub timely_filing_days: Option<i64>,
    pub active: i64,
    pub created_at: String,
    pub updated_at: Option<String>,
}

const PAYER_COLUMNS: &str = "practice_id, id, name, payer_code, claim_filing_indicator, phone, address_line1, address_line2, city, state, \
     postal_code, accepts_electronic_claims, timely_filing_days, active, created_at, updated_at";

pub async fn insert_payer(conn: &mut AnyConnection, p: &PayerDetailRow) -> Result<()> {
    let sql = format!("INSERT INTO payer ({PAYER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)");
    sqlx::query(AssertSqlSafe(sql))
        .bind(&p.practice_id)
        .bind(&p.id)
        .bind(&p.name)
        .bind(&p.payer_code)
        .bind(&p.claim_filing_indicator)
        .bind(&p.phone)
        .bind(&p.address_line1)
        .bind(&p.address_line2)
        .bind(&p.city)
        .bind(&p.state)
        .bind(&p.postal_code)
        .bind(p.accepts_electronic_claims)
        .bind(p.timely_filing_days)
        .bind(p.active)
        .bind(&p.created_at)
        .bind(&p.updated_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Writes every changeable column of a payer (not its id, practice or creation time).
pub async fn update_payer(conn: &mut AnyConnection, p: &PayerDetailRow) -> Result<()> {
    let done = sqlx::query(
        "UPDATE payer SET name = $3, payer_code = $4, claim_filing_indicator = $5, phone = $6, address_line1 = $7, address_line2 = $8, \
         city = $9, state = $10, postal_code = $11, accepts_electronic_claims = $12, timely_filing_days = $13, active = $14, \
         updated_at = $15 WHERE practice_id = $1 AND id = $2",
    )
    .bind(&p.practice_id)
    .bind(&p.id)
    .bind(&p.name)
    .bind(&p.payer_code)
    .bind(&p.claim_filing_indicator)
    .bind(&p.phone)
    .bind(&p.address_line1)
    .bind(&p.address_line2)
    .bind(&p.city)
    .bind(&p.state)
    .bind(&p.postal_code)
    .bind(p.accepts_electronic_claims)
    .bind(p.timely_filing_days)
    .bind(p.active)
    .bind(&p.updated_at)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("payer"));
    }
    Ok(())
}

/// The practice's payers by name (tens, not thousands; 2000 at most).
pub async fn list_payers(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<PayerDetailRow>> {
    let sql = format!("SELECT {PAYER_COLUMNS} FROM payer WHERE practice_id = $1 ORDER BY name, id LIMIT 2000");
    Ok(sqlx::query_as(AssertSqlSafe(sql)).bind(practice_id).fetch_all(conn).await?)
}

pub async fn get_payer(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<PayerDetailRow> {
    let sql = format!("SELECT {PAYER_COLUMNS} FROM payer WHERE practice_id = $1 AND id = $2");
    sqlx::query_as(AssertSqlSafe(sql)).bind(practice_id).bind(id).fetch_optional(conn).await?.ok_or(StoreError::NotFound("payer"))
}

/// Another payer of the practice with this name, whatever its case.
pub async fn payer_named(conn: &mut AnyConnection, practice_id: &str, name: &str, except_id: &str) -> Result<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT id FROM payer WHERE practice_id = $1 AND LOWER(name) = LOWER($2) AND id <> $3 LIMIT 1")
            .bind(practice_id)
            .bind(name)
            .bind(except_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(id,)| id))
}

// ---------------------------------------------------------------------------------------------
// Fee schedules
// ---------------------------------------------------------------------------------------------

/// The practice's standard fee for a code (and modifier; `''` for none).
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct StandardFeeRow {
    pub practice_id: String,
    pub code: String,
    pub modifier: String,
    pub charge_cents: i64,
    pub updated_at: String,
}

/// A payer's expected (allowed) amount for a code (and modifier; `''` for none).
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct PayerFeeRow {
    pub practice_id: String,
    pub payer_id: String,
    pub code: String,
    pub modifier: String,
    pub allowed_cents: i64,
    pub updated_at: String,
}

pub async fn set_standard_fee(conn: &mut AnyConnection, f: &StandardFeeRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO standard_fee (practice_id, code, modifier, charge_cents, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (practice_id, code, modifier) DO UPDATE SET charge_cents = excluded.charge_cents, updated_at = excluded.updated_at",
    )
    .bind(&f.practice_id)
    .bind(&f.code)
    .bind(&f.modifier)
    .bind(f.charge_cents)
    .bind(&f.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a standard fee; whether there was one.
pub async fn remove_standard_fee(conn: &mut AnyConnection, practice_id: &str, code: &str, modifier: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM standard_fee WHERE practice_id = $1 AND code = $2 AND modifier = $3")
        .bind(practice_id)
        .bind(code)
        .bind(modifier)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn standard_fee(conn: &mut AnyConnection, practice_id: &str, code: &str, modifier: &str) -> Result<Option<StandardFeeRow>> {
    Ok(sqlx::query_as("SELECT * FROM standard_fee WHERE practice_id = $1 AND code = $2 AND modifier = $3")
        .bind(practice_id)
        .bind(code)
        .bind(modifier)
        .fetch_optional(conn)
        .await?)
}

/// The practice's standard fees by code (a fee schedule has hundreds of lines; 5000 at most).
pub async fn list_standard_fees(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<StandardFeeRow>> {
    Ok(sqlx::query_as("SELECT * FROM standard_fee WHERE practice_id = $1 ORDER BY code, modifier LIMIT 5000")
        .bind(practice_id)
        .fetch_all(conn)
        .await?)
}

pub async fn set_payer_fee(conn: &mut AnyConnection, f: &PayerFeeRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO payer_allowed_fee (practice_id, payer_id, code, modifier, allowed_cents, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (practice_id, payer_id, code, modifier) DO UPDATE SET allowed_cents = excluded.allowed_cents, \
         updated_at = excluded.updated_at",
    )
    .bind(&f.practice_id)
    .bind(&f.payer_id)
    .bind(&f.code)
    .bind(&f.modifier)
    .bind(f.allowed_cents)
    .bind(&f.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a payer's expected amount; whether there was one.
pub async fn remove_payer_fee(conn: &mut AnyConnection, practice_id: &str, payer_id: &str, code: &str, modifier: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM payer_allowed_fee WHERE practice_id = $1 AND payer_id = $2 AND code = $3 AND modifier = $4")
        .bind(practice_id)
        .bind(payer_id)
        .bind(code)
        .bind(modifier)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn payer_fee(
    conn: &mut AnyConnection,
    practice_id: &str,
    payer_id: &str,
    code: &str,
    modifier: &str,
) -> Result<Option<PayerFeeRow>> {
    Ok(sqlx::query_as("SELECT * FROM payer_allowed_fee WHERE practice_id = $1 AND payer_id = $2 AND code = $3 AND modifier = $4")
        .bind(practice_id)
        .bind(payer_id)
        .bind(code)
        .bind(modifier)
        .fetch_optional(conn)
        .await?)
}

/// Every payer's expected amounts (or one payer's), by payer and code (5000 at most).
pub async fn list_payer_fees(conn: &mut AnyConnection, practice_id: &str, payer_id: Option<&str>) -> Result<Vec<PayerFeeRow>> {
    let rows = match payer_id {
        Some(p) => {
            sqlx::query_as("SELECT * FROM payer_allowed_fee WHERE practice_id = $1 AND payer_id = $2 ORDER BY code, modifier LIMIT 5000")
                .bind(practice_id)
                .bind(p)
                .fetch_all(conn)
                .await?
        }
        None => {
            sqlx::query_as("SELECT * FROM payer_allowed_fee WHERE practice_id = $1 ORDER BY payer_id, code, modifier LIMIT 5000")
                .bind(practice_id)
                .fetch_all(conn)
                .await?
        }
    };
    Ok(rows)
}
