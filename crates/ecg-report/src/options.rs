//! Report options: paper, speed, gain, lead layout, label language, logo, display filter,
//! fonts.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Paper size. Resting reports print in landscape, long-term reports in portrait.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaperSize {
    /// ISO A4, 210 x 297 mm.
    #[default]
    A4,
    /// US Letter, 8.5 x 11 in (215.9 x 279.4 mm).
    Letter,
}

impl PaperSize {
    /// Width and height in millimetres, portrait.
    pub fn portrait_mm(self) -> (f64, f64) {
        match self {
            PaperSize::A4 => (210.0, 297.0),
            PaperSize::Letter => (215.9, 279.4),
        }
    }

    /// Width and height in millimetres, landscape.
    pub fn landscape_mm(self) -> (f64, f64) {
        let (w, h) = self.portrait_mm();
        (h, w)
    }
}

impl FromStr for PaperSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "a4" => Ok(PaperSize::A4),
            "letter" | "us-letter" | "us_letter" => Ok(PaperSize::Letter),
            _ => Err(format!("unknown paper size {s:?} (a4, letter)")),
        }
    }
}

/// Paper speed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Speed {
    /// 25 mm/s (the standard).
    #[default]
    #[serde(rename = "25")]
    Mm25,
    /// 50 mm/s.
    #[serde(rename = "50")]
    Mm50,
}

impl Speed {
    /// Millimetres per second.
    pub fn mm_per_s(self) -> f64 {
        match self {
            Speed::Mm25 => 25.0,
            Speed::Mm50 => 50.0,
        }
    }
}

impl FromStr for Speed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim_end_matches("mm/s") {
            "25" => Ok(Speed::Mm25),
            "50" => Ok(Speed::Mm50),
            _ => Err(format!("unknown speed {s:?} (25, 50)")),
        }
    }
}

/// Amplitude gain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gain {
    /// 5 mm/mV.
    #[serde(rename = "5")]
    Mm5,
    /// 10 mm/mV (the standard).
    #[default]
    #[serde(rename = "10")]
    Mm10,
    /// 20 mm/mV.
    #[serde(rename = "20")]
    Mm20,
}

impl Gain {
    /// Millimetres per millivolt.
    pub fn mm_per_mv(self) -> f64 {
        match self {
            Gain::Mm5 => 5.0,
            Gain::Mm10 => 10.0,
            Gain::Mm20 => 20.0,
        }
    }
}

impl FromStr for Gain {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim_end_matches("mm/mV") {
            "5" => Ok(Gain::Mm5),
            "10" => Ok(Gain::Mm10),
            "20" => Ok(Gain::Mm20),
            _ => Err(format!("unknown gain {s:?} (5, 10, 20)")),
        }
    }
}

/// Arrangement of the 12 leads on the resting report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeadLayout {
    /// 3 rows x 4 columns (I II III | aVR aVL aVF | V1 V2 V3 | V4 V5 V6), 2.5 s per lead at
    /// 25 mm/s.
    #[serde(rename = "3x4")]
    ThreeByFour,
    /// 3x4 plus full-width rhythm strip(s) ([`ReportOptions::rhythm_leads`], lead II by
    /// default).
    #[default]
    #[serde(rename = "3x4+1")]
    ThreeByFourPlusRhythm,
    /// 6 rows x 2 columns (limb leads left, chest leads right), 5 s per lead at 25 mm/s.
    #[serde(rename = "6x2")]
    SixByTwo,
    /// 12 rows, each lead over the full width.
    #[serde(rename = "12x1")]
    TwelveByOne,
}

impl FromStr for LeadLayout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "3x4" => Ok(LeadLayout::ThreeByFour),
            "3x4+1" => Ok(LeadLayout::ThreeByFourPlusRhythm),
            "6x2" => Ok(LeadLayout::SixByTwo),
            "12x1" => Ok(LeadLayout::TwelveByOne),
            _ => Err(format!("unknown layout {s:?} (3x4, 3x4+1, 6x2, 12x1)")),
        }
    }
}

impl fmt::Display for LeadLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LeadLayout::ThreeByFour => "3x4",
            LeadLayout::ThreeByFourPlusRhythm => "3x4+1",
            LeadLayout::SixByTwo => "6x2",
            LeadLayout::TwelveByOne => "12x1",
        })
    }
}

/// Language of the printed labels (data such as names and statements print as given).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// English.
    #[default]
    En,
    /// German.
    De,
    /// French.
    Fr,
}

impl FromStr for Language {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "en" | "english" => Ok(Language::En),
            "de" | "german" | "deutsch" => Ok(Language::De),
            "fr" | "french" | "francais" | "français" => Ok(Language::Fr),
            _ => Err(format!("unknown language {s:?} (en, de, fr)")),
        }
    }
}

