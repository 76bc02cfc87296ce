//! What every page shares: the resolved patient and acquisition details, the logo, the
//! footer (software, confirmation, page numbers) and value formatting.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use ecg_core::Sex;

use crate::error::Result;
use crate::font::{Fonts, Style};
use crate::image;
use crate::input::ReportInput;
use crate::labels::Labels;
use crate::pdf::{Align, Canvas, PdfBuilder, Rgb};

/// The dash printed for a value nobody provided.
pub const NONE: &str = "—";

/// Patient and acquisition details: the input's overrides, else the record's.
#[derive(Clone, Debug, Default)]
pub(crate) struct Details {
    pub name: Option<String>,
    pub id: Option<String>,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub age_years: Option<f64>,
    pub acquired: Option<NaiveDateTime>,
    pub device: Option<String>,
    pub institution: Option<String>,
    pub referring: Option<String>,
    pub technician: Option<String>,
    pub indication: Option<String>,
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl Details {
    pub fn resolve(input: &ReportInput<'_>) -> Details {
        let r = input.record;
        let d = &input.details;
        let p = &r.personal;
        let name = non_empty(&d.patient_name)
            .or_else(|| non_empty(&p.name))
            .or_else(
                || match (non_empty(&p.last_name), non_empty(&p.first_name)) {
                    (Some(l), Some(f)) => Some(format!("{l}, {f}")),
                    (Some(l), None) => Some(l),
                    (None, Some(f)) => Some(f),
                    (None, None) => None,
                },
            );
        let acquired = d.acquired_at.or_else(|| {
            r.start_date
                .map(|date| date.and_time(r.start_time.unwrap_or_default()))
        });
        let birth_date = d.birth_date.or(p.birth_date);
        let age_years = d.age_years.or(p.age_years).or_else(|| {
            let (b, a) = (birth_date?, acquired?.date());
            let mut years = a.year() - b.year();
            if (a.month(), a.day()) < (b.month(), b.day()) {
                years -= 1;
            }
            (years >= 0).then_some(f64::from(years))
        });
        let device = non_empty(&d.device).or_else(|| {
            let rd = &r.readings;
            let parts: Vec<String> = [&rd.manufacturer, &rd.device]
                .into_iter()
                .filter_map(non_empty)
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        });
        let institution = non_empty(&d.institution)
            .or_else(|| non_empty(&r.readings.institution))
            .map(|i| {
                match non_empty(&d.department).or_else(|| non_empty(&r.readings.department)) {
                    Some(dep) => format!("{i}, {dep}"),
                    None => i,
                }
            });
        Details {
            name,
            id: non_empty(&d.patient_id).or_else(|| non_empty(&p.patient_id)),
            sex: d.sex.or(p.sex),
            birth_date,
            age_years,
            acquired,
            device,
            institution,
            referring: non_empty(&d.referring_physician)
                .or_else(|| non_empty(&r.readings.referring_physician)),
            technician: non_empty(&d.technician).or_else(|| non_empty(&r.readings.technician)),
            indication: non_empty(&d.indication),
        }
    }
}

/// `v` with `decimals` places and a unit, or the dash.
pub(crate) fn value(v: Option<f64>, decimals: usize, unit: &str) -> String {
    match v {
        Some(v) if v.is_finite() => {
            if unit.is_empty() {
                format!("{v:.decimals$}")
            } else {
                format!("{v:.decimals$} {unit}")
            }
        }
        _ => NONE.to_string(),
    }
}

/// Seconds as `h:mm:ss`.
pub(crate) fn hms(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Date and time as printed.
pub(crate) fn datetime(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Clock time of a moment `seconds` into the recording: `HH:MM:SS` of day when the start
/// time is known (with `+Nd` past midnight), else elapsed `h:mm:ss`.
pub(crate) fn clock(start: Option<NaiveDateTime>, seconds: f64) -> String {
    match start {
        Some(t0) => {
            let t = t0 + chrono::Duration::milliseconds((seconds * 1000.0).round() as i64);
            let days = (t.date() - t0.date()).num_days();
            if days > 0 {
                format!("{} +{days}d", t.format("%H:%M:%S"))
            } else {
                t.format("%H:%M:%S").to_string()
            }
        }
        None => hms(seconds),
    }
}

/// The logo, embedded once as `/Logo` when the options carry one. Returns its aspect
/// ratio (width / height).
pub(crate) fn embed_logo(pdf: &mut PdfBuilder, input: &ReportInput<'_>) -> Result<Option<f64>> {
    let Some(logo) = &input.options.logo else {
        return Ok(None);
    };
    let img = image::decode(&logo.bytes)?;
    let mut stream = img.stream;
    if let Some(mask) = img.smask {
        let mask_id = pdf.add_object(mask);
        stream.dict.set("SMask", mask_id);
    }
    pdf.add_image("Logo", stream)?;
    Ok(Some(f64::from(img.width) / f64::from(img.height)))
}

/// Draws the logo into a box whose top right corner is `(right, top)`.
pub(crate) fn draw_logo(
    c: &mut Canvas,
    aspect: Option<f64>,
    right: f64,
    top: f64,
    max_w: f64,
    max_h: f64,
) {
    if let Some(a) = aspect {
        let (mut w, mut h) = (max_w, max_w / a);
        if h > max_h {
            h = max_h;
            w = max_h * a;
        }
        c.image("Logo", right - w, top, w, h);
    }
}

/// Writes the footer of every page: software, confirmation state, page numbers.
pub(crate) fn footers(
    pdf: &mut PdfBuilder,
    input: &ReportInput<'_>,
    labels: &Labels,
    margin: f64,
) -> Result<()> {
    let pages = pdf.page_count();
    let mut left = input.software.clone();
    if let Some(t) = input.generated_at {
        left.push_str(&format!(" · {}", datetime(t)));
    }
    let (confirmation, style, colour) = match &input.approval {
        Some(a) => (
            format!(
                "{} {} · {}",
                labels.confirmed_by,
                a.physician,
                a.at.format("%Y-%m-%d %H:%M %:z")
            ),
            Style::Regular,
            Rgb::BLACK,
        ),
        None => (
            labels.unconfirmed.to_string(),
            Style::Bold,
            Rgb(0.75, 0.0, 0.0),
        ),
    };
    for i in 0..pages {
        let Some((c, fonts, w, h)) = pdf.page_mut(i) else {
            continue;
        };
        let y = h - 5.0;
        c.fill_rgb(Rgb::GREY);
        c.text(fonts, margin, y, 7.0, Style::Regular, Align::Left, &left)?;
        c.fill_rgb(colour);
        c.text(fonts, w / 2.0, y, 8.0, style, Align::Center, &confirmation)?;
        c.fill_rgb(Rgb::GREY);
        let page = format!("{} {} {} {}", labels.page, i + 1, labels.of, pages);
        c.text(
            fonts,
            w - margin,
            y,
            7.0,
            Style::Regular,
            Align::Right,
            &page,
        )?;
        c.fill_rgb(Rgb::BLACK);
    }
    Ok(())
}

/// Text cut to fit `max_w` mm at `size_pt`, with an ellipsis when cut.
pub(crate) fn fit(
    fonts: &mut Fonts,
    text: &str,
    size_pt: f64,
    style: Style,
    max_w: f64,
) -> Result<String> {
    let em = |fonts: &mut Fonts, t: &str| -> Result<f64> {
        Ok(fonts.measure(t, style)? * size_pt / crate::pdf::PT_PER_MM)
    };
    if em(fonts, text)? <= max_w {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut lo, mut hi) = (0, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let candidate: String = chars[..mid].iter().collect::<String>() + "…";
        if em(fonts, &candidate)? <= max_w {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(chars[..lo]
        .iter()
        .collect::<String>()
        .trim_end()
        .to_string()
        + "…")
}

/// Splits `text` into lines no wider than `max_w` mm (at word boundaries; characters of
/// scripts without spaces break anywhere).
pub(crate) fn wrap(
    fonts: &mut Fonts,
    text: &str,
    size_pt: f64,
    style: Style,
    max_w: f64,
) -> Result<Vec<String>> {
    let scale = size_pt / crate::pdf::PT_PER_MM;
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if fonts.measure(&candidate, style)? * scale <= max_w {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // a word longer than the line: break it by characters
            let mut piece = String::new();
            for ch in word.chars() {
                piece.push(ch);
                if fonts.measure(&piece, style)? * scale > max_w && piece.chars().count() > 1 {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    piece.push(ch);
                }
            }
            line = piece;
        }
        lines.push(line);
    }
    Ok(lines)
}
