//! Scanned pages and filed PDFs: images combined into one PDF (one image per Letter page,
//! scaled to fit inside the margins), and what a filed PDF says about itself (its page count and
//! its text layer, for search).
//!
//! JPEG images are embedded as they are (`DCTDecode`), their size and colour components read
//! from the frame header (SOF marker); PNG images are decoded to 8-bit samples and recompressed
//! (`FlateDecode`), their alpha channel, when there is one, as a soft mask.

use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref};

use crate::PageSize;

/// The blank border around a scanned page's image, in points (half an inch).
const SCAN_MARGIN: f32 = 36.0;

/// An image ready to embed: its samples as the PDF stream holds them.
struct Image {
    width: u32,
    height: u32,
    filter: Filter,
    data: Vec<u8>,
    colour: Colour,
    /// A CMYK JPEG written by Adobe software stores its samples inverted.
    inverted: bool,
    /// 8-bit alpha samples (uncompressed), when the image has transparency.
    alpha: Option<Vec<u8>>,
}

#[derive(Clone, Copy)]
enum Colour {
    Gray,
    Rgb,
    Cmyk,
}

/// Combines images (JPEG or PNG, as their bytes say) into one PDF: one image per Letter page,
/// scaled, keeping its shape, to fill the page inside half-inch margins (a small scan such as
/// an insurance card is enlarged, so it stays legible) and centred. An image it cannot read is refused naming its position (`page 2: ...`).
pub fn images_to_pdf(pages: &[&[u8]]) -> Result<Vec<u8>, String> {
    if pages.is_empty() {
        return Err("no images to combine".to_string());
    }
    let images = pages
        .iter()
        .enumerate()
        .map(|(i, bytes)| read_image(bytes).map_err(|e| format!("page {}: {e}", i + 1)))
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

        let mut xobject = pdf.image_xobject(image_id, &image.data);
        xobject.filter(image.filter);
        xobject.width(i32::try_from(image.width).map_err(|_| format!("page {}: the image is too wide", i + 1))?);
        xobject.height(i32::try_from(image.height).map_err(|_| format!("page {}: the image is too tall", i + 1))?);
        xobject.bits_per_component(8);
        match image.colour {
            Colour::Gray => {
                xobject.color_space().device_gray();
            }
            Colour::Rgb => {
                xobject.color_space().device_rgb();
            }
            Colour::Cmyk => {
                xobject.color_space().device_cmyk();
            }
        }
        if image.inverted {
            xobject.decode([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
        }
        if image.alpha.is_some() {
            xobject.s_mask(mask_id);
        }
        xobject.finish();
        if let Some(alpha) = &image.alpha {
            let compressed = miniz_oxide::deflate::compress_to_vec_zlib(alpha, 6);
            let mut mask = pdf.image_xobject(mask_id, &compressed);
            mask.filter(Filter::FlateDecode);
            mask.width(i32::try_from(image.width).unwrap_or(1));
            mask.height(i32::try_from(image.height).unwrap_or(1));
            mask.color_space().device_gray();
            mask.bits_per_component(8);
            mask.finish();
        }

        let (x, y, w, h) = fit(image.width, image.height, size);
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

fn read_image(bytes: &[u8]) -> Result<Image, String> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        read_jpeg(bytes)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        read_png(bytes)
    } else {
        Err("only JPEG and PNG images can be combined into one document".to_string())
    }
}

/// Reads a JPEG's frame header: width, height and the number of colour components. The bytes
/// are embedded unchanged.
fn read_jpeg(bytes: &[u8]) -> Result<Image, String> {
    let bad = || "the JPEG image is damaged (no readable frame header)".to_string();
    let mut at = 2; // after SOI
    let mut adobe = false;
    loop {
        // Skip to the next marker (fill bytes 0xFF may repeat).
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        if bytes.get(at) != Some(&0xFF) {
            return Err(bad());
        }
        let marker = *bytes.get(at + 1).ok_or_else(bad)?;
        at += 2;
        // Markers without a length.
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            // End of image or start of scan before any frame header.
            return Err(bad());
        }
        let hi = *bytes.get(at).ok_or_else(bad)?;
        let lo = *bytes.get(at + 1).ok_or_else(bad)?;
        let length = usize::from(u16::from_be_bytes([hi, lo]));
        if length < 2 {
            return Err(bad());
        }
        let segment = bytes.get(at + 2..at + length).ok_or_else(bad)?;
        if marker == 0xEE && segment.starts_with(b"Adobe") {
            adobe = true;
        }
        let is_sof = matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF);
        if is_sof {
            if segment.len() < 6 {
                return Err(bad());
            }
            let height = u32::from(u16::from_be_bytes([segment[1], segment[2]]));
            let width = u32::from(u16::from_be_bytes([segment[3], segment[4]]));
            let colour = match segment[5] {
                1 => Colour::Gray,
                3 => Colour::Rgb,
                4 => Colour::Cmyk,
                n => return Err(format!("the JPEG image has {n} colour components (1, 3 or 4 can be filed)")),
            };
            if width == 0 || height == 0 {
                return Err("the JPEG image has no size".to_string());
            }
            return Ok(Image {
                width,
                height,
                filter: Filter::DctDecode,
                data: bytes.to_vec(),
                colour,
                inverted: adobe && matches!(colour, Colour::Cmyk),
                alpha: None,
            });
        }
        at += length;
    }
}

