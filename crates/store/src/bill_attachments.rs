//! The files attached to bills (migration 0012_bill_attachments): the scanned bill, its bytes in
//! the blob store ([`crate::blobs`]). Written by the caller in the bill's own transaction.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// One attached file.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct BillAttachmentRow {
    pub practice_id: String,
    pub id: String,
    pub bill_id: String,
    pub blob_id: String,
    pub sha256: String,
    /// The uploader's name for the file (shown, offered on download).
    pub filename: String,
    /// Recognised from the first bytes: `application/pdf`, `image/png` or `image/jpeg`.
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

pub async fn insert(conn: &mut AnyConnection, a: &BillAttachmentRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO bill_attachment (practice_id, id, bill_id, blob_id, sha256, filename, content_type, size_bytes, uploaded_by, \
         uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&a.practice_id)
    .bind(&a.id)
    .bind(&a.bill_id)
    .bind(&a.blob_id)
    .bind(&a.sha256)
    .bind(&a.filename)
    .bind(&a.content_type)
    .bind(a.size_bytes)
    .bind(&a.uploaded_by)
    .bind(&a.uploaded_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A bill's attachments, oldest first (a bill has one or a few).
pub async fn for_bill(conn: &mut AnyConnection, practice_id: &str, bill_id: &str) -> Result<Vec<BillAttachmentRow>> {
    Ok(sqlx::query_as("SELECT * FROM bill_attachment WHERE practice_id = $1 AND bill_id = $2 ORDER BY uploaded_at, id LIMIT 100")
        .bind(practice_id)
        .bind(bill_id)
        .fetch_all(conn)
        .await?)
}

pub async fn get(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<BillAttachmentRow> {
    sqlx::query_as("SELECT * FROM bill_attachment WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("attachment"))
}
