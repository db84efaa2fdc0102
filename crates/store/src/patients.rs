//! Patients, their search tokens, coverages and merges.

use crate::{Result, StoreError};
use medoffice_domain::patients::{CoverageData, PatientData};
use medoffice_domain::search::{WordMatch, pair_prefixes, upper_bound};
use sqlx::{AnyConnection, AssertSqlSafe, FromRow};

/// A patient as stored.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct PatientRow {
    pub practice_id: String,
    pub id: String,
    pub mrn: String,
    pub family_name: String,
    pub given_name: String,
    pub middle_name: Option<String>,
    pub preferred_name: Option<String>,
    pub suffix: Option<String>,
    pub birth_date: String,
    pub sex: String,
    pub phone_mobile: Option<String>,
    pub phone_home: Option<String>,
    pub phone_work: Option<String>,
    pub preferred_phone: String,
    pub email: Option<String>,
    pub preferred_contact: String,
    pub language: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_relationship: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub guarantor_family_name: Option<String>,
    pub guarantor_given_name: Option<String>,
    pub guarantor_relationship: Option<String>,
    pub guarantor_birth_date: Option<String>,
    pub guarantor_phone: Option<String>,
    pub guarantor_address_line1: Option<String>,
    pub guarantor_address_line2: Option<String>,
    pub guarantor_city: Option<String>,
    pub guarantor_state: Option<String>,
    pub guarantor_postal_code: Option<String>,
    pub merged_into: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl PatientRow {
    /// The preferred phone's digits, else the first one given.
    pub fn phone(&self) -> Option<&str> {
        let preferred = match self.preferred_phone.as_str() {
            "home" => &self.phone_home,
            "work" => &self.phone_work,
            _ => &self.phone_mobile,
        };
        preferred.as_deref().or(self.phone_mobile.as_deref()).or(self.phone_home.as_deref()).or(self.phone_work.as_deref())
    }

    pub fn phones(&self) -> Vec<&str> {
        [&self.phone_mobile, &self.phone_home, &self.phone_work].into_iter().flatten().map(String::as_str).collect()
    }
}

/// The demographic columns in the order of `DATA_COLUMNS`, from validated data.
fn data_values(d: &PatientData) -> Vec<Option<String>> {
    let g = d.guarantor.as_ref();
    let ga = g.and_then(|g| g.address.as_ref());
    let a = d.address.as_ref();
    let e = d.emergency_contact.as_ref();
    vec![
        Some(d.family_name.clone()),
        Some(d.given_name.clone()),
        d.middle_name.clone(),
        d.preferred_name.clone(),
        d.suffix.clone(),
        Some(d.birth_date.to_string()),
        Some(d.sex.as_str().to_string()),
        d.phone_mobile.as_ref().map(|p| p.digits().to_string()),
        d.phone_home.as_ref().map(|p| p.digits().to_string()),
        d.phone_work.as_ref().map(|p| p.digits().to_string()),
        Some(d.preferred_phone.as_str().to_string()),
        d.email.as_ref().map(|e| e.as_str().to_string()),
        Some(d.preferred_contact.as_str().to_string()),
        d.language.clone(),
        a.map(|a| a.line1.clone()),
        a.and_then(|a| a.line2.clone()),
        a.map(|a| a.city.clone()),
        a.map(|a| a.state.clone()),
        a.map(|a| a.postal_code.clone()),
        e.map(|e| e.name.clone()),
        e.and_then(|e| e.relationship.clone()),
        e.map(|e| e.phone.digits().to_string()),
        g.map(|g| g.family_name.clone()),
        g.map(|g| g.given_name.clone()),
        g.map(|g| g.relationship.clone()),
        g.and_then(|g| g.birth_date.map(|d| d.to_string())),
        g.and_then(|g| g.phone.as_ref().map(|p| p.digits().to_string())),
        ga.map(|a| a.line1.clone()),
        ga.and_then(|a| a.line2.clone()),
        ga.map(|a| a.city.clone()),
        ga.map(|a| a.state.clone()),
        ga.map(|a| a.postal_code.clone()),
    ]
}

