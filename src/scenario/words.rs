//! Serde and TOML type errors in the user's words: "must be a whole number (0 to 4294967295),
//! got \"three\"", never "invalid type: string \"three\", expected u32".
//!
//! The deserializer knows the Rust type a key has; a scenario author knows numbers, text in
//! quotes, true/false, lists and tables. `user_words` rewrites the messages serde's derive
//! produces (invalid type or value, unknown field or variant, missing field) and leaves any
//! other message (TOML syntax) as it is.

/// `message` (a serde or TOML error) in the words of a scenario file.
pub(crate) fn user_words(message: &str) -> String {
    let message = message.trim();
    let rewritten = None
        .or_else(|| wrong_value(message))
        .or_else(|| unknown("unknown field `", "key", message))
        .or_else(|| unknown("unknown variant `", "value", message))
        .or_else(|| {
            let field = between(message, "missing field `", "`")?;
            Some(format!("`{field}` is missing; this table needs it"))
        });
    rewritten.unwrap_or_else(|| message.to_string())
}

/// `invalid type: string "x", expected u32` and `invalid value: integer `-1`, expected u32`.
fn wrong_value(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))?;
    let (got, expected) = rest.rsplit_once(", expected ")?;
    Some(format!("must be {}, got {}", wanted(expected), given(got)))
}

/// What a Rust type means in a scenario file.
fn wanted(expected: &str) -> String {
    let expected = expected.trim();
    let plain = match expected {
        "u8" | "u16" | "u32" => "a whole number (0 to 4294967295)",
        "u64" | "usize" => "a whole number >= 0",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "a boolean" | "bool" => "true or false",
        "a string" | "a borrowed string" | "string" | "a character" => "text in quotes, e.g. \"7d\"",
        "a sequence" | "a tuple" => "a list in brackets, e.g. [1, 2, 3]",
        "a map" | "a table" => "a table ([name] on its own line, or { key = value })",
        _ if expected.starts_with("struct ") => "a table ([name] on its own line, or { key = value })",
        _ if expected.starts_with("unit variant") => "one of the names listed in the documentation",
        _ if expected.starts_with("one of ") => return one_of(expected),
        _ if expected.starts_with('`') => return one_of(expected),
        _ => return strip_rust(expected),
    };
    plain.to_string()
}

/// The value as written: `string "x"` -> `"x"`, ``integer `3` `` -> `3`, `sequence` -> a list.
fn given(got: &str) -> String {
    let got = got.trim();
    if let Some(s) = got.strip_prefix("string ") {
        return s.to_string();
    }
    for kind in ["integer ", "floating point ", "boolean ", "char "] {
        if let Some(v) = got.strip_prefix(kind) {
            return v.trim_matches('`').to_string();
        }
    }
    match got {
        "sequence" => "a list".into(),
        "map" => "a table".into(),
        "unit" | "unit value" => "nothing".into(),
        other => strip_rust(other),
    }
}

/// Serde's list of names in every form it writes (``one of `a`, `b`, `c` ``, `` `a` or `b` ``,
/// `` `a` ``) -> `one of "a", "b", "c"` (a single name alone, in quotes).
fn one_of(expected: &str) -> String {
    let names: Vec<String> = expected
        .trim_start_matches("one of ")
        .split(", ")
        .flat_map(|n| n.split(" or "))
        .map(|n| format!("\"{}\"", n.trim().trim_matches('`')))
        .collect();
    match names.as_slice() {
        [one] => one.clone(),
        _ => format!("one of {}", names.join(", ")),
    }
}

/// ``unknown field `cont`, expected one of `count`, `workers` `` -> a sentence naming the valid
/// keys; likewise for an unknown variant (a value outside a list of names).
fn unknown(prefix: &str, what: &str, message: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    let (name, rest) = rest.split_once('`')?;
    let valid = match rest.trim_start_matches(", ") {
        r if r.starts_with("expected one of ") => r["expected ".len()..].to_string(),
        r if r.starts_with("expected `") => r["expected ".len()..].to_string(),
        r if r.starts_with("there are no fields") => "no keys: this is a plain value".to_string(),
        _ => return None,
    };
    let valid = if valid.starts_with("one of ") || valid.starts_with('`') {
        one_of(&valid)
    } else {
        valid
    };
    Some(match what {
        "key" => format!("unknown key `{name}`; valid keys here: {}", valid.replace('"', "`")),
        _ => format!("\"{name}\" is not valid; expected {valid}"),
    })
}

/// The text between `start` and the next `end` in `s`.
fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    s.split_once(start)?.1.split(end).next()
}

/// A remaining Rust type name in words (`Option<u32>` and the like should not reach a user).
fn strip_rust(s: &str) -> String {
    let s = s.replace("Option<", "").replace('>', "");
    match s.as_str() {
        "u32" | "u64" | "usize" => "a whole number >= 0".into(),
        "f64" | "f32" => "a number".into(),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::user_words;

    #[test]
    fn serde_messages_in_user_words() {
        for (serde, user) in [
            (
                "invalid type: string \"three\", expected u32",
                "must be a whole number (0 to 4294967295), got \"three\"",
            ),
            (
                "invalid value: integer `-1`, expected u32",
                "must be a whole number (0 to 4294967295), got -1",
            ),
            (
                "invalid type: integer `3`, expected a string",
                "must be text in quotes, e.g. \"7d\", got 3",
            ),
            (
                "invalid type: string \"x\", expected f64",
                "must be a number, got \"x\"",
            ),
            (
                "invalid type: string \"yes\", expected a boolean",
                "must be true or false, got \"yes\"",
            ),
            (
                "invalid type: integer `1`, expected a sequence",
                "must be a list in brackets, e.g. [1, 2, 3], got 1",
            ),
            (
                "invalid type: integer `1`, expected struct Traffic",
                "must be a table ([name] on its own line, or { key = value }), got 1",
            ),
            (
                "unknown field `cont`, expected one of `count`, `workers`",
                "unknown key `cont`; valid keys here: one of `count`, `workers`",
            ),
            (
                "unknown variant `rr`, expected one of `roundrobin`, `first`",
                "\"rr\" is not valid; expected one of \"roundrobin\", \"first\"",
            ),
            (
                "unknown variant `nope`, expected `profile` or `poisson`",
                "\"nope\" is not valid; expected one of \"profile\", \"poisson\"",
            ),
            (
                "unknown variant `x`, expected `only`",
                "\"x\" is not valid; expected \"only\"",
            ),
            (
                "unknown field `x`, expected `a` or `b`",
                "unknown key `x`; valid keys here: one of `a`, `b`",
            ),
            ("missing field `target`", "`target` is missing; this table needs it"),
            ("expected `.`, `=`", "expected `.`, `=`"),
        ] {
            assert_eq!(user_words(serde), user, "{serde}");
        }
    }
}
