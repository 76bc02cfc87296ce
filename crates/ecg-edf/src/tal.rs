//! EDF+ time-stamped annotation lists (TALs), the content of `EDF Annotations` signals.
//!
//! A TAL is `+onset[0x15 duration]0x14 text 0x14 [text 0x14 ...] 0x00`: the onset in seconds
//! (sign mandatory) from the file's start date/time, an optional duration, then one or
//! more annotation texts (UTF-8), each closed by 0x14. TALs follow each other in a data
//! record's annotation bytes; the rest of those bytes is 0x00 padding. The first TAL of each
//! data record (in the first annotation signal) is the *time-keeping* TAL: its first text is
//! empty and its onset is the data record's start time.

/// A parsed TAL borrowing its texts from the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tal<'a> {
    /// Onset in nanoseconds from the header's start date/time.
    pub onset_ns: i64,
    /// Duration in nanoseconds, when the TAL has one.
    pub duration_ns: Option<i64>,
    /// The texts, still separated by 0x14 (without the closing one).
    texts: &'a [u8],
}

impl<'a> Tal<'a> {
    /// The annotation texts (raw UTF-8 bytes). The time-keeping TAL's first text is empty.
    pub(crate) fn texts(&self) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        self.texts.split(|&b| b == 0x14)
    }
}

/// A malformed TAL: where (byte offset inside the annotation block) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TalError {
    pub offset: usize,
    pub message: String,
}

/// Iterates over the TALs of one data record's annotation bytes. After an error, it stops.
pub(crate) struct Tals<'a> {
    block: &'a [u8],
    pos: usize,
}

/// The TALs of `block` (one annotation signal's bytes of one data record).
pub(crate) fn tals(block: &[u8]) -> Tals<'_> {
    Tals { block, pos: 0 }
}

impl<'a> Iterator for Tals<'a> {
    type Item = Result<(usize, Tal<'a>), TalError>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.pos;
        match self.block.get(start) {
            None | Some(0) => return None,
            Some(_) => {}
        }
        let rest = &self.block[start..];
        let fail = |this: &mut Self, offset: usize, message: String| {
            this.pos = this.block.len();
            Some(Err(TalError { offset, message }))
        };
        let Some(len) = rest.iter().position(|&b| b == 0) else {
            return fail(
                self,
                start,
                "TAL is not terminated by a 0x00 byte before the end of the data record".into(),
            );
        };
        self.pos = start + len + 1;
        let tal = &rest[..len];
        let Some(sep) = tal.iter().position(|&b| b == 0x14) else {
            return fail(
                self,
                start,
                format!(
                    "TAL {:?} has no 0x14 byte after its onset",
                    crate::error::escape(tal)
                ),
            );
        };
        let (timing, after) = (&tal[..sep], &tal[sep + 1..]);
        let Some(texts) = after.strip_suffix(&[0x14]) else {
            return fail(
                self,
                start,
                format!("TAL {:?} does not end with 0x14", crate::error::escape(tal)),
            );
        };
        let (onset, duration) = match timing.iter().position(|&b| b == 0x15) {
            Some(d) => (&timing[..d], Some(&timing[d + 1..])),
            None => (timing, None),
        };
        let onset_ns = match onset.first() {
            Some(b'+' | b'-') => parse_decimal_nanos(onset),
            _ => None,
        };
        let Some(onset_ns) = onset_ns else {
            return fail(
                self,
                start,
                format!(
                    "TAL onset {:?} is not a signed decimal number of seconds",
                    crate::error::escape(onset)
                ),
            );
        };
        let duration_ns = match duration {
            None => None,
            Some(d) => match d.first() {
                Some(b'0'..=b'9' | b'.') => match parse_decimal_nanos(d) {
                    Some(v) => Some(v),
                    None => {
                        return fail(
                            self,
                            start,
                            format!(
                                "TAL duration {:?} is not a decimal number of seconds",
                                crate::error::escape(d)
                            ),
                        );
                    }
                },
                _ => {
                    return fail(
                        self,
                        start,
                        format!(
                            "TAL duration {:?} is not an unsigned decimal number of seconds",
                            crate::error::escape(d)
                        ),
                    );
                }
            },
        };
        Some(Ok((
            start,
            Tal {
                onset_ns,
                duration_ns,
                texts,
            },
        )))
    }
}

