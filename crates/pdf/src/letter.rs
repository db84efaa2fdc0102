//! A letter from a template on the practice's letterhead: the practice's logo top left when it
//! has one (scaled to fit [`LOGO_MAX_WIDTH`] x [`LOGO_MAX_HEIGHT`], the text beside it), the
//! practice's name set large, its address and phone under a rule, then the letter's text as rendered (the date and address block are part of the
//! template), and a signature line with the signer's name. Several letters make one file, each
//! starting on a new page, so a batch prints in one go.
//!
//! The text arrives rendered and plain (merge fields filled by `medoffice_domain::letters`); this
//! module only lays it out: a blank line separates paragraphs, a single line break is kept.

use crate::image::Image;
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
/// The box the logo is scaled into, in points (two inches by three quarters).
pub const LOGO_MAX_WIDTH: f32 = 144.0;
pub const LOGO_MAX_HEIGHT: f32 = 54.0;
/// The space between the logo and the practice's name.
const LOGO_GAP: f32 = 12.0;

/// One PDF with each letter starting on a new page.
pub fn letters_pdf(head: &Letterhead, letters: &[LetterPage]) -> Vec<u8> {
    letters_pdf_with_logo(head, None, letters)
}

/// One PDF with each letter starting on a new page, the practice's logo (when given) on each
/// letterhead; the image is stored once in the file.
pub fn letters_pdf_with_logo(head: &Letterhead, logo: Option<&Image>, letters: &[LetterPage]) -> Vec<u8> {
    let mut doc = Document::letter();
    for (i, letter) in letters.iter().enumerate() {
        if i > 0 {
            doc.new_page();
        }
        letterhead(&mut doc, head, logo);
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
        // A flier or newsletter of a mailing has no signer: no signature block either.
        if !letter.signer_name.is_empty() {
            doc.spacer(30.0);
            doc.line("________________________________");
            doc.line(&letter.signer_name);
            if !letter.signer_title.is_empty() {
                doc.line(&letter.signer_title);
            }
        }
    }
    doc.finish()
}

/// The head of a page: the logo top left, the name large, the address and phone small (beside the
/// logo), a rule under them all. The document's cursor stands at the top margin of a fresh page
/// when this is called.
fn letterhead(doc: &mut Document, head: &Letterhead, logo: Option<&Image>) {
    let top = crate::PageSize::LETTER.height - 54.0;
    let (left, right) = (54.0, crate::PageSize::LETTER.width - 54.0);
    let (text_left, logo_bottom) = match logo {
        Some(image) => {
            let (w, h) = image.fit(LOGO_MAX_WIDTH, LOGO_MAX_HEIGHT);
            doc.image_at(image, left, top - h, w, h);
            (left + w + LOGO_GAP, top - h)
        }
        None => (left, top),
    };
    // A long name beside a wide logo is set smaller to stay inside the margin.
    let name_width = crate::text_width(Font::Bold, NAME_SIZE, &head.practice_name);
    let name_size = if name_width > right - text_left { (NAME_SIZE * (right - text_left) / name_width).max(9.0) } else { NAME_SIZE };
    doc.text_at(text_left, top - NAME_SIZE, Font::Bold, name_size, Align::Left, &head.practice_name);
    let mut y = top - NAME_SIZE - 14.0;
    for line in head.lines.iter().filter(|l| !l.trim().is_empty()).take(3) {
        doc.text_at(text_left, y, Font::Regular, 9.0, Align::Left, line);
        y -= 11.0;
    }
    // The rule goes under the lower of the text and the logo.
    y = y.min(logo_bottom - 8.0);
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

    /// The image XObjects of a file other than soft masks: (width, height, filter, has a mask).
    fn images_of(bytes: &[u8]) -> Vec<(i64, i64, String, bool)> {
        let doc = lopdf::Document::load_mem(bytes).unwrap();
        let images: Vec<(lopdf::ObjectId, &lopdf::Dictionary)> = doc
            .objects
            .iter()
            .filter_map(|(id, o)| o.as_stream().ok().map(|s| (*id, &s.dict)))
            .filter(|(_, d)| d.get(b"Subtype").and_then(|s| s.as_name()).ok() == Some(b"Image".as_slice()))
            .collect();
        let masks: Vec<lopdf::ObjectId> = images.iter().filter_map(|(_, d)| d.get(b"SMask").and_then(|m| m.as_reference()).ok()).collect();
        images
            .iter()
            .filter(|(id, _)| !masks.contains(id))
            .map(|(_, d)| {
                (
                    d.get(b"Width").and_then(|w| w.as_i64()).unwrap(),
                    d.get(b"Height").and_then(|h| h.as_i64()).unwrap(),
                    String::from_utf8_lossy(d.get(b"Filter").and_then(|f| f.as_name()).unwrap()).into_owned(),
                    d.get(b"SMask").is_ok(),
                )
            })
            .collect()
    }

    #[test]
    fn a_logo_is_drawn_as_an_image_xobject_stored_once_for_a_whole_batch() {
        let head = Letterhead { practice_name: "Maple Family Medicine".into(), lines: vec!["12 Main St".into()] };
        let logo = Image::parse(&crate::image::samples::png(40, 20, true)).unwrap();
        let one = |name: &str| LetterPage { body: format!("Dear {name},"), signer_name: "Office".into(), signer_title: String::new() };
        let bytes = letters_pdf_with_logo(&head, Some(&logo), &[one("Ann"), one("Bob")]);
        assert_eq!(images_of(&bytes), vec![(40, 20, "FlateDecode".to_string(), true)]);
        let (pages, text) = text_of(&bytes);
        assert_eq!(pages, 2);
        assert!(text.contains("Maple Family Medicine") && text.contains("Dear Bob,"), "{text}");
        // Each page draws it: its content names the XObject.
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        for (_, page) in doc.get_pages() {
            let content = String::from_utf8_lossy(&doc.get_page_content(page)).into_owned();
            assert!(content.contains("/Im0 Do"), "{content}");
        }
    }

    #[test]
    fn a_jpeg_logo_goes_in_as_dct_and_no_logo_means_no_image() {
        let head = Letterhead { practice_name: "Maple".into(), lines: vec![] };
        let logo = Image::parse(&crate::image::samples::jpeg_header(300, 100, 3)).unwrap();
        let page = LetterPage { body: "Hello".into(), signer_name: "Office".into(), signer_title: String::new() };
        let bytes = letters_pdf_with_logo(&head, Some(&logo), std::slice::from_ref(&page));
        assert_eq!(images_of(&bytes), vec![(300, 100, "DCTDecode".to_string(), false)]);
        assert!(images_of(&letters_pdf(&head, &[page])).is_empty());
    }
}
