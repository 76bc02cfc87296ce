//! [`IoRuntime`]: a small tokio runtime owned by a storage backend whose client library is
//! asynchronous (PostgreSQL, S3), so that the storage traits stay synchronous.
//!
//! The traits are called from actix-web handlers (threads that already run an async
//! executor, where `Runtime::block_on` would panic), from `web::block` threads and from
//! the worker threads. [`IoRuntime::run`] works from all of them: the future runs on the
//! backend's own threads and the caller's thread waits on a plain channel, exactly as it
//! waits on a SQLite call or a file read in the embedded backends.

use std::future::Future;

/// A multi-threaded tokio runtime dedicated to one backend's network I/O.
pub struct IoRuntime {
    rt: Option<tokio::runtime::Runtime>,
}

/// The background task ended without an answer (it panicked, or the runtime is shutting
/// down).
#[derive(Debug, thiserror::Error)]
#[error("{0}: the background I/O task ended without a result")]
pub struct TaskLost(pub &'static str);

impl IoRuntime {
    /// Starts a runtime with `threads` worker threads named `name-N`.
    pub fn new(name: &'static str, threads: usize) -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name(name)
            .enable_all()
            .build()?;
        Ok(IoRuntime { rt: Some(rt) })
    }

    /// The runtime's handle (to spawn background tasks).
    pub fn handle(&self) -> &tokio::runtime::Handle {
        match &self.rt {
            Some(rt) => rt.handle(),
            // `rt` is only taken in `drop`.
            None => unreachable!("IoRuntime used after drop"),
        }
    }

    /// Runs `fut` on the runtime and blocks the calling thread until it finishes.
    pub fn run<F>(&self, what: &'static str, fut: F) -> Result<F::Output, TaskLost>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle().spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().map_err(|_| TaskLost(what))
    }
}

impl Drop for IoRuntime {
    fn drop(&mut self) {
        // Dropping a runtime from inside another runtime's thread would panic; shutting
        // it down in the background never blocks.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_futures_from_plain_and_async_threads() {
        let io = IoRuntime::new("test-io", 1).unwrap();
        assert_eq!(io.run("add", async { 1 + 1 }).unwrap(), 2);
        // From inside another runtime (like an actix-web handler).
        let outer = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let got = outer.block_on(async {
            io.run("sleep", async {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                7
            })
        });
        assert_eq!(got.unwrap(), 7);
    }
}
