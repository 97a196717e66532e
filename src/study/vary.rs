//! `--vary KEY=RANGE` arguments: parsing ranges and lists into values, and the grid of points
//! several of them span.
//!
//! Grammar (after `KEY=`): `A..B` (every integer, integer keys only), `A..B:lin:N` (N evenly
//! spaced values, ends included), `A..B:log:N` (N geometrically spaced values, A and B > 0),
//! or a list `a,b,c` (numbers, booleans or strings). Numbers take the suffixes k (1e3),
//! M (1e6) and G (1e9) and `_` separators. The value type follows the key's type in the
//! resolved scenario, so `web.count` gets integers and `traffic.visitors_per_month` floats.
//! Only parses; whether a value is valid for its key is the scenario validator's call
//! (`sweep::plan` applies every value as a `--set` override before anything runs).

use super::StudyError;
use crate::scenario::Scenario;
use serde::Serialize;

/// Most values one `--vary` may produce.
pub(crate) const VALUES_PER_VARY_MAX: usize = 1_000;
/// Most points a grid may have (before N-1 twins).
pub(crate) const GRID_POINTS_MAX: usize = 10_000;

/// One value of a varied key, typed like the key.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub(crate) enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

impl Value {
    /// The value as a TOML literal for a `--set` override.
    pub(crate) fn toml(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            // Debug keeps a `.0` or an exponent, so TOML reads a float back.
            Value::Float(x) => format!("{x:?}"),
            Value::Bool(b) => b.to_string(),
            Value::Str(s) => toml::Value::String(s.clone()).to_string(),
        }
    }

    /// The value as a number, for axes and interpolation (`None` for strings and booleans).
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(x) => Some(*x),
            _ => None,
        }
    }

    /// Short human form: `3`, `100k`, `2.41M`, `leastconn`.
    pub(crate) fn label(&self) -> String {
        match self {
            Value::Int(i) if i.abs() < 10_000 => i.to_string(),
            Value::Int(i) => si(*i as f64, 3),
            Value::Float(x) => si(*x, 3),
            Value::Bool(b) => b.to_string(),
            Value::Str(s) => s.clone(),
        }
    }
}

pub(crate) use crate::report::si;

/// How a varied key's values were given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Scale {
    /// Evenly spaced (`A..B`, `A..B:lin:N`).
    Lin,
    /// Geometrically spaced (`A..B:log:N`): plotted and interpolated on a log axis.
    Log,
    /// An explicit list, in the order given.
    List,
}

/// The type of a key in the resolved scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Bool,
    Str,
    /// Not in the resolved file (an optional key left unset, or no such key): values are
    /// typed by their look and the validator decides.
    Unknown,
}

/// One `--vary` argument, parsed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Vary {
    pub(crate) key: String,
    pub(crate) values: Vec<Value>,
    pub(crate) scale: Scale,
}

impl Vary {
    /// Parse `KEY=RANGE` against the scenario the sweep starts from (for the key's type).
    pub fn parse(arg: &str, base: &Scenario) -> Result<Vary, StudyError> {
        let Some((key, spec)) = arg.split_once('=') else {
            return Err(StudyError::Vary {
                key: arg.to_string(),
                message: "expected KEY=RANGE, e.g. traffic.visitors_per_month=100k..5M:log:12".into(),
            });
        };
        let key = key.trim().to_string();
        let bad = |message: String| StudyError::Vary {
            key: key.clone(),
            message,
        };
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(bad("empty key in the path".into()));
        }
        let kind = kind_of(base, &key).map_err(bad)?;
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(bad("no values given".into()));
        }
        let (values, scale) = if let Some((lo, rest)) = spec.split_once("..") {
            range(lo, rest, kind).map_err(bad)?
        } else {
            let values = spec
                .split(',')
                .map(|t| typed(t.trim(), kind))
                .collect::<Result<Vec<_>, _>>()
                .map_err(bad)?;
            (values, Scale::List)
        };
        if values.len() > VALUES_PER_VARY_MAX {
            return Err(bad(format!("{} values; at most {VALUES_PER_VARY_MAX}", values.len())));
        }
        for (i, v) in values.iter().enumerate() {
            if values[..i].contains(v) {
                return Err(bad(format!("value {} is given twice", v.label())));
            }
        }
        Ok(Vary { key, values, scale })
    }

    /// The `--set` override that puts value `i` in place.
    pub(crate) fn assignment(&self, i: usize) -> String {
        format!("{}={}", self.key, self.values[i].toml())
    }
}

