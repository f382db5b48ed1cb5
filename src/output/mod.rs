//! The one writer that puts outputs on disk.
//!
//! Renderers produce bytes; [`OutputDir`] stages each file under a temporary
//! name in the target folder and renames them all only when the run has
//! succeeded, so a failed run leaves no half-written output behind.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// A set of files to be written together into one folder.
pub struct OutputDir {
    dir: PathBuf,
    created_dir: bool,
    staged: Vec<(PathBuf, PathBuf)>,
    committed: bool,
}

impl OutputDir {
    pub fn new(dir: &Path) -> OutputDir {
        OutputDir {
            dir: dir.to_path_buf(),
            created_dir: false,
            staged: Vec::new(),
            committed: false,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn temp_path(&mut self, name: &str) -> io::Result<(PathBuf, PathBuf)> {
        if !self.dir.exists() {
            fs::create_dir_all(&self.dir)?;
            self.created_dir = true;
        }
        let final_path = self.dir.join(name);
        let temp = self
            .dir
            .join(format!(".{name}.partial-{}", std::process::id()));
        Ok((temp, final_path))
    }

    /// Stages `bytes` as file `name`.
    pub fn stage(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let (temp, final_path) = self.temp_path(name)?;
        fs::write(&temp, bytes)?;
        self.staged.push((temp, final_path));
        Ok(())
    }

    /// Opens a staged file `name` for streaming writes.
    pub fn stage_stream(&mut self, name: &str) -> io::Result<BufWriter<File>> {
        let (temp, final_path) = self.temp_path(name)?;
        let file = File::create(&temp)?;
        self.staged.push((temp, final_path));
        Ok(BufWriter::with_capacity(1 << 20, file))
    }

    /// Moves every staged file into place; returns the final paths.
    pub fn commit(mut self) -> io::Result<Vec<PathBuf>> {
        let mut done = Vec::new();
        for (temp, final_path) in &self.staged {
            fs::rename(temp, final_path)?;
            done.push(final_path.clone());
        }
        self.committed = true;
        Ok(done)
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for (temp, _) in &self.staged {
            let _ = fs::remove_file(temp);
        }
        if self.created_dir {
            let _ = fs::remove_dir(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_left_when_not_committed() {
        let base = std::env::temp_dir().join(format!("ratesim-out-test-{}", std::process::id()));
        let dir = base.join("run");
        {
            let mut out = OutputDir::new(&dir);
            out.stage("a.csv", b"x").unwrap();
        }
        assert!(!dir.exists(), "an abandoned output folder is removed");
        let mut out = OutputDir::new(&dir);
        out.stage("a.csv", b"x").unwrap();
        let written = out.commit().unwrap();
        assert_eq!(fs::read(&written[0]).unwrap(), b"x");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary files remain"
        );
        fs::remove_dir_all(&base).unwrap();
    }
}
