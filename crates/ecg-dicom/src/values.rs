//! Typed reads of element values (strings, decimal strings, unsigned integers, dates)
//! with errors naming the element and where it sits.

use ecg_core::chrono::{NaiveDate, NaiveTime};

use crate::error::{Error, Result, Tag};
use crate::part10::{DataSet, Element, Value};
use crate::tags::Attr;

/// Reads values of one file's data set (its bytes and character set).
pub(crate) struct ValueReader<'a> {
    data: &'a [u8],
    utf8: bool,
}

impl<'a> ValueReader<'a> {
    /// A reader over `data`; `charset` is Specific Character Set (`ISO_IR 192` = UTF-8,
    /// anything else is read as ISO 8859-1, of which ASCII is a subset).
    pub fn new(data: &'a [u8], charset: &str) -> Self {
        ValueReader {
            data,
            utf8: charset.contains("ISO_IR 192"),
        }
    }

    /// The value bytes of an element (empty for sequences).
    pub fn bytes(&self, element: &Element) -> &'a [u8] {
        match &element.value {
            Value::Bytes(range) => self.data.get(range.clone()).unwrap_or(&[]),
            Value::Items(_) => &[],
        }
    }

    /// A text value, trimmed of padding; `None` when absent or empty.
    pub fn text(&self, set: &DataSet, attr: Attr) -> Option<String> {
        let bytes = self.bytes(set.get(attr)?);
        let text: String = if self.utf8 {
            String::from_utf8_lossy(bytes).into_owned()
        } else {
            bytes.iter().map(|&b| char::from(b)).collect()
        };
        let trimmed = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
        (!trimmed.is_empty()).then(|| trimmed.to_string())
    }

    /// Decimal string values (`DS`, backslash-separated); empty when absent.
    pub fn decimals(&self, set: &DataSet, attr: Attr, context: &str) -> Result<Vec<f64>> {
        let Some(element) = set.get(attr) else {
            return Ok(Vec::new());
        };
        let Some(text) = self.text(set, attr) else {
            return Ok(Vec::new());
        };
        text.split('\\')
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| invalid(attr, context, element, v, "a decimal number"))
            })
            .collect()
    }

    /// The first decimal string value.
    pub fn decimal(&self, set: &DataSet, attr: Attr, context: &str) -> Result<Option<f64>> {
        Ok(self.decimals(set, attr, context)?.first().copied())
    }

    /// Unsigned integers of an `US` (2 bytes each) or `UL` (4 bytes each) element; the
    /// width comes from the explicit VR, or from `width` in implicit VR.
    pub fn unsigned(
        &self,
        set: &DataSet,
        attr: Attr,
        width: usize,
        context: &str,
    ) -> Result<Vec<u32>> {
        let Some(element) = set.get(attr) else {
            return Ok(Vec::new());
        };
        let width = match element.vr.as_ref() {
            Some(b"US") | Some(b"SS") => 2,
            Some(b"UL") | Some(b"SL") => 4,
            Some(b"IS") => {
                let text = self.text(set, attr).unwrap_or_default();
                return text
                    .split('\\')
                    .map(|v| {
                        v.trim()
                            .parse::<u32>()
                            .map_err(|_| invalid(attr, context, element, v, "an unsigned integer"))
                    })
                    .collect();
            }
            _ => width,
        };
        let bytes = self.bytes(element);
        if !bytes.len().is_multiple_of(width) {
            return Err(invalid(
                attr,
                context,
                element,
                &format!("{} bytes", bytes.len()),
                "a whole number of unsigned integers",
            ));
        }
        Ok(bytes
            .chunks_exact(width)
            .map(|c| match c {
                [a, b] => u32::from(u16::from_le_bytes([*a, *b])),
                [a, b, c, d] => u32::from_le_bytes([*a, *b, *c, *d]),
                _ => 0,
            })
            .collect())
    }

    /// A required single unsigned integer.
    pub fn required_unsigned(
        &self,
        set: &DataSet,
        attr: Attr,
        width: usize,
        context: &str,
    ) -> Result<u32> {
        self.unsigned(set, attr, width, context)?
            .first()
            .copied()
            .ok_or_else(|| missing(attr, context))
    }

    /// A date (`DA`, `YYYYMMDD`; the old `YYYY.MM.DD` is accepted).
    pub fn date(&self, set: &DataSet, attr: Attr) -> Option<NaiveDate> {
        parse_date(&self.text(set, attr)?)
    }

    /// A time (`TM`, `HH[MM[SS[.F{1,6}]]]`; the old `HH:MM:SS` is accepted).
    pub fn time(&self, set: &DataSet, attr: Attr) -> Option<NaiveTime> {
        parse_time(&self.text(set, attr)?)
    }

    /// A date-time (`DT`, `YYYYMMDD[HHMMSS[.F]][&ZZXX]`), the offset ignored.
    pub fn datetime(&self, set: &DataSet, attr: Attr) -> Option<(NaiveDate, Option<NaiveTime>)> {
        let text = self.text(set, attr)?;
        let local = text.split(['+', '-']).next().unwrap_or(&text);
        let date = parse_date(local.get(..8)?)?;
        let time = local
            .get(8..)
            .filter(|t| !t.is_empty())
            .and_then(parse_time);
        Some((date, time))
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    let digits: String = text.chars().filter(|c| *c != '.').collect();
    if digits.len() != 8 {
        return None;
    }
    NaiveDate::parse_from_str(&digits, "%Y%m%d").ok()
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    let text: String = text.chars().filter(|c| *c != ':').collect();
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text.as_str(), ""),
    };
    let field = |r: std::ops::Range<usize>| -> Option<u32> {
        match whole.get(r) {
            Some(s) if !s.is_empty() => s.parse().ok(),
            _ => Some(0),
        }
    };
    if whole.len() < 2 || !whole.len().is_multiple_of(2) || whole.len() > 6 {
        return None;
    }
    let nanos = if fraction.is_empty() {
        0
    } else {
        let digits = fraction.get(..fraction.len().min(6))?;
        let micros: u32 = digits.parse().ok()?;
        micros * 10u32.pow(6 - digits.len() as u32) * 1000
    };
    NaiveTime::from_hms_nano_opt(field(0..2)?, field(2..4)?, field(4..6)?, nanos)
}

/// A [`Error::MissingElement`].
pub(crate) fn missing(attr: Attr, context: &str) -> Error {
    Error::MissingElement {
        tag: Tag(attr.0),
        name: attr.1,
        context: context.to_string(),
    }
}

/// An [`Error::InvalidValue`] for `element`.
pub(crate) fn invalid(
    attr: Attr,
    context: &str,
    element: &Element,
    found: &str,
    expected: &'static str,
) -> Error {
    Error::InvalidValue {
        tag: Tag(attr.0),
        name: attr.1,
        context: context.to_string(),
        offset: element.offset as u64,
        found: found.chars().take(40).collect::<String>().into_boxed_str(),
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times() {
        assert_eq!(parse_date("19901001").unwrap().to_string(), "1990-10-01");
        assert_eq!(parse_date("1990.10.01").unwrap().to_string(), "1990-10-01");
        assert_eq!(parse_date("1990"), None);
        assert_eq!(parse_time("095959").unwrap().to_string(), "09:59:59");
        assert_eq!(parse_time("0959").unwrap().to_string(), "09:59:00");
        assert_eq!(parse_time("235959.5").unwrap().to_string(), "23:59:59.500");
        assert_eq!(parse_time("10:15:30").unwrap().to_string(), "10:15:30");
        assert_eq!(parse_time("25"), None);
        assert_eq!(parse_time("1"), None);
    }
}
