//! The error type of `ecg-csv`: every variant names the line (1-based) and, where it
//! applies, the column and byte offset that are wrong.

/// Errors raised while decoding a CSV/TSV table.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a numeric table (binary data, no consistent columns, text rows).
    #[error("not a numeric CSV/TSV table: {reason}")]
    NotATable {
        /// What the sniffer found.
        reason: String,
    },
    /// A data row holds a cell that is neither a number nor a missing-value marker.
    #[error(
        "line {line}, column {column} ({label:?}) at byte offset {offset}: {found:?} is not {expected}"
    )]
    Cell {
        /// 1-based line number.
        line: u64,
        /// 1-based column number.
        column: usize,
        /// The column's header label.
        label: String,
        /// Byte offset of the cell in the file.
        offset: usize,
        /// The cell's text (at most 40 characters).
        found: String,
        /// What the cell should hold.
        expected: &'static str,
    },
    /// A data row has more cells than the header.
    #[error(
        "line {line} at byte offset {offset}: {found} cells but the table has {expected} columns"
    )]
    TooManyCells {
        /// 1-based line number.
        line: u64,
        /// Byte offset of the line.
        offset: usize,
        /// Cells on that line.
        found: usize,
        /// Columns of the table.
        expected: usize,
    },
    /// Neither a time column nor the task's sampling frequency gives the sampling rate.
    #[error(
        "no sampling frequency: the table has no time column (a header such as `time (s)`, `t_ms` or ISO timestamps) and no sampling_frequency_hint was given in the task metadata"
    )]
    NoSamplingRate,
    /// The sampling frequency hint is not a positive finite number.
    #[error("sampling_frequency_hint {hint} is not a positive finite frequency in Hz")]
    BadHint {
        /// The hint given.
        hint: f64,
    },
    /// The time column does not increase.
    #[error(
        "time column {label:?}, line {line}: time {value} is not after the previous row's {previous} (time must increase)"
    )]
    TimeNotIncreasing {
        /// Time column label.
        label: String,
        /// 1-based line number.
        line: u64,
        /// Time on this line (in the column's unit).
        value: f64,
        /// Time on the previous data row.
        previous: f64,
    },
    /// The time column spans no time or gives an implausible sampling frequency.
    #[error("time column {label:?}: {reason}")]
    BadTimeColumn {
        /// Time column label.
        label: String,
        /// What is wrong.
        reason: String,
    },
    /// The table has a header but fewer than one data row.
    #[error("the table has no data rows after line {line}")]
    NoRows {
        /// 1-based line of the header (0 when there is none).
        line: u64,
    },
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

/// Result alias for `ecg-csv`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
