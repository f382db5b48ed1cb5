//! Bad input gets a located error, exit code 2, and no output.

mod support;

use support::{ratesim, TempDir};

const GOOD_GROUP: &str = r#"
[[groups]]
name = "chat"
model = "llama-3.3-70b"
arrival = { process = "poisson", rate = "60/min" }
input_tokens = 500
output_tokens = 100
"#;

/// Runs `ratesim run` on `scenario` (and an optional trace beside it) and
/// checks the error: exit 2, `file:line:col`, every expected fragment, and no
/// output folder.
fn expect_error(scenario: &str, trace: Option<&str>, line: usize, fragments: &[&str]) {
    let dir = TempDir::new("err");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, scenario).unwrap();
    if let Some(t) = trace {
        std::fs::write(dir.path().join("trace.csv"), t).unwrap();
    }
    let out_dir = dir.path().join("out");
    let out = ratesim(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--requests",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit 2 for:\n{scenario}\nstderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let file = if trace.is_some() && !stderr.contains("bad.toml") {
        "trace.csv"
    } else {
        "bad.toml"
    };
    let located = format!("{file}:{line}:");
    assert!(stderr.contains(&located), "expected {located} in: {stderr}");
    for f in fragments {
        assert!(stderr.contains(f), "expected {f:?} in: {stderr}");
    }
    assert!(
        !out_dir.exists(),
        "a failed run must not create its output folder"
    );
}

#[test]
fn typo_in_a_key_is_located() {
    expect_error(
        &format!("duraton = \"1h\"\n{GOOD_GROUP}"),
        None,
        1,
        &["duraton", "unknown field"],
    );
    let s = "[[groups]]\nname = \"chat\"\nmodel = \"llama-3.3-70b\"\narrival = { process = \"poisson\", rat = \"60/min\" }\ninput_tokens = 5\noutput_tokens = 5\n";
    expect_error(s, None, 4, &["rat"]);
}

#[test]
fn unknown_model_lists_close_matches() {
    let s = GOOD_GROUP.replace("llama-3.3-70b", "llama-3.3-70");
    expect_error(&s, None, 4, &["groups[0].model", "llama-3.3-70b"]);
}

#[test]
fn rates_must_be_positive_numbers_with_units() {
    expect_error(
        &GOOD_GROUP.replace("60/min", "-5/min"),
        None,
        5,
        &["groups[0].arrival.rate", "positive"],
    );
    expect_error(
        &GOOD_GROUP.replace("60/min", "0/min"),
        None,
        5,
        &["groups[0].arrival.rate", "positive"],
    );
    expect_error(
        &GOOD_GROUP.replace("\"60/min\"", "\"60\""),
        None,
        5,
        &["groups[0].arrival.rate", "unit"],
    );
}

#[test]
fn nan_is_rejected() {
    let s = GOOD_GROUP.replace(
        "process = \"poisson\", rate = \"60/min\"",
        "process = \"gamma\", rate = \"60/min\", burstiness = nan",
    );
    expect_error(&s, None, 5, &["burstiness", "finite"]);
}

#[test]
fn durations_need_units_and_sane_lengths() {
    expect_error(
        &format!("duration = \"30\"\n{GOOD_GROUP}"),
        None,
        1,
        &["duration", "unit"],
    );
    expect_error(
        &format!("duration = \"5000d\"\n{GOOD_GROUP}"),
        None,
        1,
        &["duration", "366 days"],
    );
}

#[test]
fn empty_workload_is_an_error() {
    expect_error(
        "name = \"nothing\"\nduration = \"1h\"\n",
        None,
        1,
        &["groups", "empty"],
    );
}

#[test]
fn strategy_cap_below_base() {
    let s = format!(
        "{GOOD_GROUP}strategy = {{ kind = \"full-jitter\", base = \"10s\", cap = \"1s\" }}\n"
    );
    expect_error(&s, None, 8, &["groups[0].strategy.cap", "below the base"]);
}

