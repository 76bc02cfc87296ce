//! The PDF layer: a page [`Canvas`] that takes millimetres from the top left corner and
//! writes content-stream operators, and [`PdfBuilder`] that assembles pages, fonts and
//! images into a document with lopdf.
//!
//! Every page's content starts with `cm` scaling the user space to millimetres
//! (1 mm = 72/25.4 pt), so the grid and the waveforms are exact at 100 % print scale.

use std::io::Write as _;

use lopdf::{Dictionary, Object, Stream, StringFormat, dictionary};

use crate::error::{Error, Result};
use crate::font::{Fonts, Style};

/// PostScript points per millimetre.
pub const PT_PER_MM: f64 = 72.0 / 25.4;

/// An RGB colour, components 0..=1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rgb(pub f64, pub f64, pub f64);

impl Rgb {
    /// Black.
    pub const BLACK: Rgb = Rgb(0.0, 0.0, 0.0);
    /// Dark grey for secondary text.
    pub const GREY: Rgb = Rgb(0.35, 0.35, 0.35);
}

/// Horizontal text alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// `x` is the left edge.
    Left,
    /// `x` is the centre.
    Center,
    /// `x` is the right edge.
    Right,
}

/// Appends `v` rounded to `decimals` (at most 6) places, without trailing zeros.
pub(crate) fn push_num(buf: &mut Vec<u8>, v: f64, decimals: u32) {
    const POW10: [i64; 7] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];
    let decimals = decimals.min(6) as usize;
    let v = if v.is_finite() { v } else { 0.0 };
    let scale = POW10[decimals];
    let mut n = (v * scale as f64).round() as i64;
    if n < 0 {
        buf.push(b'-');
        n = -n;
    }
    push_uint(buf, (n / scale) as u64);
    let mut frac = n % scale;
    if frac != 0 {
        let mut digits = [b'0'; 6];
        for d in digits[..decimals].iter_mut().rev() {
            *d = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        let mut len = decimals;
        while len > 0 && digits[len - 1] == b'0' {
            len -= 1;
        }
        buf.push(b'.');
        buf.extend_from_slice(&digits[..len]);
    }
}

