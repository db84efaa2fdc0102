//! Telephone messages: what the receptionist takes on the call pad, how urgent it is (triage
//! rules as data), whose inbox it goes to (routing), by when someone must call back (deadlines over
//! business days and holidays) and when an unanswered urgent message escalates.
//!
//! Triage rules are data: the built-in set ([`builtin_rules`], version [`BUILTIN_RULESET_VERSION`])
//! is copied into each practice on first use, and the practice edits its copy; an edit makes a new
//! version of the rule, and a message keeps the rule id and version that fired.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};

/// The version of the built-in rule set shipped with this code.
pub const BUILTIN_RULESET_VERSION: i64 = 1;
/// The longest free text of a message.
pub const MAX_BODY_CHARS: usize = 4000;
/// The most words or phrases one rule may list.
pub const MAX_RULE_TERMS: usize = 100;

/// How soon the message needs a callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Urgency {
    Urgent,
    Routine,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Urgent => "urgent",
            Urgency::Routine => "routine",
        }
    }

    pub fn parse(text: &str) -> Result<Urgency, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "urgent" => Ok(Urgency::Urgent),
            "routine" => Ok(Urgency::Routine),
            other => Err(format!("'{}' is not urgent or routine", short(other))),
        }
    }
}

/// Who is on the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallerKind {
    Patient,
    /// Another doctor's office.
    Practice,
    Hospital,
    Pharmacy,
    Lab,
    /// An insurer (a payer's provider line).
    Payer,
    Other,
}

impl CallerKind {
    pub const ALL: [CallerKind; 7] = [
        CallerKind::Patient,
        CallerKind::Practice,
        CallerKind::Hospital,
        CallerKind::Pharmacy,
        CallerKind::Lab,
        CallerKind::Payer,
        CallerKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallerKind::Patient => "patient",
            CallerKind::Practice => "practice",
            CallerKind::Hospital => "hospital",
            CallerKind::Pharmacy => "pharmacy",
            CallerKind::Lab => "lab",
            CallerKind::Payer => "payer",
            CallerKind::Other => "other",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            CallerKind::Patient => "Patient or family",
            CallerKind::Practice => "Another doctor's office",
            CallerKind::Hospital => "Hospital",
            CallerKind::Pharmacy => "Pharmacy",
            CallerKind::Lab => "Laboratory",
            CallerKind::Payer => "Insurer",
            CallerKind::Other => "Someone else",
        }
    }

    pub fn parse(text: &str) -> Result<CallerKind, String> {
        let t = text.trim().to_ascii_lowercase();
        CallerKind::ALL
            .into_iter()
            .find(|k| k.as_str() == t)
            .ok_or_else(|| format!("'{}' is not one of patient, practice, hospital, pharmacy, lab, payer, other", short(&t)))
    }
}

/// What the call is about; it decides the routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    Clinical,
    Refill,
    Scheduling,
    Billing,
    TestResults,
    Records,
    Other,
}

impl Reason {
    pub const ALL: [Reason; 7] =
        [Reason::Clinical, Reason::Refill, Reason::TestResults, Reason::Scheduling, Reason::Billing, Reason::Records, Reason::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Clinical => "clinical",
            Reason::Refill => "refill",
            Reason::Scheduling => "scheduling",
            Reason::Billing => "billing",
            Reason::TestResults => "test_results",
            Reason::Records => "records",
            Reason::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Reason::Clinical => "Clinical question or symptoms",
            Reason::Refill => "Prescription refill",
            Reason::Scheduling => "Appointment",
            Reason::Billing => "Bill or insurance question",
            Reason::TestResults => "Test results",
            Reason::Records => "Records or forms",
            Reason::Other => "Something else",
        }
    }

    pub fn parse(text: &str) -> Result<Reason, String> {
        let t = text.trim().to_ascii_lowercase();
        Reason::ALL
            .into_iter()
            .find(|r| r.as_str() == t)
            .ok_or_else(|| format!("'{}' is not one of clinical, refill, test_results, scheduling, billing, records, other", short(&t)))
    }

    /// The reason a message's words suggest when the caller gave none (the API, a blank select).
    pub fn guess(text: &str) -> Reason {
        let words = Words::of(text);
        let any = |terms: &[&str]| terms.iter().any(|t| words.find(t).is_some());
        if any(&["refill", "refills", "prescription", "prescriptions", "out of my medication", "renew my medication", "rx"]) {
            Reason::Refill
        } else if any(&["bill", "billing", "statement", "balance", "invoice", "insurance", "payment", "copay", "charge"]) {
            Reason::Billing
        } else if any(&["appointment", "reschedule", "cancel", "book", "schedule"]) {
            Reason::Scheduling
        } else if any(&["results", "lab results", "test results", "blood work"]) {
            Reason::TestResults
        } else if any(&["records", "form", "forms", "fmla", "letter"]) {
            Reason::Records
        } else {
            Reason::Other
        }
    }
}

