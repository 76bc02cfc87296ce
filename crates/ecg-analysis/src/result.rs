//! The analysis result: one serde type that reports, the server and the viewer consume.

use ecg_core::{AamiClass, Annotation, AnnotationCode, AnnotationSet};
use serde::{Deserialize, Serialize};

use crate::hrv::Hrv;

/// One detected beat.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Beat {
    /// R-peak sample index (at [`Analysis::fs`]).
    pub sample: i64,
    /// AAMI EC57 class.
    pub class: AamiClass,
    /// Index (into [`Analysis::leads`]) of the lead that placed the R peak.
    pub lead: u16,
    /// Morphology template (cluster) id, an index into [`Analysis::templates`].
    pub template: u32,
}

/// A morphology template: the cluster of beats sharing one QRS shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// Template id (its index in [`Analysis::templates`]).
    pub id: u32,
    /// Class the template was given (individual beats may differ: an `N`-shaped beat
    /// that comes early is `S`).
    pub class: AamiClass,
    /// Number of beats in the cluster.
    pub count: u32,
    /// Median QRS width of its beats in milliseconds.
    pub qrs_ms: f32,
    /// Correlation of its shape with the dominant template (1 for the dominant one).
    pub similarity: f32,
    /// A representative beat's sample (the first member).
    pub example_sample: i64,
}

/// Kinds of rhythm episodes and events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeKind {
    /// Sinus rhythm at a normal rate.
    SinusRhythm,
    /// Sinus bradycardia (rate below the configured limit).
    SinusBradycardia,
    /// Sinus tachycardia (rate above the configured limit).
    SinusTachycardia,
    /// Atrial fibrillation.
    AtrialFibrillation,
    /// Atrial flutter (regular atrial activity with a fixed ventricular response).
    AtrialFlutter,
    /// A pause: RR interval longer than the configured limit.
    Pause,
    /// Two consecutive ventricular beats.
    VentricularCouplet,
    /// Three or more consecutive ventricular beats below the tachycardia rate.
    VentricularRun,
    /// Three or more consecutive ventricular beats at or above the tachycardia rate.
    VentricularTachycardia,
    /// Ventricular bigeminy (N V N V ...).
    VentricularBigeminy,
    /// Ventricular trigeminy (N N V N N V ...).
    VentricularTrigeminy,
    /// Two consecutive supraventricular ectopic beats.
    SupraventricularCouplet,
    /// Three or more consecutive SVEBs below the tachycardia rate.
    SupraventricularRun,
    /// Three or more consecutive SVEBs at or above the tachycardia rate.
    SupraventricularTachycardia,
    /// Supraventricular bigeminy.
    SupraventricularBigeminy,
    /// Supraventricular trigeminy.
    SupraventricularTrigeminy,
    /// Signal too noisy to analyse (no lead usable).
    Noise,
}

/// A rhythm episode or event, from its first to its last sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    /// What it is.
    pub kind: EpisodeKind,
    /// First sample (the first beat, or the start of a pause/noise stretch).
    pub start: i64,
    /// Last sample (the last beat, or the end of the pause/noise stretch).
    pub end: i64,
    /// Beats inside the episode.
    pub beats: u32,
    /// Mean heart rate over the episode in beats per minute, when defined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_hr_bpm: Option<f64>,
}

/// Signal quality of one segment of the record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualitySegment {
    /// First sample.
    pub start: i64,
    /// One past the last sample.
    pub end: i64,
    /// Quality of each lead, 0 (unusable: flat, clipped, lead-off) to 1 (clean).
    pub leads: Vec<f32>,
    /// Best lead quality; below [`QualitySegment::USABLE`] the segment is noise.
    pub overall: f32,
}

impl QualitySegment {
    /// Overall quality from which a segment counts as analysable.
    pub const USABLE: f32 = 0.2;
}

/// What a mean heart rate ([`Summary::hr_mean_bpm`],
/// [`crate::long_term::HourlyRow::hr_mean_bpm`]) was computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HrMeanBasis {
    /// The windows of 8 RR intervals whose 9 beats are all normal (`N`), the windows that
    /// give the minimum and maximum: their rates averaged with the windows' durations as
    /// weights, i.e. 60 x 8 x windows / (summed window spans in s). A weighted mean of
    /// the window rates, so it lies between their minimum and maximum.
    NormalWindows,
    /// There is no such window (no minimum or maximum then): every RR interval up to the
    /// pause limit, 60 x intervals / (their summed length in s).
    RrIntervals,
}