/// A logo printed in the top right corner: PNG (any bit depth and colour type,
/// transparency kept) or baseline/progressive JPEG bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    /// The image file's bytes.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Logo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Logo({} bytes)", self.bytes.len())
    }
}

/// The filter applied to the drawn waveforms (zero phase, so wave timing is not shifted).
/// The settings print on the report next to speed and gain.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DisplayFilter {
    /// High-pass (baseline-wander) cut-off in Hz; `None` = off (only the median of each
    /// drawn window is removed).
    pub highpass_hz: Option<f64>,
    /// Low-pass cut-off in Hz; `None` = off. Ignored when at or above 0.45 x the sampling
    /// rate.
    pub lowpass_hz: Option<f64>,
    /// Mains notch in Hz (50 or 60); `None` = off.
    pub notch_hz: Option<f64>,
}

impl Default for DisplayFilter {
    /// 0.5 Hz high-pass (zero phase, as the AHA allows for ST-segment fidelity), 150 Hz
    /// low-pass, no notch.
    fn default() -> Self {
        DisplayFilter {
            highpass_hz: Some(0.5),
            lowpass_hz: Some(150.0),
            notch_hz: None,
        }
    }
}

/// Where text that DejaVu Sans (built in) cannot show finds its glyphs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FontOptions {
    /// TrueType/OpenType fallback font files (`.ttf`, `.otf` with TrueType outlines, `.ttc`
    /// collections: every face is tried), in order of preference. Files that are missing are
    /// skipped; a character found in none of them is an [`crate::Error::MissingGlyph`].
    pub fallback_fonts: Vec<PathBuf>,
}

/// Debian font files tried for CJK and other scripts, in this order.
pub const DEFAULT_FALLBACK_FONTS: [&str; 5] = [
    // fonts-droid-fallback (Apache-2.0): Chinese, Japanese, Korean
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    // fonts-wqy-microhei / fonts-wqy-zenhei
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    // fonts-arphic-uming
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    // fonts-dejavu-extra / fonts-dejavu-core: symbols DejaVu Sans lacks are rare
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
];

impl Default for FontOptions {
    fn default() -> Self {
        FontOptions {
            fallback_fonts: DEFAULT_FALLBACK_FONTS.iter().map(PathBuf::from).collect(),
        }
    }
}

/// Everything about how a report looks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ReportOptions {
    /// Paper size.
    pub paper: PaperSize,
    /// Paper speed of the waveforms.
    pub speed: Speed,
    /// Amplitude gain of the waveforms.
    pub gain: Gain,
    /// Lead layout of the resting report.
    pub layout: LeadLayout,
    /// Rhythm strip leads of [`LeadLayout::ThreeByFourPlusRhythm`] (one to three).
    pub rhythm_leads: Vec<String>,
    /// Language of the labels.
    pub language: Language,
    /// Logo (top right of every page).
    #[serde(skip)]
    pub logo: Option<Logo>,
    /// Filter of the drawn waveforms.
    pub filter: DisplayFilter,
    /// Fallback fonts.
    pub fonts: FontOptions,
    /// Long-term report: most event strips printed (the most significant events first).
    pub max_strips: usize,
    /// Long-term report: signals drawn per strip (the first ECG signals of the record).
    pub strip_channels: usize,
    /// Long-term report: most rows of the event list.
    pub max_event_rows: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            paper: PaperSize::A4,
            speed: Speed::Mm25,
            gain: Gain::Mm10,
            layout: LeadLayout::ThreeByFourPlusRhythm,
            rhythm_leads: vec!["II".to_string()],
            language: Language::En,
            logo: None,
            filter: DisplayFilter::default(),
            fonts: FontOptions::default(),
            max_strips: 30,
            strip_channels: 2,
            max_event_rows: 200,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_serialise_by_their_printed_names() {
        assert_eq!(
            "3x4+1".parse::<LeadLayout>(),
            Ok(LeadLayout::ThreeByFourPlusRhythm)
        );
        assert_eq!("50".parse::<Speed>(), Ok(Speed::Mm50));
        assert_eq!("20".parse::<Gain>(), Ok(Gain::Mm20));
        assert_eq!("Letter".parse::<PaperSize>(), Ok(PaperSize::Letter));
        assert!("7x7".parse::<LeadLayout>().is_err());
        let o: ReportOptions =
            serde_json::from_str(r#"{"layout":"6x2","gain":"5","speed":"50","language":"de"}"#)
                .unwrap();
        assert_eq!(o.layout, LeadLayout::SixByTwo);
        assert_eq!(o.gain.mm_per_mv(), 5.0);
        assert_eq!(o.speed.mm_per_s(), 50.0);
        assert_eq!(o.language, Language::De);
        assert_eq!(o.rhythm_leads, vec!["II"]);
        assert_eq!(PaperSize::Letter.landscape_mm(), (279.4, 215.9));
    }
}
