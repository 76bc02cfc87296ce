//! WFDB grouping: archive entries grouped by directory; every header of a group is one
//! record whose signal files come from that group's pool only.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

use ecg_core::SharedBytes;

/// The directory part of an entry name (everything before the last `/`), and the base.
pub(crate) fn split_dir(name: &str) -> (&str, &str) {
    match name.rfind('/') {
        Some(i) => (&name[..i], &name[i + 1..]),
        None => ("", name),
    }
}

/// True for a `.hea` name (case-insensitive), the WFDB header extension.
pub(crate) fn has_header_extension(name: &str) -> bool {
    let (_, base) = split_dir(name);
    let b = base.as_bytes();
    b.len() > 4 && b[b.len() - 4..].eq_ignore_ascii_case(b".hea")
}

/// The files of one directory of the upload, by base name, remembering which ones a
/// decoder fetched (so unused files can be listed as skipped).
#[derive(Debug, Default)]
pub struct GroupPool {
    files: HashMap<String, SharedBytes>,
    used: Mutex<HashSet<String>>,
}

impl GroupPool {
    /// Adds a file; `false` when the name is already taken (the first one is kept).
    pub(crate) fn insert(&mut self, base: &str, data: SharedBytes) -> bool {
        if self.files.contains_key(base) {
            return false;
        }
        self.files.insert(base.to_owned(), data);
        true
    }

    /// A file by base name, marking it used.
    pub fn get(&self, name: &str) -> Option<SharedBytes> {
        let data = self.files.get(name)?.clone();
        if let Ok(mut used) = self.used.lock() {
            used.insert(name.to_owned());
        }
        Some(data)
    }

    /// A file by base name, without marking it used.
    pub(crate) fn peek(&self, name: &str) -> Option<SharedBytes> {
        self.files.get(name).cloned()
    }

    /// Every base name in the pool, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.files.keys().cloned().collect();
        v.sort();
        v
    }

    /// True when a decoder fetched `name`.
    pub(crate) fn was_used(&self, name: &str) -> bool {
        self.used.lock().map(|u| u.contains(name)).unwrap_or(false)
    }

    /// Marks a file used (a header decoded as part of another header's record).
    pub(crate) fn mark_used(&self, name: &str) {
        if let Ok(mut used) = self.used.lock() {
            used.insert(name.to_owned());
        }
    }
}

impl ecg_wfdb::FilePool for GroupPool {
    fn get(&self, name: &str) -> Option<SharedBytes> {
        GroupPool::get(self, name)
    }
    fn names(&self) -> Vec<String> {
        GroupPool::names(self)
    }
}

/// Decodes the WFDB record of header `header` (base name) from a group's pool.
pub(crate) fn decode_wfdb(
    header: &str,
    pool: &GroupPool,
    opts: &ecg_core::DecodeOptions,
) -> Result<ecg_core::Record, crate::FormatError> {
    Ok(ecg_wfdb::decode_record(header, pool, opts)?)
}

/// One directory of the upload: its pool and its headers in entry order.
#[derive(Debug, Default)]
pub(crate) struct Group {
    pub(crate) dir: String,
    pub(crate) pool: GroupPool,
    /// `(entry index, base name)` of each WFDB header, in entry order.
    pub(crate) headers: Vec<(usize, String)>,
}

/// All groups of an upload, in order of first appearance.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    pub(crate) groups: Vec<Group>,
    index: HashMap<String, usize>,
}

impl Groups {
    /// The group of a directory, created on first use.
    pub(crate) fn group_mut(&mut self, dir: &str) -> &mut Group {
        let next = self.groups.len();
        let i = *self.index.entry(dir.to_owned()).or_insert(next);
        if i == next {
            self.groups.push(Group {
                dir: dir.to_owned(),
                ..Group::default()
            });
        }
        &mut self.groups[i]
    }

    /// The group of a directory, if any entry was in it.
    pub(crate) fn group(&self, dir: &str) -> Option<&Group> {
        self.index.get(dir).map(|&i| &self.groups[i])
    }
}

/// The record names a multi-segment master header lists as its segments (`~` null
/// segments excluded); `None` for an ordinary header. Only the structure is read here
/// (the decoder parses the header in full): first non-comment line `name/nseg ...`, then
/// one line per segment whose first field is the segment's record name.
pub(crate) fn segment_names(header: &[u8]) -> Option<Vec<String>> {
    let text = String::from_utf8_lossy(header);
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let first = lines.next()?;
    let record = first.split_whitespace().next()?;
    let (_, nseg) = record.split_once('/')?;
    let nseg: usize = nseg.parse().ok()?;
    let names: BTreeSet<String> = lines
        .take(nseg)
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "~")
        .map(str::to_owned)
        .collect();
    Some(names.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs_and_extensions() {
        assert_eq!(split_dir("rec_a/100.hea"), ("rec_a", "100.hea"));
        assert_eq!(split_dir("a/b/c.dat"), ("a/b", "c.dat"));
        assert_eq!(split_dir("x.dat"), ("", "x.dat"));
        assert!(has_header_extension("a/100.HEA"));
        assert!(!has_header_extension("a/.hea"));
        assert!(!has_header_extension("100.dat"));
        assert!(!has_header_extension("x\u{e087}ea"));
        assert!(has_header_extension("\u{e087}.hea"));
    }

    #[test]
    fn groups_stay_independent_and_pools_track_use() {
        let mut g = Groups::default();
        assert!(
            g.group_mut("a")
                .pool
                .insert("100.dat", SharedBytes::from_vec(vec![1]))
        );
        assert!(
            g.group_mut("b")
                .pool
                .insert("100.dat", SharedBytes::from_vec(vec![2]))
        );
        assert!(
            !g.group_mut("a")
                .pool
                .insert("100.dat", SharedBytes::from_vec(vec![3]))
        );
        assert_eq!(g.groups.len(), 2);
        let a = g.group("a").unwrap();
        assert_eq!(&*a.pool.get("100.dat").unwrap(), &[1]);
        assert!(a.pool.was_used("100.dat"));
        assert!(!g.group("b").unwrap().pool.was_used("100.dat"));
        assert_eq!(&*g.group("b").unwrap().pool.get("100.dat").unwrap(), &[2]);
    }

    #[test]
    fn multi_segment_headers() {
        let master = b"# comment\nmulti/3 2 360 45000\n100s 21600\nnull 1800\n~ 100\n100s 21600\n";
        assert_eq!(
            segment_names(master).unwrap(),
            vec!["100s".to_owned(), "null".to_owned()]
        );
        assert_eq!(
            segment_names(b"100 2 360 650000\n100.dat 212 200 11 1024 995 -22131 0 MLII\n"),
            None
        );
    }
}
