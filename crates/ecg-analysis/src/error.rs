//! The error type of `ecg-analysis`.

/// Errors raised by the analysis engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The record has no signal that can be analysed (no samples, or no sampling rate).
    #[error("record {record:?} has no analysable signal: {reason}")]
    NoSignal {
        /// Record name.
        record: String,
        /// Why nothing could be analysed.
        reason: String,
    },
    /// The sampling frequency is outside what the engine supports.
    #[error("signal {signal:?}: sampling frequency {fs} Hz is outside {min}..={max} Hz")]
    UnsupportedRate {
        /// Signal label.
        signal: String,
        /// Its sampling frequency.
        fs: f64,
        /// Smallest supported frequency.
        min: f64,
        /// Largest supported frequency.
        max: f64,
    },
    /// A configuration value is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Reading samples from the record failed.
    #[error("reading samples of signal {signal:?}: {source}")]
    Samples {
        /// Signal label.
        signal: String,
        /// The record model's error.
        #[source]
        source: ecg_core::Error,
    },
    /// The caller cancelled the analysis through the progress callback.
    #[error("analysis cancelled")]
    Cancelled,
}

/// Result alias for `ecg-analysis`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
