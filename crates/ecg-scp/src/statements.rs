//! Section 8 (full-text interpretive statements, EN 1064 clause 5.11) and section 11
//! (universal statement codes, clause 5.14). Both start with a confirmation byte, the
//! date and time of the interpretation and the number of statements.

use ecg_core::Statement;

use crate::structure::SectionRef;
use crate::text::TextEncoding;

/// Who made the statements, from the header of section 8 or 11.
fn source(section: u16, confirmed: u8, date: (u16, u8, u8), time: (u8, u8, u8)) -> String {
    let status = match confirmed {
        0 => "original (not confirmed)".to_string(),
        1 => "confirmed".into(),
        2 => "overread, not confirmed".into(),
        c => format!("status {c}"),
    };
    let mut s = format!("SCP section {section}, {status}");
    if date.0 != 0 {
        s.push_str(&format!(
            ", {:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            date.0, date.1, date.2, time.0, time.1, time.2
        ));
    }
    s
}

/// Parses section 8 or 11 as far as its bytes go.
pub(crate) fn parse_statements(
    section: &SectionRef<'_>,
    encoding: TextEncoding,
    warnings: &mut Vec<String>,
) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut f = section.fields();
    let r = (|| -> crate::error::Result<()> {
        let confirmed = f.u8("confirmation")?;
        let date = (f.u16("year")?, f.u8("month")?, f.u8("day")?);
        let time = (f.u8("hour")?, f.u8("minute")?, f.u8("second")?);
        let n = f.u8("number of statements")?;
        let src = source(section.id, confirmed, date, time);
        for _ in 0..n {
            if f.remaining() < 3 {
                break;
            }
            let _sequence = f.u8("statement sequence number")?;
            let len = f.u16("statement length")? as usize;
            let data = f.bytes(len.min(f.remaining()), "statement")?;
            if section.id == 8 {
                let text = encoding.decode(data);
                if !text.is_empty() {
                    out.push(Statement {
                        code: None,
                        text,
                        source: Some(src.clone()),
                    });
                }
                continue;
            }
            let Some((&kind, rest)) = data.split_first() else {
                continue;
            };
            match kind {
                1 => {
                    for code in rest.split(|&b| b == 0).map(|c| encoding.decode(c)) {
                        if !code.is_empty() {
                            out.push(Statement {
                                code: Some(code.clone()),
                                text: code,
                                source: Some(src.clone()),
                            });
                        }
                    }
                }
                2 | 3 => {
                    let text = encoding.decode(rest);
                    if !text.is_empty() {
                        out.push(Statement {
                            code: None,
                            text: if kind == 3 {
                                format!("statement logic: {text}")
                            } else {
                                text
                            },
                            source: Some(src.clone()),
                        });
                    }
                }
                _ => warnings.push(format!(
                    "section 11: statement of unknown type {kind} ignored"
                )),
            }
        }
        Ok(())
    })();
    if let Err(e) = r {
        warnings.push(format!("section {} read partially: {e}", section.id));
    }
    out
}