#[test]
fn malformed_and_unsorted_trace_rows_are_located() {
    let scenario = "duration = \"10m\"\n[[groups]]\nname = \"replay\"\ntrace = \"trace.csv\"\n";
    let header = "arrival_s,key,model,input_tokens,output_tokens,max_tokens\n";
    let unsorted = format!("{header}1.0,k,llama-3.3-70b,10,10,\n5.0,k,llama-3.3-70b,10,10,\n2.0,k,llama-3.3-70b,10,10,\n");
    expect_error(scenario, Some(&unsorted), 4, &["arrival_s", "time order"]);
    let malformed = format!("{header}1.0,k,llama-3.3-70b,ten,10,\n");
    expect_error(scenario, Some(&malformed), 2, &["input_tokens"]);
    let unknown = format!("{header}1.0,k,llama-3.3-70c,10,10,\n");
    expect_error(scenario, Some(&unknown), 2, &["model", "llama-3.3-70b"]);
}

#[test]
fn toml_syntax_error_is_located() {
    expect_error(&format!("{GOOD_GROUP}\nseed = = 3\n"), None, 9, &[]);
}

#[test]
fn validate_reports_the_same_errors() {
    let dir = TempDir::new("validate");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, GOOD_GROUP.replace("60/min", "-1/min")).unwrap();
    let out = ratesim(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml:5:"));
    let ok = ratesim(&["validate", "scenarios/quickstart.toml"]);
    assert!(ok.status.success());
}

/// Runs `ratesim validate` on `scenario` (and an optional trace beside it)
/// and returns (exit code, stdout, stderr), checking that the folder holds
/// only the files the test wrote.
fn validate(scenario: &[u8], trace: Option<&[u8]>) -> (Option<i32>, String, String) {
    let dir = TempDir::new("validate-case");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, scenario).unwrap();
    if let Some(t) = trace {
        std::fs::write(dir.path().join("trace.csv"), t).unwrap();
    }
    let out = ratesim(&["validate", path.to_str().unwrap()]);
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(
        files,
        1 + usize::from(trace.is_some()),
        "validate wrote a file"
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `validate` refuses `scenario` with exit 2 and every fragment in stderr.
fn expect_refused(scenario: &[u8], trace: Option<&[u8]>, fragments: &[&str]) -> String {
    let (code, _, stderr) = validate(scenario, trace);
    assert_eq!(code, Some(2), "expected exit 2, stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for f in fragments {
        assert!(stderr.contains(f), "expected {f:?} in: {stderr}");
    }
    stderr
}

const TRACE_SCENARIO: &str =
    "duration = \"10m\"\n[[groups]]\nname = \"replay\"\ntrace = \"trace.csv\"\n";
const TRACE_HEADER: &str = "arrival_s,key,model,input_tokens,output_tokens,max_tokens\n";

#[test]
fn validate_reads_every_trace_row_to_the_end() {
    let mut good = TRACE_HEADER.to_string();
    for i in 0..5000 {
        good.push_str(&format!("{}.0,k,llama-3.3-70b,10,10,\n", i / 4));
    }
    let (code, stdout, stderr) = validate(TRACE_SCENARIO.as_bytes(), Some(good.as_bytes()));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("5000 trace row(s) read, 2600 at or after the duration"),
        "{stdout}"
    );
    // Bad rows far past the start, even past the duration, are found.
    let cases: [(&str, &[&str]); 4] = [
        (
            "2000.0,k,llama-3.3-70b,10,10,\n1.0,k,llama-3.3-70b,10,10,\n",
            &["trace.csv:5003:1:", "arrival_s", "time order"],
        ),
        (
            "2000.0,k,llama-3.3-70c,10,10,\n",
            &["trace.csv:5002:3:", "field `model`", "llama-3.3-70b"],
        ),
        (
            "2000.0,k,llama-3.3-70b,-10,10,\n",
            &["trace.csv:5002:4:", "field `input_tokens`", "whole number"],
        ),
        (
            "2000.0,k,llama-3.3-70b,10,99999999999,\n",
            &[
                "trace.csv:5002:5:",
                "field `output_tokens`",
                "up to 4294967295",
            ],
        ),
    ];
    for (tail, fragments) in cases {
        let trace = format!("{good}{tail}");
        expect_refused(TRACE_SCENARIO.as_bytes(), Some(trace.as_bytes()), fragments);
    }
}

