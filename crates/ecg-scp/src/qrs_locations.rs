//! Section 4: QRS locations, reference beat subtraction zones and protected areas
//! (EN 1064 clause 5.7).

use crate::error::Result;
use crate::structure::SectionRef;

/// One QRS complex with its reference beat subtraction zone (sample numbers are 1-based,
/// in the record's sample numbering).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QrsComplex {
    /// Beat type (0 = the type of the reference beat, which is subtracted).
    pub beat_type: u16,
    /// First sample of the subtraction zone.
    pub start: u32,
    /// Fiducial point.
    pub fiducial: u32,
    /// Last sample of the subtraction zone.
    pub end: u32,
}

/// Section 4 as a whole.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct QrsLocations {
    /// Length of reference beat type 0 in milliseconds.
    pub reference_length_ms: u16,
    /// Sample number (1-based) of the fiducial point within the reference beat.
    pub reference_fiducial: u16,
    /// QRS complexes with their subtraction zones.
    pub complexes: Vec<QrsComplex>,
    /// Protected areas (first and last sample, 1-based, inclusive), one per complex when
    /// the section has them.
    pub protected: Vec<(u32, u32)>,
}

/// Parses section 4. Missing protected areas are allowed (they only matter for bimodal
/// compression, which reports their absence).
pub(crate) fn parse_qrs_locations(
    section: &SectionRef<'_>,
    warnings: &mut Vec<String>,
) -> Result<QrsLocations> {
    let mut f = section.fields();
    let reference_length_ms = f.u16("length of reference beat type 0 (ms)")?;
    let reference_fiducial = f.u16("fiducial point of the reference beat")?;
    let n = f.u16("total number of QRS complexes")? as usize;
    if n * 14 > f.remaining() {
        return Err(f.short(&format!("{n} QRS subtraction zones"), n * 14));
    }
    let mut complexes = Vec::with_capacity(n);
    for _ in 0..n {
        let beat_type = f.u16("beat type")?;
        let start = f.u32("start of subtraction zone")?;
        let fiducial = f.u32("fiducial point")?;
        let end = f.u32("end of subtraction zone")?;
        complexes.push(QrsComplex {
            beat_type,
            start,
            fiducial,
            end,
        });
    }
    let mut protected = Vec::new();
    if n > 0 {
        if f.remaining() >= n * 8 {
            protected.reserve(n);
            for _ in 0..n {
                let a = f.u32("start of protected area")?;
                let b = f.u32("end of protected area")?;
                protected.push((a, b));
            }
        } else {
            warnings.push(format!(
                "section 4 has {n} QRS complexes but no protected areas (byte offset {})",
                f.offset()
            ));
        }
    }
    Ok(QrsLocations {
        reference_length_ms,
        reference_fiducial,
        complexes,
        protected,
    })
}
