//! medoffice's domain: the rules about patients, insurance, money, roles and the audit trail.
//!
//! This crate is pure: it knows nothing of HTTP, SQL or async, so every rule here is tested fast
//! and exhaustively, with bad input as often as good. Other crates turn raw input into these types
//! through `parse`/`validate` functions, which report every field error at once.

pub mod audit;
pub mod coding;
pub mod documents;
pub mod identifiers;
pub mod ledger;
pub mod letters;
pub mod mailings;
pub mod messages;
pub mod mfa;
pub mod money;
pub mod patients;
pub mod scheduling;
pub mod search;
pub mod security;
pub mod validation;

pub use money::Money;
pub use validation::{FieldError, ValidationErrors};
