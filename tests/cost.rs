//! Usage cost: what `[[prices]]` bills, the claims of
//! scenarios/usage-cost.toml, compare's spend line and its ranking by
//! recovery after a trigger.

mod support;

use ratesim::experiment::simulate_quiet;
use ratesim::scenario::{load, parse, Scenario};
use std::path::Path;
use support::{ratesim, ratesim_ok, repo, TempDir};

fn bundled(name: &str) -> Scenario {
    load(&repo(&format!("scenarios/{name}"))).unwrap()
}

/// The value of `column` in the row whose first cell is `row` of a CSV.
fn cell(csv: &str, row: &str, column: &str) -> String {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = header
        .iter()
        .position(|h| *h == column)
        .unwrap_or_else(|| panic!("no column {column}"));
    let line = lines
        .find(|l| l.split(',').next() == Some(row))
        .unwrap_or_else(|| panic!("no row {row}"));
    line.split(',').nth(i).unwrap().to_string()
}

/// The claims of scenarios/usage-cost.toml: the chat client pays for answers
/// it abandoned on timeout; music, billed per generation with no timeout,
/// uses everything it pays for; every success is billed at the published
/// prices, to the pico-dollar.
#[test]
fn usage_cost_bills_successes_at_their_prices_and_shows_what_timeouts_waste() {
    let sc = bundled("usage-cost.toml");
    let o = simulate_quiet(&sc, sc.seed).unwrap();
    let (chat, music) = (&o.groups[0], &o.groups[1]);

    // $0.70 and $2.80 per million tokens are 700,000 and 2,800,000
    // pico-dollars a token.
    assert_eq!(
        chat.spend.used,
        u128::from(chat.tokens_in) * 700_000 + u128::from(chat.tokens_out) * 2_800_000
    );
    assert!(chat.timeouts > 0);
    assert!(
        chat.spend.abandoned > 0 && chat.spend.billed > chat.spend.used,
        "abandoned answers are billed: {:?}",
        chat.spend
    );
    // Billed = used + abandoned + still on the way at the end (none here).
    assert_eq!(chat.in_flight, 0);
    assert_eq!(
        chat.spend.billed,
        chat.spend.used + chat.spend.abandoned,
        "{:?}",
        chat.spend
    );
    let unused_share = chat.spend.unused() / chat.spend.total();
    assert!(
        (0.2..0.7).contains(&unused_share),
        "a large part of the chat bill pays for abandoned answers: {unused_share}"
    );

    // Music: not limited, billed $0.18 a generation, all of it used.
    assert_eq!(music.rejected_total(), 0);
    assert_eq!(
        music.spend.billed,
        u128::from(music.succeeded) * 180_000_000_000
    );
    assert_eq!(music.spend.unused(), 0.0);
    assert_eq!(o.total.spend.billed, chat.spend.billed + music.spend.billed);
}

