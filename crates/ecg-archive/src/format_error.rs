//! [`FormatError`]: the error of one single-file or WFDB decoder, wrapped by this crate.

/// A decoder's own error, kept typed (no `Box<dyn Error>`): one variant per format.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// EDF / EDF+ / BDF (`ecg-edf`).
    #[error("edf: {0}")]
    Edf(#[from] ecg_edf::Error),
    /// SCP-ECG (`ecg-scp`).
    #[error("scp: {0}")]
    Scp(#[from] ecg_scp::Error),
    /// ISHNE 1.0 Holter (`ecg-ishne`).
    #[error("ishne: {0}")]
    Ishne(#[from] ecg_ishne::Error),
    /// HL7 aECG (`ecg-aecg`).
    #[error("aecg: {0}")]
    Aecg(#[from] ecg_aecg::Error),
    /// DICOM waveform (`ecg-dicom`).
    #[error("dicom: {0}")]
    Dicom(#[from] ecg_dicom::Error),
    /// CSV/TSV tables (`ecg-csv`).
    #[error("csv: {0}")]
    Csv(#[from] ecg_csv::Error),
    /// WFDB (`ecg-wfdb`).
    #[error("wfdb: {0}")]
    Wfdb(#[from] ecg_wfdb::Error),
    /// The record model refused something while decoding.
    #[error(transparent)]
    Core(#[from] ecg_core::Error),
}