/// Where a message lives while it waits: a role's inbox. A message may also be assigned to one
/// person, who then holds it; the inbox's members see it again when it escalates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Inbox {
    /// Clinical calls: the practice's nurse inbox (members chosen by the office manager) and the
    /// providers.
    Nurse,
    /// Bills and insurance: the billers and members.
    Billing,
    /// Appointments and anything by hand: the front desk and members.
    Scheduling,
    /// One provider's inbox (refills for their patients): the provider's user and members.
    Provider(String),
}

impl Inbox {
    /// The stored key: `nurse`, `billing`, `scheduling` or `provider:<provider id>`.
    pub fn key(&self) -> String {
        match self {
            Inbox::Nurse => "nurse".into(),
            Inbox::Billing => "billing".into(),
            Inbox::Scheduling => "scheduling".into(),
            Inbox::Provider(id) => format!("provider:{id}"),
        }
    }

    pub fn parse(text: &str) -> Result<Inbox, String> {
        let t = text.trim();
        match t {
            "nurse" => Ok(Inbox::Nurse),
            "billing" => Ok(Inbox::Billing),
            "scheduling" => Ok(Inbox::Scheduling),
            _ => match t.strip_prefix("provider:") {
                Some(id) if !id.is_empty() && id.len() <= 64 => Ok(Inbox::Provider(id.to_string())),
                _ => Err(format!("'{}' is not an inbox: nurse, billing, scheduling or provider:ID", short(t))),
            },
        }
    }

    /// The name shown to people (a provider's inbox is named by the caller).
    pub fn label(&self) -> &'static str {
        match self {
            Inbox::Nurse => "Nurse",
            Inbox::Billing => "Billing",
            Inbox::Scheduling => "Front desk (scheduling)",
            Inbox::Provider(_) => "Provider",
        }
    }
}

/// Where a message goes when nobody chose by hand: urgent calls to the nurse, refills to the
/// patient's provider (the nurse when the patient has none yet), bills to billing, appointments and
/// records to the front desk, clinical questions and results to the nurse, anything else to the
/// front desk, who route it by hand.
pub fn route(reason: Reason, urgency: Urgency, patient_provider_id: Option<&str>) -> Inbox {
    if urgency == Urgency::Urgent {
        return Inbox::Nurse;
    }
    match reason {
        Reason::Refill => patient_provider_id.map(|p| Inbox::Provider(p.to_string())).unwrap_or(Inbox::Nurse),
        Reason::Billing => Inbox::Billing,
        Reason::Scheduling | Reason::Records | Reason::Other => Inbox::Scheduling,
        Reason::Clinical | Reason::TestResults => Inbox::Nurse,
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    New,
    Acknowledged,
    InProgress,
    WaitingOnPatient,
    Done,
}

impl MessageStatus {
    pub const ALL: [MessageStatus; 5] =
        [MessageStatus::New, MessageStatus::Acknowledged, MessageStatus::InProgress, MessageStatus::WaitingOnPatient, MessageStatus::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::New => "new",
            MessageStatus::Acknowledged => "acknowledged",
            MessageStatus::InProgress => "in_progress",
            MessageStatus::WaitingOnPatient => "waiting_on_patient",
            MessageStatus::Done => "done",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MessageStatus::New => "New",
            MessageStatus::Acknowledged => "Acknowledged",
            MessageStatus::InProgress => "In progress",
            MessageStatus::WaitingOnPatient => "Waiting on patient",
            MessageStatus::Done => "Done",
        }
    }

    pub fn parse(text: &str) -> Result<MessageStatus, String> {
        let t = text.trim().to_ascii_lowercase();
        MessageStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == t)
            .ok_or_else(|| format!("'{}' is not one of new, acknowledged, in_progress, waiting_on_patient, done", short(&t)))
    }

    /// Whether a message may move from this status to `to`. Nothing goes back to new (someone
    /// has seen it); a done message may be reopened (in progress).
    pub fn may_become(self, to: MessageStatus) -> bool {
        use MessageStatus::*;
        match (self, to) {
            (a, b) if a == b => false,
            (_, New) => false,
            (Done, InProgress) => true,
            (Done, _) => false,
            (New, _) => true,
            (Acknowledged, _) => true,
            (InProgress, Acknowledged) | (WaitingOnPatient, Acknowledged) => false,
            (InProgress | WaitingOnPatient, _) => true,
        }
    }

    /// Whether someone has taken the message in hand (it no longer escalates).
    pub fn is_acknowledged(self) -> bool {
        self != MessageStatus::New
    }
}

