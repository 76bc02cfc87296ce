//! EDF, EDF+ (continuous and discontinuous) and BDF reader and EDF+ writer.
//!
//! Work in progress: see the crate README and the open issue.
