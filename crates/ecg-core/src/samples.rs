//! [`Samples`]: the digital samples of one signal, held in memory or decoded on demand.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};

/// Samples decoded per chunk by streaming helpers ([`Samples::for_each_chunk`]).
pub const CHUNK_SAMPLES: usize = 1 << 16;

/// A source that decodes a window of one signal's digital samples on demand, typically from
/// a memory-mapped file. Decoders implement it so that consumers can read a one-minute
/// window of a 7-day recording without decoding (or allocating) the rest.
pub trait SampleSource: Send + Sync + fmt::Debug {
    /// Total number of samples of the signal.
    fn len(&self) -> usize;

    /// True when the signal has no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decodes samples `start .. start + out.len()` into `out`. The caller guarantees the
    /// range lies within `0..len()`.
    fn read(&self, start: usize, out: &mut [i32]) -> Result<()>;
}

#[derive(Clone)]
enum Repr {
    Owned(Arc<Vec<i32>>),
    Lazy(Arc<dyn SampleSource>),
}

/// The digital samples of one signal: contiguous `i32` storage, or a lazy
/// [`SampleSource`]. Cloning is cheap (reference counted).
#[derive(Clone)]
pub struct Samples(Repr);

impl Samples {
    /// Samples held in memory.
    pub fn from_vec(samples: Vec<i32>) -> Self {
        Samples(Repr::Owned(Arc::new(samples)))
    }

    /// Samples decoded on demand from `source`.
    pub fn from_source(source: Arc<dyn SampleSource>) -> Self {
        Samples(Repr::Lazy(source))
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Owned(v) => v.len(),
            Repr::Lazy(s) => s.len(),
        }
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the samples are decoded on demand.
    pub fn is_lazy(&self) -> bool {
        matches!(self.0, Repr::Lazy(_))
    }

    /// The samples as one slice when they are held in memory; `None` for lazy samples
    /// (use [`Samples::window`] or [`Samples::to_vec`]).
    pub fn as_slice(&self) -> Option<&[i32]> {
        match &self.0 {
            Repr::Owned(v) => Some(v),
            Repr::Lazy(_) => None,
        }
    }

    fn check(&self, range: &Range<usize>) -> Result<()> {
        if range.start > range.end || range.end > self.len() {
            return Err(Error::OutOfRange {
                range: range.clone(),
                len: self.len(),
            });
        }
        Ok(())
    }

    /// Decodes samples `start .. start + out.len()` into `out`.
    pub fn read(&self, start: usize, out: &mut [i32]) -> Result<()> {
        let range = start..start.saturating_add(out.len());
        self.check(&range)?;
        match &self.0 {
            Repr::Owned(v) => {
                out.copy_from_slice(&v[range]);
                Ok(())
            }
            Repr::Lazy(s) => s.read(start, out),
        }
    }

