//! Section 7 (global measurements and pacemaker spikes, EN 1064 clause 5.10) and
//! section 10 (per-lead measurements, clause 5.13).

use ecg_core::{Event, Measurement};

use crate::fields::Fields;
use crate::lead_definition::lead_name;
use crate::structure::SectionRef;

/// "Not computed", "rejected by the analysis" and similar markers.
fn missing(v: i32) -> bool {
    (29997..=29999).contains(&v) || v == -29999
}

fn push(out: &mut Vec<Measurement>, name: String, lead: Option<&str>, value: i32, unit: &str) {
    if missing(value) {
        return;
    }
    out.push(Measurement {
        name,
        lead: lead.map(str::to_owned),
        value: value as f64,
        unit: (!unit.is_empty()).then(|| unit.to_owned()),
    });
}

/// What section 7 holds.
#[derive(Clone, Debug, Default)]
pub(crate) struct GlobalMeasurements {
    /// Measurements (intervals, axes, rates).
    pub measurements: Vec<Measurement>,
    /// Pacemaker spikes as events.
    pub spikes: Vec<Event>,
    /// The QTc formula, when given.
    pub qtc_formula: Option<String>,
}

/// Parses section 7 as far as its bytes go (later fields are optional).
pub(crate) fn parse_global_measurements(
    section: &SectionRef<'_>,
    warnings: &mut Vec<String>,
) -> GlobalMeasurements {
    let mut g = GlobalMeasurements::default();
    let mut f = section.fields();
    if let Err(e) = global_fields(&mut f, &mut g) {
        warnings.push(format!("section 7 read partially: {e}"));
    }
    g
}

fn global_fields(f: &mut Fields<'_>, g: &mut GlobalMeasurements) -> crate::error::Result<()> {
    let blocks = f.u8("number of measurement blocks")?;
    let spikes = f.u8("number of pacemaker spikes")? as usize;
    let rr = f.u16("average RR interval")?;
    let pp = f.u16("average PP interval")?;
    let m = &mut g.measurements;
    push(m, "RR".into(), None, rr as i32, "ms");
    push(m, "PP".into(), None, pp as i32, "ms");
    for b in 0..blocks {
        let suffix = if b == 0 {
            String::new()
        } else {
            format!(" (beat type {b})")
        };
        let mut v = [0i32; 5];
        for (x, what) in v
            .iter_mut()
            .zip(["P onset", "P offset", "QRS onset", "QRS offset"])
        {
            *x = f.u16(what)? as i32;
        }
        v[4] = f.u16("T offset")? as i32;
        let axes = [f.i16("P axis")?, f.i16("QRS axis")?, f.i16("T axis")?];
        let [p_on, p_off, q_on, q_off, t_off] = v;
        for (name, x) in [
            ("P onset", p_on),
            ("P offset", p_off),
            ("QRS onset", q_on),
            ("QRS offset", q_off),
            ("T offset", t_off),
        ] {
            push(m, format!("{name}{suffix}"), None, x, "ms");
        }
        let both = |a: i32, b: i32| (!missing(a) && !missing(b) && b >= a).then_some(b - a);
        for (name, x) in [
            ("P duration", both(p_on, p_off)),
            ("PR", both(p_on, q_on)),
            ("QRS", both(q_on, q_off)),
            ("QT", both(q_on, t_off)),
        ] {
            if let Some(x) = x {
                push(m, format!("{name}{suffix}"), None, x, "ms");
            }
        }
        for (name, x) in ["P axis", "QRS axis", "T axis"].iter().zip(axes) {
            // 999 is "undefined axis"
            if x != 999 {
                push(m, format!("{name}{suffix}"), None, x as i32, "deg");
            }
        }
    }
    let mut times = Vec::with_capacity(spikes);
    for _ in 0..spikes {
        let t = f.u16("pacemaker spike time")?;
        let a = f.i16("pacemaker spike amplitude")?;
        times.push((t, a));
    }
    let mut infos = Vec::with_capacity(spikes);
    for _ in 0..spikes {
        if f.remaining() < 6 {
            break;
        }
        let kind = f.u8("spike type")?;
        let source = f.u8("spike source")?;
        let qrs = f.u16("triggered QRS index")?;
        let width = f.u16("pulse width")?;
        infos.push((kind, source, qrs, width));
    }
    for (k, (t, a)) in times.into_iter().enumerate() {
        let mut text = format!("pacemaker spike, amplitude {a} uV");
        if let Some(&(kind, source, qrs, width)) = infos.get(k) {
            let kind = match kind {
                0 => Some("unknown type".to_string()),
                1 => Some("triggers neither P nor QRS".into()),
                2 => Some("triggers a QRS".into()),
                3 => Some("triggers a P wave".into()),
                255 => None,
                c => Some(format!("type {c}")),
            };
            if let Some(kind) = kind {
                text.push_str(&format!(", {kind}"));
            }
            match source {
                1 => text.push_str(", internal"),
                2 => text.push_str(", external"),
                _ => {}
            }
            if qrs > 0 {
                text.push_str(&format!(", QRS {qrs}"));
            }
            if width > 0 {
                text.push_str(&format!(", width {width} us"));
            }
        }
        g.spikes.push(Event {
            onset_s: t as f64 / 1000.0,
            duration_s: None,
            text,
        });
    }
    if f.remaining() < 2 {
        return Ok(());
    }
    let nqrs = f.u16("number of QRS complexes")? as usize;
    f.skip(nqrs, "QRS types")?;
    if f.remaining() < 7 {
        return Ok(());
    }
    let vent = f.u16("ventricular rate")?;
    let atrial = f.u16("atrial rate")?;
    let qtc = f.u16("QTc")?;
    let formula = f.u8("QTc formula")?;
    let m = &mut g.measurements;
    push(m, "ventricular rate".into(), None, vent as i32, "bpm");
    push(m, "atrial rate".into(), None, atrial as i32, "bpm");
    push(m, "QTc".into(), None, qtc as i32, "ms");
    g.qtc_formula = match formula {
        0 => None,
        1 => Some("Bazett".into()),
        2 => Some("Hodges".into()),
        c => Some(format!("code {c}")),
    };
    Ok(())
}

