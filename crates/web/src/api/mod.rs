//! The JSON API under `/api/v1`, described by the OpenAPI 3.1 document at `/api/v1/openapi.json`,
//! generated from these handlers and types.

mod acknowledgements;
mod appointments;
mod bank;
mod bill_payments;
mod claim_status;
mod claims;
mod claims_cob;
mod cms1500;
mod code_sets;
mod collections;
mod denials;
mod deposits;
mod documents;
mod eligibility;
mod front_desk;
mod invoices;
mod ledger;
mod letters;
mod mail;
mod messages;
mod patient_accounts;
mod patients;
mod payables;
mod practice;
mod receivables;
mod remittances;
mod schedule_setup;
mod statements;

use crate::AppState;
use crate::error::{ApiError, FieldProblem, Problem};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use medoffice_app::AppError;
use medoffice_domain::ValidationErrors;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

pub(crate) use documents::content_response as documents_content_response;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/patients", post(patients::create).get(patients::list))
        .route("/patients/{id}", get(patients::get_one).put(patients::update))
        .route("/patients/{id}/coverages", post(patients::add_coverage).get(patients::list_coverages))
        .route("/patients/{id}/coverages/{coverage_id}", put(patients::update_coverage))
        .route("/patients/{id}/merge", post(patients::merge))
        .route("/patients/{id}/account", get(patient_accounts::account))
        .route("/patients/{id}/payments", post(patient_accounts::take_payment))
        .route("/patients/{id}/family", get(receivables::family))
        .route("/patients/{id}/guarantor", put(receivables::set_guarantor))
        .route("/receivables/aging", get(receivables::aging))
        .route("/receivables/ar-metrics", get(receivables::metrics))
        .route("/collections", get(collections::worklist))
        .route("/collections/agency-exports", post(collections::export_to_agency))
        .route("/dunning/runs", post(collections::run_dunning))
        .route("/letter-templates", get(letters::templates))
        .route("/letters", post(letters::write))
        .route("/letters/{id}/pdf", get(letters::pdf))
        .route("/payment-plans", post(collections::create_plan).get(collections::list_plans))
        .route("/write-offs", post(collections::write_off))
        .route("/refunds", post(collections::refund))
        .route("/payers", get(practice::payers))
        .route("/providers", get(practice::providers))
        .route("/payers/{id}", get(code_sets::payer).put(code_sets::update_payer))
        .route("/codes/icd10cm", get(code_sets::icd10cm))
        .route("/codes/icd10cm/{id}", get(code_sets::icd10cm_code))
        .route("/codes/procedures", get(code_sets::procedures))
        .route("/codes/procedures/import", post(code_sets::import_procedures))
        .route("/fee-schedule", get(code_sets::fee_schedule))
        .route("/fee-schedule/standard", put(code_sets::set_standard_fee))
        .route("/fee-schedule/payers/{id}", put(code_sets::set_payer_fee))
        .route("/fee-schedule/quote", get(code_sets::quote))
        .route("/appointments", post(appointments::create).get(appointments::list))
        .route("/appointments/{id}/status", post(appointments::change_status))
        .route("/appointments/{id}", get(front_desk::get_one))
        .route("/appointments/{id}/reschedule", post(front_desk::reschedule))
        .route("/appointments/{id}/room", post(front_desk::room))
        .route("/appointments/{id}/check-in", post(front_desk::check_in))
        .route("/appointments/{id}/check-out", post(front_desk::check_out))
        .route("/appointment-series", post(front_desk::book_series))
        .route("/appointment-series/preview", post(front_desk::preview_series))
        .route("/open-slots", get(front_desk::search_slots))
        .route("/payments/{id}/receipt", get(front_desk::receipt))
        .route("/payments/{id}/void", post(front_desk::void))
        .route("/providers/{id}/open-slots", get(appointments::open_slots))
        .route("/appointment-types", get(schedule_setup::appointment_types).post(schedule_setup::add_appointment_type))
        .route("/locations", get(schedule_setup::locations).post(schedule_setup::add_location))
        .route("/providers/{id}/template", get(schedule_setup::template).post(schedule_setup::add_template_entry))
        .route("/holidays", get(schedule_setup::holidays).post(schedule_setup::add_holiday))
        .route("/ledger/accounts", get(ledger::accounts))
        .route("/ledger/entries", post(ledger::post_entry))
        .route("/ledger/entries/{id}", get(ledger::get_entry))
        .route("/ledger/entries/{id}/reverse", post(ledger::reverse_entry))
        .route("/ledger/trial-balance", get(ledger::trial_balance))
        .route("/payment-runs", post(bill_payments::pay))
        .route("/bill-payments", get(bill_payments::list))
        .route("/bill-payments/{id}", get(bill_payments::get_one))
        .route("/bill-payments/{id}/void", post(bill_payments::void))
        .route("/ap-aging", get(bill_payments::aging))
        .route("/vendors/1099", get(bill_payments::vendors_1099))
        .route("/vendors", get(payables::vendors).post(payables::add_vendor))
        .route("/vendors/{id}", get(payables::vendor).put(payables::replace_vendor).patch(payables::patch_vendor))
        .route("/bills", get(payables::bills).post(payables::enter_bill))
        .route("/bills/{id}", get(payables::bill))
        .route("/encounters", post(claims::open_encounter))
        .route("/encounters/{id}", get(claims::encounter))
        .route("/encounters/{id}/charges", post(claims::post_charges))
        .route("/claims", get(claims::worklist))
        .route("/claims/export", post(claims::export))
        .route("/claims/paper-prints", post(cms1500::print))
        .route("/claims/paper-prints/{id}/file", get(cms1500::print_file))
        .route("/claims/{id}/cms1500", get(cms1500::claim_form))
        .route("/acknowledgements", post(acknowledgements::import).get(acknowledgements::list))
        .route("/acknowledgements/{id}", get(acknowledgements::get_one))
        .route("/remittances", post(remittances::import).get(remittances::list))
        .route("/remittances/{id}", get(remittances::get_one))
        .route("/underpayments", get(remittances::underpayments))
        .route("/denials", get(denials::list))
        .route("/denials/{claim_id}/appeal", post(denials::appeal))
        .route("/denials/{claim_id}/write-off", post(denials::write_off))
        .route("/denials/{claim_id}/bill-patient", post(denials::bill_patient))
        .route("/paper-eobs", post(denials::post_paper_eob))
        .route("/third-parties", get(invoices::parties).post(invoices::add_party))
        .route("/third-parties/{id}", get(invoices::party).put(invoices::replace_party))
        .route("/invoices", get(invoices::list).post(invoices::create))
        .route("/invoices/{id}", get(invoices::get_one))
        .route("/invoices/{id}/pdf", get(invoices::pdf))
        .route("/invoices/{id}/payments", post(invoices::pay))
        .route("/invoices/{id}/void", post(invoices::void))
        .route("/invoice-aging", get(invoices::aging))
        .route("/invoice-late-charges", post(invoices::late_charges))
        .route("/invoice-late-charges/{id}/reverse", post(invoices::reverse_late_charge))
        .route("/claims/{id}", get(claims::claim))
        .route("/claims/{id}/status", post(claims::change_status))
        .route("/claims/{id}/payer-says", get(claim_status::history))
        .route("/claim-status/requests", post(claim_status::request))
        .route("/claim-status/requests/{id}", get(claim_status::request_file))
        .route("/claim-status/responses", post(claim_status::import))
        .route("/claims/{id}/correct", post(claims_cob::correct))
        .route("/claims/{id}/frequency", post(claims_cob::set_frequency))
        .route("/claims/{id}/secondary", post(claims_cob::bill_secondary))
        .route("/eligibility/requests", post(eligibility::request))
        .route("/eligibility/requests/{id}", get(eligibility::request_file))
        .route("/eligibility/responses", post(eligibility::import))
        .route("/bank/statements", post(bank::import).get(bank::list))
        .route("/bank/statements/{id}", get(bank::get_one))
        .route("/bank/statements/{id}/clear", post(bank::clear))
        .route("/bank/statements/{id}/reconcile", post(bank::reconcile))
        .route("/bank/lines/{id}/match", post(bank::match_line))
        .route("/bank/lines/{id}/unmatch", post(bank::unmatch))
        .route("/bank/lines/{id}/ignore", post(bank::ignore))
        .route("/bank/lines/{id}/post", post(bank::post_line))
        .route("/deposits", post(deposits::make))
        .route("/deposits/undeposited", get(deposits::undeposited))
        .route("/deposits/{id}", get(deposits::get_one))
        .route("/deposits/{id}/undo", post(deposits::undo))
        .route("/mail", post(mail::log).get(mail::list))
        .route("/mail/{id}", get(mail::get_one))
        .route("/records-requests", post(mail::log_request).get(mail::list_requests))
        .route("/records-requests/{id}", get(mail::get_request))
        .route("/records-requests/{id}/fulfil", post(mail::fulfil))
        .route("/messages", post(messages::create).get(messages::list))
        .route("/statements", get(statements::list))
        .route("/statements/runs", post(statements::run))
        .route("/statements/{id}", get(statements::get_one))
        .route("/late-charges/runs", post(statements::late_charges))
        .route("/late-charges/{id}/reversal", post(statements::reverse))
        .route("/documents", documents::upload_route().get(documents::list))
        .route("/documents/{id}", get(documents::get_one))
        .route("/documents/{id}/content", get(documents::content))
        .route("/documents/{id}/versions", documents::version_route())
        .route("/patients/{id}/documents", documents::patient_upload_route().get(documents::patient_list))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
}

