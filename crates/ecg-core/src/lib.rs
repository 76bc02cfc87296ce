//! The shared record model of the ECG workspace.
//!
//! Every decoder (`ecg-wfdb`, `ecg-edf`, `ecg-scp`, ...) returns a [`Record`]; every
//! consumer (analysis, reports, the server) reads one. The model is built for 7-day Holter
//! recordings: samples are contiguous `i32` storage or a lazy [`SampleSource`] over a
//! memory map ([`SharedBytes`]), so reading a one-minute window never decodes the rest.
//!
//! ```
//! use ecg_core::{Record, Samples, Scale, Signal};
//!
//! let mut record = Record::new("demo", "wfdb");
//! let mut lead = Signal::new("II", 250.0, "mV", Samples::from_vec(vec![1024, 1224, 824]));
//! lead.scale = Scale::Gain { gain: 200.0, baseline: 1024.0 };
//! record.signals.push(lead);
//!
//! let ii = record.signal("II").unwrap();
//! assert_eq!(ii.physical(0..3)?, vec![0.0, 1.0, -1.0]);
//! let stats = ii.stats()?;
//! assert_eq!((stats.digital_min, stats.digital_max, stats.digital_sum), (Some(824), Some(1224), 3072));
//! // (samples x signals) view for numeric consumers
//! let window = record.physical_window(1..3, &[0])?;
//! assert_eq!(window.shape(), &[2, 1]);
//! # Ok::<(), ecg_core::Error>(())
//! ```

#![forbid(unsafe_op_in_unsafe_fn)]

pub mod annotation;
pub mod bytes;
pub mod detect;
pub mod error;
pub mod large_vec;
pub mod record;
pub mod samples;
pub mod scale;
pub mod signal;

pub use annotation::{AamiClass, Annotation, AnnotationCode, AnnotationSet, Event};
pub use bytes::SharedBytes;
pub use detect::{Confidence, DecodeOptions, Detector, Limits};
pub use error::{Error, Result};
pub use large_vec::{with_sample_capacity, zeroed_samples};
pub use record::{
    Classification, ExtraReadings, Measurement, PersonalData, Record, Segment, Sex, Statement,
    Warning,
};
pub use samples::{CHUNK_SAMPLES, SampleSource, Samples};
pub use scale::Scale;
pub use signal::{NeumaierSum, Signal, SignalMeta, SignalStats};

pub use chrono;
pub use ndarray;
