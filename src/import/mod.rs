//! `simpark import`: production configuration in, a scenario out.
//!
//! Job: read the files an operator already has (`haproxy.cfg`, `keepalived.conf`, Prometheus
//! rule files) and state what simpark models of them as scenario keys: the `[balancer]` section
//! (one HAProxy backend with its defaults, servers and health checks), the balancer pair's VRRP
//! keys and `[[monitoring.rules]]`. Every
//! construct simpark does not model becomes a [`Warning`] naming `file:line`: nothing is
//! silently dropped. A file simpark cannot read is an [`ImportError`] naming file and line.
//!
//! Where it sits: beside `scenario/`, which it only feeds (it produces `schema` values and
//! TOML text); it never simulates and knows nothing of `sim/`; of `policy/` it asks only the
//! PromQL compiler whether a rule can be evaluated (`prometheus.rs`). The parsers are
//! small tokenizers of our own (`haproxy.rs`, `keepalived.rs`): existing crates fail on
//! ordinary HAProxy 2.6 files (`bind :80`, `server-template`, `.if`, named defaults).
//!
//! What it must never do: read the environment or the clock itself (the caller hands it the
//! variables `${VAR}` may expand to), or guess: a value it cannot map is a warning or an error.

pub mod alertmanager;
pub mod haproxy;
pub mod keepalived;
pub mod prometheus;

use crate::scenario::schema::{AlertRuleSpec, AlertmanagerSpec, Balancer, Scenario};
use crate::scenario::{DEFAULT_SCENARIO_TOML, to_toml};
use std::fmt;

/// A construct of a production file that the scenario does not carry, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub(crate) file: String,
    /// 1-based line.
    pub(crate) line: usize,
    pub(crate) message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Why a file could not be imported; nothing is written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read at all.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file that could not be read.
        file: String,
        #[source]
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A line is malformed or states something simpark cannot represent.
    #[error("{file}:{line}: {message}")]
    At {
        /// The imported file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },
    /// The file as a whole does not give what was asked (no backend, several backends, ...).
    #[error("{file}: {message}")]
    File {
        /// The imported file.
        file: String,
        /// What the file lacks.
        message: String,
    },
}

/// Everything imported: the scenario sections filled in and the warnings about the rest.
#[derive(Clone, Debug, Default)]
pub struct Imported {
    /// `[balancer]` from haproxy.cfg (algorithm, timeouts, servers' weights/ids/backups,
    /// checks) and `web.count`, its servers.
    pub balancer: Option<(Balancer, u32)>,
    /// The VRRP keys from keepalived.conf (which also set `balancer.pair`).
    pub vrrp: Option<keepalived::VrrpKeys>,
    /// `[[monitoring.rules]]` from Prometheus rule files.
    pub rules: Vec<AlertRuleSpec>,
    /// `[monitoring.alertmanager]` from alertmanager.yml.
    pub alertmanager: Option<AlertmanagerSpec>,
    /// One line per web server: `webK = server <name> (file:line)`.
    pub server_map: Vec<String>,
    /// The files read, for the scenario's comment header.
    pub sources: Vec<String>,
    /// What was imported only approximately or ignored, one entry per line concerned.
    pub warnings: Vec<Warning>,
}

impl Imported {
    /// Add what `other` imported (another kind of file).
    pub fn merge(&mut self, other: Imported) {
        self.balancer = other.balancer.or(self.balancer.take());
        self.vrrp = other.vrrp.or(self.vrrp.take());
        self.rules.extend(other.rules);
        self.alertmanager = other.alertmanager.or(self.alertmanager.take());
        self.server_map.extend(other.server_map);
        self.sources.extend(other.sources);
        self.warnings.extend(other.warnings);
    }

