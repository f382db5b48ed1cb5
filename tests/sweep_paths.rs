//! `[sweep].set`: axes over any scenario value by its path. The values
//! reach the engine, the bundled scenario shows what its header says,
//! shards merge into the unsharded bytes, a sweep without `set` keeps its
//! hashes, and every bad axis is a located error that writes nothing.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use support::{files, path_str as s, ratesim_env, ratesim_ok as ok, repo, TempDir};

/// The binary with `args`, with no batch engine's shard variables set.
fn ratesim(args: &[&str]) -> Output {
    ratesim_env(args, &[])
}

const SCENARIO: &str = "scenarios/sweep-params.toml";
const MAX_ATTEMPTS: &str = "groups.app.strategy.max_attempts";
const RATE: &str = "groups.app.arrival.rate";

fn csv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// sweep_summary.csv's `metric` mean of group `app` at the point where
/// every `(path, value)` of `at` holds.
fn mean(rows: &[HashMap<String, String>], at: &[(&str, &str)], metric: &str) -> f64 {
    let row = rows
        .iter()
        .find(|r| r["group"] == "app" && at.iter().all(|(p, v)| r[*p] == *v))
        .unwrap_or_else(|| panic!("no point {at:?}"));
    row[&format!("{metric}_mean")].parse().unwrap()
}

/// What README.md, docs/distributed.md and the scenario's header say.
const CLAIM: &str = "README: sweep-params.toml shows \"Below the limit every setting delivers at least 99.9%; at the limit one attempt delivers about 96% and is never locked out, every extra attempt delivers less, and five deliver about a quarter, the key locked out for most of the run\"";

/// The bundled sweep shows [`CLAIM`]. The values reach the engine: the
/// most attempts any request made is the swept max_attempts, and one
/// attempt means one attempt per request.
#[test]
fn the_bundled_parameter_sweep_shows_what_its_header_says() {
    let t = TempDir::new("sweep-params");
    let out = t.path().join("report");
    let o = ok(&["sweep", SCENARIO, "--out", s(&out)]);
    let rows = csv_rows(&out.join("sweep_summary.csv"));
    // 4 max_attempts x 3 rates, a row for the group and the total each.
    assert_eq!(rows.len(), 4 * 3 * 2);
    let header = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert!(
        header.starts_with(&format!(
            "point,strategy,load,limits,{MAX_ATTEMPTS},{RATE},replication,seed,group,"
        )),
        "{}",
        header.lines().next().unwrap()
    );
    for attempts in ["1", "2", "3", "5"] {
        for rate in ["60/min", "80/min"] {
            let at = [(MAX_ATTEMPTS, attempts), (RATE, rate)];
            assert!(
                mean(&rows, &at, "success_share") >= 0.999,
                "{CLAIM}: {at:?}"
            );
        }
    }
    let at_limit = |attempts| [(MAX_ATTEMPTS, attempts), (RATE, "100/min")];
    let delivered: Vec<f64> = ["1", "2", "3", "5"]
        .iter()
        .map(|a| mean(&rows, &at_limit(a), "success_share"))
        .collect();
    assert!(
        (0.93..0.99).contains(&delivered[0]),
        "{CLAIM}: {delivered:?}"
    );
    assert!(
        delivered.windows(2).all(|w| w[1] < w[0]),
        "{CLAIM}: {delivered:?}"
    );
    assert!(
        (0.15..0.35).contains(&delivered[3]),
        "{CLAIM}: {delivered:?}"
    );
    assert_eq!(mean(&rows, &at_limit("1"), "locked_out_s"), 0.0, "{CLAIM}");
    // Most of the twelve-minute run.
    let locked = mean(&rows, &at_limit("5"), "locked_out_s");
    assert!(locked > 360.0, "{CLAIM}: {locked}");
    for attempts in ["1", "2", "3", "5"] {
        let most = mean(&rows, &at_limit(attempts), "max_attempts");
        assert_eq!(most, attempts.parse::<f64>().unwrap(), "{attempts}");
    }
    for rate in ["60/min", "80/min", "100/min"] {
        let at = [(MAX_ATTEMPTS, "1"), (RATE, rate)];
        assert_eq!(mean(&rows, &at, "attempts_per_request"), 1.0, "{rate}");
    }
    // A chart along each path; the terminal names each point by its values.
    let names: Vec<String> = files(&out).into_iter().map(|f| f.0).collect();
    for f in [
        "sweep_set_groups-app-strategy-max_attempts.png",
        "sweep_set_groups-app-strategy-max_attempts.svg",
        "sweep_set_groups-app-arrival-rate.png",
        "sweep_set_groups-app-arrival-rate.svg",
    ] {
        assert!(names.iter().any(|n| n == f), "{f} missing from {names:?}");
    }
    let text = String::from_utf8(o.stdout).unwrap();
    let listed: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with(&format!("  {MAX_ATTEMPTS} = ")))
        .collect();
    assert_eq!(listed.len(), 12, "{text}");
    let best: Vec<&str> = listed
        .iter()
        .filter(|l| l.ends_with("← best"))
        .copied()
        .collect();
    assert!(best.iter().all(|l| !l.contains("100/min")), "{best:?}");
}

