//! ECG analysis: QRS detection with multi-lead fusion, beat classification into AAMI
//! classes, rhythm episodes, heart-rate variability, and an EC57-style evaluation
//! harness.
//!
//! The engine reads [`ecg_core::Record`]s only (it never sees file formats) and returns
//! one serde type, [`Analysis`], that reports, the server and the viewer consume and that
//! converts into an MIT annotation set ([`Analysis::to_annotations`]).
//!
//! ```
//! use ecg_analysis::{analyze, Config};
//! use ecg_core::{AamiClass, Record, Samples, Scale, Signal};
//!
//! // 20 s of a synthetic lead at 250 Hz: one 1 mV spike-like QRS every 0.8 s
//! let fs = 250.0;
//! let mut x = vec![0i32; 5000];
//! for beat in 0..24 {
//!     let r = 100 + beat * 200;
//!     for k in 0..9 {
//!         x[r - 4 + k] = 200 - 45 * (k as i32 - 4).abs(); // 200 units = 1 mV
//!     }
//! }
//! let mut lead = Signal::new("II", fs, "mV", Samples::from_vec(x));
//! lead.scale = Scale::Gain { gain: 200.0, baseline: 0.0 };
//! let mut record = Record::new("demo", "synthetic");
//! record.signals.push(lead);
//!
//! let analysis = analyze(&record, &Config::default())?;
//! assert_eq!(analysis.beats.len(), 24);
//! assert_eq!(analysis.count(AamiClass::N), 24);
//! let annotations = analysis.to_annotations("ecg");
//! assert_eq!(annotations.annotations.len(), 24);
//! # Ok::<(), ecg_analysis::Error>(())
//! ```
//!
//! Modules: [`filter`] (preprocessing), [`detect`] (QRS detection), [`classify`]
//! (templates and AAMI classes), [`rhythm`] (episodes), [`hrv`] (Task Force HRV),
//! [`engine`] (the chunked parallel pipeline), [`result`] (the result type) and [`eval`]
//! (bxb/EC57 comparison of annotation sets).

pub mod classify;
pub mod delineate;
pub mod detect;
pub mod ecg_leads;
pub mod engine;
pub mod error;
pub mod eval;
pub mod filter;
pub mod hrv;
pub mod long_term;
pub mod resting;
pub mod result;
pub mod rhythm;
pub mod wave_eval;

pub use engine::{Config, Progress, Stage, analyze, analyze_with_progress};
pub use error::{Error, Result};
pub use hrv::Hrv;
pub use resting::Measurements;
pub use result::{Analysis, Beat, Episode, EpisodeKind, QualitySegment, Summary, Template};
