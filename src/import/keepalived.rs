//! `keepalived.conf` -> the balancer pair's VRRP keys (`balancer.pair`, `vrrp_advert_ms`).
//!
//! Job: read the `vrrp_instance` of each balancer's keepalived.conf (lb1's and, optionally,
//! lb2's) and its `vrrp_script`s, and state what the scenario models of them: a pair of
//! balancers sharing an address by VRRP and the advertisement interval. What the scenario
//! holds fixed (lb1 master at priority 200, lb2 backup at 100, preemption on, VRRP version 3)
//! is compared with the file and every difference is a warning at `file:line`, as is every
//! statement simpark does not model (scripts, interfaces, addresses, authentication).
//!
//! What it must never do: guess a role: a file whose instance is neither `state MASTER` nor
//! `state BACKUP` is an error, as is a missing `vrrp_instance`.

use super::{ImportError, Warning};
use crate::policy::vrrp::{DEFAULT_ADVERT_INTERVAL_CS, MAX_ADVERT_INTERVAL_CS};

/// The priorities the scenario's pair runs with (`schema::Balancer::pair`).
const PRIORITY_LB1: u32 = 200;
const PRIORITY_LB2: u32 = 100;
/// Bound on block nesting (keepalived's own files nest three deep).
const DEPTH_MAX: usize = 32;

/// One statement: its words, its line and its `{ ... }` block if it has one.
#[derive(Clone, Debug)]
struct Node {
    line: usize,
    words: Vec<String>,
    block: Option<Vec<Node>>,
}

/// What the files give the scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Vrrp {
    /// `advert_int` [ms], the MASTER's.
    pub(crate) advert_ms: f64,
    pub(crate) warnings: Vec<Warning>,
}

fn at(file: &str, line: usize, message: impl Into<String>) -> ImportError {
    ImportError::At {
        file: file.to_string(),
        line,
        message: message.into(),
    }
}

/// Split into (line, token): blanks separate, `{` and `}` are tokens of their own, `#` and `!`
/// start comments, `"..."` is one token.
fn tokens(text: &str, file: &str) -> Result<Vec<(usize, String)>, ImportError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let no = i + 1;
        let mut cur = String::new();
        let mut chars = raw.chars();
        let flush = |cur: &mut String, out: &mut Vec<(usize, String)>| {
            if !cur.is_empty() {
                out.push((no, std::mem::take(cur)));
            }
        };
        while let Some(c) = chars.next() {
            match c {
                '#' | '!' => break,
                '{' | '}' => {
                    flush(&mut cur, &mut out);
                    out.push((no, c.to_string()));
                }
                '"' => loop {
                    match chars.next() {
                        Some('"') => break,
                        Some(ch) => cur.push(ch),
                        None => return Err(at(file, no, "unmatched double quote")),
                    }
                },
                c if c.is_whitespace() => flush(&mut cur, &mut out),
                c => cur.push(c),
            }
        }
        flush(&mut cur, &mut out);
    }
    Ok(out)
}

fn parse_block(toks: &[(usize, String)], pos: &mut usize, depth: usize, file: &str) -> Result<Vec<Node>, ImportError> {
    let mut nodes: Vec<Node> = Vec::new();
    while *pos < toks.len() {
        let (no, tok) = &toks[*pos];
        match tok.as_str() {
            "}" => {
                if depth == 0 {
                    return Err(at(file, *no, "`}` without an open block"));
                }
                *pos += 1;
                return Ok(nodes);
            }
            "{" => {
                if depth >= DEPTH_MAX {
                    return Err(at(file, *no, format!("blocks nest deeper than {DEPTH_MAX}")));
                }
                *pos += 1;
                let block = parse_block(toks, pos, depth + 1, file)?;
                match nodes.last_mut() {
                    Some(n) if n.block.is_none() && n.line == *no => n.block = Some(block),
                    _ => nodes.push(Node {
                        line: *no,
                        words: Vec::new(),
                        block: Some(block),
                    }),
                }
            }
            _ => {
                // Words on the same line as the last statement (and before its block) extend it.
                match nodes.last_mut() {
                    Some(n) if n.line == *no && n.block.is_none() => n.words.push(tok.clone()),
                    _ => nodes.push(Node {
                        line: *no,
                        words: vec![tok.clone()],
                        block: None,
                    }),
                }
                *pos += 1;
            }
        }
    }
    if depth > 0 {
        let line = toks.last().map_or(0, |t| t.0);
        return Err(at(file, line, "a `{` block is not closed"));
    }
    Ok(nodes)
}

