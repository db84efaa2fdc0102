//! Recalls: "see this patient again in 6 months". A recall is due on a date, for a reason, maybe
//! with a provider; the front desk works the list (overdue, due this month, next month), records
//! each call, letter or e-mail, prints a recall letter, books the patient from the schedule, and
//! closes the recall with a reason when it is done with.
//!
//! A recall counts as booked while the patient has an appointment holding its time that was booked
//! on or after the recall was made: read from the appointments every time (see
//! `medoffice_store::recalls`), so booking needs to know nothing of recalls.

use crate::views::{PatientSummary, RecallContactView, RecallLetterView, RecallView};
use crate::waitlist::{Names, local_instant, local_time_rfc3339, patient_summaries, unknown_patient};
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::{Datelike, Days, Months, NaiveDate};
use chrono_tz::Tz;
use medoffice_domain::ValidationErrors;
use medoffice_domain::patients::{Phone, parse_date};
use medoffice_domain::scheduling::ProviderId;
use medoffice_domain::security::Action;
use medoffice_domain::validation::clean;
use medoffice_store::recalls::{self as store, RecallChange, RecallContactRow, RecallRead, RecallRow, RecallStatusFilter, STALE_RECALL};
use medoffice_store::{StoreError, new_id};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// The longest reason (on a recall, or for closing one).
pub const MAX_REASON_CHARS: usize = 200;
/// The longest note.
pub const MAX_NOTES_CHARS: usize = 1000;
/// How far back a due date may be (a recall entered late is already overdue, but not by years).
pub const MAX_DAYS_OVERDUE: u64 = 366;
/// How far ahead a due date may be.
pub const MAX_YEARS_AHEAD: u32 = 10;

/// A recall as typed. The due date is given directly (`due_date`) or as an interval from a date
/// (`interval`, from `from_date` or today), not both.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewRecall {
    pub patient_id: String,
    /// Blank for none.
    pub provider_id: String,
    /// Why the patient should come back, e.g. "Diabetes follow-up".
    pub reason: String,
    /// `YYYY-MM-DD` or `MM/DD/YYYY`.
    pub due_date: String,
    /// `6 months`, `1 year`, `3 weeks`, `10 days`.
    pub interval: String,
    /// The date the interval counts from (e.g. the visit's); blank for today.
    pub from_date: String,
    pub notes: String,
}

/// Which recalls a list shows.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct RecallListInput {
    /// `overdue`, `this_month`, `next_month`, or blank for any due date.
    pub due: String,
    /// `open` (or blank: pending or contacted, not booked), `pending`, `contacted`, `booked`,
    /// `closed` or `all`.
    pub status: String,
}

/// A call, letter or e-mail about a recall, as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct RecallContactInput {
    /// `phone`, `letter` or `email`.
    pub method: String,
    /// For a call: `reached`, `left_message`, `no_answer` or `wrong_number`. A letter or an e-mail
    /// is `sent` (blank is fine).
    pub outcome: String,
    pub note: String,
}

/// A unit of a recall interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalUnit {
    Days,
    Weeks,
    Months,
    Years,
}

/// Reads "6 months", "1 year", "2 wk", "10d": a whole number from 1 to 120 and a unit.
pub fn parse_interval(text: &str) -> std::result::Result<(u32, IntervalUnit), String> {
    let text = text.trim().to_ascii_lowercase();
    let digits: String = text.chars().take_while(|c| c.is_ascii_digit()).collect();
    let unit_text = text[digits.len()..].trim();
    let problem = || format!("'{}' is not an interval; write e.g. 6 months, 1 year, 3 weeks", text.chars().take(40).collect::<String>());
    let count: u32 = digits.parse().map_err(|_| problem())?;
    let unit = match unit_text {
        "d" | "day" | "days" => IntervalUnit::Days,
        "w" | "wk" | "wks" | "week" | "weeks" => IntervalUnit::Weeks,
        "m" | "mo" | "mos" | "month" | "months" => IntervalUnit::Months,
        "y" | "yr" | "yrs" | "year" | "years" => IntervalUnit::Years,
        _ => return Err(problem()),
    };
    if count == 0 || count > 120 {
        return Err("give a number from 1 to 120".into());
    }
    Ok((count, unit))
}

