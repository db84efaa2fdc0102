//! Eligibility: asking payers whether a patient's coverage is active and what the visit will
//! cost them (a 270 request, for one patient or for a day's schedule), and reading their 271
//! answers into each coverage's history, which the front desk sees at check-in.
//!
//! A request asks about each coverage in force on the date of service; each person asked about
//! gets a trace number (TRN02, counter `eligibility_trace`) by which the answer finds its way back
//! to the patient and the coverage. The file is kept whole (its ISA13/GS06 from the counters
//! `x12_interchange`/`x12_group` claims use too) to be downloaded again. An answer adds a row to
//! the coverage's history; the latest is what check-in shows. An answer whose trace number we did
//! not send is reported, never guessed. The same 271 file imported twice changes nothing.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike, Weekday};
use medoffice_domain::ValidationErrors;
use medoffice_domain::security::Action;
use medoffice_store::eligibility::{self as store, EligibilityRequestRow, EligibilityResultRow, InquiryRow, ResponseFileRow};
use medoffice_store::encounters as encounter_store;
use medoffice_store::patients::{self as patient_store, CoverageWithPayer, PatientRow};
use medoffice_store::{StoreError, code_sets as code_store, new_id, next_counter};
use medoffice_x12::claim837p::{EntityName, Gender, PersonName, is_valid_npi};
use medoffice_x12::eligibility270::{
    self as x270, DependentInquiry, HEALTH_BENEFIT_PLAN_COVERAGE, InformationReceiver, InformationSource, Question, Request270,
    SubscriberInquiry,
};
use medoffice_x12::eligibility271::{self as x271, Coverage as CoverageAnswer, EligibilityResponse};
use medoffice_x12::envelope::{ControlNumbers, Envelope, Usage};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::{Actor, App, AppError, AuditNote, Result};

/// The largest 271 file accepted (a day's answers are well under a megabyte).
pub const MAX_RESPONSE_BYTES: usize = 5 * 1024 * 1024;
/// EQ01/EB03 `98`: professional (physician) visit, office: where the co-pay is said.
const OFFICE_VISIT: &str = "98";

/// What to ask about: one patient (`patient_id`) or a day's schedule (`date`, blank for the next
/// business day).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct EligibilityRequestInput {
    #[serde(default)]
    pub patient_id: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
}

/// A 270 file written.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EligibilityRequestView {
    pub id: String,
    pub request_number: i64,
    /// `patient` or `schedule`.
    pub kind: String,
    pub service_date: String,
    pub file_name: String,
    pub inquiry_count: i64,
    pub interchange_control_number: i64,
    pub created_at: String,
    /// The patients asked about, by name.
    pub patients: Vec<String>,
}

/// What a payer said about one coverage, as check-in shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EligibilityView {
    pub coverage_id: String,
    pub patient_id: String,
    pub trace_number: String,
    /// When the answer was imported (RFC 3339 UTC).
    pub checked_at: String,
    /// The practice's date of `checked_at`.
    pub checked_on: String,
    /// `active`, `inactive` or `unknown`.
    pub status: String,
    pub plan_name: Option<String>,
    pub copay_cents: Option<i64>,
    pub deductible_remaining_cents: Option<i64>,
    /// 2000 is 20%.
    pub coinsurance_basis_points: Option<i64>,
    pub messages: Vec<String>,
    pub rejection: Option<String>,
}

