//! `ratesim compare`: fairness (common random numbers), parallel runs equal
//! serial ones, the golden summary, and a report that stands alone.

mod support;

use ratesim::compare::{run_with_threads, Plan};
use ratesim::experiment::Variant;
use ratesim::outcome::RequestRecord;
use ratesim::report::compare::{compare_csv, compare_files, compare_summary_csv};
use support::{check, ratesim, repo, TempDir};

fn fixture() -> ratesim::scenario::Scenario {
    ratesim::scenario::load(&repo("tests/fixtures/compare.toml")).unwrap()
}

fn plan(sc: &ratesim::scenario::Scenario) -> Plan {
    let c = sc.compare.clone().unwrap();
    Plan {
        strategies: c.strategies,
        replications: c.replications.unwrap(),
        groups: c.groups,
        base_seed: sc.seed,
    }
}

#[test]
fn strategies_that_never_retry_see_the_identical_arrivals() {
    let sc = fixture();
    let never = |text: &str| {
        let spec =
            ratesim::strategy::config::parse(&text.parse::<toml::Table>().unwrap().into()).unwrap();
        let variant = Variant::of(&sc).with_strategy(&spec, &[0]);
        let mut records: Vec<RequestRecord> = Vec::new();
        ratesim::experiment::simulate(&variant, 9, &mut records).unwrap();
        let mut arrivals: Vec<(u64, u64, u32, u32)> = records
            .iter()
            .map(|r| (r.id, r.arrival.0, r.input_tokens, r.output_tokens))
            .collect();
        arrivals.sort();
        arrivals
    };
    let a = never("kind = \"none\"");
    let b = never("kind = \"constant\"\ndelay = \"5s\"\nmax_attempts = 1");
    assert!(a.len() > 500, "the fixture should produce a real workload");
    assert_eq!(
        a, b,
        "two non-retrying strategies must meet the same request ids, times and sizes"
    );
}

#[test]
fn parallel_and_serial_replications_give_identical_csvs() {
    let sc = fixture();
    let p = plan(&sc);
    let serial = run_with_threads(&sc, &p, Some(1), &|| {}).unwrap();
    let parallel = run_with_threads(&sc, &p, Some(4), &|| {}).unwrap();
    assert_eq!(compare_csv(&serial), compare_csv(&parallel));
    assert_eq!(compare_summary_csv(&serial), compare_summary_csv(&parallel));
}

#[test]
fn golden_compare_summary() {
    let sc = fixture();
    let c = run_with_threads(&sc, &plan(&sc), None, &|| {}).unwrap();
    check(
        "compare-small/compare_summary.csv",
        &compare_summary_csv(&c),
    );
}

#[test]
fn charts_have_one_series_per_strategy_and_the_report_stands_alone() {
    let sc = fixture();
    let c = run_with_threads(&sc, &plan(&sc), None, &|| {}).unwrap();
    let files = compare_files(&sc, &c).unwrap();
    let get = |name: &str| {
        String::from_utf8(files.iter().find(|(n, _)| n == name).unwrap().1.clone()).unwrap()
    };
    let names = ["no-retry", "full-jitter", "header-aware"];
    for chart in [
        "throughput.svg",
        "rate_429.svg",
        "completion_cdf.svg",
        "attempts.svg",
    ] {
        let svg = get(chart);
        assert!(
            svg.trim_start().starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{chart} is one SVG element"
        );
        assert_eq!(svg.matches("<svg").count(), svg.matches("</svg>").count());
        for n in names {
            let label = |t: &str| t.trim() == n;
            let entries = svg
                .split("</text>")
                .filter(|t| t.rsplit('>').next().is_some_and(label))
                .count();
            assert_eq!(entries, 1, "{chart}: one legend entry for {n}");
        }
    }
    let html = get("report.html");
    for forbidden in [
        "http://", "https://", "<script", " src=", "<link", "@import",
    ] {
        assert!(
            !html.contains(forbidden),
            "report.html must not reference {forbidden}"
        );
    }
    assert_eq!(html.matches("<svg").count(), 6, "every chart is inlined");
    for n in names {
        assert!(html.contains(n));
    }
    let md = get("report.md");
    assert!(md.contains("★"), "the best value of each column is marked");
    assert!(md.contains("delivers the most"));
}

