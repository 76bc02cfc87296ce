//! PDF reports for ECG recordings (work in progress, issue "ecg-report").
