//! Cell parsing: splitting a line into cells and reading a cell as an exact decimal
//! (`mantissa * 10^-decimals`), a missing-value marker or an ISO timestamp, without
//! allocating.

/// What one cell holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cell {
    /// A decimal number `mantissa * 10^-decimals` (trailing zeros removed, `decimals >= 0`).
    Number {
        /// Digits with the sign.
        mantissa: i64,
        /// Digits after the decimal separator.
        decimals: u32,
    },
    /// Empty, `NaN`, `NA`, `N/A`, `null`, `none` or `-`.
    Missing,
    /// Anything else.
    Text,
}

/// Largest number of significant digits kept in a mantissa (more are dropped, the value
/// rounded toward zero: an f64 does not hold more either).
const MAX_DIGITS: u32 = 18;

/// How cells are separated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delimiter {
    /// One byte (`,`, `;`, tab).
    Byte(u8),
    /// Runs of spaces (and tabs) separate cells; leading and trailing blanks are ignored.
    Blanks,
    /// A single column: the whole line is one cell.
    None,
}

impl Delimiter {
    /// The name stored in `readings.other["csv_delimiter"]`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Delimiter::Byte(b',') => "comma",
            Delimiter::Byte(b';') => "semicolon",
            Delimiter::Byte(b'\t') => "tab",
            Delimiter::Byte(_) => "other",
            Delimiter::Blanks => "space",
            Delimiter::None => "none",
        }
    }
}

#[inline]
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Splits `line` into cells. Each call returns the next cell (trimmed of blanks, without
/// surrounding double quotes) and its offset in `line`, or `None` after the last cell.
pub(crate) struct Cells<'a> {
    line: &'a [u8],
    pos: usize,
    delimiter: Delimiter,
    done: bool,
}

impl<'a> Cells<'a> {
    /// Cells of one line (no line terminator).
    #[inline]
    pub(crate) fn new(line: &'a [u8], delimiter: Delimiter) -> Self {
        let mut cells = Cells {
            line,
            pos: 0,
            delimiter,
            done: false,
        };
        if delimiter == Delimiter::Blanks {
            while cells.pos < line.len() && is_blank(line[cells.pos]) {
                cells.pos += 1;
            }
            cells.done = cells.pos >= line.len();
        }
        cells
    }
}

impl<'a> Iterator for Cells<'a> {
    type Item = (&'a [u8], usize);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let line = self.line;
        let mut start = self.pos;
        match self.delimiter {
            Delimiter::Blanks => {
                let mut end = start;
                if line.get(start) == Some(&b'"') {
                    end = quoted_end(line, start);
                }
                while end < line.len() && !is_blank(line[end]) {
                    end += 1;
                }
                let mut next = end;
                while next < line.len() && is_blank(line[next]) {
                    next += 1;
                }
                self.pos = next;
                self.done = next >= line.len();
                Some((unquote(&line[start..end]), start))
            }
            Delimiter::Byte(d) => {
                while start < line.len() && line[start] == b' ' && d != b' ' {
                    start += 1;
                }
                let mut end = start;
                if line.get(start) == Some(&b'"') {
                    end = quoted_end(line, start);
                }
                while end < line.len() && line[end] != d {
                    end += 1;
                }
                if end >= line.len() {
                    self.done = true;
                } else {
                    self.pos = end + 1;
                }
                Some((unquote(trim(&line[start..end])), start))
            }
            Delimiter::None => {
                self.done = true;
                Some((unquote(trim(line)), 0))
            }
        }
    }
}

impl Cells<'_> {
    /// Fast path for a byte delimiter: when the next cell is a plain decimal written
    /// without blanks, quotes or exponent (`[+-]digits[sep digits]`, at most 18 digits)
    /// and ends at the delimiter or the end of the line, consumes it and returns
    /// `(mantissa, decimals, start, end)`: the value as written (trailing zeros kept: see
    /// [`normalise`]) and where the cell is in the line. The cell it reads is the one
    /// [`Iterator::next`] would give, and [`parse_cell`] would read the same value from
    /// it. Otherwise returns `None` and consumes nothing.
    #[inline]
    pub(crate) fn next_plain_number(&mut self, decimal: u8) -> Option<(i64, u32, usize, usize)> {
        let Delimiter::Byte(delimiter) = self.delimiter else {
            return None;
        };
        if self.done || delimiter == decimal || delimiter == b' ' {
            return None;
        }
        let start = self.pos;
        let (mantissa, decimals, end) = plain_number(self.line, start, delimiter, decimal)?;
        if end >= self.line.len() {
            self.done = true;
        } else {
            self.pos = end + 1;
        }
        Some((mantissa, decimals, start, end))
    }
}

