//! CI gates in k6's manner: a threshold is a ceiling on one summary figure
//! of one group (or of the total), such as `share_429<=1%`, `p99<=30s`,
//! `gave_up<=0` or `locked_out_s<=0`. `run` checks them after the run and
//! exits 3 when one is crossed, naming it and by how much.
//!
//! A term names a summary.csv column (`completion_p99_s`) or a short alias
//! (`p50`, `p95`, `p99`, `p99_all`); a value may carry `%` (a share: divided
//! by 100) or a duration unit (`ms`, `s`, `m`, `h`: converted to seconds).
//! Whether the column exists is checked against the summary's columns by
//! the caller, which knows them.

use std::fmt;

/// One ceiling on one figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// A group's name, or `None` for the total row.
    pub group: Option<String>,
    /// The summary.csv column.
    pub metric: String,
    /// The ceiling, in the column's own unit.
    pub max: f64,
    /// `<=` (true) or `<` (false).
    pub inclusive: bool,
    /// The term as written, for messages.
    pub text: String,
}

/// Aliases users write for summary columns.
const ALIASES: &[(&str, &str)] = &[
    ("p50", "completion_p50_s"),
    ("p95", "completion_p95_s"),
    ("p99", "completion_p99_s"),
    ("p99_all", "completion_p99_all_s"),
    ("max", "completion_max_s"),
    ("locked_out", "locked_out_s"),
];

impl Threshold {
    /// Parses `metric<=value` (or `<`) for `group` (`None`: the total).
    pub fn parse(group: Option<&str>, text: &str) -> Result<Threshold, String> {
        let t = text.trim();
        let (metric, value, inclusive) = if let Some((m, v)) = t.split_once("<=") {
            (m, v, true)
        } else if let Some((m, v)) = t.split_once('<') {
            (m, v, false)
        } else {
            return Err(format!(
                "expected a ceiling such as `share_429<=1%`, `p99<=30s` or `gave_up<=0`, got {:?}",
                crate::suggest::excerpt(t)
            ));
        };
        let metric = metric.trim();
        let metric = ALIASES
            .iter()
            .find(|(a, _)| *a == metric)
            .map_or(metric, |(_, c)| c)
            .to_string();
        if metric.is_empty() {
            return Err(format!("{t:?} names no figure before the `<`"));
        }
        let v = value.trim();
        let (number, scale) = if let Some(n) = v.strip_suffix('%') {
            (n, 0.01)
        } else if let Some(n) = v.strip_suffix("ms") {
            (n, 1e-3)
        } else if let Some(n) = v.strip_suffix('s') {
            (n, 1.0)
        } else if let Some(n) = v.strip_suffix('m') {
            (n, 60.0)
        } else if let Some(n) = v.strip_suffix('h') {
            (n, 3600.0)
        } else {
            (v, 1.0)
        };
        let max = number
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| {
                format!(
                    "expected a number (with %, ms, s, m or h) after the `<` in {:?}",
                    crate::suggest::excerpt(t)
                )
            })?
            * scale;
        Ok(Threshold {
            group: group.map(str::to_string),
            metric,
            max,
            inclusive,
            text: t.to_string(),
        })
    }

    /// Whether `value` stays within the ceiling (a figure with no finite
    /// value, such as a p99 never reached, crosses every ceiling).
    pub fn holds(&self, value: f64) -> bool {
        value.is_finite()
            && if self.inclusive {
                value <= self.max
            } else {
                value < self.max
            }
    }

    /// Where the threshold applies, for messages.
    pub fn scope(&self) -> &str {
        self.group.as_deref().unwrap_or("total")
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.scope(), self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_parse_with_units_and_aliases() {
        let t = Threshold::parse(None, "share_429<=1%").unwrap();
        assert_eq!(
            (t.metric.as_str(), t.max, t.inclusive),
            ("share_429", 0.01, true)
        );
        let t = Threshold::parse(Some("chat"), "p99 < 1.5m").unwrap();
        assert_eq!(
            (t.metric.as_str(), t.max, t.inclusive),
            ("completion_p99_s", 90.0, false)
        );
        assert_eq!(t.scope(), "chat");
        assert!(t.holds(89.9) && !t.holds(90.0) && !t.holds(f64::INFINITY));
        assert_eq!(Threshold::parse(None, "gave_up<=0").unwrap().max, 0.0);
        assert!(Threshold::parse(None, "gave_up=0").is_err());
        assert!(Threshold::parse(None, "gave_up<=lots").is_err());
        assert!(Threshold::parse(None, "<=3").is_err());
    }
}
