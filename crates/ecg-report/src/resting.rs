//! The resting 12-lead report: one landscape page with the patient header, measurements,
//! statements, the lead layout with calibration pulses on the grid, and the footer.

use std::collections::HashMap;

use ecg_core::{AamiClass, Record};

use crate::error::{Error, Result};
use crate::font::{Fonts, Style};
use crate::frame::{self, Details, NONE, value};
use crate::input::{ReportInput, RestingMeasurements};
use crate::labels::Labels;
use crate::leads::{self, TWELVE_LEADS, Trace};
use crate::options::{LeadLayout, ReportOptions};
use crate::paper;
use crate::pdf::{Align, Canvas, PdfBuilder, Rgb};

/// Page geometry of the resting report, in millimetres from the top left corner of the
/// landscape page. Public so that viewers and tests can find the waveforms on the page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RestingGeometry {
    /// Page width.
    pub width: f64,
    /// Page height.
    pub height: f64,
    /// Grid left edge (a whole number of mm).
    pub grid_x: f64,
    /// Grid top edge.
    pub grid_y: f64,
    /// Grid width (a multiple of 5 mm).
    pub grid_w: f64,
    /// Grid height (a multiple of 5 mm).
    pub grid_h: f64,
    /// Where time 0 of the waveforms is (after the calibration pulse).
    pub trace_x: f64,
    /// Seconds shown across the page (10 s at 25 mm/s, 5 s at 50 mm/s).
    pub seconds: f64,
}

impl RestingGeometry {
    /// The geometry for these options: landscape paper, 6 mm side margins rounded to a
    /// grid of whole 5 mm squares, grid from 50 mm below the top edge to 14 mm above the
    /// bottom edge, calibration pulse 2 mm into the grid.
    pub fn new(options: &ReportOptions) -> RestingGeometry {
        let (width, height) = options.paper.landscape_mm();
        let speed = options.speed.mm_per_s();
        let grid_w = 5.0 * ((width - 12.0) / 5.0).floor();
        let grid_x = ((width - grid_w) / 2.0).floor();
        let grid_y = 50.0;
        let grid_h = 5.0 * ((height - 14.0 - grid_y) / 5.0).floor();
        let trace_x = grid_x + 3.0 + paper::calibration_width(speed);
        let available = grid_x + grid_w - 1.0 - trace_x;
        let seconds = ((available / speed) * 10.0).floor() / 10.0;
        RestingGeometry {
            width,
            height,
            grid_x,
            grid_y,
            grid_w,
            grid_h,
            trace_x,
            seconds: seconds.min(10.0),
        }
    }

    /// Number of waveform rows of a layout.
    pub fn rows(options: &ReportOptions) -> usize {
        match options.layout {
            LeadLayout::ThreeByFour => 3,
            LeadLayout::ThreeByFourPlusRhythm => 3 + options.rhythm_leads.len().clamp(1, 3),
            LeadLayout::SixByTwo => 6,
            LeadLayout::TwelveByOne => 12,
        }
    }

    /// Baseline (y, mm) of waveform row `row` (0 = top): 60 % down the row's band.
    pub fn baseline(&self, options: &ReportOptions, row: usize) -> f64 {
        let pitch = self.grid_h / Self::rows(options) as f64;
        self.grid_y + pitch * (row as f64 + 0.6)
    }
}

/// One lead segment: lead name and its time span (s, from the window start).
struct Cell {
    lead: String,
    from: f64,
    to: f64,
}

