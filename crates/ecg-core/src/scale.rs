//! [`Scale`]: how digital samples become physical values.

use serde::{Deserialize, Serialize};

/// The linear map from stored (digital) integers to physical units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scale {
    /// `physical = (digital - baseline) / gain` (WFDB, SCP-ECG, ISHNE).
    Gain {
        /// Digital units per physical unit.
        gain: f64,
        /// Digital value of physical zero.
        baseline: f64,
    },
    /// The digital range maps linearly onto the physical range (EDF, BDF).
    Range {
        /// Physical value of `digital_min`.
        physical_min: f64,
        /// Physical value of `digital_max`.
        physical_max: f64,
        /// Smallest digital value.
        digital_min: i32,
        /// Largest digital value.
        digital_max: i32,
    },
}

impl Default for Scale {
    fn default() -> Self {
        Scale::Gain {
            gain: 1.0,
            baseline: 0.0,
        }
    }
}

impl Scale {
    /// Converts one digital value to physical units.
    ///
    /// The arithmetic follows the reference readers (wfdb-python for `Gain`, EDFlib for
    /// `Range`) so sums agree to the last printed decimal.
    #[inline]
    pub fn to_physical(&self, digital: i32) -> f64 {
        match *self {
            Scale::Gain { gain, baseline } => (digital as f64 - baseline) / gain,
            Scale::Range { .. } => {
                let (bitvalue, offset) = self.edf_terms();
                bitvalue * (offset + digital as f64)
            }
        }
    }

    /// Converts a physical value back to (unrounded) digital units.
    pub fn to_digital(&self, physical: f64) -> f64 {
        match *self {
            Scale::Gain { gain, baseline } => physical * gain + baseline,
            Scale::Range { .. } => {
                let (bitvalue, offset) = self.edf_terms();
                physical / bitvalue - offset
            }
        }
    }

    /// `(slope, intercept)` with `physical = digital * slope + intercept`, for vectorised
    /// consumers that accept the last-bit differences of multiplying instead of dividing.
    pub fn linear(&self) -> (f64, f64) {
        match *self {
            Scale::Gain { gain, baseline } => (1.0 / gain, -baseline / gain),
            Scale::Range { .. } => {
                let (bitvalue, offset) = self.edf_terms();
                (bitvalue, bitvalue * offset)
            }
        }
    }

    /// Digital units per physical unit.
    pub fn gain(&self) -> f64 {
        1.0 / self.linear().0
    }

    /// EDFlib's `bitvalue` and `offset`: physical = bitvalue * (offset + digital).
    fn edf_terms(&self) -> (f64, f64) {
        match *self {
            Scale::Range {
                physical_min,
                physical_max,
                digital_min,
                digital_max,
            } => {
                let bitvalue =
                    (physical_max - physical_min) / (digital_max as f64 - digital_min as f64);
                (bitvalue, physical_max / bitvalue - digital_max as f64)
            }
            Scale::Gain { gain, baseline } => (1.0 / gain, -baseline),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wfdb_gain() {
        let s = Scale::Gain {
            gain: 200.0,
            baseline: 1024.0,
        };
        assert_eq!(s.to_physical(1224), 1.0);
        assert_eq!(s.to_digital(-1.0), 824.0);
        assert_eq!(s.gain(), 200.0);
    }

    #[test]
    fn edf_range_maps_ends_exactly() {
        let s = Scale::Range {
            physical_min: -5.0,
            physical_max: 5.0,
            digital_min: -32768,
            digital_max: 32767,
        };
        assert!((s.to_physical(-32768) + 5.0).abs() < 1e-12);
        assert!((s.to_physical(32767) - 5.0).abs() < 1e-12);
        let (m, c) = s.linear();
        assert!((m * 1000.0 + c - s.to_physical(1000)).abs() < 1e-12);
        assert!((s.to_digital(s.to_physical(123)) - 123.0).abs() < 1e-9);
    }

    #[test]
    fn degenerate_ranges_do_not_panic() {
        let s = Scale::Range {
            physical_min: 0.0,
            physical_max: 1.0,
            digital_min: 5,
            digital_max: 5,
        };
        assert!(!s.to_physical(5).is_finite());
    }
}
