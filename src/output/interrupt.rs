//! Interrupted commands leave nothing behind.
//!
//! Every staging directory and temporary file this module's writers create
//! is listed here while it exists. [`remove_staged_on_signals`] (called by
//! the binary, never by the library) starts a thread that waits for SIGINT
//! or SIGTERM, removes whatever is listed and exits with 128 + the signal's
//! number (130, 143), as a shell reports a process a signal ended.
//!
//! The handler is a thread (signal-hook's iterator), not code run inside the
//! signal, so it can take the list's lock: the writers hold it while they
//! create entries in a staging directory and while a commit renames, so the
//! handler never removes a directory something is being created in, nor one
//! halfway through becoming the report. A signal during a commit waits for
//! it to finish. A file being streamed (requests.csv) is written without the
//! lock: removing an open file is safe on Unix.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The list of staging paths, locked; the signal handler waits until it is
/// released.
pub(super) fn pending() -> MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Removes a staging directory or temporary file.
fn remove(path: &Path) -> std::io::Result<()> {
    if std::fs::symlink_metadata(path)?.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
}

/// Installs the handler for SIGINT and SIGTERM (a no-op off Unix).
#[cfg(unix)]
pub fn remove_staged_on_signals() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use std::io::Write;
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("signals".to_string())
        .spawn(move || {
            let Some(signal) = signals.forever().next() else {
                return;
            };
            // Held until the process ends: no writer creates anything after.
            let pending = pending();
            let mut stderr = std::io::stderr().lock();
            let name = if signal == SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            let _ = writeln!(stderr, "ratesim: interrupted by {name}");
            for path in pending.iter() {
                match remove(path) {
                    Ok(()) => {
                        let _ = writeln!(stderr, "removed unfinished {}", path.display());
                    }
                    Err(e) => {
                        let _ = writeln!(stderr, "cannot remove {}: {e}", path.display());
                    }
                }
            }
            std::process::exit(128 + signal);
        })?;
    Ok(())
}

/// Installs the handler for SIGINT and SIGTERM (a no-op off Unix).
#[cfg(not(unix))]
pub fn remove_staged_on_signals() -> std::io::Result<()> {
    Ok(())
}
