//! Reference beat addition: when section 3 flags reference beat subtraction, the rhythm
//! data of each lead are residuals, and reference beat type 0 (section 5) has to be added
//! back at every QRS complex of beat type 0, aligned on the fiducial points (section 4).

use crate::qrs_locations::QrsComplex;

/// Adds `reference` (one lead of section 5) to `lead` (the same lead of section 6, whose
/// first sample has the record sample number `lead_start`) over every subtraction zone.
///
/// Sample `s` of a zone around fiducial `F` receives reference sample
/// `s - F + reference_fiducial` (1-based); samples outside the lead or the reference beat
/// are left alone. `scale` converts reference beat units to rhythm units when the two
/// sections have different amplitude multipliers (`(avm5, avm6)`).
///
/// Fails when the zones together cover more than four times the lead plus the reference
/// beat (a hostile section 4), before doing that much work.
pub(crate) fn add_reference_beat(
    lead: &mut [i32],
    lead_start: u32,
    reference: &[i32],
    reference_fiducial: u16,
    complexes: &[QrsComplex],
    scale: Option<(u16, u16)>,
) -> Result<(), String> {
    // Hostile zone lists (huge or heavily overlapping zones) must not turn into
    // unbounded work: the zones together may cover each sample a few times at most.
    let budget = 4 * lead.len() as u64 + reference.len() as u64;
    let mut work = 0u64;
    for q in complexes.iter().filter(|q| q.beat_type == 0) {
        // Sample s maps to lead index s - lead_start and to reference index
        // s - fiducial + reference_fiducial - 1; keep the s where both exist.
        let to_ref = reference_fiducial as i64 - 1 - q.fiducial as i64;
        let lo = (q.start as i64).max(lead_start as i64).max(-to_ref);
        let hi = (q.end as i64)
            .min(lead_start as i64 + lead.len() as i64 - 1)
            .min(reference.len() as i64 - 1 - to_ref);
        if lo > hi {
            continue;
        }
        work += (hi - lo + 1) as u64;
        if work > budget {
            return Err(format!(
                "the type-0 subtraction zones cover more than {budget} samples of a \
                 {}-sample lead",
                lead.len()
            ));
        }
        for s in lo..=hi {
            let r = reference[(s + to_ref) as usize];
            let add = match scale {
                Some((avm5, avm6)) if avm5 != avm6 && avm6 != 0 => {
                    let num = r as i64 * avm5 as i64;
                    let den = avm6 as i64;
                    // nearest, halves away from zero
                    (if num >= 0 {
                        (2 * num + den) / (2 * den)
                    } else {
                        -((-2 * num + den) / (2 * den))
                    }) as i32
                }
                _ => r,
            };
            let x = &mut lead[(s - lead_start as i64) as usize];
            *x = x.saturating_add(add);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_on_fiducials_and_clips() {
        let mut lead = vec![0; 20];
        let reference = [1, 2, 3, 4, 5]; // fiducial at sample 3 (value 3)
        let q = |t, start, fiducial, end| QrsComplex {
            beat_type: t,
            start,
            fiducial,
            end,
        };
        let complexes = [q(0, 4, 6, 8), q(1, 10, 12, 14), q(0, 17, 19, 21)];
        add_reference_beat(&mut lead, 1, &reference, 3, &complexes, None).unwrap();
        assert_eq!(
            lead,
            vec![0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]
        );
        let mut lead = vec![0; 3];
        add_reference_beat(
            &mut lead,
            1,
            &[10, -10, 7],
            1,
            &[q(0, 1, 1, 3)],
            Some((500, 1000)),
        )
        .unwrap();
        assert_eq!(lead, vec![5, -5, 4]);
        // A zone from sample 0 to u32::MAX is clipped, not walked.
        let mut lead = vec![0; 4];
        add_reference_beat(&mut lead, 1, &[1, 1], 1, &[q(0, 0, 2, u32::MAX)], None).unwrap();
        assert_eq!(lead, vec![0, 1, 1, 0]);
        let many = vec![q(0, 1, 1, 4); 10];
        assert!(add_reference_beat(&mut lead, 1, &[1; 4], 1, &many, None).is_err());
    }
}
