//! Paper EOBs typed by hand, `/billing/paper-eob/new`: the payer, the check (number, date,
//! amount; prefilled from a check logged in the mail room with `?mail_payment=ID`), then the claims
//! it pays or denies, each with its service lines as billed and a row per line for what the EOB
//! says (paid, and up to three adjustments). The form works without JavaScript: "Add claim"
//! posts the form back with one claim more (nothing is posted), "Post EOB" posts it through the
//! 835 posting. A refusal re-renders the form with each message next to its field.

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_app::claims_cob::AdjustmentInput;
use medoffice_app::paper_eob::{
    EOB_GROUP_CODES, EobClaimChoice, EobLineView, MAX_EOB_CLAIMS, PaperEobClaimInput, PaperEobForm, PaperEobInput, PaperEobLineInput,
    PayerChoice,
};
use medoffice_domain::money::Money;
use serde::Deserialize;
use std::collections::HashMap;

const NAV: &str = "/billing";

/// Adjustment rows shown per service line.
const ADJUSTMENT_ROWS: usize = 3;

pub fn routes() -> Router<AppState> {
    Router::new().route("/billing/paper-eob/new", get(new_form)).route("/billing/paper-eob", post(submit))
}

/// A field on screen: its name, the value typed and its error.
pub struct Field {
    pub name: String,
    pub value: String,
    pub error: Option<String>,
}

fn field(form: &FormState, name: String) -> Field {
    Field { value: form.v(&name).to_string(), error: form.err(&name).map(str::to_string), name }
}

/// An option of a select, and whether it is chosen.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub struct AdjustmentRow {
    pub group: Field,
    pub groups: Vec<Choice>,
    pub reason: Field,
    pub amount: Field,
}

pub struct LineBlock {
    pub line: EobLineView,
    pub charge: String,
    pub paid: Field,
    pub adjustments: Vec<AdjustmentRow>,
    /// The errors of the line's adjustments as a whole (too many).
    pub error: Option<String>,
}

pub struct ClaimBlock {
    pub index: usize,
    pub claim: EobClaimChoice,
    pub total: String,
    pub claim_field: Field,
    pub status: Field,
    pub statuses: Vec<Choice>,
    pub paid: Field,
    pub payer_claim_control_number: Field,
    pub lines: Vec<LineBlock>,
    /// Errors of the claim as a whole (its lines).
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "billing_paper_eob.html")]
struct EobPage {
    layout: Layout,
    title: &'static str,
    form: FormState,
    payers: Vec<PayerChoice>,
    open_claims: Vec<(String, String)>,
    claims: Vec<ClaimBlock>,
    mail_check: Option<(String, String)>,
    /// Errors of fields not on screen (the whole EOB, the mail room's check).
    other_errors: Vec<String>,
}

fn claim_block(form: &FormState, index: usize, view: medoffice_app::paper_eob::EobClaimView) -> ClaimBlock {
    let name = |n: &str| format!("claims[{index}].{n}");
    let status = field(form, name("status"));
    let statuses = [("paid", "Paid (in whole or in part)"), ("denied", "Denied")]
        .into_iter()
        .map(|(value, label)| Choice { value, label, selected: status.value == value })
        .collect();
    let lines = view
        .lines
        .into_iter()
        .enumerate()
        .map(|(j, line)| {
            let adjustments = (0..ADJUSTMENT_ROWS)
                .map(|k| {
                    let adj = |n: &str| name(&format!("lines[{j}].adjustments[{k}].{n}"));
                    let group = field(form, adj("group_code"));
                    let groups = EOB_GROUP_CODES
                        .iter()
                        .map(|g| Choice { value: g, label: g, selected: group.value.eq_ignore_ascii_case(g) })
                        .collect();
                    AdjustmentRow { groups, group, reason: field(form, adj("reason_code")), amount: field(form, adj("amount")) }
                })
                .collect();
            LineBlock {
                charge: Money::from_cents(line.charge_cents).to_string(),
                paid: field(form, name(&format!("lines[{j}].paid"))),
                error: form.err(&name(&format!("lines[{j}].adjustments"))).map(str::to_string),
                adjustments,
                line,
            }
        })
        .collect();
    ClaimBlock {
        index,
        total: Money::from_cents(view.claim.total_cents).to_string(),
        claim_field: Field { name: name("claim"), value: view.claim.id.clone(), error: form.err(&name("claim")).map(str::to_string) },
        status,
        statuses,
        paid: field(form, name("paid")),
        payer_claim_control_number: field(form, name("payer_claim_control_number")),
        error: form.err(&name("lines")).map(str::to_string),
        lines,
        claim: view.claim,
    }
}

/// The claims on the form, in order (the ids posted as `claims[i].claim`).
fn claim_ids(form: &FormState) -> Vec<String> {
    (0..MAX_EOB_CLAIMS).map_while(|i| form.values.get(&format!("claims[{i}].claim")).cloned()).filter(|c| !c.trim().is_empty()).collect()
}

