//! Sniffing: is this a numeric table, and how is it written (delimiter, decimal
//! separator, header line, time column of ISO timestamps)?

use crate::number::{Cell, Cells, Delimiter, parse_cell, parse_timestamp};

/// Bytes looked at by the sniffer (and by [`crate::detect`]).
pub(crate) const SNIFF_BYTES: usize = 64 * 1024;
/// Lines of the window used to decide the dialect.
const SNIFF_LINES: usize = 200;
/// Data rows the sniffer must see to call the bytes a table.
const MIN_ROWS: usize = 2;

/// How a table is written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Dialect {
    /// Cell separator.
    pub delimiter: Delimiter,
    /// Decimal separator (`b'.'` or `b','`).
    pub decimal: u8,
    /// The header's cells, when the first line is a header.
    pub header: Option<Vec<String>>,
    /// 1-based line number of the header (0 when none).
    pub header_line: u64,
    /// Byte offset where data rows start (after the header).
    pub data_offset: usize,
    /// 1-based line number of `data_offset`.
    pub data_line: u64,
    /// Number of columns.
    pub columns: usize,
    /// The first column holds ISO 8601 timestamps.
    pub iso_time: bool,
    /// Comment lines (`#`, `%`, `//`) before the table, without the marker.
    pub comments: Vec<String>,
    /// Average length of the sniffed data lines (for capacity estimates).
    pub mean_line_bytes: f64,
}

/// One line of the sniff window.
struct Line<'a> {
    text: &'a [u8],
    offset: usize,
    number: u64,
}

/// Iterates over lines (terminated by `\n`, `\r\n` or the end), yielding the line without
/// its terminator, its byte offset and 1-based number.
pub(crate) fn lines(data: &[u8], start: usize, first_number: u64) -> LineIter<'_> {
    LineIter {
        data,
        pos: start,
        number: first_number,
    }
}

/// Line iterator (see [`lines`]).
pub(crate) struct LineIter<'a> {
    data: &'a [u8],
    pos: usize,
    number: u64,
}

impl<'a> Iterator for LineIter<'a> {
    type Item = (&'a [u8], usize, u64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.data.len() {
            return None;
        }
        let rest = &self.data[self.pos..];
        let (mut line, advance) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        if let [head @ .., b'\r'] = line {
            line = head;
        }
        let item = (line, self.pos, self.number);
        self.pos += advance;
        self.number += 1;
        Some(item)
    }
}

/// `true` for lines skipped everywhere: blank lines and comments.
#[inline]
pub(crate) fn is_skipped(line: &[u8]) -> bool {
    let mut i = 0;
    while i < line.len() && (line[i] == b' ' || line[i] == b'\t') {
        i += 1;
    }
    let rest = &line[i..];
    rest.is_empty() || rest[0] == b'#' || rest[0] == b'%' || rest.starts_with(b"//")
}

/// Length of a UTF-8 byte order mark at the start of `data` (0 or 3).
pub(crate) fn bom_len(data: &[u8]) -> usize {
    if data.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    }
}

