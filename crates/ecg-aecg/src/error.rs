//! The error type of `ecg-aecg`: every variant names the byte offset (and element) that
//! is wrong.

/// Errors raised while decoding HL7 aECG documents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not well-formed XML.
    #[error("XML error at byte offset {offset}: {message}")]
    Xml {
        /// Byte offset of the problem.
        offset: u64,
        /// The XML parser's message.
        message: String,
    },
    /// The document is XML but its root element is not `AnnotatedECG`.
    #[error("not an HL7 aECG document: the root element is <{found}>, expected <AnnotatedECG>")]
    NotAecg {
        /// The root element's name (empty when there is none).
        found: String,
    },
    /// A value in the document is not what the aECG schema allows.
    #[error("<{element}> at byte offset {offset}: {found:?} is not {expected}")]
    Value {
        /// Element name.
        element: &'static str,
        /// Byte offset.
        offset: u64,
        /// The text found (at most 40 characters).
        found: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A lead's sequence set has no usable time sequence (increment).
    #[error(
        "sequence set ending at byte offset {offset}: lead {lead} has no time sequence with a positive increment (GLIST_TS or GLIST_PQ), so no sampling frequency"
    )]
    NoTimeAxis {
        /// Byte offset of the sequence set's end.
        offset: u64,
        /// The lead's code.
        lead: String,
    },
    /// The document holds no waveform at all.
    #[error("the aECG document holds no waveform (no SLIST_PQ sequence with digits)")]
    NoWaveforms,
    /// Decoding would allocate more samples than [`ecg_core::Limits::max_samples`].
    #[error("{what}: {requested} exceeds the limit of {limit}")]
    LimitExceeded {
        /// What was being allocated.
        what: &'static str,
        /// The requested amount.
        requested: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The record model refused something.
    #[error(transparent)]
    Core(#[from] ecg_core::Error),
}

/// Result alias for `ecg-aecg`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
