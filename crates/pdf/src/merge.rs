//! Several PDF files made one (a release of records: the cover letter, then every document sent):
//! each part's pages appended in order under a single page tree.
//!
//! Each part is parsed with lopdf, its objects renumbered past the previous parts' (so no two
//! parts share an object number), and its pages moved under one new `Pages` node. A page may
//! inherit its `Resources`, `MediaBox`, `CropBox` or `Rotate` from the page-tree nodes above it;
//! those are copied onto the page first, since the old nodes are dropped. The parts' catalogs,
//! page-tree nodes, outlines and cross-reference streams are not carried over.

use lopdf::{Dictionary, Document, Object, ObjectId};

/// The most parts one merge takes (a release of at most this many documents plus its cover).
pub const MAX_PARTS: usize = 500;

/// Attributes a page inherits from its ancestors in the page tree (PDF 32000-1, 7.7.3.4).
const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];

/// The pages of `parts`, in order, as one PDF. A part that is not a readable PDF (or has no page)
/// is refused naming its position, counted from 1.
pub fn merge_pdfs(parts: Vec<Vec<u8>>) -> Result<Vec<u8>, String> {
    if parts.is_empty() {
        return Err("there is nothing to merge".to_string());
    }
    if parts.len() > MAX_PARTS {
        return Err(format!("at most {MAX_PARTS} files can be merged into one"));
    }
    let mut out = Document::with_version("1.7");
    let pages_id = out.new_object_id();
    let mut kids: Vec<Object> = Vec::new();
    let mut next_id = pages_id.0 + 1;
    for (index, bytes) in parts.iter().enumerate() {
        let n = index + 1;
        let mut doc = Document::load_mem(bytes).map_err(|e| format!("part {n} is not a readable PDF: {e}"))?;
        if doc.is_encrypted() {
            return Err(format!("part {n} is an encrypted PDF and cannot be merged"));
        }
        doc.renumber_objects_with(next_id);
        next_id = doc.max_id + 1;
        let page_ids: Vec<ObjectId> = doc.get_pages().into_values().collect();
        if page_ids.is_empty() {
            return Err(format!("part {n} has no pages"));
        }
        let mut pages = Vec::with_capacity(page_ids.len());
        for id in &page_ids {
            let mut page = doc.get_dictionary(*id).map_err(|e| format!("part {n}: a page cannot be read: {e}"))?.clone();
            for key in INHERITED {
                if !page.has(key)
                    && let Some(value) = inherited(&doc, &page, key)
                {
                    page.set(key, value);
                }
            }
            page.set("Parent", Object::Reference(pages_id));
            pages.push((*id, page));
        }
        for (id, object) in std::mem::take(&mut doc.objects) {
            let kind = object.type_name().unwrap_or(b"");
            if matches!(kind, b"Catalog" | b"Pages" | b"Page" | b"Outlines" | b"Outline" | b"XRef" | b"ObjStm") {
                continue;
            }
            out.objects.insert(id, object);
        }
        for (id, page) in pages {
            out.objects.insert(id, Object::Dictionary(page));
            kids.push(Object::Reference(id));
        }
    }
    let count = i64::try_from(kids.len()).map_err(|_| "too many pages".to_string())?;
    let mut tree = Dictionary::new();
    tree.set("Type", Object::Name(b"Pages".to_vec()));
    tree.set("Kids", Object::Array(kids));
    tree.set("Count", Object::Integer(count));
    out.objects.insert(pages_id, Object::Dictionary(tree));
    let mut catalog = Dictionary::new();
    catalog.set("Type", Object::Name(b"Catalog".to_vec()));
    catalog.set("Pages", Object::Reference(pages_id));
    let catalog_id = (next_id, 0);
    out.objects.insert(catalog_id, Object::Dictionary(catalog));
    out.trailer.set("Root", Object::Reference(catalog_id));
    out.max_id = next_id;
    let mut bytes = Vec::new();
    out.save_to(&mut bytes).map_err(|e| format!("the merged PDF cannot be written: {e}"))?;
    Ok(bytes)
}

