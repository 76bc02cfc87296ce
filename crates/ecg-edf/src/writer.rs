//! EDF+ and BDF+ writers: continuous (`+C`) files, or discontinuous (`+D`) ones when the
//! record has [`Record::segments`].

use std::io::Write;

use ecg_core::chrono::{Datelike, Timelike};
use ecg_core::{Record, Scale, Signal};

use crate::error::{Error, Result};
use crate::header::Width;
use crate::identification::{printable, write_patient, write_recording};
use crate::tal::format_nanos;

/// Data-record durations tried, in order of preference (nanoseconds).
const DURATIONS_NS: [i64; 16] = [
    1_000_000_000,
    2_000_000_000,
    4_000_000_000,
    5_000_000_000,
    10_000_000_000,
    500_000_000,
    250_000_000,
    200_000_000,
    100_000_000,
    50_000_000,
    20_000_000,
    10_000_000,
    5_000_000,
    1_000_000,
    20_000_000_000,
    60_000_000_000,
];

/// Largest data record written (bytes), as EDFlib's limit for EDF.
const MAX_RECORD_BYTES: u64 = 10 * 1024 * 1024;

/// Writes `record` as an EDF+ file (16-bit samples): `EDF+C`, or `EDF+D` when
/// `record.segments` is not empty. `record.classification.events` become TALs of an
/// `EDF Annotations` signal. See [`write_bdf_plus`] for 24-bit samples and the crate README
/// for how each record field is mapped.
///
/// Errors: [`Error::Unwritable`] when a signal's samples do not fit 16 bits, when no data
/// record duration gives every signal a whole number of samples per record, or when the
/// segments do not match the sample counts; [`Error::Write`] on I/O failure.
pub fn write_edf_plus(record: &Record, out: &mut impl Write) -> Result<()> {
    write_plus(record, out, Width::Edf16)
}

/// Writes `record` as a BDF+ file (24-bit samples), otherwise like [`write_edf_plus`].
pub fn write_bdf_plus(record: &Record, out: &mut impl Write) -> Result<()> {
    write_plus(record, out, Width::Bdf24)
}

struct OutSignal<'a> {
    signal: &'a Signal,
    index: usize,
    per_record: usize,
    physical_min: String,
    physical_max: String,
    digital_min: i64,
    digital_max: i64,
    pad: i32,
}

