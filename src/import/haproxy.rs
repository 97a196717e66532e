//! `haproxy.cfg` -> one backend's servers and settings -> `[balancer]`.
//!
//! Job: tokenize an HAProxy 2.6 configuration the way HAProxy does (comments, quotes,
//! backslash escapes, `"${VAR}"` expansion inside double quotes, `.if/.elif/.else/.endif`
//! blocks), resolve one backend (or `listen`) with the `defaults` it inherits (the last one
//! before it, or the named one of `from`), its `default-server` line and its `server` /
//! `server-template` lines into effective per-server settings ([`Server`]), then map those
//! onto the scenario's `[balancer]` (per-server `weight`, `maxconn`, `slowstart`, `id`,
//! `backup`, `disabled` as lists; the first server's health-check settings as
//! `[balancer.check]` and each other server's differences as `[balancer.check.servers.webK]`),
//! warning at `file:line` for everything the scenario cannot carry (other sections, keywords
//! it does not model).
//!
//! The effective settings are checked against the running program: `tests/it/import.rs`
//! starts haproxy on each corpus file and compares `show servers state` / `show stat`.
//!
//! What it must never do: read the environment (the caller passes the variables), or map a
//! `balance` algorithm simpark does not model onto one it does.

use super::{ImportError, Imported, Warning, haproxy_time_ms};
use crate::scenario::schema::{AlgorithmName, Balancer, Check, CheckOverride, ObserveName, OnErrorName};
use std::collections::BTreeMap;

/// HAProxy's own defaults (configuration manual, section 5.2), used where a line says nothing.
const WEIGHT_DEFAULT: u32 = 1;
const INTER_DEFAULT_MS: f64 = 2_000.0;
const RISE_DEFAULT: u32 = 2;
const FALL_DEFAULT: u32 = 3;
const ERROR_LIMIT_DEFAULT: u32 = 10;
const RETRIES_DEFAULT: u32 = 3;
/// `balance random` without `(<draws>)` draws 2 (manual, `balance random`).
const RANDOM_DRAWS_DEFAULT: u32 = 2;
/// HAProxy 3.3 made `random` the default algorithm; before, roundrobin.
const RANDOM_DEFAULT_SINCE: [u32; 2] = [3, 3];
/// Bound on `.if` nesting (HAProxy's own limit is 256 levels, `MAXNESTEDCONDS`).
const NESTED_CONDS_MAX: usize = 256;
/// Bound on servers a `server-template` may create (HAProxy refuses absurd ranges too).
const TEMPLATE_SERVERS_MAX: u32 = 4096;

/// What the importer is asked for.
#[derive(Clone, Debug)]
pub struct Options {
    /// The backend (or listen section) to import; `None` = the only one.
    pub backend: Option<String>,
    /// The HAProxy version the file is written for: `.if version_atleast(...)` and the
    /// default `balance` follow it. simpark models 2.6 (checked against 2.6.12).
    pub version: Vec<u32>,
    /// The environment `"${VAR}"` expands to (global `setenv`/`presetenv` apply on top).
    pub env: BTreeMap<String, String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            backend: None,
            version: vec![2, 6, 12],
            env: BTreeMap::new(),
        }
    }
}

/// The effective settings of one server after `default-server` and its own line.
#[derive(Clone, Debug, PartialEq)]
pub struct Server {
    /// The server's name on its `server` line.
    pub name: String,
    /// Line of its `server` / `server-template` line.
    pub(crate) line: usize,
    /// `id`, explicit or the one HAProxy assigns (the first free one, in declaration order).
    pub id: u32,
    /// `weight`, 0..=256 (HAProxy default 1).
    pub weight: u32,
    /// 0 = unlimited.
    pub maxconn: u32,
    /// `backup`: used only when no non-backup server is usable.
    pub backup: bool,
    /// `disabled`: starts in maintenance.
    pub disabled: bool,
    /// `check`: health-checked.
    pub check: bool,
    pub(crate) inter_ms: f64,
    /// 0 = unset (same as `inter`).
    pub(crate) fastinter_ms: f64,
    /// 0 = unset (same as `inter`).
    pub(crate) downinter_ms: f64,
    /// `rise`: consecutive good checks to go UP.
    pub rise: u32,
    /// `fall`: consecutive failed checks to go DOWN.
    pub fall: u32,
    pub(crate) slowstart_ms: f64,
    pub(crate) observe: ObserveName,
    pub(crate) error_limit: u32,
    pub(crate) on_error: OnErrorName,
}

/// `balance uri [len <n>] [depth <n>] [whole] [path-only]` as `[balancer]` keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct UriParams {
    pub(crate) whole: bool,
    pub(crate) len: u32,
    pub(crate) depth: u32,
}

/// One backend, resolved.
#[derive(Clone, Debug)]
pub struct Backend {
    /// The backend's (or listen section's) name.
    pub name: String,
    /// Line of its `backend` / `listen` line.
    pub(crate) line: usize,
    /// In declaration order.
    pub servers: Vec<Server>,
    pub(crate) algorithm: AlgorithmName,
    pub(crate) draws: u32,
    pub(crate) uri: UriParams,
    pub(crate) retries: u32,
    /// As `balancer.redispatch`: 0 off, -1 last retry, P every P-th, -N N-th before last.
    pub(crate) redispatch: i32,
    pub(crate) allbackups: bool,
    pub(crate) timeout_connect_ms: Option<f64>,
    pub(crate) timeout_server_ms: Option<f64>,
    pub(crate) timeout_queue_ms: Option<f64>,
    pub(crate) timeout_check_ms: Option<f64>,
    pub(crate) warnings: Vec<Warning>,
}

/// Read `text` (the contents of `file`) and resolve the chosen backend.
pub fn parse(text: &str, file: &str, opts: &Options) -> Result<Backend, ImportError> {
    let mut assumed = Vec::new();
    let lines = preprocess(text, file, opts, &mut assumed)?;
    let mut be = resolve(&lines, file, opts)?;
    be.warnings.extend(assumed);
    be.warnings.sort_by_key(|w| w.line);
    Ok(be)
}

// ---------------------------------------------------------------------------------------------
// Tokenizer and conditional blocks.

/// One logical line: its 1-based number and its words after quoting and expansion.
#[derive(Clone, Debug)]
struct Line {
    no: usize,
    words: Vec<String>,
}

fn at(file: &str, line: usize, message: impl Into<String>) -> ImportError {
    ImportError::At {
        file: file.to_string(),
        line,
        message: message.into(),
    }
}

/// Split one line into words as HAProxy does: blanks separate words, `#` starts a comment,
/// `'...'` is literal, `"..."` expands `$VAR` / `${VAR}`, `\` escapes the next character.
fn tokenize(raw: &str, no: usize, file: &str, env: &BTreeMap<String, String>) -> Result<Vec<String>, ImportError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' => break,
            ' ' | '\t' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(e) => cur.push(e),
                    None => return Err(at(file, no, "a line ends with a lone `\\`")),
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => return Err(at(file, no, "unmatched single quote")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e) => cur.push(e),
                            None => return Err(at(file, no, "unmatched double quote")),
                        },
                        Some('$') => cur.push_str(&expand(&mut chars, no, file, env)?),
                        Some(ch) => cur.push(ch),
                        None => return Err(at(file, no, "unmatched double quote")),
                    }
                }
            }
            _ => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// After a `$` inside double quotes: `${NAME}`, `${NAME-default}` or `$NAME`. An unset
/// variable expands to nothing, as in HAProxy.
fn expand(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    no: usize,
    file: &str,
    env: &BTreeMap<String, String>,
) -> Result<String, ImportError> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut name = String::new();
    if chars.peek() == Some(&'{') {
        chars.next();
        let mut default: Option<String> = None;
        loop {
            match chars.next() {
                Some('}') => break,
                Some('-') if default.is_none() => default = Some(String::new()),
                Some(c) => match &mut default {
                    Some(d) => d.push(c),
                    None if is_name(c) => name.push(c),
                    None => {
                        return Err(at(
                            file,
                            no,
                            format!("`${{{name}{c}...` is not a variable name (letters, digits, `_`)"),
                        ));
                    }
                },
                None => return Err(at(file, no, "`${` without its closing `}`")),
            }
        }
        return Ok(env.get(&name).cloned().or(default).unwrap_or_default());
    }
    while let Some(&c) = chars.peek() {
        if !is_name(c) {
            break;
        }
        name.push(c);
        chars.next();
    }
    if name.is_empty() {
        return Ok("$".to_string());
    }
    Ok(env.get(&name).cloned().unwrap_or_default())
}

/// Per open `.if`: (this branch active, some branch already taken, `.else` seen, line).
type Cond = (bool, bool, bool, usize);

/// Tokenize every line and keep those the `.if` blocks select; `global` `setenv` /
/// `presetenv` / `unsetenv` update the variables as HAProxy does while it reads.
fn preprocess(text: &str, file: &str, opts: &Options, warnings: &mut Vec<Warning>) -> Result<Vec<Line>, ImportError> {
    check_last_lf(text, file)?;
    let mut env = opts.env.clone();
    let mut conds: Vec<Cond> = Vec::new();
    let mut out = Vec::new();
    let mut section = String::new();
    for (i, raw) in text.lines().enumerate() {
        let no = i + 1;
        let words = tokenize(raw, no, file, &env)?;
        if words.is_empty() {
            continue;
        }
        let line = Line { no, words };
        if conditional(&line, &mut conds, file, &env, opts, warnings)? {
            continue;
        }
        let active = conds.iter().all(|c| c.0);
        if !active || is_message(&line, file)? {
            continue;
        }
        update_env(&line.words, &mut section, &mut env);
        out.push(line);
    }
    if let Some(&(_, _, _, line)) = conds.last() {
        return Err(at(file, line, "this `.if` has no `.endif`"));
    }
    Ok(out)
}