fn rows(layout: LeadLayout, seconds: f64, rhythm: &[String]) -> Vec<Vec<Cell>> {
    let cell = |lead: &str, from: f64, to: f64| Cell {
        lead: lead.to_string(),
        from,
        to,
    };
    match layout {
        LeadLayout::ThreeByFour | LeadLayout::ThreeByFourPlusRhythm => {
            let quarter = seconds / 4.0;
            let mut out: Vec<Vec<Cell>> = (0..3)
                .map(|r| {
                    (0..4)
                        .map(|c| {
                            cell(
                                TWELVE_LEADS[c * 3 + r],
                                c as f64 * quarter,
                                (c + 1) as f64 * quarter,
                            )
                        })
                        .collect()
                })
                .collect();
            if layout == LeadLayout::ThreeByFourPlusRhythm {
                for lead in rhythm.iter().take(3) {
                    out.push(vec![cell(lead, 0.0, seconds)]);
                }
            }
            out
        }
        LeadLayout::SixByTwo => (0..6)
            .map(|r| {
                vec![
                    cell(TWELVE_LEADS[r], 0.0, seconds / 2.0),
                    cell(TWELVE_LEADS[r + 6], seconds / 2.0, seconds),
                ]
            })
            .collect(),
        LeadLayout::TwelveByOne => TWELVE_LEADS
            .iter()
            .map(|l| vec![cell(l, 0.0, seconds)])
            .collect(),
    }
}

/// Global measurements of the record: the input's overrides, else the record's own (the
/// acquiring device's, SCP section 7), else derived from the analysis (heart rate and RR
/// from the beats, QRS from the dominant template). QTc is computed with Bazett's formula only when QT and RR
/// are known and no QTc was given.
pub(crate) fn measurements(input: &ReportInput<'_>) -> (RestingMeasurements, bool) {
    let mut from_record = RestingMeasurements::default();
    for m in &input.record.classification.measurements {
        if m.lead.is_some() || !m.value.is_finite() {
            continue;
        }
        let slot = match m.name.as_str() {
            "ventricular rate" if m.value > 0.0 => &mut from_record.hr_bpm,
            "RR" if m.value > 0.0 => &mut from_record.rr_ms,
            "PR" => &mut from_record.pr_ms,
            "QRS" => &mut from_record.qrs_ms,
            "QT" => &mut from_record.qt_ms,
            "QTc" => &mut from_record.qtc_ms,
            "P axis" => &mut from_record.p_axis_deg,
            "QRS axis" => &mut from_record.qrs_axis_deg,
            "T axis" => &mut from_record.t_axis_deg,
            _ => continue,
        };
        slot.get_or_insert(m.value);
    }
    if let (Some(hr), None) = (from_record.hr_bpm, from_record.rr_ms)
        && hr > 0.0
    {
        from_record.rr_ms = Some(60_000.0 / hr);
    }
    let mut from_analysis = RestingMeasurements::default();
    if let Some(a) = input.analysis {
        let rr: Vec<f64> = a
            .beats
            .windows(2)
            .map(|w| (w[1].sample - w[0].sample) as f64 / a.fs)
            .filter(|&r| r > 0.2 && r < 3.0)
            .collect();
        if !rr.is_empty() && a.fs > 0.0 {
            let mean = rr.iter().sum::<f64>() / rr.len() as f64;
            from_analysis.rr_ms = Some(mean * 1000.0);
            from_analysis.hr_bpm = Some(60.0 / mean);
        }
        from_analysis.qrs_ms = a
            .templates
            .iter()
            .filter(|t| t.class == AamiClass::N && t.qrs_ms > 0.0)
            .max_by_key(|t| t.count)
            .map(|t| f64::from(t.qrs_ms));
        // the resting delineation (median beats) is more precise than the beat list
        if let Some(rm) = &a.measurements {
            from_analysis = RestingMeasurements {
                hr_bpm: rm.heart_rate_bpm,
                rr_ms: rm.rr_ms,
                pr_ms: rm.pr_ms,
                qrs_ms: rm.qrs_ms,
                qt_ms: rm.qt_ms,
                qtc_ms: None,
                p_axis_deg: rm.p_axis_deg,
                qrs_axis_deg: rm.qrs_axis_deg,
                t_axis_deg: rm.t_axis_deg,
            }
            .or(from_analysis);
        }
    }
    let mut m = input.measurements.or(from_record).or(from_analysis);
    let mut bazett = false;
    if m.qtc_ms.is_none()
        && let (Some(qt), Some(rr)) = (m.qt_ms, m.rr_ms)
        && rr > 0.0
    {
        m.qtc_ms = Some(qt / (rr / 1000.0).sqrt());
        bazett = true;
    }
    (m, bazett)
}

