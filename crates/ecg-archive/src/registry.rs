//! The single-file detector registry, tried in the SPEC's order.
//!
//! One list: EDF first, then SCP-ECG, then the formats added later (ISHNE, HL7 aECG, CSV,
//! DICOM waveform ...), each a single line
//! `SingleFileFormat { detector: &..., decode: ... }`. The first detector that does not
//! answer [`Confidence::No`] decodes the file; a later detector therefore never steals an
//! earlier format's files.

use ecg_core::{Confidence, DecodeOptions, Detector, Record, SharedBytes};

use crate::format_error::FormatError;

/// A decoder entry point: `(file name, bytes, options) -> record`.
pub type DecodeFn = fn(&str, SharedBytes, &DecodeOptions) -> Result<Record, FormatError>;

/// One single-file format of the registry.
pub struct SingleFileFormat {
    /// Recognises the format from the file's bytes.
    pub detector: &'static dyn Detector,
    /// Decodes a file the detector accepted.
    pub decode: DecodeFn,
}

impl SingleFileFormat {
    /// The format's short name (the detector's).
    pub fn name(&self) -> &'static str {
        self.detector.name()
    }
}

/// The registry, in detection order. Later formats plug in with one line each.
#[rustfmt::skip]
pub static SINGLE_FILE_FORMATS: &[SingleFileFormat] = &[
    SingleFileFormat { detector: &ecg_edf::EdfDetector, decode: decode_edf },
    SingleFileFormat { detector: &ecg_scp::ScpDetector, decode: decode_scp },
    SingleFileFormat { detector: &ecg_ishne::IshneDetector, decode: decode_ishne },
    SingleFileFormat { detector: &ecg_aecg::AecgDetector, decode: decode_aecg },
    SingleFileFormat { detector: &ecg_csv::CsvDetector, decode: decode_csv },
    SingleFileFormat { detector: &ecg_dicom::DicomDetector, decode: decode_dicom },
];

fn decode_ishne(
    name: &str,
    data: SharedBytes,
    opts: &DecodeOptions,
) -> Result<Record, FormatError> {
    Ok(ecg_ishne::decode(name, data, opts)?)
}

fn decode_aecg(name: &str, data: SharedBytes, opts: &DecodeOptions) -> Result<Record, FormatError> {
    Ok(ecg_aecg::decode(name, data, opts)?)
}

fn decode_dicom(
    name: &str,
    data: SharedBytes,
    opts: &DecodeOptions,
) -> Result<Record, FormatError> {
    Ok(ecg_dicom::decode(name, data, opts)?)
}

fn decode_csv(name: &str, data: SharedBytes, opts: &DecodeOptions) -> Result<Record, FormatError> {
    Ok(ecg_csv::decode(name, data, opts)?)
}

fn decode_scp(name: &str, data: SharedBytes, opts: &DecodeOptions) -> Result<Record, FormatError> {
    Ok(ecg_scp::decode(name, data, opts)?)
}

fn decode_edf(name: &str, data: SharedBytes, opts: &DecodeOptions) -> Result<Record, FormatError> {
    Ok(ecg_edf::decode(name, data, opts)?)
}

/// Names of the registered single-file formats, in detection order.
pub fn single_file_format_names() -> Vec<&'static str> {
    SINGLE_FILE_FORMATS
        .iter()
        .map(SingleFileFormat::name)
        .collect()
}

/// The outcome of running the registry over one file.
#[derive(Debug)]
pub(crate) enum Detection {
    /// A format claimed the file and decoded it.
    Decoded(Box<Record>),
    /// A format claimed the file but its decoder failed.
    Failed(FormatError),
    /// No format claimed the file.
    Unrecognised,
}

/// Tries every format in order on `data`; the first match decodes it.
pub(crate) fn detect_and_decode(
    formats: &[SingleFileFormat],
    name: &str,
    data: SharedBytes,
    opts: &DecodeOptions,
) -> Detection {
    for format in formats {
        if format.detector.detect(&data) != Confidence::No {
            return match (format.decode)(name, data, opts) {
                Ok(record) => Detection::Decoded(Box::new(record)),
                Err(e) => Detection::Failed(e),
            };
        }
    }
    Detection::Unrecognised
}