/// One router's instance as read.
struct Instance {
    file: String,
    line: usize,
    master: bool,
    priority: u32,
    advert_ms: f64,
}

/// A warning at `file:line`.
fn warning(file: &str, line: usize, message: String) -> Warning {
    Warning {
        file: file.to_string(),
        line,
        message,
    }
}

/// Read one keepalived.conf: its `vrrp_instance` (the one named `instance`, or the only one).
fn read(text: &str, file: &str, instance: Option<&str>, warnings: &mut Vec<Warning>) -> Result<Instance, ImportError> {
    let toks = tokens(text, file)?;
    let mut pos = 0;
    let nodes = parse_block(&toks, &mut pos, 0, file)?;
    let chosen = choose_instance(&nodes, file, instance)?;
    let mut version = other_blocks(&nodes, chosen, file, warnings)?;
    let keys = instance_keys(chosen, file, warnings, &mut version)?;
    let Some(master) = keys.state else {
        return Err(at(
            file,
            chosen.line,
            "this vrrp_instance has no `state MASTER` or `state BACKUP`; simpark needs the role",
        ));
    };
    check_version(version, chosen.line, file, warnings)?;
    warn_priority(master, keys.priority, chosen.line, file, warnings);
    Ok(Instance {
        file: file.to_string(),
        line: chosen.line,
        master,
        priority: keys.priority,
        advert_ms: keys.advert_ms,
    })
}

/// The `vrrp_instance` to import: the one named `instance`, or the only one.
fn choose_instance<'a>(nodes: &'a [Node], file: &str, instance: Option<&str>) -> Result<&'a Node, ImportError> {
    let instances: Vec<&Node> = nodes
        .iter()
        .filter(|n| n.words.first().map(String::as_str) == Some("vrrp_instance"))
        .collect();
    let names: Vec<&str> = instances
        .iter()
        .map(|n| n.words.get(1).map_or("", String::as_str))
        .collect();
    match instance {
        Some(want) => instances
            .iter()
            .find(|n| n.words.get(1).map(String::as_str) == Some(want))
            .copied()
            .ok_or_else(|| ImportError::File {
                file: file.to_string(),
                message: format!("no vrrp_instance named `{want}`; found: {}", names.join(", ")),
            }),
        None if instances.len() == 1 => Ok(instances[0]),
        None => Err(ImportError::File {
            file: file.to_string(),
            message: if instances.is_empty() {
                "no vrrp_instance to import".to_string()
            } else {
                format!(
                    "{} vrrp_instance blocks ({}); choose one with --instance NAME",
                    instances.len(),
                    names.join(", ")
                )
            },
        }),
    }
}

