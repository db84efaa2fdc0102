//! Calendar feeds: a provider's schedule as an iCalendar (RFC 5545) feed at a secret address, so
//! the doctor's own calendar app (Apple Calendar, Google Calendar, Outlook, Thunderbird) shows it.
//!
//! The address is the credential: `/calendar/<practice id>.<secret>.ics`, the secret 32 random
//! bytes (base64url). Like a session cookie, only the secret's SHA-256 is stored, and the practice
//! id beside it keys the lookup. The office manager makes a feed (and chooses whether it may carry
//! patients' names), sees the address once, and revokes it when a phone is lost or a doctor
//! leaves; a revoked or unknown address answers the same "not found", so a guess learns nothing.
//!
//! A feed covers 30 days back to 180 days ahead. Appointments are stored in the practice's local
//! wall-clock time; the feed gives UTC instants, converted with the practice's time zone. Without
//! the practice's permission an event says the appointment type and its status, never who is
//! coming (the names are not even read from the database). Every fetch is audited, by the feed.

use crate::{Actor, App, AppError, AuditNote, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Days, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use medoffice_domain::ValidationErrors;
use medoffice_domain::scheduling::AppointmentStatus;
use medoffice_domain::scheduling::ics::{self, Calendar, CalendarEvent};
use medoffice_domain::security::Action;
use medoffice_store::audit::NewAuditEvent;
use medoffice_store::calendar_feeds::{self as store, CalendarFeedRow, FeedAppointmentRow};
use medoffice_store::practice::ProviderRow;
use medoffice_store::scheduling::minute_of;
use medoffice_store::{StoreError, new_id};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How far back a feed reaches: last month's visits stay visible for reference.
pub const FEED_DAYS_BACK: u64 = 30;
/// How far ahead a feed reaches.
pub const FEED_DAYS_AHEAD: u64 = 180;
/// Who the audit trail names for a fetch: no user signs in, the feed's secret is the credential
/// (the record's `record_id` is the feed's id).
pub const FEED_AUDIT_USERNAME: &str = "(calendar feed)";
/// The length of a secret as written in an address: 32 bytes in unpadded base64url.
const SECRET_CHARS: usize = 43;

/// A feed to make, as a form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewCalendarFeed {
    pub provider_id: String,
    /// The practice allows this feed to show patients' names.
    pub include_patient_names: bool,
}

/// A feed as the admin page lists it. The secret is not here: it is shown once, at creation.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarFeedView {
    pub id: String,
    pub provider_id: String,
    pub provider_name: String,
    pub include_patient_names: bool,
    pub created_by: String,
    pub created_at: String,
    pub last_fetched_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl CalendarFeedView {
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

/// A feed just made, with the one copy of its address.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedCalendarFeed {
    pub feed: CalendarFeedView,
    /// The path to subscribe to, `/calendar/<practice id>.<secret>.ics`; the page puts the
    /// server's origin in front. Never stored, never shown again.
    pub path: String,
}

