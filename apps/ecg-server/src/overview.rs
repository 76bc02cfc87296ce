//! The viewer's overview of one record of a task: what the page needs to open (record
//! layout, summary, HRV, templates, episodes, a heart-rate trend over the whole recording,
//! the review text and undo/redo state), small even for a 7-day Holter.

use std::collections::BTreeMap;

use ecg_analysis::{Analysis, Episode, EpisodeKind};
use ecg_core::AamiClass;
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::{ApiError, ApiResult};
use crate::review::{Materialized, statement_texts};
use crate::store::TaskRow;
use crate::tasks::{TaskView, task_view};

/// Heart rate per time bucket over the whole record.
#[derive(Debug, Serialize, ToSchema)]
pub struct HrTrend {
    /// Bucket length in seconds.
    pub bucket_s: f64,
    /// Lowest heart rate of each bucket (bpm; `null` without N-N intervals).
    pub min: Vec<Option<f64>>,
    /// Mean heart rate of each bucket.
    pub mean: Vec<Option<f64>>,
    /// Highest heart rate of each bucket.
    pub max: Vec<Option<f64>>,
    /// Ventricular (V) beats per bucket.
    pub v: Vec<u32>,
    /// Supraventricular (S) beats per bucket.
    pub s: Vec<u32>,
}

/// Bucket lengths tried for the trend (s), the first that gives at most
/// [`MAX_TREND_BUCKETS`] buckets is used.
const BUCKETS_S: [f64; 12] = [
    2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
];

/// Most trend buckets.
pub const MAX_TREND_BUCKETS: usize = 2500;

/// The heart-rate trend of an analysis: per bucket, the min/mean/max of the instantaneous
/// rate of consecutive normal beats (N-N intervals of 0.25-3 s), and V/S beat counts.
pub fn hr_trend(a: &Analysis) -> HrTrend {
    let duration = a.samples as f64 / a.fs;
    let bucket_s = BUCKETS_S
        .into_iter()
        .find(|b| duration / b <= MAX_TREND_BUCKETS as f64)
        .unwrap_or(7200.0);
    let n = ((duration / bucket_s).ceil() as usize).clamp(1, 2 * MAX_TREND_BUCKETS);
    let mut lo = vec![f64::INFINITY; n];
    let mut hi = vec![f64::NEG_INFINITY; n];
    let mut sum = vec![0.0; n];
    let mut cnt = vec![0u32; n];
    let mut v = vec![0u32; n];
    let mut s = vec![0u32; n];
    let bucket_of = |sample: i64| (((sample as f64 / a.fs) / bucket_s) as usize).min(n - 1);
    for (i, b) in a.beats.iter().enumerate() {
        let k = bucket_of(b.sample);
        match b.class {
            AamiClass::V => v[k] += 1,
            AamiClass::S => s[k] += 1,
            _ => {}
        }
        if i == 0 {
            continue;
        }
        let p = a.beats[i - 1];
        if b.class != AamiClass::N || p.class != AamiClass::N {
            continue;
        }
        let rr = (b.sample - p.sample) as f64 / a.fs;
        if !(0.25..=3.0).contains(&rr) {
            continue;
        }
        let hr = 60.0 / rr;
        lo[k] = lo[k].min(hr);
        hi[k] = hi[k].max(hr);
        sum[k] += hr;
        cnt[k] += 1;
    }
    let r1 = |x: f64| (x * 10.0).round() / 10.0;
    HrTrend {
        bucket_s,
        min: (0..n).map(|k| (cnt[k] > 0).then(|| r1(lo[k]))).collect(),
        mean: (0..n)
            .map(|k| (cnt[k] > 0).then(|| r1(sum[k] / cnt[k] as f64)))
            .collect(),
        max: (0..n).map(|k| (cnt[k] > 0).then(|| r1(hi[k]))).collect(),
        v,
        s,
    }
}

/// The review part of the overview.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewState {
    /// Statements (text).
    pub statements: Vec<String>,
    /// Conclusion.
    pub conclusion: Option<String>,
    /// Whether undo has something to revert.
    pub can_undo: bool,
    /// Whether redo has something to re-apply.
    pub can_redo: bool,
    /// Edits made so far (including undo and redo).
    pub edits: usize,
    /// Last editor.
    pub updated_by: Option<String>,
    /// Last edit time.
    pub updated_at: Option<String>,
}

