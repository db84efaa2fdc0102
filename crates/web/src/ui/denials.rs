//! The denial worklist, `/billing/denials`: what payers denied, oldest and largest first, with the
//! payer's reasons in words and what each claim still owes in AR - Insurance, filtered by payer.
//! Each row opens its actions (appeal, correct and resubmit on the claim page, write off, bill the
//! patient); an action that is refused re-renders the list with its message next to the field.

use super::{FormState, Layout, checked_form, error_page, render};
use crate::AppState;
use crate::auth::PageSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use medoffice_app::AppError;
use medoffice_app::denials::{DenialActionInput, DenialItem, DenialQuery};
use medoffice_app::views::PayerView;
use medoffice_domain::money::Money;
use medoffice_domain::security::Action;
use serde::Deserialize;

const NAV: &str = "/billing";

pub fn routes() -> Router<AppState> {
    Router::new().route("/billing/denials", get(index)).route("/billing/denials/{claim_id}/{action}", post(act))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    payer_id: String,
    notice: String,
}

/// A row on screen: the item, its amounts in dollars, and the state of its action forms.
pub struct Row {
    pub item: DenialItem,
    /// Unique on the page (a claim may have several denied lines).
    pub key: usize,
    pub denied: String,
    pub in_ar: String,
    /// Whether the actions are open (an action of this claim was just refused).
    pub open: bool,
    /// The note typed, and the refusal's message, for the action refused.
    pub action: String,
    pub note: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "billing_denials.html")]
struct ListPage {
    layout: Layout,
    title: &'static str,
    rows: Vec<Row>,
    payers: Vec<PayerView>,
    payer_id: String,
    total: String,
    can_manage: bool,
}

/// An action refused: which claim and action, the note typed, the message.
struct Refused {
    claim_id: String,
    action: String,
    note: String,
    message: String,
}

async fn list_view(
    state: &AppState,
    session: &PageSession,
    payer_id: String,
    notice: Option<String>,
    refused: Option<Refused>,
) -> Response {
    let actor = &session.actor;
    let list = match state.app.denial_worklist(actor, &DenialQuery { payer_id: payer_id.clone() }).await {
        Ok(l) => l,
        Err(e) => return error_page(e),
    };
    let payers = match state.app.list_payers(actor).await {
        Ok(p) => p,
        Err(e) => return error_page(e),
    };
    let m = |cents: i64| Money::from_cents(cents).to_string();
    let mut first_open = true;
    let rows = list
        .items
        .into_iter()
        .enumerate()
        .map(|(key, item)| {
            // The refusal is shown once, on the claim's first row.
            let mine = refused.as_ref().filter(|r| r.claim_id == item.claim_id && first_open);
            if mine.is_some() {
                first_open = false;
            }
            Row {
                key,
                denied: m(item.denied_cents),
                in_ar: m(item.ar_insurance_cents),
                open: mine.is_some(),
                action: mine.map(|r| r.action.clone()).unwrap_or_default(),
                note: mine.map(|r| r.note.clone()).unwrap_or_default(),
                error: mine.map(|r| r.message.clone()),
                item,
            }
        })
        .collect();
    render(&ListPage {
        layout: Layout::new(session, NAV).with_notice(notice),
        title: "Denials",
        rows,
        payers,
        payer_id,
        total: m(list.total_ar_insurance_cents),
        can_manage: actor.role.may(Action::ManageClaims),
    })
}

fn notice(key: &str) -> Option<String> {
    let text = match key {
        "appealed" => "The claim is appealed: the payer's next remittance for it is posted as usual.",
        "written_off" => "What the claim still owed in AR - Insurance was written off to contractual adjustments; the claim is closed.",
        "billed" => "What the claim still owed in AR - Insurance was moved to the patient's balance; the claim is closed.",
        _ => return None,
    };
    Some(text.to_string())
}

pub async fn index(State(state): State<AppState>, session: PageSession, Query(q): Query<ListQuery>) -> Response {
    list_view(&state, &session, q.payer_id, notice(&q.notice), None).await
}

pub async fn act(
    State(state): State<AppState>,
    session: PageSession,
    Path((claim_id, action)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let form: FormState = match checked_form(&session, fields) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let input = DenialActionInput { note: form.take("note") };
    let actor = &session.actor;
    let (result, done) = match action.as_str() {
        "appeal" => (state.app.appeal_denial(actor, &claim_id, &input).await, "appealed"),
        "write-off" => (state.app.write_off_denial(actor, &claim_id, &input).await, "written_off"),
        "bill-patient" => (state.app.bill_patient_for_denial(actor, &claim_id, &input).await, "billed"),
        _ => return error_page(AppError::NotFound("action")),
    };
    let payer_id = form.take("payer_id");
    match result {
        Ok(_) => Redirect::to(&format!("/billing/denials?payer_id={}&notice={done}", urlencoding(&payer_id))).into_response(),
        Err(AppError::Validation(errors)) => {
            let message = errors.errors.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; ");
            let refused = Refused { claim_id, action, note: input.note, message };
            list_view(&state, &session, payer_id, None, Some(refused)).await
        }
        Err(e) => error_page(e),
    }
}

/// A payer id for a query string (ids are letters, digits and hyphens; anything else is dropped).
fn urlencoding(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}
