//! Beat classification into AAMI classes from morphology (template clustering) and
//! rhythm (prematurity, compensatory pause).
//!
//! 1. Every beat's QRS shape (24 points from -100 ms to +120 ms on up to two leads,
//!    baseline-corrected) is matched against the templates found so far (Pearson
//!    correlation and amplitude ratio); an unmatched beat starts a new template. Templates
//!    follow slow morphology drift (running mean).
//! 2. The template with most beats is the dominant (normal) morphology. A template is
//!    ventricular when its complexes are clearly wider than the dominant ones, or when
//!    its shape differs strongly from the dominant shape and its beats come early.
//! 3. A beat of normal shape is supraventricular (SVEB) when it comes early relative to
//!    the running normal RR interval and is not followed by a shorter interval (a sinus
//!    rate increase shortens both).

use ecg_core::AamiClass;
use serde::{Deserialize, Serialize};

use crate::result::Template;

/// Shape points per lead.
pub const SHAPE_POINTS: usize = 24;

/// Classifier settings (general defaults, not tuned per record).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClassifierConfig {
    /// Correlation from which a beat joins a template.
    pub match_correlation: f32,
    /// A beat joins a template only if its amplitude is within this factor of it.
    pub amplitude_factor: f32,
    /// Most templates kept (further beats join the closest one).
    pub max_templates: usize,
    /// A template is ventricular when its QRS is this much wider than the dominant's (s).
    pub wide_qrs_s: f32,
    /// ... or when its correlation with the dominant shape is below this and its beats
    /// are mostly premature.
    pub ventricular_correlation: f32,
    /// A beat is premature when its RR interval is below this fraction of the running
    /// normal RR interval.
    pub premature_ratio: f64,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            match_correlation: 0.92,
            amplitude_factor: 1.6,
            max_templates: 48,
            wide_qrs_s: 0.035,
            ventricular_correlation: 0.7,
            premature_ratio: 0.85,
        }
    }
}

/// What the detector measured about one beat.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BeatFeatures {
    /// R-peak sample.
    pub sample: i64,
    /// Lead that placed the R peak.
    pub lead: u16,
    /// Fused normalised energy at the beat.
    pub energy: f32,
    /// Width of the fused energy hump in seconds.
    pub width_s: f32,
    /// Mean lead quality at the beat.
    pub quality: f32,
    /// A pacing spike precedes the beat within 300 ms.
    pub paced: bool,
}

/// Class and template of one beat.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BeatClass {
    /// AAMI class.
    pub class: AamiClass,
    /// Template id.
    pub template: u32,
}

/// Output of [`classify`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Classes {
    /// Per beat, in the input order.
    pub beats: Vec<BeatClass>,
    /// The templates.
    pub templates: Vec<Template>,
}

struct Cluster {
    mean: Vec<f32>,
    centred: Vec<f32>,
    norm: f32,
    count: u32,
    width_sum: f64,
    early: u32,
    first: i64,
}

impl Cluster {
    fn new(shape: &[f32], f: &BeatFeatures) -> Cluster {
        let mut c = Cluster {
            mean: shape.to_vec(),
            centred: vec![0.0; shape.len()],
            norm: 0.0,
            count: 0,
            width_sum: 0.0,
            early: 0,
            first: f.sample,
        };
        c.refresh();
        c
    }

    fn refresh(&mut self) {
        let m = self.mean.iter().sum::<f32>() / self.mean.len().max(1) as f32;
        for (c, v) in self.centred.iter_mut().zip(&self.mean) {
            *c = v - m;
        }
        self.norm = self.centred.iter().map(|v| v * v).sum::<f32>().sqrt();
    }

    fn add(&mut self, shape: &[f32]) {
        self.count += 1;
        let w = 1.0 / (self.count.min(32) as f32);
        for (m, s) in self.mean.iter_mut().zip(shape) {
            *m += (s - *m) * w;
        }
        self.refresh();
    }
}

/// Correlation of a centred vector (with its norm) and a cluster.
fn correlation(centred: &[f32], norm: f32, c: &Cluster) -> f32 {
    if norm <= 0.0 || c.norm <= 0.0 {
        return 0.0;
    }
    centred
        .iter()
        .zip(&c.centred)
        .map(|(a, b)| a * b)
        .sum::<f32>()
        / (norm * c.norm)
}

