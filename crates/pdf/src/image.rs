//! Pictures on a page: the practice's logo on the letterhead, and scanned pages filed as one PDF
//! ([`crate::scan::images_to_pdf`]).
//!
//! An [`Image`] is made from the bytes of a PNG or JPEG file, recognised by its first bytes (its
//! "magic"), never by a file name or a declared type. A JPEG goes into the PDF as it is (the
//! `DCTDecode` filter, which every reader decodes); only its header is read, for the size and the
//! colour components. A PNG is decoded (the `png` crate) into 8-bit grey or RGB samples and, when
//! it has transparency, a separate alpha channel that becomes the image's soft mask, both
//! compressed again with zlib (`FlateDecode`).
//!
//! Every limit is checked before anything large is allocated: [`MAX_IMAGE_BYTES`] for the file,
//! [`MAX_SIDE_PIXELS`] for each side. Those are a logo's limits ([`Image::parse`]); a scanned page
//! ([`Image::parse_scan`]) may be of any size (its document has its own limit) and a JPEG may be
//! in CMYK, Adobe's inverted CMYK included.

use std::fmt;

/// The largest image file accepted, in bytes.
pub const MAX_IMAGE_BYTES: usize = 1024 * 1024;
/// The longest side accepted, in pixels (a logo printed two inches wide needs far fewer).
pub const MAX_SIDE_PIXELS: u32 = 4000;

/// The kinds of file an [`Image`] is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
}

impl ImageKind {
    /// The kind the file's first bytes announce, if any.
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else {
            None
        }
    }

    /// The MIME type.
    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
        }
    }
}

/// Why bytes are not an image this module takes; the text is for the person who uploaded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageError {
    /// Neither a PNG nor a JPEG by its first bytes.
    NotPngOrJpeg,
    TooManyBytes {
        bytes: usize,
    },
    TooManyPixels {
        width: u32,
        height: u32,
    },
    /// A JPEG in CMYK or another colour model a letter does not need.
    UnsupportedColour(String),
    /// The file is damaged or not what its first bytes say.
    Unreadable(String),
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageError::NotPngOrJpeg => f.write_str("the file is not a PNG or JPEG image"),
            ImageError::TooManyBytes { bytes } => {
                write!(f, "the image is {} KB; at most {} KB", bytes.div_ceil(1024), MAX_IMAGE_BYTES / 1024)
            }
            ImageError::TooManyPixels { width, height } => {
                write!(f, "the image is {width} x {height} pixels; at most {MAX_SIDE_PIXELS} pixels on a side")
            }
            ImageError::UnsupportedColour(what) => write!(f, "the image is in {what}; save it as RGB or greyscale"),
            ImageError::Unreadable(why) => write!(f, "the image cannot be read: {why}"),
        }
    }
}

impl std::error::Error for ImageError {}

/// What an image is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// The letterhead logo: within [`MAX_IMAGE_BYTES`] and [`MAX_SIDE_PIXELS`], grey or RGB.
    Logo,
    /// A scanned page: any size, and a JPEG may be CMYK.
    Scan,
}

impl Purpose {
    /// The most the PNG decoder may allocate.
    fn png_limits(self) -> png::Limits {
        match self {
            Purpose::Logo => png::Limits { bytes: 128 * 1024 * 1024 },
            Purpose::Scan => png::Limits::default(),
        }
    }
}

/// The colour model of the samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Colour {
    Grey,
    Rgb,
    /// A CMYK JPEG written by Adobe software (an APP14 "Adobe" segment) stores its samples
    /// inverted.
    Cmyk {
        inverted: bool,
    },
}

/// The colour samples as the PDF holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Samples {
    /// A JPEG file as it is.
    Jpeg { bytes: Vec<u8>, colour: Colour },
    /// 8-bit grey or RGB samples, zlib-compressed; the alpha channel (one byte a pixel) the same
    /// way.
    Flate { data: Vec<u8>, colour: Colour, alpha: Option<Vec<u8>> },
}

/// A picture ready to be placed on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    width: u32,
    height: u32,
    samples: Samples,
}

impl Image {
    /// Reads a logo: a PNG or JPEG file (recognised by its first bytes) within the limits, in
    /// grey or RGB.
    pub fn parse(bytes: &[u8]) -> Result<Image, ImageError> {
        read(bytes, Purpose::Logo)
    }

