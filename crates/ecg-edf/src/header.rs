//! The EDF/BDF header: the fixed 256-byte part and the `ns * 256` bytes of signal fields.
//!
//! Layout (EDF specification, 1992; EDF+ 2003; BDF+ by the same authors):
//!
//! | bytes | field |
//! |---|---|
//! | 0..8 | version: `0` (EDF) or `0xFF BIOSEMI` (BDF) |
//! | 8..88 | local patient identification (EDF+: code sex birthdate name ...) |
//! | 88..168 | local recording identification (EDF+: `Startdate dd-MMM-yyyy` ...) |
//! | 168..176 | start date `dd.mm.yy` |
//! | 176..184 | start time `hh.mm.ss` |
//! | 184..192 | number of header bytes = `256 * (ns + 1)` |
//! | 192..236 | reserved: `EDF+C`, `EDF+D`, `BDF+C`, `BDF+D` or anything (plain) |
//! | 236..244 | number of data records (`-1` while recording) |
//! | 244..252 | duration of a data record in seconds |
//! | 252..256 | number of signals `ns` |
//!
//! then per field, `ns` consecutive entries: label 16, transducer 80, physical dimension 8,
//! physical min 8, physical max 8, digital min 8, digital max 8, prefiltering 80, samples per
//! data record 8, reserved 32.

use crate::error::{Error, Result, escape};
use crate::tal::parse_decimal_nanos;

/// Size of the fixed part of the header.
pub(crate) const FIXED_HEADER: usize = 256;

/// The 8-byte version field of BDF files.
pub(crate) const BDF_VERSION: &[u8; 8] = b"\xffBIOSEMI";

/// Storage width of one sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Width {
    /// EDF: 16-bit little-endian two's complement.
    Edf16,
    /// BDF: 24-bit little-endian two's complement.
    Bdf24,
}

impl Width {
    /// Bytes per sample.
    pub(crate) fn bytes(self) -> usize {
        match self {
            Width::Edf16 => 2,
            Width::Bdf24 => 3,
        }
    }

    /// Smallest and largest storable value.
    pub(crate) fn range(self) -> (i64, i64) {
        match self {
            Width::Edf16 => (-32768, 32767),
            Width::Bdf24 => (-8_388_608, 8_388_607),
        }
    }

    /// `EDF` or `BDF`.
    pub(crate) fn family(self) -> &'static str {
        match self {
            Width::Edf16 => "EDF",
            Width::Bdf24 => "BDF",
        }
    }
}

/// Plain EDF/BDF, or EDF+/BDF+ continuous or discontinuous (from the reserved field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    /// No `+C`/`+D` marker: the original 1992 format, no annotation signals.
    Plain,
    /// `EDF+C` / `BDF+C`.
    Continuous,
    /// `EDF+D` / `BDF+D`.
    Discontinuous,
}

/// One signal's header fields.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SignalHeader {
    /// Index in header order (annotation signals included).
    pub index: usize,
    pub label: String,
    pub transducer: String,
    pub dimension: String,
    pub physical_min: f64,
    pub physical_max: f64,
    pub digital_min: i64,
    pub digital_max: i64,
    pub prefilter: String,
    pub samples_per_record: usize,
    pub reserved: String,
    /// True for `EDF Annotations` / `BDF Annotations` signals of EDF+/BDF+ files.
    pub annotation: bool,
    /// Byte offset of this signal's samples inside a data record.
    pub offset_in_record: usize,
}

/// The parsed header.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Header {
    pub width: Width,
    pub variant: Variant,
    pub patient: String,
    pub recording: String,
    /// Raw `dd.mm.yy` field.
    pub start_date: [u8; 8],
    /// Raw `hh.mm.ss` field.
    pub start_time: [u8; 8],
    pub header_bytes: usize,
    pub reserved: String,
    /// The record count as stated (may be `-1`).
    pub records_stated: i64,
    /// The record-duration field's text.
    pub duration_text: String,
    /// Record duration in nanoseconds (exact for up to 9 decimals).
    pub duration_ns: i64,
    pub signals: Vec<SignalHeader>,
    /// Bytes per data record (all signals).
    pub record_bytes: usize,
}