fn write_plus(record: &Record, out: &mut impl Write, width: Width) -> Result<()> {
    let format = match width {
        Width::Edf16 => "EDF+",
        Width::Bdf24 => "BDF+",
    };
    let unwritable = |signal: Option<usize>, reason: String| Error::Unwritable {
        format,
        signal,
        reason,
    };
    // Signals that were annotation channels of a plain EDF file are not rewritten as
    // ordinary signals: in an EDF+ file their label would mark them as annotations.
    let chosen: Vec<(usize, &Signal)> = record
        .signals
        .iter()
        .enumerate()
        .filter(|(_, s)| s.label != "EDF Annotations" && s.label != "BDF Annotations")
        .collect();
    for &(i, s) in &chosen {
        if !(s.fs.is_finite() && s.fs > 0.0) {
            return Err(unwritable(
                Some(i),
                format!("sampling frequency {} Hz is not positive", s.fs),
            ));
        }
    }

    // Annotation-only files use zero-duration records (EDF+ 2.2.4), unless they are
    // discontinuous: then the records need a duration to tile the segments.
    let duration_ns = if chosen.is_empty() && record.segments.is_empty() {
        0
    } else {
        choose_duration(&chosen, record, width).ok_or_else(|| {
            let rates: Vec<String> = chosen.iter().map(|(_, s)| s.fs.to_string()).collect();
            unwritable(
                None,
                format!(
                    "no data-record duration gives a whole number of samples per record for the rates {} Hz{}",
                    rates.join(", "),
                    if record.segments.is_empty() { "" } else { " and the segment durations" }
                ),
            )
        })?
    };
    let per_record = |s: &Signal| (s.fs * duration_ns as f64 / 1e9).round() as usize;

    // Record onsets (nanoseconds from the header's whole-second start time).
    let sub_second = i64::from(
        record
            .start_time
            .map_or(0, |t| t.nanosecond().min(999_999_999)),
    );
    // Stretches of contiguous records: (onset of the first, number of records). The
    // onsets are produced record by record while writing, never held all at once.
    let mut stretches: Vec<(i64, u64)> = Vec::new();
    if record.segments.is_empty() {
        let records = chosen
            .iter()
            .map(|(_, s)| s.len().div_ceil(per_record(s)))
            .max()
            .unwrap_or(0)
            .max(1);
        stretches.push((sub_second, records as u64));
    } else {
        for (k, seg) in record.segments.iter().enumerate() {
            let n = (seg.duration_s * 1e9 / duration_ns as f64).round();
            let start = (seg.onset_s * 1e9).round();
            if !(n.is_finite()
                && start.is_finite()
                && (0.0..1e8).contains(&n)
                && start.abs() < 4e18)
            {
                return Err(unwritable(
                    None,
                    format!("segment {k} ({seg:?}) has no finite onset and duration"),
                ));
            }
            stretches.push((sub_second + start as i64, n as u64));
        }
    }
    let records: u64 = stretches.iter().map(|s| s.1).sum();
    if records > 99_999_999 {
        return Err(unwritable(
            None,
            format!("{records} data records do not fit the 8-character field"),
        ));
    }
    if !record.segments.is_empty() {
        for &(i, s) in &chosen {
            let expected = records as usize * per_record(s);
            if s.len() != expected {
                return Err(unwritable(
                    Some(i),
                    format!(
                        "{} samples, but the segments hold {records} data records of {} samples",
                        s.len(),
                        per_record(s)
                    ),
                ));
            }
        }
    }
    let records = records as usize;
    // records <= 1e8 and durations <= 60 s: onsets stay below 6e18 + 4e18 < i64::MAX.
    let onsets = stretches
        .iter()
        .flat_map(|&(start, n)| (0..n as i64).map(move |j| start + j * duration_ns));

    let (lo, hi) = width.range();
    let mut signals = Vec::with_capacity(chosen.len());
    for &(i, s) in &chosen {
        let (pmin, pmax, dmin, dmax) = match s.scale {
            Scale::Range {
                physical_min,
                physical_max,
                digital_min,
                digital_max,
            } if i64::from(digital_min) >= lo && i64::from(digital_max) <= hi => (
                physical_min,
                physical_max,
                i64::from(digital_min),
                i64::from(digital_max),
            ),
            scale => (
                scale.to_physical(lo as i32),
                scale.to_physical(hi as i32),
                lo,
                hi,
            ),
        };
        let number = |v: f64, what: &str| {
            format_number(v, 8).ok_or_else(|| {
                unwritable(
                    Some(i),
                    format!("{what} {v} does not fit the 8-character field"),
                )
            })
        };
        let (physical_min, physical_max) = (
            number(pmin, "physical minimum")?,
            number(pmax, "physical maximum")?,
        );
        if physical_min == physical_max || dmin == dmax {
            return Err(unwritable(
                Some(i),
                format!(
                    "degenerate scale: physical {physical_min}..{physical_max}, digital {dmin}..{dmax}"
                ),
            ));
        }
        let zero = s.scale.to_digital(0.0);
        let pad = if zero.is_finite() {
            zero.round()
                .clamp(dmin.min(dmax) as f64, dmin.max(dmax) as f64) as i32
        } else {
            dmin as i32
        };
        signals.push(OutSignal {
            signal: s,
            index: i,
            per_record: per_record(s),
            physical_min,
            physical_max,
            digital_min: dmin,
            digital_max: dmax,
            pad,
        });
    }
    let record_samples: u64 = signals.iter().map(|s| s.per_record as u64).sum();
    if record_samples * width.bytes() as u64 > MAX_RECORD_BYTES {
        return Err(unwritable(
            None,
            format!("a data record of {record_samples} samples exceeds {MAX_RECORD_BYTES} bytes"),
        ));
    }

    // Annotations: time-keeping TAL per record, then the events spread over the records.
    let mut events: Vec<Vec<u8>> = Vec::with_capacity(record.classification.events.len());
    let mut sorted: Vec<&ecg_core::Event> = record.classification.events.iter().collect();
    sorted.sort_by(|a, b| a.onset_s.total_cmp(&b.onset_s));
    for (k, e) in sorted.iter().enumerate() {
        let onset = (e.onset_s * 1e9).round();
        if !(onset.is_finite() && onset.abs() < 9e18) {
            return Err(unwritable(
                None,
                format!("event {k} has onset {}", e.onset_s),
            ));
        }
        let mut tal = format_nanos(sub_second.saturating_add(onset as i64), true).into_bytes();
        if let Some(d) = e.duration_s {
            let d = (d * 1e9).round();
            if !(d.is_finite() && (0.0..9e18).contains(&d)) {
                return Err(unwritable(
                    None,
                    format!("event {k} has duration {:?}", e.duration_s),
                ));
            }
            tal.push(0x15);
            tal.extend_from_slice(format_nanos(d as i64, false).as_bytes());
        }
        tal.push(0x14);
        tal.extend(e.text.bytes().map(|b| {
            if matches!(b, 0 | 0x14 | 0x15) {
                b' '
            } else {
                b
            }
        }));
        tal.extend_from_slice(&[0x14, 0]);
        events.push(tal);
    }
    // Longest time-keeping TAL: sign, integer seconds of the largest onset, 9 decimals
    // at most, 0x14 0x14 0x00.
    let largest = stretches
        .iter()
        .map(|&(start, n)| {
            start
                .unsigned_abs()
                .max((start + n as i64 * duration_ns).unsigned_abs())
        })
        .max()
        .unwrap_or(0);
    let tk_max = 1 + (largest / 1_000_000_000).to_string().len() + 10 + 3;
    let ev_max = events.iter().map(Vec::len).max().unwrap_or(0);
    let ev_sum: usize = events.iter().map(Vec::len).sum();
    let bps = width.bytes();
    let capacity = (tk_max + ev_max + ev_sum.div_ceil(records.max(1))).div_ceil(bps) * bps;
    let annotation_samples = capacity / bps;

    // Header.
    let ns = signals.len() + 1;
    let mut h: Vec<u8> = Vec::with_capacity(256 * (ns + 1));
    match width {
        Width::Edf16 => put(&mut h, "0", 8),
        Width::Bdf24 => h.extend_from_slice(b"\xffBIOSEMI"),
    }
    put(&mut h, &write_patient(&record.personal), 80);
    put(
        &mut h,
        &write_recording(&record.readings, record.start_date),
        80,
    );
    let date = record.start_date.map_or_else(
        || "01.01.85".to_string(),
        |d| {
            format!(
                "{:02}.{:02}.{:02}",
                d.day(),
                d.month(),
                d.year().rem_euclid(100)
            )
        },
    );
    put(&mut h, &date, 8);
    let time = record.start_time.map_or_else(
        || "00.00.00".to_string(),
        |t| format!("{:02}.{:02}.{:02}", t.hour(), t.minute(), t.second()),
    );
    put(&mut h, &time, 8);
    put(&mut h, &(256 * (ns + 1)).to_string(), 8);
    let plus = if record.segments.is_empty() { "C" } else { "D" };
    put(&mut h, &format!("{}{plus}", &format[..4]), 44);
    put(&mut h, &records.to_string(), 8);
    let duration = format_nanos(duration_ns, false);
    if duration.len() > 8 {
        return Err(unwritable(
            None,
            format!("record duration {duration} s does not fit the 8-character field"),
        ));
    }
    put(&mut h, &duration, 8);
    put(&mut h, &ns.to_string(), 4);
    let annotation_label = match width {
        Width::Edf16 => "EDF Annotations",
        Width::Bdf24 => "BDF Annotations",
    };
    let per_field =
        |h: &mut Vec<u8>, width: usize, f: &dyn Fn(&OutSignal) -> String, annotation: &str| {
            for s in &signals {
                put(h, &f(s), width);
            }
            put(h, annotation, width);
        };
    per_field(
        &mut h,
        16,
        &|s| printable(&s.signal.label),
        annotation_label,
    );
    per_field(
        &mut h,
        80,
        &|s| printable(s.signal.meta.transducer.as_deref().unwrap_or("")),
        "",
    );
    per_field(&mut h, 8, &|s| printable(&s.signal.unit), "");
    per_field(&mut h, 8, &|s| s.physical_min.clone(), "-1");
    per_field(&mut h, 8, &|s| s.physical_max.clone(), "1");
    per_field(&mut h, 8, &|s| s.digital_min.to_string(), &lo.to_string());
    per_field(&mut h, 8, &|s| s.digital_max.to_string(), &hi.to_string());
    per_field(
        &mut h,
        80,
        &|s| printable(s.signal.meta.prefilter.as_deref().unwrap_or("")),
        "",
    );
    per_field(
        &mut h,
        8,
        &|s| s.per_record.to_string(),
        &annotation_samples.to_string(),
    );
    per_field(&mut h, 32, &|_| String::new(), "");
    out.write_all(&h).map_err(Error::Write)?;

    // Data records.
    let max_per_record = signals.iter().map(|s| s.per_record).max().unwrap_or(0);
    let mut samples = vec![0i32; max_per_record];
    let mut buf: Vec<u8> = Vec::with_capacity(record_samples as usize * bps + capacity);
    let mut next_event = 0;
    for (r, onset) in onsets.enumerate() {
        buf.clear();
        for s in &signals {
            let from = r * s.per_record;
            let have = s.signal.len().saturating_sub(from).min(s.per_record);
            let chunk = &mut samples[..s.per_record];
            s.signal.samples.read(from, &mut chunk[..have])?;
            chunk[have..].fill(s.pad);
            for &v in chunk.iter() {
                if i64::from(v) < lo || i64::from(v) > hi {
                    return Err(unwritable(
                        Some(s.index),
                        format!(
                            "sample {} is {v}, outside the {}-bit range {lo}..{hi}",
                            from + chunk.iter().position(|&x| x == v).unwrap_or(0),
                            bps * 8
                        ),
                    ));
                }
            }
            match width {
                Width::Edf16 => {
                    for &v in chunk.iter() {
                        buf.extend_from_slice(&(v as i16).to_le_bytes());
                    }
                }
                Width::Bdf24 => {
                    for &v in chunk.iter() {
                        buf.extend_from_slice(&v.to_le_bytes()[..3]);
                    }
                }
            }
        }
        let start = buf.len();
        buf.extend_from_slice(format_nanos(onset, true).as_bytes());
        buf.extend_from_slice(&[0x14, 0x14, 0]);
        while let Some(ev) = events.get(next_event) {
            let room = capacity - (buf.len() - start);
            // The last record takes whatever is left (the capacity guarantees it fits).
            if ev.len() > room {
                break;
            }
            buf.extend_from_slice(ev);
            next_event += 1;
        }
        buf.resize(start + capacity, 0);
        out.write_all(&buf).map_err(Error::Write)?;
    }
    if next_event < events.len() {
        return Err(unwritable(
            None,
            format!(
                "{} annotations did not fit the annotation signal",
                events.len() - next_event
            ),
        ));
    }
    Ok(())
}

