//! What each column of the header is: a lead (label and unit), the time axis, or a row
//! index.

/// The unit of a numeric time column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum TimeUnit {
    /// Seconds (stated).
    Seconds,
    /// Milliseconds (stated).
    Milliseconds,
    /// Microseconds (stated).
    Microseconds,
    /// Not stated: seconds unless the steps are whole numbers of at least 1 (then
    /// milliseconds, with a warning).
    Unstated,
}

impl TimeUnit {
    /// Seconds per unit (`Unstated` counts as seconds).
    pub(crate) fn seconds(self) -> f64 {
        match self {
            TimeUnit::Seconds | TimeUnit::Unstated => 1.0,
            TimeUnit::Milliseconds => 1e-3,
            TimeUnit::Microseconds => 1e-6,
        }
    }
}

/// The role of one column.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Role {
    /// A signal with this label and unit (`None` = not stated).
    Lead {
        /// Label without the unit.
        label: String,
        /// Unit from the header, normalised (`uV`, `mV`, `V`).
        unit: Option<String>,
    },
    /// Numeric time axis.
    Time {
        /// The header label.
        label: String,
        /// Its unit.
        unit: TimeUnit,
    },
    /// ISO 8601 timestamps.
    Timestamp {
        /// The header label.
        label: String,
    },
    /// A running sample number or row index (the first column only).
    Index {
        /// The header label.
        label: String,
    },
}

/// Splits `II (mV)`, `II [uV]`, `II/mV` into the label and the unit.
pub(crate) fn split_unit(cell: &str) -> (String, Option<String>) {
    let cell = cell.trim();
    for (open, close) in [('(', ')'), ('[', ']'), ('{', '}')] {
        if let Some(body) = cell.strip_suffix(close)
            && let Some(i) = body.rfind(open)
        {
            let unit = body[i + open.len_utf8()..].trim();
            let label = body[..i].trim().trim_end_matches(['_', '-', ' ']);
            if !unit.is_empty() {
                return (label.to_string(), Some(unit.to_string()));
            }
        }
    }
    for sep in ['/', '_'] {
        if let Some(i) = cell.rfind(sep) {
            let unit = &cell[i + 1..];
            if normalise_unit(unit).is_some() || time_unit(unit).is_some() {
                return (cell[..i].trim().to_string(), Some(unit.to_string()));
            }
        }
    }
    (cell.to_string(), None)
}

/// Normalises voltage units (`µV`, `μV`, `uv`, `microvolt` -> `uV`; `mv` -> `mV`;
/// `nV`, `V`); `None` for anything else.
pub(crate) fn normalise_unit(unit: &str) -> Option<&'static str> {
    let u = unit.trim().to_ascii_lowercase();
    Some(match u.as_str() {
        "uv" | "µv" | "μv" | "microvolt" | "microvolts" => "uV",
        "mv" | "millivolt" | "millivolts" => "mV",
        "nv" | "nanovolt" | "nanovolts" => "nV",
        "v" | "volt" | "volts" => "V",
        _ => return None,
    })
}

/// A time unit from a unit text.
fn time_unit(unit: &str) -> Option<TimeUnit> {
    let u = unit.trim().to_ascii_lowercase();
    Some(match u.as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => TimeUnit::Seconds,
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => TimeUnit::Milliseconds,
        "us" | "µs" | "μs" | "usec" | "microsecond" | "microseconds" => TimeUnit::Microseconds,
        _ => return None,
    })
}