/// Reads `[+-]digits[decimal digits]` at `start` that ends at `delimiter` or the end of
/// `line`: `(mantissa, decimals, end)` with `end` the index of the delimiter (or
/// `line.len()`), `None` for anything else (no digit, more than 18 digits, other bytes).
#[inline]
fn plain_number(
    line: &[u8],
    start: usize,
    delimiter: u8,
    decimal: u8,
) -> Option<(i64, u32, usize)> {
    const MAX_PLAIN_DIGITS: usize = MAX_DIGITS as usize;
    let n = line.len();
    let mut i = start;
    let negative = take_sign(line, &mut i);
    let mut mantissa: i64 = 0;
    let int_digits = take_digits(line, &mut i, MAX_PLAIN_DIGITS, &mut mantissa);
    let mut frac_digits = 0;
    if i < n && line[i] == decimal {
        i += 1;
        frac_digits = take_digits(line, &mut i, MAX_PLAIN_DIGITS - int_digits, &mut mantissa);
    }
    if int_digits + frac_digits == 0 || (i < n && line[i] != delimiter) {
        // Not plain (or a 19th digit, an exponent, a blank...): the general path decides.
        return None;
    }
    let mantissa = if negative { -mantissa } else { mantissa };
    Some((mantissa, frac_digits as u32, i))
}

/// Appends the decimal digits at `*i` (at most `max` of them) to `mantissa`, moving `*i`
/// past them; returns how many there were.
#[inline(always)]
fn take_digits(line: &[u8], i: &mut usize, max: usize, mantissa: &mut i64) -> usize {
    let start = *i;
    let stop = line.len().min(start + max);
    while *i < stop {
        let v = line[*i].wrapping_sub(b'0');
        if v > 9 {
            break;
        }
        *mantissa = *mantissa * 10 + i64::from(v);
        *i += 1;
    }
    *i - start
}

/// `(mantissa, decimals)` with trailing fractional zeros removed (`(0, 0)` for zero): the
/// form [`parse_cell`] gives.
#[inline]
pub(crate) fn normalise(mut mantissa: i64, mut decimals: u32) -> (i64, u32) {
    if mantissa == 0 {
        return (0, 0);
    }
    while decimals > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        decimals -= 1;
    }
    (mantissa, decimals)
}