#[derive(OpenApi)]
#[openapi(
    info(title = "medoffice API", description = "Patients, insurance and the practice's lists. Money is integer cents in fields ending `_cents`; dates are `YYYY-MM-DD`; ids are strings. Errors are RFC 9457 problem+json."),
    paths(
        patients::create, patients::list, patients::get_one, patients::update,
        patients::add_coverage, patients::list_coverages, patients::update_coverage, patients::merge,
        patient_accounts::account, patient_accounts::take_payment,
        receivables::aging, receivables::metrics, receivables::family, receivables::set_guarantor,
        collections::worklist, collections::run_dunning, collections::create_plan, collections::list_plans,
        collections::export_to_agency, collections::write_off, collections::refund,
        letters::templates, letters::write, letters::pdf,
        practice::payers, practice::providers,
        code_sets::payer, code_sets::update_payer, code_sets::icd10cm, code_sets::icd10cm_code, code_sets::procedures,
        code_sets::import_procedures, code_sets::fee_schedule, code_sets::set_standard_fee, code_sets::set_payer_fee, code_sets::quote,
        appointments::create, appointments::list, appointments::open_slots, appointments::change_status,
        front_desk::get_one, front_desk::reschedule, front_desk::room, front_desk::check_in, front_desk::check_out,
        front_desk::preview_series, front_desk::book_series, front_desk::search_slots, front_desk::receipt, front_desk::void,
        schedule_setup::appointment_types, schedule_setup::add_appointment_type, schedule_setup::locations, schedule_setup::add_location,
        schedule_setup::template, schedule_setup::add_template_entry, schedule_setup::holidays, schedule_setup::add_holiday,
        ledger::accounts, ledger::post_entry, ledger::get_entry, ledger::reverse_entry, ledger::trial_balance,
        bill_payments::pay, bill_payments::list, bill_payments::get_one, bill_payments::void, bill_payments::aging, bill_payments::vendors_1099,
        payables::vendors, payables::add_vendor, payables::vendor, payables::replace_vendor, payables::patch_vendor,
        payables::bills, payables::enter_bill, payables::bill,
        bank::import, bank::list, bank::get_one, bank::clear, bank::reconcile,
        bank::match_line, bank::unmatch, bank::ignore, bank::post_line,
        deposits::undeposited, deposits::make, deposits::get_one, deposits::undo,
        claims::open_encounter, claims::encounter, claims::post_charges, claims::worklist, claims::claim, claims::change_status, claims::export,
        claims_cob::correct, claims_cob::set_frequency, claims_cob::bill_secondary,
        cms1500::claim_form, cms1500::print, cms1500::print_file,
        claim_status::request, claim_status::request_file, claim_status::import, claim_status::history,
        eligibility::request, eligibility::request_file, eligibility::import,
        acknowledgements::import, acknowledgements::list, acknowledgements::get_one,
        remittances::import, remittances::list, remittances::get_one, remittances::underpayments,
        denials::list, denials::appeal, denials::write_off, denials::bill_patient, denials::post_paper_eob,
        invoices::parties, invoices::add_party, invoices::party, invoices::replace_party, invoices::list, invoices::create,
        invoices::get_one, invoices::pdf, invoices::pay, invoices::void, invoices::aging, invoices::late_charges,
        invoices::reverse_late_charge,
        messages::create, messages::list,
        statements::list, statements::get_one, statements::run, statements::late_charges, statements::reverse,
        mail::log, mail::list, mail::get_one, mail::log_request, mail::list_requests, mail::get_request, mail::fulfil,
        documents::upload_for_patient, documents::patient_list, documents::upload, documents::list, documents::get_one,
        documents::content, documents::add_version,
    ),
    components(schemas(Problem, FieldProblem)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from `medoffice token create --username NAME`"))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI 3.1 document of this API.
async fn openapi_json() -> Response {
    match ApiDoc::openapi().to_pretty_json() {
        Ok(json) => ([(axum::http::header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot render the OpenAPI document: {e}")).into_response(),
    }
}

#[allow(dead_code)]
async fn not_built() -> Problem {
    Problem::new(StatusCode::NOT_IMPLEMENTED, "this part of medoffice is not built yet (see the project's open issues)")
}

pub(crate) async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "no such API endpoint; see /api/v1/openapi.json")
}

async fn method_not_allowed() -> Problem {
    Problem::new(StatusCode::METHOD_NOT_ALLOWED, "this endpoint does not take this method; see /api/v1/openapi.json")
}

/// A list answer: `{"items": [...], "next": cursor-or-null}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of the next page, or null on the last page.
    pub next: Option<String>,
}

impl<T> Page<T> {
    pub fn all(items: Vec<T>) -> Page<T> {
        Page { items, next: None }
    }
}

/// A JSON body whose rejection is a problem document naming what is wrong.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

/// A body that is JSON but not of the expected shape: the field at fault and what is wrong.
fn data_error(text: &str) -> FieldProblem {
    let text = text.trim_start_matches("Failed to deserialize the JSON body into the target type: ");
    // serde reports `path.to.field: problem` when it knows the field.
    let (field, message) = match text.split_once(": ") {
        Some((path, rest)) if !path.is_empty() && path.chars().all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c)) => {
            (path.to_string(), rest.to_string())
        }
        _ => ("body".to_string(), text.to_string()),
    };
    // A missing required member is reported at its parent: name the member itself.
    let field = match message.strip_prefix("missing field `").and_then(|m| m.split_once('`')) {
        Some((name, _)) if field == "body" || field == "." => name.to_string(),
        Some((name, _)) => format!("{field}.{name}"),
        None if field == "." => "body".to_string(),
        None => field,
    };
    FieldProblem { field, message }
}