/// The chart along a numeric path puts its ticks at the swept settings
/// (1, 2, 3, 5 attempts), not at evenly spaced values nobody swept (a
/// reader must not look for max_attempts = 2.5).
#[test]
fn a_numeric_set_axis_is_ticked_at_its_settings() {
    let t = TempDir::new("sweep-params-ticks");
    let out = t.path().join("report");
    ok(&["sweep", SCENARIO, "--out", s(&out)]);
    let svg = std::fs::read_to_string(out.join("sweep_set_groups-app-strategy-max_attempts.svg"))
        .unwrap();
    let texts: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| {
            t.split_once('>')
                .and_then(|(_, rest)| rest.split_once("</text>"))
        })
        .map(|(text, _)| text.trim())
        .collect();
    let axis = texts
        .iter()
        .position(|t| *t == "1.0")
        .expect("the y axis tops out at 1.0");
    let x_ticks: Vec<&str> = texts[axis + 1..]
        .iter()
        .copied()
        .filter(|t| !t.is_empty() && t.parse::<f64>().is_ok())
        .collect();
    assert_eq!(x_ticks, ["1", "2", "3", "5"], "{texts:?}");
}

/// A scenario of one group at 100 requests a minute with a single attempt,
/// against an explicit limit and no lockout, sweeping `set`.
fn fixture(dir: &Path, set: &str, extra: &str) -> PathBuf {
    let path = dir.join("paths.toml");
    std::fs::write(
        &path,
        format!(
            r#"name = "paths"
duration = "5m"
drain = "1m"
seed = 3

[policy.lockout]
enabled = false

[[policy.models]]
id = "llama-3.3-70b"
rpm = 100

[[groups]]
name = "app"
model = "llama-3.3-70b"
arrival = {{ process = "constant", rate = "100/min" }}
input_tokens = 500
output_tokens = 200
strategy = {{ kind = "exponential", max_attempts = 1 }}

[sweep]
replications = 2
group = "app"
{extra}
set = {set}
"#
        ),
    )
    .unwrap();
    path
}

/// A limit addressed by its model's id (quoted: it holds dots) and a
/// group by its index reach the engine: half the limit delivers half the
/// requests, and the token count is what goodput_tpm carries.
#[test]
fn values_at_list_elements_reach_the_engine() {
    let t = TempDir::new("sweep-paths-engine");
    let sc = fixture(
        t.path(),
        r#"{ "policy.models.\"llama-3.3-70b\".rpm" = [50, 200], "groups[0].input_tokens" = [100, 1000] }"#,
        "",
    );
    let out = t.path().join("out");
    ok(&["sweep", s(&sc), "--out", s(&out), "--quiet"]);
    let rows = csv_rows(&out.join("sweep_summary.csv"));
    let rpm = "policy.models.\"llama-3.3-70b\".rpm";
    let tokens = "groups[0].input_tokens";
    let share = |r: &str, n: &str| mean(&rows, &[(rpm, r), (tokens, n)], "success_share");
    for n in ["100", "1000"] {
        assert!((share("50", n) - 0.5).abs() < 0.02, "{}", share("50", n));
        assert_eq!(share("200", n), 1.0);
    }
    let tpm = |n: &str| mean(&rows, &[(rpm, "200"), (tokens, n)], "goodput_tpm");
    // Every request succeeds at 200 RPM: the tokens scale with the prompt
    // (output 200 each): (1000 + 200) / (100 + 200) = 4.
    assert!(
        (tpm("1000") / tpm("100") - 4.0).abs() < 0.01,
        "{}",
        tpm("1000")
    );
}

