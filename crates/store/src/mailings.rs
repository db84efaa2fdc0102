//! Mailings to filtered lists of patients and patients' mailing opt-outs (migration 0037).

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// A patient the filter matched, with what decides whether they receive the mailing.
#[derive(Debug, Clone, FromRow)]
pub struct CandidateRow {
    pub id: String,
    pub mrn: String,
    pub family_name: String,
    pub given_name: String,
    pub birth_date: String,
    pub email: Option<String>,
    pub preferred_contact: String,
    pub phone_mobile: Option<String>,
    pub phone_home: Option<String>,
    pub phone_work: Option<String>,
    pub preferred_phone: String,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub merged_into: Option<String>,
    /// The date of the latest visit (a kept appointment or an encounter), if any.
    pub last_visit: Option<String>,
    pub opted_out_postal: i64,
    pub opted_out_email: i64,
    /// 1 when the address has an open returned-mail flag.
    pub bad_address: i64,
}

/// The filter's criteria as SQL parameters: dates as `YYYY-MM-DD`, an empty text for "any".
#[derive(Debug, Clone, Default)]
pub struct FilterParams {
    pub born_on_or_before: String,
    pub born_after: String,
    pub last_visit_before: String,
    pub last_visit_after: String,
    pub provider_id: String,
    pub payer_id: String,
    pub recall_due_by: String,
    pub preferred_contact: String,
    /// Today, for the coverages in force.
    pub today: String,
}

/// The practice's patients matching `f`, merged records included (the caller excludes them with
/// the reason), by name, at most `limit`. One statement of fixed shape: a blank criterion is
/// `$n = ''` and matches everyone. A visit is an appointment the patient came to (arrived, in
/// the room, checked out or completed) or an encounter; patients never seen match neither bound
/// of the last visit. "Provider" means seen by or booked with them (an appointment not cancelled,
/// rescheduled or missed, or an encounter they rendered). "Payer" means a coverage in force
/// today, any priority. "Recall due" means a recall not closed, due on or before the date.
pub async fn matching_patients(conn: &mut AnyConnection, practice_id: &str, f: &FilterParams, limit: i64) -> Result<Vec<CandidateRow>> {
    Ok(sqlx::query_as(
        "WITH visits AS ( \
           SELECT v.patient_id, MAX(v.visit_date) AS last_visit FROM ( \
             SELECT a.patient_id, substr(a.start_at, 1, 10) AS visit_date FROM appointment a \
              WHERE a.practice_id = $1 AND a.status IN ('arrived', 'in_room', 'checked_out', 'completed') \
             UNION ALL \
             SELECT e.patient_id, e.service_date AS visit_date FROM encounter e WHERE e.practice_id = $1 \
           ) v GROUP BY v.patient_id \
         ) \
         SELECT p.id, p.mrn, p.family_name, p.given_name, p.birth_date, p.email, p.preferred_contact, \
           p.phone_mobile, p.phone_home, p.phone_work, p.preferred_phone, p.address_line1, p.address_line2, p.city, p.state, p.postal_code, p.merged_into, visits.last_visit, \
           CAST(CASE WHEN EXISTS (SELECT 1 FROM patient_mailing_opt_out o WHERE o.practice_id = p.practice_id \
             AND o.patient_id = p.id AND o.channel = 'postal') THEN 1 ELSE 0 END AS BIGINT) AS opted_out_postal, \
           CAST(CASE WHEN EXISTS (SELECT 1 FROM patient_mailing_opt_out o WHERE o.practice_id = p.practice_id \
             AND o.patient_id = p.id AND o.channel = 'email') THEN 1 ELSE 0 END AS BIGINT) AS opted_out_email, \
           CAST(CASE WHEN EXISTS (SELECT 1 FROM patient_bad_address b WHERE b.practice_id = p.practice_id \
             AND b.patient_id = p.id AND b.cleared_at IS NULL) THEN 1 ELSE 0 END AS BIGINT) AS bad_address \
         FROM patient p LEFT JOIN visits ON visits.patient_id = p.id \
         WHERE p.practice_id = $1 \
           AND ($2 = '' OR p.birth_date <= $2) \
           AND ($3 = '' OR p.birth_date > $3) \
           AND ($4 = '' OR (visits.last_visit IS NOT NULL AND visits.last_visit < $4)) \
           AND ($5 = '' OR (visits.last_visit IS NOT NULL AND visits.last_visit >= $5)) \
           AND ($6 = '' OR EXISTS (SELECT 1 FROM appointment a WHERE a.practice_id = p.practice_id AND a.patient_id = p.id \
                 AND a.provider_id = $6 AND a.status NOT IN ('cancelled', 'rescheduled', 'no_show')) \
               OR EXISTS (SELECT 1 FROM encounter e WHERE e.practice_id = p.practice_id AND e.patient_id = p.id \
                 AND e.rendering_provider_id = $6)) \
           AND ($7 = '' OR EXISTS (SELECT 1 FROM coverage c WHERE c.practice_id = p.practice_id AND c.patient_id = p.id \
                 AND c.payer_id = $7 AND c.start_date <= $10 AND (c.end_date IS NULL OR c.end_date >= $10))) \
           AND ($8 = '' OR EXISTS (SELECT 1 FROM recall r WHERE r.practice_id = p.practice_id AND r.patient_id = p.id \
                 AND r.status <> 'closed' AND r.due_date <= $8)) \
           AND ($9 = '' OR p.preferred_contact = $9) \
         ORDER BY p.family_name, p.given_name, p.id LIMIT $11",
    )
    .bind(practice_id)
    .bind(&f.born_on_or_before)
    .bind(&f.born_after)
    .bind(&f.last_visit_before)
    .bind(&f.last_visit_after)
    .bind(&f.provider_id)
    .bind(&f.payer_id)
    .bind(&f.recall_due_by)
    .bind(&f.preferred_contact)
    .bind(&f.today)
    .bind(limit.max(1))
    .fetch_all(conn)
    .await?)
}

