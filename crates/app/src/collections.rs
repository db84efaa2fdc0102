//! Collections (issue 7): the follow-up worklist, dunning letters, the collection agency hand-off
//! with its bad-debt write-off, small-balance write-offs, and recoveries of written-off debt.
//!
//! What a patient owes and since when is always [`crate::receivables`]' open items of AR -
//! Patients (1110), the same the statements and the aging report read. An open item is past due
//! [`days_past_due`] days: the days since its date less the practice's net days
//! ([`net_days_in`]). The worklist lists every patient with a past-due balance, oldest first, then
//! largest; the dunning run sends each the next letter its age calls for (level 1 at 30, 2 at 60,
//! 3 at 90 days past due, each level once, at least [`MIN_DAYS_BETWEEN_LETTERS`] apart), skipping
//! patients on a current payment plan and accounts already sent to collections. The letters are
//! the letter templates `past_due_30`, `past_due_60` and `past_due_90` ([`LETTER_TEMPLATE_KEYS`])
//! rendered through the letters merge, so the office manager's edits apply, and saved on the chart
//! like any other letter (PDF on the letterhead, outgoing mail log).
//!
//! Money events and their entries (product.md): the agency hand-off and a write-off debit Bad
//! debt expense (6500) and credit AR - Patients (1110, the patient on the line), one entry for the
//! whole hand-off. A payment that comes in after a write-off (from the agency or the patient)
//! goes through the usual patient payment; in the same transaction, before the payment's own
//! entry, [`App::recover_bad_debt_in`] restores what it pays of the written-off debt (debit
//! AR - Patients, credit Bad debt expense), so the payment settles a receivable instead of
//! leaving a credit balance, and bad debt expense shows the net loss.

use crate::ledger::{NewEntry, NewLine};
use crate::payment_plans::PlanView;
use crate::receivables::{patient_due_open_items_in, patients_due_open_items_in};
use crate::views::PatientView;
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::accounts;
use medoffice_domain::ledger::aging::OpenItems;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_store::collections::{self as store, ExportRow, LetterRow, NoteRow, WriteOffRow};
use medoffice_store::patients::PatientRow;
use medoffice_store::{Connection, StoreError, new_id};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// Days past due at which each letter level becomes due (levels 1, 2, 3).
pub const LETTER_THRESHOLDS: [i64; 3] = [30, 60, 90];

/// The least days between two letters to one patient, so a long-overdue account that never had a
/// letter gets the three levels a month apart, not on three consecutive runs.
pub const MIN_DAYS_BETWEEN_LETTERS: i64 = 30;

/// The most accounts one agency file carries.
pub const MAX_EXPORT_ACCOUNTS: usize = 200;

/// The most rows the worklist shows.
pub const MAX_WORKLIST: usize = 2000;

/// The practice's net days: a statement's balance is due this many days after its date (the
/// statement settings' net days, 30 until the practice sets them).
///
/// The one place "due" is decided for collections: switching to the due dates printed on each
/// statement changes only this and [`days_past_due`].
pub(crate) async fn net_days_in(conn: &mut Connection, practice_id: &str) -> Result<i64> {
    Ok(crate::statements::statement_settings_in(conn, practice_id).await?.net_days)
}

/// Days an open item dated `item_date` is past due on `as_of` (zero or negative: not yet due).
pub fn days_past_due(item_date: NaiveDate, as_of: NaiveDate, net_days: i64) -> i64 {
    (as_of - item_date).num_days() - net_days
}

/// The letter level a dunning run sends: the one after the last sent (`last_level`, 0 for none),
/// when the account is past due at least that level's threshold and the last letter went out at
/// least [`MIN_DAYS_BETWEEN_LETTERS`] ago; none after the final notice.
pub fn next_letter_level(days_past_due: i64, last_level: i64, days_since_last: Option<i64>) -> Option<i64> {
    let next = last_level + 1;
    let threshold = *LETTER_THRESHOLDS.get(usize::try_from(last_level).ok()?)?;
    if days_past_due < threshold {
        return None;
    }
    if days_since_last.is_some_and(|d| d < MIN_DAYS_BETWEEN_LETTERS) {
        return None;
    }
    Some(next)
}

/// The letter template each level renders (see `medoffice_app::letters::BUILT_IN`), and the
/// level's name on the account page.
pub const LETTER_TEMPLATE_KEYS: [(&str, &str); 3] =
    [("past_due_30", "Past-due notice"), ("past_due_60", "Second notice"), ("past_due_90", "Final notice")];

/// The worklist's filters as typed (blank: none).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct WorklistFilter {
    /// The least balance to list, e.g. `25.00`.
    pub min_amount: String,
    /// The least days past due to list.
    pub min_days: String,
}