// ---------------------------------------------------------------------------------------------
// Triage
// ---------------------------------------------------------------------------------------------

/// What makes a rule fire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// Any of these words or phrases in the reason or the message, as whole words, not negated
    /// ("no chest pain" does not fire).
    Words(Vec<String>),
    /// The caller is one of these.
    CallerKinds(Vec<CallerKind>),
    /// The receptionist ticked "just discharged from hospital".
    RecentlyDischarged,
}

impl Trigger {
    /// The stored kind: `words`, `caller` or `discharged`.
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::Words(_) => "words",
            Trigger::CallerKinds(_) => "caller",
            Trigger::RecentlyDischarged => "discharged",
        }
    }

    /// The stored terms: one word, phrase or caller kind a line.
    pub fn terms_text(&self) -> String {
        match self {
            Trigger::Words(w) => w.join("\n"),
            Trigger::CallerKinds(k) => k.iter().map(|k| k.as_str()).collect::<Vec<_>>().join("\n"),
            Trigger::RecentlyDischarged => String::new(),
        }
    }

    /// A trigger from its stored (or typed) kind and terms, one a line (commas also separate).
    pub fn parse(kind: &str, terms: &str) -> Result<Trigger, String> {
        let items: Vec<String> = terms
            .split(['\n', ','])
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        if items.len() > MAX_RULE_TERMS {
            return Err(format!("at most {MAX_RULE_TERMS} terms a rule"));
        }
        match kind.trim() {
            "words" => {
                if items.is_empty() {
                    return Err("list at least one word or phrase, one a line".into());
                }
                if let Some(long) = items.iter().find(|t| t.chars().count() > 80) {
                    return Err(format!("'{}' is longer than 80 characters", short(long)));
                }
                Ok(Trigger::Words(items))
            }
            "caller" => {
                if items.is_empty() {
                    return Err("list at least one kind of caller".into());
                }
                items.iter().map(|t| CallerKind::parse(t)).collect::<Result<Vec<_>, _>>().map(Trigger::CallerKinds)
            }
            "discharged" => Ok(Trigger::RecentlyDischarged),
            other => Err(format!("'{}' is not words, caller or discharged", short(other))),
        }
    }
}

/// One triage rule: when it fires, the message is urgent and the receptionist sees the
/// instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriageRule {
    /// Stable id across versions (`chest_pain`).
    pub key: String,
    pub version: i64,
    pub name: String,
    pub trigger: Trigger,
    /// What the receptionist does now, e.g. "Tell the caller to hang up and dial 911."
    pub instruction: String,
}

/// The instruction for a medical emergency.
pub const DIAL_911: &str = "Tell the caller to hang up and dial 911 now.";
/// The instruction for a call a clinician must take at once.
pub const NURSE_NOW: &str = "Put the call through to the nurse now.";

