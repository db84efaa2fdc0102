//! Appointment reminders: the practice's mail server, reminder rules per appointment type, the
//! reminder run (e-mails and the daily call list), retries, and the patient's reply.
//!
//! **Rules.** Each appointment type has zero or more rules, "N days before" (0 to 30). A type whose
//! rules were never set has the practice default, [`DEFAULT_DAYS_BEFORE`] (2 days before), so a
//! new type reminds patients without anyone remembering to set it up.
//!
//! **A run for a date D** ("send due reminders") looks at the scheduled or confirmed appointments
//! that have not started and start from D to D + 30 days. A rule of N days is *due* when the
//! appointment is at most N days after D, so a reminder whose day was missed (the office was
//! closed, the appointment was booked late) still goes out, once. When several rules of an
//! appointment are due, only the nearest is sent; the others are recorded as skipped
//! ("superseded"), so a patient booked on Monday for Tuesday gets one reminder, not three. Each
//! (appointment, rule) gets one row, unique in the database: running twice sends once.
//!
//! **Who gets what.** A patient who prefers e-mail and has an address gets an e-mail; one who
//! prefers a phone call or a text, or postal mail (no printed cards yet), goes on the day's call
//! list with the preferred number; one with only an e-mail address gets an e-mail; one with
//! neither is on the call list as "no way to reach". Text messages are not sent: they are called.
//!
//! **Sending** happens outside any transaction (a mail server may take seconds): each e-mail is
//! claimed, sent, and its outcome recorded with an audit record. A reminder is `sent` only when
//! the SMTP server accepted the message; otherwise `failed` with the server's words, listed first
//! on the reminders page and retried by the next run or by hand. A crash between the server's
//! acceptance and the record leaves the claim, which a run takes over after ten minutes and sends
//! again: at worst a duplicate, never a reminder reported sent that was not.
//!
//! **Content.** Practice name, date and time, provider, location, and how to confirm or cancel
//! (the office's phone). No appointment type, reason or any other clinical detail: e-mail is not a
//! private channel.

use crate::mailer::{self, Email, MailError, Security, SmtpConfig};
use crate::scheduling::StatusEventInput;
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;
use medoffice_domain::ValidationErrors;
use medoffice_domain::patients::{Email as EmailAddress, Phone, parse_date};
use medoffice_domain::scheduling::AppointmentStatus;
use medoffice_domain::security::Action;
use medoffice_store::audit::NewAuditEvent;
use medoffice_store::patients::PatientRow;
use medoffice_store::practice::{PracticeRow, ProviderRow};
use medoffice_store::reminders::{self as store, AttemptOutcome, ReminderListRow, ReminderRow, SmtpRow, TypeReminderRow};
use medoffice_store::scheduling::{self as sched, LocationRow, minute_of};
use medoffice_store::{Connection, StoreError, new_id, timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// The rules of an appointment type nobody has set: one reminder two days before.
pub const DEFAULT_DAYS_BEFORE: [u32; 1] = [2];
/// The earliest a reminder goes out, in days before the appointment.
pub const MAX_DAYS_BEFORE: u32 = 30;
/// The most rules one appointment type has.
pub const MAX_RULES_PER_TYPE: usize = 4;
/// A run may be for a date this many days before or after today.
pub const RUN_DATE_RANGE_DAYS: u64 = 7;
/// The longest note on a reply (a cancellation's reason).
pub const MAX_REPLY_NOTE_CHARS: usize = 200;
/// A claim older than this belongs to a run that died; another run may take the reminder over.
const STALE_CLAIM_MINUTES: i64 = 10;
/// The name audit records of command-line runs carry.
pub const OFFLINE_RUNNER: &str = "(reminders)";

// ---------------------------------------------------------------------------------------------
// Inputs and views
// ---------------------------------------------------------------------------------------------

/// The SMTP settings as typed on the admin page.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SmtpInput {
    pub host: String,
    /// Blank for the usual port of the security chosen.
    pub port: String,
    /// `starttls`, `tls` or `none`.
    pub security: String,
    pub username: String,
    /// Blank keeps the stored password (the page never shows it).
    pub password: String,
    /// Removes the stored password.
    pub clear_password: bool,
    pub from_address: String,
    pub from_name: String,
}

/// The practice's SMTP settings as shown (never the password).
#[derive(Debug, Clone, Serialize)]
pub struct SmtpSettingsView {
    pub host: String,
    pub port: u16,
    pub security: String,
    pub security_label: String,
    pub username: Option<String>,
    pub has_password: bool,
    pub from_address: String,
    pub from_name: String,
    pub updated_at: String,
}

/// How a test e-mail went.
#[derive(Debug, Clone, Serialize)]
pub struct TestEmailResult {
    pub sent: bool,
    /// The server's reply, or the error.
    pub detail: String,
}

/// The reminder rules of one appointment type.
#[derive(Debug, Clone, Serialize)]
pub struct TypeRulesView {
    pub appointment_type_id: String,
    pub name: String,
    /// Days before the appointment, largest first.
    pub days_before: Vec<u32>,
    /// Never set: the practice default applies.
    pub is_default: bool,
    /// `7, 2` (as the form shows it).
    pub text: String,
    /// `7 and 2 days before`, or `No reminders`.
    pub description: String,
}

/// One reminder as the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct ReminderView {
    pub id: String,
    pub appointment_id: String,
    pub patient_id: String,
    /// "Family, Given".
    pub patient_name: String,
    pub days_before: i64,
    /// `email` or `call`.
    pub channel: String,
    /// `pending`, `sending`, `sent`, `failed`, `skipped`, `to_call` or `called`.
    pub status: String,
    pub status_label: String,
    /// The e-mail address or the phone number (formatted); `None` on the call list: no way to reach.
    pub recipient: Option<String>,
    /// Every phone on the record, preferred first: "mobile (518) 462-0199".
    pub phones: Vec<String>,
    /// The day of the run that made it (the call list's day).
    pub list_date: String,
    /// Local `YYYY-MM-DDTHH:MM`.
    pub appointment_start: String,
    /// "Wed, Jun 17 at 9:00 AM".
    pub appointment_when: String,
    pub appointment_status: String,
    pub provider_name: String,
    pub attempts: i64,
    pub last_attempt_at: Option<String>,
    pub sent_at: Option<String>,
    /// The last error, why it was skipped, or the server's reply when sent.
    pub detail: Option<String>,
    pub reply: Option<String>,
    pub reply_label: Option<String>,
    pub reply_note: Option<String>,
    pub reply_at: Option<String>,
}

