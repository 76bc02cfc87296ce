//! Shared helpers of the report tests: test records, poppler/qpdf wrappers, PNG pages.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ecg_core::{DecodeOptions, Record};

/// A file of the shared test data (the test fails when it is missing).
pub fn testdata(rel: &str) -> PathBuf {
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ))
    .join(rel);
    assert!(p.exists(), "missing test data {}", p.display());
    p
}

/// A WFDB record of the shared test data.
pub fn wfdb(rel: &str) -> Record {
    let hea = testdata(&format!("{rel}.hea"));
    ecg_wfdb::decode_path(&hea, &DecodeOptions::default()).unwrap()
}

/// An SCP-ECG file of the shared test data.
pub fn scp(rel: &str) -> Record {
    ecg_scp::decode_path(&testdata(rel), &DecodeOptions::default()).unwrap()
}

/// Writes `pdf` to a temporary directory and returns the directory and the path.
pub fn write_pdf(pdf: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    (dir, path)
}

/// `qpdf --check` output; panics when qpdf reports errors or warnings.
pub fn qpdf_check(pdf: &[u8]) -> String {
    let (_dir, path) = write_pdf(pdf);
    let out = Command::new("qpdf")
        .arg("--check")
        .arg(&path)
        .output()
        .expect("qpdf (install qpdf)");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "qpdf --check failed:\n{text}");
    assert!(
        text.contains("No syntax or stream encoding errors found"),
        "{text}"
    );
    assert!(!text.to_lowercase().contains("warning"), "{text}");
    text
}

/// Text of the PDF (`pdftotext -layout`).
pub fn pdftotext(pdf: &[u8]) -> String {
    let (_dir, path) = write_pdf(pdf);
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (install poppler-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// An RGB page image.
pub struct Page {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

impl Page {
    pub fn px(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        let [r, g, b] = self.px(x, y);
        (r as u32 + g as u32 + b as u32) < 200
    }
    /// Grid colour: clearly red-tinted.
    pub fn is_grid(&self, x: usize, y: usize) -> bool {
        let [r, g, b] = self.px(x, y);
        r > 180 && (r as i32 - g as i32) > 25 && (r as i32 - b as i32) > 25
    }
}

/// Every page rendered by `pdftoppm -r dpi` (anti-aliasing off, so lines are crisp).
pub fn render_pages(pdf: &[u8], dpi: u32) -> Vec<Page> {
    let (dir, path) = write_pdf(pdf);
    let prefix = dir.path().join("page");
    let out = Command::new("pdftoppm")
        .args([
            "-png",
            "-r",
            &dpi.to_string(),
            "-aa",
            "no",
            "-aaVector",
            "no",
        ])
        .arg(&path)
        .arg(&prefix)
        .output()
        .expect("pdftoppm (install poppler-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let decoder =
                png::Decoder::new(std::io::BufReader::new(std::fs::File::open(f).unwrap()));
            let mut reader = decoder.read_info().unwrap();
            let mut buf = vec![0; reader.output_buffer_size().unwrap()];
            let info = reader.next_frame(&mut buf).unwrap();
            assert_eq!(info.color_type, png::ColorType::Rgb);
            buf.truncate(info.buffer_size());
            Page {
                width: info.width as usize,
                height: info.height as usize,
                rgb: buf,
            }
        })
        .collect()
}

/// Number of pages `pdfinfo` reports.
pub fn page_count(pdf: &[u8]) -> usize {
    let (_dir, path) = write_pdf(pdf);
    let out = Command::new("pdfinfo")
        .arg(&path)
        .output()
        .expect("pdfinfo");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("pdfinfo page count")
}

/// Keeps a copy of a rendered report for eyes (`ECG_REPORT_KEEP=dir`).
pub fn keep(name: &str, pdf: &[u8]) {
    if let Ok(dir) = std::env::var("ECG_REPORT_KEEP") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join(name), pdf).unwrap();
    }
}