/// Refuse a non-empty file whose last line has no LF.
fn check_last_lf(text: &str, file: &str) -> Result<(), ImportError> {
    // HAProxy 2.6 refuses such a file ("Missing LF on last line, file might have been
    // truncated"), seen when the live test first started it.
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(at(
            file,
            text.lines().count(),
            "missing LF on the last line: HAProxy 2.6 refuses the file as possibly truncated",
        ));
    }
    Ok(())
}

/// Apply a `.if` / `.elif` / `.else` / `.endif` line to the open blocks `conds`; `false` if
/// the line is none of these.
fn conditional(
    line: &Line,
    conds: &mut Vec<Cond>,
    file: &str,
    env: &BTreeMap<String, String>,
    opts: &Options,
    warnings: &mut Vec<Warning>,
) -> Result<bool, ImportError> {
    let (no, words) = (line.no, &line.words);
    let outer_active = conds.iter().all(|c| c.0);
    let enclosing_active = conds.len() <= 1 || conds[..conds.len() - 1].iter().all(|c| c.0);
    match words[0].as_str() {
        ".if" => {
            if conds.len() >= NESTED_CONDS_MAX {
                return Err(at(file, no, format!("more than {NESTED_CONDS_MAX} nested `.if`")));
            }
            let v = outer_active && eval_cond(&words[1..], no, file, env, opts, warnings)?;
            conds.push((v, v, false, no));
        }
        ".elif" => {
            let Some(&(_, taken, else_seen, _)) = conds.last() else {
                return Err(at(file, no, "`.elif` without `.if`"));
            };
            if else_seen {
                return Err(at(file, no, "`.elif` after `.else`"));
            }
            let v = enclosing_active && !taken && eval_cond(&words[1..], no, file, env, opts, warnings)?;
            let top = conds.last_mut().expect("checked above");
            top.0 = v;
            top.1 = taken || v;
        }
        ".else" => {
            let Some(top) = conds.last_mut() else {
                return Err(at(file, no, "`.else` without `.if`"));
            };
            if top.2 {
                return Err(at(file, no, "a second `.else` for the same `.if`"));
            }
            top.0 = enclosing_active && !top.1;
            top.1 = true;
            top.2 = true;
        }
        ".endif" => {
            if conds.pop().is_none() {
                return Err(at(file, no, "`.endif` without `.if`"));
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// `true` for a `.diag` / `.notice` / `.warning` line (which changes nothing); `.alert` and
/// any other `.` directive are errors.
fn is_message(line: &Line, file: &str) -> Result<bool, ImportError> {
    let (no, words) = (line.no, &line.words);
    match words[0].as_str() {
        ".alert" => Err(at(
            file,
            no,
            format!("the file raises `.alert {}`: HAProxy refuses it", words[1..].join(" ")),
        )),
        ".diag" | ".notice" | ".warning" => Ok(true),
        s if s.starts_with('.') => Err(at(
            file,
            no,
            format!("`{s}` is not a directive; valid: .if .elif .else .endif .diag .notice .warning .alert"),
        )),
        _ => Ok(false),
    }
}

/// Follow the section a line opens, and apply `global`'s `setenv` / `presetenv` /
/// `unsetenv` to `env`.
fn update_env(words: &[String], section: &mut String, env: &mut BTreeMap<String, String>) {
    let first = &words[0];
    if is_section(first) {
        *section = first.clone();
    } else if section == "global" && first == "unsetenv" {
        // Before the `setenv` case: `unsetenv A B` has three words too.
        for w in &words[1..] {
            env.remove(w);
        }
    } else if section == "global" && words.len() >= 3 {
        match first.as_str() {
            "setenv" => {
                env.insert(words[1].clone(), words[2].clone());
            }
            "presetenv" => {
                env.entry(words[1].clone()).or_insert_with(|| words[2].clone());
            }
            _ => {}
        }
    }
}

/// Evaluate a `.if` condition: terms `defined(V)`, `streq(a,b)`, `strneq(a,b)`,
/// `version_atleast(v)`, `version_before(v)`, `feature(f)`, `enabled(o)` or an integer,
/// combined with `!`, `&&`, `||` and parentheses.
fn eval_cond(
    words: &[String],
    no: usize,
    file: &str,
    env: &BTreeMap<String, String>,
    opts: &Options,
    warnings: &mut Vec<Warning>,
) -> Result<bool, ImportError> {
    let text = words.join(" ");
    let mut p = CondParser {
        s: text.as_bytes(),
        i: 0,
        no,
        file,
        env,
        opts,
        assumed: Vec::new(),
    };
    let v = p.or()?;
    p.blanks();
    if p.i != p.s.len() {
        return Err(at(
            file,
            no,
            format!("cannot read the condition `{text}` from `{}`", &text[p.i..]),
        ));
    }
    for term in p.assumed {
        warnings.push(Warning {
            file: file.to_string(),
            line: no,
            message: format!("`{term}` is taken as true (simpark cannot know the build or the command line)"),
        });
    }
    Ok(v)
}

struct CondParser<'a> {
    s: &'a [u8],
    i: usize,
    no: usize,
    file: &'a str,
    env: &'a BTreeMap<String, String>,
    opts: &'a Options,
    /// `feature()` / `enabled()` terms taken as true, for a warning each.
    assumed: Vec<String>,
}

impl CondParser<'_> {
    fn blanks(&mut self) {
        while self.s.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
    }
    fn eat(&mut self, tok: &str) -> bool {
        self.blanks();
        if self.s[self.i..].starts_with(tok.as_bytes()) {
            self.i += tok.len();
            true
        } else {
            false
        }
    }
    fn or(&mut self) -> Result<bool, ImportError> {
        let mut v = self.and()?;
        while self.eat("||") {
            let r = self.and()?;
            v = v || r;
        }
        Ok(v)
    }
    fn and(&mut self) -> Result<bool, ImportError> {
        let mut v = self.term()?;
        while self.eat("&&") {
            let r = self.term()?;
            v = v && r;
        }
        Ok(v)
    }
    /// One term: `!term`, `(or)`, an integer or a predicate call.
    fn term(&mut self) -> Result<bool, ImportError> {
        if self.eat("!") {
            return Ok(!self.term()?);
        }
        if self.eat("(") {
            let v = self.or()?;
            if !self.eat(")") {
                return Err(at(self.file, self.no, "a `(` in the condition is not closed"));
            }
            return Ok(v);
        }
        let word = self.word();
        if !self.eat("(") {
            return self.integer(&word);
        }
        let close = self.s[self.i..]
            .iter()
            .position(|&b| b == b')')
            .ok_or_else(|| at(self.file, self.no, format!("`{word}(` is not closed")))?;
        let args_text = String::from_utf8_lossy(&self.s[self.i..self.i + close]).into_owned();
        self.i += close + 1;
        self.predicate(&word, &args_text)
    }
    /// The word (letters, digits, `_`) after the blanks at the cursor; empty if none.
    fn word(&mut self) -> String {
        self.blanks();
        let start = self.i;
        while self.i < self.s.len() && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_') {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }
    /// A term without `(`: an integer (true if not 0); nothing at all is false.
    fn integer(&self, word: &str) -> Result<bool, ImportError> {
        match word.parse::<i64>() {
            Ok(n) => Ok(n != 0),
            Err(_) if word.is_empty() => Ok(false),
            Err(_) => Err(at(
                self.file,
                self.no,
                format!(
                    "`{word}` is not a condition term; valid: an integer or defined() feature() streq() strneq() version_atleast() version_before() enabled()"
                ),
            )),
        }
    }
    /// The value of predicate `word` called with `args_text` (the text between the parentheses).
    fn predicate(&mut self, word: &str, args_text: &str) -> Result<bool, ImportError> {
        let args: Vec<&str> = args_text.split(',').map(str::trim).collect();
        let want = |n: usize| -> Result<(), ImportError> {
            if args.len() == n {
                Ok(())
            } else {
                Err(at(
                    self.file,
                    self.no,
                    format!("`{word}` takes {n} argument(s), found `{args_text}`"),
                ))
            }
        };
        match word {
            "defined" => {
                want(1)?;
                Ok(self.env.contains_key(args[0]))
            }
            "streq" | "strneq" => {
                want(2)?;
                Ok((args[0] == args[1]) == (word == "streq"))
            }
            "version_atleast" | "version_before" => {
                want(1)?;
                let v = parse_version(args[0]).ok_or_else(|| {
                    at(
                        self.file,
                        self.no,
                        format!("`{}` is not a version such as 2.6.12", args[0]),
                    )
                })?;
                let atleast = version_cmp(&self.opts.version, &v) != std::cmp::Ordering::Less;
                Ok(atleast == (word == "version_atleast"))
            }
            // Debian's 2.6 build has every feature such configurations test (OPENSSL, LUA,
            // PROMEX, ...); simpark cannot know another build's, and `haproxy -c` decides.
            "feature" | "enabled" => {
                want(1)?;
                self.assumed.push(format!("{word}({args_text})"));
                Ok(true)
            }
            _ => Err(at(
                self.file,
                self.no,
                format!(
                    "`{word}()` is not a predicate; valid: defined feature streq strneq version_atleast version_before enabled"
                ),
            )),
        }
    }
}

/// `2.6.12` -> [2, 6, 12]; dev suffixes (`2.9-dev3`) keep the numeric part.
pub fn parse_version(text: &str) -> Option<Vec<u32>> {
    let core = text.split(['-', '+', '~']).next()?;
    core.split('.').map(|p| p.parse().ok()).collect()
}

fn version_cmp(a: &[u32], b: &[u32]) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| a.get(i).copied().unwrap_or(0).cmp(&b.get(i).copied().unwrap_or(0)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

fn is_section(word: &str) -> bool {
    matches!(
        word,
        "global"
            | "defaults"
            | "frontend"
            | "backend"
            | "listen"
            | "peers"
            | "resolvers"
            | "userlist"
            | "cache"
            | "program"
            | "http-errors"
            | "ring"
            | "mailers"
            | "fcgi-app"
            | "log-forward"
            | "crt-store"
            | "traces"
    )
}

// ---------------------------------------------------------------------------------------------
// Sections, defaults and servers.

/// Server settings as lines state them (`None` = not said here; inherited or HAProxy's default).
#[derive(Clone, Debug, Default)]
struct ServerParams {
    weight: Option<u32>,
    maxconn: Option<u32>,
    backup: Option<bool>,
    disabled: Option<bool>,
    check: Option<bool>,
    inter_ms: Option<f64>,
    fastinter_ms: Option<f64>,
    downinter_ms: Option<f64>,
    rise: Option<u32>,
    fall: Option<u32>,
    slowstart_ms: Option<f64>,
    observe: Option<ObserveName>,
    error_limit: Option<u32>,
    on_error: Option<OnErrorName>,
    id: Option<u32>,
}

impl ServerParams {
    fn over(&self, base: &ServerParams) -> ServerParams {
        macro_rules! pick {
            ($($f:ident),*) => { ServerParams { $($f: self.$f.or(base.$f)),* } };
        }
        pick!(
            weight,
            maxconn,
            backup,
            disabled,
            check,
            inter_ms,
            fastinter_ms,
            downinter_ms,
            rise,
            fall,
            slowstart_ms,
            observe,
            error_limit,
            on_error,
            id
        )
    }
}

/// Server keywords that take no value (the others take one).
const SERVER_FLAGS: &[&str] = &[
    "check",
    "no-check",
    "backup",
    "no-backup",
    "disabled",
    "enabled",
    "ssl",
    "no-ssl",
    "check-ssl",
    "no-check-ssl",
    "send-proxy",
    "send-proxy-v2",
    "send-proxy-v2-ssl",
    "send-proxy-v2-ssl-cn",
    "no-send-proxy",
    "no-send-proxy-v2",
    "agent-check",
    "no-agent-check",
    "tfo",
    "no-tfo",
    "ssl-reuse",
    "no-ssl-reuse",
    "no-sslv3",
    "no-tlsv10",
    "no-tlsv11",
    "no-tlsv12",
    "no-tlsv13",
    "force-sslv3",
    "force-tlsv10",
    "force-tlsv11",
    "force-tlsv12",
    "force-tlsv13",
    "allow-0rtt",
    "check-send-proxy",
    "non-stick",
    "stick",
    "tls-tickets",
    "no-tls-tickets",
    "no-verifyhost",
    "check-via-socks4",
    "no-check-send-proxy",
    "tcp-ut",
];

/// Settings a `defaults`, `backend` or `listen` section states.
#[derive(Clone, Debug, Default)]
struct ProxyConf {
    balance: Option<(AlgorithmName, u32)>,
    /// `balance uri` parameters (`whole`, `len`, `depth`), set with `balance`.
    uri: UriParams,
    /// A `hash-type` line other than HAProxy's default `map-based sdbm` (line, text).
    hash_type: Option<(usize, String)>,
    retries: Option<u32>,
    redispatch: Option<i32>,
    allbackups: Option<bool>,
    timeout_connect_ms: Option<f64>,
    timeout_server_ms: Option<f64>,
    timeout_queue_ms: Option<f64>,
    timeout_check_ms: Option<f64>,
    default_server: ServerParams,
    /// What the section says that simpark does not model (reported if the backend uses it).
    unmodelled: Vec<Warning>,
}

struct Parser<'a> {
    file: &'a str,
}

impl Parser<'_> {
    fn err(&self, no: usize, m: impl Into<String>) -> ImportError {
        at(self.file, no, m)
    }
    fn warn(&self, no: usize, m: impl Into<String>) -> Warning {
        Warning {
            file: self.file.to_string(),
            line: no,
            message: m.into(),
        }
    }
    fn num(&self, no: usize, key: &str, v: Option<&String>, min: u32, max: u32) -> Result<u32, ImportError> {
        let text = v.ok_or_else(|| self.err(no, format!("`{key}` needs a value (an integer {min}..={max})")))?;
        match text.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(self.err(
                no,
                format!("`{key} {text}` is not valid; expected an integer {min}..={max}"),
            )),
        }
    }
    fn time(&self, no: usize, key: &str, v: Option<&String>) -> Result<f64, ImportError> {
        let text = v.ok_or_else(|| self.err(no, format!("`{key}` needs a time (e.g. 2s, 500ms, 2000)")))?;
        haproxy_time_ms(text).ok_or_else(|| {
            self.err(
                no,
                format!(
                    "`{key} {text}` is not valid; expected a time: digits with us, ms, s, m, h or d (no unit = ms)"
                ),
            )
        })
    }

    /// Apply a server line's parameters (after name and address) to `p`.
    fn server_params(
        &self,
        no: usize,
        words: &[String],
        p: &mut ServerParams,
        warns: &mut Vec<Warning>,
        allow_id: bool,
    ) -> Result<(), ImportError> {
        let mut i = 0;
        while i < words.len() {
            let k = words[i].as_str();
            let v = words.get(i + 1);
            let mut takes = 1;
            match k {
                "check" => p.check = Some(true),
                "no-check" => p.check = Some(false),
                "backup" => p.backup = Some(true),
                "no-backup" => p.backup = Some(false),
                "disabled" => p.disabled = Some(true),
                "enabled" => p.disabled = Some(false),
                "weight" => p.weight = Some(self.num(no, k, v, 0, 256)?),
                "maxconn" => p.maxconn = Some(self.num(no, k, v, 0, i32::MAX as u32)?),
                "rise" => p.rise = Some(self.num(no, k, v, 1, i32::MAX as u32)?),
                "fall" => p.fall = Some(self.num(no, k, v, 1, i32::MAX as u32)?),
                "error-limit" => p.error_limit = Some(self.num(no, k, v, 1, i32::MAX as u32)?),
                "inter" => p.inter_ms = Some(self.positive_time(no, k, v)?),
                "fastinter" => p.fastinter_ms = Some(self.positive_time(no, k, v)?),
                "downinter" => p.downinter_ms = Some(self.positive_time(no, k, v)?),
                "slowstart" => p.slowstart_ms = Some(self.time(no, k, v)?),
                "id" if allow_id => p.id = Some(self.num(no, k, v, 1, i32::MAX as u32)?),
                "observe" => {
                    p.observe = Some(match v.map(String::as_str) {
                        Some("none") => ObserveName::None,
                        Some("layer4") => ObserveName::Layer4,
                        Some("layer7") => {
                            warns.push(self.warn(no, "`observe layer7` is not modelled (simpark observes connections only); imported as `observe layer4`"));
                            ObserveName::Layer4
                        }
                        other => {
                            return Err(self.err(
                                no,
                                format!(
                                    "`observe {}` is not valid; expected none, layer4 or layer7",
                                    other.map_or("", |s| s)
                                ),
                            ));
                        }
                    })
                }
                "on-error" => {
                    p.on_error = Some(match v.map(String::as_str) {
                        Some("fastinter") => OnErrorName::Fastinter,
                        Some("fail-check") => OnErrorName::FailCheck,
                        Some("sudden-death") => OnErrorName::SuddenDeath,
                        Some("mark-down") => OnErrorName::MarkDown,
                        other => {
                            return Err(self.err(no, format!("`on-error {}` is not valid; expected fastinter, fail-check, sudden-death or mark-down", other.map_or("", |s| s))));
                        }
                    })
                }
                _ if SERVER_FLAGS.contains(&k) => {
                    takes = 0;
                    warns.push(self.warn(no, format!("server keyword `{k}` is not modelled; ignored")));
                }
                _ => {
                    let shown = v.map_or(String::new(), |v| format!(" {v}"));
                    warns.push(self.warn(no, format!("server keyword `{k}{shown}` is not modelled; ignored")));
                }
            }
            i += 1 + if SERVER_FLAGS.contains(&k) { 0 } else { takes };
        }
        Ok(())
    }

    /// The parameters of `balance uri` (`backend_parse_balance`, src/backend.c): `len` and
    /// `depth` take a positive integer; `path-only` changes nothing for the origin-form
    /// URIs simpark's requests carry (their path is the whole URI).
    fn uri_params(&self, no: usize, args: &[String]) -> Result<UriParams, ImportError> {
        let mut p = UriParams::default();
        let mut i = 0;
        while i < args.len() {
            match args[i].as_str() {
                "whole" => p.whole = true,
                "path-only" => {}
                k @ ("len" | "depth") => {
                    let n = self.num(no, &format!("balance uri {k}"), args.get(i + 1), 1, i32::MAX as u32)?;
                    if k == "len" {
                        p.len = n;
                    } else {
                        p.depth = n;
                    }
                    i += 1;
                }
                other => {
                    return Err(self.err(
                        no,
                        format!("`balance uri` only accepts parameters `len`, `depth`, `path-only` and `whole` (got `{other}`)"),
                    ));
                }
            }
            i += 1;
        }
        Ok(p)
    }

    fn positive_time(&self, no: usize, key: &str, v: Option<&String>) -> Result<f64, ImportError> {
        let t = self.time(no, key, v)?;
        if t == 0.0 {
            return Err(self.err(no, format!("`{key} 0` is not valid; expected a time > 0")));
        }
        Ok(t)
    }

    /// Apply one line of a `defaults`/`backend`/`listen` section.
    fn proxy_line(&self, line: &Line, conf: &mut ProxyConf, is_defaults: bool) -> Result<(), ImportError> {
        let w = &line.words;
        let no = line.no;
        let k = w[0].as_str();
        match k {
            "balance" => self.balance(no, w, conf)?,
            // HAProxy's default (`map-based`, `sdbm`, no `avalanche`) is what simpark models;
            // another one is refused when the backend hashes (`source`, `uri`).
            "hash-type" => {
                let rest: Vec<&str> = w[1..].iter().map(String::as_str).collect();
                conf.hash_type = match rest[..] {
                    ["map-based"] | ["map-based", "sdbm"] => None,
                    _ => Some((no, w.join(" "))),
                };
            }
            "retries" => conf.retries = Some(self.num(no, k, w.get(1), 0, i32::MAX as u32)?),
            "timeout" => self.timeout(no, w, conf)?,
            "contimeout" | "srvtimeout" => {
                return Err(self.err(
                    no,
                    format!("`{k}` was removed in HAProxy 2.1; use `timeout connect` / `timeout server`"),
                ));
            }
            "option" | "no" => self.option(no, w, conf)?,
            "default-server" => {
                let mut warns = Vec::new();
                let mut p = ServerParams::default();
                self.server_params(no, &w[1..], &mut p, &mut warns, false)?;
                conf.default_server = p.over(&conf.default_server);
                conf.unmodelled.extend(warns);
            }
            "mode" if w.get(1).map(String::as_str) == Some("http") => {}
            "mode" => conf.unmodelled.push(self.warn(
                no,
                format!(
                    "`{}`: simpark models HTTP request/response (mode http); imported as such",
                    w.join(" ")
                ),
            )),
            "server" | "server-template" if is_defaults => {
                return Err(self.err(no, format!("`{k}` is not allowed in a defaults section")));
            }
            _ => self.unmodelled(no, conf, w.join(" ")),
        }
        Ok(())
    }

    /// Note in `conf` that line `no`'s `what` is not modelled.
    fn unmodelled(&self, no: usize, conf: &mut ProxyConf, what: String) {
        conf.unmodelled
            .push(self.warn(no, format!("`{what}` is not modelled; ignored")))
    }

    /// `balance <algorithm> [params]`: the algorithm, and `uri`'s parameters.
    fn balance(&self, no: usize, w: &[String], conf: &mut ProxyConf) -> Result<(), ImportError> {
        let (alg, draws) = self.algorithm(no, w.get(1).map(String::as_str).unwrap_or(""))?;
        conf.uri = UriParams::default();
        if alg == AlgorithmName::Uri {
            conf.uri = self.uri_params(no, &w[2..])?;
        } else if w.len() > 2 {
            self.unmodelled(no, conf, w.join(" "));
        }
        conf.balance = Some((alg, draws));
        Ok(())
    }

    /// A `balance` algorithm simpark models, with its draws (`random(<draws>)`).
    fn algorithm(&self, no: usize, arg: &str) -> Result<(AlgorithmName, u32), ImportError> {
        Ok(match arg {
            "roundrobin" => (AlgorithmName::Roundrobin, RANDOM_DRAWS_DEFAULT),
            "static-rr" => (AlgorithmName::StaticRr, RANDOM_DRAWS_DEFAULT),
            "leastconn" => (AlgorithmName::Leastconn, RANDOM_DRAWS_DEFAULT),
            "first" => (AlgorithmName::First, RANDOM_DRAWS_DEFAULT),
            "source" => (AlgorithmName::Source, RANDOM_DRAWS_DEFAULT),
            "random" => (AlgorithmName::Random, RANDOM_DRAWS_DEFAULT),
            "uri" => (AlgorithmName::Uri, RANDOM_DRAWS_DEFAULT),
            a if a.starts_with("random(") && a.ends_with(')') => {
                let d = &a["random(".len()..a.len() - 1];
                match d.parse::<u32>() {
                    Ok(n) if (1..=100).contains(&n) => (AlgorithmName::Random, n),
                    _ => return Err(self.err(no, format!("`balance {a}`: draws must be an integer 1..=100"))),
                }
            }
            a => {
                return Err(self.err(
                    no,
                    format!("`balance {a}` is not modelled by simpark; valid: roundrobin, static-rr, leastconn, first, source, uri, random, random(<draws>)"),
                ));
            }
        })
    }

    /// `timeout connect|server|queue|check <time>`; other timeouts are not modelled.
    fn timeout(&self, no: usize, w: &[String], conf: &mut ProxyConf) -> Result<(), ImportError> {
        let which = w.get(1).map(String::as_str).unwrap_or("");
        let slot = match which {
            "connect" => &mut conf.timeout_connect_ms,
            "server" => &mut conf.timeout_server_ms,
            "queue" => &mut conf.timeout_queue_ms,
            "check" => &mut conf.timeout_check_ms,
            _ => {
                self.unmodelled(no, conf, w.join(" "));
                return Ok(());
            }
        };
        *slot = Some(self.time(no, &format!("timeout {which}"), w.get(2))?);
        Ok(())
    }

    /// `[no] option redispatch [<interval>]` and `[no] option allbackups`; other options
    /// (and other `no` lines) are not modelled.
    fn option(&self, no: usize, w: &[String], conf: &mut ProxyConf) -> Result<(), ImportError> {
        let negated = w[0] == "no";
        let rest = if negated {
            if w.get(1).map(String::as_str) != Some("option") {
                self.unmodelled(no, conf, w.join(" "));
                return Ok(());
            }
            &w[2..]
        } else {
            &w[1..]
        };
        match rest.first().map(String::as_str) {
            Some("redispatch") => {
                conf.redispatch = Some(if negated {
                    0
                } else {
                    match rest.get(1) {
                        None => -1,
                        Some(n) => n.parse::<i32>().map_err(|_| {
                            self.err(
                                no,
                                format!(
                                    "`option redispatch {n}` is not valid; expected an integer interval (e.g. -1, 1, 2)"
                                ),
                            )
                        })?,
                    }
                })
            }
            Some("allbackups") => conf.allbackups = Some(!negated),
            _ => self.unmodelled(no, conf, w.join(" ")),
        }
        Ok(())
    }

    /// Apply the backend section's `lines` to `conf` and return its servers in declaration
    /// order (each over the `default-server` in force at its line).
    fn backend_lines(
        &self,
        lines: &[Line],
        conf: &mut ProxyConf,
        warnings: &mut Vec<Warning>,
    ) -> Result<Vec<RawServer>, ImportError> {
        let mut servers_raw: Vec<RawServer> = Vec::new();
        for l in lines {
            match l.words[0].as_str() {
                "server" => servers_raw.push(self.server(l, &conf.default_server, warnings)?),
                "server-template" => self.server_template(l, &conf.default_server, warnings, &mut servers_raw)?,
                _ => self.proxy_line(l, conf, false)?,
            }
        }
        Ok(servers_raw)
    }

    /// `server <name> <address>[:port] [params]` over `default_server`.
    fn server(
        &self,
        l: &Line,
        default_server: &ServerParams,
        warnings: &mut Vec<Warning>,
    ) -> Result<RawServer, ImportError> {
        if l.words.len() < 3 {
            return Err(self.err(
                l.no,
                "`server` needs a name and an address: server <name> <address>[:port] [params]",
            ));
        }
        let mut sp = ServerParams::default();
        self.server_params(l.no, &l.words[3..], &mut sp, warnings, true)?;
        Ok((l.words[1].clone(), l.no, sp.over(default_server)))
    }

    /// `server-template <prefix> <num | range> <fqdn>[:port] [params]`: its servers, over
    /// `default_server`, appended to `out`.
    fn server_template(
        &self,
        l: &Line,
        default_server: &ServerParams,
        warnings: &mut Vec<Warning>,
        out: &mut Vec<RawServer>,
    ) -> Result<(), ImportError> {
        if l.words.len() < 4 {
            return Err(self.err(l.no, "`server-template` needs <prefix> <num | range> <fqdn>[:port]"));
        }
        let (lo, hi) = self.template_range(l)?;
        let mut sp = ServerParams::default();
        self.server_params(l.no, &l.words[4..], &mut sp, warnings, true)?;
        for n in lo..=hi {
            let mut s = sp.clone();
            // HAProxy 2.6: an `id` on a template is the first server's only; the others
            // are numbered automatically (seen with `show servers state`).
            s.id = sp.id.filter(|_| n == lo);
            out.push((format!("{}{n}", l.words[1]), l.no, s.over(default_server)));
        }
        Ok(())
    }

    /// A `server-template`'s numbers: `N` is 1..=N, `A-B` is A..=B. HAProxy 2.6 accepts a
    /// range from 0 (`0-9` names `p0`..`p9`), but not a count of 0.
    fn template_range(&self, l: &Line) -> Result<(u32, u32), ImportError> {
        let range = &l.words[2];
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (a.parse::<u32>().ok(), b.parse::<u32>().ok()),
            None => (Some(1), range.parse::<u32>().ok()),
        };
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Err(self.err(
                l.no,
                format!(
                    "`server-template {} {range}`: expected a count (3) or a range (1-3)",
                    l.words[1]
                ),
            ));
        };
        if hi < lo || hi - lo >= TEMPLATE_SERVERS_MAX {
            return Err(self.err(l.no, format!("`server-template` range `{range}` is not valid; expected N >= 1 or A-B with A <= B, at most {TEMPLATE_SERVERS_MAX} servers")));
        }
        Ok((lo, hi))
    }
}