/// The type of `key` in the resolved scenario; an error if it names a table or an array.
fn kind_of(base: &Scenario, key: &str) -> Result<Kind, String> {
    let resolved: toml::Table = toml::from_str(&crate::scenario::to_toml(base)).expect("a resolved scenario parses");
    let mut table = &resolved;
    let segs: Vec<&str> = key.split('.').collect();
    for (i, seg) in segs.iter().enumerate() {
        let Some(v) = table.get(*seg) else {
            return Ok(Kind::Unknown);
        };
        let last = i + 1 == segs.len();
        match v {
            toml::Value::Table(t) if !last => table = t,
            toml::Value::Table(_) => return Err(format!("`{key}` is a table; vary one of its keys")),
            toml::Value::Array(_) => return Err(format!("`{key}` is a list; --vary takes single-valued keys")),
            _ if !last => return Err(format!("`{}` is not a table", segs[..=i].join("."))),
            toml::Value::Integer(_) => return Ok(Kind::Int),
            toml::Value::Float(_) => return Ok(Kind::Float),
            toml::Value::Boolean(_) => return Ok(Kind::Bool),
            toml::Value::String(_) => return Ok(Kind::Str),
            toml::Value::Datetime(_) => return Ok(Kind::Unknown),
        }
    }
    Ok(Kind::Unknown)
}

/// A number with an optional k/M/G suffix and `_` separators.
fn number(token: &str) -> Option<f64> {
    let t = token.trim().replace('_', "");
    let (digits, factor) = match t.chars().last()? {
        'k' => (&t[..t.len() - 1], 1e3),
        'M' => (&t[..t.len() - 1], 1e6),
        'G' => (&t[..t.len() - 1], 1e9),
        _ => (&t[..], 1.0),
    };
    let x: f64 = digits.parse().ok()?;
    let x = x * factor;
    x.is_finite().then_some(x)
}

/// Integers beyond this are not exactly representable in f64 and not a sensible setting.
const INT_ABS_MAX: f64 = 9.0e15;

fn integer(x: f64, token: &str) -> Result<Value, String> {
    if x.fract() != 0.0 || x.abs() > INT_ABS_MAX {
        return Err(format!("takes integers; `{token}` is not one"));
    }
    Ok(Value::Int(x as i64))
}

/// One list entry, typed by the key.
fn typed(token: &str, kind: Kind) -> Result<Value, String> {
    if token.is_empty() {
        return Err("empty value in the list".into());
    }
    let numeric = || number(token).ok_or_else(|| format!("`{token}` is not a number"));
    match kind {
        Kind::Int => integer(numeric()?, token),
        Kind::Float => Ok(Value::Float(numeric()?)),
        Kind::Bool => match token {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("`{token}` is not true or false")),
        },
        Kind::Str => Ok(Value::Str(token.trim_matches('"').to_string())),
        Kind::Unknown => Ok(match (token, number(token)) {
            ("true", _) => Value::Bool(true),
            ("false", _) => Value::Bool(false),
            (t, Some(x)) if !t.contains(['.', 'e', 'E']) && x.fract() == 0.0 && x.abs() <= INT_ABS_MAX => {
                Value::Int(x as i64)
            }
            (_, Some(x)) => Value::Float(x),
            (t, None) => Value::Str(t.trim_matches('"').to_string()),
        }),
    }
}

