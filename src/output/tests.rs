use super::*;

/// A fresh folder per test, removed on drop.
struct Base(PathBuf);

impl Base {
    fn new(tag: &str) -> Base {
        let path =
            std::env::temp_dir().join(format!("ratesim-output-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        Base(path)
    }

    /// Every entry of the base folder: the report directory and, if a
    /// writer left one, its staging or old directory.
    fn entries(&self) -> Vec<String> {
        names(&self.0)
    }
}

impl Drop for Base {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn write_run(dir: &Path, files: &[(&str, &str)]) -> Vec<PathBuf> {
    let mut out = OutputDir::new(dir, Kind::Run);
    for (name, text) in files {
        out.stage(name, text.as_bytes()).unwrap();
    }
    out.commit().unwrap()
}

#[test]
fn a_new_directory_appears_whole_with_nothing_beside_it() {
    let base = Base::new("new");
    let dir = base.0.join("nested/run");
    let written = write_run(&dir, &[("summary.csv", "s"), ("requests.csv", "r")]);
    assert_eq!(written, [dir.join("summary.csv"), dir.join("requests.csv")]);
    assert_eq!(names(&dir), ["requests.csv", "summary.csv"]);
    assert_eq!(fs::read(dir.join("requests.csv")).unwrap(), b"r");
    assert_eq!(names(&base.0.join("nested")), ["run"], "no staging left");
}

#[test]
fn an_earlier_report_is_replaced_as_a_set_and_the_users_files_stay() {
    let base = Base::new("replace");
    let dir = base.0.join("run");
    write_run(
        &dir,
        &[("summary.csv", "old"), ("requests.csv", "old requests")],
    );
    fs::write(dir.join("notes.md"), "mine").unwrap();
    fs::create_dir_all(dir.join("compare/charts")).unwrap();
    fs::write(dir.join("compare/compare.csv"), "a compare report").unwrap();
    fs::write(dir.join("compare/charts/x.png"), "deep").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("notes.md", dir.join("link")).unwrap();

    write_run(&dir, &[("summary.csv", "new")]);

    assert_eq!(fs::read_to_string(dir.join("summary.csv")).unwrap(), "new");
    assert!(
        !dir.join("requests.csv").exists(),
        "a file of the earlier run the new one did not write is stale"
    );
    assert_eq!(fs::read_to_string(dir.join("notes.md")).unwrap(), "mine");
    assert_eq!(
        fs::read_to_string(dir.join("compare/compare.csv")).unwrap(),
        "a compare report",
        "only the run's own file names go; a compare report below stays"
    );
    assert_eq!(
        fs::read_to_string(dir.join("compare/charts/x.png")).unwrap(),
        "deep"
    );
    #[cfg(unix)]
    assert_eq!(
        fs::read_link(dir.join("link")).unwrap(),
        Path::new("notes.md")
    );
    assert_eq!(base.entries(), ["run"], "no staging or old directory left");
}

#[test]
fn an_abandoned_report_leaves_the_earlier_one_and_nothing_else() {
    let base = Base::new("abandon");
    let dir = base.0.join("run");
    {
        let mut out = OutputDir::new(&dir, Kind::Run);
        out.stage("summary.csv", b"x").unwrap();
        assert_eq!(base.entries().len(), 1, "a staging directory while running");
    }
    assert!(base.entries().is_empty(), "no directory made, none staged");

    write_run(&dir, &[("summary.csv", "old")]);
    {
        let mut out = OutputDir::new(&dir, Kind::Run);
        out.stage("summary.csv", b"new").unwrap();
        let mut stream = out.stage_stream("requests.csv").unwrap();
        std::io::Write::write_all(&mut stream, b"half").unwrap();
    }
    assert_eq!(base.entries(), ["run"]);
    assert_eq!(names(&dir), ["summary.csv"]);
    assert_eq!(fs::read_to_string(dir.join("summary.csv")).unwrap(), "old");
    let staging = swap::sibling(&dir, "tmp").unwrap();
    assert!(
        !interrupt::pending().contains(&staging),
        "nothing is left for the signal handler"
    );
}

#[test]
fn a_failed_commit_leaves_what_was_there() {
    let base = Base::new("fail");
    let dir = base.0.join("run");
    fs::write(&dir, "a file, not a directory").unwrap();
    let mut out = OutputDir::new(&dir, Kind::Run);
    out.stage("summary.csv", b"x").unwrap();
    let err = out.commit().unwrap_err();
    assert!(err.to_string().contains("not a directory"), "{err}");
    assert_eq!(base.entries(), ["run"]);
    assert_eq!(fs::read_to_string(&dir).unwrap(), "a file, not a directory");
}

#[test]
fn a_name_that_is_not_the_kinds_is_refused() {
    let base = Base::new("kind");
    let mut out = OutputDir::new(&base.0.join("run"), Kind::Run);
    let err = out.stage("compare.csv", b"x").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("not a file of a run report"));
}

#[test]
fn the_kind_of_a_file_set_is_the_one_that_holds_them_all() {
    assert_eq!(Kind::of(["summary.csv", "requests.csv"]), Some(Kind::Run));
    assert_eq!(Kind::of(["compare.csv", "report.md"]), Some(Kind::Compare));
    assert_eq!(Kind::of(["plan.csv", "report.html"]), Some(Kind::Plan));
    assert_eq!(Kind::of(["report.md"]), None, "compare or plan");
    assert_eq!(Kind::of(["summary.csv", "plan.csv"]), None);
}

#[cfg(unix)]
#[test]
fn a_symlinked_directory_keeps_its_link_and_its_target_gets_the_report() {
    let base = Base::new("symlink");
    let real = base.0.join("real");
    write_run(&real, &[("summary.csv", "old")]);
    std::os::unix::fs::symlink("real", base.0.join("link")).unwrap();
    write_run(&base.0.join("link"), &[("summary.csv", "new")]);
    assert!(fs::symlink_metadata(base.0.join("link"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_to_string(real.join("summary.csv")).unwrap(), "new");
    assert_eq!(base.entries(), ["link", "real"]);
}

#[test]
fn single_files_are_renamed_into_place_and_abandoned_ones_removed() {
    let base = Base::new("inplace");
    let dir = base.0.join("out");
    {
        let mut out = InPlace::new(&dir);
        out.stage("a.csv", b"x").unwrap();
    }
    assert!(!dir.exists(), "an abandoned output folder is removed");
    let mut out = InPlace::new(&dir);
    out.stage("a.csv", b"x").unwrap();
    let written = out.commit().unwrap();
    assert_eq!(fs::read(&written[0]).unwrap(), b"x");
    assert_eq!(names(&dir), ["a.csv"], "no temporary files remain");
}