/// Three shards, run in reverse order, merge into the unsharded report
/// byte for byte, charts along the `set` axes included; the parts carry a
/// column per path.
#[test]
fn sharded_set_sweeps_merge_into_the_unsharded_bytes() {
    let t = TempDir::new("sweep-paths-shards");
    let full = t.path().join("full");
    ok(&["sweep", SCENARIO, "--out", s(&full), "--quiet"]);
    let parts = t.path().join("parts");
    for k in (0..3).rev() {
        ok(&[
            "sweep",
            SCENARIO,
            "--shard",
            &format!("{k}/3"),
            "--out",
            s(&parts),
            "--quiet",
        ]);
    }
    let names: Vec<PathBuf> = files(&parts)
        .into_iter()
        .map(|(n, _)| parts.join(n))
        .collect();
    assert_eq!(names.len(), 3);
    let part = std::fs::read_to_string(&names[0]).unwrap();
    assert!(
        part.contains(&format!("limits,{MAX_ATTEMPTS},{RATE},group,")),
        "{part}"
    );
    let merged = t.path().join("merged");
    let mut args = vec!["merge"];
    args.extend(names.iter().map(|p| s(p)));
    args.extend(["--out", s(&merged), "--quiet"]);
    ok(&args);
    assert!(
        files(&merged) == files(&full),
        "the merged report differs from the unsharded one"
    );
}

/// Points without `set` hash as they always did, so part files and shard
/// assignments of existing sweeps do not change.
#[test]
fn a_sweep_without_set_keeps_its_grid_hash() {
    let sc = ratesim::scenario::load(&repo("scenarios/sweep-backoff.toml")).unwrap();
    let grid = ratesim::sweep::Grid::new(sc.sweep.as_ref().unwrap(), sc.seed);
    assert_eq!(grid.hash(), 0x54b0_482f_1585_44e7);
    // With `set`, the values are part of every point's identity.
    let sc = ratesim::scenario::load(&repo(SCENARIO)).unwrap();
    let grid = ratesim::sweep::Grid::new(sc.sweep.as_ref().unwrap(), sc.seed);
    let mut hashes: Vec<u64> = grid.units().iter().map(|&u| grid.unit_hash(u)).collect();
    hashes.sort_unstable();
    hashes.dedup();
    assert_eq!(hashes.len(), 4 * 3 * 5);
}

