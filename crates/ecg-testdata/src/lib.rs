//! Where the workspace's tests find their data.
//!
//! The shared test data (`../shared/testdata/` next to the repository: PhysioNet samples,
//! EDF, SCP-ECG, archives, each folder with its `REFERENCE.json`) and every file below a
//! folder, in a stable order. The decoders' tests use this to check that a detector claims
//! its own files and no other format's.
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("ecg-testdata-doc-{}", std::process::id()));
//! std::fs::create_dir_all(dir.join("sub"))?;
//! std::fs::write(dir.join("sub/b.bin"), b"b")?;
//! std::fs::write(dir.join("a.bin"), b"a")?;
//! let files = ecg_testdata::files_below(&dir)?;
//! assert_eq!(files, [dir.join("a.bin"), dir.join("sub/b.bin")]);
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::path::{Path, PathBuf};

/// The shared test data folder, `../shared/testdata` next to the repository (the layout CI
/// keeps). It may be missing on a machine without it; [`files_below`] then fails, so a
/// test that needs it fails instead of passing on nothing.
pub fn shared_testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata")
}

/// The repository's own `testdata/` folder (small fixtures written for the tests).
pub fn repo_testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Every regular file below `dir`, in subfolders too, sorted by path. Symbolic links are
/// followed like `std::fs::metadata` does.
pub fn files_below(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_test_data_is_listed() -> io::Result<()> {
        let files = files_below(&shared_testdata())?;
        assert!(files.len() > 300, "{} files", files.len());
        assert!(files.iter().any(|f| f.ends_with("wfdb/100.hea")));
        assert!(files.windows(2).all(|w| w[0] < w[1]));
        Ok(())
    }

    #[test]
    fn a_missing_folder_is_an_error() {
        assert!(files_below(Path::new("/nonexistent/ecg-testdata")).is_err());
    }
}
