//! The report's languages: the string tables (`templates/strings.<lang>.toml`), numbers and
//! percentages in each language's style, Markdown escaping of user strings, and the minijinja
//! environment with the filters the templates use.

use super::{Lang, ReportError};
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, UndefinedBehavior};
use serde::Deserialize;
use std::collections::BTreeMap;

const STRINGS_EN: &str = include_str!("../templates/strings.en.toml");
const STRINGS_NL: &str = include_str!("../templates/strings.nl.toml");

/// The fixed text of one language (`templates/strings.<lang>.toml`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Strings {
    pub(crate) months: Vec<String>,
    pub(crate) months_short: Vec<String>,
    pub(crate) text: BTreeMap<String, String>,
}

pub(super) fn strings(lang: Lang) -> Strings {
    let src = match lang {
        Lang::En => STRINGS_EN,
        Lang::Nl => STRINGS_NL,
    };
    let s: Strings = toml::from_str(src).expect("the bundled string tables parse (a unit test checks)");
    assert!(s.months.len() == 12 && s.months_short.len() == 12);
    s
}

/// `v` with `digits` decimals, thousands grouped, in the language's style: en "12,345.6",
/// nl "12.345,6". Never "-0".
pub(crate) fn format_number(v: f64, digits: usize, lang: Lang) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let (group, decimal) = match lang {
        Lang::En => (',', '.'),
        Lang::Nl => ('.', ','),
    };
    let s = format!("{:.*}", digits, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::new();
    let zero = s.chars().all(|c| c == '0' || c == '.');
    if v < 0.0 && !zero {
        out.push('−');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(decimal);
        out.push_str(frac);
    }
    out
}

/// A percentage as the language writes it: en "99.95%", nl "99,95%".
pub(crate) fn format_percent(v: f64, digits: usize, lang: Lang) -> String {
    format!("{}%", format_number(v, digits, lang))
}

fn est_parts(v: &Value) -> Result<(f64, Option<f64>), minijinja::Error> {
    let value = f64::try_from(v.get_attr("value")?)?;
    let ci = v.get_attr("ci95")?;
    let ci = if ci.is_none() || ci.is_undefined() {
        None
    } else {
        Some(f64::try_from(ci)?)
    };
    Ok((value, ci))
}

pub(super) fn environment(
    lang: Lang,
    text: &'static str,
    name: &'static str,
) -> Result<Environment<'static>, ReportError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    env.add_filter("num", move |v: f64, digits: usize| format_number(v, digits, lang));
    env.add_filter("md", |v: String| md_escape(&v));
    env.add_filter("pct", move |v: f64, digits: usize| format_percent(v, digits, lang));
    env.add_filter(
        "est",
        move |v: Value, digits: usize| -> Result<String, minijinja::Error> {
            let (value, ci) = est_parts(&v)?;
            Ok(match ci {
                Some(c) => format!(
                    "{} ± {}",
                    format_number(value, digits, lang),
                    format_number(c, digits, lang)
                ),
                None => format_number(value, digits, lang),
            })
        },
    );
    // A percentage estimate: "99.97% ± 0.01" (`factor` 100 turns a probability into %).
    env.add_filter(
        "estp",
        move |v: Value, digits: usize, factor: Option<f64>| -> Result<String, minijinja::Error> {
            let (value, ci) = est_parts(&v)?;
            let k = factor.unwrap_or(1.0);
            Ok(match ci {
                Some(c) => format!(
                    "{} ± {}",
                    format_percent(value * k, digits, lang),
                    format_number(c * k, digits, lang)
                ),
                None => format_percent(value * k, digits, lang),
            })
        },
    );
    // Fill `{name}` placeholders of a string-table sentence with already formatted values.
    env.add_filter(
        "fill",
        |s: String, kwargs: Kwargs| -> Result<String, minijinja::Error> {
            let mut out = s;
            for k in kwargs.args() {
                let v: Value = kwargs.get(k)?;
                out = out.replace(&format!("{{{k}}}"), &v.to_string());
            }
            Ok(out)
        },
    );
    // Markdown table cells: a `|` would end the cell.
    env.add_filter("cell", |s: String| s.replace('|', "\\|").replace('\n', " "));
    env.add_template(name, text)
        .map_err(|e| ReportError::Render(format!("{name}: {e:#}")))?;
    Ok(env)
}

/// A user-supplied string as literal Markdown text: one line, every Markdown punctuation
/// character backslash-escaped and HTML's `<`, `>`, `&` as entities, so that a customer
/// name can start no heading, link, image, list or raw HTML in `report.md`.
pub(crate) fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.' | '!' | '|' | '~'
            | ':' | '"' | '\'' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}
