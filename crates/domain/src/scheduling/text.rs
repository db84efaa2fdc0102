//! Short free text of the scheduling inputs (names, reasons, notes), checked one way everywhere.

use crate::validation::clean;

/// Required text: control characters refused (they break printed day sheets and PostgreSQL cannot
/// store NUL), whitespace collapsed, at most `max_chars` characters. `missing` is the message for
/// blank text, so each field can say what it wants (`enter a name, e.g. ...`).
pub(crate) fn required_text(text: &str, max_chars: usize, missing: &str) -> Result<String, String> {
    if text.chars().any(char::is_control) {
        return Err("contains control characters (such as NUL or a line break); type it again".into());
    }
    let value = clean(text).ok_or_else(|| missing.to_string())?;
    if value.chars().count() > max_chars {
        return Err(format!("at most {max_chars} characters"));
    }
    Ok(value)
}

/// Optional text: `Ok(None)` when blank, otherwise the rules of [`required_text`].
pub(crate) fn optional_text(text: &str, max_chars: usize) -> Result<Option<String>, String> {
    if text.trim().is_empty() && !text.chars().any(char::is_control) { Ok(None) } else { required_text(text, max_chars, "").map(Some) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_collapsed_and_bounded() {
        assert_eq!(required_text("  Lunch   break ", 60, "enter it"), Ok("Lunch break".to_string()));
        assert_eq!(required_text("   ", 60, "enter it"), Err("enter it".to_string()));
        assert!(required_text(&"x".repeat(61), 60, "enter it").is_err());
        assert!(required_text("a\nb", 60, "enter it").is_err());
    }

    #[test]
    fn optional_text_is_none_when_blank_but_still_refuses_control_characters() {
        assert_eq!(optional_text(" ", 10), Ok(None));
        assert!(optional_text("\u{0}", 10).is_err());
        assert_eq!(optional_text(" CME ", 10), Ok(Some("CME".to_string())));
    }
}
