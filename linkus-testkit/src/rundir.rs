//! Temporary run directories, one per launched peer.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::{Error, Result};

/// Environment variable that keeps every run directory after the test.
pub const KEEP_ENV: &str = "LINKUS_TESTKIT_KEEP";

/// A fresh directory under the system temp dir that holds a peer's
/// configuration, pid file and logs.
///
/// It is removed on drop, unless the thread is panicking (a failed test) or
/// [`KEEP_ENV`] is set, so that the logs of a failure can be read.
#[derive(Debug)]
pub struct RunDir {
    path: PathBuf,
    keep: bool,
}

impl RunDir {
    /// Creates `$TMPDIR/linkus-testkit-<label>-<pid>-<n>`.
    pub fn new(label: &str) -> Result<Self> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("linkus-testkit-{label}-{}-{n}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    return Ok(Self {
                        path,
                        keep: std::env::var_os(KEEP_ENV).is_some(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(format!("creating {}", path.display()), e)),
            }
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Keeps the directory after drop.
    pub fn keep(&mut self) {
        self.keep = true;
    }

    /// Writes `contents` to `name` inside the directory and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> Result<PathBuf> {
        let path = self.join(name);
        std::fs::write(&path, contents)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        Ok(path)
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if self.keep || std::thread::panicking() {
            crate::report(&format!("linkus-testkit: kept {}", self.path.display()));
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
