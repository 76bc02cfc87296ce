//! WFDB header (`.hea`) parsing: the record line, signal lines, segment lines of
//! multi-segment records, and `#` comment lines.
//!
//! The syntax follows PhysioNet's `header(5)` manual page and the WFDB library's
//! `readheader()`: fields are separated by spaces or tabs, lines end in `\n` or `\r\n`,
//! empty lines and `#` lines may appear anywhere, trailing fields may be omitted (their
//! defaults are those of the WFDB library), and bytes that are not UTF-8 are read as
//! Latin-1 (PhysioNet headers write `µV` that way).

use ecg_core::chrono::{NaiveDate, NaiveTime};

use crate::error::{Error, Result};
use crate::signal_format::SignalFormat;

/// Largest header accepted (multi-segment headers with thousands of segments stay far
/// below it); larger "headers" are refused before they are scanned.
pub const MAX_HEADER_BYTES: usize = 16 << 20;

/// Most signals a header may announce. WFDB sets no limit; real records have a few
/// hundred at most, and each signal costs memory before any sample is read.
pub const MAX_SIGNALS: usize = 65_536;

/// Most segments a multi-segment header may announce.
pub const MAX_SEGMENTS: usize = 1_000_000;

/// Default frame rate when the record line omits it (WFDB_DEFFREQ).
pub const DEFAULT_FREQUENCY: f64 = 250.0;

/// Gain used for physical values when a signal's gain is 0 (uncalibrated; WFDB_DEFGAIN).
pub const DEFAULT_GAIN: f64 = 200.0;

/// A parsed header: the record line plus either signal lines or segment lines.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    /// Name of the header file (used in error messages).
    pub file: String,
    /// Record name from the record line.
    pub record_name: String,
    /// Number of segments, for a multi-segment record (`name/N` on the record line).
    pub segment_count: Option<usize>,
    /// Number of signals the record line states.
    pub signal_count: usize,
    /// Frames per second (250 when omitted).
    pub frame_frequency: f64,
    /// Counter frequency (`/F` after the frame rate), when given.
    pub counter_frequency: Option<f64>,
    /// Base counter value (`(B)` after the counter frequency), when given.
    pub base_counter: Option<f64>,
    /// Number of frames (samples per signal), when given.
    pub frames: Option<u64>,
    /// Base time (time of day of sample 0), when given.
    pub base_time: Option<NaiveTime>,
    /// Base date, when given.
    pub base_date: Option<NaiveDate>,
    /// Signal lines (empty for a multi-segment master header).
    pub signals: Vec<SignalSpec>,
    /// Segment lines of a multi-segment master header.
    pub segments: Vec<SegmentSpec>,
    /// Comment lines (`#` stripped, trimmed), in file order.
    pub comments: Vec<String>,
    /// 1-based line number of the record line.
    pub record_line: usize,
    /// Things tolerated while parsing (ignored lines).
    pub warnings: Vec<String>,
}

/// One signal line.
#[derive(Clone, Debug, PartialEq)]
pub struct SignalSpec {
    /// Signal file name (`~` or any name for null signals of format 0).
    pub file_name: String,
    /// Storage format.
    pub format: SignalFormat,
    /// The format field as written (`212x4:3+24`).
    pub format_field: String,
    /// Samples per frame (1 unless `xN` is given).
    pub samples_per_frame: u32,
    /// Skew in samples as written (`:N`).
    pub skew: u64,
    /// Byte offset of sample 0 in the signal file (`+N`; a sample offset for FLAC).
    pub byte_offset: u64,
    /// ADC units per physical unit; 0 means uncalibrated.
    pub gain: f64,
    /// Digital value of physical zero (defaults to the ADC zero).
    pub baseline: i32,
    /// True when the baseline was written (`gain(baseline)`).
    pub baseline_given: bool,
    /// Physical units, when given (WFDB assumes millivolts otherwise).
    pub units: Option<String>,
    /// ADC resolution in bits (defaults by format as the WFDB library does).
    pub adc_resolution: u32,
    /// True when the ADC resolution was written.
    pub adc_resolution_given: bool,
    /// ADC zero.
    pub adc_zero: i32,
    /// Initial value (first sample; the start of format 8 differences).
    pub initial_value: i32,
    /// Checksum (16-bit sum of the samples), when given.
    pub checksum: Option<i32>,
    /// Block size in bytes (0: not blocked).
    pub block_size: i64,
    /// Description (signal name), when given.
    pub description: Option<String>,
    /// 1-based line number.
    pub line: usize,
}

