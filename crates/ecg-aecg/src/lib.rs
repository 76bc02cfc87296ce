//! HL7 aECG (annotated ECG, HL7 v3 XML) reader: rhythm and derived (median) waveforms,
//! lead codes, scale and origin, patient and device fields, annotations.
//!
//! [`decode`] reads the document in one streaming pass with quick-xml: each
//! `sequenceSet` gives a time axis (`GLIST_TS` or `GLIST_PQ`: sampling frequency =
//! 1 / increment) and one signal per `SLIST_PQ` lead sequence (digits as the digital
//! samples, `physical = origin + scale * digit`). Rhythm series come first; derived
//! (representative beat) waveforms follow, labelled `<lead> median`. Patient
//! (`trialSubject` id, name, sex, birth time, race), device (`manufacturedSeriesDevice`,
//! `manufacturerOrganization`), filters (`controlVariable`) and annotations (measurements,
//! statements, timed events, beat labels) fill the record's other fields.
//!
//! ```
//! use ecg_core::{Confidence, DecodeOptions, SharedBytes};
//!
//! let xml = br#"<?xml version="1.0"?>
//! <AnnotatedECG xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
//!  <component><series><code code="RHYTHM"/>
//!   <component><sequenceSet>
//!    <component><sequence><code code="TIME_ABSOLUTE"/>
//!     <value xsi:type="GLIST_TS"><head value="20240301101530"/><increment value="0.002" unit="s"/></value>
//!    </sequence></component>
//!    <component><sequence><code code="MDC_ECG_LEAD_II"/>
//!     <value xsi:type="SLIST_PQ"><origin value="0" unit="uV"/><scale value="5" unit="uV"/>
//!      <digits>1 2 -3 4</digits></value>
//!    </sequence></component>
//!   </sequenceSet></component>
//!  </series></component>
//! </AnnotatedECG>"#;
//! assert_eq!(ecg_aecg::detect(xml), Confidence::Certain);
//! let record = ecg_aecg::decode("demo.xml", SharedBytes::from_static(xml), &DecodeOptions::default())?;
//! let ii = record.signal("II").unwrap();
//! assert_eq!((ii.fs, ii.unit.as_str()), (500.0, "uV"));
//! assert_eq!(ii.samples.as_slice().unwrap(), &[1, 2, -3, 4]);
//! assert_eq!(ii.physical(0..3)?, vec![5.0, 10.0, -15.0]);
//! assert_eq!(record.start_time.unwrap().to_string(), "10:15:30");
//! # Ok::<(), ecg_aecg::Error>(())
//! ```

#![forbid(unsafe_code)]

mod decode;
mod error;
mod leads;

use ecg_core::{Confidence, Detector};

pub use decode::{
    ANNOTATOR, LEAD_CODE, MEDIAN_SUFFIX, ORIGIN, SCALE, SERIES, SERIES_CODE, decode, decode_path,
};
pub use error::{Error, Result};
pub use leads::{lead_code, lead_label};

/// Says whether `data` is an HL7 aECG document, looking at its first 4 KiB: after an
/// optional byte order mark, XML declaration, comments and processing instructions, the
/// first element must be `AnnotatedECG` (any namespace prefix): [`Confidence::Certain`]
/// with the HL7 v3 namespace `urn:hl7-org:v3` declared, [`Confidence::Maybe`] without it,
/// [`Confidence::No`] otherwise. Never panics.
pub fn detect(data: &[u8]) -> Confidence {
    let head = &data[..data.len().min(4096)];
    let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(head);
    let mut rest = head;
    loop {
        let trimmed = rest.trim_ascii_start();
        if trimmed.starts_with(b"<?") {
            let Some(end) = find(trimmed, b"?>") else {
                return Confidence::No;
            };
            rest = &trimmed[end + 2..];
        } else if trimmed.starts_with(b"<!--") {
            let Some(end) = find(trimmed, b"-->") else {
                return Confidence::No;
            };
            rest = &trimmed[end + 3..];
        } else if trimmed.starts_with(b"<!DOCTYPE") {
            let Some(end) = find(trimmed, b">") else {
                return Confidence::No;
            };
            rest = &trimmed[end + 1..];
        } else {
            rest = trimmed;
            break;
        }
    }
    let Some(tag) = rest.strip_prefix(b"<") else {
        return Confidence::No;
    };
    let name_end = tag
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
        .unwrap_or(tag.len());
    let name = &tag[..name_end];
    let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
    if local != b"AnnotatedECG" {
        return Confidence::No;
    }
    if find(tag, b"urn:hl7-org:v3").is_some() {
        Confidence::Certain
    } else {
        Confidence::Maybe
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The aECG [`Detector`] for the format registry (`name()` is `"aecg"`).
#[derive(Clone, Copy, Debug, Default)]
pub struct AecgDetector;

impl Detector for AecgDetector {
    fn name(&self) -> &'static str {
        "aecg"
    }

    fn detect(&self, data: &[u8]) -> Confidence {
        detect(data)
    }
}
