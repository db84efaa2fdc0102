//! Reads behind the calendar pages (day, week, arrivals, day sheet): the appointments of a range
//! of dates together with the few facts about each patient a calendar shows, in one query.
//!
//! One join instead of a chart read per patient: a busy day of five providers has a hundred
//! appointments, and the page must name every patient without a hundred round trips (or a hundred
//! audit records). The use case audits the whole read once, naming the count.

use crate::Result;
use crate::scheduling::AppointmentRow;
use sqlx::{AnyConnection, FromRow};

/// The most appointments one calendar read returns: a guard, not paging (a week of one provider
/// or a day of twenty providers is a few hundred).
const CALENDAR_LIMIT: i64 = 2000;

/// An appointment and what the calendar shows of its patient.
#[derive(Debug, Clone, FromRow)]
pub struct AppointmentWithPatient {
    #[sqlx(flatten)]
    pub appointment: AppointmentRow,
    pub patient_family_name: String,
    pub patient_given_name: String,
    pub patient_middle_name: Option<String>,
    pub patient_suffix: Option<String>,
    pub patient_preferred_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub patient_birth_date: String,
    pub patient_mrn: String,
    pub patient_phone_mobile: Option<String>,
    pub patient_phone_home: Option<String>,
    pub patient_phone_work: Option<String>,
    /// `mobile`, `home` or `work`.
    pub patient_preferred_phone: String,
}

impl AppointmentWithPatient {
    /// The preferred phone's digits, else the first one given (as `PatientRow::phone`).
    pub fn patient_phone(&self) -> Option<&str> {
        let preferred = match self.patient_preferred_phone.as_str() {
            "home" => &self.patient_phone_home,
            "work" => &self.patient_phone_work,
            _ => &self.patient_phone_mobile,
        };
        preferred
            .as_deref()
            .or(self.patient_phone_mobile.as_deref())
            .or(self.patient_phone_home.as_deref())
            .or(self.patient_phone_work.as_deref())
    }
}

/// The select list and join of both queries, as a literal so the SQL stays constant text.
macro_rules! with_patient {
    () => {
        "SELECT a.*, p.family_name AS patient_family_name, p.given_name AS patient_given_name, \
         p.middle_name AS patient_middle_name, p.suffix AS patient_suffix, p.preferred_name AS patient_preferred_name, \
         p.birth_date AS patient_birth_date, p.mrn AS patient_mrn, p.phone_mobile AS patient_phone_mobile, \
         p.phone_home AS patient_phone_home, p.phone_work AS patient_phone_work, p.preferred_phone AS patient_preferred_phone \
         FROM appointment a JOIN patient p ON p.practice_id = a.practice_id AND p.id = a.patient_id "
    };
}

/// The appointments (any status) starting in `[from_minute, to_minute)` (minutes as
/// [`crate::scheduling::minute_of`]), of one provider or of all, with their patients; by start,
/// then provider. One provider scans `appointment_by_provider`, all providers `appointment_by_start`.
pub async fn appointments_with_patients(
    conn: &mut AnyConnection,
    practice_id: &str,
    provider_id: Option<&str>,
    from_minute: i64,
    to_minute: i64,
) -> Result<Vec<AppointmentWithPatient>> {
    let rows = match provider_id {
        Some(provider_id) => {
            sqlx::query_as(concat!(
                with_patient!(),
                "WHERE a.practice_id = $1 AND a.provider_id = $2 AND a.start_minute >= $3 AND a.start_minute < $4 \
                 ORDER BY a.start_minute, a.provider_id, a.id LIMIT $5"
            ))
            .bind(practice_id)
            .bind(provider_id)
            .bind(from_minute)
            .bind(to_minute)
            .bind(CALENDAR_LIMIT)
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query_as(concat!(
                with_patient!(),
                "WHERE a.practice_id = $1 AND a.start_minute >= $2 AND a.start_minute < $3 \
                 ORDER BY a.start_minute, a.provider_id, a.id LIMIT $4"
            ))
            .bind(practice_id)
            .bind(from_minute)
            .bind(to_minute)
            .bind(CALENDAR_LIMIT)
            .fetch_all(conn)
            .await?
        }
    };
    Ok(rows)
}
