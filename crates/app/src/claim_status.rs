//! Claim status: "ask the payer" (a 276 file) and read its answer (a 277 file).
//!
//! **Asking.** For one claim, or for every claim sent or accepted more than N days ago (default
//! 30) and still unpaid, `request_claim_status` writes one 276 per payer (005010X212, through
//! `medoffice_x12::claim_status276`), from the same parts the 837P is written from (billing
//! provider, subscriber, patient, payer). Each claim gets a trace number `CS<request>-<patient
//! control number>`, unique per practice (a constraint), which the 277 sends back. ISA13/GS06
//! come from the counters the 837P files use; the request number from `claim_status_request`.
//! The file is stored whole to download; one transaction, audited.
//!
//! **Answers.** `import_claim_status_response` reads a 277 (a file that is not one is refused on
//! `file`, naming the segment and why), matches each claim by trace number, else by our patient
//! control number (REF*EJ), and stores every status on the claim in plain words with the
//! payer's amounts and claim number (`claim_status_answer`); what matches nothing is listed back.
//! One transaction, audited per claim. No claim moves: a finalized denial (F2, F4) or a rejection
//! (A3, A4, A6-A8) is shown as a warning with the status change the lifecycle allows proposed,
//! for a person to make; payments are only displayed (the 835 posts money).

use crate::claims::{ClaimParts, ClaimStatus, claim_parts, created_at, patient_control_number};
use crate::{Actor, App, AppError, AuditNote, Result};
use medoffice_domain::ValidationErrors;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use medoffice_store::claim_status::{self as store, StatusAnswerRow, StatusRequestRow, StatusResponseRow};
use medoffice_store::claims as claim_store;
use medoffice_store::{StoreError, code_sets as code_store, encounters as encounter_store, new_id, next_counter};
use medoffice_x12::claim_status276::{
    ClaimInquiry, DependentInquiry, PayerInquiry, ProviderInquiry, StatusRequest276, SubscriberInquiry, write_276,
};
use medoffice_x12::claim_status277::{StatusAnswer, read_277};
use medoffice_x12::codes::ClaimStatusKind;
use medoffice_x12::envelope::{ControlNumbers, DateOrRange, Envelope, Usage};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Days since sending after which a claim without payment is asked about, unless told.
pub const DEFAULT_AGE_DAYS: i64 = 30;
/// The most claims one "ask about aged claims" asks about.
pub const MAX_REQUEST_CLAIMS: i64 = 1000;
/// The largest 277 file taken (a payer's answer to a thousand claims is well under this).
pub const MAX_RESPONSE_BYTES: usize = 10 * 1024 * 1024;

/// What to ask about: one claim (`claim_id`), or, when it is blank, every claim sent or accepted
/// more than `older_than_days` days ago (blank: 30) without payment.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct StatusRequestInput {
    pub claim_id: String,
    pub older_than_days: String,
}

/// A claim asked about and its trace number.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TracedClaim {
    pub claim_id: String,
    pub patient_control_number: String,
    pub trace_number: String,
}

/// A 276 file as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusRequestView {
    pub id: String,
    pub request_number: i64,
    pub payer_id: String,
    pub interchange_control_number: i64,
    pub file_name: String,
    pub claim_count: i64,
    pub created_at: String,
    /// The claims it asks about (empty in lists).
    pub claims: Vec<TracedClaim>,
}

/// What a request wrote: one file per payer (none when no claim was due).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusRequestResult {
    pub requests: Vec<StatusRequestView>,
}

/// A 277 file to import: its name and its text.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct StatusResponseInput {
    pub file_name: String,
    pub text: String,
}

/// A claim the 277 answered about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnsweredClaim {
    pub claim_id: String,
    pub patient_control_number: String,
    pub trace_number: String,
    /// The claim's main status in plain words.
    pub words: String,
    /// A finalized denial or a rejection.
    pub warning: bool,
}

/// An answer that matched no claim.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnmatchedAnswer {
    pub trace_number: String,
    pub patient_control_number: Option<String>,
    pub words: String,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusResponseResult {
    pub response_id: String,
    pub claims_matched: i64,
    pub claims_unmatched: i64,
    pub answered: Vec<AnsweredClaim>,
    pub unmatched: Vec<UnmatchedAnswer>,
}