impl SignalSpec {
    /// Skew in frames, rounded as the WFDB library does (`skew / spf + 0.5`).
    pub fn skew_frames(&self) -> u64 {
        let spf = u64::from(self.samples_per_frame.max(1));
        (self.skew + spf / 2) / spf
    }

    /// The description, or `record NAME, signal N` as the WFDB library fills it in.
    pub fn label(&self, record: &str, index: usize) -> String {
        match &self.description {
            Some(d) => d.clone(),
            None => format!("record {record}, signal {index}"),
        }
    }

    /// The gain used for physical values (the WFDB default for uncalibrated signals).
    pub fn effective_gain(&self) -> f64 {
        if self.gain == 0.0 || !self.gain.is_finite() {
            DEFAULT_GAIN
        } else {
            self.gain
        }
    }
}

/// One segment line of a multi-segment master header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentSpec {
    /// Segment record name; `~` for a null segment (a gap).
    pub name: String,
    /// Length in frames.
    pub frames: u64,
    /// 1-based line number.
    pub line: usize,
}

impl SegmentSpec {
    /// True for a `~` null segment.
    pub fn is_null(&self) -> bool {
        self.name == "~"
    }
}

impl Header {
    /// True for a multi-segment master header.
    pub fn is_multi_segment(&self) -> bool {
        self.segment_count.is_some()
    }
}

/// One line of the header, decoded to text, with its 1-based number.
struct Line<'a> {
    number: usize,
    text: std::borrow::Cow<'a, str>,
}

/// Decodes bytes as UTF-8, or as Latin-1 when they are not valid UTF-8.
fn decode_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = Line<'_>> {
    bytes.split(|&b| b == b'\n').enumerate().map(|(i, l)| {
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        Line {
            number: i + 1,
            text: decode_text(l),
        }
    })
}

/// Splits off the first whitespace-separated token: `(token, rest)`.
fn next_token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches([' ', '\t', '\r']);
    if s.is_empty() {
        return None;
    }
    let end = s.find([' ', '\t', '\r']).unwrap_or(s.len());
    Some((&s[..end], &s[end..]))
}

fn is_comment(text: &str) -> bool {
    text.trim_start().starts_with('#')
}

fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

fn comment_text(text: &str) -> String {
    text.trim_start().trim_start_matches('#').trim().to_string()
}