async fn page(state: &AppState, session: &PageSession, form: FormState, extra_claim: Option<String>) -> Response {
    let mut ids = claim_ids(&form);
    if let Some(c) = extra_claim.filter(|c| !c.trim().is_empty()) {
        ids.push(c.trim().to_string());
    }
    let data: PaperEobForm = match state.app.paper_eob_form(&session.actor, form.v("payer_id"), form.v("mail_payment_id"), &ids).await {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    let mut form = form;
    // Prefill from the mail room's check what the biller has not typed.
    if let Some(check) = &data.mail_check {
        let prefill = [
            ("payer_id", check.payer_id.clone().unwrap_or_default()),
            ("check_number", check.check_number.clone()),
            ("check_amount", format!("{}.{:02}", check.amount_cents / 100, (check.amount_cents % 100).abs())),
            ("check_date", check.received_date.clone()),
        ];
        for (k, v) in prefill {
            if form.v(k).is_empty() {
                form.values.insert(k.to_string(), v);
            }
        }
    }
    let claims: Vec<ClaimBlock> = data.claims.into_iter().enumerate().map(|(i, v)| claim_block(&form, i, v)).collect();
    let mut shown: Vec<String> = ["payer_id", "check_number", "check_date", "check_amount"].iter().map(|s| s.to_string()).collect();
    for c in &claims {
        shown.extend([c.claim_field.name.clone(), c.status.name.clone(), c.paid.name.clone(), c.payer_claim_control_number.name.clone()]);
        shown.push(format!("claims[{}].lines", c.index));
        for (j, l) in c.lines.iter().enumerate() {
            shown.push(l.paid.name.clone());
            shown.push(format!("claims[{}].lines[{j}].adjustments", c.index));
            for a in &l.adjustments {
                shown.extend([a.group.name.clone(), a.reason.name.clone(), a.amount.name.clone()]);
            }
        }
    }
    let other_errors = form.errors.errors.iter().filter(|e| !shown.contains(&e.field)).map(|e| e.message.clone()).collect();
    let picked: Vec<&str> = claims.iter().map(|c| c.claim.id.as_str()).collect();
    let open_claims = data.open_claims.iter().filter(|c| !picked.contains(&c.id.as_str())).map(|c| (c.id.clone(), c.label())).collect();
    let mail_check = data.mail_check.as_ref().map(|m| {
        (
            m.id.clone(),
            format!(
                "Check {} from {} for {}, received {}",
                m.check_number,
                m.payer_name.clone().unwrap_or_else(|| "the payer".into()),
                Money::from_cents(m.amount_cents),
                m.received_date
            ),
        )
    });
    render(&EobPage {
        layout: Layout::new(session, NAV),
        title: "Post a paper EOB",
        form,
        payers: data.payers,
        open_claims,
        claims,
        mail_check,
        other_errors,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    mail_payment: String,
    payer_id: String,
    claim: String,
}

pub async fn new_form(State(state): State<AppState>, session: PageSession, Query(q): Query<NewQuery>) -> Response {
    let mut values = HashMap::new();
    values.insert("mail_payment_id".to_string(), q.mail_payment);
    values.insert("payer_id".to_string(), q.payer_id);
    page(&state, &session, FormState::new(values), Some(q.claim)).await
}

/// The input the form carries: claims by index, lines by index, adjustment rows by index.
fn input_of(form: &FormState) -> PaperEobInput {
    let claims = (0..MAX_EOB_CLAIMS)
        .map_while(|i| {
            let name = |n: &str| format!("claims[{i}].{n}");
            form.values.get(&name("claim"))?;
            let lines = (0..)
                .map_while(|j| {
                    let paid = form.values.get(&name(&format!("lines[{j}].paid")))?;
                    let adjustments = (0..ADJUSTMENT_ROWS)
                        .map(|k| {
                            let adj = |n: &str| form.v(&name(&format!("lines[{j}].adjustments[{k}].{n}"))).to_string();
                            AdjustmentInput {
                                group_code: adj("group_code"),
                                reason_code: adj("reason_code"),
                                amount: adj("amount"),
                                amount_cents: None,
                            }
                        })
                        .collect();
                    Some(PaperEobLineInput { paid: paid.clone(), paid_cents: None, adjustments })
                })
                .collect();
            Some(PaperEobClaimInput {
                claim: form.take(&name("claim")),
                status: form.take(&name("status")),
                paid: form.take(&name("paid")),
                paid_cents: None,
                payer_claim_control_number: form.take(&name("payer_claim_control_number")),
                lines,
            })
        })
        .collect();
    PaperEobInput {
        mail_payment_id: form.take("mail_payment_id"),
        payer_id: form.take("payer_id"),
        check_number: form.take("check_number"),
        check_date: form.take("check_date"),
        check_amount: form.take("check_amount"),
        check_amount_cents: None,
        claims,
    }
}

pub async fn submit(State(state): State<AppState>, session: PageSession, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let mut form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if form.v("step") != "post" {
        // "Add claim" (or "Show the payer's claims"): the same form, one claim more.
        let extra = [form.take("add_claim_number"), form.take("add_claim")].into_iter().find(|c| !c.trim().is_empty());
        return page(&state, &session, form, extra).await;
    }
    let input = input_of(&form);
    match state.app.post_paper_eob(&session.actor, &input).await {
        Ok(done) => Redirect::to(&format!("/billing/remittances/{}?notice=imported", done.remittance.remittance_id)).into_response(),
        Err(AppError::Validation(errors)) => {
            form.errors = errors;
            page(&state, &session, form, None).await
        }
        Err(e) => error_page(e),
    }
}