/// The demographic columns of `patient`, in the order `data_values` binds them; also the names
/// an edit's audit record lists when they change.
pub const DATA_COLUMNS: [&str; 32] = [
    "family_name",
    "given_name",
    "middle_name",
    "preferred_name",
    "suffix",
    "birth_date",
    "sex",
    "phone_mobile",
    "phone_home",
    "phone_work",
    "preferred_phone",
    "email",
    "preferred_contact",
    "language",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "guarantor_family_name",
    "guarantor_given_name",
    "guarantor_relationship",
    "guarantor_birth_date",
    "guarantor_phone",
    "guarantor_address_line1",
    "guarantor_address_line2",
    "guarantor_city",
    "guarantor_state",
    "guarantor_postal_code",
];

/// Inserts a new patient (version 1).
pub async fn insert(conn: &mut AnyConnection, practice_id: &str, id: &str, mrn: &str, data: &PatientData, now: &str) -> Result<()> {
    let cols = DATA_COLUMNS.join(", ");
    let placeholders: Vec<String> = (6..6 + DATA_COLUMNS.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO patient (practice_id, id, mrn, created_at, updated_at, {cols}, version) VALUES ($1, $2, $3, $4, $5, {}, 1)",
        placeholders.join(", ")
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(practice_id).bind(id).bind(mrn).bind(now).bind(now);
    for v in data_values(data) {
        q = q.bind(v);
    }
    q.execute(conn).await?;
    Ok(())
}

/// Replaces a patient's demographics if nobody changed them since `expected_version` was read;
/// otherwise `Conflict`, so one receptionist never silently overwrites another's edit.
pub async fn update(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    expected_version: i64,
    data: &PatientData,
    now: &str,
) -> Result<i64> {
    let sets: Vec<String> = DATA_COLUMNS.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 5)).collect();
    let sql = format!(
        "UPDATE patient SET {}, version = version + 1, updated_at = $4 \
         WHERE practice_id = $1 AND id = $2 AND version = $3 AND merged_into IS NULL RETURNING version",
        sets.join(", ")
    );
    let mut q = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(sql)).bind(practice_id).bind(id).bind(expected_version).bind(now);
    for v in data_values(data) {
        q = q.bind(v);
    }
    match q.fetch_optional(conn).await? {
        Some((version,)) => Ok(version),
        None => Err(StoreError::Conflict("patient_version".into())),
    }
}