/// `lo..hi[:lin:N|:log:N]`.
fn range(lo: &str, rest: &str, kind: Kind) -> Result<(Vec<Value>, Scale), String> {
    let mut parts = rest.split(':');
    let hi = parts.next().unwrap_or("");
    let scale = parts.next();
    let count = parts.next();
    if parts.next().is_some() {
        return Err(format!(
            "`{lo}..{rest}` has too many `:` parts; expected A..B:lin:N or A..B:log:N"
        ));
    }
    if matches!(kind, Kind::Str | Kind::Bool) {
        return Err("a range needs a numeric key; give a list instead (a,b,c)".into());
    }
    let bound = |t: &str| number(t).ok_or_else(|| format!("range bound `{}` is not a number", t.trim()));
    let (a, b) = (bound(lo)?, bound(hi)?);
    if a > b {
        return Err(format!("empty range: {} > {}", lo.trim(), hi.trim()));
    }
    let Some(scale) = scale else {
        if kind == Kind::Float {
            return Err("a range over a non-integer key needs a spacing: A..B:lin:N or A..B:log:N".into());
        }
        let (a, b) = (integer(a, lo.trim())?, integer(b, hi.trim())?);
        let (Value::Int(a), Value::Int(b)) = (a, b) else {
            unreachable!("integer() returns Int")
        };
        let n = (b - a + 1) as usize;
        if n > VALUES_PER_VARY_MAX {
            return Err(format!(
                "{n} values; at most {VALUES_PER_VARY_MAX} (use :lin:N or :log:N)"
            ));
        }
        return Ok(((a..=b).map(Value::Int).collect(), Scale::Lin));
    };
    let Some(count) = count else {
        return Err(format!("`:{scale}` needs a count: A..B:{scale}:N"));
    };
    let n: usize = count
        .trim()
        .parse()
        .map_err(|_| format!("count `{}` is not a whole number", count.trim()))?;
    if n < 1 {
        return Err("count must be at least 1".into());
    }
    if n > VALUES_PER_VARY_MAX {
        return Err(format!("count {n}; at most {VALUES_PER_VARY_MAX}"));
    }
    let (scale, xs): (Scale, Vec<f64>) = match scale.trim() {
        "lin" => (Scale::Lin, (0..n).map(|i| lerp(a, b, i, n)).collect()),
        "log" => {
            if a <= 0.0 {
                return Err(format!("a log range needs bounds > 0; {} is not", lo.trim()));
            }
            (Scale::Log, (0..n).map(|i| lerp(a.ln(), b.ln(), i, n).exp()).collect())
        }
        other => return Err(format!("unknown spacing `{other}`; expected lin or log")),
    };
    // Round away floating-point noise (exp(ln(x)) is not always x: 99.99999999999996 for
    // 100) to 12 significant digits, and pin the ends exactly.
    let mut xs: Vec<f64> = xs
        .iter()
        .map(|x| format!("{x:.11e}").parse().expect("a formatted float parses"))
        .collect();
    xs[0] = a;
    if n > 1 {
        xs[n - 1] = b;
    }
    let mut values: Vec<Value> = Vec::with_capacity(n);
    for x in xs {
        let v = if kind == Kind::Int {
            Value::Int(x.round() as i64)
        } else {
            Value::Float(x)
        };
        // Rounding to integers (or A == B) can repeat a value: keep it once.
        if !values.contains(&v) {
            values.push(v);
        }
    }
    Ok((values, scale))
}

fn lerp(a: f64, b: f64, i: usize, n: usize) -> f64 {
    if n == 1 {
        a
    } else {
        a + (b - a) * i as f64 / (n - 1) as f64
    }
}

