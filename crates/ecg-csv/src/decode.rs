//! Streaming decode of a table into an [`ecg_core::Record`].

use std::path::Path;

use ecg_core::chrono::{NaiveDate, NaiveTime};
use ecg_core::{DecodeOptions, Record, Samples, Scale, SharedBytes, Signal};

use crate::columns::{Role, TimeUnit, frequency_from_comments, roles};
use crate::dialect::{Dialect, is_skipped, lines, sniff};
use crate::error::{Error, Result};
use crate::number::{Cell, Cells, Timestamp, parse_cell, parse_timestamp, round_div};

/// Digital value of a missing cell (`Signal::missing_value`).
pub const MISSING_SAMPLE: i32 = i32::MIN;
/// Most decimals a column keeps: values with more are rounded to `10^-12` (and to fewer
/// decimals when the column's largest value would not fit an `i32` otherwise).
pub const MAX_DECIMALS: u32 = 12;
/// `readings.other` key: `comma`, `semicolon`, `tab`, `space` or `none`.
pub const DELIMITER: &str = "csv_delimiter";
/// `readings.other` key: `.` or `,`.
pub const DECIMAL_SEPARATOR: &str = "csv_decimal_separator";
/// `readings.other` key: where the sampling frequency came from (`time column`,
/// `comment`, `task metadata`).
pub const FREQUENCY_SOURCE: &str = "sampling_frequency_source";
/// `readings.other` key: the time column's label, when there is one.
pub const TIME_COLUMN: &str = "time_column";
/// `meta.fields` key of a signal: decimals kept (the resolution is `10^-decimals`).
pub const DECIMALS: &str = "decimals";

const LIMIT: i64 = i32::MAX as i64;

