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

#[cfg(test)]
mod tests {
    use super::*;

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