fn push_uint(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// One page's content stream, in millimetres from the top left corner.
pub(crate) struct Canvas {
    buf: Vec<u8>,
    height: f64,
}

impl Canvas {
    /// An empty page `height` mm tall.
    pub fn new(height: f64) -> Canvas {
        let mut buf = Vec::with_capacity(64 * 1024);
        buf.extend_from_slice(b"2.834646 0 0 2.834646 0 0 cm\n1 J 1 j\n");
        Canvas { buf, height }
    }

    fn xy(&mut self, x: f64, y: f64, decimals: u32) {
        push_num(&mut self.buf, x, decimals);
        self.buf.push(b' ');
        push_num(&mut self.buf, self.height - y, decimals);
        self.buf.push(b' ');
    }

    /// Stroke colour.
    pub fn stroke_rgb(&mut self, c: Rgb) {
        for v in [c.0, c.1, c.2] {
            push_num(&mut self.buf, v, 3);
            self.buf.push(b' ');
        }
        self.buf.extend_from_slice(b"RG\n");
    }

    /// Fill colour.
    pub fn fill_rgb(&mut self, c: Rgb) {
        for v in [c.0, c.1, c.2] {
            push_num(&mut self.buf, v, 3);
            self.buf.push(b' ');
        }
        self.buf.extend_from_slice(b"rg\n");
    }

    /// Line width in mm.
    pub fn line_width(&mut self, w: f64) {
        push_num(&mut self.buf, w, 3);
        self.buf.extend_from_slice(b" w\n");
    }

    /// Begins a subpath (coordinates to `decimals` places).
    pub fn move_to(&mut self, x: f64, y: f64, decimals: u32) {
        self.xy(x, y, decimals);
        self.buf.extend_from_slice(b"m\n");
    }

    /// Straight segment.
    pub fn line_to(&mut self, x: f64, y: f64, decimals: u32) {
        self.xy(x, y, decimals);
        self.buf.extend_from_slice(b"l\n");
    }

    /// A straight line as its own subpath.
    pub fn segment(&mut self, x1: f64, y1: f64, x2: f64, y2: f64) {
        self.move_to(x1, y1, 2);
        self.line_to(x2, y2, 2);
    }

    /// Strokes the current path.
    pub fn stroke(&mut self) {
        self.buf.extend_from_slice(b"S\n");
    }

    /// Fills the current path.
    pub fn fill(&mut self) {
        self.buf.extend_from_slice(b"f\n");
    }

    /// Rectangle subpath, `(x, y)` its top left corner.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64) {
        self.xy(x, y + h, 3);
        push_num(&mut self.buf, w, 3);
        self.buf.push(b' ');
        push_num(&mut self.buf, h, 3);
        self.buf.extend_from_slice(b" re\n");
    }

    /// Saves the graphics state.
    pub fn save(&mut self) {
        self.buf.extend_from_slice(b"q\n");
    }

    /// Restores the graphics state.
    pub fn restore(&mut self) {
        self.buf.extend_from_slice(b"Q\n");
    }

    /// Clips to a rectangle (until the next restore).
    pub fn clip_rect(&mut self, x: f64, y: f64, w: f64, h: f64) {
        self.rect(x, y, w, h);
        self.buf.extend_from_slice(b"W n\n");
    }

    /// Draws an image XObject into the box with top left `(x, y)`.
    pub fn image(&mut self, name: &str, x: f64, y: f64, w: f64, h: f64) {
        self.save();
        push_num(&mut self.buf, w, 3);
        self.buf.extend_from_slice(b" 0 0 ");
        push_num(&mut self.buf, h, 3);
        self.buf.push(b' ');
        self.xy(x, y + h, 3);
        self.buf.extend_from_slice(b"cm\n/");
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b" Do\n");
        self.restore();
    }

    /// Writes text with its baseline at `y`; returns its width in mm.
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        fonts: &mut Fonts,
        x: f64,
        y: f64,
        size_pt: f64,
        style: Style,
        align: Align,
        text: &str,
    ) -> Result<f64> {
        if text.is_empty() {
            return Ok(0.0);
        }
        let (runs, em) = fonts.shape(text, style)?;
        let size = size_pt / PT_PER_MM;
        let width = em * size;
        let x0 = match align {
            Align::Left => x,
            Align::Center => x - width / 2.0,
            Align::Right => x - width,
        };
        self.buf.extend_from_slice(b"BT\n");
        self.xy(x0, y, 3);
        self.buf.extend_from_slice(b"Td\n");
        for run in runs {
            let _ = write!(self.buf, "/{} ", Fonts::resource_name(run.font));
            push_num(&mut self.buf, size, 4);
            self.buf.extend_from_slice(b" Tf <");
            for g in run.glyphs {
                let _ = write!(self.buf, "{g:04X}");
            }
            self.buf.extend_from_slice(b"> Tj\n");
        }
        self.buf.extend_from_slice(b"ET\n");
        Ok(width)
    }
}

/// Pages, fonts and images of one document.
pub(crate) struct PdfBuilder {
    doc: lopdf::Document,
    pages: Vec<(f64, f64, Canvas)>,
    /// The document's fonts.
    pub fonts: Fonts,
    images: Dictionary,
}

impl PdfBuilder {
    /// An empty document.
    pub fn new(fonts: Fonts) -> PdfBuilder {
        PdfBuilder {
            doc: lopdf::Document::with_version("1.7"),
            pages: Vec::new(),
            fonts,
            images: Dictionary::new(),
        }
    }

    /// Adds an image XObject under `name`.
    pub fn add_image(&mut self, name: &str, stream: Stream) -> Result<()> {
        let id = self.doc.add_object(stream);
        self.images.set(name, Object::Reference(id));
        Ok(())
    }

    /// Adds an object (an image's soft mask) and returns its id.
    pub fn add_object(&mut self, object: impl Into<Object>) -> lopdf::ObjectId {
        self.doc.add_object(object)
    }

