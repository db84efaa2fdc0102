//! The application's error: what went wrong in terms a person or a client can act on.

use crate::views::DuplicateCandidate;
use medoffice_domain::ValidationErrors;
use medoffice_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that breaks a rule; every field at fault is named.
    #[error("{0}")]
    Validation(#[from] ValidationErrors),
    /// The registration looks like an existing patient; the caller must choose explicitly.
    #[error("this patient may already be registered ({} possible match(es)); confirm to register anyway", .0.len())]
    PossibleDuplicates(Vec<DuplicateCandidate>),
    #[error("sign in first: {0}")]
    Unauthenticated(String),
    #[error("your role does not allow this")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("too many failed sign-ins; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: i64 },
    /// A stored file that failed its integrity check (encryption tag or content hash): shown as
    /// it is, since the office must restore the file from a backup.
    #[error("{0}; restore it from the backup")]
    Damaged(String),
    /// Anything else; details are logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Conflict(constraint) => AppError::Conflict(conflict_message(&constraint)),
            e @ StoreError::Tampered(_) => AppError::Damaged(e.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<medoffice_store::SqlxError> for AppError {
    fn from(e: medoffice_store::SqlxError) -> Self {
        AppError::from(StoreError::from(e))
    }
}

/// Constraint names turned into sentences. PostgreSQL names the constraint (`patient_mrn_unique`);
/// SQLite names the columns instead (`UNIQUE constraint failed: patient.practice_id, patient.mrn`).
fn conflict_message(constraint: &str) -> String {
    match constraint {
        "patient_version" => "someone else changed this patient since you opened it; reload and apply your change again".into(),
        "patient_already_merged" => "that patient record was already merged into another".into(),
        "appointment_no_overlap" => "that time was just taken; choose another".into(),
        c if c.contains("app_user_username") || c.contains("username") => "that username is taken".into(),
        c if c.contains("provider_npi") || c.contains("provider.npi") => "a provider with that NPI already exists".into(),
        c if c.contains("patient_mrn") || c.contains("patient.mrn") => "that medical record number is taken".into(),
        other => format!("the change conflicts with existing data ({other})"),
    }
}
