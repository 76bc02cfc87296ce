//! [`FormatError`]: the error of one single-file or WFDB decoder, wrapped by this crate.

/// A decoder's own error, kept typed (no `Box<dyn Error>`): one variant per format.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The record model refused something while decoding.
    #[error(transparent)]
    Core(#[from] ecg_core::Error),
}