    /// Appends a finished page of `width` x `height` mm.
    pub fn push_page(&mut self, width: f64, height: f64, canvas: Canvas) {
        self.pages.push((width, height, canvas));
    }

    /// Number of pages so far.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The canvas of page `index`, to add to it (footers once the page count is known).
    pub fn page_mut(&mut self, index: usize) -> Option<(&mut Canvas, &mut Fonts, f64, f64)> {
        let (w, h, c) = self.pages.get_mut(index)?;
        Some((c, &mut self.fonts, *w, *h))
    }

    /// Writes the document.
    pub fn finish(
        mut self,
        title: &str,
        created: Option<chrono::NaiveDateTime>,
    ) -> Result<Vec<u8>> {
        let doc = &mut self.doc;
        let pages_id = doc.new_object_id();
        let font_dict = self.fonts.write(doc)?;
        let mut resources = dictionary! {
            "Font" => font_dict,
            "ProcSet" => vec!["PDF".into(), "Text".into(), "ImageB".into(), "ImageC".into()],
        };
        if !self.images.is_empty() {
            resources.set("XObject", self.images);
        }
        let resources_id = doc.add_object(resources);
        let mut kids = Vec::with_capacity(self.pages.len());
        for (w, h, canvas) in self.pages {
            let content = doc.add_object(deflate_stream(Dictionary::new(), &canvas.buf)?);
            let page = doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "MediaBox" => vec![
                    0.into(),
                    0.into(),
                    Object::Real((w * PT_PER_MM) as f32),
                    Object::Real((h * PT_PER_MM) as f32),
                ],
                "Resources" => resources_id,
                "Contents" => content,
            });
            kids.push(Object::Reference(page));
        }
        let count = kids.len() as i64;
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => kids,
                "Count" => count,
            }),
        );
        let catalog = doc.add_object(dictionary! {
            "Type" => "Catalog",
            "Pages" => pages_id,
        });
        let mut info = dictionary! {
            "Title" => text_string(title),
            "Producer" => text_string(&format!("ecg-report {}", env!("CARGO_PKG_VERSION"))),
        };
        if let Some(t) = created {
            info.set(
                "CreationDate",
                Object::String(
                    t.format("D:%Y%m%d%H%M%S").to_string().into_bytes(),
                    StringFormat::Literal,
                ),
            );
        }
        let info = doc.add_object(info);
        doc.trailer.set("Root", catalog);
        doc.trailer.set("Info", info);
        let mut out = Vec::new();
        doc.save_to(&mut out)
            .map_err(|e| Error::Pdf(format!("writing the document: {e}")))?;
        Ok(out)
    }
}

/// A PDF text string: ASCII as is, anything else as UTF-16BE with a byte order mark.
pub(crate) fn text_string(s: &str) -> Object {
    if s.is_ascii() {
        Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut b = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            b.extend_from_slice(&u.to_be_bytes());
        }
        Object::String(b, StringFormat::Hexadecimal)
    }
}

/// A stream of `data` compressed with Flate (zlib level 3: twice as fast as 6 on waveform paths, a few per cent larger).
pub(crate) fn deflate_stream(mut dict: Dictionary, data: &[u8]) -> Result<Stream> {
    let mut enc = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(data.len() / 3),
        flate2::Compression::new(3),
    );
    enc.write_all(data)
        .map_err(|e| Error::Pdf(format!("compressing a stream: {e}")))?;
    let compressed = enc
        .finish()
        .map_err(|e| Error::Pdf(format!("compressing a stream: {e}")))?;
    dict.set("Filter", "FlateDecode");
    let mut s = Stream::new(dict, compressed);
    s.allows_compression = false;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_short_and_exact() {
        let mut b = Vec::new();
        for (v, d) in [
            (1.5, 2),
            (2.0, 3),
            (-0.125, 3),
            (0.004, 2),
            (12.3456, 3),
            (-0.001, 2),
        ] {
            push_num(&mut b, v, d);
            b.push(b' ');
        }
        assert_eq!(String::from_utf8(b).unwrap(), "1.5 2 -0.125 0 12.346 0 ");
    }
}