/// Warn for every top-level block but the chosen instance (checking `vrrp_script` keywords)
/// and return `global_defs`' `vrrp_version` (line, value), if it states one.
fn other_blocks(
    nodes: &[Node],
    chosen: &Node,
    file: &str,
    warnings: &mut Vec<Warning>,
) -> Result<Option<(usize, String)>, ImportError> {
    let mut version: Option<(usize, String)> = None;
    for n in nodes {
        let key = n.words.first().map_or("", String::as_str);
        if std::ptr::eq(n, chosen) {
            continue;
        }
        match key {
            "vrrp_script" => script_warnings(n, file, warnings)?,
            "global_defs" => {
                for c in n.block.iter().flatten() {
                    if c.words.first().map(String::as_str) == Some("vrrp_version") {
                        version = Some((c.line, c.words.get(1).cloned().unwrap_or_default()));
                    } else {
                        warnings.push(warning(
                            file,
                            c.line,
                            format!("global_defs `{}` is not modelled; ignored", c.words.join(" ")),
                        ));
                    }
                }
            }
            _ => warnings.push(warning(
                file,
                n.line,
                format!("`{}` block is not modelled; ignored", n.words.join(" ")),
            )),
        }
    }
    Ok(version)
}

/// Warn for each statement of a `vrrp_script` block; a word that is not one of its keywords
/// is an error.
fn script_warnings(n: &Node, file: &str, warnings: &mut Vec<Warning>) -> Result<(), ImportError> {
    let name = n.words.get(1).map_or("", String::as_str);
    for c in n.block.iter().flatten() {
        let k = c.words.first().map_or("", String::as_str);
        if matches!(
            k,
            "weight" | "rise" | "fall" | "script" | "interval" | "timeout" | "user" | "init_fail"
        ) {
            warnings.push(warning(file, c.line, format!("vrrp_script `{name}`: `{}` is not modelled (simpark's pair fails over when lb1 fails, not on a tracked script)", c.words.join(" "))));
        } else {
            return Err(at(
                file,
                c.line,
                format!(
                    "`{k}` is not a vrrp_script keyword; valid: script interval timeout weight rise fall user init_fail"
                ),
            ));
        }
    }
    Ok(())
}

/// What a `vrrp_instance` block states of the role, priority and interval.
struct InstanceKeys {
    /// `state`: MASTER = true; `None` if the block does not say.
    state: Option<bool>,
    priority: u32,
    /// `advert_int` [ms].
    advert_ms: f64,
}

/// Read the statements of the chosen `vrrp_instance`, warning for those not modelled; its
/// `vrrp_version` replaces `version`.
fn instance_keys(
    chosen: &Node,
    file: &str,
    warnings: &mut Vec<Warning>,
    version: &mut Option<(usize, String)>,
) -> Result<InstanceKeys, ImportError> {
    let mut keys = InstanceKeys {
        state: None,
        priority: PRIORITY_LB2,
        advert_ms: f64::from(DEFAULT_ADVERT_INTERVAL_CS) * 10.0,
    };
    for c in chosen.block.iter().flatten() {
        let k = c.words.first().map_or("", String::as_str);
        let v = c.words.get(1).map(String::as_str);
        match k {
            "state" => keys.state = Some(parse_state(v, file, c.line)?),
            "priority" => keys.priority = parse_priority(v, file, c.line)?,
            "advert_int" => keys.advert_ms = parse_advert_ms(v, file, c.line)?,
            "nopreempt" => warnings.push(warning(
                file,
                c.line,
                "`nopreempt` is not modelled: simpark's lb1 takes the address back when it returns (preemption on)"
                    .to_string(),
            )),
            "preempt_delay" => warnings.push(warning(
                file,
                c.line,
                format!(
                    "`{}` is not modelled: simpark's lb1 preempts at once",
                    c.words.join(" ")
                ),
            )),
            "vrrp_version" => *version = Some((c.line, v.unwrap_or("").to_string())),
            _ => warnings.push(warning(
                file,
                c.line,
                format!("vrrp_instance `{}` is not modelled; ignored", c.words.join(" ")),
            )),
        }
    }
    Ok(keys)
}

/// `state MASTER` (true) or `state BACKUP` (false).
fn parse_state(v: Option<&str>, file: &str, line: usize) -> Result<bool, ImportError> {
    match v {
        Some("MASTER") => Ok(true),
        Some("BACKUP") => Ok(false),
        other => Err(at(
            file,
            line,
            format!(
                "`state {}` is not valid; expected MASTER or BACKUP",
                other.unwrap_or("")
            ),
        )),
    }
}

