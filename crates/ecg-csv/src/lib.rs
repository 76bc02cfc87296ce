//! CSV/TSV ECG tables: delimiter and decimal-comma detection, lead headers with units,
//! time columns, streaming decode of millions of rows.
//!
//! [`detect`] says whether bytes are a numeric table (and never claims binary files, EDF,
//! SCP-ECG, WFDB headers or text that is not a table of numbers); [`decode`] reads the
//! table row by row into one `i32` vector per lead.
//!
//! - **Dialect**: the delimiter is the first of tab, `;`, `,`, runs of spaces (or none:
//!   a single column) that splits the first 200 lines into the same number of cells, all
//!   numbers after an optional header line; a decimal comma is recognised when the
//!   delimiter is not a comma (or the cells are quoted). Blank lines and comment lines
//!   (`#`, `%`, `//`) are skipped; comments above the table go to `readings.comments`.
//! - **Header**: `II (mV)`, `V1 [uV]`, `II_mV` give the label and the unit (`µV`/`uv`
//!   normalised to `uV`). A column named `time`/`t`/`ms`/`seconds`/`timestamp` (unit
//!   from the header) or holding ISO 8601 timestamps is the time axis; a first column
//!   named `sample`/`index` (or with an empty header, as pandas writes) is a row index
//!   and is skipped. Without a header the leads are `ch1`, `ch2`, ...
//! - **Sampling frequency**: `(rows - 1) / (last time - first time)` from the time
//!   column (a warning when the steps vary by more than 1 % of the mean step; time must
//!   increase), else a `# sampling rate: 500 Hz` / `# fs=500` comment above the table,
//!   else [`ecg_core::DecodeOptions::sampling_frequency_hint`] (the task's metadata),
//!   else [`Error::NoSamplingRate`].
//! - **Samples**: each column keeps its values as integers at a resolution of
//!   `10^-decimals`, where `decimals` is the largest number of decimals a value of that
//!   column has (trailing zeros ignored, at most [`MAX_DECIMALS`], fewer when the largest
//!   magnitude would not fit an `i32`; rounding is reported as a warning). The scale is
//!   `Scale::Gain { gain: 10^decimals, baseline: 0 }`, so `physical = digital /
//!   10^decimals` reproduces the written decimal exactly (to the nearest `f64`, as a
//!   correctly rounding CSV reader gets it) and the digital statistics count the
//!   table's own steps. Missing cells (empty, `NaN`, `NA`, `null`, `-`) are
//!   [`MISSING_SAMPLE`] (`Signal::missing_value`). A column without a unit gets `mV`
//!   (or `uV` when its largest magnitude exceeds 20), with a warning.
//! - **Parallel parse**: tables over 1 MiB are parsed in blocks of whole lines on the
//!   rayon pool and merged in file order into exactly the sequential result (samples,
//!   rate, warnings, and errors with their true line numbers); a line feed always ends a
//!   row, also inside quotes, so block boundaries are row boundaries.
//!
//! ```
//! use ecg_core::{Confidence, DecodeOptions, SharedBytes};
//!
//! let table = b"time (s);II (mV);V1 [uV]\n0,000;0,125;-12\n0,004;0,13;\n0,008;-0,5;40\n";
//! assert_eq!(ecg_csv::detect(table), Confidence::Maybe);
//! let record = ecg_csv::decode("demo.csv", SharedBytes::from_static(table), &DecodeOptions::default())?;
//! assert_eq!(record.readings.other["csv_delimiter"], "semicolon");
//! let ii = record.signal("II").unwrap();
//! assert_eq!((ii.fs, ii.unit.as_str()), (250.0, "mV"));
//! assert_eq!(ii.samples.as_slice().unwrap(), &[125, 130, -500]); // resolution 0.001 mV
//! assert_eq!(ii.physical(0..3)?, vec![0.125, 0.13, -0.5]);
//! let v1 = record.signal("V1").unwrap();
//! assert_eq!(v1.stats()?.missing, 1);
//!
//! // Without a time column the rate comes from the task's metadata, or the decode fails.
//! let bare = SharedBytes::from_static(b"I,II\n1,2\n3,4\n");
//! assert!(matches!(
//!     ecg_csv::decode("bare.csv", bare.clone(), &DecodeOptions::default()),
//!     Err(ecg_csv::Error::NoSamplingRate)
//! ));
//! let opts = DecodeOptions { sampling_frequency_hint: Some(500.0), ..Default::default() };
//! assert_eq!(ecg_csv::decode("bare.csv", bare, &opts)?.signals[1].fs, 500.0);
//! # Ok::<(), ecg_csv::Error>(())
//! ```

#![forbid(unsafe_code)]

mod columns;
mod decode;
mod dialect;
mod error;
mod number;
mod rows;

use ecg_core::{Confidence, Detector};

pub use decode::{
    DECIMAL_SEPARATOR, DECIMALS, DELIMITER, FREQUENCY_SOURCE, TIME_COLUMN, decode, decode_path,
};
pub use error::{Error, Result};
pub use rows::{MAX_DECIMALS, MISSING_SAMPLE};

/// Says whether `data` is a numeric CSV/TSV table, looking at its first 64 KiB:
/// [`Confidence::Maybe`] when at least two rows (after an optional header line) split
/// into the same number of cells that are all numbers or missing-value markers (the first
/// column may be ISO timestamps), [`Confidence::No`] otherwise: binary data (control
/// bytes), text that is not UTF-8, rows of different widths, text cells (a WFDB header's
/// `100.dat`, a JSON or XML document, prose). Never [`Confidence::Certain`]: a table has
/// no magic number, so this detector runs last. Never panics.
pub fn detect(data: &[u8]) -> Confidence {
    match dialect::sniff(data) {
        Ok(_) => Confidence::Maybe,
        Err(_) => Confidence::No,
    }
}

/// The CSV [`Detector`] for the format registry (`name()` is `"csv"`).
#[derive(Clone, Copy, Debug, Default)]
pub struct CsvDetector;

impl Detector for CsvDetector {
    fn name(&self) -> &'static str {
        "csv"
    }

    fn detect(&self, data: &[u8]) -> Confidence {
        detect(data)
    }
}