/// Deserializes `T` from a JSON body already read as a value, naming the field at fault. For
/// bodies of several parts (a patient's fields and `version`), where `#[serde(flatten)]` would
/// hide which field is wrong. A member that is `null` counts as absent, as answers write what
/// is not on file as `null`, so that an answer can be sent back.
pub fn from_json<T: DeserializeOwned>(body: &serde_json::Value) -> Result<T, ApiError> {
    fn without_nulls(v: &mut serde_json::Value) {
        if let serde_json::Value::Object(members) = v {
            members.retain(|_, m| !m.is_null());
            members.values_mut().for_each(without_nulls);
        }
    }
    let mut body = body.clone();
    without_nulls(&mut body);
    let bytes = serde_json::to_vec(&body).map_err(|e| AppError::Internal(e.to_string()))?;
    Json::<T>::from_bytes(&bytes).map(|Json(v)| v).map_err(|rejection| {
        let FieldProblem { field, mut message } = data_error(&rejection.body_text());
        // A position in the re-encoded body would mislead: drop it.
        if let Some(at) = message.rfind(" at line ") {
            message.truncate(at);
        }
        ApiError(AppError::Validation(ValidationErrors::single(&field, message)))
    })
}

fn json_problem(rejection: JsonRejection) -> Problem {
    match rejection {
        JsonRejection::JsonDataError(e) => Problem::validation(vec![data_error(&e.body_text())]),
        JsonRejection::JsonSyntaxError(e) => {
            Problem::new(StatusCode::BAD_REQUEST, format!("the body is not valid JSON: {}", e.body_text()))
        }
        JsonRejection::MissingJsonContentType(_) => {
            Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "send the body as JSON with Content-Type: application/json")
        }
        other => Problem::new(StatusCode::BAD_REQUEST, other.body_text()),
    }
}

