//! `extends = "xpos"` (the embedded seed park) or `extends = "base.toml"` (a path relative to
//! the extending file): a what-if states only what it changes.
//!
//! The extending file's keys are applied to the base exactly as `--set` overrides are (a table
//! key by key, an array such as `[[fault]]` as a whole), before the command line's own
//! overrides. Errors keep pointing at the right place: a syntax or type error in the
//! extending file, or an invalid value it set, is located in that file; an invalid value it
//! left to the base is located in the base. One level only: a base that itself extends
//! another is refused. Never simulates; only reads the base file.

use super::error::line_col;
use super::{DEFAULT_ORIGIN, DEFAULT_SCENARIO_TOML, Located, Model, ScenarioError, from_str, locate_key};
use std::path::Path;

/// The name that means the embedded default scenario.
pub(crate) const BUILT_IN: &str = "xpos";

/// Load `text` (from `origin`, in directory `dir`) on top of the scenario it extends, with
/// `overrides` last; `None` when it extends nothing (or does not parse: `from_str` then gives
/// the located error).
pub(crate) fn load_extending(
    text: &str,
    origin: &str,
    dir: &Path,
    overrides: &[String],
) -> Option<Result<Model, ScenarioError>> {
    let mut table: toml::Table = toml::from_str(text).ok()?;
    let extends = table.remove("extends")?;
    Some(load(text, origin, dir, &extends, table, overrides))
}

fn load(
    text: &str,
    origin: &str,
    dir: &Path,
    extends: &toml::Value,
    table: toml::Table,
    overrides: &[String],
) -> Result<Model, ScenarioError> {
    let located = |key: &str, message: String| {
        let place = locate_key(text, key).map(|offset| line_col(text, offset));
        ScenarioError::Invalid(Located {
            file: origin.to_string(),
            line: place.as_ref().map_or(0, |p| p.0),
            column: place.as_ref().map_or(0, |p| p.1),
            key: key.to_string(),
            message,
            snippet: place.map(|p| p.2),
        })
    };
    let Some(name) = extends.as_str() else {
        return Err(located(
            "extends",
            format!("{extends} is not valid; expected \"{BUILT_IN}\" (the built-in park) or a scenario file path"),
        ));
    };
    // Type errors of the extending file, located in it: parse it alone with the `extends`
    // line blanked (offsets unchanged). Its values need not validate on their own.
    let blanked = blank_key(text, "extends");
    if let Err(e @ ScenarioError::Syntax(_)) = from_str(&blanked, origin, &[]) {
        return Err(e);
    }
    let (base_text, base_origin) = if name == BUILT_IN {
        (DEFAULT_SCENARIO_TOML.to_string(), DEFAULT_ORIGIN.to_string())
    } else {
        let path = dir.join(name);
        let shown = path.display().to_string();
        let body = super::read_text(&path).map_err(|e| {
            located(
                "extends",
                format!(
                    "cannot read {shown}: {e}; expected \"{BUILT_IN}\" or a scenario file path relative to this file"
                ),
            )
        })?;
        (body, shown)
    };
    if toml::from_str::<toml::Table>(&base_text).is_ok_and(|t| t.contains_key("extends")) {
        return Err(located(
            "extends",
            format!("{base_origin} itself extends another scenario; extend that one directly (one level only)"),
        ));
    }
    let mut sets = Vec::new();
    flatten(&table, "", &mut sets);
    let from_file = sets.len();
    sets.extend_from_slice(overrides);
    let mut model = from_str(&base_text, &base_origin, &sets).map_err(|e| {
        e.map_each(|e| match e {
            // An invalid value the extending file set: point at it there.
            ScenarioError::Override { assignment, message } if sets[..from_file].contains(&assignment) => {
                let set = assignment.split('=').next().unwrap_or_default().trim();
                // The message names the refused key once: the assigned one, or a key inside
                // it (`monitoring.rules[0].for` of a whole `[[monitoring.rules]]` array),
                // which is then the one located.
                let (key, message) = message
                    .strip_prefix("key `")
                    .and_then(|m| m.split_once("`: "))
                    .filter(|(k, _)| {
                        *k == set || k.starts_with(&format!("{set}.")) || k.starts_with(&format!("{set}["))
                    })
                    .map_or((set.to_string(), message.clone()), |(k, m)| {
                        (k.to_string(), m.to_string())
                    });
                located(&key, message)
            }
            other => other,
        })
    })?;
    // Provenance: the base's lines are the base's; the keys this file set are this file's.
    if let Some((label, _)) = &mut model.sources.text {
        *label = format!("base {label}");
    }
    for assignment in &sets[..from_file] {
        let key = super::provenance::set_key(assignment);
        let line = super::locate_exact(text, &key).map_or(String::new(), |l| format!(":{l}"));
        model.sources.relabel(assignment, &format!("{origin}{line}"));
    }
    Ok(model)
}

