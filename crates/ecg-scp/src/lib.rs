//! SCP-ECG (EN 1064 / ISO 11073-91064) reader, protocol versions 1.x, 2.x and 3.0.
//!
//! Work in progress: see the crate README and the open issue.
