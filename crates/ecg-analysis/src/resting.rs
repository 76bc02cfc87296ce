//! Resting (12-lead) measurements: median beats, global wave boundaries, intervals, frontal
//! axes, per-lead amplitudes, voltage criteria and a small set of interpretive statements,
//! each with the rule that fired and the values it used.
//!
//! 1. **Window**: a record up to [`RestingConfig::whole_record_s`] long is measured whole;
//!    from a longer one the first [`RestingConfig::window_s`] stretch of good quality whose
//!    beats are all normal is taken (else the best-quality stretch).
//! 2. **Median beat** per lead: every ECG signal at the analysis rate is preprocessed
//!    ([`crate::filter::Preprocess`]) and the beats of the window's dominant template (`N`
//!    beats) are aligned on their R peaks; the median is taken sample by sample. Missing
//!    limb leads are derived from two of I, II, III (Einthoven, Goldberger).
//! 3. **Delineation** of the median beats across all leads ([`crate::delineate`]) gives P
//!    onset/offset, QRS onset/offset and T offset (the median of the leads' settled T ends,
//!    leaving out leads whose T wave runs into the next P wave; see [`crate::delineate`]);
//!    PR = QRS onset - P onset, QRS = QRS offset - onset, QT = T offset - QRS onset, QTc
//!    after Bazett (`QT / sqrt(RR)`) and Fridericia (`QT / RR^(1/3)`), RR the mean RR
//!    interval of the window.
//! 4. **Axes**: the net area of the P wave, of the QRS complex and of the ST-T segment in the
//!    limb leads gives the frontal vector (least squares over the leads' hexaxial
//!    directions: I 0°, II 60°, III 120°, aVR -150°, aVL -30°, aVF 90°, augmented leads at
//!    gain sqrt(3)/2); the axis is its angle in degrees.
//! 5. **Amplitudes** per lead relative to the isoelectric level (the 20 ms before QRS
//!    onset; P relative to the level at P onset): P (signed extreme), Q, R and S (R the
//!    largest positive deflection, Q the deepest negative one before it, S after it; a QS
//!    complex gives its depth as both Q and S), ST at J, J+60 ms and J+80 ms, T (signed
//!    extreme between J and T offset). Sokolow-Lyon = S(V1) + max(R(V5), R(V6)); Cornell =
//!    R(aVL) + S(V3).
//! 6. **Statements**: see [`RestingConfig`] for every threshold.

use std::collections::BTreeMap;

use ecg_core::{AamiClass, Record, Sex, Signal};
use serde::{Deserialize, Serialize};

use crate::delineate::{DelineatorConfig, Waves, delineate, median_beat};
use crate::ecg_leads::{is_ecg_lead, unit_to_mv};
use crate::error::{Error, Result};
use crate::filter::Preprocess;
use crate::result::{Analysis, EpisodeKind};

/// Resting measurement settings (thresholds of the interpretive statements included).
///
/// The statements compare rates, intervals and axes **rounded to whole bpm, ms and
/// degrees**, the precision they are printed with, so that a printed "HR 60 bpm" never
/// comes with "rate below 60 bpm" (the unrounded values stay in the statement's `values`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RestingConfig {
    /// Records up to this long (s) are measured whole.
    pub whole_record_s: f64,
    /// Length (s) of the window measured in longer records.
    pub window_s: f64,
    /// Median beat window before the R peak (s).
    pub pre_s: f64,
    /// Median beat window after the R peak (s).
    pub post_s: f64,
    /// Wave delineation.
    pub delineator: DelineatorConfig,
    /// Sinus bradycardia below this rate (bpm).
    pub brady_bpm: f64,
    /// Sinus tachycardia above this rate (bpm).
    pub tachy_bpm: f64,
    /// A P wave counts as present from this amplitude (mV) in some lead.
    pub p_present_mv: f64,
    /// Atrial fibrillation in a short record: RR irregularity (RMSSD of successive RR over
    /// mean RR) above this, without P waves.
    pub af_rr_irregularity: f64,
    /// First-degree AV block: PR above this (ms).
    pub first_degree_pr_ms: f64,
    /// Wide QRS from this duration (ms).
    pub wide_qrs_ms: f64,
    /// Prolonged QTc (Bazett) above this for men and when the sex is unknown (ms).
    pub qtc_male_ms: f64,
    /// Prolonged QTc (Bazett) above this for women (ms).
    pub qtc_female_ms: f64,
    /// Left axis deviation: QRS axis below this (degrees).
    pub left_axis_deg: f64,
    /// Right axis deviation: QRS axis above this (degrees).
    pub right_axis_deg: f64,
    /// LVH voltage: Sokolow-Lyon index from this value (mV).
    pub sokolow_lyon_mv: f64,
    /// LVH voltage: Cornell voltage above this for men and unknown sex (mV).
    pub cornell_male_mv: f64,
    /// LVH voltage: Cornell voltage above this for women (mV).
    pub cornell_female_mv: f64,
}

impl Default for RestingConfig {
    fn default() -> Self {
        RestingConfig {
            whole_record_s: 60.0,
            window_s: 10.0,
            pre_s: 0.7,
            post_s: 1.0,
            delineator: DelineatorConfig::default(),
            brady_bpm: 60.0,
            tachy_bpm: 100.0,
            p_present_mv: 0.05,
            af_rr_irregularity: 0.1,
            first_degree_pr_ms: 200.0,
            wide_qrs_ms: 120.0,
            qtc_male_ms: 450.0,
            qtc_female_ms: 460.0,
            left_axis_deg: -30.0,
            right_axis_deg: 90.0,
            sokolow_lyon_mv: 3.5,
            cornell_male_mv: 2.8,
            cornell_female_mv: 2.0,
        }
    }
}

