//! Fonts: the built-in DejaVu Sans (regular and bold, vendored under `fonts/` with their
//! licence, compiled in with `include_bytes!`) for Latin, Greek and Cyrillic, and fallback
//! TrueType fonts read from the system at run time for everything else (CJK: Debian's
//! `fonts-droid-fallback`). Every font is embedded as a subset (only the glyphs used) in a
//! Type 0 / CIDFontType2 font with Identity-H encoding and a ToUnicode CMap, so text is
//! searchable and extractable (`pdftotext`).
//!
//! Text is laid out glyph by glyph from the `cmap` and `hmtx` tables (no kerning, no
//! complex-script shaping: Arabic and Indic scripts would print unjoined).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use lopdf::{Dictionary, Object, ObjectId, StringFormat, dictionary};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

use crate::error::{Error, Result};

static DEJAVU_SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static DEJAVU_SANS_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// Weight of a text run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// DejaVu Sans.
    Regular,
    /// DejaVu Sans Bold.
    Bold,
}

#[derive(Debug)]
enum FontBytes {
    Static(&'static [u8]),
    Shared(Arc<Vec<u8>>),
}

/// One parsed font face and the numbers its PDF font descriptor needs.
#[derive(Debug)]
pub(crate) struct FaceData {
    bytes: FontBytes,
    index: u32,
    /// Where it came from (`built-in DejaVuSans.ttf` or a path).
    pub origin: PathBuf,
    ps_name: String,
    units_per_em: f64,
    ascent: i16,
    descent: i16,
    cap_height: i16,
    bbox: [i16; 4],
    italic_angle: f32,
}

impl FaceData {
    fn parse(bytes: FontBytes, index: u32, origin: PathBuf) -> Result<FaceData> {
        let data: &[u8] = match &bytes {
            FontBytes::Static(b) => b,
            FontBytes::Shared(b) => b,
        };
        let face = Face::parse(data, index).map_err(|e| Error::Font {
            path: origin.clone(),
            reason: format!("face {index}: {e}"),
        })?;
        if face.tables().glyf.is_none() {
            return Err(Error::Font {
                path: origin,
                reason: "no TrueType outlines (CFF-based fonts are not embedded)".into(),
            });
        }
        // The PostScript name: a Unicode record, else a Macintosh Roman (ASCII) one.
        let ps_name = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| {
                n.to_string().or_else(|| {
                    (n.platform_id == ttf_parser::PlatformId::Macintosh && n.name.is_ascii())
                        .then(|| String::from_utf8_lossy(n.name).into_owned())
                })
            })
            .unwrap_or_else(|| "Font".to_string())
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>();
        let r = face.global_bounding_box();
        let cap_height = face.capital_height().unwrap_or(face.ascender());
        Ok(FaceData {
            ps_name: if ps_name.is_empty() {
                "Font".into()
            } else {
                ps_name
            },
            units_per_em: f64::from(face.units_per_em()),
            ascent: face.ascender(),
            descent: face.descender(),
            cap_height,
            bbox: [r.x_min, r.y_min, r.x_max, r.y_max],
            italic_angle: face.italic_angle(),
            bytes,
            index,
            origin,
        })
    }

    fn data(&self) -> &[u8] {
        match &self.bytes {
            FontBytes::Static(b) => b,
            FontBytes::Shared(b) => b,
        }
    }

    fn face(&self) -> Result<Face<'_>> {
        Face::parse(self.data(), self.index).map_err(|e| Error::Font {
            path: self.origin.clone(),
            reason: e.to_string(),
        })
    }

    /// Scale from font units to the 1000-unit PDF glyph space.
    fn to_pdf_units(&self, v: f64) -> f64 {
        v * 1000.0 / self.units_per_em
    }
}

fn builtin(style: Style) -> Result<Arc<FaceData>> {
    static REGULAR: OnceLock<std::result::Result<Arc<FaceData>, String>> = OnceLock::new();
    static BOLD: OnceLock<std::result::Result<Arc<FaceData>, String>> = OnceLock::new();
    let (cell, bytes, name) = match style {
        Style::Regular => (&REGULAR, DEJAVU_SANS, "DejaVuSans.ttf"),
        Style::Bold => (&BOLD, DEJAVU_SANS_BOLD, "DejaVuSans-Bold.ttf"),
    };
    cell.get_or_init(|| {
        FaceData::parse(
            FontBytes::Static(bytes),
            0,
            PathBuf::from(format!("built-in {name}")),
        )
        .map(Arc::new)
        .map_err(|e| e.to_string())
    })
    .clone()
    .map_err(|reason| Error::Font {
        path: PathBuf::from(name),
        reason,
    })
}

