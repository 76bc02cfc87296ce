//! Content-based detection of EDF/EDF+/BDF/BDF+ files.

use ecg_core::{Confidence, Detector};

use crate::header::{FIXED_HEADER, parse_int, parse_number, signal_count, version_width};

/// Says whether `data` (the whole file) is an EDF/EDF+/BDF/BDF+ file, looking only at the
/// header and the file size:
///
/// - version field `0` (EDF) or `0xFF BIOSEMI` (BDF);
/// - number of signals `ns >= 1` and header size exactly `256 * (ns + 1)`, present in full;
/// - record count a whole number (`-1` = unknown), record duration a number `>= 0`;
/// - every signal's samples per record a whole number `>= 1`;
/// - the file holds at least the stated data records.
///
/// [`Confidence::Certain`] when the file size equals header + records exactly,
/// [`Confidence::Maybe`] when the count is `-1` or bytes trail the last record (both are
/// decoded with a warning), [`Confidence::No`] otherwise (a truncated data section
/// included). Never panics; reads at most the header.
pub fn detect(data: &[u8]) -> Confidence {
    check(data).unwrap_or(Confidence::No)
}

fn check(data: &[u8]) -> Option<Confidence> {
    if data.len() < FIXED_HEADER {
        return None;
    }
    let width = version_width(data)?;
    let (ns, header_bytes) = signal_count(data).ok()?;
    if data.len() < header_bytes {
        return None;
    }
    let records = parse_int(&data[236..244]).filter(|&n| n >= -1)?;
    parse_number(&data[244..252]).filter(|&d| d >= 0.0)?;
    let mut samples: u64 = 0;
    for i in 0..ns {
        let off = FIXED_HEADER + ns * 216 + i * 8;
        let spr = parse_int(&data[off..off + 8]).filter(|&n| n >= 1)?;
        samples += spr as u64;
    }
    let record_bytes = samples * width.bytes() as u64;
    let available = (data.len() - header_bytes) as u64;
    if records == -1 {
        return Some(Confidence::Maybe);
    }
    let needed = (records as u64).checked_mul(record_bytes)?;
    match needed.cmp(&available) {
        std::cmp::Ordering::Equal => Some(Confidence::Certain),
        std::cmp::Ordering::Less => Some(Confidence::Maybe),
        std::cmp::Ordering::Greater => None,
    }
}

/// The EDF/BDF [`Detector`] for the format registry (`name()` is `"edf"`).
#[derive(Clone, Copy, Debug, Default)]
pub struct EdfDetector;

impl Detector for EdfDetector {
    fn name(&self) -> &'static str {
        "edf"
    }

    fn detect(&self, data: &[u8]) -> Confidence {
        detect(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal 1-signal EDF header with `records` records of 2 samples.
    fn tiny(records: &str, data_bytes: usize) -> Vec<u8> {
        let mut h = format!(
            "{:<8}{:<80}{:<80}{:<8}{:<8}{:<8}{:<44}{:<8}{:<8}{:<4}",
            "0", "X", "X", "01.01.24", "00.00.00", 512, "", records, 1, 1
        );
        for (v, w) in [
            ("sig", 16),
            ("", 80),
            ("uV", 8),
            ("-1", 8),
            ("1", 8),
            ("-32768", 8),
            ("32767", 8),
            ("", 80),
            ("2", 8),
            ("", 32),
        ] {
            h.push_str(&format!("{v:<w$}"));
        }
        let mut b = h.into_bytes();
        b.resize(512 + data_bytes, 0);
        b
    }

    #[test]
    fn confidence_follows_the_file_size() {
        assert_eq!(detect(&tiny("3", 12)), Confidence::Certain);
        assert_eq!(detect(&tiny("3", 13)), Confidence::Maybe);
        assert_eq!(detect(&tiny("-1", 5)), Confidence::Maybe);
        assert_eq!(detect(&tiny("3", 11)), Confidence::No);
        assert_eq!(detect(&tiny("-2", 12)), Confidence::No);
        assert_eq!(detect(&tiny("3", 12)[..511]), Confidence::No);
        assert_eq!(detect(b""), Confidence::No);
        let mut bdf = tiny("2", 12);
        bdf[..8].copy_from_slice(b"\xffBIOSEMI");
        assert_eq!(EdfDetector.detect(&bdf), Confidence::Certain);
        assert_eq!(EdfDetector.name(), "edf");
    }
}
