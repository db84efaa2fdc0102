//! Telephone messages: the call pad (`take_message`: triage and routing in one transaction),
//! the inboxes (urgent first, then oldest), the message's life (acknowledge, status, reply,
//! reassign), escalation by the clock (`escalate_due`), the late view, the triage rules, callback
//! deadlines and inbox members the office manager sets, and the telephone directory.
//!
//! Inboxes are role inboxes mapped onto users (there is no nurse role): `nurse` is the members
//! the office manager names plus every provider user; `billing` the billers; `scheduling` the
//! front desk; `provider:<id>` the provider's own user; each plus its named members.

use crate::waitlist::patient_summaries;
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use medoffice_domain::ValidationErrors;
use medoffice_domain::messages::{
    self as rules, CallFacts, CallerKind, DeadlineSettings, Inbox, MAX_BODY_CHARS, MessageStatus, Reason, TriageRule, Trigger, Urgency,
};
use medoffice_domain::patients::Phone;
use medoffice_domain::security::{Action, Role};
use medoffice_domain::validation::clean;
use medoffice_store::audit::NewAuditEvent;
use medoffice_store::messages::{
    self as store, DirectoryContactRow, MessageEntryRow, MessageRow, MessageSettingsRow, STALE_MESSAGE, TriageRuleRow,
};
use medoffice_store::users::UserRow;
use medoffice_store::{Connection, StoreError, new_id, timestamp};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// Who the clock's escalations are audited as.
pub const ESCALATION_RUNNER: &str = "(message escalation)";
/// The longest reply.
pub const MAX_REPLY_CHARS: usize = 4000;
/// The longest caller name.
pub const MAX_NAME_CHARS: usize = 120;

/// A call as the receptionist types it (the call pad) or an API client sends it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewMessage {
    /// The patient calling (or called about); blank for another caller.
    pub patient_id: String,
    /// Who is on the phone; blank with a patient: the patient's name.
    pub caller_name: String,
    /// `patient`, `practice`, `hospital`, `pharmacy`, `lab`, `payer`, `other`; blank: patient
    /// with a patient, else other.
    pub caller_kind: String,
    pub callback_phone: String,
    /// `clinical`, `refill`, `test_results`, `scheduling`, `billing`, `records`, `other`; blank:
    /// guessed from the message.
    pub reason: String,
    pub body: String,
    pub voicemail_ok: bool,
    /// Discharged from hospital recently (the call pad's tick).
    pub recently_discharged: bool,
    /// `urgent` or `routine`; blank: triage decides.
    pub urgency: String,
    /// A username to hand the message to; blank: routed by the rules (or `inbox`).
    pub assigned_to: String,
    /// An inbox (`nurse`, `billing`, `scheduling`, `provider:<id>`); blank: routed by the rules.
    pub inbox: String,
}

/// What the call pad shows while typing.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct TriageInput {
    pub caller_kind: String,
    pub text: String,
    pub recently_discharged: bool,
}

/// The triage answer: urgent with the rule and the instruction, or routine.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TriagePreview {
    pub urgency: String,
    pub rule: Option<String>,
    pub rule_name: Option<String>,
    pub instruction: Option<String>,
    pub matched: Option<String>,
}

/// One entry of a message's thread.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageEntryView {
    pub seq: i64,
    /// `reply` or `event`.
    pub kind: String,
    pub at: String,
    pub at_text: String,
    pub by: Option<String>,
    pub body: String,
}

/// A message as pages and the API show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageView {
    pub id: String,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    pub caller_name: String,
    pub caller_kind: String,
    pub caller_kind_label: String,
    pub callback_phone: String,
    pub reason: String,
    pub reason_label: String,
    pub body: String,
    pub voicemail_ok: bool,
    pub recently_discharged: bool,
    /// `urgent` or `routine`.
    pub urgency: String,
    pub triage_rule: Option<String>,
    pub triage_rule_version: Option<i64>,
    pub instruction: Option<String>,
    pub inbox: String,
    pub inbox_label: String,
    /// The username holding it, if someone does.
    pub assigned_to: Option<String>,
    pub assigned_name: Option<String>,
    pub status: String,
    pub status_label: String,
    /// RFC 3339 with the practice's offset.
    pub deadline: String,
    pub deadline_text: String,
    pub overdue: bool,
    pub escalation_level: i64,
    pub taken_by: String,
    pub created_at: String,
    pub created_text: String,
    pub entries: Vec<MessageEntryView>,
}

/// A user's inbox page.
#[derive(Debug, Clone, Serialize)]
pub struct InboxView {
    pub messages: Vec<MessageView>,
    /// The inboxes the user works, as labels.
    pub inboxes: Vec<String>,
    /// How many messages the clock escalated on this load.
    pub escalated_now: usize,
}

/// Something a person may be handed: a user or an inbox, with its label (the reassign select).
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// `user:<username>` or an inbox key.
    pub value: String,
    pub label: String,
}

/// A triage rule as the rules page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TriageRuleView {
    pub key: String,
    pub version: i64,
    pub name: String,
    pub kind: String,
    pub terms: String,
    pub instruction: String,
    pub active: bool,
    pub edited: bool,
}

/// A rule as typed on the rules page.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TriageRuleInput {
    /// Blank for a new rule.
    pub key: String,
    pub name: String,
    /// `words`, `caller` or `discharged`.
    pub kind: String,
    pub terms: String,
    pub instruction: String,
    pub active: bool,
}

/// The deadline settings as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MessageSettingsInput {
    pub urgent_minutes: String,
    pub escalation_minutes: String,
    pub routine_business_days: String,
    pub close_time: String,
    pub workdays: String,
    pub discharge_window_days: String,
}

/// The deadline settings as shown.
#[derive(Debug, Clone, Serialize)]
pub struct MessageSettingsView {
    pub urgent_minutes: i64,
    pub escalation_minutes: i64,
    pub routine_business_days: i64,
    pub close_time: String,
    pub workdays: String,
    pub discharge_window_days: i64,
}

/// An inbox with its members (the rules page).
#[derive(Debug, Clone, Serialize)]
pub struct InboxMembersView {
    pub inbox: String,
    pub label: String,
    /// By role, shown for information.
    pub by_role: Vec<String>,
    /// Named by the office manager: (username, display name).
    pub members: Vec<(String, String)>,
}

/// A directory contact as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ContactInput {
    pub name: String,
    /// `practice`, `lab`, `pharmacy`, `payer`, `hospital` or `other`.
    pub kind: String,
    pub phone: String,
    pub fax: String,
    pub notes: String,
}

/// A directory contact.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub notes: Option<String>,
}

/// The directory's contact kinds with their labels.
pub const CONTACT_KINDS: [(&str, &str); 6] = [
    ("practice", "Doctor's office"),
    ("hospital", "Hospital"),
    ("lab", "Laboratory"),
    ("pharmacy", "Pharmacy"),
    ("payer", "Insurer (provider line)"),
    ("other", "Other"),
];

fn contact_kind_label(kind: &str) -> &'static str {
    CONTACT_KINDS.iter().find(|(k, _)| *k == kind).map(|(_, l)| *l).unwrap_or("Other")
}

fn settings_of(row: Option<&MessageSettingsRow>) -> (DeadlineSettings, i64) {
    let d = DeadlineSettings::default();
    match row {
        None => (d, 14),
        Some(r) => (
            DeadlineSettings {
                urgent_minutes: r.urgent_minutes,
                escalation_minutes: r.escalation_minutes,
                routine_business_days: u32::try_from(r.routine_business_days).unwrap_or(1),
                close_time: NaiveTime::parse_from_str(&r.close_time, "%H:%M").unwrap_or(d.close_time),
                workdays: DeadlineSettings::parse_workdays(&r.workdays).unwrap_or(d.workdays),
            },
            r.discharge_window_days,
        ),
    }
}