/// Names and units of the per-lead measurements of section 10, in file order.
const LEAD_MEASUREMENTS: [(&str, &str); 31] = [
    ("P duration", "ms"),
    ("PR", "ms"),
    ("QRS", "ms"),
    ("QT", "ms"),
    ("Q duration", "ms"),
    ("R duration", "ms"),
    ("S duration", "ms"),
    ("R' duration", "ms"),
    ("S' duration", "ms"),
    ("Q amplitude", "uV"),
    ("R amplitude", "uV"),
    ("S amplitude", "uV"),
    ("R' amplitude", "uV"),
    ("S' amplitude", "uV"),
    ("J amplitude", "uV"),
    ("P+ amplitude", "uV"),
    ("P- amplitude", "uV"),
    ("T+ amplitude", "uV"),
    ("T- amplitude", "uV"),
    ("ST slope", "uV/s"),
    ("P morphology", ""),
    ("T morphology", ""),
    ("isoelectric segment at QRS onset", "ms"),
    ("isoelectric segment at QRS end", "ms"),
    ("intrinsicoid deflection", "ms"),
    ("quality code", ""),
    ("ST amplitude J+20ms", "uV"),
    ("ST amplitude J+60ms", "uV"),
    ("ST amplitude J+80ms", "uV"),
    ("ST amplitude J+RR/16", "uV"),
    ("ST amplitude J+RR/8", "uV"),
];

/// Parses section 10 as far as its bytes go.
pub(crate) fn parse_lead_measurements(
    section: &SectionRef<'_>,
    warnings: &mut Vec<String>,
) -> Vec<Measurement> {
    let mut out = Vec::new();
    let mut f = section.fields();
    let r = (|| -> crate::error::Result<()> {
        let n = f.u16("number of leads")?;
        f.skip(2, "manufacturer specific field")?;
        for _ in 0..n {
            if f.remaining() < 4 {
                break;
            }
            let id = f.u16("lead id")?;
            let len = f.u16("length of the lead's measurements")? as usize;
            let label = u8::try_from(id)
                .map(lead_name)
                .unwrap_or_else(|_| format!("lead {id}"));
            let mut g = Fields::new(10, f.offset(), f.bytes(len, "lead measurements")?);
            for k in 0..len / 2 {
                let v = g.i16("measurement")? as i32;
                let (name, unit) = LEAD_MEASUREMENTS
                    .get(k)
                    .map(|&(n, u)| (n.to_string(), u))
                    .unwrap_or_else(|| (format!("measurement {}", k + 1), ""));
                push(&mut out, name, Some(&label), v, unit);
            }
        }
        Ok(())
    })();
    if let Err(e) = r {
        warnings.push(format!("section 10 read partially: {e}"));
    }
    out
}
