//! SCP-ECG (EN 1064 / ISO 11073-91064) reader, protocol versions 1.x, 2.x and 3.0.
//!
//! [`detect`] recognises a record by its structure (section 0 pointer table, section
//! headers, CRCs, record length); [`decode`] turns it into an [`ecg_core::Record`]: one
//! signal per lead of section 3 with the reconstructed integer samples (Huffman tables of
//! section 2, first and second differences, bimodal compression and reference beat
//! addition undone), scaled to microvolts; patient and acquisition data of section 1;
//! measurements and statements of sections 7, 8, 10 and 11; QRS locations of section 4 as
//! an annotation set named [`QRS_ANNOTATOR`].
//!
//! ```
//! use ecg_core::{Confidence, DecodeOptions, SharedBytes};
//!
//! let path = concat!(
//!     env!("CARGO_MANIFEST_DIR"),
//!     "/../../testdata/scp/gen_3000003_2lead_125Hz_8s_v20_huff_d1.scp"
//! );
//! let bytes = std::fs::read(path)?;
//! assert_eq!(ecg_scp::detect(&bytes), Confidence::Certain);
//!
//! let record = ecg_scp::decode("demo.scp", SharedBytes::from_vec(bytes), &DecodeOptions::default())?;
//! assert_eq!(record.format, "scp");
//! assert_eq!(record.readings.other["scp_version"], "2.0");
//! let ii = record.signal("II").unwrap();
//! assert_eq!((ii.len(), ii.fs), (1028, 125.0));
//! assert_eq!(&ii.samples.as_slice().unwrap()[..4], &[-5, -5, -6, -7]);
//! assert_eq!(ii.unit, "uV");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Where the files in the wild disagree with the standard, and what this reader does
//! about it, is in the crate README.

#![forbid(unsafe_code)]

mod bimodal;
mod crc;
mod decode;
mod detect;
mod encoded_leads;
mod error;
mod fields;
mod huffman;
mod lead_definition;
mod measurements;
mod patient_header;
mod qrs_locations;
mod reference_beat;
mod statements;
mod structure;
mod text;

pub use crc::crc_ccitt;
pub use decode::{MISSING_SAMPLE, QRS_ANNOTATOR, decode, decode_path};
pub use detect::{ScpDetector, detect};
pub use error::{Error, Result};
pub use huffman::{DEFAULT_TABLE_MARKER, HuffmanCode, default_table_codes};
pub use lead_definition::{lead_code, lead_name};
