//! Review edits of a result and how result versions are stored.
//!
//! Version 1 of a result holds the whole analysis (`analysis.records`: one
//! `ecg_analysis::Analysis` per record). Every later version (review edits, undo, redo,
//! approval) is stored as a small **delta document**: the same top-level fields, but
//! `analysis` is `{"total_beats", "records_from_version": 1}` and `review.edits` is the
//! cumulative log of beat and episode edits since that version. The full result of a
//! version is *materialised* by replaying the log on the base analysis; materialised
//! versions and parsed base analyses are cached in memory ([`ReviewCache`]). So an edit of a
//! 7-day Holter (700 000 beats) writes a few kilobytes, not 40 MB.
//!
//! Derived numbers are recomputed after every beat edit with `ecg-analysis`' own functions:
//! beat-derived episodes (`rhythm::episodes`: pauses, ectopic couplets/runs/bigeminy/
//! trigeminy, brady/tachycardia, sinus rhythm), the summary (`rhythm::summary`: counts per
//! class, HR min/mean/max, longest RR, AF burden, noise) and HRV (`hrv::hrv_from_beats`);
//! template beat counts are recounted. Atrial fibrillation/flutter and noise episodes are
//! the reviewer's: they are kept through beat edits and changed only by episode edits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ecg_analysis::hrv::{HrvConfig, hrv_from_beats};
use ecg_analysis::rhythm::{RhythmConfig, episodes, summary};
use ecg_analysis::{Analysis, Beat, Episode, EpisodeKind};
use ecg_core::AamiClass;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::problem::{ApiError, ApiResult, ProblemKind};
use crate::state::AppState;
use crate::store::{RevisionRow, TaskRow};
use crate::timestamps::{now_ms, rfc3339};
use crate::worker::result_key;

/// A beat and the class to give it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BeatClass {
    /// R-peak sample of an existing beat.
    pub sample: i64,
    /// New class: `N`, `S`, `V`, `F` or `Q`.
    #[schema(value_type = String)]
    pub class: AamiClass,
}

/// A template and the class to give it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateClass {
    /// Template id.
    pub id: u32,
    /// New class.
    #[schema(value_type = String)]
    pub class: AamiClass,
}

/// A beat to add.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBeat {
    /// R-peak sample.
    pub sample: i64,
    /// Class (default `N`).
    #[serde(default = "class_n")]
    #[schema(value_type = String)]
    pub class: AamiClass,
    /// Lead index (default 0).
    #[serde(default)]
    pub lead: u16,
    /// Template id (default: that of the nearest beat of the same class).
    #[serde(default)]
    pub template: Option<u32>,
}

fn class_n() -> AamiClass {
    AamiClass::N
}

/// An episode, identified by kind and bounds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodeBounds {
    /// `atrial_fibrillation`, `atrial_flutter` or `noise` (the kinds a reviewer edits).
    #[schema(value_type = String)]
    pub kind: EpisodeKind,
    /// First sample.
    pub start: i64,
    /// Last sample.
    pub end: i64,
}

/// One review edit. Beat edits name beats by their R-peak sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum EditOp {
    /// Gives beats (and optionally templates) new classes.
    Relabel {
        /// Record index within the task.
        #[serde(default)]
        record: usize,
        /// Beats and their new classes.
        beats: Vec<BeatClass>,
        /// Templates and their new classes.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        templates: Vec<TemplateClass>,
    },
    /// Gives every beat of a template (cluster), and the template, a new class.
    RelabelTemplate {
        /// Record index within the task.
        #[serde(default)]
        record: usize,
        /// Template id.
        template: u32,
        /// New class.
        #[schema(value_type = String)]
        class: AamiClass,
    },
    /// Deletes the beats at these samples.
    DeleteBeats {
        /// Record index within the task.
        #[serde(default)]
        record: usize,
        /// R-peak samples of existing beats.
        samples: Vec<i64>,
    },
    /// Adds beats.
    AddBeats {
        /// Record index within the task.
        #[serde(default)]
        record: usize,
        /// The beats.
        beats: Vec<NewBeat>,
    },
    /// Adds (`old` absent), changes, or deletes (`new` absent) an episode.
    ReplaceEpisode {
        /// Record index within the task.
        #[serde(default)]
        record: usize,
        /// The episode as it is now.
        #[serde(default)]
        old: Option<EpisodeBounds>,
        /// The episode as it should be.
        #[serde(default)]
        new: Option<EpisodeBounds>,
    },
    /// Replaces the diagnostic statements (strings or `{"text": ...}` objects).
    SetStatements {
        /// The statements.
        #[schema(value_type = Vec<Object>)]
        statements: Vec<Value>,
    },
    /// Replaces the conclusion (`null` clears it).
    SetConclusion {
        /// The conclusion.
        conclusion: Option<String>,
    },
}

