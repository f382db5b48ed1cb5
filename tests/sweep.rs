//! `ratesim sweep`, its shards and `ratesim merge`: sharded runs merge into
//! the bytes of the single-process run, whatever the shard count or the
//! order the shards ran in; merge refuses incomplete or mixed parts; the
//! Kubernetes and Slurm environment conventions name the same shards as
//! `--shard`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::{files, path_str as s, ratesim_env, ratesim_ok as ok, repo, TempDir};

const SCENARIO: &str = "scenarios/sweep-backoff.toml";
fn parts(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn unsharded(t: &TempDir) -> PathBuf {
    let full = t.path().join("full");
    ok(&["sweep", SCENARIO, "--out", s(&full), "--quiet"]);
    full
}

fn merge(parts: &[PathBuf], out: &Path) -> Output {
    let mut args = vec!["merge".to_string()];
    args.extend(parts.iter().map(|p| s(p).to_string()));
    args.extend([
        "--out".to_string(),
        s(out).to_string(),
        "--quiet".to_string(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ratesim_env(&args, &[])
}

#[test]
fn the_unsharded_sweep_writes_every_file_with_a_row_per_unit_and_group() {
    let t = TempDir::new("sweep-full");
    let full = unsharded(&t);
    let names: Vec<String> = files(&full).into_iter().map(|f| f.0).collect();
    for f in [
        "sweep.csv",
        "sweep_summary.csv",
        "sweep_strategy.svg",
        "sweep_load.png",
        "sweep_limits.svg",
    ] {
        assert!(names.iter().any(|n| n == f), "{f} missing from {names:?}");
    }
    let csv = std::fs::read_to_string(full.join("sweep.csv")).unwrap();
    // 3 strategies x 3 loads x 2 limit multiples x 3 replications, one row
    // for the group and one for the total each, and the header.
    assert_eq!(csv.lines().count(), 3 * 3 * 2 * 3 * 2 + 1);
    let summary = std::fs::read_to_string(full.join("sweep_summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 3 * 3 * 2 * 2 + 1);
    // The summary's columns are summary.csv's metrics.
    let run = t.path().join("run");
    ok(&["run", SCENARIO, "--out", s(&run)]);
    let run_header = std::fs::read_to_string(run.join("summary.csv")).unwrap();
    let metrics: Vec<&str> = run_header
        .lines()
        .next()
        .unwrap()
        .split(',')
        .skip(3)
        .collect();
    let sweep_header: Vec<&str> = csv.lines().next().unwrap().split(',').skip(7).collect();
    assert_eq!(&metrics[..sweep_header.len()], &sweep_header[..]);
}

#[test]
fn any_shard_count_merges_into_the_unsharded_bytes() {
    let t = TempDir::new("sweep-shards");
    let full = files(&unsharded(&t));
    for n in [1u32, 3, 7] {
        let dir = t.path().join(format!("parts-{n}"));
        // Shards run in reverse order: the order must not matter.
        for k in (0..n).rev() {
            ok(&[
                "sweep",
                SCENARIO,
                "--shard",
                &format!("{k}/{n}"),
                "--out",
                s(&dir),
                "--quiet",
            ]);
        }
        let out = t.path().join(format!("merged-{n}"));
        let o = merge(&parts(&dir), &out);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            files(&out) == full,
            "{n} shards merged differ from the unsharded run"
        );
    }
}

#[test]
fn four_shards_run_concurrently_merge_into_the_unsharded_bytes() {
    let t = TempDir::new("sweep-parallel");
    let full = files(&unsharded(&t));
    let dir = t.path().join("parts");
    let bin = env!("CARGO_BIN_EXE_ratesim");
    let gnu = Command::new("parallel")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if gnu {
        // The command line docs/distributed.md gives.
        let o = Command::new("parallel")
            .args([
                bin,
                "sweep",
                SCENARIO,
                "--shard",
                "{}/4",
                "--out",
                s(&dir),
                "--quiet",
                ":::",
                "0",
                "1",
                "2",
                "3",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    } else {
        let children: Vec<_> = (0..4)
            .map(|k| {
                Command::new(bin)
                    .args([
                        "sweep",
                        SCENARIO,
                        "--shard",
                        &format!("{k}/4"),
                        "--out",
                        s(&dir),
                        "--quiet",
                    ])
                    .current_dir(env!("CARGO_MANIFEST_DIR"))
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
    }
    let p = parts(&dir);
    assert_eq!(p.len(), 4, "{p:?}");
    let out = t.path().join("merged");
    let o = merge(&p, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(files(&out) == full);
}

#[test]
fn merge_names_missing_and_duplicate_units_and_writes_nothing() {
    let t = TempDir::new("sweep-incomplete");
    let dir = t.path().join("parts");
    for k in 0..4 {
        ok(&[
            "sweep",
            SCENARIO,
            "--shard",
            &format!("{k}/4"),
            "--out",
            s(&dir),
            "--quiet",
        ]);
    }
    let all = parts(&dir);
    let out = t.path().join("merged");
    let o = merge(&all[..3], &out);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("missing") && err.contains("(point "), "{err}");
    assert!(err.contains("no part of shard(s) 3 of 4"), "{err}");
    assert!(!out.exists());

    let copy = t.path().join("copy-of-0.csv");
    std::fs::copy(&all[0], &copy).unwrap();
    let mut dup = all.clone();
    dup.push(copy);
    let o = merge(&dup, &out);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("duplicated") && !err.contains("missing"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn merge_refuses_parts_of_another_grid() {
    let t = TempDir::new("sweep-mixed");
    let dir = t.path().join("parts");
    ok(&[
        "sweep",
        SCENARIO,
        "--shard",
        "0/2",
        "--out",
        s(&dir),
        "--quiet",
    ]);
    let other = t.path().join("other");
    ok(&[
        "sweep",
        SCENARIO,
        "--shard",
        "1/2",
        "--seed",
        "99",
        "--out",
        s(&other),
        "--quiet",
    ]);
    let mut p = parts(&dir);
    p.extend(parts(&other));
    let o = merge(&p, &t.path().join("merged"));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("different grid"));
    let garbage = t.path().join("garbage.csv");
    std::fs::write(&garbage, "point,replication\n1,2\n").unwrap();
    let o = merge(&[garbage], &t.path().join("merged"));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a ratesim sweep part file"));
}

#[test]
fn kubernetes_and_slurm_variables_name_the_same_shard_as_the_flag() {
    let t = TempDir::new("sweep-env");
    let flag = t.path().join("flag");
    ok(&[
        "sweep",
        SCENARIO,
        "--shard",
        "1/3",
        "--out",
        s(&flag),
        "--quiet",
    ]);
    let want = std::fs::read(flag.join("sweep-part-1-of-3.csv")).unwrap();
    let k8s = t.path().join("k8s");
    let o = ratesim_env(
        &["sweep", SCENARIO, "--out", s(&k8s), "--quiet"],
        &[("JOB_COMPLETION_INDEX", "1"), ("JOB_COMPLETIONS", "3")],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(k8s.join("sweep-part-1-of-3.csv")).unwrap(),
        want
    );
    // A Slurm array --array=1-3: task ids 1..3, the second is shard 1.
    let slurm = t.path().join("slurm");
    let o = ratesim_env(
        &["sweep", SCENARIO, "--out", s(&slurm), "--quiet"],
        &[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(slurm.join("sweep-part-1-of-3.csv")).unwrap(),
        want
    );
    // Rerunning a shard replaces its part whole.
    ok(&[
        "sweep",
        SCENARIO,
        "--shard",
        "1/3",
        "--out",
        s(&flag),
        "--quiet",
    ]);
    assert_eq!(parts(&flag).len(), 1);
    assert_eq!(
        std::fs::read(flag.join("sweep-part-1-of-3.csv")).unwrap(),
        want
    );
}

/// Flags, environment, and what the error must say.
type BadCase<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn bad_shards_are_located_errors_and_write_nothing() {
    let t = TempDir::new("sweep-bad");
    let out = t.path().join("out");
    let cases: [BadCase; 6] = [
        (
            &["--shard", "4/4"],
            &[],
            "--shard: shard index 4 is not below the shard count 4",
        ),
        (
            &["--shard", "x/4"],
            &[],
            "--shard: expected a whole shard index",
        ),
        (
            &["--shard", "0/0"],
            &[],
            "--shard: expected a shard count from 1",
        ),
        (
            &[],
            &[("JOB_COMPLETION_INDEX", "0")],
            "JOB_COMPLETIONS is not",
        ),
        (
            &[],
            &[("JOB_COMPLETION_INDEX", "3"), ("JOB_COMPLETIONS", "3")],
            "JOB_COMPLETION_INDEX/JOB_COMPLETIONS: shard index 3",
        ),
        (
            &[],
            &[
                ("SLURM_ARRAY_TASK_ID", "0"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "2"),
            ],
            "below SLURM_ARRAY_TASK_MIN",
        ),
    ];
    for (flags, env, want) in cases {
        let mut args = vec!["sweep", SCENARIO, "--out", s(&out), "--quiet"];
        args.extend(flags);
        let o = ratesim_env(&args, env);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{flags:?} {env:?}: {err}");
        assert!(err.contains(want), "{flags:?} {env:?}: {err}");
        assert!(!out.exists());
    }
}

#[test]
fn a_bad_sweep_table_is_a_located_error() {
    let t = TempDir::new("sweep-table");
    let text = std::fs::read_to_string(repo(SCENARIO)).unwrap();
    for (from, to, want) in [
        (
            "load = [0.5, 1.0, 1.5]",
            "load = [0.5, 0.0]",
            "sweep.load[1]",
        ),
        ("limits = [1, 2]", "limits = [2, 2]", "listed twice"),
        (
            "metric = \"success_share\"",
            "metric = \"sucess_share\"",
            "did you mean success_share",
        ),
        ("group = \"app\"", "group = \"ap\"", "sweep.group"),
    ] {
        let path = t.path().join("bad.toml");
        std::fs::write(&path, text.replace(from, to)).unwrap();
        let o = ratesim_env(
            &[
                "sweep",
                s(&path),
                "--out",
                s(&t.path().join("o")),
                "--quiet",
            ],
            &[],
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{to}: {err}");
        assert!(
            err.contains(want) && err.contains("bad.toml"),
            "{to}: {err}"
        );
    }
}

/// Every unit falls in exactly one shard for any count, and its hash, seed
/// and shard do not depend on the other units.
#[test]
fn every_unit_is_in_exactly_one_shard() {
    let sc = ratesim::scenario::load(&repo(SCENARIO)).unwrap();
    let grid = ratesim::sweep::Grid::new(sc.sweep.as_ref().unwrap(), sc.seed);
    let all = grid.units();
    assert_eq!(all.len(), 54);
    for n in 1..=12u64 {
        let mut seen: Vec<ratesim::sweep::Unit> = (0..n)
            .flat_map(|k| grid.units_of(Some(ratesim::sweep::Shard { index: k, count: n })))
            .collect();
        seen.sort();
        assert_eq!(seen, all, "{n} shards");
    }
    // Four shards each get some work on this grid (the hash spreads).
    for k in 0..4 {
        assert!(!grid
            .units_of(Some(ratesim::sweep::Shard { index: k, count: 4 }))
            .is_empty());
    }
    let (missing, dup) = ratesim::sweep::check_complete(grid.points.len(), grid.replications, &all);
    assert!(missing.is_empty() && dup.is_empty());
}

/// The terminal lists every point with its mean and interval, and marks
/// the best ones: in the bundled sweep, load x1.5 on the limits as written
/// is the only setting that delivers less than everything.
#[test]
fn the_terminal_lists_every_point_and_marks_the_best() {
    let dir = TempDir::new("sweep-terminal");
    let out = ratesim_env(
        &[
            "sweep",
            "scenarios/sweep-backoff.toml",
            "--out",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let points: Vec<&str> = text.lines().filter(|l| l.contains(" · load ×")).collect();
    assert_eq!(points.len(), 18, "{text}");
    for l in &points {
        let worst = l.contains("load ×1.5 · limits ×1 ");
        assert_eq!(l.ends_with("← best"), !worst, "{l}");
    }
}
