//! ISHNE 1.0 Holter ECG files and ISHNE annotation files.
//!
//! Work in progress (issue "More single-file formats").
