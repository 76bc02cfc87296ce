//! [`Budget`]: the caller's [`Limits`] applied while an upload is walked.
//!
//! Every engine reports each entry's declared sizes (when the archive states them) before
//! decompressing, then every decompressed chunk as it arrives, so a bound is enforced the
//! moment it is crossed: a zip bomb stops after at most one chunk past the limit.

use ecg_core::Limits;

use crate::error::{ArchiveError, LimitKind};

/// Limits accounting for one upload (nested archives included).
#[derive(Debug)]
pub(crate) struct Budget {
    limits: Limits,
    archive: String,
    entries: u64,
    total_out: u64,
    entry: Option<EntryMeter>,
}

#[derive(Debug)]
struct EntryMeter {
    name: String,
    out: u64,
    in_start: u64,
    /// Compressed size stated by the archive, used when the engine cannot meter input.
    declared_in: Option<u64>,
}

impl Budget {
    pub(crate) fn new(archive: &str, limits: Limits) -> Self {
        Budget {
            limits,
            archive: archive.to_owned(),
            entries: 0,
            total_out: 0,
            entry: None,
        }
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    pub(crate) fn archive(&self) -> &str {
        &self.archive
    }

    fn exceeded(
        &self,
        entry: Option<&str>,
        kind: LimitKind,
        value: u64,
        limit: u64,
        declared: bool,
    ) -> ArchiveError {
        ArchiveError::LimitExceeded {
            archive: self.archive.clone(),
            entry: entry.map(str::to_owned),
            kind,
            value,
            limit,
            declared,
        }
    }

    /// Checks the entry count of an archive whose directory states it up front.
    pub(crate) fn check_declared_count(&self, count: u64) -> Result<(), ArchiveError> {
        let limit = self.limits.max_entries;
        let total = self.entries.saturating_add(count);
        if total > limit {
            return Err(self.exceeded(None, LimitKind::Entries, total, limit, true));
        }
        Ok(())
    }

    /// Checks sizes an archive's directory states for one entry, before decompressing.
    pub(crate) fn check_declared(
        &self,
        name: &str,
        size: u64,
        compressed: Option<u64>,
    ) -> Result<(), ArchiveError> {
        let l = &self.limits;
        if size > l.max_entry_bytes {
            return Err(self.exceeded(
                Some(name),
                LimitKind::EntryBytes,
                size,
                l.max_entry_bytes,
                true,
            ));
        }
        let total = self.total_out.saturating_add(size);
        if total > l.max_total_bytes {
            return Err(self.exceeded(
                Some(name),
                LimitKind::TotalBytes,
                total,
                l.max_total_bytes,
                true,
            ));
        }
        if let Some(c) = compressed
            && size > l.ratio_threshold_bytes
        {
            let ratio = size / c.max(1);
            if ratio > l.max_ratio {
                return Err(self.exceeded(Some(name), LimitKind::Ratio, ratio, l.max_ratio, true));
            }
        }
        Ok(())
    }

    /// Starts an entry (counted against `max_entries`). `consumed_in` is the number of
    /// compressed bytes the engine has read so far, when it can tell.
    pub(crate) fn begin_entry(
        &mut self,
        name: &str,
        consumed_in: u64,
        declared_in: Option<u64>,
    ) -> Result<(), ArchiveError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(self.exceeded(
                Some(name),
                LimitKind::Entries,
                self.entries,
                self.limits.max_entries,
                false,
            ));
        }
        self.entry = Some(EntryMeter {
            name: name.to_owned(),
            out: 0,
            in_start: consumed_in,
            declared_in,
        });
        Ok(())
    }

    /// Accounts `n` decompressed bytes of the current entry. `consumed_in` is the
    /// engine's compressed-input position, when it can tell.
    pub(crate) fn add(&mut self, n: u64, consumed_in: Option<u64>) -> Result<(), ArchiveError> {
        let l = self.limits;
        self.total_out = self.total_out.saturating_add(n);
        let Some(e) = self.entry.as_mut() else {
            return Ok(());
        };
        e.out = e.out.saturating_add(n);
        let (out, name) = (e.out, e.name.clone());
        let input = match consumed_in {
            Some(c) => Some(c.saturating_sub(e.in_start)),
            None => e.declared_in,
        };
        if out > l.max_entry_bytes {
            return Err(self.exceeded(
                Some(&name),
                LimitKind::EntryBytes,
                out,
                l.max_entry_bytes,
                false,
            ));
        }
        if self.total_out > l.max_total_bytes {
            return Err(self.exceeded(
                Some(&name),
                LimitKind::TotalBytes,
                self.total_out,
                l.max_total_bytes,
                false,
            ));
        }
        if out > l.ratio_threshold_bytes
            && let Some(input) = input
        {
            let ratio = out / input.max(1);
            if ratio > l.max_ratio {
                return Err(self.exceeded(
                    Some(&name),
                    LimitKind::Ratio,
                    ratio,
                    l.max_ratio,
                    false,
                ));
            }
        }
        Ok(())
    }

    /// Ends the current entry.
    pub(crate) fn end_entry(&mut self) {
        self.entry = None;
    }

    /// Entries seen so far.
    pub(crate) fn entries(&self) -> u64 {
        self.entries
    }

    /// Uncompressed bytes so far.
    pub(crate) fn total_out(&self) -> u64 {
        self.total_out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Limits {
        Limits {
            max_total_bytes: 1000,
            max_entry_bytes: 600,
            max_entries: 3,
            max_ratio: 10,
            ratio_threshold_bytes: 100,
            ..Limits::default()
        }
    }

    #[test]
    fn entry_count_and_sizes() {
        let mut b = Budget::new("a.zip", small());
        for i in 0..3 {
            b.begin_entry(&format!("e{i}"), 0, None).unwrap();
            b.add(300, None).unwrap();
            b.end_entry();
        }
        assert_eq!(b.total_out(), 900);
        let err = b.begin_entry("e3", 0, None).unwrap_err();
        assert!(
            matches!(
                err,
                ArchiveError::LimitExceeded {
                    kind: LimitKind::Entries,
                    value: 4,
                    ..
                }
            ),
            "{err}"
        );
        let mut b = Budget::new("a.zip", small());
        b.begin_entry("big", 0, None).unwrap();
        let err = b.add(601, None).unwrap_err();
        assert!(
            matches!(
                err,
                ArchiveError::LimitExceeded {
                    kind: LimitKind::EntryBytes,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("entry big"), "{err}");
    }

    #[test]
    fn ratio_measured_and_declared() {
        let mut b = Budget::new("a.zip", small());
        b.begin_entry("z", 50, None).unwrap();
        b.add(100, Some(60)).unwrap(); // at threshold: not checked
        let err = b.add(10, Some(60)).unwrap_err(); // 110 / 10 = 11 > 10
        assert!(
            matches!(
                err,
                ArchiveError::LimitExceeded {
                    kind: LimitKind::Ratio,
                    value: 11,
                    declared: false,
                    ..
                }
            ),
            "{err}"
        );
        let b = Budget::new("a.zip", small());
        assert!(b.check_declared("z", 500, Some(100)).is_ok());
        let err = b.check_declared("z", 500, Some(10)).unwrap_err();
        assert!(
            matches!(
                err,
                ArchiveError::LimitExceeded {
                    kind: LimitKind::Ratio,
                    value: 50,
                    declared: true,
                    ..
                }
            ),
            "{err}"
        );
        assert!(b.check_declared_count(4).is_err());
    }
}