impl EligibilityView {
    /// One line for the desk: "Active · co-pay $25 · deductible left $400 · co-insurance 20% ·
    /// checked Jun 14", or "Inactive · checked Jun 14".
    pub fn summary(&self) -> String {
        let mut parts = vec![match self.status.as_str() {
            "active" => "Active".to_string(),
            "inactive" => "Inactive".to_string(),
            _ => format!("Payer could not answer{}", self.rejection.as_deref().map(|r| format!(": {r}")).unwrap_or_default()),
        }];
        if self.status == "active" {
            if let Some(c) = self.copay_cents {
                parts.push(format!("co-pay {}", dollars(c)));
            }
            if let Some(d) = self.deductible_remaining_cents {
                parts.push(format!("deductible left {}", dollars(d)));
            }
            if let Some(bp) = self.coinsurance_basis_points {
                parts.push(format!("co-insurance {}", percent(bp)));
            }
        }
        let checked = NaiveDate::parse_from_str(&self.checked_on, "%Y-%m-%d").map(|d| d.format("%b %-d").to_string()).unwrap_or_default();
        parts.push(format!("checked {checked}"));
        parts.join(" · ")
    }

    /// Whether the desk should be warned (inactive, or no answer).
    pub fn is_warning(&self) -> bool {
        self.status != "active"
    }
}

/// `$25`, `$25.50`, `$1,400`.
fn dollars(cents: i64) -> String {
    let m = medoffice_domain::money::Money::from_cents(cents).to_string();
    m.strip_suffix(".00").map(str::to_string).unwrap_or(m)
}

/// `20%`, `12.5%`.
fn percent(basis_points: i64) -> String {
    let (whole, hundredths) = (basis_points / 100, basis_points % 100);
    match hundredths {
        0 => format!("{whole}%"),
        h if h % 10 == 0 => format!("{whole}.{}%", h / 10),
        h => format!("{whole}.{h:02}%"),
    }
}

/// A coverage with its latest answer (if any), for the chart and the appointment page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoverageEligibility {
    pub coverage_id: String,
    pub payer_name: String,
    pub member_id: String,
    pub priority: i64,
    /// Whether the coverage is in force today.
    pub in_force: bool,
    pub latest: Option<EligibilityView>,
}

impl CoverageEligibility {
    /// The line shown next to the coverage: the latest answer, or "not checked".
    pub fn summary(&self) -> String {
        self.latest.as_ref().map(EligibilityView::summary).unwrap_or_else(|| "not checked".into())
    }

    /// Whether the line is a warning (inactive or no answer; "not checked" is not).
    pub fn is_warning(&self) -> bool {
        self.latest.as_ref().is_some_and(EligibilityView::is_warning)
    }
}

/// An answer in a 271 that matched none of our requests.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnmatchedAnswer {
    /// The trace numbers it carried (empty when none).
    pub trace_numbers: Vec<String>,
    /// The person it names, `LAST, FIRST`.
    pub name: Option<String>,
    pub member_id: Option<String>,
}

/// The result of importing a 271.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EligibilityImportSummary {
    pub file_id: String,
    /// True when this file was imported before; nothing changed.
    pub duplicate: bool,
    pub matched: i64,
    pub active: i64,
    pub inactive: i64,
    pub unknown: i64,
    pub unmatched: Vec<UnmatchedAnswer>,
    /// Each answer matched, in file order.
    pub results: Vec<EligibilityView>,
}

/// The eligibility page: the latest requests and imported answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EligibilityOverview {
    pub requests: Vec<EligibilityRequestView>,
    pub responses: Vec<ResponseFileView>,
}

/// An imported 271 file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResponseFileView {
    pub id: String,
    pub file_name: String,
    pub matched_count: i64,
    pub unmatched_count: i64,
    pub imported_at: String,
}

/// One coverage to ask about, with whom (which provider's NPI) to ask as.
struct Target {
    patient: PatientRow,
    coverage: CoverageWithPayer,
    provider_id: Option<String>,
}

/// The next day from Monday to Friday after `today` that is not one of the practice's holidays.
pub fn next_business_day(today: NaiveDate, holidays: &[NaiveDate]) -> NaiveDate {
    let mut d = today.succ_opt().unwrap_or(today);
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) || holidays.contains(&d) {
        d = d.succ_opt().unwrap_or(d);
    }
    d
}

fn in_force(c: &CoverageWithPayer, date: &str) -> bool {
    c.coverage.start_date.as_str() <= date && c.coverage.end_date.as_deref().is_none_or(|end| date <= end)
}

