//! `simpark import`: read haproxy.cfg / keepalived.conf / Prometheus rule files through
//! `simpark::import`, check the
//! scenario it makes, print the warnings (`file:line: ...`) on stderr and write the scenario.
//!
//! Reads the process environment for `"${VAR}"` (the library never does); writes nothing when
//! a file cannot be imported or the result does not validate (exit 2).

use super::exit;
use anyhow::Result;
use clap::Args;
use simpark::import::{self, Imported, alertmanager, haproxy, keepalived, prometheus};
use simpark::report::write_atomic;
use simpark::scenario;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct ImportArgs {
    /// An HAProxy configuration (haproxy.cfg): one backend becomes `[balancer]` and `web.count`.
    #[arg(value_name = "HAPROXY_CFG")]
    haproxy: Option<PathBuf>,
    /// The backend (or listen section) to import (default: the only one).
    #[arg(long, value_name = "NAME")]
    backend: Option<String>,
    /// The HAProxy version the file is written for (`.if version_atleast()`; from 3.3 a
    /// backend without `balance` is `random`).
    #[arg(long, value_name = "VERSION", default_value = "2.6.12", value_parser = parse_version)]
    haproxy_version: Version,
    /// keepalived.conf of lb1 (MASTER) and optionally of lb2 (BACKUP): sets `balancer.pair`
    /// and `balancer.vrrp_advert_ms` (repeatable, at most twice).
    #[arg(long, value_name = "FILE")]
    keepalived: Vec<PathBuf>,
    /// A Prometheus rule file: its alerting rules become `[[monitoring.rules]]` (repeatable).
    #[arg(long, value_name = "FILE")]
    rules: Vec<PathBuf>,
    /// An alertmanager.yml: routes, inhibit rules and time intervals become
    /// `[monitoring.alertmanager]`.
    #[arg(long, value_name = "FILE")]
    alertmanager: Option<PathBuf>,
    /// The vrrp_instance to import (default: the only one).
    #[arg(long, value_name = "NAME")]
    instance: Option<String>,
    /// keepalived's config id (`keepalived -i ID`): lines starting `@ID` count, `@^ID` do not;
    /// once for both files, or once per `--keepalived` file in order (default: none of the
    /// ids named, with a warning per conditional line).
    #[arg(long, value_name = "ID")]
    config_id: Vec<String>,
    /// The scenario's name (default: the backend's, else "imported").
    #[arg(long)]
    name: Option<String>,
    /// Write every key of the park (default: `extends = "xpos"` and only the imported keys).
    #[arg(long)]
    full: bool,
    /// Where to write the scenario (default: stdout).
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// A version as its numbers (a newtype: clap reads a bare `Vec` as a repeated flag).
#[derive(Clone, Debug)]
struct Version(Vec<u32>);

fn parse_version(text: &str) -> Result<Version, String> {
    haproxy::parse_version(text)
        .map(Version)
        .ok_or_else(|| format!("`{text}` is not a version such as 2.6.12 or 3.3"))
}

fn read(path: &PathBuf) -> Result<String, import::ImportError> {
    std::fs::read_to_string(path).map_err(|source| import::ImportError::Io {
        file: path.display().to_string(),
        source,
    })
}

/// The scenario's default name for a backend: its name with every character a scenario
/// name may not hold (HAProxy also allows `.` and `:`) replaced by `_`.
fn scenario_name(backend: &str) -> String {
    backend
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn gather(args: &ImportArgs) -> Result<(Imported, String), import::ImportError> {
    let mut all = Imported::default();
    let mut name = args.name.clone();
    if let Some(path) = &args.haproxy {
        let opts = haproxy::Options {
            backend: args.backend.clone(),
            version: args.haproxy_version.0.clone(),
            env: std::env::vars().collect(),
        };
        let file = path.display().to_string();
        let be = haproxy::parse(&read(path)?, &file, &opts)?;
        name.get_or_insert_with(|| scenario_name(&be.name));
        all.merge(haproxy::to_imported(be, &file)?);
    }
    if !args.keepalived.is_empty() {
        let files = args
            .keepalived
            .iter()
            .map(|p| Ok((read(p)?, p.display().to_string())))
            .collect::<Result<Vec<_>, import::ImportError>>()?;
        let vrrp = keepalived::import(&files, args.instance.as_deref(), &args.config_id)?;
        all.merge(vrrp.into_imported(&files));
    }
    for path in &args.rules {
        let file = path.display().to_string();
        let (rules, warnings) = prometheus::import(&read(path)?, &file)?;
        all.merge(Imported {
            rules,
            warnings,
            sources: vec![file],
            ..Imported::default()
        });
    }
    if let Some(path) = &args.alertmanager {
        let file = path.display().to_string();
        let (am, warnings) = alertmanager::import(&read(path)?, &file)?;
        all.merge(Imported {
            alertmanager: Some(am),
            warnings,
            sources: vec![file],
            ..Imported::default()
        });
    }
    Ok((all, name.unwrap_or_else(|| "imported".to_string())))
}

pub(crate) fn run(args: &ImportArgs) -> Result<i32> {
    if args.haproxy.is_none() && args.keepalived.is_empty() && args.rules.is_empty() && args.alertmanager.is_none() {
        eprintln!(
            "error: nothing to import; give HAPROXY_CFG, --keepalived FILE, --rules FILE and/or --alertmanager FILE"
        );
        return Ok(exit::USAGE);
    }
    if args.keepalived.len() > 2 {
        eprintln!(
            "error: --keepalived is given {} times; expected lb1's file and optionally lb2's",
            args.keepalived.len()
        );
        return Ok(exit::USAGE);
    }
    if args.config_id.len() > 1 && args.config_id.len() != args.keepalived.len() {
        eprintln!(
            "error: --config-id is given {} times for {} --keepalived files; expected once for all or once per file",
            args.config_id.len(),
            args.keepalived.len()
        );
        return Ok(exit::USAGE);
    }
    let (imported, name) = match gather(args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    // The imported values must make a valid scenario before anything is written.
    let full = imported.to_scenario_toml(&name, true);
    if let Err(e) = scenario::from_str(&full, "<imported scenario>", &[]) {
        eprintln!("error: the imported values do not make a valid scenario: {e}");
        return Ok(exit::USAGE);
    }
    for w in &imported.warnings {
        eprintln!("warning: {w}");
    }
    let text = if args.full {
        full
    } else {
        imported.to_scenario_toml(&name, false)
    };
    match &args.out {
        Some(path) => {
            write_atomic(path, text.as_bytes())?;
            eprintln!(
                "wrote {} ({} construct(s) not modelled, listed at its top)",
                path.display(),
                imported.warnings.len()
            );
        }
        None => print!("{text}"),
    }
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HAProxy names may hold `.` and `:` (`hadoop-namenode-2.x`, met in a public
    /// configuration); the default scenario name must still be a valid one.
    #[test]
    fn scenario_name_from_any_backend_name() {
        assert_eq!(scenario_name("web"), "web");
        assert_eq!(scenario_name("hadoop-namenode-2.x"), "hadoop-namenode-2_x");
        assert_eq!(scenario_name("be:api_v1"), "be_api_v1");
    }
}