/// Parses a whole header file. `file` is its name, used in errors.
pub fn parse_header(file: &str, bytes: &[u8]) -> Result<Header> {
    if bytes.len() > MAX_HEADER_BYTES {
        return Err(Error::limit(
            file,
            "header size in bytes",
            bytes.len() as u64,
            MAX_HEADER_BYTES as u64,
        ));
    }
    let mut comments = Vec::new();
    let mut warnings = Vec::new();
    let mut it = lines(bytes);
    let mut last_line = 0;

    // The record line: the first line that is neither empty nor a comment.
    let record = loop {
        let Some(line) = it.next() else {
            return Err(Error::header(
                file,
                last_line.max(1),
                "no record line (the header is empty or holds only comments)",
            ));
        };
        last_line = line.number;
        if is_blank(&line.text) {
            continue;
        }
        if is_comment(&line.text) {
            let c = comment_text(&line.text);
            if !c.starts_with("wfdb") {
                comments.push(c);
            }
            continue;
        }
        break line;
    };
    let mut header = parse_record_line(file, record.number, &record.text)?;
    if header.signal_count > MAX_SIGNALS {
        return Err(Error::limit(
            file,
            "signals announced by the record line",
            header.signal_count as u64,
            MAX_SIGNALS as u64,
        ));
    }
    if let Some(n) = header.segment_count
        && n > MAX_SEGMENTS
    {
        return Err(Error::limit(
            file,
            "segments announced by the record line",
            n as u64,
            MAX_SEGMENTS as u64,
        ));
    }

    if let Some(count) = header.segment_count {
        while header.segments.len() < count {
            let Some(line) = it.next() else {
                return Err(Error::header(
                    file,
                    last_line.max(1),
                    format!(
                        "the record line announces {count} segments but the header ends \
                         after {}",
                        header.segments.len()
                    ),
                ));
            };
            last_line = line.number;
            if is_blank(&line.text) {
                continue;
            }
            if is_comment(&line.text) {
                comments.push(comment_text(&line.text));
                continue;
            }
            header
                .segments
                .push(parse_segment_line(file, line.number, &line.text)?);
        }
    } else {
        let count = header.signal_count;
        while header.signals.len() < count {
            let Some(line) = it.next() else {
                return Err(Error::header(
                    file,
                    last_line.max(1),
                    format!(
                        "the record line announces {count} signals but the header ends \
                         after {}",
                        header.signals.len()
                    ),
                ));
            };
            last_line = line.number;
            if is_blank(&line.text) {
                continue;
            }
            if is_comment(&line.text) {
                comments.push(comment_text(&line.text));
                continue;
            }
            let spec = parse_signal_line(file, line.number, &line.text)?;
            if let Some(prev) = header.signals.last()
                && prev.file_name == spec.file_name
                && (prev.format != spec.format || prev.block_size != spec.block_size)
            {
                return Err(Error::header(
                    file,
                    line.number,
                    format!(
                        "signals in one file must share format and block size: `{}` is \
                         format {} with block size {} on line {}, format {} with block \
                         size {} here",
                        spec.file_name,
                        prev.format.code(),
                        prev.block_size,
                        prev.line,
                        spec.format.code(),
                        spec.block_size
                    ),
                ));
            }
            header.signals.push(spec);
        }
    }

    for line in it {
        if is_blank(&line.text) {
            continue;
        }
        if is_comment(&line.text) {
            comments.push(comment_text(&line.text));
        } else {
            warnings.push(format!(
                "{file}, line {}: ignored a line after the last {} line",
                line.number,
                if header.segment_count.is_some() {
                    "segment"
                } else {
                    "signal"
                }
            ));
        }
    }
    header.comments = comments;
    header.warnings = warnings;
    Ok(header)
}

/// Parses only as much as needed to tell whether `bytes` starts like a header: a record
/// line that parses, after optional comments.
pub fn parse_record_line_only(file: &str, bytes: &[u8]) -> Result<Header> {
    let head = &bytes[..bytes.len().min(64 << 10)];
    for line in lines(head) {
        if is_blank(&line.text) || is_comment(&line.text) {
            continue;
        }
        return parse_record_line(file, line.number, &line.text);
    }
    Err(Error::header(file, 1, "no record line"))
}

