//! A run split into independent partitions on several threads writes the
//! same bytes as the single-threaded run, for every bundled scenario.

use ratesim::experiment::{partitions, simulate_quiet, simulate_split};
use ratesim::report::run_files;
use std::path::Path;

#[test]
fn every_bundled_scenario_gives_the_same_files_split_or_not() {
    let mut split_any = false;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let sc = ratesim::scenario::load(&path).unwrap();
        split_any |= partitions(&sc).len() > 1;
        let whole = simulate_quiet(&sc, sc.seed).unwrap();
        // One thread runs every set on an engine of its own, one after the
        // other; two and four deal them out.
        for threads in [1, 2, 4] {
            let split = simulate_split(&sc, 1.0, sc.seed, threads).unwrap();
            assert_eq!(
                format!("{split:?}"),
                format!("{whole:?}"),
                "{} on {threads} threads: outcomes differ",
                path.display()
            );
            assert!(
                run_files(&sc, &split).unwrap() == run_files(&sc, &whole).unwrap(),
                "{} on {threads} threads: files differ",
                path.display()
            );
        }
    }
    assert!(split_any, "some bundled scenario has independent groups");
}

#[test]
fn groups_sharing_a_key_stay_together_and_traces_are_not_split() {
    let sc = ratesim::scenario::load(Path::new("scenarios/quickstart.toml")).unwrap();
    // chat, thumbnails and voice share "prod"; batch-images has "batch".
    assert_eq!(partitions(&sc), vec![vec![0, 2, 3], vec![1]]);
    let sc = ratesim::scenario::load(Path::new("scenarios/trace-replay.toml")).unwrap();
    assert_eq!(partitions(&sc).len(), 1);
}
