//! Streaming decode of a table into an [`ecg_core::Record`].

use std::path::Path;

use ecg_core::chrono::{NaiveDate, NaiveTime};
use ecg_core::{DecodeOptions, Record, Samples, Scale, SharedBytes, Signal};

use crate::columns::{Role, TimeUnit, frequency_from_comments, roles};
use crate::dialect::{Dialect, sniff};
use crate::error::{Error, Result};
use crate::rows::{BLOCK_BYTES, Column, Layout, MISSING_SAMPLE, TimeColumn, parse_rows};

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

/// Decodes a CSV/TSV table. `name` becomes [`Record::name`]; the bytes are read once,
/// row by row, into one `i32` vector per lead (see the crate documentation for the
/// scaling rule). The sampling frequency comes from a time column, else from a
/// `# sampling rate: ...` comment above the table, else from
/// [`DecodeOptions::sampling_frequency_hint`], else the call fails with
/// [`Error::NoSamplingRate`].
///
/// Tables of more than 1 MiB are parsed in blocks of lines on the rayon pool; the result
/// (samples, rate, warnings, errors with their line numbers) is the sequential one.
pub fn decode(name: &str, data: SharedBytes, opts: &DecodeOptions) -> Result<Record> {
    let block_bytes = if rayon::current_num_threads() > 1 {
        BLOCK_BYTES
    } else {
        usize::MAX
    };
    decode_in_blocks(name, data, opts, block_bytes)
}

/// [`decode`] with data blocks of about `block_bytes` bytes (`usize::MAX`: one
/// sequential pass).
pub(crate) fn decode_in_blocks(
    name: &str,
    data: SharedBytes,
    opts: &DecodeOptions,
    block_bytes: usize,
) -> Result<Record> {
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
    let header_cell_empty = |i: usize| {
        dialect
            .header
            .as_ref()
            .is_some_and(|h| h.get(i).is_none_or(|c| c.trim().is_empty()))
    };
    let labels: Vec<String> = roles
        .iter()
        .map(|r| match r {
            Role::Lead { label, .. }
            | Role::Time { label, .. }
            | Role::Timestamp { label }
            | Role::Index { label } => label.clone(),
        })
        .collect();
    let delimiter = dialect.delimiter;
    let decimal = dialect.decimal;
    let layout = Layout {
        plan,
        labels,
        delimiter,
        decimal,
        leads: leads.len(),
        time,
        max_rows,
        max_samples: opts.limits.max_samples,
        mean_line_bytes: dialect.mean_line_bytes,
    };
    let parsed = parse_rows(
        &layout,
        data,
        dialect.data_offset,
        dialect.data_line,
        block_bytes,
    )?;
    let rows = parsed.rows;
    let columns = parsed.columns;
    let mut time = parsed.time;
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
