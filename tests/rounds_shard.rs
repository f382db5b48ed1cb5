//! `ratesim plan --shard K/N` and `ratesim tune --shard K/N`: shards run as
//! concurrent processes sharing a folder, exchange every round as part
//! files, and `ratesim merge` replays the search from the parts into the
//! bytes of the unsharded run. A restarted shard reads its finished rounds
//! back instead of rerunning them; a round nobody finishes ends the wait
//! with exit 2 naming the missing shard; merge refuses incomplete, repeated,
//! foreign or corrupt parts and writes nothing.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::SystemTime;
use support::{files, path_str as s, ratesim_ok as ok, shard_command as command, TempDir};

const PLAN: &str = "scenarios/plan-quickstart.toml";
const TUNE: &str = "scenarios/tune-pacer.toml";
/// The plan's and tune's flags that keep the searches short.
const PLAN_FLAGS: [&str; 3] = ["--replications", "1", "--quiet"];
const TUNE_FLAGS: [&str; 3] = ["--budget", "60", "--quiet"];
fn run(args: &[&str]) -> Output {
    command(args, &[])
        .output()
        .expect("the ratesim binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn names(dir: &Path) -> Vec<String> {
    files(dir).into_iter().map(|(n, _)| n).collect()
}

/// `cmd` (plan or tune) on `scenario`, shard `k` of `n`, parts in `dir`,
/// started in the background.
fn spawn_shard(
    cmd: &str,
    scenario: &str,
    flags: &[&str],
    k: u64,
    n: u64,
    dir: &Path,
    wait: &str,
) -> Child {
    let shard = format!("{k}/{n}");
    let mut args = vec![
        cmd,
        scenario,
        "--shard",
        &shard,
        "--out",
        s(dir),
        "--wait",
        wait,
    ];
    args.extend(flags);
    args.extend(["--jobs", "1"]);
    command(&args, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the ratesim binary starts")
}

/// Runs shards `ks` of `n` concurrently; their outputs in shard order.
fn shards(
    cmd: &str,
    scenario: &str,
    flags: &[&str],
    ks: &[u64],
    n: u64,
    dir: &Path,
    wait: &str,
) -> Vec<Output> {
    let children: Vec<Child> = ks
        .iter()
        .map(|&k| spawn_shard(cmd, scenario, flags, k, n, dir, wait))
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

fn unsharded(cmd: &str, scenario: &str, flags: &[&str], out: &Path) {
    let mut args = vec![cmd, scenario, "--out", s(out)];
    args.extend(flags);
    ok(&args);
}

fn merge(inputs: &[&Path], out: &Path) -> Output {
    let mut args = vec!["merge"];
    args.extend(inputs.iter().map(|p| s(p)));
    args.extend(["--out", s(out), "--quiet"]);
    run(&args)
}

fn parts(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            n.starts_with(prefix) && n.ends_with(".csv")
        })
        .collect();
    v.sort();
    v
}

/// N = 1 unsharded against 3 concurrent shards and a merge: every file
/// byte-identical, through the folder and through the list of part files.
fn three_shards_merge_into_the_unsharded_bytes(cmd: &str, scenario: &str, flags: &[&str]) {
    let t = TempDir::new(&format!("rounds-{cmd}"));
    let full = t.path().join("full");
    unsharded(cmd, scenario, flags, &full);
    let dir = t.path().join("parts");
    for (k, o) in shards(cmd, scenario, flags, &[0, 1, 2], 3, &dir, "20s")
        .iter()
        .enumerate()
    {
        assert!(o.status.success(), "shard {k}: {}", text(&o.stderr));
        let said = text(&o.stdout);
        assert!(
            said.contains(&format!("{cmd} shard {k}/3: search finished after")),
            "{said}"
        );
    }
    let merged = t.path().join("merged");
    let o = merge(&[&dir], &merged);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(names(&merged), names(&full));
    assert!(files(&merged) == files(&full), "merged bytes differ");
    let listed: Vec<PathBuf> = parts(&dir, &format!("{cmd}-round-"));
    let refs: Vec<&Path> = listed.iter().map(PathBuf::as_path).collect();
    let again = t.path().join("again");
    let o = merge(&refs, &again);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(files(&again) == files(&full), "merged bytes differ");
}

#[test]
fn a_plan_in_three_concurrent_shards_merges_into_the_unsharded_bytes() {
    three_shards_merge_into_the_unsharded_bytes("plan", PLAN, &PLAN_FLAGS);
}

/// What `plan --export-json --export-markdown --check` gives unsharded, a
/// merge of the shards' parts gives with the same flags: the same exports
/// byte for byte and the same exit, 0 when today's load meets the objective
/// and 3 when it does not.
#[test]
fn a_merged_plan_exports_and_checks_as_the_unsharded_plan_does() {
    let t = TempDir::new("rounds-plan-extras");
    for (objective, code) in [("share_429<=1%,p99<=60s,gave_up<=0", 0), ("p99<=1s", 3)] {
        let mut flags = PLAN_FLAGS.to_vec();
        flags.extend(["--objective", objective]);
        let json = |tag: &str| t.path().join(format!("{tag}-{code}.json"));
        let md = |tag: &str| t.path().join(format!("{tag}-{code}.md"));
        let full = t.path().join(format!("full-{code}"));
        let mut args = vec!["plan", PLAN, "--out", s(&full), "--check"];
        args.extend(&flags);
        let (fj, fm) = (json("full"), md("full"));
        args.extend(["--export-json", s(&fj), "--export-markdown", s(&fm)]);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(code), "{}", text(&o.stderr));
        let dir = t.path().join(format!("parts-{code}"));
        for o in shards("plan", PLAN, &flags, &[0, 1], 2, &dir, "20s") {
            assert!(o.status.success(), "{}", text(&o.stderr));
        }
        let merged = t.path().join(format!("merged-{code}"));
        let (mj, mm) = (json("merged"), md("merged"));
        let o = run(&[
            "merge",
            s(&dir),
            "--out",
            s(&merged),
            "--quiet",
            "--check",
            "--export-json",
            s(&mj),
            "--export-markdown",
            s(&mm),
        ]);
        assert_eq!(o.status.code(), Some(code), "{}", text(&o.stderr));
        assert!(files(&merged) == files(&full), "merged report differs");
        assert_eq!(std::fs::read(&mj).unwrap(), std::fs::read(&fj).unwrap());
        assert_eq!(std::fs::read(&mm).unwrap(), std::fs::read(&fm).unwrap());
        if code == 3 {
            assert!(text(&o.stderr).contains("today's load already misses the objective"));
        }
        // A comparison's gate is not a plan's: refused, nothing written.
        let none = t.path().join(format!("not-written-{code}"));
        let o = run(&[
            "merge",
            s(&dir),
            "--out",
            s(&none),
            "--threshold",
            "share_429<=1%",
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        assert!(text(&o.stderr).contains("--threshold applies to compare parts"));
        assert!(!none.exists(), "nothing written");
    }
}

#[test]
fn a_tune_in_three_concurrent_shards_merges_into_the_unsharded_bytes() {
    three_shards_merge_into_the_unsharded_bytes("tune", TUNE, &TUNE_FLAGS);
}

fn mtime(p: &Path) -> SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

/// Shards 0 and 1 run without shard 2: round 0 cannot finish, the wait
/// runs out (exit 2, naming shard 2), merge refuses the incomplete round.
/// Restarted with shard 2, they read their round 0 back (the part files
/// untouched) and the merge equals the unsharded run.
#[test]
fn a_restarted_shard_resumes_and_an_unfinished_round_is_refused() {
    let t = TempDir::new("rounds-resume");
    let dir = t.path().join("parts");
    for (k, o) in shards("tune", TUNE, &TUNE_FLAGS, &[0, 1], 3, &dir, "1s")
        .iter()
        .enumerate()
    {
        assert_eq!(o.status.code(), Some(2), "shard {k}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(
            err.contains("round 0 (halving round 1): after waiting")
                && err.contains("they belong to shard(s) 2 of 3")
                && err.contains("raise --wait"),
            "{err}"
        );
    }
    let own: Vec<PathBuf> = parts(&dir, "tune-round-0-");
    assert_eq!(own.len(), 2, "{own:?}");
    let before: Vec<SystemTime> = own.iter().map(|p| mtime(p)).collect();
    let merged = t.path().join("merged");
    let o = merge(&[&dir], &merged);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("round 0 (halving round 1): the parts do not hold every unit exactly once")
            && err.contains("(shard(s) 2 of 3)"),
        "{err}"
    );
    assert!(!merged.exists(), "nothing written");

    std::thread::sleep(std::time::Duration::from_millis(20));
    let outs = shards("tune", TUNE, &TUNE_FLAGS, &[0, 1, 2], 3, &dir, "20s");
    for (k, o) in outs.iter().enumerate() {
        assert!(o.status.success(), "shard {k}: {}", text(&o.stderr));
    }
    for o in &outs[..2] {
        let said = text(&o.stdout);
        assert!(
            said.contains("read 1 round(s) back from earlier parts"),
            "{said}"
        );
    }
    assert!(text(&outs[2].stdout).contains("read 0 round(s) back"));
    let after: Vec<SystemTime> = own.iter().map(|p| mtime(p)).collect();
    assert_eq!(before, after, "round 0's parts were not rewritten");

    let full = t.path().join("full");
    unsharded("tune", TUNE, &TUNE_FLAGS, &full);
    let o = merge(&[&dir], &merged);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(files(&merged) == files(&full), "merged bytes differ");
}

/// A shard named by Kubernetes' or Slurm's variables writes the parts the
/// flag's shard writes, byte for byte.
#[test]
fn kubernetes_and_slurm_variables_name_the_same_shard_as_the_flag() {
    let t = TempDir::new("rounds-env");
    let flag = t.path().join("flag");
    for o in shards("tune", TUNE, &TUNE_FLAGS, &[0, 1, 2], 3, &flag, "20s") {
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let k8s: &[(&str, &str)] = &[("JOB_COMPLETION_INDEX", "1"), ("JOB_COMPLETIONS", "3")];
    // A Slurm array --array=1-3: task ids 1..3, the second is shard 1.
    let slurm: &[(&str, &str)] = &[
        ("SLURM_ARRAY_TASK_ID", "2"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
        ("SLURM_ARRAY_TASK_COUNT", "3"),
    ];
    for (name, env) in [("k8s", k8s), ("slurm", slurm)] {
        let dir = t.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        // The other shards' parts are there already.
        for p in parts(&flag, "tune-round-") {
            let n = p.file_name().unwrap().to_str().unwrap();
            if !n.contains("-part-1-of-3") {
                std::fs::copy(&p, dir.join(n)).unwrap();
            }
        }
        let mut args = vec!["tune", TUNE, "--out", s(&dir), "--wait", "20s"];
        args.extend(TUNE_FLAGS);
        let o = command(&args, env).output().unwrap();
        assert!(o.status.success(), "{name}: {}", text(&o.stderr));
        assert!(text(&o.stdout).contains("tune shard 1/3: search finished"));
        assert!(files(&dir) == files(&flag), "{name}: the parts differ");
    }
}

/// Merge refuses a part of another search, a part given twice and a
/// corrupt record, each with a located message, exit 2 and nothing written.
#[test]
fn merge_refuses_foreign_repeated_and_corrupt_parts() {
    let t = TempDir::new("rounds-refuse");
    let dir = t.path().join("parts");
    for o in shards("tune", TUNE, &TUNE_FLAGS, &[0, 1], 2, &dir, "20s") {
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let other = t.path().join("other");
    let mut args = vec![
        "tune",
        TUNE,
        "--shard",
        "0/2",
        "--out",
        s(&other),
        "--seed",
        "5",
    ];
    args.extend(TUNE_FLAGS);
    // The other search's shard 1 never runs: its shard 0 gives up at once.
    args.extend(["--wait", "0s"]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));

    let mine = parts(&dir, "tune-round-");
    let foreign = parts(&other, "tune-round-0-");
    let out = t.path().join("merged");
    let mut list: Vec<&Path> = mine.iter().map(PathBuf::as_path).collect();
    list.push(&foreign[0]);
    let o = merge(&list, &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("come from a different search"),
        "{}",
        text(&o.stderr)
    );

    let mut twice: Vec<&Path> = mine.iter().map(PathBuf::as_path).collect();
    twice.push(&mine[0]);
    let o = merge(&twice, &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("duplicated"),
        "{}",
        text(&o.stderr)
    );

    // One result token of round 0's first row, corrupted.
    let victim = &mine[0];
    let body = std::fs::read_to_string(victim).unwrap();
    let row = body.lines().nth(9).expect("a first row").to_string();
    let mut cells: Vec<&str> = row.splitn(4, ',').collect();
    let bad = cells[3].replacen(' ', " zz", 1);
    cells[3] = &bad;
    std::fs::write(victim, body.replace(&row, &cells.join(","))).unwrap();
    let o = merge(&[&dir], &out);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!("{}:10: column `result`: token 2", s(victim))),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
}

/// The command line docs/distributed.md gives (GNU parallel, 4 shards at
/// once), or four background processes when GNU parallel is not installed.
#[test]
fn the_documented_gnu_parallel_line_merges_into_the_unsharded_bytes() {
    let t = TempDir::new("rounds-parallel");
    let full = t.path().join("full");
    unsharded("tune", TUNE, &["--quiet"], &full);
    let dir = t.path().join("parts");
    let bin = env!("CARGO_BIN_EXE_ratesim");
    let gnu = Command::new("parallel")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if gnu {
        let o = Command::new("parallel")
            .args(["-j", "4", bin, "tune", TUNE, "--shard", "{}/4", "--out"])
            .args([
                s(&dir),
                "--quiet",
                "--wait",
                "20s",
                ":::",
                "0",
                "1",
                "2",
                "3",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
    } else {
        for o in shards("tune", TUNE, &["--quiet"], &[0, 1, 2, 3], 4, &dir, "20s") {
            assert!(o.status.success(), "{}", text(&o.stderr));
        }
    }
    let merged = t.path().join("merged");
    let o = merge(&[&dir], &merged);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(files(&merged) == files(&full), "merged bytes differ");
}

/// Bad sharding flags: exit 2, the flag named, nothing written.
#[test]
fn bad_shard_flags_are_located_errors_and_write_nothing() {
    let t = TempDir::new("rounds-bad");
    let out = t.path().join("out");
    let cases: [(&[&str], &str); 4] = [
        (
            &["tune", TUNE, "--shard", "0/2", "--wait", "5"],
            "--wait: a duration needs a unit",
        ),
        (
            &["tune", TUNE, "--shard", "2/2"],
            "--shard: shard index 2 is not below the shard count 2",
        ),
        (
            &["plan", PLAN, "--shard", "0/2", "--check"],
            "--check, --export-json and --export-markdown need the whole plan",
        ),
        (&["merge", s(t.path())], "no plan or tune part files"),
    ];
    for (args, want) in cases {
        let mut args = args.to_vec();
        args.extend(["--out", s(&out), "--quiet"]);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            text(&o.stderr).contains(want),
            "{args:?}: {}",
            text(&o.stderr)
        );
        assert!(!out.exists(), "{args:?} wrote nothing");
    }
}