/// Powers of ten that fit an `i64`.
const POW10: [i64; 19] = {
    let mut t = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// `10^n` as `i64`, `None` past `10^18`.
#[inline]
fn pow10(n: u32) -> Option<i64> {
    POW10.get(n as usize).copied()
}

/// `m * 10^-d` expressed with `t` decimals (rounded when `t < d`); `None` on overflow.
fn value_at(m: i64, d: u32, t: u32) -> Option<i64> {
    if t >= d {
        m.checked_mul(pow10(t - d)?)
    } else {
        Some(match pow10(d - t) {
            Some(p) => round_div(m, p),
            None => 0,
        })
    }
}

/// One lead column being filled.
struct LeadColumn {
    values: Vec<i32>,
    decimals: u32,
    max_abs: i64,
    missing: u64,
    rounded: bool,
}

impl LeadColumn {
    fn new(capacity: usize) -> Self {
        LeadColumn {
            values: Vec::with_capacity(capacity),
            decimals: 0,
            max_abs: 0,
            missing: 0,
            rounded: false,
        }
    }

    #[inline]
    fn push_missing(&mut self) {
        self.values.push(MISSING_SAMPLE);
        self.missing += 1;
    }

    /// Appends `m * 10^-d`; `Err(())` when the value cannot be held even as an integer.
    #[inline]
    #[allow(clippy::result_unit_err)]
    fn push(&mut self, m: i64, d: u32) -> Result<(), ()> {
        if d == self.decimals && m.abs() <= LIMIT {
            self.max_abs = self.max_abs.max(m.abs());
            self.values.push(m as i32);
            return Ok(());
        }
        if d < self.decimals
            && let Some(v) = value_at(m, d, self.decimals)
            && v.abs() <= LIMIT
        {
            self.max_abs = self.max_abs.max(v.abs());
            self.values.push(v as i32);
            return Ok(());
        }
        self.push_slow(m, d)
    }

    /// Changes the column's decimals so that the new value fits (raising them for a
    /// finer value, lowering them when a large value would overflow).
    fn push_slow(&mut self, m: i64, d: u32) -> Result<(), ()> {
        let want = self.decimals.max(d.min(MAX_DECIMALS));
        let mut chosen = None;
        for t in (0..=want).rev() {
            let v = value_at(m, d, t).filter(|v| v.abs() <= LIMIT);
            let existing = value_at(self.max_abs, self.decimals, t).filter(|v| *v <= LIMIT);
            if let (Some(v), Some(_)) = (v, existing) {
                chosen = Some((t, v));
                break;
            }
        }
        let (t, v) = chosen.ok_or(())?;
        if t != self.decimals {
            self.rescale(t);
        }
        if d > t && pow10(d - t).is_none_or(|p| m % p != 0) {
            self.rounded = true;
        }
        self.max_abs = self.max_abs.max(v.abs());
        self.values.push(v as i32);
        Ok(())
    }

    fn rescale(&mut self, t: u32) {
        let from = self.decimals;
        for x in self.values.iter_mut().filter(|x| **x != MISSING_SAMPLE) {
            // Fits: push_slow checked the largest magnitude at `t` decimals.
            *x = value_at(i64::from(*x), from, t).unwrap_or(0) as i32;
        }
        if t < from {
            self.rounded = true;
        }
        self.max_abs = value_at(self.max_abs, from, t).unwrap_or(0);
        self.decimals = t;
    }
}

/// The time column being followed.
struct TimeColumn {
    label: String,
    unit: TimeUnit,
    iso: bool,
    first_timestamp: Option<Timestamp>,
    first: f64,
    previous: f64,
    count: u64,
    min_step: f64,
    max_step: f64,
    max_step_line: u64,
    whole_steps: bool,
}

impl TimeColumn {
    fn new(label: String, unit: TimeUnit, iso: bool) -> Self {
        TimeColumn {
            label,
            unit,
            iso,
            first_timestamp: None,
            first: 0.0,
            previous: 0.0,
            count: 0,
            min_step: f64::INFINITY,
            max_step: 0.0,
            max_step_line: 0,
            whole_steps: true,
        }
    }

    #[inline]
    fn push(&mut self, t: f64, line: u64) -> Result<()> {
        if self.count == 0 {
            self.first = t;
        } else {
            let step = t - self.previous;
            if step <= 0.0 || !step.is_finite() {
                return Err(Error::TimeNotIncreasing {
                    label: self.label.clone(),
                    line,
                    value: t,
                    previous: self.previous,
                });
            }
            if step < self.min_step {
                self.min_step = step;
            }
            if step > self.max_step {
                self.max_step = step;
                self.max_step_line = line;
            }
            if self.whole_steps && (step < 1.0 || step.fract() != 0.0) {
                self.whole_steps = false;
            }
        }
        self.previous = t;
        self.count += 1;
        Ok(())
    }

    /// The sampling frequency from the time column, with warnings about its regularity.
    fn frequency(&mut self, warnings: &mut Vec<String>) -> Result<f64> {
        let label = self.label.clone();
        if self.count < 2 {
            return Err(Error::BadTimeColumn {
                label,
                reason: format!(
                    "{} row(s): at least two are needed to derive a sampling frequency",
                    self.count
                ),
            });
        }
        if self.unit == TimeUnit::Unstated && self.whole_steps && !self.iso {
            warnings.push(format!(
                "time column {label:?} states no unit and steps by whole numbers: read as milliseconds"
            ));
            self.unit = TimeUnit::Milliseconds;
        }
        let scale = if self.iso { 1.0 } else { self.unit.seconds() };
        let steps = (self.count - 1) as f64;
        let span = (self.previous - self.first) * scale;
        let nominal = span / steps;
        let mut fs = steps / span;
        if !(fs.is_finite() && fs > 0.0 && fs <= 1e6) {
            return Err(Error::BadTimeColumn {
                label,
                reason: format!(
                    "{} rows over {span} s give a sampling frequency of {fs} Hz",
                    self.count
                ),
            });
        }
        let rounded = (fs * 1000.0).round() / 1000.0;
        if (fs - rounded).abs() <= 1e-6 * fs {
            fs = rounded;
        }
        let (min, max) = (self.min_step * scale, self.max_step * scale);
        if max - min > 0.01 * nominal {
            warnings.push(format!(
                "time column {label:?}: steps vary from {min} s to {max} s (largest ending at line {}) around the mean step of {nominal} s; the sampling frequency {fs} Hz is the mean rate and samples are taken as evenly spaced",
                self.max_step_line
            ));
        }
        Ok(fs)
    }
}

/// What to do with each column of a row.
enum Column {
    Lead(usize),
    Time,
    Ignore,
}

/// Decodes a CSV/TSV table. `name` becomes [`Record::name`]; the bytes are read once,
/// row by row, into one `i32` vector per lead (see the crate documentation for the
/// scaling rule). The sampling frequency comes from a time column, else from a
/// `# sampling rate: ...` comment above the table, else from
/// [`DecodeOptions::sampling_frequency_hint`], else the call fails with
/// [`Error::NoSamplingRate`].
pub fn decode(name: &str, data: SharedBytes, opts: &DecodeOptions) -> Result<Record> {
    let data: &[u8] = &data;
    let dialect = sniff(data).map_err(|reason| Error::NotATable { reason })?;
    if let Some(hint) = opts.sampling_frequency_hint
        && !(hint.is_finite() && hint > 0.0)
    {
        return Err(Error::BadHint { hint });
    }
    let roles = roles(dialect.header.as_deref(), dialect.columns, dialect.iso_time);
    let mut plan = Vec::with_capacity(roles.len());
    let mut leads = Vec::new();
    let mut time: Option<TimeColumn> = None;
    let mut warnings = Vec::new();
    for role in &roles {
        plan.push(match role {
            Role::Lead { .. } => {
                leads.push((plan.len(), role));
                Column::Lead(leads.len() - 1)
            }
            Role::Time { label, unit } if time.is_none() => {
                time = Some(TimeColumn::new(label.clone(), *unit, false));
                Column::Time
            }
            Role::Timestamp { label } if time.is_none() => {
                time = Some(TimeColumn::new(label.clone(), TimeUnit::Seconds, true));
                Column::Time
            }
            Role::Time { label, .. } | Role::Timestamp { label } => {
                warnings.push(format!(
                    "second time column {label:?} ignored (the first one gives the time axis)"
                ));
                Column::Ignore
            }
            Role::Index { .. } => Column::Ignore,
        });
    }
    if leads.is_empty() {
        return Err(Error::NotATable {
            reason: "no signal columns (only time or index columns)".into(),
        });
    }
    let max_rows = opts.limits.max_samples / leads.len() as u64;
    let estimate = ((data.len() - dialect.data_offset) as f64 / dialect.mean_line_bytes.max(1.0)
        * 1.02) as u64
        + 16;
    let capacity = estimate.min(max_rows).min(1 << 28) as usize;
    let mut columns: Vec<LeadColumn> = leads.iter().map(|_| LeadColumn::new(capacity)).collect();
    let header_cell_empty = |i: usize| {
        dialect
            .header
            .as_ref()
            .is_some_and(|h| h.get(i).is_none_or(|c| c.trim().is_empty()))
    };
    let labels: Vec<&str> = roles
        .iter()
        .map(|r| match r {
            Role::Lead { label, .. }
            | Role::Time { label, .. }
            | Role::Timestamp { label }
            | Role::Index { label } => label.as_str(),
        })
        .collect();

    let mut rows: u64 = 0;
    let delimiter = dialect.delimiter;
    let decimal = dialect.decimal;
    let ncols = plan.len();
    for (line, offset, number) in lines(data, dialect.data_offset, dialect.data_line) {
        if is_skipped(line) {
            continue;
        }
        if rows >= max_rows {
            return Err(Error::LimitExceeded {
                what: "samples in the table",
                requested: (rows + 1).saturating_mul(leads.len() as u64),
                limit: opts.limits.max_samples,
            });
        }
        let mut cells = Cells::new(line, delimiter);
        for (i, what) in plan.iter().enumerate() {
            let cell = cells.next();
            let cell_error = |text: &[u8], at: usize, expected| Error::Cell {
                line: number,
                column: i + 1,
                label: labels[i].to_string(),
                offset: offset + at,
                found: String::from_utf8_lossy(&text[..text.len().min(40)]).into_owned(),
                expected,
            };
            match what {
                Column::Lead(k) => {
                    let column = &mut columns[*k];
                    let Some((text, at)) = cell else {
                        column.push_missing();
                        continue;
                    };
                    match parse_cell(text, decimal) {
                        Cell::Number { mantissa, decimals } => {
                            if column.push(mantissa, decimals).is_err() {
                                return Err(cell_error(
                                    text,
                                    at,
                                    "a value within +-2147483647 (an i32 sample)",
                                ));
                            }
                        }
                        Cell::Missing => column.push_missing(),
                        Cell::Text => {
                            return Err(cell_error(
                                text,
                                at,
                                "a number or a missing-value marker (empty, NaN, NA)",
                            ));
                        }
                    }
                }
                Column::Time => {
                    let Some(tc) = time.as_mut() else { continue };
                    let Some((text, at)) = cell else {
                        return Err(cell_error(b"", line.len(), "a time"));
                    };
                    let t = if tc.iso {
                        let Some(ts) = parse_timestamp(text) else {
                            return Err(cell_error(text, at, "an ISO 8601 timestamp"));
                        };
                        let first = *tc.first_timestamp.get_or_insert(ts);
                        (ts.nanos() - first.nanos()) as f64 * 1e-9
                    } else {
                        match parse_cell(text, decimal) {
                            Cell::Number { mantissa, decimals } => {
                                mantissa as f64 / 10f64.powi(decimals as i32)
                            }
                            _ => return Err(cell_error(text, at, "a time (a number)")),
                        }
                    };
                    tc.push(t, number)?;
                }
                Column::Ignore => {}
            }
        }
        if let Some((text, _)) = cells.next() {
            let rest = cells.count();
            if !(text.is_empty() && rest == 0) {
                let found = ncols + 1 + rest;
                return Err(Error::TooManyCells {
                    line: number,
                    offset,
                    found,
                    expected: ncols,
                });
            }
        }
        rows += 1;
    }
    if rows == 0 {
        return Err(Error::NoRows {
            line: dialect.header_line,
        });
    }

    let mut record = Record::new(name, "csv");
    let (fs, source) = sampling_frequency(&dialect, time.as_mut(), opts, &mut warnings)?;
    let other = &mut record.readings.other;
    other.insert(DELIMITER.into(), delimiter.name().into());
    other.insert(DECIMAL_SEPARATOR.into(), char::from(decimal).to_string());
    other.insert(FREQUENCY_SOURCE.into(), source.into());
    if let Some(tc) = &time {
        other.insert(TIME_COLUMN.into(), tc.label.clone());
        if let Some(ts) = tc.first_timestamp {
            let (y, m, d) = ts.date;
            record.start_date = NaiveDate::from_ymd_opt(y, m, d);
            let secs = (ts.nanos_of_day / 1_000_000_000) as u32;
            let nanos = (ts.nanos_of_day % 1_000_000_000) as u32;
            record.start_time = NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos);
        }
    }
    record.readings.comments = dialect.comments.clone();

    for ((index, role), column) in leads.iter().zip(columns) {
        let Role::Lead { label, unit } = role else {
            continue;
        };
        if column.missing == rows && header_cell_empty(*index) {
            warnings.push(format!(
                "column {label:?} has no header and no values: dropped"
            ));
            continue;
        }
        let gain = 10f64.powi(column.decimals as i32);
        let unit = match unit {
            Some(u) => u.clone(),
            None => {
                let largest = column.max_abs as f64 / gain;
                let guess = if largest > 20.0 { "uV" } else { "mV" };
                warnings.push(format!(
                    "column {label:?} states no unit: {guess} assumed from its largest magnitude {largest}"
                ));
                guess.to_string()
            }
        };
        if column.rounded {
            warnings.push(format!(
                "column {label:?}: values rounded to {} decimals (resolution 1e-{} {unit}) to fit 32-bit samples",
                column.decimals, column.decimals
            ));
        }
        let mut signal = Signal::new(label.clone(), fs, unit, Samples::from_vec(column.values));
        signal.scale = Scale::Gain {
            gain,
            baseline: 0.0,
        };
        if column.missing > 0 {
            signal.missing_value = Some(MISSING_SAMPLE);
        }
        signal.meta.storage = Some("csv".into());
        signal
            .meta
            .fields
            .insert(DECIMALS.into(), column.decimals.to_string());
        record.signals.push(signal);
    }
    for w in warnings {
        record.warn(w);
    }
    Ok(record)
}

fn sampling_frequency(
    dialect: &Dialect,
    time: Option<&mut TimeColumn>,
    opts: &DecodeOptions,
    warnings: &mut Vec<String>,
) -> Result<(f64, &'static str)> {
    if let Some(tc) = time {
        let fs = tc.frequency(warnings)?;
        if let Some(hint) = opts.sampling_frequency_hint
            && (hint - fs).abs() > 0.01 * fs
        {
            warnings.push(format!(
                "the task metadata says {hint} Hz but the time column {:?} gives {fs} Hz: the time column is used",
                tc.label
            ));
        }
        return Ok((fs, "time column"));
    }
    if let Some(fs) = frequency_from_comments(&dialect.comments) {
        return Ok((fs, "comment"));
    }
    match opts.sampling_frequency_hint {
        Some(hint) => Ok((hint, "task metadata")),
        None => Err(Error::NoSamplingRate),
    }
}

/// Memory-maps `path` and decodes it (the record is named after the file name).
pub fn decode_path(path: &Path, opts: &DecodeOptions) -> Result<Record> {
    let data = SharedBytes::map_file(path)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    decode(&name, data, opts)
}