/// The value of `key` on the nearest page-tree node above `page` that has it (at most 64 levels:
/// a loop in a damaged file ends there).
fn inherited(doc: &Document, page: &Dictionary, key: &[u8]) -> Option<Object> {
    let mut parent = page.get(b"Parent").and_then(Object::as_reference).ok()?;
    for _ in 0..64 {
        let node = doc.get_dictionary(parent).ok()?;
        if let Ok(value) = node.get(key) {
            return Some(value.clone());
        }
        parent = node.get(b"Parent").and_then(Object::as_reference).ok()?;
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::letter::{LetterPage, Letterhead, letters_pdf};
    use lopdf::dictionary;

    fn letter(body: &str) -> LetterPage {
        LetterPage { body: body.into(), signer_name: "Office".into(), signer_title: String::new() }
    }

    fn text_of(bytes: &[u8]) -> (usize, String) {
        let doc = Document::load_mem(bytes).unwrap();
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        (pages.len(), doc.extract_text(&pages).unwrap())
    }

    /// A hand-written PDF whose page inherits its resources and size from a nested page tree.
    fn nested_tree_pdf(text: &str) -> Vec<u8> {
        let mut doc = Document::with_version("1.4");
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        });
        let content = format!("BT /F1 12 Tf 72 700 Td ({text}) Tj ET");
        let stream = doc.add_object(lopdf::Stream::new(Dictionary::new(), content.into_bytes()));
        let root_pages = doc.new_object_id();
        let inner_pages = doc.new_object_id();
        let page = doc.add_object(dictionary! { "Type" => "Page", "Parent" => inner_pages, "Contents" => stream });
        doc.objects.insert(
            inner_pages,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Parent" => root_pages, "Kids" => vec![page.into()], "Count" => 1,
                "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
            }),
        );
        doc.objects.insert(
            root_pages,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Kids" => vec![inner_pages.into()], "Count" => 1,
                "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
            }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => root_pages });
        doc.trailer.set("Root", catalog);
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn the_merged_file_has_every_page_of_every_part_in_order_with_their_text() {
        let head = Letterhead { practice_name: "Maple Family Medicine".into(), lines: vec![] };
        let cover = letters_pdf(&head, &[letter("Enclosed are the records of Ana Rivera.")]);
        let two = letters_pdf(&head, &[letter("Referral note for Ana"), letter("Lab result: normal")]);
        let third = nested_tree_pdf("Outside records from Albany");
        let merged = merge_pdfs(vec![cover, two, third]).unwrap();
        let (pages, text) = text_of(&merged);
        assert_eq!(pages, 4);
        let positions: Vec<usize> =
            ["Enclosed are the records", "Referral note for Ana", "Lab result: normal", "Outside records from Albany"]
                .iter()
                .map(|w| text.find(w).unwrap_or_else(|| panic!("missing {w:?} in {text}")))
                .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "out of order: {positions:?}");
    }

    #[test]
    fn a_page_keeps_what_it_inherited_from_its_old_page_tree() {
        let merged = merge_pdfs(vec![nested_tree_pdf("Inherited font works")]).unwrap();
        let doc = Document::load_mem(&merged).unwrap();
        let (_, page_id) = doc.get_pages().into_iter().next().unwrap();
        let page = doc.get_dictionary(page_id).unwrap();
        assert!(page.has(b"Resources") && page.has(b"MediaBox"), "{page:?}");
        assert!(text_of(&merged).1.contains("Inherited font works"));
        // One page tree: the old nodes are gone.
        let trees = doc.objects.values().filter(|o| o.type_name().ok() == Some(b"Pages".as_slice())).count();
        assert_eq!(trees, 1);
    }

    #[test]
    fn a_part_that_is_not_a_pdf_or_nothing_at_all_is_refused() {
        let head = Letterhead::default();
        let good = letters_pdf(&head, &[letter("x")]);
        let err = merge_pdfs(vec![good, b"not a pdf".to_vec()]).unwrap_err();
        assert!(err.contains("part 2"), "{err}");
        assert!(merge_pdfs(Vec::new()).is_err());
    }
}