/// Renders the resting report.
pub(crate) fn render(input: &ReportInput<'_>) -> Result<Vec<u8>> {
    let record = input.record;
    if record.signals.is_empty() {
        return Err(Error::NoSignal {
            record: record.name.clone(),
            reason: "no signals".into(),
        });
    }
    let opts = &input.options;
    let labels = Labels::of(opts.language);
    let mut pdf = PdfBuilder::new(Fonts::new(&opts.fonts.fallback_fonts)?);
    let logo = frame::embed_logo(&mut pdf, input)?;
    let g = RestingGeometry::new(&input.options);
    let mut c = Canvas::new(g.height);
    let details = Details::resolve(input);
    header(&mut c, &mut pdf.fonts, input, &details, labels, &g, logo)?;
    let derived = waveforms(&mut c, &mut pdf.fonts, input, labels, &g)?;
    settings_line(&mut c, &mut pdf.fonts, input, labels, &g, &derived)?;
    pdf.push_page(g.width, g.height, c);
    frame::footers(&mut pdf, input, labels, g.grid_x)?;
    let title = match &details.name {
        Some(n) => format!("{} — {n}", labels.title_resting),
        None => format!("{} — {}", labels.title_resting, record.name),
    };
    pdf.finish(&title, input.generated_at)
}

const LINE: f64 = 3.7;

#[allow(clippy::too_many_arguments)]
fn field(
    c: &mut Canvas,
    fonts: &mut Fonts,
    x: f64,
    y: f64,
    label_w: f64,
    value_w: f64,
    label: &str,
    text: &str,
) -> Result<()> {
    c.fill_rgb(Rgb::GREY);
    c.text(fonts, x, y, 7.5, Style::Regular, Align::Left, label)?;
    c.fill_rgb(Rgb::BLACK);
    let text = frame::fit(fonts, text, 7.5, Style::Regular, value_w)?;
    c.text(
        fonts,
        x + label_w,
        y,
        7.5,
        Style::Regular,
        Align::Left,
        &text,
    )?;
    Ok(())
}