/// What the viewer opens with.
#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    /// The task.
    pub task: TaskView,
    /// Result version shown.
    pub version: u32,
    /// True when the caller may edit (review status, not a share link).
    pub editable: bool,
    /// Record summaries of the task (name, duration, signals with label/fs/unit/samples).
    #[schema(value_type = Vec<Object>)]
    pub records: serde_json::Value,
    /// Record index this overview describes.
    pub record: usize,
    /// Patient (decoded values with the task metadata laid over them).
    #[schema(value_type = Object)]
    pub patient: serde_json::Value,
    /// Recording details.
    #[schema(value_type = Object)]
    pub recording: serde_json::Value,
    /// Sampling frequency of the beat samples.
    pub fs: f64,
    /// Samples analysed.
    pub samples: u64,
    /// Leads the analysis used (beats' `lead` indexes them).
    pub analysed_leads: Vec<String>,
    /// Beats of the record.
    pub total_beats: usize,
    /// Summary numbers (`ecg_analysis::Summary`) without the ST trend `st`; each of its
    /// lists longer than [`MAX_SUMMARY_EVENTS`] (`events`, `hrv_5min` of long recordings) is cut to
    /// that many, with `<name>_total` giving the full count (the whole lists are in the
    /// task's result).
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
    /// HRV (`ecg_analysis::Hrv`), when there are enough normal beats.
    #[schema(value_type = Object)]
    pub hrv: serde_json::Value,
    /// Templates (`ecg_analysis::Template`), by id: all of them, or the
    /// [`MAX_OVERVIEW_TEMPLATES`] with the most beats.
    #[schema(value_type = Vec<Object>)]
    pub templates: serde_json::Value,
    /// Templates of the record in all.
    pub templates_total: usize,
    /// Episodes and events (`ecg_analysis::Episode`), by start: all of them when there are
    /// at most [`MAX_OVERVIEW_EPISODES`]; otherwise AF, flutter and noise first, then
    /// pauses and tachycardias, then the other kinds (sinus rhythm left out), each group
    /// whole when it fits the room left, else thinned evenly over the record.
    #[schema(value_type = Vec<Object>)]
    pub episodes: serde_json::Value,
    /// Episodes of the record in all (`episodes` may list fewer).
    pub episodes_total: usize,
    /// Episodes of the record per kind (`atrial_fibrillation`, `ventricular_run`, ...).
    pub episode_counts: BTreeMap<String, usize>,
    /// Heart-rate trend over the whole record.
    pub trend: HrTrend,
    /// Review text and undo/redo state.
    pub review: ReviewState,
    /// Approver, once approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
}

/// The overview of record `record` of a materialised result, listing at most
/// `max_episodes` episodes (1 to [`MAX_OVERVIEW_EPISODES`]; see [`overview_episodes_at_most`]).
pub fn overview(
    task: &TaskRow,
    m: &Materialized,
    record: usize,
    editable: bool,
    max_episodes: usize,
) -> ApiResult<Overview> {
    let a = m.analyses.get(record).ok_or_else(|| {
        ApiError::invalid(format!(
            "record {record} has no analysis (the result has {})",
            m.analyses.len()
        ))
    })?;
    let review = m.review();
    Ok(Overview {
        task: task_view(task),
        version: m.version,
        editable,
        records: m.doc["records"].clone(),
        record,
        patient: m.doc["patient"].clone(),
        recording: m.doc["recording"].clone(),
        fs: a.fs,
        samples: a.samples,
        analysed_leads: a.leads.clone(),
        total_beats: a.beats.len(),
        summary: overview_summary(a)?,
        hrv: to_json(&a.hrv)?,
        templates: to_json(&overview_templates(a))?,
        templates_total: a.templates.len(),
        episodes: to_json(&overview_episodes_at_most(&a.episodes, max_episodes))?,
        episodes_total: a.episodes.len(),
        episode_counts: episode_counts(&a.episodes)?,
        trend: hr_trend(a),
        review: ReviewState {
            statements: statement_texts(review),
            conclusion: review["conclusion"].as_str().map(str::to_owned),
            can_undo: !m.undo_stack().is_empty(),
            can_redo: !m.redo_stack().is_empty(),
            edits: m.edit_log().len(),
            updated_by: review["updated_by"].as_str().map(str::to_owned),
            updated_at: review["updated_at"].as_str().map(str::to_owned),
        },
        approved_by: m.doc["approved_by"].as_str().map(str::to_owned),
    })
}

