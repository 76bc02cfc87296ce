//! [`Signal`]: one lead or channel, with its samples, scale and metadata.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::samples::{CHUNK_SAMPLES, Samples};
use crate::scale::Scale;

/// Format-specific metadata of a signal. Fields a format does not carry stay `None`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SignalMeta {
    /// Storage format as the file names it (`"212"`, `"16"`, `"edf16"`, `"bdf24"`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    /// ADC resolution in bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adc_resolution: Option<u32>,
    /// ADC zero (digital value of 0 V at the converter input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adc_zero: Option<i32>,
    /// First sample value as the header states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_value: Option<i32>,
    /// Checksum as the header states it (WFDB: 16-bit sum of the samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<i32>,
    /// Transducer description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transducer: Option<String>,
    /// Prefiltering description (EDF `HP:0.05Hz LP:150Hz`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefilter: Option<String>,
    /// Anything else the format carries, by the format's own field name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

/// One signal (lead, channel) of a record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// Label (lead name such as `II`, `V1`, `MLII`).
    pub label: String,
    /// Sampling frequency of this signal in Hz.
    pub fs: f64,
    /// Physical unit (`mV`, `uV`, ...).
    pub unit: String,
    /// Digital samples.
    pub samples: Samples,
    /// Digital to physical conversion.
    pub scale: Scale,
    /// Digital value meaning "no sample here" (WFDB invalid-sample sentinel), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_value: Option<i32>,
    /// Format-specific metadata.
    #[serde(default)]
    pub meta: SignalMeta,
}

/// Whole-signal statistics, as `ecg inspect --json --stats` prints them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SignalStats {
    /// Number of samples, missing ones included.
    pub samples: u64,
    /// Number of missing samples (equal to [`Signal::missing_value`]).
    pub missing: u64,
    /// Smallest stored digital value (missing samples excluded); `None` when none remain.
    pub digital_min: Option<i32>,
    /// Largest stored digital value (missing samples excluded).
    pub digital_max: Option<i32>,
    /// Sum of the digital values (missing samples excluded).
    pub digital_sum: i64,
    /// Sum of the physical values (missing samples excluded), compensated summation.
    pub physical_sum: f64,
}

impl Signal {
    /// A signal with default scale (gain 1), no metadata and the given samples.
    pub fn new(
        label: impl Into<String>,
        fs: f64,
        unit: impl Into<String>,
        samples: Samples,
    ) -> Self {
        Signal {
            label: label.into(),
            fs,
            unit: unit.into(),
            samples,
            scale: Scale::default(),
            missing_value: None,
            meta: SignalMeta::default(),
        }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True when the signal has no samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Duration in seconds (`len / fs`).
    pub fn duration_s(&self) -> f64 {
        if self.fs > 0.0 {
            self.len() as f64 / self.fs
        } else {
            0.0
        }
    }

    /// Converts one digital value; missing samples become NaN.
    #[inline]
    pub fn to_physical(&self, digital: i32) -> f64 {
        if Some(digital) == self.missing_value {
            f64::NAN
        } else {
            self.scale.to_physical(digital)
        }
    }

    /// Physical values of a window of samples (NaN for missing samples).
    pub fn physical(&self, range: Range<usize>) -> Result<Vec<f64>> {
        if !self.samples.is_lazy() {
            let digital = self.samples.window(range)?;
            let mut out = crate::with_sample_capacity(digital.len());
            out.extend(digital.iter().map(|&d| self.to_physical(d)));
            return Ok(out);
        }
        if range.start > range.end || range.end > self.len() {
            return Err(Error::OutOfRange {
                range,
                len: self.len(),
            });
        }
        // Lazy samples: decode chunk by chunk into one reused buffer instead of
        // materialising the whole digital window next to the physical one.
        let mut out = crate::with_sample_capacity(range.len());
        let mut buf = vec![0; CHUNK_SAMPLES.min(range.len())];
        let mut start = range.start;
        while start < range.end {
            let chunk = &mut buf[..CHUNK_SAMPLES.min(range.end - start)];
            self.samples.read(start, chunk)?;
            out.extend(chunk.iter().map(|&d| self.to_physical(d)));
            start += chunk.len();
        }
        Ok(out)
    }

    /// Digital samples of a window as an `ndarray` view when in memory, copied otherwise.
    pub fn digital_array(
        &self,
        range: Range<usize>,
    ) -> Result<ndarray::CowArray<'_, i32, ndarray::Ix1>> {
        Ok(match self.samples.window(range)? {
            std::borrow::Cow::Borrowed(s) => ndarray::ArrayView1::from(s).into(),
            std::borrow::Cow::Owned(v) => ndarray::Array1::from(v).into(),
        })
    }

