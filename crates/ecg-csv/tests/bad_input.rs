//! Detection over every shared test file, typed errors on bad tables, and a proptest of
//! generated tables in every dialect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ecg_core::{Confidence, DecodeOptions, Limits, SharedBytes};
use ecg_csv::Error;
use proptest::prelude::*;

#[test]
fn claims_no_shared_test_file_and_every_fixture() {
    let files = ecg_testdata::files_below(&ecg_testdata::shared_testdata()).unwrap();
    assert!(
        files.len() > 300,
        "shared test data missing: {}",
        files.len()
    );
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert_eq!(ecg_csv::detect(&bytes), Confidence::No, "{}", f.display());
    }
    let ours = ecg_testdata::files_below(&ecg_testdata::repo_testdata().join("csv")).unwrap();
    let tables: Vec<_> = ours
        .iter()
        .filter(|p| {
            !matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("py" | "json" | "md")
            )
        })
        .collect();
    assert_eq!(tables.len(), 5);
    for f in tables {
        assert_eq!(
            ecg_csv::detect(&std::fs::read(f).unwrap()),
            Confidence::Maybe,
            "{}",
            f.display()
        );
    }
}

fn hz(fs: f64) -> DecodeOptions {
    DecodeOptions {
        sampling_frequency_hint: Some(fs),
        ..Default::default()
    }
}

fn decode(text: &str, opts: &DecodeOptions) -> Result<ecg_core::Record, Error> {
    ecg_csv::decode(
        "t.csv",
        SharedBytes::from_vec(text.as_bytes().to_vec()),
        opts,
    )
}

#[test]
fn typed_errors_with_context() {
    let rows: String = (0..300).map(|i| format!("{i},{i}\n")).collect();
    let long = format!("I,II\n{rows}footer text,5\n");
    let e = decode(&long, &hz(100.0)).unwrap_err();
    match &e {
        Error::Cell {
            line,
            column,
            label,
            offset,
            ..
        } => assert_eq!(
            (*line, *column, label.as_str(), *offset),
            (302, 1, "I", long.len() - 14)
        ),
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("line 302, column 1"), "{e}");
    let e = decode(&format!("I,II\n{rows}5,6,7\n"), &hz(100.0)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooManyCells {
                line: 302,
                found: 3,
                expected: 2,
                ..
            }
        ),
        "{e:?}"
    );
    let e = decode("I,II\n1,2\n3,4\n5,6,7\n", &hz(100.0)).unwrap_err();
    assert!(matches!(e, Error::NotATable { .. }), "{e:?}");
    let e = decode("t,I\n0,1\n0.5,2\n0.4,3\n", &DecodeOptions::default()).unwrap_err();
    assert!(
        matches!(e, Error::TimeNotIncreasing { line: 4, .. }),
        "{e:?}"
    );
    let e = decode("I,II\n1,2\n3,4\n", &hz(f64::NAN)).unwrap_err();
    assert!(matches!(e, Error::BadHint { .. }), "{e:?}");
    let e = decode("I,II\n1,2\n3,4\n", &hz(-1.0)).unwrap_err();
    assert!(matches!(e, Error::BadHint { .. }), "{e:?}");
    let e = decode("I,II\n1,2\n99999999999,4\n", &hz(1.0)).unwrap_err();
    assert!(matches!(e, Error::Cell { line: 3, .. }), "{e:?}");
    let e = decode("hello\nworld\n", &hz(1.0)).unwrap_err();
    assert!(matches!(e, Error::NotATable { .. }), "{e:?}");
    let e = decode("index,time\n0,1\n1,2\n", &hz(1.0)).unwrap_err();
    assert!(matches!(e, Error::NotATable { .. }), "{e:?}");
    let limits = Limits {
        max_samples: 5,
        ..Default::default()
    };
    let opts = DecodeOptions { limits, ..hz(1.0) };
    let e = decode("I,II\n1,2\n3,4\n5,6\n7,8\n", &opts).unwrap_err();
    assert!(matches!(e, Error::LimitExceeded { limit: 5, .. }), "{e:?}");
}