/// Query parameters whose rejection is a problem document.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| Problem::validation(vec![FieldProblem { field: "query".into(), message: e.body_text() }]))
    }
}

/// Path parameters whose rejection is a problem document.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| Problem::new(StatusCode::BAD_REQUEST, e.body_text()))
    }
}

/// Whether the request's body is `multipart/form-data`.
pub(crate) fn is_multipart(request: &Request) -> bool {
    request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

/// A `multipart/form-data` upload: the `file` part (its file name and bytes) and the other parts
/// named in `fields`, as text. Anything unreadable is 422 on the part's name.
pub(crate) struct MultipartUpload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub fields: std::collections::HashMap<String, String>,
    /// Every `file` part in order (file name, bytes), for uploads of several scanned pages; the
    /// last one is also in `file_name` and `bytes`.
    pub files: Vec<(String, Vec<u8>)>,
}

pub(crate) async fn multipart_upload(request: Request, fields: &[&str]) -> Result<MultipartUpload, ApiError> {
    use axum::extract::Multipart;
    let bad = |field: &str, message: String| ApiError(AppError::Validation(ValidationErrors::single(field, message)));
    let mut form = Multipart::from_request(request, &()).await.map_err(|e| bad("file", e.body_text()))?;
    let mut upload = MultipartUpload { file_name: String::new(), bytes: Vec::new(), fields: Default::default(), files: Vec::new() };
    while let Some(part) = form.next_field().await.map_err(|e| bad("file", e.body_text()))? {
        let name = part.name().unwrap_or("").to_string();
        if name == "file" {
            upload.file_name = part.file_name().unwrap_or("").to_string();
            upload.bytes = part.bytes().await.map_err(|e| bad("file", e.body_text()))?.to_vec();
            upload.files.push((upload.file_name.clone(), upload.bytes.clone()));
        } else if let Some(&field) = fields.iter().find(|f| **f == name) {
            let text = part.text().await.map_err(|e| bad(field, e.body_text()))?;
            upload.fields.insert(name, text);
        }
    }
    Ok(upload)
}

/// A file uploaded to an import endpoint: the request's body as it is, or the `file` part of a
/// `multipart/form-data` body (with its file name). Anything unreadable is 422 on `file`.
pub(crate) async fn uploaded_file(request: Request) -> Result<(String, Vec<u8>), ApiError> {
    if !is_multipart(&request) {
        let bytes = axum::body::Bytes::from_request(request, &())
            .await
            .map_err(|e| ApiError(AppError::Validation(ValidationErrors::single("file", e.body_text()))))?;
        return Ok((String::new(), bytes.to_vec()));
    }
    let upload = multipart_upload(request, &[]).await?;
    Ok((upload.file_name, upload.bytes))
}