#[test]
fn run_prints_and_writes_the_spend() {
    let dir = TempDir::new("cost-run");
    let out = ratesim_ok(&[
        "run",
        "scenarios/usage-cost.toml",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    let sc = bundled("usage-cost.toml");
    let o = simulate_quiet(&sc, sc.seed).unwrap();
    let spend_line = text.lines().find(|l| l.starts_with("spend ")).unwrap();
    assert!(
        spend_line.contains(&format!("{:.2}", o.total.spend.total())),
        "{spend_line}"
    );
    assert!(text.contains("of which unused answers"));
    let summary = std::fs::read_to_string(dir.path().join("summary.csv")).unwrap();
    let unused: f64 = cell(&summary, "chat", "spend_unused").parse().unwrap();
    assert!((unused - o.groups[0].spend.unused()).abs() < 1e-6);
    assert_eq!(cell(&summary, "music", "spend_unused"), "0.000000");
}

#[test]
fn a_scenario_without_prices_shows_no_spend() {
    let dir = TempDir::new("cost-free");
    let out = ratesim(&[
        "run",
        "scenarios/quickstart.toml",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(!String::from_utf8(out.stdout).unwrap().contains("spend"));
    let summary = std::fs::read_to_string(dir.path().join("summary.csv")).unwrap();
    assert_eq!(cell(&summary, "total", "spend"), "0.000000");
    assert_eq!(cell(&summary, "total", "spend_per_success"), "0.00000000");
}

/// compare's claim in usage-cost.toml: the strategy that retries more
/// succeeds on the same requests (long answers time out on every attempt)
/// and pays more for abandoned answers.
#[test]
fn compare_shows_that_more_retries_on_timeout_only_add_spend() {
    let dir = TempDir::new("cost-compare");
    let out = ratesim_ok(&[
        "compare",
        "scenarios/usage-cost.toml",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Spend per run at the scenario's prices"),
        "{text}"
    );
    let s = std::fs::read_to_string(dir.path().join("compare_summary.csv")).unwrap();
    let num = |row: &str, col: &str| cell(&s, row, col).parse::<f64>().unwrap();
    assert_eq!(
        num("openai-python", "succeeded_mean"),
        num("full-jitter-6", "succeeded_mean")
    );
    assert!(num("full-jitter-6", "spend_mean") > 1.2 * num("openai-python", "spend_mean"));
    assert!(num("full-jitter-6", "spend_unused_mean") > num("openai-python", "spend_unused_mean"));
    // The answer paragraph weighs the spend too: the recommended strategy
    // is also the cheaper one, with both figures.
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    let answer = md.lines().find(|l| l.starts_with("**Use ")).unwrap();
    assert!(
        answer.starts_with("**Use openai-python**")
            && answer.contains(&format!(
                "It also costs less per run at the scenario's prices: {:.2}",
                num("openai-python", "spend_mean")
            ))
            && answer.contains("spend or lockout"),
        "{answer}"
    );
}

/// When a strategy that delivers less costs less, the answer names that
/// as the trade-off; a comparison with no prices never mentions spend.
/// The quickstart's batch, priced per image: no-retry gives up on the
/// requests others deliver, so it is billed for fewer answers.
#[test]
fn the_answer_names_a_cheaper_strategy_as_the_trade_off() {
    let dir = TempDir::new("cost-trade-off");
    let text = std::fs::read_to_string(repo("scenarios/quickstart.toml")).unwrap()
        + "\n[[prices]]\nmodel = \"z-image-turbo\"\nper_request = 0.01\n";
    let scenario = dir.path().join("quickstart-priced.toml");
    std::fs::write(&scenario, text).unwrap();
    let priced = dir.path().join("priced");
    ratesim_ok(&[
        "compare",
        scenario.to_str().unwrap(),
        "--out",
        priced.to_str().unwrap(),
        "--quiet",
    ]);
    let md = std::fs::read_to_string(priced.join("report.md")).unwrap();
    let answer = md.lines().find(|l| l.starts_with("**Use ")).unwrap();
    let no_retry = answer
        .split("; ")
        .find(|part| {
            part.trim_start_matches("The trade-off: ")
                .starts_with("no-retry ")
        })
        .unwrap_or_else(|| panic!("no trade-off of no-retry: {answer}"));
    assert!(
        answer.starts_with("**Use header-aware**")
            && no_retry.contains("costs less per run (")
            && no_retry.contains("but delivers"),
        "{answer}"
    );
    let plain = dir.path().join("plain");
    ratesim_ok(&[
        "compare",
        "scenarios/quickstart.toml",
        "--out",
        plain.to_str().unwrap(),
        "--quiet",
    ]);
    let md = std::fs::read_to_string(plain.join("report.md")).unwrap();
    assert!(!md.to_lowercase().contains("spend"), "{md}");
}

/// With a trigger, compare ranks the strategies by recovery (the claim of
/// scenarios/retry-collapse.toml's comment about `compare`).
#[test]
fn compare_ranks_strategies_by_recovery_after_the_spike() {
    let dir = TempDir::new("cost-recovery");
    let out = ratesim_ok(&[
        "compare",
        "scenarios/retry-collapse.toml",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let text = String::from_utf8(out.stdout).unwrap().replace('\n', " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = &text[text
        .find("Ranked by recovery after the load spike")
        .expect("ranking line")..];
    let (budget, none) = (
        line.find("retry-budget-10pct back").unwrap(),
        line.find("no-budget did not recover").unwrap(),
    );
    assert!(budget < none, "the budget ranks first: {line}");
    let s = std::fs::read_to_string(dir.path().join("compare_summary.csv")).unwrap();
    assert_eq!(
        cell(&s, "retry-budget-10pct", "recovered_replications"),
        "5"
    );
    assert_eq!(cell(&s, "no-budget", "recovered_replications"), "0");
    assert_eq!(cell(&s, "no-budget", "recovery_s_median"), "inf");
    let c = std::fs::read_to_string(dir.path().join("compare.csv")).unwrap();
    assert!(c
        .lines()
        .filter(|l| l.starts_with("no-budget,"))
        .all(|l| l.ends_with(",inf,timeout storm")));
}

fn error_of(extra: &str) -> String {
    let text = format!(
        r#"
duration = "1m"
[[groups]]
name = "a"
model = "llama-3.3-70b"
arrival = {{ process = "poisson", rate = "1/s" }}
input_tokens = 100
output_tokens = 100
strategy = "openai-python"
{extra}
"#
    );
    match parse(&text, Path::new("prices.toml")) {
        Ok(_) => panic!("accepted: {extra}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn prices_are_checked_with_their_location() {
    for (extra, field, fragment) in [
        (
            "[[prices]]\nmodel = \"lama-3.3-70b\"\nper_request = 1",
            "prices[0].model",
            "llama-3.3-70b",
        ),
        (
            "[[prices]]\nmodel = \"minimax-music-v26\"\noutput_per_million = 1",
            "prices[0].output_per_million",
            "no token counts",
        ),
        (
            "[[prices]]\nmodel = \"tts-kokoro\"\nper_second = 0.01",
            "prices[0].per_second",
            "needs `seconds`",
        ),
        (
            "[[prices]]\nmodel = \"llama-3.3-70b\"\nper_request = -1",
            "prices[0].per_request",
            "from 0 to",
        ),
        (
            "[[prices]]\nmodel = \"llama-3.3-70b\"\nper_request = 1\n[[prices]]\nmodel = \"llama-3.3-70b\"\nper_request = 2",
            "prices[1].model",
            "already has a price",
        ),
        (
            "[[prices]]\nmodel = \"llama-3.3-70b\"\nimages = 2",
            "prices[0].images",
            "not an image model",
        ),
        (
            "[[prices]]\nmodel = \"llama-3.3-70b\"\nper_euro = 2",
            "prices[0]",
            "per_euro",
        ),
    ] {
        let e = error_of(extra);
        assert!(e.contains(field), "{extra}: {e}");
        assert!(e.contains(fragment), "{extra}: {e}");
        assert!(e.contains("prices.toml:"), "located: {e}");
    }
}