fn rule_of(row: &TriageRuleRow) -> Option<TriageRule> {
    Some(TriageRule {
        key: row.rule_key.clone(),
        version: row.version,
        name: row.name.clone(),
        trigger: Trigger::parse(&row.kind, &row.terms).ok()?,
        instruction: row.instruction.clone(),
    })
}

fn phone_text(digits: &str) -> String {
    Phone::parse(digits).map(|p| p.display()).unwrap_or_else(|_| digits.to_string())
}

fn local_text(stored: &str, tz: Tz) -> (String, String) {
    match DateTime::parse_from_rfc3339(stored) {
        Ok(at) => {
            let local = at.with_timezone(&tz);
            (local.to_rfc3339(), local.format("%a %m/%d %-I:%M %p").to_string())
        }
        Err(_) => (stored.to_string(), stored.to_string()),
    }
}

/// Names the views need: users by id, providers by id.
struct Directory {
    users: HashMap<String, UserRow>,
    providers: HashMap<String, String>,
    /// Provider id of each user linked to a provider.
    provider_of_user: HashMap<String, String>,
    members: Vec<(String, String)>,
}

impl Directory {
    async fn load(conn: &mut Connection, practice_id: &str) -> Result<Directory> {
        let users = medoffice_store::users::list(conn, practice_id).await?;
        let providers = medoffice_store::practice::list_providers(conn, practice_id).await?;
        let members = store::inbox_members(conn, practice_id).await?;
        Ok(Directory {
            provider_of_user: providers.iter().filter_map(|p| p.user_id.clone().map(|u| (u, p.id.clone()))).collect(),
            providers: providers
                .iter()
                .map(|p| {
                    let creds = p.credentials.as_deref().map(|c| format!(", {c}")).unwrap_or_default();
                    (p.id.clone(), format!("{} {}{creds}", p.given_name, p.family_name))
                })
                .collect(),
            users: users.into_iter().map(|u| (u.id.clone(), u)).collect(),
            members,
        })
    }

    fn inbox_label(&self, key: &str) -> String {
        match Inbox::parse(key) {
            Ok(Inbox::Provider(id)) => format!("{} (provider)", self.providers.get(&id).cloned().unwrap_or_else(|| "A provider".into())),
            Ok(i) => i.label().to_string(),
            Err(_) => key.to_string(),
        }
    }

    /// The inboxes a user works: by role, and where the office manager named them.
    fn inboxes_of(&self, user_id: &str, role: Role) -> Vec<String> {
        let mut out: Vec<String> = self.members.iter().filter(|(_, u)| u == user_id).map(|(i, _)| i.clone()).collect();
        out.extend(role_inboxes(role, user_id, &self.provider_of_user));
        out.sort();
        out.dedup();
        out
    }

    fn user_role(&self, user: &UserRow) -> Option<Role> {
        user.role.parse().ok()
    }

    fn by_username(&self, username: &str) -> Option<&UserRow> {
        let name = username.trim().to_lowercase();
        self.users.values().find(|u| u.username == name && u.disabled_at.is_none())
    }

    fn user_name(&self, id: &str) -> String {
        self.users.get(id).map(|u| u.display_name.clone()).unwrap_or_else(|| "someone".into())
    }
}

/// The inboxes a role works by itself (before the office manager's named members).
fn role_inboxes(role: Role, user_id: &str, provider_of_user: &HashMap<String, String>) -> Vec<String> {
    match role {
        Role::Provider => {
            let mut out = vec![Inbox::Nurse.key()];
            if let Some(p) = provider_of_user.get(user_id) {
                out.push(Inbox::Provider(p.clone()).key());
            }
            out
        }
        Role::Biller => vec![Inbox::Billing.key()],
        Role::FrontDesk => vec![Inbox::Scheduling.key()],
        Role::Admin | Role::Bookkeeper => Vec::new(),
    }
}

fn view(
    m: &MessageRow,
    dir: &Directory,
    patient_name: Option<String>,
    entries: &[MessageEntryRow],
    tz: Tz,
    now: DateTime<Utc>,
) -> MessageView {
    let (deadline, deadline_text) = local_text(&m.deadline_at, tz);
    let (created_at, created_text) = local_text(&m.created_at, tz);
    let assigned = m.assigned_user_id.as_ref().and_then(|u| dir.users.get(u));
    MessageView {
        id: m.id.clone(),
        patient_id: m.patient_id.clone(),
        patient_name,
        caller_name: m.caller_name.clone(),
        caller_kind: m.caller_kind.clone(),
        caller_kind_label: CallerKind::parse(&m.caller_kind).map(|k| k.label()).unwrap_or("Caller").to_string(),
        callback_phone: phone_text(&m.callback_phone),
        reason: m.reason.clone(),
        reason_label: Reason::parse(&m.reason).map(|r| r.label()).unwrap_or("Other").to_string(),
        body: m.body.clone(),
        voicemail_ok: m.voicemail_ok == 1,
        recently_discharged: m.recently_discharged == 1,
        urgency: m.urgency.clone(),
        triage_rule: m.triage_rule_key.clone(),
        triage_rule_version: m.triage_rule_version,
        instruction: m.instruction.clone(),
        inbox: m.inbox.clone(),
        inbox_label: dir.inbox_label(&m.inbox),
        assigned_to: assigned.map(|u| u.username.clone()),
        assigned_name: assigned.map(|u| u.display_name.clone()),
        status: m.status.clone(),
        status_label: MessageStatus::parse(&m.status).map(|s| s.label()).unwrap_or("Unknown").to_string(),
        deadline,
        deadline_text,
        overdue: m.status != "done" && m.deadline_at <= timestamp(now),
        escalation_level: m.escalation_level,
        taken_by: dir.user_name(&m.taken_by),
        created_at,
        created_text,
        entries: entries
            .iter()
            .map(|e| {
                let (at, at_text) = local_text(&e.at, tz);
                MessageEntryView {
                    seq: e.seq,
                    kind: e.kind.clone(),
                    at,
                    at_text,
                    by: e.user_id.as_deref().map(|u| dir.user_name(u)),
                    body: e.body.clone(),
                }
            })
            .collect(),
    }
}

fn patient_display(p: &crate::views::PatientSummary) -> String {
    format!("{}, {}", p.family_name, p.preferred_name.as_deref().unwrap_or(&p.given_name))
}

fn stale(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(c) if c == STALE_MESSAGE => {
            AppError::Conflict("someone else changed this message since you opened it; reload and try again".into())
        }
        other => other.into(),
    }
}

impl App {
    /// Copies the built-in triage rules into the practice the first time they are needed.
    async fn ensure_triage_rules(&self, conn: &mut Connection, practice_id: &str) -> Result<()> {
        if store::has_rules(conn, practice_id).await? {
            return Ok(());
        }
        let now = self.now_text();
        for (i, rule) in rules::builtin_rules().iter().enumerate() {
            store::insert_rule(
                conn,
                &TriageRuleRow {
                    practice_id: practice_id.to_string(),
                    rule_key: rule.key.clone(),
                    version: rule.version,
                    position: i64::try_from(i).unwrap_or(0) * 10,
                    name: rule.name.clone(),
                    kind: rule.trigger.kind().into(),
                    terms: rule.trigger.terms_text(),
                    instruction: rule.instruction.clone(),
                    active: 1,
                    created_by: None,
                    created_at: now.clone(),
                },
            )
            .await?;
        }
        Ok(())
    }