fn parse_record_line(file: &str, number: usize, text: &str) -> Result<Header> {
    let err = |m: String| Error::header(file, number, m);
    let (name_field, rest) =
        next_token(text).ok_or_else(|| err("empty record line".to_string()))?;
    let (record_name, segment_count) = match name_field.split_once('/') {
        Some((n, s)) => {
            let count: usize = s.parse().map_err(|_| {
                err(format!(
                    "segment count `{s}` after the record name is not a number"
                ))
            })?;
            (n.to_string(), Some(count))
        }
        None => (name_field.to_string(), None),
    };
    if record_name.is_empty() {
        return Err(err("empty record name".to_string()));
    }
    if record_name.bytes().any(|b| b.is_ascii_control()) {
        return Err(err(format!(
            "record name `{}` holds control characters",
            record_name.escape_debug()
        )));
    }
    let (nsig, rest) = next_token(rest).ok_or_else(|| {
        err(format!(
            "the record line `{}` has no signal count (old-style headers are not supported)",
            text.trim()
        ))
    })?;
    let signal_count: usize = nsig
        .parse()
        .map_err(|_| err(format!("signal count `{nsig}` is not a number")))?;

    let mut header = Header {
        file: file.to_string(),
        record_name,
        segment_count,
        signal_count,
        frame_frequency: DEFAULT_FREQUENCY,
        counter_frequency: None,
        base_counter: None,
        frames: None,
        base_time: None,
        base_date: None,
        signals: Vec::new(),
        segments: Vec::new(),
        comments: Vec::new(),
        record_line: number,
        warnings: Vec::new(),
    };

    let Some((freq, rest)) = next_token(rest) else {
        return Ok(header);
    };
    let (frame, counter) = match freq.split_once('/') {
        Some((f, c)) => (f, Some(c)),
        None => (freq, None),
    };
    let f: f64 = frame
        .parse()
        .map_err(|_| err(format!("sampling frequency `{frame}` is not a number")))?;
    if !(f > 0.0 && f.is_finite()) {
        return Err(err(format!("sampling frequency `{frame}` is not positive")));
    }
    header.frame_frequency = f;
    if let Some(c) = counter {
        let (cf, base) = match c.split_once('(') {
            Some((cf, b)) => (cf, Some(b.strip_suffix(')').unwrap_or(b))),
            None => (c, None),
        };
        let cfv: f64 = cf
            .parse()
            .map_err(|_| err(format!("counter frequency `{cf}` is not a number")))?;
        if !(cfv > 0.0 && cfv.is_finite()) {
            return Err(err(format!("counter frequency `{cf}` is not positive")));
        }
        header.counter_frequency = Some(cfv);
        if let Some(b) = base {
            let bv: f64 = b
                .parse()
                .map_err(|_| err(format!("base counter value `{b}` is not a number")))?;
            if !bv.is_finite() {
                return Err(err(format!("base counter value `{b}` is not finite")));
            }
            header.base_counter = Some(bv);
        }
    }

    let Some((nsamp, rest)) = next_token(rest) else {
        return Ok(header);
    };
    let frames: u64 = nsamp.parse().map_err(|_| {
        err(format!(
            "number of samples per signal `{nsamp}` is not a non-negative integer"
        ))
    })?;
    header.frames = Some(frames);

    let mut rest = rest;
    while let Some((tok, r)) = next_token(rest) {
        rest = r;
        if tok.contains('/') {
            if header.base_date.is_some() {
                return Err(err(format!("second base date `{tok}`")));
            }
            header.base_date =
                Some(parse_date(tok).ok_or_else(|| {
                    err(format!("base date `{tok}` is not a valid DD/MM/YYYY date"))
                })?);
        } else {
            if header.base_time.is_some() || header.base_date.is_some() {
                return Err(err(format!("unexpected field `{tok}` after the base time")));
            }
            header.base_time = Some(parse_time(tok).ok_or_else(|| {
                err(format!(
                    "base time `{tok}` is not a valid [[HH:]MM:]SS[.sss] time"
                ))
            })?);
        }
    }
    Ok(header)
}

/// Parses `HH:MM:SS[.fff]`, `MM:SS[.fff]` or `SS[.fff]`.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let (sec_part, rest) = parts.split_last()?;
    let mut hms = [0u32; 2];
    let offset = 2 - rest.len();
    for (i, p) in rest.iter().enumerate() {
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        hms[offset + i] = p.parse().ok()?;
    }
    let (whole, frac) = match sec_part.split_once('.') {
        Some((w, f)) => (w, f),
        None => (*sec_part, ""),
    };
    if whole.is_empty() || whole.len() > 2 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 9 {
        return None;
    }
    let sec: u32 = whole.parse().ok()?;
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        let digits: u32 = frac.parse().ok()?;
        digits * 10u32.pow(9 - frac.len() as u32)
    };
    NaiveTime::from_hms_nano_opt(hms[0], hms[1], sec, nanos)
}

/// Parses `DD/MM/YYYY`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let mut it = s.split('/');
    let d: u32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let y: i32 = it.next()?.parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

fn parse_segment_line(file: &str, number: usize, text: &str) -> Result<SegmentSpec> {
    let err = |m: String| Error::header(file, number, m);
    let (name, rest) = next_token(text).ok_or_else(|| err("empty segment line".into()))?;
    let (len, _) =
        next_token(rest).ok_or_else(|| err(format!("segment `{name}` has no length (frames)")))?;
    let frames: u64 = len.parse().map_err(|_| {
        err(format!(
            "length `{len}` of segment `{name}` is not a non-negative integer"
        ))
    })?;
    if name.contains(['/', '\\']) {
        return Err(err(format!(
            "segment name `{name}` must not contain a directory"
        )));
    }
    Ok(SegmentSpec {
        name: name.to_string(),
        frames,
        line: number,
    })
}