/// `path=value` overrides for every leaf of `table` (arrays, such as `[[fault]]`, whole).
fn flatten(table: &toml::Table, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in table {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(t, &path, out),
            v => out.push(format!("{path}={v}")),
        }
    }
}

/// `text` with the line of top-level `key` replaced by spaces (byte offsets kept).
fn blank_key(text: &str, key: &str) -> String {
    let Some(start) = locate_key(text, key) else {
        return text.to_string();
    };
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut out = text.to_string();
    out.replace_range(start..end, &" ".repeat(end - start));
    out
}

#[cfg(test)]
mod tests {
    use super::super::{default_model, load as load_file};
    use super::*;

    fn write(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    fn tmp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("simpark-extends-{}-{name}", std::process::id()))
    }

    #[test]
    fn a_what_if_states_only_what_it_changes() {
        let d = tmp("what-if");
        let f = write(
            &d,
            "four_web.toml",
            "extends = \"xpos\"\nname = \"four_web\"\n[web]\ncount = 4\n",
        );
        let m = load_file(&f, &[]).unwrap();
        let park = default_model(&[]).unwrap();
        assert_eq!(m.spec.name, "four_web");
        assert_eq!(m.web.count, 4);
        // Everything else is the park's.
        assert_eq!(m.spec.requests.storage_reads, park.spec.requests.storage_reads);
        assert_eq!(m.spec.slo, park.spec.slo);
        assert_eq!(m.spec.web.workers, park.spec.web.workers);
        assert_eq!(m.spec.traffic.visitors_per_month, park.spec.traffic.visitors_per_month);
        // Command-line overrides come last.
        let m = load_file(&f, &["web.count=5".into()]).unwrap();
        assert_eq!(m.web.count, 5);
        // A file path, relative to the extending file.
        let g = write(&d, "five_web.toml", "extends = \"four_web.toml\"\nname = \"x\"\n");
        let e = load_file(&g, &[]).unwrap_err().to_string();
        assert!(e.contains("itself extends another scenario"), "{e}");
        let base = write(&d, "base.toml", "name = \"base\"\n[web]\ncount = 2\n");
        let h = write(
            &d,
            "on_base.toml",
            &format!("extends = \"{}\"\n", base.file_name().unwrap().to_str().unwrap()),
        );
        let on_base = load_file(&h, &[]).unwrap();
        assert_eq!(on_base.web.count, 2);
        // Provenance: a value left to the base is the base's line.
        let label = on_base.sources.of("web.count");
        assert!(label.starts_with("base ") && label.ends_with("base.toml:3"), "{label}");
    }

    #[test]
    fn errors_point_at_the_extending_file() {
        let d = tmp("errors");
        let f = write(
            &d,
            "bad.toml",
            "extends = \"xpos\"\nname = \"bad\"\n\n[web]\ncount = 0\n",
        );
        let e = load_file(&f, &[]).unwrap_err().to_string();
        assert!(e.contains("bad.toml:5:") && e.contains("web.count"), "{e}");
        let f = write(&d, "typo.toml", "extends = \"xpos\"\n[web]\ncount = \"four\"\n");
        let e = load_file(&f, &[]).unwrap_err().to_string();
        assert!(e.contains("typo.toml:3:"), "{e}");
        // A value inside an array the file sets whole: its own line, its key named once.
        let f = write(
            &d,
            "rule.toml",
            "extends = \"xpos\"\n[[monitoring.rules]]\nalert = \"A\"\nexpr = \"up == 0\"\nfor = \"1e30h\"\n",
        );
        let e = load_file(&f, &[]).unwrap_err().to_string();
        assert!(
            e.contains("rule.toml:5:1: key `monitoring.rules[0].for`: unknown unit"),
            "{e}"
        );
        assert_eq!(e.matches("key `").count(), 1, "{e}");
        let f = write(&d, "missing.toml", "extends = \"nope.toml\"\n");
        let e = load_file(&f, &[]).unwrap_err().to_string();
        assert!(
            e.contains("missing.toml:1:") && e.contains("cannot read") && e.contains("nope.toml"),
            "{e}"
        );
        let f = write(&d, "number.toml", "extends = 3\n");
        let e = load_file(&f, &[]).unwrap_err().to_string();
        assert!(e.contains("expected \"xpos\""), "{e}");
    }
}