    async fn active_rules(&self, conn: &mut Connection, practice_id: &str) -> Result<Vec<TriageRule>> {
        self.ensure_triage_rules(conn, practice_id).await?;
        Ok(store::current_rules(conn, practice_id).await?.iter().filter(|r| r.active == 1).filter_map(rule_of).collect())
    }

    /// What triage says about a call as typed so far (the call pad's live instruction). Reads no
    /// patient data, so it writes no audit record.
    pub async fn triage_preview(&self, actor: &Actor, input: &TriageInput) -> Result<TriagePreview> {
        self.authorize(actor, Action::TakeMessages, None).await?;
        let kind = CallerKind::parse(&input.caller_kind).unwrap_or(CallerKind::Patient);
        let text: String = input.text.chars().take(MAX_BODY_CHARS * 2).collect();
        let mut tx = self.store.begin().await?;
        let rules = self.active_rules(&mut tx, &actor.practice_id).await?;
        tx.commit().await?;
        let found = rules::triage(&rules, &CallFacts { caller_kind: kind, text: &text, recently_discharged: input.recently_discharged });
        Ok(match found {
            Some(m) => TriagePreview {
                urgency: "urgent".into(),
                rule: Some(m.key),
                rule_name: Some(m.name),
                instruction: Some(m.instruction),
                matched: Some(m.matched),
            },
            None => TriagePreview { urgency: "routine".into(), rule: None, rule_name: None, instruction: None, matched: None },
        })
    }