/// Resting measurements of one record (the `"measurements"` object of `ecg analyze
/// --json`). Intervals in ms, axes in degrees, amplitudes in mV; `None` (`null`) where a
/// value could not be measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Measurements {
    /// Ventricular rate from the mean RR interval of the window (bpm).
    pub heart_rate_bpm: Option<f64>,
    /// Mean RR interval of the window (ms).
    pub rr_ms: Option<f64>,
    /// PR interval: P onset to QRS onset (ms).
    pub pr_ms: Option<f64>,
    /// P wave duration (ms).
    pub p_ms: Option<f64>,
    /// QRS duration (ms).
    pub qrs_ms: Option<f64>,
    /// QT interval: QRS onset to T offset (ms).
    pub qt_ms: Option<f64>,
    /// QTc after Bazett (ms).
    pub qtc_bazett_ms: Option<f64>,
    /// QTc after Fridericia (ms).
    pub qtc_fridericia_ms: Option<f64>,
    /// Frontal P axis (degrees, -180..180).
    pub p_axis_deg: Option<f64>,
    /// Frontal QRS axis (degrees).
    pub qrs_axis_deg: Option<f64>,
    /// Frontal T axis (degrees).
    pub t_axis_deg: Option<f64>,
    /// Sokolow-Lyon index S(V1) + max(R(V5), R(V6)) (mV).
    pub sokolow_lyon_mv: Option<f64>,
    /// Cornell voltage R(aVL) + S(V3) (mV).
    pub cornell_mv: Option<f64>,
    /// Global wave boundaries relative to the R peak of the median beat (ms).
    pub waves_ms: WaveTimes,
    /// Start of the measured window (s from the record start).
    pub window_start_s: f64,
    /// End of the measured window (s).
    pub window_end_s: f64,
    /// Beats in the window.
    pub beats: u32,
    /// Beats that formed the median beat.
    pub median_beats_used: u32,
    /// Per-lead amplitudes (recorded leads first, then derived limb leads).
    pub leads: Vec<LeadMeasurements>,
    /// The rhythm statement.
    pub rhythm: Option<Statement>,
    /// Interpretive statements, each with its rule and values.
    pub statements: Vec<Statement>,
    /// The median beats (for display), in microvolts.
    pub median_beats: Vec<MedianBeat>,
}

/// Wave boundaries relative to the R peak (ms; negative before it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WaveTimes {
    /// P onset.
    pub p_on: Option<f64>,
    /// P offset.
    pub p_off: Option<f64>,
    /// QRS onset.
    pub qrs_on: Option<f64>,
    /// QRS offset (J point).
    pub qrs_off: Option<f64>,
    /// T peak.
    pub t_peak: Option<f64>,
    /// T offset.
    pub t_off: Option<f64>,
}

/// Amplitudes of one lead's median beat (mV, relative to the isoelectric level).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadMeasurements {
    /// Lead label.
    pub lead: String,
    /// True for a limb lead derived from two others.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub derived: bool,
    /// P wave (signed extreme).
    pub p_mv: Option<f64>,
    /// Q wave depth (positive number).
    pub q_mv: Option<f64>,
    /// R wave height.
    pub r_mv: Option<f64>,
    /// S wave depth (positive number).
    pub s_mv: Option<f64>,
    /// ST level at the J point.
    pub st_j_mv: Option<f64>,
    /// ST level at J + 60 ms.
    pub st_j60_mv: Option<f64>,
    /// ST level at J + 80 ms.
    pub st_j80_mv: Option<f64>,
    /// T wave (signed extreme).
    pub t_mv: Option<f64>,
}

/// A rhythm or interpretive statement with the rule that fired and the values it used.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// Stable code (`sinus_rhythm`, `first_degree_av_block`, ...).
    pub code: String,
    /// Text for the report.
    pub text: String,
    /// The criterion, in words.
    pub rule: String,
    /// The measured values the rule used.
    pub values: BTreeMap<String, f64>,
}

/// One lead's median beat.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MedianBeat {
    /// Lead label.
    pub lead: String,
    /// True for a derived limb lead.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub derived: bool,
    /// Sampling frequency (Hz).
    pub fs: f64,
    /// Index of the R peak.
    pub r_index: usize,
    /// Samples in microvolts (preprocessed: 0.5-40 Hz, powerline notches).
    pub uv: Vec<i32>,
}

/// The standard leads recognised by label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[allow(clippy::upper_case_acronyms)] // lead names as printed on every ECG
enum StdLead {
    I,
    II,
    III,
    AVR,
    AVL,
    AVF,
    V(u8),
}

impl StdLead {
    fn label(self) -> String {
        match self {
            StdLead::I => "I".into(),
            StdLead::II => "II".into(),
            StdLead::III => "III".into(),
            StdLead::AVR => "aVR".into(),
            StdLead::AVL => "aVL".into(),
            StdLead::AVF => "aVF".into(),
            StdLead::V(k) => format!("V{k}"),
        }
    }

    /// Hexaxial direction (degrees) and gain of a limb lead.
    fn frontal(self) -> Option<(f64, f64)> {
        let aug = 3f64.sqrt() / 2.0;
        Some(match self {
            StdLead::I => (0.0, 1.0),
            StdLead::II => (60.0, 1.0),
            StdLead::III => (120.0, 1.0),
            StdLead::AVR => (-150.0, aug),
            StdLead::AVL => (-30.0, aug),
            StdLead::AVF => (90.0, aug),
            StdLead::V(_) => return None,
        })
    }
}

