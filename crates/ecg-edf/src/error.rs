//! The error type of `ecg-edf`: every variant names the byte offset, header field or signal
//! that is wrong, so a user can find the problem in a hex dump.

/// Errors raised while detecting, decoding or writing EDF/EDF+/BDF files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file is shorter than the part of the header being read.
    #[error("file too short: {what} take {needed} bytes but the file has {actual}")]
    TooShort {
        /// What was being read (`the fixed header`, `the signal headers`).
        what: &'static str,
        /// Bytes needed.
        needed: u64,
        /// Bytes present.
        actual: u64,
    },
    /// The version field (bytes 0..8) is neither EDF's `0` nor BDF's `0xFF BIOSEMI`.
    #[error(
        "not an EDF or BDF file: version field (bytes 0..8) is \"{found}\", expected \"0\" (EDF) or 0xFF\"BIOSEMI\" (BDF)"
    )]
    NotEdf {
        /// The field, with non-printable bytes escaped.
        found: String,
    },
    /// A header field does not hold what the EDF specification requires.
    #[error("header field {field}{} at byte offset {offset}: \"{value}\" is not {expected}", signal_suffix(*signal))]
    Field {
        /// The field's name (`number of signals`, `physical minimum`, ...).
        field: &'static str,
        /// Signal index (0-based, in header order) for per-signal fields.
        signal: Option<usize>,
        /// Byte offset of the field in the file.
        offset: usize,
        /// The field's text, non-printable bytes escaped.
        value: String,
        /// What the field should hold.
        expected: &'static str,
    },
    /// The header-size field disagrees with the number of signals (`256 * (ns + 1)`).
    #[error(
        "header field number of header bytes at byte offset 184 says {stated} but {signals} signals need {expected} (256 * (ns + 1))"
    )]
    HeaderSize {
        /// The stated size.
        stated: u64,
        /// Number of signals from the header.
        signals: usize,
        /// The size implied by the number of signals.
        expected: u64,
    },
    /// The data section is shorter than the header's record count says.
    #[error(
        "data truncated: the header (byte offset 236) says {records} data records of {record_bytes} bytes, so the file should have {expected_bytes} bytes, but it has {actual_bytes}"
    )]
    Truncated {
        /// Records stated by the header.
        records: u64,
        /// Bytes per data record.
        record_bytes: u64,
        /// File size implied by the header.
        expected_bytes: u64,
        /// Actual file size.
        actual_bytes: u64,
    },
    /// The data records have zero (or negative) duration while ordinary signals need a
    /// sampling rate.
    #[error(
        "header field duration of a data record at byte offset 244 is {duration:?}: zero-duration records are only allowed in annotation-only EDF+ files"
    )]
    ZeroDuration {
        /// The field's text.
        duration: String,
    },
    /// A signal's physical or digital range cannot scale samples (equal ends).
    #[error(
        "signal {signal} ({label:?}): physical range {physical_min}..{physical_max} with digital range {digital_min}..{digital_max} cannot scale samples ({reason})"
    )]
    Scale {
        /// Signal index (0-based, in header order).
        signal: usize,
        /// Signal label.
        label: String,
        /// Physical minimum.
        physical_min: f64,
        /// Physical maximum.
        physical_max: f64,
        /// Digital minimum.
        digital_min: i64,
        /// Digital maximum.
        digital_max: i64,
        /// Which ends are equal.
        reason: &'static str,
    },
    /// An `EDF Annotations` signal holds a malformed time-stamped annotation list (TAL).
    #[error("annotation signal {signal}, data record {record}, byte offset {offset}: {message}")]
    Annotation {
        /// Signal index (0-based, in header order) of the annotation signal.
        signal: usize,
        /// Data record index (0-based).
        record: u64,
        /// Byte offset in the file.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// The file needs more samples than the caller's [`ecg_core::Limits`] allow.
    #[error("{what}: {requested} exceeds the limit of {limit}")]
    LimitExceeded {
        /// What was being counted.
        what: &'static str,
        /// The amount needed.
        requested: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The record cannot be written as EDF+/BDF+ (the signal index names the culprit when
    /// there is one).
    #[error("cannot write {format}{}: {reason}", signal_suffix(*signal))]
    Unwritable {
        /// `EDF+` or `BDF+`.
        format: &'static str,
        /// Signal index (0-based) in the record, when one signal is the cause.
        signal: Option<usize>,
        /// Why.
        reason: String,
    },
    /// Reading samples or mapping the file failed in the record model.
    #[error(transparent)]
    Core(#[from] ecg_core::Error),
    /// Writing the output failed.
    #[error("writing EDF output failed: {0}")]
    Write(#[source] std::io::Error),
}

fn signal_suffix(signal: Option<usize>) -> String {
    match signal {
        Some(s) => format!(" of signal {s}"),
        None => String::new(),
    }
}

/// Result alias for `ecg-edf`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Field text for messages: printable ASCII kept, other bytes escaped.
pub(crate) fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_their_context() {
        let e = Error::Field {
            field: "physical minimum",
            signal: Some(2),
            offset: 1000,
            value: "abc".into(),
            expected: "a finite number",
        };
        assert_eq!(
            e.to_string(),
            "header field physical minimum of signal 2 at byte offset 1000: \"abc\" is not a finite number"
        );
        assert_eq!(escape(b"0\xffA\x00"), "0\\xffA\\x00");
    }
}
