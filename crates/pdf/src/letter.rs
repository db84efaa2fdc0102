//! A letter from a template on the practice's letterhead: the practice's name set large (a logo
//! when the practice has one is for later: none is stored yet), its address and phone under a
//! rule, then the letter's text as rendered (the date and address block are part of the
//! template), and a signature line with the signer's name. Several letters make one file, each
//! starting on a new page, so a batch prints in one go.
//!
//! The text arrives rendered and plain (merge fields filled by `medoffice_domain::letters`); this
//! module only lays it out: a blank line separates paragraphs, a single line break is kept.

use crate::{Align, Document, Font};

/// The practice's letterhead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Letterhead {
    pub practice_name: String,
    /// Address lines, then the phone, each printed under the name.
    pub lines: Vec<String>,
}

/// One letter's page(s).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LetterPage {
    /// The rendered text.
    pub body: String,
    /// Who signs under the signature line, and their title ("Office manager", "MD").
    pub signer_name: String,
    pub signer_title: String,
}

/// Where the letterhead sits from the top margin, in points.
const NAME_SIZE: f32 = 20.0;

/// One PDF with each letter starting on a new page.
pub fn letters_pdf(head: &Letterhead, letters: &[LetterPage]) -> Vec<u8> {
    let mut doc = Document::letter();
    for (i, letter) in letters.iter().enumerate() {
        if i > 0 {
            doc.new_page();
        }
        letterhead(&mut doc, head);
        for block in letter.body.split("\n\n").map(str::trim_end).filter(|b| !b.trim().is_empty()) {
            let lines: Vec<&str> = block.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
            for (n, l) in lines.iter().enumerate() {
                if n + 1 == lines.len() {
                    doc.paragraph(l);
                } else {
                    doc.line(l);
                }
            }
        }
        doc.spacer(30.0);
        doc.line("________________________________");
        doc.line(&letter.signer_name);
        if !letter.signer_title.is_empty() {
            doc.line(&letter.signer_title);
        }
    }
    doc.finish()
}

/// The head of a page: the name large, the address and phone small, a rule under them. The
/// document's cursor stands at the top margin of a fresh page when this is called.
fn letterhead(doc: &mut Document, head: &Letterhead) {
    let top = crate::PageSize::LETTER.height - 54.0;
    let (left, right) = (54.0, crate::PageSize::LETTER.width - 54.0);
    doc.text_at(left, top - NAME_SIZE, Font::Bold, NAME_SIZE, Align::Left, &head.practice_name);
    let mut y = top - NAME_SIZE - 14.0;
    for line in head.lines.iter().filter(|l| !l.trim().is_empty()).take(3) {
        doc.text_at(left, y, Font::Regular, 9.0, Align::Left, line);
        y -= 11.0;
    }
    doc.rule_at(left, right, y + 3.0, 0.75);
    doc.spacer(top - y + 14.0);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn text_of(bytes: &[u8]) -> (usize, String) {
        let doc = lopdf::Document::load_mem(bytes).unwrap();
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        (pages.len(), doc.extract_text(&pages).unwrap())
    }

    #[test]
    fn a_letter_prints_the_letterhead_its_paragraphs_and_the_signer() {
        let head = Letterhead {
            practice_name: "Maple Family Medicine".into(),
            lines: vec!["12 Main St, Springfield, IL".into(), "Phone 555-0100".into()],
        };
        let letter = LetterPage {
            body: "June 15, 2026\n\nPat Doe\n4 Elm St\n\nDear Pat Doe,\n\nWelcome to the practice.".into(),
            signer_name: "Ann Lee, MD".into(),
            signer_title: "Provider".into(),
        };
        let bytes = letters_pdf(&head, &[letter]);
        assert!(bytes.starts_with(b"%PDF-"));
        let (pages, text) = text_of(&bytes);
        assert_eq!(pages, 1);
        for wanted in ["Maple Family Medicine", "12 Main St", "Phone 555-0100", "4 Elm St", "Welcome to the practice.", "Ann Lee, MD"] {
            assert!(text.contains(wanted), "missing {wanted:?} in {text}");
        }
    }

    #[test]
    fn a_batch_starts_each_letter_on_its_own_page() {
        let head = Letterhead { practice_name: "Maple".into(), lines: vec![] };
        let one = |name: &str| LetterPage { body: format!("Dear {name},"), signer_name: "Office".into(), signer_title: String::new() };
        let (pages, text) = text_of(&letters_pdf(&head, &[one("Ann"), one("Bob"), one("Cy")]));
        assert_eq!(pages, 3);
        assert!(text.contains("Dear Bob,"));
    }
}