    /// Reads a scanned page: a PNG or JPEG file (recognised by its first bytes) of any size; a
    /// JPEG may also be in CMYK.
    pub fn parse_scan(bytes: &[u8]) -> Result<Image, ImageError> {
        read(bytes, Purpose::Scan)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Whether the image carries a transparency mask.
    pub fn has_alpha(&self) -> bool {
        matches!(&self.samples, Samples::Flate { alpha: Some(_), .. })
    }

    /// The largest size (width, height) in points that fits in `max_width` x `max_height`
    /// keeping the image's proportions.
    pub fn fit(&self, max_width: f32, max_height: f32) -> (f32, f32) {
        let (w, h) = (self.width.max(1) as f32, self.height.max(1) as f32);
        let scale = (max_width / w).min(max_height / h);
        (w * scale, h * scale)
    }

    /// Writes the image (and its soft mask) as XObjects `id` and `mask_id`.
    pub(crate) fn write(&self, pdf: &mut pdf_writer::Pdf, id: pdf_writer::Ref, mask_id: pdf_writer::Ref) {
        use pdf_writer::{Filter, Finish};
        let (width, height) = (i32::try_from(self.width).unwrap_or(1), i32::try_from(self.height).unwrap_or(1));
        let (data, filter, colour, alpha) = match &self.samples {
            Samples::Jpeg { bytes, colour } => (bytes, Filter::DctDecode, *colour, None),
            Samples::Flate { data, colour, alpha } => (data, Filter::FlateDecode, *colour, alpha.as_ref()),
        };
        let mut image = pdf.image_xobject(id, data);
        image.filter(filter);
        image.width(width);
        image.height(height);
        match colour {
            Colour::Grey => {
                image.color_space().device_gray();
            }
            Colour::Rgb => {
                image.color_space().device_rgb();
            }
            Colour::Cmyk { inverted } => {
                image.color_space().device_cmyk();
                if inverted {
                    image.decode([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
                }
            }
        }
        image.bits_per_component(8);
        if alpha.is_some() {
            image.s_mask(mask_id);
        }
        image.finish();
        if let Some(alpha) = alpha {
            let mut mask = pdf.image_xobject(mask_id, alpha);
            mask.filter(Filter::FlateDecode);
            mask.width(width);
            mask.height(height);
            mask.color_space().device_gray();
            mask.bits_per_component(8);
            mask.finish();
        }
    }
}

/// Reads a PNG or JPEG file (recognised by its first bytes) for `purpose`.
fn read(bytes: &[u8], purpose: Purpose) -> Result<Image, ImageError> {
    if purpose == Purpose::Logo && bytes.len() > MAX_IMAGE_BYTES {
        return Err(ImageError::TooManyBytes { bytes: bytes.len() });
    }
    match ImageKind::sniff(bytes) {
        Some(ImageKind::Jpeg) => jpeg(bytes, purpose),
        Some(ImageKind::Png) => png_image(bytes, purpose),
        None => Err(ImageError::NotPngOrJpeg),
    }
}

/// Refuses an image without pixels, and a logo larger than [`MAX_SIDE_PIXELS`] on a side.
fn check_size(width: u32, height: u32, purpose: Purpose) -> Result<(), ImageError> {
    if width == 0 || height == 0 {
        return Err(ImageError::Unreadable("it has no pixels".into()));
    }
    if purpose == Purpose::Logo && (width > MAX_SIDE_PIXELS || height > MAX_SIDE_PIXELS) {
        return Err(ImageError::TooManyPixels { width, height });
    }
    Ok(())
}

/// A JPEG's size and components from its start-of-frame header; the file itself is kept.
fn jpeg(bytes: &[u8], purpose: Purpose) -> Result<Image, ImageError> {
    let broken = |why: &str| ImageError::Unreadable(format!("a damaged JPEG ({why})"));
    let mut i = 2; // after SOI
    let mut adobe = false;
    loop {
        // Markers may be preceded by fill bytes 0xFF.
        while bytes.get(i) == Some(&0xFF) && bytes.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        if bytes.get(i) != Some(&0xFF) {
            return Err(broken("no frame header"));
        }
        let marker = *bytes.get(i + 1).ok_or_else(|| broken("it ends early"))?;
        i += 2;
        // Standalone markers have no length.
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            return Err(broken("no frame header before the image data"));
        }
        let len = usize::from(u16::from_be_bytes([
            *bytes.get(i).ok_or_else(|| broken("it ends early"))?,
            *bytes.get(i + 1).ok_or_else(|| broken("it ends early"))?,
        ]));
        if len < 2 {
            return Err(broken("a bad segment length"));
        }
        if marker == 0xEE && bytes.get(i + 2..i + len).is_some_and(|segment| segment.starts_with(b"Adobe")) {
            adobe = true;
        }
        // Start of frame: C0-CF except DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let header = bytes.get(i + 2..i + 8).ok_or_else(|| broken("a short frame header"))?;
            let precision = header[0];
            let height = u32::from(u16::from_be_bytes([header[1], header[2]]));
            let width = u32::from(u16::from_be_bytes([header[3], header[4]]));
            let components = header[5];
            if precision != 8 {
                return Err(ImageError::UnsupportedColour(format!("{precision}-bit samples")));
            }
            check_size(width, height, purpose)?;
            let colour = match components {
                1 => Colour::Grey,
                3 => Colour::Rgb,
                4 if purpose == Purpose::Scan => Colour::Cmyk { inverted: adobe },
                4 => return Err(ImageError::UnsupportedColour("CMYK".into())),
                n => return Err(ImageError::UnsupportedColour(format!("{n} colour components"))),
            };
            return Ok(Image { width, height, samples: Samples::Jpeg { bytes: bytes.to_vec(), colour } });
        }
        i += len;
    }
}

/// A PNG decoded to 8-bit samples: grey or RGB, and alpha apart.
fn png_image(bytes: &[u8], purpose: Purpose) -> Result<Image, ImageError> {
    let unreadable = |e: png::DecodingError| ImageError::Unreadable(format!("a damaged PNG ({e})"));
    let mut decoder = png::Decoder::new_with_limits(std::io::Cursor::new(bytes), purpose.png_limits());
    // Palette and low bit depths expanded to 8 bits, tRNS to an alpha channel, 16 bits cut to 8.
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let header = decoder.read_header_info().map_err(unreadable)?;
    check_size(header.width, header.height, purpose)?;
    let mut reader = decoder.read_info().map_err(unreadable)?;
    let size = reader.output_buffer_size().ok_or_else(|| ImageError::Unreadable("the image is too large to decode".into()))?;
    let mut buffer = vec![0; size];
    let frame = reader.next_frame(&mut buffer).map_err(unreadable)?;
    let pixels = buffer.get(..frame.buffer_size()).unwrap_or_default();
    let (width, height) = (frame.width, frame.height);
    let channels = match frame.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err(ImageError::UnsupportedColour("an unexpanded palette".into())),
    };
    if frame.bit_depth != png::BitDepth::Eight {
        return Err(ImageError::UnsupportedColour(format!("{:?}-bit samples", frame.bit_depth)));
    }
    let (colour_channels, has_alpha) = match channels {
        2 => (1, true),
        4 => (3, true),
        n => (n, false),
    };
    // Rows may carry no padding at 8 bits: the samples are `width * channels` bytes a row.
    let mut colour = Vec::with_capacity(pixels.len());
    let mut alpha = Vec::new();
    for px in pixels.chunks_exact(channels) {
        colour.extend_from_slice(&px[..colour_channels]);
        if has_alpha {
            alpha.push(px[colour_channels]);
        }
    }
    // A mask that is opaque everywhere is left out.
    let alpha = (has_alpha && alpha.iter().any(|&a| a != 255)).then(|| miniz_oxide::deflate::compress_to_vec_zlib(&alpha, 6));
    Ok(Image {
        width,
        height,
        samples: Samples::Flate {
            data: miniz_oxide::deflate::compress_to_vec_zlib(&colour, 6),
            colour: if colour_channels == 1 { Colour::Grey } else { Colour::Rgb },
            alpha,
        },
    })
}

