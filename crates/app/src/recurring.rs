//! Recurring journal entries: templates the bookkeeper saves once (monthly rent, depreciation, a
//! prepaid expense used up, deferred revenue earned) and the run that posts what has fallen due.
//!
//! A template is checked like an entry when it is saved (`domain::ledger::check_lines`: balanced,
//! no zero line; accounts that exist and are open) and its schedule by
//! `domain::ledger::recurring::Recurrence`. [`App::post_due_recurring_entries`] posts every
//! occurrence dated up to a day through [`App::post_entry`], each with the idempotency key
//! `recurring:<template id>:<YYYY-MM-DD>` and the source kind [`SOURCE_RECURRING`]: running it
//! twice posts once, and a run after missed months posts each of them. An occurrence that cannot
//! be posted (dated in a closed month, or an account closed since) is skipped, not fatal: the run
//! lists it with the reason, and it stays due, so the next run after the month is reopened posts
//! it. Each template is posted in its own transaction with its audit record.
//!
//! Pausing a template stops runs from posting it; resuming keeps its schedule, so occurrences
//! that fell due meanwhile are posted by the next run.

use crate::ledger::{ManualLineInput, NewEntry, NewLine, ensure_default_chart, period_of};
use crate::ledger_reports::CLI_USERNAME;
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::recurring::{Frequency, Recurrence};
use medoffice_domain::ledger::{self, EntryError, Line};
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_domain::validation::clean;
use medoffice_store::ledger as ledger_store;
use medoffice_store::recurring::{self as store, TemplateLineRow, TemplateRow};
use medoffice_store::{Connection, StoreError, new_id};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The source kind of an entry a template posted.
pub const SOURCE_RECURRING: &str = "recurring";
/// Who posts for the command line's run (`medoffice ledger post-recurring`), which has no user.
pub const RECURRING_POSTER: &str = "recurring";
/// The most occurrences of one template one run posts (ten years of a monthly entry).
pub const MAX_OCCURRENCES_PER_RUN: usize = 120;

/// A template as the form sends it: text as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RecurringTemplateInput {
    pub memo: String,
    /// `monthly`, `quarterly` or `yearly`.
    pub frequency: String,
    /// 1 to 31, or `last`; blank: the start date's day.
    pub day_of_month: String,
    /// `YYYY-MM-DD`: the first occurrence is on or after it.
    pub start_date: String,
    /// `YYYY-MM-DD`, optional: no occurrence after it.
    pub end_date: String,
    /// Optional: at most this many occurrences.
    pub occurrences: String,
    /// The lines, as on the manual entry form; wholly blank rows are ignored.
    pub lines: Vec<ManualLineInput>,
}

/// A template's line as shown.
#[derive(Debug, Clone, Serialize)]
pub struct RecurringLineView {
    pub account_number: String,
    pub account_name: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
    pub memo: Option<String>,
}

/// A template as shown.
#[derive(Debug, Clone, Serialize)]
pub struct RecurringTemplateView {
    pub id: String,
    pub memo: String,
    pub frequency: String,
    /// "Monthly on day 15", "Quarterly on the last day".
    pub schedule: String,
    pub day_of_month: i64,
    pub start_date: String,
    pub end_date: Option<String>,
    pub max_occurrences: Option<i64>,
    /// The first occurrence (counted from 0) not yet posted: how many have passed.
    pub next_index: i64,
    /// The next occurrence's date; `None` once the template has ended.
    pub next_due: Option<String>,
    pub total_cents: i64,
    pub active: bool,
    pub lines: Vec<RecurringLineView>,
}

/// An occurrence a run posted.
#[derive(Debug, Clone, Serialize)]
pub struct RecurringPosted {
    pub template_id: String,
    pub memo: String,
    pub date: String,
    pub entry_id: String,
    pub entry_number: i64,
    pub total_cents: i64,
}

/// An occurrence a run could not post, and why (it stays due).
#[derive(Debug, Clone, Serialize)]
pub struct RecurringSkipped {
    pub template_id: String,
    pub memo: String,
    pub date: String,
    pub reason: String,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct RecurringRun {
    pub as_of: String,
    pub posted: Vec<RecurringPosted>,
    pub skipped: Vec<RecurringSkipped>,
}

/// Who runs the posting: a signed-in user, or the command line.
enum Poster<'a> {
    User(&'a Actor),
    CommandLine,
}

fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| "enter a date as YYYY-MM-DD".to_string())
}

