//! [`SharedBytes`]: cheaply clonable, immutable file contents (owned or memory-mapped).

use std::fmt;
use std::ops::{Deref, Range};
use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};

enum Backing {
    Owned(Vec<u8>),
    Static(&'static [u8]),
    Mapped(memmap2::Mmap),
}

impl Backing {
    fn bytes(&self) -> &[u8] {
        match self {
            Backing::Owned(v) => v,
            Backing::Static(s) => s,
            Backing::Mapped(m) => m,
        }
    }
}

/// Immutable bytes shared by reference count: a buffer, a static slice or a read-only
/// memory map, plus a sub-range of it. Decoders keep a clone to read sample windows
/// lazily, so a 7-day file is never copied whole.
#[derive(Clone)]
pub struct SharedBytes {
    backing: Arc<Backing>,
    range: Range<usize>,
}

impl SharedBytes {
    /// Takes ownership of a buffer.
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        let len = bytes.len();
        SharedBytes {
            backing: Arc::new(Backing::Owned(bytes)),
            range: 0..len,
        }
    }

    /// Wraps a static slice (test fixtures, `include_bytes!`).
    pub fn from_static(bytes: &'static [u8]) -> Self {
        SharedBytes {
            backing: Arc::new(Backing::Static(bytes)),
            range: 0..bytes.len(),
        }
    }

    /// Maps a file read-only. Empty files give empty bytes.
    pub fn map_file(path: &Path) -> Result<Self> {
        let io = |source| Error::Io {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len == 0 {
            return Ok(SharedBytes::from_vec(Vec::new()));
        }
        // SAFETY: the map is read-only and private to this process. Like every reader of
        // memory-mapped files we rely on the file not being truncated or rewritten while it
        // is mapped; the server and CLI only map files they own (uploads are immutable once
        // stored) and document this for library users.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        let len = map.len();
        Ok(SharedBytes {
            backing: Arc::new(Backing::Mapped(map)),
            range: 0..len,
        })
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.range.len()
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.backing.bytes()[self.range.clone()]
    }

    /// A sub-range sharing the same backing, or `None` when it is out of bounds.
    pub fn slice(&self, range: Range<usize>) -> Option<SharedBytes> {
        if range.start > range.end || range.end > self.len() {
            return None;
        }
        let start = self.range.start + range.start;
        Some(SharedBytes {
            backing: Arc::clone(&self.backing),
            range: start..start + range.len(),
        })
    }

    /// True when the bytes come from a memory map.
    pub fn is_mapped(&self) -> bool {
        matches!(*self.backing, Backing::Mapped(_))
    }
}

impl Deref for SharedBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl From<Vec<u8>> for SharedBytes {
    fn from(v: Vec<u8>) -> Self {
        SharedBytes::from_vec(v)
    }
}

impl fmt::Debug for SharedBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedBytes")
            .field("len", &self.len())
            .field("mapped", &self.is_mapped())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_share_and_bound_check() {
        let b = SharedBytes::from_vec((0u8..10).collect());
        let s = b.slice(2..6).unwrap();
        assert_eq!(&*s, &[2, 3, 4, 5]);
        assert_eq!(&*s.slice(1..3).unwrap(), &[3, 4]);
        assert!(s.slice(3..5).is_none());
        #[allow(clippy::reversed_empty_ranges)]
        let bad = b.slice(5..4);
        assert!(bad.is_none());
    }

    #[test]
    fn maps_files_including_empty_ones() {
        let dir = std::env::temp_dir().join(format!("ecg-core-bytes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.bin");
        std::fs::write(&p, [1u8, 2, 3]).unwrap();
        let m = SharedBytes::map_file(&p).unwrap();
        assert!(m.is_mapped());
        assert_eq!(&*m, &[1, 2, 3]);
        let e = dir.join("empty.bin");
        std::fs::write(&e, []).unwrap();
        assert!(SharedBytes::map_file(&e).unwrap().is_empty());
        let missing = SharedBytes::map_file(&dir.join("missing")).unwrap_err();
        assert!(missing.to_string().contains("missing"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