/// Index just after the closing quote of a quoted cell starting at `start` (or the end of
/// the line when unterminated). Doubled quotes inside are skipped.
fn quoted_end(line: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < line.len() {
        if line[i] == b'"' {
            if line.get(i + 1) == Some(&b'"') {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    line.len()
}

#[inline]
fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if is_blank(*first) {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if is_blank(*last) {
            s = rest;
        } else {
            break;
        }
    }
    s
}

#[inline]
fn unquote(s: &[u8]) -> &[u8] {
    if s.len() >= 2 && s[0] == b'"' && s[s.len() - 1] == b'"' {
        trim(&s[1..s.len() - 1])
    } else {
        s
    }
}

/// Reads a cell as a number with `decimal` (`b'.'` or `b','`) as the decimal separator.
#[inline]
pub(crate) fn parse_cell(s: &[u8], decimal: u8) -> Cell {
    if s.is_empty() {
        return Cell::Missing;
    }
    match parse_number(s, decimal) {
        Some((mantissa, decimals)) => Cell::Number { mantissa, decimals },
        None if is_missing(s) => Cell::Missing,
        None => Cell::Text,
    }
}

/// `true` for the missing-value markers.
fn is_missing(s: &[u8]) -> bool {
    const MARKERS: [&[u8]; 7] = [b"nan", b"na", b"n/a", b"null", b"none", b"-", b"?"];
    s.len() <= 4 && MARKERS.iter().any(|m| s.eq_ignore_ascii_case(m))
}

/// Parses `[+-]digits[sep digits][(e|E)[+-]digits]` into `(mantissa, decimals)` with
/// trailing fractional zeros removed and `decimals >= 0`; `None` when the cell is not a
/// number or its value does not fit.
#[inline]
fn parse_number(s: &[u8], decimal: u8) -> Option<(i64, u32)> {
    let mut i = 0;
    let negative = match s.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut mantissa: i64 = 0;
    let mut digits = 0u32; // significant digits kept
    let mut seen_digit = false;
    let mut scale: i32 = 0; // value = mantissa * 10^-scale
    while i < s.len() && s[i].is_ascii_digit() {
        seen_digit = true;
        let d = i64::from(s[i] - b'0');
        if digits < MAX_DIGITS {
            mantissa = mantissa * 10 + d;
            if mantissa != 0 {
                digits += 1;
            }
        } else {
            scale -= 1; // integer digit dropped: value is 10x larger
        }
        i += 1;
    }
    if i < s.len() && s[i] == decimal {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() {
            seen_digit = true;
            if digits < MAX_DIGITS {
                mantissa = mantissa * 10 + i64::from(s[i] - b'0');
                scale += 1;
                if mantissa != 0 {
                    digits += 1;
                }
            }
            i += 1;
        }
    }
    if !seen_digit {
        return None;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        i += 1;
        let exp_negative = take_sign(s, &mut i);
        let start = i;
        let mut exp: i32 = 0;
        while i < s.len() && s[i].is_ascii_digit() {
            exp = exp
                .saturating_mul(10)
                .saturating_add(i32::from(s[i] - b'0'));
            i += 1;
        }
        if i == start {
            return None;
        }
        scale = if exp_negative {
            scale.saturating_add(exp)
        } else {
            scale.saturating_sub(exp)
        };
    }
    if i != s.len() {
        return None;
    }
    if mantissa == 0 {
        return Some((0, 0));
    }
    while scale > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    while scale < 0 {
        mantissa = mantissa.checked_mul(10)?;
        scale += 1;
    }
    if scale > 30 {
        // Below 1e-30 (in the file's unit): keep 30 decimals, rounding the rest away.
        let drop = (scale - 30) as u32;
        mantissa = if drop > 18 {
            0
        } else {
            round_div(mantissa, 10i64.pow(drop))
        };
        scale = 30;
    }
    Some((if negative { -mantissa } else { mantissa }, scale as u32))
}

/// `a / b` rounded half away from zero (`b > 0`).
#[inline]
pub(crate) fn round_div(a: i64, b: i64) -> i64 {
    let q = a / b;
    let r = a % b;
    if r.abs() * 2 >= b { q + a.signum() } else { q }
}

/// An ISO 8601 date and time: `YYYY-MM-DD[T ]hh:mm[:ss[.fff...]]` with an optional `Z` or
/// `+hh:mm` offset (the offset is ignored: the wall-clock time is the recording's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timestamp {
    /// Year, month, day.
    pub(crate) date: (i32, u32, u32),
    /// Nanoseconds since midnight.
    pub(crate) nanos_of_day: i64,
}

impl Timestamp {
    /// Nanoseconds since 1970-01-01T00:00 (wall clock), as `i128`: years 0000 to 9999
    /// are further from 1970 than an `i64` of nanoseconds reaches.
    pub(crate) fn nanos(&self) -> i128 {
        let (y, m, d) = self.date;
        i128::from(days_from_civil(y, m, d)) * 86_400_000_000_000 + i128::from(self.nanos_of_day)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits_at(s: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = s.get(at..at + n)?;
    let mut v = 0u32;
    for &b in part {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(b - b'0');
    }
    Some(v)
}

/// Parses an ISO 8601 timestamp cell.
pub(crate) fn parse_timestamp(s: &[u8]) -> Option<Timestamp> {
    if s.len() < 16 || s[4] != b'-' || s[7] != b'-' || !(s[10] == b'T' || s[10] == b' ') {
        return None;
    }
    let year = digits_at(s, 0, 4)? as i32;
    let month = digits_at(s, 5, 2)?;
    let day = digits_at(s, 8, 2)?;
    let hour = digits_at(s, 11, 2)?;
    if s[13] != b':' {
        return None;
    }
    let minute = digits_at(s, 14, 2)?;
    let mut i = 16;
    let mut second = 0;
    let mut frac_nanos: i64 = 0;
    if s.get(i) == Some(&b':') {
        second = digits_at(s, i + 1, 2)?;
        i += 3;
        if matches!(s.get(i), Some(b'.') | Some(b',')) {
            i += 1;
            let start = i;
            let mut scale = 100_000_000i64;
            while i < s.len() && s[i].is_ascii_digit() {
                frac_nanos += i64::from(s[i] - b'0') * scale;
                scale /= 10;
                i += 1;
            }
            if i == start {
                return None;
            }
        }
    }
    match &s[i..] {
        [] | [b'Z'] => {}
        [b'+' | b'-', rest @ ..] if rest.len() == 5 || rest.len() == 4 || rest.len() == 2 => {}
        _ => return None,
    }
    let valid_day = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > valid_day || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let nanos_of_day = (i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))
        * 1_000_000_000
        + frac_nanos;
    Some(Timestamp {
        date: (year, month, day),
        nanos_of_day,
    })
}

/// Skips a leading `-` or `+` at `*i`; true for `-`.
#[inline]
fn take_sign(bytes: &[u8], i: &mut usize) -> bool {
    match bytes.get(*i) {
        Some(b'-') => {
            *i += 1;
            true
        }
        Some(b'+') => {
            *i += 1;
            false
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str, d: u8) -> Cell {
        parse_cell(s.as_bytes(), d)
    }

    #[test]
    fn numbers() {
        let n = |mantissa, decimals| Cell::Number { mantissa, decimals };
        assert_eq!(num("0.125", b'.'), n(125, 3));
        assert_eq!(num("-0.120", b'.'), n(-12, 2));
        assert_eq!(num("+12", b'.'), n(12, 0));
        assert_eq!(num("1.5e-3", b'.'), n(15, 4));
        assert_eq!(num("2E2", b'.'), n(200, 0));
        assert_eq!(num("-0,5", b','), n(-5, 1));
        assert_eq!(num(".5", b'.'), n(5, 1));
        assert_eq!(num("5.", b'.'), n(5, 0));
        assert_eq!(num("0.000", b'.'), n(0, 0));
        assert_eq!(num("0,5", b'.'), Cell::Text);
        assert_eq!(num("1e", b'.'), Cell::Text);
        assert_eq!(num("e5", b'.'), Cell::Text);
        assert_eq!(num("-", b'.'), Cell::Missing);
        assert_eq!(num("NaN", b'.'), Cell::Missing);
        assert_eq!(num("", b'.'), Cell::Missing);
        assert_eq!(num("II", b'.'), Cell::Text);
        assert_eq!(num("1e999999999999", b'.'), Cell::Text);
        assert_eq!(num("1e-999999999999", b'.'), n(0, 30));
        assert_eq!(
            num("0.12345678901234567890123", b'.'),
            n(123456789012345678, 18)
        );
    }

    #[test]
    fn cells() {
        let split = |s: &str, d| {
            Cells::new(s.as_bytes(), d)
                .map(|(c, _)| String::from_utf8(c.to_vec()).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(split("a, b ,c", Delimiter::Byte(b',')), ["a", "b", "c"]);
        assert_eq!(split("1,2,", Delimiter::Byte(b',')), ["1", "2", ""]);
        assert_eq!(split("\"0,5\",\"1\"", Delimiter::Byte(b',')), ["0,5", "1"]);
        assert_eq!(split("  1   2\t3  ", Delimiter::Blanks), ["1", "2", "3"]);
        assert_eq!(split("", Delimiter::Byte(b',')), [""]);
        assert_eq!(split("   ", Delimiter::Blanks), Vec::<String>::new());
        assert_eq!(split(" x ", Delimiter::None), ["x"]);
    }

    #[test]
    fn timestamps() {
        let t = parse_timestamp(b"2024-02-29T23:59:59.125Z").unwrap();
        assert_eq!(t.date, (2024, 2, 29));
        assert_eq!(t.nanos_of_day, 86_399_125_000_000);
        let u = parse_timestamp(b"2024-03-01 00:00:00").unwrap();
        assert_eq!(u.nanos() - t.nanos(), 875_000_000);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert!(parse_timestamp(b"2023-02-29T00:00:00").is_none());
        assert!(parse_timestamp(b"2024-01-01T00:00:00+01:00").is_some());
        assert!(parse_timestamp(b"2024-01-01X00:00:00").is_none());
        assert!(parse_timestamp(b"2024-01-01T00:00:00.").is_none());
        // far from 1970 (past an i64 of nanoseconds): no overflow
        let far = parse_timestamp(b"9999-12-31T23:59:59").unwrap();
        let early = parse_timestamp(b"0000-01-01T00:00:00").unwrap();
        assert_eq!(far.nanos() - early.nanos(), 315_569_519_999_000_000_000);
    }
}
