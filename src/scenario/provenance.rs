//! Where each value of a resolved scenario came from: a line of the file (or of the base file
//! it `extends`), a command-line flag or `--set`, or the built-in default. `annotate` writes
//! it as a trailing comment on each value line of `scenario.resolved.toml`; comments do not
//! change what the file means, so it still runs to the same results.

use super::locate_exact;

/// The inputs of one resolved scenario, most specific last.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// The scenario text the values were read from, with its label (`park.toml`, or
    /// `base xpos.toml` when another file extends it).
    pub(crate) text: Option<(String, String)>,
    /// Overrides applied on top of it in order: (dotted key, where it came from).
    pub(crate) sets: Vec<(String, String)>,
}

impl Sources {
    /// Sources for `text` labelled `label`, with `overrides` (`path=value`) given by `--set`.
    pub(crate) fn new(label: &str, text: &str, overrides: &[String]) -> Sources {
        Sources {
            text: Some((label.to_string(), text.to_string())),
            sets: overrides.iter().map(|a| (set_key(a), format!("--set {a}"))).collect(),
        }
    }

    /// Relabel the override `assignment` (every time it was given) as coming from `label`.
    pub fn relabel(&mut self, assignment: &str, label: &str) {
        let from = format!("--set {assignment}");
        for (_, l) in self.sets.iter_mut().filter(|(_, l)| *l == from) {
            *l = label.to_string();
        }
    }

    /// Where the value at dotted `key` came from.
    pub(crate) fn of(&self, key: &str) -> String {
        let covers =
            |set: &str| key == set || key.starts_with(&format!("{set}.")) || key.starts_with(&format!("{set}["));
        if let Some((_, label)) = self.sets.iter().rev().find(|(set, _)| covers(set)) {
            return label.clone();
        }
        match &self.text {
            Some((label, text)) => match locate_exact(text, key) {
                // A resolved file run again keeps what its comments say (the same bytes).
                Some(line) => match text.lines().nth(line - 1).and_then(|l| l.split_once("  # from ")) {
                    Some((_, from)) => from.trim().to_string(),
                    None => format!("{label}:{line}"),
                },
                None => "built-in default".into(),
            },
            None => "built-in default".into(),
        }
    }
}

/// The dotted key of `path=value`.
pub(crate) fn set_key(assignment: &str) -> String {
    assignment.split('=').next().unwrap_or_default().trim().to_string()
}

/// `resolved` (TOML as `to_toml` writes it) with `# from ...` after every `key = value` line.
pub(crate) fn annotate(resolved: &str, sources: &Sources) -> String {
    let mut table = String::new();
    let mut arrays: Vec<(String, usize)> = Vec::new();
    let mut out = String::with_capacity(resolved.len() * 2);
    for line in resolved.lines() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("[[").and_then(|l| l.strip_suffix("]]")) {
            let i = match arrays.iter_mut().find(|(n, _)| n == name) {
                Some((_, i)) => {
                    *i += 1;
                    *i
                }
                None => {
                    arrays.push((name.to_string(), 0));
                    0
                }
            };
            table = format!("{name}[{i}]");
        } else if let Some(name) = t.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = name.to_string();
        } else if let Some((k, v)) = t.split_once(" = ")
            && !line.starts_with(' ')
            && !v.starts_with("\"\"\"")
            && !v.starts_with("'''")
        {
            let key = if table.is_empty() {
                k.to_string()
            } else {
                format!("{table}.{k}")
            };
            out.push_str(&format!("{line}  # from {}\n", sources.of(&key)));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::scenario::{from_str, to_toml_with_sources};

    #[test]
    fn each_value_says_where_it_came_from() {
        let text = "name = \"p\"\n[web]\ncount = 4\n[[fault]]\nat = \"1h\"\ntarget = \"web1\"\nkind = \"crash\"\n";
        let m = from_str(text, "p.toml", &["web.workers=8".into()]).unwrap();
        let resolved = to_toml_with_sources(&m);
        let line = |start: &str| resolved.lines().find(|l| l.starts_with(start)).unwrap().to_string();
        assert_eq!(line("name = "), "name = \"p\"  # from p.toml:1");
        assert_eq!(line("count = 4"), "count = 4  # from p.toml:3");
        assert_eq!(line("workers = 8"), "workers = 8  # from --set web.workers=8");
        assert_eq!(line("at = "), "at = \"1h\"  # from p.toml:5");
        assert_eq!(line("seed = "), "seed = 1  # from built-in default");
        // Comments only: the annotated file reads back to the same scenario.
        let again = from_str(&resolved, "r.toml", &[]).unwrap();
        assert_eq!(crate::scenario::to_toml(&again.spec), crate::scenario::to_toml(&m.spec));
        // ... and keeps its sources: written again, the same bytes.
        assert_eq!(to_toml_with_sources(&again), resolved);
    }
}