pub async fn get(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<PatientRow> {
    sqlx::query_as("SELECT * FROM patient WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("patient"))
}

pub async fn count(conn: &mut AnyConnection, practice_id: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM patient WHERE practice_id = $1 AND merged_into IS NULL")
        .bind(practice_id)
        .fetch_one(conn)
        .await?;
    Ok(n)
}

/// Patients registered or changed most recently, for the Patients page before a search.
pub async fn list_recent(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<PatientRow>> {
    Ok(sqlx::query_as("SELECT * FROM patient WHERE practice_id = $1 AND merged_into IS NULL ORDER BY updated_at DESC, id DESC LIMIT $2")
        .bind(practice_id)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// Patients born on `birth_date` (every likely duplicate shares it), at most 500.
pub async fn born_on(conn: &mut AnyConnection, practice_id: &str, birth_date: &str) -> Result<Vec<PatientRow>> {
    Ok(sqlx::query_as("SELECT * FROM patient WHERE practice_id = $1 AND birth_date = $2 AND merged_into IS NULL ORDER BY id LIMIT 500")
        .bind(practice_id)
        .bind(birth_date)
        .fetch_all(conn)
        .await?)
}

/// Patients with this phone number (10 digits), at most 100, through the search index.
pub async fn with_phone(conn: &mut AnyConnection, practice_id: &str, digits: &str) -> Result<Vec<PatientRow>> {
    Ok(sqlx::query_as(
        "SELECT p.* FROM patient_search_token t JOIN patient p ON p.practice_id = t.practice_id AND p.id = t.patient_id \
         WHERE t.practice_id = $1 AND t.token = $2 AND p.merged_into IS NULL ORDER BY p.id LIMIT 100",
    )
    .bind(practice_id)
    .bind(format!("p:{digits}"))
    .fetch_all(conn)
    .await?)
}

/// Replaces a patient's search tokens.
pub async fn replace_tokens(conn: &mut AnyConnection, practice_id: &str, patient_id: &str, tokens: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM patient_search_token WHERE practice_id = $1 AND patient_id = $2")
        .bind(practice_id)
        .bind(patient_id)
        .execute(&mut *conn)
        .await?;
    insert_tokens(conn, practice_id, patient_id, tokens).await
}

/// Adds tokens in multi-row inserts (one statement per 100 tokens).
pub async fn insert_tokens(conn: &mut AnyConnection, practice_id: &str, patient_id: &str, tokens: &[String]) -> Result<()> {
    for chunk in tokens.chunks(100) {
        let values: Vec<String> = (0..chunk.len()).map(|i| format!("($1, ${}, $2)", i + 3)).collect();
        let sql = format!(
            "INSERT INTO patient_search_token (practice_id, token, patient_id) VALUES {} ON CONFLICT DO NOTHING",
            values.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(practice_id).bind(patient_id);
        for t in chunk {
            q = q.bind(t);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Ids of patients matching every word, at most `limit`, found by index range scans.
///
/// For two name words the pair tokens (`c:family|given`) are scanned first. Then the longest
/// word (usually the most selective) drives: each of its alternatives is its own
/// range scan on the primary key (practice_id, token, ...), joined by UNION ALL, because neither
/// database turns an OR of ranges into index scans reliably. Each other word is an `EXISTS`
/// probe on the covering (practice_id, patient_id, token) index: a dozen entries per candidate.
/// Ranking is the caller's (domain::search::rank).
pub async fn search_ids(conn: &mut AnyConnection, practice_id: &str, words: &[WordMatch], limit: i64) -> Result<Vec<String>> {
    let mut ordered: Vec<&WordMatch> = words.iter().collect();
    ordered.sort_by_key(|w| std::cmp::Reverse(w.word.len()));
    let Some((first, rest)) = ordered.split_first() else {
        return Ok(Vec::new());
    };
    let mut params: Vec<String> = vec![practice_id.to_string()];
    let bind = |value: String, params: &mut Vec<String>| -> String {
        params.push(value);
        format!("${}", params.len())
    };
    let mut scans = Vec::new();
    // "family given": the pair tokens come first, so whole family names fill the limit at once.
    for p in pair_prefixes(words) {
        let (low, high) = (bind(p.clone(), &mut params), bind(upper_bound(&p), &mut params));
        scans.push(format!("SELECT patient_id FROM patient_search_token WHERE practice_id = $1 AND token >= {low} AND token < {high}"));
    }
    for p in &first.prefixes {
        let (low, high) = (bind(p.clone(), &mut params), bind(upper_bound(p), &mut params));
        scans.push(format!("SELECT patient_id FROM patient_search_token WHERE practice_id = $1 AND token >= {low} AND token < {high}"));
    }
    for e in &first.exacts {
        let value = bind(e.clone(), &mut params);
        scans.push(format!("SELECT patient_id FROM patient_search_token WHERE practice_id = $1 AND token = {value}"));
    }
    // No DISTINCT: PostgreSQL would hash every match before the LIMIT applies. The rare repeat (a
    // patient found by spelling and by sound) is dropped below, which may leave a few fewer
    // candidates than the limit; ranking needs no exact count.
    let mut sql = format!("SELECT t0.patient_id FROM ({}) t0", scans.join(" UNION ALL "));
    for (i, w) in rest.iter().enumerate() {
        let alias = format!("t{}", i + 1);
        let mut alternatives = Vec::new();
        for p in &w.prefixes {
            let (low, high) = (bind(p.clone(), &mut params), bind(upper_bound(p), &mut params));
            alternatives.push(format!("({alias}.token >= {low} AND {alias}.token < {high})"));
        }
        for e in &w.exacts {
            let value = bind(e.clone(), &mut params);
            alternatives.push(format!("{alias}.token = {value}"));
        }
        sql.push_str(if i == 0 { " WHERE " } else { " AND " });
        sql.push_str(&format!(
            "EXISTS (SELECT 1 FROM patient_search_token {alias} WHERE {alias}.practice_id = $1 AND {alias}.patient_id = t0.patient_id AND ({}))",
            alternatives.join(" OR ")
        ));
    }
    let limit = limit.clamp(1, 1000);
    sql.push_str(&format!(" LIMIT {limit}"));
    let mut q = sqlx::query_as::<_, (String,)>(AssertSqlSafe(sql));
    for p in &params {
        q = q.bind(p);
    }
    let mut seen = std::collections::HashSet::new();
    let ids = q.fetch_all(conn).await?.into_iter().map(|(id,)| id).filter(|id| seen.insert(id.clone()));
    Ok(ids.collect())
}

/// The patients with these ids (merged records excluded).
pub async fn get_many(conn: &mut AnyConnection, practice_id: &str, ids: &[String]) -> Result<Vec<PatientRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(200) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!("SELECT * FROM patient WHERE practice_id = $1 AND merged_into IS NULL AND id IN ({})", placeholders.join(", "));
        let mut q = sqlx::query_as::<_, PatientRow>(AssertSqlSafe(sql)).bind(practice_id);
        for id in chunk {
            q = q.bind(id);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// Tokens of these patients, for ranking search results.
pub async fn tokens_of(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT token FROM patient_search_token WHERE practice_id = $1 AND patient_id = $2 ORDER BY token LIMIT 500")
            .bind(practice_id)
            .bind(patient_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

// ---------------------------------------------------------------------------------------------
// Coverages
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct CoverageRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub payer_id: String,
    pub member_id: String,
    pub group_number: Option<String>,
    pub plan_name: Option<String>,
    pub priority: i64,
    pub relationship_to_subscriber: String,
    pub subscriber_family_name: Option<String>,
    pub subscriber_given_name: Option<String>,
    pub subscriber_birth_date: Option<String>,
    pub subscriber_sex: Option<String>,
    pub copay_cents: i64,
    pub start_date: String,
    pub end_date: Option<String>,
    pub card_front_blob_id: Option<String>,
    pub card_back_blob_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A coverage with its payer's name, for display.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct CoverageWithPayer {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub coverage: CoverageRow,
    pub payer_name: String,
}

/// Adds a coverage to a patient.
pub async fn insert_coverage(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    patient_id: &str,
    c: &CoverageData,
    cards: (Option<&str>, Option<&str>),
    now: &str,
) -> Result<()> {
    let q = sqlx::query(
        "INSERT INTO coverage (practice_id, id, patient_id, payer_id, member_id, group_number, plan_name, priority, relationship_to_subscriber, \
         subscriber_family_name, subscriber_given_name, subscriber_birth_date, subscriber_sex, copay_cents, start_date, end_date, \
         card_front_blob_id, card_back_blob_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)",
    )
    .bind(practice_id.to_string())
    .bind(id.to_string())
    .bind(patient_id.to_string());
    bind_coverage(q, c, cards, now).execute(conn).await?;
    Ok(())
}

/// Replaces a coverage of this patient; card images are kept unless new ones are given.
pub async fn update_coverage(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    patient_id: &str,
    c: &CoverageData,
    cards: (Option<&str>, Option<&str>),
    now: &str,
) -> Result<()> {
    let q = sqlx::query(
        "UPDATE coverage SET payer_id = $4, member_id = $5, group_number = $6, plan_name = $7, priority = $8, relationship_to_subscriber = $9, \
         subscriber_family_name = $10, subscriber_given_name = $11, subscriber_birth_date = $12, subscriber_sex = $13, copay_cents = $14, \
         start_date = $15, end_date = $16, card_front_blob_id = COALESCE($17, card_front_blob_id), \
         card_back_blob_id = COALESCE($18, card_back_blob_id), updated_at = $19 WHERE practice_id = $1 AND id = $2 AND patient_id = $3",
    )
    .bind(practice_id.to_string())
    .bind(id.to_string())
    .bind(patient_id.to_string());
    if bind_coverage(q, c, cards, now).execute(conn).await?.rows_affected() == 0 {
        return Err(StoreError::NotFound("coverage"));
    }
    Ok(())
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds a coverage's columns as parameters $4 to $19, in the order both statements above use.
fn bind_coverage<'q>(q: AnyQuery<'q>, c: &CoverageData, (front, back): (Option<&str>, Option<&str>), now: &str) -> AnyQuery<'q> {
    let s = c.subscriber.as_ref();
    q.bind(c.payer_id.clone())
        .bind(c.member_id.clone())
        .bind(c.group_number.clone())
        .bind(c.plan_name.clone())
        .bind(i64::from(c.priority))
        .bind(c.relationship_to_subscriber.as_str().to_string())
        .bind(s.map(|s| s.family_name.clone()))
        .bind(s.map(|s| s.given_name.clone()))
        .bind(s.map(|s| s.birth_date.to_string()))
        .bind(s.map(|s| s.sex.as_str().to_string()))
        .bind(c.copay.cents())
        .bind(c.start_date.to_string())
        .bind(c.end_date.map(|d| d.to_string()))
        .bind(front.map(str::to_string))
        .bind(back.map(str::to_string))
        .bind(now.to_string())
}

/// A patient's coverages, by priority then start date (newest first).
pub async fn coverages_of(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Vec<CoverageWithPayer>> {
    Ok(sqlx::query_as(
        "SELECT c.*, p.name AS payer_name FROM coverage c JOIN payer p ON p.practice_id = c.practice_id AND p.id = c.payer_id \
         WHERE c.practice_id = $1 AND c.patient_id = $2 ORDER BY c.priority, c.start_date DESC, c.id LIMIT 100",
    )
    .bind(practice_id)
    .bind(patient_id)
    .fetch_all(conn)
    .await?)
}

pub async fn get_coverage(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<CoverageWithPayer> {
    sqlx::query_as(
        "SELECT c.*, p.name AS payer_name FROM coverage c JOIN payer p ON p.practice_id = c.practice_id AND p.id = c.payer_id \
         WHERE c.practice_id = $1 AND c.id = $2",
    )
    .bind(practice_id)
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound("coverage"))
}

// ---------------------------------------------------------------------------------------------
// Merge
// ---------------------------------------------------------------------------------------------

/// Folds `merged_id` into `survivor_id`: its coverages move to the survivor, the merged record is
/// marked (kept for history, hidden from search), and the merge is recorded.
pub async fn merge(
    conn: &mut AnyConnection,
    practice_id: &str,
    merge_id: &str,
    survivor_id: &str,
    merged_id: &str,
    by_user: &str,
    now: &str,
) -> Result<u64> {
    let moved = sqlx::query("UPDATE coverage SET patient_id = $3, updated_at = $4 WHERE practice_id = $1 AND patient_id = $2")
        .bind(practice_id)
        .bind(merged_id)
        .bind(survivor_id)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let r = sqlx::query(
        "UPDATE patient SET merged_into = $3, version = version + 1, updated_at = $4 WHERE practice_id = $1 AND id = $2 AND merged_into IS NULL",
    )
    .bind(practice_id)
    .bind(merged_id)
    .bind(survivor_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::Conflict("patient_already_merged".into()));
    }
    sqlx::query("DELETE FROM patient_search_token WHERE practice_id = $1 AND patient_id = $2")
        .bind(practice_id)
        .bind(merged_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO patient_merge (practice_id, id, survivor_id, merged_id, merged_by, merged_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(practice_id)
    .bind(merge_id)
    .bind(survivor_id)
    .bind(merged_id)
    .bind(by_user)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(moved)
}

/// Up to `limit` ids of the practice's patients not merged away, in id order (synthetic data).
pub async fn list_ids(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM patient WHERE practice_id = $1 AND merged_into IS NULL ORDER BY id LIMIT $2")
        .bind(practice_id)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
