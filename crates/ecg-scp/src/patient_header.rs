//! Section 1: patient data and ECG acquisition data, a list of tagged fields
//! (tag byte, 2-byte length, value; tag 255 ends the list). EN 1064 clause 5.4.

use chrono::{NaiveDate, NaiveTime};
use ecg_core::{ExtraReadings, PersonalData, Sex, chrono};

use crate::structure::SectionRef;
use crate::text::TextEncoding;

/// What section 1 says, mapped onto the record model.
#[derive(Clone, Debug, Default)]
pub(crate) struct PatientHeader {
    /// Patient data.
    pub personal: PersonalData,
    /// Device, institution, filters, ...
    pub readings: ExtraReadings,
    /// Date of acquisition (tag 25).
    pub date: Option<NaiveDate>,
    /// Time of acquisition (tag 26).
    pub time: Option<NaiveTime>,
    /// SCP protocol revision of the acquiring device (tag 14 byte 15), 0 when absent.
    pub protocol_revision: u8,
    /// Character set of the text fields.
    pub encoding: TextEncoding,
}

/// Manufacturer codes of tag 14/15 byte 8.
const MANUFACTURERS: [&str; 21] = [
    "",
    "Burdick",
    "Cambridge",
    "Compumed",
    "Datamed",
    "Fukuda",
    "Hewlett-Packard",
    "Marquette Electronics",
    "Mortara Instruments",
    "Nihon Kohden",
    "Okin",
    "Quinton",
    "Siemens",
    "Spacelabs",
    "Telemed",
    "Hellige",
    "ESA-OTE",
    "Schiller",
    "Picker-Schwarzer",
    "et medical devices",
    "Zwonitz",
];

/// One tagged field.
struct Tag<'a> {
    tag: u8,
    value: &'a [u8],
}

/// Splits section 1 into its tags; stops at tag 255 or where a length runs past the end.
fn tags<'a>(section: &SectionRef<'a>, warnings: &mut Vec<String>) -> Vec<Tag<'a>> {
    let body = section.body;
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 3 <= body.len() {
        let tag = body[pos];
        let len = u16::from_le_bytes([body[pos + 1], body[pos + 2]]) as usize;
        if tag == 255 {
            return out;
        }
        let start = pos + 3;
        if start + len > body.len() {
            warnings.push(format!(
                "section 1: tag {tag} at byte offset {} says {len} bytes but only {} remain; \
                 the rest of section 1 is ignored",
                section.body_offset() + pos,
                body.len() - start
            ));
            return out;
        }
        out.push(Tag {
            tag,
            value: &body[start..start + len],
        });
        pos = start + len;
    }
    if body[pos.min(body.len())..].iter().any(|&b| b != 0) || pos == 0 {
        warnings.push("section 1 has no terminating tag 255".into());
    }
    out
}

