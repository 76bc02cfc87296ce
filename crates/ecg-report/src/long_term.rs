//! The long-term (Holter) report: portrait pages with the summary and the reviewer's
//! conclusion, the heart-rate trend and the hourly table, the event list, and a strip for
//! each significant event with the beat labels above the beats and the RR intervals (ms)
//! below them.

use ecg_analysis::{Analysis, Episode, EpisodeKind};
use ecg_core::AamiClass;

use crate::error::{Error, Result};
use crate::font::{Fonts, Style};
use crate::frame::{self, Details, NONE, value};
use crate::input::{ReportInput, StripRequest};
use crate::labels::Labels;
use crate::leads::{self, Trace};
use crate::paper::{self, PaperScale};
use crate::pdf::{Align, Canvas, PdfBuilder, Rgb};
use crate::trend;

const MARGIN: f64 = 10.0;
const TOP: f64 = 22.0;
const BOTTOM: f64 = 12.0;
/// Height of one signal's band in a strip (mm).
const CHANNEL_MM: f64 = 20.0;
const BLUE: Rgb = Rgb(0.1, 0.25, 0.6);
const LIGHT_BLUE: Rgb = Rgb(0.62, 0.74, 0.92);
const STRIPE: Rgb = Rgb(0.94, 0.94, 0.94);
const EVENT: Rgb = Rgb(0.95, 0.55, 0.1);

/// Colour of a beat label.
fn class_colour(class: AamiClass) -> Rgb {
    match class {
        AamiClass::N => Rgb::BLACK,
        AamiClass::S => Rgb(0.0, 0.3, 0.85),
        AamiClass::V => Rgb(0.85, 0.0, 0.0),
        AamiClass::F => Rgb(0.8, 0.45, 0.0),
        AamiClass::Q => Rgb(0.45, 0.45, 0.45),
    }
}

fn class_letter(class: AamiClass) -> &'static str {
    match class {
        AamiClass::N => "N",
        AamiClass::S => "S",
        AamiClass::V => "V",
        AamiClass::F => "F",
        AamiClass::Q => "Q",
    }
}

/// A strip to print: window start and length (s), title, and the event span to mark.
#[derive(Clone, Debug)]
pub(crate) struct Strip {
    pub start_s: f64,
    pub title: String,
    pub mark: Option<(f64, f64)>,
}

/// Which events get strips, most important first.
const STRIP_PRIORITY: [EpisodeKind; 16] = [
    EpisodeKind::VentricularTachycardia,
    EpisodeKind::SupraventricularTachycardia,
    EpisodeKind::AtrialFibrillation,
    EpisodeKind::AtrialFlutter,
    EpisodeKind::Pause,
    EpisodeKind::VentricularRun,
    EpisodeKind::SupraventricularRun,
    EpisodeKind::VentricularCouplet,
    EpisodeKind::SupraventricularCouplet,
    EpisodeKind::VentricularBigeminy,
    EpisodeKind::VentricularTrigeminy,
    EpisodeKind::SupraventricularBigeminy,
    EpisodeKind::SupraventricularTrigeminy,
    EpisodeKind::SinusTachycardia,
    EpisodeKind::SinusBradycardia,
    EpisodeKind::Noise,
];

/// The automatic strip selection: round by round, the next most significant episode of
/// each kind in [`STRIP_PRIORITY`] order (the maximum and minimum heart rate after the
/// first round), skipping windows that overlap a chosen one, up to `max`.
pub(crate) fn select_strips(
    a: &Analysis,
    labels: &Labels,
    input: &ReportInput<'_>,
    strip_s: f64,
    start: Option<chrono::NaiveDateTime>,
) -> Vec<Strip> {
    let max = input.options.max_strips;
    let lang = input.options.language;
    let fs = a.fs;
    if fs <= 0.0 || max == 0 {
        return Vec::new();
    }
    let significance = |e: &Episode| -> f64 {
        match e.kind {
            EpisodeKind::Pause => (e.end - e.start) as f64,
            EpisodeKind::SinusBradycardia => -e.mean_hr_bpm.unwrap_or(0.0),
            EpisodeKind::SinusTachycardia => e.mean_hr_bpm.unwrap_or(0.0),
            _ => f64::from(e.beats) * 1e6 + e.mean_hr_bpm.unwrap_or(0.0),
        }
    };
    let mut by_kind: Vec<Vec<&Episode>> = STRIP_PRIORITY
        .iter()
        .map(|k| {
            let mut v: Vec<&Episode> = a.episodes.iter().filter(|e| e.kind == *k).collect();
            v.sort_by(|x, y| significance(y).total_cmp(&significance(x)));
            v
        })
        .collect();
    let window_of = |e: &Episode| -> (f64, Option<(f64, f64)>) {
        let (s, end) = (e.start as f64 / fs, e.end as f64 / fs);
        let w0 = if end - s < strip_s - 2.0 {
            (s + end) / 2.0 - strip_s / 2.0
        } else {
            s - 1.5
        };
        (w0, Some((s, end)))
    };
    let mut out: Vec<Strip> = Vec::new();
    let overlaps =
        |out: &[Strip], w0: f64| out.iter().any(|s| (s.start_s - w0).abs() < strip_s * 0.5);
    let describe = |e: &Episode| -> String {
        let mut t = format!(
            "{} · {}",
            labels.episode(e.kind, lang),
            frame::clock(start, e.start as f64 / fs)
        );
        let dur = (e.end - e.start) as f64 / fs;
        if e.kind == EpisodeKind::Pause {
            t.push_str(&format!(" · {dur:.2} s"));
        } else {
            if e.beats > 0 {
                t.push_str(&format!(" · {} {}", e.beats, labels.beats.to_lowercase()));
            }
            if dur >= 60.0 {
                t.push_str(&format!(" · {}", frame::hms(dur)));
            }
            if let Some(hr) = e.mean_hr_bpm {
                t.push_str(&format!(" · {hr:.0} bpm"));
            }
        }
        t
    };
    let mut round = 0;
    loop {
        let mut added = false;
        for list in by_kind.iter_mut() {
            if out.len() >= max {
                return out;
            }
            while let Some(e) = list.get(round).copied() {
                let (w0, mark) = window_of(e);
                if overlaps(&out, w0) {
                    list.remove(round);
                    continue;
                }
                out.push(Strip {
                    start_s: w0,
                    title: describe(e),
                    mark,
                });
                added = true;
                break;
            }
        }
        if round == 0 {
            for (extreme, title) in [
                (a.summary.hr_max, labels.hr_max_strip),
                (a.summary.hr_min, labels.hr_min_strip),
            ] {
                if let Some((hr, sample)) = extreme
                    && out.len() < max
                {
                    let t = sample as f64 / fs;
                    let w0 = t - strip_s / 2.0;
                    if !overlaps(&out, w0) {
                        out.push(Strip {
                            start_s: w0,
                            title: format!("{title} · {} · {hr:.0} bpm", frame::clock(start, t)),
                            mark: None,
                        });
                        added = true;
                    }
                }
            }
        }
        if !added {
            return out;
        }
        round += 1;
    }
}

