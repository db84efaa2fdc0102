//! The mail room's tables (migration 0025_mail_room): `mail_item` (incoming mail), `mail_payment`
//! (checks to post), `patient_bad_address` (returned mail), `records_request`, `disclosure` (the
//! accounting of disclosures) and `outgoing_mail`. The caller owns the transaction.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// One piece of incoming mail.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct MailItemRow {
    pub practice_id: String,
    pub id: String,
    pub received_date: String,
    pub sender: String,
    pub kind: String,
    pub summary: Option<String>,
    pub patient_id: Option<String>,
    pub payer_id: Option<String>,
    pub vendor_id: Option<String>,
    pub claim_id: Option<String>,
    pub routed_to_user_id: Option<String>,
    pub routed_to_role: Option<String>,
    /// `open` or `done`.
    pub status: String,
    pub done_at: Option<String>,
    pub done_by: Option<String>,
    pub scan_blob_id: Option<String>,
    pub scan_sha256: Option<String>,
    pub scan_filename: Option<String>,
    pub scan_content_type: Option<String>,
    pub scan_size_bytes: Option<i64>,
    pub bill_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

/// A mail item with the names of what it concerns, for lists and its page.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MailListRow {
    pub id: String,
    pub received_date: String,
    pub sender: String,
    pub kind: String,
    pub summary: Option<String>,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    pub payer_id: Option<String>,
    pub payer_name: Option<String>,
    pub vendor_id: Option<String>,
    pub vendor_name: Option<String>,
    pub claim_id: Option<String>,
    pub claim_number: Option<i64>,
    pub routed_to_user_id: Option<String>,
    pub routed_to_name: Option<String>,
    pub routed_to_role: Option<String>,
    pub status: String,
    pub done_at: Option<String>,
    pub done_by: Option<String>,
    pub scan_filename: Option<String>,
    pub scan_content_type: Option<String>,
    pub scan_size_bytes: Option<i64>,
    pub bill_id: Option<String>,
    pub created_by: String,
}

/// A check that came in the mail.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct MailPaymentRow {
    pub practice_id: String,
    pub id: String,
    pub mail_item_id: String,
    pub check_number: String,
    pub amount_cents: i64,
    pub payer_id: Option<String>,
    pub patient_id: Option<String>,
    /// `to_post` or `posted`.
    pub status: String,
    pub posted_ref: Option<String>,
    pub posted_at: Option<String>,
    pub created_at: String,
}

/// A check to post with who sent it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MailPaymentListRow {
    pub id: String,
    pub mail_item_id: String,
    pub received_date: String,
    pub check_number: String,
    pub amount_cents: i64,
    pub payer_id: Option<String>,
    pub payer_name: Option<String>,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    pub status: String,
    pub posted_ref: Option<String>,
}

/// A patient on the returned-mail list to call.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct BadAddressRow {
    pub id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub mrn: String,
    pub phone: Option<String>,
    pub address_line1: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub mail_item_id: String,
    pub flagged_at: String,
}

/// A records request.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct RecordsRequestRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub requester_name: String,
    pub requester_kind: String,
    pub requested_what: String,
    pub purpose: String,
    pub received_date: String,
    pub due_date: String,
    pub mail_item_id: Option<String>,
    pub auth_blob_id: Option<String>,
    pub auth_sha256: Option<String>,
    pub auth_filename: Option<String>,
    pub auth_content_type: Option<String>,
    pub auth_size_bytes: Option<i64>,
    /// `open` or `fulfilled`.
    pub status: String,
    pub fulfilled_date: Option<String>,
    pub fulfilled_method: Option<String>,
    pub pages: Option<i64>,
    pub fulfilled_by: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

/// One release in a patient's accounting of disclosures.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct DisclosureRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub disclosed_on: String,
    pub recipient: String,
    pub what: String,
    pub purpose: String,
    pub released_by: String,
    pub records_request_id: Option<String>,
    pub created_at: String,
}

/// One piece of outgoing mail.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct OutgoingMailRow {
    pub practice_id: String,
    pub id: String,
    pub sent_date: String,
    pub recipient: String,
    pub method: String,
    pub tracking_number: Option<String>,
    pub about_kind: String,
    pub about_id: Option<String>,
    pub patient_id: Option<String>,
    pub description: String,
    pub sent_by: String,
    pub created_at: String,
}

