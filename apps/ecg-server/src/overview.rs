//! The viewer's overview of one record of a task: what the page needs to open (record
//! layout, summary, HRV, templates, episodes, a heart-rate trend over the whole recording,
//! the review text and undo/redo state), small even for a 7-day Holter.

use ecg_analysis::Analysis;
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
    /// Summary numbers (`ecg_analysis::Summary`).
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
    /// HRV (`ecg_analysis::Hrv`), when there are enough normal beats.
    #[schema(value_type = Object)]
    pub hrv: serde_json::Value,
    /// Templates (`ecg_analysis::Template`).
    #[schema(value_type = Vec<Object>)]
    pub templates: serde_json::Value,
    /// Episodes and events (`ecg_analysis::Episode`), by start.
    #[schema(value_type = Vec<Object>)]
    pub episodes: serde_json::Value,
    /// Heart-rate trend over the whole record.
    pub trend: HrTrend,
    /// Review text and undo/redo state.
    pub review: ReviewState,
    /// Approver, once approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
}

/// The overview of record `record` of a materialised result.
pub fn overview(
    task: &TaskRow,
    m: &Materialized,
    record: usize,
    editable: bool,
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
        summary: to_json(&a.summary)?,
        hrv: to_json(&a.hrv)?,
        templates: to_json(&a.templates)?,
        episodes: to_json(&a.episodes)?,
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
}
