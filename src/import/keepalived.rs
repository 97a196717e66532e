//! `keepalived.conf` -> the balancer pair's VRRP keys (`balancer.pair`, `vrrp_advert_ms`,
//! `vrrp_priority_lb1|lb2`, `vrrp_preempt`, `vrrp_preempt_delay_ms`).
//!
//! Job: read the `vrrp_instance` of each balancer's keepalived.conf (lb1's and, optionally,
//! lb2's) and its `vrrp_script`s, and state what the scenario models of them: a pair of
//! balancers sharing an address by VRRP version 3, the advertisement interval, the
//! priorities (the higher one is lb1, the preferred master) and the preempting router's
//! `nopreempt` / `preempt_delay` as keepalived 2.2 applies them (it clears both under `state
//! MASTER` and `preempt_delay` under `nopreempt`; docs/import.md has the `keepalived -t`
//! experiment). Every statement simpark does not model (scripts, interfaces, addresses,
//! authentication, VRRP version 2) is a warning at `file:line`.
//!
//! What it must never do: guess a role: an instance without `state` is keepalived's default,
//! BACKUP, and the roles follow the priorities; a missing `vrrp_instance`, two MASTERs and two
//! routers of equal priority (VRRP breaks that tie by IP address, which simpark does not know)
//! are errors. Lines under a config id (`@ID`, keepalived's `-i`) count as `--config-id` says.

use super::{ImportError, Warning};
use crate::policy::vrrp::{DEFAULT_ADVERT_INTERVAL_CS, MAX_ADVERT_INTERVAL_CS};

/// lb2's priority when only lb1's file is given (the scenario's default), or lb1's minus one
/// if that is not below it.
const PRIORITY_LB2: u32 = 100;
/// keepalived's `preempt_delay` range [s] (keepalived.conf(5): 0 to 1000).
const PREEMPT_DELAY_MAX_S: f64 = 1000.0;
/// Bound on block nesting (keepalived's own files nest three deep).
const DEPTH_MAX: usize = 32;

/// One statement: its words, its line and its `{ ... }` block if it has one.
#[derive(Clone, Debug)]
struct Node {
    line: usize,
    words: Vec<String>,
    block: Option<Vec<Node>>,
}

/// What the files give the scenario's `[balancer]` VRRP keys.
#[derive(Clone, Debug, PartialEq)]
pub struct VrrpKeys {
    /// `advert_int` [ms], lb1's.
    pub(crate) advert_ms: f64,
    /// lb1's and lb2's `priority`.
    pub(crate) priorities: [u32; 2],
    /// lb1's preemption as keepalived applies it (`nopreempt` off).
    pub(crate) preempt: bool,
    /// lb1's `preempt_delay` [ms] as keepalived applies it.
    pub(crate) preempt_delay_ms: f64,
    /// lb1's first tracked `vrrp_script`, if any.
    pub(crate) track: Option<Track>,
}

/// A tracked `vrrp_script` as `balancer.vrrp_track` states it.
#[derive(Clone, Debug, PartialEq)]
pub struct Track {
    pub(crate) detects: crate::scenario::TrackDetects,
    pub(crate) interval_ms: f64,
    pub(crate) fall: u32,
    pub(crate) rise: u32,
    pub(crate) weight: i32,
}

/// A `vrrp_script` block as read (keepalived's defaults where it is silent).
#[derive(Clone, Debug)]
struct Script {
    name: String,
    command: String,
    track: Track,
}

/// What the files give the scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Vrrp {
    pub(crate) keys: VrrpKeys,
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
/// start comments, `"..."` is one token. A line starting `@ID` counts only for keepalived run
/// with config id ID (`-i ID`), one starting `@^ID` only for any other ([`conditional`]).
fn tokens(
    text: &str,
    file: &str,
    config_id: Option<&str>,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<(usize, String)>, ImportError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let no = i + 1;
        let Some(raw) = conditional(line, config_id, file, no, warnings) else {
            continue;
        };
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

/// keepalived's conditional lines (keepalived(8) `-i`, `--config-id`): `@ID rest` is `rest`
/// when the config id is ID, `@^ID rest` when it is not; `None` when the line does not count.
/// keepalived's config id defaults to the host's name, which the importer does not know:
/// without `--config-id` it takes the id to be none of those named, and says so per line.
fn conditional<'a>(
    line: &'a str,
    config_id: Option<&str>,
    file: &str,
    no: usize,
    warnings: &mut Vec<Warning>,
) -> Option<&'a str> {
    let t = line.trim_start();
    let Some(cond) = t.strip_prefix('@') else {
        return Some(line);
    };
    let (word, rest) = cond.split_once(char::is_whitespace).unwrap_or((cond, ""));
    let (negated, id) = match word.strip_prefix('^') {
        Some(id) => (true, id),
        None => (false, word),
    };
    let counts = config_id.map_or(negated, |c| (c == id) != negated);
    if config_id.is_none() {
        let read = if counts { "read" } else { "skipped" };
        warnings.push(warning(
            file,
            no,
            format!("`@{word}` line: keepalived's config id (`-i`, default the host's name) is not known; {read} as for an id other than `{id}` (give --config-id)"),
        ));
    }
    counts.then_some(rest)
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