fn header(
    c: &mut Canvas,
    fonts: &mut Fonts,
    input: &ReportInput<'_>,
    d: &Details,
    labels: &Labels,
    g: &RestingGeometry,
    logo: Option<f64>,
) -> Result<()> {
    let x = g.grid_x;
    let right = g.grid_x + g.grid_w;
    let logo_w = if logo.is_some() { 42.0 } else { 0.0 };
    frame::draw_logo(c, logo, right, 6.0, 40.0, 14.0);
    // name line
    let name = d.name.clone().unwrap_or_else(|| NONE.to_string());
    let name = frame::fit(fonts, &name, 13.0, Style::Bold, 120.0)?;
    c.text(fonts, x, 12.0, 13.0, Style::Bold, Align::Left, &name)?;
    let mut title = labels.title_resting.to_string();
    if let Some(t) = d.acquired {
        title.push_str(&format!(" · {}", frame::datetime(t)));
    }
    c.text(
        fonts,
        right - logo_w,
        12.0,
        10.0,
        Style::Bold,
        Align::Right,
        &title,
    )?;
    c.stroke_rgb(Rgb(0.6, 0.6, 0.6));
    c.line_width(0.2);
    c.segment(x, 14.5, right - logo_w, 14.5);
    c.stroke();

    // column 1: patient and acquisition
    let mut y = 19.0;
    let sex = d.sex.map(|s| labels.sex_name(s).to_string());
    let born = match (d.birth_date, d.age_years) {
        (Some(b), Some(a)) => format!("{} ({} {})", b.format("%Y-%m-%d"), a.floor(), labels.years),
        (Some(b), None) => b.format("%Y-%m-%d").to_string(),
        (None, Some(a)) => format!("{} {}", a.floor(), labels.years),
        (None, None) => NONE.to_string(),
    };
    let born_label = if d.birth_date.is_some() {
        labels.born
    } else {
        labels.age
    };
    let rows: [(&str, String); 7] = [
        (labels.id, d.id.clone().unwrap_or_else(|| NONE.into())),
        (born_label, born),
        (labels.sex, sex.unwrap_or_else(|| NONE.into())),
        (
            labels.institution,
            d.institution.clone().unwrap_or_else(|| NONE.into()),
        ),
        (
            labels.referring,
            d.referring.clone().unwrap_or_else(|| NONE.into()),
        ),
        (
            labels.device,
            d.device.clone().unwrap_or_else(|| NONE.into()),
        ),
        (
            labels.technician,
            d.technician.clone().unwrap_or_else(|| NONE.into()),
        ),
    ];
    for (label, text) in rows.iter() {
        field(c, fonts, x, y, 31.0, 60.0, label, text)?;
        y += LINE;
    }
    if let Some(ind) = &d.indication {
        field(c, fonts, x, y, 31.0, 60.0, labels.indication, ind)?;
    }

    // column 2: measurements
    let mx = x + 95.0;
    let (m, bazett) = measurements(input);
    c.text(
        fonts,
        mx,
        19.0,
        8.0,
        Style::Bold,
        Align::Left,
        labels.measurements,
    )?;
    let ms = |v: Option<f64>| value(v, 0, "");
    let qt = format!("{} / {} ms", ms(m.qt_ms), ms(m.qtc_ms));
    let axes = format!(
        "{} {} {}",
        ms(m.p_axis_deg),
        ms(m.qrs_axis_deg),
        ms(m.t_axis_deg)
    );
    let mrows: [(&str, String); 6] = [
        (labels.vent_rate, value(m.hr_bpm, 0, "bpm")),
        (labels.rr, value(m.rr_ms, 0, "ms")),
        (labels.pr, value(m.pr_ms, 0, "ms")),
        (labels.qrs, value(m.qrs_ms, 0, "ms")),
        (
            labels.qt_qtc,
            if bazett { format!("{qt} (Bazett)") } else { qt },
        ),
        (labels.axes, axes),
    ];
    let mut y = 19.0 + LINE;
    for (label, text) in mrows.iter() {
        c.fill_rgb(Rgb::GREY);
        c.text(fonts, mx, y, 7.5, Style::Regular, Align::Left, label)?;
        c.fill_rgb(Rgb::BLACK);
        c.text(fonts, mx + 24.0, y, 7.5, Style::Bold, Align::Left, text)?;
        y += LINE;
    }

    // column 3: statements and conclusion
    let sx = x + 158.0;
    let sw = right - logo_w - sx;
    c.text(
        fonts,
        sx,
        19.0,
        8.0,
        Style::Bold,
        Align::Left,
        labels.interpretation,
    )?;
    let statements: Vec<String> = match &input.statements {
        Some(s) => s.clone(),
        None if !input.record.classification.statements.is_empty() => input
            .record
            .classification
            .statements
            .iter()
            .map(|s| s.text.clone())
            .collect(),
        // the analysis' rhythm and rule-based statements (each rule is in the JSON result)
        None => input
            .analysis
            .and_then(|a| a.measurements.as_ref())
            .map(|m| {
                m.rhythm
                    .iter()
                    .chain(&m.statements)
                    .map(|s| s.text.clone())
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut lines = Vec::new();
    for s in statements.iter().filter(|s| !s.trim().is_empty()) {
        lines.extend(frame::wrap(fonts, s.trim(), 8.0, Style::Regular, sw)?);
    }
    if let Some(conclusion) = input.conclusion.as_deref().filter(|s| !s.trim().is_empty()) {
        lines.push(format!("{}:", labels.conclusion));
        lines.extend(frame::wrap(
            fonts,
            conclusion.trim(),
            8.0,
            Style::Regular,
            sw,
        )?);
    }
    let mut y = 19.0 + LINE;
    let max_lines = ((g.grid_y - 2.0 - y) / LINE).floor() as usize + 1;
    if lines.is_empty() {
        c.fill_rgb(Rgb::GREY);
        c.text(
            fonts,
            sx,
            y,
            8.0,
            Style::Regular,
            Align::Left,
            labels.no_statements,
        )?;
        c.fill_rgb(Rgb::BLACK);
    }
    let total = lines.len();
    for (i, line) in lines.into_iter().enumerate() {
        if i + 1 == max_lines && total > max_lines {
            c.text(fonts, sx, y, 8.0, Style::Regular, Align::Left, "…")?;
            break;
        }
        c.text(fonts, sx, y, 8.0, Style::Regular, Align::Left, &line)?;
        y += LINE;
    }
    Ok(())
}

/// Draws grid, calibration pulses, waveforms, labels and column markers. Returns the
/// names of the leads that were derived from I and II.
fn waveforms(
    c: &mut Canvas,
    fonts: &mut Fonts,
    input: &ReportInput<'_>,
    labels: &Labels,
    g: &RestingGeometry,
) -> Result<Vec<String>> {
    let opts = &input.options;
    let record = input.record;
    let speed = opts.speed.mm_per_s();
    let gain = opts.gain.mm_per_mv();
    let seconds = g.seconds.min(record.duration_s()).max(0.0);
    let rhythm = rhythm_leads(record, &opts.rhythm_leads);
    let layout = rows(opts.layout, g.seconds, &rhythm);
    let mut traces: HashMap<String, Option<(Trace, bool)>> = HashMap::new();
    for cell in layout.iter().flatten() {
        if !traces.contains_key(&cell.lead) {
            let t = leads::lead_window(record, &cell.lead, 0.0, seconds, &opts.filter)?;
            traces.insert(cell.lead.clone(), t);
        }
    }
    paper::grid(c, g.grid_x, g.grid_y, g.grid_w, g.grid_h);
    let pitch = g.grid_h / layout.len() as f64;
    debug_assert_eq!(layout.len(), RestingGeometry::rows(opts));
    c.save();
    c.clip_rect(g.grid_x, g.grid_y, g.grid_w, g.grid_h);
    for (r, row) in layout.iter().enumerate() {
        let top = g.grid_y + pitch * r as f64;
        let baseline = g.baseline(opts, r);
        paper::calibration_pulse(c, g.grid_x + 2.0, baseline, gain, speed);
        for (k, cell) in row.iter().enumerate() {
            let x = g.trace_x + cell.from * speed;
            match traces.get(&cell.lead).and_then(Option::as_ref) {
                Some((trace, _)) => {
                    let from = (cell.from * trace.fs).round() as usize;
                    let to = (cell.to * trace.fs).round() as usize;
                    paper::waveform(
                        c,
                        trace,
                        from..to,
                        x,
                        baseline,
                        paper::PaperScale {
                            mm_per_s: speed,
                            mm_per_mv: gain,
                        },
                    );
                }
                None => {
                    c.fill_rgb(Rgb::GREY);
                    c.text(
                        fonts,
                        x + 8.0,
                        baseline - 1.0,
                        7.0,
                        Style::Regular,
                        Align::Left,
                        labels.lead_missing,
                    )?;
                    c.fill_rgb(Rgb::BLACK);
                }
            }
            c.text(
                fonts,
                x + 1.0,
                top + 4.5,
                9.0,
                Style::Bold,
                Align::Left,
                &cell.lead,
            )?;
            if k > 0 {
                c.stroke_rgb(Rgb::BLACK);
                c.line_width(0.35);
                c.segment(x, baseline - 3.0, x, baseline + 3.0);
                c.stroke();
            }
        }
    }
    c.restore();
    let mut derived: Vec<String> = traces
        .iter()
        .filter(|(_, t)| matches!(t, Some((_, true))))
        .map(|(k, _)| k.clone())
        .collect();
    derived.sort_by_key(|l| TWELVE_LEADS.iter().position(|x| x == l));
    Ok(derived)
}

/// The rhythm leads asked for (one to three, lead II when none), each replaced by the
/// record's first signal when the record neither has nor can derive it.
fn rhythm_leads(record: &Record, wanted: &[String]) -> Vec<String> {
    let default = ["II".to_string()];
    let wanted = if wanted.is_empty() {
        &default[..]
    } else {
        wanted
    };
    let available = |l: &str| {
        leads::find_lead(record, l).is_some()
            || (matches!(
                leads::canonical_lead(l),
                Some("III" | "aVR" | "aVL" | "aVF")
            ) && leads::find_lead(record, "I").is_some()
                && leads::find_lead(record, "II").is_some())
    };
    wanted
        .iter()
        .take(3)
        .map(|l| {
            if available(l) {
                leads::canonical_lead(l).map_or_else(|| l.clone(), str::to_string)
            } else {
                record
                    .signals
                    .first()
                    .map_or_else(|| l.clone(), |s| s.label.clone())
            }
        })
        .collect()
}

fn settings_line(
    c: &mut Canvas,
    fonts: &mut Fonts,
    input: &ReportInput<'_>,
    labels: &Labels,
    g: &RestingGeometry,
    derived: &[String],
) -> Result<()> {
    let opts = &input.options;
    let y = g.grid_y + g.grid_h + 4.0;
    let f = &opts.filter;
    let fs = input
        .record
        .signals
        .iter()
        .map(|s| s.fs)
        .fold(0.0, f64::max);
    let hz = |v: f64| {
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v}")
        }
    };
    let lp = f.lowpass_hz.filter(|&lp| lp < 0.45 * fs);
    let band = match (f.highpass_hz, lp) {
        (Some(hp), Some(lp)) => format!("{}–{} Hz", hz(hp), hz(lp)),
        (Some(hp), None) => format!("≥ {} Hz", hz(hp)),
        (None, Some(lp)) => format!("≤ {} Hz", hz(lp)),
        (None, None) => "off".into(),
    };
    let mut filter = format!("{}: {band} ({})", labels.filter, labels.zero_phase);
    if let Some(n) = f.notch_hz {
        filter.push_str(&format!(", notch {} Hz", hz(n)));
    }
    let rd = &input.record.readings;
    let device: Vec<String> = [
        ("HP", rd.highpass_hz),
        ("LP", rd.lowpass_hz),
        ("notch", rd.notch_hz),
    ]
    .iter()
    .filter_map(|(name, v)| {
        v.filter(|v| v.is_finite())
            .map(|v| format!("{name} {} Hz", hz(v)))
    })
    .collect();
    if !device.is_empty() {
        filter.push_str(&format!(" · {}: {}", labels.device, device.join(", ")));
    }
    let text = format!(
        "{:.0} mm/s   {:.0} mm/mV   {}   {:.0} Hz   {}",
        opts.speed.mm_per_s(),
        opts.gain.mm_per_mv(),
        filter,
        fs,
        opts.layout
    );
    c.text(fonts, g.grid_x, y, 8.0, Style::Bold, Align::Left, &text)?;
    if !derived.is_empty() {
        c.fill_rgb(Rgb::GREY);
        let note = format!("{}: = f(I, II)", derived.join(", "));
        c.text(
            fonts,
            g.grid_x + g.grid_w,
            y,
            7.0,
            Style::Regular,
            Align::Right,
            &note,
        )?;
        c.fill_rgb(Rgb::BLACK);
    }
    Ok(())
}
