//! Where archive bytes come from: a file, shared bytes, or a forward-only stream, with a
//! meter counting the compressed bytes an engine has consumed (for the ratio limit).

use std::cell::Cell;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::rc::Rc;

use ecg_core::SharedBytes;

/// Bytes of a stream kept so the engines may rewind to the start after sniffing.
pub(crate) const STREAM_HEAD_BYTES: usize = 64 << 10;

/// An archive's bytes, ready for an engine.
pub(crate) enum ArchiveInput<'a> {
    /// A file on disk (read, never mapped, so walking a large archive keeps its pages out
    /// of this process's resident memory).
    File(File),
    /// Bytes in memory or mapped (also nested archives).
    Bytes(SharedBytes),
    /// A forward-only stream.
    Stream(RewindableStream<'a>),
}

impl<'a> ArchiveInput<'a> {
    /// A `Read + Seek` view counting consumed bytes into `meter`.
    pub(crate) fn into_reader(self, meter: Rc<Cell<u64>>) -> Metered<Box<dyn ReadSeek + 'a>> {
        let inner: Box<dyn ReadSeek + 'a> = match self {
            ArchiveInput::File(f) => Box::new(f),
            ArchiveInput::Bytes(b) => Box::new(Cursor::new(b)),
            ArchiveInput::Stream(s) => Box::new(s),
        };
        Metered { inner, meter }
    }
}

/// `Read + Seek`, object-safe.
pub(crate) trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// Counts bytes read through it.
pub(crate) struct Metered<R> {
    inner: R,
    meter: Rc<Cell<u64>>,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter.set(self.meter.get() + n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for Metered<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// A forward-only stream whose first [`STREAM_HEAD_BYTES`] are buffered, so engines can
/// sniff the head and seek back to the start as long as they have not read past it.
/// Any other seek fails, which makes libarchive fall back to its streaming readers.
pub(crate) struct RewindableStream<'a> {
    head: Vec<u8>,
    inner: Box<dyn Read + Send + 'a>,
    /// Logical read position.
    pos: u64,
    /// Bytes taken from `inner` so far (`head.len()` plus what was read past it).
    pulled: u64,
}

impl<'a> RewindableStream<'a> {
    /// Reads up to [`STREAM_HEAD_BYTES`] from `inner`.
    pub(crate) fn new(mut inner: Box<dyn Read + Send + 'a>) -> io::Result<Self> {
        let mut head = Vec::with_capacity(STREAM_HEAD_BYTES);
        (&mut inner)
            .take(STREAM_HEAD_BYTES as u64)
            .read_to_end(&mut head)?;
        let pulled = head.len() as u64;
        Ok(RewindableStream {
            head,
            inner,
            pos: 0,
            pulled,
        })
    }

    /// The buffered head.
    pub(crate) fn head(&self) -> &[u8] {
        &self.head
    }

    /// Reads the whole stream into memory, refusing more than `max` bytes.
    pub(crate) fn read_all(mut self, max: u64) -> io::Result<Result<Vec<u8>, u64>> {
        let mut all = std::mem::take(&mut self.head);
        let room = max.saturating_sub(all.len() as u64).saturating_add(1);
        (&mut self.inner).take(room).read_to_end(&mut all)?;
        if all.len() as u64 > max {
            return Ok(Err(all.len() as u64));
        }
        Ok(Ok(all))
    }
}

impl Read for RewindableStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let head_len = self.head.len() as u64;
        if self.pos < head_len {
            let start = self.pos as usize;
            let n = buf.len().min(self.head.len() - start);
            buf[..n].copy_from_slice(&self.head[start..start + n]);
            self.pos += n as u64;
            return Ok(n);
        }
        if self.pos != self.pulled {
            return Err(io::Error::other("stream position lost after a seek"));
        }
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        self.pulled += n as u64;
        Ok(n)
    }
}

impl Seek for RewindableStream<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(_) => None,
        };
        let head_len = self.head.len() as u64;
        match target {
            Some(t) if t == self.pos => Ok(t),
            Some(t) if t <= head_len && self.pulled == head_len => {
                self.pos = t;
                Ok(t)
            }
            _ => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "the upload is a forward-only stream",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewinds_within_head_only_before_reading_past_it() {
        let data: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        let mut s = RewindableStream::new(Box::new(Cursor::new(data.clone()))).unwrap();
        let mut four = [0u8; 4];
        s.read_exact(&mut four).unwrap();
        assert_eq!(s.seek(SeekFrom::Start(0)).unwrap(), 0);
        assert!(s.seek(SeekFrom::End(-22)).is_err());
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        assert_eq!(all, data);
        assert!(s.seek(SeekFrom::Start(0)).is_err());
        assert_eq!(s.stream_position().unwrap(), 200_000);
    }

    #[test]
    fn read_all_is_bounded() {
        let s = RewindableStream::new(Box::new(Cursor::new(vec![7u8; 100_000]))).unwrap();
        assert_eq!(s.read_all(99_999).unwrap(), Err(100_000));
        let s = RewindableStream::new(Box::new(Cursor::new(vec![7u8; 100_000]))).unwrap();
        assert_eq!(s.read_all(100_000).unwrap().unwrap().len(), 100_000);
    }
}