/// Recognises a standard lead from a signal label (`II`, `ECG II`, `Lead aVF`, `DII`, `v5`).
fn standard_lead(label: &str) -> Option<StdLead> {
    let mut l: String = label
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.' | ':'))
        .collect();
    for prefix in ["ecg", "lead"] {
        if let Some(rest) = l.strip_prefix(prefix) {
            l = rest.to_string();
        }
    }
    Some(match l.as_str() {
        "i" | "di" => StdLead::I,
        "ii" | "dii" => StdLead::II,
        "iii" | "diii" => StdLead::III,
        "avr" => StdLead::AVR,
        "avl" => StdLead::AVL,
        "avf" => StdLead::AVF,
        v if v.len() == 2 && v.starts_with('v') => {
            let k = v[1..].parse::<u8>().ok()?;
            if (1..=6).contains(&k) {
                StdLead::V(k)
            } else {
                return None;
            }
        }
        _ => return None,
    })
}

/// One median-beat lead being measured.
struct Lead {
    label: String,
    std: Option<StdLead>,
    derived: bool,
    x: Vec<f32>,
}

/// Measures the resting ECG of `record` from its `analysis` (same record). Returns `None`
/// when there is no beat to build a median from.
pub fn measure(
    record: &Record,
    analysis: &Analysis,
    cfg: &RestingConfig,
) -> Result<Option<Measurements>> {
    let fs = analysis.fs;
    let n = analysis.samples as usize;
    if analysis.beats.is_empty()
        || n == 0
        || fs.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
    {
        return Ok(None);
    }
    let (w0, w1) = choose_window(analysis, cfg);
    let in_window: Vec<usize> = (0..analysis.beats.len())
        .filter(|&i| {
            let s = analysis.beats[i].sample;
            s >= w0 as i64 && s < w1 as i64
        })
        .collect();
    if in_window.is_empty() {
        return Ok(None);
    }
    // dominant template among the window's normal beats
    let mut counts: BTreeMap<u32, usize> = BTreeMap::new();
    for &i in &in_window {
        if analysis.beats[i].class == AamiClass::N {
            *counts.entry(analysis.beats[i].template).or_default() += 1;
        }
    }
    let dominant = counts
        .iter()
        .max_by_key(|(t, c)| (**c, std::cmp::Reverse(**t)))
        .map(|(t, _)| *t);
    let chosen: Vec<usize> = in_window
        .iter()
        .copied()
        .filter(|&i| {
            let b = &analysis.beats[i];
            match dominant {
                Some(t) => b.class == AamiClass::N && b.template == t,
                None => true,
            }
        })
        .collect();
    // samples of every ECG signal at the analysis rate, with context for the filters
    let pre = (cfg.pre_s * fs).round() as usize;
    let post = (cfg.post_s * fs).round() as usize;
    let r0 = w0.saturating_sub(pre + (fs as usize));
    let r1 = (w1 + post + fs as usize).min(n);
    let signals: Vec<&Signal> = record
        .signals
        .iter()
        .filter(|s| (s.fs - fs).abs() < 1e-9 && s.len() >= r1 && is_ecg_lead(s))
        .collect();
    if signals.is_empty() {
        return Ok(None);
    }
    let pre_filter = Preprocess::default();
    let mut raw: Vec<Vec<f32>> = Vec::with_capacity(signals.len());
    for s in &signals {
        let digital = s.samples.window(r0..r1).map_err(|source| Error::Samples {
            signal: s.label.clone(),
            source,
        })?;
        let k = unit_to_mv(&s.unit);
        let mut x: Vec<f32> = digital
            .iter()
            .map(|&d| {
                let v = (s.to_physical(d) * k) as f32;
                if v.is_finite() { v } else { 0.0 }
            })
            .collect();
        pre_filter.apply(fs, &mut x);
        raw.push(x);
    }
    let peaks: Vec<usize> = chosen
        .iter()
        .map(|&i| (analysis.beats[i].sample as usize).saturating_sub(r0))
        .collect();
    let refs: Vec<&[f32]> = raw.iter().map(|v| v.as_slice()).collect();
    let Some(medians) = median_beat(&refs, &peaks, pre, post) else {
        return Ok(None);
    };
    let mut leads: Vec<Lead> = signals
        .iter()
        .zip(medians)
        .map(|(s, x)| Lead {
            label: s.label.clone(),
            std: standard_lead(&s.label),
            derived: false,
            x,
        })
        .collect();
    derive_limb_leads(&mut leads);

    // rhythm numbers of the window
    let samples_of = |i: usize| analysis.beats[i].sample;
    let rr: Vec<f64> = in_window
        .windows(2)
        .map(|w| (samples_of(w[1]) - samples_of(w[0])) as f64 / fs)
        .collect();
    let mean_rr = (!rr.is_empty()).then(|| rr.iter().sum::<f64>() / rr.len() as f64);
    let rr_for_delineation = mean_rr.unwrap_or(f64::NAN);

    let all: Vec<&[f32]> = leads.iter().map(|l| l.x.as_slice()).collect();
    let w = delineate(
        &all,
        fs,
        pre,
        rr_for_delineation,
        rr_for_delineation,
        &cfg.delineator,
    );
    let ms = |i: Option<usize>| i.map(|v| (v as f64 - pre as f64) * 1000.0 / fs);
    let waves_ms = WaveTimes {
        p_on: ms(w.p_on),
        p_off: ms(w.p_off),
        qrs_on: ms(w.qrs_on),
        qrs_off: ms(w.qrs_off),
        t_peak: ms(w.t_peak),
        t_off: ms(w.t_off),
    };
    let diff = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > a => Some(b - a),
        _ => None,
    };
    let mut m = Measurements {
        rr_ms: mean_rr.map(|r| r * 1000.0),
        heart_rate_bpm: mean_rr.map(|r| 60.0 / r),
        pr_ms: diff(waves_ms.p_on, waves_ms.qrs_on),
        p_ms: diff(waves_ms.p_on, waves_ms.p_off),
        qrs_ms: diff(waves_ms.qrs_on, waves_ms.qrs_off),
        qt_ms: diff(waves_ms.qrs_on, waves_ms.t_off),
        waves_ms,
        window_start_s: w0 as f64 / fs,
        window_end_s: w1 as f64 / fs,
        beats: in_window.len() as u32,
        median_beats_used: peaks.len() as u32,
        ..Default::default()
    };
    if let (Some(qt), Some(rr)) = (m.qt_ms, mean_rr) {
        m.qtc_bazett_ms = Some(qt / rr.sqrt());
        m.qtc_fridericia_ms = Some(qt / rr.cbrt());
    }
    // per-lead amplitudes and axes
    m.leads = leads.iter().map(|l| amplitudes(l, &w, fs)).collect();
    let axis = |a: Option<usize>, b: Option<usize>, base: Baseline| -> Option<f64> {
        let (a, b) = (a?, b?);
        frontal_axis(&leads, |x| net_area(x, a, b, base.level(x, &w, fs), fs))
    };
    m.p_axis_deg = axis(w.p_on, w.p_off, Baseline::POnset);
    m.qrs_axis_deg = axis(w.qrs_on, w.qrs_off, Baseline::PrSegment);
    m.t_axis_deg = axis(w.qrs_off, w.t_off, Baseline::PrSegment);
    let amp = |lead: StdLead, f: fn(&LeadMeasurements) -> Option<f64>| {
        leads
            .iter()
            .zip(&m.leads)
            .find(|(l, _)| l.std == Some(lead))
            .and_then(|(_, lm)| f(lm))
    };
    let r_of = |x: &LeadMeasurements| x.r_mv;
    let s_of = |x: &LeadMeasurements| x.s_mv;
    let r56 = match (amp(StdLead::V(5), r_of), amp(StdLead::V(6), r_of)) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    m.sokolow_lyon_mv = match (amp(StdLead::V(1), s_of), r56) {
        (Some(s), Some(r)) => Some(s + r),
        _ => None,
    };
    m.cornell_mv = match (amp(StdLead::AVL, r_of), amp(StdLead::V(3), s_of)) {
        (Some(r), Some(s)) => Some(r + s),
        _ => None,
    };
    let p_max = m
        .leads
        .iter()
        .filter_map(|l| l.p_mv.map(f64::abs))
        .fold(None, |a: Option<f64>, v| Some(a.map_or(v, |a| a.max(v))));
    let ectopic = |c: AamiClass| {
        in_window
            .iter()
            .filter(|&&i| analysis.beats[i].class == c)
            .count()
    };
    let af_overlap: i64 = analysis
        .episodes
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EpisodeKind::AtrialFibrillation | EpisodeKind::AtrialFlutter
            )
        })
        .map(|e| (e.end.min(w1 as i64) - e.start.max(w0 as i64)).max(0))
        .sum();
    let ctx = StatementContext {
        rr: &rr,
        p_max,
        af_fraction: af_overlap as f64 / (w1 - w0).max(1) as f64,
        v_beats: ectopic(AamiClass::V),
        s_beats: ectopic(AamiClass::S),
        sex: record.personal.sex,
        leads: &leads,
    };
    let (rhythm, statements) = statements(&m, &ctx, cfg);
    m.rhythm = Some(rhythm);
    m.statements = statements;
    m.median_beats = leads
        .iter()
        .map(|l| MedianBeat {
            lead: l.label.clone(),
            derived: l.derived,
            fs,
            r_index: pre,
            uv: l
                .x
                .iter()
                .map(|v| (v * 1000.0).round().clamp(i32::MIN as f32, i32::MAX as f32) as i32)
                .collect(),
        })
        .collect();
    Ok(Some(m))
}