#[test]
fn jitter_rounding_and_short_rows_are_reported() {
    let r = decode(
        "t,I\n0,1\n0.01,2\n0.03,3\n0.04,4\n",
        &DecodeOptions::default(),
    )
    .unwrap();
    assert_eq!(r.signals[0].fs, 75.0);
    assert!(
        r.warnings.iter().any(|w| w.message.contains("steps vary")),
        "{:?}",
        r.warnings
    );
    let r = decode("t,I,II\n0,1\n1,2,3\n", &DecodeOptions::default()).unwrap();
    assert_eq!(r.signals[1].stats().unwrap().missing, 1);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.message.contains("milliseconds"))
    );
    assert_eq!(r.signals[0].fs, 1000.0);
    let r = decode("I\n1.5\n0.1234567890123456789\n", &hz(1.0)).unwrap();
    let s = &r.signals[0];
    assert_eq!(s.meta.fields["decimals"], "9");
    assert_eq!(s.physical(0..2).unwrap(), vec![1.5, 0.123456789]);
    assert!(r.warnings.iter().any(|w| w.message.contains("rounded")));
    let r = decode("I,II,\n1,2,\n3,4,\n", &hz(1.0)).unwrap();
    assert_eq!(r.signals.len(), 2, "trailing empty column dropped");
}

/// Writes `values` (rows x leads, in units of 10^-decimals) as a table in a dialect.
fn table(values: &[Vec<Option<i32>>], decimals: u32, sep: char, comma: bool, time: bool) -> String {
    let leads = values.first().map_or(0, Vec::len);
    let mut out = String::new();
    let mut head: Vec<String> = (0..leads).map(|i| format!("L{i} (mV)")).collect();
    if time {
        head.insert(0, "time (ms)".into());
    }
    out.push_str(&head.join(&sep.to_string()));
    out.push('\n');
    for (r, row) in values.iter().enumerate() {
        let mut cells: Vec<String> = row
            .iter()
            .map(|v| match v {
                None => String::new(),
                Some(v) => {
                    let p = 10i64.pow(decimals);
                    let (neg, a) = (*v < 0, i64::from(*v).abs());
                    let mut s = format!("{}{}", if neg { "-" } else { "" }, a / p);
                    if decimals > 0 {
                        s.push(if comma { ',' } else { '.' });
                        s.push_str(&format!("{:0w$}", a % p, w = decimals as usize));
                    }
                    s
                }
            })
            .collect();
        if time {
            cells.insert(0, (r * 4).to_string());
        }
        out.push_str(&cells.join(&sep.to_string()));
        out.push_str(if r % 2 == 0 { "\n" } else { "\r\n" });
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn generated_tables_decode_exactly(
        leads in 1usize..5,
        rows in 2usize..40,
        decimals in 0u32..5,
        dialect in 0usize..4,
        time in any::<bool>(),
        seed in proptest::collection::vec(proptest::option::weighted(0.9, -99_999i32..99_999), 200),
    ) {
        let (sep, comma) = [(',', false), (';', true), ('\t', false), (' ', false)][dialect];
        let mut values: Vec<Vec<Option<i32>>> = (0..rows)
            .map(|r| (0..leads).map(|l| seed[(r * leads + l) % seed.len()]).collect())
            .collect();
        if sep == ' ' {
            for row in &mut values { for v in row.iter_mut() { v.get_or_insert(0); } }
        }
        // at least one number per row, so the table is a table
        for row in &mut values { row[0].get_or_insert(1); }
        let text = table(&values, decimals, sep, comma, time);
        let record = decode(&text, &hz(250.0)).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(record.signals.len(), leads);
        prop_assert_eq!(record.signals[0].fs, 250.0);
        for (l, s) in record.signals.iter().enumerate() {
            let phys = s.physical(0..rows).unwrap();
            for (r, row) in values.iter().enumerate() {
                match row[l] {
                    None => prop_assert!(phys[r].is_nan()),
                    Some(v) => {
                        let want: f64 = format!("{}e-{decimals}", v).parse().unwrap();
                        prop_assert_eq!(phys[r], want, "lead {} row {}\n{}", l, r, text);
                    }
                }
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = ecg_csv::detect(&bytes);
        let _ = ecg_csv::decode("x", SharedBytes::from_vec(bytes), &hz(100.0));
    }

    #[test]
    fn table_like_text_never_panics(text in "[0-9.,;\t \n\"eE+-]{0,300}") {
        let _ = ecg_csv::detect(text.as_bytes());
        let _ = decode(&text, &hz(100.0));
        let _ = decode(&text, &DecodeOptions::default());
    }
}
