//! Lead codes (`MDC_ECG_LEAD_*`) and their labels.

/// The label of an aECG lead code: `MDC_ECG_LEAD_II` -> `II`, `MDC_ECG_LEAD_AVR` ->
/// `aVR`, `MDC_ECG_LEAD_V1` -> `V1`; codes without the prefix are kept as written.
pub fn lead_label(code: &str) -> String {
    let Some(short) = code.strip_prefix("MDC_ECG_LEAD_") else {
        return code.to_string();
    };
    match short.to_ascii_uppercase().as_str() {
        "AVR" => "aVR".into(),
        "AVL" => "aVL".into(),
        "AVF" => "aVF".into(),
        _ => short.to_string(),
    }
}

/// The aECG lead code of a label (`aVR` -> `MDC_ECG_LEAD_AVR`, `II` -> `MDC_ECG_LEAD_II`).
pub fn lead_code(label: &str) -> String {
    format!("MDC_ECG_LEAD_{}", label.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(lead_label("MDC_ECG_LEAD_aVR"), "aVR");
        assert_eq!(lead_label("MDC_ECG_LEAD_AVF"), "aVF");
        assert_eq!(lead_label("MDC_ECG_LEAD_V5"), "V5");
        assert_eq!(lead_label("OTHER"), "OTHER");
        assert_eq!(lead_label(&lead_code("aVL")), "aVL");
    }
}