fn day_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// "Monthly on day 15", "Yearly on the last day".
fn schedule_text(frequency: &str, day_of_month: i64) -> String {
    let label = Frequency::parse(frequency).map(Frequency::label).unwrap_or(frequency);
    if day_of_month >= 31 { format!("{label} on the last day") } else { format!("{label} on day {day_of_month}") }
}

/// The recurrence a stored template follows.
fn recurrence_of(t: &TemplateRow) -> Result<Recurrence> {
    let corrupt = || AppError::from(StoreError::Corrupt(format!("recurring template {} has an unreadable schedule", t.id)));
    let frequency = Frequency::parse(&t.frequency).ok_or_else(corrupt)?;
    let start = parse_day(&t.start_date).map_err(|_| corrupt())?;
    let end = match &t.end_date {
        Some(text) => Some(parse_day(text).map_err(|_| corrupt())?),
        None => None,
    };
    Ok(Recurrence {
        frequency,
        day_of_month: u32::try_from(t.day_of_month).map_err(|_| corrupt())?,
        start,
        end,
        max_occurrences: t.max_occurrences.and_then(|n| u32::try_from(n).ok()),
    })
}

/// The error of an entry rule, under the field of the form row the line came from.
fn line_error(e: EntryError, rows: &[usize]) -> ValidationErrors {
    let row = |line: usize| rows.get(line - 1).copied().unwrap_or(line - 1);
    let field = match &e {
        EntryError::NoAccount { line } => format!("lines[{}].account", row(*line)),
        EntryError::ZeroLine { line } | EntryError::BothSides { line } | EntryError::NegativeAmount { line } => {
            format!("lines[{}].debit", row(*line))
        }
        _ => "lines".to_string(),
    };
    ValidationErrors::single(&field, e.to_string())
}