/// `from` plus the interval. Months and years keep the day of the month, or take the month's last
/// day when it has fewer (Aug 31 + 6 months = Feb 28/29).
pub fn add_interval(from: NaiveDate, count: u32, unit: IntervalUnit) -> Option<NaiveDate> {
    match unit {
        IntervalUnit::Days => from.checked_add_days(Days::new(u64::from(count))),
        IntervalUnit::Weeks => from.checked_add_days(Days::new(u64::from(count) * 7)),
        IntervalUnit::Months => from.checked_add_months(Months::new(count)),
        IntervalUnit::Years => from.checked_add_months(Months::new(count.checked_mul(12)?)),
    }
}

/// The first and last dates of the "any due date" range: four-digit years, so that as
/// `YYYY-MM-DD` text they order as dates (`NaiveDate::MIN` would print a sign and six digits).
fn date_bounds() -> (NaiveDate, NaiveDate) {
    (NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default(), NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default())
}

/// The due dates (inclusive) a `due` filter covers on `today`: overdue (before today), this
/// calendar month, next calendar month, or any (blank).
pub fn due_range(due: &str, today: NaiveDate) -> std::result::Result<(NaiveDate, NaiveDate), String> {
    let (earliest, latest) = date_bounds();
    let first_of = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let this_month = first_of(today);
    let next_month = this_month.checked_add_months(Months::new(1)).unwrap_or(this_month);
    let month_after = next_month.checked_add_months(Months::new(1)).unwrap_or(next_month);
    let day_before = |d: NaiveDate| d.pred_opt().unwrap_or(d);
    match due.trim() {
        "" | "any" => Ok((earliest, latest)),
        "overdue" => Ok((earliest, day_before(today))),
        "this_month" => Ok((this_month, day_before(next_month))),
        "next_month" => Ok((next_month, day_before(month_after))),
        other => Err(format!("'{}' is not one of overdue, this_month, next_month", other.chars().take(40).collect::<String>())),
    }
}

fn parse_status_filter(text: &str) -> std::result::Result<RecallStatusFilter, String> {
    Ok(match text.trim() {
        "" | "open" => RecallStatusFilter::Open,
        "pending" | "due" => RecallStatusFilter::Pending,
        "contacted" => RecallStatusFilter::Contacted,
        "booked" => RecallStatusFilter::Booked,
        "closed" => RecallStatusFilter::Closed,
        "all" => RecallStatusFilter::All,
        other => {
            return Err(format!(
                "'{}' is not one of open, pending, contacted, booked, closed, all",
                other.chars().take(40).collect::<String>()
            ));
        }
    })
}

/// The method and outcome of a contact attempt.
fn parse_contact(input: &RecallContactInput) -> std::result::Result<(&'static str, &'static str), ValidationErrors> {
    let mut e = ValidationErrors::new();
    let method = match input.method.trim().to_ascii_lowercase().as_str() {
        "phone" | "call" | "phone call" => Some("phone"),
        "letter" => Some("letter"),
        "email" | "e-mail" => Some("email"),
        _ => {
            e.add("method", "choose phone call, letter or e-mail");
            None
        }
    };
    let outcome_text = input.outcome.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    let outcome = match (method, outcome_text.as_str()) {
        (None, _) => None,
        (Some("phone"), "reached") => Some("reached"),
        (Some("phone"), "left_message") => Some("left_message"),
        (Some("phone"), "no_answer") => Some("no_answer"),
        (Some("phone"), "wrong_number") => Some("wrong_number"),
        (Some("phone"), _) => {
            e.add("outcome", "say how the call went: reached, left a message, no answer or wrong number");
            None
        }
        (Some(_), "" | "sent") => Some("sent"),
        (Some(_), _) => {
            e.add("outcome", "a letter or an e-mail is recorded as sent");
            None
        }
    };
    if input.note.trim().chars().count() > MAX_NOTES_CHARS {
        e.add("note", format!("at most {MAX_NOTES_CHARS} characters"));
    }
    match (method, outcome, e.is_empty()) {
        (Some(m), Some(o), true) => Ok((m, o)),
        _ => Err(e),
    }
}