impl EditOp {
    fn record(&self) -> Option<usize> {
        match self {
            EditOp::Relabel { record, .. }
            | EditOp::RelabelTemplate { record, .. }
            | EditOp::DeleteBeats { record, .. }
            | EditOp::AddBeats { record, .. }
            | EditOp::ReplaceEpisode { record, .. } => Some(*record),
            EditOp::SetStatements { .. } | EditOp::SetConclusion { .. } => None,
        }
    }

    /// Whether the op changes the beats (and so the derived numbers).
    fn changes_beats(&self) -> bool {
        matches!(
            self,
            EditOp::Relabel { .. }
                | EditOp::RelabelTemplate { .. }
                | EditOp::DeleteBeats { .. }
                | EditOp::AddBeats { .. }
        )
    }
}

/// Most beats one edit may name.
pub const MAX_BEATS_PER_EDIT: usize = 1_000_000;

/// Why an edit cannot be applied.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EditError {
    /// The task has no such record.
    #[error("record {record} does not exist (the task has {count} records)")]
    NoRecord {
        /// Asked.
        record: usize,
        /// Records of the task.
        count: usize,
    },
    /// No beat at a sample.
    #[error("record {record} has no beat at sample {sample}")]
    NoBeat {
        /// Record.
        record: usize,
        /// Sample.
        sample: i64,
    },
    /// A beat already exists at a sample.
    #[error("record {record} already has a beat at sample {sample}")]
    BeatExists {
        /// Record.
        record: usize,
        /// Sample.
        sample: i64,
    },
    /// A sample outside the record.
    #[error("sample {sample} is outside record {record} (0..{samples})")]
    OutOfRecord {
        /// Record.
        record: usize,
        /// Sample.
        sample: i64,
        /// Record length.
        samples: u64,
    },
    /// No template of that id.
    #[error("record {record} has no template {template} ({count} templates)")]
    NoTemplate {
        /// Record.
        record: usize,
        /// Asked.
        template: u32,
        /// Templates of the record.
        count: usize,
    },
    /// No such episode.
    #[error("record {record} has no {kind:?} episode from sample {start} to {end}")]
    NoEpisode {
        /// Record.
        record: usize,
        /// Kind.
        kind: EpisodeKind,
        /// Start.
        start: i64,
        /// End.
        end: i64,
    },
    /// Anything else wrong with the request.
    #[error("{0}")]
    Invalid(String),
}

fn is_reviewer_episode(kind: EpisodeKind) -> bool {
    matches!(
        kind,
        EpisodeKind::AtrialFibrillation | EpisodeKind::AtrialFlutter | EpisodeKind::Noise
    )
}

fn find_beat(a: &Analysis, record: usize, sample: i64) -> Result<usize, EditError> {
    a.beats
        .binary_search_by_key(&sample, |b| b.sample)
        .map_err(|_| EditError::NoBeat { record, sample })
}

fn template_count(a: &Analysis, record: usize, id: u32) -> Result<usize, EditError> {
    let i = id as usize;
    if i < a.templates.len() {
        Ok(i)
    } else {
        Err(EditError::NoTemplate {
            record,
            template: id,
            count: a.templates.len(),
        })
    }
}

/// The template a new beat joins: that of the nearest beat of the same class, else of the
/// nearest beat, else 0.
fn nearest_template(a: &Analysis, sample: i64, class: AamiClass) -> u32 {
    let nearest = |same_class: bool| {
        a.beats
            .iter()
            .filter(|b| !same_class || b.class == class)
            .min_by_key(|b| (b.sample - sample).unsigned_abs())
            .map(|b| b.template)
    };
    nearest(true).or_else(|| nearest(false)).unwrap_or(0)
}

fn episode_from_bounds(a: &Analysis, e: &EpisodeBounds) -> Episode {
    let lo = a.beats.partition_point(|b| b.sample < e.start);
    let hi = a.beats.partition_point(|b| b.sample <= e.end);
    let beats = hi.saturating_sub(lo);
    let mean_hr_bpm = (beats >= 2).then(|| {
        let span = (a.beats[hi - 1].sample - a.beats[lo].sample) as f64 / a.fs;
        60.0 * (beats - 1) as f64 / span
    });
    Episode {
        kind: e.kind,
        start: e.start,
        end: e.end,
        beats: beats as u32,
        mean_hr_bpm: mean_hr_bpm.filter(|v| v.is_finite()),
    }
}