/// Most entries of each of the summary's lists an overview gives.
pub const MAX_SUMMARY_EVENTS: usize = 500;

fn overview_summary(a: &Analysis) -> ApiResult<serde_json::Value> {
    let mut summary = to_json(&a.summary)?;
    if let Some(obj) = summary.as_object_mut() {
        // the ST trend (j60/j80 per interval and lead) is the result's, not the page's
        obj.remove("st");
        let mut totals = Vec::new();
        for (name, v) in obj.iter_mut() {
            if let serde_json::Value::Array(list) = v
                && list.len() > MAX_SUMMARY_EVENTS
            {
                totals.push((format!("{name}_total"), list.len()));
                list.truncate(MAX_SUMMARY_EVENTS);
            }
        }
        for (k, n) in totals {
            obj.insert(k, n.into());
        }
    }
    Ok(summary)
}

/// Most templates an overview lists (the most populated ones, by id).
pub const MAX_OVERVIEW_TEMPLATES: usize = 1000;

fn overview_templates(a: &Analysis) -> Vec<&ecg_analysis::Template> {
    let mut t: Vec<&ecg_analysis::Template> = a.templates.iter().collect();
    if t.len() > MAX_OVERVIEW_TEMPLATES {
        t.sort_by_key(|t| (std::cmp::Reverse(t.count), t.id));
        t.truncate(MAX_OVERVIEW_TEMPLATES);
        t.sort_by_key(|t| t.id);
    }
    t
}

/// Most episodes an overview lists (a 7-day Holter can have hundreds of thousands of
/// couplets and runs; the page opens with a bounded list).
pub const MAX_OVERVIEW_EPISODES: usize = 5000;

/// How much an overview wants an episode kind listed: 0 the reviewer's (AF, flutter,
/// noise), 1 those drawn as bands and tachycardias, 2 the other events; sinus rhythm is
/// left out of long lists.
fn listing_tier(kind: EpisodeKind) -> Option<usize> {
    match kind {
        EpisodeKind::AtrialFibrillation | EpisodeKind::AtrialFlutter | EpisodeKind::Noise => {
            Some(0)
        }
        EpisodeKind::Pause
        | EpisodeKind::VentricularTachycardia
        | EpisodeKind::SupraventricularTachycardia => Some(1),
        EpisodeKind::SinusRhythm => None,
        _ => Some(2),
    }
}

/// The episodes an overview lists (see [`Overview::episodes`]), by start: tier by tier
/// (see `listing_tier`), each tier whole when it fits the room left, else thinned evenly
/// over the record.
pub fn overview_episodes(all: &[Episode]) -> Vec<&Episode> {
    overview_episodes_at_most(all, MAX_OVERVIEW_EPISODES)
}

/// [`overview_episodes`] with another bound than [`MAX_OVERVIEW_EPISODES`] (clamped to
/// 1..=[`MAX_OVERVIEW_EPISODES`]): a client on a slow link, or a test, can ask for a
/// shorter list and page through the rest with the episodes endpoint.
pub fn overview_episodes_at_most(all: &[Episode], max: usize) -> Vec<&Episode> {
    let max = max.clamp(1, MAX_OVERVIEW_EPISODES);
    if all.len() <= max {
        return all.iter().collect();
    }
    let mut out: Vec<&Episode> = Vec::with_capacity(max);
    for tier in 0..3 {
        let room = max - out.len();
        if room == 0 {
            break;
        }
        let of_tier: Vec<&Episode> = all
            .iter()
            .filter(|e| listing_tier(e.kind) == Some(tier))
            .collect();
        let stride = of_tier.len().div_ceil(room).max(1);
        out.extend(of_tier.iter().step_by(stride).copied());
    }
    out.sort_by_key(|e| (e.start, e.end));
    out
}

fn episode_counts(all: &[Episode]) -> ApiResult<BTreeMap<String, usize>> {
    let mut counts = BTreeMap::new();
    for e in all {
        let kind = match to_json(&e.kind)? {
            serde_json::Value::String(k) => k,
            other => other.to_string(),
        };
        *counts.entry(kind).or_insert(0) += 1;
    }
    Ok(counts)
}

