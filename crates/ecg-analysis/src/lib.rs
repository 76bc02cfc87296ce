//! ECG analysis: QRS detection, beat classification, rhythm, HRV, resting measurements and Holter summaries.
//!
//! Work in progress: see the crate README and the open issue.
