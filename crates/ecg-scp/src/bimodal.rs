//! Bimodal compression (section 6 byte 6 = 1, versions before 3.0): inside the protected
//! areas of section 4 the rhythm data keep every sample; outside them the encoder stored
//! one value per `D` samples, `D` being the ratio of the section 6 sample interval to the
//! full-rate interval of section 5.
//!
//! Layout, as EN 1064 describes the method (and as the ECG Toolkit writer lays it out):
//! walking a lead from its first sample, a sample inside a protected area is stored as
//! is; outside, one value stands for the next `D` samples (fewer when a protected area or
//! the lead end comes first). The value of a block is its mean.
//!
//! Reconstruction: every stored value is placed at the centre of the samples it stands
//! for, and the full-rate signal is the linear interpolation between these points
//! (extended along the line through the two nearest points before the first and after
//! the last), rounded to the nearest integer.
//! Protected samples are therefore exact, and a signal that is linear over the decimated
//! stretches comes back exactly.

/// Protected areas of one lead as sorted, merged, 0-based inclusive index ranges inside
/// `0..n` (areas are given as 1-based record sample numbers; the lead's first sample is
/// `start`).
pub(crate) fn lead_zones(areas: &[(u32, u32)], start: u32, n: usize) -> Vec<(usize, usize)> {
    let mut zones: Vec<(usize, usize)> = areas
        .iter()
        .filter_map(|&(a, b)| {
            let (a, b) = (a.min(b) as i64, a.max(b) as i64);
            let lo = (a - start as i64).max(0);
            let hi = (b - start as i64).min(n as i64 - 1);
            (lo <= hi).then_some((lo as usize, hi as usize))
        })
        .collect();
    zones.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(zones.len());
    for (a, b) in zones {
        match merged.last_mut() {
            Some(last) if a <= last.1 + 1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// The stretches of a lead of `n` samples: `(first, len, protected)`. Outside protected
/// areas each stretch is one decimation block of at most `d` samples.
pub(crate) fn blocks(n: usize, zones: &[(usize, usize)], d: usize) -> Vec<(usize, usize, bool)> {
    let d = d.max(1);
    let mut out = Vec::new();
    let mut i = 0;
    let gap = |from: usize, to: usize, out: &mut Vec<(usize, usize, bool)>| {
        let mut b = from;
        while b < to {
            let len = d.min(to - b);
            out.push((b, len, false));
            b += len;
        }
    };
    for &(a, b) in zones {
        gap(i, a, &mut out);
        for j in a..=b {
            out.push((j, 1, true));
        }
        i = b + 1;
    }
    gap(i, n, &mut out);
    out
}

/// Number of values the rhythm data hold for a lead of `n` samples.
pub(crate) fn stored_count(n: usize, zones: &[(usize, usize)], d: usize) -> usize {
    let d = d.max(1);
    let mut count = 0;
    let mut i = 0;
    for &(a, b) in zones {
        count += (a - i).div_ceil(d) + (b - a + 1);
        i = b + 1;
    }
    count + (n - i.min(n)).div_ceil(d)
}

/// Rounds `num / den` (den > 0) to the nearest integer, halves away from zero.
fn round_div(num: i64, den: i64) -> i64 {
    if num >= 0 {
        (2 * num + den) / (2 * den)
    } else {
        -((-2 * num + den) / (2 * den))
    }
}

/// Rebuilds the `n` full-rate samples of a lead from its stored values.
///
/// `stored` must have [`stored_count`] values (fewer are treated as missing at the end).
pub(crate) fn expand(stored: &[i32], n: usize, zones: &[(usize, usize)], d: usize) -> Vec<i32> {
    // Anchor points in doubled coordinates (a block centre may fall between samples).
    let anchors: Vec<(i64, i64)> = blocks(n, zones, d)
        .iter()
        .zip(stored)
        .map(|(&(first, len, _), &v)| ((2 * first + len - 1) as i64, v as i64))
        .collect();
    let mut out = Vec::with_capacity(n);
    let Some(&(_, first_val)) = anchors.first() else {
        out.resize(n, 0);
        return out;
    };
    if anchors.len() == 1 {
        out.resize(n, first_val as i32);
        return out;
    }
    let mut k = 0; // anchors[k], anchors[k + 1] bracket the current position
    for j in 0..n {
        let p = 2 * j as i64;
        while k + 2 < anchors.len() && anchors[k + 1].0 <= p {
            k += 1;
        }
        // Between two anchors: interpolation; before the first or after the last (at
        // most half a block): the line through the two nearest anchors.
        let (p0, v0) = anchors[k];
        let (p1, v1) = anchors[k + 1];
        let v = v0 + round_div((v1 - v0) * (p - p0), p1 - p0);
        out.push(v as i32);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_clipped_merged_and_counted() {
        let z = lead_zones(&[(30, 40), (5, 10), (11, 12), (200, 300)], 1, 100);
        assert_eq!(z, vec![(4, 11), (29, 39)]);
        // gaps 0..4 (4 -> 1 block of 4), 12..29 (17 -> 5 blocks), 40..100 (60 -> 15)
        assert_eq!(stored_count(100, &z, 4), 1 + 8 + 5 + 11 + 15);
        assert_eq!(blocks(100, &z, 4).len(), stored_count(100, &z, 4));
        assert_eq!(stored_count(10, &[], 1), 10);
        assert_eq!(lead_zones(&[(1, 5)], 10, 20), vec![]);
    }

    #[test]
    fn linear_stretches_come_back_exactly() {
        // A ramp is linear everywhere: decimating it by block means and interpolating
        // block centres reproduces it (blocks of odd length have integer centres).
        let n = 61;
        let x: Vec<i32> = (0..n as i32).map(|i| 3 * i - 50).collect();
        let zones = vec![(20, 30)];
        let d = 3;
        let stored: Vec<i32> = blocks(n, &zones, d)
            .iter()
            .map(|&(f, len, _)| {
                let s: i64 = x[f..f + len].iter().map(|&v| v as i64).sum();
                round_div(s, len as i64) as i32
            })
            .collect();
        assert_eq!(stored.len(), stored_count(n, &zones, d));
        assert_eq!(expand(&stored, n, &zones, d), x);
    }

    #[test]
    fn rounding_is_symmetric() {
        assert_eq!(round_div(5, 2), 3);
        assert_eq!(round_div(-5, 2), -3);
        assert_eq!(round_div(4, 3), 1);
        assert_eq!(round_div(-4, 3), -1);
    }
}