/// The built-in rule set, in the order rules are tried (emergencies first).
pub fn builtin_rules() -> Vec<TriageRule> {
    let words = |list: &[&str]| Trigger::Words(list.iter().map(|s| s.to_string()).collect());
    let rule = |key: &str, name: &str, trigger: Trigger, instruction: &str| TriageRule {
        key: key.into(),
        version: BUILTIN_RULESET_VERSION,
        name: name.into(),
        trigger,
        instruction: instruction.into(),
    };
    vec![
        rule(
            "chest_pain",
            "Chest pain",
            words(&["chest pain", "chest pains", "chest pressure", "chest tightness", "tight chest", "heart attack"]),
            DIAL_911,
        ),
        rule(
            "breathing",
            "Trouble breathing",
            words(&[
                "trouble breathing",
                "difficulty breathing",
                "hard to breathe",
                "can't breathe",
                "cannot breathe",
                "can not breathe",
                "struggling to breathe",
                "shortness of breath",
                "short of breath",
                "not breathing",
                "turning blue",
            ]),
            DIAL_911,
        ),
        rule(
            "stroke",
            "Stroke signs",
            words(&[
                "stroke",
                "face drooping",
                "facial droop",
                "face is drooping",
                "slurred speech",
                "slurring",
                "sudden weakness",
                "numb on one side",
                "weakness on one side",
                "can't move her arm",
                "can't move his arm",
                "can't move my arm",
            ]),
            DIAL_911,
        ),
        rule(
            "bleeding",
            "Bleeding that won't stop",
            words(&[
                "bleeding that won't stop",
                "bleeding won't stop",
                "won't stop bleeding",
                "will not stop bleeding",
                "can't stop the bleeding",
                "bleeding heavily",
                "heavy bleeding",
                "coughing up blood",
                "vomiting blood",
            ]),
            DIAL_911,
        ),
        rule(
            "allergic_reaction",
            "Severe allergic reaction",
            words(&[
                "severe allergic reaction",
                "anaphylaxis",
                "anaphylactic",
                "throat is swelling",
                "throat swelling",
                "throat is closing",
                "tongue swelling",
                "lips swelling",
                "used the epipen",
                "used her epipen",
                "used his epipen",
            ]),
            DIAL_911,
        ),
        rule(
            "unresponsive",
            "Unconscious or seizure",
            words(&["unconscious", "unresponsive", "passed out", "fainted", "seizure", "seizing", "convulsing"]),
            DIAL_911,
        ),
        rule(
            "suicidal",
            "Thoughts of suicide or self-harm",
            words(&[
                "suicidal",
                "suicide",
                "wants to die",
                "want to die",
                "kill myself",
                "killing myself",
                "kill himself",
                "kill herself",
                "end my life",
                "hurt myself",
                "harm myself",
            ]),
            "Keep the caller on the line and put the call through to the nurse or a provider now. If they are in danger now, \
             call 911; the 988 Suicide & Crisis Lifeline answers day and night.",
        ),
        rule(
            "clinician_caller",
            "A hospital or another doctor calling",
            Trigger::CallerKinds(vec![CallerKind::Hospital, CallerKind::Practice]),
            NURSE_NOW,
        ),
        rule("recent_discharge", "Patient just discharged from hospital", Trigger::RecentlyDischarged, NURSE_NOW),
    ]
}

/// What triage looks at.
#[derive(Debug, Clone, Copy)]
pub struct CallFacts<'a> {
    pub caller_kind: CallerKind,
    /// The reason and the message, as typed.
    pub text: &'a str,
    /// Discharged from hospital within the practice's window (a tick on the call pad).
    pub recently_discharged: bool,
}

/// The rule that fired, and what in the call made it fire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriageMatch {
    pub key: String,
    pub version: i64,
    pub name: String,
    pub instruction: String,
    /// The phrase found, the caller kind, or "discharged".
    pub matched: String,
}

/// The first rule, in order, that fires for the call; `None`: routine.
pub fn triage(rules: &[TriageRule], facts: &CallFacts<'_>) -> Option<TriageMatch> {
    let words = Words::of(facts.text);
    rules.iter().find_map(|rule| {
        let matched = match &rule.trigger {
            Trigger::Words(terms) => terms.iter().find(|t| words.find(t).is_some()).cloned(),
            Trigger::CallerKinds(kinds) => kinds.contains(&facts.caller_kind).then(|| facts.caller_kind.as_str().to_string()),
            Trigger::RecentlyDischarged => facts.recently_discharged.then(|| "discharged".to_string()),
        }?;
        Some(TriageMatch {
            key: rule.key.clone(),
            version: rule.version,
            name: rule.name.clone(),
            instruction: rule.instruction.clone(),
            matched,
        })
    })
}

/// Words that negate a phrase when they come shortly before it in the same clause.
const NEGATIONS: [&str; 14] =
    ["no", "not", "denies", "denied", "without", "never", "isnt", "doesnt", "dont", "didnt", "hasnt", "wasnt", "nor", "negative"];
/// How many words before a phrase a negation reaches.
const NEGATION_REACH: usize = 3;

/// A text cut into lower-case words (apostrophes dropped, so "can't" and "cant" are one word), with
/// the clause each word belongs to (punctuation and "but" start a new clause).
struct Words {
    words: Vec<(String, usize)>,
}

