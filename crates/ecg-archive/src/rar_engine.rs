//! RAR 4.x and 5.0 through the official UnRAR library (`unrar_sys`, which builds the
//! UnRAR source).
//!
//! Debian's libarchive 3.6.2 fails RAR 4 solid archives and some RAR 4 PPMd/LZSS files
//! (CRC errors fixed upstream later), so every RAR goes to UnRAR, the reference decoder.
//! UnRAR opens archives by path: a RAR given as bytes (an upload in memory or a RAR
//! inside another archive) is placed in an anonymous in-memory file (`memfd`), never on
//! disk. Multi-volume sets work when the first volume is given as a path and the other
//! volumes sit beside it.
//!
//! Data arrives through UnRAR's callback in chunks; the callback stops decompression
//! (returns -1) the moment the entry would pass the per-entry or total byte limit.

use std::ffi::CString;
use std::fs::File;
use std::io::Write;
use std::os::raw::c_int;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

use ecg_core::SharedBytes;
use unrar_sys as ffi;

use crate::budget::Budget;
use crate::error::{ArchiveError, Engine, LimitKind};
use crate::walk::{EntryKind, RawEntry, Sink, WalkError};

/// Where UnRAR reads the archive from.
pub(crate) enum RarInput {
    /// A file on disk (volumes of a set are found beside it).
    Path(PathBuf),
    /// Bytes in memory.
    Bytes(SharedBytes),
}

/// An anonymous in-memory file holding a copy of the archive, reachable by path.
struct MemFile {
    _file: File,
    path: PathBuf,
}

#[cfg(target_os = "linux")]
fn mem_file(data: &[u8]) -> std::io::Result<MemFile> {
    use std::os::fd::FromRawFd;
    // SAFETY: memfd_create receives a valid NUL-terminated name and returns a new file
    // descriptor (or -1). A non-negative descriptor is owned by nobody else, so handing
    // it to `File` (which closes it on drop) is sound.
    let fd = unsafe { libc::memfd_create(c"ecg-archive-rar".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: see above; `fd` is a fresh descriptor owned by this function.
    let mut file = unsafe { File::from_raw_fd(fd) };
    file.write_all(data)?;
    Ok(MemFile {
        path: PathBuf::from(format!("/proc/self/fd/{fd}")),
        _file: file,
    })
}

#[cfg(not(target_os = "linux"))]
fn mem_file(_data: &[u8]) -> std::io::Result<MemFile> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "RAR archives held in memory need Linux memfd; pass a path",
    ))
}

/// An open UnRAR handle, closed on drop.
struct Handle(NonNull<ffi::Handle>);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from RAROpenArchiveEx and is closed exactly once.
        unsafe {
            ffi::RARCloseArchive(self.0.as_ptr());
        }
    }
}

/// What the callback collects for the entry being processed.
struct CallbackState {
    data: Vec<u8>,
    /// Bytes the entry may still grow to.
    room: u64,
    exceeded: bool,
    needs_password: bool,
    missing_volume: Option<String>,
}