/// Whole-record numbers for summaries.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Analysed duration in seconds.
    pub duration_s: f64,
    /// Beats per AAMI class, in the order N, S, V, F, Q.
    pub class_counts: [u64; 5],
    /// Lowest heart rate (bpm, over 8-beat windows of normal beats), with its sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_min: Option<(f64, i64)>,
    /// Mean heart rate in bpm, the same value as [`Summary::hr_mean_bpm`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_mean: Option<f64>,
    /// Highest heart rate (bpm, over 8-beat windows), with its sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_max: Option<(f64, i64)>,
    /// Atrial fibrillation/flutter burden: fraction of the recording's duration, 0..=1.
    pub af_burden: f64,
    /// Longest RR interval in seconds, with the sample of the beat ending it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longest_rr: Option<(f64, i64)>,
    /// Fraction of the record whose quality is below [`QualitySegment::USABLE`].
    pub noise_fraction: f64,
    // ---- long-term (Holter) summary, see [`crate::long_term`]
    /// Recording duration (s).
    #[serde(default)]
    pub recording_duration_s: f64,
    /// Analysed duration (s): the recording less its noise segments.
    #[serde(default)]
    pub analysed_duration_s: f64,
    /// Recording start (`YYYY-MM-DDTHH:MM:SS.sss`), when the file gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Beats detected.
    #[serde(default)]
    pub total_beats: u64,
    /// Lowest heart rate (bpm, 8-beat windows of normal beats).
    #[serde(default)]
    pub hr_min_bpm: Option<f64>,
    /// Time of the lowest heart rate (s from the start; the window's last beat).
    #[serde(default)]
    pub hr_min_time_s: Option<f64>,
    /// Clock time of the lowest heart rate, when the start is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_min_clock: Option<String>,
    /// Mean heart rate (bpm) on the basis of [`Summary::hr_mean_basis`]: normally the
    /// mean of the same 8-beat windows that give [`Summary::hr_min_bpm`] and
    /// [`Summary::hr_max_bpm`], weighted by their durations, so that
    /// `hr_min_bpm <= hr_mean_bpm <= hr_max_bpm` whenever all three exist (see
    /// [`crate::long_term::heart_rates`]).
    #[serde(default)]
    pub hr_mean_bpm: Option<f64>,
    /// What [`Summary::hr_mean_bpm`] (and [`Summary::hr_mean`]) was computed from; absent
    /// without a mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_mean_basis: Option<HrMeanBasis>,
    /// Rate of all beats whatever their class, pauses included: 60 x (beats - 1) / (last
    /// beat - first beat) in bpm (what `hr_mean_bpm` was before the 8-beat basis); absent
    /// with fewer than 2 beats.
    #[serde(default)]
    pub hr_mean_all_beats_bpm: Option<f64>,
    /// Highest heart rate (bpm, 8-beat windows).
    #[serde(default)]
    pub hr_max_bpm: Option<f64>,
    /// Time of the highest heart rate (s).
    #[serde(default)]
    pub hr_max_time_s: Option<f64>,
    /// Clock time of the highest heart rate, when the start is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_max_clock: Option<String>,
    /// Ventricular ectopic beats (`V`).
    #[serde(default)]
    pub ve_beats: u64,
    /// Supraventricular ectopic beats (`S`).
    #[serde(default)]
    pub sve_beats: u64,
    /// Pauses (RR above the pause limit, outside noise).
    #[serde(default)]
    pub pauses: u64,
    /// Longest pause (s).
    #[serde(default)]
    pub longest_pause_s: Option<f64>,
    /// Atrial fibrillation/flutter burden in percent of the recording.
    #[serde(default)]
    pub af_burden_percent: f64,
    /// Minutes of atrial fibrillation/flutter.
    #[serde(default)]
    pub af_minutes: f64,
    /// The hourly table.
    #[serde(default)]
    pub hourly: Vec<crate::long_term::HourlyRow>,
    /// HRV per hour (with SDANN and SDNN index of its 5-minute segments).
    #[serde(default)]
    pub hrv_hourly: Vec<crate::long_term::HrvSegment>,
    /// HRV per 5-minute segment.
    #[serde(default)]
    pub hrv_5min: Vec<crate::long_term::HrvSegment>,
    /// ST-level trend per lead, with episodes.
    #[serde(default)]
    pub st: Vec<crate::long_term::StTrend>,
    /// Every event (episodes other than sinus rhythm), by start.
    #[serde(default)]
    pub events: Vec<crate::long_term::EventEntry>,
    /// Totals and a representative strip per event type.
    #[serde(default)]
    pub event_types: Vec<crate::long_term::EventTypeSummary>,
}