/// Decides each column's role from the header cells (or `None` without a header).
/// `iso_time` says the first column holds timestamps.
pub(crate) fn roles(header: Option<&[String]>, columns: usize, iso_time: bool) -> Vec<Role> {
    (0..columns)
        .map(|i| {
            let cell = header.and_then(|h| h.get(i)).map_or("", String::as_str);
            let fallback = if iso_time && i == 0 {
                "time".to_string()
            } else {
                format!("ch{}", i + if iso_time { 0 } else { 1 })
            };
            if iso_time && i == 0 {
                let label = if cell.trim().is_empty() {
                    fallback
                } else {
                    cell.trim().to_string()
                };
                return Role::Timestamp { label };
            }
            if header.is_none() {
                return Role::Lead {
                    label: fallback,
                    unit: None,
                };
            }
            let (label, unit) = split_unit(cell);
            let lower = label.to_ascii_lowercase();
            let stated_time = unit.as_deref().and_then(time_unit);
            let is_time_name = matches!(
                lower.as_str(),
                "t" | "time"
                    | "times"
                    | "timestamp"
                    | "time stamp"
                    | "elapsed time"
                    | "elapsed_time"
                    | "elapsed"
                    | "sec"
                    | "secs"
                    | "seconds"
                    | "s"
                    | "ms"
                    | "msec"
                    | "milliseconds"
                    | "zeit"
                    | "temps"
                    | "tiempo"
                    | "tempo"
            ) || lower.starts_with("time");
            if is_time_name || (stated_time.is_some() && !lower.is_empty()) {
                let unit = stated_time
                    .or_else(|| time_unit(&lower))
                    .or_else(|| lower.strip_prefix("time").and_then(time_unit))
                    .unwrap_or(TimeUnit::Unstated);
                return Role::Time { label, unit };
            }
            if i == 0
                && matches!(
                    lower.as_str(),
                    "" | "#"
                        | "n"
                        | "idx"
                        | "index"
                        | "sample"
                        | "samples"
                        | "sample #"
                        | "sample_number"
                        | "sample number"
                        | "sample no"
                        | "sample_index"
                        | "row"
                )
            {
                return Role::Index { label };
            }
            let label = if label.is_empty() { fallback } else { label };
            let unit = unit.map(|u| normalise_unit(&u).map_or(u, str::to_string));
            Role::Lead { label, unit }
        })
        .collect()
}

/// A sampling frequency stated in a comment line (`# sampling rate: 500 Hz`, `fs=250`).
pub(crate) fn frequency_from_comments(comments: &[String]) -> Option<f64> {
    for c in comments {
        let lower = c.to_ascii_lowercase();
        let keyed = ["sampling", "sample rate", "samplerate", "frequency", "fs"]
            .iter()
            .any(|k| lower.starts_with(k) || lower.contains(&format!(" {k}")));
        if !keyed {
            continue;
        }
        let Some(i) = lower.find([':', '=']) else {
            continue;
        };
        let value = lower[i + 1..].trim();
        let number: String = value
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        if let Ok(fs) = number.parse::<f64>()
            && fs.is_finite()
            && fs > 0.0
        {
            return Some(fs);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_in_headers() {
        assert_eq!(split_unit("II (mV)"), ("II".into(), Some("mV".into())));
        assert_eq!(split_unit(" V1 [µV] "), ("V1".into(), Some("µV".into())));
        assert_eq!(split_unit("II_uV"), ("II".into(), Some("uV".into())));
        assert_eq!(split_unit("time_ms"), ("time".into(), Some("ms".into())));
        assert_eq!(split_unit("aVR"), ("aVR".into(), None));
        assert_eq!(split_unit("lead_II"), ("lead_II".into(), None));
        assert_eq!(normalise_unit("μV"), Some("uV"));
    }

    #[test]
    fn column_roles() {
        let h: Vec<String> = ["Time (ms)", "II (µV)", "V5"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let r = roles(Some(&h), 3, false);
        assert_eq!(
            r[0],
            Role::Time {
                label: "Time".into(),
                unit: TimeUnit::Milliseconds
            }
        );
        assert_eq!(
            r[1],
            Role::Lead {
                label: "II".into(),
                unit: Some("uV".into())
            }
        );
        assert_eq!(
            r[2],
            Role::Lead {
                label: "V5".into(),
                unit: None
            }
        );
        let h: Vec<String> = ["", "I"].iter().map(|s| s.to_string()).collect();
        assert!(matches!(roles(Some(&h), 2, false)[0], Role::Index { .. }));
        let h: Vec<String> = ["t", "I"].iter().map(|s| s.to_string()).collect();
        assert!(matches!(
            roles(Some(&h), 2, false)[0],
            Role::Time {
                unit: TimeUnit::Unstated,
                ..
            }
        ));
        let r = roles(None, 2, true);
        assert!(matches!(r[0], Role::Timestamp { .. }));
        assert_eq!(
            r[1],
            Role::Lead {
                label: "ch1".into(),
                unit: None
            }
        );
        assert_eq!(
            frequency_from_comments(&["Sampling rate: 500 Hz".into()]),
            Some(500.0)
        );
        assert_eq!(frequency_from_comments(&["fs=250".into()]), Some(250.0));
        assert_eq!(frequency_from_comments(&["patient: 12".into()]), None);
    }
}
