//! Resting 12-lead reports of real records (PTB s0010_re, SCP-ECG files), checked with
//! qpdf, pdftotext and pages rendered by pdftoppm at 254 dpi (10 pixels per mm).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ecg_report::{
    DisplayFilter, Gain, Language, LeadLayout, PaperSize, ReportInput, ReportOptions,
    RestingGeometry, Speed, render_resting,
};

const DPI: u32 = 254;
const PX_PER_MM: f64 = 10.0;

fn no_filter() -> DisplayFilter {
    DisplayFilter {
        highpass_hz: None,
        lowpass_hz: None,
        notch_hz: None,
    }
}

/// Heart rate the report derives from the analysis: 60 / mean RR of consecutive beats.
fn mean_hr(a: &ecg_analysis::Analysis) -> f64 {
    let rr: Vec<f64> = a
        .beats
        .windows(2)
        .map(|w| (w[1].sample - w[0].sample) as f64 / a.fs)
        .filter(|&r| r > 0.2 && r < 3.0)
        .collect();
    60.0 * rr.len() as f64 / rr.iter().sum::<f64>()
}

#[test]
fn ptb_s0010_report_has_patient_measurements_settings_and_any_script() {
    let record = wfdb("wfdb/s0010_re");
    let analysis = ecg_analysis::analyze(&record, &ecg_analysis::Config::default()).unwrap();
    let mut input = ReportInput::new(&record, Some(&analysis));
    input.details.patient_name = Some("Müller-Иванова, Zoë 山田太郎 Ωμέγα".into());
    input.details.referring_physician = Some("Dr. Łukasz Żółć".into());
    let pdf = render_resting(&input).unwrap();
    keep("s0010_resting.pdf", &pdf);
    assert!(pdf.len() < 300 * 1024, "{} bytes", pdf.len());
    qpdf_check(&pdf);
    assert_eq!(page_count(&pdf), 1);
    let text = pdftotext(&pdf);
    for want in [
        "Müller-Иванова, Zoë 山田太郎 Ωμέγα",
        "Dr. Łukasz Żółć",
        "81 y",
        "female",
        "25 mm/s",
        "10 mm/mV",
        "Filter: 0.5–150 Hz (zero phase)",
        "1000 Hz",
        "aVR",
        "V6",
        "UNCONFIRMED REPORT",
        "Page 1 of 1",
        "ecg-report 0.1.0",
    ] {
        assert!(text.contains(want), "{want:?} missing in:\n{text}");
    }
    let hr = format!("{:.0} bpm", mean_hr(&analysis));
    assert!(text.contains(&hr), "{hr} missing:\n{text}");
    // the resting delineation's values when there are some, else the dominant template's
    let m = analysis.measurements.as_ref();
    let qrs = m.and_then(|m| m.qrs_ms).unwrap_or_else(|| {
        let t = analysis
            .templates
            .iter()
            .filter(|t| t.class == ecg_core::AamiClass::N)
            .max_by_key(|t| t.count)
            .unwrap();
        f64::from(t.qrs_ms)
    });
    assert!(text.contains(&format!("{qrs:.0} ms")), "QRS {qrs}:\n{text}");
    let qt = match (m.and_then(|m| m.qt_ms), m.and_then(|m| m.rr_ms)) {
        // QTc by Bazett from the QT and RR printed
        (Some(qt), Some(rr)) => format!("{qt:.0} / {:.0} ms", qt / (rr / 1000.0).sqrt()),
        // values nobody provided print as a dash, never as a number
        _ => "— / — ms".to_string(),
    };
    assert!(text.contains(&qt), "{qt}:\n{text}");
    for s in m.iter().flat_map(|m| m.rhythm.iter().chain(&m.statements)) {
        assert!(
            text.contains(&s.text),
            "statement {:?} missing:\n{text}",
            s.text
        );
    }
    let pages = render_pages(&pdf, 72);
    assert_eq!(pages.len(), 1);
    assert!(pages[0].width.abs_diff(842) <= 1 && pages[0].height.abs_diff(595) <= 1);
}

/// Centres of the runs of pixels for which `hit` holds along a line of `len` pixels.
fn runs(len: usize, hit: impl Fn(usize) -> bool) -> Vec<(f64, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..=len {
        let h = i < len && hit(i);
        match (h, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(((s + i - 1) as f64 / 2.0, i - s));
                start = None;
            }
            _ => {}
        }
    }
    out
}

