//! Beat classification into AAMI classes from morphology (template clustering) and
//! rhythm (prematurity, compensatory pause, runs).
//!
//! 1. Every beat's QRS shape (24 points from -100 ms to +120 ms on up to two leads,
//!    baseline-corrected) is matched against the templates found so far (Pearson
//!    correlation and amplitude ratio); an unmatched beat starts a new template.
//!    Templates follow slow morphology drift (running mean).
//! 2. Each beat's prematurity is its RR interval over the median of the 16 surrounding
//!    RR intervals; its QRS width is the time between 10% and 90% of its slope energy.
//! 3. The dominant template is the narrowest of the large templates whose beats mostly
//!    come on time. "Normal-type" templates are the dominant one and every template of
//!    at least 2% of the beats (5 minimum) that is not clearly wider and whose beats come
//!    on time (intermittent bundle-branch block or pre-excitation stay normal); a small
//!    one whose beats mostly neighbour ventricular beats is a ventricular run instead.
//! 4. A beat of a normal-type template is `N`, or `S` when premature and followed by a
//!    longer interval. Another beat is compared with its nearest normal-type template: it
//!    is `V` when its shape differs (correlation below 0.85) and it is wider, premature
//!    or next to a ventricular beat, or when it is much wider; beats that come on time,
//!    without compensatory pause and away from ventricular beats need stronger evidence
//!    (noise and aberrancy look odd too). Beats after a pacing spike are `Q`.
//!
//! Fusion beats (`F`) are not recognised yet: they come out as `N` or `V`.

use ecg_core::AamiClass;
use rayon::prelude::*;
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
    /// Beats are clustered in windows of this length (s).
    pub window_s: f64,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            match_correlation: 0.92,
            amplitude_factor: 1.6,
            max_templates: 48,
            wide_qrs_s: 0.03,
            ventricular_correlation: 0.85,
            premature_ratio: 0.85,
            window_s: 1800.0,
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
///
/// Beats are classified in windows of [`ClassifierConfig::window_s`] seconds, each with
/// its own templates (run in parallel; template ids are made unique across windows), so
/// that slow morphology changes over a long recording do not pile up templates.
/// Prematurity is computed over the whole record first.
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
    let rr_prev: Vec<f64> = (0..n)
        .map(|i| {
            if i == 0 {
                f64::NAN
            } else {
                (feats[i].sample - feats[i - 1].sample) as f64
            }
        })
        .collect();
    let local_rr = local_median_rr(&rr_prev, 8);
    let prem: Vec<f64> = (0..n)
        .map(|i| {
            if i == 0 {
                1.0
            } else {
                rr_prev[i] / local_rr[i]
            }
        })
        .collect();
    let wlen = ((cfg.window_s * fs).round() as i64).max(1);
    let mut bounds = vec![0usize];
    for i in 1..n {
        if feats[i].sample / wlen != feats[i - 1].sample / wlen {
            bounds.push(i);
        }
    }
    bounds.push(n);
    let parts: Vec<Classes> = bounds
        .par_windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            classify_window(
                &feats[a..b],
                &shapes[a * dim..b * dim],
                dim,
                &rr_prev[a..b],
                &prem[a..b],
                cfg,
            )
        })
        .collect();
    let mut out = Classes::default();
    for mut part in parts {
        let offset = out.templates.len() as u32;
        for b in &mut part.beats {
            b.template += offset;
        }
        for t in &mut part.templates {
            t.id += offset;
        }
        out.beats.extend(part.beats);
        out.templates.extend(part.templates);
    }
    out
}

