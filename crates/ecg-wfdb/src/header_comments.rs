//! Patient data in header comments. WFDB has no fixed place for it; PhysioNet databases
//! use a few conventions, all recognised here:
//!
//! - `<age>: 25  <sex>: M  <diagnoses>: (none)` (PhysioNet challenges, MIMIC): several
//!   `<key>: value` pairs on one line;
//! - `age: 81` / `sex: female` (PTB): one `key: value` pair per line;
//! - `69 M 1085 1629 x1` followed by a medication line (MIT-BIH): age and sex first.
//!
//! Recognised fields go to [`PersonalData`]; lines that are not wholly patient fields stay
//! in [`ExtraReadings::comments`].

use ecg_core::{ExtraReadings, PersonalData, Sex};

use crate::header::parse_date;

/// Fills `personal` and `readings` from the header's comment lines.
pub(crate) fn apply_comments(
    comments: &[String],
    personal: &mut PersonalData,
    readings: &mut ExtraReadings,
) {
    let mut medications_next = false;
    for c in comments {
        let line = c.trim();
        if line.is_empty() {
            continue;
        }
        if medications_next {
            medications_next = false;
            if !matches!(line, "None" | "none" | "?") {
                personal.medications.extend(
                    line.split(',')
                        .map(str::trim)
                        .filter(|m| !m.is_empty())
                        .map(str::to_string),
                );
            }
            readings.comments.push(line.to_string());
            continue;
        }
        if line.starts_with('<') && line.contains(">:") {
            for (key, value) in angle_pairs(line) {
                if !set_field(personal, &key, &value) && !is_empty_value(&value) {
                    personal.other.insert(key, value);
                }
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(':')
            && key.len() <= 40
            && key
                .chars()
                .all(|c| c.is_alphanumeric() || c == ' ' || c == '_')
            && set_field(personal, key.trim(), value.trim())
        {
            continue;
        }
        if mit_bih_age_sex(line, personal) {
            medications_next = true;
        }
        readings.comments.push(line.to_string());
    }
}

/// `<age>: 25  <sex>: M` -> [("age", "25"), ("sex", "M")].
fn angle_pairs(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(">:") else {
            break;
        };
        let key = after[..close].trim().to_string();
        let value_part = &after[close + 2..];
        let end = value_part.find('<').unwrap_or(value_part.len());
        out.push((key, value_part[..end].trim().to_string()));
        rest = &value_part[end..];
    }
    out
}

fn is_empty_value(v: &str) -> bool {
    matches!(
        v,
        "" | "?" | "(none)" | "none" | "None" | "NaN" | "nan" | "N/A"
    )
}

fn parse_sex(v: &str) -> Option<Sex> {
    match v.to_ascii_lowercase().as_str() {
        "m" | "male" => Some(Sex::Male),
        "f" | "female" => Some(Sex::Female),
        "" | "?" | "nan" | "n/a" => None,
        _ => Some(Sex::Unspecified),
    }
}

fn parse_number(v: &str) -> Option<f64> {
    let n: f64 = v.split_whitespace().next()?.parse().ok()?;
    n.is_finite().then_some(n)
}

/// Sets a known patient field; false when `key` is not one.
fn set_field(p: &mut PersonalData, key: &str, value: &str) -> bool {
    let k = key.to_ascii_lowercase().replace('_', " ");
    let empty = is_empty_value(value);
    match k.as_str() {
        "age" => {
            if !empty {
                p.age_years = parse_number(value);
            }
        }
        "sex" | "gender" => {
            if !empty {
                p.sex = parse_sex(value);
            }
        }
        "name" | "patient name" => {
            if !empty {
                p.name = Some(value.to_string());
            }
        }
        "patient" | "patient id" | "subject id" => {
            if !empty {
                p.patient_id = Some(value.to_string());
            }
        }
        "birth date" | "date of birth" | "dob" | "birthdate" => {
            if !empty {
                p.birth_date = parse_date(value).or_else(|| value.parse().ok());
            }
        }
        "height" => {
            if !empty {
                p.height_cm = parse_number(value);
            }
        }
        "weight" => {
            if !empty {
                p.weight_kg = parse_number(value);
            }
        }
        "race" | "ethnicity" => {
            if !empty {
                p.race = Some(value.to_string());
            }
        }
        "medications" | "medication" => {
            if !empty {
                p.medications.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|m| !m.is_empty())
                        .map(str::to_string),
                );
            }
        }
        _ => return false,
    }
    true
}

/// MIT-BIH's first comment line: `AGE SEX ...` (`?` for unknown).
fn mit_bih_age_sex(line: &str, p: &mut PersonalData) -> bool {
    let mut it = line.split_whitespace();
    let (Some(age), Some(sex)) = (it.next(), it.next()) else {
        return false;
    };
    let age_ok = age == "?" || (age.len() <= 3 && age.bytes().all(|b| b.is_ascii_digit()));
    let sex_ok = matches!(sex, "M" | "F" | "?");
    if !(age_ok && sex_ok) {
        return false;
    }
    if age != "?" {
        p.age_years = age.parse().ok();
    }
    if sex != "?" {
        p.sex = parse_sex(sex);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(lines: &[&str]) -> (PersonalData, ExtraReadings) {
        let mut p = PersonalData::default();
        let mut r = ExtraReadings::default();
        let lines: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        apply_comments(&lines, &mut p, &mut r);
        (p, r)
    }

    #[test]
    fn mit_bih() {
        let (p, r) = apply(&["69 M 1085 1629 x1", "Aldomet, Inderal"]);
        assert_eq!(p.age_years, Some(69.0));
        assert_eq!(p.sex, Some(Sex::Male));
        assert_eq!(p.medications, vec!["Aldomet", "Inderal"]);
        assert_eq!(r.comments.len(), 2);
    }

    #[test]
    fn angle_brackets() {
        let (p, r) = apply(&["<age>: 25  <sex>: M  <diagnoses>: (none)  <medications>: (none)"]);
        assert_eq!(p.age_years, Some(25.0));
        assert_eq!(p.sex, Some(Sex::Male));
        assert!(p.medications.is_empty() && p.other.is_empty());
        assert!(r.comments.is_empty());
        let (p, _) = apply(&["<age>: 60 <sex>: F <diagnoses>: MI"]);
        assert_eq!((p.age_years, p.sex), (Some(60.0), Some(Sex::Female)));
        assert_eq!(p.other.get("diagnoses").map(String::as_str), Some("MI"));
    }

    #[test]
    fn key_value_lines() {
        let (p, r) = apply(&[
            "age: 81",
            "sex: female",
            "Reason for admission: Myocardial infarction",
            "Asystole",
        ]);
        assert_eq!((p.age_years, p.sex), (Some(81.0), Some(Sex::Female)));
        assert_eq!(
            r.comments,
            vec!["Reason for admission: Myocardial infarction", "Asystole"]
        );
    }
}
