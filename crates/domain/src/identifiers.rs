//! Identifiers with check digits from the standards: the NPI.

/// Whether `npi` is a 10-digit National Provider Identifier whose last digit is the Luhn check
/// digit computed with the `80840` prefix (CMS's rule; X12 NM109 with qualifier XX).
pub fn is_valid_npi(npi: &str) -> bool {
    npi.len() == 10 && npi.chars().all(|c| c.is_ascii_digit()) && npi_check_digit(&npi[..9]) == Some(npi.as_bytes()[9] - b'0')
}

/// The check digit for the first nine digits of an NPI; `None` for anything but nine digits.
pub fn npi_check_digit(first_nine: &str) -> Option<u8> {
    if first_nine.len() != 9 || !first_nine.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(crate::patients::luhn_check_digit(&format!("80840{first_nine}")))
}

/// An NPI from nine digits (for demo and generated data).
pub fn npi_from_base(first_nine: u32) -> String {
    let base = format!("{:09}", first_nine % 1_000_000_000);
    let check = npi_check_digit(&base).unwrap_or(0);
    format!("{base}{check}")
}

/// A health care provider taxonomy code as typed (NUCC code set, the 837P's PRV03 and box 24J's
/// qualifier ZZ): blank is none; otherwise ten letters and digits ending in `X`, e.g. `207Q00000X`
/// (family medicine) or `363LF0000X` (family nurse practitioner). Lower case is accepted.
pub fn parse_taxonomy_code(text: &str) -> Result<Option<String>, String> {
    let t = text.trim().to_ascii_uppercase();
    if t.is_empty() {
        return Ok(None);
    }
    if t.len() != 10 || !t.chars().all(|c| c.is_ascii_alphanumeric()) || !t.ends_with('X') {
        return Err(format!(
            "'{}' is not a taxonomy code: ten letters and digits ending in X, e.g. 207Q00000X",
            t.chars().take(20).collect::<String>()
        ));
    }
    Ok(Some(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taxonomy_codes_are_ten_characters_ending_in_x() {
        assert_eq!(parse_taxonomy_code(" 207q00000x "), Ok(Some("207Q00000X".into())));
        assert_eq!(parse_taxonomy_code("363LF0000X"), Ok(Some("363LF0000X".into())));
        assert_eq!(parse_taxonomy_code(""), Ok(None));
        for bad in ["207Q00000", "207Q00000XX", "207Q0000-X", "207Q000001"] {
            assert!(matches!(parse_taxonomy_code(bad), Err(m) if m.contains("not a taxonomy code")), "{bad}");
        }
    }

    #[test]
    fn the_cms_example_npi_is_valid() {
        // CMS's published example: 123456789 with check digit 3.
        assert!(is_valid_npi("1234567893"));
        assert!(!is_valid_npi("1234567890"));
    }

    #[test]
    fn malformed_npis_are_invalid() {
        assert!(!is_valid_npi("123456789"));
        assert!(!is_valid_npi("12345678a3"));
        assert!(!is_valid_npi(""));
    }

    #[test]
    fn generated_npis_are_valid() {
        for base in [0, 1, 123_456_789, 999_999_999] {
            assert!(is_valid_npi(&npi_from_base(base)));
        }
    }
}