struct Writer<'a, 'b> {
    input: &'a ReportInput<'b>,
    labels: &'static Labels,
    details: Details,
    pdf: PdfBuilder,
    canvas: Option<Canvas>,
    logo: Option<f64>,
    width: f64,
    height: f64,
    y: f64,
}

impl Writer<'_, '_> {
    fn close_page(&mut self) {
        if let Some(c) = self.canvas.take() {
            self.pdf.push_page(self.width, self.height, c);
        }
    }

    fn new_page(&mut self) -> Result<()> {
        self.close_page();
        let mut c = Canvas::new(self.height);
        let fonts = &mut self.pdf.fonts;
        let d = &self.details;
        let right = self.width - MARGIN;
        let logo_w = if self.logo.is_some() { 36.0 } else { 0.0 };
        frame::draw_logo(&mut c, self.logo, right, 5.0, 34.0, 12.0);
        let name = frame::fit(
            fonts,
            d.name.as_deref().unwrap_or(NONE),
            11.0,
            Style::Bold,
            95.0,
        )?;
        c.text(fonts, MARGIN, 11.0, 11.0, Style::Bold, Align::Left, &name)?;
        let mut sub = format!("{} {}", self.labels.id, d.id.as_deref().unwrap_or(NONE));
        if let Some(t) = d.acquired {
            sub.push_str(&format!(
                " · {} {}",
                self.labels.recording_start,
                frame::datetime(t)
            ));
        }
        c.fill_rgb(Rgb::GREY);
        c.text(fonts, MARGIN, 15.5, 7.5, Style::Regular, Align::Left, &sub)?;
        c.fill_rgb(Rgb::BLACK);
        c.text(
            fonts,
            right - logo_w,
            11.0,
            10.0,
            Style::Bold,
            Align::Right,
            self.labels.title_long_term,
        )?;
        c.stroke_rgb(Rgb(0.6, 0.6, 0.6));
        c.line_width(0.2);
        c.segment(MARGIN, 18.0, right, 18.0);
        c.stroke();
        self.canvas = Some(c);
        self.y = TOP;
        Ok(())
    }

    /// Starts a new page unless `needed` mm fit below the current position.
    fn ensure(&mut self, needed: f64) -> Result<()> {
        if self.canvas.is_none() || self.y + needed > self.height - BOTTOM {
            self.new_page()?;
        }
        Ok(())
    }

