//! MIT-format annotation files (`.atr`, `.qrs`, ...): reading and writing.
//!
//! A file is a sequence of 16-bit little-endian words: the top 6 bits are a code `A`, the
//! low 10 bits a value `I`. `A` in 1..=49 starts an annotation `I` samples after the
//! previous one; the pseudo-codes that follow it modify it: `SUB` (61, subtype),
//! `CHN` (62, channel, kept for later annotations), `NUM` (60, number, kept), `AUX`
//! (63, `I` bytes of text padded to an even length). `SKIP` (59) is followed by a 32-bit
//! interval (high 16-bit word first) for gaps over 1023 samples or backwards steps. A
//! zero word ends the file.
//!
//! As wfdb-python does, code 0 (`NOTQRS`) entries and `NOTE` annotations at sample 0 (file
//! definitions such as `## time resolution: 500` or a detector's command line) are not
//! annotations: the time resolution becomes [`AnnotationSet::fs`], the rest is dropped.

use ecg_core::{Annotation, AnnotationCode, AnnotationSet};

use crate::error::{Error, Result};

const SKIP: u16 = 59;
const NUM: u16 = 60;
const SUB: u16 = 61;
const CHN: u16 = 62;
const AUX: u16 = 63;
const NOTE: u8 = 22;

/// Reads an MIT annotation file; `annotator` (the file's extension, `atr`) names the set.
pub fn read_annotations(data: &[u8], annotator: &str) -> Result<AnnotationSet> {
    parse(&format!(".{annotator} annotation file"), data, annotator).map(|p| p.set)
}

/// Reads an MIT annotation file named `file_name` (for error messages), annotator from
/// its extension.
pub fn read_annotation_file(file_name: &str, data: &[u8]) -> Result<AnnotationSet> {
    let annotator = file_name.rsplit_once('.').map_or("", |(_, e)| e);
    parse(file_name, data, annotator).map(|p| p.set)
}

struct Parsed {
    set: AnnotationSet,
    /// True when a zero word ended the file with nothing but zero bytes after it.
    clean_end: bool,
    /// A code 50..=58, which no WFDB writer produces.
    odd_code: bool,
}

fn parse(file: &str, data: &[u8], annotator: &str) -> Result<Parsed> {
    let err = |offset: usize, message: String| Error::Annotation {
        file: file.to_string(),
        offset: offset as u64,
        message,
    };
    let word_at = |pos: usize| -> Option<u16> {
        Some(u16::from_le_bytes([*data.get(pos)?, *data.get(pos + 1)?]))
    };
    let mut annotations: Vec<Annotation> = Vec::new();
    // Definition notes at sample 0, in order (time resolution, custom labels).
    let mut definitions: Vec<String> = Vec::new();
    let mut time: i64 = 0;
    let mut chan: u8 = 0;
    let mut num: i8 = 0;
    let mut current: Option<Annotation> = None;
    let mut pos = 0usize;
    let mut clean_end = false;
    let mut odd_code = false;

    let mut flush = |a: Option<Annotation>, annotations: &mut Vec<Annotation>| {
        if let Some(a) = a {
            if a.code.0 == 0 {
                return;
            }
            if a.code.0 == NOTE && a.sample == 0 {
                definitions.push(a.aux.clone().unwrap_or_default());
                return;
            }
            annotations.push(a);
        }
    };

    while pos < data.len() {
        let Some(word) = word_at(pos) else {
            return Err(err(
                pos,
                "odd trailing byte: annotation files hold 16-bit words".to_string(),
            ));
        };
        if word == 0 {
            clean_end = data[pos..].iter().all(|&b| b == 0);
            break;
        }
        let a = word >> 10;
        let i = word & 0x3ff;
        match a {
            SKIP => {
                let (Some(hi), Some(lo)) = (word_at(pos + 2), word_at(pos + 4)) else {
                    return Err(err(
                        pos,
                        "SKIP without its 32-bit interval (file truncated)".to_string(),
                    ));
                };
                let interval = ((u32::from(hi) << 16) | u32::from(lo)) as i32;
                time += i64::from(interval);
                pos += 6;
            }
            NUM => {
                num = (i & 0xff) as u8 as i8;
                if let Some(c) = current.as_mut() {
                    c.num = num;
                }
                pos += 2;
            }
            CHN => {
                chan = (i & 0xff) as u8;
                if let Some(c) = current.as_mut() {
                    c.chan = chan;
                }
                pos += 2;
            }
            SUB => {
                let Some(c) = current.as_mut() else {
                    return Err(err(pos, "SUB before any annotation".to_string()));
                };
                c.sub = (i & 0xff) as u8 as i8;
                pos += 2;
            }
            AUX => {
                let n = usize::from(i & 0xff);
                let start = pos + 2;
                let Some(text) = data.get(start..start + n) else {
                    return Err(err(
                        pos,
                        format!(
                            "AUX of {n} bytes runs past the end of the file ({} bytes)",
                            data.len()
                        ),
                    ));
                };
                let Some(c) = current.as_mut() else {
                    return Err(err(pos, "AUX before any annotation".to_string()));
                };
                c.aux = Some(aux_text(text));
                pos = start + n + (n & 1);
            }
            code => {
                if code > u16::from(AnnotationCode::MAX) {
                    odd_code = true;
                }
                flush(current.take(), &mut annotations);
                time += i64::from(i);
                let mut ann = Annotation::new(time, AnnotationCode(code as u8));
                ann.chan = chan;
                ann.num = num;
                current = Some(ann);
                pos += 2;
            }
        }
    }
    flush(current.take(), &mut annotations);

    let fs = definitions.iter().find_map(|d| {
        let v = d.strip_prefix("## time resolution:")?.trim();
        let f: f64 = v.split_whitespace().next()?.parse().ok()?;
        (f > 0.0 && f.is_finite()).then_some(f)
    });
    Ok(Parsed {
        set: AnnotationSet {
            annotator: annotator.to_string(),
            fs,
            annotations,
        },
        clean_end,
        odd_code,
    })
}

