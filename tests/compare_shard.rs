//! `ratesim compare --shard K/N` and `ratesim merge` of its parts: a merged
//! comparison writes the bytes of the unsharded one and prints its verdict;
//! a part holds every run exactly; a corrupt part is a located error; merge
//! refuses missing, duplicated and foreign parts; the Kubernetes and Slurm
//! variables name the same shard as the flag.

mod support;

use ratesim::compare::Plan;
use ratesim::report::compare::part::{parse_part, part_bytes, PartHeader};
use ratesim::sweep::Shard;
use std::path::{Path, PathBuf};
use std::process::Output;
use support::{files, path_str as s, ratesim_env, ratesim_ok as ok, repo, TempDir};

/// Short, with an outage-free load spike whose recovery every run reports.
const SCENARIO: &str = "scenarios/retry-collapse.toml";
fn shard(k: u64, n: u64, dir: &Path, extra: &[&str]) {
    let spec = format!("{k}/{n}");
    let mut args = vec!["compare", SCENARIO, "--shard", &spec, "--out", s(dir)];
    args.extend(extra);
    ok(&args);
}

fn part(dir: &Path, k: u64, n: u64) -> PathBuf {
    dir.join(format!("compare-part-{k}-of-{n}.txt"))
}

fn merge(parts: &[PathBuf], out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(parts.iter().map(|p| s(p)));
    args.extend(["--out", s(out)]);
    args.extend(extra);
    ratesim_env(&args, &[])
}

/// Stdout up to the list of files written: the verdict.
fn verdict(o: &Output) -> String {
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    text.split("wrote ").next().unwrap().to_string()
}