#[test]
fn grid_lines_are_1_mm_and_5_mm_apart_at_254_dpi() {
    let record = wfdb("wfdb/s0010_re");
    let input = ReportInput::new(&record, None);
    let g = RestingGeometry::new(&input.options);
    assert_eq!(
        (g.grid_x, g.grid_y, g.grid_w, g.grid_h, g.trace_x, g.seconds),
        (6.0, 50.0, 285.0, 145.0, 19.0, 10.0)
    );
    let pdf = render_resting(&input).unwrap();
    let page = &render_pages(&pdf, DPI)[0];
    assert!(page.width.abs_diff(2970) <= 1 && page.height.abs_diff(2100) <= 1);
    // vertical lines, along a pixel row 0.5 mm above the grid's bottom edge
    let y = ((g.grid_y + g.grid_h - 0.5) * PX_PER_MM) as usize;
    let x0 = (g.grid_x * PX_PER_MM) as usize - 5;
    let x1 = ((g.grid_x + g.grid_w) * PX_PER_MM) as usize + 5;
    let lines = runs(x1 - x0, |i| page.is_grid(x0 + i, y));
    assert_eq!(lines.len(), 286, "{lines:?}");
    for (k, (centre, _)) in lines.iter().enumerate() {
        let expected = (g.grid_x + k as f64) * PX_PER_MM - x0 as f64;
        assert!(
            (centre - expected).abs() <= 1.0,
            "line {k} at {centre}, expected {expected}"
        );
        let [_, green, _] = page.px(x0 + centre.round() as usize, y);
        if k % 5 == 0 {
            assert!(
                green < 170,
                "line {k} should be a 5 mm line (green {green})"
            );
        } else {
            assert!(
                green >= 170,
                "line {k} should be a 1 mm line (green {green})"
            );
        }
    }
    // horizontal lines, along a pixel column right of the waveforms
    let x = ((g.grid_x + g.grid_w - 0.5) * PX_PER_MM) as usize;
    let y0 = (g.grid_y * PX_PER_MM) as usize - 5;
    let y1 = ((g.grid_y + g.grid_h) * PX_PER_MM) as usize + 5;
    let lines = runs(y1 - y0, |i| page.is_grid(x, y0 + i));
    assert_eq!(lines.len(), 146);
    for (k, (centre, _)) in lines.iter().enumerate() {
        let expected = (g.grid_y + k as f64) * PX_PER_MM - y0 as f64;
        assert!(
            (centre - expected).abs() <= 1.0,
            "row line {k} at {centre}, expected {expected}"
        );
    }
}

#[test]
fn calibration_pulse_and_lead_ii_trace_are_at_scale() {
    let record = wfdb("wfdb/s0010_re");
    let mut input = ReportInput::new(&record, None);
    input.options.filter = no_filter();
    let g = RestingGeometry::new(&input.options);
    let pdf = render_resting(&input).unwrap();
    let page = &render_pages(&pdf, DPI)[0];
    let baseline = g.baseline(&input.options, 3); // the rhythm strip (lead II)
    assert_eq!(baseline, 180.5);
    // the rising edge of the 1 mV pulse: 10 mm = 100 px tall, standing on the baseline
    let edge_x = ((g.grid_x + 5.0) * PX_PER_MM).round() as usize;
    let top = ((baseline - 15.0) * PX_PER_MM) as usize;
    let bottom = ((baseline + 3.0) * PX_PER_MM) as usize;
    let dark = runs(bottom - top, |i| {
        (edge_x - 1..=edge_x + 1).any(|x| page.is_dark(x, top + i))
    });
    let (centre, len) = dark.iter().copied().max_by_key(|r| r.1).unwrap();
    assert!(
        (len as i64 - 100).abs() <= 4,
        "pulse height {len} px: {dark:?}"
    );
    let pulse_bottom = top as f64 + centre + len as f64 / 2.0;
    assert!(
        (pulse_bottom - baseline * PX_PER_MM).abs() <= 3.0,
        "{pulse_bottom}"
    );
    // lead II: every 0.25 s the drawn line passes where sample value minus median says
    let ii = record.signal("ii").unwrap();
    let mv: Vec<f64> = ii.physical(0..10_000).unwrap();
    let mut sorted = mv.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[5000];
    let mut checked = 0;
    for step in 1..40 {
        let t = step as f64 * 0.25;
        let k = (t * 1000.0) as usize;
        let x = ((g.trace_x + t * 25.0) * PX_PER_MM).round() as usize;
        let y = (baseline - (mv[k] - median) * 10.0) * PX_PER_MM;
        let near = (x - 1..=x + 1).any(|xx| {
            (y.round() as usize - 4..=y.round() as usize + 4).any(|yy| page.is_dark(xx, yy))
        });
        assert!(
            near,
            "no trace near ({x}, {y:.0}) px at t = {t} s (value {})",
            mv[k] - median
        );
        checked += 1;
    }
    assert_eq!(checked, 39);
}