/// The first preferred duration giving every signal (and every segment) a whole number
/// of samples (records).
fn choose_duration(signals: &[(usize, &Signal)], record: &Record, width: Width) -> Option<i64> {
    let whole = |x: f64| x >= 0.5 && (x - x.round()).abs() <= 1e-6;
    DURATIONS_NS.into_iter().find(|&d| {
        let secs = d as f64 / 1e9;
        let per_record: Option<u64> = signals
            .iter()
            .map(|(_, s)| whole(s.fs * secs).then(|| (s.fs * secs).round() as u64))
            .sum();
        per_record.is_some_and(|n| n * width.bytes() as u64 <= MAX_RECORD_BYTES)
            && record
                .segments
                .iter()
                .all(|seg| seg.duration_s == 0.0 || whole(seg.duration_s / secs))
    })
}

/// Appends `text` as a fixed-width field: truncated, padded with spaces.
fn put(h: &mut Vec<u8>, text: &str, width: usize) {
    let bytes = text.as_bytes();
    let n = bytes.len().min(width);
    h.extend_from_slice(&bytes[..n]);
    h.resize(h.len() + width - n, b' ');
}

/// `v` in at most `width` characters, with as many decimals as fit.
pub(crate) fn format_number(v: f64, width: usize) -> Option<String> {
    if !v.is_finite() {
        return None;
    }
    let plain = format!("{v}");
    if plain.len() <= width {
        return Some(plain);
    }
    (0..width).rev().find_map(|decimals| {
        let s = format!("{v:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        (s.len() <= width).then_some(s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_fit_their_fields() {
        assert_eq!(format_number(-5.0, 8).as_deref(), Some("-5"));
        assert_eq!(format_number(0.1, 8).as_deref(), Some("0.1"));
        assert_eq!(format_number(999.98474, 8).as_deref(), Some("999.9847"));
        assert_eq!(format_number(-163.84, 8).as_deref(), Some("-163.84"));
        assert_eq!(format_number(1.0 / 3.0, 8).as_deref(), Some("0.333333"));
        assert_eq!(format_number(123456789.0, 8), None);
        assert_eq!(format_number(f64::NAN, 8), None);
        assert_eq!(format_number(-0.000000001, 8).as_deref(), Some("-0"));
    }
}
