//! The DICOM attributes this reader uses (PS3.6 data dictionary), as `(tag, name)`.

/// A data element tag and its attribute name.
pub(crate) type Attr = (u32, &'static str);

pub(crate) const MEDIA_STORAGE_SOP_CLASS: Attr = (0x0002_0002, "Media Storage SOP Class UID");
pub(crate) const TRANSFER_SYNTAX: Attr = (0x0002_0010, "Transfer Syntax UID");

pub(crate) const SPECIFIC_CHARACTER_SET: Attr = (0x0008_0005, "Specific Character Set");
pub(crate) const SOP_CLASS: Attr = (0x0008_0016, "SOP Class UID");
pub(crate) const STUDY_DATE: Attr = (0x0008_0020, "Study Date");
pub(crate) const ACQUISITION_DATE: Attr = (0x0008_0022, "Acquisition Date");
pub(crate) const CONTENT_DATE: Attr = (0x0008_0023, "Content Date");
pub(crate) const ACQUISITION_DATETIME: Attr = (0x0008_002A, "Acquisition DateTime");
pub(crate) const STUDY_TIME: Attr = (0x0008_0030, "Study Time");
pub(crate) const ACQUISITION_TIME: Attr = (0x0008_0032, "Acquisition Time");
pub(crate) const CONTENT_TIME: Attr = (0x0008_0033, "Content Time");
pub(crate) const ACCESSION_NUMBER: Attr = (0x0008_0050, "Accession Number");
pub(crate) const MODALITY: Attr = (0x0008_0060, "Modality");
pub(crate) const MANUFACTURER: Attr = (0x0008_0070, "Manufacturer");
pub(crate) const INSTITUTION: Attr = (0x0008_0080, "Institution Name");
pub(crate) const REFERRING_PHYSICIAN: Attr = (0x0008_0090, "Referring Physician's Name");
pub(crate) const CODE_VALUE: Attr = (0x0008_0100, "Code Value");
pub(crate) const CODING_SCHEME: Attr = (0x0008_0102, "Coding Scheme Designator");
pub(crate) const CODE_MEANING: Attr = (0x0008_0104, "Code Meaning");
pub(crate) const STATION_NAME: Attr = (0x0008_1010, "Station Name");
pub(crate) const STUDY_DESCRIPTION: Attr = (0x0008_1030, "Study Description");
pub(crate) const DEPARTMENT: Attr = (0x0008_1040, "Institutional Department Name");
pub(crate) const OPERATORS: Attr = (0x0008_1070, "Operators' Name");
pub(crate) const MODEL: Attr = (0x0008_1090, "Manufacturer's Model Name");

pub(crate) const PATIENT_NAME: Attr = (0x0010_0010, "Patient's Name");
pub(crate) const PATIENT_ID: Attr = (0x0010_0020, "Patient ID");
pub(crate) const BIRTH_DATE: Attr = (0x0010_0030, "Patient's Birth Date");
pub(crate) const SEX: Attr = (0x0010_0040, "Patient's Sex");
pub(crate) const AGE: Attr = (0x0010_1010, "Patient's Age");
pub(crate) const SIZE: Attr = (0x0010_1020, "Patient's Size");
pub(crate) const WEIGHT: Attr = (0x0010_1030, "Patient's Weight");

pub(crate) const SERIAL_NUMBER: Attr = (0x0018_1000, "Device Serial Number");
pub(crate) const SOFTWARE_VERSIONS: Attr = (0x0018_1020, "Software Versions");
pub(crate) const GROUP_TIME_OFFSET: Attr = (0x0018_1068, "Multiplex Group Time Offset");

pub(crate) const NUMBER_OF_CHANNELS: Attr = (0x003A_0005, "Number of Waveform Channels");
pub(crate) const NUMBER_OF_SAMPLES: Attr = (0x003A_0010, "Number of Waveform Samples");
pub(crate) const SAMPLING_FREQUENCY: Attr = (0x003A_001A, "Sampling Frequency");
pub(crate) const GROUP_LABEL: Attr = (0x003A_0020, "Multiplex Group Label");
pub(crate) const CHANNEL_DEFINITIONS: Attr = (0x003A_0200, "Channel Definition Sequence");
pub(crate) const CHANNEL_LABEL: Attr = (0x003A_0203, "Channel Label");
pub(crate) const CHANNEL_SOURCE: Attr = (0x003A_0208, "Channel Source Sequence");
pub(crate) const SENSITIVITY: Attr = (0x003A_0210, "Channel Sensitivity");
pub(crate) const SENSITIVITY_UNITS: Attr = (0x003A_0211, "Channel Sensitivity Units Sequence");
pub(crate) const CORRECTION_FACTOR: Attr = (0x003A_0212, "Channel Sensitivity Correction Factor");
pub(crate) const BASELINE: Attr = (0x003A_0213, "Channel Baseline");
pub(crate) const SAMPLE_SKEW: Attr = (0x003A_0215, "Channel Sample Skew");
pub(crate) const BITS_STORED: Attr = (0x003A_021A, "Waveform Bits Stored");
pub(crate) const FILTER_LOW: Attr = (0x003A_0220, "Filter Low Frequency");
pub(crate) const FILTER_HIGH: Attr = (0x003A_0221, "Filter High Frequency");
pub(crate) const NOTCH: Attr = (0x003A_0222, "Notch Filter Frequency");

pub(crate) const MEASUREMENT_UNITS: Attr = (0x0040_08EA, "Measurement Units Code Sequence");
pub(crate) const REFERENCED_CHANNELS: Attr = (0x0040_A0B0, "Referenced Waveform Channels");
pub(crate) const TEMPORAL_RANGE_TYPE: Attr = (0x0040_A130, "Temporal Range Type");
pub(crate) const SAMPLE_POSITIONS: Attr = (0x0040_A132, "Referenced Sample Positions");
pub(crate) const TIME_OFFSETS: Attr = (0x0040_A138, "Referenced Time Offsets");
pub(crate) const CONCEPT_NAME: Attr = (0x0040_A043, "Concept Name Code Sequence");
pub(crate) const CONCEPT_CODE: Attr = (0x0040_A168, "Concept Code Sequence");
pub(crate) const NUMERIC_VALUE: Attr = (0x0040_A30A, "Numeric Value");
pub(crate) const ANNOTATIONS: Attr = (0x0040_B020, "Waveform Annotation Sequence");
pub(crate) const UNFORMATTED_TEXT: Attr = (0x0070_0006, "Unformatted Text Value");

pub(crate) const WAVEFORMS: Attr = (0x5400_0100, "Waveform Sequence");
pub(crate) const BITS_ALLOCATED: Attr = (0x5400_1004, "Waveform Bits Allocated");
pub(crate) const SAMPLE_INTERPRETATION: Attr = (0x5400_1006, "Waveform Sample Interpretation");
pub(crate) const PADDING_VALUE: Attr = (0x5400_100A, "Waveform Padding Value");
pub(crate) const WAVEFORM_DATA: Attr = (0x5400_1010, "Waveform Data");