/// The measured window `[start, end)` in samples.
fn choose_window(a: &Analysis, cfg: &RestingConfig) -> (usize, usize) {
    let n = a.samples as usize;
    let fs = a.fs;
    if (n as f64) <= cfg.whole_record_s * fs {
        return (0, n);
    }
    let len = ((cfg.window_s * fs).round() as usize).clamp(1, n);
    // first quality segment from which `len` samples are clean and hold only N beats
    let mut best: Option<(f32, usize)> = None;
    for q in &a.quality {
        let start = q.start.max(0) as usize;
        if start + len > n {
            break;
        }
        let end = start + len;
        // quality segments are ordered and do not overlap: only those overlapping the
        // window are visited (a week-long record has some 60,000 of them)
        let first = a.quality.partition_point(|s| s.end <= start as i64);
        let quality = a.quality[first..]
            .iter()
            .take_while(|s| s.start < end as i64)
            .filter(|s| s.end > start as i64)
            .map(|s| s.overall)
            .fold(f32::INFINITY, f32::min);
        let lo = a.beats.partition_point(|b| b.sample < start as i64);
        let hi = a.beats.partition_point(|b| b.sample < end as i64);
        let beats = &a.beats[lo..hi];
        if quality >= 0.5 && beats.len() >= 3 && beats.iter().all(|b| b.class == AamiClass::N) {
            return (start, end);
        }
        if best.is_none_or(|b| quality > b.0) && beats.len() >= 2 {
            best = Some((quality, start));
        }
    }
    let start = best.map_or(0, |b| b.1);
    (start, (start + len).min(n))
}