/// The reminders page of one date.
#[derive(Debug, Clone, Serialize)]
pub struct RemindersDay {
    pub date: String,
    /// Whether the practice's SMTP server is set up.
    pub email_configured: bool,
    /// Every e-mail reminder whose last attempt failed, of appointments still ahead (any date).
    pub failed: Vec<ReminderView>,
    /// The reminders the runs of `date` made, both channels, by appointment time.
    pub reminders: Vec<ReminderView>,
}

/// A reminder that could not be sent, in a run's summary.
#[derive(Debug, Clone, Serialize)]
pub struct FailedReminder {
    pub reminder_id: String,
    pub appointment_id: String,
    pub patient_id: String,
    pub recipient: Option<String>,
    pub error: String,
}

/// What one run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSummary {
    pub practice_id: String,
    pub date: String,
    /// Reminders made by this run (any channel, skipped ones included).
    pub new_reminders: u64,
    pub emails_sent: u64,
    pub emails_failed: u64,
    /// E-mails not sent because the appointment was cancelled, moved or has begun.
    pub emails_skipped: u64,
    /// Patients put on the call list by this run (with a number).
    pub calls_listed: u64,
    /// Patients put on the call list with neither phone nor e-mail.
    pub no_way_to_reach: u64,
    /// Reminders that gave way to a nearer rule of the same appointment.
    pub superseded: u64,
    pub failures: Vec<FailedReminder>,
}

impl RunSummary {
    /// Whether every e-mail the run tried was accepted by the server.
    pub fn ok(&self) -> bool {
        self.emails_failed == 0
    }
}

/// The patient's answer as sent by a form: `confirmed`, `cancel_requested`, `left_message`,
/// `no_answer` or `wrong_number` (`confirm` and `cancel` are accepted too), and a note (for a
/// cancellation: the reason, required).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReplyInput {
    pub reply: String,
    pub note: String,
}

/// A patient's answer to a reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Confirmed,
    CancelRequested,
    LeftMessage,
    NoAnswer,
    WrongNumber,
}

impl Reply {
    pub const ALL: [Reply; 5] = [Reply::Confirmed, Reply::CancelRequested, Reply::LeftMessage, Reply::NoAnswer, Reply::WrongNumber];

    pub fn as_str(self) -> &'static str {
        match self {
            Reply::Confirmed => "confirmed",
            Reply::CancelRequested => "cancel_requested",
            Reply::LeftMessage => "left_message",
            Reply::NoAnswer => "no_answer",
            Reply::WrongNumber => "wrong_number",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Reply::Confirmed => "Confirmed",
            Reply::CancelRequested => "Asked to cancel",
            Reply::LeftMessage => "Left a message",
            Reply::NoAnswer => "No answer",
            Reply::WrongNumber => "Wrong number",
        }
    }

    pub fn parse(text: &str) -> std::result::Result<Reply, String> {
        match text.trim().to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
            "" => Err("choose what the patient said".into()),
            "confirm" | "confirmed" => Ok(Reply::Confirmed),
            "cancel" | "cancelled" | "cancel_requested" => Ok(Reply::CancelRequested),
            "left_message" | "message" => Ok(Reply::LeftMessage),
            "no_answer" => Ok(Reply::NoAnswer),
            "wrong_number" => Ok(Reply::WrongNumber),
            other => Err(format!(
                "'{}' is not one of confirmed, cancel_requested, left_message, no_answer, wrong_number",
                other.chars().take(30).collect::<String>()
            )),
        }
    }

    /// Whether the answer can come by e-mail (the others are outcomes of a call).
    pub fn by_email(self) -> bool {
        matches!(self, Reply::Confirmed | Reply::CancelRequested)
    }
}

// ---------------------------------------------------------------------------------------------
// Pure rules
// ---------------------------------------------------------------------------------------------

/// Where a patient's reminder goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Email(String),
    /// The phone's 10 digits.
    Call(String),
    NoWayToReach,
}

/// Chooses the channel from the patient's preference (`phone`, `text`, `email`, `mail`) and what
/// the record holds; see the module's documentation.
pub fn route(preferred_contact: &str, email: Option<&str>, phone: Option<&str>) -> Route {
    let email = email.map(str::trim).filter(|e| !e.is_empty()).map(|e| Route::Email(e.to_string()));
    let phone = phone.map(str::trim).filter(|p| !p.is_empty()).map(|p| Route::Call(p.to_string()));
    let chosen = match preferred_contact {
        "email" => email.or(phone),
        _ => phone.or(email),
    };
    chosen.unwrap_or(Route::NoWayToReach)
}

/// Parses a type's rules as typed: days before, separated by commas or spaces (`7, 2`); blank or
/// `none` for no reminders. Answers them largest first, without repeats.
pub fn parse_days_before(text: &str) -> std::result::Result<Vec<u32>, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let mut days = BTreeSet::new();
    for part in text.split([',', ' ', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        let n: u32 = part.parse().map_err(|_| format!("'{}' is not a whole number of days", part.chars().take(20).collect::<String>()))?;
        if n > MAX_DAYS_BEFORE {
            return Err(format!("a reminder goes out at most {MAX_DAYS_BEFORE} days before the appointment"));
        }
        days.insert(n);
    }
    if days.len() > MAX_RULES_PER_TYPE {
        return Err(format!("at most {MAX_RULES_PER_TYPE} reminders per appointment type"));
    }
    Ok(days.into_iter().rev().collect())
}

fn days_text(days: &[u32]) -> String {
    days.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

fn days_description(days: &[u32]) -> String {
    let phrase = |n: u32| match n {
        0 => "on the day".to_string(),
        1 => "1 day before".to_string(),
        n => format!("{n} days before"),
    };
    match days {
        [] => "No reminders".into(),
        [one] => phrase(*one),
        many => many.iter().map(|n| phrase(*n)).collect::<Vec<_>>().join(" and "),
    }
}

/// The rules in force, per appointment type id.
fn effective_rules(type_ids: &[String], set: &[TypeReminderRow]) -> HashMap<String, Vec<u32>> {
    type_ids
        .iter()
        .map(|id| {
            let days = match set.iter().find(|r| &r.appointment_type_id == id) {
                Some(row) => parse_days_before(&row.days_before).unwrap_or_else(|_| DEFAULT_DAYS_BEFORE.to_vec()),
                None => DEFAULT_DAYS_BEFORE.to_vec(),
            };
            (id.clone(), days)
        })
        .collect()
}

/// "Tuesday, June 16, 2026 at 9:00 AM".
fn long_when(at: NaiveDateTime) -> String {
    format!("{} at {}", at.format("%A, %B %-d, %Y"), at.format("%-I:%M %p"))
}

/// "Tue, Jun 16 at 9:00 AM".
fn short_when(at: NaiveDateTime) -> String {
    format!("{} at {}", at.format("%a, %b %-d"), at.format("%-I:%M %p"))
}

fn local(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").ok()
}

fn phone_display(digits: &str) -> String {
    Phone::parse(digits).map(|p| p.display()).unwrap_or_else(|_| digits.to_string())
}

fn provider_name(p: &ProviderRow) -> String {
    format!("{} {}{}", p.given_name, p.family_name, p.credentials.as_ref().map(|c| format!(", {c}")).unwrap_or_default())
}

/// What the reminder says: see the module's documentation for what it leaves out and why.
struct Letter<'a> {
    practice: &'a PracticeRow,
    location: Option<&'a LocationRow>,
    provider: Option<&'a ProviderRow>,
    patient: &'a PatientRow,
    start: NaiveDateTime,
}