/// AUX bytes as text: trailing NULs dropped, UTF-8 when valid, Latin-1 otherwise.
fn aux_text(bytes: &[u8]) -> String {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
    let bytes = &bytes[..end];
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// True when `data` reads as an MIT annotation file with at least one annotation, ends in
/// the zero end word, and uses only codes WFDB defines. Used to pick annotation files out
/// of a directory without trusting file names.
pub fn is_annotation_file(data: &[u8]) -> bool {
    if data.len() < 4 || !data.len().is_multiple_of(2) {
        return false;
    }
    match parse("", data, "") {
        Ok(p) => p.clean_end && !p.odd_code && !p.set.annotations.is_empty(),
        Err(_) => false,
    }
}

/// Writes an annotation set as an MIT annotation file. A set with a sampling frequency
/// starts with a `## time resolution` note so readers get the frequency back.
pub fn write_annotations(set: &AnnotationSet) -> Result<Vec<u8>> {
    let file = format!(".{} annotation file", set.annotator);
    let werr = |message: String| Error::Write {
        file: file.clone(),
        message,
    };
    let mut out = Vec::with_capacity(set.annotations.len() * 4 + 64);
    let push = |out: &mut Vec<u8>, code: u16, value: u16| {
        out.extend_from_slice(&((code << 10) | (value & 0x3ff)).to_le_bytes());
    };
    let push_aux = |out: &mut Vec<u8>, text: &[u8]| {
        push(out, AUX, text.len() as u16);
        out.extend_from_slice(text);
        if text.len() % 2 == 1 {
            out.push(0);
        }
    };
    if let Some(fs) = set.fs {
        if !(fs > 0.0 && fs.is_finite()) {
            return Err(werr(format!("sampling frequency {fs} is not positive")));
        }
        push(&mut out, u16::from(NOTE), 0);
        push_aux(&mut out, format!("## time resolution: {fs}").as_bytes());
    }
    let mut time: i64 = 0;
    let mut chan: u8 = 0;
    let mut num: i8 = 0;
    for (k, a) in set.annotations.iter().enumerate() {
        let code = a.code.0;
        if code == 0 || code > AnnotationCode::MAX {
            return Err(werr(format!(
                "annotation {k} at sample {} has code {code}, outside 1..={}",
                a.sample,
                AnnotationCode::MAX
            )));
        }
        let delta = a.sample - time;
        if (0..=1023).contains(&delta) {
            push(&mut out, u16::from(code), delta as u16);
        } else {
            let d = i32::try_from(delta).map_err(|_| {
                werr(format!(
                    "annotation {k}: step of {delta} samples does not fit a 32-bit SKIP"
                ))
            })? as u32;
            push(&mut out, SKIP, 0);
            out.extend_from_slice(&((d >> 16) as u16).to_le_bytes());
            out.extend_from_slice(&(d as u16).to_le_bytes());
            push(&mut out, u16::from(code), 0);
        }
        time = a.sample;
        if a.sub != 0 {
            push(&mut out, SUB, u16::from(a.sub as u8));
        }
        if a.chan != chan {
            push(&mut out, CHN, u16::from(a.chan));
            chan = a.chan;
        }
        if a.num != num {
            push(&mut out, NUM, u16::from(a.num as u8));
            num = a.num;
        }
        if let Some(aux) = &a.aux {
            let bytes = latin1_or_utf8(aux);
            if bytes.len() > 255 {
                return Err(werr(format!(
                    "annotation {k}: aux text of {} bytes exceeds 255",
                    bytes.len()
                )));
            }
            if bytes.is_empty() {
                return Err(werr(format!(
                    "annotation {k}: empty aux text cannot be written (use None)"
                )));
            }
            push_aux(&mut out, &bytes);
        }
    }
    out.extend_from_slice(&[0, 0]);
    Ok(out)
}

/// Text as Latin-1 bytes when every character fits, UTF-8 otherwise.
fn latin1_or_utf8(s: &str) -> Vec<u8> {
    if s.chars().all(|c| (c as u32) < 256) && !s.is_ascii() {
        s.chars().map(|c| c as u32 as u8).collect()
    } else {
        s.as_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn modifiers_skip_and_aux() {
        let mut set = AnnotationSet {
            annotator: "atr".into(),
            fs: Some(360.0),
            annotations: vec![],
        };
        let mut a = Annotation::new(18, AnnotationCode::RHYTHM);
        a.aux = Some("(N".into());
        set.annotations.push(a);
        let mut b = Annotation::new(5000, AnnotationCode::PVC);
        b.sub = -3;
        b.chan = 2;
        b.num = 7;
        set.annotations.push(b);
        let mut c = Annotation::new(4000, AnnotationCode::NORMAL);
        c.chan = 2;
        c.num = 7;
        set.annotations.push(c);
        let bytes = write_annotations(&set).unwrap();
        assert!(is_annotation_file(&bytes));
        let back = read_annotations(&bytes, "atr").unwrap();
        assert_eq!(back, set);
    }

    #[test]
    fn malformed_files_name_the_offset() {
        let e = read_annotations(&[0x05, 0x04, 0x01], "atr").unwrap_err();
        assert!(e.to_string().contains("byte offset 2"), "{e}");
        let e = read_annotations(&[0x00, 0xec], "atr").unwrap_err(); // SKIP cut short
        assert!(e.to_string().contains("SKIP"), "{e}");
        let e = read_annotations(&[0x05, 0x04, 0x09, 0xfc, b'a'], "atr").unwrap_err();
        assert!(e.to_string().contains("AUX"), "{e}");
        let e = read_annotations(&[0x01, 0xf4], "atr").unwrap_err(); // SUB first
        assert!(e.to_string().contains("SUB"), "{e}");
        assert!(!is_annotation_file(b"hello world!"));
        assert!(!is_annotation_file(&[0, 0]));
    }

    #[test]
    fn writer_refuses_what_mit_cannot_hold() {
        let set = AnnotationSet {
            annotator: "x".into(),
            fs: None,
            annotations: vec![Annotation::new(1, AnnotationCode(0))],
        };
        assert!(write_annotations(&set).is_err());
        let mut a = Annotation::new(1, AnnotationCode::NOTE);
        a.aux = Some("x".repeat(300));
        let set = AnnotationSet {
            annotator: "x".into(),
            fs: None,
            annotations: vec![a],
        };
        assert!(write_annotations(&set).is_err());
    }
}
