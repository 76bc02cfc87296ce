//! EDF, EDF+ (continuous and discontinuous) and BDF/BDF+ reader, and EDF+/BDF+ writer.
//!
//! [`decode`] turns a file's bytes (a memory map via [`decode_path`]) into an
//! [`ecg_core::Record`]. Samples are not copied: each signal's [`ecg_core::Samples`] decode a
//! window by walking only the data records it covers, so reading one minute of a 7-day
//! Holter file touches one minute of the file. EDF+ annotations become
//! [`ecg_core::Event`]s, EDF+D stretches become [`ecg_core::Segment`]s, the EDF+ patient and
//! recording subfields fill [`ecg_core::PersonalData`] and [`ecg_core::ExtraReadings`].
//! [`detect`] recognises the format from the header alone; [`write_edf_plus`] and
//! [`write_bdf_plus`] write records back. The crate README lists every decision where this
//! reader differs from EDFlib/pyedflib.
//!
//! ```
//! use ecg_core::{Confidence, DecodeOptions, Event, Record, Samples, Scale, Signal, SharedBytes};
//!
//! // A 2-second, 250 Hz lead with one annotation, written as EDF+ and read back.
//! let mut record = Record::new("demo.edf", "edf");
//! let mut lead = Signal::new("ECG II", 250.0, "mV", Samples::from_vec((0..500).collect()));
//! lead.scale = Scale::Range { physical_min: -5.0, physical_max: 5.0, digital_min: -32768, digital_max: 32767 };
//! record.signals.push(lead);
//! record.classification.events.push(Event { onset_s: 1.5, duration_s: None, text: "R peak".into() });
//! let mut bytes = Vec::new();
//! ecg_edf::write_edf_plus(&record, &mut bytes)?;
//!
//! assert_eq!(ecg_edf::detect(&bytes), Confidence::Certain);
//! let back = ecg_edf::decode("demo.edf", SharedBytes::from_vec(bytes), &DecodeOptions::default())?;
//! assert_eq!(back.readings.other["file_type"], "EDF+C");
//! let ii = back.signal("ECG II").unwrap();
//! assert_eq!((ii.fs, ii.len()), (250.0, 500));
//! assert_eq!(ii.samples.window(498..500)?.as_ref(), &[498, 499]);
//! let stats = ii.stats()?;
//! assert_eq!(stats.digital_sum, (0..500).sum::<i64>());
//! assert_eq!(back.classification.events[0].text, "R peak");
//! # Ok::<(), ecg_edf::Error>(())
//! ```

#![forbid(unsafe_code)]

mod decode;
mod detect;
mod error;
mod header;
pub mod identification;
mod samples;
mod tal;
mod writer;

pub use decode::{DATA_RECORDS, FILE_TYPE, RECORD_DURATION, decode, decode_path};
pub use detect::{EdfDetector, detect};
pub use error::{Error, Result};
pub use writer::{write_bdf_plus, write_edf_plus};