/// Classifies beats. `shapes` holds `dim` values per beat (beat `i` at `i*dim..`).
pub fn classify(
    feats: &[BeatFeatures],
    shapes: &[f32],
    dim: usize,
    fs: f64,
    cfg: &ClassifierConfig,
) -> Classes {
    let n = feats.len();
    if n == 0 || dim == 0 || shapes.len() < n * dim {
        return Classes::default();
    }
    let _ = fs;
    // --- prematurity against a running normal RR
    let rr_prev: Vec<f64> = (0..n)
        .map(|i| {
            if i == 0 {
                f64::NAN
            } else {
                (feats[i].sample - feats[i - 1].sample) as f64
            }
        })
        .collect();
    // --- clustering
    let mut clusters: Vec<Cluster> = Vec::new();
    let mut assign = vec![0u32; n];
    let mut centred = vec![0f32; dim];
    let mut last_t: usize = 0;
    for i in 0..n {
        let s = &shapes[i * dim..(i + 1) * dim];
        let m = s.iter().sum::<f32>() / dim as f32;
        for (c, v) in centred.iter_mut().zip(s) {
            *c = v - m;
        }
        let norm = centred.iter().map(|v| v * v).sum::<f32>().sqrt();
        let fits = |c: &Cluster| {
            let ratio = if c.norm > 0.0 { norm / c.norm } else { 0.0 };
            ratio <= cfg.amplitude_factor && ratio * cfg.amplitude_factor >= 1.0
        };
        // fast path: the previous beat's template
        let mut chosen: Option<usize> = None;
        if let Some(c) = clusters.get(last_t)
            && fits(c)
            && correlation(&centred, norm, c) >= cfg.match_correlation
        {
            chosen = Some(last_t);
        }
        if chosen.is_none() {
            let mut best: Option<(usize, f32)> = None;
            let mut best_any: Option<(usize, f32)> = None;
            for (k, c) in clusters.iter().enumerate() {
                let r = correlation(&centred, norm, c);
                if best_any.is_none_or(|b| r > b.1) {
                    best_any = Some((k, r));
                }
                if fits(c) && best.is_none_or(|b| r > b.1) {
                    best = Some((k, r));
                }
            }
            chosen = match best {
                Some((k, r)) if r >= cfg.match_correlation => Some(k),
                _ if clusters.len() < cfg.max_templates => None,
                _ => best_any.map(|b| b.0),
            };
        }
        let k = match chosen {
            Some(k) => k,
            None => {
                clusters.push(Cluster::new(s, &feats[i]));
                clusters.len() - 1
            }
        };
        clusters[k].add(s);
        clusters[k].width_sum += feats[i].width_s as f64;
        assign[i] = k as u32;
        last_t = k;
    }
    // --- dominant template and template classes
    let dominant = (0..clusters.len())
        .max_by_key(|&k| (clusters[k].count, std::cmp::Reverse(k)))
        .unwrap_or(0);
    // prematurity per beat against the local median RR of the surrounding beats
    let local_rr = local_median_rr(&rr_prev, 8);
    for i in 1..n {
        if rr_prev[i] < cfg.premature_ratio * local_rr[i] {
            clusters[assign[i] as usize].early += 1;
        }
    }
    let width = |k: usize| (clusters[k].width_sum / clusters[k].count.max(1) as f64) as f32;
    let dom_width = width(dominant);
    let sims: Vec<f32> = clusters
        .iter()
        .map(|c| correlation(&clusters[dominant].centred, clusters[dominant].norm, c))
        .collect();
    let ventricular: Vec<bool> = (0..clusters.len())
        .map(|k| {
            if k == dominant {
                return false;
            }
            let wide = width(k) > dom_width + cfg.wide_qrs_s;
            let early = clusters[k].early as f32 > 0.5 * clusters[k].count as f32;
            wide || (sims[k] < cfg.ventricular_correlation && early)
        })
        .collect();
    // --- beat classes
    let mut beats = Vec::with_capacity(n);
    for i in 0..n {
        let t = assign[i] as usize;
        let class = if feats[i].paced {
            AamiClass::Q
        } else if ventricular[t] {
            AamiClass::V
        } else if i > 0 && rr_prev[i] < cfg.premature_ratio * local_rr[i] {
            // an early narrow beat: SVEB unless the next interval is as short (rate rise)
            let next = if i + 1 < n {
                (feats[i + 1].sample - feats[i].sample) as f64
            } else {
                f64::INFINITY
            };
            if next > rr_prev[i] * 1.1 {
                AamiClass::S
            } else {
                AamiClass::N
            }
        } else {
            AamiClass::N
        };
        beats.push(BeatClass {
            class,
            template: t as u32,
        });
    }
    let templates = clusters
        .iter()
        .enumerate()
        .map(|(k, c)| Template {
            id: k as u32,
            class: if ventricular[k] {
                AamiClass::V
            } else {
                AamiClass::N
            },
            count: c.count,
            qrs_ms: width(k) * 1000.0,
            similarity: sims[k],
            example_sample: c.first,
        })
        .collect();
    Classes { beats, templates }
}

/// For each beat, the median of the RR intervals of the `half` beats before and after it
/// (its own interval excluded), NaN-free.
fn local_median_rr(rr: &[f64], half: usize) -> Vec<f64> {
    let n = rr.len();
    let mut buf = Vec::with_capacity(2 * half);
    (0..n)
        .map(|i| {
            buf.clear();
            let lo = i.saturating_sub(half);
            for (j, &v) in rr.iter().enumerate().take((i + half + 1).min(n)).skip(lo) {
                if j != i && v.is_finite() {
                    buf.push(v);
                }
            }
            if buf.is_empty() {
                return f64::INFINITY;
            }
            buf.sort_unstable_by(f64::total_cmp);
            buf[buf.len() / 2]
        })
        .collect()
}
