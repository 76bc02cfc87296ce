//! The row parser: data lines into one `i32` column per lead and the time axis, either in
//! one sequential pass or in parallel blocks of whole lines whose results are merged
//! into exactly what the sequential pass gives (same samples, decimals, time-axis
//! statistics, warnings and errors).
//!
//! **Blocks.** The data section is cut after a line feed every `block_bytes` bytes. A row
//! is a line for this parser in both paths (a quote never continues a cell onto the next
//! line: a line feed inside quotes ends the row there, and the half cells on either side
//! are read, or refused, as they stand, exactly as the sequential pass reads them), so a
//! block boundary is a row boundary and a quote character in the data section needs no
//! quote-aware split and no fallback. Each block is parsed on the rayon pool with the
//! same row code, from a fresh state, with line numbers counted from 0.
//!
//! **Output.** The lines of each block are counted first (`memchr`); every lead column is
//! allocated once with one slot per line of the table and each block writes its samples
//! into its own lines' slots, so nothing is copied when no line is skipped (blank and
//! comment lines leave slots that the merge closes up with one `copy_within` per block).
//!
//! **Merge.** Blocks are folded in file order. A block is taken as it is when that gives
//! the sequential state: none of its values was rounded, every value of the merged column
//! fits an `i32` at the merged decimals (then the sequential pass would never have
//! lowered the decimals either, and the merged values are the exact values rescaled), the
//! first time of the block is after the last time of the previous one, and the row limit
//! holds. At the first block that failed (a bad cell, too many cells, time not increasing)
//! or that cannot be taken as it is, the parse goes on sequentially from that block's
//! first line with the merged state of the blocks before it and the true line numbers:
//! the error (or the rounding) comes out exactly as the sequential pass gives it, and
//! only the rest of the file is read again. Blocks after a failed block stop early.
//!
//! **Memory.** The parallel parse only runs when the table has at most `max_samples /
//! leads` lines (so no block can pass `Limits::max_samples`) and at most as many lines
//! times leads as bytes (one slot per line then costs at most four times the file, as a
//! dense table's samples do); otherwise the sequential pass reads it, growing its columns
//! row by row and raising `Error::LimitExceeded` at the true row.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::columns::TimeUnit;
use crate::dialect::{is_skipped, lines};
use crate::error::{Error, Result};
use crate::number::{
    Cell, Cells, Delimiter, Timestamp, normalise, parse_cell, parse_timestamp, round_div,
};

/// Digital value of a missing cell (`Signal::missing_value`).
pub const MISSING_SAMPLE: i32 = i32::MIN;
/// Most decimals a column keeps: values with more are rounded to `10^-12` (and to fewer
/// decimals when the column's largest value would not fit an `i32` otherwise).
pub const MAX_DECIMALS: u32 = 12;
/// Bytes of the data section per parallel block.
pub(crate) const BLOCK_BYTES: usize = 1 << 20;
/// Rows a parallel block reads between looks at whether an earlier block failed.
const CHECK_ROWS: u32 = 4096;

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

/// Powers of ten that are exact `f64` values (`10f64.powi(n)` for `n <= 22`).
const POW10_F64: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

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

/// `mantissa * 10^-decimals` as `f64` (the division of two exact `f64` values, so
/// correctly rounded).
#[inline]
fn decimal_to_f64(mantissa: i64, decimals: u32) -> f64 {
    let p = match POW10_F64.get(decimals as usize) {
        Some(p) => *p,
        None => 10f64.powi(decimals as i32),
    };
    mantissa as f64 / p
}

/// Where a column's samples are written: a growing `Vec` (the sequential pass) or a
/// block's share of the final column (a parallel block).
pub(crate) trait Values {
    /// Appends one sample.
    fn push(&mut self, v: i32);
    /// The samples written so far.
    fn written(&mut self) -> &mut [i32];
}

impl Values for Vec<i32> {
    #[inline]
    fn push(&mut self, v: i32) {
        Vec::push(self, v);
    }

    fn written(&mut self) -> &mut [i32] {
        self
    }
}

/// A parallel block's share of a column: as many slots as the block has lines, so it
/// never runs out (a count past the slots, which would be a bug, makes the block be read
/// again sequentially instead of losing samples).
pub(crate) struct Slots<'a> {
    slots: &'a mut [i32],
    len: usize,
}

impl Slots<'_> {
    /// Whether every sample pushed found a slot.
    fn complete(&self) -> bool {
        self.len <= self.slots.len()
    }
}

