//! A results directory written as a unit: staged in a sibling directory, published by
//! renames, stamped with a manifest that readers check, guarded by a lock.
//!
//! `simpark run`, `sweep` and `compare` build every file of a run in memory (a sweep streams
//! `sweep.csv` row by row, `OutDir::stream`), write them into
//! `.<name>.staging-<pid>` beside the target, then swap the staging directory in with one
//! atomic rename (Linux `renameat2(RENAME_EXCHANGE)`; the old set, now under the staging
//! name, is removed). A reader sees the complete old set or the complete new set, never a mix
//! and never a missing directory. Where the exchange is unavailable, two renames (the old set
//! to `.<name>.old-<pid>`) leave the target absent for the instant between them. `manifest.json` names the run (scenario hash, seed, version) and every
//! file with its size and FNV-1a hash; `simpark report` refuses a directory whose files do not
//! match it. A lock file beside the target (`.<name>.lock`, `flock`-style via
//! `File::try_lock`) makes a second writer fail fast; whoever holds it removes the staging
//! and old directories that dead writers left behind.
//!
//! Only writes and checks finished files; never runs the simulator, never reads a clock.

use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Wall-clock figures: written with the set but outside the manifest, so that the manifest is
/// byte-identical for the same scenario, seed and version whatever `--jobs` is.
pub(crate) const UNLISTED: &str = "perf.json";

/// The manifest's file name, and its format version.
pub const MANIFEST: &str = "manifest.json";
pub(crate) const MANIFEST_VERSION: u32 = 1;

/// What can go wrong preparing, publishing or checking a results directory.
#[derive(Debug, thiserror::Error)]
pub enum OutDirError {
    /// A file system operation failed: nothing was published.
    #[error("{path}: {error}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating-system error.
        error: std::io::Error,
    },
    /// Another process holds the lock: nothing was simulated or written.
    #[error(
        "{dir}: another simpark is writing this directory (lock {lock} is held); wait for it or choose another --out"
    )]
    Locked {
        /// The results directory.
        dir: PathBuf,
        /// The lock file held.
        lock: PathBuf,
    },
    /// The target holds files simpark did not write: it is not replaced.
    #[error(
        "{dir}: exists and is not a simpark results directory (it holds `{entry}`); choose another --out or remove it"
    )]
    Foreign {
        /// The results directory.
        dir: PathBuf,
        /// A file in it simpark did not write.
        entry: String,
    },
    /// The target is a file, or has no usable parent.
    #[error("{dir}: {message}")]
    Path {
        /// The requested output path.
        dir: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The directory's files are not the set its manifest names (two runs mixed, a file
    /// edited or lost): a report from it would mix runs.
    #[error("{dir}: {message}; rerun `simpark run` into an empty --out to get a consistent set")]
    Mixed {
        /// The results directory.
        dir: PathBuf,
        /// Which files disagree with the manifest.
        message: String,
    },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> OutDirError + '_ {
    move |error| OutDirError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// The manifest of a results directory.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub(crate) manifest_version: u32,
    /// Names the run: `<scenario>-<resolved scenario hash>-seed<seed>-v<simpark version>`.
    pub(crate) run_id: String,
    pub(crate) files: Vec<ManifestFile>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct ManifestFile {
    pub(crate) name: String,
    pub(crate) bytes: u64,
    /// FNV-1a 64 of the contents, hex.
    pub(crate) fnv1a64: String,
}

/// FNV-1a 64: a dependency-free content fingerprint (not a cryptographic hash).
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_more(0xcbf2_9ce4_8422_2325, bytes)
}

