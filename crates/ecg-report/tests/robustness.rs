//! Bad and unusual input gives a typed error or a valid PDF, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ecg_core::{Record, Samples, Scale, Signal};
use ecg_report::{Error, Logo, ReportInput, render_long_term, render_resting};
use proptest::prelude::*;

fn lead(label: &str, fs: f64, x: Vec<i32>) -> Signal {
    let mut s = Signal::new(label, fs, "uV", Samples::from_vec(x));
    s.scale = Scale::Gain {
        gain: 1.0,
        baseline: 0.0,
    };
    s
}

fn small_record() -> Record {
    let mut r = Record::new("small", "test");
    for l in ["I", "II", "V1"] {
        r.signals
            .push(lead(l, 250.0, (0..2500).map(|i| (i % 250) * 4).collect()));
    }
    r
}

#[test]
fn degenerate_records() {
    let empty = Record::new("empty", "test");
    let e = render_resting(&ReportInput::new(&empty, None)).unwrap_err();
    assert!(matches!(e, Error::NoSignal { .. }), "{e}");
    let e = render_long_term(&ReportInput::new(&empty, None)).unwrap_err();
    assert!(matches!(e, Error::NoSignal { .. }), "{e}");

    let mut zero_fs = Record::new("zero", "test");
    zero_fs.signals.push(lead("II", 0.0, vec![1, 2, 3]));
    assert!(render_resting(&ReportInput::new(&zero_fs, None)).is_err());

    // no samples at all, missing samples, absurd values: still a valid page
    let mut odd = Record::new("odd", "test");
    odd.signals.push(lead("I", 500.0, vec![]));
    let mut ii = lead(
        "II",
        500.0,
        (0..5000)
            .map(|i| if i % 7 == 0 { i32::MIN } else { i32::MAX - i })
            .collect(),
    );
    ii.missing_value = Some(i32::MIN);
    odd.signals.push(ii);
    let pdf = render_resting(&ReportInput::new(&odd, None)).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let pdf = render_long_term(&ReportInput::new(&odd, None)).unwrap();
    assert!(pdf.starts_with(b"%PDF"));

    let r = small_record();
    let mut input = ReportInput::new(&r, None);
    input.options.strip_channels = 0;
    assert!(matches!(
        render_long_term(&input),
        Err(Error::Option { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn any_logo_bytes_give_a_logo_error_or_a_pdf(prefix in prop::sample::select(vec![
        b"\x89PNG\r\n\x1a\n".to_vec(), vec![0xFF, 0xD8], vec![],
    ]), body in prop::collection::vec(any::<u8>(), 0..200)) {
        let r = small_record();
        let mut input = ReportInput::new(&r, None);
        input.options.logo = Some(Logo { bytes: [prefix, body].concat() });
        match render_resting(&input) {
            Ok(pdf) => prop_assert!(pdf.starts_with(b"%PDF")),
            Err(e) => prop_assert!(matches!(e, Error::Logo(_)), "{}", e),
        }
    }

    #[test]
    fn any_text_gives_a_pdf_or_names_the_missing_character(
        name in "\\PC{0,40}", statement in "\\PC{0,200}", conclusion in "\\PC{0,300}",
    ) {
        let r = small_record();
        let mut input = ReportInput::new(&r, None);
        input.options.fonts.fallback_fonts = vec![];
        input.details.patient_name = Some(name);
        input.statements = Some(vec![statement]);
        input.conclusion = Some(conclusion);
        for result in [render_resting(&input), render_long_term(&input)] {
            match result {
                Ok(pdf) => prop_assert!(pdf.starts_with(b"%PDF")),
                Err(e) => prop_assert!(matches!(e, Error::MissingGlyph { .. }), "{}", e),
            }
        }
    }

    #[test]
    fn latin_greek_cyrillic_text_always_renders(
        name in "[A-Za-zÀ-ÖØ-öø-žΑ-ΡΣ-Ωα-ωА-яЁё ,.'-]{0,60}",
        statement in "[A-Za-zÀ-ÖØ-öø-žΑ-ΡΣ-Ωα-ωА-яЁё0-9 ,.;:()/%-]{0,400}",
    ) {
        let r = small_record();
        let mut input = ReportInput::new(&r, None);
        input.options.fonts.fallback_fonts = vec![];
        input.details.patient_name = Some(name.clone());
        input.statements = Some(vec![statement.clone(), statement]);
        input.conclusion = Some(name);
        let resting = render_resting(&input);
        prop_assert!(resting.is_ok(), "{:?}", resting.err());
        let long_term = render_long_term(&input);
        prop_assert!(long_term.is_ok(), "{:?}", long_term.err());
    }
}