pub async fn insert_item(conn: &mut AnyConnection, m: &MailItemRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO mail_item (practice_id, id, received_date, sender, kind, summary, patient_id, payer_id, vendor_id, claim_id, \
         routed_to_user_id, routed_to_role, status, done_at, done_by, scan_blob_id, scan_sha256, scan_filename, scan_content_type, \
         scan_size_bytes, bill_id, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)",
    )
    .bind(&m.practice_id)
    .bind(&m.id)
    .bind(&m.received_date)
    .bind(&m.sender)
    .bind(&m.kind)
    .bind(&m.summary)
    .bind(&m.patient_id)
    .bind(&m.payer_id)
    .bind(&m.vendor_id)
    .bind(&m.claim_id)
    .bind(&m.routed_to_user_id)
    .bind(&m.routed_to_role)
    .bind(&m.status)
    .bind(&m.done_at)
    .bind(&m.done_by)
    .bind(&m.scan_blob_id)
    .bind(&m.scan_sha256)
    .bind(&m.scan_filename)
    .bind(&m.scan_content_type)
    .bind(m.scan_size_bytes)
    .bind(&m.bill_id)
    .bind(&m.created_by)
    .bind(&m.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_item(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<MailItemRow> {
    sqlx::query_as("SELECT * FROM mail_item WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("mail item"))
}

const LIST_SELECT: &str = "SELECT m.id, m.received_date, m.sender, m.kind, m.summary, m.patient_id, \
     p.family_name || ', ' || p.given_name AS patient_name, m.payer_id, y.name AS payer_name, m.vendor_id, v.name AS vendor_name, \
     m.claim_id, c.claim_number, m.routed_to_user_id, u.display_name AS routed_to_name, m.routed_to_role, m.status, m.done_at, \
     m.done_by, m.scan_filename, m.scan_content_type, m.scan_size_bytes, m.bill_id, m.created_by \
     FROM mail_item m \
     LEFT JOIN patient p ON p.practice_id = m.practice_id AND p.id = m.patient_id \
     LEFT JOIN payer y ON y.practice_id = m.practice_id AND y.id = m.payer_id \
     LEFT JOIN vendor v ON v.practice_id = m.practice_id AND v.id = m.vendor_id \
     LEFT JOIN claim c ON c.practice_id = m.practice_id AND c.id = m.claim_id \
     LEFT JOIN app_user u ON u.practice_id = m.practice_id AND u.id = m.routed_to_user_id ";

/// One mail item with its names.
pub async fn get_item_listed(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<MailListRow> {
    let sql = format!("{LIST_SELECT} WHERE m.practice_id = $1 AND m.id = $2");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(practice_id).bind(id).fetch_optional(conn).await?.ok_or(StoreError::NotFound("mail item"))
}

/// Incoming mail newest first, filtered by kind and status (blank for any) and, when `mine` is
/// given as (user id, role), to what is routed to that user or that role.
pub async fn list_items(
    conn: &mut AnyConnection,
    practice_id: &str,
    kind: Option<&str>,
    status: Option<&str>,
    mine: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<MailListRow>> {
    let sql = format!(
        "{LIST_SELECT} WHERE m.practice_id = $1 AND ($2 = '' OR m.kind = $2) AND ($3 = '' OR m.status = $3) \
         AND ($4 = '' OR m.routed_to_user_id = $4 OR m.routed_to_role = $5) \
         ORDER BY m.received_date DESC, m.created_at DESC, m.id LIMIT $6"
    );
    let (user, role) = mine.unwrap_or(("", ""));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(practice_id)
        .bind(kind.unwrap_or(""))
        .bind(status.unwrap_or(""))
        .bind(user)
        .bind(role)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// A patient's incoming mail, newest first.
pub async fn items_of_patient(conn: &mut AnyConnection, practice_id: &str, patient_id: &str, limit: i64) -> Result<Vec<MailListRow>> {
    let sql = format!("{LIST_SELECT} WHERE m.practice_id = $1 AND m.patient_id = $2 ORDER BY m.received_date DESC, m.id LIMIT $3");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(practice_id).bind(patient_id).bind(limit).fetch_all(conn).await?)
}

/// Marks an open item done; false when it was done already.
pub async fn mark_done(conn: &mut AnyConnection, practice_id: &str, id: &str, at: &str, by: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE mail_item SET status = 'done', done_at = $3, done_by = $4 WHERE practice_id = $1 AND id = $2 AND status = 'open'",
    )
    .bind(practice_id)
    .bind(id)
    .bind(at)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Routes an item to a user or a role (one of them).
pub async fn route(conn: &mut AnyConnection, practice_id: &str, id: &str, user_id: Option<&str>, role: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE mail_item SET routed_to_user_id = $3, routed_to_role = $4 WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .bind(user_id)
        .bind(role)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the bill entered from a vendor bill in the mail and closes the item; false when the
/// item already has a bill (so a bill is entered from one letter once).
pub async fn set_bill(conn: &mut AnyConnection, practice_id: &str, id: &str, bill_id: &str, at: &str, by: &str) -> Result<bool> {
    let set = sqlx::query(
        "UPDATE mail_item SET bill_id = $3, status = 'done', done_at = $4, done_by = $5 \
         WHERE practice_id = $1 AND id = $2 AND bill_id IS NULL AND kind = 'vendor_bill'",
    )
    .bind(practice_id)
    .bind(id)
    .bind(bill_id)
    .bind(at)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(set.rows_affected() == 1)
}

pub async fn insert_payment(conn: &mut AnyConnection, p: &MailPaymentRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO mail_payment (practice_id, id, mail_item_id, check_number, amount_cents, payer_id, patient_id, status, posted_ref, \
         posted_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&p.practice_id)
    .bind(&p.id)
    .bind(&p.mail_item_id)
    .bind(&p.check_number)
    .bind(p.amount_cents)
    .bind(&p.payer_id)
    .bind(&p.patient_id)
    .bind(&p.status)
    .bind(&p.posted_ref)
    .bind(&p.posted_at)
    .bind(&p.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The check that came with a mail item, if any.
pub async fn payment_of_item(conn: &mut AnyConnection, practice_id: &str, mail_item_id: &str) -> Result<Option<MailPaymentRow>> {
    Ok(sqlx::query_as("SELECT * FROM mail_payment WHERE practice_id = $1 AND mail_item_id = $2")
        .bind(practice_id)
        .bind(mail_item_id)
        .fetch_optional(conn)
        .await?)
}

/// Checks of one status (`to_post` or `posted`), oldest first: the first in is posted first.
pub async fn list_payments(conn: &mut AnyConnection, practice_id: &str, status: &str, limit: i64) -> Result<Vec<MailPaymentListRow>> {
    Ok(sqlx::query_as(
        "SELECT mp.id, mp.mail_item_id, m.received_date, mp.check_number, mp.amount_cents, mp.payer_id, y.name AS payer_name, \
         mp.patient_id, p.family_name || ', ' || p.given_name AS patient_name, mp.status, mp.posted_ref \
         FROM mail_payment mp JOIN mail_item m ON m.practice_id = mp.practice_id AND m.id = mp.mail_item_id \
         LEFT JOIN payer y ON y.practice_id = mp.practice_id AND y.id = mp.payer_id \
         LEFT JOIN patient p ON p.practice_id = mp.practice_id AND p.id = mp.patient_id \
         WHERE mp.practice_id = $1 AND mp.status = $2 ORDER BY m.received_date, mp.created_at, mp.id LIMIT $3",
    )
    .bind(practice_id)
    .bind(status)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Marks a check posted by what posted it; false when it was posted already.
pub async fn mark_payment_posted(conn: &mut AnyConnection, practice_id: &str, id: &str, posted_ref: &str, at: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE mail_payment SET status = 'posted', posted_ref = $3, posted_at = $4 WHERE practice_id = $1 AND id = $2 AND status = 'to_post'",
    )
    .bind(practice_id)
    .bind(id)
    .bind(posted_ref)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Flags a patient's address as bad unless it is flagged already; true when a flag was added.
pub async fn flag_bad_address(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    patient_id: &str,
    mail_item_id: &str,
    at: &str,
) -> Result<bool> {
    if bad_address_since(conn, practice_id, patient_id).await?.is_some() {
        return Ok(false);
    }
    sqlx::query("INSERT INTO patient_bad_address (practice_id, id, patient_id, mail_item_id, flagged_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(practice_id)
        .bind(id)
        .bind(patient_id)
        .bind(mail_item_id)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(true)
}

/// When the patient's address was flagged bad, if it is.
pub async fn bad_address_since(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT flagged_at FROM patient_bad_address WHERE practice_id = $1 AND patient_id = $2 AND cleared_at IS NULL")
        .bind(practice_id)
        .bind(patient_id)
        .fetch_optional(conn)
        .await?)
}

/// Clears the patient's bad-address flag (their address was changed); true when one was open.
pub async fn clear_bad_address(conn: &mut AnyConnection, practice_id: &str, patient_id: &str, at: &str, by: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE patient_bad_address SET cleared_at = $3, cleared_by = $4 WHERE practice_id = $1 AND patient_id = $2 AND cleared_at IS NULL",
    )
    .bind(practice_id)
    .bind(patient_id)
    .bind(at)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The patients whose mail came back, to call for a new address, oldest flag first.
pub async fn bad_addresses(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<BadAddressRow>> {
    Ok(sqlx::query_as(
        "SELECT b.id, b.patient_id, p.family_name || ', ' || p.given_name AS patient_name, p.mrn, \
         COALESCE(p.phone_mobile, p.phone_home, p.phone_work) AS phone, p.address_line1, p.city, p.state, p.postal_code, \
         b.mail_item_id, b.flagged_at FROM patient_bad_address b \
         JOIN patient p ON p.practice_id = b.practice_id AND p.id = b.patient_id \
         WHERE b.practice_id = $1 AND b.cleared_at IS NULL ORDER BY b.flagged_at, b.id LIMIT $2",
    )
    .bind(practice_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

pub async fn insert_request(conn: &mut AnyConnection, r: &RecordsRequestRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO records_request (practice_id, id, patient_id, requester_name, requester_kind, requested_what, purpose, \
         received_date, due_date, mail_item_id, auth_blob_id, auth_sha256, auth_filename, auth_content_type, auth_size_bytes, status, \
         fulfilled_date, fulfilled_method, pages, fulfilled_by, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(&r.patient_id)
    .bind(&r.requester_name)
    .bind(&r.requester_kind)
    .bind(&r.requested_what)
    .bind(&r.purpose)
    .bind(&r.received_date)
    .bind(&r.due_date)
    .bind(&r.mail_item_id)
    .bind(&r.auth_blob_id)
    .bind(&r.auth_sha256)
    .bind(&r.auth_filename)
    .bind(&r.auth_content_type)
    .bind(r.auth_size_bytes)
    .bind(&r.status)
    .bind(&r.fulfilled_date)
    .bind(&r.fulfilled_method)
    .bind(r.pages)
    .bind(&r.fulfilled_by)
    .bind(&r.created_by)
    .bind(&r.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_request(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<RecordsRequestRow> {
    sqlx::query_as("SELECT * FROM records_request WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("records request"))
}

/// Records requests of one status (blank for all): open ones by due date (overdue first),
/// fulfilled ones newest first.
pub async fn list_requests(
    conn: &mut AnyConnection,
    practice_id: &str,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<RecordsRequestRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM records_request WHERE practice_id = $1 AND ($2 = '' OR status = $2) \
         ORDER BY CASE status WHEN 'open' THEN 0 ELSE 1 END, due_date, received_date, id LIMIT $3",
    )
    .bind(practice_id)
    .bind(status.unwrap_or(""))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Marks an open request fulfilled; false when it was fulfilled already.
pub async fn fulfil_request(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    date: &str,
    method: &str,
    pages: i64,
    by: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE records_request SET status = 'fulfilled', fulfilled_date = $3, fulfilled_method = $4, pages = $5, fulfilled_by = $6 \
         WHERE practice_id = $1 AND id = $2 AND status = 'open'",
    )
    .bind(practice_id)
    .bind(id)
    .bind(date)
    .bind(method)
    .bind(pages)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_disclosure(conn: &mut AnyConnection, d: &DisclosureRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO disclosure (practice_id, id, patient_id, disclosed_on, recipient, what, purpose, released_by, records_request_id, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&d.practice_id)
    .bind(&d.id)
    .bind(&d.patient_id)
    .bind(&d.disclosed_on)
    .bind(&d.recipient)
    .bind(&d.what)
    .bind(&d.purpose)
    .bind(&d.released_by)
    .bind(&d.records_request_id)
    .bind(&d.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A patient's disclosures, oldest first (the order of an accounting).
pub async fn disclosures_of(conn: &mut AnyConnection, practice_id: &str, patient_id: &str, limit: i64) -> Result<Vec<DisclosureRow>> {
    Ok(sqlx::query_as("SELECT * FROM disclosure WHERE practice_id = $1 AND patient_id = $2 ORDER BY disclosed_on, created_at, id LIMIT $3")
        .bind(practice_id)
        .bind(patient_id)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

pub async fn insert_outgoing(conn: &mut AnyConnection, o: &OutgoingMailRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO outgoing_mail (practice_id, id, sent_date, recipient, method, tracking_number, about_kind, about_id, patient_id, \
         description, sent_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&o.practice_id)
    .bind(&o.id)
    .bind(&o.sent_date)
    .bind(&o.recipient)
    .bind(&o.method)
    .bind(&o.tracking_number)
    .bind(&o.about_kind)
    .bind(&o.about_id)
    .bind(&o.patient_id)
    .bind(&o.description)
    .bind(&o.sent_by)
    .bind(&o.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Outgoing mail newest first.
pub async fn list_outgoing(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<OutgoingMailRow>> {
    Ok(sqlx::query_as("SELECT * FROM outgoing_mail WHERE practice_id = $1 ORDER BY sent_date DESC, created_at DESC, id LIMIT $2")
        .bind(practice_id)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// The outgoing mail about one thing (e.g. a records request).
pub async fn outgoing_about(conn: &mut AnyConnection, practice_id: &str, about_kind: &str, about_id: &str) -> Result<Vec<OutgoingMailRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM outgoing_mail WHERE practice_id = $1 AND about_kind = $2 AND about_id = $3 ORDER BY sent_date, created_at, id LIMIT 100",
    )
    .bind(practice_id)
    .bind(about_kind)
    .bind(about_id)
    .fetch_all(conn)
    .await?)
}