impl App {
    /// Makes a recall for a patient, due on a date given directly or as an interval ("6 months")
    /// from a visit date or today. Audited.
    pub async fn create_recall(&self, actor: &Actor, input: &NewRecall) -> Result<RecallView> {
        let patient_hint = Some(input.patient_id.trim()).filter(|p| !p.is_empty() && p.len() <= 64);
        self.authorize(actor, Action::CreateRecalls, patient_hint).await?;
        let today = actor.today(self.now());
        let mut e = ValidationErrors::new();
        let patient_id = if input.patient_id.trim().is_empty() {
            e.add("patient_id", "choose the patient");
            None
        } else {
            e.check("patient_id", ProviderId::parse(&input.patient_id).map(|p| p.as_str().to_string()))
        };
        let provider_id = if input.provider_id.trim().is_empty() {
            Some(None)
        } else {
            e.check("provider_id", ProviderId::parse(&input.provider_id).map(|p| Some(p.as_str().to_string())))
        };
        let reason = clean(&input.reason);
        match &reason {
            None => e.add("reason", "say why the patient should come back, e.g. Diabetes follow-up"),
            Some(r) if r.chars().count() > MAX_REASON_CHARS => e.add("reason", format!("at most {MAX_REASON_CHARS} characters")),
            Some(_) => {}
        }
        let notes = input.notes.trim();
        if notes.chars().count() > MAX_NOTES_CHARS {
            e.add("notes", format!("at most {MAX_NOTES_CHARS} characters"));
        }
        let due = match (input.due_date.trim().is_empty(), input.interval.trim().is_empty()) {
            (true, true) => {
                e.add("due_date", "give the due date, or an interval such as 6 months");
                None
            }
            (false, false) => {
                e.add("interval", "give a due date or an interval, not both");
                None
            }
            (false, true) => {
                if !input.from_date.trim().is_empty() {
                    e.add("from_date", "a counting date goes with an interval; leave it empty with a due date");
                }
                e.check("due_date", parse_date(&input.due_date))
            }
            (true, false) => {
                let from = if input.from_date.trim().is_empty() { Some(today) } else { e.check("from_date", parse_date(&input.from_date)) };
                let interval = e.check("interval", parse_interval(&input.interval));
                match (from, interval) {
                    (Some(from), Some((n, unit))) => {
                        e.check("interval", add_interval(from, n, unit).ok_or_else(|| "that date is out of range".to_string()))
                    }
                    _ => None,
                }
            }
        };
        let due_field = if input.due_date.trim().is_empty() { "interval" } else { "due_date" };
        if let Some(due) = due {
            if today.checked_sub_days(Days::new(MAX_DAYS_OVERDUE)).is_some_and(|limit| due < limit) {
                e.add(due_field, "the due date is more than a year ago; check the date");
            }
            if today.checked_add_months(Months::new(MAX_YEARS_AHEAD * 12)).is_some_and(|limit| due > limit) {
                e.add(due_field, format!("the due date is more than {MAX_YEARS_AHEAD} years ahead; check the date"));
            }
        }
        let (Some(patient_id), Some(provider_id), Some(reason), Some(due)) = (patient_id, provider_id, reason, due) else {
            return Err(e.into());
        };
        if !e.is_empty() {
            return Err(e.into());
        }
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        match medoffice_store::patients::get(&mut tx, practice_id, &patient_id).await {
            Ok(p) if p.merged_into.is_some() => e.add("patient_id", "this record was merged into another patient; choose that one"),
            Ok(_) => {}
            Err(StoreError::NotFound(_)) => e.add("patient_id", "no such patient"),
            Err(other) => return Err(other.into()),
        }
        let names = Names::load(&mut tx, practice_id).await?;
        if let Some(p) = &provider_id
            && !names.providers.contains_key(p)
        {
            e.add("provider_id", "no such provider");
        }
        if !e.is_empty() {
            return Err(e.into());
        }
        let now = self.now_text();
        let row = RecallRow {
            practice_id: practice_id.to_string(),
            id: new_id(),
            patient_id: patient_id.clone(),
            provider_id,
            reason,
            due_date: due.to_string(),
            status: "pending".into(),
            close_reason: None,
            closed_at: None,
            closed_by: None,
            notes: (!notes.is_empty()).then(|| notes.to_string()),
            created_by: actor.user_id.clone(),
            created_at: now.clone(),
            updated_at: now,
            version: 1,
        };
        store::insert_recall(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "recall.create",
                patient_id: Some(&patient_id),
                record_type: "recall",
                record_id: Some(&row.id),
                detail: format!("due {}: {}", row.due_date, row.reason.chars().take(100).collect::<String>()),
            },
        )
        .await?;
        let read = store::get_recall(&mut tx, practice_id, &row.id).await?;
        let patients = patient_summaries(&mut tx, practice_id, std::slice::from_ref(&patient_id)).await?;
        tx.commit().await?;
        Ok(recall_view(&read, &[], &names, &patients, actor.timezone, today))
    }

    /// The recalls due in a range (overdue, this month, next month, any) with a status (open by
    /// default: pending or contacted and not booked), by due date. Audited as a read.
    pub async fn list_recalls(&self, actor: &Actor, input: &RecallListInput) -> Result<Vec<RecallView>> {
        self.authorize(actor, Action::ReadRecalls, None).await?;
        let today = actor.today(self.now());
        let mut e = ValidationErrors::new();
        let range = e.check("due", due_range(&input.due, today));
        let status = e.check("status", parse_status_filter(&input.status));
        let (Some((first, last)), Some(status)) = (range, status) else {
            return Err(e.into());
        };
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let rows = store::list_recalls(&mut tx, practice_id, &first.to_string(), &last.to_string(), status).await?;
        let names = Names::load(&mut tx, practice_id).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.recall.patient_id.clone()).collect();
        let patients = patient_summaries(&mut tx, practice_id, &ids).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "recall.list",
                patient_id: None,
                record_type: "recall",
                record_id: None,
                detail: format!(
                    "due {} status {} ({} recall(s))",
                    if input.due.trim().is_empty() { "any" } else { input.due.trim() },
                    if input.status.trim().is_empty() { "open" } else { input.status.trim() },
                    rows.len()
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(rows.iter().map(|r| recall_view(r, &[], &names, &patients, actor.timezone, today)).collect())
    }

    /// One recall with its calls, letters and e-mails. Audited as a read of the patient's data.
    pub async fn recall(&self, actor: &Actor, recall_id: &str) -> Result<RecallView> {
        self.authorize(actor, Action::ReadRecalls, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let read = store::get_recall(&mut tx, practice_id, recall_id).await?;
        let contacts = store::list_contacts(&mut tx, practice_id, recall_id).await?;
        let names = Names::load(&mut tx, practice_id).await?;
        let patients = patient_summaries(&mut tx, practice_id, std::slice::from_ref(&read.recall.patient_id)).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "recall.read",
                patient_id: Some(&read.recall.patient_id),
                record_type: "recall",
                record_id: Some(recall_id),
                detail: String::new(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(recall_view(&read, &contacts, &names, &patients, actor.timezone, actor.today(self.now())))
    }

    /// Records a call (with how it went), a letter or an e-mail about a recall, by whom and when;
    /// a pending recall becomes contacted. A closed recall takes no more contacts (a conflict).
    pub async fn record_recall_contact(&self, actor: &Actor, recall_id: &str, input: &RecallContactInput) -> Result<RecallView> {
        self.authorize(actor, Action::ManageRecalls, None).await?;
        let (method, outcome) = parse_contact(input)?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let before = store::get_recall(&mut tx, practice_id, recall_id).await?;
        if before.recall.status == "closed" {
            return Err(AppError::Conflict("this recall is closed; it takes no more contacts".into()));
        }
        let now = self.now_text();
        // Also when already contacted: the version bump serialises two desks recording at once.
        let after = store::update_recall(
            &mut tx,
            practice_id,
            recall_id,
            before.recall.version,
            &RecallChange { status: "contacted", updated_at: &now, ..Default::default() },
        )
        .await
        .map_err(stale)?;
        let note = input.note.trim();
        let seq = store::append_contact(
            &mut tx,
            &RecallContactRow {
                practice_id: practice_id.to_string(),
                recall_id: recall_id.to_string(),
                seq: 0,
                at: now,
                user_id: actor.user_id.clone(),
                method: method.to_string(),
                outcome: outcome.to_string(),
                note: (!note.is_empty()).then(|| note.to_string()),
            },
        )
        .await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "recall.contact",
                patient_id: Some(&before.recall.patient_id),
                record_type: "recall",
                record_id: Some(recall_id),
                detail: format!("#{seq} {method}: {outcome}"),
            },
        )
        .await?;
        let contacts = store::list_contacts(&mut tx, practice_id, recall_id).await?;
        let names = Names::load(&mut tx, practice_id).await?;
        let patients = patient_summaries(&mut tx, practice_id, std::slice::from_ref(&after.recall.patient_id)).await?;
        tx.commit().await?;
        Ok(recall_view(&after, &contacts, &names, &patients, actor.timezone, actor.today(self.now())))
    }

    /// Closes a recall with a reason ("seen elsewhere", "moved away", "booked"...). Audited.
    pub async fn close_recall(&self, actor: &Actor, recall_id: &str, reason: &str) -> Result<RecallView> {
        self.authorize(actor, Action::ManageRecalls, None).await?;
        let reason = match clean(reason) {
            None => return Err(ValidationErrors::single("close_reason", "say why the recall is closed, e.g. moved away").into()),
            Some(r) if r.chars().count() > MAX_REASON_CHARS => {
                return Err(ValidationErrors::single("close_reason", format!("at most {MAX_REASON_CHARS} characters")).into());
            }
            Some(r) => r,
        };
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let before = store::get_recall(&mut tx, practice_id, recall_id).await?;
        if before.recall.status == "closed" {
            return Err(AppError::Conflict("this recall is already closed".into()));
        }
        let now = self.now_text();
        let after = store::update_recall(
            &mut tx,
            practice_id,
            recall_id,
            before.recall.version,
            &RecallChange {
                status: "closed",
                close_reason: Some(&reason),
                closed_at: Some(&now),
                closed_by: Some(&actor.user_id),
                updated_at: &now,
            },
        )
        .await
        .map_err(stale)?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "recall.close",
                patient_id: Some(&before.recall.patient_id),
                record_type: "recall",
                record_id: Some(recall_id),
                detail: reason.chars().take(100).collect(),
            },
        )
        .await?;
        let contacts = store::list_contacts(&mut tx, practice_id, recall_id).await?;
        let names = Names::load(&mut tx, practice_id).await?;
        let patients = patient_summaries(&mut tx, practice_id, std::slice::from_ref(&after.recall.patient_id)).await?;
        tx.commit().await?;
        Ok(recall_view(&after, &contacts, &names, &patients, actor.timezone, actor.today(self.now())))
    }

    /// What the printed recall letter says: the practice's name and address, the patient's name
    /// and address, the reason and the due date. Audited as a read of the patient's address.
    pub async fn recall_letter(&self, actor: &Actor, recall_id: &str) -> Result<RecallLetterView> {
        self.authorize(actor, Action::ReadRecalls, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let read = store::get_recall(&mut tx, practice_id, recall_id).await?;
        let recall = &read.recall;
        let practice = medoffice_store::practice::get(&mut tx, practice_id).await?;
        // The practice's own address, else its first office's (a practice set up before it typed
        // its address still has one on the schedule's locations).
        let office = medoffice_store::scheduling::list_locations(&mut tx, practice_id)
            .await?
            .into_iter()
            .find(|l| l.address_line1.is_some() && practice.address_line1.is_none());
        let patient = medoffice_store::patients::get(&mut tx, practice_id, &recall.patient_id).await?;
        let names = Names::load(&mut tx, practice_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "recall.letter",
                patient_id: Some(&recall.patient_id),
                record_type: "recall",
                record_id: Some(recall_id),
                detail: String::new(),
            },
        )
        .await?;
        tx.commit().await?;
        let city_line = |city: &Option<String>, state: &Option<String>, zip: &Option<String>| {
            let place = [city.as_deref(), state.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(", ");
            let line = [Some(place.as_str()).filter(|p| !p.is_empty()), zip.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
            (!line.is_empty()).then_some(line)
        };
        let (practice_address, practice_phone): (Vec<String>, Option<String>) = match &office {
            Some(o) => (
                [o.address_line1.clone(), o.address_line2.clone(), city_line(&o.city, &o.state, &o.postal_code)]
                    .into_iter()
                    .flatten()
                    .collect(),
                o.phone.clone().or(practice.phone.clone()),
            ),
            None => (
                [practice.address_line1.clone(), city_line(&practice.city, &practice.state, &practice.postal_code)]
                    .into_iter()
                    .flatten()
                    .collect(),
                practice.phone.clone(),
            ),
        };
        let patient_address: Vec<String> = if patient.address_line1.is_some() {
            [patient.address_line1.clone(), patient.address_line2.clone(), city_line(&patient.city, &patient.state, &patient.postal_code)]
                .into_iter()
                .flatten()
                .collect()
        } else {
            Vec::new()
        };
        Ok(RecallLetterView {
            recall_id: recall.id.clone(),
            practice_name: practice.name,
            practice_address,
            practice_phone: practice_phone.as_deref().map(|d| Phone::parse(d).map(|p| p.display()).unwrap_or_else(|_| d.to_string())),
            patient_id: patient.id.clone(),
            patient_name: format!("{} {}", patient.given_name, patient.family_name),
            patient_address,
            reason: recall.reason.clone(),
            due_date: recall.due_date.clone(),
            provider_name: recall.provider_id.as_deref().map(|p| names.provider(p)),
            letter_date: actor.today(self.now()).to_string(),
        })
    }
}

/// A version clash on a recall in plain words.
fn stale(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(c) if c == STALE_RECALL => {
            AppError::Conflict("someone else changed this recall at the same moment; reload and try again".into())
        }
        other => other.into(),
    }
}