#[test]
fn scp_record_measurements_statements_and_derived_limb_leads() {
    // 8 leads (I, II, V1-V6): III, aVR, aVL, aVF are derived; device measurements in
    // section 7; Swedish statements in section 8.
    let record = scp("scp/scptools_ECG_20170504_163507.scp");
    let input = ReportInput::new(&record, None);
    let pdf = render_resting(&input).unwrap();
    keep("scp_resting.pdf", &pdf);
    qpdf_check(&pdf);
    let text = pdftotext(&pdf);
    for want in [
        "test, test",
        "123456789",
        "1912-12-12",
        "male",
        "60 bpm",
        "1000 ms",
        "167 ms",
        "88 ms",
        "386 / 386 ms",
        "48 48 49",
        "Device: LP 35 Hz, notch 50 Hz",
        "sinusrytm (långsam)",
        "hög P-amplitud",
        "III, aVR, aVL, aVF: = f(I, II)",
        "Welch Allyn Cardio Control MDW14",
    ] {
        assert!(text.contains(want), "{want:?} missing in:\n{text}");
    }
}

#[test]
fn options_paper_speed_gain_layouts_language_logo() {
    let record = scp("scp/ecgtoolkit_Example.scp");
    let analysis = ecg_analysis::analyze(&record, &ecg_analysis::Config::default()).unwrap();
    let logo = {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, 40, 20);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().unwrap();
        let px: Vec<u8> = (0..800)
            .flat_map(|i| [0, 80, (i % 255) as u8, 200])
            .collect();
        w.write_image_data(&px).unwrap();
        w.finish().unwrap();
        out
    };
    for (layout, paper, speed, gain, language) in [
        (
            LeadLayout::ThreeByFour,
            PaperSize::Letter,
            Speed::Mm25,
            Gain::Mm5,
            Language::De,
        ),
        (
            LeadLayout::SixByTwo,
            PaperSize::A4,
            Speed::Mm50,
            Gain::Mm20,
            Language::Fr,
        ),
        (
            LeadLayout::TwelveByOne,
            PaperSize::Letter,
            Speed::Mm50,
            Gain::Mm10,
            Language::En,
        ),
        (
            LeadLayout::ThreeByFourPlusRhythm,
            PaperSize::A4,
            Speed::Mm25,
            Gain::Mm10,
            Language::De,
        ),
    ] {
        let mut input = ReportInput::new(&record, Some(&analysis));
        let mut options = ReportOptions::default();
        options.layout = layout;
        options.paper = paper;
        options.speed = speed;
        options.gain = gain;
        options.language = language;
        options.rhythm_leads = vec!["II".into(), "V1".into(), "V5".into()];
        options.logo = Some(ecg_report::Logo {
            bytes: logo.clone(),
        });
        input.options = options;
        input.approval = Some(ecg_report::Approval {
            physician: "Dr. Anna Šimková".into(),
            at: "2024-05-01T14:03:00+02:00".parse().unwrap(),
        });
        let pdf = render_resting(&input).unwrap();
        keep(
            &format!("example_{layout}_{paper:?}_{speed:?}_{gain:?}.pdf"),
            &pdf,
        );
        qpdf_check(&pdf);
        let text = pdftotext(&pdf);
        for settings in [
            format!("{:.0} mm/s ", speed.mm_per_s()),
            format!(" {:.0} mm/mV", gain.mm_per_mv()),
        ] {
            assert!(text.contains(&settings), "{settings:?} missing:\n{text}");
        }
        assert!(text.contains(&layout.to_string()), "{text}");
        assert!(
            text.contains("Dr. Anna Šimková · 2024-05-01 14:03 +02:00"),
            "{text}"
        );
        let (label, vent) = match language {
            Language::En => ("Confirmed by", "Vent. rate"),
            Language::De => ("Bestätigt von", "Kammerfrequenz"),
            Language::Fr => ("Validé par", "Fréq. vent."),
        };
        assert!(text.contains(label) && text.contains(vent), "{text}");
        // device measurements of section 7 (PR, QRS, QT, axes) next to the analysis' rate
        for want in ["148 ms", "120 ms", "420 / 443 ms", "44 -61 86"] {
            assert!(text.contains(want), "{want:?}:\n{text}");
        }
        let page = &render_pages(&pdf, 72)[0];
        let expected = match paper {
            PaperSize::A4 => (842, 595),
            PaperSize::Letter => (792, 612),
        };
        assert!(page.width.abs_diff(expected.0) <= 1 && page.height.abs_diff(expected.1) <= 1);
        // the logo's blue pixels are in the top right corner
        let blue = (page.width - 200..page.width).any(|x| {
            (0..60).any(|y| {
                let [r, g, b] = page.px(x, y);
                r < 60 && g > 60 && g < 140 && b > 100
            })
        });
        assert!(blue, "logo not drawn");
    }
}

#[test]
fn missing_cjk_font_is_a_clear_error() {
    let record = wfdb("wfdb/s0010_re");
    let mut input = ReportInput::new(&record, None);
    input.details.patient_name = Some("山田".into());
    input.options.fonts.fallback_fonts = vec!["/nonexistent.ttf".into()];
    let err = render_resting(&input).unwrap_err();
    assert!(
        matches!(
            err,
            ecg_report::Error::MissingGlyph {
                character: '山',
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("fonts-droid-fallback"), "{err}");
}