/// Decides whether `data` is a numeric table and how it is written, looking at the
/// first [`SNIFF_BYTES`] bytes. `Err` says why not.
pub(crate) fn sniff(data: &[u8]) -> Result<Dialect, String> {
    let bom = bom_len(data);
    let truncated = data.len() > SNIFF_BYTES;
    let window = &data[bom..data.len().min(SNIFF_BYTES)];
    if window.is_empty() {
        return Err("the file is empty".into());
    }
    if let Some(i) = window
        .iter()
        .position(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f)
    {
        return Err(format!(
            "binary data (control byte 0x{:02x} at byte offset {})",
            window[i],
            i + bom
        ));
    }
    if let Err(e) = std::str::from_utf8(window) {
        let tail_cut = truncated && e.error_len().is_none();
        if !tail_cut {
            return Err(format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to() + bom
            ));
        }
    }
    let mut comments = Vec::new();
    let mut content: Vec<Line<'_>> = Vec::new();
    let mut all = lines(window, 0, 1).peekable();
    while let Some((text, offset, number)) = all.next() {
        if truncated && all.peek().is_none() && !window.ends_with(b"\n") {
            break; // partial last line of the window
        }
        if is_skipped(text) {
            if content.is_empty() {
                let t = String::from_utf8_lossy(text);
                let t = t.trim_start();
                let t = t
                    .trim_start_matches("//")
                    .trim_start_matches(['#', '%'])
                    .trim();
                if !t.is_empty() {
                    comments.push(t.to_string());
                }
            }
            continue;
        }
        content.push(Line {
            text,
            offset: offset + bom,
            number,
        });
        if content.len() >= SNIFF_LINES {
            break;
        }
    }
    if content.is_empty() {
        return Err("no table rows (only blank or comment lines)".into());
    }
    let candidates = [
        Delimiter::Byte(b'\t'),
        Delimiter::Byte(b';'),
        Delimiter::Byte(b','),
        Delimiter::Blanks,
        Delimiter::None,
    ];
    let mut reason = String::new();
    for delimiter in candidates {
        for decimal in [b'.', b','] {
            match try_dialect(&content, delimiter, decimal) {
                Ok(mut dialect) => {
                    dialect.comments = comments;
                    return Ok(dialect);
                }
                Err(r) => {
                    if reason.is_empty() || delimiter == Delimiter::Byte(b',') && decimal == b'.' {
                        reason = r;
                    }
                }
            }
        }
    }
    Err(reason)
}

/// What a sniffed cell is.
#[derive(PartialEq)]
enum Kind {
    Number,
    Missing,
    Time,
    Text,
}

fn kind(cell: &[u8], decimal: u8, column: usize) -> Kind {
    match parse_cell(cell, decimal) {
        Cell::Number { .. } => Kind::Number,
        Cell::Missing => Kind::Missing,
        Cell::Text if column == 0 && parse_timestamp(cell).is_some() => Kind::Time,
        Cell::Text => Kind::Text,
    }
}

