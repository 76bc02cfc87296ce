//! ECG paper: the 1 mm / 5 mm grid, the calibration pulse, waveform paths and beat labels.

use crate::leads::Trace;
use crate::pdf::{Canvas, Rgb};

/// Colour of the 1 mm lines.
pub const MINOR: Rgb = Rgb(0.98, 0.78, 0.78);
/// Colour of the 5 mm lines.
pub const MAJOR: Rgb = Rgb(0.93, 0.45, 0.45);
/// Width of the 1 mm lines (mm).
pub const MINOR_WIDTH: f64 = 0.08;
/// Width of the 5 mm lines (mm).
pub const MAJOR_WIDTH: f64 = 0.18;
/// Width of the waveform lines (mm).
pub const TRACE_WIDTH: f64 = 0.25;
/// Horizontal resolution of waveform paths (mm): beyond one point per this width, each
/// bucket keeps its minimum and maximum (in time order), so peaks and pacing spikes stay.
pub const BUCKET_MM: f64 = 0.1;

/// Draws the grid over `w` x `h` mm from `(x, y)` (top left). `w` and `h` should be
/// multiples of 5 mm.
pub fn grid(c: &mut Canvas, x: f64, y: f64, w: f64, h: f64) {
    let cols = (w + 1e-6).floor() as i64;
    let rows = (h + 1e-6).floor() as i64;
    c.save();
    c.stroke_rgb(MINOR);
    c.line_width(MINOR_WIDTH);
    for i in 0..=cols {
        if i % 5 != 0 {
            c.segment(x + i as f64, y, x + i as f64, y + h);
        }
    }
    for j in 0..=rows {
        if j % 5 != 0 {
            c.segment(x, y + j as f64, x + w, y + j as f64);
        }
    }
    c.stroke();
    c.stroke_rgb(MAJOR);
    c.line_width(MAJOR_WIDTH);
    for i in (0..=cols).step_by(5) {
        c.segment(x + i as f64, y, x + i as f64, y + h);
    }
    for j in (0..=rows).step_by(5) {
        c.segment(x, y + j as f64, x + w, y + j as f64);
    }
    c.stroke();
    c.restore();
}

/// The 1 mV calibration pulse (0.2 s wide) standing on `baseline`, starting at `x`; it takes
/// 3 mm + 0.2 s + 2 mm of width.
pub fn calibration_pulse(c: &mut Canvas, x: f64, baseline: f64, mm_per_mv: f64, mm_per_s: f64) {
    let width = 0.2 * mm_per_s;
    c.save();
    c.stroke_rgb(Rgb::BLACK);
    c.line_width(TRACE_WIDTH);
    c.move_to(x, baseline, 2);
    c.line_to(x + 3.0, baseline, 2);
    c.line_to(x + 3.0, baseline - mm_per_mv, 2);
    c.line_to(x + 3.0 + width, baseline - mm_per_mv, 2);
    c.line_to(x + 3.0 + width, baseline, 2);
    c.line_to(x + 5.0 + width, baseline, 2);
    c.stroke();
    c.restore();
}

/// Width the calibration pulse needs (mm).
pub fn calibration_width(mm_per_s: f64) -> f64 {
    5.0 + 0.2 * mm_per_s
}

/// Paper speed and gain.
#[derive(Clone, Copy, Debug)]
pub struct PaperScale {
    /// Millimetres per second.
    pub mm_per_s: f64,
    /// Millimetres per millivolt.
    pub mm_per_mv: f64,
}

/// Draws `trace` samples `range` starting at `x` on `baseline`; returns the path's point
/// count. Missing samples break the line.
pub fn waveform(
    c: &mut Canvas,
    trace: &Trace,
    range: std::ops::Range<usize>,
    x: f64,
    baseline: f64,
    scale: PaperScale,
) -> usize {
    let PaperScale {
        mm_per_s,
        mm_per_mv,
    } = scale;
    let from = range.start;
    let to = range.end.min(trace.mv.len());
    if from >= to {
        return 0;
    }
    let dx = mm_per_s / trace.fs;
    let per_bucket = BUCKET_MM / dx;
    let px = |i: usize| x + (i - from) as f64 * dx;
    let py = |v: f32| baseline - f64::from(v) * mm_per_mv;
    let mut points = 0;
    let mut pen_down = false;
    let mut emit = |c: &mut Canvas, i: usize, v: f32, pen_down: &mut bool| {
        if !v.is_finite() {
            *pen_down = false;
            return;
        }
        if *pen_down {
            c.line_to(px(i), py(v), 2);
        } else {
            c.move_to(px(i), py(v), 2);
            *pen_down = true;
        }
        points += 1;
    };
    c.save();
    c.stroke_rgb(Rgb::BLACK);
    c.line_width(TRACE_WIDTH);
    if per_bucket < 2.5 {
        for i in from..to {
            emit(c, i, trace.mv[i], &mut pen_down);
        }
    } else {
        let n_buckets = ((to - from) as f64 / per_bucket).ceil() as usize;
        for b in 0..n_buckets {
            let lo = from + (b as f64 * per_bucket) as usize;
            let hi = (from + ((b + 1) as f64 * per_bucket) as usize).min(to);
            if lo >= hi {
                continue;
            }
            let window = &trace.mv[lo..hi];
            if window.iter().any(|v| !v.is_finite()) {
                for (k, &v) in window.iter().enumerate() {
                    emit(c, lo + k, v, &mut pen_down);
                }
                continue;
            }
            let (mut imin, mut imax) = (0, 0);
            for (k, &v) in window.iter().enumerate() {
                if v < window[imin] {
                    imin = k;
                }
                if v > window[imax] {
                    imax = k;
                }
            }
            let (a, b2) = if imin <= imax {
                (imin, imax)
            } else {
                (imax, imin)
            };
            emit(c, lo + a, window[a], &mut pen_down);
            if b2 != a {
                emit(c, lo + b2, window[b2], &mut pen_down);
            }
        }
    }
    c.stroke();
    c.restore();
    points
}
