//! PromQL text -> [`Expr`]: parsed with the `promql-parser` crate, then mapped onto the subset
//! `expr.rs` evaluates. Anything outside it (a series simpark does not produce, `offset`,
//! `group_left`, subqueries, functions not listed) is an error saying why, so a rule is either
//! evaluated exactly or refused, never approximated.
//!
//! It must never: guess a series from a similar name, or drop a matcher it cannot honour.

use super::expr::{AggOp, BinOp, Expr, Grouping, LabelName, Metric, RangeFn};
use crate::units::SimDuration;
use promql_parser::label::MatchOp;
use promql_parser::parser::{self as ast, LabelModifier, VectorMatchCardinality};

/// Compile an alerting rule's `expr`. The error says why simpark cannot evaluate it.
pub fn compile(text: &str) -> Result<Expr, String> {
    let tree = ast::parse(text).map_err(|e| format!("PromQL does not parse: {}", e.trim()))?;
    let e = from_ast(&tree)?;
    if e.is_scalar() {
        return Err("the expression is a number; an alerting rule needs a vector".into());
    }
    Ok(e)
}

fn from_ast(e: &ast::Expr) -> Result<Expr, String> {
    match e {
        ast::Expr::Paren(p) => from_ast(&p.expr),
        ast::Expr::NumberLiteral(n) => Ok(Expr::Number(n.val)),
        ast::Expr::Unary(u) => Ok(match from_ast(&u.expr)? {
            Expr::Number(x) => Expr::Number(-x),
            other => Expr::Neg(Box::new(other)),
        }),
        ast::Expr::VectorSelector(vs) => selector(vs).map(Expr::Select),
        ast::Expr::Call(c) => call(c),
        ast::Expr::Binary(b) => binary(b),
        ast::Expr::Aggregate(a) => aggregate(a),
        ast::Expr::MatrixSelector(_) => Err("a bare range selector is not an alert condition".into()),
        ast::Expr::Subquery(_) => Err("subqueries are not supported".into()),
        ast::Expr::StringLiteral(_) => Err("string values are not supported".into()),
        ast::Expr::Extension(_) => Err("extension expressions are not supported".into()),
    }
}

/// The label names simpark's series carry; any other name is absent on every series.
fn label_names(ls: &promql_parser::label::Labels) -> Result<Vec<LabelName>, String> {
    let mut out = Vec::new();
    for l in &ls.labels {
        match l.as_str() {
            "instance" => out.push(LabelName::Instance),
            "job" => out.push(LabelName::Job),
            "code" => out.push(LabelName::Code),
            "__name__" => return Err("grouping or matching on `__name__` is not supported".into()),
            // Absent on every series simpark produces: grouping by it changes nothing.
            _ => {}
        }
    }
    Ok(out)
}

fn grouping(m: &LabelModifier) -> Result<Grouping, String> {
    Ok(match m {
        LabelModifier::Include(ls) => Grouping {
            keep: true,
            labels: label_names(ls)?,
        },
        LabelModifier::Exclude(ls) => Grouping {
            keep: false,
            labels: label_names(ls)?,
        },
    })
}

fn selector(vs: &ast::VectorSelector) -> Result<Vec<Metric>, String> {
    if vs.offset.is_some() || vs.at.is_some() {
        return Err("`offset` and `@` modifiers are not supported".into());
    }
    if !vs.matchers.or_matchers.is_empty() {
        return Err("`or` inside a selector's braces is not supported".into());
    }
    let name = vs
        .name
        .clone()
        .or_else(|| {
            vs.matchers
                .matchers
                .iter()
                .find(|m| m.name == "__name__" && m.op == MatchOp::Equal)
                .map(|m| m.value.clone())
        })
        .ok_or("a selector without a metric name is not supported")?;
    let mut found: Vec<Metric> = Metric::ALL.into_iter().filter(|m| m.name() == name).collect();
    if found.is_empty() {
        let mut names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        names.dedup();
        return Err(format!(
            "simpark produces no series `{name}`; it produces {}",
            names.join(", ")
        ));
    }
    for m in &vs.matchers.matchers {
        match m.name.as_str() {
            "__name__" => {
                if !m.is_match(&name) {
                    found.clear();
                }
            }
            "instance" => {
                return Err(format!(
                    "matching on `instance` ({m}) is not supported: simpark's instances are its servers, not your host names"
                ));
            }
            label => found.retain(|&metric| {
                let value = match label {
                    "job" => Some(metric.job()),
                    "code" => metric.code(),
                    _ => None,
                };
                // An absent label matches the empty string, as in Prometheus.
                m.is_match(value.unwrap_or(""))
            }),
        }
    }
    if found.is_empty() {
        return Err(format!("the selector `{vs}` matches none of simpark's series"));
    }
    Ok(found)
}

fn call(c: &ast::Call) -> Result<Expr, String> {
    let name = c.func.name;
    let func = match name {
        "rate" => RangeFn::Rate,
        "increase" => RangeFn::Increase,
        "delta" => RangeFn::Delta,
        "deriv" => RangeFn::Deriv,
        "avg_over_time" => RangeFn::AvgOverTime,
        "min_over_time" => RangeFn::MinOverTime,
        "max_over_time" => RangeFn::MaxOverTime,
        "predict_linear" => {
            let h = match c.args.args.get(1).map(|a| from_ast(a)) {
                Some(Ok(e)) => fold(&e),
                _ => None,
            };
            RangeFn::PredictLinear(h.ok_or("predict_linear's horizon must be a number")?)
        }
        _ => return Err(format!("the function `{name}` is not supported")),
    };
    let Some(ast::Expr::MatrixSelector(ms)) = c.args.args.first().map(|a| a.as_ref()) else {
        return Err(format!("`{name}` needs a range selector such as `metric[5m]`"));
    };
    let window = SimDuration::from_nanos(u64::try_from(ms.range.as_nanos()).map_err(|_| "range too long")?);
    if window.is_zero() {
        return Err("an empty range".into());
    }
    Ok(Expr::Range {
        func,
        metrics: selector(&ms.vs)?,
        window,
    })
}

