//! Identifiers of the records scheduling refers to, one type each so a provider id can never be
//! passed where an appointment type id is expected.
//!
//! The store keeps ids as text (UUIDs); the domain only compares them. `parse_id` checks the shape
//! of an id as typed into a form or JSON body, so control characters or a page of text never reach
//! a lookup.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest id accepted from input; a UUID is 36 characters.
pub const MAX_ID_CHARS: usize = 64;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id as the store holds it.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// An id as typed: trimmed, 1 to 64 letters, digits, `-` or `_`.
            pub fn parse(text: &str) -> Result<Self, String> {
                parse_id(text).map(Self)
            }

            /// The id as stored.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self::new(id)
            }
        }
    };
}

id_type!(
    /// A provider (physician, nurse practitioner...) who sees patients.
    ProviderId
);
id_type!(
    /// A location (office) of the practice where providers work.
    LocationId
);
id_type!(
    /// An appointment type such as "New patient visit".
    AppointmentTypeId
);
id_type!(
    /// A booked appointment.
    AppointmentId
);

fn parse_id(text: &str) -> Result<String, String> {
    let id = text.trim();
    if id.is_empty() {
        return Err("choose one".into());
    }
    if id.chars().count() > MAX_ID_CHARS || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(format!("'{}' is not an id", id.chars().take(MAX_ID_CHARS).collect::<String>()));
    }
    Ok(id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_as_typed_is_trimmed_and_keeps_its_case() {
        assert_eq!(ProviderId::parse(" 0191e7c2-AB_3 ").map(|p| p.as_str().to_string()), Ok("0191e7c2-AB_3".to_string()));
    }

    #[test]
    fn a_blank_or_odd_id_is_refused() {
        assert!(ProviderId::parse("  ").is_err());
        assert!(LocationId::parse("main office").is_err());
        assert!(AppointmentTypeId::parse("x\u{0}").is_err());
        assert!(AppointmentId::parse(&"a".repeat(MAX_ID_CHARS + 1)).is_err());
        assert!(AppointmentId::parse(&"a".repeat(MAX_ID_CHARS)).is_ok());
    }
}
