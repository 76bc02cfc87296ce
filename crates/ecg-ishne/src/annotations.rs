//! ISHNE annotation files (`ANN  1.0`): beat labels and RR offsets.

use ecg_core::{Annotation, AnnotationCode, AnnotationSet};

use crate::error::{Error, Result};
use crate::header::{ANN_MAGIC, parse};

/// Annotator name of the sets [`read_annotations`] returns.
pub const ANNOTATOR: &str = "ishne";

/// The MIT code of an ISHNE beat label, and the aux text kept for labels without an
/// exact MIT equivalent.
pub fn label_code(label: u8) -> (AnnotationCode, Option<&'static str>) {
    match label {
        b'N' => (AnnotationCode::NORMAL, None),
        b'V' => (AnnotationCode::PVC, None),
        b'S' => (AnnotationCode::SVPB, None),
        b'P' => (AnnotationCode::PACE, None),
        b'B' => (AnnotationCode(25), None), // B: bundle branch block beat (unspecified)
        b'X' => (AnnotationCode(16), Some("ISHNE X artefact")), // | isolated artefact
        b'C' => (AnnotationCode::NOTE, Some("ISHNE C calibration")),
        b'!' => (AnnotationCode::NOTE, Some("ISHNE ! timeout")),
        b'U' => (AnnotationCode::UNKNOWN, Some("ISHNE U unreadable")),
        _ => (AnnotationCode::UNKNOWN, None),
    }
}

/// Reads an ISHNE annotation file: the same header as the Holter file (magic
/// `ANN  1.0`), then the sample number of the first beat (u32, little-endian), then one
/// 4-byte record per following beat: label (ASCII), internal label, and the number of
/// samples since the previous beat (u16). Each record becomes an [`Annotation`] at the
/// running sum of those offsets (the first beat itself carries no label, as in the
/// reference reader); labels map to MIT codes with [`label_code`], labels without an exact
/// equivalent keep their letter in `aux`. A header CRC mismatch is an error: this reader
/// is strict. `fs` of the set is the header's sampling rate.
pub fn read_annotations(data: &[u8]) -> Result<AnnotationSet> {
    let header = parse(data, ANN_MAGIC, "annotation")?;
    if header.crc != header.computed_crc {
        return Err(Error::Crc {
            stored: header.crc,
            computed: header.computed_crc,
            end: u64::from(header.ecg_block_offset),
        });
    }
    // The annotations follow the variable block; some writers leave the ECG offset field
    // as in the Holter file, so the variable block's end is used.
    let start = 522 + header.var_block_size as usize;
    let Some(first) = data.get(start..start + 4) else {
        return Err(Error::TooShort {
            what: "the first beat's sample number",
            needed: start as u64 + 4,
            actual: data.len() as u64,
        });
    };
    let mut sample = i64::from(u32::from_le_bytes([first[0], first[1], first[2], first[3]]));
    let body = &data[start + 4..];
    let mut set = AnnotationSet {
        annotator: ANNOTATOR.into(),
        fs: (header.sampling_rate > 0).then(|| f64::from(header.sampling_rate)),
        annotations: Vec::with_capacity(body.len() / 4),
    };
    for rec in body.chunks_exact(4) {
        sample += i64::from(u16::from_le_bytes([rec[2], rec[3]]));
        let (code, aux) = label_code(rec[0]);
        let mut a = Annotation::new(sample, code);
        a.aux = match aux {
            Some(t) => Some(t.to_string()),
            None if code == AnnotationCode::UNKNOWN && rec[0] != b'Q' => {
                Some(format!("ISHNE {}", rec[0].escape_ascii()))
            }
            None => None,
        };
        a.sub = i8::from_le_bytes([rec[1]]);
        set.annotations.push(a);
    }
    Ok(set)
}