/// One router's instance as read, preemption as keepalived applies it.
struct Instance {
    file: String,
    line: usize,
    master: bool,
    priority: u32,
    advert_ms: f64,
    preempt: bool,
    preempt_delay_ms: f64,
    /// The first tracked script (its `track_script` line, the script as tracked).
    track: Option<(usize, Track)>,
}

/// A warning at `file:line`.
fn warning(file: &str, line: usize, message: String) -> Warning {
    Warning {
        file: file.to_string(),
        line,
        message,
    }
}

/// Read one keepalived.conf as keepalived run with `config_id` reads it: its `vrrp_instance`
/// (the one named `instance`, or the only one).
fn read(
    text: &str,
    file: &str,
    instance: Option<&str>,
    config_id: Option<&str>,
    warnings: &mut Vec<Warning>,
) -> Result<Instance, ImportError> {
    let toks = tokens(text, file, config_id, warnings)?;
    let mut pos = 0;
    let nodes = parse_block(&toks, &mut pos, 0, file)?;
    let chosen = choose_instance(&nodes, file, instance)?;
    let (mut version, scripts) = other_blocks(&nodes, chosen, file, warnings)?;
    let keys = instance_keys(chosen, file, warnings, &mut version)?;
    let track = match &keys.track_script {
        Some(node) => tracked(node, &scripts, file, warnings)?,
        None => None,
    };
    // No `state`: keepalived starts the instance as BACKUP, its default.
    let master = keys.state.unwrap_or(false);
    check_version(version, chosen.line, file, warnings)?;
    let (preempt, preempt_delay_ms) = preemption(&keys, master, file, warnings);
    Ok(Instance {
        file: file.to_string(),
        line: chosen.line,
        master,
        priority: passing_priority(keys.priority, track.as_ref()),
        advert_ms: keys.advert_ms,
        preempt,
        preempt_delay_ms,
        track,
    })
}

/// The priority an instance advertises while its tracked script passes: a positive weight
/// is added (keepalived caps the sum at 254; 255, the address owner, is never changed).
fn passing_priority(priority: u32, track: Option<&(usize, Track)>) -> u32 {
    match track {
        Some((_, t)) if t.weight > 0 && priority < 255 => (priority + t.weight.unsigned_abs()).min(254),
        _ => priority,
    }
}

/// The instance's `track_script` block: its first entry naming a script of the file (a
/// `weight N` there overrides the script's), the others warned about; `None` if it names none.
fn tracked(
    node: &Node,
    scripts: &[Script],
    file: &str,
    warnings: &mut Vec<Warning>,
) -> Result<Option<(usize, Track)>, ImportError> {
    let mut chosen: Option<(usize, Track)> = None;
    for e in node.block.iter().flatten() {
        let name = e.words.first().map_or("", String::as_str);
        let Some(script) = scripts.iter().find(|s| s.name == name) else {
            warnings.push(warning(
                file,
                e.line,
                format!("track_script `{name}`: no vrrp_script of that name in this file; ignored"),
            ));
            continue;
        };
        if chosen.is_some() {
            warnings.push(warning(
                file,
                e.line,
                format!("track_script `{name}`: only the first tracked script is modelled; ignored"),
            ));
            continue;
        }
        let mut track = script.track.clone();
        match e.words.get(1..).unwrap_or_default() {
            [] => {}
            [w, v] if w == "weight" => track.weight = parse_weight(Some(v), file, e.line)?,
            other => warnings.push(warning(
                file,
                e.line,
                format!("track_script `{name}`: `{}` is not modelled; ignored", other.join(" ")),
            )),
        }
        chosen = Some((e.line, track));
    }
    Ok(chosen)
}