/// Faces of the fallback files, read once per process (a missing or unparsable file gives
/// no faces; the list of files actually searched goes into [`Error::MissingGlyph`]).
fn load_fallback(path: &Path) -> Arc<Vec<Arc<FaceData>>> {
    type Faces = Arc<Vec<Arc<FaceData>>>;
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Faces>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Ok(map) = cache.lock()
        && let Some(v) = map.get(path)
    {
        return v.clone();
    }
    let faces: Vec<Arc<FaceData>> = match std::fs::read(path) {
        Ok(bytes) => {
            let bytes = Arc::new(bytes);
            let count = ttf_parser::fonts_in_collection(&bytes).unwrap_or(1);
            (0..count)
                .filter_map(|i| {
                    FaceData::parse(FontBytes::Shared(bytes.clone()), i, path.to_path_buf())
                        .ok()
                        .map(Arc::new)
                })
                .collect()
        }
        Err(_) => Vec::new(),
    };
    let faces = Arc::new(faces);
    if let Ok(mut map) = cache.lock() {
        map.insert(path.to_path_buf(), faces.clone());
    }
    faces
}

/// A face used by the document: its glyph subset, widths and Unicode mapping.
struct UsedFont {
    data: Arc<FaceData>,
    remapper: GlyphRemapper,
    /// New glyph id -> the text it stands for.
    unicode: BTreeMap<u16, char>,
    /// New glyph id -> advance in PDF glyph units (1000 per em).
    widths: BTreeMap<u16, f64>,
}

/// A run of glyphs of one font: PDF resource index and new (subset) glyph ids.
pub(crate) struct Run {
    pub font: usize,
    pub glyphs: Vec<u16>,
}

/// The fonts of one document: lays text out and embeds the subsets at the end.
pub(crate) struct Fonts {
    used: Vec<UsedFont>,
    by_origin: HashMap<(PathBuf, u32), usize>,
    regular: Arc<FaceData>,
    bold: Arc<FaceData>,
    fallback_paths: Vec<PathBuf>,
    fallbacks: Option<Vec<Arc<FaceData>>>,
}

impl Fonts {
    /// The built-in fonts plus the fallback files (read only if a character needs them).
    pub fn new(fallback_paths: &[PathBuf]) -> Result<Fonts> {
        Ok(Fonts {
            used: Vec::new(),
            by_origin: HashMap::new(),
            regular: builtin(Style::Regular)?,
            bold: builtin(Style::Bold)?,
            fallback_paths: fallback_paths.to_vec(),
            fallbacks: None,
        })
    }

    fn fallbacks(&mut self) -> &[Arc<FaceData>] {
        let paths = &self.fallback_paths;
        self.fallbacks.get_or_insert_with(|| {
            paths
                .iter()
                .flat_map(|p| load_fallback(p).iter().cloned().collect::<Vec<_>>())
                .collect()
        })
    }