/// [`classify`] on one window: clustering, template types and beat classes.
fn classify_window(
    feats: &[BeatFeatures],
    shapes: &[f32],
    dim: usize,
    rr_prev: &[f64],
    prem: &[f64],
    cfg: &ClassifierConfig,
) -> Classes {
    let n = feats.len();
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
        assign[i] = k as u32;
        last_t = k;
    }
    let mut widths: Vec<Vec<f32>> = vec![Vec::new(); clusters.len()];
    for i in 0..n {
        let k = assign[i] as usize;
        widths[k].push(feats[i].width_s);
        if prem[i] < cfg.premature_ratio {
            clusters[k].early += 1;
        }
    }
    let width: Vec<f32> = widths
        .iter_mut()
        .map(|w| {
            if w.is_empty() {
                return 0.0;
            }
            let mid = w.len() / 2;
            *w.select_nth_unstable_by(mid, f32::total_cmp).1
        })
        .collect();
    let early_frac = |k: usize| clusters[k].early as f32 / clusters[k].count.max(1) as f32;
    // dominant: among the large clusters that mostly come on time, the narrowest
    let max_count = clusters.iter().map(|c| c.count).max().unwrap_or(0);
    let dominant = (0..clusters.len())
        .filter(|&k| 2 * clusters[k].count >= max_count && early_frac(k) < 0.5)
        .min_by(|&a, &b| width[a].total_cmp(&width[b]).then(a.cmp(&b)))
        .or_else(|| (0..clusters.len()).max_by_key(|&k| (clusters[k].count, std::cmp::Reverse(k))))
        .unwrap_or(0);
    let dom_width = width[dominant];
    // normal-type templates: QRS as narrow as the dominant one, beats mostly on time
    let sims: Vec<f32> = clusters
        .iter()
        .map(|c| correlation(&clusters[dominant].centred, clusters[dominant].norm, c))
        .collect();
    // (small clusters are ectopic or artefacts until shown otherwise)
    let min_size = (n as f32 * 0.02).max(5.0) as u32;
    let normal_type: Vec<bool> = (0..clusters.len())
        .map(|k| {
            k == dominant
                || (clusters[k].count >= min_size
                    && width[k] <= dom_width + cfg.wide_qrs_s
                    && early_frac(k) < 0.2)
        })
        .collect();
    // --- beat classes: compare each beat with its nearest normal-type template. A small
    // on-time cluster whose beats mostly neighbour ventricular beats is a ventricular run
    // (its beats are on time relative to each other): the second pass drops it from the
    // normal types.
    let mut normal_type = normal_type;
    let mut beats = label_beats(&BeatContext {
        feats,
        shapes,
        dim,
        assign: &assign,
        clusters: &clusters,
        normal_type: &normal_type,
        width: &width,
        prem,
        rr_prev,
        dominant,
        cfg,
        previous: None,
    });
    for k in 0..clusters.len() {
        if k == dominant || !normal_type[k] || clusters[k].count as f32 >= 0.1 * n as f32 {
            continue;
        }
        let (mut members, mut near_v) = (0u32, 0u32);
        for i in 0..n {
            if assign[i] as usize != k {
                continue;
            }
            members += 1;
            let v_prev = i > 0 && beats[i - 1].class == AamiClass::V;
            let v_next = i + 1 < n && beats[i + 1].class == AamiClass::V;
            if v_prev || v_next {
                near_v += 1;
            }
        }
        if 2 * near_v > members {
            normal_type[k] = false;
        }
    }

    {
        beats = label_beats(&BeatContext {
            feats,
            shapes,
            dim,
            assign: &assign,
            clusters: &clusters,
            normal_type: &normal_type,
            width: &width,
            prem,
            rr_prev,
            dominant,
            cfg,
            previous: Some(&beats),
        });
    }
    let mut templ_v = vec![0u32; clusters.len()];
    for b in &beats {
        if b.class == AamiClass::V {
            templ_v[b.template as usize] += 1;
        }
    }
    let templates = clusters
        .iter()
        .enumerate()
        .map(|(k, c)| Template {
            id: k as u32,
            class: if 2 * templ_v[k] > c.count {
                AamiClass::V
            } else {
                AamiClass::N
            },
            count: c.count,
            qrs_ms: width[k] * 1000.0,
            similarity: sims[k],
            example_sample: c.first,
        })
        .collect();
    Classes { beats, templates }
}

/// Inputs of [`label_beats`].
struct BeatContext<'a> {
    feats: &'a [BeatFeatures],
    shapes: &'a [f32],
    dim: usize,
    assign: &'a [u32],
    clusters: &'a [Cluster],
    normal_type: &'a [bool],
    width: &'a [f32],
    prem: &'a [f64],
    rr_prev: &'a [f64],
    dominant: usize,
    cfg: &'a ClassifierConfig,
    /// Classes of a previous pass (for run continuation).
    previous: Option<&'a [BeatClass]>,
}

/// One class per beat from its template, shape, width and timing.
fn label_beats(cx: &BeatContext<'_>) -> Vec<BeatClass> {
    let BeatContext {
        feats,
        shapes,
        dim,
        assign,
        clusters,
        normal_type,
        width,
        prem,
        rr_prev,
        dominant,
        cfg,
        previous,
    } = *cx;
    let n = feats.len();
    let mut centred = vec![0f32; dim];
    let mut beats = Vec::with_capacity(n);
    for i in 0..n {
        let t = assign[i] as usize;
        let s = &shapes[i * dim..(i + 1) * dim];
        let m = s.iter().sum::<f32>() / dim as f32;
        for (c, v) in centred.iter_mut().zip(s) {
            *c = v - m;
        }
        let norm = centred.iter().map(|v| v * v).sum::<f32>().sqrt();
        let (near, corr) = if normal_type[t] {
            (t, 1.0)
        } else {
            (0..clusters.len())
                .filter(|&k| normal_type[k])
                .map(|k| (k, correlation(&centred, norm, &clusters[k])))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or((dominant, 0.0))
        };
        let dw = feats[i].width_s - width[near];
        let early = prem[i] < cfg.premature_ratio;
        let neighbour_v = previous.is_some_and(|p| {
            (i > 0 && p[i - 1].class == AamiClass::V)
                || (i + 1 < n && p[i + 1].class == AamiClass::V)
        });
        let vc = cfg.ventricular_correlation;
        // on time, no compensatory pause and not next to a ventricular beat: an odd shape
        // is more often noise or aberrancy than a ventricular beat, so ask for more
        let next_ratio = if i + 1 < n {
            (feats[i + 1].sample - feats[i].sample) as f64 / rr_prev[i].max(1.0) * prem[i]
        } else {
            1.0
        };
        let timely = !early && !neighbour_v && next_ratio < 1.1;
        let ventricular = !normal_type[t]
            && if timely {
                (corr < vc - 0.3 && dw > cfg.wide_qrs_s / 3.0) || dw > cfg.wide_qrs_s * 1.3
            } else {
                corr < vc - 0.3
                    || dw > cfg.wide_qrs_s
                    || (corr < vc && (dw > cfg.wide_qrs_s / 3.0 || early || neighbour_v))
                    || (corr < vc + 0.05 && dw > cfg.wide_qrs_s / 2.0 && early)
            };
        let class = if feats[i].paced {
            AamiClass::Q
        } else if ventricular {
            AamiClass::V
        } else if i > 0 && early {
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
    beats
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