#[test]
fn bad_set_axes_are_located_errors_and_write_nothing() {
    let t = TempDir::new("sweep-paths-bad");
    let out = t.path().join("out");
    let at = "sweep.set.\"groups.app.strategy.max_attempts\"";
    let cases: [(&str, &str, &[&str]); 9] = [
        (
            r#"{ "groups.ap.input_tokens" = [1, 2] }"#,
            "",
            &[
                "field `sweep.set.\"groups.ap.input_tokens\"`",
                "no element of `groups` is called \"ap\"",
                "there are app",
            ],
        ),
        (
            r#"{ "groups.app.strategy.max_attempts" = [3, "x"] }"#,
            "",
            &[
                &format!("field `{at}[1]`"),
                "with groups.app.strategy.max_attempts = \"x\"",
                "field `groups[0].strategy.max_attempts`: expected a whole number",
            ],
        ),
        (
            r#"{ "groups.app.strategy.dely" = ["1s"] }"#,
            "",
            &["unknown key `dely`", "(did you mean delay?)"],
        ),
        (
            r#"{ "sweep.replications" = [1, 2] }"#,
            "",
            &["cannot set its own `[sweep]` table"],
        ),
        (
            r#"{ "seed" = [1, 2] }"#,
            "",
            &["field `sweep.set.\"seed\"`", "the seed is not an axis"],
        ),
        (
            r#"{ "groups.app.strategy.max_attempts" = [1, 2] }"#,
            r#"strategies = ["openai-python", "aws-standard"]"#,
            &[
                &format!("field `{at}`"),
                "`sweep.strategies` replaces every group's strategy",
            ],
        ),
        (
            r#"{ "groups.app.strategy.max_attempts" = [1, 1] }"#,
            "",
            &[&format!("field `{at}[1]`"), "1 is listed twice"],
        ),
        // Alone each value is fine; together they are not.
        (
            r#"{ "groups.app.strategy.base" = ["1s", "10s"], "groups.app.strategy.cap" = ["5s", "60s"] }"#,
            "",
            &[
                "field `sweep.set`",
                "the point groups.app.strategy.base = \"10s\", groups.app.strategy.cap = \"5s\" is not a valid scenario",
                "field `groups[0].strategy.cap`",
            ],
        ),
        // One point's load is beyond what a run may simulate.
        (
            r#"{ "groups.app.arrival.rate" = ["100/min", "9000000/s"] }"#,
            "",
            &["at the sweep point groups.app.arrival.rate = 9000000/s"],
        ),
    ];
    for (set, extra, want) in cases {
        let sc = fixture(t.path(), set, extra);
        let o = ratesim(&["sweep", s(&sc), "--out", s(&out), "--quiet"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{set}: {err}");
        assert!(err.contains("paths.toml:"), "{set}: {err}");
        for w in want {
            assert!(err.contains(w), "{set}: {w:?} not in {err}");
        }
        assert!(!out.exists(), "{set}: wrote {}", out.display());
    }
    // `ratesim validate` checks every point too.
    let sc = fixture(
        t.path(),
        r#"{ "groups.app.strategy.base" = ["1s", "10s"], "groups.app.strategy.cap" = ["5s", "60s"] }"#,
        "",
    );
    let o = ratesim(&["validate", s(&sc)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not a valid scenario"));
}

/// A grid larger than the runs a command may make is refused before it is
/// listed (1001 x 1001 points), and --allow-large is named.
#[test]
fn a_grid_too_large_is_refused_before_it_is_built() {
    let t = TempDir::new("sweep-paths-large");
    let values: Vec<String> = (1..=1001).map(|i| i.to_string()).collect();
    let list = values.join(", ");
    let sc = fixture(
        t.path(),
        &format!(
            r#"{{ "groups.app.input_tokens" = [{list}], "groups.app.output_tokens" = [{list}] }}"#
        ),
        "",
    );
    let o = ratesim(&["sweep", s(&sc), "--out", s(&t.path().join("o")), "--quiet"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("1.002e6 points") && err.contains("--allow-large"),
        "{err}"
    );
}

/// A path to a whole strategy swaps it for each preset named: against a
/// limit of half the offered rate openai-python makes its 3 attempts, at
/// the offered rate one; the chart along the names has a group of bars
/// per preset with a bar per limit.
#[test]
fn a_set_axis_of_preset_names_swaps_the_strategy() {
    let t = TempDir::new("sweep-paths-presets");
    let sc = fixture(
        t.path(),
        r#"{ "groups.app.strategy" = ["openai-python", "venice-py"], "policy.models[0].rpm" = [50, 100] }"#,
        "",
    );
    let out = t.path().join("out");
    ok(&["sweep", s(&sc), "--out", s(&out), "--quiet"]);
    let rows = csv_rows(&out.join("sweep_summary.csv"));
    let (strategy, rpm) = ("groups.app.strategy", "policy.models[0].rpm");
    let most = |name: &str, r: &str| mean(&rows, &[(strategy, name), (rpm, r)], "max_attempts");
    assert_eq!(most("openai-python", "50"), 3.0);
    assert_eq!(most("openai-python", "100"), 1.0);
    let svg = std::fs::read_to_string(out.join("sweep_set_groups-app-strategy.svg")).unwrap();
    for legend in ["policy.models[0].rpm = 50", "policy.models[0].rpm = 100"] {
        assert!(svg.contains(legend), "{legend} not in the chart's legend");
    }
    assert!(out.join("sweep_set_policy-models-0--rpm.png").exists());
}

/// The charts along `set` paths belong to the sweep report: a later sweep
/// into the same folder replaces them with its own (an old path's chart
/// does not linger) and keeps the user's files.
#[test]
fn a_later_sweep_replaces_the_charts_of_other_paths() {
    let t = TempDir::new("sweep-paths-replace");
    let out = t.path().join("out");
    ok(&["sweep", SCENARIO, "--out", s(&out), "--quiet"]);
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let sc = fixture(
        t.path(),
        r#"{ "groups.app.input_tokens" = [100, 1000] }"#,
        "",
    );
    ok(&["sweep", s(&sc), "--out", s(&out), "--quiet"]);
    let names: Vec<String> = files(&out).into_iter().map(|f| f.0).collect();
    assert_eq!(
        names,
        [
            "notes.txt",
            "sweep.csv",
            "sweep_set_groups-app-input_tokens.png",
            "sweep_set_groups-app-input_tokens.svg",
            "sweep_summary.csv",
        ]
    );
}
