//! Lead names from a channel's Channel Source Sequence code (PS3.16 CID 3001 "ECG
//! Leads"): SCPECG codes `5.6.3-9-N` and MDC codes `2:N` both number the leads as the
//! SCP-ECG lead table (EN 1064), so `N` gives the standard name (`I`, `II`, `V1`, `aVR`...).

/// The standard lead name of a Channel Source code, or `None` when the code is not an
/// ECG lead code this crate knows: `("5.6.3-9-1", "SCPECG")` -> `I`, `("2:62", "MDC")` ->
/// `aVR`, MDC context-free codes (`131073` = partition 2, code 1) -> `I`. Falls back to a
/// code meaning of the form `Lead <name>[ (...)]` (`Lead I (Einthoven)` -> `I`).
pub fn lead_label(code_value: &str, scheme: &str, meaning: &str) -> Option<String> {
    let number = match scheme.trim().to_ascii_uppercase().as_str() {
        "SCPECG" => code_value
            .trim()
            .strip_prefix("5.6.3-9-")?
            .parse::<u32>()
            .ok(),
        "MDC" => mdc_lead_number(code_value.trim()),
        _ => None,
    };
    if let Some(n) = number.filter(|&n| n > 0)
        && let Ok(n) = u8::try_from(n)
    {
        let name = ecg_scp::lead_name(n);
        if !name.starts_with("lead ") {
            return Some(name);
        }
    }
    lead_from_meaning(meaning)
}

fn mdc_lead_number(code: &str) -> Option<u32> {
    if let Some(n) = code.strip_prefix("2:") {
        return n.parse().ok();
    }
    let cf: u32 = code.parse().ok()?;
    (cf >> 16 == 2).then_some(cf & 0xFFFF)
}

/// `Lead II` -> `II`, `Lead aVR` -> `aVR`, `lead AVF` -> `aVF`; other meanings give `None`.
fn lead_from_meaning(meaning: &str) -> Option<String> {
    let m = meaning.trim();
    let rest = m.get(..5).filter(|p| p.eq_ignore_ascii_case("lead "))?;
    let name = m[rest.len()..].split_whitespace().next()?;
    Some(match name.to_ascii_uppercase().as_str() {
        "AVR" => "aVR".into(),
        "AVL" => "aVL".into(),
        "AVF" => "aVF".into(),
        _ => name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_meanings() {
        assert_eq!(lead_label("5.6.3-9-1", "SCPECG", "x").as_deref(), Some("I"));
        assert_eq!(
            lead_label("5.6.3-9-64", "SCPECG", "").as_deref(),
            Some("aVF")
        );
        assert_eq!(lead_label("2:61", "MDC", "").as_deref(), Some("III"));
        assert_eq!(lead_label("2:8", "MDC", "").as_deref(), Some("V6"));
        assert_eq!(lead_label("131073", "MDC", "").as_deref(), Some("I"));
        assert_eq!(
            lead_label("X1", "99LOCAL", "Lead I (Einthoven)").as_deref(),
            Some("I")
        );
        assert_eq!(lead_label("", "", "lead avr").as_deref(), Some("aVR"));
        assert_eq!(lead_label("2:200", "MDC", "Pressure"), None);
        assert_eq!(lead_label("5.6.3-9-0", "SCPECG", ""), None);
    }
}
