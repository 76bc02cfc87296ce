//! The long-term (Holter) report.

use crate::error::{Error, Result};
use crate::input::ReportInput;

/// Renders the long-term report.
pub(crate) fn render(input: &ReportInput<'_>) -> Result<Vec<u8>> {
    Err(Error::NoSignal {
        record: input.record.name.clone(),
        reason: "long-term report not written yet".into(),
    })
}
