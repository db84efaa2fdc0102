//! Scanned pages and filed PDFs: images combined into one PDF (one image per Letter page,
//! scaled to fit inside the margins), and what a filed PDF says about itself (its page count and
//! its text layer, for search).
//!
//! The images are read by [`crate::image`] ([`Image::parse_scan`]), the reader the letterhead
//! logo uses, without the logo's limits and with CMYK JPEGs accepted: a JPEG is embedded as it is
//! (`DCTDecode`), a PNG decoded and recompressed (`FlateDecode`) with its transparency, when
//! there is any, as a soft mask.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref};

use crate::PageSize;
use crate::image::Image;

/// The blank border around a scanned page's image, in points (half an inch).
const SCAN_MARGIN: f32 = 36.0;

/// Combines images (JPEG or PNG, as their bytes say) into one PDF: one image per Letter page,
/// scaled, keeping its shape, to fill the page inside half-inch margins (a small scan such as
/// an insurance card is enlarged, so it stays legible) and centred. An image it cannot read is
/// refused naming its position (`page 2: ...`).
pub fn images_to_pdf(pages: &[&[u8]]) -> Result<Vec<u8>, String> {
    if pages.is_empty() {
        return Err("no images to combine".to_string());
    }
    let images = pages
        .iter()
        .enumerate()
        .map(|(i, bytes)| Image::parse_scan(bytes).map_err(|e| format!("page {}: {e}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    // Each page takes four ids: the page, its content, its image and the image's soft mask.
    let base = |i: usize| Ref::new(3 + 4 * i32::try_from(i).unwrap_or(0));
    let page_ids: Vec<Ref> = (0..images.len()).map(base).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(i32::try_from(images.len()).map_err(|_| "too many pages".to_string())?);
    let size = PageSize::LETTER;
    for (i, image) in images.iter().enumerate() {
        let page_id = page_ids[i];
        let content_id = Ref::new(page_id.get() + 1);
        let image_id = Ref::new(page_id.get() + 2);
        let mask_id = Ref::new(page_id.get() + 3);
        let name = Name(b"Im1");

        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, size.width, size.height));
        page.parent(tree);
        page.contents(content_id);
        page.resources().x_objects().pair(name, image_id);
        page.finish();

        image.write(&mut pdf, image_id, mask_id);

        let (x, y, w, h) = fit(image.width(), image.height(), size);
        let mut content = Content::new();
        content.save_state();
        content.transform([w, 0.0, 0.0, h, x, y]);
        content.x_object(name);
        content.restore_state();
        pdf.stream(content_id, &content.finish());
    }
    Ok(pdf.finish())
}

/// Where an image of `width` x `height` pixels goes on the page: scaled, keeping its shape, to
/// the largest size inside the margins, and centred. Returns x, y, width and height in points.
fn fit(width: u32, height: u32, page: PageSize) -> (f32, f32, f32, f32) {
    let room_w = page.width - 2.0 * SCAN_MARGIN;
    let room_h = page.height - 2.0 * SCAN_MARGIN;
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    let scale = (room_w / w).min(room_h / h);
    let (out_w, out_h) = (w * scale, h * scale);
    ((page.width - out_w) / 2.0, (page.height - out_h) / 2.0, out_w, out_h)
}

/// The number of pages of a PDF, or why it cannot be read.
pub fn pdf_page_count(bytes: &[u8]) -> Result<usize, String> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| format!("the PDF file cannot be read ({e})"))?;
    match doc.get_pages().len() {
        0 => Err("the PDF file has no pages".to_string()),
        n => Ok(n),
    }
}

/// The most text kept from one PDF's text layer (for search), in bytes.
const MAX_TEXT_BYTES: usize = 1_000_000;