/// The rendering provider of a patient's latest encounter (the provider of a patient seen
/// without an appointment on the books).
pub async fn latest_encounter_provider(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT rendering_provider_id FROM encounter WHERE practice_id = $1 AND patient_id = $2 ORDER BY service_date DESC, id LIMIT 1",
    )
    .bind(practice_id)
    .bind(patient_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.0))
}

/// A patient's refusal of one channel of mailings.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct OptOutRow {
    pub practice_id: String,
    pub patient_id: String,
    /// `postal` or `email`.
    pub channel: String,
    pub set_at: String,
    pub set_by: String,
}

/// A patient's opt-outs (at most one per channel).
pub async fn opt_outs_of(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Vec<OptOutRow>> {
    Ok(sqlx::query_as("SELECT * FROM patient_mailing_opt_out WHERE practice_id = $1 AND patient_id = $2 ORDER BY channel")
        .bind(practice_id)
        .bind(patient_id)
        .fetch_all(conn)
        .await?)
}

/// Records an opt-out; one already recorded for the channel is kept as it was. True when added.
pub async fn set_opt_out(conn: &mut AnyConnection, o: &OptOutRow) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO patient_mailing_opt_out (practice_id, patient_id, channel, set_at, set_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (practice_id, patient_id, channel) DO NOTHING",
    )
    .bind(&o.practice_id)
    .bind(&o.patient_id)
    .bind(&o.channel)
    .bind(&o.set_at)
    .bind(&o.set_by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes an opt-out. True when there was one.
pub async fn clear_opt_out(conn: &mut AnyConnection, practice_id: &str, patient_id: &str, channel: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM patient_mailing_opt_out WHERE practice_id = $1 AND patient_id = $2 AND channel = $3")
        .bind(practice_id)
        .bind(patient_id)
        .bind(channel)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A mailing as stored.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct MailingRow {
    pub practice_id: String,
    pub id: String,
    pub title: String,
    pub channel: String,
    pub filter_json: String,
    pub template_key: Option<String>,
    pub body: String,
    pub recipient_count: i64,
    pub excluded_count: i64,
    pub created_by: String,
    pub created_at: String,
}

/// One matched patient of a mailing: a recipient, or excluded with the reason.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct RecipientRow {
    pub practice_id: String,
    pub mailing_id: String,
    pub patient_id: String,
    pub seq: i64,
    pub channel: String,
    pub name: String,
    pub address: Option<String>,
    pub excluded_reason: Option<String>,
    pub excluded_detail: Option<String>,
    pub body: Option<String>,
    pub outgoing_mail_id: Option<String>,
    pub email_status: Option<String>,
    pub email_error: Option<String>,
    pub emailed_at: Option<String>,
}

pub async fn insert_mailing(conn: &mut AnyConnection, m: &MailingRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO mailing (practice_id, id, title, channel, filter_json, template_key, body, recipient_count, excluded_count, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&m.practice_id)
    .bind(&m.id)
    .bind(&m.title)
    .bind(&m.channel)
    .bind(&m.filter_json)
    .bind(&m.template_key)
    .bind(&m.body)
    .bind(m.recipient_count)
    .bind(m.excluded_count)
    .bind(&m.created_by)
    .bind(&m.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_recipient(conn: &mut AnyConnection, r: &RecipientRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO mailing_recipient (practice_id, mailing_id, patient_id, seq, channel, name, address, excluded_reason, \
         excluded_detail, body, outgoing_mail_id, email_status, email_error, emailed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&r.practice_id)
    .bind(&r.mailing_id)
    .bind(&r.patient_id)
    .bind(r.seq)
    .bind(&r.channel)
    .bind(&r.name)
    .bind(&r.address)
    .bind(&r.excluded_reason)
    .bind(&r.excluded_detail)
    .bind(&r.body)
    .bind(&r.outgoing_mail_id)
    .bind(&r.email_status)
    .bind(&r.email_error)
    .bind(&r.emailed_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_mailing(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<MailingRow> {
    sqlx::query_as("SELECT * FROM mailing WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("mailing"))
}

/// The practice's mailings, newest first.
pub async fn list_mailings(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<MailingRow>> {
    Ok(sqlx::query_as("SELECT * FROM mailing WHERE practice_id = $1 ORDER BY created_at DESC, id LIMIT $2")
        .bind(practice_id)
        .bind(limit.clamp(1, 500))
        .fetch_all(conn)
        .await?)
}

/// A mailing's matched patients in print order (recipients and excluded ones alike).
pub async fn recipients_of(conn: &mut AnyConnection, practice_id: &str, mailing_id: &str) -> Result<Vec<RecipientRow>> {
    Ok(sqlx::query_as("SELECT * FROM mailing_recipient WHERE practice_id = $1 AND mailing_id = $2 ORDER BY seq LIMIT 20000")
        .bind(practice_id)
        .bind(mailing_id)
        .fetch_all(conn)
        .await?)
}

/// Records how an e-mail recipient's message went: `sent` (with when) or `failed` (with the
/// error). Only a recipient still pending is changed, so two runs never send twice; false when
/// the recipient was no longer pending.
pub async fn set_email_status(
    conn: &mut AnyConnection,
    practice_id: &str,
    mailing_id: &str,
    patient_id: &str,
    status: &str,
    error: Option<&str>,
    at: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE mailing_recipient SET email_status = $1, email_error = $2, emailed_at = $3 \
         WHERE practice_id = $4 AND mailing_id = $5 AND patient_id = $6 AND email_status = 'pending'",
    )
    .bind(status)
    .bind(error)
    .bind(at)
    .bind(practice_id)
    .bind(mailing_id)
    .bind(patient_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