/// One account on the collections worklist.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorklistRow {
    pub patient_id: String,
    pub patient_name: String,
    pub patient_mrn: String,
    /// The oldest open item's date, `YYYY-MM-DD`.
    pub oldest_date: String,
    /// The oldest open item's days past due.
    pub days_past_due: i64,
    /// Due from the patient (AR - Patients), cents.
    pub balance_cents: i64,
    /// The part of it past due, cents.
    pub past_due_cents: i64,
    pub balance: String,
    pub past_due: String,
    pub last_payment_date: Option<String>,
    /// The highest letter level sent (1-3), if any, and its date.
    pub last_letter_level: Option<i64>,
    pub last_letter_date: Option<String>,
    /// `current` or `missed` for an active plan; none without one.
    pub plan_status: Option<String>,
    pub in_collections: bool,
    pub next_action_date: Option<String>,
    pub last_note: Option<String>,
}

/// A follow-up note as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NoteInput {
    pub note: String,
    /// `YYYY-MM-DD`, or blank.
    pub next_action_date: String,
}

/// A follow-up note as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoteView {
    pub id: String,
    pub note: String,
    pub next_action_date: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

/// A dunning letter as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LetterView {
    pub id: String,
    pub patient_id: String,
    pub level: i64,
    pub title: String,
    pub letter_date: String,
    pub days_past_due: i64,
    pub balance_cents: i64,
    pub balance: String,
    pub body: String,
    pub outgoing_mail_id: Option<String>,
}

/// What a dunning run did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DunningRunResult {
    /// `YYYY-MM-DD`.
    pub as_of: String,
    /// Letters made (and logged as outgoing mail).
    pub letters: usize,
    /// Patients past due skipped because they are on a current payment plan.
    pub skipped_on_plan: usize,
    /// Patients skipped because their account was sent to collections.
    pub skipped_in_collections: usize,
    pub made: Vec<LetterView>,
    /// Letters due but not written because the template could not be filled for the patient
    /// (each names the patient and the merge field, e.g. no address on file); the next run
    /// tries again.
    pub not_written: Vec<String>,
}

/// Accounts handed to a collection agency, as asked.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AgencyExportInput {
    pub agency_name: String,
    pub patient_ids: Vec<String>,
}

/// An agency file as shown (the CSV itself in `content`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgencyExportView {
    pub id: String,
    pub agency_name: String,
    pub file_name: String,
    pub accounts: i64,
    pub total_cents: i64,
    pub total: String,
    pub journal_entry_id: String,
    pub created_at: String,
    pub content: String,
}

/// A write-off of a balance to bad debt without an agency, as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct WriteOffInput {
    pub patient_id: String,
    /// e.g. `12.50`; at most the balance.
    pub amount: String,
    pub reason: String,
}

/// A write-off as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WriteOffView {
    pub id: String,
    pub patient_id: String,
    /// `agency` or `adjustment`.
    pub kind: String,
    pub amount_cents: i64,
    pub amount: String,
    pub reason: String,
    pub write_off_date: String,
    pub journal_entry_id: String,
}

/// One open item on a patient's collections page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpenItemView {
    pub date: String,
    pub cents: i64,
    pub amount: String,
    pub days_past_due: i64,
}

/// One patient's collections page: balance, open items, letters, plans, notes, write-offs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CollectionAccountView {
    pub patient_id: String,
    pub patient_name: String,
    pub patient_mrn: String,
    pub balance_cents: i64,
    pub balance: String,
    pub open_items: Vec<OpenItemView>,
    pub letters: Vec<LetterView>,
    pub plans: Vec<PlanView>,
    pub notes: Vec<NoteView>,
    pub write_offs: Vec<WriteOffView>,
    /// The agency and the day, when the account was sent to collections.
    pub in_collections: Option<(String, String)>,
}

fn money(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

fn letter_view(r: LetterRow) -> LetterView {
    let title = usize::try_from(r.level - 1).ok().and_then(|i| LETTER_TEMPLATE_KEYS.get(i)).map(|t| t.1).unwrap_or("Notice");
    LetterView {
        title: title.to_string(),
        balance: money(r.balance_cents),
        id: r.id,
        patient_id: r.patient_id,
        level: r.level,
        letter_date: r.letter_date,
        days_past_due: r.days_past_due,
        balance_cents: r.balance_cents,
        body: r.body,
        outgoing_mail_id: r.outgoing_mail_id,
    }
}

fn write_off_view(r: WriteOffRow) -> WriteOffView {
    WriteOffView {
        amount: money(r.amount_cents),
        id: r.id,
        patient_id: r.patient_id,
        kind: r.kind,
        amount_cents: r.amount_cents,
        reason: r.reason,
        write_off_date: r.write_off_date,
        journal_entry_id: r.journal_entry_id,
    }
}

fn export_view(r: ExportRow) -> AgencyExportView {
    AgencyExportView {
        total: money(r.total_cents),
        id: r.id,
        agency_name: r.agency_name,
        file_name: r.file_name,
        accounts: r.accounts,
        total_cents: r.total_cents,
        journal_entry_id: r.journal_entry_id,
        created_at: r.created_at,
        content: r.content,
    }
}

/// A date typed as `YYYY-MM-DD`; blank is `default`.
pub(crate) fn date_field(field: &str, text: &str, default: Option<NaiveDate>, e: &mut ValidationErrors) -> Option<NaiveDate> {
    let t = text.trim();
    if t.is_empty() {
        if default.is_none() {
            e.add(field, "enter a date as YYYY-MM-DD");
        }
        return default;
    }
    match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            e.add(field, "enter a date as YYYY-MM-DD, e.g. 2026-07-01");
            None
        }
    }
}