/// A `vrrp_script` block, with keepalived's defaults (interval 1 s, weight 0, rise 1, fall
/// 1); what its command checks is told from the command (`detects_of`). `None` for one
/// without a `script`, which keepalived removes.
fn script(n: &Node, file: &str, warnings: &mut Vec<Warning>) -> Result<Option<Script>, ImportError> {
    let name = n.words.get(1).cloned().unwrap_or_default();
    let mut out = Script {
        name: name.clone(),
        command: String::new(),
        track: Track {
            detects: crate::scenario::TrackDetects::Process,
            interval_ms: 1000.0,
            fall: 1,
            rise: 1,
            weight: 0,
        },
    };
    for c in n.block.iter().flatten() {
        let k = c.words.first().map_or("", String::as_str);
        let v = c.words.get(1).map(String::as_str);
        let count = |v: Option<&str>| match v.and_then(|s| s.parse::<u32>().ok()) {
            Some(n) if (1..=255).contains(&n) => Ok(n),
            _ => Err(at(
                file,
                c.line,
                format!("`{k} {}` is not valid; expected 1..=255", v.unwrap_or("")),
            )),
        };
        match k {
            "script" => out.command = c.words[1..].join(" "),
            "interval" => {
                out.track.interval_ms = match v.and_then(|s| s.parse::<f64>().ok()) {
                    Some(s) if s > 0.0 && s <= 3600.0 && (s * 1000.0).fract() == 0.0 => s * 1000.0,
                    _ => {
                        return Err(at(
                            file,
                            c.line,
                            format!(
                                "`interval {}` is not valid; expected seconds in (0, 3600]",
                                v.unwrap_or("")
                            ),
                        ));
                    }
                }
            }
            "weight" => out.track.weight = parse_weight(v, file, c.line)?,
            "rise" => out.track.rise = count(v)?,
            "fall" => out.track.fall = count(v)?,
            "timeout" | "user" | "init_fail" => warnings.push(warning(
                file,
                c.line,
                format!("vrrp_script `{name}`: `{}` is not modelled; ignored", c.words.join(" ")),
            )),
            _ => {
                return Err(at(
                    file,
                    c.line,
                    format!(
                        "`{k}` is not a vrrp_script keyword; valid: script interval timeout weight rise fall user init_fail"
                    ),
                ));
            }
        }
    }
    if out.command.is_empty() {
        // keepalived 2.2.7 (`keepalived -t`): "No script set for vrrp_script NAME - removing";
        // an instance tracking it then finds no such script.
        warnings.push(warning(
            file,
            n.line,
            format!("vrrp_script `{name}` has no `script`: keepalived removes it"),
        ));
        return Ok(None);
    }
    out.track.detects = match detects_of(&out.command) {
        Some(d) => d,
        None => {
            warnings.push(warning(
                file,
                n.line,
                format!(
                    "vrrp_script `{name}`: cannot tell what `{}` checks; taken as a process check (it sees a dead HAProxy, not a hung one; set balancer.vrrp_track.detects)",
                    out.command
                ),
            ));
            crate::scenario::TrackDetects::Process
        }
    };
    Ok(Some(out))
}

/// What a script command sees of HAProxy: a request (`curl`, `wget`, `/dev/tcp`, `nc`,
/// `http`) sees a dead or hung one; a process check (`killall -0`, `kill -0`, `pidof`,
/// `pgrep`, `systemctl is-active`) a dead one; `None` if the command says neither.
fn detects_of(command: &str) -> Option<crate::scenario::TrackDetects> {
    use crate::scenario::TrackDetects;
    let c = command.to_ascii_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| c.contains(w));
    if any(&["curl", "wget", "/dev/tcp", "nc ", "ncat", "http"]) {
        Some(TrackDetects::Http)
    } else if any(&[
        "killall -0",
        "kill -0",
        "pidof",
        "pgrep",
        "systemctl is-active",
        "/proc/",
    ]) {
        Some(TrackDetects::Process)
    } else {
        None
    }
}

/// A `weight`: an integer -253..=253 (keepalived's range).
fn parse_weight(v: Option<&str>, file: &str, line: usize) -> Result<i32, ImportError> {
    match v.and_then(|s| s.parse::<i32>().ok()) {
        Some(w) if (-253..=253).contains(&w) => Ok(w),
        _ => Err(at(
            file,
            line,
            format!("`weight {}` is not valid; expected -253..=253", v.unwrap_or("")),
        )),
    }
}