fn gender(sex: Option<&str>) -> Option<Gender> {
    match sex? {
        "female" | "F" | "f" => Some(Gender::Female),
        "male" | "M" | "m" => Some(Gender::Male),
        _ => Some(Gender::Unknown),
    }
}

fn person(last: &str, first: &str, middle: Option<&str>, suffix: Option<&str>) -> PersonName {
    PersonName {
        last: last.to_string(),
        first: first.to_string(),
        middle: middle.map(str::to_string).filter(|s| !s.trim().is_empty()),
        suffix: suffix.map(str::to_string).filter(|s| !s.trim().is_empty()),
    }
}

fn date_of(text: Option<&str>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text?, "%Y-%m-%d").ok()
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

fn view_of_request(r: &EligibilityRequestRow, patients: Vec<String>) -> EligibilityRequestView {
    EligibilityRequestView {
        id: r.id.clone(),
        request_number: r.request_number,
        kind: r.kind.clone(),
        service_date: r.service_date.clone(),
        file_name: r.file_name.clone(),
        inquiry_count: r.inquiry_count,
        interchange_control_number: r.interchange_control_number,
        created_at: r.created_at.clone(),
        patients,
    }
}

fn view_of_result(r: &EligibilityResultRow, tz: chrono_tz::Tz) -> EligibilityView {
    let checked_on = chrono::DateTime::parse_from_rfc3339(&r.checked_at)
        .map(|t| t.with_timezone(&tz).date_naive().to_string())
        .unwrap_or_else(|_| r.checked_at.chars().take(10).collect());
    EligibilityView {
        coverage_id: r.coverage_id.clone(),
        patient_id: r.patient_id.clone(),
        trace_number: r.trace_number.clone(),
        checked_at: r.checked_at.clone(),
        checked_on,
        status: r.status.clone(),
        plan_name: r.plan_name.clone(),
        copay_cents: r.copay_cents,
        deductible_remaining_cents: r.deductible_remaining_cents,
        coinsurance_basis_points: r.coinsurance_basis_points,
        messages: r.messages.lines().map(str::to_string).filter(|l| !l.is_empty()).collect(),
        rejection: r.rejection.clone(),
    }
}