    /// The current canvas and the fonts.
    fn parts(&mut self) -> Result<(&mut Canvas, &mut Fonts)> {
        if self.canvas.is_none() {
            self.new_page()?;
        }
        match self.canvas.as_mut() {
            Some(c) => Ok((c, &mut self.pdf.fonts)),
            None => Err(Error::Pdf("no page".into())),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        x: f64,
        y: f64,
        size: f64,
        style: Style,
        align: Align,
        s: &str,
    ) -> Result<f64> {
        let (c, f) = self.parts()?;
        c.text(f, x, y, size, style, align, s)
    }

    fn heading(&mut self, title: &str) -> Result<()> {
        self.ensure(14.0)?;
        let y = self.y + 5.0;
        self.text(MARGIN, y, 10.0, Style::Bold, Align::Left, title)?;
        self.y = y + 3.0;
        Ok(())
    }

    fn summary(&mut self) -> Result<()> {
        let l = self.labels;
        let input = self.input;
        let a = input.analysis;
        let record = input.record;
        let start = self.details.acquired;
        self.heading(l.summary)?;
        let fs = a.map_or(0.0, |a| a.fs);
        let at = |sample: i64| -> String {
            if fs > 0.0 {
                frame::clock(start, sample as f64 / fs)
            } else {
                NONE.into()
            }
        };
        let mut left: Vec<(String, Vec<(String, String)>)> = Vec::new();
        let mut right: Vec<(String, Vec<(String, String)>)> = Vec::new();
        let d = &self.details;
        left.push((
            l.recording.to_string(),
            vec![
                (
                    l.recording_start.into(),
                    start.map_or(NONE.into(), frame::datetime),
                ),
                (l.duration.into(), frame::hms(record.duration_s())),
                (
                    l.analysed.into(),
                    a.map_or(NONE.into(), |a| frame::hms(a.summary.duration_s)),
                ),
                (l.device.into(), d.device.clone().unwrap_or(NONE.into())),
                (
                    l.institution.into(),
                    d.institution.clone().unwrap_or(NONE.into()),
                ),
                (
                    l.referring.into(),
                    d.referring.clone().unwrap_or(NONE.into()),
                ),
                (
                    l.sex.into(),
                    d.sex.map_or(NONE.into(), |s| l.sex_name(s).to_string()),
                ),
                (l.age.into(), value(d.age_years.map(f64::floor), 0, l.years)),
            ],
        ));
        let s = a.map(|a| &a.summary);
        let hr_at = |v: Option<(f64, i64)>| match v {
            Some((hr, sample)) => format!("{hr:.0} bpm {} {}", l.at, at(sample)),
            None => NONE.into(),
        };
        left.push((
            l.heart_rate.to_string(),
            vec![
                (l.minimum.into(), hr_at(s.and_then(|s| s.hr_min))),
                (l.mean.into(), value(s.and_then(|s| s.hr_mean), 0, "bpm")),
                (l.maximum.into(), hr_at(s.and_then(|s| s.hr_max))),
            ],
        ));
        let counts = s.map(|s| s.class_counts);
        let total: Option<u64> = counts.map(|c| c.iter().sum());
        let pct = |k: usize| match (counts, total) {
            (Some(c), Some(t)) if t > 0 => {
                format!("{} ({:.2} %)", c[k], 100.0 * c[k] as f64 / t as f64)
            }
            (Some(c), _) => c[k].to_string(),
            _ => NONE.into(),
        };
        left.push((
            l.beats.to_string(),
            vec![
                (
                    l.total_beats.into(),
                    total.map_or(NONE.into(), |t| t.to_string()),
                ),
                (l.class_n.into(), pct(0)),
                (l.class_s.into(), pct(1)),
                (l.class_v.into(), pct(2)),
                (l.class_f.into(), pct(3)),
                (l.class_q.into(), pct(4)),
            ],
        ));
        let count = |kinds: &[EpisodeKind]| -> String {
            a.map_or(NONE.into(), |a| {
                a.episodes
                    .iter()
                    .filter(|e| kinds.contains(&e.kind))
                    .count()
                    .to_string()
            })
        };
        let longest = |kinds: &[EpisodeKind]| -> String {
            let Some(a) = a else { return NONE.into() };
            match a
                .episodes
                .iter()
                .filter(|e| kinds.contains(&e.kind))
                .max_by_key(|e| (e.beats, e.end - e.start))
            {
                Some(e) => format!(
                    "{} {} {} {}",
                    e.beats,
                    l.beats.to_lowercase(),
                    l.at,
                    at(e.start)
                ),
                None => NONE.into(),
            }
        };
        let fastest = |kinds: &[EpisodeKind]| -> String {
            let Some(a) = a else { return NONE.into() };
            match a
                .episodes
                .iter()
                .filter(|e| kinds.contains(&e.kind) && e.mean_hr_bpm.is_some())
                .max_by(|x, y| {
                    x.mean_hr_bpm
                        .unwrap_or(0.0)
                        .total_cmp(&y.mean_hr_bpm.unwrap_or(0.0))
                }) {
                Some(e) => format!(
                    "{:.0} bpm {} {}",
                    e.mean_hr_bpm.unwrap_or(0.0),
                    l.at,
                    at(e.start)
                ),
                None => NONE.into(),
            }
        };
        use EpisodeKind as K;
        let v_runs = [K::VentricularRun, K::VentricularTachycardia];
        let s_runs = [K::SupraventricularRun, K::SupraventricularTachycardia];
        right.push((
            l.ventricular.to_string(),
            vec![
                (l.class_v.into(), pct(2)),
                (l.couplets.into(), count(&[K::VentricularCouplet])),
                (l.runs.into(), count(&v_runs)),
                (l.tachycardias.into(), count(&[K::VentricularTachycardia])),
                (l.longest_run.into(), longest(&v_runs)),
                (l.fastest_run.into(), fastest(&v_runs)),
                (l.bigeminy.into(), count(&[K::VentricularBigeminy])),
                (l.trigeminy.into(), count(&[K::VentricularTrigeminy])),
            ],
        ));
        right.push((
            l.supraventricular.to_string(),
            vec![
                (l.class_s.into(), pct(1)),
                (l.couplets.into(), count(&[K::SupraventricularCouplet])),
                (l.runs.into(), count(&s_runs)),
                (
                    l.tachycardias.into(),
                    count(&[K::SupraventricularTachycardia]),
                ),
                (l.longest_run.into(), longest(&s_runs)),
                (l.fastest_run.into(), fastest(&s_runs)),
            ],
        ));
        let longest_rr = match s.and_then(|s| s.longest_rr) {
            Some((rr, sample)) => format!("{rr:.2} s {} {}", l.at, at(sample)),
            None => NONE.into(),
        };
        let af_kinds = [K::AtrialFibrillation, K::AtrialFlutter];
        let longest_af = a
            .and_then(|a| {
                a.episodes
                    .iter()
                    .filter(|e| af_kinds.contains(&e.kind))
                    .max_by_key(|e| e.end - e.start)
            })
            .map_or(NONE.into(), |e| {
                format!(
                    "{} {} {}",
                    frame::hms((e.end - e.start) as f64 / fs),
                    l.at,
                    at(e.start)
                )
            });
        right.push((
            l.pauses.to_string(),
            vec![
                (l.pauses.into(), count(&[K::Pause])),
                (l.longest_rr.into(), longest_rr),
            ],
        ));
        right.push((
            l.af.to_string(),
            vec![
                (
                    l.burden.into(),
                    value(s.map(|s| s.af_burden * 100.0), 1, "%"),
                ),
                (l.episodes.into(), count(&af_kinds)),
                (l.longest_episode.into(), longest_af),
            ],
        ));
        let h = a.and_then(|a| a.hrv);
        let ms = |v: Option<f64>| value(v, 1, "ms");
        let freq = h.and_then(|h| h.frequency);
        right.push((
            l.hrv.to_string(),
            vec![
                ("SDNN".into(), ms(h.map(|h| h.sdnn_ms))),
                ("SDANN".into(), ms(h.and_then(|h| h.sdann_ms))),
                ("SDNN index".into(), ms(h.and_then(|h| h.sdnn_index_ms))),
                ("RMSSD".into(), ms(h.map(|h| h.rmssd_ms))),
                ("pNN50".into(), value(h.map(|h| h.pnn50), 1, "%")),
                (
                    "HRV triangular index".into(),
                    value(h.map(|h| h.triangular_index), 1, ""),
                ),
                ("LF/HF".into(), value(freq.map(|f| f.lf_hf), 2, "")),
            ],
        ));
        right.push((
            l.noise.to_string(),
            vec![(
                l.noise.into(),
                value(s.map(|s| s.noise_fraction * 100.0), 1, "%"),
            )],
        ));
        if a.is_none() {
            let y = self.y + 4.0;
            let (c, f) = self.parts()?;
            c.fill_rgb(Rgb(0.75, 0.0, 0.0));
            c.text(f, MARGIN, y, 8.0, Style::Bold, Align::Left, l.no_analysis)?;
            c.fill_rgb(Rgb::BLACK);
            self.y += 5.0;
        }
        let top = self.y;
        let col_w = (self.width - 2.0 * MARGIN) / 2.0;
        let mut bottom = top;
        for (k, sections) in [left, right].into_iter().enumerate() {
            let x = MARGIN + k as f64 * (col_w + 2.0);
            let mut y = top + 2.0;
            for (title, rows) in sections {
                y += 4.5;
                self.text(x, y, 8.5, Style::Bold, Align::Left, &title)?;
                y += 1.2;
                {
                    let (c, _) = self.parts()?;
                    c.stroke_rgb(Rgb(0.7, 0.7, 0.7));
                    c.line_width(0.15);
                    c.segment(x, y, x + col_w - 4.0, y);
                    c.stroke();
                }
                for (label, text) in rows {
                    y += 3.6;
                    let (c, f) = self.parts()?;
                    c.fill_rgb(Rgb::GREY);
                    let label = frame::fit(f, &label, 7.5, Style::Regular, 40.0)?;
                    c.text(f, x, y, 7.5, Style::Regular, Align::Left, &label)?;
                    c.fill_rgb(Rgb::BLACK);
                    let text = frame::fit(f, &text, 7.5, Style::Bold, col_w - 46.0)?;
                    c.text(f, x + 41.0, y, 7.5, Style::Bold, Align::Left, &text)?;
                }
            }
            bottom = bottom.max(y);
        }
        self.y = bottom + 4.0;
        self.conclusion()
    }

    fn conclusion(&mut self) -> Result<()> {
        let l = self.labels;
        let width = self.width - 2.0 * MARGIN;
        let text = self
            .input
            .conclusion
            .clone()
            .filter(|c| !c.trim().is_empty());
        let lines = {
            let (_, f) = self.parts()?;
            match &text {
                Some(t) => frame::wrap(f, t.trim(), 9.0, Style::Regular, width - 6.0)?,
                None => vec![l.no_conclusion.to_string()],
            }
        };
        let box_h = 10.0 + lines.len() as f64 * 4.2 + 12.0;
        self.ensure(box_h + 6.0)?;
        let y0 = self.y + 2.0;
        self.text(
            MARGIN,
            y0 + 4.0,
            10.0,
            Style::Bold,
            Align::Left,
            l.conclusion,
        )?;
        let approval = self.input.approval.clone();
        let (c, f) = self.parts()?;
        c.stroke_rgb(Rgb(0.4, 0.4, 0.4));
        c.line_width(0.25);
        c.rect(MARGIN, y0 + 6.0, width, box_h - 6.0);
        c.stroke();
        let mut y = y0 + 11.0;
        if text.is_none() {
            c.fill_rgb(Rgb::GREY);
        }
        for line in &lines {
            c.text(f, MARGIN + 3.0, y, 9.0, Style::Regular, Align::Left, line)?;
            y += 4.2;
        }
        c.fill_rgb(Rgb::BLACK);
        let sig_y = y0 + box_h - 2.5;
        let sig = match &approval {
            Some(a) => format!(
                "{} {} · {}",
                l.confirmed_by,
                a.physician,
                a.at.format("%Y-%m-%d %H:%M %:z")
            ),
            None => format!("{}: ____________________________", l.signature),
        };
        c.text(
            f,
            MARGIN + width - 3.0,
            sig_y,
            8.0,
            Style::Regular,
            Align::Right,
            &sig,
        )?;
        self.y = y0 + box_h + 2.0;
        Ok(())
    }

    fn trend(&mut self, a: &Analysis, duration: f64) -> Result<()> {
        let l = self.labels;
        self.new_page()?;
        self.heading(l.hr_trend)?;
        let bins = trend::rate_bins(a, duration, 300.0);
        let plot_h = 62.0;
        let x0 = MARGIN + 10.0;
        let x1 = self.width - MARGIN;
        let y0 = self.y + 4.0;
        let y1 = y0 + plot_h;
        let top_rate = bins
            .iter()
            .filter_map(|b| b.max)
            .fold(0.0f64, f64::max)
            .max(140.0);
        let ymax = ((top_rate / 20.0).ceil() * 20.0).min(300.0);
        let yv = |v: f64| y1 - (v.min(ymax) / ymax) * plot_h;
        let xt = |t: f64| x0 + (t / duration.max(1.0)) * (x1 - x0);
        let start = self.details.acquired;
        let (c, f) = self.parts()?;
        c.line_width(0.1);
        c.stroke_rgb(Rgb(0.8, 0.8, 0.8));
        let mut v = 0.0;
        while v <= ymax + 1e-9 {
            c.segment(x0, yv(v), x1, yv(v));
            v += 20.0;
        }
        c.stroke();
        let mut v = 0.0;
        c.fill_rgb(Rgb::GREY);
        while v <= ymax + 1e-9 {
            c.text(
                f,
                x0 - 1.5,
                yv(v) + 1.0,
                6.5,
                Style::Regular,
                Align::Right,
                &format!("{v:.0}"),
            )?;
            v += 20.0;
        }
        // hour ticks
        let hours = duration / 3600.0;
        let step_h = if hours <= 2.0 {
            1.0 / 6.0
        } else if hours <= 26.0 {
            1.0
        } else if hours <= 72.0 {
            6.0
        } else {
            24.0
        };
        let mut t = 0.0;
        while t <= duration + 1e-6 {
            c.stroke_rgb(Rgb(0.8, 0.8, 0.8));
            c.segment(xt(t), y0, xt(t), y1 + 1.0);
            c.stroke();
            let label = match start {
                Some(_) => frame::clock(start, t).chars().take(5).collect::<String>(),
                // elapsed time; 10-minute ticks of short recordings need the minutes
                None if step_h < 1.0 => {
                    let m = (t / 60.0).round() as u64;
                    format!("{}:{:02}", m / 60, m % 60)
                }
                None => format!("{:.0} h", t / 3600.0),
            };
            c.text(
                f,
                xt(t),
                y1 + 4.0,
                6.5,
                Style::Regular,
                Align::Center,
                &label,
            )?;
            t += step_h * 3600.0;
        }
        c.fill_rgb(Rgb::BLACK);
        c.text(
            f,
            x0 - 9.0,
            y0 - 1.5,
            6.5,
            Style::Regular,
            Align::Left,
            "bpm",
        )?;
        // min-max bars
        let bin_w = (x1 - x0) * 300.0 / duration.max(1.0);
        c.stroke_rgb(LIGHT_BLUE);
        c.line_width((bin_w * 0.8).clamp(0.15, 3.0));
        for (i, b) in bins.iter().enumerate() {
            if let (Some(lo), Some(hi)) = (b.min, b.max) {
                let x = xt((i as f64 + 0.5) * 300.0).min(x1);
                c.segment(x, yv(lo), x, yv(hi) - 0.01);
            }
        }
        c.stroke();
        // mean line
        c.stroke_rgb(BLUE);
        c.line_width(0.35);
        let mut down = false;
        for (i, b) in bins.iter().enumerate() {
            let x = xt((i as f64 + 0.5) * 300.0).min(x1);
            match b.mean {
                Some(m) if down => c.line_to(x, yv(m), 2),
                Some(m) => {
                    c.move_to(x, yv(m), 2);
                    down = true;
                }
                None => down = false,
            }
        }
        c.stroke();
        c.stroke_rgb(Rgb::BLACK);
        c.line_width(0.2);
        c.rect(x0, y0, x1 - x0, plot_h);
        c.stroke();
        self.y = y1 + 8.0;
        Ok(())
    }

    /// A table with a header row, zebra stripes, page breaks (the header repeats).
    fn table(&mut self, columns: &[(&str, f64, Align)], rows: &[Vec<String>]) -> Result<()> {
        let row_h = 4.0;
        let width: f64 = columns.iter().map(|c| c.1).sum();
        let header = |w: &mut Self| -> Result<()> {
            w.ensure(row_h * 3.0)?;
            let y = w.y;
            let (c, f) = w.parts()?;
            c.fill_rgb(Rgb(0.85, 0.85, 0.85));
            c.rect(MARGIN, y, width, row_h);
            c.fill();
            c.fill_rgb(Rgb::BLACK);
            let mut x = MARGIN;
            for (title, cw, align) in columns {
                let tx = match align {
                    Align::Left => x + 1.0,
                    Align::Center => x + cw / 2.0,
                    Align::Right => x + cw - 1.0,
                };
                c.text(f, tx, y + 2.9, 7.0, Style::Bold, *align, title)?;
                x += cw;
            }
            w.y += row_h;
            Ok(())
        };
        header(self)?;
        for (i, row) in rows.iter().enumerate() {
            if self.y + row_h > self.height - BOTTOM {
                self.new_page()?;
                header(self)?;
            }
            let y = self.y;
            let (c, f) = self.parts()?;
            if i % 2 == 1 {
                c.fill_rgb(STRIPE);
                c.rect(MARGIN, y, width, row_h);
                c.fill();
                c.fill_rgb(Rgb::BLACK);
            }
            let mut x = MARGIN;
            for ((_, cw, align), cell) in columns.iter().zip(row) {
                let text = frame::fit(f, cell, 7.0, Style::Regular, cw - 2.0)?;
                let tx = match align {
                    Align::Left => x + 1.0,
                    Align::Center => x + cw / 2.0,
                    Align::Right => x + cw - 1.0,
                };
                c.text(f, tx, y + 2.9, 7.0, Style::Regular, *align, &text)?;
                x += cw;
            }
            self.y += row_h;
        }
        self.y += 2.0;
        Ok(())
    }

    fn hourly(&mut self, a: &Analysis, duration: f64) -> Result<()> {
        let l = self.labels;
        self.heading(l.hourly)?;
        let start = self.details.acquired;
        let rows: Vec<Vec<String>> = trend::hourly(a, duration)
            .iter()
            .map(|r| {
                let hour = match start {
                    Some(_) => format!(
                        "{}–{}",
                        frame::clock(start, r.start_s)
                            .chars()
                            .take(5)
                            .collect::<String>(),
                        frame::clock(start, (r.start_s + 3600.0).min(duration))
                            .chars()
                            .take(5)
                            .collect::<String>()
                    ),
                    None => format!("{:.0} h", r.start_s / 3600.0),
                };
                vec![
                    hour,
                    r.beats.to_string(),
                    value(r.rate.min, 0, ""),
                    value(r.rate.mean, 0, ""),
                    value(r.rate.max, 0, ""),
                    r.ventricular.to_string(),
                    r.supraventricular.to_string(),
                    r.pauses.to_string(),
                    format!("{:.1}", r.af_minutes),
                ]
            })
            .collect();
        let cols = [
            (l.hour, 30.0, Align::Left),
            (l.beats, 22.0, Align::Right),
            ("HR min", 19.0, Align::Right),
            ("HR mean", 19.0, Align::Right),
            ("HR max", 19.0, Align::Right),
            ("V", 19.0, Align::Right),
            ("S", 19.0, Align::Right),
            (l.pauses, 19.0, Align::Right),
            ("AF (min)", 19.0, Align::Right),
        ];
        self.table(&cols, &rows)
    }

    fn events(&mut self, a: &Analysis) -> Result<()> {
        let l = self.labels;
        let lang = self.input.options.language;
        self.ensure(30.0)?;
        self.heading(l.events)?;
        let start = self.details.acquired;
        let fs = a.fs;
        let mut list: Vec<&Episode> = a
            .episodes
            .iter()
            .filter(|e| e.kind != EpisodeKind::SinusRhythm)
            .collect();
        list.sort_by_key(|e| e.start);
        let max = self.input.options.max_event_rows;
        let rows: Vec<Vec<String>> = list
            .iter()
            .take(max)
            .enumerate()
            .map(|(i, e)| {
                let dur = (e.end - e.start) as f64 / fs;
                vec![
                    (i + 1).to_string(),
                    frame::clock(start, e.start as f64 / fs),
                    l.episode(e.kind, lang).to_string(),
                    if dur < 60.0 {
                        format!("{dur:.1} s")
                    } else {
                        frame::hms(dur)
                    },
                    e.beats.to_string(),
                    value(e.mean_hr_bpm, 0, "bpm"),
                ]
            })
            .collect();
        let cols = [
            ("#", 12.0, Align::Right),
            (l.time, 28.0, Align::Left),
            (l.event, 70.0, Align::Left),
            (l.duration, 28.0, Align::Right),
            (l.beats, 22.0, Align::Right),
            ("HR", 25.0, Align::Right),
        ];
        if rows.is_empty() {
            let y = self.y + 4.0;
            self.text(MARGIN, y, 8.0, Style::Regular, Align::Left, NONE)?;
            self.y += 6.0;
            return Ok(());
        }
        self.table(&cols, &rows)?;
        if list.len() > max {
            let y = self.y + 3.0;
            let note = format!("… {} {}", list.len() - max, l.more_events);
            self.text(MARGIN, y, 7.5, Style::Regular, Align::Left, &note)?;
            self.y += 5.0;
        }
        Ok(())
    }

    /// Strip geometry: grid width, trace start offset within the grid, seconds per strip.
    fn strip_geometry(&self) -> (f64, f64, f64) {
        let speed = self.input.options.speed.mm_per_s();
        let grid_w = 5.0 * ((self.width - 2.0 * MARGIN) / 5.0).floor();
        let offset = 3.0 + paper::calibration_width(speed);
        let seconds = (((grid_w - offset - 1.0) / speed) * 2.0).floor() / 2.0;
        (grid_w, offset, seconds)
    }

    fn strips(&mut self, strips: &[Strip], channels: &[usize]) -> Result<()> {
        let l = self.labels;
        let opts = &self.input.options;
        let scale = PaperScale {
            mm_per_s: opts.speed.mm_per_s(),
            mm_per_mv: opts.gain.mm_per_mv(),
        };
        let (grid_w, offset, seconds) = self.strip_geometry();
        let grid_h = 5.0 * (channels.len() as f64 * CHANNEL_MM / 5.0).ceil();
        let band = grid_h / channels.len() as f64;
        let block = 6.0 + 4.0 + grid_h + 7.0;
        let record = self.input.record;
        let analysis = self.input.analysis;
        let start = self.details.acquired;
        let duration = record.duration_s();
        let mut first = true;
        for (n, strip) in strips.iter().enumerate() {
            if first {
                self.new_page()?;
                self.heading(l.strips)?;
                first = false;
            } else {
                self.ensure(block)?;
            }
            let t0 = strip.start_s.clamp(0.0, (duration - seconds).max(0.0));
            let traces: Vec<Trace> = channels
                .iter()
                .map(|&i| leads::signal_window(record, i, t0, seconds, &opts.filter))
                .collect::<Result<_>>()?;
            let title_y = self.y + 4.5;
            let gx = MARGIN;
            let gy = self.y + 6.0 + 4.0;
            let title = format!("{}. {}", n + 1, strip.title);
            let (c, f) = self.parts()?;
            let title = frame::fit(f, &title, 8.5, Style::Bold, grid_w - 40.0)?;
            c.text(f, gx, title_y, 8.5, Style::Bold, Align::Left, &title)?;
            c.fill_rgb(Rgb::GREY);
            let when = format!(
                "{} – {}",
                frame::clock(start, t0),
                frame::clock(start, t0 + seconds)
            );
            c.text(
                f,
                gx + grid_w,
                title_y,
                7.0,
                Style::Regular,
                Align::Right,
                &when,
            )?;
            c.fill_rgb(Rgb::BLACK);
            paper::grid(c, gx, gy, grid_w, grid_h);
            let trace_x = gx + offset;
            if let Some((s, e)) = strip.mark {
                let xa = trace_x + ((s - t0).max(0.0)) * scale.mm_per_s;
                let xb = trace_x + ((e - t0).min(seconds)) * scale.mm_per_s;
                if xb > xa {
                    c.stroke_rgb(EVENT);
                    c.line_width(1.0);
                    c.segment(xa, gy + 0.5, xb.max(xa + 0.5), gy + 0.5);
                    c.stroke();
                }
            }
            c.save();
            c.clip_rect(gx, gy, grid_w, grid_h);
            for (k, trace) in traces.iter().enumerate() {
                let baseline = gy + band * (k as f64 + 0.6);
                paper::calibration_pulse(c, gx + 2.0, baseline, scale.mm_per_mv, scale.mm_per_s);
                paper::waveform(c, trace, 0..trace.mv.len(), trace_x, baseline, scale);
                if let Some(sig) = record.signals.get(channels[k]) {
                    c.text(
                        f,
                        trace_x + 1.0,
                        gy + band * k as f64 + 4.0,
                        7.5,
                        Style::Bold,
                        Align::Left,
                        &sig.label,
                    )?;
                }
            }
            c.restore();
            // beat labels above, RR intervals below
            if let Some(a) = analysis
                && a.fs > 0.0
            {
                let lo = a.beats.partition_point(|b| (b.sample as f64) < t0 * a.fs);
                let hi = a
                    .beats
                    .partition_point(|b| (b.sample as f64) < (t0 + seconds) * a.fs);
                let mut prev: Option<f64> = lo
                    .checked_sub(1)
                    .and_then(|i| a.beats.get(i))
                    .map(|b| b.sample as f64 / a.fs);
                for b in &a.beats[lo..hi] {
                    let t = b.sample as f64 / a.fs;
                    let x = trace_x + (t - t0) * scale.mm_per_s;
                    c.fill_rgb(class_colour(b.class));
                    c.text(
                        f,
                        x,
                        gy - 1.3,
                        8.0,
                        Style::Bold,
                        Align::Center,
                        class_letter(b.class),
                    )?;
                    if let Some(p) = prev {
                        let xp = trace_x + (p - t0).max(0.0) * scale.mm_per_s;
                        c.fill_rgb(Rgb::GREY);
                        let rr = format!("{:.0}", (t - p) * 1000.0);
                        c.text(
                            f,
                            (x + xp) / 2.0,
                            gy + grid_h + 3.2,
                            6.0,
                            Style::Regular,
                            Align::Center,
                            &rr,
                        )?;
                    }
                    prev = Some(t);
                }
                c.fill_rgb(Rgb::BLACK);
            }
            self.y = gy + grid_h + 7.0;
        }
        if !strips.is_empty() {
            let text = format!(
                "{:.0} mm/s   {:.0} mm/mV   {}: {}",
                scale.mm_per_s,
                scale.mm_per_mv,
                l.filter,
                filter_text(self.input)
            );
            self.ensure(6.0)?;
            let y = self.y + 2.0;
            self.text(MARGIN, y, 7.5, Style::Bold, Align::Left, &text)?;
            self.y += 5.0;
        }
        Ok(())
    }
}

/// The display filter as printed.
fn filter_text(input: &ReportInput<'_>) -> String {
    let f = &input.options.filter;
    let hz = |v: f64| format!("{v}");
    match (f.highpass_hz, f.lowpass_hz) {
        (Some(hp), Some(lp)) => format!("{}–{} Hz", hz(hp), hz(lp)),
        (Some(hp), None) => format!("≥ {} Hz", hz(hp)),
        (None, Some(lp)) => format!("≤ {} Hz", hz(lp)),
        (None, None) => "off".into(),
    }
}

/// Renders the long-term report.
pub(crate) fn render(input: &ReportInput<'_>) -> Result<Vec<u8>> {
    let record = input.record;
    let ecg = leads::ecg_signals(record);
    if ecg.is_empty() {
        return Err(Error::NoSignal {
            record: record.name.clone(),
            reason: "no signal in a voltage unit or sampled at 50 Hz or more".into(),
        });
    }
    let opts = &input.options;
    if opts.strip_channels == 0 {
        return Err(Error::Option {
            option: "strip_channels",
            reason: "at least one signal per strip".into(),
        });
    }
    let labels = Labels::of(opts.language);
    let mut pdf = PdfBuilder::new(Fonts::new(&opts.fonts.fallback_fonts)?);
    let logo = frame::embed_logo(&mut pdf, input)?;
    let (width, height) = opts.paper.portrait_mm();
    let details = Details::resolve(input);
    let mut w = Writer {
        input,
        labels,
        details,
        pdf,
        canvas: None,
        logo,
        width,
        height,
        y: TOP,
    };
    w.summary()?;
    let duration = record.duration_s();
    if let Some(a) = input.analysis {
        w.trend(a, duration)?;
        w.hourly(a, duration)?;
        w.events(a)?;
    }
    let (_, _, seconds) = w.strip_geometry();
    let start = w.details.acquired;
    let strips: Vec<Strip> = match (&input.strips, input.analysis) {
        (Some(requested), _) => requested
            .iter()
            .map(|r: &StripRequest| Strip {
                start_s: r.center_s - seconds / 2.0,
                title: format!("{} · {}", r.title, frame::clock(start, r.center_s)),
                mark: None,
            })
            .collect(),
        (None, Some(a)) => select_strips(a, labels, input, seconds, start),
        (None, None) => Vec::new(),
    };
    let channels: Vec<usize> = ecg.into_iter().take(opts.strip_channels).collect();
    w.strips(&strips, &channels)?;
    w.close_page();
    let mut pdf = w.pdf;
    frame::footers(&mut pdf, input, labels, MARGIN)?;
    let title = match &w.details.name {
        Some(n) => format!("{} — {n}", labels.title_long_term),
        None => format!("{} — {}", labels.title_long_term, record.name),
    };
    pdf.finish(&title, input.generated_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An analysis with these episodes (built through serde, so fields the analysis adds
    /// later with serde defaults do not break the test).
    fn analysis(episodes: serde_json::Value) -> Analysis {
        serde_json::from_value(serde_json::json!({
            "engine": "test", "record": "t", "fs": 100.0, "samples": 360000, "leads": ["II"],
            "beats": [], "templates": [], "episodes": episodes, "quality": [],
            "summary": {"duration_s": 3600.0, "class_counts": [0, 0, 0, 0, 0],
                        "af_burden": 0.0, "noise_fraction": 0.0,
                        "hr_max": [150.0, 200000], "hr_min": [45.0, 300000]},
        }))
        .unwrap()
    }

    #[test]
    fn strips_go_to_the_most_significant_events_first_without_overlap() {
        let a = analysis(serde_json::json!([
            {"kind": "ventricular_couplet", "start": 1000, "end": 1080, "beats": 2},
            {"kind": "pause", "start": 50000, "end": 50250, "beats": 0},
            {"kind": "pause", "start": 90000, "end": 90400, "beats": 0},
            {"kind": "ventricular_tachycardia", "start": 120000, "end": 120300, "beats": 6,
             "mean_hr_bpm": 180.0},
            {"kind": "ventricular_couplet", "start": 1100, "end": 1180, "beats": 2},
            {"kind": "atrial_fibrillation", "start": 150000, "end": 250000, "beats": 1500,
             "mean_hr_bpm": 110.0},
        ]));
        let record = ecg_core::Record::new("t", "test");
        let mut input = ReportInput::new(&record, Some(&a));
        let labels = Labels::of(input.options.language);
        let strips = select_strips(&a, labels, &input, 7.0, None);
        let titles: Vec<&str> = strips.iter().map(|s| s.title.as_str()).collect();
        assert!(titles[0].starts_with("Ventricular tachycardia · 0:20:00 · 6 beats · 180 bpm"));
        assert!(
            titles[1].starts_with("Atrial fibrillation · 0:25:00"),
            "{titles:?}"
        );
        // the longer pause first
        assert!(
            titles[2].starts_with("Pause · 0:15:00 · 4.00 s"),
            "{titles:?}"
        );
        assert!(
            titles[3].starts_with("Ventricular couplet · 0:00:10"),
            "{titles:?}"
        );
        assert!(titles[4].starts_with("Maximum heart rate · 0:33:20 · 150 bpm"));
        assert!(titles[5].starts_with("Minimum heart rate · 0:50:00 · 45 bpm"));
        assert!(titles[6].starts_with("Pause · 0:08:20"), "{titles:?}");
        // the second couplet overlaps the first one's window
        assert_eq!(strips.len(), 7, "{titles:?}");
        // a short event is centred, a long one starts 1.5 s before its onset
        assert!((strips[2].start_s - (900.0 + 904.0) / 2.0 + 3.5).abs() < 1e-9);
        assert!((strips[1].start_s - 1498.5).abs() < 1e-9);
        input.options.max_strips = 3;
        assert_eq!(select_strips(&a, labels, &input, 7.0, None).len(), 3);
    }
}
