//! Annotations: beat and rhythm labels (MIT codes), timed events and their sets.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An MIT/WFDB annotation code (`ecgcodes.h`): 1 = `N` normal beat, 5 = `V` PVC, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AnnotationCode(pub u8);

/// Mnemonics of codes 0..=49, as PhysioNet's `ecgcodes.h` and wfdb-python print them.
const MNEMONICS: [&str; 50] = [
    " ", "N", "L", "R", "a", "V", "F", "J", "A", "S", "E", "j", "/", "Q", "~", "[15]", "|", "[17]",
    "s", "T", "*", "D", "\"", "=", "p", "B", "^", "t", "+", "u", "?", "!", "[", "]", "e", "n", "@",
    "x", "f", "(", ")", "r", "[42]", "[43]", "[44]", "[45]", "[46]", "[47]", "[48]", "[49]",
];

impl AnnotationCode {
    /// Not an annotation (code 0).
    pub const NOT_QRS: AnnotationCode = AnnotationCode(0);
    /// Normal beat `N`.
    pub const NORMAL: AnnotationCode = AnnotationCode(1);
    /// Left bundle branch block beat `L`.
    pub const LBBB: AnnotationCode = AnnotationCode(2);
    /// Right bundle branch block beat `R`.
    pub const RBBB: AnnotationCode = AnnotationCode(3);
    /// Aberrated atrial premature beat `a`.
    pub const ABERR: AnnotationCode = AnnotationCode(4);
    /// Premature ventricular contraction `V`.
    pub const PVC: AnnotationCode = AnnotationCode(5);
    /// Fusion of ventricular and normal beat `F`.
    pub const FUSION: AnnotationCode = AnnotationCode(6);
    /// Nodal (junctional) premature beat `J`.
    pub const NPC: AnnotationCode = AnnotationCode(7);
    /// Atrial premature contraction `A`.
    pub const APC: AnnotationCode = AnnotationCode(8);
    /// Premature or ectopic supraventricular beat `S`.
    pub const SVPB: AnnotationCode = AnnotationCode(9);
    /// Ventricular escape beat `E`.
    pub const VESC: AnnotationCode = AnnotationCode(10);
    /// Nodal (junctional) escape beat `j`.
    pub const NESC: AnnotationCode = AnnotationCode(11);
    /// Paced beat `/`.
    pub const PACE: AnnotationCode = AnnotationCode(12);
    /// Unclassifiable beat `Q`.
    pub const UNKNOWN: AnnotationCode = AnnotationCode(13);
    /// Signal quality change `~`.
    pub const NOISE: AnnotationCode = AnnotationCode(14);
    /// Rhythm change `+` (rhythm name in the aux text).
    pub const RHYTHM: AnnotationCode = AnnotationCode(28);
    /// Comment annotation `"`.
    pub const NOTE: AnnotationCode = AnnotationCode(22);
    /// Waveform onset `(`.
    pub const WAVE_ON: AnnotationCode = AnnotationCode(39);
    /// Waveform end `)`.
    pub const WAVE_OFF: AnnotationCode = AnnotationCode(40);
    /// Largest code the MIT format can store (codes 59..=63 are pseudo-annotations).
    pub const MAX: u8 = 49;

    /// The MIT mnemonic (`"N"`, `"V"`, `"+"`, ...); codes without one print as `[n]`.
    pub fn mnemonic(self) -> std::borrow::Cow<'static, str> {
        match MNEMONICS.get(self.0 as usize) {
            Some(m) => std::borrow::Cow::Borrowed(m),
            None => std::borrow::Cow::Owned(format!("[{}]", self.0)),
        }
    }

    /// Looks a mnemonic up (`"N"` -> 1). `"[n]"` forms parse to code `n`.
    pub fn from_mnemonic(m: &str) -> Option<AnnotationCode> {
        if let Some(i) = MNEMONICS.iter().position(|&x| x == m) {
            return Some(AnnotationCode(i as u8));
        }
        m.strip_prefix('[')?
            .strip_suffix(']')?
            .parse()
            .ok()
            .map(AnnotationCode)
    }

    /// True for the beat labels (`N L R a V F J A S E j / Q e n f`, ...), as `isqrs()` in
    /// the WFDB library.
    pub fn is_beat(self) -> bool {
        matches!(self.0, 1..=13 | 25 | 30 | 34 | 35 | 38)
    }

    /// The AAMI EC57 class of a beat label: `N`, `S`, `V`, `F` or `Q`; `None` for non-beats.
    pub fn aami_class(self) -> Option<AamiClass> {
        Some(match self.0 {
            1..=3 | 11 | 34 | 25 => AamiClass::N, // N L R j e B
            4 | 7..=9 | 35 => AamiClass::S,       // a J A S n
            5 | 10 => AamiClass::V,               // V E
            6 => AamiClass::F,                    // F
            12 | 13 | 30 | 38 => AamiClass::Q,    // / Q ? f
            _ => return None,
        })
    }
}