/// One section as read: kind, name, `from`, line and its lines.
struct Section<'a> {
    kind: &'a str,
    name: Option<&'a str>,
    from: Option<&'a str>,
    no: usize,
    lines: &'a [Line],
}

fn sections(lines: &[Line]) -> Vec<Section<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let head = &lines[i];
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && !is_section(&lines[end].words[0]) {
            end += 1;
        }
        let w = &head.words;
        let (kind, name, from) = if is_section(&w[0]) {
            let name = w.get(1).filter(|s| s.as_str() != "from").map(String::as_str);
            let from = w
                .iter()
                .position(|s| s == "from")
                .and_then(|p| w.get(p + 1))
                .map(String::as_str);
            (w[0].as_str(), name, from)
        } else {
            ("", None, None)
        };
        out.push(Section {
            kind,
            name,
            from,
            no: head.no,
            lines: if kind.is_empty() {
                &lines[i..end]
            } else {
                &lines[start..end]
            },
        });
        i = end;
    }
    out
}

/// A server as its line states it: name, line and the parameters over `default-server`.
type RawServer = (String, usize, ServerParams);

/// Resolve the chosen backend (or listen section) with the defaults it inherits.
fn resolve(lines: &[Line], file: &str, opts: &Options) -> Result<Backend, ImportError> {
    let p = Parser { file };
    let secs = sections(lines);
    let be_index = chosen_section(&secs, file, opts)?;
    let be_sec = &secs[be_index];
    let resolved = resolved_defaults(&p, &secs)?;
    let mut conf = match be_sec.from {
        Some(f) => named_defaults(&secs, &resolved, be_index, f, file, be_sec.no)?,
        None => resolved
            .iter()
            .rev()
            .find(|(i, _)| *i < be_index)
            .map(|(_, c)| c.clone())
            .unwrap_or_default(),
    };
    let mut warnings = std::mem::take(&mut conf.unmodelled);
    let servers_raw = p.backend_lines(be_sec.lines, &mut conf, &mut warnings)?;
    warnings.append(&mut conf.unmodelled);
    warn_other_sections(&p, &secs, be_sec, &mut warnings);
    if servers_raw.is_empty() {
        return Err(at(
            file,
            be_sec.no,
            format!("backend `{}` has no server", be_sec.name.unwrap_or("")),
        ));
    }
    let servers = effective_servers(servers_raw, file)?;
    let (algorithm, draws) = algorithm_or_default(conf.balance, opts);
    check_hash_type(&p, conf.hash_type.as_ref(), algorithm, &mut warnings)?;
    warnings.sort_by_key(|w| w.line);
    Ok(Backend {
        name: be_sec.name.unwrap_or("").to_string(),
        line: be_sec.no,
        servers,
        algorithm,
        draws,
        uri: conf.uri,
        retries: conf.retries.unwrap_or(RETRIES_DEFAULT),
        redispatch: conf.redispatch.unwrap_or(0),
        allbackups: conf.allbackups.unwrap_or(false),
        timeout_connect_ms: conf.timeout_connect_ms,
        timeout_server_ms: conf.timeout_server_ms,
        timeout_queue_ms: conf.timeout_queue_ms,
        timeout_check_ms: conf.timeout_check_ms,
        warnings,
    })
}

