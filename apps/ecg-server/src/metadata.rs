//! Task metadata given by the client (patient, recording, report, search tags) and how it
//! overrides what was decoded from the files.

use ecg_core::Record;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Metadata of a task request. `patient` and `recording` use the field names of the record
/// model (`patient_id`, `name`, `sex`, `birth_date`, `age_years`, ...; `device`,
/// `institution`, `referring_physician`, ...); unknown string fields are kept under
/// `other`. `report` is passed to the report renderer as is.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TaskMetadata {
    /// Patient fields (override the decoded ones). `id` is accepted for `patient_id`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub patient: Map<String, Value>,
    /// Recording/acquisition fields (override the decoded ones).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub recording: Map<String, Value>,
    /// Report settings (language, template, physician, ...).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub report: Map<String, Value>,
    /// Free-form search tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl TaskMetadata {
    /// The patient id given, if any.
    pub fn patient_id(&self) -> Option<String> {
        self.patient
            .get("patient_id")
            .or_else(|| self.patient.get("id"))
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    }

    /// Checks that the fields have the record model's types.
    pub fn validate(&self) -> Result<(), String> {
        if self.tags.iter().any(|t| t.is_empty() || t.len() > 200) {
            return Err("tags must be 1-200 characters each".into());
        }
        let mut r = Record::default();
        self.apply(&mut r)
    }

    /// Overrides a record's decoded patient and recording data.
    pub fn apply(&self, record: &mut Record) -> Result<(), String> {
        let mut patient = self.patient.clone();
        if let Some(id) = patient.remove("id") {
            patient.entry("patient_id").or_insert(id);
        }
        record.personal = overlay(&record.personal, &patient, "patient")?;
        record.readings = overlay(&record.readings, &self.recording, "recording")?;
        Ok(())
    }
}

/// The decoded value with the given fields laid over it.
fn overlay<T>(decoded: &T, fields: &Map<String, Value>, what: &str) -> Result<T, String>
where
    T: Serialize + serde::de::DeserializeOwned,
{
    let mut base = serde_json::to_value(decoded).map_err(|e| e.to_string())?;
    let Value::Object(obj) = &mut base else {
        return Err(format!("{what}: not an object"));
    };
    for (k, v) in fields {
        if v.is_null() {
            obj.remove(k);
            continue;
        }
        let single: Map<String, Value> = [(k.clone(), v.clone())].into_iter().collect();
        let parsed: T = serde_json::from_value(Value::Object(single))
            .map_err(|e| format!("{what}.{k}: {e}"))?;
        let known =
            matches!(serde_json::to_value(&parsed), Ok(Value::Object(m)) if m.contains_key(k));
        if known {
            obj.insert(k.clone(), v.clone());
        } else if let Value::String(s) = v {
            let other = obj
                .entry("other")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(o) = other {
                o.insert(k.clone(), Value::String(s.clone()));
            }
        } else {
            return Err(format!(
                "{what}.{k}: unknown field (only text is kept for unknown fields)"
            ));
        }
    }
    serde_json::from_value(base).map_err(|e| format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_fields_override_decoded_ones() {
        let mut r = Record::default();
        r.personal.patient_id = Some("from-file".into());
        r.personal.name = Some("File Name".into());
        let m: TaskMetadata = serde_json::from_value(serde_json::json!({
            "patient": {"id": "P-42", "sex": "female", "ward": "B2"},
            "recording": {"device": "Holter X"},
            "tags": ["study-1"]
        }))
        .unwrap();
        m.validate().unwrap();
        m.apply(&mut r).unwrap();
        assert_eq!(r.personal.patient_id.as_deref(), Some("P-42"));
        assert_eq!(r.personal.name.as_deref(), Some("File Name"));
        assert_eq!(r.personal.sex, Some(ecg_core::Sex::Female));
        assert_eq!(r.personal.other.get("ward").map(String::as_str), Some("B2"));
        assert_eq!(r.readings.device.as_deref(), Some("Holter X"));
        assert_eq!(m.patient_id().as_deref(), Some("P-42"));
    }

    #[test]
    fn wrong_types_are_refused() {
        let m: TaskMetadata =
            serde_json::from_value(serde_json::json!({"patient": {"sex": "sometimes"}})).unwrap();
        assert!(m.validate().is_err());
        let m: TaskMetadata =
            serde_json::from_value(serde_json::json!({"patient": {"x": 3}})).unwrap();
        assert!(m.validate().is_err());
    }
}