/// The value of a constant expression.
fn fold(e: &Expr) -> Option<f64> {
    match e {
        Expr::Number(x) => Some(*x),
        Expr::Neg(e) => fold(e).map(|x| -x),
        Expr::Binary { op, lhs, rhs, .. } => {
            let (a, b) = (fold(lhs)?, fold(rhs)?);
            Some(match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div => a / b,
                _ => return None,
            })
        }
        _ => None,
    }
}

fn binary(b: &ast::BinaryExpr) -> Result<Expr, String> {
    let sym = b.op.to_string();
    let op = match sym.as_str() {
        "+" => BinOp::Add,
        "-" => BinOp::Sub,
        "*" => BinOp::Mul,
        "/" => BinOp::Div,
        "==" => BinOp::Eq,
        "!=" => BinOp::Ne,
        ">" => BinOp::Gt,
        ">=" => BinOp::Ge,
        "<" => BinOp::Lt,
        "<=" => BinOp::Le,
        "and" => BinOp::And,
        "or" => BinOp::Or,
        "unless" => BinOp::Unless,
        other => return Err(format!("the operator `{other}` is not supported")),
    };
    let mut return_bool = false;
    let mut matching = None;
    if let Some(m) = &b.modifier {
        if matches!(
            m.card,
            VectorMatchCardinality::ManyToOne(_) | VectorMatchCardinality::OneToMany(_)
        ) {
            return Err("`group_left`/`group_right` matching is not supported".into());
        }
        return_bool = m.return_bool;
        matching = m.matching.as_ref().map(grouping).transpose()?;
    }
    let (lhs, rhs) = (from_ast(&b.lhs)?, from_ast(&b.rhs)?);
    let e = Expr::Binary {
        op,
        lhs: Box::new(lhs),
        rhs: Box::new(rhs),
        return_bool,
        matching,
    };
    Ok(fold(&e).map_or(e, Expr::Number))
}

fn aggregate(a: &ast::AggregateExpr) -> Result<Expr, String> {
    let sym = a.op.to_string();
    let op = match sym.as_str() {
        "sum" => AggOp::Sum,
        "min" => AggOp::Min,
        "max" => AggOp::Max,
        "avg" => AggOp::Avg,
        "count" => AggOp::Count,
        other => return Err(format!("the aggregation `{other}` is not supported")),
    };
    let expr = from_ast(&a.expr)?;
    if expr.is_scalar() {
        return Err(format!("`{sym}` over a number"));
    }
    Ok(Expr::Aggregate {
        op,
        grouping: a.modifier.as_ref().map(grouping).transpose()?,
        expr: Box::new(expr),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_rules_compile() {
        for text in [
            "up == 0",
            "up{job=\"node\"} == 0",
            "node_load1 > 4",
            "predict_linear(node_filesystem_avail_bytes[6h], 4 * 3600) < 0",
            "node_filesystem_avail_bytes / node_filesystem_size_bytes * 100 < 10",
            "sum(rate(haproxy_backend_http_responses_total{code=\"5xx\"}[5m])) / sum(rate(haproxy_backend_http_requests_total[5m])) > 14.4 * 0.001",
            "(sum(rate(haproxy_backend_http_responses_total{code=~\"5..\"}[1h])) / sum(rate(haproxy_backend_http_requests_total[1h])) > 0.0144) and (sum(rate(haproxy_backend_http_responses_total{code=~\"5..\"}[5m])) / sum(rate(haproxy_backend_http_requests_total[5m])) > 0.0144)",
            "avg by (job) (node_load1) > 2",
            "max_over_time(up[10m]) == 0",
        ] {
            compile(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }

    #[test]
    fn unsupported_rules_say_why() {
        for (text, why) in [
            (
                "node_memory_MemAvailable_bytes < 1e9",
                "no series `node_memory_MemAvailable_bytes`",
            ),
            ("up{instance=\"web1:9100\"} == 0", "`instance`"),
            ("rate(up[5m] offset 1h) > 0", "offset"),
            ("absent(up) == 1", "`absent`"),
            ("up % 2 == 1", "`%`"),
            ("1 > bool 0", "a number"),
            ("up ==", "does not parse"),
            ("haproxy_backend_http_responses_total{code=\"4xx\"} > 0", "matches none"),
        ] {
            let e = compile(text).expect_err(text);
            assert!(e.contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn code_matchers_select_the_counter_classes() {
        let Expr::Select(m) = compile("haproxy_backend_http_responses_total{code=~\"5..\"}").unwrap() else {
            panic!("a selector")
        };
        assert_eq!(m, vec![Metric::HttpResponses5xx]);
        let Expr::Select(m) = compile("haproxy_backend_http_responses_total").unwrap() else {
            panic!("a selector")
        };
        assert_eq!(m, vec![Metric::HttpResponses2xx, Metric::HttpResponses5xx]);
    }
}
