//! The claim page's correction and secondary-claim forms (`templates/billing_claim_cob.html`,
//! included by `billing_claim.html`): "Correct or void this claim" (a new frequency 7 or 8 claim
//! linked to the original), the frequency of a draft or rejected claim, and "Bill the secondary
//! payer" (the primary's adjudication typed from the EOB, one row per service line).

use super::claims::claim_view;
use super::{FormState, checked_form, error_page};
use crate::AppState;
use crate::auth::PageSession;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use medoffice_app::AppError;
use medoffice_app::claims::{ClaimDetail, ClaimFrequencyInput, ClaimStatus};
use medoffice_app::claims_cob::{AdjudicationInput, AdjudicationLineInput, AdjustmentInput, ClaimCorrectionInput, ClaimLineView};

/// Adjustment rows offered per service line, and on the claim itself.
const LINE_ADJUSTMENT_ROWS: usize = 3;
const CLAIM_ADJUSTMENT_ROWS: usize = 2;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/billing/claims/{id}/correct", post(correct))
        .route("/billing/claims/{id}/frequency", post(set_frequency))
        .route("/billing/claims/{id}/secondary", post(bill_secondary))
}

/// One input of the adjudication form: its name, the value typed and its error.
pub struct Cell {
    pub name: String,
    pub value: String,
    pub error: Option<String>,
}

fn cell(form: &FormState, name: String) -> Cell {
    Cell { value: form.v(&name).to_string(), error: form.err(&name).map(str::to_string), name }
}

/// An adjustment row: group code, reason code, amount.
pub struct AdjustmentCells {
    pub group: Cell,
    pub reason: Cell,
    pub amount: Cell,
}

fn adjustment_cells(form: &FormState, prefix: &str) -> AdjustmentCells {
    AdjustmentCells {
        group: cell(form, format!("{prefix}.group_code")),
        reason: cell(form, format!("{prefix}.reason_code")),
        amount: cell(form, format!("{prefix}.amount")),
    }
}

/// A service line of the adjudication form.
pub struct LineRow {
    pub line: ClaimLineView,
    pub paid: Cell,
    pub units: Cell,
    pub adjustments: Vec<AdjustmentCells>,
}

/// What the claim page's correction and secondary-claim forms show.
pub struct CobPanel {
    /// One row per service line of the adjudication form.
    pub rows: Vec<LineRow>,
    pub claim_adjustments: Vec<AdjustmentCells>,
    pub group_codes: Vec<(&'static str, &'static str)>,
    /// The payer's claim number to prefill.
    pub payer_claim_number: String,
    /// Whether the frequency form applies (a draft or rejected claim changes itself).
    pub frequency_editable: bool,
}

impl CobPanel {
    pub fn new(detail: &ClaimDetail, form: &FormState) -> CobPanel {
        CobPanel {
            rows: adjudication_rows(detail, form),
            claim_adjustments: claim_adjustment_rows(form),
            group_codes: group_codes(),
            payer_claim_number: prefilled_claim_number(detail, form),
            frequency_editable: matches!(detail.claim.status, ClaimStatus::Draft | ClaimStatus::Rejected),
        }
    }
}

/// The adjudication form's rows, one per service line of the claim.
pub fn adjudication_rows(detail: &ClaimDetail, form: &FormState) -> Vec<LineRow> {
    detail
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| LineRow {
            line: l.clone(),
            paid: cell(form, format!("lines[{i}].paid")),
            units: cell(form, format!("lines[{i}].paid_units")),
            adjustments: (0..LINE_ADJUSTMENT_ROWS).map(|j| adjustment_cells(form, &format!("lines[{i}].adjustments[{j}]"))).collect(),
        })
        .collect()
}

/// The claim-level adjustment rows.
pub fn claim_adjustment_rows(form: &FormState) -> Vec<AdjustmentCells> {
    (0..CLAIM_ADJUSTMENT_ROWS).map(|j| adjustment_cells(form, &format!("claim_adjustments[{j}]"))).collect()
}

/// The group codes a person may enter, with their words.
pub fn group_codes() -> Vec<(&'static str, &'static str)> {
    vec![("CO", "CO contractual"), ("PR", "PR patient responsibility"), ("OA", "OA other"), ("PI", "PI payer initiated")]
}

/// The payer's claim number to prefill: what the form had, else the one stored on the claim.
pub fn prefilled_claim_number(detail: &ClaimDetail, form: &FormState) -> String {
    match form.v("payer_claim_control_number") {
        "" => detail.payer_claim_control_number.clone().unwrap_or_default(),
        typed => typed.to_string(),
    }
}

fn adjustments_from(form: &FormState, prefix: &str) -> Vec<AdjustmentInput> {
    (0..)
        .map(|j| format!("{prefix}[{j}]"))
        .take_while(|p| form.values.contains_key(&format!("{p}.group_code")))
        .map(|p| AdjustmentInput {
            group_code: form.take(&format!("{p}.group_code")),
            reason_code: form.take(&format!("{p}.reason_code")),
            amount: form.take(&format!("{p}.amount")),
            amount_cents: None,
        })
        .collect()
}

/// The adjudication as the form sent it (rows until the first missing line).
fn adjudication_input(form: &FormState) -> AdjudicationInput {
    let lines = (0..)
        .take_while(|i| form.values.contains_key(&format!("lines[{i}].paid")))
        .map(|i| AdjudicationLineInput {
            paid: form.take(&format!("lines[{i}].paid")),
            paid_cents: None,
            paid_units: form.take(&format!("lines[{i}].paid_units")),
            adjustments: adjustments_from(form, &format!("lines[{i}].adjustments")),
        })
        .collect();
    AdjudicationInput {
        paid_date: form.take("paid_date"),
        total_paid: form.take("total_paid"),
        total_paid_cents: None,
        payer_claim_control_number: form.take("payer_claim_control_number"),
        lines,
        claim_adjustments: adjustments_from(form, "claim_adjustments"),
    }
}

async fn outcome(
    state: &AppState,
    session: &PageSession,
    id: &str,
    form: FormState,
    result: medoffice_app::Result<ClaimDetail>,
    notice: &str,
) -> Response {
    match result {
        Ok(d) => Redirect::to(&format!("/billing/claims/{}?notice={notice}", d.claim.id)).into_response(),
        Err(AppError::Validation(errors)) => {
            let mut form = form;
            form.errors = errors;
            claim_view(state, session, id, form, "").await
        }
        Err(e) => error_page(e),
    }
}

/// "Correct or void this claim": a new claim, frequency 7 or 8, linked to this one.
pub async fn correct(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = ClaimCorrectionInput {
        frequency_code: form.take("frequency_code"),
        payer_claim_control_number: form.take("payer_claim_control_number"),
        note: form.take("note"),
    };
    let result = state.app.correct_claim(&session.actor, &id, &input).await;
    outcome(&state, &session, &id, form, result, "corrected").await
}

/// The frequency of a draft or rejected claim (1, 7 or 8).
pub async fn set_frequency(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = ClaimFrequencyInput {
        frequency_code: form.take("frequency_code"),
        payer_claim_control_number: form.take("payer_claim_control_number"),
    };
    let result = state.app.set_claim_frequency(&session.actor, &id, &input).await;
    outcome(&state, &session, &id, form, result, "changed").await
}

/// "Bill the secondary payer": the primary's adjudication, then the draft secondary claim.
pub async fn bill_secondary(
    State(state): State<AppState>,
    session: PageSession,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = adjudication_input(&form);
    let result = state.app.create_secondary_claim(&session.actor, &id, &input).await;
    outcome(&state, &session, &id, form, result, "secondary").await
}