/// Adds the limb leads missing from I, II, III, aVR, aVL, aVF when two of I, II, III exist.
fn derive_limb_leads(leads: &mut Vec<Lead>) {
    let get =
        |leads: &[Lead], s: StdLead| leads.iter().find(|l| l.std == Some(s)).map(|l| l.x.clone());
    let (i, ii, iii) = (
        get(leads, StdLead::I),
        get(leads, StdLead::II),
        get(leads, StdLead::III),
    );
    let (i, ii) = match (i, ii, iii) {
        (Some(i), Some(ii), _) => (i, ii),
        (Some(i), None, Some(iii)) => {
            let ii: Vec<f32> = i.iter().zip(&iii).map(|(a, b)| a + b).collect();
            (i, ii)
        }
        (None, Some(ii), Some(iii)) => {
            let i: Vec<f32> = ii.iter().zip(&iii).map(|(a, b)| a - b).collect();
            (i, ii)
        }
        _ => return,
    };
    let combos: [(StdLead, f32, f32); 6] = [
        (StdLead::I, 1.0, 0.0),
        (StdLead::II, 0.0, 1.0),
        (StdLead::III, -1.0, 1.0),
        (StdLead::AVR, -0.5, -0.5),
        (StdLead::AVL, 1.0, -0.5),
        (StdLead::AVF, -0.5, 1.0),
    ];
    for (lead, a, b) in combos {
        if leads.iter().any(|l| l.std == Some(lead)) {
            continue;
        }
        leads.push(Lead {
            label: lead.label(),
            std: Some(lead),
            derived: true,
            x: i.iter().zip(&ii).map(|(x, y)| a * x + b * y).collect(),
        });
    }
}

/// Which isoelectric level a wave is measured from.
#[derive(Clone, Copy)]
enum Baseline {
    /// The 20 ms before QRS onset.
    PrSegment,
    /// The 10 ms before P onset.
    POnset,
}

impl Baseline {
    fn level(self, x: &[f32], w: &Waves, fs: f64) -> f32 {
        let (end, len) = match self {
            Baseline::PrSegment => (w.qrs_on, 0.02),
            Baseline::POnset => (w.p_on, 0.01),
        };
        let Some(end) = end.filter(|&e| e < x.len()) else {
            return 0.0;
        };
        let a = end.saturating_sub((len * fs).round() as usize);
        let s = &x[a..=end];
        s.iter().sum::<f32>() / s.len() as f32
    }
}

/// Net area (mV s) of `x - base` over `[a, b]`.
fn net_area(x: &[f32], a: usize, b: usize, base: f32, fs: f64) -> f64 {
    if a >= b || b >= x.len() {
        return 0.0;
    }
    x[a..=b].iter().map(|&v| (v - base) as f64).sum::<f64>() / fs
}

/// The frontal axis (degrees) from a per-lead quantity of the limb leads (least squares
/// over the hexaxial directions). `None` without two limb leads or with a null vector.
fn frontal_axis(leads: &[Lead], value: impl Fn(&[f32]) -> f64) -> Option<f64> {
    let (mut sxx, mut sxy, mut syy, mut bx, mut by) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut count = 0;
    let mut seen = Vec::new();
    for l in leads {
        let Some(std) = l.std else { continue };
        let Some((deg, gain)) = std.frontal() else {
            continue;
        };
        if seen.contains(&std) {
            continue;
        }
        seen.push(std);
        let (ux, uy) = (gain * deg.to_radians().cos(), gain * deg.to_radians().sin());
        let v = value(&l.x);
        sxx += ux * ux;
        sxy += ux * uy;
        syy += uy * uy;
        bx += ux * v;
        by += uy * v;
        count += 1;
    }
    let det = sxx * syy - sxy * sxy;
    if count < 2 || det.abs() < 1e-9 {
        return None;
    }
    let hx = (syy * bx - sxy * by) / det;
    let hy = (sxx * by - sxy * bx) / det;
    if hx.hypot(hy) < 1e-6 {
        return None;
    }
    Some(hy.atan2(hx).to_degrees())
}

/// Amplitudes of one lead's median beat.
fn amplitudes(l: &Lead, w: &Waves, fs: f64) -> LeadMeasurements {
    let x = &l.x;
    let mut out = LeadMeasurements {
        lead: l.label.clone(),
        derived: l.derived,
        ..Default::default()
    };
    let iso = Baseline::PrSegment.level(x, w, fs);
    let at = |i: usize| x.get(i).map(|&v| (v - iso) as f64);
    let signed_extreme = |a: usize, b: usize, base: f32| -> Option<f64> {
        if a >= b || b >= x.len() {
            return None;
        }
        x[a..=b]
            .iter()
            .map(|&v| (v - base) as f64)
            .max_by(|p, q| p.abs().total_cmp(&q.abs()))
    };
    if let (Some(a), Some(b)) = (w.p_on, w.p_off) {
        out.p_mv = signed_extreme(a, b, Baseline::POnset.level(x, w, fs));
    }
    if let (Some(a), Some(b)) = (w.qrs_on, w.qrs_off)
        && a < b
        && b < x.len()
    {
        let seg: Vec<f64> = x[a..=b].iter().map(|&v| (v - iso) as f64).collect();
        let (ir, rmax) = seg
            .iter()
            .copied()
            .enumerate()
            .max_by(|p, q| p.1.total_cmp(&q.1))
            .unwrap_or((0, 0.0));
        let depth = |s: &[f64]| s.iter().copied().fold(0.0f64, |m, v| m.max(-v));
        if rmax > 0.02 {
            out.r_mv = Some(rmax);
            out.q_mv = Some(depth(&seg[..ir]));
            out.s_mv = Some(depth(&seg[ir..]));
        } else {
            let d = depth(&seg);
            out.r_mv = Some(rmax.max(0.0));
            out.q_mv = Some(d);
            out.s_mv = Some(d);
        }
        let j = b;
        out.st_j_mv = at(j);
        out.st_j60_mv = at(j + (0.06 * fs).round() as usize);
        out.st_j80_mv = at(j + (0.08 * fs).round() as usize);
        if let Some(t) = w.t_off {
            out.t_mv = signed_extreme(j, t, iso);
        }
    }
    out
}