/// `priority`: an integer 1..=255.
fn parse_priority(v: Option<&str>, file: &str, line: usize) -> Result<u32, ImportError> {
    match v.and_then(|s| s.parse::<u32>().ok()) {
        Some(p) if (1..=255).contains(&p) => Ok(p),
        _ => Err(at(
            file,
            line,
            format!(
                "`priority {}` is not valid; expected an integer 1..=255",
                v.unwrap_or("")
            ),
        )),
    }
}

/// `advert_int` [s] as milliseconds.
fn parse_advert_ms(v: Option<&str>, file: &str, line: usize) -> Result<f64, ImportError> {
    let max_s = f64::from(MAX_ADVERT_INTERVAL_CS) / 100.0;
    match v.and_then(|s| s.parse::<f64>().ok()) {
        // RFC 5798: a whole number of centiseconds up to 4095.
        Some(s) if s > 0.0 && s <= max_s && ((s * 100.0).round() - s * 100.0).abs() < 1e-9 => {
            Ok((s * 100.0).round() * 10.0)
        }
        _ => Err(at(
            file,
            line,
            format!(
                "`advert_int {}` is not valid; expected seconds, a multiple of 0.01 in (0, {max_s}]",
                v.unwrap_or("")
            ),
        )),
    }
}

/// Check the `vrrp_version` stated (line, value): 3 is modelled, 2 (or none, keepalived's
/// default) is a warning at `instance_line` or its own line, anything else an error.
fn check_version(
    version: Option<(usize, String)>,
    instance_line: usize,
    file: &str,
    warnings: &mut Vec<Warning>,
) -> Result<(), ImportError> {
    match version {
        Some((_, v)) if v == "3" => {}
        Some((line, v)) if v == "2" => warnings.push(warning(
            file,
            line,
            "`vrrp_version 2`: simpark models VRRP version 3 (RFC 5798) timers".to_string(),
        )),
        Some((line, v)) => {
            return Err(at(
                file,
                line,
                format!("`vrrp_version {v}` is not valid; expected 2 or 3"),
            ));
        }
        None => warnings.push(warning(
            file,
            instance_line,
            "no `vrrp_version`: keepalived's default is 2; simpark models VRRP version 3 (RFC 5798) timers".to_string(),
        )),
    }
    Ok(())
}

/// Warn if `priority` is not the one the scenario's pair gives this role.
fn warn_priority(master: bool, priority: u32, line: usize, file: &str, warnings: &mut Vec<Warning>) {
    let want = if master { PRIORITY_LB1 } else { PRIORITY_LB2 };
    if priority != want {
        warnings.push(warning(
            file,
            line,
            format!(
                "priority {priority}: simpark's {} runs at priority {want} (the backup's priority sets its takeover skew time)",
                if master { "lb1 (MASTER)" } else { "lb2 (BACKUP)" }
            ),
        ));
    }
}

