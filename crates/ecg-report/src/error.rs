//! The error type of report rendering.

use std::path::PathBuf;

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A character of the report text is in none of the available fonts (the built-in
    /// DejaVu Sans and the fallback fonts searched, see [`crate::FontOptions`]).
    #[error(
        "no font has a glyph for {character:?} (U+{code:04X}) in {context:?}; searched the \
         built-in DejaVu Sans and {searched:?} (install fonts-droid-fallback for CJK text)"
    )]
    MissingGlyph {
        /// The character.
        character: char,
        /// Its code point.
        code: u32,
        /// The text it appears in (shortened).
        context: String,
        /// Fallback font files that were tried (those that exist and parsed).
        searched: Vec<PathBuf>,
    },
    /// A font file could not be read or parsed.
    #[error("font {path}: {reason}")]
    Font {
        /// Path (or `built-in`).
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The logo image could not be decoded.
    #[error("logo image: {0}")]
    Logo(String),
    /// The record's samples could not be read.
    #[error("signal {signal:?}: {source}")]
    Signal {
        /// Signal label.
        signal: String,
        /// The decoder's error.
        #[source]
        source: ecg_core::Error,
    },
    /// The record has no signal the report can draw.
    #[error("record {record:?} has no ECG signal to draw ({reason})")]
    NoSignal {
        /// Record name.
        record: String,
        /// Why (no signals, zero sampling rate, ...).
        reason: String,
    },
    /// An option is out of its allowed range.
    #[error("option {option}: {reason}")]
    Option {
        /// Option name.
        option: &'static str,
        /// What is allowed.
        reason: String,
    },
    /// The PDF writer failed.
    #[error("PDF writer: {0}")]
    Pdf(String),
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<lopdf::Error> for Error {
    fn from(e: lopdf::Error) -> Self {
        Error::Pdf(e.to_string())
    }
}