/// The index in `secs` of the backend or listen section to import: the one `opts` names, or
/// the only one. Lines before any section are an error.
fn chosen_section(secs: &[Section], file: &str, opts: &Options) -> Result<usize, ImportError> {
    if let Some(s) = secs.iter().find(|s| s.kind.is_empty()) {
        return Err(at(
            file,
            s.no,
            format!(
                "`{}` is outside any section (global, defaults, frontend, backend, listen, ...)",
                s.lines[0].words[0]
            ),
        ));
    }
    let candidates: Vec<&Section> = secs.iter().filter(|s| matches!(s.kind, "backend" | "listen")).collect();
    let names: Vec<String> = candidates.iter().map(|s| s.name.unwrap_or("").to_string()).collect();
    let chosen = match &opts.backend {
        Some(want) => candidates
            .iter()
            .position(|s| s.name == Some(want.as_str()))
            .ok_or_else(|| ImportError::File {
                file: file.to_string(),
                message: format!(
                    "no backend or listen section named `{want}`; found: {}",
                    names.join(", ")
                ),
            })?,
        None if candidates.len() == 1 => 0,
        None => {
            return Err(ImportError::File {
                file: file.to_string(),
                message: if candidates.is_empty() {
                    "no backend or listen section to import".to_string()
                } else {
                    format!(
                        "{} backends ({}); choose one with --backend NAME",
                        candidates.len(),
                        names.join(", ")
                    )
                },
            });
        }
    };
    let be_sec = candidates[chosen];
    Ok(secs
        .iter()
        .position(|s| std::ptr::eq(s, be_sec))
        .expect("the chosen section is one of them"))
}