/// What the statements look at besides the measurements.
struct StatementContext<'a> {
    rr: &'a [f64],
    p_max: Option<f64>,
    af_fraction: f64,
    v_beats: usize,
    s_beats: usize,
    sex: Option<Sex>,
    leads: &'a [Lead],
}

fn statement(code: &str, text: &str, rule: &str, values: &[(&str, Option<f64>)]) -> Statement {
    Statement {
        code: code.into(),
        text: text.into(),
        rule: rule.into(),
        values: values
            .iter()
            .filter_map(|(k, v)| v.map(|v| ((*k).to_string(), (v * 100.0).round() / 100.0)))
            .collect(),
    }
}

/// The rhythm statement and the interpretive statements.
fn statements(
    m: &Measurements,
    cx: &StatementContext<'_>,
    cfg: &RestingConfig,
) -> (Statement, Vec<Statement>) {
    let hr = m.heart_rate_bpm;
    let whole = |v: Option<f64>| v.map(f64::round);
    let irregularity = if cx.rr.len() >= 3 {
        let mean = cx.rr.iter().sum::<f64>() / cx.rr.len() as f64;
        let ssd =
            cx.rr.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum::<f64>() / (cx.rr.len() - 1) as f64;
        Some(ssd.sqrt() / mean)
    } else {
        None
    };
    let p_present = m.waves_ms.p_on.is_some() && cx.p_max.is_some_and(|p| p >= cfg.p_present_mv);
    let female = cx.sex == Some(Sex::Female);
    let rhythm = if cx.af_fraction >= 0.5 {
        statement(
            "atrial_fibrillation",
            "Atrial fibrillation",
            "at least half of the window lies in an atrial fibrillation episode of the rhythm analysis",
            &[
                ("af_fraction_percent", Some(100.0 * cx.af_fraction)),
                ("heart_rate_bpm", hr),
            ],
        )
    } else if !p_present && irregularity.is_some_and(|v| v > cfg.af_rr_irregularity) {
        statement(
            "atrial_fibrillation",
            "Atrial fibrillation (irregular RR, no P wave)",
            &format!(
                "RR irregularity (RMSSD / mean RR) above {} and no P wave of {} mV in the median beat",
                cfg.af_rr_irregularity, cfg.p_present_mv
            ),
            &[
                ("rr_irregularity", irregularity),
                ("p_max_mv", cx.p_max),
                ("heart_rate_bpm", hr),
            ],
        )
    } else if p_present {
        let values = [
            ("heart_rate_bpm", hr),
            ("p_max_mv", cx.p_max),
            ("pr_ms", m.pr_ms),
        ];
        match whole(hr) {
            Some(h) if h < cfg.brady_bpm => statement(
                "sinus_bradycardia",
                "Sinus bradycardia",
                &format!(
                    "P wave before each QRS (median beat) and rate below {} bpm",
                    cfg.brady_bpm
                ),
                &values,
            ),
            Some(h) if h > cfg.tachy_bpm => statement(
                "sinus_tachycardia",
                "Sinus tachycardia",
                &format!(
                    "P wave before each QRS (median beat) and rate above {} bpm",
                    cfg.tachy_bpm
                ),
                &values,
            ),
            _ => statement(
                "sinus_rhythm",
                "Sinus rhythm",
                &format!(
                    "P wave before each QRS (median beat) and rate {}-{} bpm",
                    cfg.brady_bpm, cfg.tachy_bpm
                ),
                &values,
            ),
        }
    } else {
        statement(
            "rhythm_without_p_waves",
            "Regular rhythm without detectable P waves",
            &format!(
                "no P wave of {} mV in the median beat and RR irregularity at most {}",
                cfg.p_present_mv, cfg.af_rr_irregularity
            ),
            &[
                ("heart_rate_bpm", hr),
                ("rr_irregularity", irregularity),
                ("p_max_mv", cx.p_max),
            ],
        )
    };
    let sinus = rhythm.code.starts_with("sinus");
    let mut out = Vec::new();
    if cx.v_beats > 0 {
        out.push(statement(
            "ventricular_premature_beats",
            "Ventricular premature beats",
            "beats classified V in the window",
            &[("count", Some(cx.v_beats as f64))],
        ));
    }
    if cx.s_beats > 0 {
        out.push(statement(
            "supraventricular_premature_beats",
            "Supraventricular premature beats",
            "beats classified S in the window",
            &[("count", Some(cx.s_beats as f64))],
        ));
    }
    if let Some(pr) = m.pr_ms
        && sinus
        && pr.round() > cfg.first_degree_pr_ms
    {
        out.push(statement(
            "first_degree_av_block",
            "First-degree AV block",
            &format!("sinus rhythm and PR above {} ms", cfg.first_degree_pr_ms),
            &[("pr_ms", Some(pr))],
        ));
    }
    if let Some(qrs) = m.qrs_ms
        && qrs.round() >= cfg.wide_qrs_ms
    {
        let v1 = lead_amp(cx.leads, &m.leads, StdLead::V(1));
        let v6 = lead_amp(cx.leads, &m.leads, StdLead::V(6))
            .or_else(|| lead_amp(cx.leads, &m.leads, StdLead::I));
        let (r1, s1) = (v1.and_then(|l| l.r_mv), v1.and_then(|l| l.s_mv));
        let (r6, s6, q6) = (
            v6.and_then(|l| l.r_mv),
            v6.and_then(|l| l.s_mv),
            v6.and_then(|l| l.q_mv),
        );
        let values = [
            ("qrs_ms", Some(qrs)),
            ("v1_r_mv", r1),
            ("v1_s_mv", s1),
            ("v6_r_mv", r6),
            ("v6_s_mv", s6),
            ("v6_q_mv", q6),
        ];
        let st = match (r1, s1, r6, s6) {
            (Some(r1), Some(s1), Some(_), Some(s6)) if r1 > s1 && s6 > 0.05 => statement(
                "right_bundle_branch_block_pattern",
                "Wide QRS, right bundle branch block pattern",
                &format!(
                    "QRS at least {} ms, V1 predominantly positive (R > S) and a terminal S wave in V6 (or I)",
                    cfg.wide_qrs_ms
                ),
                &values,
            ),
            (Some(r1), Some(s1), Some(r6), Some(s6))
                if s1 > r1 && r6 > s6 && q6.is_some_and(|q| q < 0.1) =>
            {
                statement(
                    "left_bundle_branch_block_pattern",
                    "Wide QRS, left bundle branch block pattern",
                    &format!(
                        "QRS at least {} ms, V1 predominantly negative (S > R), V6 (or I) predominantly positive without Q wave",
                        cfg.wide_qrs_ms
                    ),
                    &values,
                )
            }
            _ => statement(
                "wide_qrs",
                "Wide QRS (intraventricular conduction delay)",
                &format!("QRS at least {} ms", cfg.wide_qrs_ms),
                &values,
            ),
        };
        out.push(st);
    }
    if let Some(qtc) = m.qtc_bazett_ms {
        let limit = if female {
            cfg.qtc_female_ms
        } else {
            cfg.qtc_male_ms
        };
        if qtc.round() > limit {
            out.push(statement(
                "prolonged_qtc",
                "Prolonged QTc",
                &format!(
                    "QTc (Bazett) above {limit} ms ({})",
                    if female {
                        "female"
                    } else {
                        "male or sex unknown"
                    }
                ),
                &[
                    ("qtc_bazett_ms", Some(qtc)),
                    ("qt_ms", m.qt_ms),
                    ("rr_ms", m.rr_ms),
                ],
            ));
        }
    }
    if let Some(axis) = m.qrs_axis_deg {
        // whole degrees in (-180, 180]: -180 is the same direction as 180
        let whole_axis = match axis.round() {
            w if w <= -180.0 => w + 360.0,
            w => w,
        };
        if whole_axis < cfg.left_axis_deg && whole_axis >= -90.0 {
            out.push(statement(
                "left_axis_deviation",
                "Left axis deviation",
                &format!(
                    "frontal QRS axis between -90 and {} degrees",
                    cfg.left_axis_deg
                ),
                &[("qrs_axis_deg", Some(axis))],
            ));
        } else if whole_axis > cfg.right_axis_deg && whole_axis <= 180.0 {
            out.push(statement(
                "right_axis_deviation",
                "Right axis deviation",
                &format!(
                    "frontal QRS axis between {} and 180 degrees",
                    cfg.right_axis_deg
                ),
                &[("qrs_axis_deg", Some(axis))],
            ));
        } else if whole_axis < -90.0 && whole_axis > -180.0 {
            out.push(statement(
                "extreme_axis_deviation",
                "Extreme axis deviation (northwest axis)",
                "frontal QRS axis between -180 and -90 degrees",
                &[("qrs_axis_deg", Some(axis))],
            ));
        }
    }
    let cornell_limit = if female {
        cfg.cornell_female_mv
    } else {
        cfg.cornell_male_mv
    };
    let sok = m.sokolow_lyon_mv.filter(|&v| v >= cfg.sokolow_lyon_mv);
    let cor = m.cornell_mv.filter(|&v| v > cornell_limit);
    if sok.is_some() || cor.is_some() {
        out.push(statement(
            "lvh_voltage",
            "Left ventricular hypertrophy by voltage criteria",
            &format!(
                "Sokolow-Lyon S(V1) + max R(V5, V6) at least {} mV, or Cornell R(aVL) + S(V3) above {cornell_limit} mV ({})",
                cfg.sokolow_lyon_mv,
                if female { "female" } else { "male or sex unknown" }
            ),
            &[
                ("sokolow_lyon_mv", m.sokolow_lyon_mv),
                ("cornell_mv", m.cornell_mv),
            ],
        ));
    }
    (rhythm, out)
}

