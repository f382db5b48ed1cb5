//! The command line as a newcomer meets it: output that fits a terminal,
//! `init`'s starters, shell completions, `trace` without `--from`, the limit
//! table in `policy`, and the small things a first session trips on.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use support::{ratesim, repo, TempDir};

/// Runs the binary in `dir`, so the paths it prints are short and relative.
fn ratesim_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ratesim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the ratesim binary runs")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn bundled() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(repo("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    v
}

/// Every line `run`, `compare` and `plan` print for every bundled scenario
/// (stdout and stderr) fits a 100-column terminal.
#[test]
fn terminal_output_of_every_bundled_scenario_fits_100_columns() {
    let t = TempDir::new("cli-width");
    let scenarios = bundled();
    assert!(scenarios.len() >= 10, "{scenarios:?}");
    for sc in &scenarios {
        let path = sc.to_str().unwrap();
        let has_compare = std::fs::read_to_string(sc).unwrap().contains("[compare]");
        let mut compare = vec!["compare", path, "--out", "c", "--replications", "1"];
        if !has_compare {
            compare.extend(["--strategies", "openai-python,venice-py"]);
        }
        let commands: [Vec<&str>; 3] = [
            vec!["run", path, "--out", "r"],
            compare,
            vec!["plan", path, "--out", "p", "--replications", "1"],
        ];
        for args in commands {
            let o = ratesim_in(t.path(), &args);
            let out = text(&o);
            assert!(o.status.success(), "{args:?}: {out}");
            for line in out.lines() {
                assert!(
                    line.chars().count() <= 100,
                    "{args:?}: a line of {} characters:\n{line}",
                    line.chars().count()
                );
            }
        }
    }
}