/// Every defaults section, resolved in order: its own `from`, else from scratch; each with
/// its index in `secs`.
fn resolved_defaults(p: &Parser, secs: &[Section]) -> Result<Vec<(usize, ProxyConf)>, ImportError> {
    let mut resolved: Vec<(usize, ProxyConf)> = Vec::new();
    for (i, s) in secs.iter().enumerate().filter(|(_, s)| s.kind == "defaults") {
        let conf = match s.from {
            Some(f) => named_defaults(secs, &resolved, i, f, p.file, s.no)?,
            None => ProxyConf::default(),
        };
        let mut own = conf.clone();
        for l in s.lines {
            p.proxy_line(l, &mut own, true)?;
        }
        resolved.push((i, own));
    }
    Ok(resolved)
}

/// Warn for every section but the backend, `defaults` and `global`: it is not imported.
fn warn_other_sections(p: &Parser, secs: &[Section], be_sec: &Section, warnings: &mut Vec<Warning>) {
    for s in secs {
        let skip = std::ptr::eq(s, be_sec) || s.kind == "defaults" || s.kind == "global";
        if !skip {
            warnings.push(p.warn(
                s.no,
                format!(
                    "section `{} {}` is not imported (simpark imports one backend: `{}`)",
                    s.kind,
                    s.name.unwrap_or(""),
                    be_sec.name.unwrap_or("")
                ),
            ));
        }
    }
}

/// The `balance` stated, else the version's default: `random` since HAProxy 3.3, before
/// that `roundrobin`.
fn algorithm_or_default(balance: Option<(AlgorithmName, u32)>, opts: &Options) -> (AlgorithmName, u32) {
    match balance {
        Some(b) => b,
        None if version_cmp(&opts.version, &RANDOM_DEFAULT_SINCE) != std::cmp::Ordering::Less => {
            (AlgorithmName::Random, RANDOM_DRAWS_DEFAULT)
        }
        None => (AlgorithmName::Roundrobin, RANDOM_DRAWS_DEFAULT),
    }
}

/// A `hash-type` other than HAProxy's default (line, text) is an error if `algorithm`
/// hashes, else a warning.
fn check_hash_type(
    p: &Parser,
    hash_type: Option<&(usize, String)>,
    algorithm: AlgorithmName,
    warnings: &mut Vec<Warning>,
) -> Result<(), ImportError> {
    if let Some((no, text)) = hash_type {
        if matches!(algorithm, AlgorithmName::Source | AlgorithmName::Uri) {
            return Err(p.err(
                *no,
                format!(
                    "`{text}` is not modelled by simpark; it hashes map-based with sdbm (HAProxy's default `hash-type map-based`)"
                ),
            ));
        }
        warnings.push(p.warn(
            *no,
            format!("`{text}` has no effect without a hash algorithm (source, uri); ignored"),
        ));
    }
    Ok(())
}

/// The named defaults section `name` declared before section `before`.
fn named_defaults(
    secs: &[Section],
    resolved: &[(usize, ProxyConf)],
    before: usize,
    name: &str,
    file: &str,
    no: usize,
) -> Result<ProxyConf, ImportError> {
    resolved
        .iter()
        .rev()
        .find(|(i, _)| *i < before && secs[*i].name == Some(name))
        .map(|(_, c)| c.clone())
        .ok_or_else(|| {
            at(
                file,
                no,
                format!("`from {name}`: no defaults section named `{name}` before this line"),
            )
        })
}