/// Preemption (on?, delay [ms]) as keepalived 2.2 applies the instance's statements: at
/// priority 255 it clears `nopreempt`, under `state MASTER` it clears `nopreempt` and
/// `preempt_delay`, and under `nopreempt` it resets `preempt_delay`; each clearing is a
/// warning with keepalived's own words (`live_keepalived_clears_preemption_as_the_importer_does`).
fn preemption(keys: &InstanceKeys, master: bool, file: &str, warnings: &mut Vec<Warning>) -> (bool, f64) {
    let mut nopreempt = keys.nopreempt;
    let mut delay = keys.preempt_delay;
    let mut clear = |line: usize, what: &str| {
        warnings.push(warning(
            file,
            line,
            format!("{what} (as keepalived does; preemption stays as if it were absent)"),
        ));
    };
    // In keepalived's order: priority 255 first (`state MASTER` then finds no nopreempt).
    if keys.priority == 255
        && let Some(line) = nopreempt.take()
    {
        clear(line, "`nopreempt` is incompatible with priority 255 - cleared");
    }
    if master {
        if let Some(line) = nopreempt.take() {
            clear(line, "`nopreempt` will not work with initial state MASTER - cleared");
        }
        if let Some((line, _)) = delay.take() {
            clear(
                line,
                "`preempt_delay` will not work with initial state MASTER - cleared",
            );
        }
    }
    if nopreempt.is_some()
        && let Some((line, _)) = delay.take()
    {
        clear(line, "`preempt_delay` is incompatible with nopreempt mode - reset");
    }
    (nopreempt.is_none(), delay.map_or(0.0, |(_, s)| s * 1000.0))
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

/// The `vrrp_version` of `global_defs` (line, value), if it states one, and the file's
/// `vrrp_script`s.
type Blocks = (Option<(usize, String)>, Vec<Script>);

/// Read the `vrrp_script` blocks and `global_defs`' `vrrp_version`; warn for every other
/// top-level block but the chosen instance.
fn other_blocks(nodes: &[Node], chosen: &Node, file: &str, warnings: &mut Vec<Warning>) -> Result<Blocks, ImportError> {
    let mut version: Option<(usize, String)> = None;
    let mut scripts = Vec::new();
    for n in nodes {
        let key = n.words.first().map_or("", String::as_str);
        if std::ptr::eq(n, chosen) {
            continue;
        }
        match key {
            "vrrp_script" => scripts.extend(script(n, file, warnings)?),
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
    Ok((version, scripts))
}

/// Warn for each statement of a `vrrp_script` block; a word that is not one of its keywords
/// What a `vrrp_instance` block states of the role, priority, interval and preemption.
struct InstanceKeys {
    /// `state`: MASTER = true; `None` if the block does not say.
    state: Option<bool>,
    priority: u32,
    /// `advert_int` [ms].
    advert_ms: f64,
    /// The line of `nopreempt`, if stated.
    nopreempt: Option<usize>,
    /// The line and seconds of `preempt_delay`, if stated.
    preempt_delay: Option<(usize, f64)>,
    /// The `track_script` block, if any.
    track_script: Option<Node>,
}

/// Read the statements of the chosen `vrrp_instance`, warning for those not modelled; its
/// `version` replaces `global_defs`' `vrrp_version` (keepalived 2.2.7 knows no `vrrp_version`
/// inside an instance: "Unknown keyword").
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
        nopreempt: None,
        preempt_delay: None,
        track_script: None,
    };
    for c in chosen.block.iter().flatten() {
        let k = c.words.first().map_or("", String::as_str);
        let v = c.words.get(1).map(String::as_str);
        match k {
            "state" => keys.state = Some(parse_state(v, file, c.line)?),
            "priority" => keys.priority = parse_priority(v, file, c.line)?,
            "advert_int" => keys.advert_ms = parse_advert_ms(v, file, c.line)?,
            "nopreempt" => keys.nopreempt = Some(c.line),
            "track_script" => keys.track_script = Some(c.clone()),
            "preempt_delay" => keys.preempt_delay = Some((c.line, parse_preempt_delay(v, file, c.line)?)),
            "version" => *version = Some((c.line, v.unwrap_or("").to_string())),
            "vrrp_version" => warnings.push(warning(
                file,
                c.line,
                "`vrrp_version` is not a vrrp_instance keyword (keepalived: \"Unknown keyword\"); the instance's is `version`; ignored".to_string(),
            )),
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

/// `preempt_delay` [s]: 0..=1000, fractions allowed (keepalived reads a real number).
fn parse_preempt_delay(v: Option<&str>, file: &str, line: usize) -> Result<f64, ImportError> {
    match v.and_then(|s| s.parse::<f64>().ok()) {
        Some(s) if (0.0..=PREEMPT_DELAY_MAX_S).contains(&s) => Ok(s),
        _ => Err(at(
            file,
            line,
            format!(
                "`preempt_delay {}` is not valid; expected seconds 0..={PREEMPT_DELAY_MAX_S}",
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
            "VRRP version 2 (`vrrp_version` / `version`): simpark models VRRP version 3 (RFC 5798) timers".to_string(),
        )),
        Some((line, v)) => {
            return Err(at(
                file,
                line,
                format!("VRRP version `{v}` is not valid; expected 2 or 3"),
            ));
        }
        None => warnings.push(warning(
            file,
            instance_line,
            "no `vrrp_version` (global_defs) or `version` (vrrp_instance): keepalived's default is 2; simpark models VRRP version 3 (RFC 5798) timers".to_string(),
        )),
    }
    Ok(())
}

/// Import one balancer's file or both (`files`: (contents, name)). With two, the higher
/// priority is lb1 (the other must be lower, and neither a MASTER below the other); with
/// one, it is lb1's and lb2 keeps the scenario's priority (below lb1's).
/// `config_ids`: keepalived's `-i` for every file (one) or for each file in order (as many
/// as files), or none.
pub fn import(files: &[(String, String)], instance: Option<&str>, config_ids: &[String]) -> Result<Vrrp, ImportError> {
    assert!(
        !files.is_empty() && files.len() <= 2,
        "the caller passes one or two files"
    );
    assert!(
        config_ids.len() <= 1 || config_ids.len() == files.len(),
        "one config id for all files or one per file"
    );
    let mut warnings = Vec::new();
    let mut insts = Vec::new();
    for (i, (text, name)) in files.iter().enumerate() {
        let id = config_ids.get(i).or(config_ids.first()).map(String::as_str);
        insts.push(read(text, name, instance, id, &mut warnings)?);
    }
    insts.sort_by_key(|i| std::cmp::Reverse(i.priority));
    let lb1 = &insts[0];
    let lb2_priority = match insts.get(1) {
        Some(lb2) => {
            check_roles(lb1, lb2)?;
            warn_lb2(lb1, lb2, &mut warnings);
            lb2.priority
        }
        None if lb1.priority > 1 => passing_priority(PRIORITY_LB2, lb1.track.as_ref()).min(lb1.priority - 1),
        None => {
            return Err(at(
                &lb1.file,
                lb1.line,
                "priority 1 leaves no lower priority for lb2; give lb1 a higher one",
            ));
        }
    };
    warn_weak_weight(lb1, lb2_priority, &mut warnings);
    Ok(Vrrp {
        keys: VrrpKeys {
            advert_ms: lb1.advert_ms,
            priorities: [lb1.priority, lb2_priority],
            preempt: lb1.preempt,
            preempt_delay_ms: lb1.preempt_delay_ms,
            track: lb1.track.as_ref().map(|(_, t)| t.clone()),
        },
        warnings,
    })
}

/// Warn where lb1's tracked script cannot move the address: a non-zero weight that leaves
/// lb1's failing priority at or above lb2's (a classic: `weight 2` with priorities 200/100).
fn warn_weak_weight(lb1: &Instance, lb2_priority: u32, warnings: &mut Vec<Warning>) {
    let Some((line, t)) = &lb1.track else { return };
    if t.weight == 0 {
        return;
    }
    let failing = lb1.priority.saturating_sub(t.weight.unsigned_abs()).max(1);
    if failing >= lb2_priority {
        warnings.push(warning(
            &lb1.file,
            *line,
            format!(
                "weight {} cannot move the address: lb1's priority falls from {} to {failing}, not below lb2's {lb2_priority}, so a dead HAProxy keeps it until repaired (weight 0 would put lb1 in FAULT); simulated as written",
                t.weight, lb1.priority
            ),
        ));
    }
}

/// Two routers (lb1 the higher priority): refuse equal priorities, two MASTERs and a MASTER
/// below a BACKUP.
fn check_roles(lb1: &Instance, lb2: &Instance) -> Result<(), ImportError> {
    if lb1.priority == lb2.priority {
        return Err(at(
            &lb2.file,
            lb2.line,
            format!(
                "priority {} equals {}:{}'s: VRRP breaks the tie by IP address, which simpark does not know; give the preferred master the higher priority",
                lb2.priority, lb1.file, lb1.line
            ),
        ));
    }
    if lb1.master && lb2.master {
        return Err(at(
            &lb2.file,
            lb2.line,
            format!(
                "both files say `state MASTER` ({}:{} too); expected one MASTER (or both BACKUP, as with nopreempt)",
                lb1.file, lb1.line
            ),
        ));
    }
    if lb2.master {
        return Err(at(
            &lb2.file,
            lb2.line,
            format!(
                "`state MASTER` at priority {}, below the BACKUP's {} ({}:{}); the MASTER must have the higher priority",
                lb2.priority, lb1.priority, lb1.file, lb1.line
            ),
        ));
    }
    Ok(())
}

/// Warn where lb2's file says what simpark takes from lb1's: another interval, or a
/// preemption setting (lb2, the lower priority, never preempts).
fn warn_lb2(lb1: &Instance, lb2: &Instance, warnings: &mut Vec<Warning>) {
    let mut warn = |message: String| {
        warnings.push(Warning {
            file: lb2.file.clone(),
            line: lb2.line,
            message,
        })
    };
    if lb2.advert_ms != lb1.advert_ms {
        warn(format!(
            "advert_int {} ms differs from lb1's {} ms ({}:{}); simpark uses lb1's",
            lb2.advert_ms, lb1.advert_ms, lb1.file, lb1.line
        ));
    }
    if lb2.track.as_ref().map(|t| &t.1) != lb1.track.as_ref().map(|t| &t.1) {
        warn(format!(
            "its tracked vrrp_script differs from lb1's ({}:{}); simpark tracks lb1's on both",
            lb1.file, lb1.line
        ));
    }
    if (lb2.preempt, lb2.preempt_delay_ms) != (lb1.preempt, lb1.preempt_delay_ms) {
        warn(format!(
            "preemption differs from lb1's ({}:{}); only lb1's applies: lb2, the lower priority, never preempts",
            lb1.file, lb1.line
        ));
    }
}

impl Vrrp {
    /// What the files state that simpark does not model, or models otherwise.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// As an import result: `balancer.pair = true` and the VRRP keys.
    pub fn into_imported(self, files: &[(String, String)]) -> super::Imported {
        super::Imported {
            vrrp: Some(self.keys),
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
        // Either order: the higher priority is lb1.
        for files in [
            [
                (LB1.to_string(), "lb1.conf".to_string()),
                (lb2.clone(), "lb2.conf".into()),
            ],
            [
                (lb2.clone(), "lb2.conf".into()),
                (LB1.to_string(), "lb1.conf".to_string()),
            ],
        ] {
            let v = import(&files, None, &[]).expect("imports");
            // `weight 2` adds 2 while the script passes: 202 and 152.
            assert_eq!(
                v.keys,
                VrrpKeys {
                    advert_ms: 500.0,
                    priorities: [202, 152],
                    preempt: true,
                    preempt_delay_ms: 0.0,
                    track: Some(Track {
                        detects: crate::scenario::TrackDetects::Process,
                        interval_ms: 2000.0,
                        fall: 1,
                        rise: 1,
                        weight: 2,
                    }),
                }
            );
            let shown: Vec<String> = v.warnings.iter().map(|w| format!("{}:{}", w.file, w.line)).collect();
            // router_id, interface, vrid, address; and lb1's weight too small to move it.
            assert!(shown.contains(&"lb2.conf:12".to_string()), "{shown:?}");
            let weak: Vec<&Warning> = v
                .warnings
                .iter()
                .filter(|w| w.message.contains("cannot move"))
                .collect();
            assert_eq!(weak.len(), 1, "{shown:?}");
            assert!(
                weak[0].file == "lb1.conf" && weak[0].message.contains("falls from 202 to 200, not below lb2's 152")
            );
            assert!(
                v.warnings
                    .iter()
                    .any(|w| w.line == 16 && w.message.contains("virtual_ipaddress"))
            );
        }
    }

    /// `vrrp_script` + `track_script`: what the command sees, keepalived's defaults, a
    /// weight override in `track_script`, only the first tracked script, errors at their line.
    #[test]
    fn tracked_scripts_become_vrrp_track() {
        use crate::scenario::TrackDetects;
        for (cmd, want) in [
            ("/usr/bin/killall -0 haproxy", Some(TrackDetects::Process)),
            ("pidof haproxy", Some(TrackDetects::Process)),
            ("/usr/bin/curl -sf http://127.0.0.1/health", Some(TrackDetects::Http)),
            ("/etc/keepalived/check.sh", None),
        ] {
            assert_eq!(detects_of(cmd), want, "{cmd}");
        }
        let text = "vrrp_script a {\n script \"/usr/bin/curl -sf http://localhost/\"\n}\n\
                    vrrp_script b {\n script \"/etc/check.sh\"\n interval 3\n fall 4\n rise 5\n weight -60\n}\n\
                    vrrp_instance I {\n state MASTER\n priority 150\n track_script {\n  b weight -70\n  a\n  missing\n }\n}\n";
        let v = import(&[(text.to_string(), "k.conf".into())], None, &[]).expect("imports");
        let t = v.keys.track.expect("tracked");
        assert_eq!(
            (t.detects, t.interval_ms, t.fall, t.rise, t.weight),
            (TrackDetects::Process, 3000.0, 4, 5, -70)
        );
        let at = |line: usize, words: &str| v.warnings.iter().any(|w| w.line == line && w.message.contains(words));
        assert!(at(4, "cannot tell what"), "{:?}", v.warnings);
        assert!(at(16, "only the first tracked script"));
        assert!(at(17, "no vrrp_script of that name"));
        // 150 - 70 = 80 is below lb2's 100: the script moves the address, no warning.
        assert!(!v.warnings.iter().any(|w| w.message.contains("cannot move")));
        let bad = "vrrp_script a {\n script x\n weight 300\n}\nvrrp_instance I {\n state MASTER\n}\n";
        let e = import(&[(bad.to_string(), "k.conf".into())], None, &[])
            .expect_err("weight")
            .to_string();
        assert!(e.starts_with("k.conf:3: `weight 300` is not valid"), "{e}");
    }

    /// keepalived 2.2.7's `keepalived -t` (docs/import.md): `nopreempt` and `preempt_delay`
    /// are cleared under `state MASTER`; under `nopreempt`, `preempt_delay` is reset; both
    /// BACKUP with `nopreempt` is the working pattern, and lb1 is the higher priority.
    #[test]
    fn preemption_as_keepalived_applies_it() {
        let inst = |state: &str, prio: u32, extra: &str| {
            format!("vrrp_instance VI_1 {{\n state {state}\n priority {prio}\n{extra}}}\n")
        };
        let one = |text: String| import(&[(text, "k.conf".into())], None, &[]).expect("imports");
        let v = one(inst("BACKUP", 150, " nopreempt\n"));
        assert_eq!((v.keys.priorities, v.keys.preempt), ([150, 100], false));
        let v = one(inst("BACKUP", 150, " preempt_delay 2.5\n"));
        assert_eq!((v.keys.preempt, v.keys.preempt_delay_ms), (true, 2500.0));
        let v = one(inst("MASTER", 150, " nopreempt\n preempt_delay 5\n"));
        assert_eq!((v.keys.preempt, v.keys.preempt_delay_ms), (true, 0.0));
        let cleared: Vec<usize> = v
            .warnings
            .iter()
            .filter(|w| w.message.contains("initial state MASTER"))
            .map(|w| w.line)
            .collect();
        assert_eq!(cleared, [4, 5]);
        let v = one(inst("BACKUP", 150, " nopreempt\n preempt_delay 5\n"));
        assert_eq!((v.keys.preempt, v.keys.preempt_delay_ms), (false, 0.0));
        assert!(
            v.warnings
                .iter()
                .any(|w| w.line == 5 && w.message.contains("incompatible with nopreempt"))
        );
        let v = one(inst("BACKUP", 255, " nopreempt\n"));
        assert!(v.keys.preempt, "priority 255 clears nopreempt");
        let v = one(inst("BACKUP", 90, ""));
        assert_eq!(v.keys.priorities, [90, 89], "lb2 below a low lb1");
        // Both BACKUP with nopreempt: the higher priority is lb1, and its setting applies.
        let v = import(
            &[
                (inst("BACKUP", 100, " nopreempt\n"), "b.conf".into()),
                (inst("BACKUP", 101, " nopreempt\n"), "a.conf".into()),
            ],
            None,
            &[],
        )
        .expect("imports");
        assert_eq!((v.keys.priorities, v.keys.preempt), ([101, 100], false));
        assert!(!v.warnings.iter().any(|w| w.message.contains("preemption differs")));
        let v = import(
            &[
                (inst("MASTER", 200, ""), "a.conf".into()),
                (inst("BACKUP", 100, " nopreempt\n"), "b.conf".into()),
            ],
            None,
            &[],
        )
        .expect("imports");
        assert!(v.keys.preempt);
        assert!(
            v.warnings
                .iter()
                .any(|w| w.file == "b.conf" && w.message.contains("only lb1's applies"))
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
                "vrrp_instance A {\n state MASTER\n",
                "k.conf:2: a `{` block is not closed",
            ),
            ("global_defs {\n}\n}\n", "k.conf:3: `}` without an open block"),
            ("global_defs {\n}\n", "k.conf: no vrrp_instance to import"),
            (
                "vrrp_instance A {\n state BACKUP\n priority 1\n}\n",
                "k.conf:1: priority 1 leaves no lower priority for lb2",
            ),
            (
                "vrrp_instance A {\n state BACKUP\n preempt_delay 1001\n}\n",
                "k.conf:3: `preempt_delay 1001` is not valid; expected seconds 0..=1000",
            ),
        ] {
            let e = import(&[(text.to_string(), "k.conf".into())], None, &[])
                .expect_err(text)
                .to_string();
            assert!(e.starts_with(want), "{text:?}: {e}");
        }
        let pair = |a: &str, b: &str| {
            import(
                &[(a.to_string(), "a.conf".into()), (b.to_string(), "b.conf".into())],
                None,
                &[],
            )
            .expect_err(b)
            .to_string()
        };
        let inst = |state: &str, prio: u32| format!("vrrp_instance A {{\n state {state}\n priority {prio}\n}}\n");
        for ((a, b), want) in [
            (
                (inst("MASTER", 100), inst("BACKUP", 100)),
                "b.conf:1: priority 100 equals a.conf:1's",
            ),
            (
                (inst("MASTER", 200), inst("MASTER", 100)),
                "b.conf:1: both files say `state MASTER`",
            ),
            (
                (inst("MASTER", 100), inst("BACKUP", 200)),
                "a.conf:1: `state MASTER` at priority 100, below",
            ),
        ] {
            let e = pair(&a, &b);
            assert!(e.starts_with(want), "{e}");
        }
    }

    /// No `state` is keepalived's BACKUP; `@ID` lines count as keepalived run with `-i ID`
    /// reads them (the shape of keepalived's own `keepalived.conf.conditional_conf` sample:
    /// one file for both routers), and without a config id they are skipped with a warning.
    #[test]
    fn no_state_is_backup_and_config_id_lines_follow_the_id() {
        let text = "vrrp_instance VI_0 {\n@high priority 170\n@low priority 85\n@^high advert_int 2\n}\n";
        let file = |t: &str| (t.to_string(), "c.conf".to_string());
        let v = import(&[file(text)], None, &["high".into()]).expect("imports");
        assert_eq!((v.keys.priorities[0], v.keys.advert_ms), (170, 1000.0));
        let v = import(&[file(text), file(text)], None, &["high".into(), "low".into()]).expect("a pair");
        assert_eq!(v.keys.priorities, [170, 85], "one file, both routers");
        let v = import(&[file(text)], None, &[]).expect("imports");
        assert_eq!(
            (v.keys.priorities[0], v.keys.advert_ms),
            (100, 2000.0),
            "keepalived's default priority"
        );
        let said: Vec<(usize, bool)> = v
            .warnings
            .iter()
            .filter(|w| w.message.contains("config id"))
            .map(|w| (w.line, w.message.contains("skipped")))
            .collect();
        assert_eq!(said, [(2, true), (3, true), (4, false)]);
    }

    /// What `keepalived -t` (2.2.7) says of these settled the rules: inside an instance the
    /// version keyword is `version` (`vrrp_version` there is "Unknown keyword"), and a
    /// `vrrp_script` without `script` is removed ("No script set ... - removing"), so a
    /// `track_script` naming it tracks nothing.
    #[test]
    fn instance_version_and_scripts_without_a_command_as_keepalived_reads_them() {
        let inst = |extra: &str| format!("vrrp_instance A {{\n state MASTER\n priority 150\n{extra}}}\n");
        let said = |text: String| -> Vec<String> {
            import(&[(text, "k.conf".into())], None, &[])
                .expect("imports")
                .warnings
                .iter()
                .map(|w| w.message.clone())
                .collect()
        };
        let w = said(inst(" version 3\n"));
        assert!(!w.iter().any(|m| m.contains("version")), "{w:?}");
        let w = said(inst(" vrrp_version 3\n"));
        assert!(w.iter().any(|m| m.contains("not a vrrp_instance keyword")), "{w:?}");
        assert!(w.iter().any(|m| m.contains("keepalived's default is 2")), "{w:?}");
        let text = format!(
            "vrrp_script s {{\n interval 1\n}}\n{}",
            inst(" version 3\n track_script {\n  s\n }\n")
        );
        let v = import(&[(text, "k.conf".into())], None, &[]).expect("imports");
        assert_eq!(v.keys.track, None, "a removed script tracks nothing");
        let w: Vec<&str> = v.warnings.iter().map(|w| w.message.as_str()).collect();
        assert!(
            w.iter().any(|m| m.contains("has no `script`: keepalived removes it")),
            "{w:?}"
        );
        assert!(w.iter().any(|m| m.contains("no vrrp_script of that name")), "{w:?}");
    }
}
