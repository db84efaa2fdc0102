//! A past-due letter (dunning notice) on a Letter page: the practice's letterhead, the date, the
//! patient's address block, the letter's title and its text, paragraph by paragraph, and a small
//! table of what is owed.
//!
//! The text arrives as printed (from the plain-text templates of `medoffice_app::collections`,
//! already filled in); this module only lays it out.

use crate::{Align, Column, Document, Row, RowStyle, Table, TitleBlock};

/// Everything printed on a past-due letter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DunningLetter {
    pub practice_name: String,
    /// Address and phone lines under the practice's name.
    pub practice_lines: Vec<String>,
    /// `Past-due notice`, `Second notice`, `Final notice`.
    pub title: String,
    pub letter_date: String,
    /// The patient's name, then the address lines.
    pub recipient: Vec<String>,
    /// The letter's text; a blank line separates paragraphs.
    pub body: String,
    /// `(label, amount)` rows: the balance and how long it has been past due.
    pub summary: Vec<(String, String)>,
    pub printed_at: String,
}

/// The letter as a PDF file.
pub fn dunning_pdf(letter: &DunningLetter) -> Vec<u8> {
    let mut doc = Document::letter();
    doc.title_block(&TitleBlock {
        organization: letter.practice_name.clone(),
        title: letter.title.clone(),
        period: letter.letter_date.clone(),
        printed_at: letter.printed_at.clone(),
    });
    if !letter.practice_lines.is_empty() {
        doc.paragraph(&letter.practice_lines.join(" · "));
    }
    for line in &letter.recipient {
        doc.paragraph(line);
    }
    doc.spacer(12.0);
    for paragraph in letter.body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        doc.paragraph(&paragraph.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    if !letter.summary.is_empty() {
        doc.table(&Table {
            columns: vec![Column::new("Your account", 3.0, Align::Left), Column::new("", 1.5, Align::Right)],
            rows: letter.summary.iter().map(|(l, a)| Row::styled(vec![l.clone(), a.clone()], RowStyle::Normal)).collect(),
        });
    }
    doc.finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_prints_its_title_recipient_text_and_balance() {
        let letter = DunningLetter {
            practice_name: "Maple Family Medicine".into(),
            practice_lines: vec!["12 Main St, Springfield, IL 62701".into()],
            title: "Final notice".into(),
            letter_date: "2026-06-15".into(),
            recipient: vec!["Rita Roe".into(), "4 Elm St".into()],
            body: "Dear Rita Roe,\n\nYour balance is past due.\n\nSincerely,\nThe billing office".into(),
            summary: vec![("Balance due".into(), "$210.00".into())],
            printed_at: "2026-06-15 12:00".into(),
        };
        let bytes = dunning_pdf(&letter);
        assert!(bytes.starts_with(b"%PDF-"));
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        let text = doc.extract_text(&pages).unwrap();
        for wanted in ["Final notice", "Rita Roe", "4 Elm St", "past due", "$210.00"] {
            assert!(text.contains(wanted), "missing {wanted:?} in {text}");
        }
    }
}
