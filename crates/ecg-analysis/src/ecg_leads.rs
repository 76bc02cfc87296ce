//! Which signals of a record are ECG leads, and the factor from their unit to millivolts.
//!
//! A record may hold other channels beside the ECG: a pulse oximeter's plethysmogram
//! (PhysioNet's `a103l`: `PLETH` in normalised units), arterial pressure, respiration, a
//! heart-rate trace, or a legacy EDF file's `EDF Annotations` signal. A signal is an ECG
//! lead when its name is not one of those channels and either its unit is a voltage (or
//! absent) or its name is an ECG lead's (`II`, `V5`, `MLII`, `ECG`, `CM5`, ...).

use ecg_core::Signal;

/// Whether `s` is an ECG lead (module documentation).
pub fn is_ecg_lead(s: &Signal) -> bool {
    let label = s.label.trim().to_ascii_uppercase();
    let other_channel = label
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| NOT_ECG.iter().any(|n| word.starts_with(n)));
    if other_channel {
        return false;
    }
    let unit = s.unit.trim().to_ascii_lowercase();
    let voltage = matches!(
        unit.as_str(),
        "" | "v" | "mv" | "uv" | "µv" | "μv" | "nv" | "microvolt" | "millivolt"
    );
    voltage || ecg_like_label(&label)
}

/// Beginnings of words of channel names that are not ECG (upper case): `ART` matches
/// `ART` and `ARTERIAL`, not `HEART`.
const NOT_ECG: [&str; 22] = [
    "PLETH",
    "PPG",
    "SPO2",
    "SAO2",
    "ABP",
    "ART",
    "PAP",
    "CVP",
    "NBP",
    "NIBP",
    "RESP",
    "FLOW",
    "THOR",
    "ABDO",
    "PULSE",
    "EEG",
    "EMG",
    "EOG",
    "TEMP",
    "CO2",
    "ANNOTATION",
    "STATUS",
];

/// An ECG lead's name (upper case): limb and chest leads, modified and Frank leads, or a
/// name that says ECG.
fn ecg_like_label(label: &str) -> bool {
    let l: String = label
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.'))
        .collect();
    let l = l
        .strip_prefix("LEAD")
        .or_else(|| l.strip_prefix("ECG"))
        .unwrap_or(&l);
    l.is_empty()
        || label.contains("ECG")
        || label.contains("EKG")
        || matches!(
            l,
            "I" | "II" | "III" | "AVR" | "AVL" | "AVF" | "V" | "X" | "Y" | "Z" | "VX" | "VY" | "VZ"
        )
        || (l.starts_with('V') && l[1..].trim_end_matches('R').parse::<u8>().is_ok())
        || l.starts_with("ML")
        || l.starts_with("CM")
        || l.starts_with("CC")
        || l.starts_with("CS")
}

/// Factor from a physical unit to millivolts (1 for unknown units).
pub fn unit_to_mv(unit: &str) -> f64 {
    match unit.trim() {
        "uV" | "µV" | "μV" | "microvolt" => 1e-3,
        "V" => 1e3,
        "nV" => 1e-6,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecg_core::Samples;

    fn signal(label: &str, unit: &str) -> Signal {
        Signal::new(label, 250.0, unit, Samples::from_vec(vec![0; 4]))
    }

    #[test]
    fn ecg_leads_and_other_channels() {
        for (label, unit, ecg) in [
            ("II", "mV", true),
            ("V", "mV", true),
            ("MLII", "mV", true),
            ("V5", "uV", true),
            ("aVF", "", true),
            ("ECG II", "adu", true),
            ("V3R", "NU", true),
            ("CM5", "units", true),
            ("X", "uV", true),
            ("sine 8 Hz", "uV", true),
            ("PLETH", "NU", false),
            ("PLETH", "mV", false),
            ("ABP", "mmHg", false),
            ("RESP", "", false),
            ("HR", "bpm", false),
            ("SpO2", "%", false),
            ("EDF Annotations", "", false),
            ("Fp1", "uV", true),
            ("ECG heart", "mV", true),
            ("ART", "mmHg", false),
            ("Arterial pressure", "mV", false),
            ("Resp.", "mV", false),
        ] {
            assert_eq!(is_ecg_lead(&signal(label, unit)), ecg, "{label} [{unit}]");
        }
    }

    #[test]
    fn units_to_millivolts() {
        assert_eq!(unit_to_mv("uV"), 1e-3);
        assert_eq!(unit_to_mv(" µV "), 1e-3);
        assert_eq!(unit_to_mv("V"), 1e3);
        assert_eq!(unit_to_mv("mV"), 1.0);
        assert_eq!(unit_to_mv("NU"), 1.0);
    }
}