impl Words {
    fn of(text: &str) -> Words {
        let mut words = Vec::new();
        let mut clause = 0;
        let mut current = String::new();
        let flush = |current: &mut String, words: &mut Vec<(String, usize)>, clause: &mut usize| {
            if !current.is_empty() {
                if current == "but" {
                    *clause += 1;
                } else {
                    words.push((std::mem::take(current), *clause));
                }
                current.clear();
            }
        };
        for c in text.chars() {
            if c.is_alphanumeric() {
                current.extend(c.to_lowercase());
            } else if c == '\'' || c == '\u{2019}' {
                // "can't" → "cant"
            } else {
                flush(&mut current, &mut words, &mut clause);
                if matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '\n') {
                    clause += 1;
                }
            }
        }
        flush(&mut current, &mut words, &mut clause);
        Words { words }
    }

    /// Where the phrase occurs as whole words and is not negated, if anywhere.
    fn find(&self, phrase: &str) -> Option<usize> {
        let target: Vec<String> = Words::of(phrase).words.into_iter().map(|(w, _)| w).collect();
        if target.is_empty() || target.len() > self.words.len() {
            return None;
        }
        (0..=self.words.len() - target.len()).find(|&start| {
            let same = target.iter().enumerate().all(|(i, t)| self.words[start + i].0 == *t);
            same && !self.negated(start)
        })
    }

    fn negated(&self, start: usize) -> bool {
        let clause = self.words[start].1;
        self.words[start.saturating_sub(NEGATION_REACH)..start].iter().any(|(w, c)| *c == clause && NEGATIONS.contains(&w.as_str()))
    }
}

// ---------------------------------------------------------------------------------------------
// Deadlines and escalation
// ---------------------------------------------------------------------------------------------

/// The practice's callback promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineSettings {
    /// An urgent message is called back within this (30 minutes by default).
    pub urgent_minutes: i64,
    /// After the deadline passes unacknowledged, the second escalation (to the office manager)
    /// comes this much later (30 minutes by default).
    pub escalation_minutes: i64,
    /// A routine message is called back by the end of this many business days after the day it
    /// came in (1: the end of the next business day).
    pub routine_business_days: u32,
    /// When the business day ends, in the practice's time zone.
    pub close_time: NaiveTime,
    /// Open days, Monday first.
    pub workdays: [bool; 7],
}

impl Default for DeadlineSettings {
    fn default() -> Self {
        DeadlineSettings {
            urgent_minutes: 30,
            escalation_minutes: 30,
            routine_business_days: 1,
            close_time: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
            workdays: [true, true, true, true, true, false, false],
        }
    }
}

impl DeadlineSettings {
    /// Whether the practice works on `date` (an open weekday and not a practice holiday).
    pub fn is_business_day(&self, date: NaiveDate, is_holiday: &dyn Fn(NaiveDate) -> bool) -> bool {
        self.workdays[date.weekday().num_days_from_monday() as usize] && !is_holiday(date)
    }

    /// The workdays as stored: `mon,tue,wed,thu,fri`.
    pub fn workdays_text(&self) -> String {
        WEEKDAYS.iter().zip(self.workdays).filter(|(_, open)| *open).map(|((n, _), _)| *n).collect::<Vec<_>>().join(",")
    }

