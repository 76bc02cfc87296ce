//! CSV/TSV ECG tables: delimiter and decimal-comma detection, lead headers with units, time columns.
//!
//! Work in progress (issue "More single-file formats").