/// Fill HAProxy's defaults and assign automatic ids as HAProxy 2.6 does
/// (`check_config_validity`): a counter starts at 1 and steps once per server in declaration
/// order, explicit id or not; a server without `id` takes the first id from the counter up
/// that no server uses. So `a; b id 1; c` numbers a=2, b=1, c=4 (checked live).
fn effective_servers(raw: Vec<RawServer>, file: &str) -> Result<Vec<Server>, ImportError> {
    let mut used = std::collections::BTreeSet::new();
    for (name, no, p) in &raw {
        if let Some(id) = p.id
            && !used.insert(id)
        {
            return Err(at(
                file,
                *no,
                format!("server `{name}`: id {id} is used twice; ids must be unique in a backend"),
            ));
        }
    }
    for (i, (name, no, _)) in raw.iter().enumerate() {
        if raw[..i].iter().any(|(n, _, _)| n == name) {
            return Err(at(
                file,
                *no,
                format!("server name `{name}` is used twice in this backend"),
            ));
        }
    }
    let mut next = 1;
    let mut out = Vec::with_capacity(raw.len());
    for (name, line, p) in raw {
        let id = match p.id {
            Some(id) => id,
            None => {
                while used.contains(&next) {
                    next += 1;
                }
                used.insert(next);
                next
            }
        };
        next += 1;
        out.push(Server {
            name,
            line,
            id,
            weight: p.weight.unwrap_or(WEIGHT_DEFAULT),
            maxconn: p.maxconn.unwrap_or(0),
            backup: p.backup.unwrap_or(false),
            disabled: p.disabled.unwrap_or(false),
            check: p.check.unwrap_or(false),
            inter_ms: p.inter_ms.unwrap_or(INTER_DEFAULT_MS),
            fastinter_ms: p.fastinter_ms.unwrap_or(0.0),
            downinter_ms: p.downinter_ms.unwrap_or(0.0),
            rise: p.rise.unwrap_or(RISE_DEFAULT),
            fall: p.fall.unwrap_or(FALL_DEFAULT),
            slowstart_ms: p.slowstart_ms.unwrap_or(0.0),
            observe: p.observe.unwrap_or(ObserveName::None),
            error_limit: p.error_limit.unwrap_or(ERROR_LIMIT_DEFAULT),
            on_error: p.on_error.unwrap_or(OnErrorName::FailCheck),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Backend -> scenario.

/// Map a resolved backend onto `[balancer]` and `web.count`. Servers are ordered actives
/// first, then backups (the scenario's `backup_servers` are the last ones), each group in
/// declaration order; ids are always stated so `first` and the `random` ring keep HAProxy's.
pub fn to_imported(mut be: Backend, file: &str) -> Result<Imported, ImportError> {
    let mut warnings = std::mem::take(&mut be.warnings);
    let order = server_order(&be, file)?;
    let server_map = server_map(&order, file);
    let defaults = Balancer::default();
    let timeouts = timeouts(&be, file, &defaults, &mut warnings);
    let balancer = balancer(&be, &order, timeouts, defaults);
    warnings.sort_by_key(|w| w.line);
    Ok(Imported {
        balancer: Some((balancer, order.len() as u32)),
        vrrp: None,
        server_map,
        sources: vec![format!("{file} (backend {})", be.name)],
        warnings,
        ..Imported::default()
    })
}

/// The scenario's name of the `i`-th server in scenario order (`web1`, ...).
fn web_name(i: usize) -> String {
    format!("web{}", i + 1)
}

/// The servers in scenario order: actives, then backups, each in declaration order. A
/// backend of backups only is an error.
fn server_order<'a>(be: &'a Backend, file: &str) -> Result<Vec<&'a Server>, ImportError> {
    let mut order: Vec<&Server> = be.servers.iter().filter(|s| !s.backup).collect();
    if order.is_empty() {
        return Err(at(
            file,
            be.servers[0].line,
            format!(
                "backend `{}` has only backup servers; simpark needs at least one active server",
                be.name
            ),
        ));
    }
    order.extend(be.servers.iter().filter(|s| s.backup));
    Ok(order)
}

/// Server `s`'s health-check settings as they act, on a backend whose `timeout check` is
/// `timeout_check_ms` (0 = unset). A server without `check` observes nothing either
/// (HAProxy's `health_adjust` returns when the server has no check task); the settings that
/// then do not act (the intervals, `rise`, `fall`, `error-limit`, `on-error`) are `base`'s,
/// and so are `error-limit` and `on-error` of a server that does not observe, so that servers
/// differ only in what acts.
fn acting_check(s: &Server, timeout_check_ms: f64, base: Option<&Check>) -> Check {
    let own = Check {
        enabled: s.check,
        inter_ms: s.inter_ms,
        fastinter_ms: s.fastinter_ms,
        downinter_ms: s.downinter_ms,
        rise: s.rise,
        fall: s.fall,
        timeout_check_ms,
        observe: if s.check { s.observe } else { ObserveName::None },
        error_limit: s.error_limit,
        on_error: s.on_error,
        servers: BTreeMap::new(),
    };
    let Some(base) = base else { return own };
    match (own.enabled, own.observe) {
        (false, _) => Check {
            enabled: false,
            observe: ObserveName::None,
            ..base.clone()
        },
        (true, ObserveName::None) => Check {
            error_limit: base.error_limit,
            on_error: base.on_error,
            ..own
        },
        (true, ObserveName::Layer4) => own,
    }
}

/// `[balancer.check]`: the first server's settings (in scenario order) for every server, and
/// `[balancer.check.servers.webK]` with what differs for each server whose line says otherwise.
fn checks(order: &[&Server], timeout_check_ms: f64) -> Check {
    let mut check = acting_check(order[0], timeout_check_ms, None);
    for (i, s) in order.iter().enumerate().skip(1) {
        let own = acting_check(s, timeout_check_ms, Some(&check));
        let o = CheckOverride {
            enabled: (own.enabled != check.enabled).then_some(own.enabled),
            inter_ms: (own.inter_ms != check.inter_ms).then_some(own.inter_ms),
            fastinter_ms: (own.fastinter_ms != check.fastinter_ms).then_some(own.fastinter_ms),
            downinter_ms: (own.downinter_ms != check.downinter_ms).then_some(own.downinter_ms),
            rise: (own.rise != check.rise).then_some(own.rise),
            fall: (own.fall != check.fall).then_some(own.fall),
            observe: (own.observe != check.observe).then_some(own.observe),
            error_limit: (own.error_limit != check.error_limit).then_some(own.error_limit),
            on_error: (own.on_error != check.on_error).then_some(own.on_error),
        };
        if o != CheckOverride::default() {
            check.servers.insert(web_name(i), o);
        }
    }
    check
}

/// One line per server: `webK = server <name> (file:line)[ backup]`.
fn server_map(order: &[&Server], file: &str) -> Vec<String> {
    order
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "{} = server {} ({file}:{}){}",
                web_name(i),
                s.name,
                s.line,
                if s.backup { " backup" } else { "" }
            )
        })
        .collect()
}

/// The backend's `timeout connect` and `timeout server` [ms]; one not set is the scenario's
/// default (`defaults`), with a warning.
fn timeouts(be: &Backend, file: &str, defaults: &Balancer, warnings: &mut Vec<Warning>) -> (f64, f64) {
    let mut timeout = |v: Option<f64>, what: &str, fallback: f64| {
        v.unwrap_or_else(|| {
            warnings.push(Warning {
                file: file.to_string(),
                line: be.line,
                message: format!(
                    "`timeout {what}` is not set (HAProxy then waits without limit); simpark uses {fallback} ms"
                ),
            });
            fallback
        })
    };
    let timeout_connect_ms = timeout(be.timeout_connect_ms, "connect", defaults.timeout_connect_ms);
    let timeout_server_ms = timeout(be.timeout_server_ms, "server", defaults.timeout_server_ms);
    (timeout_connect_ms, timeout_server_ms)
}

/// A per-server list in scenario order where the servers differ; empty where they all agree
/// (then the one value holds for every server).
fn per_server<T: Copy + PartialEq>(order: &[&Server], value: impl Fn(&Server) -> T) -> Vec<T> {
    let values: Vec<T> = order.iter().map(|s| value(s)).collect();
    if values.iter().all(|v| *v == values[0]) {
        Vec::new()
    } else {
        values
    }
}