    /// Workdays from their stored or typed form.
    pub fn parse_workdays(text: &str) -> Result<[bool; 7], String> {
        let mut days = [false; 7];
        for part in text.split([',', ' ']).map(|p| p.trim().to_ascii_lowercase()).filter(|p| !p.is_empty()) {
            let i = WEEKDAYS
                .iter()
                .position(|(n, _)| part.starts_with(n))
                .ok_or_else(|| format!("'{}' is not a weekday (mon, tue, ...)", short(&part)))?;
            days[i] = true;
        }
        if !days.iter().any(|d| *d) {
            return Err("the practice needs at least one open weekday".into());
        }
        Ok(days)
    }
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// The callback deadline of a routine message received at `received` (local time): the close of
/// the `routine_business_days`-th business day after the day it came in, skipping closed weekdays
/// and holidays. A message left on Friday is due Monday at close; before a Monday holiday,
/// Tuesday. Searches at most two years ahead (a practice open one day a year is still served).
pub fn routine_deadline(received: NaiveDateTime, settings: &DeadlineSettings, is_holiday: &dyn Fn(NaiveDate) -> bool) -> NaiveDateTime {
    let mut date = received.date();
    let mut left = settings.routine_business_days.max(1);
    for _ in 0..750 {
        let Some(next) = date.succ_opt() else { break };
        date = next;
        if settings.is_business_day(date, is_holiday) {
            left -= 1;
            if left == 0 {
                break;
            }
        }
    }
    date.and_time(settings.close_time)
}

/// The deadline of an urgent message received at `received`.
pub fn urgent_deadline(received: DateTime<Utc>, settings: &DeadlineSettings) -> DateTime<Utc> {
    received + Duration::minutes(settings.urgent_minutes)
}

/// The escalation level an unanswered message should have at `now`: 0 none; 1 its inbox's other
/// members (once the deadline passed unacknowledged); 2 the office manager too (another
/// `escalation_minutes` later). Only urgent messages escalate, and only while still new.
pub fn escalation_level(
    urgency: Urgency,
    status: MessageStatus,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
    settings: &DeadlineSettings,
) -> i64 {
    if urgency != Urgency::Urgent || status.is_acknowledged() || now < deadline {
        0
    } else if now >= deadline + Duration::minutes(settings.escalation_minutes) {
        2
    } else {
        1
    }
}

/// The first 40 characters, for messages that quote what was typed.
fn short(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fired(text: &str) -> Option<String> {
        triage(&builtin_rules(), &CallFacts { caller_kind: CallerKind::Patient, text, recently_discharged: false }).map(|m| m.key)
    }

    fn assert_fires(key: &str, texts: &[&str]) {
        for t in texts {
            assert_eq!(fired(t).as_deref(), Some(key), "{t:?} should fire {key}");
        }
    }

    fn assert_quiet(texts: &[&str]) {
        for t in texts {
            assert_eq!(fired(t), None, "{t:?} should fire nothing");
        }
    }

    #[test]
    fn chest_pain_fires_and_its_negation_or_a_longer_word_does_not() {
        assert_fires(
            "chest_pain",
            &["Has CHEST PAIN since this morning", "chest pains on and off", "feels pressure... chest pressure now"],
        );
        assert_quiet(&["no chest pain, just a cough", "denies chest pain", "painting the chest of drawers", "chestpain"]);
    }

    #[test]
    fn trouble_breathing_fires_in_its_many_forms() {
        assert_fires(
            "breathing",
            &[
                "says she can't breathe",
                "cant breathe well",
                "can’t breathe",
                "short of breath walking",
                "shortness of breath",
                "baby not breathing",
            ],
        );
        assert_quiet(&["breathing is fine now", "no shortness of breath", "no trouble breathing but a sore throat"]);
    }

    #[test]
    fn stroke_signs_fire_but_a_heat_stroke_of_luck_needs_the_word() {
        assert_fires("stroke", &["wife thinks he had a stroke", "face drooping on the left", "slurred speech since lunch"]);
        assert_quiet(&["strokes the cat to calm down", "no slurred speech", "speech therapy appointment"]);
    }

    #[test]
    fn bleeding_that_will_not_stop_fires_and_a_small_cut_does_not() {
        assert_fires("bleeding", &["cut finger, bleeding that won't stop", "nose bleeding wont stop", "coughing up blood"]);
        assert_quiet(&["bleeding stopped after a minute", "no heavy bleeding", "bleeding gums when brushing"]);
    }

    #[test]
    fn a_severe_allergic_reaction_fires() {
        assert_fires(
            "allergic_reaction",
            &["severe allergic reaction to peanuts", "throat is closing up", "anaphylaxis last year, now again"],
        );
        assert_quiet(&["seasonal allergies, needs a refill", "no throat swelling", "allergic reaction mild rash"]);
    }

    #[test]
    fn unconsciousness_or_a_seizure_fires() {
        assert_fires("unresponsive", &["husband passed out", "he is unresponsive", "having a seizure now"]);
        assert_quiet(&["never passed out", "no seizure since March"]);
    }

    #[test]
    fn suicidal_words_fire_with_their_own_instruction() {
        assert_fires("suicidal", &["she is suicidal", "says he wants to die", "I want to kill myself"]);
        assert_quiet(&["not suicidal, asked about sleep", "killed time in the waiting room", "dying to know results"]);
        let m = triage(&builtin_rules(), &CallFacts { caller_kind: CallerKind::Patient, text: "wants to die", recently_discharged: false });
        assert!(m.is_some_and(|m| m.instruction.contains("988")));
    }

    #[test]
    fn a_hospital_or_another_doctor_calling_is_put_through_to_the_nurse() {
        for kind in [CallerKind::Hospital, CallerKind::Practice] {
            let m = triage(&builtin_rules(), &CallFacts { caller_kind: kind, text: "about a shared patient", recently_discharged: false });
            assert_eq!(m.as_ref().map(|m| m.key.as_str()), Some("clinician_caller"));
            assert_eq!(m.map(|m| m.instruction), Some(NURSE_NOW.to_string()));
        }
        for kind in [CallerKind::Patient, CallerKind::Pharmacy, CallerKind::Lab, CallerKind::Payer, CallerKind::Other] {
            assert_eq!(triage(&builtin_rules(), &CallFacts { caller_kind: kind, text: "a question", recently_discharged: false }), None);
        }
    }

    #[test]
    fn a_patient_just_discharged_is_urgent_and_otherwise_not() {
        let rules = builtin_rules();
        let discharged = CallFacts { caller_kind: CallerKind::Patient, text: "follow-up question", recently_discharged: true };
        assert_eq!(triage(&rules, &discharged).map(|m| m.key), Some("recent_discharge".into()));
        assert_eq!(triage(&rules, &CallFacts { recently_discharged: false, ..discharged }), None);
    }

    #[test]
    fn an_emergency_outranks_the_caller_kind() {
        let m = triage(&builtin_rules(), &CallFacts { caller_kind: CallerKind::Hospital, text: "chest pain", recently_discharged: true });
        assert_eq!(m.map(|m| (m.key, m.instruction)), Some(("chest_pain".into(), DIAL_911.into())));
    }

    #[test]
    fn negation_reaches_only_three_words_back_in_the_same_clause() {
        assert_quiet(&["no real chest pain"]);
        assert_eq!(fired("no fever. chest pain started"), Some("chest_pain".into()));
        assert_eq!(fired("no fever but chest pain"), Some("chest_pain".into()));
        assert_eq!(fired("not sure what it is really chest pain"), Some("chest_pain".into()));
    }

    #[test]
    fn every_builtin_rule_has_a_distinct_key_an_instruction_and_the_set_version() {
        let rules = builtin_rules();
        let mut keys: Vec<&str> = rules.iter().map(|r| r.key.as_str()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), rules.len());
        assert!(rules.iter().all(|r| !r.instruction.is_empty() && r.version == BUILTIN_RULESET_VERSION));
    }

