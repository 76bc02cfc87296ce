//! WFDB (PhysioNet) reader and writer: headers, every signal format, multi-segment records, annotation files.
//!
//! Work in progress: see the crate README and the open issue.