#[test]
fn one_shard_and_three_shards_merge_into_the_bytes_and_verdict_of_compare() {
    let t = TempDir::new("cshard-bytes");
    let full = t.path().join("full");
    let direct = ok(&["compare", SCENARIO, "--out", s(&full), "--quiet"]);
    let want = files(&full);
    assert!(
        want.iter().any(|(n, _)| n == "throughput.png")
            && want.iter().any(|(n, _)| n == "throughput.svg")
            && want.iter().any(|(n, _)| n == "report.html"),
        "the report has charts and pages: {:?}",
        want.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for n in [1, 3] {
        let dir = t.path().join(format!("parts{n}"));
        // Shards in reverse order: the order they ran in does not matter.
        for k in (0..n).rev() {
            shard(k, n, &dir, &["--quiet"]);
        }
        let parts: Vec<PathBuf> = (0..n).map(|k| part(&dir, k, n)).collect();
        assert_eq!(files(&dir).len(), n as usize, "one part file per shard");
        let out = t.path().join(format!("merged{n}"));
        let o = merge(&parts, &out, &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let got = files(&out);
        assert_eq!(
            got.iter().map(|f| &f.0).collect::<Vec<_>>(),
            want.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        for ((name, a), (_, b)) in got.iter().zip(&want) {
            assert!(a == b, "{n} shard(s): {name} differs from compare's");
        }
        assert_eq!(verdict(&o), verdict(&direct), "{n} shard(s): the verdict");
        assert!(String::from_utf8_lossy(&o.stdout).contains("merged 10 runs"));
    }
}

#[test]
fn a_shard_writes_one_part_and_says_how_to_merge_it() {
    let t = TempDir::new("cshard-say");
    let dir = t.path().join("parts");
    let o = ok(&["compare", SCENARIO, "--shard", "2/3", "--out", s(&dir)]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&format!("wrote {}", s(&part(&dir, 2, 3)))),
        "{text}"
    );
    assert!(text.contains("ratesim merge"), "{text}");
    let names: Vec<String> = files(&dir).into_iter().map(|f| f.0).collect();
    assert_eq!(names, ["compare-part-2-of-3.txt"], "no charts, no report");
}

/// Every run of `scenario`, written as a part and read back.
fn round_trip(scenario: &str) -> Vec<ratesim::compare::RunResult> {
    let sc = ratesim::scenario::load(&repo(scenario)).unwrap();
    let c = sc.compare.clone().unwrap();
    let plan = Plan {
        strategies: c.strategies,
        replications: c.replications.unwrap(),
        groups: c.groups,
        base_seed: sc.seed,
    };
    let runs = ratesim::compare::run_units(&sc, &plan, &plan.jobs_of(None), &|| {}).unwrap();
    let header = PartHeader {
        scenario: 1,
        comparison: plan.hash(1),
        shard: Shard::parse("0/1", "test").unwrap(),
        replications: plan.replications,
        base_seed: plan.base_seed,
        strategies: plan.strategies.iter().map(|s| s.name.clone()).collect(),
        strategy_flags: Vec::new(),
        scenario_path: scenario.to_string(),
        scenario_source: "a = \"quoted\\n\"\n# ünïcode\n".to_string(),
    };
    let bytes = part_bytes(&header, &runs);
    let back = parse_part(&bytes, "p.txt").unwrap();
    assert_eq!(back.header, header);
    assert_eq!(back.runs.len(), runs.len());
    for (a, b) in runs.iter().zip(&back.runs) {
        let at = format!("{scenario} strategy {} rep {}", a.strategy, a.replication);
        assert_eq!(
            (a.strategy, a.replication, a.seed, a.events),
            (b.strategy, b.replication, b.seed, b.events),
            "{at}"
        );
        assert!(a.stats.completion == b.stats.completion, "{at}: histogram");
        assert_eq!(
            a.stats.completion_quantile(0.99),
            b.stats.completion_quantile(0.99)
        );
        assert_eq!(format!("{:?}", a.stats), format!("{:?}", b.stats), "{at}");
        assert_eq!(a.series, b.series, "{at}");
        assert_eq!(a.lockouts, b.lockouts, "{at}");
        assert_eq!(a.keys, b.keys, "{at}");
        assert_eq!(
            a.recovery.map(|r| (
                r.trigger,
                r.trigger_start,
                r.trigger_end,
                r.recovered_at,
                r.mechanism,
                r.attempts_per_offered.to_bits(),
                r.timeout_share.to_bits(),
                r.locked_share.to_bits()
            )),
            b.recovery.map(|r| (
                r.trigger,
                r.trigger_start,
                r.trigger_end,
                r.recovered_at,
                r.mechanism,
                r.attempts_per_offered.to_bits(),
                r.timeout_share.to_bits(),
                r.locked_share.to_bits()
            )),
            "{at}"
        );
    }
    // Written again, the runs read back give the same bytes.
    assert!(part_bytes(&header, &back.runs) == bytes);
    runs
}

#[test]
fn a_part_holds_every_run_exactly() {
    let mut runs = round_trip("scenarios/retry-collapse.toml");
    runs.extend(round_trip("scenarios/usage-cost.toml"));
    runs.extend(round_trip("scenarios/batch-clients.toml"));
    // The three scenarios exercise every kind of record a part holds.
    assert!(runs.iter().any(|r| r.recovery.is_some()), "a recovery");
    assert!(runs.iter().any(|r| !r.lockouts.is_empty()), "a lockout");
    assert!(runs.iter().any(|r| r.stats.batch.is_some()), "a batch");
    assert!(runs.iter().any(|r| r.stats.spend.billed > 0), "a spend");
    assert!(runs.iter().any(|r| !r.stats.completion.is_empty()));
}

#[test]
fn the_unit_hash_covers_the_strategy_parameters_not_only_its_name() {
    let spec = |delay: &str| {
        let t: toml::Table = format!(
            "s = {{ name = \"same\", kind = \"constant\", delay = \"{delay}\", max_attempts = 3 }}"
        )
        .parse()
        .unwrap();
        ratesim::strategy::config::parse(&t["s"]).unwrap()
    };
    let plan = |delay: &str| Plan {
        strategies: vec![spec(delay)],
        replications: 1,
        groups: vec![0],
        base_seed: 1,
    };
    let job = ratesim::experiment::Job {
        variant: 0,
        replication: 0,
    };
    assert_ne!(plan("1s").unit_hash(job), plan("2s").unit_hash(job));
    assert_ne!(plan("1s").hash(7), plan("2s").hash(7));
    assert_eq!(plan("1s").hash(7), plan("1s").hash(7));
    assert_ne!(
        plan("1s").hash(7),
        plan("1s").hash(8),
        "the scenario's hash"
    );
}

#[test]
fn a_corrupt_part_is_an_error_naming_the_file_and_line() {
    let t = TempDir::new("cshard-corrupt");
    let dir = t.path().join("parts");
    shard(0, 2, &dir, &["--quiet"]);
    let good = std::fs::read_to_string(part(&dir, 0, 2)).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let find = |tag: &str| lines.iter().position(|l| l.starts_with(tag)).unwrap();
    let with = |n: usize, text: &str| {
        let mut v = lines.clone();
        v[n] = text;
        v.join("\n") + "\n"
    };
    let stats = find("stats ");
    let mut short_stats: Vec<&str> = lines[stats].split(' ').collect();
    short_stats.pop();
    let short_stats = short_stats.join(" ");
    let (completion, recovery, interval) =
        (find("completion"), find("recovery "), find("interval "));
    let cases: Vec<(String, usize, &str)> = vec![
        (
            lines[..lines.len() / 2].join("\n") + "\n",
            lines.len() / 2 + 1,
            "found the end of the file",
        ),
        (with(stats, &short_stats), stats + 1, "`stats` line has"),
        (
            with(stats, &lines[stats].replacen(' ', " x", 1)),
            stats + 1,
            "expected a whole number",
        ),
        (
            with(completion, "completion 99999999999999:1"),
            completion + 1,
            "outside the histogram's bounds",
        ),
        (
            with(completion, "completion 12"),
            completion + 1,
            "expected VALUE:COUNT",
        ),
        (
            with(recovery, "recovery earthquake 1 2 - - 0 0 0"),
            recovery + 1,
            "expected the trigger",
        ),
        (
            with(interval, "interval 1 2"),
            interval + 1,
            "`interval` line has",
        ),
        (with(3, "#shard=5/2"), 4, "header `shard`"),
        (with(2, "#comparison=zz"), 3, "expected a hash in hex"),
        (
            with(9, "#scenario-source=\"unterminated"),
            10,
            "JSON string",
        ),
        (
            good.clone() + "extra\n",
            lines.len() + 1,
            "expected the end",
        ),
    ];
    for (i, (text, line, want)) in cases.iter().enumerate() {
        let e = parse_part(text.as_bytes(), "bad.txt").unwrap_err();
        assert_eq!(e.file, "bad.txt", "case {i}");
        assert!(e.message.contains(want), "case {i}: {e}");
        assert_eq!(e.line, *line, "case {i}: {e}");
    }
    let mut bytes = good.clone().into_bytes();
    bytes[stats_offset(&good, stats)] = 0xff;
    let e = parse_part(&bytes, "bad.txt").unwrap_err();
    assert_eq!(e.line, stats + 1, "{e}");
    assert!(e.message.contains("not UTF-8"), "{e}");
    // Through the binary: exit 2, the file and line named, nothing written.
    let bad = t.path().join("bad.txt");
    std::fs::write(&bad, &cases[1].0).unwrap();
    let out = t.path().join("merged");
    let o = merge(std::slice::from_ref(&bad), &out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{}:{}:", s(&bad), stats + 1)),
        "{err}"
    );
    assert!(!out.exists());
}

/// The byte offset of line `n` (0-based) of `text`.
fn stats_offset(text: &str, n: usize) -> usize {
    text.split_inclusive('\n').take(n).map(str::len).sum()
}

#[test]
fn merge_names_missing_and_duplicated_units_and_refuses_foreign_parts() {
    let t = TempDir::new("cshard-refuse");
    let dir = t.path().join("parts");
    for k in 0..3 {
        shard(k, 3, &dir, &["--quiet"]);
    }
    let out = t.path().join("merged");
    // Shard 2's units, as merge must name them.
    let p2 = parse_part(&std::fs::read(part(&dir, 2, 3)).unwrap(), "p2").unwrap();
    assert!(!p2.runs.is_empty());
    let names = &p2.header.strategies;
    let o = merge(&[part(&dir, 0, 3), part(&dir, 1, 3)], &out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("missing {} unit(s)", p2.runs.len())),
        "{err}"
    );
    for r in &p2.runs {
        let unit = format!(
            "(strategy {}, replication {})",
            names[r.strategy],
            r.replication + 1
        );
        assert!(err.contains(&unit), "{unit} not named: {err}");
    }
    assert!(err.contains("no part of shard(s) 2 of 3"), "{err}");
    assert!(!out.exists());

    let copy = t.path().join("copy-of-2.txt");
    std::fs::copy(part(&dir, 2, 3), &copy).unwrap();
    let all: Vec<PathBuf> = (0..3).map(|k| part(&dir, k, 3)).collect();
    let mut with_dup = all.clone();
    with_dup.push(copy);
    let o = merge(&with_dup, &out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("duplicated {} unit(s)", p2.runs.len())) && !err.contains("missing"),
        "{err}"
    );
    assert!(!out.exists());

    for (flags, what) in [
        (
            &["--strategies", "openai-python,brooker-full-jitter"][..],
            "different strategy list",
        ),
        (&["--seed", "99"][..], "different seed"),
        (
            &["--replications", "2"][..],
            "different number of replications",
        ),
    ] {
        let other = t.path().join("other");
        let _ = std::fs::remove_dir_all(&other);
        let mut extra = vec!["--quiet"];
        extra.extend(flags);
        shard(1, 3, &other, &extra);
        let mixed = vec![part(&dir, 0, 3), part(&other, 1, 3), part(&dir, 2, 3)];
        let o = merge(&mixed, &out, &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{flags:?}: {err}");
        assert!(err.contains(what), "{flags:?}: {err}");
        assert!(!out.exists());
    }

    let sweep = t.path().join("sweep");
    ok(&[
        "sweep",
        "scenarios/sweep-backoff.toml",
        "--shard",
        "0/3",
        "--out",
        s(&sweep),
        "--quiet",
    ]);
    let o = merge(
        &[part(&dir, 0, 3), sweep.join("sweep-part-0-of-3.csv")],
        &out,
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is a compare part") && err.contains("is a sweep part"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn kubernetes_and_slurm_variables_name_the_same_shard_and_a_rerun_replaces_the_part() {
    let t = TempDir::new("cshard-env");
    let flag = t.path().join("flag");
    shard(1, 3, &flag, &["--quiet"]);
    let want = std::fs::read(part(&flag, 1, 3)).unwrap();
    let k8s = t.path().join("k8s");
    let o = ratesim_env(
        &["compare", SCENARIO, "--out", s(&k8s), "--quiet"],
        &[("JOB_COMPLETION_INDEX", "1"), ("JOB_COMPLETIONS", "3")],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(part(&k8s, 1, 3)).unwrap() == want);
    // A Slurm array --array=1-3: task ids 1..3, the second is shard 1.
    let slurm = t.path().join("slurm");
    let o = ratesim_env(
        &["compare", SCENARIO, "--out", s(&slurm), "--quiet"],
        &[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(part(&slurm, 1, 3)).unwrap() == want);
    // Rerunning a shard replaces its part whole, even a damaged one.
    std::fs::write(part(&flag, 1, 3), "half a part").unwrap();
    shard(1, 3, &flag, &["--quiet"]);
    assert_eq!(files(&flag).len(), 1);
    assert!(std::fs::read(part(&flag, 1, 3)).unwrap() == want);
}

#[test]
fn merge_checks_thresholds_and_writes_exports_as_compare_does() {
    let t = TempDir::new("cshard-gates");
    let dir = t.path().join("parts");
    for k in 0..2 {
        shard(k, 2, &dir, &["--quiet"]);
    }
    let parts: Vec<PathBuf> = (0..2).map(|k| part(&dir, k, 2)).collect();
    let gate = ["--threshold", "attempts_per_success<=1"];
    let json = |d: &str| t.path().join(format!("{d}.json"));
    let md = |d: &str| t.path().join(format!("{d}.md"));
    let full = t.path().join("full");
    let (fj, fm) = (json("full"), md("full"));
    let direct = ratesim_env(
        &[
            "compare",
            SCENARIO,
            "--out",
            s(&full),
            "--quiet",
            gate[0],
            gate[1],
            "--export-json",
            s(&fj),
            "--export-markdown",
            s(&fm),
        ],
        &[],
    );
    let out = t.path().join("merged");
    let (mj, mm) = (json("merged"), md("merged"));
    let merged = merge(
        &parts,
        &out,
        &[
            gate[0],
            gate[1],
            "--export-json",
            s(&mj),
            "--export-markdown",
            s(&mm),
        ],
    );
    assert_eq!(
        direct.status.code(),
        Some(3),
        "the gate is crossed: {}",
        String::from_utf8_lossy(&direct.stderr)
    );
    assert_eq!(merged.status.code(), direct.status.code());
    assert_eq!(
        String::from_utf8_lossy(&merged.stderr),
        String::from_utf8_lossy(&direct.stderr)
    );
    assert!(std::fs::read(&mj).unwrap() == std::fs::read(&fj).unwrap());
    assert!(std::fs::read(&mm).unwrap() == std::fs::read(&fm).unwrap());
    // A shard cannot check a gate on the whole comparison.
    let o = ratesim_env(
        &[
            "compare",
            SCENARIO,
            "--shard",
            "0/2",
            "--out",
            s(&dir),
            gate[0],
            gate[1],
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("give --threshold to `ratesim merge`"), "{err}");
    // A plan's gate is not a comparison's: merge refuses --check here and
    // writes nothing.
    let none = t.path().join("not-written");
    let o = merge(&parts, &none, &["--check"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--check applies to the parts of a sharded plan"),
        "{err}"
    );
    assert!(!none.exists(), "nothing written");
}

/// Regression: a shard listed every unit before the cost check, so a
/// billion replications ran out of memory instead of being refused.
#[test]
fn a_shard_of_a_billion_replications_is_refused_before_it_starts() {
    let t = TempDir::new("cshard-large");
    let out = t.path().join("parts");
    let o = ratesim_env(
        &[
            "compare",
            SCENARIO,
            "--shard",
            "0/2",
            "--replications",
            "1000000000",
            "--out",
            s(&out),
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--allow-large"), "{err}");
    assert!(!out.exists());
}

/// A real part of two runs (one per strategy of retry-collapse), once.
fn small_part() -> &'static [u8] {
    static PART: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PART.get_or_init(|| {
        let sc = ratesim::scenario::load(&repo(SCENARIO)).unwrap();
        let c = sc.compare.clone().unwrap();
        let plan = Plan {
            strategies: c.strategies,
            replications: 1,
            groups: c.groups,
            base_seed: sc.seed,
        };
        let runs = ratesim::compare::run_units(&sc, &plan, &plan.jobs_of(None), &|| {}).unwrap();
        let header = PartHeader {
            scenario: 1,
            comparison: plan.hash(1),
            shard: Shard::parse("0/1", "test").unwrap(),
            replications: 1,
            base_seed: plan.base_seed,
            strategies: plan.strategies.iter().map(|s| s.name.clone()).collect(),
            strategy_flags: Vec::new(),
            scenario_path: SCENARIO.to_string(),
            scenario_source: "seed = 3\n".to_string(),
        };
        part_bytes(&header, &runs)
    })
}

/// A byte change at a position (taken modulo the length).
#[derive(Clone, Debug)]
enum Mutation {
    Set(usize, u8),
    Delete(usize),
    Insert(usize, u8),
    Truncate(usize),
}

fn mutation() -> impl proptest::strategy::Strategy<Value = Mutation> {
    use proptest::prelude::*;
    let byte = prop::sample::select(b"0123456789 :-,\n#=x\"\xff".to_vec());
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Mutation::Set(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), byte).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 300, ..Default::default() })]

    /// No mutated part panics the reader; an error names the file and a
    /// line the file has (or the one after its end).
    #[test]
    fn a_mutated_part_is_read_or_refused_never_a_panic(
        mutations in proptest::collection::vec(mutation(), 1..5)
    ) {
        let mut bytes = small_part().to_vec();
        for m in &mutations {
            let n = bytes.len().max(1);
            match *m {
                Mutation::Set(i, b) if !bytes.is_empty() => bytes[i % n] = b,
                Mutation::Delete(i) if !bytes.is_empty() => {
                    bytes.remove(i % n);
                }
                Mutation::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), b),
                Mutation::Truncate(i) => bytes.truncate(i % n),
                _ => {}
            }
        }
        if let Err(e) = parse_part(&bytes, "fuzz.txt") {
            let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
            proptest::prop_assert_eq!(&e.file, "fuzz.txt");
            proptest::prop_assert!(e.line >= 1 && e.line <= lines + 1, "{} of {}", e, lines);
        }
    }
}
