//! Replacing a report directory as a whole.
//!
//! The new report is built complete in a staging directory beside the old
//! one, the user's own entries included, so the only step that changes what
//! `<out>` holds is a rename. Renames within one parent folder stay on one
//! file system, so they neither copy nor fail half done.

use super::Kind;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The directory a report is renamed into: `dir` itself, or what it names
/// when it exists (a symlink is followed, so the link stays and its target
/// gets the report; `.` becomes a name that has a parent).
pub(super) fn resolve(dir: &Path) -> io::Result<PathBuf> {
    match fs::symlink_metadata(dir) {
        Ok(_) => fs::canonicalize(dir),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(dir.to_path_buf()),
        Err(e) => Err(e),
    }
}

/// `<dir>.ratesim-<what>-<pid>`, beside `dir`.
pub(super) fn sibling(dir: &Path, what: &str) -> io::Result<PathBuf> {
    let name = dir.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} cannot hold a report: it has no name", dir.display()),
        )
    })?;
    let mut name = name.to_os_string();
    name.push(format!(".ratesim-{what}-{}", std::process::id()));
    Ok(dir.with_file_name(name))
}

/// Makes `staging` the directory `dir`, keeping every entry of an earlier
/// `dir` that is not a file of `kind`.
///
/// With no `dir` yet, one rename. Otherwise:
/// 1. each entry of `dir` that is not a file of `kind` (a user's notes, a
///    `compare/` folder inside a run's directory) is hard-linked, or copied
///    where a link cannot be made, into `staging`, folders recursively;
/// 2. `dir` is renamed to `<dir>.ratesim-old-<pid>`;
/// 3. `staging` is renamed to `dir`;
/// 4. the old directory is removed.
///
/// The signal handler waits while this runs. A crash (power, SIGKILL)
/// leaves: during 1, the earlier report untouched and a staging directory
/// beside it; between 2 and 3, no `dir`, the earlier report complete in
/// `<dir>.ratesim-old-<pid>` and the new one complete in
/// `<dir>.ratesim-tmp-<pid>`; during 4, the new report in place and part of
/// the old directory beside it. Never a mix of the two reports in `dir`. If
/// step 3 fails, step 2 is undone.
pub(super) fn replace(dir: &Path, staging: &Path, kind: Kind) -> io::Result<()> {
    let meta = match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return fs::rename(staging, dir),
        Err(e) => return Err(e),
        Ok(meta) => meta,
    };
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a directory", dir.display()),
        ));
    }
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_str().is_some_and(|n| kind.holds(n)) {
            continue;
        }
        link_tree(&entry.path(), &staging.join(&name))?;
    }
    fs::set_permissions(staging, meta.permissions())?;
    let old = sibling(dir, "old")?;
    fs::rename(dir, &old)?;
    if let Err(e) = fs::rename(staging, dir) {
        let _ = fs::rename(&old, dir);
        return Err(e);
    }
    fs::remove_dir_all(&old).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "the report is in place, but the earlier one, moved to {}, cannot be removed: {e}",
                old.display()
            ),
        )
    })
}

/// Recreates `from` at `to`: files as hard links (or copies), folders entry
/// by entry, symbolic links as links with the same target.
fn link_tree(from: &Path, to: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(from)?;
    if meta.is_dir() {
        fs::create_dir(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            link_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        fs::set_permissions(to, meta.permissions())
    } else if meta.file_type().is_symlink() {
        copy_symlink(from, to)
    } else {
        fs::hard_link(from, to).or_else(|_| fs::copy(from, to).map(drop))
    }
}

#[cfg(unix)]
fn copy_symlink(from: &Path, to: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(fs::read_link(from)?, to)
}

#[cfg(not(unix))]
fn copy_symlink(from: &Path, to: &Path) -> io::Result<()> {
    fs::copy(from, to).map(drop)
}