/// Default ADC resolution for a format when the field is omitted (as `readheader()`).
fn default_adc_resolution(format: SignalFormat) -> u32 {
    match format.code() {
        80 => 8,
        160 => 16,
        212 => 12,
        310 | 311 => 10,
        _ => 12,
    }
}

fn parse_signal_line(file: &str, number: usize, text: &str) -> Result<SignalSpec> {
    let err = |m: String| Error::header(file, number, m);
    let (file_name, rest) = next_token(text).ok_or_else(|| err("empty signal line".into()))?;
    if file_name.contains(['/', '\\']) {
        return Err(err(format!(
            "signal file name `{file_name}` must not contain a directory"
        )));
    }
    let (fmt_field, rest) = next_token(rest)
        .ok_or_else(|| err(format!("signal line for `{file_name}` has no format field")))?;

    // Format with its modifiers: FMT[xSPF][:SKEW][+OFFSET], modifiers in any order.
    let digits_end = fmt_field
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(fmt_field.len());
    let code = &fmt_field[..digits_end];
    let format = code
        .parse::<u32>()
        .ok()
        .and_then(SignalFormat::from_code)
        .ok_or_else(|| Error::UnknownFormat {
            file: file.to_string(),
            line: number,
            code: fmt_field.to_string(),
        })?;
    let mut spf: u32 = 1;
    let mut skew: u64 = 0;
    let mut offset: u64 = 0;
    let mut m = &fmt_field[digits_end..];
    while let Some(c) = m.chars().next() {
        let body = &m[c.len_utf8()..];
        let end = body
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(body.len());
        let digits = &body[..end];
        let bad = || {
            err(format!(
                "format field `{fmt_field}`: `{c}` must be followed by a non-negative integer"
            ))
        };
        if digits.is_empty() {
            return Err(bad());
        }
        match c {
            'x' => spf = digits.parse::<u32>().map_err(|_| bad())?.max(1),
            ':' => skew = digits.parse().map_err(|_| bad())?,
            '+' => offset = digits.parse().map_err(|_| bad())?,
            _ => {
                return Err(err(format!(
                    "format field `{fmt_field}`: unexpected `{c}` (expected x, : or +)"
                )));
            }
        }
        m = &body[end..];
    }

    let mut spec = SignalSpec {
        file_name: file_name.to_string(),
        format,
        format_field: fmt_field.to_string(),
        samples_per_frame: spf,
        skew,
        byte_offset: offset,
        gain: 0.0,
        baseline: 0,
        baseline_given: false,
        units: None,
        adc_resolution: default_adc_resolution(format),
        adc_resolution_given: false,
        adc_zero: 0,
        initial_value: 0,
        checksum: None,
        block_size: 0,
        description: None,
        line: number,
    };
    let mut initial_given = false;
    let finish = |mut spec: SignalSpec, initial_given: bool| {
        if !spec.baseline_given {
            spec.baseline = spec.adc_zero;
        }
        if !initial_given {
            spec.initial_value = spec.adc_zero;
        }
        spec
    };

    // Gain, baseline and units: GAIN[(BASELINE)][/UNITS].
    let Some((gain_field, rest)) = next_token(rest) else {
        return Ok(finish(spec, initial_given));
    };
    let gain_end = gain_field.find(['(', '/']).unwrap_or(gain_field.len());
    let gain_str = &gain_field[..gain_end];
    spec.gain = if gain_str.is_empty() {
        0.0
    } else {
        gain_str.parse().map_err(|_| {
            err(format!(
                "gain `{gain_str}` in `{gain_field}` is not a number"
            ))
        })?
    };
    if !spec.gain.is_finite() {
        return Err(err(format!("gain `{gain_str}` is not finite")));
    }
    let mut after = &gain_field[gain_end..];
    if let Some(b) = after.strip_prefix('(') {
        let close = b.find(')').ok_or_else(|| {
            err(format!(
                "baseline in `{gain_field}` has no closing parenthesis"
            ))
        })?;
        let bstr = &b[..close];
        spec.baseline = parse_i32(bstr).ok_or_else(|| {
            err(format!(
                "baseline `{bstr}` in `{gain_field}` is not an integer"
            ))
        })?;
        spec.baseline_given = true;
        after = &b[close + 1..];
    }
    if let Some(u) = after.strip_prefix('/') {
        if !u.is_empty() {
            spec.units = Some(u.to_string());
        }
    } else if !after.is_empty() {
        return Err(err(format!(
            "unexpected `{after}` after the gain in `{gain_field}`"
        )));
    }

    // ADC resolution, ADC zero, initial value, checksum, block size.
    let Some((res, rest)) = next_token(rest) else {
        return Ok(finish(spec, initial_given));
    };
    spec.adc_resolution = res.parse().map_err(|_| {
        err(format!(
            "ADC resolution `{res}` is not a non-negative integer"
        ))
    })?;
    spec.adc_resolution_given = true;
    let Some((zero, rest)) = next_token(rest) else {
        return Ok(finish(spec, initial_given));
    };
    spec.adc_zero =
        parse_i32(zero).ok_or_else(|| err(format!("ADC zero `{zero}` is not an integer")))?;
    let Some((init, rest)) = next_token(rest) else {
        return Ok(finish(spec, initial_given));
    };
    spec.initial_value =
        parse_i32(init).ok_or_else(|| err(format!("initial value `{init}` is not an integer")))?;
    initial_given = true;
    let Some((cks, rest)) = next_token(rest) else {
        return Ok(finish(spec, initial_given));
    };
    let cks_value: i64 = cks
        .parse()
        .map_err(|_| err(format!("checksum `{cks}` is not an integer")))?;
    spec.checksum = Some(i32::from(cks_value as u16 as i16));
    let Some((bsize, rest)) = next_token(rest) else {
        return Ok(finish(spec, initial_given));
    };
    spec.block_size = bsize
        .parse()
        .map_err(|_| err(format!("block size `{bsize}` is not an integer")))?;
    let desc = rest.trim();
    if !desc.is_empty() {
        spec.description = Some(desc.to_string());
    }
    Ok(finish(spec, initial_given))
}