    /// The scenario text: `extends = "xpos"` and only the imported keys (`full = false`), or
    /// every key of the seed park with the imported ones in place (`full = true`). Warnings
    /// and the server names are comments at the top, so the file says what it left out.
    pub fn to_scenario_toml(&self, name: &str, full: bool) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "# Imported by `simpark import` from {}.\n",
            self.sources.join(", ")
        ));
        for m in &self.server_map {
            out.push_str(&format!("# {m}\n"));
        }
        if self.warnings.is_empty() {
            out.push_str("# Every construct read is modelled.\n");
        } else {
            out.push_str(&format!("# Not modelled ({}):\n", self.warnings.len()));
            for w in &self.warnings {
                out.push_str(&format!("#   {w}\n"));
            }
        }
        out.push('\n');
        let mut spec: Scenario = toml::from_str(DEFAULT_SCENARIO_TOML).expect("the embedded scenario parses");
        spec.name = name.to_string();
        if let Some((b, count)) = &self.balancer {
            spec.balancer = b.clone();
            spec.web.count = *count;
        }
        if let Some(v) = &self.vrrp {
            let b = &mut spec.balancer;
            b.pair = true;
            b.vrrp_advert_ms = v.advert_ms;
            [b.vrrp_priority_lb1, b.vrrp_priority_lb2] = v.priorities;
            b.vrrp_preempt = v.preempt;
            b.vrrp_preempt_delay_ms = v.preempt_delay_ms;
            if let Some(t) = &v.track {
                b.vrrp_track = crate::scenario::VrrpTrack {
                    detects: t.detects,
                    interval_ms: t.interval_ms,
                    fall: t.fall,
                    rise: t.rise,
                    weight: t.weight,
                };
            }
        }
        spec.monitoring.rules = self.rules.clone();
        spec.monitoring.alertmanager = self.alertmanager.clone();
        if full {
            out.push_str(&to_toml(&spec));
            return out;
        }
        let mut table = toml::Table::new();
        table.insert("extends".into(), crate::scenario::extends::BUILT_IN.into());
        table.insert("name".into(), name.into());
        let mut balancer = toml::Table::new();
        if self.balancer.is_some() {
            balancer = toml::Table::try_from(&spec.balancer).expect("a balancer serialises");
            // `balance uri`'s parameters only where the backend hashes URIs.
            if spec.balancer.algorithm != crate::scenario::schema::AlgorithmName::Uri {
                for key in ["uri_whole", "uri_len", "uri_depth"] {
                    balancer.remove(key);
                }
            }
            let mut web = toml::Table::new();
            web.insert("count".into(), i64::from(spec.web.count).into());
            table.insert("web".into(), web.into());
        }
        if self.vrrp.is_some() {
            let b = &spec.balancer;
            balancer.insert("pair".into(), true.into());
            balancer.insert("vrrp_advert_ms".into(), b.vrrp_advert_ms.into());
            balancer.insert("vrrp_priority_lb1".into(), i64::from(b.vrrp_priority_lb1).into());
            balancer.insert("vrrp_priority_lb2".into(), i64::from(b.vrrp_priority_lb2).into());
            balancer.insert("vrrp_preempt".into(), b.vrrp_preempt.into());
            balancer.insert("vrrp_preempt_delay_ms".into(), b.vrrp_preempt_delay_ms.into());
            let track = toml::Table::try_from(&b.vrrp_track).expect("vrrp_track serialises");
            balancer.insert("vrrp_track".into(), track.into());
        }
        table.insert("balancer".into(), balancer.into());
        let mut monitoring = toml::Table::new();
        if !self.rules.is_empty() {
            let rules = toml::Value::try_from(&self.rules).expect("rules serialise");
            monitoring.insert("rules".into(), rules);
        }
        if let Some(am) = &self.alertmanager {
            let am = toml::Value::try_from(am).expect("alertmanager serialises");
            monitoring.insert("alertmanager".into(), am);
        }
        if !monitoring.is_empty() {
            table.insert("monitoring".into(), monitoring.into());
        }
        out.push_str(&toml::to_string_pretty(&table).expect("imported keys serialise"));
        out
    }
}

/// Parse an HAProxy time (`2s`, `1500`, `100ms`, `1m`; no unit = ms) into milliseconds.
pub(crate) fn haproxy_time_ms(text: &str) -> Option<f64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse::<u64>().ok()? as f64;
    let factor = match unit {
        "" | "ms" => 1.0,
        "us" => 0.001,
        "s" => 1_000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return None,
    };
    Some(n * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haproxy_times() {
        for (text, ms) in [
            ("2000", Some(2000.0)),
            ("2s", Some(2000.0)),
            ("100ms", Some(100.0)),
            ("1m", Some(60_000.0)),
            ("500us", Some(0.5)),
            ("2x", None),
            ("", None),
            ("-1", None),
        ] {
            assert_eq!(haproxy_time_ms(text), ms, "{text}");
        }
    }
}