impl Values for Slots<'_> {
    #[inline]
    fn push(&mut self, v: i32) {
        if let Some(slot) = self.slots.get_mut(self.len) {
            *slot = v;
        }
        self.len += 1;
    }

    fn written(&mut self) -> &mut [i32] {
        let n = self.len.min(self.slots.len());
        &mut self.slots[..n]
    }
}

/// One lead column being filled.
pub(crate) struct LeadColumn<V = Vec<i32>> {
    /// Samples at a resolution of `10^-decimals`.
    pub values: V,
    /// Decimals kept.
    pub decimals: u32,
    /// Largest magnitude (at `decimals`).
    pub max_abs: i64,
    /// Missing cells.
    pub missing: u64,
    /// Some value was rounded.
    pub rounded: bool,
}

impl<V: Values> LeadColumn<V> {
    fn new(values: V) -> Self {
        LeadColumn {
            values,
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

    /// Appends `m * 10^-d` written with `d` decimals (trailing zeros not removed);
    /// `Err(())` when the value cannot be held even as an integer.
    #[inline]
    fn push_written(&mut self, m: i64, d: u32) -> Result<(), ()> {
        if d <= self.decimals {
            let v = if d == self.decimals {
                Some(m)
            } else {
                pow10(self.decimals - d).and_then(|p| m.checked_mul(p))
            };
            if let Some(v) = v
                && v.abs() <= LIMIT
            {
                self.max_abs = self.max_abs.max(v.abs());
                self.values.push(v as i32);
                return Ok(());
            }
        }
        let (m, d) = normalise(m, d);
        self.push(m, d)
    }

    /// Appends `m * 10^-d` (trailing zeros removed); `Err(())` when the value cannot be
    /// held even as an integer.
    #[inline]
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
        for x in self
            .values
            .written()
            .iter_mut()
            .filter(|x| **x != MISSING_SAMPLE)
        {
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
#[derive(Clone)]
pub(crate) struct TimeColumn {
    /// Header label.
    pub label: String,
    /// Unit of numeric times.
    pub unit: TimeUnit,
    /// ISO 8601 timestamps (times are seconds since the first one).
    pub iso: bool,
    /// The first row's timestamp.
    pub first_timestamp: Option<Timestamp>,
    first: f64,
    first_line: u64,
    previous: f64,
    count: u64,
    min_step: f64,
    max_step: f64,
    max_step_line: u64,
    whole_steps: bool,
}

impl TimeColumn {
    /// A time column with no rows yet.
    pub(crate) fn new(label: String, unit: TimeUnit, iso: bool) -> Self {
        TimeColumn {
            label,
            unit,
            iso,
            first_timestamp: None,
            first: 0.0,
            first_line: 0,
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
            self.first_line = line;
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
            self.step(step, line);
        }
        self.previous = t;
        self.count += 1;
        Ok(())
    }

    /// Follows one (increasing) step ending at `line`.
    #[inline]
    fn step(&mut self, step: f64, line: u64) {
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

    /// Whether `next` (a block's time column, lines counted from the block) can follow
    /// this one as it is: its first time must be after this one's last.
    fn can_take(&self, next: &TimeColumn) -> bool {
        if self.count == 0 || next.count == 0 {
            return true;
        }
        let step = next.first - self.previous;
        step > 0.0 && step.is_finite()
    }

    /// Appends a block's time column whose first line is line `base` of the file (after
    /// [`TimeColumn::can_take`]): the same statistics as pushing its times one by one.
    fn take(&mut self, next: &TimeColumn, base: u64) {
        if next.count == 0 {
            return;
        }
        if self.count == 0 {
            self.first = next.first;
            self.first_line = next.first_line + base;
        } else {
            self.step(next.first - self.previous, next.first_line + base);
        }
        if next.count > 1 {
            if next.min_step < self.min_step {
                self.min_step = next.min_step;
            }
            if next.max_step > self.max_step {
                self.max_step = next.max_step;
                self.max_step_line = next.max_step_line + base;
            }
            self.whole_steps &= next.whole_steps;
        }
        self.previous = next.previous;
        self.count += next.count;
    }

    /// The sampling frequency from the time column, with warnings about its regularity.
    pub(crate) fn frequency(&mut self, warnings: &mut Vec<String>) -> Result<f64> {
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
pub(crate) enum Column {
    /// The lead of this index.
    Lead(usize),
    /// The time axis.
    Time,
    /// Skipped (row index, second time column).
    Ignore,
}

/// How the rows of a table are read.
pub(crate) struct Layout {
    /// One entry per column of the table.
    pub plan: Vec<Column>,
    /// Header label of each column (for errors).
    pub labels: Vec<String>,
    /// Cell separator.
    pub delimiter: Delimiter,
    /// Decimal separator.
    pub decimal: u8,
    /// Number of lead columns.
    pub leads: usize,
    /// The time column (no rows yet), when there is one.
    pub time: Option<TimeColumn>,
    /// Most rows allowed (`max_samples / leads`).
    pub max_rows: u64,
    /// `Limits::max_samples`.
    pub max_samples: u64,
    /// Average length of a data line (for capacity estimates).
    pub mean_line_bytes: f64,
}

impl Layout {
    /// Rows expected in `bytes` bytes of data lines, within the row limit.
    fn capacity(&self, bytes: usize) -> usize {
        let estimate = (bytes as f64 / self.mean_line_bytes.max(1.0) * 1.02) as u64 + 16;
        estimate.min(self.max_rows).min(1 << 28) as usize
    }
}

/// The parsed rows.
pub(crate) struct Rows<V = Vec<i32>> {
    /// One column per lead.
    pub columns: Vec<LeadColumn<V>>,
    /// The time axis, when there is one.
    pub time: Option<TimeColumn>,
    /// Data rows read.
    pub rows: u64,
}

/// Why a parse stopped.
enum Stop {
    /// The row (or the row limit) is wrong.
    Failed(Error),
    /// A parallel block reached the row limit (it cannot: the parallel parse only runs
    /// when the table has fewer lines than the limit has rows; the block is then read
    /// again sequentially).
    Budget,
    /// A parallel block stopped because an earlier block failed.
    Cancelled,
}

/// How a parse counts its rows against the row limit.
enum Budget<'a> {
    /// `Error::LimitExceeded` when the row count reaches the limit (sequential).
    Exact,
    /// Parallel block `block`: stops when `failed` names an earlier block (looked at
    /// every [`CHECK_ROWS`] rows).
    Block {
        failed: &'a AtomicUsize,
        block: usize,
        countdown: u32,
    },
}

/// Reads the lines of `data[range]` (byte offsets are file offsets; the first line is
/// line `first_line`) into `state`. Returns the number of the line after the last one.
fn parse_lines<V: Values>(
    layout: &Layout,
    state: &mut Rows<V>,
    data: &[u8],
    range: Range<usize>,
    first_line: u64,
    budget: &mut Budget<'_>,
) -> Result<u64, Stop> {
    let delimiter = layout.delimiter;
    let decimal = layout.decimal;
    let ncols = layout.plan.len();
    let mut next_line = first_line;
    for (line, offset, number) in lines(&data[..range.end], range.start, first_line) {
        next_line = number + 1;
        if is_skipped(line) {
            continue;
        }
        if state.rows >= layout.max_rows {
            return Err(match budget {
                Budget::Exact => Stop::Failed(Error::LimitExceeded {
                    what: "samples in the table",
                    requested: (state.rows + 1).saturating_mul(layout.leads as u64),
                    limit: layout.max_samples,
                }),
                Budget::Block { .. } => Stop::Budget,
            });
        }
        if let Budget::Block {
            failed,
            block,
            countdown,
        } = budget
        {
            if *countdown == 0 {
                if failed.load(Ordering::Relaxed) < *block {
                    return Err(Stop::Cancelled);
                }
                *countdown = CHECK_ROWS;
            }
            *countdown -= 1;
        }
        let mut cells = Cells::new(line, delimiter);
        for (i, what) in layout.plan.iter().enumerate() {
            let cell_error = |text: &[u8], at: usize, expected| {
                Stop::Failed(Error::Cell {
                    line: number,
                    column: i + 1,
                    label: layout.labels[i].clone(),
                    offset: offset + at,
                    found: String::from_utf8_lossy(&text[..text.len().min(40)]).into_owned(),
                    expected,
                })
            };
            const TOO_LARGE: &str = "a value within +-2147483647 (an i32 sample)";
            match what {
                Column::Lead(k) => {
                    let column = &mut state.columns[*k];
                    if let Some((m, d, start, end)) = cells.next_plain_number(decimal) {
                        if column.push_written(m, d).is_err() {
                            return Err(cell_error(&line[start..end], start, TOO_LARGE));
                        }
                        continue;
                    }
                    let Some((text, at)) = cells.next() else {
                        column.push_missing();
                        continue;
                    };
                    match parse_cell(text, decimal) {
                        Cell::Number { mantissa, decimals } => {
                            if column.push(mantissa, decimals).is_err() {
                                return Err(cell_error(text, at, TOO_LARGE));
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
                    let Some(tc) = state.time.as_mut() else {
                        cells.next();
                        continue;
                    };
                    let t = if tc.iso {
                        let Some((text, at)) = cells.next() else {
                            return Err(cell_error(b"", line.len(), "a time"));
                        };
                        let Some(ts) = parse_timestamp(text) else {
                            return Err(cell_error(text, at, "an ISO 8601 timestamp"));
                        };
                        let first = *tc.first_timestamp.get_or_insert(ts);
                        (ts.nanos() - first.nanos()) as f64 * 1e-9
                    } else if let Some((m, d, _, _)) = cells.next_plain_number(decimal) {
                        let (m, d) = normalise(m, d);
                        decimal_to_f64(m, d)
                    } else {
                        let Some((text, at)) = cells.next() else {
                            return Err(cell_error(b"", line.len(), "a time"));
                        };
                        match parse_cell(text, decimal) {
                            Cell::Number { mantissa, decimals } => {
                                decimal_to_f64(mantissa, decimals)
                            }
                            _ => return Err(cell_error(text, at, "a time (a number)")),
                        }
                    };
                    tc.push(t, number).map_err(Stop::Failed)?;
                }
                Column::Ignore => {
                    cells.next();
                }
            }
        }
        if let Some((text, _)) = cells.next() {
            let rest = cells.count();
            if !(text.is_empty() && rest == 0) {
                let found = ncols + 1 + rest;
                return Err(Stop::Failed(Error::TooManyCells {
                    line: number,
                    offset,
                    found,
                    expected: ncols,
                }));
            }
        }
        state.rows += 1;
    }
    Ok(next_line)
}

/// A column of a parallel block once its slots are given back.
struct ColumnSummary {
    /// Samples written (at the start of the block's slots).
    len: usize,
    decimals: u32,
    max_abs: i64,
    missing: u64,
    rounded: bool,
}

/// What a parallel block read.
struct BlockSummary {
    columns: Vec<ColumnSummary>,
    time: Option<TimeColumn>,
    rows: u64,
    /// Lines of the block (skipped ones included).
    lines: u64,
}

/// Parses the data lines from byte `start` (line `first_line`) to the end of `data`, in
/// blocks of about `block_bytes` bytes on the rayon pool when there are two or more.
pub(crate) fn parse_rows(
    layout: &Layout,
    data: &[u8],
    start: usize,
    first_line: u64,
    block_bytes: usize,
) -> Result<Rows> {
    let iso = layout.time.as_ref().is_some_and(|t| t.iso);
    let blocks = split(data, start, block_bytes);
    let first_timestamp = if iso {
        first_timestamp(layout, data, start)
    } else {
        None
    };
    let slots = if blocks.len() < 2 || (iso && first_timestamp.is_none()) {
        None
    } else {
        slots_per_block(layout, data, &blocks)
    };
    let Some(slots) = slots else {
        let capacity = layout.capacity(data.len() - start);
        let mut rows = Rows {
            columns: (0..layout.leads)
                .map(|_| LeadColumn::new(Vec::with_capacity(capacity)))
                .collect(),
            time: layout.time.clone(),
            rows: 0,
        };
        parse_lines(
            layout,
            &mut rows,
            data,
            start..data.len(),
            first_line,
            &mut Budget::Exact,
        )
        .map_err(stopped)?;
        return Ok(rows);
    };

    // Every lead column gets one slot per line of the table, the blocks writing their
    // samples into their own lines' share: no copy when no line is skipped.
    let total: usize = slots.iter().sum();
    let mut outputs: Vec<Vec<i32>> = (0..layout.leads).map(|_| vec![0; total]).collect();
    let failed = AtomicUsize::new(usize::MAX);
    let summaries: Vec<Option<BlockSummary>> = {
        let mut shares: Vec<Vec<&mut [i32]>> = (0..blocks.len())
            .map(|_| Vec::with_capacity(layout.leads))
            .collect();
        for column in outputs.iter_mut() {
            let mut rest: &mut [i32] = column;
            for (share, &n) in shares.iter_mut().zip(&slots) {
                let n = n.min(rest.len());
                let (head, tail) = std::mem::take(&mut rest).split_at_mut(n);
                share.push(head);
                rest = tail;
            }
        }
        blocks
            .par_iter()
            .zip(shares)
            .enumerate()
            .map(|(block, (range, share))| {
                if failed.load(Ordering::Relaxed) < block {
                    return None;
                }
                let mut rows = Rows {
                    columns: share
                        .into_iter()
                        .map(|slots| LeadColumn::new(Slots { slots, len: 0 }))
                        .collect(),
                    time: layout.time.clone(),
                    rows: 0,
                };
                if let Some(tc) = rows.time.as_mut() {
                    tc.first_timestamp = first_timestamp;
                }
                let mut budget = Budget::Block {
                    failed: &failed,
                    block,
                    countdown: 0,
                };
                let parsed = parse_lines(layout, &mut rows, data, range.clone(), 0, &mut budget);
                let complete = rows.columns.iter().all(|c| c.values.complete());
                match parsed {
                    Ok(lines) if complete => Some(BlockSummary {
                        columns: rows
                            .columns
                            .iter()
                            .map(|c| ColumnSummary {
                                len: c.values.len,
                                decimals: c.decimals,
                                max_abs: c.max_abs,
                                missing: c.missing,
                                rounded: c.rounded,
                            })
                            .collect(),
                        time: rows.time,
                        rows: rows.rows,
                        lines,
                    }),
                    _ => {
                        failed.fetch_min(block, Ordering::Relaxed);
                        None
                    }
                }
            })
            .collect()
    };

    // Which blocks are taken as they are, and the merged decimals, magnitudes, time axis.
    let mut decimals = vec![0u32; layout.leads];
    let mut max_abs = vec![0i64; layout.leads];
    let mut missing = vec![0u64; layout.leads];
    let mut time = layout.time.clone();
    if let Some(tc) = time.as_mut() {
        tc.first_timestamp = first_timestamp;
    }
    let mut rows = 0u64;
    let mut line = first_line;
    let mut taken = 0;
    for summary in &summaries {
        let Some(block) = summary else { break };
        let mut merged = Vec::with_capacity(layout.leads);
        for (k, c) in block.columns.iter().enumerate() {
            let d = decimals[k].max(c.decimals);
            let fits = |m: i64, from: u32| value_at(m, from, d).is_some_and(|v| v <= LIMIT);
            if c.rounded || !fits(max_abs[k], decimals[k]) || !fits(c.max_abs, c.decimals) {
                break;
            }
            let m = value_at(max_abs[k], decimals[k], d)
                .unwrap_or(0)
                .max(value_at(c.max_abs, c.decimals, d).unwrap_or(0));
            merged.push((d, m));
        }
        let time_ok = match (&time, &block.time) {
            (Some(all), Some(next)) => all.can_take(next),
            _ => true,
        };
        if merged.len() < layout.leads || !time_ok || rows + block.rows > layout.max_rows {
            break;
        }
        for (k, (d, m)) in merged.into_iter().enumerate() {
            decimals[k] = d;
            max_abs[k] = m;
            missing[k] += block.columns[k].missing;
        }
        if let (Some(all), Some(next)) = (time.as_mut(), &block.time) {
            all.take(next, line);
        }
        rows += block.rows;
        line += block.lines;
        taken += 1;
    }
    let resume_at = blocks.get(taken).map(|r| r.start);
    #[cfg(test)]
    tests::BLOCKS_TAKEN.with(|t| t.set(taken));
    let taken: Vec<BlockSummary> = summaries.into_iter().take(taken).flatten().collect();

    // The taken blocks' samples moved together (when lines were skipped) and brought to
    // the merged decimals, in parallel by lead.
    let columns: Vec<LeadColumn> = outputs
        .into_par_iter()
        .enumerate()
        .map(|(k, mut values)| {
            let (mut at, mut pos) = (0, 0);
            for (block, &n) in taken.iter().zip(&slots) {
                let c = &block.columns[k];
                if at != pos {
                    values.copy_within(at..at + c.len, pos);
                }
                if c.decimals != decimals[k] {
                    // Fits: every magnitude times p is within the checked maximum (and
                    // when p itself does not fit an i32, every value is 0).
                    let p = pow10(decimals[k] - c.decimals)
                        .and_then(|p| i32::try_from(p).ok())
                        .unwrap_or(0);
                    for x in &mut values[pos..pos + c.len] {
                        if *x != MISSING_SAMPLE {
                            *x = x.saturating_mul(p);
                        }
                    }
                }
                at += n;
                pos += c.len;
            }
            values.truncate(pos);
            LeadColumn {
                values,
                decimals: decimals[k],
                max_abs: max_abs[k],
                missing: missing[k],
                rounded: false,
            }
        })
        .collect();
    let mut state = Rows {
        columns,
        time,
        rows,
    };
    if let Some(at) = resume_at {
        // Sequential from the first block not taken, with the true line numbers (the
        // columns keep their capacity of one slot per line: no reallocation).
        parse_lines(
            layout,
            &mut state,
            data,
            at..data.len(),
            line,
            &mut Budget::Exact,
        )
        .map_err(stopped)?;
    }
    Ok(state)
}

/// The slots each block gets per lead: its number of lines. `None` (parse sequentially)
/// when the table has more lines than the row limit allows, or more lines times leads
/// than bytes (mostly blank lines: one slot per line would allocate more than the
/// sequential pass, whose memory follows the rows).
fn slots_per_block(layout: &Layout, data: &[u8], blocks: &[Range<usize>]) -> Option<Vec<usize>> {
    let slots: Vec<usize> = blocks
        .par_iter()
        .map(|range| {
            let block = &data[range.clone()];
            memchr::memchr_iter(b'\n', block).count() + usize::from(!block.ends_with(b"\n"))
        })
        .collect();
    let total: usize = slots.iter().sum();
    let bytes = blocks.last()?.end - blocks.first()?.start;
    let fits = total as u64 <= layout.max_rows && total.checked_mul(layout.leads)? <= bytes;
    fits.then_some(slots)
}

/// The error of a sequential parse.
fn stopped(stop: Stop) -> Error {
    match stop {
        Stop::Failed(e) => e,
        // Only parallel blocks stop for these, and their rows are read again.
        Stop::Budget | Stop::Cancelled => Error::NotATable {
            reason: "internal: a sequential parse stopped like a parallel block".into(),
        },
    }
}

/// Cuts `data[start..]` into ranges of whole lines of about `block_bytes` bytes.
fn split(data: &[u8], start: usize, block_bytes: usize) -> Vec<Range<usize>> {
    let mut blocks = Vec::new();
    let mut at = start;
    while at < data.len() {
        let probe = at.saturating_add(block_bytes.max(1) - 1).min(data.len());
        let end = match memchr::memchr(b'\n', &data[probe..]) {
            Some(i) => probe + i + 1,
            None => data.len(),
        };
        blocks.push(at..end);
        at = end;
    }
    blocks
}

/// The timestamp of the first data row (ISO time column), which every block measures
/// its times from; `None` when that row has none (the sequential parse then reports it).
fn first_timestamp(layout: &Layout, data: &[u8], start: usize) -> Option<Timestamp> {
    let column = layout.plan.iter().position(|c| matches!(c, Column::Time))?;
    let (line, _, _) = lines(data, start, 0).find(|(line, _, _)| !is_skipped(line))?;
    let (cell, _) = Cells::new(line, layout.delimiter).nth(column)?;
    parse_timestamp(cell)
}

#[cfg(test)]
mod tests {
    //! The parallel parse against the sequential one on random tables.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use ecg_core::{DecodeOptions, Limits, Record, SharedBytes};
    use proptest::prelude::*;

    use crate::decode::decode_in_blocks;
    use crate::error::Error;

    thread_local! {
        /// Blocks the last parallel parse on this thread took as they were.
        pub(super) static BLOCKS_TAKEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// A small deterministic generator for cell values.
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Something unusual written at a data row.
    #[derive(Clone, Copy, Debug)]
    enum Event {
        Blank,
        Comment,
        Garbage,
        TooManyCells,
        QuotedNewline,
        TimeBackwards,
        Huge,
        Overflow,
        Fine,
        Exponent,
        ShortRow,
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            Just(Event::Blank),
            Just(Event::Comment),
            Just(Event::Garbage),
            Just(Event::TooManyCells),
            Just(Event::QuotedNewline),
            Just(Event::TimeBackwards),
            Just(Event::Huge),
            Just(Event::Overflow),
            Just(Event::Fine),
            Just(Event::Exponent),
            Just(Event::ShortRow),
        ]
    }

    /// Writes a random table: `time` 0 none, 1 seconds, 2 milliseconds (no unit), 3 ISO.
    #[allow(clippy::too_many_arguments)]
    fn table(
        seed: u64,
        leads: usize,
        rows: usize,
        time: u8,
        delimiter: u8,
        decimal_comma: bool,
        events: &[(usize, Event)],
        final_newline: bool,
    ) -> String {
        let mut rng = SplitMix(seed);
        let sep = [",", ";", "\t", "  "][delimiter as usize];
        let comma = decimal_comma && delimiter != 0;
        let dec = if comma { "," } else { "." };
        let mut out = String::from("# random table\n");
        let mut head: Vec<String> = (0..leads).map(|l| format!("L{l} (mV)")).collect();
        match time {
            1 => head.insert(0, "time (s)".into()),
            2 => head.insert(0, "t".into()),
            3 => head.insert(0, "time".into()),
            _ => {}
        }
        out.push_str(&head.join(sep));
        out.push('\n');
        let number = |rng: &mut SplitMix, v: i64, decimals: u32| {
            let p = 10i64.pow(decimals);
            let mut s = format!("{}{}", if v < 0 { "-" } else { "" }, v.abs() / p);
            if decimals > 0 {
                s.push_str(dec);
                s.push_str(&format!("{:0w$}", v.abs() % p, w = decimals as usize));
            }
            if rng.below(30) == 0 && delimiter != 3 {
                s = format!("\"{s}\"");
            }
            s
        };
        let mut ms: i64 = 0;
        for r in 0..rows {
            let event = events.iter().find(|(at, _)| *at == r).map(|e| e.1);
            let mut cells: Vec<String> = (0..leads)
                .map(|_| {
                    if rng.below(25) == 0 && delimiter != 3 {
                        return String::new();
                    }
                    let decimals = rng.below(4) as u32;
                    let v = rng.below(20_001) as i64 - 10_000;
                    number(&mut rng, v, decimals)
                })
                .collect();
            ms += 2 + rng.below(3) as i64;
            let t = match event {
                Some(Event::TimeBackwards) => ms - 50,
                _ => ms,
            };
            match time {
                1 => cells.insert(
                    0,
                    format!("{}{dec}{:03}", t.div_euclid(1000), t.rem_euclid(1000)),
                ),
                2 => cells.insert(0, t.to_string()),
                3 => cells.insert(
                    0,
                    format!(
                        "2024-03-01T10:{:02}:{:02}.{:03}",
                        t.div_euclid(60_000).rem_euclid(60),
                        t.div_euclid(1000).rem_euclid(60),
                        t.rem_euclid(1000)
                    ),
                ),
                _ => {}
            }
            let last = cells.len() - 1;
            match event {
                Some(Event::Blank) => out.push_str("   \n"),
                Some(Event::Comment) => out.push_str("# note\r\n"),
                Some(Event::Garbage) => cells[last] = "abc".into(),
                Some(Event::TooManyCells) => cells.push("1".into()),
                Some(Event::QuotedNewline) => cells[last] = "\"1\n2\"".into(),
                Some(Event::Huge) => cells[last] = format!("2147483{dec}6475"),
                Some(Event::Overflow) => cells[last] = "99999999999".into(),
                Some(Event::Fine) => cells[last] = format!("0{dec}0000001"),
                Some(Event::Exponent) => cells[last] = format!("1{dec}5e-3"),
                Some(Event::ShortRow) if delimiter != 3 && last > 0 => {
                    cells.pop();
                }
                _ => {}
            }
            out.push_str(&cells.join(sep));
            if r + 1 < rows || final_newline {
                out.push_str(if rng.below(2) == 0 { "\n" } else { "\r\n" });
            }
        }
        out
    }

    fn decode(text: &str, opts: &DecodeOptions, block_bytes: usize) -> Result<Record, Error> {
        let data = SharedBytes::from_vec(text.as_bytes().to_vec());
        decode_in_blocks("t.csv", data, opts, block_bytes)
    }

    fn same(a: &Result<Record, Error>, b: &Result<Record, Error>) -> bool {
        match (a, b) {
            (Ok(a), Ok(b)) => a == b,
            (Err(a), Err(b)) => format!("{a:?}") == format!("{b:?}"),
            _ => false,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn blocks_give_the_sequential_records_and_errors(
            seed in any::<u64>(),
            leads in 1usize..4,
            rows in 1usize..420,
            time in 0u8..4,
            delimiter in 0u8..4,
            decimal_comma in any::<bool>(),
            events in proptest::collection::vec((0usize..420, event()), 0..4),
            final_newline in any::<bool>(),
            block_bytes in prop_oneof![1usize..64, 64usize..4096],
            limit in prop_oneof![Just(None), (1u64..1500).prop_map(Some)],
        ) {
            let text = table(seed, leads, rows, time, delimiter, decimal_comma, &events, final_newline);
            let mut opts = DecodeOptions {
                sampling_frequency_hint: Some(250.0),
                ..Default::default()
            };
            if let Some(max_samples) = limit {
                opts.limits = Limits { max_samples, ..Default::default() };
            }
            let sequential = decode(&text, &opts, usize::MAX);
            let blocks = decode(&text, &opts, block_bytes);
            prop_assert!(
                same(&sequential, &blocks),
                "block size {}\nsequential: {:?}\nblocks: {:?}\n{}",
                block_bytes,
                sequential.as_ref().map(|r| r.signals.iter().map(|s| s.len()).collect::<Vec<_>>()),
                blocks.as_ref().map(|r| r.signals.iter().map(|s| s.len()).collect::<Vec<_>>()),
                text
            );
        }
    }

    #[test]
    fn many_blocks_report_the_true_line() {
        let rows: String = (0..3000).map(|i| format!("{},{i}\r\n", i * 4)).collect();
        let text = format!("t (ms),I (mV)\n{rows}12000,abc\n{rows}");
        for block_bytes in [usize::MAX, 1, 100, 4096] {
            match decode(&text, &DecodeOptions::default(), block_bytes) {
                Err(Error::Cell { line, column, .. }) => assert_eq!((line, column), (3002, 2)),
                other => panic!("{block_bytes}: {other:?}"),
            }
        }
        // time going back across a block boundary
        let back: String = (0..3000).map(|i| format!("{},{i}\n", i * 4)).collect();
        let text = format!("t (ms),I (mV)\n{rows}{back}");
        for block_bytes in [usize::MAX, 1, 100, 4096] {
            match decode(&text, &DecodeOptions::default(), block_bytes) {
                Err(Error::TimeNotIncreasing { line, .. }) => assert_eq!(line, 3002),
                other => panic!("{block_bytes}: {other:?}"),
            }
        }
        // a quoted cell with a line feed, after the sniffed lines: same error either way
        let text = format!("I (mV),II (mV)\n{}1,\"2\n3\"\n", "1,2\n".repeat(3000));
        let opts = DecodeOptions {
            sampling_frequency_hint: Some(500.0),
            ..Default::default()
        };
        let sequential = decode(&text, &opts, usize::MAX);
        assert!(
            matches!(sequential, Err(Error::Cell { line: 3002, .. })),
            "{sequential:?}"
        );
        for block_bytes in [1, 7, 100] {
            assert!(same(&sequential, &decode(&text, &opts, block_bytes)));
        }
    }

    #[test]
    fn clean_blocks_are_taken_and_skipped_lines_closed_up() {
        let mut text = String::from("time (s),I (mV),II (mV)\n");
        for i in 0..5000u32 {
            if i % 37 == 5 {
                text.push_str("\r\n");
            }
            if i % 101 == 7 {
                text.push_str("# note\n");
            }
            // I: whole numbers for the first 2000 rows, then 2 decimals (blocks rescaled)
            let one = if i < 2000 {
                format!("{}", i % 97)
            } else {
                format!("-{}.{:02}", i % 97, i % 100)
            };
            let end = if i % 3 == 0 { "\r\n" } else { "\n" };
            text.push_str(&format!(
                "{}.{:03},{one},\"{}\"{end}",
                i / 500,
                (i % 500) * 2,
                i % 13
            ));
        }
        let opts = DecodeOptions::default();
        let sequential = decode(&text, &opts, usize::MAX).unwrap();
        let ii = sequential
            .signal("I")
            .unwrap()
            .samples
            .as_slice()
            .unwrap()
            .to_vec();
        assert_eq!(ii.len(), 5000);
        assert_eq!(
            (ii[1999], ii[2000], ii[4999]),
            (1999 % 97 * 100, -(2000 % 97 * 100), -(4999 % 97 * 100 + 99))
        );
        assert_eq!(sequential.signals[0].fs, 500.0);
        let start = text.find('\n').unwrap() + 1;
        for block_bytes in [64, 1000, 20_000] {
            let blocks = decode(&text, &opts, block_bytes).unwrap();
            assert!(sequential == blocks, "{block_bytes}");
            let expected = super::split(text.as_bytes(), start, block_bytes).len();
            assert!(expected > 1);
            assert_eq!(BLOCKS_TAKEN.with(|t| t.get()), expected, "{block_bytes}");
        }
    }

    #[test]
    fn merged_decimals_and_rounding_match() {
        // the first half has 1 decimal, the second 3: the first half is rescaled
        let a: String = (0..2000).map(|i| format!("{}.5,{}\n", i % 50, i)).collect();
        let b: String = (0..2000)
            .map(|i| format!("{}.125,-{i}\n", i % 50))
            .collect();
        let big = "3000000.5,1\n";
        let opts = DecodeOptions {
            sampling_frequency_hint: Some(500.0),
            ..Default::default()
        };
        for text in [
            format!("I (mV),II (mV)\n{a}{b}"),
            format!("I (mV),II (mV)\n{b}{a}{big}{b}"),
            format!("I (mV),II (mV)\n{a}{big}{b}"),
        ] {
            let sequential = decode(&text, &opts, usize::MAX).unwrap();
            let rounded = sequential
                .warnings
                .iter()
                .any(|w| w.message.contains("rounded"));
            assert_eq!(rounded, text.contains("3000000"));
            for block_bytes in [1, 10, 1000, 5000] {
                let blocks = decode(&text, &opts, block_bytes).unwrap();
                assert!(sequential == blocks, "{block_bytes}");
            }
        }
    }
}