fn to_json<T: Serialize>(v: &T) -> ApiResult<serde_json::Value> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecg_analysis::{Beat, Summary};

    #[test]
    fn trend_buckets_rates_and_ectopy() {
        let fs = 100.0;
        // 1 h: beats every 1 s (60 bpm) for the first half, every 0.5 s after; one V
        let mut beats = Vec::new();
        let mut t = 0.0;
        while t < 3600.0 {
            beats.push(Beat {
                sample: (t * fs) as i64,
                class: AamiClass::N,
                lead: 0,
                template: 0,
            });
            t += if t < 1800.0 { 1.0 } else { 0.5 };
        }
        beats[100].class = AamiClass::V;
        let a = Analysis {
            engine: "t".into(),
            record: "r".into(),
            fs,
            samples: 360_000,
            leads: vec!["II".into()],
            beats,
            templates: vec![],
            episodes: vec![],
            hrv: None,
            quality: vec![],
            pacing_spikes: vec![],
            summary: Summary::default(),
            measurements: None,
        };
        let tr = hr_trend(&a);
        assert_eq!(tr.bucket_s, 2.0);
        assert_eq!(tr.mean.len(), 1800);
        assert_eq!(tr.mean[10], Some(60.0));
        assert_eq!(tr.max[1700], Some(120.0));
        assert_eq!(tr.v.iter().sum::<u32>(), 1);
        assert_eq!(tr.v[50], 1);
        // the intervals around the V beat are not N-N
        assert_eq!(tr.mean[50], None);
    }

    #[test]
    fn long_episode_lists_are_thinned_keeping_af_and_pauses() {
        let ep = |kind, start: i64| Episode {
            kind,
            start,
            end: start + 50,
            beats: 2,
            mean_hr_bpm: None,
        };
        let mut all = Vec::new();
        for i in 0..20_000i64 {
            all.push(ep(EpisodeKind::VentricularCouplet, i * 100));
            all.push(ep(EpisodeKind::SinusRhythm, i * 100 + 60));
            if i % 100 == 0 {
                all.push(ep(EpisodeKind::AtrialFibrillation, i * 100 + 70));
                all.push(ep(EpisodeKind::Pause, i * 100 + 80));
            }
        }
        let few = overview_episodes(&all[..3000]);
        assert_eq!(few.len(), 3000);
        let listed = overview_episodes(&all);
        assert!(listed.len() <= MAX_OVERVIEW_EPISODES, "{}", listed.len());
        let count = |k| listed.iter().filter(|e| e.kind == k).count();
        assert_eq!(count(EpisodeKind::AtrialFibrillation), 200);
        assert_eq!(count(EpisodeKind::Pause), 200);
        assert_eq!(count(EpisodeKind::SinusRhythm), 0);
        // couplets: evenly over the record (4600 rooms -> every 5th of 20000 = 4000)
        assert_eq!(count(EpisodeKind::VentricularCouplet), 4000);
        let last = listed
            .iter()
            .filter(|e| e.kind == EpisodeKind::VentricularCouplet)
            .map(|e| e.start)
            .max()
            .unwrap();
        assert!(last >= 19_995 * 100, "{last}");
        assert!(listed.windows(2).all(|w| w[0].start <= w[1].start));
        // a first tier larger than the room is thinned evenly, not cut at a time
        let vt: Vec<Episode> = (0..12_000i64)
            .map(|i| ep(EpisodeKind::AtrialFibrillation, i * 100))
            .collect();
        let listed = overview_episodes(&vt);
        assert_eq!(listed.len(), 4000); // every 3rd
        assert!(listed.last().unwrap().start >= 11_997 * 100);
        let counts = episode_counts(&all).unwrap();
        assert_eq!(counts["ventricular_couplet"], 20_000);
        assert_eq!(counts["atrial_fibrillation"], 200);
        // a smaller bound (the overview's max_episodes): AF whole first, then pauses thinned
        let short = overview_episodes_at_most(&all, 300);
        assert_eq!(short.len(), 300);
        let count = |k| short.iter().filter(|e| e.kind == k).count();
        assert_eq!(count(EpisodeKind::AtrialFibrillation), 200);
        assert_eq!(count(EpisodeKind::Pause), 100); // every 2nd of 200
        assert_eq!(count(EpisodeKind::VentricularCouplet), 0);
        assert_eq!(overview_episodes_at_most(&all[..5], 0).len(), 1); // clamped to 1
        assert_eq!(overview_episodes_at_most(&all[..5], 99_999).len(), 5);
    }
}
