//! Section 3: ECG lead definition (EN 1064 clause 5.6) and the lead identification codes.

use crate::error::{Error, Result};
use crate::structure::SectionRef;

/// Names of lead codes 0..=85 (EN 1064 table of lead identifications). Codes 24..=30 are
/// the Frank leads (prefixed `f`), 31..=60 calibration versions of codes 1..=30.
const LEAD_NAMES: [&str; 86] = [
    "unspecified",
    "I",
    "II",
    "V1",
    "V2",
    "V3",
    "V4",
    "V5",
    "V6",
    "V7",
    "V2R",
    "V3R",
    "V4R",
    "V5R",
    "V6R",
    "V7R",
    "X",
    "Y",
    "Z",
    "CC5",
    "CM5",
    "LA",
    "RA",
    "LL",
    "fI",
    "fE",
    "fC",
    "fA",
    "fM",
    "fF",
    "fH",
    "I-cal",
    "II-cal",
    "V1-cal",
    "V2-cal",
    "V3-cal",
    "V4-cal",
    "V5-cal",
    "V6-cal",
    "V7-cal",
    "V2R-cal",
    "V3R-cal",
    "V4R-cal",
    "V5R-cal",
    "V6R-cal",
    "V7R-cal",
    "X-cal",
    "Y-cal",
    "Z-cal",
    "CC5-cal",
    "CM5-cal",
    "LA-cal",
    "RA-cal",
    "LL-cal",
    "fI-cal",
    "fE-cal",
    "fC-cal",
    "fA-cal",
    "fM-cal",
    "fF-cal",
    "fH-cal",
    "III",
    "aVR",
    "aVL",
    "aVF",
    "-aVR",
    "V8",
    "V9",
    "V8R",
    "V9R",
    "D",
    "A",
    "J",
    "Defib",
    "ExtPace",
    "A1",
    "A2",
    "A3",
    "A4",
    "V8-cal",
    "V9-cal",
    "V8R-cal",
    "V9R-cal",
    "D-cal",
    "A-cal",
    "J-cal",
];

/// The standard name of a lead code; codes without one print as `lead <code>`.
pub fn lead_name(code: u8) -> String {
    LEAD_NAMES
        .get(code as usize)
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("lead {code}"))
}

/// The lead code of a standard lead name (exact match), the inverse of [`lead_name`].
pub fn lead_code(name: &str) -> Option<u8> {
    LEAD_NAMES
        .iter()
        .position(|&n| n == name)
        .and_then(|i| u8::try_from(i).ok())
}

/// One lead of section 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LeadDef {
    /// First sample number (1-based, in the record's sample numbering).
    pub start: u32,
    /// Last sample number (inclusive).
    pub end: u32,
    /// Lead identification code.
    pub code: u8,
}

impl LeadDef {
    /// Samples the lead definition declares (`end - start + 1`).
    pub(crate) fn declared_len(&self) -> u64 {
        (self.end as u64 + 1).saturating_sub(self.start as u64)
    }
}

/// Section 3 as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LeadDefinition {
    /// The leads, in the order sections 5 and 6 store them.
    pub leads: Vec<LeadDef>,
    /// Flag bit 0: the rhythm data are residuals after reference beat subtraction.
    pub reference_beat_subtraction: bool,
    /// Flag bit 2: all leads recorded simultaneously.
    pub all_simultaneous: bool,
    /// Flag bits 3..=7: number of leads recorded simultaneously.
    pub simultaneous_count: u8,
}

/// Parses section 3.
pub(crate) fn parse_lead_definition(
    section: &SectionRef<'_>,
    warnings: &mut Vec<String>,
) -> Result<LeadDefinition> {
    let mut f = section.fields();
    let n = f.u8("number of leads")?;
    if n == 0 {
        return Err(Error::Malformed {
            section: 3,
            offset: section.body_offset(),
            expected: "at least one lead, found 0".into(),
        });
    }
    let flags = f.u8("flag byte")?;
    let mut leads = Vec::with_capacity(n as usize);
    for k in 0..n {
        let at = f.offset();
        let start = f.u32("starting sample number")?;
        let end = f.u32("ending sample number")?;
        let code = f.u8("lead identification")?;
        if end < start {
            return Err(Error::Malformed {
                section: 3,
                offset: at,
                expected: format!(
                    "lead {} ({}): ending sample {end} not before starting sample {start}",
                    k + 1,
                    lead_name(code)
                ),
            });
        }
        if start == 0 {
            warnings.push(format!(
                "section 3: lead {} ({}) starts at sample 0 although sample numbers start at 1",
                k + 1,
                lead_name(code)
            ));
        }
        leads.push(LeadDef { start, end, code });
    }
    Ok(LeadDefinition {
        leads,
        reference_beat_subtraction: flags & 0x01 != 0,
        all_simultaneous: flags & 0x04 != 0,
        simultaneous_count: flags >> 3,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes() {
        assert_eq!(lead_name(1), "I");
        assert_eq!(lead_name(61), "III");
        assert_eq!(lead_name(64), "aVF");
        assert_eq!(lead_name(11), "V3R");
        assert_eq!(lead_name(31), "I-cal");
        assert_eq!(lead_name(60), "fH-cal");
        assert_eq!(lead_name(85), "J-cal");
        assert_eq!(lead_name(200), "lead 200");
        for code in 0..=85u8 {
            assert_eq!(lead_code(&lead_name(code)), Some(code));
        }
    }
}