/// One thing the payer said about a claim, as the claim page shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusAnswerView {
    pub seq: i64,
    pub status_date: Option<String>,
    pub category: String,
    pub status_code: String,
    pub entity: Option<String>,
    pub words: String,
    pub charge_cents: Option<i64>,
    pub paid_cents: Option<i64>,
    /// The amounts as shown (`$125.50`), blank when not given.
    pub charge: String,
    pub paid: String,
    pub payer_claim_control_number: Option<String>,
    pub adjudication_date: Option<String>,
    pub check_number: Option<String>,
    pub recorded_at: String,
    /// A finalized denial (F2, F4) or a rejection (A3, A4, A6-A8): shown as a warning.
    pub warning: bool,
}

/// The status change an answer suggests, when the lifecycle allows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusProposal {
    pub status: ClaimStatus,
    pub label: String,
    /// The note to record with it.
    pub note: String,
}

/// A claim's "Payer says" history, newest first, with the change the latest answer suggests.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimStatusHistory {
    pub answers: Vec<StatusAnswerView>,
    pub proposal: Option<StatusProposal>,
    /// Whether the payer can be asked about this claim (it was sent).
    pub askable: bool,
}

fn is_warning(category: &str) -> bool {
    matches!(medoffice_x12::codes::claim_status_kind(category), ClaimStatusKind::FinalizedDenied | ClaimStatusKind::Rejected)
}

fn answer_view(a: StatusAnswerRow) -> StatusAnswerView {
    let money = |c: Option<i64>| c.map(|c| Money::from_cents(c).to_string()).unwrap_or_default();
    StatusAnswerView {
        seq: a.seq,
        warning: is_warning(&a.category),
        charge: money(a.charge_cents),
        paid: money(a.paid_cents),
        status_date: a.status_date,
        category: a.category,
        status_code: a.status_code,
        entity: a.entity,
        words: a.words,
        charge_cents: a.charge_cents,
        paid_cents: a.paid_cents,
        payer_claim_control_number: a.payer_claim_control_number,
        adjudication_date: a.adjudication_date,
        check_number: a.check_number,
        recorded_at: a.recorded_at,
    }
}

fn request_view(r: &StatusRequestRow, claims: Vec<TracedClaim>) -> StatusRequestView {
    StatusRequestView {
        id: r.id.clone(),
        request_number: r.request_number,
        payer_id: r.payer_id.clone(),
        interchange_control_number: r.interchange_control_number,
        file_name: r.file_name.clone(),
        claim_count: r.claim_count,
        created_at: r.created_at.clone(),
        claims,
    }
}

/// Whether a claim in this status has been sent to the payer (so the payer can be asked).
fn askable(status: &str) -> bool {
    !matches!(status, "draft" | "ready" | "closed")
}

/// The status change the latest answer suggests: a finalized denial proposes denied, a rejection
/// rejected, when the claim's lifecycle allows that move now.
fn proposal(claim_status: &str, answers: &[StatusAnswerRow]) -> Option<StatusProposal> {
    let latest = answers.first()?;
    // The latest import's claim-level statuses (answers are newest first).
    let current: Vec<&StatusAnswerRow> = answers.iter().take_while(|a| a.response_id == latest.response_id).collect();
    let from = ClaimStatus::parse(claim_status).ok()?;
    let kinds: Vec<(ClaimStatusKind, &StatusAnswerRow)> =
        current.iter().map(|a| (medoffice_x12::codes::claim_status_kind(&a.category), *a)).collect();
    let (to, answer) = if let Some((_, a)) = kinds.iter().find(|(k, _)| *k == ClaimStatusKind::FinalizedDenied) {
        (ClaimStatus::Denied, *a)
    } else if let Some((_, a)) = kinds.iter().find(|(k, _)| *k == ClaimStatusKind::Rejected) {
        (ClaimStatus::Rejected, *a)
    } else {
        return None;
    };
    from.next().contains(&to).then(|| StatusProposal {
        status: to,
        label: to.label().to_string(),
        note: format!("payer says ({} {}): {}", answer.category, answer.status_code, answer.words).chars().take(500).collect(),
    })
}

