//! [`FilePool`]: where a record's files come from (a directory, an archive's directory
//! group, or any name -> bytes map).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use ecg_core::SharedBytes;

/// The files of one directory: a WFDB header resolves its signal files, segment headers
/// and annotation files by name in its pool only.
pub trait FilePool {
    /// The contents of the file with this name (no directory part), if present.
    fn get(&self, name: &str) -> Option<SharedBytes>;
    /// The names of all files in the pool (used to find annotation files).
    fn names(&self) -> Vec<String>;
}

impl FilePool for HashMap<String, SharedBytes> {
    fn get(&self, name: &str) -> Option<SharedBytes> {
        HashMap::get(self, name).cloned()
    }
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.keys().cloned().collect();
        names.sort();
        names
    }
}

impl FilePool for BTreeMap<String, SharedBytes> {
    fn get(&self, name: &str) -> Option<SharedBytes> {
        BTreeMap::get(self, name).cloned()
    }
    fn names(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }
}

/// The files of a directory on disk, memory-mapped when asked for (so a 7-day signal file
/// is never read whole just to decode a window of it).
#[derive(Clone, Debug)]
pub struct DirPool {
    dir: PathBuf,
}

impl DirPool {
    /// A pool over the files of `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        DirPool { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// True when `name` is a plain file name (no directory part, not `.` or `..`).
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains('/')
        && !name.contains('\\')
        && !name.contains('\0')
}

impl FilePool for DirPool {
    fn get(&self, name: &str) -> Option<SharedBytes> {
        if !is_plain_name(name) {
            return None;
        }
        let path = self.dir.join(name);
        if !path.is_file() {
            return None;
        }
        SharedBytes::map_file(&path).ok()
    }

    fn names(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        names
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn maps_pool_and_dir_pool_agree() {
        let dir = std::env::temp_dir().join(format!("ecg-wfdb-pool-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.hea"), b"a 0\n").unwrap();
        std::fs::write(dir.join("b.dat"), [1u8, 2]).unwrap();
        let pool = DirPool::new(&dir);
        assert_eq!(pool.names(), vec!["a.hea", "b.dat"]);
        assert_eq!(&*pool.get("b.dat").unwrap(), &[1, 2]);
        assert!(pool.get("missing").is_none());
        assert!(pool.get("../etc/passwd").is_none());
        let mut map = HashMap::new();
        map.insert("b.dat".to_string(), SharedBytes::from_vec(vec![1, 2]));
        assert_eq!(&*FilePool::get(&map, "b.dat").unwrap(), &[1, 2]);
        assert_eq!(FilePool::names(&map), vec!["b.dat"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
