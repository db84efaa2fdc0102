//! Medical files (migration 0036): documents, their versions, retention rules, destruction
//! records and releases of records. Rows only here and the plain reads and writes; the rules live
//! in `medoffice_domain::documents` and the use cases in `medoffice_app`.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// A document as stored: its current version's facts are in [`DocumentVersionRow`].
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct DocumentRow {
    pub practice_id: String,
    pub id: String,
    pub category: String,
    pub title: String,
    pub description: String,
    pub document_date: String,
    pub patient_id: Option<String>,
    pub payer_id: Option<String>,
    pub vendor_id: Option<String>,
    pub claim_id: Option<String>,
    pub current_version: i64,
    pub search_text: String,
    pub status: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// One version of a document; `blob_id` is `None` once the document was destroyed.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct DocumentVersionRow {
    pub practice_id: String,
    pub document_id: String,
    pub version: i64,
    pub blob_id: Option<String>,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub page_count: i64,
    pub text_content: String,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

pub async fn insert_document(conn: &mut AnyConnection, d: &DocumentRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO document (practice_id, id, category, title, description, document_date, patient_id, payer_id, vendor_id, claim_id, \
         current_version, search_text, status, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(&d.practice_id)
    .bind(&d.id)
    .bind(&d.category)
    .bind(&d.title)
    .bind(&d.description)
    .bind(&d.document_date)
    .bind(&d.patient_id)
    .bind(&d.payer_id)
    .bind(&d.vendor_id)
    .bind(&d.claim_id)
    .bind(d.current_version)
    .bind(&d.search_text)
    .bind(&d.status)
    .bind(&d.created_by)
    .bind(&d.created_at)
    .bind(&d.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_version(conn: &mut AnyConnection, v: &DocumentVersionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO document_version (practice_id, document_id, version, blob_id, file_name, content_type, size_bytes, sha256, \
         page_count, text_content, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&v.practice_id)
    .bind(&v.document_id)
    .bind(v.version)
    .bind(&v.blob_id)
    .bind(&v.file_name)
    .bind(&v.content_type)
    .bind(v.size_bytes)
    .bind(&v.sha256)
    .bind(v.page_count)
    .bind(&v.text_content)
    .bind(&v.note)
    .bind(&v.created_by)
    .bind(&v.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_document(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<DocumentRow> {
    sqlx::query_as("SELECT * FROM document WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("document"))
}

/// A document's versions, newest first.
pub async fn versions(conn: &mut AnyConnection, practice_id: &str, document_id: &str) -> Result<Vec<DocumentVersionRow>> {
    Ok(sqlx::query_as("SELECT * FROM document_version WHERE practice_id = $1 AND document_id = $2 ORDER BY version DESC LIMIT 1000")
        .bind(practice_id)
        .bind(document_id)
        .fetch_all(conn)
        .await?)
}

pub async fn get_version(conn: &mut AnyConnection, practice_id: &str, document_id: &str, version: i64) -> Result<DocumentVersionRow> {
    sqlx::query_as("SELECT * FROM document_version WHERE practice_id = $1 AND document_id = $2 AND version = $3")
        .bind(practice_id)
        .bind(document_id)
        .bind(version)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("document version"))
}

/// A document as lists show it: its row, what it is linked to by name, and its current
/// version's file facts.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct DocumentListRow {
    pub id: String,
    pub category: String,
    pub title: String,
    pub description: String,
    pub document_date: String,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    pub payer_id: Option<String>,
    pub payer_name: Option<String>,
    pub vendor_id: Option<String>,
    pub vendor_name: Option<String>,
    pub claim_id: Option<String>,
    pub claim_number: Option<i64>,
    pub current_version: i64,
    pub content_type: String,
    pub size_bytes: i64,
    pub page_count: i64,
    pub file_name: String,
    pub created_at: String,
}

/// What a list of documents is narrowed to. Every filter present must hold; `categories` is
/// the set the actor may see (never empty: the caller answers nothing without running a query).
#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    pub categories: Vec<String>,
    pub category: Option<String>,
    pub patient_id: Option<String>,
    pub payer_id: Option<String>,
    pub vendor_id: Option<String>,
    pub claim_id: Option<String>,
    /// Lower-case words, each of which the search text must contain.
    pub words: Vec<String>,
}

/// Escapes `%`, `_` and the escape character itself for a LIKE pattern (`ESCAPE '!'`).
fn like_contains(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 2);
    out.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Active documents matching the filter, newest document date first, at most `limit`.
pub async fn list(conn: &mut AnyConnection, practice_id: &str, filter: &DocumentFilter, limit: i64) -> Result<Vec<DocumentListRow>> {
    if filter.categories.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = String::from(
        "SELECT d.id, d.category, d.title, d.description, d.document_date, d.patient_id, \
         p.family_name || ', ' || p.given_name AS patient_name, d.payer_id, py.name AS payer_name, \
         d.vendor_id, vn.name AS vendor_name, d.claim_id, c.claim_number, d.current_version, \
         v.content_type, v.size_bytes, v.page_count, v.file_name, d.created_at \
         FROM document d \
         JOIN document_version v ON v.practice_id = d.practice_id AND v.document_id = d.id AND v.version = d.current_version \
         LEFT JOIN patient p ON p.practice_id = d.practice_id AND p.id = d.patient_id \
         LEFT JOIN payer py ON py.practice_id = d.practice_id AND py.id = d.payer_id \
         LEFT JOIN vendor vn ON vn.practice_id = d.practice_id AND vn.id = d.vendor_id \
         LEFT JOIN claim c ON c.practice_id = d.practice_id AND c.id = d.claim_id \
         WHERE d.practice_id = $1 AND d.status = 'active'",
    );
    let mut binds: Vec<String> = vec![practice_id.to_string()];
    fn bind(binds: &mut Vec<String>, value: String) -> String {
        binds.push(value);
        format!("${}", binds.len())
    }
    let placeholders: Vec<String> = filter.categories.iter().map(|c| bind(&mut binds, c.clone())).collect();
    sql.push_str(&format!(" AND d.category IN ({})", placeholders.join(", ")));
    let exact = [
        ("d.category", &filter.category),
        ("d.patient_id", &filter.patient_id),
        ("d.payer_id", &filter.payer_id),
        ("d.vendor_id", &filter.vendor_id),
        ("d.claim_id", &filter.claim_id),
    ];
    for (column, value) in exact {
        if let Some(v) = value {
            let p = bind(&mut binds, v.clone());
            sql.push_str(&format!(" AND {column} = {p}"));
        }
    }
    for word in &filter.words {
        let p = bind(&mut binds, like_contains(word));
        sql.push_str(&format!(" AND d.search_text LIKE {p} ESCAPE '!'"));
    }
    sql.push_str(&format!(" ORDER BY d.document_date DESC, d.created_at DESC, d.id LIMIT {}", limit.clamp(1, 1000)));
    let mut query = sqlx::query_as::<_, DocumentListRow>(sqlx::AssertSqlSafe(sql));
    for b in &binds {
        query = query.bind(b.clone());
    }
    Ok(query.fetch_all(conn).await?)
}

/// Makes `version` the document's current one, with the search text it gives.
pub async fn set_current_version(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    version: i64,
    search_text: &str,
    updated_at: &str,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE document SET current_version = $3, search_text = $4, updated_at = $5 \
         WHERE practice_id = $1 AND id = $2 AND status = 'active' AND current_version = $3 - 1",
    )
    .bind(practice_id)
    .bind(id)
    .bind(version)
    .bind(search_text)
    .bind(updated_at)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict("document_version".into()));
    }
    Ok(())
}