/// The claims of one request, grouped the 276's way: by billing provider, then subscriber and
/// patient.
fn providers_of(parts: &[(ClaimParts, String, Option<String>)]) -> Vec<ProviderInquiry> {
    let mut providers: Vec<ProviderInquiry> = Vec::new();
    for (p, trace, payer_number) in parts {
        let claim = &p.claim;
        let dates = p.group.claims.first().map(|c| {
            let start = c.lines.iter().map(|l| l.service_date.start()).min();
            let end = c.lines.iter().map(|l| l.service_date.end()).max();
            match (start, end) {
                (Some(s), Some(e)) if s != e => DateOrRange::Range(s, e),
                (Some(s), _) => DateOrRange::Date(s),
                _ => DateOrRange::Date(chrono::NaiveDate::parse_from_str(&claim.service_date, "%Y-%m-%d").unwrap_or_default()),
            }
        });
        let inquiry = ClaimInquiry {
            trace_number: trace.clone(),
            payer_claim_control_number: payer_number.clone(),
            patient_control_number: patient_control_number(claim.claim_number),
            total_charge_cents: claim.total_charge_cents,
            service_dates: dates
                .unwrap_or(DateOrRange::Date(chrono::NaiveDate::parse_from_str(&claim.service_date, "%Y-%m-%d").unwrap_or_default())),
        };
        let s = &p.group.subscriber;
        let dependent =
            p.group.patient.as_ref().map(|pt| DependentInquiry { name: pt.name.clone(), birth_date: pt.birth_date, gender: pt.gender });
        let provider = match providers.iter_mut().position(|x| x.npi == p.billing.npi) {
            Some(i) => &mut providers[i],
            None => {
                providers.push(ProviderInquiry { name: p.billing.name.clone(), npi: p.billing.npi.clone(), subscribers: Vec::new() });
                let last = providers.len() - 1;
                &mut providers[last]
            }
        };
        match provider.subscribers.iter_mut().find(|x| x.member_id == s.member_id && x.name == s.name && x.dependent == dependent) {
            Some(existing) => existing.claims.push(inquiry),
            None => provider.subscribers.push(SubscriberInquiry {
                name: s.name.clone(),
                member_id: s.member_id.clone(),
                birth_date: s.birth_date,
                gender: s.gender,
                dependent,
                claims: vec![inquiry],
            }),
        }
    }
    providers
}

fn file_error(message: String) -> AppError {
    let mut errors = ValidationErrors::new();
    errors.add("file", message);
    errors.into()
}