/// The text layer of a PDF, pages in order, whitespace as the file has it; empty when there is
/// none (a scan) or the file cannot be read.
pub fn pdf_text(bytes: &[u8]) -> String {
    let Ok(doc) = lopdf::Document::load_mem(bytes) else {
        return String::new();
    };
    let mut out = String::new();
    for number in doc.get_pages().keys() {
        if let Ok(text) = doc.extract_text(&[*number]) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(text.trim());
        }
        if out.len() > MAX_TEXT_BYTES {
            let mut end = MAX_TEXT_BYTES;
            while !out.is_char_boundary(end) {
                end -= 1;
            }
            out.truncate(end);
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    use crate::image::samples;

    /// The image XObjects of a PDF: each one's dictionary.
    fn image_dicts(pdf: &[u8]) -> Vec<lopdf::Dictionary> {
        let doc = lopdf::Document::load_mem(pdf).unwrap();
        doc.objects
            .values()
            .filter_map(|object| object.as_stream().ok())
            .filter(|stream| stream.dict.get(b"Subtype").and_then(|s| s.as_name()).ok() == Some(b"Image".as_slice()))
            .map(|stream| stream.dict.clone())
            .collect()
    }

    #[test]
    fn images_become_one_letter_page_each_scaled_to_fit() {
        let jpeg = samples::jpeg_header(1700, 2200, 3);
        let png = samples::png(40, 20, false);
        let transparent = samples::png(10, 10, true);
        let pdf = images_to_pdf(&[&jpeg, &png, &transparent]).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(pdf_page_count(&pdf).unwrap(), 3);
        let images = image_dicts(&pdf);
        let mut filters: Vec<String> =
            images.iter().map(|d| String::from_utf8(d.get(b"Filter").unwrap().as_name().unwrap().to_vec()).unwrap()).collect();
        let masks = images.iter().filter(|d| d.get(b"SMask").is_ok()).count();
        filters.sort();
        // The JPEG as it is, the two PNGs recompressed, and the half-transparent one's mask.
        assert_eq!(filters, vec!["DCTDecode", "FlateDecode", "FlateDecode", "FlateDecode"]);
        assert_eq!(masks, 1);
        // Nothing to read as text: a scan.
        assert_eq!(pdf_text(&pdf), "");
    }

    #[test]
    fn the_fit_keeps_the_shape_inside_the_margins() {
        let (x, y, w, h) = fit(1700, 2200, PageSize::LETTER);
        assert!((w / h - 1700.0 / 2200.0).abs() < 1e-4);
        assert!(x >= SCAN_MARGIN - 0.01 && y >= SCAN_MARGIN - 0.01);
        assert!((x + w) <= 612.0 - SCAN_MARGIN + 0.01 && (y + h) <= 792.0 - SCAN_MARGIN + 0.01);
        // A wide image touches the side margins and is centred vertically.
        let (x, y, w, h) = fit(400, 100, PageSize::LETTER);
        assert!((x - SCAN_MARGIN).abs() < 0.01 && (w - (612.0 - 72.0)).abs() < 0.01);
        assert!((y - (792.0 - h) / 2.0).abs() < 0.01);
    }

    #[test]
    fn unreadable_images_are_refused_naming_the_page() {
        let png = samples::png(4, 4, false);
        let err = images_to_pdf(&[&png, b"%PDF-1.4 not an image"]).unwrap_err();
        assert_eq!(err, "page 2: the file is not a PNG or JPEG image");
        let err = images_to_pdf(&[&[0xFF, 0xD8, 0xFF, 0xD9]]).unwrap_err();
        assert!(err.starts_with("page 1: the image cannot be read: a damaged JPEG"), "{err}");
        let mut broken = png.clone();
        broken.truncate(30);
        let err = images_to_pdf(&[&png, &broken]).unwrap_err();
        assert!(err.starts_with("page 2: the image cannot be read: a damaged PNG"), "{err}");
        assert!(images_to_pdf(&[]).is_err());
    }

    #[test]
    fn scans_may_be_cmyk_and_larger_than_a_logo() {
        // A CMYK JPEG (refused as a logo) is filed in DeviceCMYK.
        let cmyk = samples::jpeg_header(100, 100, 4);
        let images = image_dicts(&images_to_pdf(&[&cmyk]).unwrap());
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].get(b"ColorSpace").unwrap().as_name().unwrap(), b"DeviceCMYK");
        assert!(images[0].get(b"Decode").is_err());
        // Adobe software stores CMYK inverted (an APP14 "Adobe" segment): the Decode array undoes it.
        let adobe = samples::adobe(&cmyk);
        let images = image_dicts(&images_to_pdf(&[&adobe]).unwrap());
        let decode = images[0].get(b"Decode").unwrap().as_array().unwrap();
        assert_eq!(decode.len(), 8);
        assert_eq!(decode[0].as_float().unwrap(), 1.0);
        // A 600 dpi Letter scan is over the logo's 4000 pixels a side, and more than its 1 MB.
        let big = samples::jpeg_header(5100, 6600, 1);
        let images = image_dicts(&images_to_pdf(&[&big]).unwrap());
        assert_eq!(images[0].get(b"Width").unwrap().as_i64().unwrap(), 5100);
        assert_eq!(images[0].get(b"ColorSpace").unwrap().as_name().unwrap(), b"DeviceGray");
        let mut heavy = samples::jpeg_header(2550, 3300, 3);
        let end = heavy.split_off(heavy.len() - 2);
        heavy.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02]);
        heavy.resize(crate::image::MAX_IMAGE_BYTES + 10, 0x55);
        heavy.extend_from_slice(&end);
        assert!(images_to_pdf(&[&heavy]).is_ok());
        // Only as pictures on the page, not as logos.
        assert!(matches!(Image::parse(&cmyk), Err(crate::image::ImageError::UnsupportedColour(_))));
        assert!(matches!(Image::parse(&big), Err(crate::image::ImageError::TooManyPixels { .. })));
        assert!(matches!(Image::parse(&heavy), Err(crate::image::ImageError::TooManyBytes { .. })));
    }

    #[test]
    fn a_pdf_s_text_layer_and_page_count_are_read() {
        let mut doc = crate::Document::letter();
        doc.paragraph("Referral for echocardiogram, Dr. Okafor");
        let bytes = doc.finish();
        assert_eq!(pdf_page_count(&bytes).unwrap(), 1);
        let text = pdf_text(&bytes);
        assert!(text.contains("echocardiogram"), "{text}");
        assert!(pdf_page_count(b"%PDF-1.7 garbage").unwrap_err().contains("cannot be read"));
        assert_eq!(pdf_text(b"not a pdf"), "");
    }
}