/// FNV-1a 64 of what `h` hashed so far followed by `bytes`.
fn fnv1a64_more(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A file of the set written piece by piece as results come in (`OutDir::stream`), into the
/// staging directory: readers still see only whole runs. `OutDir::finish` lists it.
#[derive(Debug)]
pub struct Stream {
    name: String,
    path: PathBuf,
    file: std::io::BufWriter<File>,
    bytes: u64,
    fnv: u64,
}

impl Stream {
    /// Append `piece`.
    pub fn write(&mut self, piece: &[u8]) -> Result<(), OutDirError> {
        self.file.write_all(piece).map_err(io(&self.path))?;
        self.bytes += piece.len() as u64;
        self.fnv = fnv1a64_more(self.fnv, piece);
        Ok(())
    }
}

/// The run id of `scenario` (its resolved TOML) run with `seed`.
pub fn run_id(name: &str, resolved_toml: &str, seed: u64) -> String {
    format!(
        "{name}-{:016x}-seed{seed}-v{}",
        fnv1a64(resolved_toml.as_bytes()),
        env!("CARGO_PKG_VERSION")
    )
}

/// File names simpark writes into a results directory; a directory holding only these (and
/// hidden entries) may be replaced even without a manifest (results of an older simpark).
fn ours(name: &str) -> bool {
    name.starts_with('.')
        || [".json", ".csv", ".toml", ".dot", ".svg", ".html", ".md", ".xml"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

/// A results directory being written: locked, with a staging directory beside it.
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    staging: PathBuf,
    files: Vec<ManifestFile>,
    published: bool,
    // Held until drop: the lock.
    _lock: File,
}

impl OutDir {
    /// Check `dir` can be written (before any simulation), take its lock, remove what dead
    /// writers left behind and create the staging directory.
    pub fn prepare(dir: &Path) -> Result<OutDir, OutDirError> {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| n != "." && n != "..")
            .ok_or_else(|| OutDirError::Path {
                dir: dir.to_path_buf(),
                message: "names no directory; give a path that ends in a directory name".into(),
            })?;
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        fs::create_dir_all(&parent).map_err(io(&parent))?;
        if dir.exists() && !dir.is_dir() {
            return Err(OutDirError::Path {
                dir: dir.to_path_buf(),
                message: "exists and is not a directory".into(),
            });
        }
        let lock_path = parent.join(format!(".{name}.lock"));
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(OutDirError::Locked {
                    dir: dir.to_path_buf(),
                    lock: lock_path,
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(io(&lock_path)(e)),
        }
        if dir.is_dir() && !dir.join(MANIFEST).is_file() {
            for e in fs::read_dir(dir).map_err(io(dir))? {
                let e = e.map_err(io(dir))?;
                let entry = e.file_name().to_string_lossy().into_owned();
                if !ours(&entry) || e.path().is_dir() {
                    return Err(OutDirError::Foreign {
                        dir: dir.to_path_buf(),
                        entry,
                    });
                }
            }
        }
        // We hold the lock: every staging or old directory of this target is a dead writer's.
        let staging_prefix = format!(".{name}.staging-");
        let old_prefix = format!(".{name}.old-");
        for e in fs::read_dir(&parent).map_err(io(&parent))?.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with(&staging_prefix) || n.starts_with(&old_prefix) {
                fs::remove_dir_all(e.path()).map_err(io(&e.path()))?;
            }
        }
        // Temporary files of a writer killed inside the directory (per-file atomic writes).
        if dir.is_dir() {
            for e in fs::read_dir(dir).map_err(io(dir))?.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with('.') && n.contains(".tmp-") {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        let staging = parent.join(format!("{staging_prefix}{}", std::process::id()));
        fs::create_dir(&staging).map_err(io(&staging))?;
        Ok(OutDir {
            dir: dir.to_path_buf(),
            staging,
            files: Vec::new(),
            published: false,
            _lock: lock,
        })
    }

    /// Stage one file of the set.
    pub fn write(&mut self, name: &str, contents: &[u8]) -> Result<(), OutDirError> {
        assert!(!name.contains('/') && name != MANIFEST, "results file name {name}");
        let path = self.staging.join(name);
        let mut f = File::create(&path).map_err(io(&path))?;
        f.write_all(contents).map_err(io(&path))?;
        f.sync_all().map_err(io(&path))?;
        self.files.retain(|x| x.name != name);
        if name == UNLISTED {
            return Ok(());
        }
        self.files.push(ManifestFile {
            name: name.to_string(),
            bytes: contents.len() as u64,
            fnv1a64: format!("{:016x}", fnv1a64(contents)),
        });
        Ok(())
    }

    /// Start staging the file `name` piece by piece.
    pub fn stream(&self, name: &str) -> Result<Stream, OutDirError> {
        assert!(
            !name.contains('/') && name != MANIFEST && name != UNLISTED,
            "results file name {name}"
        );
        let path = self.staging.join(name);
        let file = File::create(&path).map_err(io(&path))?;
        Ok(Stream {
            name: name.to_string(),
            path,
            file: std::io::BufWriter::new(file),
            bytes: 0,
            fnv: fnv1a64(&[]),
        })
    }

    /// Close a streamed file and list it, as `write` lists a whole one.
    pub fn finish(&mut self, stream: Stream) -> Result<(), OutDirError> {
        let Stream {
            name,
            path,
            file,
            bytes,
            fnv,
        } = stream;
        let file = file.into_inner().map_err(|e| io(&path)(e.into_error()))?;
        file.sync_all().map_err(io(&path))?;
        self.files.retain(|x| x.name != name);
        self.files.push(ManifestFile {
            name,
            bytes,
            fnv1a64: format!("{fnv:016x}"),
        });
        Ok(())
    }

    /// Write the manifest and swap the staged set in place of the old one.
    pub fn publish(mut self, run_id: &str) -> Result<(), OutDirError> {
        self.files.sort_by(|a, b| a.name.cmp(&b.name));
        let manifest = Manifest {
            manifest_version: MANIFEST_VERSION,
            run_id: run_id.to_string(),
            files: std::mem::take(&mut self.files),
        };
        let path = self.staging.join(MANIFEST);
        let mut f = File::create(&path).map_err(io(&path))?;
        f.write_all(super::to_json(&manifest).as_bytes()).map_err(io(&path))?;
        f.sync_all().map_err(io(&path))?;
        let old = self.staging.with_file_name(
            self.staging
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace(".staging-", ".old-"),
        );
        let had_old = self.dir.is_dir();
        if had_old && exchange(&self.staging, &self.dir) {
            // One atomic step: readers see the complete old set, then the complete new set.
            // The staging name now holds the old set.
            self.published = true;
            fs::remove_dir_all(&self.staging).map_err(io(&self.staging))?;
            return Ok(());
        }
        // Without an atomic exchange (another OS or file system): two renames, the old set
        // put back if the second fails; between them the target is briefly absent.
        if had_old {
            fs::rename(&self.dir, &old).map_err(io(&self.dir))?;
        }
        if let Err(e) = fs::rename(&self.staging, &self.dir) {
            if had_old {
                // Put the old set back: the reader keeps the complete old set.
                let _ = fs::rename(&old, &self.dir);
            }
            return Err(io(&self.dir)(e));
        }
        self.published = true;
        if had_old {
            fs::remove_dir_all(&old).map_err(io(&old))?;
        }
        Ok(())
    }
}

/// Swap two directories in one atomic rename (Linux `renameat2(RENAME_EXCHANGE)`); false
/// where that is not available, so the caller falls back to two renames.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).is_ok()
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
}

impl Drop for OutDir {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// Check that `dir` holds exactly the set its manifest names (every listed file with its
/// size and hash, no run output beside them that it does not list). Files `simpark report`
/// adds (`report.*`) are not part of the run and are ignored, as is `perf.json`.
pub fn verify(dir: &Path) -> Result<Manifest, OutDirError> {
    let mixed = |message: String| OutDirError::Mixed {
        dir: dir.to_path_buf(),
        message,
    };
    let path = dir.join(MANIFEST);
    let text = fs::read_to_string(&path).map_err(|e| {
        mixed(format!(
            "{MANIFEST}: {e}; without it the files cannot be shown to come from one run"
        ))
    })?;
    let m: Manifest = serde_json::from_str(&text).map_err(|e| mixed(format!("{MANIFEST}: {e}")))?;
    if m.manifest_version != MANIFEST_VERSION {
        return Err(mixed(format!(
            "{MANIFEST} has manifest_version {}; this simpark reads {MANIFEST_VERSION}",
            m.manifest_version
        )));
    }
    for f in &m.files {
        let bytes = fs::read(dir.join(&f.name)).map_err(|e| mixed(format!("`{}` of run {}: {e}", f.name, m.run_id)))?;
        if bytes.len() as u64 != f.bytes || format!("{:016x}", fnv1a64(&bytes)) != f.fnv1a64 {
            return Err(mixed(format!(
                "`{}` is not the file run {} wrote (size or hash differs)",
                f.name, m.run_id
            )));
        }
    }
    for e in fs::read_dir(dir).map_err(io(dir))?.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        let listed = n == MANIFEST || n == UNLISTED || m.files.iter().any(|f| f.name == n);
        if !listed && ours(&n) && !n.starts_with('.') && !n.starts_with("report.") {
            return Err(mixed(format!("`{n}` is not part of run {}", m.run_id)));
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("simpark-outdir-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_streamed_file_is_listed_like_a_whole_one() {
        let d = tmp("stream").join("out");
        let mut o = OutDir::prepare(&d).unwrap();
        let mut s = o.stream("rows.csv").unwrap();
        for piece in ["a,b\n", "1,2\n", "3,4\n"] {
            s.write(piece.as_bytes()).unwrap();
        }
        o.finish(s).unwrap();
        o.write("whole.csv", b"a,b\n1,2\n3,4\n").unwrap();
        assert!(!d.exists(), "nothing visible before publish");
        o.publish("id").unwrap();
        let m = verify(&d).unwrap();
        assert_eq!(m.files[0].name, "rows.csv");
        assert_eq!(
            (m.files[0].bytes, &m.files[0].fnv1a64),
            (m.files[1].bytes, &m.files[1].fnv1a64)
        );
        assert_eq!(fs::read(d.join("rows.csv")).unwrap(), b"a,b\n1,2\n3,4\n");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn directories_swap_in_one_rename() {
        let root = tmp("exchange");
        let (a, b) = (root.join("a"), root.join("b"));
        fs::create_dir_all(&a).unwrap();
        fs::create_dir_all(&b).unwrap();
        fs::write(a.join("new"), "").unwrap();
        fs::write(b.join("old"), "").unwrap();
        assert!(exchange(&a, &b), "renameat2(RENAME_EXCHANGE) on {}", root.display());
        assert!(b.join("new").exists() && a.join("old").exists());
    }

    #[test]
    fn publish_replaces_the_set_and_verify_checks_it() {
        let root = tmp("publish");
        let dir = root.join("out");
        let mut o = OutDir::prepare(&dir).unwrap();
        o.write("summary.json", b"{}\n").unwrap();
        o.write("timeseries.csv", b"a\n").unwrap();
        o.publish("run-a").unwrap();
        assert_eq!(verify(&dir).unwrap().run_id, "run-a");
        // A second run with other files: the first run's extra file is gone.
        let mut o = OutDir::prepare(&dir).unwrap();
        o.write("summary.json", b"{\"b\":1}\n").unwrap();
        o.write("months.csv", b"b\n").unwrap();
        o.publish("run-b").unwrap();
        assert!(!dir.join("timeseries.csv").exists());
        assert_eq!(verify(&dir).unwrap().run_id, "run-b");
        // Nothing left beside it but the lock.
        let left: Vec<_> = fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
        // A file from another run makes the set mixed.
        fs::write(dir.join("timeseries.csv"), "x\n").unwrap();
        assert!(matches!(verify(&dir), Err(OutDirError::Mixed { .. })));
        fs::remove_file(dir.join("timeseries.csv")).unwrap();
        fs::write(dir.join("months.csv"), "c\n").unwrap();
        let e = verify(&dir).unwrap_err().to_string();
        assert!(e.contains("months.csv") && e.contains("run-b"), "{e}");
        // report.* files are not part of the run.
        fs::write(dir.join("months.csv"), "b\n").unwrap();
        fs::write(dir.join("report.md"), "r\n").unwrap();
        verify(&dir).unwrap();
    }

    #[test]
    fn a_second_writer_fails_fast_and_stale_staging_is_removed() {
        let root = tmp("lock");
        let dir = root.join("out");
        let stale = root.join(".out.staging-999999999");
        fs::create_dir_all(&stale).unwrap();
        fs::write(stale.join("summary.json"), "half").unwrap();
        let first = OutDir::prepare(&dir).unwrap();
        assert!(!stale.exists(), "a dead writer's staging directory is removed");
        let second = OutDir::prepare(&dir).unwrap_err();
        assert!(matches!(second, OutDirError::Locked { .. }), "{second}");
        assert!(second.to_string().contains("another simpark"));
        drop(first);
        // Unpublished: the staging directory goes, the lock is free again.
        let again = OutDir::prepare(&dir).unwrap();
        drop(again);
        assert!(!dir.exists());
    }

    #[test]
    fn a_foreign_directory_is_never_replaced() {
        let root = tmp("foreign");
        fs::create_dir_all(root.join("src")).unwrap();
        fs::write(root.join("Cargo.toml"), "").unwrap();
        let e = OutDir::prepare(&root).unwrap_err();
        assert!(matches!(e, OutDirError::Foreign { .. }), "{e}");
        let file = root.join("Cargo.toml");
        assert!(matches!(OutDir::prepare(&file), Err(OutDirError::Path { .. })));
    }
}
