//! Long-term reports of MIT-BIH record 100 (30 min, 2 leads, 360 Hz) with its analysis,
//! checked with qpdf, pdftotext and pdftoppm.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ecg_core::AamiClass;
use ecg_report::{Language, ReportInput, StripRequest, render_long_term};

fn mitdb_100() -> (ecg_core::Record, ecg_analysis::Analysis) {
    let mut record = wfdb("wfdb/100");
    record.start_date = chrono::NaiveDate::from_ymd_opt(2024, 3, 5);
    record.start_time = chrono::NaiveTime::from_hms_opt(22, 30, 0);
    let analysis = ecg_analysis::analyze(&record, &ecg_analysis::Config::default()).unwrap();
    (record, analysis)
}

#[test]
fn mitdb_100_summary_trend_hourly_events_strips() {
    let (record, analysis) = mitdb_100();
    let mut input = ReportInput::new(&record, Some(&analysis));
    input.details.patient_name = Some("Ковалёва, Анна 李小龍".into());
    input.conclusion = Some(
        "Sinus rhythm throughout, isolated supraventricular ectopic beats. No pauses, \
         no atrial fibrillation."
            .into(),
    );
    let pdf = render_long_term(&input).unwrap();
    keep("mitdb100_long_term.pdf", &pdf);
    qpdf_check(&pdf);
    let pages = page_count(&pdf);
    assert_eq!(render_pages(&pdf, 50).len(), pages);
    let text = pdftotext(&pdf);
    let s = &analysis.summary;
    let total: u64 = s.class_counts.iter().sum();
    let (hr_min, at_min) = s.hr_min.unwrap();
    let (hr_max, _) = s.hr_max.unwrap();
    let hrv = analysis.hrv.unwrap();
    let minute = |sample: i64| {
        let t = chrono::NaiveTime::from_hms_opt(22, 30, 0).unwrap()
            + chrono::Duration::milliseconds((sample as f64 / analysis.fs * 1000.0).round() as i64);
        t.format("%H:%M:%S").to_string()
    };
    for want in [
        "Ковалёва, Анна 李小龍".to_string(),
        "Long-term ECG (Holter) report".into(),
        "Recording start 2024-03-05 22:30:00".into(),
        "0:30:06".into(),
        format!("Total beats                  {total}"),
        format!(
            "{} ({:.2} %)",
            s.class_counts[1],
            100.0 * s.class_counts[1] as f64 / total as f64
        ),
        format!("{hr_min:.0} bpm at {}", minute(at_min)),
        format!("{hr_max:.0} bpm"),
        format!("{:.1} ms", hrv.sdnn_ms),
        format!("{:.1} ms", hrv.rmssd_ms),
        "Sinus rhythm throughout, isolated supraventricular ectopic beats.".into(),
        "Heart-rate trend".into(),
        "22:40".into(),
        "Hourly summary".into(),
        format!("22:30–23:00                     {total}"),
        "Maximum heart rate".into(),
        "Minimum heart rate".into(),
        "25 mm/s".into(),
        "10 mm/mV".into(),
        "MLII".into(),
        format!("Page {pages} of {pages}"),
    ] {
        assert!(text.contains(&want), "{want:?} missing in:\n{text}");
    }
}

#[test]
fn thirty_strips_with_beat_labels_above_the_beats() {
    let (record, analysis) = mitdb_100();
    let mut input = ReportInput::new(&record, Some(&analysis));
    input.options.language = Language::De;
    // one strip centred on each of the first 30 supraventricular beats
    let s_beats: Vec<f64> = analysis
        .beats
        .iter()
        .filter(|b| b.class == AamiClass::S)
        .map(|b| b.sample as f64 / analysis.fs)
        .take(30)
        .collect();
    assert_eq!(s_beats.len(), 30, "record 100 has 33 APCs");
    input.strips = Some(
        s_beats
            .iter()
            .map(|&t| StripRequest {
                center_s: t,
                title: "SVES".into(),
            })
            .collect(),
    );
    let pdf = render_long_term(&input).unwrap();
    keep("mitdb100_30_strips.pdf", &pdf);
    assert!(pdf.len() < 3 * 1024 * 1024, "{} bytes", pdf.len());
    qpdf_check(&pdf);
    let text = pdftotext(&pdf);
    assert!(text.contains("30. SVES"), "{text}");
    assert!(text.contains("Langzeit-EKG-Befund") && text.contains("Stundenübersicht"));
    // each strip's label row: N labels with the S label in the middle of the strip
    let label_rows: Vec<&str> = text
        .lines()
        .filter(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            t.len() >= 5 && t.iter().all(|w| matches!(*w, "N" | "S" | "V" | "F" | "Q"))
        })
        .collect();
    assert_eq!(label_rows.len(), 30, "{text}");
    assert!(label_rows.iter().all(|r| r.contains('S')), "{label_rows:?}");
    // the S label is drawn in blue above its beat, at the strip's centre
    let pages = render_pages(&pdf, 100);
    let blue = pages
        .iter()
        .flat_map(|p| (0..p.height).map(move |y| (p, y)))
        .filter(|(p, y)| {
            (0..p.width).any(|x| {
                let [r, g, b] = p.px(x, *y);
                r < 40 && g > 50 && g < 110 && b > 180
            })
        })
        .count();
    assert!(blue > 30, "no blue S labels found ({blue} rows)");
}

#[test]
fn without_analysis_every_derived_number_is_a_dash() {
    let (record, _) = mitdb_100();
    let input = ReportInput::new(&record, None);
    let pdf = render_long_term(&input).unwrap();
    qpdf_check(&pdf);
    let text = pdftotext(&pdf);
    assert!(text.contains("no analysis available"), "{text}");
    assert!(text.contains("Total beats                  —"), "{text}");
    assert!(!text.contains("bpm"), "{text}");
}

#[test]
fn trend_axis_of_a_short_record_without_start_time_shows_elapsed_minutes() {
    let (mut record, analysis) = mitdb_100();
    record.start_date = None;
    record.start_time = None;
    let input = ReportInput::new(&record, Some(&analysis));
    let text = pdftotext(&render_long_term(&input).unwrap());
    // 30 min: ticks every 10 min labelled as elapsed H:MM, not "0 h" four times
    for want in ["0:00", "0:10", "0:20", "0:30"] {
        assert!(text.contains(want), "{want:?} missing in:\n{text}");
    }
    assert!(!text.contains("0 h"), "{text}");
}