    /// Streams over every sample once and returns the statistics of the CLI contract.
    pub fn stats(&self) -> Result<SignalStats> {
        let mut st = SignalStats {
            samples: self.len() as u64,
            ..Default::default()
        };
        let mut min = i32::MAX;
        let mut max = i32::MIN;
        let mut phys = NeumaierSum::default();
        let missing = self.missing_value;
        let scale = self.scale;
        self.samples.for_each_chunk::<Error>(|_, chunk| {
            // Accumulate a chunk in locals (registers), then fold into the totals: the
            // same additions in the same order, without a store per sample.
            let (mut lo, mut hi, mut sum, mut skipped, mut p) = (min, max, 0i64, 0u64, phys);
            for &d in chunk {
                if Some(d) == missing {
                    skipped += 1;
                    continue;
                }
                lo = lo.min(d);
                hi = hi.max(d);
                sum += d as i64;
                p.add(scale.to_physical(d));
            }
            (min, max, phys) = (lo, hi, p);
            st.digital_sum += sum;
            st.missing += skipped;
            Ok(())
        })?;
        if st.samples > st.missing {
            st.digital_min = Some(min);
            st.digital_max = Some(max);
        }
        st.physical_sum = phys.total();
        Ok(st)
    }
}

/// Neumaier's compensated summation: sums of millions of physical values stay exact to
/// the sixth decimal, like Python's `math.fsum` used by the reference files.
#[derive(Clone, Copy, Debug, Default)]
pub struct NeumaierSum {
    sum: f64,
    compensation: f64,
}

impl NeumaierSum {
    /// Adds one value.
    #[inline]
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// The compensated total.
    pub fn total(&self) -> f64 {
        self.sum + self.compensation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_exclude_missing_samples() {
        let mut s = Signal::new(
            "II",
            250.0,
            "mV",
            Samples::from_vec(vec![-32768, 10, 30, -5]),
        );
        s.scale = Scale::Gain {
            gain: 10.0,
            baseline: 5.0,
        };
        s.missing_value = Some(-32768);
        let st = s.stats().unwrap();
        assert_eq!(st.samples, 4);
        assert_eq!(st.missing, 1);
        assert_eq!(st.digital_min, Some(-5));
        assert_eq!(st.digital_max, Some(30));
        assert_eq!(st.digital_sum, 35);
        assert!((st.physical_sum - 2.0).abs() < 1e-12, "{}", st.physical_sum);
        assert!(s.to_physical(-32768).is_nan());
        assert_eq!(s.physical(1..3).unwrap(), vec![0.5, 2.5]);
        assert_eq!(s.digital_array(2..4).unwrap().to_vec(), vec![30, -5]);
        assert_eq!(s.duration_s(), 4.0 / 250.0);
    }

    /// A lazy source whose sample i is `i % 1000 - 500`.
    #[derive(Debug)]
    struct Saw(usize);
    impl crate::samples::SampleSource for Saw {
        fn len(&self) -> usize {
            self.0
        }
        fn read(&self, start: usize, out: &mut [i32]) -> Result<()> {
            for (k, o) in out.iter_mut().enumerate() {
                *o = ((start + k) % 1000) as i32 - 500;
            }
            Ok(())
        }
    }

    #[test]
    fn lazy_and_owned_physical_windows_agree() {
        let n = CHUNK_SAMPLES * 2 + 5;
        let lazy = Samples::from_source(std::sync::Arc::new(Saw(n)));
        let owned = Samples::from_vec(lazy.to_vec().unwrap());
        let mut a = Signal::new("a", 1.0, "mV", lazy);
        let mut b = Signal::new("b", 1.0, "mV", owned);
        for s in [&mut a, &mut b] {
            s.scale = Scale::Range {
                physical_min: -5.0,
                physical_max: 5.0,
                digital_min: -32768,
                digital_max: 32767,
            };
            s.missing_value = Some(-500);
        }
        let range = 3..n - 1;
        let pa = a.physical(range.clone()).unwrap();
        let pb = b.physical(range).unwrap();
        assert_eq!(pa.len(), n - 4);
        assert!(
            pa.iter()
                .zip(&pb)
                .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
        );
        assert!(pa[997].is_nan(), "sample 1000 is the missing value");
        assert!(a.physical(n - 1..n + 1).is_err());
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 5..4;
        assert!(a.physical(reversed).is_err());
        assert!(a.physical(n..n).unwrap().is_empty());
    }

    #[test]
    fn all_missing_has_no_min_max() {
        let mut s = Signal::new("x", 1.0, "", Samples::from_vec(vec![7, 7]));
        s.missing_value = Some(7);
        let st = s.stats().unwrap();
        assert_eq!(
            (st.digital_min, st.digital_max, st.missing),
            (None, None, 2)
        );
    }

    #[test]
    fn compensated_sum_is_exact_where_naive_drifts() {
        let mut n = NeumaierSum::default();
        for x in [1e16, 1.0, -1e16] {
            n.add(x);
        }
        assert_eq!(n.total(), 1.0);
    }
}