/// `[balancer]` from the backend, its servers in scenario order (`order`) and its
/// (connect, server) timeouts [ms]; the keys haproxy.cfg does not set from `defaults`.
fn balancer(be: &Backend, order: &[&Server], timeouts: (f64, f64), defaults: Balancer) -> Balancer {
    let first = order[0];
    let (timeout_connect_ms, timeout_server_ms) = timeouts;
    let weights: Vec<u32> = order.iter().map(|s| s.weight).collect();
    Balancer {
        algorithm: be.algorithm,
        draws: be.draws,
        uri_whole: be.uri.whole,
        uri_len: be.uri.len,
        uri_depth: be.uri.depth,
        maxconn: first.maxconn,
        maxconns: per_server(order, |s| s.maxconn),
        timeout_queue_ms: be.timeout_queue_ms.unwrap_or(0.0),
        timeout_connect_ms,
        timeout_server_ms,
        retries: be.retries,
        redispatch: be.redispatch,
        allbackup: be.allbackups,
        weights: if weights.iter().all(|&w| w == WEIGHT_DEFAULT) {
            Vec::new()
        } else {
            weights
        },
        backup_servers: (order.len() - be.servers.iter().filter(|s| !s.backup).count()) as u32,
        slowstart_ms: first.slowstart_ms,
        slowstarts_ms: per_server(order, |s| s.slowstart_ms),
        ids: order.iter().map(|s| s.id).collect(),
        disabled: order
            .iter()
            .enumerate()
            .filter(|(_, s)| s.disabled)
            .map(|(i, _)| web_name(i))
            .collect(),
        check: checks(order, be.timeout_check_ms.unwrap_or(0.0)),
        ..defaults
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Options {
        Options {
            env: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Options::default()
        }
    }

    fn parse_ok(text: &str, opts: &Options) -> Backend {
        parse(text, "t.cfg", opts).unwrap_or_else(|e| panic!("{e}"))
    }

    fn parse_err(text: &str) -> String {
        parse(text, "t.cfg", &Options::default())
            .expect_err("must fail")
            .to_string()
    }

    #[test]
    fn tokenizer_quotes_escapes_and_variables() {
        let e = env(&[("PORT", "8080"), ("W", "3")]);
        let cases: &[(&str, &[&str])] = &[
            (
                "  server a 1.2.3.4:80 check # comment",
                &["server", "a", "1.2.3.4:80", "check"],
            ),
            ("bind \"127.0.0.1:${PORT}\"", &["bind", "127.0.0.1:8080"]),
            ("x '${PORT}'", &["x", "${PORT}"]),
            ("x \"$W\"", &["x", "3"]),
            ("x \"${NOPE}\" y", &["x", "", "y"]),
            ("x \"${NOPE-def}\"", &["x", "def"]),
            ("x a\\ b \\#c", &["x", "a b", "#c"]),
            ("x ${PORT}", &["x", "${PORT}"]),
        ];
        for (line, want) in cases {
            assert_eq!(tokenize(line, 1, "t", &e.env).expect(line), *want, "{line}");
        }
        for bad in ["x 'open", "x \"open", "x \\"] {
            assert!(tokenize(bad, 7, "t", &e.env).is_err(), "{bad}");
        }
    }

    #[test]
    fn conditions_select_lines() {
        let text = "\
global
    setenv LB_MODE prod
defaults
    timeout connect 1s
.if streq(\"${LB_MODE}\",prod)
    timeout server 30s
.elif defined(NEVER)
    timeout server 1s
.else
    timeout server 2s
.endif
.if version_atleast(2.5) && !version_before(2.6) && feature(OPENSSL)
    retries 5
.endif
.if 0
    retries 9
.elif 1
.if defined(LB_MODE) || 0
    timeout queue 3s
.endif
.endif
backend be
    server a 10.0.0.1:80
";
        let b = parse_ok(text, &Options::default());
        assert_eq!(b.timeout_server_ms, Some(30_000.0));
        assert_eq!(b.retries, 5);
        assert_eq!(b.timeout_queue_ms, Some(3_000.0));
        let w = b.warnings.iter().find(|w| w.line == 12).expect("feature() is reported");
        assert_eq!(
            w.message,
            "`feature(OPENSSL)` is taken as true (simpark cannot know the build or the command line)"
        );
        let old = Options {
            version: vec![2, 4],
            ..Options::default()
        };
        assert_eq!(parse_ok(text, &old).retries, 3);
        for (bad, want) in [
            (
                ".if 1\nbackend b\n server a 1.1.1.1:1\n",
                "t.cfg:1: this `.if` has no `.endif`",
            ),
            (".endif\n", "t.cfg:1: `.endif` without `.if`"),
            (".if nope\n.endif\n", "t.cfg:1: `nope` is not a condition term"),
            (".if 1\n.else\n.else\n.endif\n", "t.cfg:3: a second `.else`"),
            (".alert \"stop\"\n", "t.cfg:1: the file raises `.alert stop`"),
        ] {
            let e = parse_err(bad);
            assert!(e.starts_with(want), "{bad:?}: {e}");
        }
    }

    #[test]
    fn global_unsetenv_removes_every_name() {
        // HAProxy: `unsetenv [<name> ...]` removes each variable named.
        let text = "\
global
    setenv A 1
    setenv B 2
    setenv C 3
    unsetenv A B
    unsetenv C
backend \"be${A}${B}${C}\"
    server a 10.0.0.1:80
";
        assert_eq!(parse_ok(text, &Options::default()).name, "be");
    }

    #[test]
    fn defaults_named_from_and_reset() {
        let text = "\
defaults base
    timeout connect 4s
    retries 2
    option redispatch
    default-server inter 3s fall 5
defaults web from base
    option redispatch 2
    default-server rise 4
defaults
    timeout connect 9s
backend a from web
    server s1 10.0.0.1:80 check
backend b
    server s1 10.0.0.1:80 check
";
        let a = parse_ok(
            text,
            &Options {
                backend: Some("a".into()),
                ..Options::default()
            },
        );
        assert_eq!((a.timeout_connect_ms, a.retries, a.redispatch), (Some(4000.0), 2, 2));
        let s = &a.servers[0];
        assert_eq!((s.inter_ms, s.fall, s.rise), (3000.0, 5, 4));
        // The last defaults section resets everything: no redispatch, no default-server.
        let b = parse_ok(
            text,
            &Options {
                backend: Some("b".into()),
                ..Options::default()
            },
        );
        assert_eq!((b.timeout_connect_ms, b.retries, b.redispatch), (Some(9000.0), 3, 0));
        assert_eq!((b.servers[0].inter_ms, b.servers[0].fall), (2000.0, 3));
        let e = parse(text, "t.cfg", &Options::default())
            .expect_err("two backends")
            .to_string();
        assert!(e.contains("2 backends (a, b); choose one with --backend NAME"), "{e}");
        let e = parse_err("backend x from nope\n server a 1.1.1.1:1\n");
        assert!(
            e.starts_with("t.cfg:1: `from nope`: no defaults section named `nope`"),
            "{e}"
        );
    }

    #[test]
    fn servers_templates_ids_and_defaults() {
        let text = "\
backend be
    balance first
    default-server weight 10 maxconn 50 slowstart 30s observe layer4 error-limit 5 on-error mark-down
    server-template web 1-3 10.0.0.10:80 check
    server spare 10.0.0.20:80 backup id 2 weight 1
    server old 10.0.0.21:80 disabled no-check
";
        let b = parse_ok(text, &Options::default());
        let got: Vec<(&str, u32, u32, bool, bool, bool)> = b
            .servers
            .iter()
            .map(|s| (s.name.as_str(), s.id, s.weight, s.backup, s.disabled, s.check))
            .collect();
        assert_eq!(
            got,
            [
                ("web1", 1, 10, false, false, true),
                ("web2", 3, 10, false, false, true),
                ("web3", 4, 10, false, false, true),
                ("spare", 2, 1, true, false, false),
                ("old", 6, 10, false, true, false),
            ]
        );
        let s = &b.servers[0];
        assert_eq!(
            (s.maxconn, s.slowstart_ms, s.observe, s.error_limit, s.on_error),
            (50, 30_000.0, ObserveName::Layer4, 5, OnErrorName::MarkDown)
        );
        let imp = to_imported(b, "t.cfg").expect("imports");
        let (bal, count) = imp.balancer.as_ref().expect("a balancer");
        assert_eq!(*count, 5);
        assert_eq!(bal.ids, [1, 3, 4, 6, 2]);
        assert_eq!(bal.backup_servers, 1);
        assert_eq!(bal.disabled, ["web4"]);
        assert_eq!(bal.weights, [10, 10, 10, 10, 1]);
        // `old` (web4) says no-check and `spare` (web5) has none: both are not checked and so
        // observe nothing, with no warning (the scenario carries it).
        let unchecked = CheckOverride {
            enabled: Some(false),
            observe: Some(ObserveName::None),
            ..CheckOverride::default()
        };
        let overrides: Vec<(&str, &CheckOverride)> = bal.check.servers.iter().map(|(k, v)| (k.as_str(), v)).collect();
        assert_eq!(overrides, [("web4", &unchecked), ("web5", &unchecked)]);
        // The only warnings are the unset timeouts, on the backend line.
        assert!(
            imp.warnings
                .iter()
                .all(|w| w.line == 1 && w.message.contains("timeout")),
            "{:?}",
            imp.warnings
        );
        // Every server inherits maxconn 50 and slowstart 30 s: one value, no list.
        assert!(bal.maxconns.is_empty() && bal.slowstarts_ms.is_empty());
        assert_eq!((bal.maxconn, bal.slowstart_ms), (50, 30_000.0));
    }

    /// Servers that differ in `maxconn`, `slowstart` or their health checks keep their own
    /// values (the scenario's per-server lists and `[balancer.check.servers.webK]`), with no
    /// warning.
    #[test]
    fn per_server_maxconn_slowstart_and_checks_are_kept() {
        let text = "\
backend be
    timeout check 1500
    server a 10.0.0.1:80 maxconn 10 slowstart 5s check
    server b 10.0.0.2:80 maxconn 20 check fall 5 fastinter 700 observe layer4 on-error mark-down
    server c 10.0.0.3:80 maxconn 10 slowstart 5s check inter 500 downinter 9s rise 4
    server d 10.0.0.4:80 backup inter 9s error-limit 3
    server e 10.0.0.5:80 check inter 2000 error-limit 3
";
        let imp = to_imported(parse_ok(text, &Options::default()), "t.cfg").expect("imports");
        let (bal, _) = imp.balancer.as_ref().expect("a balancer");
        assert_eq!((bal.maxconn, bal.maxconns.as_slice()), (10, &[10, 20, 10, 0, 0][..]));
        assert_eq!(bal.slowstarts_ms, [5000.0, 0.0, 5000.0, 0.0, 0.0]);
        // The only warnings are the unset timeouts, on the backend line.
        assert!(
            imp.warnings
                .iter()
                .all(|w| w.line == 1 && w.message.contains("timeout")),
            "{:?}",
            imp.warnings
        );
        // The first server's checks for every server; what differs, per server. `e` differs
        // only in an error-limit that does not act (it does not observe): no override.
        let c = &bal.check;
        assert_eq!(
            (
                c.enabled,
                c.inter_ms,
                c.fastinter_ms,
                c.rise,
                c.fall,
                c.timeout_check_ms
            ),
            (true, 2000.0, 0.0, 2, 3, 1500.0)
        );
        let overrides: Vec<(&str, CheckOverride)> = c.servers.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let web2 = CheckOverride {
            fastinter_ms: Some(700.0),
            fall: Some(5),
            observe: Some(ObserveName::Layer4),
            on_error: Some(OnErrorName::MarkDown),
            ..CheckOverride::default()
        };
        let web3 = CheckOverride {
            inter_ms: Some(500.0),
            downinter_ms: Some(9000.0),
            rise: Some(4),
            ..CheckOverride::default()
        };
        let web5 = CheckOverride {
            enabled: Some(false),
            ..CheckOverride::default()
        };
        assert_eq!(overrides, [("web2", web2), ("web3", web3), ("web5", web5)]);
        // The model gives each server its own.
        let toml = imp.to_scenario_toml("per_server", true);
        let m = crate::scenario::from_str(&toml, "per_server.toml", &[]).expect("the scenario validates");
        let got: Vec<(u32, f64)> = m
            .backend
            .servers
            .iter()
            .map(|s| (s.maxconn, s.slowstart.as_millis_f64()))
            .collect();
        assert_eq!(got, [(10, 5000.0), (20, 0.0), (10, 5000.0), (0, 0.0), (0, 0.0)]);
        // (inter, fastinter [ms], rise, fall, observing) of each server, `None` if unchecked.
        type Resolved = Option<(f64, f64, u32, u32, bool)>;
        let checks: Vec<Resolved> = (0..5)
            .map(|i| {
                m.check(i).map(|s| {
                    (
                        s.inter.as_millis_f64(),
                        s.effective_fastinter().as_millis_f64(),
                        s.rise,
                        s.fall,
                        m.observe(i).is_some(),
                    )
                })
            })
            .collect();
        assert_eq!(
            checks,
            [
                Some((2000.0, 2000.0, 2, 3, false)),
                Some((2000.0, 700.0, 2, 5, true)),
                Some((500.0, 500.0, 4, 3, false)),
                Some((2000.0, 2000.0, 2, 3, false)),
                None,
            ]
        );
        // The servers in scenario order: actives first (`e` is web4), then the backup `d`.
        assert_eq!(imp.server_map[4], "web5 = server d (t.cfg:6) backup");
    }

    /// `server-template` ranges as haproxy 2.6.12 reads them (`haproxy -c`, `show servers
    /// state`): a range may start at 0, a count may not be 0, nor a range run backwards.
    #[test]
    fn template_ranges_follow_haproxy() {
        let names = |range: &str| -> Vec<(String, u32)> {
            let text = format!("backend be\n    server-template s {range} 10.0.0.1:80\n");
            let b = parse_ok(&text, &Options::default());
            b.servers.iter().map(|s| (s.name.clone(), s.id)).collect()
        };
        let want = |v: &[(&str, u32)]| -> Vec<(String, u32)> { v.iter().map(|(n, i)| (n.to_string(), *i)).collect() };
        assert_eq!(names("0-2"), want(&[("s0", 1), ("s1", 2), ("s2", 3)]));
        assert_eq!(names("0-0"), want(&[("s0", 1)]));
        assert_eq!(names("2"), want(&[("s1", 1), ("s2", 2)]));
        for bad in ["0", "3-1", "x", "1-x"] {
            let e = parse_err(&format!("backend be\n    server-template s {bad} 10.0.0.1:80\n"));
            assert!(e.contains("server-template"), "{bad}: {e}");
        }
    }

    /// Automatic ids as haproxy 2.6.12 numbered these backends (`show servers state`).
    #[test]
    fn automatic_ids_follow_haproxy() {
        let cases: &[(&str, &[u32])] = &[
            ("server-template w 1-4 10.0.0.1:80\n", &[1, 2, 3, 4]),
            ("server-template w 1-4 10.0.0.1:80 id 5\n", &[5, 2, 3, 4]),
            (
                "server a 10.0.0.1:80\nserver-template w 1-3 10.0.0.1:80\nserver b 10.0.0.1:80\n",
                &[1, 2, 3, 4, 5],
            ),
            (
                "server a 10.0.0.1:80\nserver b 10.0.0.1:80 id 1\nserver c 10.0.0.1:80\n",
                &[2, 1, 4],
            ),
            (
                "server a 10.0.0.1:80 id 3\nserver b 10.0.0.1:80\nserver c 10.0.0.1:80\nserver d 10.0.0.1:80\n",
                &[3, 2, 4, 5],
            ),
            (
                "server-template w 1-4 10.0.0.1:80 id 5\nserver old 10.0.0.1:80 id 2\nserver edge 10.0.0.1:80\n",
                &[5, 3, 4, 6, 2, 8],
            ),
        ];
        for (servers, want) in cases {
            let b = parse_ok(&format!("backend be\n{servers}"), &Options::default());
            let ids: Vec<u32> = b.servers.iter().map(|s| s.id).collect();
            assert_eq!(ids, *want, "{servers}");
        }
    }

    #[test]
    fn unmodelled_constructs_warn_with_their_line() {
        let text = "\
global
    daemon
defaults
    mode http
    timeout client 30s
frontend fe
    bind :80
    default_backend be
backend be
    option httpchk GET /health
    cookie SRV insert
    server a 10.0.0.1:80 check ssl verify none
";
        let b = parse_ok(text, &Options::default());
        let lines: Vec<usize> = b.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [5, 6, 10, 11, 12, 12], "{:?}", b.warnings);
        assert!(b.warnings[4].message.contains("`ssl`"));
        assert!(b.warnings[5].message.contains("`verify none`"));
    }

    #[test]
    fn balance_default_follows_the_version() {
        let text = "backend be\n    server a 10.0.0.1:80\n";
        assert_eq!(parse_ok(text, &Options::default()).algorithm, AlgorithmName::Roundrobin);
        let v33 = Options {
            version: vec![3, 3],
            ..Options::default()
        };
        let b = parse_ok(text, &v33);
        assert_eq!((b.algorithm, b.draws), (AlgorithmName::Random, 2));
        let b = parse_ok(
            "backend be\n balance random(3)\n server a 1.1.1.1:1\n",
            &Options::default(),
        );
        assert_eq!((b.algorithm, b.draws), (AlgorithmName::Random, 3));
        let b = parse_ok(
            "defaults\n hash-type map-based sdbm\nbackend be\n balance uri whole len 12 depth 2 path-only\n server a 1.1.1.1:1\n",
            &Options::default(),
        );
        assert_eq!(b.algorithm, AlgorithmName::Uri);
        assert_eq!(
            b.uri,
            UriParams {
                whole: true,
                len: 12,
                depth: 2
            }
        );
        assert!(b.warnings.is_empty(), "{:?}", b.warnings);
    }

    #[test]
    fn bad_values_name_line_and_valid_range() {
        for (text, want) in [
            (
                "backend be\n balance url_param id\n server a 1.1.1.1:1\n",
                "t.cfg:2: `balance url_param` is not modelled by simpark; valid:",
            ),
            (
                "backend be\n balance uri depth 0\n server a 1.1.1.1:1\n",
                "t.cfg:2: `balance uri depth 0` is not valid; expected an integer 1..=",
            ),
            (
                "backend be\n balance uri hole\n server a 1.1.1.1:1\n",
                "t.cfg:2: `balance uri` only accepts parameters",
            ),
            (
                "backend be\n balance uri\n hash-type consistent\n server a 1.1.1.1:1\n",
                "t.cfg:3: `hash-type consistent` is not modelled by simpark",
            ),
            (
                "backend be\n server a 1.1.1.1:1 weight 300\n",
                "t.cfg:2: `weight 300` is not valid; expected an integer 0..=256",
            ),
            (
                "backend be\n server a 1.1.1.1:1 inter 2x\n",
                "t.cfg:2: `inter 2x` is not valid; expected a time",
            ),
            (
                "backend be\n timeout server\n server a 1.1.1.1:1\n",
                "t.cfg:2: `timeout server` needs a time",
            ),
            (
                "backend be\n server a 1.1.1.1:1 id 3\n server b 1.1.1.1:2 id 3\n",
                "t.cfg:3: server `b`: id 3 is used twice",
            ),
            (
                "backend be\n server a\n",
                "t.cfg:2: `server` needs a name and an address",
            ),
            (
                "backend be\n balance roundrobin\n",
                "t.cfg:1: backend `be` has no server",
            ),
            ("server a 1.1.1.1:1\n", "t.cfg:1: `server` is outside any section"),
            (
                "frontend f\n bind :80\n",
                "t.cfg: no backend or listen section to import",
            ),
            (
                "backend be\n server a 1.1.1.1:1",
                "t.cfg:2: missing LF on the last line",
            ),
        ] {
            let e = parse_err(text);
            assert!(e.starts_with(want), "{text:?}: {e}");
        }
        let b = parse_ok("backend be\n server a 1.1.1.1:1 backup\n", &Options::default());
        let e = to_imported(b, "t.cfg").expect_err("only backups").to_string();
        assert!(e.starts_with("t.cfg:2: backend `be` has only backup servers"), "{e}");
    }
}