/// Import one balancer's file or both (`files`: (contents, name)). One must be the MASTER;
/// with two, the other the BACKUP, at a lower priority.
pub fn import(files: &[(String, String)], instance: Option<&str>) -> Result<Vrrp, ImportError> {
    assert!(
        !files.is_empty() && files.len() <= 2,
        "the caller passes one or two files"
    );
    let mut warnings = Vec::new();
    let mut insts = Vec::new();
    for (text, name) in files {
        insts.push(read(text, name, instance, &mut warnings)?);
    }
    let masters: Vec<&Instance> = insts.iter().filter(|i| i.master).collect();
    if masters.len() != 1 {
        let i = &insts[insts.len() - 1];
        return Err(at(
            &i.file,
            i.line,
            format!(
                "{} of the {} files say `state MASTER`; expected exactly one (lb1's)",
                masters.len(),
                insts.len()
            ),
        ));
    }
    let m = masters[0];
    if let Some(b) = insts.iter().find(|i| !i.master) {
        if b.priority >= m.priority {
            return Err(at(
                &b.file,
                b.line,
                format!(
                    "the BACKUP's priority {} is not below the MASTER's {} ({}:{})",
                    b.priority, m.priority, m.file, m.line
                ),
            ));
        }
        if b.advert_ms != m.advert_ms {
            warnings.push(Warning {
                file: b.file.clone(),
                line: b.line,
                message: format!(
                    "advert_int {} ms differs from the MASTER's {} ms; simpark uses the MASTER's",
                    b.advert_ms, m.advert_ms
                ),
            });
        }
    }
    Ok(Vrrp {
        advert_ms: m.advert_ms,
        warnings,
    })
}

impl Vrrp {
    /// As an import result: `balancer.pair = true` and the interval.
    pub fn into_imported(self, files: &[(String, String)]) -> super::Imported {
        super::Imported {
            vrrp_advert_ms: Some(self.advert_ms),
            sources: files.iter().map(|(_, name)| name.clone()).collect(),
            warnings: self.warnings,
            ..super::Imported::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LB1: &str = "\
global_defs {
    router_id lb1
    vrrp_version 3
}
vrrp_script chk_haproxy {
    script \"/usr/bin/killall -0 haproxy\"
    interval 2
    weight 2
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 200
    advert_int 0.5
    virtual_ipaddress { 192.0.2.10/24 }
    track_script {
        chk_haproxy
    }
}
";

    #[test]
    fn master_and_backup_files() {
        let lb2 = LB1
            .replace("MASTER", "BACKUP")
            .replace("priority 200", "priority 150")
            .replace("lb1", "lb2");
        let v = import(&[(LB1.to_string(), "lb1.conf".into()), (lb2, "lb2.conf".into())], None).expect("imports");
        assert_eq!(v.advert_ms, 500.0);
        let shown: Vec<String> = v.warnings.iter().map(|w| format!("{}:{}", w.file, w.line)).collect();
        // router_id, script x3 per file, interface, vrid, address, track_script; lb2's priority.
        assert!(shown.contains(&"lb2.conf:10".to_string()), "{shown:?}");
        assert!(
            v.warnings
                .iter()
                .any(|w| w.file == "lb2.conf" && w.message.starts_with("priority 150"))
        );
        assert!(
            !v.warnings
                .iter()
                .any(|w| w.file == "lb1.conf" && w.message.starts_with("priority"))
        );
        assert!(
            v.warnings
                .iter()
                .any(|w| w.line == 16 && w.message.contains("virtual_ipaddress"))
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        for (text, want) in [
            (
                "vrrp_instance A {\n state MASTER\n advert_int 0.001\n}\n",
                "k.conf:3: `advert_int 0.001` is not valid",
            ),
            (
                "vrrp_instance A {\n state LEADER\n}\n",
                "k.conf:2: `state LEADER` is not valid; expected MASTER or BACKUP",
            ),
            (
                "vrrp_instance A {\n priority 100\n}\n",
                "k.conf:1: this vrrp_instance has no `state",
            ),
            (
                "vrrp_instance A {\n state MASTER\n",
                "k.conf:2: a `{` block is not closed",
            ),
            ("global_defs {\n}\n}\n", "k.conf:3: `}` without an open block"),
            ("global_defs {\n}\n", "k.conf: no vrrp_instance to import"),
            (
                "vrrp_instance A {\n state BACKUP\n}\n",
                "k.conf:1: 0 of the 1 files say `state MASTER`",
            ),
        ] {
            let e = import(&[(text.to_string(), "k.conf".into())], None)
                .expect_err(text)
                .to_string();
            assert!(e.starts_with(want), "{text:?}: {e}");
        }
    }
}