fn wide_to_string(w: &[ffi::WCHAR]) -> String {
    w.iter()
        .take_while(|&&c| c != 0)
        .map(|&c| char::from_u32(c as u32).unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

extern "C" fn callback(
    msg: ffi::UINT,
    user: ffi::LPARAM,
    p1: ffi::LPARAM,
    p2: ffi::LPARAM,
) -> c_int {
    if user == 0 {
        return -1;
    }
    // SAFETY: `user` is the address of the `CallbackState` that `process` keeps alive
    // (and does not otherwise touch) for the duration of the RARProcessFileW call.
    let state = unsafe { &mut *(user as *mut CallbackState) };
    match msg {
        ffi::UCM_PROCESSDATA => {
            let Ok(len) = usize::try_from(p2) else {
                return -1;
            };
            if p1 == 0 || len == 0 {
                return 1;
            }
            if len as u64 > state.room {
                state.exceeded = true;
                return -1;
            }
            if state.data.try_reserve(len).is_err() {
                state.exceeded = true;
                return -1;
            }
            // SAFETY: UnRAR passes a buffer of `p2` bytes at `p1`, valid during the call.
            let chunk = unsafe { std::slice::from_raw_parts(p1 as *const u8, len) };
            state.data.extend_from_slice(chunk);
            state.room -= len as u64;
            1
        }
        ffi::UCM_NEEDPASSWORD | ffi::UCM_NEEDPASSWORDW => {
            state.needs_password = true;
            -1
        }
        ffi::UCM_CHANGEVOLUME | ffi::UCM_CHANGEVOLUMEW if p2 == ffi::RAR_VOL_ASK => {
            {
                // the next volume does not exist
                if msg == ffi::UCM_CHANGEVOLUMEW && p1 != 0 {
                    // SAFETY: UnRAR passes a NUL-terminated wide string of at most 2048
                    // characters (its path buffer size).
                    let w = unsafe { std::slice::from_raw_parts(p1 as *const ffi::WCHAR, 2048) };
                    state.missing_volume = Some(wide_to_string(w));
                } else {
                    state.missing_volume = Some(String::new());
                }
                -1
            }
        }
        _ => 1,
    }
}

fn code_error(archive: &str, entry: Option<&str>, code: c_int, what: &str) -> ArchiveError {
    let archive = archive.to_owned();
    let entry = entry.map(str::to_owned);
    let message = |m: &str| format!("{what}: {m} (UnRAR code {code})");
    match code {
        ffi::ERAR_MISSING_PASSWORD | ffi::ERAR_BAD_PASSWORD => {
            ArchiveError::Encrypted { archive, entry }
        }
        ffi::ERAR_EREAD | ffi::ERAR_EOPEN => ArchiveError::Truncated {
            archive,
            entry,
            engine: Engine::Unrar,
            message: message("read error or missing data"),
        },
        ffi::ERAR_BAD_DATA => ArchiveError::Corrupt {
            archive,
            entry,
            engine: Engine::Unrar,
            message: message("CRC or data error"),
        },
        ffi::ERAR_UNKNOWN_FORMAT => ArchiveError::Unsupported {
            archive,
            entry,
            message: message("unknown RAR format"),
        },
        ffi::ERAR_NO_MEMORY => ArchiveError::Unsupported {
            archive,
            entry,
            message: message("not enough memory (dictionary too large)"),
        },
        _ => ArchiveError::Corrupt {
            archive,
            entry,
            engine: Engine::Unrar,
            message: message("bad archive"),
        },
    }
}

fn open(path: &Path, archive: &str, state: &mut CallbackState) -> Result<Handle, ArchiveError> {
    use std::os::unix::ffi::OsStrExt;
    let cpath =
        CString::new(path.as_os_str().as_bytes()).map_err(|_| ArchiveError::Unsupported {
            archive: archive.to_owned(),
            entry: None,
            message: "path contains a NUL byte".into(),
        })?;
    let mut data = ffi::OpenArchiveDataEx {
        archive_name: cpath.as_ptr(),
        archive_name_w: std::ptr::null(),
        open_mode: ffi::RAR_OM_EXTRACT,
        open_result: 0,
        comment_buffer: std::ptr::null_mut(),
        comment_buffer_size: 0,
        comment_size: 0,
        comment_state: 0,
        flags: 0,
        callback: Some(callback),
        user_data: state as *mut CallbackState as ffi::LPARAM,
        op_flags: 0,
        comment_buffer_w: std::ptr::null_mut(),
        reserved: [0; 25],
    };
    // SAFETY: `data` is fully initialised; `cpath` and `state` outlive the call.
    let raw = unsafe { ffi::RAROpenArchiveEx(std::ptr::addr_of_mut!(data)) };
    let handle = NonNull::new(raw as *mut ffi::Handle).map(Handle);
    let result = data.open_result as c_int;
    if state.needs_password || data.flags & ffi::ROADF_ENCHEADERS != 0 && result != 0 {
        return Err(ArchiveError::Encrypted {
            archive: archive.to_owned(),
            entry: None,
        });
    }
    match handle {
        Some(h) if result == ffi::ERAR_SUCCESS => Ok(h),
        _ => Err(code_error(archive, None, result, "opening")),
    }
}

/// Walks a RAR archive entry by entry.
pub(crate) fn walk(
    input: RarInput,
    budget: &mut Budget,
    sink: &mut Sink<'_>,
) -> Result<(), WalkError> {
    let archive = budget.archive().to_owned();
    let mem;
    let path: &Path = match &input {
        RarInput::Path(p) => p,
        RarInput::Bytes(b) => {
            mem = mem_file(b).map_err(|e| ArchiveError::io(&archive, e))?;
            &mem.path
        }
    };
    let mut state = Box::new(CallbackState {
        data: Vec::new(),
        room: 0,
        exceeded: false,
        needs_password: false,
        missing_volume: None,
    });
    let handle = open(path, &archive, &mut state)?;
    let mut header: Box<ffi::HeaderDataEx> = Box::default();
    loop {
        let state_ptr = &mut *state as *mut CallbackState as ffi::LPARAM;
        // SAFETY: the handle is open; `state` lives in a Box that outlives the handle's
        // use in this loop and is only accessed through the callback during UnRAR calls.
        unsafe { ffi::RARSetCallback(handle.0.as_ptr(), Some(callback), state_ptr) };
        // SAFETY: `header` is a valid, writable HeaderDataEx (redir_name is null, so
        // UnRAR does not write a link target).
        let code =
            unsafe { ffi::RARReadHeaderEx(handle.0.as_ptr(), std::ptr::addr_of_mut!(*header)) };
        if code == ffi::ERAR_END_ARCHIVE {
            break;
        }
        if code != ffi::ERAR_SUCCESS {
            if state.needs_password {
                return Err(ArchiveError::Encrypted {
                    archive,
                    entry: None,
                }
                .into());
            }
            return Err(code_error(&archive, None, code, "reading a header").into());
        }
        let name = {
            let w = wide_to_string(&header.filename_w);
            if w.is_empty() {
                let bytes: Vec<u8> = header
                    .filename
                    .iter()
                    .take_while(|&&c| c != 0)
                    .map(|&c| c as u8)
                    .collect();
                String::from_utf8_lossy(&bytes).into_owned()
            } else {
                w
            }
        };
        let flags = header.flags;
        if flags & ffi::RHDF_ENCRYPTED != 0 {
            return Err(ArchiveError::Encrypted {
                archive,
                entry: Some(name),
            }
            .into());
        }
        let unpacked = u64::from(header.unp_size) | (u64::from(header.unp_size_high) << 32);
        let packed = u64::from(header.pack_size) | (u64::from(header.pack_size_high) << 32);
        let is_unix_link = header.host_os == 3 && header.file_attr & 0o170_000 == 0o120_000;
        let kind = if flags & ffi::RHDF_DIRECTORY != 0 {
            EntryKind::Directory
        } else if header.redir_type != 0 || is_unix_link {
            EntryKind::Symlink
        } else {
            EntryKind::File
        };
        budget.begin_entry(&name, 0, None)?;
        let mut data = Vec::new();
        if kind == EntryKind::File {
            let plain =
                flags & (ffi::RHDF_SOLID | ffi::RHDF_SPLITAFTER | ffi::RHDF_SPLITBEFORE) == 0;
            budget.check_declared(&name, unpacked, plain.then_some(packed))?;
            let limits = budget.limits();
            state.room = limits
                .max_entry_bytes
                .min(limits.max_total_bytes.saturating_sub(budget.total_out()));
            state.data = Vec::with_capacity(unpacked.min(state.room).min(256 << 20) as usize);
            state.exceeded = false;
            // SAFETY: open handle, positioned after a header; null paths are allowed in
            // RAR_TEST mode (data goes to the callback only).
            let code = unsafe {
                ffi::RARProcessFileW(
                    handle.0.as_ptr(),
                    ffi::RAR_TEST,
                    std::ptr::null(),
                    std::ptr::null(),
                )
            };
            data = std::mem::take(&mut state.data);
            if state.exceeded {
                let kind = if budget.limits().max_entry_bytes
                    <= budget
                        .limits()
                        .max_total_bytes
                        .saturating_sub(budget.total_out())
                {
                    LimitKind::EntryBytes
                } else {
                    LimitKind::TotalBytes
                };
                return Err(ArchiveError::LimitExceeded {
                    archive,
                    entry: Some(name),
                    kind,
                    value: data.len() as u64 + 1,
                    limit: state.room + data.len() as u64,
                    declared: false,
                }
                .into());
            }
            if state.needs_password {
                return Err(ArchiveError::Encrypted {
                    archive,
                    entry: Some(name),
                }
                .into());
            }
            if let Some(volume) = state.missing_volume.take() {
                return Err(ArchiveError::Truncated {
                    archive,
                    entry: Some(name),
                    engine: Engine::Unrar,
                    message: format!("the next volume is missing {volume}"),
                }
                .into());
            }
            if code != ffi::ERAR_SUCCESS {
                return Err(code_error(&archive, Some(&name), code, "extracting").into());
            }
            budget.add(data.len() as u64, None)?;
        } else {
            // SAFETY: as above, skipping the entry's data.
            let code = unsafe {
                ffi::RARProcessFileW(
                    handle.0.as_ptr(),
                    ffi::RAR_SKIP,
                    std::ptr::null(),
                    std::ptr::null(),
                )
            };
            if code != ffi::ERAR_SUCCESS {
                return Err(code_error(&archive, Some(&name), code, "skipping").into());
            }
        }
        budget.end_entry();
        sink(RawEntry { name, kind, data }, budget)?;
    }
    drop(handle);
    Ok(())
}