impl App {
    /// Saves a recurring entry's template after checking its lines as an entry's and its schedule.
    pub async fn add_recurring_template(&self, actor: &Actor, input: &RecurringTemplateInput) -> Result<RecurringTemplateView> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut errors = ValidationErrors::new();
        let memo = clean(&input.memo);
        match &memo {
            None => errors.add("memo", "say what the entry is for, e.g. Office rent"),
            Some(m) if m.chars().count() > 500 => errors.add("memo", "at most 500 characters"),
            Some(_) => {}
        }
        let frequency = Frequency::parse(&input.frequency);
        if frequency.is_none() {
            errors.add("frequency", "choose monthly, quarterly or yearly");
        }
        let start = errors.check("start_date", parse_day(&input.start_date));
        let end = if input.end_date.trim().is_empty() { None } else { errors.check("end_date", parse_day(&input.end_date)) };
        let occurrences = match input.occurrences.trim() {
            "" => None,
            text => {
                errors.check("occurrences", text.parse::<u32>().map_err(|_| "enter a whole number of occurrences, e.g. 12".to_string()))
            }
        };
        let day_of_month = match input.day_of_month.trim() {
            "" => start.map(|s| chrono::Datelike::day(&s)),
            "last" => Some(31),
            text => errors.check(
                "day_of_month",
                text.parse::<u32>()
                    .ok()
                    .filter(|d| (1..=31).contains(d))
                    .ok_or_else(|| "enter a day of the month, 1 to 31, or last".to_string()),
            ),
        };
        // The lines, as the manual entry form reads them.
        let mut lines = Vec::new();
        let mut rows = Vec::new();
        for (row, l) in input.lines.iter().enumerate() {
            if [&l.account, &l.debit, &l.credit, &l.memo].iter().all(|s| s.trim().is_empty()) {
                continue;
            }
            let mut amount = |field: &str, text: &str| -> i64 {
                if text.trim().is_empty() {
                    return 0;
                }
                errors.check(&format!("lines[{row}].{field}"), Money::parse(text)).map(Money::cents).unwrap_or(0)
            };
            let debit_cents = amount("debit", &l.debit);
            let credit_cents = amount("credit", &l.credit);
            lines.push(NewLine {
                account: l.account.trim().to_string(),
                debit_cents,
                credit_cents,
                memo: clean(&l.memo),
                ..Default::default()
            });
            rows.push(row);
        }
        let domain_lines: Vec<Line> = lines
            .iter()
            .map(|l| Line {
                account: l.account.clone(),
                debit: Money::from_cents(l.debit_cents),
                credit: Money::from_cents(l.credit_cents),
            })
            .collect();
        let total = match ledger::check_lines(&domain_lines) {
            Ok(total) => Some(total),
            Err(e) => {
                errors.errors.extend(line_error(e, &rows).errors);
                None
            }
        };
        let recurrence = match (frequency, start, day_of_month) {
            (Some(frequency), Some(start), Some(day_of_month)) => {
                let r = Recurrence { frequency, day_of_month, start, end, max_occurrences: occurrences };
                match r.check() {
                    Ok(()) => Some(r),
                    Err(e) => {
                        errors.add(e.field(), e.to_string());
                        None
                    }
                }
            }
            _ => None,
        };
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        ensure_default_chart(&mut tx, &actor.practice_id, &now).await?;
        let accounts = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        let by_number: HashMap<&str, &ledger_store::AccountRow> = accounts.iter().map(|a| (a.number.as_str(), a)).collect();
        for (i, line) in lines.iter().enumerate() {
            let field = format!("lines[{}].account", rows.get(i).copied().unwrap_or(i));
            match by_number.get(line.account.as_str()) {
                None if !line.account.is_empty() => errors.add(&field, format!("line {}: there is no account {}", i + 1, line.account)),
                Some(a) if a.active != 1 => errors.add(&field, format!("line {}: account {} {} is closed", i + 1, a.number, a.name)),
                _ => {}
            }
        }
        let (Some(memo), Some(total), Some(recurrence)) = (memo, total, recurrence) else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let id = new_id();
        let row = TemplateRow {
            practice_id: actor.practice_id.clone(),
            id: id.clone(),
            memo,
            frequency: recurrence.frequency.as_str().to_string(),
            day_of_month: i64::from(recurrence.day_of_month),
            start_date: day_text(recurrence.start),
            end_date: recurrence.end.map(day_text),
            max_occurrences: recurrence.max_occurrences.map(i64::from),
            next_index: 0,
            next_due: recurrence.occurrence(0).map(day_text),
            total_cents: total.cents(),
            active: 1,
            created_by: actor.user_id.clone(),
            created_at: now,
        };
        let line_rows: Vec<TemplateLineRow> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| TemplateLineRow {
                practice_id: actor.practice_id.clone(),
                template_id: id.clone(),
                line_number: i as i64 + 1,
                account_number: l.account.clone(),
                debit_cents: l.debit_cents,
                credit_cents: l.credit_cents,
                memo: l.memo.clone(),
            })
            .collect();
        store::insert_template(&mut tx, &row, &line_rows).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "ledger.recurring.add",
                patient_id: None,
                record_type: "recurring_template",
                record_id: Some(&id),
                detail: format!("{}: {} {}", row.memo, schedule_text(&row.frequency, row.day_of_month), total),
            },
        )
        .await?;
        let view = template_view(row, line_rows, &by_number);
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// The practice's templates, those due soonest first.
    pub async fn recurring_templates(&self, actor: &Actor) -> Result<Vec<RecurringTemplateView>> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        ensure_default_chart(&mut tx, &actor.practice_id, &self.now_text()).await?;
        let accounts = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        let by_number: HashMap<&str, &ledger_store::AccountRow> = accounts.iter().map(|a| (a.number.as_str(), a)).collect();
        let templates = store::list_templates(&mut tx, &actor.practice_id).await?;
        let mut views = Vec::with_capacity(templates.len());
        for t in templates {
            let lines = store::template_lines(&mut tx, &actor.practice_id, &t.id).await?;
            views.push(template_view(t, lines, &by_number));
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(views)
    }

    /// Pauses a template (runs leave it alone) or resumes it (its schedule unchanged).
    pub async fn set_recurring_template_active(&self, actor: &Actor, template_id: &str, active: bool) -> Result<()> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut tx = self.store.begin().await?;
        let t = store::get_template(&mut tx, &actor.practice_id, template_id).await?;
        store::set_active(&mut tx, &actor.practice_id, template_id, active).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: if active { "ledger.recurring.resume" } else { "ledger.recurring.pause" },
                patient_id: None,
                record_type: "recurring_template",
                record_id: Some(template_id),
                detail: t.memo,
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Posts every occurrence of the active templates dated on or before `as_of`. See the
    /// module's documentation.
    pub async fn post_due_recurring_entries(&self, actor: &Actor, as_of: NaiveDate) -> Result<RecurringRun> {
        self.authorize(actor, Action::PostJournal, None).await?;
        self.post_due_recurring_of(&actor.practice_id, as_of, Poster::User(actor)).await
    }

    /// The same for the database's one practice, from the command line (`medoffice ledger
    /// post-recurring`, for cron): as of `as_of` (`YYYY-MM-DD`; today in the practice's time zone
    /// when `None`), audited as the command line.
    pub async fn post_due_recurring_entries_offline(&self, as_of: Option<&str>) -> Result<RecurringRun> {
        let practice = self.only_practice().await?;
        let as_of = match as_of {
            Some(text) => parse_day(text).map_err(|m| ValidationErrors::single("as_of", m))?,
            None => self.now().with_timezone(&practice.timezone.parse().unwrap_or(chrono_tz::America::New_York)).date_naive(),
        };
        self.post_due_recurring_of(&practice.id, as_of, Poster::CommandLine).await
    }

    async fn post_due_recurring_of(&self, practice_id: &str, as_of: NaiveDate, poster: Poster<'_>) -> Result<RecurringRun> {
        let as_of_text = day_text(as_of);
        let mut tx = self.store.begin().await?;
        let due = store::due_templates(&mut tx, practice_id, &as_of_text).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let mut run = RecurringRun { as_of: as_of_text.clone(), posted: Vec::new(), skipped: Vec::new() };
        for t in due {
            let mut tx = self.store.begin().await?;
            // Read again inside the transaction: another run may have moved it on meanwhile.
            let t = store::get_template(&mut tx, practice_id, &t.id).await?;
            if t.active != 1 || t.next_due.as_deref().is_none_or(|d| d > as_of_text.as_str()) {
                continue;
            }
            let (posted, skipped) = self.post_template(&mut tx, practice_id, &t, as_of, &poster).await?;
            if !posted.is_empty() || !skipped.is_empty() {
                let mut detail = format!("{}: posted {}", t.memo, posted.iter().map(|p| p.date.as_str()).collect::<Vec<_>>().join(", "));
                if !skipped.is_empty() {
                    let list: Vec<String> = skipped.iter().map(|s| format!("{} ({})", s.date, s.reason)).collect();
                    detail.push_str(&format!("; skipped {}", list.join(", ")));
                }
                let note = AuditNote {
                    action: "ledger.recurring.post",
                    patient_id: None,
                    record_type: "recurring_template",
                    record_id: Some(&t.id),
                    detail,
                };
                self.audit_poster(&mut tx, practice_id, &poster, note).await?;
            }
            tx.commit().await.map_err(StoreError::from)?;
            run.posted.extend(posted);
            run.skipped.extend(skipped);
        }
        Ok(run)
    }

    /// Posts one template's due occurrences inside the caller's transaction and moves it on to
    /// the first occurrence not posted.
    async fn post_template(
        &self,
        conn: &mut Connection,
        practice_id: &str,
        t: &TemplateRow,
        as_of: NaiveDate,
        poster: &Poster<'_>,
    ) -> Result<(Vec<RecurringPosted>, Vec<RecurringSkipped>)> {
        let recurrence = recurrence_of(t)?;
        let lines = store::template_lines(conn, practice_id, &t.id).await?;
        let from = u32::try_from(t.next_index).unwrap_or(0);
        let due = recurrence.due(from, as_of, MAX_OCCURRENCES_PER_RUN);
        let (mut posted, mut skipped) = (Vec::new(), Vec::new());
        let mut first_pending: Option<u32> = None;
        let mut next = from;
        for (index, date) in due {
            next = index + 1;
            let date_text = day_text(date);
            let skip =
                |reason: String| RecurringSkipped { template_id: t.id.clone(), memo: t.memo.clone(), date: date_text.clone(), reason };
            let period = period_of(date);
            if ledger_store::period_is_closed(conn, practice_id, &period).await? {
                skipped.push(skip(format!("{period} is a closed period; reopen it to post this entry")));
                first_pending.get_or_insert(index);
                continue;
            }
            let entry = NewEntry {
                date: Some(date),
                memo: t.memo.clone(),
                source_kind: SOURCE_RECURRING.to_string(),
                source_id: Some(t.id.clone()),
                idempotency_key: Some(format!("recurring:{}:{}", t.id, date_text)),
                reversal_of: None,
                posted_by: match poster {
                    Poster::User(actor) => actor.user_id.clone(),
                    Poster::CommandLine => RECURRING_POSTER.to_string(),
                },
                lines: lines
                    .iter()
                    .map(|l| NewLine {
                        account: l.account_number.clone(),
                        debit_cents: l.debit_cents,
                        credit_cents: l.credit_cents,
                        memo: l.memo.clone(),
                        ..Default::default()
                    })
                    .collect(),
            };
            match self.post_entry(conn, practice_id, &entry).await {
                Ok(p) if p.already_posted => {}
                Ok(p) => posted.push(RecurringPosted {
                    template_id: t.id.clone(),
                    memo: t.memo.clone(),
                    date: date_text.clone(),
                    entry_id: p.entry.id,
                    entry_number: p.entry.entry_number,
                    total_cents: p.entry.total_cents,
                }),
                // A rule of posting broken since the template was saved (an account closed):
                // listed, left due.
                Err(AppError::Validation(e)) => {
                    let reason = e.errors.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; ");
                    skipped.push(skip(reason));
                    first_pending.get_or_insert(index);
                }
                Err(e) => return Err(e),
            }
        }
        let next_index = first_pending.unwrap_or(next);
        let next_due = recurrence.occurrence(next_index).map(day_text);
        store::set_next(conn, practice_id, &t.id, i64::from(next_index), next_due.as_deref()).await?;
        Ok((posted, skipped))
    }

    async fn audit_poster(&self, conn: &mut Connection, practice_id: &str, poster: &Poster<'_>, note: AuditNote<'_>) -> Result<()> {
        match poster {
            Poster::User(actor) => self.audit(conn, actor, note).await,
            Poster::CommandLine => {
                let event = medoffice_store::audit::NewAuditEvent {
                    practice_id: practice_id.to_string(),
                    at: self.now_text(),
                    user_id: None,
                    username: CLI_USERNAME.to_string(),
                    action: note.action.to_string(),
                    patient_id: None,
                    record_type: note.record_type.to_string(),
                    record_id: note.record_id.map(str::to_string),
                    ip: None,
                    outcome: "success".to_string(),
                    detail: note.detail,
                };
                self.append_audit(conn, event).await?;
                Ok(())
            }
        }
    }
}

fn template_view(
    t: TemplateRow,
    lines: Vec<TemplateLineRow>,
    by_number: &HashMap<&str, &ledger_store::AccountRow>,
) -> RecurringTemplateView {
    RecurringTemplateView {
        schedule: schedule_text(&t.frequency, t.day_of_month),
        lines: lines
            .into_iter()
            .map(|l| RecurringLineView {
                account_name: by_number.get(l.account_number.as_str()).map(|a| a.name.clone()).unwrap_or_default(),
                account_number: l.account_number,
                debit_cents: l.debit_cents,
                credit_cents: l.credit_cents,
                memo: l.memo,
            })
            .collect(),
        id: t.id,
        memo: t.memo,
        frequency: t.frequency,
        day_of_month: t.day_of_month,
        start_date: t.start_date,
        end_date: t.end_date,
        max_occurrences: t.max_occurrences,
        next_index: t.next_index,
        next_due: t.next_due,
        total_cents: t.total_cents,
        active: t.active == 1,
    }
}