fn u16_at(v: &[u8], at: usize) -> Option<u16> {
    v.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

/// A date field (year u16, month u8, day u8); all zero means "not given".
fn date(v: &[u8], what: &str, warnings: &mut Vec<String>) -> Option<NaiveDate> {
    let year = u16_at(v, 0)?;
    let (month, day) = (*v.get(2)?, *v.get(3)?);
    if year == 0 && month == 0 && day == 0 {
        return None;
    }
    let d = (1..=9999)
        .contains(&year)
        .then(|| NaiveDate::from_ymd_opt(year as i32, month as u32, day as u32))
        .flatten();
    if d.is_none() {
        warnings.push(format!(
            "section 1: {what} {year:04}-{month:02}-{day:02} is not a valid date; ignored"
        ));
    }
    d
}

fn hex(v: &[u8]) -> String {
    v.iter().map(|b| format!("{b:02x}")).collect()
}

/// A device identification (tags 14 and 15).
struct Device {
    institution: u16,
    department: u16,
    device_id: u16,
    device_type: u8,
    manufacturer_code: u8,
    model: String,
    protocol_revision: u8,
    compatibility: u8,
    language: u8,
    capabilities: u8,
    mains: u8,
    analysis_revision: String,
    serial: String,
    software: String,
    scp_software: String,
    trade_name: String,
}

impl Device {
    fn parse(v: &[u8], enc: TextEncoding) -> Option<Device> {
        if v.len() < 19 {
            return None;
        }
        let mut strings: Vec<String> = Vec::new();
        if v.len() > 35 {
            let rev_len = v[35] as usize;
            let rev = v.get(36..(36 + rev_len).min(v.len())).unwrap_or(&[]);
            strings.push(enc.decode(rev));
            let rest = v.get(36 + rev_len..).unwrap_or(&[]);
            strings.extend(rest.split(|&b| b == 0).take(4).map(|s| enc.decode(s)));
        }
        strings.resize(5, String::new());
        let [
            analysis_revision,
            serial,
            software,
            scp_software,
            trade_name,
        ]: [String; 5] = strings.try_into().ok()?;
        Some(Device {
            institution: u16_at(v, 0)?,
            department: u16_at(v, 2)?,
            device_id: u16_at(v, 4)?,
            device_type: v[6],
            manufacturer_code: v[7],
            model: enc.decode(&v[8..14]),
            protocol_revision: v[14],
            compatibility: v[15],
            language: v[16],
            capabilities: v[17],
            mains: v[18],
            analysis_revision,
            serial,
            software,
            scp_software,
            trade_name,
        })
    }

    fn manufacturer(&self) -> Option<String> {
        if !self.trade_name.is_empty() {
            return Some(self.trade_name.clone());
        }
        MANUFACTURERS
            .get(self.manufacturer_code as usize)
            .filter(|m| !m.is_empty())
            .map(|m| m.to_string())
    }

    /// Stores the fields without a dedicated place in `other`, keys prefixed.
    fn store_details(&self, prefix: &str, other: &mut std::collections::BTreeMap<String, String>) {
        let mut put = |k: &str, v: String| {
            if !v.is_empty() {
                other.insert(format!("{prefix}_{k}"), v);
            }
        };
        put("institution_number", self.institution.to_string());
        put("department_number", self.department.to_string());
        put("device_id", self.device_id.to_string());
        put(
            "device_type",
            match self.device_type {
                0 => "cart".into(),
                1 => "system or host".into(),
                t => format!("code {t}"),
            },
        );
        put("manufacturer_code", self.manufacturer_code.to_string());
        put("protocol_revision", self.protocol_revision.to_string());
        put(
            "compatibility_level",
            format!("0x{:02X}", self.compatibility),
        );
        put("language_code", format!("0x{:02X}", self.language));
        let caps: Vec<&str> = [(4, "print"), (5, "interpret"), (6, "store"), (7, "acquire")]
            .iter()
            .filter(|(bit, _)| self.capabilities & (1 << bit) != 0)
            .map(|(_, n)| *n)
            .collect();
        put("capabilities", caps.join(","));
        put(
            "mains_frequency_hz",
            match self.mains {
                1 => "50".into(),
                2 => "60".into(),
                _ => String::new(),
            },
        );
        put("analysis_program_revision", self.analysis_revision.clone());
        put("scp_implementation", self.scp_software.clone());
    }
}

/// Parses section 1.
pub(crate) fn parse_patient_header(
    section: &SectionRef<'_>,
    warnings: &mut Vec<String>,
) -> PatientHeader {
    let tags = tags(section, warnings);
    let mut h = PatientHeader::default();
    // Tag 14 announces the character set of every text field.
    if let Some(code) = tags
        .iter()
        .find(|t| t.tag == 14)
        .and_then(|t| t.value.get(16))
    {
        h.encoding = TextEncoding::from_language_code(*code);
    }
    let enc = h.encoding;
    let text = |v: &[u8]| enc.decode(v);
    let mut age_given = false;
    let mut referral = Vec::new();
    let mut history = Vec::new();
    for t in &tags {
        let v = t.value;
        let p = &mut h.personal;
        let r = &mut h.readings;
        let nonempty = |s: String| (!s.is_empty()).then_some(s);
        match t.tag {
            0 => p.last_name = nonempty(text(v)),
            1 => p.first_name = nonempty(text(v)),
            2 => p.patient_id = nonempty(text(v)),
            3 => {
                if let Some(s) = nonempty(text(v)) {
                    p.other.insert("second_last_name".into(), s);
                }
            }
            4 => {
                if let (Some(age), Some(&unit)) = (u16_at(v, 0), v.get(2))
                    && age > 0
                {
                    let per_year = match unit {
                        1 => Some(1.0),
                        2 => Some(12.0),
                        3 => Some(365.25 / 7.0),
                        4 => Some(365.25),
                        5 => Some(365.25 * 24.0),
                        _ => None,
                    };
                    match per_year {
                        Some(d) => {
                            p.age_years = Some(age as f64 / d);
                            age_given = true;
                        }
                        None => {
                            p.other
                                .insert("age".into(), format!("{age} (unit code {unit})"));
                        }
                    }
                }
            }
            5 => p.birth_date = date(v, "date of birth (tag 5)", warnings),
            6 => {
                if let (Some(x), Some(&unit)) = (u16_at(v, 0), v.get(2))
                    && x > 0
                {
                    match unit {
                        1 => p.height_cm = Some(x as f64),
                        2 => p.height_cm = Some(x as f64 * 2.54),
                        3 => p.height_cm = Some(x as f64 / 10.0),
                        _ => {
                            p.other
                                .insert("height".into(), format!("{x} (unit code {unit})"));
                        }
                    }
                }
            }
            7 => {
                if let (Some(x), Some(&unit)) = (u16_at(v, 0), v.get(2))
                    && x > 0
                {
                    match unit {
                        1 => p.weight_kg = Some(x as f64),
                        2 => p.weight_kg = Some(x as f64 / 1000.0),
                        3 => p.weight_kg = Some(x as f64 * 0.453_592_37),
                        4 => p.weight_kg = Some(x as f64 * 0.028_349_523_125),
                        _ => {
                            p.other
                                .insert("weight".into(), format!("{x} (unit code {unit})"));
                        }
                    }
                }
            }
            8 => match v.first() {
                Some(1) => p.sex = Some(Sex::Male),
                Some(2) => p.sex = Some(Sex::Female),
                Some(9) => p.sex = Some(Sex::Unspecified),
                Some(0) | None => {}
                Some(c) => {
                    p.other.insert("sex_code".into(), c.to_string());
                }
            },
            9 => {
                p.race = match v.first() {
                    Some(0) | None => None,
                    Some(1) => Some("caucasian".into()),
                    Some(2) => Some("black".into()),
                    Some(3) => Some("oriental".into()),
                    Some(c) => Some(format!("code {c}")),
                }
            }
            10 => {
                let desc = v.get(3..).map(text).unwrap_or_default();
                let drug = if desc.is_empty() {
                    match v {
                        [table, class, code, ..] => {
                            format!("drug class {class} code {code} (table {table})")
                        }
                        _ => String::new(),
                    }
                } else {
                    desc
                };
                if !drug.is_empty() {
                    p.medications.push(drug);
                }
            }
            11 => p.systolic_mmhg = u16_at(v, 0).filter(|&x| x > 0).map(f64::from),
            12 => p.diastolic_mmhg = u16_at(v, 0).filter(|&x| x > 0).map(f64::from),
            13 => referral.extend(nonempty(text(v))),
            14 | 15 => match Device::parse(v, enc) {
                Some(d) if t.tag == 14 => {
                    r.device = nonempty(d.model.clone());
                    r.manufacturer = d.manufacturer();
                    r.serial_number = nonempty(d.serial.clone());
                    r.software_version = nonempty(d.software.clone());
                    h.protocol_revision = d.protocol_revision;
                    d.store_details("acquiring_device", &mut r.other);
                }
                Some(d) => {
                    let o = &mut r.other;
                    for (k, val) in [
                        ("model", d.model.clone()),
                        ("manufacturer", d.manufacturer().unwrap_or_default()),
                        ("serial_number", d.serial.clone()),
                        ("software", d.software.clone()),
                    ] {
                        if !val.is_empty() {
                            o.insert(format!("analysing_device_{k}"), val);
                        }
                    }
                    d.store_details("analysing_device", o);
                }
                None => warnings.push(format!(
                    "section 1: tag {} (device identification) has {} bytes, at least 19 expected; ignored",
                    t.tag,
                    v.len()
                )),
            },
            16 => r.institution = nonempty(text(v)),
            18 => r.department = nonempty(text(v)),
            20 => r.referring_physician = nonempty(text(v)),
            22 => r.technician = nonempty(text(v)),
            17 | 19 | 21 | 23 | 31 => {
                let key = match t.tag {
                    17 => "analysing_institution",
                    19 => "analysing_department",
                    21 => "confirming_physician",
                    23 => "room",
                    _ => "sequence_number",
                };
                if let Some(s) = nonempty(text(v)) {
                    r.other.insert(key.into(), s);
                }
            }
            24 => {
                if let Some(c) = v.first() {
                    r.other.insert("stat_code".into(), c.to_string());
                }
            }
            25 => h.date = date(v, "date of acquisition (tag 25)", warnings),
            26 => {
                h.time = match v {
                    [hh, mm, ss, ..] => {
                        let t = NaiveTime::from_hms_opt(*hh as u32, *mm as u32, *ss as u32);
                        if t.is_none() {
                            warnings.push(format!(
                                "section 1: time of acquisition {hh:02}:{mm:02}:{ss:02} is not valid; ignored"
                            ));
                        }
                        t
                    }
                    _ => None,
                }
            }
            27 => {
                r.highpass_hz = u16_at(v, 0)
                    .filter(|&x| x > 0)
                    .map(|x| x as f64 / 100.0)
            }
            28 => r.lowpass_hz = u16_at(v, 0).filter(|&x| x > 0).map(f64::from),
            29 => {
                if let Some(&bits) = v.first() {
                    r.notch_hz = if bits & 0x01 != 0 {
                        Some(60.0)
                    } else if bits & 0x02 != 0 {
                        Some(50.0)
                    } else {
                        None
                    };
                    let names: Vec<&str> = [
                        (0, "60 Hz notch"),
                        (1, "50 Hz notch"),
                        (2, "artifact"),
                        (3, "baseline"),
                    ]
                    .iter()
                    .filter(|(b, _)| bits & (1 << b) != 0)
                    .map(|(_, n)| *n)
                    .collect();
                    r.other.insert("filters".into(), names.join(","));
                }
            }
            30 => r.comments.extend(nonempty(text(v))),
            32 => {
                if let Some((table, codes)) = v.split_first() {
                    let list: Vec<String> = codes.iter().map(u8::to_string).collect();
                    p.other.insert(
                        "medical_history_codes".into(),
                        format!("table {table}: {}", list.join(",")),
                    );
                }
            }
            33 => {
                if let [twelve, xyz, ..] = v {
                    let twelve = match twelve {
                        0 => None,
                        1 => Some("standard 12-lead"),
                        2 => Some("Mason-Likar, individual electrodes"),
                        3 => Some("Mason-Likar, one pad"),
                        4 => Some("all electrodes on one pad"),
                        5 => Some("12-lead derived from Frank XYZ"),
                        _ => Some("non-standard"),
                    };
                    let xyz = match xyz {
                        0 => None,
                        1 => Some("Frank"),
                        2 => Some("McFee-Parungao"),
                        3 => Some("cube"),
                        4 => Some("bipolar uncorrected"),
                        5 => Some("pseudo-orthogonal"),
                        6 => Some("derived from 12-lead"),
                        _ => Some("non-standard"),
                    };
                    if let Some(s) = twelve {
                        r.other.insert("electrodes_12_lead".into(), s.into());
                    }
                    if let Some(s) = xyz {
                        r.other.insert("electrodes_xyz".into(), s.into());
                    }
                }
            }
            34 => {
                if let Some(offset) = u16_at(v, 0).map(|x| x as i16)
                    && offset != 0x7FFF
                    && (-900..=900).contains(&offset)
                {
                    r.other
                        .insert("utc_offset_minutes".into(), offset.to_string());
                }
                if let Some(s) = v.get(4..).map(text).filter(|s| !s.is_empty()) {
                    r.other.insert("time_zone".into(), s);
                }
            }
            35 => history.extend(nonempty(text(v))),
            200..=254 => {
                let s = text(v);
                let printable = !s.is_empty() && v.iter().all(|&b| b == 0 || b >= 0x20);
                r.other.insert(
                    format!("manufacturer_tag_{}", t.tag),
                    if printable { s } else { hex(v) },
                );
            }
            other => {
                r.other.insert(format!("scp_tag_{other}"), hex(v));
            }
        }
    }
    let p = &mut h.personal;
    if !referral.is_empty() {
        p.other
            .insert("referral_indication".into(), referral.join("; "));
    }
    if !history.is_empty() {
        p.other.insert("medical_history".into(), history.join("; "));
    }
    p.name = match (&p.last_name, &p.first_name) {
        (Some(l), Some(f)) => Some(format!("{l}, {f}")),
        (Some(n), None) | (None, Some(n)) => Some(n.clone()),
        (None, None) => None,
    };
    if !age_given && let (Some(born), Some(on)) = (p.birth_date, h.date) {
        use chrono::Datelike;
        let mut years = on.year() - born.year();
        if (on.month(), on.day()) < (born.month(), born.day()) {
            years -= 1;
        }
        if years >= 0 {
            p.age_years = Some(years as f64);
        }
    }
    h
}