/// The run summary names each group's strategy and gives no events/s for a
/// run too short to time.
#[test]
fn the_run_summary_shows_strategies_and_a_sensible_speed() {
    let t = TempDir::new("cli-summary");
    let q = repo("scenarios/quickstart.toml");
    let o = ratesim_in(t.path(), &["run", q.to_str().unwrap(), "--out", "r"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    let strategy = out.lines().find(|l| l.starts_with("strategy")).unwrap();
    for s in ["header-aware", "constant", "exponential", "decorrelated"] {
        assert!(strategy.contains(s), "{strategy}");
    }
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("13,264 events in "), "{last}");
    if !last.contains("events/s") {
        assert!(last.ends_with(" s, 65m simulated"), "{last}");
    }
    assert!(
        !out.contains("0.00M events/s") && !out.contains("0.10M"),
        "{out}"
    );
}

#[test]
fn every_init_template_validates_and_runs() {
    let t = TempDir::new("cli-init");
    for template in ["chat-service", "batch-job", "trace-replay"] {
        let file = format!("{template}.toml");
        let o = ratesim_in(t.path(), &["init", "--template", template, "--out", &file]);
        assert!(o.status.success(), "{template}: {}", text(&o));
        let body = std::fs::read_to_string(t.path().join(&file)).unwrap();
        assert!(body.starts_with("# A starter scenario"), "{body}");
        let o = ratesim_in(t.path(), &["validate", &file]);
        assert!(o.status.success(), "{template}: {}", text(&o));
        let o = ratesim_in(t.path(), &["run", &file, "--out", template]);
        assert!(o.status.success(), "{template}: {}", text(&o));
        assert!(t.path().join(template).join("summary.csv").exists());
    }
    // The trace-replay starter names the sample it wrote beside it.
    assert!(
        text(&ratesim_in(t.path(), &["validate", "trace-replay.toml"]))
            .contains("trace row(s) read")
    );
    assert!(t.path().join("trace-replay-trace.csv").exists());
}

#[test]
fn init_refuses_to_replace_a_file_without_force() {
    let t = TempDir::new("cli-init-force");
    let o = ratesim_in(t.path(), &["init"]);
    assert!(o.status.success(), "{}", text(&o));
    let scenario = t.path().join("scenario.toml");
    std::fs::write(&scenario, "# mine\n").unwrap();
    let o = ratesim_in(t.path(), &["init", "--template", "batch-job"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("scenario.toml exists; give --force"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read_to_string(&scenario).unwrap(), "# mine\n");
    let o = ratesim_in(t.path(), &["init", "--template", "batch-job", "--force"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(std::fs::read_to_string(&scenario)
        .unwrap()
        .contains("a batch job"));
    let o = ratesim_in(t.path(), &["init", "--template", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("chat-service"), "{}", text(&o));
}

#[test]
fn completions_for_each_shell_name_the_commands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = ratesim(&["completions", shell]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{shell}: {}", text(&o));
        for word in ["ratesim", "compare", "init", "threshold", "export-markdown"] {
            assert!(out.contains(word), "{shell} lacks {word}");
        }
    }
    assert_eq!(ratesim(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn help_lists_the_values_of_enumerated_options() {
    let out = text(&ratesim(&["trace", "stats", "--help"]));
    assert!(
        out.contains("litellm-csv") && out.contains("openai-batch"),
        "{out}"
    );
    let out = text(&ratesim(&["policy", "--help"]));
    assert!(out.contains("venice-legacy"), "{out}");
    let out = text(&ratesim(&["init", "--help"]));
    assert!(out.contains("trace-replay"), "{out}");
    let out = text(&ratesim(&["--help"]));
    assert!(!out.contains("docs/"), "{out}");
}

/// `trace stats` reads a LiteLLM export without `--from`, and names the
/// minutes over the model's RPM (its sample's llama-3.3-70b minute of 105).
#[test]
fn trace_stats_detects_the_format_and_flags_minutes_over_the_limits() {
    let litellm = repo("scenarios/samples/litellm-spend.csv");
    let o = ratesim(&["trace", "stats", litellm.to_str().unwrap()]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("llama-3.3-70b: 1 of 10 minutes over its RPM of 100"),
        "{out}"
    );
    let trace = repo("scenarios/trace-replay.csv");
    let out = text(&ratesim(&["trace", "stats", trace.to_str().unwrap()]));
    assert!(
        out.contains("qwen3-5-9b: 9 of 20 minutes over its RPM of 150"),
        "{out}"
    );
    for sample in [
        "helicone-export.json",
        "litellm-spend.json",
        "otel-genai-spans.json",
    ] {
        let p = repo(&format!("scenarios/samples/{sample}"));
        let o = ratesim(&["trace", "stats", p.to_str().unwrap()]);
        assert!(o.status.success(), "{sample}: {}", text(&o));
    }
    let rates = repo("scenarios/samples/rate_limits.json");
    let o = ratesim(&["trace", "stats", rates.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("give --from"), "{}", text(&o));
}

#[test]
fn trace_convert_detects_the_format() {
    let t = TempDir::new("cli-convert");
    let src = repo("scenarios/samples/helicone-export.json");
    let out = t.path().join("h.csv");
    let o = ratesim(&[
        "trace",
        "convert",
        src.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.starts_with("arrival_s,key,model"), "{csv}");
    // An OpenAI batch file is recognised, and still needs a rate.
    let batch = repo("scenarios/samples/openai-batch.jsonl");
    let o = ratesim(&[
        "trace",
        "convert",
        batch.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("give --rate"), "{}", text(&o));
}

/// The table itself, with the classes no catalogue model uses.
#[test]
fn policy_prints_every_class_of_the_preset_then_the_catalogue() {
    let out = text(&ratesim(&["policy"]));
    let table = out.find("limit table venice").expect("the table first");
    let catalogue = out.find("llama-3.3-70b").unwrap();
    assert!(table < catalogue, "{out}");
    for class in ["DeepInfra", "OpenRouter", "Parasail", "Fal"] {
        let row = out[..catalogue]
            .lines()
            .find(|l| l.split_whitespace().any(|w| w == class))
            .unwrap_or_else(|| panic!("no {class} row:\n{out}"));
        assert!(row.chars().any(|c| c.is_ascii_digit()), "{row}");
    }
    assert!(
        out.contains("text (provider)         DeepInfra           150  10,000,000"),
        "{out}"
    );
}

#[test]
fn strategies_venice_py_names_itself_once_and_no_internal_source() {
    let out = text(&ratesim(&["strategies", "venice-py"]));
    let first = out.lines().next().unwrap();
    assert_eq!(first.matches("venice-py").count(), 1, "{first}");
    assert!(!out.contains("brief"), "{out}");
    assert!(!text(&ratesim(&["strategies"])).contains("brief"));
}

#[test]
fn an_os_error_is_printed_once() {
    let q = repo("scenarios/quickstart.toml");
    let o = ratesim(&["run", q.to_str().unwrap(), "--out", "/proc/ratesim-x"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("error: cannot write /proc/ratesim-x"),
        "{err}"
    );
    assert_eq!(err.matches("os error").count(), 1, "{err}");
}

/// A typo of a top-level key, anywhere among the others, gets the key meant.
#[test]
fn a_top_level_typo_gets_a_suggestion() {
    let t = TempDir::new("cli-typo");
    let q = std::fs::read_to_string(repo("scenarios/quickstart.toml")).unwrap();
    let bad = t.path().join("typo.toml");
    std::fs::write(&bad, q.replacen("\nduration = ", "\ndurration = ", 1)).unwrap();
    let o = ratesim_in(t.path(), &["run", "typo.toml"]);
    let err = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("typo.toml:20:1: field `durration`"), "{err}");
    assert!(err.contains("(did you mean `duration`?)"), "{err}");
    assert!(!t.path().join("reports").exists(), "nothing is written");
}