/// Small images made in code, for tests here and in the other crates.
pub mod samples {
    /// A `width` x `height` PNG: red pixels, half of them (a checkerboard) transparent when
    /// `alpha`.
    pub fn png(width: u32, height: u32, alpha: bool) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, width, height);
            encoder.set_color(if alpha { png::ColorType::Rgba } else { png::ColorType::Rgb });
            encoder.set_depth(png::BitDepth::Eight);
            let mut data = Vec::new();
            for y in 0..height {
                for x in 0..width {
                    data.extend_from_slice(&[200, 30, 30]);
                    if alpha {
                        data.push(if (x + y) % 2 == 0 { 255 } else { 0 });
                    }
                }
            }
            if let Ok(mut writer) = encoder.write_header() {
                let _ = writer.write_image_data(&data);
            }
        }
        out
    }

    /// The smallest valid baseline JPEG header for a `width` x `height` image with `components`
    /// (1 grey, 3 RGB, 4 CMYK) followed by an end-of-image marker: enough for the header reader
    /// and for a PDF reader to list the image.
    pub fn jpeg_header(width: u16, height: u16, components: u8) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        // APP0 JFIF.
        out.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
        // SOF0.
        let len = 8 + 3 * u16::from(components);
        out.extend_from_slice(&[0xFF, 0xC0]);
        out.extend_from_slice(&len.to_be_bytes());
        out.push(8);
        out.extend_from_slice(&height.to_be_bytes());
        out.extend_from_slice(&width.to_be_bytes());
        out.push(components);
        for c in 0..components {
            out.extend_from_slice(&[c + 1, 0x11, 0]);
        }
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }

    /// `jpeg` (from [`jpeg_header`]) with an APP14 "Adobe" segment after its start marker, as
    /// Adobe software writes it (CMYK samples stored inverted).
    pub fn adobe(jpeg: &[u8]) -> Vec<u8> {
        let mut out = jpeg.get(..2).unwrap_or_default().to_vec();
        out.extend_from_slice(&[0xFF, 0xEE, 0x00, 0x0E, b'A', b'd', b'o', b'b', b'e', 0, 100, 0, 0, 0, 0, 2]);
        out.extend_from_slice(jpeg.get(2..).unwrap_or_default());
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_png_is_recognised_by_its_first_bytes_and_decoded_with_its_alpha() {
        let bytes = samples::png(6, 4, true);
        assert_eq!(ImageKind::sniff(&bytes), Some(ImageKind::Png));
        let image = Image::parse(&bytes).unwrap();
        assert_eq!((image.width(), image.height()), (6, 4));
        assert!(image.has_alpha());
        let opaque = Image::parse(&samples::png(3, 3, false)).unwrap();
        assert!(!opaque.has_alpha());
    }

    #[test]
    fn a_jpeg_keeps_its_bytes_and_reads_its_size_from_the_frame_header() {
        let bytes = samples::jpeg_header(320, 100, 3);
        let image = Image::parse(&bytes).unwrap();
        assert_eq!((image.width(), image.height()), (320, 100));
        assert_eq!(image.samples, Samples::Jpeg { bytes, colour: Colour::Rgb });
    }

    #[test]
    fn a_cmyk_jpeg_is_refused_by_name() {
        let err = Image::parse(&samples::jpeg_header(10, 10, 4)).unwrap_err();
        assert_eq!(err, ImageError::UnsupportedColour("CMYK".into()));
        assert!(err.to_string().contains("CMYK"), "{err}");
    }

    #[test]
    fn a_scan_may_be_cmyk_and_an_adobe_cmyk_jpeg_is_marked_inverted() {
        let plain = samples::jpeg_header(10, 10, 4);
        let image = Image::parse_scan(&plain).unwrap();
        assert_eq!(image.samples, Samples::Jpeg { bytes: plain.clone(), colour: Colour::Cmyk { inverted: false } });
        let adobe = samples::adobe(&plain);
        let image = Image::parse_scan(&adobe).unwrap();
        assert_eq!(image.samples, Samples::Jpeg { bytes: adobe.clone(), colour: Colour::Cmyk { inverted: true } });
        // Still not a logo.
        assert_eq!(Image::parse(&adobe).unwrap_err(), ImageError::UnsupportedColour("CMYK".into()));
        // Other colour models are refused for scans too.
        assert_eq!(
            Image::parse_scan(&samples::jpeg_header(10, 10, 2)).unwrap_err(),
            ImageError::UnsupportedColour("2 colour components".into())
        );
    }

    #[test]
    fn a_file_that_is_neither_png_nor_jpeg_is_refused_whatever_its_name() {
        assert_eq!(Image::parse(b"GIF89a....").unwrap_err(), ImageError::NotPngOrJpeg);
        assert_eq!(Image::parse(b"").unwrap_err(), ImageError::NotPngOrJpeg);
        // A PNG signature on garbage is a damaged PNG, not a crash.
        let mut fake = b"\x89PNG\r\n\x1a\n".to_vec();
        fake.extend_from_slice(&[0; 40]);
        assert!(matches!(Image::parse(&fake).unwrap_err(), ImageError::Unreadable(_)));
        // A truncated JPEG likewise.
        assert!(matches!(Image::parse(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00]).unwrap_err(), ImageError::Unreadable(_)));
    }

    #[test]
    fn too_large_a_file_or_too_many_pixels_is_refused() {
        let big = vec![0xFF; MAX_IMAGE_BYTES + 1];
        assert!(matches!(Image::parse(&big).unwrap_err(), ImageError::TooManyBytes { .. }));
        let wide = samples::jpeg_header(5000, 10, 3);
        assert_eq!(Image::parse(&wide).unwrap_err(), ImageError::TooManyPixels { width: 5000, height: 10 });
    }

    #[test]
    fn fitting_keeps_the_proportions_inside_the_box() {
        let close = |(w, h): (f32, f32), (ew, eh): (f32, f32)| (w - ew).abs() < 0.01 && (h - eh).abs() < 0.01;
        let image = Image::parse(&samples::jpeg_header(400, 100, 1)).unwrap();
        assert!(close(image.fit(144.0, 54.0), (144.0, 36.0)), "{:?}", image.fit(144.0, 54.0));
        let tall = Image::parse(&samples::jpeg_header(100, 400, 1)).unwrap();
        assert!(close(tall.fit(144.0, 54.0), (13.5, 54.0)), "{:?}", tall.fit(144.0, 54.0));
    }
}