impl App {
    /// Writes a 270 for one patient (their coverages in force today) or for a day's schedule
    /// (every patient booked that day with a coverage in force; the next business day when no
    /// date is given), stores it and returns it. One transaction; audited per patient.
    pub async fn request_eligibility(&self, actor: &Actor, input: &EligibilityRequestInput) -> Result<EligibilityRequestView> {
        self.authorize(actor, Action::CheckEligibility, None).await?;
        let today = actor.today(self.now());
        let patient_id = input.patient_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let date_text = input.date.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let mut errors = ValidationErrors::new();
        let asked_date = match (patient_id, date_text) {
            (Some(_), Some(_)) => {
                errors.add("date", "ask about one patient or about a day's schedule, not both");
                Some(today)
            }
            (Some(_), None) => Some(today),
            (None, Some(d)) => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap_or_else(|_| {
                errors.add("date", "enter the date as YYYY-MM-DD");
                today
            })),
            // The next business day, once the practice's holidays are read.
            (None, None) => None,
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let mut tx = self.store.begin().await?;
        let practice_id = actor.practice_id.clone();
        let service_date = if let Some(d) = asked_date {
            d
        } else {
            let holidays: Vec<NaiveDate> =
                medoffice_store::scheduling::list_holidays(&mut tx, &practice_id, today, today + chrono::Days::new(31))
                    .await?
                    .iter()
                    .filter_map(|h| NaiveDate::parse_from_str(&h.date, "%Y-%m-%d").ok())
                    .collect();
            next_business_day(today, &holidays)
        };
        let date = service_date.to_string();
        let field = if patient_id.is_some() { "patient_id" } else { "date" };
        let mut targets = Vec::new();
        match patient_id {
            Some(id) => {
                let patient = patient_store::get(&mut tx, &practice_id, id).await?;
                for c in patient_store::coverages_of(&mut tx, &practice_id, id).await? {
                    if in_force(&c, &date) {
                        targets.push(Target { patient: patient.clone(), coverage: c, provider_id: None });
                    }
                }
                if targets.is_empty() {
                    errors.add("patient_id", format!("the patient has no coverage in force on {date}"));
                }
            }
            None => {
                let mut seen: Vec<String> = Vec::new();
                for booked in store::booked_on(&mut tx, &practice_id, &date).await? {
                    if seen.contains(&booked.patient_id) {
                        continue;
                    }
                    seen.push(booked.patient_id.clone());
                    let patient = patient_store::get(&mut tx, &practice_id, &booked.patient_id).await?;
                    for c in patient_store::coverages_of(&mut tx, &practice_id, &booked.patient_id).await? {
                        if in_force(&c, &date) {
                            targets.push(Target { patient: patient.clone(), coverage: c, provider_id: Some(booked.provider_id.clone()) });
                        }
                    }
                }
                if targets.is_empty() {
                    errors.add("date", format!("no patient with a coverage is booked on {date}"));
                }
            }
        }
        let practice = encounter_store::practice_billing(&mut tx, &practice_id).await?;
        let submitter = practice.submitter_id.clone().unwrap_or_default();
        if submitter.trim().is_empty() {
            errors.add(field, "set the practice's submitter id in the billing settings first");
        }
        let providers = medoffice_store::practice::list_providers(&mut tx, &practice_id).await?;
        if !errors.is_empty() {
            return Err(errors.into());
        }

        // Who asks: the practice under its billing NPI, else the patient's provider (or the first
        // provider with a valid NPI for a one-patient request).
        let fallback = providers.iter().find(|p| is_valid_npi(&p.npi));
        let receiver_of = |t: &Target| -> Option<(EntityName, String)> {
            if let Some(npi) = practice.billing_npi.as_deref().filter(|n| is_valid_npi(n)) {
                return Some((EntityName::Organization(practice.name.clone()), npi.to_string()));
            }
            let p = t.provider_id.as_deref().and_then(|id| providers.iter().find(|p| p.id == id)).or(fallback)?;
            Some((EntityName::Person(person(&p.family_name, &p.given_name, None, None)), p.npi.clone()))
        };
        let tax: String = practice.tax_id.clone().unwrap_or_default().chars().filter(char::is_ascii_digit).collect();
        let originator_id = if tax.len() == 9 {
            format!("1{tax}")
        } else {
            format!("9{}", submitter.chars().filter(char::is_ascii_alphanumeric).take(9).collect::<String>().to_ascii_uppercase())
        };

        let mut sources: Vec<InformationSource> = Vec::new();
        let mut inquiries: Vec<(String, &Target)> = Vec::new();
        let mut payer_codes: Vec<String> = Vec::new();
        for t in &targets {
            let Some((receiver_name, npi)) = receiver_of(t) else {
                errors.add(field, "set the practice's billing NPI or a provider's NPI first");
                return Err(errors.into());
            };
            let payer = code_store::get_payer(&mut tx, &practice_id, &t.coverage.coverage.payer_id).await?;
            let trace = format!("E{:09}", next_counter(&mut tx, &practice_id, "eligibility_trace").await?);
            let question = Question {
                trace_number: trace.clone(),
                originator_id: originator_id.clone(),
                service_date,
                service_types: vec![HEALTH_BENEFIT_PLAN_COVERAGE.into()],
            };
            let p = &t.patient;
            let c = &t.coverage.coverage;
            let patient_name = person(&p.family_name, &p.given_name, p.middle_name.as_deref(), p.suffix.as_deref());
            let subscriber = if c.relationship_to_subscriber == "self" {
                SubscriberInquiry {
                    name: patient_name,
                    member_id: c.member_id.clone(),
                    birth_date: date_of(Some(&p.birth_date)),
                    gender: gender(Some(&p.sex)),
                    question: Some(question),
                    dependent: None,
                }
            } else {
                SubscriberInquiry {
                    name: person(
                        c.subscriber_family_name.as_deref().unwrap_or(""),
                        c.subscriber_given_name.as_deref().unwrap_or(""),
                        None,
                        None,
                    ),
                    member_id: c.member_id.clone(),
                    birth_date: date_of(c.subscriber_birth_date.as_deref()),
                    gender: gender(c.subscriber_sex.as_deref()),
                    question: None,
                    dependent: Some(DependentInquiry {
                        name: patient_name,
                        birth_date: date_of(Some(&p.birth_date)).unwrap_or(service_date),
                        gender: gender(Some(&p.sex)),
                        question,
                    }),
                }
            };
            if !payer_codes.contains(&payer.payer_code) {
                payer_codes.push(payer.payer_code.clone());
            }
            let source = match sources.iter_mut().position(|s| s.payer_id == payer.payer_code) {
                Some(i) => &mut sources[i],
                None => {
                    sources.push(InformationSource {
                        payer_name: payer.name.clone(),
                        payer_id: payer.payer_code.clone(),
                        receivers: Vec::new(),
                    });
                    let last = sources.len() - 1;
                    &mut sources[last]
                }
            };
            match source.receivers.iter_mut().find(|r| r.npi == npi) {
                Some(r) => r.subscribers.push(subscriber),
                None => source.receivers.push(InformationReceiver { name: receiver_name, npi, subscribers: vec![subscriber] }),
            }
            inquiries.push((trace, t));
        }

        // One interchange, to the practice's clearinghouse (Billing settings) as its claims go;
        // without one, to the payer when there is one, else to the generic `CLEARINGHOUSE`.
        let receiver_id = match (&practice.clearinghouse_id, payer_codes.as_slice()) {
            (Some(clearinghouse), _) => clearinghouse.clone(),
            (None, [one]) => one.clone(),
            (None, _) => "CLEARINGHOUSE".to_string(),
        };
        let interchange = next_counter(&mut tx, &practice_id, "x12_interchange").await?;
        let group = next_counter(&mut tx, &practice_id, "x12_group").await?;
        let request_number = next_counter(&mut tx, &practice_id, "eligibility_request").await?;
        let control = ControlNumbers {
            interchange: u32::try_from(interchange).map_err(internal)?,
            group: u32::try_from(group).map_err(internal)?,
            transaction: 1,
        };
        let local = self.now().with_timezone(&actor.timezone).naive_local();
        let created: NaiveDateTime = local.with_second(0).unwrap_or(local);
        let request = Request270 {
            envelope: Envelope {
                sender_qualifier: "ZZ".into(),
                sender_id: submitter.trim().to_string(),
                receiver_qualifier: "ZZ".into(),
                receiver_id: receiver_id.clone(),
                application_sender: submitter.trim().to_string(),
                application_receiver: receiver_id.clone(),
                created,
                acknowledgment_requested: false,
            },
            reference: format!("ELIG{request_number}"),
            sources,
        };
        let usage = if practice.claims_usage == "production" { Usage::Production } else { Usage::Test };
        let content = x270::write_270(&request, &control, usage).map_err(|e| {
            for issue in &e.issues {
                let who = issue
                    .trace_number
                    .as_ref()
                    .and_then(|tr| inquiries.iter().find(|(t, _)| t == tr))
                    .map(|(_, t)| format!("{} {} ({}): ", t.patient.given_name, t.patient.family_name, t.coverage.payer_name))
                    .unwrap_or_default();
                errors.add(field, format!("{who}{}", issue.problem));
            }
            AppError::from(errors.clone())
        })?;
        let id = new_id();
        let row = EligibilityRequestRow {
            practice_id: practice_id.clone(),
            id: id.clone(),
            request_number,
            kind: if patient_id.is_some() { "patient" } else { "schedule" }.into(),
            service_date: date.clone(),
            interchange_control_number: interchange,
            group_control_number: group,
            usage: practice.claims_usage.clone(),
            file_name: format!("270-{request_number:06}-{interchange:09}.x12"),
            content,
            inquiry_count: inquiries.len() as i64,
            created_by: actor.user_id.clone(),
            created_at: self.now_text(),
        };
        store::insert_request(&mut tx, &row).await?;
        let mut names = Vec::new();
        for (trace, t) in &inquiries {
            store::insert_inquiry(
                &mut tx,
                &InquiryRow {
                    practice_id: practice_id.clone(),
                    trace_number: trace.clone(),
                    request_id: id.clone(),
                    patient_id: t.patient.id.clone(),
                    coverage_id: t.coverage.coverage.id.clone(),
                    payer_id: t.coverage.coverage.payer_id.clone(),
                },
            )
            .await?;
            let name = format!("{}, {}", t.patient.family_name, t.patient.given_name);
            if !names.contains(&name) {
                names.push(name);
            }
            self.audit(
                &mut tx,
                actor,
                AuditNote {
                    action: "eligibility.request",
                    patient_id: Some(&t.patient.id),
                    record_type: "eligibility_request",
                    record_id: Some(&id),
                    detail: format!("270 for {} on {date} (trace {trace})", t.coverage.payer_name),
                },
            )
            .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view_of_request(&row, names))
    }

