//! `--export-markdown FILE`: the summary of a run, a comparison or a plan as
//! a short Markdown document, for a pull-request comment or a CI job summary
//! (`$GITHUB_STEP_SUMMARY`).
//!
//! Each document opens with a heading and a line naming the scenario, the
//! seed(s), the policy and ratesim's version, so a pasted table says where it
//! came from. The cells are summary.csv's (run) or compare_summary.csv's
//! (compare) values with the same decimals; a plan gives its answers, the
//! lines it prints. What each table holds is documented in docs/outputs.md.

use super::summary::{format_metrics, metric_values, METRICS};
use crate::compare::Comparison;
use crate::outcome::Outcome;
use crate::plan::PlanResult;
use crate::scenario::Scenario;

/// The figures a run's and a comparison's tables show, as (summary.csv
/// column, header).
const FIGURES: &[(&str, &str)] = &[
    ("arrivals", "arrivals"),
    ("succeeded", "succeeded"),
    ("gave_up", "gave up"),
    ("refused_locally", "refused"),
    ("rejected_429", "429s"),
    ("share_429", "429 share"),
    ("goodput_rpm", "goodput req/min"),
    ("completion_p50_s", "p50 s"),
    ("completion_p99_s", "p99 s"),
    ("locked_out_s", "locked out s"),
];

fn index(column: &str) -> usize {
    METRICS
        .iter()
        .position(|m| m.0 == column)
        .expect("a summary column")
}

/// A Markdown table; columns after the first `text` ones are right-aligned.
fn table(header: &[String], rows: &[Vec<String>], text: usize) -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut out = format!(
        "| {} |\n|{}\n",
        header
            .iter()
            .map(|h| cell(h))
            .collect::<Vec<_>>()
            .join(" | "),
        (0..header.len())
            .map(|c| if c < text { "---|" } else { "---:|" })
            .collect::<String>()
    );
    for r in rows {
        out += &format!(
            "| {} |\n",
            r.iter().map(|h| cell(h)).collect::<Vec<_>>().join(" | ")
        );
    }
    out
}

fn headers(first: &[&str]) -> Vec<String> {
    first
        .iter()
        .copied()
        .chain(FIGURES.iter().map(|f| f.1))
        .map(String::from)
        .collect()
}

/// One run: a row per group and the total, with the figures of [`FIGURES`].
pub fn run_markdown(sc: &Scenario, o: &Outcome) -> Vec<u8> {
    let minutes = o.horizon.as_secs_f64() / 60.0;
    let row = |name: &str, strategy: &str, s| {
        let values = format_metrics(&metric_values(s, minutes));
        let mut r = vec![name.to_string(), strategy.to_string()];
        r.extend(FIGURES.iter().map(|f| values[index(f.0)].clone()));
        r
    };
    let mut rows: Vec<Vec<String>> = sc
        .groups
        .iter()
        .zip(&o.groups)
        .map(|(g, s)| row(&g.name, &g.strategy.name, s))
        .collect();
    rows.push(row("total", "", &o.total));
    let mut out = format!(
        "# {}: run summary\n\nScenario `{}`, seed {}, {} simulated, policy {}, ratesim {}.\n\n",
        sc.name,
        sc.name,
        o.seed,
        o.horizon,
        sc.policy.preset,
        env!("CARGO_PKG_VERSION")
    );
    out += &table(&headers(&["group", "strategy"]), &rows, 2);
    out.into_bytes()
}

/// A comparison: a row per strategy, each figure's mean ± 95% half-width
/// over the replications, then the findings.
pub fn compare_markdown(sc: &Scenario, c: &Comparison) -> Vec<u8> {
    let est: Vec<_> = (0..c.plan.strategies.len())
        .map(|s| super::compare::estimates(c, s))
        .collect();
    let rows: Vec<Vec<String>> = est
        .iter()
        .zip(&c.plan.strategies)
        .map(|(e, strategy)| {
            let means = format_metrics(&e.iter().map(|x| x.mean).collect::<Vec<_>>());
            let halves = format_metrics(&e.iter().map(|x| x.half_width).collect::<Vec<_>>());
            let mut r = vec![strategy.name.clone()];
            r.extend(FIGURES.iter().map(|f| {
                let i = index(f.0);
                if c.plan.replications > 1 {
                    format!("{} ± {}", means[i], halves[i])
                } else {
                    means[i].clone()
                }
            }));
            r
        })
        .collect();
    let groups: Vec<&str> = c
        .plan
        .groups
        .iter()
        .map(|&g| sc.groups[g].name.as_str())
        .collect();
    let last = c.plan.base_seed + u64::from(c.plan.replications) - 1;
    let mut out = format!(
        "# {}: comparison\n\nScenario `{}`, groups {}, {} replication(s) per strategy (seeds {}..{last}), policy {}, ratesim {}. Figures are means over the replications{}.\n\n",
        sc.name,
        sc.name,
        groups.join(", "),
        c.plan.replications,
        c.plan.base_seed,
        sc.policy.preset,
        env!("CARGO_PKG_VERSION"),
        if c.plan.replications > 1 {
            " ± the half-width of their 95% confidence interval"
        } else {
            ""
        }
    );
    out += &table(&headers(&["strategy"]), &rows, 1);
    out += "\n";
    for line in super::compare::verdict(c, &est) {
        out += &format!("- {line}\n");
    }
    out.into_bytes()
}

/// A plan: its answers, one per line, as `ratesim plan` prints them.
pub fn plan_markdown(sc: &Scenario, res: &PlanResult) -> Vec<u8> {
    let s = &res.settings;
    let mut out = format!(
        "# {}: capacity plan\n\nScenario `{}`, {} replication(s) per load (seeds {}..{}), policy {}, ratesim {}. Today's load {} the objective.\n\n",
        sc.name,
        sc.name,
        s.replications,
        s.base_seed,
        s.base_seed + u64::from(s.replications) - 1,
        sc.policy.preset,
        env!("CARGO_PKG_VERSION"),
        if res.meets_today() { "meets" } else { "misses" }
    );
    for line in super::plan::verdict(sc, res) {
        out += &format!("- {line}\n");
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_escape_pipes_and_align_numbers_right() {
        let t = table(
            &["name".into(), "n".into()],
            &[vec!["a|b".into(), "1".into()]],
            1,
        );
        assert_eq!(t, "| name | n |\n|---|---:|\n| a\\|b | 1 |\n");
    }
}
