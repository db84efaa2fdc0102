//! Field-level validation errors, collected so a form or an API client sees every problem at once.

use serde::Serialize;

/// One problem with one input field. `field` is the name the client sent (e.g. `birth_date`,
/// `address.postal_code`, `coverages[0].member_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every field error of one input. Empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", self.summary())]
pub struct ValidationErrors {
    pub errors: Vec<FieldError>,
}

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// A single error, for rules that concern one field only.
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError { field: field.to_string(), message: message.into() });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The message for a field, if it has one (forms show it next to the field).
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }

    /// Turns the collection into a `Result`: `Ok(value)` when no error was added.
    pub fn into_result<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.errors.is_empty() { Ok(value) } else { Err(self) }
    }

    /// One line naming every field at fault, for the CLI and logs.
    pub fn summary(&self) -> String {
        self.errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
    }

    /// Records the error of a parse step and returns its value when it succeeded.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    /// Merges errors of a nested input under a prefix (`guarantor.` + `phone`).
    pub fn extend_prefixed(&mut self, prefix: &str, other: ValidationErrors) {
        for e in other.errors {
            self.errors.push(FieldError { field: format!("{prefix}{}", e.field), message: e.message });
        }
    }
}

/// Trims and collapses inner whitespace; `None` for an empty result.
pub fn clean(text: &str) -> Option<String> {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.is_empty() { None } else { Some(joined) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_collected_not_stopped_at_the_first() {
        let mut errors = ValidationErrors::new();
        errors.add("a", "is wrong");
        errors.add("b", "is also wrong");
        assert_eq!(errors.errors.len(), 2);
        assert_eq!(errors.summary(), "a: is wrong; b: is also wrong");
        assert_eq!(errors.for_field("b"), Some("is also wrong"));
        assert!(errors.into_result(()).is_err());
    }

    #[test]
    fn clean_collapses_whitespace_and_drops_empty_text() {
        assert_eq!(clean("  Mary   Ann "), Some("Mary Ann".to_string()));
        assert_eq!(clean("   "), None);
    }
}