fn parse_i32(s: &str) -> Option<i32> {
    s.strip_prefix('+').unwrap_or(s).parse().ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn record_line_with_everything() {
        let h = parse_header(
            "x.hea",
            b"# lead comment\r\nx/3 2 360/720(1000.5) 650000 12:44:02.250 10/12/2009\r\n\
              a 10\r\n~ 5\r\nb 20\r\n# trailing\r\n",
        )
        .unwrap();
        assert_eq!(h.record_name, "x");
        assert_eq!(h.segment_count, Some(3));
        assert_eq!(h.signal_count, 2);
        assert_eq!(h.frame_frequency, 360.0);
        assert_eq!(h.counter_frequency, Some(720.0));
        assert_eq!(h.base_counter, Some(1000.5));
        assert_eq!(h.frames, Some(650000));
        assert_eq!(h.base_time, NaiveTime::from_hms_milli_opt(12, 44, 2, 250));
        assert_eq!(h.base_date, NaiveDate::from_ymd_opt(2009, 12, 10));
        assert_eq!(h.segments.len(), 3);
        assert!(h.segments[1].is_null());
        assert_eq!(h.segments[2].line, 5);
        assert_eq!(h.comments, vec!["lead comment", "trailing"]);
    }

    #[test]
    fn signal_line_fields_and_defaults() {
        let h = parse_header(
            "r.hea",
            b"r 3 250\n\
              r.dat 212x4:3+24 200(1024)/mV 11 1024 995 -22131 0 MLII lead \n\
              r.dat 212 1.052e+04/mV\n\
              r.dat 212\n",
        )
        .unwrap();
        let s = &h.signals[0];
        assert_eq!(s.format, SignalFormat::Packed212);
        assert_eq!((s.samples_per_frame, s.skew, s.byte_offset), (4, 3, 24));
        assert_eq!(s.skew_frames(), 1);
        assert_eq!(
            (s.gain, s.baseline, s.units.as_deref()),
            (200.0, 1024, Some("mV"))
        );
        assert_eq!(
            (s.adc_resolution, s.adc_zero, s.initial_value),
            (11, 1024, 995)
        );
        assert_eq!(s.checksum, Some(-22131));
        assert_eq!(s.description.as_deref(), Some("MLII lead"));
        let s = &h.signals[1];
        assert_eq!((s.gain, s.baseline, s.adc_resolution), (10520.0, 0, 12));
        assert_eq!(s.checksum, None);
        let s = &h.signals[2];
        assert_eq!((s.gain, s.effective_gain()), (0.0, DEFAULT_GAIN));
        assert_eq!(s.label("r", 2), "record r, signal 2");
        assert_eq!(h.frames, None);
    }

    #[test]
    fn checksums_are_sixteen_bit() {
        let h = parse_header("r.hea", b"r 1 250 10\nr.dat 16 200 16 0 0 65135 0 x\n").unwrap();
        assert_eq!(h.signals[0].checksum, Some(-401));
    }

    #[test]
    fn latin1_units() {
        let h = parse_header("r.hea", b"r 1 1 600\nr.dat 16 32.7675/\xb5V 15 0 0 0 0 x\n").unwrap();
        assert_eq!(h.signals[0].units.as_deref(), Some("\u{b5}V"));
    }

    #[test]
    fn times() {
        assert_eq!(
            parse_time("31:25.894"),
            NaiveTime::from_hms_milli_opt(0, 31, 25, 894)
        );
        assert_eq!(parse_time("8:26:04"), NaiveTime::from_hms_opt(8, 26, 4));
        assert_eq!(parse_time("5"), NaiveTime::from_hms_opt(0, 0, 5));
        assert_eq!(parse_time("25:00:00"), None);
        assert_eq!(parse_time("1:2:3:4"), None);
        assert_eq!(parse_time("ab"), None);
        assert_eq!(
            parse_date("09/10/2896"),
            NaiveDate::from_ymd_opt(2896, 10, 9)
        );
        assert_eq!(parse_date("31/02/2000"), None);
    }

    #[test]
    fn errors_name_the_line() {
        let cases: &[(&[u8], usize, &str)] = &[
            (b"", 1, "no record line"),
            (b"# only\n", 2, "no record line"),
            (b"r\n", 1, "no signal count"),
            (b"r x\n", 1, "signal count"),
            (b"r 1 -5\n", 1, "not positive"),
            (b"r 1 abc\n", 1, "not a number"),
            (b"r 1 250 -1\n", 1, "non-negative"),
            (b"r 1 250 10 99:99\n", 1, "base time"),
            (b"r 1 250 10 10:00 40/40/2000\n", 1, "base date"),
            (b"r 2 250\nr.dat 16\n", 3, "announces 2 signals"),
            (b"r 1 250\nr.dat 16 abc\n", 2, "gain"),
            (b"r 1 250\nr.dat 16 200(1 11\n", 2, "closing"),
            (b"r 1 250\nr.dat 16x 200\n", 2, "format field"),
            (b"r 1 250\nr.dat 16 200 a\n", 2, "ADC resolution"),
            (b"r 1 250\n../r.dat 16\n", 2, "directory"),
            (b"r 2 250\nr.dat 16\nr.dat 212\n", 3, "share format"),
            (b"r/2 1 250\nseg 10\n", 3, "announces 2 segments"),
            (b"r/1 1 250\nseg\n", 2, "no length"),
        ];
        for (text, line, what) in cases {
            let e = parse_header("r.hea", text).unwrap_err();
            let msg = e.to_string();
            match &e {
                Error::Header { line: l, .. } => assert_eq!(l, line, "{msg}"),
                other => panic!("unexpected {other:?}"),
            }
            assert!(msg.contains(what), "{msg} lacks {what}");
            assert!(msg.starts_with("r.hea, line"), "{msg}");
        }
        // Non-ASCII after the format code (found by fuzzing: a slice inside a character).
        let e = parse_header("r.hea", b"r 1 250\nr.dat 311\xcd 200\n").unwrap_err();
        assert!(matches!(e, Error::Header { line: 2, .. }), "{e}");
        let e = parse_header("r.hea", b"r 1 250\nr.dat 999\n").unwrap_err();
        assert!(matches!(e, Error::UnknownFormat { line: 2, .. }), "{e}");
        assert_eq!(e.to_string(), "r.hea, line 2: unknown signal format `999`");
    }

    #[test]
    fn huge_headers_are_refused_before_scanning() {
        let big = vec![b' '; MAX_HEADER_BYTES + 1];
        assert!(matches!(
            parse_header("r.hea", &big),
            Err(Error::LimitExceeded { .. })
        ));
    }
}