impl Header {
    /// `EDF`, `EDF+C`, `EDF+D`, `BDF`, `BDF+C` or `BDF+D`.
    pub(crate) fn file_type(&self) -> String {
        let family = self.width.family();
        match self.variant {
            Variant::Plain => family.to_string(),
            Variant::Continuous => format!("{family}+C"),
            Variant::Discontinuous => format!("{family}+D"),
        }
    }

    /// True for EDF+/BDF+.
    pub(crate) fn is_plus(&self) -> bool {
        self.variant != Variant::Plain
    }

    /// Record duration in seconds.
    pub(crate) fn duration_s(&self) -> f64 {
        self.duration_ns as f64 / 1e9
    }
}

/// Text of a header field: spaces and NULs trimmed at both ends, decoded as UTF-8, or as
/// Latin-1 when it is not valid UTF-8 (older software wrote `µV`, `°` in Latin-1). Returns
/// whether the field held bytes outside printable ASCII.
pub(crate) fn field_text(bytes: &[u8]) -> (String, bool) {
    let trimmed = trim(bytes);
    let outside = trimmed.iter().any(|&b| !(32..=126).contains(&b));
    let text = match std::str::from_utf8(trimmed) {
        Ok(t) => t.to_string(),
        Err(_) => trimmed.iter().map(|&b| char::from(b)).collect(),
    };
    (text, outside)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let pad = |b: &u8| *b == b' ' || *b == 0;
    let start = bytes.iter().position(|b| !pad(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !pad(b)).map_or(start, |e| e + 1);
    &bytes[start..end]
}

/// An integer field (`ns`, record count, digital min/max, samples per record). A
/// fraction of zeros (`"256.0"`, written by some tools) is accepted.
pub(crate) fn parse_int(bytes: &[u8]) -> Option<i64> {
    let t = trim(bytes);
    let s = std::str::from_utf8(t).ok()?;
    let s = match s.split_once('.') {
        Some((int, frac)) if frac.bytes().all(|b| b == b'0') => int,
        Some(_) => return None,
        None => s,
    };
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A decimal field (physical min/max, record duration): digits, sign, point and exponent
/// only (so `inf`/`NaN` are refused), finite. A decimal comma (locale bugs of some
/// writers) is accepted.
pub(crate) fn parse_number(bytes: &[u8]) -> Option<f64> {
    let t = trim(bytes);
    if t.is_empty()
        || !t.iter().any(u8::is_ascii_digit)
        || !t
            .iter()
            .all(|&b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b',' | b'e' | b'E'))
    {
        return None;
    }
    let s: String = t
        .iter()
        .map(|&b| if b == b',' { '.' } else { b as char })
        .collect();
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The record duration in nanoseconds: exact for plain decimals, rounded otherwise.
fn parse_duration_ns(bytes: &[u8]) -> Option<i64> {
    let t = trim(bytes);
    if let Some(ns) = parse_decimal_nanos(t) {
        return Some(ns);
    }
    let v = parse_number(bytes)?;
    let ns = (v * 1e9).round();
    (ns.abs() < 9.0e18).then_some(ns as i64)
}

/// The version field's format, or `None` when it is neither EDF nor BDF.
pub(crate) fn version_width(data: &[u8]) -> Option<Width> {
    let v = data.get(..8)?;
    if v == BDF_VERSION {
        return Some(Width::Bdf24);
    }
    // "0       "; NUL padding is tolerated.
    (v[0] == b'0' && v[1..].iter().all(|&b| b == b' ' || b == 0)).then_some(Width::Edf16)
}

fn bad(
    field: &'static str,
    signal: Option<usize>,
    offset: usize,
    bytes: &[u8],
    expected: &'static str,
) -> Error {
    Error::Field {
        field,
        signal,
        offset,
        value: escape(bytes),
        expected,
    }
}

/// Number of signals and header size, checked against each other (bytes 184..192, 252..256).
pub(crate) fn signal_count(data: &[u8]) -> Result<(usize, usize)> {
    let ns_field = &data[252..256];
    let ns = parse_int(ns_field).filter(|&n| n >= 1).ok_or_else(|| {
        bad(
            "number of signals",
            None,
            252,
            ns_field,
            "a whole number >= 1",
        )
    })? as usize;
    let hb_field = &data[184..192];
    let stated = parse_int(hb_field).filter(|&n| n >= 0).ok_or_else(|| {
        bad(
            "number of header bytes",
            None,
            184,
            hb_field,
            "a whole number",
        )
    })? as u64;
    let expected = 256 * (ns as u64 + 1);
    if stated != expected {
        return Err(Error::HeaderSize {
            stated,
            signals: ns,
            expected,
        });
    }
    Ok((ns, expected as usize))
}

/// Parses and checks the whole header. Tolerated oddities are appended to `warnings`.
pub(crate) fn parse(data: &[u8], warnings: &mut Vec<String>) -> Result<Header> {
    if data.len() < FIXED_HEADER {
        return Err(Error::TooShort {
            what: "the fixed header fields",
            needed: FIXED_HEADER as u64,
            actual: data.len() as u64,
        });
    }
    let width = version_width(data).ok_or_else(|| Error::NotEdf {
        found: escape(&data[..8]),
    })?;
    let (ns, header_bytes) = signal_count(data)?;
    if data.len() < header_bytes {
        return Err(Error::TooShort {
            what: "the signal headers",
            needed: header_bytes as u64,
            actual: data.len() as u64,
        });
    }

    let mut non_ascii = Vec::new();
    let mut text = |name: &'static str, bytes: &[u8]| {
        let (t, outside) = field_text(bytes);
        if outside {
            non_ascii.push(name);
        }
        t
    };
    let patient = text("local patient identification", &data[8..88]);
    let recording = text("local recording identification", &data[88..168]);
    let reserved = text("reserved", &data[192..236]);
    let variant = match reserved.get(..5) {
        Some("EDF+C" | "BDF+C") => Variant::Continuous,
        Some("EDF+D" | "BDF+D") => Variant::Discontinuous,
        _ => Variant::Plain,
    };

    let records_field = &data[236..244];
    let records_stated = parse_int(records_field)
        .filter(|&n| n >= -1)
        .ok_or_else(|| {
            bad(
                "number of data records",
                None,
                236,
                records_field,
                "a whole number >= -1",
            )
        })?;
    let duration_field = &data[244..252];
    let duration_ns = parse_duration_ns(duration_field).ok_or_else(|| {
        bad(
            "duration of a data record",
            None,
            244,
            duration_field,
            "a decimal number of seconds",
        )
    })?;
    let duration_text = field_text(duration_field).0;
    if duration_ns < 0 {
        return Err(bad(
            "duration of a data record",
            None,
            244,
            duration_field,
            "a duration >= 0",
        ));
    }

    // Per-signal fields: (name, width, offset of the block).
    let block = |start: usize, width: usize, i: usize| {
        let off = FIXED_HEADER + ns * start + i * width;
        (off, &data[off..off + width])
    };
    let mut signals = Vec::with_capacity(ns);
    let mut offset_in_record = 0usize;
    for i in 0..ns {
        let label = text("label", block(0, 16, i).1);
        let transducer = text("transducer type", block(16, 80, i).1);
        let dimension = text("physical dimension", block(96, 8, i).1);
        let (off, f) = block(104, 8, i);
        let physical_min = parse_number(f)
            .ok_or_else(|| bad("physical minimum", Some(i), off, f, "a finite number"))?;
        let (off, f) = block(112, 8, i);
        let physical_max = parse_number(f)
            .ok_or_else(|| bad("physical maximum", Some(i), off, f, "a finite number"))?;
        let (off, f) = block(120, 8, i);
        let digital_min =
            parse_int(f).ok_or_else(|| bad("digital minimum", Some(i), off, f, "an integer"))?;
        let (off, f) = block(128, 8, i);
        let digital_max =
            parse_int(f).ok_or_else(|| bad("digital maximum", Some(i), off, f, "an integer"))?;
        let prefilter = text("prefiltering", block(136, 80, i).1);
        let (off, f) = block(216, 8, i);
        let samples_per_record = parse_int(f).filter(|&n| n >= 1).ok_or_else(|| {
            bad(
                "number of samples in each data record",
                Some(i),
                off,
                f,
                "a whole number >= 1",
            )
        })? as usize;
        let signal_reserved = text("signal reserved", block(224, 32, i).1);
        let annotation =
            variant != Variant::Plain && (label == "EDF Annotations" || label == "BDF Annotations");
        signals.push(SignalHeader {
            index: i,
            label,
            transducer,
            dimension,
            physical_min,
            physical_max,
            digital_min,
            digital_max,
            prefilter,
            samples_per_record,
            reserved: signal_reserved,
            annotation,
            offset_in_record,
        });
        // ns <= 9999 and samples per record <= 99_999_999: at most ~3e12, no overflow.
        offset_in_record += samples_per_record * width.bytes();
    }

    non_ascii.dedup();
    if !non_ascii.is_empty() {
        warnings.push(format!(
            "header fields outside printable ASCII (the EDF rule), decoded as UTF-8 (Latin-1 when not UTF-8): {}",
            non_ascii.join(", ")
        ));
    }

    let mut start_date = [0u8; 8];
    start_date.copy_from_slice(&data[168..176]);
    let mut start_time = [0u8; 8];
    start_time.copy_from_slice(&data[176..184]);

    Ok(Header {
        width,
        variant,
        patient,
        recording,
        start_date,
        start_time,
        header_bytes,
        reserved,
        records_stated,
        duration_text,
        duration_ns,
        signals,
        record_bytes: offset_in_record,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_fields() {
        assert_eq!(parse_int(b"3600    "), Some(3600));
        assert_eq!(parse_int(b"-1      "), Some(-1));
        assert_eq!(parse_int(b"-32768  "), Some(-32768));
        assert_eq!(parse_int(b"256.00  "), Some(256));
        assert_eq!(parse_int(b"256.5   "), None);
        assert_eq!(parse_int(b"        "), None);
        assert_eq!(parse_int(b"12a     "), None);
        assert_eq!(parse_int(b"-       "), None);
        assert_eq!(parse_int(b"1\0\0\0"), Some(1));
    }

    #[test]
    fn number_fields() {
        assert_eq!(parse_number(b"-5      "), Some(-5.0));
        assert_eq!(parse_number(b"8711    "), Some(8711.0));
        assert_eq!(parse_number(b"0.5     "), Some(0.5));
        assert_eq!(parse_number(b"1,5     "), Some(1.5));
        assert_eq!(parse_number(b"1e3     "), Some(1000.0));
        assert_eq!(parse_number(b"NaN     "), None);
        assert_eq!(parse_number(b"inf     "), None);
        assert_eq!(parse_number(b"1e999   "), None);
        assert_eq!(parse_number(b"        "), None);
        assert_eq!(parse_number(b"--      "), None);
    }

    #[test]
    fn durations_are_exact() {
        assert_eq!(parse_duration_ns(b"0.1     "), Some(100_000_000));
        assert_eq!(parse_duration_ns(b"2       "), Some(2_000_000_000));
        assert_eq!(parse_duration_ns(b"1e-3    "), Some(1_000_000));
        assert_eq!(parse_duration_ns(b"x       "), None);
    }

    #[test]
    fn text_fields_are_trimmed_and_flag_non_ascii() {
        assert_eq!(field_text(b"  ECG I  \0"), ("ECG I".to_string(), false));
        assert_eq!(
            field_text("Müller ".as_bytes()),
            ("Müller".to_string(), true)
        );
        assert_eq!(field_text(b"    "), (String::new(), false));
        assert_eq!(field_text(b"\xb0C"), ("°C".to_string(), true));
    }

    #[test]
    fn versions() {
        assert_eq!(version_width(b"0       "), Some(Width::Edf16));
        assert_eq!(version_width(b"0\0\0\0\0\0\0\0"), Some(Width::Edf16));
        assert_eq!(version_width(b"\xffBIOSEMI"), Some(Width::Bdf24));
        assert_eq!(version_width(b"1       "), None);
        assert_eq!(version_width(b"0  x    "), None);
        assert_eq!(version_width(b"0"), None);
    }
}
