//! The field checks every writer (837P, 270, 276) runs before it writes a value: free text must
//! be there once cleaned and fit, an identifier must be writable as it is. Each writer names the
//! field and turns a [`FieldFault`] into its own problem type, so its messages stay its own.

use std::fmt;

use crate::claim837p::clean_text;
use crate::syntax::Delimiters;

/// What is wrong with one field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldFault {
    Empty,
    TooLong { max: usize },
    BadCharacters,
}

/// Whether an identifier or code can be written as it is: printable ASCII, no delimiter.
pub(crate) fn writable(s: &str) -> bool {
    let d = Delimiters::STANDARD;
    s.chars().all(|c| (c.is_ascii_graphic() || c == ' ') && !d.is_delimiter(c))
}

/// A required free-text field (a name, an address line): not empty once cleaned, at most `max`
/// characters.
pub(crate) fn text_fault(value: &str, max: usize) -> Option<FieldFault> {
    let v = clean_text(value);
    if v.is_empty() {
        Some(FieldFault::Empty)
    } else if v.len() > max {
        Some(FieldFault::TooLong { max })
    } else {
        None
    }
}

/// An optional free-text field: at most `max` characters once cleaned.
pub(crate) fn optional_text_fault(value: Option<&str>, max: usize) -> Option<FieldFault> {
    value.filter(|v| clean_text(v).len() > max).map(|_| FieldFault::TooLong { max })
}

/// A required identifier written as given: not blank, writable, at most `max` characters.
pub(crate) fn id_fault(value: &str, max: usize) -> Option<FieldFault> {
    let v = value.trim();
    if v.is_empty() {
        Some(FieldFault::Empty)
    } else if !writable(v) {
        Some(FieldFault::BadCharacters)
    } else if v.len() > max {
        Some(FieldFault::TooLong { max })
    } else {
        None
    }
}

/// `intro` then every issue, separated by `; `: the message of a refused file.
pub(crate) fn write_issues<T: fmt::Display>(f: &mut fmt::Formatter<'_>, intro: &str, issues: &[T]) -> fmt::Result {
    f.write_str(intro)?;
    for (i, issue) in issues.iter().enumerate() {
        if i > 0 {
            f.write_str("; ")?;
        }
        write!(f, "{issue}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults() {
        assert_eq!(text_fault("  ", 10), Some(FieldFault::Empty));
        assert_eq!(text_fault("Élodie Smith", 5), Some(FieldFault::TooLong { max: 5 }));
        assert_eq!(text_fault("Doe*Jane", 20), None, "a delimiter in free text is cleaned, not refused");
        assert_eq!(optional_text_fault(None, 1), None);
        assert_eq!(optional_text_fault(Some("abc"), 2), Some(FieldFault::TooLong { max: 2 }));
        assert_eq!(id_fault("AB*12", 10), Some(FieldFault::BadCharacters));
        assert_eq!(id_fault("", 10), Some(FieldFault::Empty));
        assert_eq!(id_fault("ABC123", 3), Some(FieldFault::TooLong { max: 3 }));
        assert_eq!(id_fault(" 60054 ", 80), None);
    }
}