impl fmt::Display for AnnotationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.mnemonic())
    }
}

/// The five AAMI EC57 beat classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AamiClass {
    /// Normal and bundle branch block beats, escape beats of supraventricular origin.
    N,
    /// Supraventricular ectopic beats (SVEB).
    S,
    /// Ventricular ectopic beats (VEB).
    V,
    /// Fusion of ventricular and normal beats.
    F,
    /// Paced, unclassifiable and fusion of paced and normal.
    Q,
}

impl AamiClass {
    /// The MIT code written for this class (`N`=1, `S`=9, `V`=5, `F`=6, `Q`=13).
    pub fn code(self) -> AnnotationCode {
        match self {
            AamiClass::N => AnnotationCode::NORMAL,
            AamiClass::S => AnnotationCode::SVPB,
            AamiClass::V => AnnotationCode::PVC,
            AamiClass::F => AnnotationCode::FUSION,
            AamiClass::Q => AnnotationCode::UNKNOWN,
        }
    }
}

/// One sample-anchored annotation, as in a WFDB annotation file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    /// Sample index (at the annotation set's frequency) the annotation refers to.
    pub sample: i64,
    /// Annotation code.
    pub code: AnnotationCode,
    /// Subtype (`subtyp`).
    pub sub: i8,
    /// Channel number (`chan`).
    pub chan: u8,
    /// Annotator number (`num`).
    pub num: i8,
    /// Auxiliary text (rhythm names such as `(AFIB`, comments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aux: Option<String>,
}

impl Annotation {
    /// A plain annotation with subtype, channel and number 0 and no aux text.
    pub fn new(sample: i64, code: AnnotationCode) -> Self {
        Annotation {
            sample,
            code,
            sub: 0,
            chan: 0,
            num: 0,
            aux: None,
        }
    }
}

/// Annotations from one annotator (a WFDB annotation file such as `.atr`, or an analysis).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnnotationSet {
    /// Annotator name (the WFDB file extension: `atr`, `qrs`, ...).
    pub annotator: String,
    /// Sampling frequency the sample indices refer to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fs: Option<f64>,
    /// The annotations, in file order.
    pub annotations: Vec<Annotation>,
}

/// A timed event with free text (EDF+ annotations, device event markers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Onset in seconds from the record start.
    pub onset_s: f64,
    /// Duration in seconds, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// The event text.
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mnemonics_round_trip() {
        for c in 0..=AnnotationCode::MAX {
            let code = AnnotationCode(c);
            assert_eq!(
                AnnotationCode::from_mnemonic(&code.mnemonic()),
                Some(code),
                "{c}"
            );
        }
        assert_eq!(AnnotationCode(5).mnemonic(), "V");
        assert_eq!(AnnotationCode(28).mnemonic(), "+");
        assert_eq!(AnnotationCode(60).mnemonic(), "[60]");
        assert_eq!(AnnotationCode::from_mnemonic("zz"), None);
    }

    #[test]
    fn aami_classes() {
        let class = |m: &str| AnnotationCode::from_mnemonic(m).unwrap().aami_class();
        assert_eq!(class("L"), Some(AamiClass::N));
        assert_eq!(class("A"), Some(AamiClass::S));
        assert_eq!(class("E"), Some(AamiClass::V));
        assert_eq!(class("F"), Some(AamiClass::F));
        assert_eq!(class("/"), Some(AamiClass::Q));
        assert_eq!(class("+"), None);
        assert!(AnnotationCode::NORMAL.is_beat() && !AnnotationCode::RHYTHM.is_beat());
        assert_eq!(AamiClass::S.code().mnemonic(), "S");
    }
}