/// The result of analysing one record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// Engine name and version (`ecg-analysis 0.1.0`).
    pub engine: String,
    /// Record name.
    pub record: String,
    /// Sampling frequency of the sample indices.
    pub fs: f64,
    /// Number of samples analysed.
    pub samples: u64,
    /// Labels of the leads used (beats refer to them by index).
    pub leads: Vec<String>,
    /// Every beat, in time order.
    pub beats: Vec<Beat>,
    /// Morphology templates.
    pub templates: Vec<Template>,
    /// Rhythm episodes and events, ordered by start.
    pub episodes: Vec<Episode>,
    /// Heart-rate variability (absent when there are too few normal beats).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hrv: Option<Hrv>,
    /// Signal quality per segment.
    pub quality: Vec<QualitySegment>,
    /// Pacing spikes found (sample indices).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pacing_spikes: Vec<i64>,
    /// Summary numbers, with the long-term (Holter) summary.
    pub summary: Summary,
    /// Resting measurements (median beats, intervals, axes, amplitudes, statements);
    /// `null` when no beat was found.
    #[serde(default)]
    pub measurements: Option<crate::resting::Measurements>,
}

impl Default for Analysis {
    /// An empty analysis (no beats), for building one field by field.
    fn default() -> Self {
        Analysis {
            engine: format!("ecg-analysis {}", env!("CARGO_PKG_VERSION")),
            record: String::new(),
            fs: 0.0,
            samples: 0,
            leads: Vec::new(),
            beats: Vec::new(),
            templates: Vec::new(),
            episodes: Vec::new(),
            hrv: None,
            quality: Vec::new(),
            pacing_spikes: Vec::new(),
            summary: Summary::default(),
            measurements: None,
        }
    }
}

impl Analysis {
    /// The beats as an MIT annotation set (annotator `annotator`): one annotation per beat
    /// at its R-peak sample with the AAMI class as MIT code (`N`, `S`, `V`, `F`, `Q`) and
    /// the lead as channel, followed in time order by rhythm annotations (`+` with aux
    /// `(AFIB`, `(AFL` at the start and `(N` at the end of each AF/flutter episode), which
    /// beat-by-beat tools ignore and episode comparisons use.
    pub fn to_annotations(&self, annotator: &str) -> AnnotationSet {
        let mut annotations: Vec<Annotation> = self
            .beats
            .iter()
            .map(|b| {
                let mut a = Annotation::new(b.sample, b.class.code());
                a.chan = b.lead.min(255) as u8;
                a
            })
            .collect();
        let mut rhythm = Vec::new();
        for e in &self.episodes {
            let aux = match e.kind {
                EpisodeKind::AtrialFibrillation => "(AFIB",
                EpisodeKind::AtrialFlutter => "(AFL",
                _ => continue,
            };
            let mut on = Annotation::new(e.start, AnnotationCode::RHYTHM);
            on.aux = Some(aux.to_string());
            let mut off = Annotation::new(e.end, AnnotationCode::RHYTHM);
            off.aux = Some("(N".to_string());
            rhythm.push(on);
            rhythm.push(off);
        }
        annotations.extend(rhythm);
        // stable: at equal samples beats stay before rhythm changes
        annotations.sort_by_key(|a| a.sample);
        AnnotationSet {
            annotator: annotator.to_string(),
            fs: Some(self.fs),
            annotations,
        }
    }

    /// Number of beats of one class.
    pub fn count(&self, class: AamiClass) -> usize {
        self.beats.iter().filter(|b| b.class == class).count()
    }
}