    /// A 270 file's name and content, to download it.
    pub async fn eligibility_request_file(&self, actor: &Actor, request_id: &str) -> Result<(String, String)> {
        self.authorize(actor, Action::CheckEligibility, None).await?;
        let mut tx = self.store.begin().await?;
        let r = store::get_request(&mut tx, &actor.practice_id, request_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "eligibility.request.download",
                patient_id: None,
                record_type: "eligibility_request",
                record_id: Some(request_id),
                detail: format!("{} ({} people)", r.file_name, r.inquiry_count),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok((r.file_name, r.content))
    }

    /// Imports a 271: each answer is matched by its trace number to the coverage asked about and
    /// added to its history; answers we did not ask for are reported. A file that does not read
    /// is refused on `file`; the same file twice answers `duplicate` and writes nothing.
    pub async fn import_eligibility_responses(&self, actor: &Actor, file_name: &str, content: &[u8]) -> Result<EligibilityImportSummary> {
        self.authorize(actor, Action::CheckEligibility, None).await?;
        let mut errors = ValidationErrors::new();
        if content.len() > MAX_RESPONSE_BYTES {
            errors.add("file", format!("the file is larger than {} MB", MAX_RESPONSE_BYTES / 1024 / 1024));
            return Err(errors.into());
        }
        let answers = match x271::read_271(content) {
            Ok(a) => a,
            Err(e) => {
                errors.add("file", format!("not a readable 271 eligibility response: {e}"));
                return Err(errors.into());
            }
        };
        let text = String::from_utf8_lossy(content).into_owned();
        let sha256 = hex::encode(Sha256::digest(content));
        let practice_id = actor.practice_id.clone();
        let mut tx = self.store.begin().await?;
        if let Some(existing) = store::response_file_by_hash(&mut tx, &practice_id, &sha256).await? {
            let results = store::results_of_file(&mut tx, &practice_id, &existing.id).await?;
            let views: Vec<EligibilityView> = results.iter().map(|r| view_of_result(r, actor.timezone)).collect();
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(summary_of(existing.id, true, views, Vec::new()));
        }
        let file_id = new_id();
        let now = self.now_text();
        let mut rows = Vec::new();
        let mut unmatched = Vec::new();
        for answer in &answers {
            // The subscriber's loop above a dependent carries no question of its own.
            if answer.trace_numbers.is_empty() && answer.benefits.is_empty() && answer.rejections.is_empty() {
                continue;
            }
            let mut inquiry = None;
            for trace in &answer.trace_numbers {
                if let Some(found) = store::inquiry_by_trace(&mut tx, &practice_id, trace).await? {
                    inquiry = Some(found);
                    break;
                }
            }
            let Some(inquiry) = inquiry else {
                unmatched.push(UnmatchedAnswer {
                    trace_numbers: answer.trace_numbers.clone(),
                    name: answer.name.clone(),
                    member_id: answer.member_id.clone(),
                });
                continue;
            };
            rows.push(result_row(&practice_id, &file_id, &inquiry, answer, &now));
        }
        store::insert_response_file(
            &mut tx,
            &ResponseFileRow {
                practice_id: practice_id.clone(),
                id: file_id.clone(),
                sha256,
                file_name: file_name.trim().chars().take(200).collect(),
                content: text,
                matched_count: rows.len() as i64,
                unmatched_count: unmatched.len() as i64,
                imported_by: actor.user_id.clone(),
                imported_at: now.clone(),
            },
        )
        .await?;
        for row in &rows {
            store::insert_result(&mut tx, row).await?;
            self.audit(
                &mut tx,
                actor,
                AuditNote {
                    action: "eligibility.response",
                    patient_id: Some(&row.patient_id),
                    record_type: "coverage",
                    record_id: Some(&row.coverage_id),
                    detail: format!("271 answer {} (trace {})", row.status, row.trace_number),
                },
            )
            .await?;
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "eligibility.import",
                patient_id: None,
                record_type: "eligibility_response_file",
                record_id: Some(&file_id),
                detail: format!("{} matched, {} unmatched", rows.len(), unmatched.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let views = rows.iter().map(|r| view_of_result(r, actor.timezone)).collect();
        Ok(summary_of(file_id, false, views, unmatched))
    }

    /// A patient's coverages, each with its latest answer (the chart and the appointment page).
    pub async fn coverage_eligibility(&self, actor: &Actor, patient_id: &str) -> Result<Vec<CoverageEligibility>> {
        self.authorize(actor, Action::ReadPatient, Some(patient_id)).await?;
        let mut tx = self.store.begin().await?;
        let coverages = patient_store::coverages_of(&mut tx, &actor.practice_id, patient_id).await?;
        let results = store::results_of_patient(&mut tx, &actor.practice_id, patient_id).await?;
        let today = actor.today(self.now()).to_string();
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "eligibility.read",
                patient_id: Some(patient_id),
                record_type: "patient",
                record_id: Some(patient_id),
                detail: format!("{} coverages", coverages.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(coverages
            .iter()
            .map(|c| CoverageEligibility {
                coverage_id: c.coverage.id.clone(),
                payer_name: c.payer_name.clone(),
                member_id: c.coverage.member_id.clone(),
                priority: c.coverage.priority,
                in_force: in_force(c, &today),
                // Newest first: the first row of the coverage is its latest answer.
                latest: results.iter().find(|r| r.coverage_id == c.coverage.id).map(|r| view_of_result(r, actor.timezone)),
            })
            .collect())
    }

    /// The latest answer of each coverage of these patients (an arrivals list), one query,
    /// audited as one read naming the count.
    pub async fn latest_eligibility(&self, actor: &Actor, patient_ids: &[String]) -> Result<Vec<EligibilityView>> {
        self.authorize(actor, Action::ReadPatient, None).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::latest_for_patients(&mut tx, &actor.practice_id, patient_ids).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "eligibility.read",
                patient_id: None,
                record_type: "patient",
                record_id: None,
                detail: format!("latest answers of {} patients", patient_ids.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.iter().map(|r| view_of_result(r, actor.timezone)).collect())
    }

    /// The latest requests and imported answers (the eligibility page).
    pub async fn eligibility_overview(&self, actor: &Actor) -> Result<EligibilityOverview> {
        self.authorize(actor, Action::CheckEligibility, None).await?;
        let mut tx = self.store.begin().await?;
        let requests = store::list_requests(&mut tx, &actor.practice_id, 50).await?;
        let responses = store::list_response_files(&mut tx, &actor.practice_id, 50).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(EligibilityOverview {
            requests: requests.iter().map(|r| view_of_request(r, Vec::new())).collect(),
            responses: responses
                .iter()
                .map(|f| ResponseFileView {
                    id: f.id.clone(),
                    file_name: f.file_name.clone(),
                    matched_count: f.matched_count,
                    unmatched_count: f.unmatched_count,
                    imported_at: f.imported_at.clone(),
                })
                .collect(),
        })
    }
}

fn summary_of(
    file_id: String,
    duplicate: bool,
    results: Vec<EligibilityView>,
    unmatched: Vec<UnmatchedAnswer>,
) -> EligibilityImportSummary {
    let count = |s: &str| results.iter().filter(|r| r.status == s).count() as i64;
    EligibilityImportSummary {
        file_id,
        duplicate,
        matched: results.len() as i64,
        active: count("active"),
        inactive: count("inactive"),
        unknown: count("unknown"),
        unmatched,
        results,
    }
}

/// What one answer says about the coverage asked about: the status, the office visit's co-pay
/// and co-insurance (else the plan's), the deductible still to meet, the plan and the messages.
fn result_row(practice_id: &str, file_id: &str, inquiry: &InquiryRow, answer: &EligibilityResponse, now: &str) -> EligibilityResultRow {
    let status = match answer.coverage() {
        CoverageAnswer::Active => "active",
        CoverageAnswer::Inactive => "inactive",
        CoverageAnswer::Unknown => "unknown",
    };
    let plan_name = answer
        .benefits
        .iter()
        .filter(|b| matches!(b.info.as_str(), "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8"))
        .find_map(|b| b.plan.clone());
    let messages: Vec<String> = answer.benefits.iter().flat_map(|b| b.messages.iter().cloned()).collect();
    let rejection = (!answer.rejections.is_empty()).then(|| {
        answer
            .rejections
            .iter()
            .map(|r| r.meaning().map(str::to_string).unwrap_or_else(|| format!("reason {}", r.reason)))
            .collect::<Vec<_>>()
            .join("\n")
    });
    EligibilityResultRow {
        practice_id: practice_id.to_string(),
        id: new_id(),
        response_file_id: file_id.to_string(),
        trace_number: inquiry.trace_number.clone(),
        patient_id: inquiry.patient_id.clone(),
        coverage_id: inquiry.coverage_id.clone(),
        checked_at: now.to_string(),
        status: status.to_string(),
        plan_name,
        copay_cents: answer.copay_cents(OFFICE_VISIT).filter(|c| *c >= 0),
        deductible_remaining_cents: answer.deductible_remaining_cents(HEALTH_BENEFIT_PLAN_COVERAGE).filter(|c| *c >= 0),
        coinsurance_basis_points: answer.coinsurance_basis_points(OFFICE_VISIT).map(i64::from),
        messages: messages.join("\n"),
        rejection,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_next_business_day_skips_the_weekend() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(next_business_day(d("2026-06-15"), &[]), d("2026-06-16"));
        assert_eq!(next_business_day(d("2026-06-19"), &[]), d("2026-06-22"));
        assert_eq!(next_business_day(d("2026-06-20"), &[]), d("2026-06-22"));
        // Independence Day on a Friday, the office closed: Monday.
        assert_eq!(next_business_day(d("2026-07-02"), &[d("2026-07-03")]), d("2026-07-06"));
    }

    #[test]
    fn amounts_and_percentages_read_as_the_desk_says_them() {
        assert_eq!(dollars(2500), "$25");
        assert_eq!(dollars(2550), "$25.50");
        assert_eq!(percent(2000), "20%");
        assert_eq!(percent(1250), "12.5%");
        assert_eq!(percent(1205), "12.05%");
    }
}