impl App {
    /// Makes a feed of one provider's schedule (office manager only) and returns its address,
    /// which exists nowhere else afterwards.
    pub async fn create_calendar_feed(&self, actor: &Actor, input: &NewCalendarFeed) -> Result<CreatedCalendarFeed> {
        self.authorize(actor, Action::ManageCalendarFeeds, None).await?;
        let provider_id = input.provider_id.trim();
        if provider_id.is_empty() {
            return Err(ValidationErrors::single("provider_id", "choose the provider").into());
        }
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let providers = medoffice_store::practice::list_providers(&mut tx, practice_id).await?;
        let Some(provider) = providers.iter().find(|p| p.id == provider_id) else {
            return Err(ValidationErrors::single("provider_id", "no such provider").into());
        };
        let secret = random_secret();
        let now = self.now_text();
        let row = CalendarFeedRow {
            practice_id: practice_id.to_string(),
            id: new_id(),
            secret_hash: sha256_hex(&secret),
            provider_id: provider.id.clone(),
            include_patient_names: i64::from(input.include_patient_names),
            created_by: actor.user_id.clone(),
            created_at: now.clone(),
            last_fetched_at: None,
            revoked_at: None,
            revoked_by: None,
        };
        store::insert(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "calendar_feed.create",
                patient_id: None,
                record_type: "calendar_feed",
                record_id: Some(&row.id),
                detail: format!("provider {}; patient names {}", provider.id, yes_no(input.include_patient_names)),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(CreatedCalendarFeed {
            feed: CalendarFeedView {
                id: row.id,
                provider_id: row.provider_id,
                provider_name: provider_name(provider),
                include_patient_names: input.include_patient_names,
                created_by: actor.display_name.clone(),
                created_at: now,
                last_fetched_at: None,
                revoked_at: None,
            },
            path: format!("/calendar/{practice_id}.{secret}.ics"),
        })
    }

    /// The practice's feeds, open ones first (office manager only).
    pub async fn list_calendar_feeds(&self, actor: &Actor) -> Result<Vec<CalendarFeedView>> {
        self.authorize(actor, Action::ManageCalendarFeeds, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let rows = store::list(&mut conn, &actor.practice_id).await?;
        Ok(rows
            .into_iter()
            .map(|r| CalendarFeedView {
                id: r.id,
                provider_id: r.provider_id,
                provider_name: format!(
                    "{} {}{}",
                    r.provider_given_name,
                    r.provider_family_name,
                    r.provider_credentials.map(|c| format!(", {c}")).unwrap_or_default()
                ),
                include_patient_names: r.include_patient_names != 0,
                created_by: if r.created_by_name.trim().is_empty() { r.created_by_username } else { r.created_by_name },
                created_at: r.created_at,
                last_fetched_at: r.last_fetched_at,
                revoked_at: r.revoked_at,
            })
            .collect())
    }

    /// Revokes a feed: its address answers "not found" from now on, like one that never existed.
    /// Revoking a revoked feed changes nothing.
    pub async fn revoke_calendar_feed(&self, actor: &Actor, feed_id: &str) -> Result<()> {
        self.authorize(actor, Action::ManageCalendarFeeds, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let feed = store::get(&mut tx, practice_id, feed_id.trim()).await?;
        if store::revoke(&mut tx, practice_id, &feed.id, &self.now_text(), &actor.user_id).await? {
            self.audit(
                &mut tx,
                actor,
                AuditNote {
                    action: "calendar_feed.revoke",
                    patient_id: None,
                    record_type: "calendar_feed",
                    record_id: Some(&feed.id),
                    detail: format!("provider {}", feed.provider_id),
                },
            )
            .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// The iCalendar text of the feed at `token` (`<practice id>.<secret>`, the address without
    /// `/calendar/` and `.ics`). No session: the secret is the credential. An unknown, malformed
    /// or revoked token is `NotFound("calendar feed")`, all alike. Audited as the feed, with the
    /// provider, the number of events and whether names were included; notes the fetch time.
    pub async fn calendar_feed_ics(&self, token: &str, ip: Option<String>) -> Result<String> {
        let not_found = || AppError::NotFound("calendar feed");
        let (practice_id, secret) = split_token(token).ok_or_else(not_found)?;
        let mut tx = self.store.begin().await?;
        let feed = match store::find_by_secret(&mut tx, practice_id, &sha256_hex(secret)).await? {
            Some(feed) if feed.revoked_at.is_none() => feed,
            _ => return Err(not_found()),
        };
        let practice = medoffice_store::practice::get(&mut tx, practice_id).await?;
        let tz: Tz = practice.timezone.parse().unwrap_or(chrono_tz::America::New_York);
        let providers = medoffice_store::practice::list_providers(&mut tx, practice_id).await?;
        let provider = providers.iter().find(|p| p.id == feed.provider_id).ok_or_else(not_found)?;
        let now = self.now();
        let today = now.with_timezone(&tz).date_naive();
        let first = today.checked_sub_days(Days::new(FEED_DAYS_BACK)).unwrap_or(today);
        let after_last = today.checked_add_days(Days::new(FEED_DAYS_AHEAD + 1)).unwrap_or(today);
        let names = feed.include_patient_names != 0;
        let rows = store::feed_appointments(
            &mut tx,
            practice_id,
            &provider.id,
            minute_of(first.and_time(NaiveTime::MIN)),
            minute_of(after_last.and_time(NaiveTime::MIN)),
            names,
        )
        .await?;
        let events = rows.iter().map(|row| event_of(row, tz, names)).collect::<Result<Vec<_>>>()?;
        let calendar = Calendar { name: format!("{} ({})", provider_name(provider), practice.name), events };
        let at = self.now_text();
        store::set_last_fetched(&mut tx, practice_id, &feed.id, &at).await?;
        self.append_audit(
            &mut tx,
            NewAuditEvent {
                practice_id: practice_id.to_string(),
                at,
                user_id: None,
                username: FEED_AUDIT_USERNAME.into(),
                action: "calendar_feed.fetch".into(),
                patient_id: None,
                record_type: "calendar_feed".into(),
                record_id: Some(feed.id.clone()),
                ip,
                outcome: "success".into(),
                detail: format!(
                    "provider {}; {} event(s); patient names {}",
                    provider.id,
                    calendar.events.len(),
                    if names { "included" } else { "not included" }
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(calendar.to_ics())
    }
}

/// One appointment as an event. A patient's name is on it only when the feed allows names (and
/// the store read them only then).
fn event_of(row: &FeedAppointmentRow, tz: Tz, names: bool) -> Result<CalendarEvent> {
    let corrupt = |what: &str| AppError::from(StoreError::Corrupt(format!("appointment {}: {what}", row.id)));
    let local = |text: &str| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").map_err(|_| corrupt("time"));
    let status = AppointmentStatus::parse(&row.status).map_err(|e| corrupt(&e))?;
    let type_name = row.appointment_type_name.as_deref().unwrap_or("Appointment");
    let patient = match (&row.patient_family_name, &row.patient_given_name) {
        (Some(family), Some(given)) if names => Some(format!("{family}, {given}")),
        _ => None,
    };
    let description = patient.as_ref().map(|name| match row.notes.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(notes) => format!("Patient: {name}\nNotes: {notes}"),
        None => format!("Patient: {name}"),
    });
    Ok(CalendarEvent {
        uid: CalendarEvent::uid_of(&row.id),
        stamp: DateTime::parse_from_rfc3339(&row.updated_at).map(|d| d.with_timezone(&Utc)).map_err(|_| corrupt("updated_at"))?,
        start: utc_of(local(&row.start_at)?, tz),
        end: utc_of(local(&row.end_at)?, tz),
        summary: ics::appointment_summary(type_name, status, patient.as_deref()),
        location: row.location_name.clone(),
        description,
        status: CalendarEvent::status_of(status),
        // Versions start at 1; SEQUENCE starts at 0 (RFC 5545 §3.8.7.4).
        sequence: u32::try_from(row.version.saturating_sub(1)).unwrap_or(0),
    })
}

/// The instant of a practice-local wall-clock time. In the autumn's repeated hour the earlier
/// instant is taken; a time the clocks skip in spring (never booked: booking refuses it) is read
/// with the offset in force just before the gap.
fn utc_of(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local).earliest() {
        Some(at) => at.with_timezone(&Utc),
        None => {
            let offset = tz.offset_from_utc_datetime(&(local - chrono::Duration::hours(3))).fix();
            (local - chrono::Duration::seconds(i64::from(offset.local_minus_utc()))).and_utc()
        }
    }
}

fn provider_name(p: &ProviderRow) -> String {
    format!("{} {}{}", p.given_name, p.family_name, p.credentials.as_ref().map(|c| format!(", {c}")).unwrap_or_default())
}

fn yes_no(b: bool) -> &'static str {
    if b { "included" } else { "not included" }
}

/// Splits `<practice id>.<secret>`; anything else is no token.
fn split_token(token: &str) -> Option<(&str, &str)> {
    let (practice_id, secret) = token.split_once('.')?;
    let id_ok = !practice_id.is_empty() && practice_id.len() <= 64 && practice_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let secret_ok = secret.len() == SECRET_CHARS && secret.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    (id_ok && secret_ok).then_some((practice_id, secret))
}

fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d).unwrap().and_hms_opt(h, mi, 0).unwrap()
    }

    #[test]
    fn local_times_become_utc_with_the_offset_of_their_date() {
        let ny = chrono_tz::America::New_York;
        assert_eq!(utc_of(local(2026, 6, 16, 9, 0), ny).to_rfc3339(), "2026-06-16T13:00:00+00:00", "EDT is UTC-4");
        assert_eq!(utc_of(local(2026, 12, 1, 9, 0), ny).to_rfc3339(), "2026-12-01T14:00:00+00:00", "EST is UTC-5");
        // 2026-11-01 01:30 happens twice in New York: the first (EDT) is taken.
        assert_eq!(utc_of(local(2026, 11, 1, 1, 30), ny).to_rfc3339(), "2026-11-01T05:30:00+00:00");
        // 2026-03-08 02:30 does not exist: read with EST, the offset before the gap.
        assert_eq!(utc_of(local(2026, 3, 8, 2, 30), ny).to_rfc3339(), "2026-03-08T07:30:00+00:00");
    }

    #[test]
    fn only_a_practice_id_and_a_whole_secret_make_a_token() {
        let secret = random_secret();
        assert_eq!(secret.len(), SECRET_CHARS);
        let token = format!("0190a1b2-0000-7000-8000-000000000001.{secret}");
        assert_eq!(split_token(&token), Some(("0190a1b2-0000-7000-8000-000000000001", secret.as_str())));
        assert_eq!(split_token(&secret), None, "no practice id");
        assert_eq!(split_token(&format!("p.{}", &secret[1..])), None, "a short secret");
        assert_eq!(split_token(&format!("p/../x.{secret}")), None);
        assert_eq!(split_token(&format!("p.{secret}.ics")), None, "the caller strips .ics");
        assert_ne!(random_secret(), secret);
    }
}
