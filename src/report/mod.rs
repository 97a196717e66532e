//! Reports over finished runs: `summary.json`, `timeseries.csv`, the resolved scenario, the
//! topology drawing and `perf.json`, written atomically.
//!
//! Only reads finished results; never runs the simulator. Wall-clock figures go to
//! `perf.json` only, so `summary.json` stays byte-identical for the same scenario and seed.

pub mod customer;
pub mod outdir;
pub(crate) mod paging;
pub(crate) mod plot;
pub mod summary;

use std::io::Write;
use std::path::{Path, PathBuf};

/// A results directory could not be written. Files written before the error stay intact;
/// the one being written is not left half-written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Creating the directory or writing/renaming a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        #[source]
        /// The operating-system error.
        source: std::io::Error,
    },
}

/// Write `contents` to `path` atomically: a temporary file in the same directory, flushed to
/// disk, then renamed over the target. Readers see the old file or the new one, never a mix.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), OutputError> {
    let io = |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// JSON with a trailing newline; serialisation of our own types cannot fail.
pub fn to_json<T: serde::Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("results serialise");
    s.push('\n');
    s
}

/// "1 replication", "3 replications": a count with its noun, plural unless it is one.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `x` with `sig` significant digits and a k/M/G suffix: `si(2_412_345.0, 2)` is `2.4M`.
pub(crate) fn si(x: f64, sig: usize) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let (scaled, suffix) = match x.abs() {
        a if a >= 1e9 => (x / 1e9, "G"),
        a if a >= 1e6 => (x / 1e6, "M"),
        a if a >= 1e3 => (x / 1e3, "k"),
        _ => (x, ""),
    };
    let digits_before = if scaled == 0.0 {
        1
    } else {
        (scaled.abs().log10().floor() as i64 + 1).max(1)
    };
    let decimals = (sig as i64 - digits_before).max(0) as usize;
    let mut s = format!("{scaled:.decimals$}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{s}{suffix}")
}