fn lead_amp<'a>(
    leads: &[Lead],
    m: &'a [LeadMeasurements],
    which: StdLead,
) -> Option<&'a LeadMeasurements> {
    leads
        .iter()
        .zip(m)
        .find(|(l, _)| l.std == Some(which))
        .map(|(_, lm)| lm)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Statement context of a regular rhythm at 60 bpm with 0.2 mV P waves, no ectopy.
    fn regular_rhythm_with_p_waves() -> StatementContext<'static> {
        StatementContext {
            rr: &[1.0; 8],
            p_max: Some(0.2),
            af_fraction: 0.0,
            v_beats: 0,
            s_beats: 0,
            sex: None,
            leads: &[],
        }
    }

    #[test]
    fn statements_compare_the_printed_whole_values() {
        let cx = regular_rhythm_with_p_waves();
        let cfg = RestingConfig::default();
        let with = |hr: f64, qrs: f64, qtc: f64| {
            let mut m = Measurements {
                heart_rate_bpm: Some(hr),
                pr_ms: Some(160.0),
                qrs_ms: Some(qrs),
                qtc_bazett_ms: Some(qtc),
                ..Default::default()
            };
            m.waves_ms.p_on = Some(-200.0);
            let (rhythm, rest) = statements(&m, &cx, &cfg);
            let codes: Vec<String> = rest.into_iter().map(|s| s.code).collect();
            (rhythm.code, codes)
        };
        // 59.98 bpm is printed as 60: no bradycardia; 59.4 is printed as 59
        assert_eq!(with(59.98, 90.0, 400.0).0, "sinus_rhythm");
        assert_eq!(with(59.4, 90.0, 400.0).0, "sinus_bradycardia");
        assert_eq!(with(100.4, 90.0, 400.0).0, "sinus_rhythm");
        assert_eq!(with(100.6, 90.0, 400.0).0, "sinus_tachycardia");
        // QRS 119.6 ms is printed as 120: wide; 119.4 as 119: not
        assert!(with(70.0, 119.6, 400.0).1.contains(&"wide_qrs".to_string()));
        assert!(with(70.0, 119.4, 400.0).1.is_empty());
        // QTc 450.4 ms (male limit 450) is printed as 450: not prolonged
        assert!(with(70.0, 90.0, 450.4).1.is_empty());
        assert_eq!(with(70.0, 90.0, 450.6).1, vec!["prolonged_qtc".to_string()]);
    }

    #[test]
    fn frontal_axis_statements_cover_the_circle() {
        let cx = regular_rhythm_with_p_waves();
        let codes = |axis: f64| {
            let m = Measurements {
                heart_rate_bpm: Some(70.0),
                qrs_axis_deg: Some(axis),
                ..Default::default()
            };
            let (_, rest) = statements(&m, &cx, &RestingConfig::default());
            rest.into_iter()
                .map(|s| s.code)
                .collect::<Vec<_>>()
                .join(",")
        };
        for (axis, want) in [
            (60.0, ""),
            (-29.6, ""),
            (-30.6, "left_axis_deviation"),
            (-90.4, "left_axis_deviation"),
            (-90.6, "extreme_axis_deviation"),
            (-98.0, "extreme_axis_deviation"),
            (-179.4, "extreme_axis_deviation"),
            (-179.6, "right_axis_deviation"),
            (180.0, "right_axis_deviation"),
            (90.6, "right_axis_deviation"),
            (90.4, ""),
        ] {
            assert_eq!(codes(axis), want, "axis {axis}");
        }
    }

    #[test]
    fn lead_labels() {
        assert_eq!(standard_lead("II"), Some(StdLead::II));
        assert_eq!(standard_lead("ECG II"), Some(StdLead::II));
        assert_eq!(standard_lead("Lead aVF"), Some(StdLead::AVF));
        assert_eq!(standard_lead("avl"), Some(StdLead::AVL));
        assert_eq!(standard_lead("v5"), Some(StdLead::V(5)));
        assert_eq!(standard_lead("DIII"), Some(StdLead::III));
        assert_eq!(standard_lead("MLII"), None);
        assert_eq!(standard_lead("V7"), None);
        assert_eq!(standard_lead("vx"), None);
    }

    fn lead(std: StdLead, x: Vec<f32>) -> Lead {
        Lead {
            label: std.label(),
            std: Some(std),
            derived: false,
            x,
        }
    }

    #[test]
    fn axis_from_limb_leads_and_derivation() {
        // a frontal vector at +60 degrees of unit size: I = cos 60, II = 1
        let h = |deg: f64| {
            let (x, y) = (deg.to_radians().cos(), deg.to_radians().sin());
            (x as f32, (0.5 * x + 3f64.sqrt() / 2.0 * y) as f32)
        };
        for deg in [-120.0, -45.0, 0.0, 60.0, 100.0, 170.0] {
            let (i, ii) = h(deg);
            let mut leads = vec![lead(StdLead::I, vec![i]), lead(StdLead::II, vec![ii])];
            derive_limb_leads(&mut leads);
            assert_eq!(leads.len(), 6);
            let a = frontal_axis(&leads, |x| x[0] as f64).unwrap();
            assert!((a - deg).abs() < 1e-3, "{deg}: {a}");
            // aVF = II - I/2 = sqrt(3)/2 * Hy
            let avf = leads
                .iter()
                .find(|l| l.std == Some(StdLead::AVF))
                .unwrap()
                .x[0];
            assert!((avf as f64 - 0.75f64.sqrt() * deg.to_radians().sin()).abs() < 1e-5);
            // from II and III alone, the same axis
            let iii = ii - i;
            let mut two = vec![lead(StdLead::II, vec![ii]), lead(StdLead::III, vec![iii])];
            derive_limb_leads(&mut two);
            let b = frontal_axis(&two, |x| x[0] as f64).unwrap();
            assert!((b - deg).abs() < 1e-3, "{deg}: {b}");
        }
        // precordial leads only: no axis
        let v = vec![
            lead(StdLead::V(1), vec![1.0]),
            lead(StdLead::V(2), vec![1.0]),
        ];
        assert_eq!(frontal_axis(&v, |x| x[0] as f64), None);
    }

    #[test]
    fn amplitudes_of_a_qrs() {
        // iso 0.1 mV; q -0.2, R 1.5, S -0.5 (all relative to iso); ST +0.1 at J+60
        let fs = 1000.0;
        let mut x = vec![0.1f32; 600];
        for (i, v) in x.iter_mut().enumerate().take(230).skip(200) {
            let t = i - 200;
            *v = 0.1
                + match t {
                    0..=4 => -0.2,
                    5..=14 => 1.5,
                    15..=25 => -0.5,
                    _ => 0.0,
                };
        }
        for v in x.iter_mut().skip(240) {
            *v = 0.2;
        }
        let w = Waves {
            qrs_on: Some(199),
            qrs_off: Some(228),
            t_off: Some(500),
            ..Default::default()
        };
        let m = amplitudes(&lead(StdLead::V(1), x), &w, fs);
        assert!((m.r_mv.unwrap() - 1.5).abs() < 1e-6);
        assert!((m.q_mv.unwrap() - 0.2).abs() < 1e-6);
        assert!((m.s_mv.unwrap() - 0.5).abs() < 1e-6);
        assert!((m.st_j60_mv.unwrap() - 0.1).abs() < 1e-6);
        assert!((m.st_j80_mv.unwrap() - 0.1).abs() < 1e-6);
        assert!((m.t_mv.unwrap() - 0.1).abs() < 1e-6);
        assert_eq!(m.p_mv, None);
    }
}