    #[test]
    fn a_trigger_reads_back_from_its_stored_form() {
        for rule in builtin_rules() {
            assert_eq!(Trigger::parse(rule.trigger.kind(), &rule.trigger.terms_text()), Ok(rule.trigger.clone()));
        }
        assert!(Trigger::parse("words", "  \n ").is_err());
        assert!(Trigger::parse("caller", "hospital, martian").is_err());
        assert!(Trigger::parse("magic", "x").is_err());
        assert_eq!(Trigger::parse("words", "Chest  Pain, fainting"), Ok(Trigger::Words(vec!["chest pain".into(), "fainting".into()])));
    }

    #[test]
    fn routing_sends_each_reason_to_its_inbox() {
        let p = Some("prov-1");
        assert_eq!(route(Reason::Refill, Urgency::Routine, p), Inbox::Provider("prov-1".into()));
        assert_eq!(route(Reason::Refill, Urgency::Routine, None), Inbox::Nurse);
        assert_eq!(route(Reason::Billing, Urgency::Routine, p), Inbox::Billing);
        assert_eq!(route(Reason::Scheduling, Urgency::Routine, p), Inbox::Scheduling);
        assert_eq!(route(Reason::Records, Urgency::Routine, p), Inbox::Scheduling);
        assert_eq!(route(Reason::Clinical, Urgency::Routine, p), Inbox::Nurse);
        assert_eq!(route(Reason::TestResults, Urgency::Routine, p), Inbox::Nurse);
        assert_eq!(route(Reason::Other, Urgency::Routine, p), Inbox::Scheduling);
        assert_eq!(route(Reason::Billing, Urgency::Urgent, p), Inbox::Nurse, "urgent calls go to the nurse");
    }

    #[test]
    fn a_reason_is_guessed_from_the_words() {
        assert_eq!(Reason::guess("needs a refill of lisinopril"), Reason::Refill);
        assert_eq!(Reason::guess("question about my statement balance"), Reason::Billing);
        assert_eq!(Reason::guess("wants to reschedule Tuesday"), Reason::Scheduling);
        assert_eq!(Reason::guess("calling for lab results"), Reason::TestResults);
        assert_eq!(Reason::guess("hello"), Reason::Other);
    }

    #[test]
    fn inbox_keys_read_back() {
        for inbox in [Inbox::Nurse, Inbox::Billing, Inbox::Scheduling, Inbox::Provider("abc".into())] {
            assert_eq!(Inbox::parse(&inbox.key()), Ok(inbox.clone()));
        }
        assert!(Inbox::parse("provider:").is_err());
        assert!(Inbox::parse("cafeteria").is_err());
    }