    /// Takes a call: checks it, triages it (urgency, the instruction), routes it (to the person
    /// named, the inbox named, or by the rules), sets the callback deadline, and writes the
    /// message, its first thread entry and the audit record in one transaction.
    pub async fn take_message(&self, actor: &Actor, input: &NewMessage) -> Result<MessageView> {
        let patient_hint = Some(input.patient_id.trim()).filter(|p| !p.is_empty() && p.len() <= 64);
        self.authorize(actor, Action::TakeMessages, patient_hint).await?;
        let mut e = ValidationErrors::new();
        let patient_id = patient_hint.map(str::to_string);
        let caller_kind = if input.caller_kind.trim().is_empty() {
            Some(if patient_id.is_some() { CallerKind::Patient } else { CallerKind::Other })
        } else {
            e.check("caller_kind", CallerKind::parse(&input.caller_kind))
        };
        let phone = e.check("callback_phone", Phone::parse(&input.callback_phone));
        let body = clean(&input.body).unwrap_or_default();
        if body.is_empty() {
            e.add("body", "write what the caller wants");
        } else if body.chars().count() > MAX_BODY_CHARS {
            e.add("body", format!("at most {MAX_BODY_CHARS} characters"));
        }
        let reason =
            if input.reason.trim().is_empty() { Some(Reason::guess(&body)) } else { e.check("reason", Reason::parse(&input.reason)) };
        let urgency_given =
            if input.urgency.trim().is_empty() { Some(None) } else { e.check("urgency", Urgency::parse(&input.urgency).map(Some)) };
        let inbox_given = if input.inbox.trim().is_empty() { Some(None) } else { e.check("inbox", Inbox::parse(&input.inbox).map(Some)) };
        let caller_name = clean(&input.caller_name);
        if caller_name.as_ref().is_some_and(|n| n.chars().count() > MAX_NAME_CHARS) {
            e.add("caller_name", format!("at most {MAX_NAME_CHARS} characters"));
        }
        if caller_name.is_none() && patient_id.is_none() {
            e.add("caller_name", "give the caller's name, or choose the patient");
        }
        if !input.assigned_to.trim().is_empty() && !input.inbox.trim().is_empty() {
            e.add("assigned_to", "hand it to a person or to an inbox, not both");
        }
        let (Some(caller_kind), Some(phone), Some(reason), Some(urgency_given), Some(inbox_given)) =
            (caller_kind, phone, reason, urgency_given, inbox_given)
        else {
            return Err(e.into());
        };
        if !e.is_empty() {
            return Err(e.into());
        }
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let mut patient_name = None;
        if let Some(pid) = &patient_id {
            match medoffice_store::patients::get(&mut tx, practice_id, pid).await {
                Ok(p) if p.merged_into.is_some() => e.add("patient_id", "this record was merged into another patient; choose that one"),
                Ok(p) => patient_name = Some(format!("{} {}", p.preferred_name.as_deref().unwrap_or(&p.given_name), p.family_name)),
                Err(StoreError::NotFound(_)) => e.add("patient_id", "no such patient"),
                Err(other) => return Err(other.into()),
            }
        }
        let dir = Directory::load(&mut tx, practice_id).await?;
        let assignee = if input.assigned_to.trim().is_empty() {
            None
        } else {
            match dir.by_username(&input.assigned_to) {
                Some(u) if self.may_work(&dir, u) => Some(u.clone()),
                _ => {
                    e.add("assigned_to", "no active staff member who works messages has that username");
                    None
                }
            }
        };
        if let Some(Inbox::Provider(p)) = &inbox_given
            && !dir.providers.contains_key(p)
        {
            e.add("inbox", "no such provider");
        }
        if !e.is_empty() {
            return Err(e.into());
        }
        let rules_now = self.active_rules(&mut tx, practice_id).await?;
        let text = format!("{} {}", reason.label(), body);
        let fired = rules::triage(&rules_now, &CallFacts { caller_kind, text: &body, recently_discharged: input.recently_discharged })
            .or_else(|| {
                // The reason's words count too ("trouble breathing" typed as the reason).
                rules::triage(&rules_now, &CallFacts { caller_kind, text: &text, recently_discharged: input.recently_discharged })
            });
        let urgency = urgency_given.unwrap_or(if fired.is_some() { Urgency::Urgent } else { Urgency::Routine });
        // An emergency typed without a reason is a clinical call, not "something else".
        let reason = if input.reason.trim().is_empty() && reason == Reason::Other && fired.is_some() { Reason::Clinical } else { reason };
        let usual_provider = match &patient_id {
            Some(pid) => {
                let local_now = self.now().with_timezone(&actor.timezone).format("%Y-%m-%dT%H:%M").to_string();
                store::patient_usual_provider(&mut tx, practice_id, pid, &local_now).await?
            }
            None => None,
        };
        let inbox = match (&assignee, inbox_given) {
            (_, Some(i)) => i,
            (Some(u), None) => self.home_inbox(&dir, u, &rules::route(reason, urgency, usual_provider.as_deref())),
            (None, None) => rules::route(reason, urgency, usual_provider.as_deref()),
        };
        let settings_row = store::get_settings(&mut tx, practice_id).await?;
        let (settings, _) = settings_of(settings_row.as_ref());
        let now = self.now();
        let deadline = match urgency {
            Urgency::Urgent => rules::urgent_deadline(now, &settings),
            Urgency::Routine => self.routine_deadline_utc(&mut tx, practice_id, actor.timezone, now, &settings).await?,
        };
        let now_text = timestamp(now);
        let row = MessageRow {
            practice_id: practice_id.to_string(),
            id: new_id(),
            patient_id: patient_id.clone(),
            caller_name: caller_name.or(patient_name.clone()).unwrap_or_default(),
            caller_kind: caller_kind.as_str().into(),
            callback_phone: phone.digits().to_string(),
            reason: reason.as_str().into(),
            body,
            voicemail_ok: i64::from(input.voicemail_ok),
            recently_discharged: i64::from(input.recently_discharged),
            urgency: urgency.as_str().into(),
            triage_rule_key: fired.as_ref().map(|f| f.key.clone()),
            triage_rule_version: fired.as_ref().map(|f| f.version),
            instruction: fired.as_ref().map(|f| f.instruction.clone()),
            inbox: inbox.key(),
            assigned_user_id: assignee.as_ref().map(|u| u.id.clone()),
            status: MessageStatus::New.as_str().into(),
            deadline_at: timestamp(deadline),
            escalation_level: 0,
            escalated_at: None,
            acknowledged_at: None,
            acknowledged_by: None,
            done_at: None,
            taken_by: actor.user_id.clone(),
            created_at: now_text.clone(),
            updated_at: now_text.clone(),
            version: 1,
        };
        store::insert_message(&mut tx, &row).await?;
        let routed = match &assignee {
            Some(u) => format!("handed to {}", u.display_name),
            None => format!("routed to the {} inbox", dir.inbox_label(&row.inbox)),
        };
        let why = match &fired {
            Some(f) => format!("; urgent by rule \"{}\" (v{}, \"{}\")", f.name, f.version, f.matched),
            None => String::new(),
        };
        let event = format!("Call taken by {}, {routed}{why}.", actor.display_name);
        self.append_entry(&mut tx, &row, "event", Some(&actor.user_id), &event).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "message.create",
                patient_id: patient_id.as_deref(),
                record_type: "phone_message",
                record_id: Some(&row.id),
                detail: format!("{} {} to {}{}", row.urgency, row.reason, row.inbox, why),
            },
        )
        .await?;
        let entries = store::entries(&mut tx, practice_id, &row.id).await?;
        tx.commit().await?;
        Ok(view(&row, &dir, patient_name, &entries, actor.timezone, now))
    }

    fn may_work(&self, _dir: &Directory, user: &UserRow) -> bool {
        user.role.parse::<Role>().is_ok_and(|r| r.may(Action::WorkMessages))
    }

    /// The inbox a message handed to a person belongs to: the routed one when the person works
    /// it, else the person's own first inbox.
    fn home_inbox(&self, dir: &Directory, user: &UserRow, routed: &Inbox) -> Inbox {
        let Some(role) = dir.user_role(user) else { return routed.clone() };
        let theirs = dir.inboxes_of(&user.id, role);
        if theirs.contains(&routed.key()) {
            return routed.clone();
        }
        theirs.first().and_then(|k| Inbox::parse(k).ok()).unwrap_or_else(|| routed.clone())
    }

    async fn routine_deadline_utc(
        &self,
        conn: &mut Connection,
        practice_id: &str,
        tz: Tz,
        now: DateTime<Utc>,
        settings: &DeadlineSettings,
    ) -> Result<DateTime<Utc>> {
        let local = now.with_timezone(&tz).naive_local();
        let first = local.date();
        let last = first.checked_add_days(chrono::Days::new(800)).unwrap_or(first);
        let holidays: Vec<NaiveDate> = medoffice_store::scheduling::list_holidays(conn, practice_id, first, last)
            .await?
            .iter()
            .filter_map(|h| NaiveDate::parse_from_str(&h.date, "%Y-%m-%d").ok())
            .collect();
        let due = rules::routine_deadline(local, settings, &|d| holidays.contains(&d));
        Ok(tz.from_local_datetime(&due).earliest().map(|d| d.with_timezone(&Utc)).unwrap_or(now + Duration::days(1)))
    }

    async fn append_entry(&self, conn: &mut Connection, m: &MessageRow, kind: &str, user_id: Option<&str>, body: &str) -> Result<()> {
        store::append_entry(
            conn,
            &MessageEntryRow {
                practice_id: m.practice_id.clone(),
                message_id: m.id.clone(),
                seq: 0,
                kind: kind.into(),
                at: self.now_text(),
                user_id: user_id.map(str::to_string),
                body: body.into(),
            },
        )
        .await?;
        Ok(())
    }

    async fn views_of(&self, conn: &mut Connection, actor: &Actor, rows: &[MessageRow], dir: &Directory) -> Result<Vec<MessageView>> {
        let ids: Vec<String> = rows.iter().filter_map(|m| m.patient_id.clone()).collect();
        let patients = patient_summaries(conn, &actor.practice_id, &ids).await?;
        let now = self.now();
        Ok(rows
            .iter()
            .map(|m| {
                let name = m.patient_id.as_ref().and_then(|p| patients.get(p)).map(patient_display);
                view(m, dir, name, &[], actor.timezone, now)
            })
            .collect())
    }

    /// The signed-in user's inbox: what is handed to them, what waits unheld in their inboxes,
    /// what escalated to them; urgent first, then oldest. Runs the escalation first. Audited.
    pub async fn message_inbox(&self, actor: &Actor) -> Result<InboxView> {
        self.authorize(actor, Action::WorkMessages, None).await?;
        let escalated_now = self.escalate_due_in(&actor.practice_id, self.now()).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let dir = Directory::load(&mut tx, practice_id).await?;
        let inboxes = dir.inboxes_of(&actor.user_id, actor.role);
        let rows = store::inbox(&mut tx, practice_id, &actor.user_id, actor.role == Role::Admin, &inboxes).await?;
        let messages = self.views_of(&mut tx, actor, &rows, &dir).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "message.inbox",
                patient_id: None,
                record_type: "phone_message",
                record_id: None,
                detail: format!("{} message(s)", rows.len()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(InboxView { messages, inboxes: inboxes.iter().map(|i| dir.inbox_label(i)).collect(), escalated_now })
    }

    /// How many open messages the user sees, and how many are urgent: the navigation badge. A
    /// count only (no patient data), so not audited; 0 for a role that does not work messages.
    pub async fn message_counts(&self, actor: &Actor) -> Result<(i64, i64)> {
        if !actor.role.may(Action::WorkMessages) {
            return Ok((0, 0));
        }
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let members = store::inbox_members(&mut conn, &actor.practice_id).await?;
        let mut inboxes: Vec<String> = members.into_iter().filter(|(_, u)| *u == actor.user_id).map(|(i, _)| i).collect();
        let providers = medoffice_store::practice::list_providers(&mut conn, &actor.practice_id).await?;
        let provider_of_user: HashMap<String, String> =
            providers.iter().filter_map(|p| p.user_id.clone().map(|u| (u, p.id.clone()))).collect();
        inboxes.extend(role_inboxes(actor.role, &actor.user_id, &provider_of_user));
        inboxes.sort();
        inboxes.dedup();
        Ok(store::inbox_counts(&mut conn, &actor.practice_id, &actor.user_id, actor.role == Role::Admin, &inboxes).await?)
    }

    /// One message with its thread. Audited as a read of the patient's data.
    pub async fn message(&self, actor: &Actor, message_id: &str) -> Result<MessageView> {
        self.authorize(actor, Action::WorkMessages, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let m = store::get_message(&mut tx, practice_id, message_id).await?;
        let v = self.full_view(&mut tx, actor, &m).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "message.read",
                patient_id: m.patient_id.as_deref(),
                record_type: "phone_message",
                record_id: Some(&m.id),
                detail: String::new(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    async fn full_view(&self, conn: &mut Connection, actor: &Actor, m: &MessageRow) -> Result<MessageView> {
        let dir = Directory::load(conn, &actor.practice_id).await?;
        let entries = store::entries(conn, &actor.practice_id, &m.id).await?;
        let ids: Vec<String> = m.patient_id.iter().cloned().collect();
        let patients = patient_summaries(conn, &actor.practice_id, &ids).await?;
        let name = m.patient_id.as_ref().and_then(|p| patients.get(p)).map(patient_display);
        Ok(view(m, &dir, name, &entries, actor.timezone, self.now()))
    }

    /// Moves a message to a status (acknowledged, in progress, waiting on patient, done, or
    /// reopened). Acknowledging a message nobody holds hands it to the one who acknowledged.
    pub async fn change_message_status(&self, actor: &Actor, message_id: &str, status: &str) -> Result<MessageView> {
        self.authorize(actor, Action::WorkMessages, None).await?;
        let to = MessageStatus::parse(status).map_err(|m| ValidationErrors::single("status", m))?;
        self.update_message(actor, message_id, "message.status", |m, actor, now| {
            let from = MessageStatus::parse(&m.status).map_err(|e| AppError::Internal(e.to_string()))?;
            if !from.may_become(to) {
                return Err(
                    ValidationErrors::single("status", format!("a message that is {} cannot become {}", from.label(), to.label())).into()
                );
            }
            if !from.is_acknowledged() {
                m.acknowledged_at = Some(now.to_string());
                m.acknowledged_by = Some(actor.user_id.clone());
                if m.assigned_user_id.is_none() {
                    m.assigned_user_id = Some(actor.user_id.clone());
                }
            }
            m.done_at = (to == MessageStatus::Done).then(|| now.to_string());
            m.status = to.as_str().into();
            Ok(format!("{} marked it {}.", actor.display_name, to.label().to_lowercase()))
        })
        .await
    }

    /// Acknowledges a message: "I have it". The same as moving a new message to acknowledged.
    pub async fn acknowledge_message(&self, actor: &Actor, message_id: &str) -> Result<MessageView> {
        self.change_message_status(actor, message_id, MessageStatus::Acknowledged.as_str()).await
    }

    /// Adds a reply to the thread (what was said on the callback, what was done); with a status,
    /// moves the message too. A new message is acknowledged by the reply.
    pub async fn reply_to_message(&self, actor: &Actor, message_id: &str, body: &str, status: &str) -> Result<MessageView> {
        self.authorize(actor, Action::WorkMessages, None).await?;
        let text = clean(body).unwrap_or_default();
        let mut e = ValidationErrors::new();
        if text.is_empty() {
            e.add("body", "write the reply");
        } else if text.chars().count() > MAX_REPLY_CHARS {
            e.add("body", format!("at most {MAX_REPLY_CHARS} characters"));
        }
        let to = if status.trim().is_empty() { None } else { e.check("status", MessageStatus::parse(status)) };
        if !e.is_empty() {
            return Err(e.into());
        }
        let reply = text.clone();
        self.update_message(actor, message_id, "message.reply", move |m, actor, now| {
            let from = MessageStatus::parse(&m.status).map_err(|e| AppError::Internal(e.to_string()))?;
            let target = match to {
                Some(t) if t != from => Some(t),
                Some(_) => None,
                None if !from.is_acknowledged() => Some(MessageStatus::Acknowledged),
                None => None,
            };
            if let Some(t) = target {
                if !from.may_become(t) {
                    return Err(ValidationErrors::single(
                        "status",
                        format!("a message that is {} cannot become {}", from.label(), t.label()),
                    )
                    .into());
                }
                if !from.is_acknowledged() {
                    m.acknowledged_at = Some(now.to_string());
                    m.acknowledged_by = Some(actor.user_id.clone());
                    if m.assigned_user_id.is_none() {
                        m.assigned_user_id = Some(actor.user_id.clone());
                    }
                }
                m.done_at = (t == MessageStatus::Done).then(|| now.to_string());
                m.status = t.as_str().into();
            }
            Ok(format!("\u{1}{reply}"))
        })
        .await
    }

    /// Hands a message to a person (`user:<username>` or a bare username) or an inbox key. An
    /// escalation stays as it was; the thread says who moved it where.
    pub async fn reassign_message(&self, actor: &Actor, message_id: &str, to: &str) -> Result<MessageView> {
        self.authorize(actor, Action::WorkMessages, None).await?;
        let target = to.trim().to_string();
        if target.is_empty() {
            return Err(ValidationErrors::single("to", "choose a person or an inbox").into());
        }
        let practice_id = actor.practice_id.clone();
        let dir = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            Directory::load(&mut conn, &practice_id).await?
        };
        enum To {
            User(UserRow),
            Inbox(Inbox),
        }
        let dest = match Inbox::parse(&target) {
            Ok(Inbox::Provider(p)) if !dir.providers.contains_key(&p) => {
                return Err(ValidationErrors::single("to", "no such provider").into());
            }
            Ok(i) => To::Inbox(i),
            Err(_) => match dir.by_username(target.strip_prefix("user:").unwrap_or(&target)) {
                Some(u) if self.may_work(&dir, u) => To::User(u.clone()),
                _ => return Err(ValidationErrors::single("to", "no active staff member who works messages has that username").into()),
            },
        };
        let home = |m: &MessageRow, u: &UserRow| -> String {
            let routed = Inbox::parse(&m.inbox).unwrap_or(Inbox::Scheduling);
            self.home_inbox(&dir, u, &routed).key()
        };
        let labels: (String, String) = match &dest {
            To::User(u) => (u.display_name.clone(), String::new()),
            To::Inbox(i) => (String::new(), dir.inbox_label(&i.key())),
        };
        self.update_message(actor, message_id, "message.reassign", |m, actor, _now| match &dest {
            To::User(u) => {
                m.inbox = home(m, u);
                m.assigned_user_id = Some(u.id.clone());
                Ok(format!("{} handed it to {}.", actor.display_name, labels.0))
            }
            To::Inbox(i) => {
                m.inbox = i.key();
                m.assigned_user_id = None;
                Ok(format!("{} moved it to the {} inbox.", actor.display_name, labels.1))
            }
        })
        .await
    }

    /// Reads, changes (through `change`, which returns the thread text: an event, or a reply when
    /// it starts with `\u{1}`), writes with the version check, appends the thread entry and the
    /// audit record: one transaction.
    async fn update_message<F>(&self, actor: &Actor, message_id: &str, action: &str, change: F) -> Result<MessageView>
    where
        F: FnOnce(&mut MessageRow, &Actor, &str) -> Result<String>,
    {
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let mut m = store::get_message(&mut tx, practice_id, message_id).await?;
        let now = self.now_text();
        let text = change(&mut m, actor, &now)?;
        m.updated_at = now;
        m.version += 1;
        store::update_message(&mut tx, &m).await.map_err(stale)?;
        let (kind, body) = match text.strip_prefix('\u{1}') {
            Some(reply) => ("reply", reply.to_string()),
            None => ("event", text),
        };
        self.append_entry(&mut tx, &m, kind, Some(&actor.user_id), &body).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action,
                patient_id: m.patient_id.as_deref(),
                record_type: "phone_message",
                record_id: Some(&m.id),
                detail: format!("status {} inbox {} level {}", m.status, m.inbox, m.escalation_level),
            },
        )
        .await?;
        let v = self.full_view(&mut tx, actor, &m).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Escalates every practice's unacknowledged urgent messages due at `now` (the CLI's
    /// `medoffice messages escalate`, and each inbox load for its own practice). Returns how many
    /// messages moved up a level.
    pub async fn escalate_due(&self, now: DateTime<Utc>) -> Result<usize> {
        let practices = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            medoffice_store::practice::list(&mut conn).await?
        };
        let mut n = 0;
        for p in practices {
            n += self.escalate_due_in(&p.id, now).await?;
        }
        Ok(n)
    }

    /// The escalation of one practice at `now`, in one transaction: each message to the level
    /// `domain::messages::escalation_level` gives it, with a thread entry and an audit record.
    pub async fn escalate_due_in(&self, practice_id: &str, now: DateTime<Utc>) -> Result<usize> {
        let mut tx = self.store.begin().await?;
        let due = store::due_for_escalation(&mut tx, practice_id, &timestamp(now)).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let (settings, _) = settings_of(store::get_settings(&mut tx, practice_id).await?.as_ref());
        let dir = Directory::load(&mut tx, practice_id).await?;
        let mut moved = 0;
        for mut m in due {
            let (Ok(urgency), Ok(status), Ok(deadline)) =
                (Urgency::parse(&m.urgency), MessageStatus::parse(&m.status), DateTime::parse_from_rfc3339(&m.deadline_at))
            else {
                continue;
            };
            let level = rules::escalation_level(urgency, status, deadline.with_timezone(&Utc), now, &settings);
            if level <= m.escalation_level {
                continue;
            }
            m.escalation_level = level;
            m.escalated_at = Some(timestamp(now));
            m.updated_at = timestamp(now);
            m.version += 1;
            store::update_message(&mut tx, &m).await.map_err(stale)?;
            let text = if level == 1 {
                format!("Not acknowledged by its deadline: escalated to everyone in the {} inbox.", dir.inbox_label(&m.inbox))
            } else {
                "Still not acknowledged: escalated to the office manager.".to_string()
            };
            store::append_entry(
                &mut tx,
                &MessageEntryRow {
                    practice_id: practice_id.into(),
                    message_id: m.id.clone(),
                    seq: 0,
                    kind: "event".into(),
                    at: timestamp(now),
                    user_id: None,
                    body: text,
                },
            )
            .await?;
            self.append_audit(
                &mut tx,
                NewAuditEvent {
                    practice_id: practice_id.into(),
                    at: timestamp(self.now()),
                    user_id: None,
                    username: ESCALATION_RUNNER.into(),
                    action: "message.escalate".into(),
                    patient_id: m.patient_id.clone(),
                    record_type: "phone_message".into(),
                    record_id: Some(m.id.clone()),
                    ip: None,
                    outcome: "success".into(),
                    detail: format!("level {level}"),
                },
            )
            .await?;
            moved += 1;
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// Open messages past their callback deadline, most overdue first: the office manager's late
    /// view. Runs the escalation first. Audited.
    pub async fn late_messages(&self, actor: &Actor) -> Result<Vec<MessageView>> {
        self.authorize(actor, Action::ManageMessageRules, None).await?;
        self.escalate_due_in(&actor.practice_id, self.now()).await?;
        let mut tx = self.store.begin().await?;
        let dir = Directory::load(&mut tx, &actor.practice_id).await?;
        let rows = store::late(&mut tx, &actor.practice_id, &self.now_text()).await?;
        let views = self.views_of(&mut tx, actor, &rows, &dir).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "message.late",
                patient_id: None,
                record_type: "phone_message",
                record_id: None,
                detail: format!("{} late", rows.len()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(views)
    }

    /// Messages by assignee (a username), inbox and status, urgent first then oldest (the API's
    /// list). Audited.
    pub async fn list_messages(&self, actor: &Actor, assigned_to: &str, inbox: &str, status: &str) -> Result<Vec<MessageView>> {
        self.authorize(actor, Action::WorkMessages, None).await?;
        let mut e = ValidationErrors::new();
        if !status.trim().is_empty() {
            e.check("status", MessageStatus::parse(status));
        }
        if !inbox.trim().is_empty() {
            e.check("inbox", Inbox::parse(inbox));
        }
        if !e.is_empty() {
            return Err(e.into());
        }
        let mut tx = self.store.begin().await?;
        let dir = Directory::load(&mut tx, &actor.practice_id).await?;
        let user_id = if assigned_to.trim().is_empty() {
            String::new()
        } else {
            match dir.by_username(assigned_to) {
                Some(u) => u.id.clone(),
                None => return Err(ValidationErrors::single("assigned_to", "no active staff member has that username").into()),
            }
        };
        let rows = store::list_messages(&mut tx, &actor.practice_id, &user_id, inbox.trim(), status.trim()).await?;
        let views = self.views_of(&mut tx, actor, &rows, &dir).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "message.list",
                patient_id: None,
                record_type: "phone_message",
                record_id: None,
                detail: format!("{} message(s)", rows.len()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(views)
    }

    /// A patient's messages, newest first (the chart). Audited as a read of the patient.
    pub async fn patient_messages(&self, actor: &Actor, patient_id: &str) -> Result<Vec<MessageView>> {
        self.authorize(actor, Action::WorkMessages, Some(patient_id)).await?;
        let mut tx = self.store.begin().await?;
        let dir = Directory::load(&mut tx, &actor.practice_id).await?;
        let rows = store::patient_messages(&mut tx, &actor.practice_id, patient_id).await?;
        let views = self.views_of(&mut tx, actor, &rows, &dir).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "message.patient",
                patient_id: Some(patient_id),
                record_type: "phone_message",
                record_id: None,
                detail: format!("{} message(s)", rows.len()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(views)
    }

    /// The people and inboxes a message can be handed to.
    pub async fn message_targets(&self, actor: &Actor) -> Result<Vec<Target>> {
        self.authorize(actor, Action::WorkMessages, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let dir = Directory::load(&mut conn, &actor.practice_id).await?;
        let mut out: Vec<Target> = [Inbox::Nurse, Inbox::Scheduling, Inbox::Billing]
            .iter()
            .map(|i| Target { value: i.key(), label: format!("{} inbox", i.label()) })
            .collect();
        let mut providers: Vec<(&String, &String)> = dir.providers.iter().collect();
        providers.sort_by(|a, b| a.1.cmp(b.1));
        out.extend(
            providers.into_iter().map(|(id, name)| Target { value: Inbox::Provider(id.clone()).key(), label: format!("{name}: inbox") }),
        );
        let mut users: Vec<&UserRow> = dir.users.values().filter(|u| u.disabled_at.is_none() && self.may_work(&dir, u)).collect();
        users.sort_by(|a, b| a.display_name.cmp(&b.display_name));
        out.extend(
            users
                .into_iter()
                .map(|u| Target { value: format!("user:{}", u.username), label: format!("{} ({})", u.display_name, u.username) }),
        );
        Ok(out)
    }

    // -----------------------------------------------------------------------------------------
    // The office manager's settings
    // -----------------------------------------------------------------------------------------

    /// The rules in force (each key's newest version), in order.
    pub async fn triage_rules(&self, actor: &Actor) -> Result<Vec<TriageRuleView>> {
        self.authorize(actor, Action::ManageMessageRules, None).await?;
        let mut tx = self.store.begin().await?;
        self.ensure_triage_rules(&mut tx, &actor.practice_id).await?;
        let rows = store::current_rules(&mut tx, &actor.practice_id).await?;
        tx.commit().await?;
        Ok(rows
            .iter()
            .map(|r| TriageRuleView {
                key: r.rule_key.clone(),
                version: r.version,
                name: r.name.clone(),
                kind: r.kind.clone(),
                terms: r.terms.clone(),
                instruction: r.instruction.clone(),
                active: r.active == 1,
                edited: r.created_by.is_some(),
            })
            .collect())
    }

    /// Saves a rule: a new rule (blank key) or the next version of an existing one. Audited.
    pub async fn save_triage_rule(&self, actor: &Actor, input: &TriageRuleInput) -> Result<TriageRuleView> {
        self.authorize(actor, Action::ManageMessageRules, None).await?;
        let mut e = ValidationErrors::new();
        let name = clean(&input.name);
        match &name {
            None => e.add("name", "name the rule"),
            Some(n) if n.chars().count() > 120 => e.add("name", "at most 120 characters"),
            _ => {}
        }
        let trigger = e.check("terms", Trigger::parse(&input.kind, &input.terms));
        let instruction = clean(&input.instruction);
        match &instruction {
            None => e.add("instruction", "say what the receptionist does, e.g. Put the call through to the nurse now."),
            Some(i) if i.chars().count() > 500 => e.add("instruction", "at most 500 characters"),
            _ => {}
        }
        let (Some(name), Some(trigger), Some(instruction)) = (name, trigger, instruction) else {
            return Err(e.into());
        };
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        self.ensure_triage_rules(&mut tx, practice_id).await?;
        let current = store::current_rules(&mut tx, practice_id).await?;
        let key = input.key.trim();
        let (key, version, position) = if key.is_empty() {
            let position = current.iter().map(|r| r.position).max().unwrap_or(0) + 10;
            (format!("rule_{}", &new_id()[..8].replace('-', "")), 1, position)
        } else {
            match current.iter().find(|r| r.rule_key == key) {
                Some(r) => (r.rule_key.clone(), r.version + 1, r.position),
                None => return Err(AppError::NotFound("triage rule")),
            }
        };
        let row = TriageRuleRow {
            practice_id: practice_id.into(),
            rule_key: key,
            version,
            position,
            name,
            kind: trigger.kind().into(),
            terms: trigger.terms_text(),
            instruction,
            active: i64::from(input.active),
            created_by: Some(actor.user_id.clone()),
            created_at: self.now_text(),
        };
        store::insert_rule(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "message.rule.save",
                patient_id: None,
                record_type: "triage_rule",
                record_id: Some(&row.rule_key),
                detail: format!("version {} {}", row.version, if row.active == 1 { "active" } else { "off" }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(TriageRuleView {
            key: row.rule_key,
            version: row.version,
            name: row.name,
            kind: row.kind,
            terms: row.terms,
            instruction: row.instruction,
            active: row.active == 1,
            edited: true,
        })
    }

    /// The callback deadline settings.
    pub async fn message_settings(&self, actor: &Actor) -> Result<MessageSettingsView> {
        self.authorize(actor, Action::ManageMessageRules, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let (s, discharge) = settings_of(store::get_settings(&mut conn, &actor.practice_id).await?.as_ref());
        Ok(MessageSettingsView {
            urgent_minutes: s.urgent_minutes,
            escalation_minutes: s.escalation_minutes,
            routine_business_days: i64::from(s.routine_business_days),
            close_time: s.close_time.format("%H:%M").to_string(),
            workdays: s.workdays_text(),
            discharge_window_days: discharge,
        })
    }

    /// Saves the callback deadline settings (applies to messages taken from now on). Audited.
    pub async fn save_message_settings(&self, actor: &Actor, input: &MessageSettingsInput) -> Result<MessageSettingsView> {
        self.authorize(actor, Action::ManageMessageRules, None).await?;
        let mut e = ValidationErrors::new();
        let number = |e: &mut ValidationErrors, field: &str, text: &str, max: i64| -> Option<i64> {
            e.check(
                field,
                text.trim().parse::<i64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| format!("a whole number from 1 to {max}")),
            )
        };
        let urgent = number(&mut e, "urgent_minutes", &input.urgent_minutes, 24 * 60);
        let escalation = number(&mut e, "escalation_minutes", &input.escalation_minutes, 24 * 60);
        let days = number(&mut e, "routine_business_days", &input.routine_business_days, 10);
        let discharge = number(&mut e, "discharge_window_days", &input.discharge_window_days, 90);
        let close = e.check(
            "close_time",
            NaiveTime::parse_from_str(input.close_time.trim(), "%H:%M").map_err(|_| "a time such as 17:00".to_string()),
        );
        let workdays = e.check("workdays", DeadlineSettings::parse_workdays(&input.workdays));
        let (Some(urgent), Some(escalation), Some(days), Some(discharge), Some(close), Some(workdays)) =
            (urgent, escalation, days, discharge, close, workdays)
        else {
            return Err(e.into());
        };
        let s = DeadlineSettings {
            urgent_minutes: urgent,
            escalation_minutes: escalation,
            routine_business_days: 1,
            close_time: close,
            workdays,
        };
        let row = MessageSettingsRow {
            practice_id: actor.practice_id.clone(),
            urgent_minutes: urgent,
            escalation_minutes: escalation,
            routine_business_days: days,
            close_time: close.format("%H:%M").to_string(),
            workdays: s.workdays_text(),
            discharge_window_days: discharge,
            updated_by: actor.user_id.clone(),
            updated_at: self.now_text(),
        };
        let mut tx = self.store.begin().await?;
        store::save_settings(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "message.settings",
                patient_id: None,
                record_type: "message_settings",
                record_id: None,
                detail: format!("urgent {urgent} min, escalation {escalation} min, routine {days} day(s) by {}", row.close_time),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(MessageSettingsView {
            urgent_minutes: urgent,
            escalation_minutes: escalation,
            routine_business_days: days,
            close_time: row.close_time,
            workdays: row.workdays,
            discharge_window_days: discharge,
        })
    }

    /// The inboxes with their members by role and by name.
    pub async fn inbox_memberships(&self, actor: &Actor) -> Result<Vec<InboxMembersView>> {
        self.authorize(actor, Action::ManageMessageRules, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let dir = Directory::load(&mut conn, &actor.practice_id).await?;
        let mut keys: Vec<String> = vec![Inbox::Nurse.key(), Inbox::Scheduling.key(), Inbox::Billing.key()];
        let mut providers: Vec<(&String, &String)> = dir.providers.iter().collect();
        providers.sort_by(|a, b| a.1.cmp(b.1));
        keys.extend(providers.iter().map(|(id, _)| Inbox::Provider((*id).clone()).key()));
        let mut out = Vec::new();
        for key in keys {
            let mut by_role: Vec<String> = dir
                .users
                .values()
                .filter(|u| u.disabled_at.is_none())
                .filter(|u| dir.user_role(u).is_some_and(|r| role_inboxes(r, &u.id, &dir.provider_of_user).contains(&key)))
                .map(|u| u.display_name.clone())
                .collect();
            by_role.sort();
            let mut members: Vec<(String, String)> = dir
                .members
                .iter()
                .filter(|(i, _)| *i == key)
                .filter_map(|(_, u)| dir.users.get(u).map(|u| (u.username.clone(), u.display_name.clone())))
                .collect();
            members.sort();
            out.push(InboxMembersView { label: dir.inbox_label(&key), inbox: key, by_role, members });
        }
        Ok(out)
    }

    /// Adds (or with `add` false removes) a named member of an inbox. Audited.
    pub async fn set_inbox_member(&self, actor: &Actor, inbox: &str, username: &str, add: bool) -> Result<()> {
        self.authorize(actor, Action::ManageMessageRules, None).await?;
        let mut e = ValidationErrors::new();
        let inbox = e.check("inbox", Inbox::parse(inbox));
        let mut tx = self.store.begin().await?;
        let dir = Directory::load(&mut tx, &actor.practice_id).await?;
        let user = dir.by_username(username).filter(|u| self.may_work(&dir, u)).cloned();
        if user.is_none() {
            e.add("username", "no active staff member who works messages has that username");
        }
        let (Some(inbox), Some(user)) = (inbox, user) else {
            return Err(e.into());
        };
        if add {
            store::add_inbox_member(&mut tx, &actor.practice_id, &inbox.key(), &user.id, &self.now_text()).await?;
        } else {
            store::remove_inbox_member(&mut tx, &actor.practice_id, &inbox.key(), &user.id).await?;
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: if add { "message.inbox.add" } else { "message.inbox.remove" },
                patient_id: None,
                record_type: "message_inbox_member",
                record_id: Some(&user.id),
                detail: inbox.key(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // The directory
    // -----------------------------------------------------------------------------------------

    /// The practice's contacts whose name, kind or notes contain the words, by name.
    pub async fn directory(&self, actor: &Actor, query: &str) -> Result<Vec<ContactView>> {
        self.authorize(actor, Action::TakeMessages, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let words: String = query.trim().to_lowercase().chars().take(100).collect();
        Ok(store::list_contacts(&mut conn, &actor.practice_id, &words).await?.iter().map(contact_view).collect())
    }

    /// One contact.
    pub async fn directory_contact(&self, actor: &Actor, id: &str) -> Result<ContactView> {
        self.authorize(actor, Action::TakeMessages, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(contact_view(&store::get_contact(&mut conn, &actor.practice_id, id).await?))
    }

    /// Adds a contact (no id) or rewrites one. Audited.
    pub async fn save_contact(&self, actor: &Actor, id: Option<&str>, input: &ContactInput) -> Result<ContactView> {
        self.authorize(actor, Action::ManageDirectory, None).await?;
        let mut e = ValidationErrors::new();
        let name = clean(&input.name);
        match &name {
            None => e.add("name", "give the contact's name"),
            Some(n) if n.chars().count() > 200 => e.add("name", "at most 200 characters"),
            _ => {}
        }
        let kind = input.kind.trim();
        if !CONTACT_KINDS.iter().any(|(k, _)| *k == kind) {
            e.add("kind", "choose the kind of contact");
        }
        let phone = if input.phone.trim().is_empty() {
            Some(None)
        } else {
            e.check("phone", Phone::parse(&input.phone).map(|p| Some(p.digits().to_string())))
        };
        let fax = if input.fax.trim().is_empty() {
            Some(None)
        } else {
            e.check("fax", Phone::parse(&input.fax).map(|p| Some(p.digits().to_string())))
        };
        let notes = input.notes.trim();
        if notes.chars().count() > 2000 {
            e.add("notes", "at most 2000 characters");
        }
        let (Some(name), Some(phone), Some(fax)) = (name, phone, fax) else {
            return Err(e.into());
        };
        if !e.is_empty() {
            return Err(e.into());
        }
        let now = self.now_text();
        let mut tx = self.store.begin().await?;
        let row = match id {
            Some(id) => {
                let before = store::get_contact(&mut tx, &actor.practice_id, id).await?;
                DirectoryContactRow {
                    name,
                    kind: kind.into(),
                    phone,
                    fax,
                    notes: (!notes.is_empty()).then(|| notes.into()),
                    updated_at: now,
                    ..before
                }
            }
            None => DirectoryContactRow {
                practice_id: actor.practice_id.clone(),
                id: new_id(),
                name,
                kind: kind.into(),
                phone,
                fax,
                notes: (!notes.is_empty()).then(|| notes.into()),
                created_at: now.clone(),
                updated_at: now,
            },
        };
        if id.is_some() {
            store::update_contact(&mut tx, &row).await?;
        } else {
            store::insert_contact(&mut tx, &row).await?;
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: if id.is_some() { "directory.update" } else { "directory.create" },
                patient_id: None,
                record_type: "directory_contact",
                record_id: Some(&row.id),
                detail: row.name.clone(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(contact_view(&row))
    }
}

fn contact_view(c: &DirectoryContactRow) -> ContactView {
    ContactView {
        id: c.id.clone(),
        name: c.name.clone(),
        kind: c.kind.clone(),
        kind_label: contact_kind_label(&c.kind).into(),
        phone: c.phone.as_deref().map(phone_text),
        fax: c.fax.as_deref().map(phone_text),
        notes: c.notes.clone(),
    }
}

impl App {
    /// The demo practice's telephone directory and a morning's calls, taken by the front desk
    /// through the call pad's use case (triaged, routed and audited like any other).
    pub(crate) async fn demo_messages(&self) -> Result<usize> {
        let (desk, doctor) = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            let desk_user = medoffice_store::users::find_by_username(&mut conn, "frontdesk")
                .await?
                .into_iter()
                .next()
                .ok_or(AppError::NotFound("user"))?;
            let doctor_user = medoffice_store::users::find_by_username(&mut conn, "doctor")
                .await?
                .into_iter()
                .next()
                .ok_or(AppError::NotFound("user"))?;
            (self.actor_for(&mut conn, &desk_user, None).await?, self.actor_for(&mut conn, &doctor_user, None).await?)
        };
        let contacts = [
            ("Albany Medical Center: emergency department", "hospital", "518-555-0110", "Ask for the charge nurse"),
            ("Capital Region Laboratory", "lab", "518-555-0120", "Results line; fax orders to 518-555-0121"),
            ("Riverside Pharmacy", "pharmacy", "518-555-0130", "Pharmacist on duty until 9 pm"),
            ("Empire Cardiology Associates", "practice", "518-555-0140", "Referral coordinator: Maria"),
            ("Blue Shield provider services", "payer", "800-555-0150", "Have the NPI and member id ready"),
        ];
        for (name, kind, phone, notes) in contacts {
            self.save_contact(
                &desk,
                None,
                &ContactInput { name: name.into(), kind: kind.into(), phone: phone.into(), notes: notes.into(), ..Default::default() },
            )
            .await?;
        }
        // The demo's doctor is not linked to a provider record: the office manager names them in
        // every provider's inbox, so refills reach someone.
        {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            let admin_user =
                medoffice_store::users::find_by_username(&mut conn, "admin").await?.into_iter().next().ok_or(AppError::NotFound("user"))?;
            let admin = self.actor_for(&mut conn, &admin_user, None).await?;
            drop(conn);
            for provider in self.list_providers(&admin).await? {
                self.set_inbox_member(&admin, &Inbox::Provider(provider.id).key(), "doctor", true).await?;
            }
        }
        let patients = self.recent_patients(&desk, 6).await?;
        let mut taken = 0;
        let mut calls: Vec<NewMessage> = Vec::new();
        if let Some(p) = patients.first() {
            calls.push(NewMessage {
                patient_id: p.id.clone(),
                reason: "refill".into(),
                body: "Needs a refill of lisinopril 10 mg; out on Friday. Uses Riverside Pharmacy.".into(),
                voicemail_ok: true,
                ..Default::default()
            });
        }
        if let Some(p) = patients.get(1) {
            calls.push(NewMessage {
                patient_id: p.id.clone(),
                reason: "billing".into(),
                body: "Asks why the statement shows $40 after insurance paid.".into(),
                ..Default::default()
            });
        }
        if let Some(p) = patients.get(2) {
            calls.push(NewMessage {
                patient_id: p.id.clone(),
                reason: "test_results".into(),
                body: "Wants the results of last week's blood work.".into(),
                voicemail_ok: true,
                ..Default::default()
            });
        }
        calls.push(NewMessage {
            caller_name: "Dana, Riverside Pharmacy".into(),
            caller_kind: "pharmacy".into(),
            callback_phone: "518-555-0130".into(),
            reason: "refill".into(),
            body: "Prior authorization needed for a patient's inhaler; please call back.".into(),
            ..Default::default()
        });
        let mut urgent_id = None;
        if let Some(p) = patients.get(3) {
            let m = self
                .take_message(
                    &desk,
                    &NewMessage {
                        patient_id: p.id.clone(),
                        callback_phone: "518-555-0161".into(),
                        body: "Daughter says her father was discharged from Albany Med yesterday and is more short of breath tonight."
                            .into(),
                        recently_discharged: true,
                        ..Default::default()
                    },
                )
                .await?;
            urgent_id = Some(m.id);
            taken += 1;
        }
        for (i, mut call) in calls.into_iter().enumerate() {
            if call.callback_phone.is_empty() {
                call.callback_phone = format!("518-555-01{}", 70 + i);
            }
            self.take_message(&desk, &call).await?;
            taken += 1;
        }
        if let Some(id) = urgent_id {
            self.reply_to_message(&doctor, &id, "Spoke with the daughter: told them to go back to the ER now; ER notified.", "in_progress")
                .await?;
        }
        Ok(taken)
    }
}