#[test]
fn structure_errors_name_the_field_and_quote_little() {
    let group = GOOD_GROUP;
    let long = "x".repeat(10_000_000);
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            format!("seed = \"300\"\n{group}"),
            vec![
                "bad.toml:1:8:",
                "field `seed`: invalid type: string \"300\", expected a whole number",
            ],
        ),
        (
            format!("duration = 300\n{group}"),
            vec![
                "bad.toml:1:12:",
                "field `duration`: invalid type: integer `300`",
            ],
        ),
        (
            group.replace("rate = \"60/min\"", "rate = 60"),
            vec![
                "bad.toml:5:41:",
                "field `groups[0].arrival.rate`: invalid type: integer `60`, expected a string",
            ],
        ),
        (
            group.replace("process = \"poisson\",", "process = \"poisson\", foo = 1,"),
            vec![
                "bad.toml:5:34:",
                "field `groups[0].arrival.foo`: unknown field `foo`",
            ],
        ),
        (
            format!("[policy]\nlockout = {{ enabled = true, thresold = 3 }}\n{group}"),
            vec![
                "bad.toml:2:29:",
                "field `policy.lockout.thresold`",
                "did you mean `threshold`?",
            ],
        ),
        (
            format!("durration = \"1h\"\n{group}"),
            vec![
                "bad.toml:1:1:",
                "field `durration`",
                "did you mean `duration`?",
            ],
        ),
        (
            format!("{group}\nseed = = 3\n"),
            vec!["bad.toml:9:8:", "TOML syntax error: invalid string"],
        ),
        (
            format!("duration = \"{long}\"\n{group}"),
            vec!["bad.toml:1:12:", "field `duration`", "…"],
        ),
        (
            format!("name = \"a/{long}\"\n{group}"),
            vec!["bad.toml:1:8:", "field `name`", "…"],
        ),
    ];
    for (scenario, fragments) in cases {
        let stderr = expect_refused(scenario.as_bytes(), None, &fragments);
        assert!(
            stderr.len() < 2_000,
            "the message echoes too much: {} bytes",
            stderr.len()
        );
    }
}

#[test]
fn a_scenario_that_is_not_utf8_is_located_at_the_first_bad_byte() {
    let mut scenario = b"description = \"ok\"\nname = \"caf".to_vec();
    scenario.extend_from_slice(&[0xE9, b'"', b'\n']);
    scenario.extend_from_slice(GOOD_GROUP.as_bytes());
    expect_refused(&scenario, None, &["bad.toml:2:12:", "not UTF-8", "0xE9"]);
}