/// Recomputes what depends on the beats: template counts, beat-derived episodes (keeping
/// the reviewer's AF/flutter/noise episodes), the summary and HRV.
pub fn recompute_after_beat_edit(a: &mut Analysis) {
    for t in &mut a.templates {
        t.count = 0;
    }
    for b in &a.beats {
        if let Some(t) = a.templates.get_mut(b.template as usize) {
            t.count += 1;
        }
    }
    let derived = episodes(
        &a.beats,
        a.fs,
        a.samples as i64,
        &a.quality,
        &RhythmConfig::default(),
    );
    let mut eps: Vec<Episode> = a
        .episodes
        .drain(..)
        .filter(|e| is_reviewer_episode(e.kind))
        .collect();
    eps.extend(derived.into_iter().filter(|e| !is_reviewer_episode(e.kind)));
    eps.sort_by_key(|e| (e.start, e.end));
    a.episodes = eps;
    a.hrv = hrv_from_beats(&a.beats, a.fs, &HrvConfig::default());
    recompute_summary(a);
}

/// Recomputes the summary (after an episode edit: AF burden).
pub fn recompute_summary(a: &mut Analysis) {
    a.summary = summary(&a.beats, &a.episodes, &a.quality, a.fs, a.samples as i64);
}

/// Applies one beat or episode edit to the analyses (review-text ops are not analysis
/// edits: they return themselves unchanged). Returns the op that undoes it. Derived numbers
/// are recomputed.
pub fn apply_analysis_edit(analyses: &mut [Analysis], op: &EditOp) -> Result<EditOp, EditError> {
    let Some(record) = op.record() else {
        return Ok(op.clone());
    };
    let count = analyses.len();
    let a = analyses
        .get_mut(record)
        .ok_or(EditError::NoRecord { record, count })?;
    let inverse = match op {
        EditOp::Relabel {
            beats, templates, ..
        } => {
            if beats.len() > MAX_BEATS_PER_EDIT {
                return Err(EditError::Invalid(format!(
                    "at most {MAX_BEATS_PER_EDIT} beats per edit"
                )));
            }
            // validate everything before changing anything
            let idx: Vec<usize> = beats
                .iter()
                .map(|b| find_beat(a, record, b.sample))
                .collect::<Result<_, _>>()?;
            let tidx: Vec<usize> = templates
                .iter()
                .map(|t| template_count(a, record, t.id))
                .collect::<Result<_, _>>()?;
            let mut old_beats = Vec::with_capacity(beats.len());
            for (b, &i) in beats.iter().zip(&idx) {
                old_beats.push(BeatClass {
                    sample: b.sample,
                    class: a.beats[i].class,
                });
                a.beats[i].class = b.class;
            }
            let mut old_templates = Vec::with_capacity(templates.len());
            for (t, &i) in templates.iter().zip(&tidx) {
                old_templates.push(TemplateClass {
                    id: t.id,
                    class: a.templates[i].class,
                });
                a.templates[i].class = t.class;
            }
            old_beats.reverse();
            old_templates.reverse();
            EditOp::Relabel {
                record,
                beats: old_beats,
                templates: old_templates,
            }
        }
        EditOp::RelabelTemplate {
            template, class, ..
        } => {
            let ti = template_count(a, record, *template)?;
            let mut old_beats = Vec::new();
            for b in a.beats.iter_mut().filter(|b| b.template == *template) {
                if b.class != *class {
                    old_beats.push(BeatClass {
                        sample: b.sample,
                        class: b.class,
                    });
                    b.class = *class;
                }
            }
            let old_templates = vec![TemplateClass {
                id: *template,
                class: a.templates[ti].class,
            }];
            a.templates[ti].class = *class;
            EditOp::Relabel {
                record,
                beats: old_beats,
                templates: old_templates,
            }
        }
        EditOp::DeleteBeats { samples, .. } => {
            if samples.len() > MAX_BEATS_PER_EDIT {
                return Err(EditError::Invalid(format!(
                    "at most {MAX_BEATS_PER_EDIT} beats per edit"
                )));
            }
            let mut idx: Vec<usize> = samples
                .iter()
                .map(|&s| find_beat(a, record, s))
                .collect::<Result<_, _>>()?;
            idx.sort_unstable();
            idx.dedup();
            let removed: Vec<NewBeat> = idx
                .iter()
                .map(|&i| {
                    let b = a.beats[i];
                    NewBeat {
                        sample: b.sample,
                        class: b.class,
                        lead: b.lead,
                        template: Some(b.template),
                    }
                })
                .collect();
            let mut k = 0;
            let mut pos = 0;
            a.beats.retain(|_| {
                let keep = idx.get(k) != Some(&pos);
                if !keep {
                    k += 1;
                }
                pos += 1;
                keep
            });
            EditOp::AddBeats {
                record,
                beats: removed,
            }
        }
        EditOp::AddBeats { beats, .. } => {
            if beats.len() > MAX_BEATS_PER_EDIT {
                return Err(EditError::Invalid(format!(
                    "at most {MAX_BEATS_PER_EDIT} beats per edit"
                )));
            }
            let mut seen = std::collections::HashSet::new();
            for b in beats {
                if b.sample < 0 || b.sample as u64 >= a.samples {
                    return Err(EditError::OutOfRecord {
                        record,
                        sample: b.sample,
                        samples: a.samples,
                    });
                }
                if a.beats
                    .binary_search_by_key(&b.sample, |x| x.sample)
                    .is_ok()
                    || !seen.insert(b.sample)
                {
                    return Err(EditError::BeatExists {
                        record,
                        sample: b.sample,
                    });
                }
                if let Some(t) = b.template {
                    template_count(a, record, t)?;
                }
                if b.lead as usize >= a.leads.len().max(1) {
                    return Err(EditError::Invalid(format!(
                        "lead {} does not exist (record {record} has {} analysed leads)",
                        b.lead,
                        a.leads.len()
                    )));
                }
            }
            let new: Vec<Beat> = beats
                .iter()
                .map(|b| Beat {
                    sample: b.sample,
                    class: b.class,
                    lead: b.lead,
                    template: b
                        .template
                        .unwrap_or_else(|| nearest_template(a, b.sample, b.class)),
                })
                .collect();
            a.beats.extend(new);
            a.beats.sort_by_key(|b| b.sample);
            EditOp::DeleteBeats {
                record,
                samples: beats.iter().map(|b| b.sample).collect(),
            }
        }
        EditOp::ReplaceEpisode { old, new, .. } => {
            if old.is_none() && new.is_none() {
                return Err(EditError::Invalid(
                    "replace_episode needs `old`, `new` or both".into(),
                ));
            }
            for e in [old, new].into_iter().flatten() {
                if !is_reviewer_episode(e.kind) {
                    return Err(EditError::Invalid(format!(
                        "{:?} episodes are derived from the beats (edit the beats instead); \
                         reviewers edit atrial_fibrillation, atrial_flutter and noise episodes",
                        e.kind
                    )));
                }
            }
            if let Some(n) = new {
                for s in [n.start, n.end] {
                    if s < 0 || s as u64 >= a.samples.max(1) {
                        return Err(EditError::OutOfRecord {
                            record,
                            sample: s,
                            samples: a.samples,
                        });
                    }
                }
                if n.end <= n.start {
                    return Err(EditError::Invalid(format!(
                        "episode end {} is not after its start {}",
                        n.end, n.start
                    )));
                }
            }
            let pos = match old {
                Some(o) => Some(
                    a.episodes
                        .iter()
                        .position(|e| e.kind == o.kind && e.start == o.start && e.end == o.end)
                        .ok_or(EditError::NoEpisode {
                            record,
                            kind: o.kind,
                            start: o.start,
                            end: o.end,
                        })?,
                ),
                None => None,
            };
            if let Some(p) = pos {
                a.episodes.remove(p);
            }
            if let Some(n) = new {
                let ep = episode_from_bounds(a, n);
                a.episodes.push(ep);
                a.episodes.sort_by_key(|e| (e.start, e.end));
            }
            recompute_summary(a);
            EditOp::ReplaceEpisode {
                record,
                old: new.clone(),
                new: old.clone(),
            }
        }
        EditOp::SetStatements { .. } | EditOp::SetConclusion { .. } => op.clone(),
    };
    if op.changes_beats() {
        recompute_after_beat_edit(a);
    }
    Ok(inverse)
}

