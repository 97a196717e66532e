//! `simpark report --pdf`: print `report.html` to an A4 PDF with headless Chromium.
//!
//! The PDF is the same HTML as `report.html`, printed by the browser with its own print CSS
//! (`@page` size, margins and page numbers, page-break rules in `report.html.j2`); nothing is
//! restated here. Chromium runs on a copy in a fresh temporary directory (its profile too),
//! is waited for at most `PRINT_TIMEOUT` and killed by its own handle after that. Chromium
//! stamps a creation date into the file, so `report.pdf`, unlike the other report files, is
//! not byte-reproducible. Lives in `cli/`: it spawns a program and reads the wall clock.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Names Chromium goes by on `PATH` (Debian, Ubuntu, Google's packages), in the order tried.
const CHROMIUM_NAMES: [&str; 4] = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
/// Environment variable naming the Chromium (or Chrome) binary to use instead of `PATH`'s.
pub(crate) const CHROMIUM_ENV: &str = "SIMPARK_CHROMIUM";
/// Longest wait for one print; a 10-page report takes a few seconds on a loaded machine.
const PRINT_TIMEOUT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(50);
const _: () = assert!(PRINT_TIMEOUT.as_millis() / POLL.as_millis() <= 10_000);

/// The Chromium binary: `$SIMPARK_CHROMIUM`, else the first of `CHROMIUM_NAMES` on `PATH`.
/// Checked before anything is rendered or written.
pub(crate) fn find_chromium() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(CHROMIUM_ENV) {
        let p = PathBuf::from(p);
        if !p.is_file() {
            bail!(
                "--pdf: {CHROMIUM_ENV}={} is not a file; point it at a Chromium or Chrome binary, \
                 or unset it to look for `chromium` on PATH; nothing was written",
                p.display()
            );
        }
        return Ok(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|dir| CHROMIUM_NAMES.map(|n| dir.join(n)))
        .find(|p| p.is_file())
        .with_context(|| {
            format!(
                "--pdf needs Chromium to print report.html, and none of {} is on PATH: install it \
                 (`apt-get install chromium`) or set {CHROMIUM_ENV} to a Chromium or Chrome binary; \
                 nothing was written",
                CHROMIUM_NAMES.map(|n| format!("`{n}`")).join(", ")
            )
        })
}

/// Print `html` (a self-contained page) to PDF bytes with `chrome`, headless.
pub(crate) fn print_pdf(chrome: &Path, html: &str) -> Result<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("simpark-pdf-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = print_in(chrome, html, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn print_in(chrome: &Path, html: &str, dir: &Path) -> Result<Vec<u8>> {
    let page = dir.join("report.html");
    let pdf = dir.join("report.pdf");
    let log = dir.join("chromium.log");
    std::fs::write(&page, html).with_context(|| format!("writing {}", page.display()))?;
    // Output to a file, not a pipe: a chatty browser must not block on a full pipe.
    let stderr = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    let mut child = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            // The page numbers come from the report's own `@page` rules, not Chromium's
            // header and footer (URL, date, title).
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(stderr))
        .spawn()
        .with_context(|| format!("--pdf: starting {}", chrome.display()))?;
    #[allow(clippy::disallowed_methods)] // the print's time limit: wall clock, in cli/ only
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().context("--pdf: waiting for Chromium")? {
            break status;
        }
        if started.elapsed() > PRINT_TIMEOUT {
            // Stop what we started, by its own handle.
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "--pdf: {} did not finish printing within {} s; nothing was written",
                chrome.display(),
                PRINT_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(POLL);
    };
    let bytes = std::fs::read(&pdf).unwrap_or_default();
    if !status.success() || !bytes.starts_with(b"%PDF") {
        let said = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = said.lines().rev().take(5).collect();
        bail!(
            "--pdf: {} did not print report.html ({status}); its last words: {}; nothing was written",
            chrome.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        );
    }
    Ok(bytes)
}
