//! DICOM waveform reader: 12-lead ECG, General ECG, Ambulatory ECG and Hemodynamic
//! waveform storage (SOP classes 1.2.840.10008.5.1.4.1.1.9.1.1, .9.1.2, .9.1.3, .9.2.1).
//!
//! [`decode`] reads a DICOM Part 10 file (128-byte preamble, `DICM`, file meta
//! information) in explicit or implicit VR little endian with this crate's own small
//! parser: the data set becomes a tree of elements whose values stay in the file's bytes.
//! Every Waveform Sequence item (multiplex group) gives one signal per channel, decoded
//! on demand from the interleaved Waveform Data (8-bit SB/UB, mu-law MB and A-law AB,
//! 16-bit SS/US, 32-bit SL/UL); `physical = raw x sensitivity x correction + baseline` in
//! the Channel Sensitivity Units; Waveform Padding Value is the missing-sample value.
//! Channels of the first group are named after their lead (`I`, `II`, `V1`, ... from the
//! SCPECG or MDC code of the Channel Source Sequence), channels of later groups after
//! their lead and the group's label (`II median`, or `II group2` without a label).
//! Patient, study/acquisition date-time, device, filters and the Waveform Annotation
//! Sequence fill the record's other fields.
//!
//! ```
//! use ecg_core::{Confidence, DecodeOptions, SharedBytes};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/dicom/pydicom_mitdb100_2lead.dcm");
//! let bytes = std::fs::read(path).unwrap();
//! assert_eq!(ecg_dicom::detect(&bytes), Confidence::Certain);
//! let record = ecg_dicom::decode("100.dcm", SharedBytes::from_vec(bytes), &DecodeOptions::default())?;
//! let ii = record.signal("II").unwrap();
//! assert_eq!((ii.fs, ii.unit.as_str(), ii.len()), (360.0, "mV", 3600));
//! assert_eq!(ii.samples.window(0..3)?.as_ref(), &[995, 995, 995]);
//! // 995 x 0.005 mV - 5.12 mV
//! assert!((ii.physical(0..1)?[0] + 0.145).abs() < 1e-12);
//! assert_eq!(record.personal.patient_id.as_deref(), Some("MITDB-100"));
//! # Ok::<(), ecg_dicom::Error>(())
//! ```

#![forbid(unsafe_code)]

mod decode;
mod error;
mod interleaved;
mod leads;
mod part10;
mod tags;
mod values;

use ecg_core::{Confidence, Detector};

pub use decode::{ANNOTATOR, FORMAT, decode, decode_path};
pub use error::{Error, Result, Tag};
pub use interleaved::{SampleEncoding, a_law_to_linear, mu_law_to_linear};
pub use leads::lead_label;

/// 12-lead ECG Waveform Storage.
pub const TWELVE_LEAD_ECG: &str = "1.2.840.10008.5.1.4.1.1.9.1.1";
/// General ECG Waveform Storage.
pub const GENERAL_ECG: &str = "1.2.840.10008.5.1.4.1.1.9.1.2";
/// Ambulatory ECG Waveform Storage.
pub const AMBULATORY_ECG: &str = "1.2.840.10008.5.1.4.1.1.9.1.3";
/// Hemodynamic Waveform Storage.
pub const HEMODYNAMIC: &str = "1.2.840.10008.5.1.4.1.1.9.2.1";

/// The SOP classes this crate reads (and its detector claims).
pub const WAVEFORM_SOP_CLASSES: [&str; 4] =
    [TWELVE_LEAD_ECG, GENERAL_ECG, AMBULATORY_ECG, HEMODYNAMIC];

/// The name of a waveform SOP class UID (`"12-lead ECG"`, ...), `"other"` for the rest.
pub fn sop_class_name(uid: &str) -> &'static str {
    match uid {
        TWELVE_LEAD_ECG => "12-lead ECG",
        GENERAL_ECG => "General ECG",
        AMBULATORY_ECG => "Ambulatory ECG",
        HEMODYNAMIC => "Hemodynamic",
        _ => "other",
    }
}

/// The name of a transfer syntax UID, for messages.
pub fn transfer_syntax_name(uid: &str) -> &'static str {
    match uid {
        "1.2.840.10008.1.2" => "implicit VR little endian",
        "1.2.840.10008.1.2.1" => "explicit VR little endian",
        "1.2.840.10008.1.2.1.99" => "deflated explicit VR little endian",
        "1.2.840.10008.1.2.2" => "explicit VR big endian",
        _ => "compressed or unknown",
    }
}

/// Says whether `data` is a DICOM waveform file this crate reads: the 128-byte preamble
/// and `DICM`, then a Media Storage SOP Class UID (or, when the meta information has none,
/// the data set's SOP Class UID) among [`WAVEFORM_SOP_CLASSES`]: [`Confidence::Certain`];
/// [`Confidence::No`] otherwise, DICOM images and other objects included. Never panics.
pub fn detect(data: &[u8]) -> Confidence {
    if !part10::has_preamble(data) {
        return Confidence::No;
    }
    let Ok(meta) = part10::read_meta(data) else {
        return Confidence::No;
    };
    let sop_class = match meta.sop_class {
        Some(s) => s,
        None => {
            let explicit = match meta.transfer_syntax.as_deref() {
                Some(part10::EXPLICIT_VR_LE) => true,
                Some(part10::IMPLICIT_VR_LE) => false,
                _ => return Confidence::No,
            };
            let Ok(set) =
                part10::read_dataset(data, meta.dataset_start, explicit, Some(tags::SOP_CLASS.0))
            else {
                return Confidence::No;
            };
            let Some(s) = values::ValueReader::new(data, "").text(&set, tags::SOP_CLASS) else {
                return Confidence::No;
            };
            part10::uid_text(s.as_bytes())
        }
    };
    if WAVEFORM_SOP_CLASSES.contains(&sop_class.as_str()) {
        Confidence::Certain
    } else {
        Confidence::No
    }
}

/// The DICOM waveform [`Detector`] for the format registry (`name()` is `"dicom"`).
#[derive(Clone, Copy, Debug, Default)]
pub struct DicomDetector;

impl Detector for DicomDetector {
    fn name(&self) -> &'static str {
        "dicom"
    }

    fn detect(&self, data: &[u8]) -> Confidence {
        detect(data)
    }
}