impl App {
    /// Writes 276 files asking the payers about one claim or the aged unpaid ones (see the
    /// module's documentation); one transaction.
    pub async fn request_claim_status(&self, actor: &Actor, input: &StatusRequestInput) -> Result<StatusRequestResult> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        let mut errors = ValidationErrors::new();
        let claim_id = input.claim_id.trim();
        let days = match input.older_than_days.trim() {
            "" => DEFAULT_AGE_DAYS,
            d => match d.parse::<i64>() {
                Ok(n) if (0..=3650).contains(&n) => n,
                _ => {
                    errors.add("older_than_days", "enter a number of days from 0 to 3650");
                    return Err(errors.into());
                }
            },
        };
        let now = self.now();
        let today = actor.today(now);
        let created = created_at(now, actor);
        let practice_id = actor.practice_id.clone();
        let mut tx = self.store.begin().await?;
        let ids = if claim_id.is_empty() {
            let cutoff = medoffice_store::timestamp(now - chrono::Duration::days(days));
            store::aged_unpaid_claim_ids(&mut tx, &practice_id, &cutoff, MAX_REQUEST_CLAIMS).await?
        } else {
            let claim = claim_store::get(&mut tx, &practice_id, claim_id).await?;
            if !askable(&claim.status) {
                errors.add("claim_id", format!("the claim is {}: it has not been sent to the payer", claim.status));
                return Err(errors.into());
            }
            vec![claim.id]
        };
        // The parts of each claim, grouped by payer.
        let mut groups: Vec<(String, Vec<ClaimParts>)> = Vec::new();
        for id in &ids {
            let (parts, _) = claim_parts(&mut tx, &practice_id, today, id).await?;
            match groups.iter_mut().find(|(payer, _)| *payer == parts.claim.payer_id) {
                Some((_, list)) => list.push(parts),
                None => groups.push((parts.claim.payer_id.clone(), vec![parts])),
            }
        }
        let practice = encounter_store::practice_billing(&mut tx, &practice_id).await?;
        let usage = if practice.claims_usage == "production" { Usage::Production } else { Usage::Test };
        let submitter_id = practice.submitter_id.clone().unwrap_or_default();
        let mut requests = Vec::new();
        for (payer_id, parts) in groups {
            let payer = code_store::get_payer(&mut tx, &practice_id, &payer_id).await?;
            let interchange = next_counter(&mut tx, &practice_id, "x12_interchange").await?;
            let group = next_counter(&mut tx, &practice_id, "x12_group").await?;
            let request_number = next_counter(&mut tx, &practice_id, "claim_status_request").await?;
            let control = ControlNumbers {
                interchange: u32::try_from(interchange).map_err(|e| AppError::Internal(e.to_string()))?,
                group: u32::try_from(group).map_err(|e| AppError::Internal(e.to_string()))?,
                transaction: 1,
            };
            let mut traced = Vec::new();
            for p in parts {
                let pcn = patient_control_number(p.claim.claim_number);
                let trace = format!("CS{request_number:06}-{pcn}");
                let known = match store::latest_payer_claim_number(&mut tx, &practice_id, &p.claim.id).await? {
                    Some(n) => Some(n),
                    None => p.claim.payer_claim_control_number.clone().filter(|n| !n.trim().is_empty()),
                };
                traced.push((p, trace, known));
            }
            let request = StatusRequest276 {
                envelope: Envelope {
                    sender_qualifier: "ZZ".into(),
                    sender_id: submitter_id.clone(),
                    receiver_qualifier: "ZZ".into(),
                    receiver_id: payer.payer_code.clone(),
                    application_sender: submitter_id.clone(),
                    application_receiver: payer.payer_code.clone(),
                    created,
                    acknowledgment_requested: false,
                },
                reference: format!("CS{request_number}"),
                payers: vec![PayerInquiry {
                    payer_name: payer.name.clone(),
                    payer_id: payer.payer_code.clone(),
                    receiver_name: practice.name.clone(),
                    receiver_id: submitter_id.clone(),
                    providers: providers_of(&traced),
                }],
            };
            let content = write_276(&request, &control, usage).map_err(|e| {
                let mut errors = ValidationErrors::new();
                let field = if claim_id.is_empty() { "older_than_days" } else { "claim_id" };
                errors.add(field, format!("the status request to {} cannot be written: {e}", payer.name));
                AppError::from(errors)
            })?;
            let id = new_id();
            let safe: String = payer.payer_code.chars().filter(char::is_ascii_alphanumeric).collect();
            let row = StatusRequestRow {
                practice_id: practice_id.clone(),
                id: id.clone(),
                request_number,
                payer_id: payer_id.clone(),
                interchange_control_number: interchange,
                group_control_number: group,
                usage: practice.claims_usage.clone(),
                file_name: format!("276-{request_number:06}-{safe}-{interchange:09}.x12"),
                content,
                claim_count: traced.len() as i64,
                created_by: actor.user_id.clone(),
                created_at: self.now_text(),
            };
            store::insert_request(&mut tx, &row).await?;
            let mut claims = Vec::new();
            for (p, trace, _) in &traced {
                store::insert_inquiry(&mut tx, &practice_id, &id, &p.claim.id, trace).await?;
                claims.push(TracedClaim {
                    claim_id: p.claim.id.clone(),
                    patient_control_number: patient_control_number(p.claim.claim_number),
                    trace_number: trace.clone(),
                });
            }
            let single_patient = (traced.len() == 1).then(|| traced[0].0.claim.patient_id.clone());
            self.audit(
                &mut tx,
                actor,
                AuditNote {
                    action: "claim.status.request",
                    patient_id: single_patient.as_deref(),
                    record_type: "claim_status_request",
                    record_id: Some(&id),
                    detail: format!(
                        "276 to {} (ISA13 {interchange}) about {} claims: {}",
                        payer.name,
                        claims.len(),
                        claims.iter().map(|c| c.patient_control_number.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                },
            )
            .await?;
            requests.push(request_view(&row, claims));
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(StatusRequestResult { requests })
    }

    /// A 276 file's name and content, to download (audited: it names patients).
    pub async fn claim_status_request_file(&self, actor: &Actor, request_id: &str) -> Result<(String, String)> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut tx = self.store.begin().await?;
        let r = store::get_request(&mut tx, &actor.practice_id, request_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "claim.status.download",
                patient_id: None,
                record_type: "claim_status_request",
                record_id: Some(request_id),
                detail: r.file_name.clone(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok((r.file_name, r.content))
    }

    /// The latest 276 files, newest first.
    pub async fn claim_status_requests(&self, actor: &Actor) -> Result<Vec<StatusRequestView>> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(store::list_requests(&mut conn, &actor.practice_id).await?.iter().map(|r| request_view(r, Vec::new())).collect())
    }

    /// Imports a 277: each claim's answer stored on the claim it matches (see the module's
    /// documentation); one transaction. A file that is not a 277 claim status response is
    /// refused on `file`, and nothing is written.
    pub async fn import_claim_status_response(&self, actor: &Actor, input: &StatusResponseInput) -> Result<StatusResponseResult> {
        self.authorize(actor, Action::ManageClaims, None).await?;
        if input.text.trim().is_empty() {
            return Err(file_error("choose a 277 file: this one is empty".into()));
        }
        if input.text.len() > MAX_RESPONSE_BYTES {
            return Err(file_error(format!("the file is larger than {} MB", MAX_RESPONSE_BYTES / 1024 / 1024)));
        }
        let responses = read_277(input.text.as_bytes())
            .map_err(|e| file_error(format!("this is not a 277 claim status response that can be read: {e}")))?;
        let file_name = match input.file_name.trim() {
            "" => "277.x12".to_string(),
            n => n.chars().take(200).collect(),
        };
        let practice_id = actor.practice_id.clone();
        let now = self.now_text();
        let mut tx = self.store.begin().await?;
        // Match first, so the file's row carries its counts.
        let mut matched = Vec::new();
        let mut unmatched = Vec::new();
        for answer in responses.iter().flat_map(|r| &r.claims) {
            let mut claim_id = store::claim_by_trace(&mut tx, &practice_id, &answer.trace_number).await?;
            if claim_id.is_none()
                && let Some(number) = answer.patient_control_number.as_deref().and_then(claim_number_of)
            {
                claim_id = store::claim_by_number(&mut tx, &practice_id, number).await?;
            }
            let words = answer.main_status().map(StatusAnswer::explanation).unwrap_or_else(|| "no status given".into());
            match claim_id {
                Some(id) => matched.push((id, answer, words)),
                None => unmatched.push(UnmatchedAnswer {
                    trace_number: answer.trace_number.clone(),
                    patient_control_number: answer.patient_control_number.clone(),
                    words,
                }),
            }
        }
        let response_id = new_id();
        store::insert_response(
            &mut tx,
            &StatusResponseRow {
                practice_id: practice_id.clone(),
                id: response_id.clone(),
                file_name: file_name.clone(),
                content: input.text.clone(),
                claims_matched: matched.len() as i64,
                claims_unmatched: unmatched.len() as i64,
                imported_by: actor.user_id.clone(),
                imported_at: now.clone(),
            },
        )
        .await?;
        let mut answered = Vec::new();
        for (claim_id, answer, words) in matched {
            let claim = claim_store::get(&mut tx, &practice_id, &claim_id).await?;
            let line_statuses = answer.lines.iter().flat_map(|l| l.statuses.iter().map(move |s| (Some(l.procedure.as_str()), s)));
            let all: Vec<(Option<&str>, &StatusAnswer)> = answer.statuses.iter().map(|s| (None, s)).chain(line_statuses).collect();
            for (line, s) in &all {
                let text = match line {
                    Some(procedure) => format!("line {procedure}: {}", s.explanation()),
                    None => s.explanation(),
                };
                let row = StatusAnswerRow {
                    practice_id: practice_id.clone(),
                    claim_id: claim_id.clone(),
                    seq: 0,
                    response_id: response_id.clone(),
                    trace_number: answer.trace_number.clone(),
                    status_date: s.date.map(|d| d.to_string()),
                    category: s.category.clone(),
                    status_code: s.code.clone(),
                    entity: s.entity.clone(),
                    words: text.chars().take(500).collect(),
                    charge_cents: s.charge_cents,
                    paid_cents: s.paid_cents,
                    payer_claim_control_number: answer.payer_claim_control_number.clone(),
                    adjudication_date: s.adjudication_date.map(|d| d.to_string()),
                    check_number: s.check_number.clone(),
                    recorded_at: now.clone(),
                };
                // The same file imported again (or the same answer in another file) is recorded once.
                if !store::answer_recorded(&mut tx, &row).await? {
                    store::append_answer(&mut tx, &row).await?;
                }
            }
            self.audit(
                &mut tx,
                actor,
                AuditNote {
                    action: "claim.status.answer",
                    patient_id: Some(&claim.patient_id),
                    record_type: "claim",
                    record_id: Some(&claim_id),
                    detail: format!("277 {file_name}: {words}"),
                },
            )
            .await?;
            answered.push(AnsweredClaim {
                claim_id,
                patient_control_number: patient_control_number(claim.claim_number),
                trace_number: answer.trace_number.clone(),
                warning: answer.main_status().is_some_and(|s| is_warning(&s.category)),
                words,
            });
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "claim.status.import",
                patient_id: None,
                record_type: "claim_status_response",
                record_id: Some(&response_id),
                detail: format!("{file_name}: {} claims matched, {} unmatched", answered.len(), unmatched.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(StatusResponseResult {
            response_id,
            claims_matched: answered.len() as i64,
            claims_unmatched: unmatched.len() as i64,
            answered,
            unmatched,
        })
    }

    /// What the payer has said about a claim, newest first, with the status change the latest
    /// answer suggests.
    pub async fn claim_status_history(&self, actor: &Actor, claim_id: &str) -> Result<ClaimStatusHistory> {
        self.authorize(actor, Action::ReadClaims, None).await?;
        let mut tx = self.store.begin().await?;
        let claim = claim_store::get(&mut tx, &actor.practice_id, claim_id).await?;
        let rows = store::answers(&mut tx, &actor.practice_id, claim_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "claim.status.read",
                patient_id: Some(&claim.patient_id),
                record_type: "claim",
                record_id: Some(claim_id),
                detail: format!("{} answers", rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let proposal = proposal(&claim.status, &rows);
        Ok(ClaimStatusHistory { answers: rows.into_iter().map(answer_view).collect(), proposal, askable: askable(&claim.status) })
    }
}

/// The claim number in a patient control number `MO00000012`.
fn claim_number_of(pcn: &str) -> Option<i64> {
    pcn.trim().strip_prefix("MO").filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())).and_then(|d| d.parse().ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn answer(response: &str, category: &str) -> StatusAnswerRow {
        StatusAnswerRow {
            practice_id: "p".into(),
            claim_id: "c".into(),
            seq: 1,
            response_id: response.into(),
            trace_number: "T".into(),
            status_date: None,
            category: category.into(),
            status_code: "88".into(),
            entity: None,
            words: "finalized: denied".into(),
            charge_cents: None,
            paid_cents: None,
            payer_claim_control_number: None,
            adjudication_date: None,
            check_number: None,
            recorded_at: String::new(),
        }
    }

    #[test]
    fn a_finalized_denial_proposes_denied_only_where_the_lifecycle_allows() {
        let answers = vec![answer("r2", "F2"), answer("r1", "A1")];
        assert_eq!(proposal("accepted", &answers).unwrap().status, ClaimStatus::Denied);
        assert!(proposal("sent", &answers).is_none(), "a sent claim must be accepted before it can be denied");
        assert!(proposal("denied", &answers).is_none());
    }

    #[test]
    fn a_rejection_proposes_rejected_and_a_payment_proposes_nothing() {
        assert_eq!(proposal("sent", &[answer("r", "A7")]).unwrap().status, ClaimStatus::Rejected);
        assert!(proposal("accepted", &[answer("r", "F1")]).is_none());
        assert!(proposal("sent", &[answer("r2", "P1"), answer("r1", "A7")]).is_none(), "only the latest answer counts");
    }

    #[test]
    fn patient_control_numbers_give_claim_numbers() {
        assert_eq!(claim_number_of("MO00000012"), Some(12));
        assert_eq!(claim_number_of("MO"), None);
        assert_eq!(claim_number_of("XX12"), None);
    }
}