impl Letter<'_> {
    fn office_phone(&self) -> Option<String> {
        self.location.and_then(|l| l.phone.as_deref()).or(self.practice.phone.as_deref()).map(phone_display)
    }

    fn compose(&self, to: &str) -> Email {
        let first_name = self.patient.preferred_name.clone().unwrap_or_else(|| self.patient.given_name.clone());
        let practice = &self.practice.name;
        let mut body = format!("Dear {first_name},\n\nThis is a reminder of your appointment at {practice}.\n\n");
        body.push_str(&format!("When:  {}\n", long_when(self.start)));
        if let Some(p) = self.provider {
            body.push_str(&format!("With:  {}\n", provider_name(p)));
        }
        if let Some(l) = self.location {
            let mut place = l.name.clone();
            if let Some(line1) = &l.address_line1 {
                place.push_str(&format!(", {line1}"));
                if let Some(line2) = &l.address_line2 {
                    place.push_str(&format!(", {line2}"));
                }
                let city = [l.city.as_deref(), l.state.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(", ");
                if !city.is_empty() {
                    place.push_str(&format!(", {city}"));
                }
                if let Some(zip) = &l.postal_code {
                    place.push_str(&format!(" {zip}"));
                }
            }
            body.push_str(&format!("Where: {place}\n"));
        }
        body.push('\n');
        match self.office_phone() {
            Some(phone) => body.push_str(&format!("To confirm or cancel, please call us at {phone} or reply to this e-mail.\n")),
            None => body.push_str("To confirm or cancel, please call the office or reply to this e-mail.\n"),
        }
        body.push_str("If you cannot come, please tell us at least a day ahead so that another\npatient can have the time.\n\n");
        body.push_str("Please do not send medical questions or health information by e-mail.\n\n");
        body.push_str(practice);
        body.push('\n');
        if let Some(phone) = self.office_phone() {
            body.push_str(&phone);
            body.push('\n');
        }
        Email {
            to: to.to_string(),
            to_name: Some(format!("{} {}", first_name, self.patient.family_name)),
            subject: format!("Appointment reminder: {practice}, {}", short_when(self.start)),
            body,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Who runs
// ---------------------------------------------------------------------------------------------

/// Who a run acts as: a signed-in user, or the command line (no user).
struct Runner {
    practice_id: String,
    tz: Tz,
    user_id: Option<String>,
    username: String,
    ip: Option<String>,
}

impl Runner {
    fn of(actor: &Actor) -> Runner {
        Runner {
            practice_id: actor.practice_id.clone(),
            tz: actor.timezone,
            user_id: Some(actor.user_id.clone()),
            username: actor.username.clone(),
            ip: actor.ip.clone(),
        }
    }
}

/// What became of one e-mail reminder.
enum Delivery {
    Accepted,
    /// Why; whether the server itself could not be reached.
    Failed(String, bool),
    Skipped,
    /// Another run has it.
    NotClaimed,
}

/// A failure found before any connection (nothing set up, no address): about this reminder only.
fn local_error(message: &str) -> MailError {
    MailError { message: message.to_string(), server_unreachable: false }
}

pub(crate) fn smtp_config(row: &SmtpRow) -> Option<SmtpConfig> {
    Some(SmtpConfig {
        host: row.host.clone(),
        port: u16::try_from(row.port).ok()?,
        security: Security::parse(&row.security).ok()?,
        username: row.username.clone(),
        password: row.password.clone(),
        from_address: row.from_address.clone(),
        from_name: row.from_name.clone(),
    })
}

fn smtp_view(row: &SmtpRow) -> SmtpSettingsView {
    let security = Security::parse(&row.security).unwrap_or(Security::StartTls);
    SmtpSettingsView {
        host: row.host.clone(),
        port: u16::try_from(row.port).unwrap_or(0),
        security: security.as_str().to_string(),
        security_label: security.label().to_string(),
        username: row.username.clone(),
        has_password: row.password.is_some(),
        from_address: row.from_address.clone(),
        from_name: row.from_name.clone(),
        updated_at: row.updated_at.clone(),
    }
}

fn status_label(status: &str) -> &'static str {
    match status {
        "pending" => "waiting to send",
        "sending" => "sending",
        "sent" => "sent",
        "failed" => "failed",
        "skipped" => "skipped",
        "to_call" => "to call",
        "called" => "called",
        _ => "unknown",
    }
}

fn reminder_view(row: &ReminderListRow, providers: &[ProviderRow]) -> ReminderView {
    let r = &row.reminder;
    let mut phones: Vec<(String, &str)> = Vec::new();
    for (kind, number) in [("mobile", &row.phone_mobile), ("home", &row.phone_home), ("work", &row.phone_work)] {
        if let Some(n) = number {
            phones.push((format!("{kind} {}", phone_display(n)), n.as_str()));
        }
    }
    // The number the reminder chose (the preferred one) first.
    phones.sort_by_key(|(_, digits)| Some(*digits) != r.recipient.as_deref());
    let recipient = r.recipient.as_deref().map(|x| if r.channel == "call" { phone_display(x) } else { x.to_string() });
    let reply = r.reply.as_deref().and_then(|x| Reply::parse(x).ok());
    ReminderView {
        id: r.id.clone(),
        appointment_id: r.appointment_id.clone(),
        patient_id: r.patient_id.clone(),
        patient_name: format!("{}, {}", row.family_name, row.preferred_name.as_ref().unwrap_or(&row.given_name)),
        days_before: r.days_before,
        channel: r.channel.clone(),
        status: r.status.clone(),
        status_label: status_label(&r.status).to_string(),
        recipient,
        phones: phones.into_iter().map(|(label, _)| label).collect(),
        list_date: r.list_date.clone(),
        appointment_start: row.start_at.clone(),
        appointment_when: local(&row.start_at).map(short_when).unwrap_or_else(|| row.start_at.clone()),
        appointment_status: row.appointment_status.clone(),
        provider_name: providers.iter().find(|p| p.id == row.provider_id).map(provider_name).unwrap_or_default(),
        attempts: r.attempts,
        last_attempt_at: r.last_attempt_at.clone(),
        sent_at: r.sent_at.clone(),
        detail: r.detail.clone(),
        reply: r.reply.clone(),
        reply_label: reply.map(|x| x.label().to_string()),
        reply_note: r.reply_note.clone(),
        reply_at: r.reply_at.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Use cases
// ---------------------------------------------------------------------------------------------

impl App {
    /// The practice's SMTP settings (admin), or `None` when not set up.
    pub async fn smtp_settings(&self, actor: &Actor) -> Result<Option<SmtpSettingsView>> {
        self.authorize(actor, Action::ManageReminders, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(store::get_smtp(&mut conn, &actor.practice_id).await?.as_ref().map(smtp_view))
    }

    /// Saves the practice's SMTP settings. A blank password keeps the stored one; the audit record
    /// names the fields changed, never the password.
    pub async fn save_smtp_settings(&self, actor: &Actor, input: &SmtpInput) -> Result<SmtpSettingsView> {
        self.authorize(actor, Action::ManageReminders, None).await?;
        let mut e = ValidationErrors::new();
        let host = input.host.trim().to_ascii_lowercase();
        if host.is_empty() {
            e.add("host", "give the mail server's name, e.g. smtp.example.com");
        } else if host.len() > 253 || !host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)) {
            e.add("host", "a server name has letters, digits, dots and hyphens (or an IP address)");
        }
        let security = e.check("security", Security::parse(&input.security));
        let port = match input.port.trim() {
            "" => security.map(Security::default_port),
            text => {
                e.check("port", text.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| "a port is a number from 1 to 65535".to_string()))
            }
        };
        let from_address = e.check("from_address", EmailAddress::parse(&input.from_address));
        let from_name = input.from_name.trim();
        if from_name.chars().count() > 100 {
            e.add("from_name", "at most 100 characters");
        }
        let username = input.username.trim();
        if username.chars().count() > 200 {
            e.add("username", "at most 200 characters");
        }
        if input.password.chars().count() > 200 {
            e.add("password", "at most 200 characters");
        }
        let (Some(security), Some(port), Some(from_address)) = (security, port, from_address) else {
            return Err(e.into());
        };
        if !e.is_empty() {
            return Err(e.into());
        }
        let mut tx = self.store.begin().await?;
        let before = store::get_smtp(&mut tx, &actor.practice_id).await?;
        let password = if input.clear_password {
            None
        } else if input.password.is_empty() {
            before.as_ref().and_then(|b| b.password.clone())
        } else {
            Some(input.password.clone())
        };
        let username = (!username.is_empty()).then(|| username.to_string());
        if username.is_some() && password.is_none() {
            return Err(ValidationErrors::single("password", "give the password of this user (or clear the user name)").into());
        }
        let row = SmtpRow {
            practice_id: actor.practice_id.clone(),
            host,
            port: i64::from(port),
            security: security.as_str().to_string(),
            username,
            password,
            from_address: from_address.as_str().to_string(),
            from_name: if from_name.is_empty() { actor.practice_name.clone() } else { from_name.to_string() },
            updated_at: self.now_text(),
            updated_by: Some(actor.user_id.clone()),
        };
        let changed: Vec<&str> = match &before {
            None => vec!["created"],
            Some(b) => [
                ("host", b.host != row.host),
                ("port", b.port != row.port),
                ("security", b.security != row.security),
                ("username", b.username != row.username),
                ("password", b.password != row.password),
                ("from_address", b.from_address != row.from_address),
                ("from_name", b.from_name != row.from_name),
            ]
            .into_iter()
            .filter(|(_, c)| *c)
            .map(|(name, _)| name)
            .collect(),
        };
        store::put_smtp(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "smtp.update",
                patient_id: None,
                record_type: "smtp_settings",
                record_id: Some(&actor.practice_id),
                detail: format!("{}:{} {}; changed: {}", row.host, row.port, row.security, changed.join(", ")),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(smtp_view(&row))
    }

    /// Sends a test message to `to` with the saved settings; the outcome is the server's words.
    pub async fn send_test_email(&self, actor: &Actor, to: &str) -> Result<TestEmailResult> {
        self.authorize(actor, Action::ManageReminders, None).await?;
        let to = EmailAddress::parse(to).map_err(|m| ValidationErrors::single("to", m))?;
        let config = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            store::get_smtp(&mut conn, &actor.practice_id).await?
        };
        let Some(config) = config.as_ref().and_then(smtp_config) else {
            return Err(AppError::Conflict("save the mail server's settings first".into()));
        };
        let email = Email {
            to: to.as_str().to_string(),
            to_name: None,
            subject: format!("Test message from {}", actor.practice_name),
            body: format!(
                "This is a test message from medoffice for {}.\n\nIf you can read it, appointment reminders can be sent by e-mail.\n",
                actor.practice_name
            ),
        };
        let (sent, detail) = match mailer::send(&config, &email).await {
            Ok(reply) => (true, reply),
            Err(error) => (false, error.message),
        };
        let mut tx = self.store.begin().await?;
        self.audit_outcome(
            &mut tx,
            actor,
            AuditNote {
                action: "smtp.test",
                patient_id: None,
                record_type: "smtp_settings",
                record_id: Some(&actor.practice_id),
                detail: format!("to {}: {detail}", to.as_str()),
            },
            if sent { "success" } else { "failed" },
        )
        .await?;
        tx.commit().await?;
        Ok(TestEmailResult { sent, detail })
    }

    /// Every appointment type with its reminder rules (the default where never set).
    pub async fn reminder_rules(&self, actor: &Actor) -> Result<Vec<TypeRulesView>> {
        self.authorize(actor, Action::SendReminders, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let types = sched::list_appointment_types(&mut conn, &actor.practice_id).await?;
        let set = store::list_type_reminders(&mut conn, &actor.practice_id).await?;
        Ok(types
            .into_iter()
            .map(|t| {
                let row = set.iter().find(|r| r.appointment_type_id == t.appointment_type.id);
                let days = match row {
                    Some(r) => parse_days_before(&r.days_before).unwrap_or_else(|_| DEFAULT_DAYS_BEFORE.to_vec()),
                    None => DEFAULT_DAYS_BEFORE.to_vec(),
                };
                TypeRulesView {
                    appointment_type_id: t.appointment_type.id,
                    name: t.appointment_type.name,
                    text: days_text(&days),
                    description: days_description(&days),
                    days_before: days,
                    is_default: row.is_none(),
                }
            })
            .collect())
    }

    /// Sets the reminder rules of one appointment type: `days_before` as typed (`7, 2`; blank for
    /// none).
    pub async fn save_reminder_rules(&self, actor: &Actor, appointment_type_id: &str, days_before: &str) -> Result<TypeRulesView> {
        self.authorize(actor, Action::ManageReminders, None).await?;
        let days = parse_days_before(days_before).map_err(|m| ValidationErrors::single("days_before", m))?;
        let mut tx = self.store.begin().await?;
        let t = sched::get_appointment_type(&mut tx, &actor.practice_id, appointment_type_id.trim()).await?;
        let text = days_text(&days);
        store::put_type_reminder(
            &mut tx,
            &TypeReminderRow {
                practice_id: actor.practice_id.clone(),
                appointment_type_id: t.id.clone(),
                days_before: days.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
                updated_at: self.now_text(),
            },
        )
        .await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "reminder.rules",
                patient_id: None,
                record_type: "appointment_type",
                record_id: Some(&t.id),
                detail: format!("{}: {}", t.name, days_description(&days)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(TypeRulesView {
            appointment_type_id: t.id,
            name: t.name,
            description: days_description(&days),
            text,
            days_before: days,
            is_default: false,
        })
    }

    /// Sends the reminders due on `date` (`YYYY-MM-DD`, blank for today) and puts the phone
    /// patients on that day's call list; retries failed e-mails of appointments still ahead.
    pub async fn run_reminders(&self, actor: &Actor, date: &str) -> Result<RunSummary> {
        self.authorize(actor, Action::SendReminders, None).await?;
        let runner = Runner::of(actor);
        let date = self.run_date(runner.tz, date)?;
        self.run_for(&runner, date).await
    }

    /// The same for every practice in the database, from the command line (`medoffice reminders
    /// send`): audited as [`OFFLINE_RUNNER`], with no user.
    pub async fn run_reminders_offline(&self, date: &str) -> Result<Vec<RunSummary>> {
        let practices = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            medoffice_store::practice::list(&mut conn).await?
        };
        let mut summaries = Vec::new();
        for p in practices {
            let runner = Runner {
                practice_id: p.id.clone(),
                tz: p.timezone.parse().unwrap_or(chrono_tz::America::New_York),
                user_id: None,
                username: OFFLINE_RUNNER.into(),
                ip: None,
            };
            let day = self.run_date(runner.tz, date)?;
            summaries.push(self.run_for(&runner, day).await?);
        }
        Ok(summaries)
    }

    /// Sends one failed (or waiting) e-mail reminder again, now.
    pub async fn retry_reminder(&self, actor: &Actor, reminder_id: &str) -> Result<ReminderView> {
        self.authorize(actor, Action::SendReminders, None).await?;
        let runner = Runner::of(actor);
        let (reminder, config) = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            let reminder = store::get_reminder(&mut conn, &actor.practice_id, reminder_id).await?;
            (reminder, store::get_smtp(&mut conn, &actor.practice_id).await?)
        };
        if reminder.channel != "email" {
            return Err(AppError::Conflict("this reminder is on the call list; it is not sent by e-mail".into()));
        }
        if !matches!(reminder.status.as_str(), "failed" | "pending") {
            return Err(AppError::Conflict(format!(
                "this reminder is {}; only a failed e-mail is sent again",
                status_label(&reminder.status)
            )));
        }
        if let Delivery::NotClaimed = self.send_one(&runner, &reminder.id, config.as_ref().and_then(smtp_config).as_ref(), None).await? {
            return Err(AppError::Conflict("another run is sending this reminder right now; reload in a minute".into()));
        }
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let row = store::get_reminder_listed(&mut conn, &actor.practice_id, reminder_id).await?;
        let providers = medoffice_store::practice::list_providers(&mut conn, &actor.practice_id).await?;
        Ok(reminder_view(&row, &providers))
    }

    /// The reminders page of `date` (blank for today): the failures still worth sending first,
    /// then what the runs of that date made. Audited as a read of patient data.
    pub async fn reminders_for_date(&self, actor: &Actor, date: &str) -> Result<RemindersDay> {
        self.authorize(actor, Action::SendReminders, None).await?;
        let day = self.list_date(actor, date)?;
        let now_minute = minute_of(self.now().with_timezone(&actor.timezone).naive_local());
        let mut tx = self.store.begin().await?;
        let failed = store::list_failed(&mut tx, &actor.practice_id, now_minute).await?;
        let rows = store::list_for_date(&mut tx, &actor.practice_id, &day.to_string()).await?;
        let providers = medoffice_store::practice::list_providers(&mut tx, &actor.practice_id).await?;
        let email_configured = store::get_smtp(&mut tx, &actor.practice_id).await?.is_some();
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "reminder.list",
                patient_id: None,
                record_type: "appointment_reminder",
                record_id: None,
                detail: format!("{day}: {} reminder(s), {} failed", rows.len(), failed.len()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(RemindersDay {
            date: day.to_string(),
            email_configured,
            failed: failed.iter().map(|r| reminder_view(r, &providers)).collect(),
            reminders: rows.iter().map(|r| reminder_view(r, &providers)).collect(),
        })
    }

    /// The call list of `date` (blank for today): the patients who prefer a call (or have no
    /// e-mail), with their numbers, and earlier calls not reached yet. Audited.
    pub async fn call_list(&self, actor: &Actor, date: &str) -> Result<Vec<ReminderView>> {
        self.authorize(actor, Action::SendReminders, None).await?;
        let day = self.list_date(actor, date)?;
        let now_minute = minute_of(self.now().with_timezone(&actor.timezone).naive_local());
        let mut tx = self.store.begin().await?;
        let rows = store::list_calls(&mut tx, &actor.practice_id, &day.to_string(), now_minute).await?;
        let providers = medoffice_store::practice::list_providers(&mut tx, &actor.practice_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "reminder.call_list",
                patient_id: None,
                record_type: "appointment_reminder",
                record_id: None,
                detail: format!("{day}: {} call(s)", rows.len()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(rows.iter().map(|r| reminder_view(r, &providers)).collect())
    }

    /// Records the patient's answer to a reminder. "Confirmed" confirms the appointment and
    /// "asked to cancel" cancels it (by the patient, with the note as the reason), through
    /// [`App::change_appointment_status`]; the other outcomes of a call are only recorded. Both the
    /// appointment's change and the reply are audited.
    pub async fn record_reminder_reply(&self, actor: &Actor, reminder_id: &str, input: &ReplyInput) -> Result<ReminderView> {
        self.authorize(actor, Action::SendReminders, None).await?;
        let mut e = ValidationErrors::new();
        let reply = e.check("reply", Reply::parse(&input.reply));
        let note = input.note.trim();
        if note.chars().count() > MAX_REPLY_NOTE_CHARS {
            e.add("note", format!("at most {MAX_REPLY_NOTE_CHARS} characters"));
        }
        if reply == Some(Reply::CancelRequested) && note.is_empty() {
            e.add("note", "say why the patient cancels (it is kept with the cancellation)");
        }
        let Some(reply) = reply.filter(|_| e.is_empty()) else {
            return Err(e.into());
        };
        let practice_id = actor.practice_id.as_str();
        let (row, appointment) = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            let row = store::get_reminder_listed(&mut conn, practice_id, reminder_id).await?;
            let appointment = sched::get_appointment(&mut conn, practice_id, &row.reminder.appointment_id).await?;
            (row, appointment)
        };
        if row.reminder.channel == "email" {
            if !reply.by_email() {
                return Err(ValidationErrors::single("reply", "an e-mail reply is a confirmation or a cancellation").into());
            }
            if row.reminder.status != "sent" {
                return Err(AppError::Conflict("this reminder was not sent; the patient cannot have answered it".into()));
            }
        }
        let status = appointment.status()?;
        let change = match (reply, status) {
            (Reply::Confirmed, AppointmentStatus::Scheduled) => Some("confirm"),
            (Reply::Confirmed, AppointmentStatus::Confirmed) => None,
            (Reply::CancelRequested, AppointmentStatus::Scheduled | AppointmentStatus::Confirmed) => Some("cancel"),
            (Reply::CancelRequested, AppointmentStatus::Cancelled) => None,
            (Reply::Confirmed | Reply::CancelRequested, other) => {
                return Err(AppError::Conflict(format!("the appointment {}; the answer cannot change it", other.describe())));
            }
            _ => None,
        };
        if let Some(event) = change {
            let step = StatusEventInput {
                event: event.into(),
                reason: if event == "cancel" { note.to_string() } else { String::new() },
                by: "patient".into(),
            };
            self.change_appointment_status(actor, &appointment.id, &step).await?;
        }
        let mut tx = self.store.begin().await?;
        let note = (!note.is_empty()).then_some(note);
        store::record_reply(&mut tx, practice_id, reminder_id, reply.as_str(), note, &self.now_text(), &actor.user_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "reminder.reply",
                patient_id: Some(&row.reminder.patient_id),
                record_type: "appointment_reminder",
                record_id: Some(reminder_id),
                detail: format!(
                    "{} ({}){}",
                    reply.as_str(),
                    row.reminder.channel,
                    match change {
                        Some("confirm") => "; appointment confirmed",
                        Some(_) => "; appointment cancelled",
                        None => "",
                    }
                ),
            },
        )
        .await?;
        let after = store::get_reminder_listed(&mut tx, practice_id, reminder_id).await?;
        let providers = medoffice_store::practice::list_providers(&mut tx, practice_id).await?;
        tx.commit().await?;
        Ok(reminder_view(&after, &providers))
    }

    // -----------------------------------------------------------------------------------------

    /// A run's date: blank for today; at most [`RUN_DATE_RANGE_DAYS`] either side of today.
    fn run_date(&self, tz: Tz, text: &str) -> Result<NaiveDate> {
        let today = self.now().with_timezone(&tz).date_naive();
        if text.trim().is_empty() {
            return Ok(today);
        }
        let date = parse_date(text).map_err(|m| ValidationErrors::single("date", m))?;
        let earliest = today.checked_sub_days(Days::new(RUN_DATE_RANGE_DAYS)).unwrap_or(today);
        let latest = today.checked_add_days(Days::new(RUN_DATE_RANGE_DAYS)).unwrap_or(today);
        if date < earliest || date > latest {
            return Err(
                ValidationErrors::single("date", format!("choose a date within {RUN_DATE_RANGE_DAYS} days of today ({today})")).into()
            );
        }
        Ok(date)
    }

    /// A list's date: blank for today.
    fn list_date(&self, actor: &Actor, text: &str) -> Result<NaiveDate> {
        if text.trim().is_empty() {
            return Ok(actor.today(self.now()));
        }
        Ok(parse_date(text).map_err(|m| ValidationErrors::single("date", m))?)
    }

    async fn run_for(&self, runner: &Runner, date: NaiveDate) -> Result<RunSummary> {
        let practice_id = runner.practice_id.as_str();
        let now_local = self.now().with_timezone(&runner.tz).naive_local();
        let from = minute_of(date.and_time(NaiveTime::MIN).max(now_local));
        let horizon = date.checked_add_days(Days::new(u64::from(MAX_DAYS_BEFORE) + 1)).unwrap_or(date);
        let to = minute_of(horizon.and_time(NaiveTime::MIN));
        let mut summary = RunSummary { practice_id: practice_id.to_string(), date: date.to_string(), ..Default::default() };

        // 1. Make the reminders that are due, in one transaction.
        let mut tx = self.store.begin().await?;
        let type_ids: Vec<String> =
            sched::list_appointment_types(&mut tx, practice_id).await?.into_iter().map(|t| t.appointment_type.id).collect();
        let rules = effective_rules(&type_ids, &store::list_type_reminders(&mut tx, practice_id).await?);
        let appointments = store::remindable_appointments(&mut tx, practice_id, from, to).await?;
        let existing = store::reminders_of_appointments(&mut tx, practice_id, from, to).await?;
        let patient_ids: Vec<String> = appointments.iter().map(|a| a.patient_id.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let patients: HashMap<String, PatientRow> =
            medoffice_store::patients::get_many(&mut tx, practice_id, &patient_ids).await?.into_iter().map(|p| (p.id.clone(), p)).collect();
        let now_text = self.now_text();
        for a in &appointments {
            let Some(day) = local(&a.start_at).map(|t| t.date()) else { continue };
            let days_until = (day - date).num_days();
            let due: Vec<u32> = rules
                .get(&a.appointment_type_id)
                .map(|r| r.iter().copied().filter(|n| i64::from(*n) >= days_until).collect())
                .unwrap_or_default();
            let Some(nearest) = due.iter().copied().min() else { continue };
            let made: Vec<&ReminderRow> = existing.iter().filter(|r| r.appointment_id == a.id).collect();
            let superseded = format!("superseded by the reminder {}", days_description(&[nearest]));
            // Earlier rules still waiting give way to the nearest: one reminder, not two.
            for r in
                made.iter().filter(|r| r.days_before > i64::from(nearest) && matches!(r.status.as_str(), "pending" | "failed" | "to_call"))
            {
                if store::skip(&mut tx, practice_id, &r.id, &superseded, &now_text).await? {
                    summary.superseded += 1;
                }
            }
            for n in due {
                if made.iter().any(|r| r.days_before == i64::from(n)) {
                    continue;
                }
                let patient = patients.get(&a.patient_id);
                let way = patient.map(|p| route(&p.preferred_contact, p.email.as_deref(), p.phone())).unwrap_or(Route::NoWayToReach);
                let (channel, recipient) = match &way {
                    Route::Email(address) => ("email", Some(address.clone())),
                    Route::Call(digits) => ("call", Some(digits.clone())),
                    Route::NoWayToReach => ("call", None),
                };
                let (status, detail) = match (n == nearest, channel) {
                    (false, _) => ("skipped", Some(superseded.clone())),
                    (true, "email") => ("pending", None),
                    (true, _) => ("to_call", recipient.is_none().then(|| "no phone or e-mail on the patient's record".to_string())),
                };
                let inserted = store::insert_reminder(
                    &mut tx,
                    &ReminderRow {
                        practice_id: practice_id.to_string(),
                        id: new_id(),
                        appointment_id: a.id.clone(),
                        days_before: i64::from(n),
                        patient_id: a.patient_id.clone(),
                        channel: channel.into(),
                        status: status.into(),
                        recipient,
                        list_date: date.to_string(),
                        attempts: 0,
                        claimed_at: None,
                        last_attempt_at: None,
                        sent_at: None,
                        detail,
                        reply: None,
                        reply_note: None,
                        reply_at: None,
                        reply_by: None,
                        created_at: now_text.clone(),
                        updated_at: now_text.clone(),
                    },
                )
                .await?;
                if !inserted {
                    continue;
                }
                summary.new_reminders += 1;
                match (status, &way) {
                    ("skipped", _) => summary.superseded += 1,
                    ("to_call", Route::NoWayToReach) => summary.no_way_to_reach += 1,
                    ("to_call", _) => summary.calls_listed += 1,
                    _ => {}
                }
            }
        }
        self.audit_as(
            &mut tx,
            runner,
            AuditNote {
                action: "reminder.run",
                patient_id: None,
                record_type: "appointment_reminder",
                record_id: None,
                detail: format!(
                    "{date}: {} new reminder(s), {} on the call list, {} with no way to reach, {} superseded",
                    summary.new_reminders, summary.calls_listed, summary.no_way_to_reach, summary.superseded
                ),
            },
            "success",
        )
        .await?;
        tx.commit().await?;

        // 2. Send the e-mails waiting (new ones, earlier failures), one by one, outside any transaction.
        let (waiting, config) = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            let stale = timestamp(self.now() - chrono::Duration::minutes(STALE_CLAIM_MINUTES));
            let waiting: Vec<ReminderRow> = store::reminders_of_appointments(&mut conn, practice_id, from, to)
                .await?
                .into_iter()
                .filter(|r| r.channel == "email")
                .filter(|r| {
                    matches!(r.status.as_str(), "pending" | "failed")
                        || (r.status == "sending" && r.claimed_at.as_deref().is_some_and(|c| c < stale.as_str()))
                })
                .collect();
            (waiting, store::get_smtp(&mut conn, practice_id).await?)
        };
        let config = config.as_ref().and_then(smtp_config);
        // Once the server cannot be reached, the rest are recorded as failed without trying: a run
        // must not wait out a timeout per patient.
        let mut unreachable: Option<String> = None;
        for r in waiting {
            let not_tried = unreachable
                .as_ref()
                .map(|e| format!("not tried: the mail server could not be reached for an earlier reminder of this run ({e})"));
            match self.send_one(runner, &r.id, config.as_ref(), not_tried.as_deref()).await? {
                Delivery::Accepted => summary.emails_sent += 1,
                Delivery::Skipped => summary.emails_skipped += 1,
                Delivery::NotClaimed => {}
                Delivery::Failed(error, server_unreachable) => {
                    if server_unreachable && unreachable.is_none() {
                        unreachable = Some(error.clone());
                    }
                    summary.emails_failed += 1;
                    summary.failures.push(FailedReminder {
                        reminder_id: r.id.clone(),
                        appointment_id: r.appointment_id.clone(),
                        patient_id: r.patient_id.clone(),
                        recipient: r.recipient.clone(),
                        error,
                    });
                }
            }
        }
        Ok(summary)
    }

    /// Claims one e-mail reminder, sends it and records how it went (with its audit record).
    /// With `not_tried`, records that failure instead of connecting.
    async fn send_one(&self, runner: &Runner, reminder_id: &str, config: Option<&SmtpConfig>, not_tried: Option<&str>) -> Result<Delivery> {
        let practice_id = runner.practice_id.as_str();
        let now = self.now();
        let now_text = timestamp(now);
        let stale = timestamp(now - chrono::Duration::minutes(STALE_CLAIM_MINUTES));
        let mut tx = self.store.begin().await?;
        if !store::claim(&mut tx, practice_id, reminder_id, &now_text, &stale).await? {
            tx.commit().await?;
            return Ok(Delivery::NotClaimed);
        }
        let reminder = store::get_reminder(&mut tx, practice_id, reminder_id).await?;
        let appointment = sched::get_appointment(&mut tx, practice_id, &reminder.appointment_id).await?;
        let patient = medoffice_store::patients::get(&mut tx, practice_id, &reminder.patient_id).await?;
        let practice = medoffice_store::practice::get(&mut tx, practice_id).await?;
        let locations = sched::list_locations(&mut tx, practice_id).await?;
        let providers = medoffice_store::practice::list_providers(&mut tx, practice_id).await?;
        tx.commit().await?;

        let start = local(&appointment.start_at);
        let now_local = now.with_timezone(&runner.tz).naive_local();
        let skip_reason = match (appointment.status()?, start) {
            (AppointmentStatus::Scheduled | AppointmentStatus::Confirmed, Some(start)) if start > now_local => None,
            (AppointmentStatus::Scheduled | AppointmentStatus::Confirmed, _) => Some("the appointment time has passed".to_string()),
            (other, _) => Some(format!("the appointment {}", other.describe())),
        };
        if let Some(reason) = skip_reason {
            let mut tx = self.store.begin().await?;
            store::skip(&mut tx, practice_id, reminder_id, &reason, &self.now_text()).await?;
            self.audit_as(
                &mut tx,
                runner,
                AuditNote {
                    action: "reminder.skip",
                    patient_id: Some(&reminder.patient_id),
                    record_type: "appointment_reminder",
                    record_id: Some(reminder_id),
                    detail: reason,
                },
                "success",
            )
            .await?;
            tx.commit().await?;
            return Ok(Delivery::Skipped);
        }
        let address = patient.email.clone().filter(|e| !e.trim().is_empty());
        let outcome = match (config, &address, start) {
            _ if not_tried.is_some() => Err(MailError { message: not_tried.unwrap_or_default().to_string(), server_unreachable: true }),
            (None, _, _) => {
                Err(local_error("e-mail is not set up: an administrator enters the practice's mail server under Admin, E-mail (SMTP)"))
            }
            (_, None, _) => Err(local_error("the patient's record has no e-mail address; add one, or call the patient")),
            (Some(config), Some(address), Some(start)) => {
                let letter = Letter {
                    practice: &practice,
                    location: locations.iter().find(|l| l.id == appointment.location_id),
                    provider: providers.iter().find(|p| p.id == appointment.provider_id),
                    patient: &patient,
                    start,
                };
                mailer::send(config, &letter.compose(address)).await
            }
            (Some(_), Some(_), None) => Err(local_error("the appointment's time cannot be read")),
        };
        let (outcome_text, detail) = match &outcome {
            Ok(reply) => ("sent", reply.clone()),
            Err(error) => ("failed", error.message.clone()),
        };
        let at = self.now_text();
        let mut tx = self.store.begin().await?;
        store::record_attempt(
            &mut tx,
            practice_id,
            reminder_id,
            &AttemptOutcome { outcome: outcome_text, recipient: address.as_deref(), detail: &detail, at: &at },
        )
        .await?;
        self.audit_as(
            &mut tx,
            runner,
            AuditNote {
                action: "reminder.email",
                patient_id: Some(&reminder.patient_id),
                record_type: "appointment_reminder",
                record_id: Some(reminder_id),
                detail: format!("{outcome_text} to {}: {detail}", address.as_deref().unwrap_or("(no address)")),
            },
            if outcome.is_ok() { "success" } else { "failed" },
        )
        .await?;
        tx.commit().await?;
        Ok(match outcome {
            Ok(_) => Delivery::Accepted,
            Err(error) => Delivery::Failed(error.message, error.server_unreachable),
        })
    }

    /// An audit record for a run, which may have no signed-in user (the command line).
    async fn audit_as(&self, conn: &mut Connection, runner: &Runner, note: AuditNote<'_>, outcome: &str) -> Result<()> {
        self.append_audit(
            conn,
            NewAuditEvent {
                practice_id: runner.practice_id.clone(),
                at: self.now_text(),
                user_id: runner.user_id.clone(),
                username: runner.username.clone(),
                action: note.action.to_string(),
                patient_id: note.patient_id.map(str::to_string),
                record_type: note.record_type.to_string(),
                record_id: note.record_id.map(str::to_string),
                ip: runner.ip.clone(),
                outcome: outcome.to_string(),
                detail: note.detail,
            },
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patient_who_prefers_email_and_has_one_gets_an_email() {
        assert_eq!(route("email", Some("a@example.com"), Some("5182001000")), Route::Email("a@example.com".into()));
    }

    #[test]
    fn phone_and_text_preferences_go_to_the_call_list_unless_only_an_email_is_known() {
        assert_eq!(route("phone", Some("a@example.com"), Some("5182001000")), Route::Call("5182001000".into()));
        assert_eq!(route("text", None, Some("5182001000")), Route::Call("5182001000".into()));
        assert_eq!(route("phone", Some("a@example.com"), None), Route::Email("a@example.com".into()));
        assert_eq!(route("mail", None, Some("5182001000")), Route::Call("5182001000".into()));
    }

    #[test]
    fn a_patient_with_no_phone_and_no_email_has_no_way_to_be_reached() {
        assert_eq!(route("email", None, None), Route::NoWayToReach);
        assert_eq!(route("phone", Some("  "), Some("")), Route::NoWayToReach);
        assert_eq!(route("email", None, Some("5182001000")), Route::Call("5182001000".into()));
    }

    #[test]
    fn rules_parse_largest_first_without_repeats_and_refuse_nonsense() {
        assert_eq!(parse_days_before("2, 7 2"), Ok(vec![7, 2]));
        assert_eq!(parse_days_before(""), Ok(vec![]));
        assert_eq!(parse_days_before("none"), Ok(vec![]));
        assert_eq!(parse_days_before("0"), Ok(vec![0]));
        assert!(parse_days_before("31").is_err());
        assert!(parse_days_before("two").is_err());
        assert!(parse_days_before("-1").is_err());
        assert!(parse_days_before("1,2,3,4,5").is_err());
    }

    #[test]
    fn a_type_without_rules_set_has_the_default_and_one_set_to_none_has_none() {
        let set = vec![TypeReminderRow {
            practice_id: "p".into(),
            appointment_type_id: "quiet".into(),
            days_before: String::new(),
            updated_at: String::new(),
        }];
        let rules = effective_rules(&["new".to_string(), "quiet".to_string()], &set);
        assert_eq!(rules["new"], DEFAULT_DAYS_BEFORE.to_vec());
        assert!(rules["quiet"].is_empty());
    }

    #[test]
    fn replies_parse_from_what_forms_and_people_send() {
        assert_eq!(Reply::parse("confirm"), Ok(Reply::Confirmed));
        assert_eq!(Reply::parse("Cancel requested"), Ok(Reply::CancelRequested));
        assert_eq!(Reply::parse("no-answer"), Ok(Reply::NoAnswer));
        assert!(Reply::parse("maybe").is_err());
        assert!(Reply::parse("").is_err());
        for r in Reply::ALL {
            assert_eq!(Reply::parse(r.as_str()), Ok(r));
        }
        assert!(!Reply::WrongNumber.by_email());
    }

    #[test]
    fn the_rules_read_as_a_sentence() {
        assert_eq!(days_description(&[7, 2]), "7 days before and 2 days before");
        assert_eq!(days_description(&[1]), "1 day before");
        assert_eq!(days_description(&[]), "No reminders");
    }
}