/// Decodes a PNG to 8-bit gray or RGB samples (palettes expanded, 16-bit stripped), with its
/// alpha channel split off as a soft mask; the samples are recompressed with zlib.
fn read_png(bytes: &[u8]) -> Result<Image, String> {
    let bad = |e: png::DecodingError| format!("the PNG image cannot be read: {e}");
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(bad)?;
    let size = reader.output_buffer_size().ok_or_else(|| "the PNG image is too large".to_string())?;
    let mut buffer = vec![0u8; size];
    let info = reader.next_frame(&mut buffer).map_err(bad)?;
    buffer.truncate(info.buffer_size());
    let (width, height) = (info.width, info.height);
    let pixels = usize::try_from(u64::from(width) * u64::from(height)).map_err(|_| "the PNG image is too large".to_string())?;
    let (colour, channels, has_alpha) = match info.color_type {
        png::ColorType::Grayscale => (Colour::Gray, 1, false),
        png::ColorType::GrayscaleAlpha => (Colour::Gray, 2, true),
        png::ColorType::Rgb => (Colour::Rgb, 3, false),
        png::ColorType::Rgba => (Colour::Rgb, 4, true),
        png::ColorType::Indexed => return Err("the PNG image's palette could not be expanded".to_string()),
    };
    // Rows may be padded to the line size; take each row's samples only.
    let row_bytes = usize::try_from(width).unwrap_or(0) * channels;
    let line = info.line_size;
    let colour_channels = if has_alpha { channels - 1 } else { channels };
    let mut samples = Vec::with_capacity(pixels * colour_channels);
    let mut alpha = if has_alpha { Some(Vec::with_capacity(pixels)) } else { None };
    for row in buffer.chunks(line.max(1)).take(usize::try_from(height).unwrap_or(0)) {
        let row = row.get(..row_bytes).ok_or_else(|| "the PNG image is truncated".to_string())?;
        for pixel in row.chunks_exact(channels) {
            samples.extend_from_slice(&pixel[..colour_channels]);
            if let Some(a) = alpha.as_mut() {
                a.push(pixel[channels - 1]);
            }
        }
    }
    // An alpha channel that is opaque everywhere needs no mask.
    if alpha.as_ref().is_some_and(|a| a.iter().all(|&v| v == 255)) {
        alpha = None;
    }
    Ok(Image {
        width,
        height,
        filter: Filter::FlateDecode,
        data: miniz_oxide::deflate::compress_to_vec_zlib(&samples, 6),
        colour,
        inverted: false,
        alpha,
    })
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

    /// A PNG of `w` x `h` pixels of one colour, RGBA when `alpha` is given.
    pub(crate) fn png_image(w: u32, h: u32, alpha: Option<u8>) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, w, h);
            encoder.set_color(if alpha.is_some() { png::ColorType::Rgba } else { png::ColorType::Rgb });
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().unwrap();
            let pixel: Vec<u8> = match alpha {
                Some(a) => vec![200, 30, 30, a],
                None => vec![200, 30, 30],
            };
            let data: Vec<u8> = pixel.iter().copied().cycle().take(pixel.len() * (w * h) as usize).collect();
            writer.write_image_data(&data).unwrap();
        }
        out
    }

    /// The start of a baseline JPEG: SOI, an APP0 segment and a frame header of `w` x `h`.
    fn jpeg_header(w: u16, h: u16) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        out.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        out.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
        out.extend_from_slice(&h.to_be_bytes());
        out.extend_from_slice(&w.to_be_bytes());
        out.extend_from_slice(&[0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }

    #[test]
    fn images_become_one_letter_page_each_scaled_to_fit() {
        let jpeg = jpeg_header(1700, 2200);
        let png = png_image(40, 20, None);
        let transparent = png_image(10, 10, Some(128));
        let pdf = images_to_pdf(&[&jpeg, &png, &transparent]).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(pdf_page_count(&pdf).unwrap(), 3);
        let doc = lopdf::Document::load_mem(&pdf).unwrap();
        let mut filters = Vec::new();
        let mut masks = 0;
        for (_, object) in doc.objects.iter() {
            if let Ok(stream) = object.as_stream()
                && stream.dict.get(b"Subtype").and_then(|s| s.as_name()).ok() == Some(b"Image".as_slice())
            {
                let filter = stream.dict.get(b"Filter").unwrap().as_name().unwrap().to_vec();
                filters.push(String::from_utf8(filter).unwrap());
                if stream.dict.get(b"SMask").is_ok() {
                    masks += 1;
                }
            }
        }
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
        let png = png_image(4, 4, None);
        let err = images_to_pdf(&[&png, b"%PDF-1.4 not an image"]).unwrap_err();
        assert!(err.starts_with("page 2:"), "{err}");
        let err = images_to_pdf(&[&[0xFF, 0xD8, 0xFF, 0xD9]]).unwrap_err();
        assert!(err.contains("JPEG image is damaged"), "{err}");
        let mut broken = png.clone();
        broken.truncate(30);
        assert!(images_to_pdf(&[&broken]).unwrap_err().contains("PNG image cannot be read"));
        assert!(images_to_pdf(&[]).is_err());
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
