//! HL7 aECG (annotated ECG XML) reader: rhythm and median waveforms, patient and device fields, annotations.
//!
//! Work in progress (issue "More single-file formats").