/// An amount typed, more than zero.
pub(crate) fn amount_field(field: &str, text: &str, e: &mut ValidationErrors) -> i64 {
    match Money::parse(text) {
        Ok(m) if m.cents() > 0 => m.cents(),
        Ok(_) => {
            e.add(field, "the amount must be more than zero");
            0
        }
        Err(_) => {
            e.add(field, "enter an amount, e.g. 125.00");
            0
        }
    }
}

/// The patient's address lines (street, city state ZIP).
pub(crate) fn address_lines(p: &PatientRow) -> Vec<String> {
    let mut lines: Vec<String> =
        [p.address_line1.clone(), p.address_line2.clone()].into_iter().flatten().filter(|l| !l.trim().is_empty()).collect();
    let place = [p.city.clone(), p.state.clone(), p.postal_code.clone()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    if !place.trim().is_empty() {
        lines.push(place);
    }
    lines
}

/// A CSV field, quoted when it must be.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

/// Cents as a plain decimal (`1234.50`) for files other programs read.
fn plain_amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// A past-due account of the worklist before its names and flags are added.
struct PastDue {
    patient_id: String,
    open: OpenItems,
    oldest_date: NaiveDate,
    days_past_due: i64,
    past_due_cents: i64,
}

impl App {
    /// Every patient with a past-due balance on `as_of`, as the worklist and the dunning run see
    /// them (no filter), oldest first, then largest.
    async fn past_due_in(&self, conn: &mut Connection, practice_id: &str, as_of: NaiveDate) -> Result<Vec<PastDue>> {
        let net = net_days_in(conn, practice_id).await?;
        let mut out = Vec::new();
        for (patient_id, open) in patients_due_open_items_in(conn, practice_id, as_of).await? {
            if patient_id.is_empty() || open.balance_cents() <= 0 {
                continue;
            }
            let Some(oldest) = open.items.first().copied() else { continue };
            let days = days_past_due(oldest.date, as_of, net);
            if days <= 0 {
                continue;
            }
            let past_due_cents = open.items.iter().filter(|i| days_past_due(i.date, as_of, net) > 0).map(|i| i.cents).sum();
            out.push(PastDue { patient_id, open, oldest_date: oldest.date, days_past_due: days, past_due_cents });
        }
        out.sort_by(|a, b| b.days_past_due.cmp(&a.days_past_due).then(b.open.balance_cents().cmp(&a.open.balance_cents())));
        Ok(out)
    }

    /// The collections worklist: patients with a past-due balance, oldest first then largest,
    /// with the last payment, the last letter, the payment plan's state, the collections flag
    /// and the latest follow-up note; filtered by a least balance and a least days past due.
    /// Audited as a read.
    pub async fn collections_worklist(&self, actor: &Actor, filter: &WorklistFilter) -> Result<Vec<WorklistRow>> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let mut e = ValidationErrors::new();
        let min_amount = if filter.min_amount.trim().is_empty() {
            0
        } else {
            match Money::parse(&filter.min_amount) {
                Ok(m) if m.cents() >= 0 => m.cents(),
                _ => {
                    e.add("min_amount", "enter the least balance to list, e.g. 25.00");
                    0
                }
            }
        };
        let min_days = if filter.min_days.trim().is_empty() {
            0
        } else {
            match filter.min_days.trim().parse::<i64>() {
                Ok(d) if (0..=3650).contains(&d) => d,
                _ => {
                    e.add("min_days", "enter the least days past due, a whole number from 0 to 3650");
                    0
                }
            }
        };
        if !e.is_empty() {
            return Err(e.into());
        }
        let practice_id = actor.practice_id.as_str();
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        let accounts = self.past_due_in(&mut tx, practice_id, today).await?;
        let payments: HashMap<String, String> = store::last_payment_dates(&mut tx, practice_id).await?.into_iter().collect();
        let letters: HashMap<String, (i64, String)> =
            store::last_letters(&mut tx, practice_id).await?.into_iter().map(|(p, l, d)| (p, (l, d))).collect();
        let flagged: HashMap<String, String> =
            store::collection_accounts(&mut tx, practice_id).await?.into_iter().map(|(p, _, d)| (p, d)).collect();
        let notes: HashMap<String, NoteRow> =
            store::latest_notes(&mut tx, practice_id).await?.into_iter().map(|n| (n.patient_id.clone(), n)).collect();
        let plans = self.active_plans_in(&mut tx, practice_id, today).await?;
        let mut rows = Vec::new();
        for a in accounts {
            let balance = a.open.balance_cents();
            if balance < min_amount || a.days_past_due < min_days {
                continue;
            }
            if rows.len() >= MAX_WORKLIST {
                break;
            }
            let patient = medoffice_store::patients::get(&mut tx, practice_id, &a.patient_id).await?;
            let letter = letters.get(&a.patient_id);
            let note = notes.get(&a.patient_id);
            rows.push(WorklistRow {
                patient_name: PatientView::from(&patient).display_name(),
                patient_mrn: patient.mrn.clone(),
                oldest_date: a.oldest_date.to_string(),
                days_past_due: a.days_past_due,
                balance_cents: balance,
                past_due_cents: a.past_due_cents,
                balance: money(balance),
                past_due: money(a.past_due_cents),
                last_payment_date: payments.get(&a.patient_id).cloned(),
                last_letter_level: letter.map(|l| l.0),
                last_letter_date: letter.map(|l| l.1.clone()),
                plan_status: plans.get(&a.patient_id).map(|p| if p.missed { "missed".to_string() } else { "current".to_string() }),
                in_collections: flagged.contains_key(&a.patient_id),
                next_action_date: note.and_then(|n| n.next_action_date.clone()),
                last_note: note.map(|n| n.note.clone()),
                patient_id: a.patient_id,
            });
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "collections.worklist",
                patient_id: None,
                record_type: "patient",
                record_id: None,
                detail: format!("past-due accounts listed ({})", rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows)
    }

    /// One patient's collections page: the balance and its open items with their days past due,
    /// the letters, the payment plans, the notes and the write-offs. Audited as a read.
    pub async fn collection_account(&self, actor: &Actor, patient_id: &str) -> Result<CollectionAccountView> {
        self.authorize(actor, Action::ReadReceivables, Some(patient_id)).await?;
        let practice_id = actor.practice_id.as_str();
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        let patient = medoffice_store::patients::get(&mut tx, practice_id, patient_id).await?;
        let net = net_days_in(&mut tx, practice_id).await?;
        let open = patient_due_open_items_in(&mut tx, practice_id, patient_id, today).await?;
        let letters = store::letters_of(&mut tx, practice_id, patient_id).await?.into_iter().map(letter_view).collect();
        let mut plans = Vec::new();
        for p in store::plans(&mut tx, practice_id, "", Some(patient_id)).await? {
            plans.push(self.plan_view_in(&mut tx, p, today).await?);
        }
        let notes = store::notes_of(&mut tx, practice_id, patient_id).await?.into_iter().map(NoteView::from).collect();
        let write_offs = store::write_offs_of(&mut tx, practice_id, patient_id).await?.into_iter().map(write_off_view).collect();
        let in_collections =
            store::collection_accounts(&mut tx, practice_id).await?.into_iter().find(|(p, ..)| p == patient_id).map(|(_, a, d)| (a, d));
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "collections.account.read",
                patient_id: Some(patient_id),
                record_type: "patient",
                record_id: Some(patient_id),
                detail: format!("collections page, balance {}", money(open.balance_cents())),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(CollectionAccountView {
            patient_id: patient.id.clone(),
            patient_name: PatientView::from(&patient).display_name(),
            patient_mrn: patient.mrn.clone(),
            balance_cents: open.balance_cents(),
            balance: money(open.balance_cents()),
            open_items: open
                .items
                .iter()
                .map(|i| OpenItemView {
                    date: i.date.to_string(),
                    cents: i.cents,
                    amount: money(i.cents),
                    days_past_due: days_past_due(i.date, today, net),
                })
                .collect(),
            letters,
            plans,
            notes,
            write_offs,
            in_collections,
        })
    }

    /// Adds a follow-up note (and the next action's date) to a patient's account. Audited.
    pub async fn add_collection_note(&self, actor: &Actor, patient_id: &str, input: &NoteInput) -> Result<NoteView> {
        self.authorize(actor, Action::ManageReceivables, Some(patient_id)).await?;
        let mut e = ValidationErrors::new();
        let note = input.note.trim();
        if note.is_empty() {
            e.add("note", "write what was done or agreed");
        } else if note.chars().count() > 1000 {
            e.add("note", "at most 1,000 characters");
        }
        let next = if input.next_action_date.trim().is_empty() {
            None
        } else {
            date_field("next_action_date", &input.next_action_date, None, &mut e)
        };
        if !e.is_empty() {
            return Err(e.into());
        }
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let patient = medoffice_store::patients::get(&mut tx, practice_id, patient_id).await?;
        let row = NoteRow {
            practice_id: practice_id.to_string(),
            id: new_id(),
            patient_id: patient.id.clone(),
            note: note.to_string(),
            next_action_date: next.map(|d| d.to_string()),
            created_by: actor.username.clone(),
            created_at: self.now_text(),
        };
        store::insert_note(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "collections.note.create",
                patient_id: Some(&row.patient_id),
                record_type: "collection_note",
                record_id: Some(&row.id),
                detail: format!("next action {}", row.next_action_date.as_deref().unwrap_or("none")),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(NoteView::from(row))
    }

    /// The dunning run: for every patient past due on `as_of` (`YYYY-MM-DD`, blank for today;
    /// never a future day), the next letter level due ([`next_letter_level`]), rendered from its
    /// letter template ([`LETTER_TEMPLATE_KEYS`]) through the letters merge with the run's date,
    /// balance and days past due, and saved on the chart as a letter (PDF, outgoing mail log);
    /// patients on a current payment plan and accounts sent to collections are skipped, and a
    /// letter the template cannot be filled for is listed in `not_written` naming the patient and
    /// the field. A level goes to a patient once, so running it again sends nothing new. One
    /// transaction; every letter audited.
    pub async fn run_dunning(&self, actor: &Actor, as_of: &str) -> Result<DunningRunResult> {
        self.authorize(actor, Action::ManageReceivables, None).await?;
        let today = actor.today(self.now());
        let mut e = ValidationErrors::new();
        let as_of = date_field("date", as_of, Some(today), &mut e);
        if let Some(d) = as_of
            && d > today
        {
            e.add("date", "a dunning run cannot be dated in the future");
        }
        let Some(as_of) = as_of.filter(|_| e.is_empty()) else {
            return Err(e.into());
        };
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let logo = self.letterhead_logo_in(&mut tx, practice_id).await?;
        let accounts = self.past_due_in(&mut tx, practice_id, as_of).await?;
        let letters: HashMap<String, (i64, String)> =
            store::last_letters(&mut tx, practice_id).await?.into_iter().map(|(p, l, d)| (p, (l, d))).collect();
        let flagged: HashMap<String, String> =
            store::collection_accounts(&mut tx, practice_id).await?.into_iter().map(|(p, _, d)| (p, d)).collect();
        let plans = self.active_plans_in(&mut tx, practice_id, as_of).await?;
        let mut result = DunningRunResult {
            as_of: as_of.to_string(),
            letters: 0,
            skipped_on_plan: 0,
            skipped_in_collections: 0,
            made: Vec::new(),
            not_written: Vec::new(),
        };
        for a in accounts {
            if flagged.contains_key(&a.patient_id) {
                result.skipped_in_collections += 1;
                continue;
            }
            if plans.get(&a.patient_id).is_some_and(|p| !p.missed) {
                result.skipped_on_plan += 1;
                continue;
            }
            let (last_level, last_date) = letters.get(&a.patient_id).cloned().unwrap_or((0, String::new()));
            let since_last = NaiveDate::parse_from_str(&last_date, "%Y-%m-%d").ok().map(|d| (as_of - d).num_days());
            let Some(level) = next_letter_level(a.days_past_due, last_level, since_last) else { continue };
            let balance = a.open.balance_cents();
            let (template_key, _) = LETTER_TEMPLATE_KEYS[usize::try_from(level - 1).unwrap_or(0).min(2)];
            let billing = crate::letters::BillingLetter {
                template_key,
                patient_id: &a.patient_id,
                letter_date: as_of,
                balance_cents: balance,
                days_past_due: a.days_past_due,
            };
            let prepared = match self.prepare_billing_letter_in(&mut tx, actor, &billing).await {
                Ok(p) => p,
                Err(AppError::Validation(errors)) => {
                    let name = medoffice_store::patients::get(&mut tx, practice_id, &a.patient_id)
                        .await
                        .map(|p| format!("{} {}", p.given_name, p.family_name))
                        .unwrap_or_else(|_| a.patient_id.clone());
                    for e in errors.errors {
                        result.not_written.push(format!("{name}: {}", e.message));
                    }
                    continue;
                }
                Err(e) => return Err(e),
            };
            let row = LetterRow {
                practice_id: practice_id.to_string(),
                id: new_id(),
                patient_id: a.patient_id.clone(),
                level,
                letter_date: as_of.to_string(),
                days_past_due: a.days_past_due,
                balance_cents: balance,
                body: prepared.text().to_string(),
                outgoing_mail_id: None,
                created_by: actor.username.clone(),
                created_at: self.now_text(),
            };
            if !store::insert_letter(&mut tx, &row).await? {
                continue; // another run sent this level first
            }
            let mut letter = letter_view(row);
            // On the chart like any other letter; its outgoing mail entry is the dunning letter's.
            let saved = self.save_prepared_letter_in(&mut tx, actor, prepared, logo.as_ref()).await?;
            let mail_id = saved.outgoing_mail_id.clone().unwrap_or_default();
            store::set_letter_mail(&mut tx, practice_id, &letter.id, &mail_id).await?;
            letter.outgoing_mail_id = Some(mail_id);
            self.audit(
                &mut tx,
                actor,
                AuditNote {
                    action: "collections.dunning_letter.create",
                    patient_id: Some(&a.patient_id),
                    record_type: "dunning_letter",
                    record_id: Some(&letter.id),
                    detail: format!("level {level}, {} {} days past due", letter.balance, a.days_past_due),
                },
            )
            .await?;
            result.made.push(letter);
        }
        result.letters = result.made.len();
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "collections.dunning_run",
                patient_id: None,
                record_type: "dunning_letter",
                record_id: None,
                detail: format!("as of {as_of}: {} letters", result.letters),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(result)
    }

    /// The dunning run from the command line (the only practice, today unless `as_of`).
    pub async fn run_dunning_offline(&self, as_of: &str) -> Result<DunningRunResult> {
        let practice = self.only_practice().await?;
        let actor = crate::claims::command_line_actor(&practice);
        self.run_dunning(&actor, as_of).await
    }

    /// A letter as its PDF (file name, bytes). Audited as a read.
    pub async fn dunning_letter_pdf(&self, actor: &Actor, letter_id: &str) -> Result<(String, Vec<u8>)> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let letter = store::get_letter(&mut tx, practice_id, letter_id).await?;
        // The letter as saved on the chart; a letter from before dunning letters were saved there
        // is laid out again from its text on today's letterhead.
        let saved = match &letter.outgoing_mail_id {
            Some(mail_id) => self.letter_pdf_by_outgoing_in(&mut tx, practice_id, mail_id).await?,
            None => None,
        };
        let pdf = match saved {
            Some(bytes) => bytes,
            None => self.billing_text_pdf_in(&mut tx, practice_id, &letter.body).await?,
        };
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "collections.dunning_letter.pdf",
                patient_id: Some(&letter.patient_id),
                record_type: "dunning_letter",
                record_id: Some(letter_id),
                detail: format!("level {}", letter.level),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let v = letter_view(letter);
        Ok((format!("letter-{}-level{}.pdf", v.letter_date, v.level), pdf))
    }

    /// Hands accounts to a collection agency: the CSV file (name, address, birth date, account
    /// number, balance, dates of service, last payment), each account flagged "sent to
    /// collections" and its balance written off to bad debt (one entry: debit Bad debt expense,
    /// credit AR - Patients per patient), an audit row per account; one transaction. An account
    /// with nothing owed, or already sent, is refused by name on `patient_ids`.
    pub async fn export_to_agency(&self, actor: &Actor, input: &AgencyExportInput) -> Result<AgencyExportView> {
        self.authorize(actor, Action::ManageReceivables, None).await?;
        self.authorize(actor, Action::WriteOffBadDebt, None).await?;
        let mut e = ValidationErrors::new();
        let agency = input.agency_name.trim();
        if agency.is_empty() {
            e.add("agency_name", "enter the collection agency's name");
        } else if agency.chars().count() > 120 {
            e.add("agency_name", "at most 120 characters");
        }
        let mut ids: Vec<String> = input.patient_ids.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            e.add("patient_ids", "choose at least one account to send");
        } else if ids.len() > MAX_EXPORT_ACCOUNTS {
            e.add("patient_ids", format!("at most {MAX_EXPORT_ACCOUNTS} accounts in one file"));
        }
        if !e.is_empty() {
            return Err(e.into());
        }
        let practice_id = actor.practice_id.as_str();
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        let flagged: HashMap<String, String> =
            store::collection_accounts(&mut tx, practice_id).await?.into_iter().map(|(p, _, d)| (p, d)).collect();
        let payments: HashMap<String, String> = store::last_payment_dates(&mut tx, practice_id).await?.into_iter().collect();
        let mut accounts = Vec::new();
        for id in &ids {
            let patient = match medoffice_store::patients::get(&mut tx, practice_id, id).await {
                Ok(p) => p,
                Err(StoreError::NotFound(_)) => {
                    return Err(ValidationErrors::single("patient_ids", format!("there is no patient {id}")).into());
                }
                Err(other) => return Err(other.into()),
            };
            store::lock_patient(&mut tx, practice_id, id).await?;
            let name = PatientView::from(&patient).display_name();
            if let Some(on) = flagged.get(id) {
                return Err(ValidationErrors::single("patient_ids", format!("{name} was sent to collections on {on}")).into());
            }
            let open = patient_due_open_items_in(&mut tx, practice_id, id, today).await?;
            if open.balance_cents() <= 0 {
                return Err(ValidationErrors::single("patient_ids", format!("{name} owes nothing")).into());
            }
            accounts.push((patient, open));
        }
        let export_id = new_id();
        let total: i64 = accounts.iter().map(|(_, o)| o.balance_cents()).sum();
        let mut lines = vec![NewLine::debit(accounts::BAD_DEBT_EXPENSE, total)];
        let mut csv = String::from("patient_name,address,birth_date,account_number,balance,dates_of_service,last_payment_date\r\n");
        for (p, open) in &accounts {
            lines.push(NewLine::credit(accounts::AR_PATIENTS, open.balance_cents()).patient(&p.id));
            let dates: Vec<String> = open.items.iter().map(|i| i.date.to_string()).collect();
            let fields = [
                format!("{} {}", p.given_name, p.family_name),
                address_lines(p).join(", "),
                p.birth_date.clone(),
                p.mrn.clone(),
                plain_amount(open.balance_cents()),
                dates.join(";"),
                payments.get(&p.id).cloned().unwrap_or_default(),
            ];
            csv.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
            csv.push_str("\r\n");
        }
        let posted = self
            .post_entry(
                &mut tx,
                practice_id,
                &NewEntry {
                    date: Some(today),
                    memo: format!("Sent to collections ({agency}): {} accounts written off to bad debt", accounts.len()),
                    source_kind: "collections_write_off".into(),
                    source_id: Some(export_id.clone()),
                    idempotency_key: Some(format!("agency-export:{export_id}")),
                    reversal_of: None,
                    posted_by: actor.user_id.clone(),
                    lines,
                },
            )
            .await?;
        let now = self.now_text();
        let row = ExportRow {
            practice_id: practice_id.to_string(),
            id: export_id.clone(),
            agency_name: agency.to_string(),
            file_name: format!("collections-{today}-{}.csv", &export_id[..export_id.len().min(8)]),
            content: csv,
            accounts: i64::try_from(accounts.len()).unwrap_or(i64::MAX),
            total_cents: total,
            journal_entry_id: posted.entry.id.clone(),
            created_by: actor.username.clone(),
            created_at: now.clone(),
        };
        store::insert_export(&mut tx, &row).await?;
        for (p, open) in &accounts {
            store::insert_collection_account(&mut tx, practice_id, &p.id, &export_id, agency, &today.to_string()).await?;
            let w = WriteOffRow {
                practice_id: practice_id.to_string(),
                id: new_id(),
                patient_id: p.id.clone(),
                kind: "agency".into(),
                amount_cents: open.balance_cents(),
                reason: format!("sent to {agency}"),
                export_id: Some(export_id.clone()),
                journal_entry_id: posted.entry.id.clone(),
                write_off_date: today.to_string(),
                created_by: actor.username.clone(),
                created_at: now.clone(),
            };
            store::insert_write_off(&mut tx, &w).await?;
            self.audit(
                &mut tx,
                actor,
                AuditNote {
                    action: "collections.agency_export",
                    patient_id: Some(&p.id),
                    record_type: "collection_agency_export",
                    record_id: Some(&export_id),
                    detail: format!("sent to {agency}, {} written off", money(open.balance_cents())),
                },
            )
            .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(export_view(row))
    }

    /// The agency files made, newest first (without their content).
    pub async fn agency_exports(&self, actor: &Actor) -> Result<Vec<AgencyExportView>> {
        self.authorize(actor, Action::ReadReceivables, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(store::exports(&mut conn, &actor.practice_id, 100)
            .await?
            .into_iter()
            .map(|r| AgencyExportView { content: String::new(), ..export_view(r) })
            .collect())
    }

    /// An agency file again (name, CSV). Audited: it carries patients' data.
    pub async fn agency_export_file(&self, actor: &Actor, export_id: &str) -> Result<(String, String)> {
        self.authorize(actor, Action::ManageReceivables, None).await?;
        let mut tx = self.store.begin().await?;
        let row = store::get_export(&mut tx, &actor.practice_id, export_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "collections.agency_export.download",
                patient_id: None,
                record_type: "collection_agency_export",
                record_id: Some(export_id),
                detail: format!("{} ({} accounts)", row.file_name, row.accounts),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok((row.file_name, row.content))
    }

    /// Writes off (part of) a patient's balance to bad debt without an agency: a small balance
    /// not worth collecting, with a reason (debit Bad debt expense, credit AR - Patients). At
    /// most the balance. Audited.
    pub async fn write_off_balance(&self, actor: &Actor, input: &WriteOffInput) -> Result<WriteOffView> {
        self.authorize(actor, Action::WriteOffBadDebt, Some(input.patient_id.trim())).await?;
        let mut e = ValidationErrors::new();
        let patient_id = input.patient_id.trim();
        if patient_id.is_empty() {
            e.add("patient_id", "choose the patient");
        }
        let amount = amount_field("amount", &input.amount, &mut e);
        let reason = input.reason.trim();
        if reason.is_empty() {
            e.add("reason", "say why the balance is written off");
        } else if reason.chars().count() > 200 {
            e.add("reason", "at most 200 characters");
        }
        if !e.is_empty() {
            return Err(e.into());
        }
        let practice_id = actor.practice_id.as_str();
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        match medoffice_store::patients::get(&mut tx, practice_id, patient_id).await {
            Ok(_) => {}
            Err(StoreError::NotFound(_)) => return Err(ValidationErrors::single("patient_id", "there is no such patient").into()),
            Err(other) => return Err(other.into()),
        }
        store::lock_patient(&mut tx, practice_id, patient_id).await?;
        let balance = patient_due_open_items_in(&mut tx, practice_id, patient_id, today).await?.balance_cents();
        if balance <= 0 {
            return Err(ValidationErrors::single("amount", "the patient owes nothing to write off").into());
        }
        if amount > balance {
            return Err(ValidationErrors::single("amount", format!("at most the balance, {}", money(balance))).into());
        }
        let id = new_id();
        let posted = self
            .post_entry(
                &mut tx,
                practice_id,
                &NewEntry {
                    date: Some(today),
                    memo: format!("Balance written off to bad debt: {reason}"),
                    source_kind: "bad_debt_write_off".into(),
                    source_id: Some(id.clone()),
                    idempotency_key: Some(format!("write-off:{id}")),
                    reversal_of: None,
                    posted_by: actor.user_id.clone(),
                    lines: vec![
                        NewLine::debit(accounts::BAD_DEBT_EXPENSE, amount).patient(patient_id),
                        NewLine::credit(accounts::AR_PATIENTS, amount).patient(patient_id),
                    ],
                },
            )
            .await?;
        let row = WriteOffRow {
            practice_id: practice_id.to_string(),
            id,
            patient_id: patient_id.to_string(),
            kind: "adjustment".into(),
            amount_cents: amount,
            reason: reason.to_string(),
            export_id: None,
            journal_entry_id: posted.entry.id.clone(),
            write_off_date: today.to_string(),
            created_by: actor.username.clone(),
            created_at: self.now_text(),
        };
        store::insert_write_off(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "collections.write_off",
                patient_id: Some(patient_id),
                record_type: "bad_debt_write_off",
                record_id: Some(&row.id),
                detail: format!("{} written off: {reason}", money(amount)),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(write_off_view(row))
    }

    /// Inside a patient payment's transaction, before its entry: restores the part of a
    /// written-off balance the payment pays (debit AR - Patients, credit Bad debt expense), up to
    /// what was written off and not yet recovered. Nothing without a write-off. Returns the cents
    /// recovered.
    pub(crate) async fn recover_bad_debt_in(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        patient_id: &str,
        payment_id: &str,
        amount_cents: i64,
    ) -> Result<i64> {
        let practice_id = actor.practice_id.as_str();
        let (written, recovered) = store::written_off_and_recovered(conn, practice_id, patient_id).await?;
        let cents = amount_cents.min(written - recovered);
        if cents <= 0 {
            return Ok(0);
        }
        let posted = self
            .post_entry(
                conn,
                practice_id,
                &NewEntry {
                    date: Some(actor.today(self.now())),
                    memo: "Recovery of a balance written off to bad debt".into(),
                    source_kind: "bad_debt_recovery".into(),
                    source_id: Some(payment_id.to_string()),
                    idempotency_key: Some(format!("bad-debt-recovery:{payment_id}")),
                    reversal_of: None,
                    posted_by: actor.user_id.clone(),
                    lines: vec![
                        NewLine::debit(accounts::AR_PATIENTS, cents).patient(patient_id),
                        NewLine::credit(accounts::BAD_DEBT_EXPENSE, cents).patient(patient_id),
                    ],
                },
            )
            .await?;
        store::insert_recovery(conn, practice_id, payment_id, patient_id, cents, &posted.entry.id, &self.now_text()).await?;
        self.audit(
            conn,
            actor,
            AuditNote {
                action: "collections.recovery",
                patient_id: Some(patient_id),
                record_type: "patient_payment",
                record_id: Some(payment_id),
                detail: format!("{} of written-off debt recovered", money(cents)),
            },
        )
        .await?;
        Ok(cents)
    }
}

impl From<NoteRow> for NoteView {
    fn from(n: NoteRow) -> NoteView {
        NoteView { id: n.id, note: n.note, next_action_date: n.next_action_date, created_by: n.created_by, created_at: n.created_at }
    }
}

/// The error a second active plan of one patient becomes.
pub(crate) fn plan_conflict(e: AppError) -> AppError {
    match e {
        AppError::Conflict(_) => {
            ValidationErrors::single("patient_id", "the patient already has an active payment plan; cancel it first").into()
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn days_past_due_count_from_the_due_date() {
        assert_eq!(days_past_due(d("2026-03-01"), d("2026-06-15"), 30), 76);
        assert_eq!(days_past_due(d("2026-06-01"), d("2026-06-15"), 30), -16);
    }

    #[test]
    fn letters_go_one_level_at_a_time_at_30_60_and_90_days() {
        assert_eq!(next_letter_level(29, 0, None), None);
        assert_eq!(next_letter_level(30, 0, None), Some(1));
        assert_eq!(next_letter_level(95, 0, None), Some(1), "the first letter first, even when very late");
        assert_eq!(next_letter_level(59, 1, Some(40)), None);
        assert_eq!(next_letter_level(60, 1, Some(30)), Some(2));
        assert_eq!(next_letter_level(125, 1, Some(10)), None, "a month between letters");
        assert_eq!(next_letter_level(90, 2, Some(30)), Some(3));
        assert_eq!(next_letter_level(400, 3, Some(300)), None, "nothing after the final notice");
    }

    #[test]
    fn each_level_renders_a_built_in_letter_template() {
        for (key, _) in LETTER_TEMPLATE_KEYS {
            assert!(crate::letters::BUILT_IN.iter().any(|t| t.0 == key), "{key}");
        }
        assert!(crate::letters::BUILT_IN.iter().any(|t| t.0 == "past_due_90" && t.3.contains("collection agency")));
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("Doe, Jane"), "\"Doe, Jane\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(plain_amount(123_450), "1234.50");
    }
}