/// Runs `ratesim policy import` on `body` with `--out`, expecting exit 2,
/// every fragment, and no file written.
fn expect_import_refused(body: &[u8], fragments: &[&str]) {
    let dir = TempDir::new("import-case");
    let path = dir.path().join("rate_limits.json");
    std::fs::write(&path, body).unwrap();
    let out_file = dir.path().join("limits.toml");
    let out = ratesim(&[
        "policy",
        "import",
        path.to_str().unwrap(),
        "--out",
        out_file.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for f in fragments {
        assert!(stderr.contains(f), "expected {f:?} in: {stderr}");
    }
    assert!(!out_file.exists(), "a refused import must write nothing");
}

#[test]
fn policy_import_refuses_what_a_scenario_would() {
    let body = "{\"data\": {\"rateLimits\": [\n  {\"apiModelId\": \"llama-3.2-3b\", \"rateLimits\": [\n    {\"type\": \"RPM\", \"amount\": 9223372036854775808}]}]}}";
    expect_import_refused(
        body.as_bytes(),
        &[
            "rate_limits.json: line 3: field `data.rateLimits[0].rateLimits[0].amount`",
            "9223372036854775807",
        ],
    );
    let mut bad = b"{\"data\": {\"rateLimits\": [\n{\"apiModelId\": \"caf".to_vec();
    bad.extend_from_slice(&[0xE9, b'"', b'}', b']', b'}', b'}']);
    expect_import_refused(&bad, &["rate_limits.json:2:20:", "not UTF-8"]);
}

/// A 100k-character trace cell is quoted as a short excerpt, not whole.
#[test]
fn a_huge_trace_cell_is_quoted_as_an_excerpt() {
    let t = support::TempDir::new("errors-huge-cell");
    let trace = t.path().join("trace.csv");
    let huge = "9".repeat(100_000) + "x";
    std::fs::write(
        &trace,
        format!("arrival_s,key,model,input_tokens,output_tokens\n0,k,llama-3.3-70b,{huge},10\n"),
    )
    .unwrap();
    let sc = t.path().join("s.toml");
    std::fs::write(
        &sc,
        "name = \"huge\"\nduration = \"1m\"\n[[groups]]\nname = \"g\"\ntrace = \"trace.csv\"\n",
    )
    .unwrap();
    let o = support::ratesim(&["validate", sc.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("input_tokens"), "{err}");
    assert!(err.len() < 2_000, "the message quotes {} bytes", err.len());
}

#[test]
fn the_window_shape_scope_and_readings_are_checked_with_their_location() {
    let cases: &[(&str, usize, &[&str])] = &[
        (
            "[policy]\nwindow = \"gcra\"\n[policy.bucket]\ncapacity = 2.0\n",
            3,
            &["policy.bucket", "set window = \"token-bucket\""],
        ),
        (
            "[policy]\nwindow = \"token-bucket\"\n[policy.bucket]\ncapacity = -1.0\n",
            4,
            &["policy.bucket.capacity", "above 0", "got -1"],
        ),
        (
            "[policy]\nwindow = \"token-bucket\"\n[policy.bucket]\ninitial_fill = 1.5\n",
            4,
            &["policy.bucket.initial_fill", "from 0 to 1"],
        ),
        (
            "[policy]\nwindow = \"token-bucket\"\n[policy.bucket]\nrefill = \"discreet\"\n",
            4,
            &["policy.bucket.refill", "discrete"],
        ),
        (
            "[policy]\nwindow = \"token-bucket\"\n[policy.bucket]\nrefill = \"discrete\"\n",
            4,
            &["policy.bucket.refill", "needs a period"],
        ),
        (
            "[policy]\nwindow = \"token-bucket\"\n[policy.bucket]\nrefill = \"discrete\"\nperiod = \"10s\"\nphase = \"10s\"\n",
            6,
            &["policy.bucket.phase", "shorter than the period"],
        ),
        (
            "[policy]\nwindow = \"token-bucket\"\n[policy.bucket]\nperiod = \"10s\"\n",
            4,
            &["policy.bucket.period", "only to refill = \"discrete\""],
        ),
        (
            "[policy]\nwindow = \"fixed\"\n[policy.gcra]\nburst = 2.0\n",
            3,
            &["policy.gcra", "set window = \"gcra\""],
        ),
        (
            "[policy]\nwindow = \"gcra\"\n[policy.gcra]\nburst = 0\n",
            4,
            &["policy.gcra.burst", "above 0"],
        ),
        (
            "[policy]\nscope = \"user\"\n",
            2,
            &["policy.scope", "key", "account"],
        ),
        (
            "[policy]\nvideo = \"per-queue\"\n",
            2,
            &["policy.video", "per-call"],
        ),
        (
            "[policy.lockout]\nreading = \"guides\"\n",
            2,
            &["policy.lockout.reading", "developer-guides"],
        ),
        (
            "[policy]\npreset = \"venice-partners\"\n",
            2,
            &["policy.preset", "venice-partner"],
        ),
    ];
    for (policy, line, fragments) in cases {
        expect_error(&format!("{policy}{GOOD_GROUP}"), None, *line, fragments);
    }
}