#[test]
fn compare_command_writes_the_report_and_rejects_bad_flags() {
    let dir = TempDir::new("compare-cli");
    let out = ratesim(&[
        "compare",
        "tests/fixtures/compare.toml",
        "--out",
        dir.path().to_str().unwrap(),
        "--replications",
        "2",
        "--quiet",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "compare.csv",
        "compare_summary.csv",
        "report.md",
        "report.html",
        "throughput.png",
        "wasted_work.svg",
    ] {
        assert!(dir.path().join(f).is_file(), "missing {f}");
    }
    let bad = ratesim(&[
        "compare",
        "tests/fixtures/compare.toml",
        "--strategies",
        "full-jiter",
        "--out",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(!dir.path().join("x").exists());
}

/// Regression: the verdict called no-retry best for p99 completion and 429
/// share while it abandoned requests. Completion times now count a given-up
/// request as never completed, and the ranking starts from what was
/// delivered.
#[test]
fn a_strategy_that_abandons_requests_is_not_called_fastest() {
    let sc = fixture();
    let p = plan(&sc);
    let c = run_with_threads(&sc, &p, Some(2), &|| {}).unwrap();
    let est: Vec<_> = (0..p.strategies.len())
        .map(|s| ratesim::report::compare::estimates(&c, s))
        .collect();
    let no_retry = p
        .strategies
        .iter()
        .position(|s| s.name == "no-retry")
        .unwrap();
    let gave_up = c
        .runs_of(no_retry)
        .iter()
        .map(|r| r.stats.gave_up_total())
        .sum::<u64>();
    assert!(gave_up > 0, "the fixture's no-retry must abandon requests");
    let verdict = ratesim::report::compare::verdict(&c, &est).join("\n");
    assert!(
        !verdict.contains("no-retry has the lowest p99"),
        "{verdict}"
    );
    assert!(
        !verdict.starts_with("no-retry delivers the most"),
        "{verdict}"
    );
    // Its p99 over all arrivals is not reached (more than 1% given up).
    for r in c.runs_of(no_retry) {
        let share = r.stats.gave_up_total() as f64 / r.stats.arrivals as f64;
        assert_eq!(
            r.stats.completion_quantile_all(0.99).is_none(),
            share > 0.01
        );
    }
}

/// The report answers first: which strategy to use (the one that delivered
/// the largest share, as compare_summary.csv has it), by how much with a
/// paired interval, then one line per strategy compared; its numbers carry
/// thousands separators and its intervals stay one token.
#[test]
fn the_report_opens_with_its_answer_and_defines_every_strategy() {
    let sc = fixture();
    let c = run_with_threads(&sc, &plan(&sc), None, &|| {}).unwrap();
    let summary = String::from_utf8(compare_summary_csv(&c)).unwrap();
    let mut lines = summary.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let share = head
        .iter()
        .position(|h| *h == "success_share_mean")
        .unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let best = rows
        .iter()
        .max_by(|a, b| {
            let v = |r: &Vec<&str>| r[share].parse::<f64>().unwrap();
            v(a).total_cmp(&v(b))
        })
        .unwrap()[0];
    let md = ratesim::report::compare::report_md(&sc, &c);
    let answer = md
        .strip_prefix("# Strategy comparison: compare-small\n\n")
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap();
    assert!(
        answer.starts_with(&format!("**Use {best}** for burst: it delivered ")),
        "{answer}"
    );
    assert!(answer.contains("more than the runner-up"), "{answer}");
    assert!(answer.contains("paired\u{a0}95%\u{a0}CI"), "{answer}");
    let defs = md
        .split("## Strategies compared\n\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap();
    let defs: Vec<&str> = defs.lines().collect();
    assert_eq!(defs.len(), rows.len(), "{defs:?}");
    for (line, row) in defs.iter().zip(&rows) {
        assert!(line.starts_with(&format!("- **{}**: ", row[0])), "{line}");
    }
    assert!(
        defs[1]
            .contains("`kind = \"full-jitter\", base = \"500ms\", cap = \"20s\", max_attempts = 6"),
        "{}",
        defs[1]
    );
    // qwen3-5-9b's token limit is in the millions: separated, like every
    // number of four digits or more before the charts.
    let text = md.split("## Charts").next().unwrap();
    assert!(text.contains(",000 TPM"), "{text}");
    let digits: Vec<bool> = text.chars().map(|ch| ch.is_ascii_digit()).collect();
    assert!(
        !digits.windows(4).any(|w| w.iter().all(|&d| d)),
        "a number without thousands separators:\n{text}"
    );
    // A table cell's interval never breaks at a space.
    let table: Vec<&str> = text.lines().filter(|l| l.starts_with("| ")).collect();
    assert!(table.len() > rows.len(), "{text}");
    for row in &table[1..] {
        assert!(
            !row.contains(" ± ") && row.contains("\u{a0}±\u{a0}"),
            "{row}"
        );
    }
}

/// A preset compared under its own name is defined by its own summary line.
#[test]
fn a_preset_is_defined_by_its_summary() {
    let sc = fixture();
    let mut p = plan(&sc);
    p.strategies = vec![
        ratesim::strategy::presets::find("openai-python")
            .unwrap()
            .spec(),
        p.strategies[0].clone(),
    ];
    p.replications = 2;
    let c = run_with_threads(&sc, &p, None, &|| {}).unwrap();
    let md = ratesim::report::compare::report_md(&sc, &c);
    let summary = ratesim::strategy::presets::find("openai-python")
        .unwrap()
        .summary;
    assert!(
        md.contains(&format!("- **openai-python** (preset): {summary}.\n")),
        "{md}"
    );
}

/// With one replication there is no interval to give, and the answer says so.
#[test]
fn a_single_replication_answer_has_no_intervals() {
    let sc = fixture();
    let mut p = plan(&sc);
    p.replications = 1;
    let c = run_with_threads(&sc, &p, None, &|| {}).unwrap();
    let md = ratesim::report::compare::report_md(&sc, &c);
    let answer = md.split("\n\n").nth(1).unwrap();
    assert!(answer.starts_with("**Use "), "{answer}");
    assert!(
        answer.contains("(one replication, so no confidence intervals)") && !answer.contains('±'),
        "{answer}"
    );
}