fn recall_view(
    read: &RecallRead,
    contacts: &[RecallContactRow],
    names: &Names,
    patients: &HashMap<String, PatientSummary>,
    tz: Tz,
    today: NaiveDate,
) -> RecallView {
    let r = &read.recall;
    let status = if r.status == "closed" {
        "closed"
    } else if read.booked != 0 {
        "booked"
    } else {
        r.status.as_str()
    };
    let overdue = matches!(status, "pending" | "contacted") && parse_date(&r.due_date).is_ok_and(|due| due < today);
    RecallView {
        id: r.id.clone(),
        patient: patients.get(&r.patient_id).cloned().unwrap_or_else(|| unknown_patient(&r.patient_id)),
        provider_id: r.provider_id.clone(),
        provider_name: r.provider_id.as_deref().map(|p| names.provider(p)),
        reason: r.reason.clone(),
        due_date: r.due_date.clone(),
        status: status.to_string(),
        overdue,
        booked_start: read.booked_start.as_deref().filter(|_| read.booked != 0).map(|s| local_time_rfc3339(s, tz)),
        close_reason: r.close_reason.clone(),
        closed_at: r.closed_at.as_deref().map(|at| local_instant(at, tz)),
        closed_by: r.closed_by.as_deref().map(|u| names.user(u)),
        notes: r.notes.clone(),
        created_by: names.user(&r.created_by),
        created_at: local_instant(&r.created_at, tz),
        contacts: contacts
            .iter()
            .map(|c| RecallContactView {
                seq: c.seq,
                at: local_instant(&c.at, tz),
                by: names.user(&c.user_id),
                method: c.method.clone(),
                outcome: c.outcome.clone(),
                note: c.note.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn intervals_read_as_people_write_them() {
        assert_eq!(parse_interval("6 months"), Ok((6, IntervalUnit::Months)));
        assert_eq!(parse_interval(" 1 Year "), Ok((1, IntervalUnit::Years)));
        assert_eq!(parse_interval("3wk"), Ok((3, IntervalUnit::Weeks)));
        assert_eq!(parse_interval("10 days"), Ok((10, IntervalUnit::Days)));
        for bad in ["", "six months", "6", "6 fortnights", "0 months", "121 months", "-1 year"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn months_keep_the_day_or_take_the_months_last_day() {
        assert_eq!(add_interval(date("2026-06-15"), 6, IntervalUnit::Months), Some(date("2026-12-15")));
        assert_eq!(add_interval(date("2026-08-31"), 6, IntervalUnit::Months), Some(date("2027-02-28")));
        assert_eq!(add_interval(date("2028-02-29"), 1, IntervalUnit::Years), Some(date("2029-02-28")));
        assert_eq!(add_interval(date("2026-06-15"), 2, IntervalUnit::Weeks), Some(date("2026-06-29")));
        assert_eq!(add_interval(date("2026-06-15"), 10, IntervalUnit::Days), Some(date("2026-06-25")));
    }

    #[test]
    fn due_filters_cover_overdue_this_month_and_next_month() {
        let today = date("2026-12-15");
        assert_eq!(due_range("overdue", today), Ok((date("0001-01-01"), date("2026-12-14"))));
        assert_eq!(due_range("this_month", today), Ok((date("2026-12-01"), date("2026-12-31"))));
        assert_eq!(due_range("next_month", today), Ok((date("2027-01-01"), date("2027-01-31"))));
        assert_eq!(due_range("", today), Ok((date("0001-01-01"), date("9999-12-31"))));
        let (first, last) = due_range("", today).unwrap_or_default();
        assert_eq!((first.to_string(), last.to_string()), ("0001-01-01".to_string(), "9999-12-31".to_string()));
        assert!(due_range("last_year", today).is_err());
    }

    #[test]
    fn a_call_needs_its_outcome_and_a_letter_is_sent() {
        let input =
            |method: &str, outcome: &str| RecallContactInput { method: method.into(), outcome: outcome.into(), note: String::new() };
        assert_eq!(parse_contact(&input("phone", "left message")), Ok(("phone", "left_message")));
        assert_eq!(parse_contact(&input("letter", "")), Ok(("letter", "sent")));
        assert_eq!(parse_contact(&input("e-mail", "sent")), Ok(("email", "sent")));
        let fields = |r: std::result::Result<(&str, &str), ValidationErrors>| {
            r.err().map(|e| e.errors.into_iter().map(|f| f.field).collect::<Vec<_>>())
        };
        assert_eq!(fields(parse_contact(&input("phone", ""))), Some(vec!["outcome".to_string()]));
        assert_eq!(fields(parse_contact(&input("letter", "reached"))), Some(vec!["outcome".to_string()]));
        assert_eq!(fields(parse_contact(&input("fax", "sent"))), Some(vec!["method".to_string()]));
    }
}