fn try_dialect(lines: &[Line<'_>], delimiter: Delimiter, decimal: u8) -> Result<Dialect, String> {
    if delimiter == Delimiter::Byte(b',') && decimal == b',' {
        // Only quoted cells could hold a decimal comma; the first pass covers the rest.
        let quoted = lines.iter().take(3).any(|l| l.text.contains(&b'"'));
        if !quoted {
            return Err("no quoted cells".into());
        }
    }
    let first = &lines[0];
    let mut first_cells: Vec<&[u8]> = Cells::new(first.text, delimiter).map(|c| c.0).collect();
    if delimiter == Delimiter::Blanks {
        first_cells = merge_units(first.text, first_cells);
    }
    let columns = first_cells.len();
    if columns == 0 || (columns < 2 && delimiter != Delimiter::None) {
        return Err(format!(
            "line {}: fewer than two cells with this delimiter",
            first.number
        ));
    }
    let header = first_cells
        .iter()
        .enumerate()
        .any(|(i, c)| kind(c, decimal, i) == Kind::Text);
    if delimiter == Delimiter::None && !header {
        // A bare column of numbers (a PhysioNet RECORDS list, a checksum list) is not
        // taken for a signal without a header naming it.
        return Err("a single column of numbers without a header line".into());
    }
    let rows = if header { &lines[1..] } else { lines };
    if rows.len() < MIN_ROWS {
        return Err(format!(
            "fewer than {MIN_ROWS} data rows in the first {} lines",
            lines.len()
        ));
    }
    let mut iso_time = None;
    let mut bytes = 0usize;
    let mut full_rows = 0usize;
    for row in rows {
        bytes += row.text.len() + 1;
        let mut count = 0;
        let mut numbers = 0;
        for (i, (cell, _)) in Cells::new(row.text, delimiter).enumerate() {
            count += 1;
            if i >= columns {
                if i == columns && cell.is_empty() {
                    continue; // trailing delimiter
                }
                return Err(format!(
                    "line {}: {} cells where line {} has {columns}",
                    row.number,
                    i + 1,
                    first.number
                ));
            }
            match kind(cell, decimal, i) {
                Kind::Number => numbers += 1,
                Kind::Missing => {}
                Kind::Time => {
                    if iso_time == Some(false) {
                        return Err(format!("line {}: a timestamp among numbers", row.number));
                    }
                    iso_time = Some(true);
                    numbers += 1;
                    continue;
                }
                Kind::Text => {
                    return Err(format!(
                        "line {}, column {}: {:?} is not a number",
                        row.number,
                        i + 1,
                        String::from_utf8_lossy(&cell[..cell.len().min(40)])
                    ));
                }
            }
            if i == 0 && iso_time == Some(true) {
                return Err(format!("line {}: a number among timestamps", row.number));
            }
            if i == 0 {
                iso_time = Some(false);
            }
        }
        full_rows += usize::from(count >= columns);
        if numbers == 0 {
            return Err(format!("line {}: no numbers", row.number));
        }
    }
    if full_rows * 2 < rows.len() {
        return Err(format!(
            "most rows have fewer cells than the {columns} of line {}",
            first.number
        ));
    }
    let header_cells = header.then(|| {
        first_cells
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect()
    });
    let data = &rows[0];
    Ok(Dialect {
        delimiter,
        decimal,
        header: header_cells,
        header_line: if header { first.number } else { 0 },
        data_offset: data.offset,
        data_line: data.number,
        columns,
        iso_time: iso_time == Some(true),
        comments: Vec::new(),
        mean_line_bytes: bytes as f64 / rows.len() as f64,
    })
}

/// In a blank-separated header, glues unit tokens (`(mV)`, `[uV]`) to the label before
/// them, so `II (mV) V5 (mV)` is two columns.
fn merge_units<'a>(line: &'a [u8], cells: Vec<&'a [u8]>) -> Vec<&'a [u8]> {
    let mut out: Vec<&'a [u8]> = Vec::with_capacity(cells.len());
    let base = line.as_ptr() as usize;
    for cell in cells {
        let unit = matches!(cell.first(), Some(b'(' | b'[')) && !out.is_empty();
        match out.last_mut() {
            Some(prev) if unit => {
                let start = prev.as_ptr() as usize - base;
                let end = cell.as_ptr() as usize - base + cell.len();
                *prev = &line[start..end];
            }
            _ => out.push(cell),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_and_decimals() {
        let d = sniff(b"time;II (mV)\n0,000;0,125\n0,004;-0,5\n").unwrap();
        assert_eq!((d.delimiter, d.decimal), (Delimiter::Byte(b';'), b','));
        assert_eq!(d.header.unwrap(), ["time", "II (mV)"]);
        assert_eq!((d.data_line, d.data_offset), (2, 13));
        let d = sniff(b"1\t2\n3\t4\n").unwrap();
        assert_eq!((d.delimiter, d.header), (Delimiter::Byte(b'\t'), None));
        let d = sniff(b"# fs = 500\n  1  2\n  3  4\n").unwrap();
        assert_eq!(d.delimiter, Delimiter::Blanks);
        assert_eq!(d.comments, ["fs = 500"]);
        let d = sniff(b"II\n0,5\n1,25\n").unwrap();
        assert_eq!(
            (d.delimiter, d.decimal, d.columns),
            (Delimiter::None, b',', 1)
        );
        let d = sniff(b"t,II\n2024-01-01T00:00:00.000,1\n2024-01-01T00:00:00.004,2\n").unwrap();
        assert!(d.iso_time);
        let d = sniff(b"\"a\",\"b\"\n\"0,5\",\"1,5\"\n\"2\",\"3\"\n").unwrap();
        assert_eq!((d.delimiter, d.decimal), (Delimiter::Byte(b','), b','));
    }

    #[test]
    fn refuses_what_is_not_a_numeric_table() {
        for bad in [
            &b""[..],
            b"hello world\nthis is text\nnot numbers\n",
            b"100 2 360 650000\n100.dat 212 200 11 1024 995 -22131 0 MLII\n100.dat 212 200 11 1024 1011 20052 0 V5\n",
            b"{\"a\": 1,\n \"b\": 2}\n",
            b"<?xml version=\"1.0\"?>\n<a>1</a>\n",
            b"a,b\n1,2\n",
            b"a,b\n1,2\nx,3\n",
            b"\x00\x01\x02\x03",
            b"1,2\n1,2,3\n",
            b"0       12345678 1 2\n\xff\xfe\x00\x00",
            b"100\n101\n102\n",
        ] {
            assert!(sniff(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
