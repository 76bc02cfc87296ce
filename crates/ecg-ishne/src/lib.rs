//! ISHNE 1.0 Holter ECG files and ISHNE annotation files.
//!
//! The ISHNE standard output format for Holter ECG (Badilini et al., A.N.E. 1998): a
//! 10-byte pre-header (magic `ISHNE1.0`, CRC-CCITT of the header), a 512-byte fixed header
//! (patient, dates, up to 12 lead specifications with quality and amplitude resolution in
//! nV, pacemaker code, recorder type, sampling rate), a variable-length block, then the
//! samples as little-endian `int16`, interleaved lead by lead.
//!
//! [`decode`] returns an [`ecg_core::Record`] whose samples are read lazily from the
//! (memory-mapped) bytes, so a 7-day, 3-lead file is never copied; each lead has
//! `Scale::Gain { gain: 1e6 / resolution_nv }` in mV. [`read_annotations`] reads an
//! `ANN  1.0` file into an [`ecg_core::AnnotationSet`].
//!
//! ```
//! use ecg_core::{Confidence, DecodeOptions, SharedBytes};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/ishne/mitdb100_10s.ecg");
//! let bytes = std::fs::read(path)?;
//! assert_eq!(ecg_ishne::detect(&bytes), Confidence::Certain);
//! let record = ecg_ishne::decode("100.ecg", SharedBytes::from_vec(bytes), &DecodeOptions::default())?;
//! let ii = record.signal("II").unwrap();
//! assert_eq!((ii.fs, ii.len()), (360.0, 3600));
//! assert_eq!(ii.samples.window(0..3)?.as_ref(), &[-29, -29, -29]);
//! assert_eq!(ii.physical(0..1)?, vec![-0.145]); // 5000 nV per unit
//! assert_eq!(record.personal.patient_id.as_deref(), Some("MIT100"));
//!
//! let ann = std::fs::read(path.replace(".ecg", ".ann"))?;
//! let beats = ecg_ishne::read_annotations(&ann)?;
//! assert_eq!(beats.annotations.len(), 12);
//! assert_eq!(beats.annotations[0].sample, 370);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod annotations;
mod decode;
mod error;
mod header;

use ecg_core::{Confidence, Detector};

pub use annotations::{ANNOTATOR, label_code, read_annotations};
pub use decode::{
    LEAD_QUALITY, LEAD_SPEC, PACEMAKER, RECORDER_TYPE, RESOLUTION_NV, VARIABLE_BLOCK, decode,
    decode_path,
};
pub use error::{Error, Result};
pub use header::{
    ANN_MAGIC, ECG_MAGIC, FIXED_HEADER_BYTES, Header, MAX_LEADS, crc_ccitt, lead_code, lead_name,
    lead_quality_name, pacemaker_name, parse as parse_header, race_name,
};

/// Says whether `data` is an ISHNE 1.0 Holter ECG file: [`Confidence::Certain`] when the
/// magic is `ISHNE1.0`, the header parses (offsets inside the file, 1..=12 leads, a
/// positive sampling rate) and its CRC matches; [`Confidence::Maybe`] when only the CRC
/// differs (decoded with a warning in lenient mode); [`Confidence::No`] otherwise —
/// including `ANN  1.0` annotation files, which hold no signal (read them with
/// [`read_annotations`]). Reads the header only; never panics.
pub fn detect(data: &[u8]) -> Confidence {
    if !data.starts_with(ECG_MAGIC) {
        return Confidence::No;
    }
    let Ok(h) = header::parse(data, ECG_MAGIC, "Holter") else {
        return Confidence::No;
    };
    if !(1..=MAX_LEADS as i16).contains(&h.nleads) || h.sampling_rate <= 0 {
        return Confidence::No;
    }
    if h.crc == h.computed_crc {
        Confidence::Certain
    } else {
        Confidence::Maybe
    }
}

/// The ISHNE [`Detector`] for the format registry (`name()` is `"ishne"`).
#[derive(Clone, Copy, Debug, Default)]
pub struct IshneDetector;

impl Detector for IshneDetector {
    fn name(&self) -> &'static str {
        "ishne"
    }

    fn detect(&self, data: &[u8]) -> Confidence {
        detect(data)
    }
}