    /// A window of samples: borrowed when in memory, decoded when lazy.
    pub fn window(&self, range: Range<usize>) -> Result<Cow<'_, [i32]>> {
        self.check(&range)?;
        match &self.0 {
            Repr::Owned(v) => Ok(Cow::Borrowed(&v[range])),
            Repr::Lazy(s) => {
                let mut out = crate::zeroed_samples(range.len());
                s.read(range.start, &mut out)?;
                Ok(Cow::Owned(out))
            }
        }
    }

    /// All samples in a new vector.
    pub fn to_vec(&self) -> Result<Vec<i32>> {
        Ok(self.window(0..self.len())?.into_owned())
    }

    /// Decodes lazy samples into memory (no-op when already in memory).
    pub fn load(&mut self) -> Result<()> {
        if let Repr::Lazy(_) = self.0 {
            let v = self.to_vec()?;
            self.0 = Repr::Owned(Arc::new(v));
        }
        Ok(())
    }

    /// Calls `f(first_sample_index, chunk)` over consecutive chunks of at most
    /// [`CHUNK_SAMPLES`] samples, decoding lazily with one reused buffer.
    pub fn for_each_chunk<E>(
        &self,
        mut f: impl FnMut(usize, &[i32]) -> Result<(), E>,
    ) -> Result<(), E>
    where
        E: From<Error>,
    {
        match &self.0 {
            Repr::Owned(v) => {
                for (i, c) in v.chunks(CHUNK_SAMPLES).enumerate() {
                    f(i * CHUNK_SAMPLES, c)?;
                }
            }
            Repr::Lazy(s) => {
                let n = s.len();
                let mut buf = vec![0; CHUNK_SAMPLES.min(n)];
                let mut start = 0;
                while start < n {
                    let len = CHUNK_SAMPLES.min(n - start);
                    s.read(start, &mut buf[..len])?;
                    f(start, &buf[..len])?;
                    start += len;
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Samples {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Owned(v) => write!(f, "Samples(in memory, {} samples)", v.len()),
            Repr::Lazy(s) => write!(f, "Samples(lazy {s:?})"),
        }
    }
}

impl PartialEq for Samples {
    /// Compares sample values (decoding lazy samples; a failing decode compares unequal).
    fn eq(&self, other: &Self) -> bool {
        if self.len() != other.len() {
            return false;
        }
        match (self.to_vec(), other.to_vec()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

impl From<Vec<i32>> for Samples {
    fn from(v: Vec<i32>) -> Self {
        Samples::from_vec(v)
    }
}

impl Serialize for Samples {
    /// Serialises as a sequence of integers, decoding lazy samples chunk by chunk.
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        let mut err = None;
        let res = self.for_each_chunk(|_, chunk| {
            for v in chunk {
                if let Err(e) = seq.serialize_element(v) {
                    err = Some(e);
                    return Err(Error::Source {
                        signal: String::new(),
                        sample: 0,
                        message: "serialisation failed".into(),
                    });
                }
            }
            Ok(())
        });
        if let Some(e) = err {
            return Err(e);
        }
        res.map_err(serde::ser::Error::custom)?;
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Samples {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        Vec::<i32>::deserialize(deserializer).map(Samples::from_vec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lazy source whose sample i is `i * 3 - 7`.
    #[derive(Debug)]
    struct Ramp(usize);
    impl SampleSource for Ramp {
        fn len(&self) -> usize {
            self.0
        }
        fn read(&self, start: usize, out: &mut [i32]) -> Result<()> {
            for (k, o) in out.iter_mut().enumerate() {
                *o = ((start + k) * 3) as i32 - 7;
            }
            Ok(())
        }
    }

    #[test]
    fn lazy_and_owned_agree() {
        let n = CHUNK_SAMPLES * 2 + 17;
        let lazy = Samples::from_source(Arc::new(Ramp(n)));
        let owned = Samples::from_vec((0..n).map(|i| (i * 3) as i32 - 7).collect());
        assert!(lazy.is_lazy() && !owned.is_lazy());
        assert_eq!(
            lazy.window(100..105).unwrap().as_ref(),
            &[293, 296, 299, 302, 305]
        );
        assert_eq!(lazy, owned);
        let mut sum_l = 0i64;
        let mut starts = vec![];
        lazy.for_each_chunk::<Error>(|s, c| {
            starts.push(s);
            sum_l += c.iter().map(|&v| v as i64).sum::<i64>();
            Ok(())
        })
        .unwrap();
        assert_eq!(starts, vec![0, CHUNK_SAMPLES, 2 * CHUNK_SAMPLES]);
        let expect: i64 = (0..n as i64).map(|i| i * 3 - 7).sum();
        assert_eq!(sum_l, expect);
        let mut l2 = lazy.clone();
        l2.load().unwrap();
        assert_eq!(l2.as_slice().unwrap()[n - 1], ((n - 1) * 3) as i32 - 7);
    }

    #[test]
    fn out_of_range_is_an_error() {
        let s = Samples::from_vec(vec![1, 2, 3]);
        let e = s.window(2..4).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sample range 2..4 is outside the signal's 3 samples"
        );
        let mut out = [0; 2];
        assert!(s.read(usize::MAX, &mut out).is_err());
    }

    #[test]
    fn serde_round_trip() {
        let s = Samples::from_source(Arc::new(Ramp(4)));
        let j = serde_json::to_string(&s).unwrap();
        assert_eq!(j, "[-7,-4,-1,2]");
        let back: Samples = serde_json::from_str(&j).unwrap();
        assert_eq!(back, s);
    }
}