    #[test]
    fn statuses_move_forward_and_a_done_message_only_reopens() {
        use MessageStatus::*;
        assert!(New.may_become(Acknowledged) && New.may_become(Done));
        assert!(!Acknowledged.may_become(New));
        assert!(InProgress.may_become(WaitingOnPatient) && WaitingOnPatient.may_become(InProgress));
        assert!(Done.may_become(InProgress) && !Done.may_become(Acknowledged) && !Done.may_become(Done));
        assert!(!New.is_acknowledged() && Acknowledged.is_acknowledged());
    }

    fn at(date: &str, time: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M").unwrap()
    }

    fn no_holidays(_: NaiveDate) -> bool {
        false
    }

    #[test]
    fn a_routine_message_is_due_at_close_of_the_next_business_day() {
        let s = DeadlineSettings::default();
        // Monday 2026-06-15 → Tuesday 17:00.
        assert_eq!(routine_deadline(at("2026-06-15", "09:30"), &s, &no_holidays), at("2026-06-16", "17:00"));
        // Late in the evening counts as the same day.
        assert_eq!(routine_deadline(at("2026-06-15", "23:50"), &s, &no_holidays), at("2026-06-16", "17:00"));
    }

    #[test]
    fn a_routine_message_over_the_weekend_is_due_monday() {
        let s = DeadlineSettings::default();
        assert_eq!(routine_deadline(at("2026-06-19", "16:00"), &s, &no_holidays), at("2026-06-22", "17:00"), "Friday → Monday");
        assert_eq!(routine_deadline(at("2026-06-20", "10:00"), &s, &no_holidays), at("2026-06-22", "17:00"), "Saturday → Monday");
        assert_eq!(routine_deadline(at("2026-06-21", "10:00"), &s, &no_holidays), at("2026-06-22", "17:00"), "Sunday → Monday");
    }

    #[test]
    fn a_practice_holiday_is_skipped() {
        let s = DeadlineSettings::default();
        // Friday 2026-07-03 is the practice's Independence Day holiday: Thursday's message is due Monday.
        let holiday = |d: NaiveDate| d == NaiveDate::from_ymd_opt(2026, 7, 3).unwrap();
        assert_eq!(routine_deadline(at("2026-07-02", "11:00"), &s, &holiday), at("2026-07-06", "17:00"));
        // Friday before a Monday holiday: Tuesday.
        let monday = |d: NaiveDate| d == NaiveDate::from_ymd_opt(2026, 9, 7).unwrap();
        assert_eq!(routine_deadline(at("2026-09-04", "11:00"), &s, &monday), at("2026-09-08", "17:00"));
    }

    #[test]
    fn the_practice_sets_its_own_business_days_and_close() {
        let s = DeadlineSettings {
            routine_business_days: 2,
            close_time: NaiveTime::from_hms_opt(12, 30, 0).unwrap(),
            workdays: DeadlineSettings::parse_workdays("mon,tue,wed,thu,fri,sat").unwrap(),
            ..Default::default()
        };
        assert_eq!(routine_deadline(at("2026-06-19", "09:00"), &s, &no_holidays), at("2026-06-22", "12:30"), "Fri → Sat, Mon");
        assert_eq!(s.workdays_text(), "mon,tue,wed,thu,fri,sat");
        assert!(DeadlineSettings::parse_workdays("").is_err());
        assert!(DeadlineSettings::parse_workdays("funday").is_err());
    }

    #[test]
    fn an_urgent_message_is_due_in_thirty_minutes_and_escalates_twice() {
        let s = DeadlineSettings::default();
        let received = DateTime::parse_from_rfc3339("2026-06-15T16:00:00Z").unwrap().with_timezone(&Utc);
        let deadline = urgent_deadline(received, &s);
        assert_eq!(deadline, received + Duration::minutes(30));
        let level = |minutes: i64, status| escalation_level(Urgency::Urgent, status, deadline, received + Duration::minutes(minutes), &s);
        assert_eq!(level(29, MessageStatus::New), 0);
        assert_eq!(level(30, MessageStatus::New), 1);
        assert_eq!(level(59, MessageStatus::New), 1);
        assert_eq!(level(60, MessageStatus::New), 2);
        assert_eq!(level(90, MessageStatus::Acknowledged), 0, "acknowledged messages do not escalate");
        assert_eq!(escalation_level(Urgency::Routine, MessageStatus::New, deadline, received + Duration::days(3), &s), 0);
    }
}