    /// For each character: the face that has it and its glyph id there.
    fn resolve(&mut self, text: &str, style: Style) -> Result<Vec<(Arc<FaceData>, u16, char)>> {
        let primary = match style {
            Style::Regular => self.regular.clone(),
            Style::Bold => self.bold.clone(),
        };
        let face = primary.face()?;
        let mut out = Vec::with_capacity(text.len());
        for c in text.chars() {
            let c = if c.is_control() { ' ' } else { c };
            if let Some(g) = face.glyph_index(c) {
                out.push((primary.clone(), g.0, c));
                continue;
            }
            // zero-width and format characters nobody draws
            if matches!(c, '\u{200B}'..='\u{200F}' | '\u{FEFF}' | '\u{2060}') {
                continue;
            }
            let mut found = None;
            for fb in self.fallbacks() {
                if let Some(g) = fb.face()?.glyph_index(c) {
                    found = Some((fb.clone(), g.0));
                    break;
                }
            }
            match found {
                Some((fb, g)) => out.push((fb, g, c)),
                None => {
                    let searched = self
                        .fallbacks()
                        .iter()
                        .map(|f| f.origin.clone())
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    return Err(Error::MissingGlyph {
                        character: c,
                        code: c as u32,
                        context: text.chars().take(60).collect(),
                        searched,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Width of `text` in ems (multiply by the font size).
    pub fn measure(&mut self, text: &str, style: Style) -> Result<f64> {
        let glyphs = self.resolve(text, style)?;
        let mut width = 0.0;
        let mut current: Option<(*const FaceData, Face<'_>)> = None;
        for (data, gid, _) in &glyphs {
            let ptr = Arc::as_ptr(data);
            if current.as_ref().is_none_or(|(p, _)| *p != ptr) {
                current = Some((ptr, data.face()?));
            }
            if let Some((_, face)) = &current {
                let adv = face.glyph_hor_advance(GlyphId(*gid)).unwrap_or(0);
                width += f64::from(adv) / data.units_per_em;
            }
        }
        Ok(width)
    }

    /// Lays `text` out as runs of subset glyph ids, registering the glyphs for embedding.
    /// Returns the runs and the width in ems.
    pub fn shape(&mut self, text: &str, style: Style) -> Result<(Vec<Run>, f64)> {
        let glyphs = self.resolve(text, style)?;
        let mut runs: Vec<Run> = Vec::new();
        let mut width = 0.0;
        for (data, gid, c) in glyphs {
            let key = (data.origin.clone(), data.index);
            let idx = match self.by_origin.get(&key) {
                Some(&i) => i,
                None => {
                    self.used.push(UsedFont {
                        data: data.clone(),
                        remapper: GlyphRemapper::new(),
                        unicode: BTreeMap::new(),
                        widths: BTreeMap::new(),
                    });
                    self.by_origin.insert(key, self.used.len() - 1);
                    self.used.len() - 1
                }
            };
            let used = &mut self.used[idx];
            let new = used.remapper.remap(gid);
            let w = match used.widths.get(&new) {
                Some(&w) => w,
                None => {
                    let adv = used
                        .data
                        .face()?
                        .glyph_hor_advance(GlyphId(gid))
                        .unwrap_or(0);
                    let w = used.data.to_pdf_units(f64::from(adv));
                    used.widths.insert(new, w);
                    w
                }
            };
            used.unicode.entry(new).or_insert(c);
            width += w / 1000.0;
            match runs.last_mut() {
                Some(r) if r.font == idx => r.glyphs.push(new),
                _ => runs.push(Run {
                    font: idx,
                    glyphs: vec![new],
                }),
            }
        }
        Ok((runs, width))
    }

    /// Resource name of font `index` (`F1`, `F2`, ...).
    pub fn resource_name(index: usize) -> String {
        format!("F{}", index + 1)
    }

    /// Embeds every used font (subset) and returns the font resource dictionary.
    pub fn write(&self, doc: &mut lopdf::Document) -> Result<Dictionary> {
        let mut resources = Dictionary::new();
        for (i, used) in self.used.iter().enumerate() {
            let id = write_font(doc, used)?;
            resources.set(Self::resource_name(i), Object::Reference(id));
        }
        Ok(resources)
    }
}

/// Six capital letters from the glyph set, so different subsets get different names.
fn subset_tag(used: &UsedFont) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for g in used.remapper.remapped_gids() {
        h ^= u64::from(g);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (0..6)
        .map(|k| char::from(b'A' + ((h >> (k * 8)) % 26) as u8))
        .collect()
}

fn write_font(doc: &mut lopdf::Document, used: &UsedFont) -> Result<ObjectId> {
    let data = &used.data;
    let subset =
        subsetter::subset(data.data(), data.index, &used.remapper).map_err(|e| Error::Font {
            path: data.origin.clone(),
            reason: format!("subsetting: {e:?}"),
        })?;
    let base_font = format!("{}+{}", subset_tag(used), data.ps_name);
    let length1 = subset.len() as i64;
    let file_id = doc.add_object(crate::pdf::deflate_stream(
        dictionary! { "Length1" => length1 },
        &subset,
    )?);
    let scale = |v: i16| Object::Real(data.to_pdf_units(f64::from(v)).round() as f32);
    let descriptor = doc.add_object(dictionary! {
        "Type" => "FontDescriptor",
        "FontName" => Object::Name(base_font.clone().into_bytes()),
        "Flags" => 4,
        "FontBBox" => data.bbox.iter().map(|&v| scale(v)).collect::<Vec<_>>(),
        "ItalicAngle" => Object::Real(data.italic_angle),
        "Ascent" => scale(data.ascent),
        "Descent" => scale(data.descent),
        "CapHeight" => scale(data.cap_height),
        "StemV" => 80,
        "FontFile2" => file_id,
    });
    // New glyph ids are contiguous from 0 (0 = .notdef): one W entry.
    let count = used.remapper.num_gids();
    let widths: Vec<Object> = (0..count)
        .map(|g| {
            let w = used.widths.get(&g).copied().unwrap_or(0.0);
            Object::Real(((w * 100.0).round() / 100.0) as f32)
        })
        .collect();
    let cid_font = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "CIDFontType2",
        "BaseFont" => Object::Name(base_font.clone().into_bytes()),
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::String(b"Adobe".to_vec(), StringFormat::Literal),
            "Ordering" => Object::String(b"Identity".to_vec(), StringFormat::Literal),
            "Supplement" => 0,
        },
        "FontDescriptor" => descriptor,
        "DW" => 0,
        "W" => vec![Object::Integer(0), Object::Array(widths)],
        "CIDToGIDMap" => "Identity",
    });
    let to_unicode = doc.add_object(crate::pdf::deflate_stream(
        Dictionary::new(),
        to_unicode_cmap(&used.unicode).as_bytes(),
    )?);
    Ok(doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type0",
        "BaseFont" => Object::Name(base_font.into_bytes()),
        "Encoding" => "Identity-H",
        "DescendantFonts" => vec![Object::Reference(cid_font)],
        "ToUnicode" => to_unicode,
    }))
}

/// The ToUnicode CMap: 2-byte codes (glyph ids) to UTF-16BE.
fn to_unicode_cmap(map: &BTreeMap<u16, char>) -> String {
    use std::fmt::Write;
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<_> = map.iter().filter(|(g, _)| **g != 0).collect();
    for chunk in entries.chunks(100) {
        let _ = writeln!(s, "{} beginbfchar", chunk.len());
        for (g, c) in chunk {
            let _ = write!(s, "<{g:04X}> <");
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                let _ = write!(s, "{unit:04X}");
            }
            s.push_str(">\n");
        }
        s.push_str("endbfchar\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_fonts_cover_latin_greek_cyrillic() {
        let mut fonts = Fonts::new(&[]).unwrap();
        let (runs, w) = fonts.shape("Müller Ωμέγα Иванов", Style::Regular).unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].glyphs.len(), 19);
        assert!(w > 5.0 && w < 15.0, "{w}");
        // the same glyph keeps its id
        assert_eq!(
            runs[0].glyphs[1],
            fonts.shape("ü", Style::Regular).unwrap().0[0].glyphs[0]
        );
        let bold = fonts.measure("Müller", Style::Bold).unwrap();
        let regular = fonts.measure("Müller", Style::Regular).unwrap();
        assert!(bold > regular);
    }

    #[test]
    fn a_character_no_font_has_is_an_error_naming_it() {
        let mut fonts = Fonts::new(&[PathBuf::from("/nonexistent/font.ttf")]).unwrap();
        let e = fonts.shape("Name 山田", Style::Regular).err().unwrap();
        match e {
            Error::MissingGlyph {
                character, code, ..
            } => {
                assert_eq!(character, '山');
                assert_eq!(code, 0x5C71);
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn to_unicode_maps_glyphs_to_utf16() {
        let mut m = BTreeMap::new();
        m.insert(1, 'A');
        m.insert(2, '山');
        m.insert(3, '𝄞');
        let s = to_unicode_cmap(&m);
        assert!(s.contains("<0001> <0041>"));
        assert!(s.contains("<0002> <5C71>"));
        assert!(s.contains("<0003> <D834DD1E>"));
        assert!(s.contains("3 beginbfchar"));
    }
}