/// `[+-]digits[.digits]` as nanoseconds: exact up to 9 decimals, further decimals
/// truncated. `None` on any other character, on no digits, or on overflow.
pub(crate) fn parse_decimal_nanos(bytes: &[u8]) -> Option<i64> {
    let (negative, body) = match bytes.first() {
        Some(b'+') => (false, &bytes[1..]),
        Some(b'-') => (true, &bytes[1..]),
        _ => (false, bytes),
    };
    let (int, frac) = match body.iter().position(|&b| b == b'.') {
        Some(p) => (&body[..p], &body[p + 1..]),
        None => (body, &[][..]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.iter().chain(frac).all(u8::is_ascii_digit) {
        return None;
    }
    let mut secs: i64 = 0;
    for &d in int {
        secs = secs.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
    }
    let mut nanos: i64 = 0;
    for k in 0..9 {
        let digit = frac.get(k).map_or(0, |&d| i64::from(d - b'0'));
        nanos = nanos * 10 + digit;
    }
    let total = secs.checked_mul(1_000_000_000)?.checked_add(nanos)?;
    Some(if negative { -total } else { total })
}

/// Formats nanoseconds as a TAL onset/duration: `+12.5`, `-0.25`, `+30` (no trailing zeros).
pub(crate) fn format_nanos(ns: i64, signed: bool) -> String {
    let sign = if ns < 0 {
        "-"
    } else if signed {
        "+"
    } else {
        ""
    };
    let abs = ns.unsigned_abs();
    let (secs, frac) = (abs / 1_000_000_000, abs % 1_000_000_000);
    if frac == 0 {
        format!("{sign}{secs}")
    } else {
        let f = format!("{frac:09}");
        format!("{sign}{secs}.{}", f.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(block: &[u8]) -> Vec<(i64, Option<i64>, Vec<String>)> {
        tals(block)
            .map(|t| {
                let (_, t) = t.unwrap();
                let texts = t
                    .texts()
                    .map(|x| String::from_utf8_lossy(x).into_owned())
                    .collect();
                (t.onset_ns, t.duration_ns, texts)
            })
            .collect()
    }

    #[test]
    fn time_keeping_and_annotations() {
        let block =
            b"+0\x14\x14\0+0\x1530\x14Sleep stage W\x14\0+33.43\x150\x14Lights off\x14\0\0\0\0";
        assert_eq!(
            all(block),
            vec![
                (0, None, vec![String::new()]),
                (0, Some(30_000_000_000), vec!["Sleep stage W".into()]),
                (33_430_000_000, Some(0), vec!["Lights off".into()]),
            ]
        );
    }

    #[test]
    fn several_texts_and_utf8() {
        let block = "+0.3945312\x14\x14Start\x14\0-1.5\x14Bolus – 5 µg\x14\0".as_bytes();
        assert_eq!(
            all(block),
            vec![
                (394_531_200, None, vec![String::new(), "Start".into()]),
                (-1_500_000_000, None, vec!["Bolus – 5 µg".into()]),
            ]
        );
    }

    #[test]
    fn malformed_tals_are_errors_with_offsets() {
        let cases: [(&[u8], usize, &str); 6] = [
            (b"+1\x14x\x14", 0, "not terminated"),
            (b"+0\x14\x14\0+1 x\0", 5, "no 0x14"),
            (b"+0\x14\x14\0+1\x14x\0", 5, "does not end"),
            (b"1\x14x\x14\0", 0, "onset"),
            (b"+1.2.3\x14x\x14\0", 0, "onset"),
            (b"+1\x15-3\x14x\x14\0", 0, "duration"),
        ];
        for (block, offset, what) in cases {
            let errors: Vec<_> = tals(block).filter_map(|r| r.err()).collect();
            assert_eq!(errors.len(), 1, "{block:?}");
            assert_eq!(errors[0].offset, offset, "{block:?}");
            assert!(errors[0].message.contains(what), "{}", errors[0].message);
        }
        // Iteration stops after an error.
        assert_eq!(tals(b"x\0+1\x14a\x14\0").count(), 1);
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal_nanos(b"+0.3945312"), Some(394_531_200));
        assert_eq!(parse_decimal_nanos(b"12"), Some(12_000_000_000));
        assert_eq!(parse_decimal_nanos(b".5"), Some(500_000_000));
        assert_eq!(parse_decimal_nanos(b"5."), Some(5_000_000_000));
        assert_eq!(parse_decimal_nanos(b"-0.0000000019"), Some(-1));
        assert_eq!(parse_decimal_nanos(b"+"), None);
        assert_eq!(parse_decimal_nanos(b"."), None);
        assert_eq!(parse_decimal_nanos(b"1e3"), None);
        assert_eq!(parse_decimal_nanos(b"99999999999999999999"), None);
        assert_eq!(format_nanos(394_531_200, true), "+0.3945312");
        assert_eq!(format_nanos(-1_500_000_000, true), "-1.5");
        assert_eq!(format_nanos(30_000_000_000, false), "30");
        assert_eq!(format_nanos(0, true), "+0");
    }
}