/// Every combination of the varies' values, in odometer order: the first `--vary` is the
/// outermost loop and the last one changes fastest. Each point is a list of value indices,
/// one per vary.
pub(crate) fn grid(varies: &[Vary]) -> Result<Vec<Vec<usize>>, StudyError> {
    let total = varies
        .iter()
        .try_fold(1usize, |acc, v| acc.checked_mul(v.values.len()))
        .filter(|&n| n <= GRID_POINTS_MAX)
        .ok_or_else(|| StudyError::GridTooLarge {
            points: varies.iter().map(|v| v.values.len() as f64).product(),
        })?;
    let mut points = Vec::with_capacity(total);
    let mut idx = vec![0usize; varies.len()];
    for _ in 0..total {
        points.push(idx.clone());
        for d in (0..varies.len()).rev() {
            idx[d] += 1;
            if idx[d] < varies[d].values.len() {
                break;
            }
            idx[d] = 0;
        }
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Scenario {
        Scenario::default()
    }

    fn parse(arg: &str) -> Result<Vary, String> {
        Vary::parse(arg, &base()).map_err(|e| e.to_string())
    }

    fn floats(v: &Vary) -> Vec<f64> {
        v.values.iter().map(|x| x.as_f64().unwrap()).collect()
    }

    #[test]
    fn log_range_with_suffixes() {
        let v = parse("traffic.visitors_per_month=100k..5M:log:12").unwrap();
        assert_eq!(v.scale, Scale::Log);
        let xs = floats(&v);
        assert_eq!(xs.len(), 12);
        assert_eq!((xs[0], xs[11]), (1e5, 5e6));
        let w = parse("traffic.rate_per_s=50..200:log:3").unwrap();
        assert_eq!(floats(&w), vec![50.0, 100.0, 200.0], "no floating-point noise");
        let ratio = xs[1] / xs[0];
        for w in xs.windows(2) {
            assert!((w[1] / w[0] - ratio).abs() < 1e-9, "geometric spacing");
        }
        assert!(matches!(v.values[0], Value::Float(_)), "a float key gets floats");
        assert_eq!(v.assignment(0), "traffic.visitors_per_month=100000.0");
    }

    #[test]
    fn integer_key_defaults_to_every_integer() {
        let v = parse("web.count=1..6").unwrap();
        assert_eq!(v.values, (1..=6).map(Value::Int).collect::<Vec<_>>());
        assert_eq!(v.scale, Scale::Lin);
        assert_eq!(v.assignment(2), "web.count=3");
    }

    #[test]
    fn lin_range_on_integer_key_rounds_and_dedups() {
        let v = parse("web.workers=1..4:lin:7").unwrap();
        assert_eq!(
            v.values,
            vec![Value::Int(1), Value::Int(2), Value::Int(3), Value::Int(4)]
        );
        let v = parse("traffic.rate_per_s=10..30:lin:3").unwrap();
        assert_eq!(floats(&v), vec![10.0, 20.0, 30.0]);
        let v = parse("traffic.rate_per_s=1.5k..1.5k:lin:4").unwrap();
        assert_eq!(floats(&v), vec![1500.0], "A..A is one value");
    }

    #[test]
    fn lists_of_numbers_and_strings() {
        let v = parse("balancer.algorithm=roundrobin,leastconn").unwrap();
        assert_eq!(v.scale, Scale::List);
        assert_eq!(
            v.values,
            vec![Value::Str("roundrobin".into()), Value::Str("leastconn".into())]
        );
        assert_eq!(v.assignment(1), "balancer.algorithm=\"leastconn\"");
        let v = parse("traffic.visitors_per_month=300k,1M,1_500_000").unwrap();
        assert_eq!(floats(&v), vec![3e5, 1e6, 1.5e6]);
        let v = parse("balancer.check.enabled=true,false").unwrap();
        assert_eq!(v.values, vec![Value::Bool(true), Value::Bool(false)]);
        let v = parse("balancer.redispatch=-1,0,2").unwrap();
        assert_eq!(v.values, vec![Value::Int(-1), Value::Int(0), Value::Int(2)]);
    }

    #[test]
    fn bad_ranges_name_the_key_and_the_problem() {
        for (arg, needle) in [
            ("web.count=5..1", "empty range"),
            ("traffic.visitors_per_month=abc..5M:log:3", "not a number"),
            ("traffic.visitors_per_month=0..5M:log:3", "bounds > 0"),
            ("traffic.visitors_per_month=1..5M:lin:0", "at least 1"),
            ("traffic.visitors_per_month=1..5M", "needs a spacing"),
            ("traffic.visitors_per_month=1..5M:cubic:3", "unknown spacing"),
            ("traffic.visitors_per_month=1..5M:log", "needs a count"),
            ("web.count=1,2.5", "integers"),
            ("web.count=x", "not a number"),
            ("web.count=", "no values"),
            ("web.count=1,1", "twice"),
            ("web=1..2", "is a table"),
            ("traffic.hourly_weights=1,2", "is a list"),
            ("web.count.x=1", "not a table"),
            ("balancer.algorithm=a..b", "numeric key"),
            ("web.count=1..100000", "at most"),
        ] {
            let e = parse(arg).expect_err(arg);
            let key = arg.split('=').next().unwrap();
            assert!(e.contains(key) && e.contains(needle), "{arg}: {e}");
        }
        assert!(parse("nokey").unwrap_err().contains("KEY=RANGE"));
    }

    #[test]
    fn unknown_keys_parse_by_look_and_are_left_to_the_validator() {
        let v = parse("traffic.visitors_per_mont=1,2.5,x").unwrap();
        assert_eq!(v.values, vec![Value::Int(1), Value::Float(2.5), Value::Str("x".into())]);
    }

    #[test]
    fn grid_is_odometer_order_last_key_fastest() {
        let a = parse("web.count=1..2").unwrap();
        let b = parse("balancer.algorithm=roundrobin,leastconn,first").unwrap();
        let g = grid(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(
            g,
            vec![vec![0, 0], vec![0, 1], vec![0, 2], vec![1, 0], vec![1, 1], vec![1, 2]]
        );
        assert_eq!(grid(&[]).unwrap(), vec![Vec::<usize>::new()]);
        let big = parse("traffic.rate_per_s=1..2:lin:1000").unwrap();
        assert!(matches!(
            grid(&[big.clone(), big]),
            Err(StudyError::GridTooLarge { .. })
        ));
    }

    #[test]
    fn si_formatting() {
        assert_eq!(si(2_412_345.0, 2), "2.4M");
        assert_eq!(si(100_000.0, 3), "100k");
        assert_eq!(si(1_600_000.0, 2), "1.6M");
        assert_eq!(si(142_705.0, 3), "143k");
        assert_eq!(si(12.5, 3), "12.5");
        assert_eq!(si(3e9, 2), "3G");
        assert_eq!(Value::Float(5e6).label(), "5M");
    }
}