/// Applies a review-text op to the review object; returns the op that undoes it.
fn apply_review_edit(review: &mut Value, op: &EditOp) -> Result<Option<EditOp>, EditError> {
    match op {
        EditOp::SetStatements { statements } => {
            for s in statements {
                let ok = s.is_string() || s.get("text").is_some_and(Value::is_string);
                if !ok {
                    return Err(EditError::Invalid(
                        "each statement is a string or an object with a string `text`".into(),
                    ));
                }
            }
            let old = match review.get("statements") {
                Some(Value::Array(a)) => a.clone(),
                _ => Vec::new(),
            };
            review["statements"] = Value::Array(statements.clone());
            Ok(Some(EditOp::SetStatements { statements: old }))
        }
        EditOp::SetConclusion { conclusion } => {
            let old = review
                .get("conclusion")
                .and_then(Value::as_str)
                .map(str::to_owned);
            review["conclusion"] = conclusion.clone().map_or(Value::Null, Value::String);
            Ok(Some(EditOp::SetConclusion { conclusion: old }))
        }
        _ => Ok(None),
    }
}

/// The statements of a review as text (strings, or the `text` of objects).
pub fn statement_texts(review: &Value) -> Vec<String> {
    review
        .get("statements")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| {
                    s.as_str()
                        .or_else(|| s.get("text").and_then(Value::as_str))
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One materialised result version: the document without `analysis.records`, and the
/// analyses (with every edit of the log applied).
#[derive(Debug)]
pub struct Materialized {
    /// Version number.
    pub version: u32,
    /// The result document; `analysis` holds `total_beats` only.
    pub doc: Value,
    /// The analyses of the task's records (`ecg_analysis::Analysis`); empty when the
    /// engine's output is not of that type.
    pub analyses: Arc<Vec<Analysis>>,
    /// Whether `analyses` were parsed (the engine output is an `ecg-analysis` result).
    pub typed: bool,
    /// The version whose document holds the base analysis.
    pub base_version: u32,
}

impl Materialized {
    /// The full result document (analysis records included).
    pub fn full_document(&self) -> ApiResult<Value> {
        let mut doc = self.doc.clone();
        if self.typed {
            doc["analysis"]["records"] =
                serde_json::to_value(&*self.analyses).map_err(ApiError::internal)?;
        }
        Ok(doc)
    }

    /// The review object.
    pub fn review(&self) -> &Value {
        &self.doc["review"]
    }

    /// Number of entries of the edit log.
    pub fn edit_log(&self) -> &[Value] {
        self.doc["review"]["edits"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn stack(&self, name: &str) -> Vec<usize> {
        self.doc["review"]["history"][name]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_u64().map(|v| v as usize))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Log indices of edits that undo would revert, last first popped.
    pub fn undo_stack(&self) -> Vec<usize> {
        self.stack("undo")
    }

    /// Log indices of undone edits that redo would re-apply.
    pub fn redo_stack(&self) -> Vec<usize> {
        self.stack("redo")
    }
}

/// Caches of parsed base analyses and materialised versions, and the lock that orders
/// edits of a task.
#[derive(Default)]
pub struct ReviewCache {
    versions: Mutex<Vec<CachedVersion>>,
    edit_lock: Mutex<()>,
}

/// A cached materialised version: (task id, version) and the result.
type CachedVersion = ((String, u32), Arc<Materialized>);

/// Materialised versions kept in memory.
const CACHED_VERSIONS: usize = 8;

impl ReviewCache {
    fn get(&self, task: &str, version: u32) -> Option<Arc<Materialized>> {
        let mut v = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        let pos = v
            .iter()
            .position(|((t, n), _)| t == task && *n == version)?;
        let entry = v.remove(pos);
        let m = Arc::clone(&entry.1);
        v.push(entry);
        Some(m)
    }

    fn put(&self, task: &str, m: Arc<Materialized>) {
        let mut v = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        v.retain(|((t, n), _)| !(t == task && *n == m.version));
        v.push(((task.to_owned(), m.version), m));
        while v.len() > CACHED_VERSIONS {
            v.remove(0);
        }
    }
}

#[derive(Deserialize)]
struct AnalysisPart {
    #[serde(default)]
    total_beats: Option<Value>,
    #[serde(default)]
    records: Option<Box<RawValue>>,
    #[serde(default)]
    records_from_version: Option<u32>,
}

/// Materialises version `version` of a task's result (from the cache when there).
pub fn materialize(state: &AppState, task_id: &str, version: u32) -> ApiResult<Arc<Materialized>> {
    if let Some(m) = state.review.get(task_id, version) {
        return Ok(m);
    }
    let bytes = state
        .blobs
        .get(&result_key(task_id, version))?
        .ok_or_else(|| ApiError::new(ProblemKind::ResultNotReady, "no result stored"))?;
    let mut top: Map<String, Value> = Map::new();
    let raw: HashMap<String, Box<RawValue>> =
        serde_json::from_slice(&bytes).map_err(ApiError::internal)?;
    let mut analysis_part = None;
    for (k, v) in raw {
        if k == "analysis" {
            analysis_part = Some(v);
        } else {
            top.insert(
                k,
                serde_json::from_str(v.get()).map_err(ApiError::internal)?,
            );
        }
    }
    let part: Option<AnalysisPart> = analysis_part
        .map(|p| serde_json::from_str(p.get()))
        .transpose()
        .map_err(ApiError::internal)?;
    let total = part.as_ref().and_then(|p| p.total_beats.clone());
    let mut analysis_doc = Map::new();
    analysis_doc.insert("total_beats".into(), total.unwrap_or(Value::Null));
    let (analyses, typed, base_version) = match part {
        Some(AnalysisPart {
            records: Some(records),
            ..
        }) => match serde_json::from_str::<Vec<Analysis>>(records.get()) {
            Ok(a) => (Arc::new(a), true, version),
            Err(_) => {
                // Not an ecg-analysis result: keep the engine output as it is.
                analysis_doc.insert(
                    "records".into(),
                    serde_json::from_str(records.get()).map_err(ApiError::internal)?,
                );
                (Arc::new(Vec::new()), false, version)
            }
        },
        Some(AnalysisPart {
            records_from_version: Some(base),
            ..
        }) if base < version => {
            let b = materialize(state, task_id, base)?;
            let mut analyses = (*b.analyses).clone();
            let log = top
                .get("review")
                .and_then(|r| r.get("edits"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (i, entry) in log.iter().enumerate() {
                let op: EditOp = serde_json::from_value(entry["op"].clone()).map_err(|e| {
                    ApiError::internal(format!("edit {i} of version {version}: {e}"))
                })?;
                apply_analysis_edit(&mut analyses, &op).map_err(|e| {
                    ApiError::internal(format!("replaying edit {i} of version {version}: {e}"))
                })?;
            }
            (Arc::new(analyses), b.typed, base)
        }
        _ => (Arc::new(Vec::new()), false, version),
    };
    top.insert("analysis".into(), Value::Object(analysis_doc));
    let m = Arc::new(Materialized {
        version,
        doc: Value::Object(top),
        analyses,
        typed,
        base_version,
    });
    state.review.put(task_id, Arc::clone(&m));
    Ok(m)
}

/// The current materialised result of a task.
pub fn current(state: &AppState, task: &TaskRow) -> ApiResult<Arc<Materialized>> {
    if task.result_version == 0 {
        return Err(ApiError::new(
            ProblemKind::ResultNotReady,
            "no result stored",
        ));
    }
    materialize(state, &task.id, task.result_version)
}

/// Stores a new version: `doc` (review fields already changed) with `analyses`, as a delta
/// of `parent`; records the revision; caches the materialised version.
pub fn store_version(
    state: &AppState,
    task_id: &str,
    parent: &Materialized,
    mut doc: Value,
    analyses: Arc<Vec<Analysis>>,
    revision: RevisionRow,
) -> ApiResult<Arc<Materialized>> {
    let version = revision.version;
    doc["version"] = version.into();
    let total: usize = analyses.iter().map(|a| a.beats.len()).sum();
    if parent.typed {
        doc["total_beats"] = total.into();
    }
    let mut stored = doc.clone();
    let mut analysis_doc = doc["analysis"].as_object().cloned().unwrap_or_default();
    if parent.typed {
        analysis_doc.insert("total_beats".into(), total.into());
        analysis_doc.insert("records_from_version".into(), parent.base_version.into());
        analysis_doc.remove("records");
        stored["analysis"] = Value::Object(analysis_doc.clone());
    } else {
        // An engine output of another shape cannot be edited: store it whole.
        stored = parent.full_document()?;
        for (k, v) in doc.as_object().cloned().unwrap_or_default() {
            if k != "analysis" {
                stored[k] = v;
            }
        }
    }
    state.blobs.put(
        &result_key(task_id, version),
        &serde_json::to_vec(&stored).map_err(ApiError::internal)?,
    )?;
    state.store.add_revision(task_id, &revision)?;
    if parent.typed {
        doc["analysis"] = Value::Object(analysis_doc);
        doc["analysis"]
            .as_object_mut()
            .map(|o| o.remove("records_from_version"));
    }
    let m = Arc::new(Materialized {
        version,
        doc,
        analyses,
        typed: parent.typed,
        base_version: if parent.typed {
            parent.base_version
        } else {
            version
        },
    });
    state.review.put(task_id, Arc::clone(&m));
    Ok(m)
}

/// Which edit to make.
#[derive(Clone, Debug)]
pub enum EditAction {
    /// A new edit.
    Edit(EditOp),
    /// Revert the last edit.
    Undo,
    /// Re-apply the last undone edit.
    Redo,
}

/// Runs `f` while holding the task edit lock (edits of all tasks are serialised in this
/// process, so two edits never make the same version).
pub fn with_edit_lock<T>(state: &AppState, f: impl FnOnce() -> ApiResult<T>) -> ApiResult<T> {
    let _guard = state
        .review
        .edit_lock
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    f()
}

/// Applies an edit, undo or redo to the current version of a task (in review) and stores
/// the new version. `expected_version`, when given, must be the current version (409
/// otherwise: someone else edited meanwhile).
pub fn edit(
    state: &AppState,
    task: &TaskRow,
    action: EditAction,
    actor: String,
    expected_version: Option<u32>,
) -> ApiResult<Arc<Materialized>> {
    with_edit_lock(state, || {
        // re-read the task inside the lock: its version may have moved
        let task = state
            .store
            .task_unscoped(&task.id)?
            .ok_or_else(|| ApiError::not_found("task", &task.id))?;
        if task.status != crate::store::TaskStatus::Review {
            return Err(ApiError::conflict(format!(
                "task {} is {}: only a task in review can be edited",
                task.id,
                task.status.as_str()
            )));
        }
        if let Some(v) = expected_version
            && v != task.result_version
        {
            return Err(ApiError::conflict(format!(
                "the result is at version {}, not {v}: reload and edit again",
                task.result_version
            ))
            .with("current_version", task.result_version));
        }
        let parent = current(state, &task)?;
        if !parent.typed {
            return Err(ApiError::new(
                ProblemKind::Conflict,
                "this result was not made by ecg-analysis: its beats cannot be edited",
            ));
        }
        let mut undo = parent.undo_stack();
        let mut redo = parent.redo_stack();
        let log = parent.edit_log().to_vec();
        let (op, action_name) = match action {
            EditAction::Edit(op) => (op, "edit"),
            EditAction::Undo => {
                let i = undo
                    .pop()
                    .ok_or_else(|| ApiError::conflict("nothing to undo"))?;
                (log_inverse(&log, i)?, "undo")
            }
            EditAction::Redo => {
                let i = redo
                    .pop()
                    .ok_or_else(|| ApiError::conflict("nothing to redo"))?;
                (log_inverse(&log, i)?, "redo")
            }
        };
        let mut analyses = (*parent.analyses).clone();
        let mut doc = parent.doc.clone();
        let inverse = match apply_review_edit(&mut doc["review"], &op).map_err(invalid)? {
            Some(inv) => inv,
            None => apply_analysis_edit(&mut analyses, &op).map_err(invalid)?,
        };
        let version = task.result_version + 1;
        let at = rfc3339(now_ms());
        let index = log.len();
        let entry = serde_json::json!({
            "version": version, "action": action_name, "actor": actor, "at": at,
            "op": op, "inverse": inverse,
        });
        let mut log = log;
        log.push(entry);
        match action_name {
            "edit" => {
                undo.push(index);
                redo.clear();
            }
            "undo" => redo.push(index),
            _ => undo.push(index),
        }
        doc["review"]["edits"] = Value::Array(log);
        doc["review"]["history"] = serde_json::json!({"undo": undo, "redo": redo});
        doc["review"]["updated_by"] = actor.clone().into();
        doc["review"]["updated_at"] = at.clone().into();
        let revision = RevisionRow {
            version,
            actor,
            at,
            action: action_name.into(),
            changes: serde_json::json!({"op": op}),
        };
        store_version(state, &task.id, &parent, doc, Arc::new(analyses), revision)
    })
}

fn log_inverse(log: &[Value], i: usize) -> ApiResult<EditOp> {
    let entry = log
        .get(i)
        .ok_or_else(|| ApiError::internal(format!("edit log entry {i} missing")))?;
    serde_json::from_value(entry["inverse"].clone()).map_err(ApiError::internal)
}

fn invalid(e: EditError) -> ApiError {
    ApiError::invalid(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecg_analysis::{QualitySegment, Summary, Template};

    fn analysis() -> Analysis {
        let fs = 100.0;
        let beats: Vec<Beat> = (0..40)
            .map(|i| Beat {
                sample: 50 + i * 80,
                class: AamiClass::N,
                lead: 0,
                template: 0,
            })
            .collect();
        let mut a = Analysis {
            engine: "test".into(),
            record: "r".into(),
            fs,
            samples: 3400,
            leads: vec!["II".into()],
            beats,
            templates: vec![
                Template {
                    id: 0,
                    class: AamiClass::N,
                    count: 40,
                    qrs_ms: 80.0,
                    similarity: 1.0,
                    example_sample: 50,
                },
                Template {
                    id: 1,
                    class: AamiClass::N,
                    count: 0,
                    qrs_ms: 140.0,
                    similarity: 0.5,
                    example_sample: 50,
                },
            ],
            episodes: vec![],
            hrv: None,
            quality: vec![QualitySegment {
                start: 0,
                end: 3400,
                leads: vec![1.0],
                overall: 1.0,
            }],
            pacing_spikes: vec![],
            summary: Summary::default(),
            measurements: None,
        };
        recompute_after_beat_edit(&mut a);
        a
    }

    fn round_trip(op: EditOp) -> (Analysis, Analysis) {
        let before = analysis();
        let mut v = vec![before.clone()];
        let inv = apply_analysis_edit(&mut v, &op).unwrap();
        let after = v[0].clone();
        apply_analysis_edit(&mut v, &inv).unwrap();
        assert_eq!(v[0], before, "undo restores the analysis for {op:?}");
        (before, after)
    }

    #[test]
    fn relabel_delete_add_and_undo() {
        let (before, after) = round_trip(EditOp::Relabel {
            record: 0,
            beats: vec![BeatClass {
                sample: 50 + 10 * 80,
                class: AamiClass::V,
            }],
            templates: vec![],
        });
        assert_eq!(before.summary.class_counts, [40, 0, 0, 0, 0]);
        assert_eq!(after.summary.class_counts, [39, 0, 1, 0, 0]);
        let (_, after) = round_trip(EditOp::DeleteBeats {
            record: 0,
            samples: vec![130, 50],
        });
        assert_eq!(after.beats.len(), 38);
        assert_eq!(after.summary.class_counts[0], 38);
        assert_eq!(after.templates[0].count, 38);
        let (_, after) = round_trip(EditOp::AddBeats {
            record: 0,
            beats: vec![NewBeat {
                sample: 95,
                class: AamiClass::S,
                lead: 0,
                template: None,
            }],
        });
        assert_eq!(after.beats[1].sample, 95);
        assert_eq!(after.summary.class_counts, [40, 1, 0, 0, 0]);
        let (_, after) = round_trip(EditOp::RelabelTemplate {
            record: 0,
            template: 0,
            class: AamiClass::Q,
        });
        assert_eq!(after.summary.class_counts, [0, 0, 0, 0, 40]);
        assert_eq!(after.templates[0].class, AamiClass::Q);
        let (_, after) = round_trip(EditOp::ReplaceEpisode {
            record: 0,
            old: None,
            new: Some(EpisodeBounds {
                kind: EpisodeKind::AtrialFibrillation,
                start: 0,
                end: 1700,
            }),
        });
        assert!((after.summary.af_burden - 0.5).abs() < 1e-9);
        let af = after
            .episodes
            .iter()
            .find(|e| e.kind == EpisodeKind::AtrialFibrillation)
            .unwrap();
        assert_eq!(af.beats, 21);
    }

    #[test]
    fn bad_edits_are_typed_errors_and_change_nothing() {
        let mut v = vec![analysis()];
        let before = v.clone();
        let err = |op| apply_analysis_edit(&mut v.clone(), &op).unwrap_err();
        assert_eq!(
            err(EditOp::DeleteBeats {
                record: 0,
                samples: vec![51]
            }),
            EditError::NoBeat {
                record: 0,
                sample: 51
            }
        );
        assert!(matches!(
            err(EditOp::DeleteBeats {
                record: 3,
                samples: vec![50]
            }),
            EditError::NoRecord {
                record: 3,
                count: 1
            }
        ));
        assert!(matches!(
            err(EditOp::AddBeats {
                record: 0,
                beats: vec![NewBeat {
                    sample: 50,
                    class: AamiClass::N,
                    lead: 0,
                    template: None
                }]
            }),
            EditError::BeatExists { .. }
        ));
        assert!(matches!(
            err(EditOp::AddBeats {
                record: 0,
                beats: vec![NewBeat {
                    sample: 99_999,
                    class: AamiClass::N,
                    lead: 0,
                    template: None
                }]
            }),
            EditError::OutOfRecord { .. }
        ));
        assert!(matches!(
            err(EditOp::RelabelTemplate {
                record: 0,
                template: 7,
                class: AamiClass::V
            }),
            EditError::NoTemplate { .. }
        ));
        assert!(matches!(
            err(EditOp::ReplaceEpisode {
                record: 0,
                old: None,
                new: Some(EpisodeBounds {
                    kind: EpisodeKind::VentricularRun,
                    start: 0,
                    end: 10
                })
            }),
            EditError::Invalid(_)
        ));
        // a relabel naming one good and one missing beat changes nothing
        let r = apply_analysis_edit(
            &mut v,
            &EditOp::Relabel {
                record: 0,
                beats: vec![
                    BeatClass {
                        sample: 50,
                        class: AamiClass::V,
                    },
                    BeatClass {
                        sample: 51,
                        class: AamiClass::V,
                    },
                ],
                templates: vec![],
            },
        );
        assert!(r.is_err());
        assert_eq!(v, before);
    }

    #[test]
    fn review_text_ops_round_trip() {
        let mut review = serde_json::json!({"statements": [{"text": "a"}], "conclusion": null});
        let inv = apply_review_edit(
            &mut review,
            &EditOp::SetConclusion {
                conclusion: Some("Sinus rhythm.".into()),
            },
        )
        .unwrap()
        .unwrap();
        assert_eq!(review["conclusion"], "Sinus rhythm.");
        assert_eq!(inv, EditOp::SetConclusion { conclusion: None });
        let inv2 = apply_review_edit(
            &mut review,
            &EditOp::SetStatements {
                statements: vec!["b".into(), serde_json::json!({"text": "c"})],
            },
        )
        .unwrap()
        .unwrap();
        assert_eq!(statement_texts(&review), ["b", "c"]);
        apply_review_edit(&mut review, &inv2).unwrap();
        assert_eq!(statement_texts(&review), ["a"]);
        assert!(
            apply_review_edit(
                &mut review,
                &EditOp::SetStatements {
                    statements: vec![serde_json::json!(3)]
                }
            )
            .is_err()
        );
        let op: EditOp =
            serde_json::from_str(r#"{"op":"relabel","beats":[{"sample":5,"class":"V"}]}"#).unwrap();
        assert_eq!(op.record(), Some(0));
        assert!(serde_json::from_str::<EditOp>(r#"{"op":"explode"}"#).is_err());
    }
}
