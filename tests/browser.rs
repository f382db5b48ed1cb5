//! The HTML reports in a real browser. Headless Chromium opens compare's,
//! plan's and tune's report.html (the bundled quickstarts and tune-pacer,
//! and a plan whose objective already fails at today's load) in a 1280×800 window, behind a dead proxy,
//! and a script appended to a copy of the page measures what a reader sees:
//! every chart (`<svg>` or `<img>`, however many there are) visible inside
//! the page, nothing wider than the window, no resource fetched, confidence
//! intervals on one line, and the answer above the fold.
//!
//! No Chromium is a failure, not a skip: `.ci/run` installs it
//! (`apt-get install chromium`). Each browser run is killed after 60 s.
//!
//! `UPDATE_SCREENSHOTS=1 cargo test --release --test browser` also writes
//! `report-screenshot.png` (1280×2400) of the two bundled reports into
//! `reports/examples/quickstart-compare/` and `reports/examples/plan-quickstart/`;
//! the reports are the bytes the examples hold for the same commit.

mod support;

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{ratesim, repo, TempDir};

const WIDTH: f64 = 1280.0;
const FOLD: f64 = 800.0;

/// The measurements, run once the page has loaded. Charts are the outermost
/// `<svg>` and every `<img>`; a section is an `<h2>` and what follows it up
/// to the next one.
const PROBE: &str = r#"<script>
addEventListener('load', () => {
  const W = 1280, de = document.documentElement;
  const box = e => { const r = e.getBoundingClientRect();
    return { left: r.left + scrollX, top: r.top + scrollY, width: r.width, height: r.height }; };
  const out = { inner_width: innerWidth, scroll_width: de.scrollWidth, page_height: de.scrollHeight };
  out.resources = performance.getEntriesByType('resource').map(e => e.name);
  out.charts = [...document.querySelectorAll('svg, img')]
    .filter(e => !(e.parentElement && e.parentElement.closest('svg')))
    .map(e => { const s = getComputedStyle(e);
      return Object.assign(box(e), { tag: e.tagName.toLowerCase(),
        shown: s.display !== 'none' && s.visibility !== 'hidden' && s.opacity !== '0',
        loaded: e.tagName !== 'IMG' || (e.complete && e.naturalWidth > 0) }); });
  out.too_wide = [...document.body.querySelectorAll('*')]
    .filter(e => { const r = e.getBoundingClientRect(); return r.right > W + 0.5 || r.left < -0.5; })
    .slice(0, 10).map(e => e.tagName.toLowerCase() + ': ' + (e.textContent || '').slice(0, 80));
  const cis = [...document.querySelectorAll('td')].filter(td => /±|95%\sCI/.test(td.textContent));
  out.ci_cells = cis.length;
  out.ci_broken = cis.filter(td => { const r = document.createRange(); r.selectNodeContents(td);
      return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1; })
    .map(td => td.textContent);
  out.first_after_h1 = (document.querySelector('h1').nextElementSibling || {}).className || '';
  out.sections = [...document.querySelectorAll('h2')].map(h => {
    let bottom = h.getBoundingClientRect().bottom + scrollY;
    for (let e = h.nextElementSibling; e && e.tagName !== 'H2'; e = e.nextElementSibling)
      bottom = Math.max(bottom, e.getBoundingClientRect().bottom + scrollY);
    return { title: h.textContent, top: box(h).top, bottom }; });
  const lead = document.querySelector('p.answer, p.banner');
  out.lead = lead ? Object.assign(box(lead), { class: lead.className, text: lead.textContent }) : null;
  const pre = document.createElement('pre');
  pre.id = 'ratesim-verdict';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"#;

/// The first Chromium on PATH; a clear failure when there is none.
fn chromium() -> PathBuf {
    let names = ["chromium", "chromium-browser", "google-chrome"];
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        for dir in std::env::split_paths(&path) {
            let exe = dir.join(name);
            if exe.is_file() {
                return exe;
            }
        }
    }
    panic!(
        "no headless browser found ({} on PATH): the HTML reports are checked in a real browser; \
         install one with `apt-get install -y chromium` (.ci/run does)",
        names.join(", ")
    );
}

/// Runs Chromium headless on `page` with `args`, offline (a dead proxy), in
/// a profile of its own; its stdout. Killed, and the test failed, after 60 s.
fn browse(page: &Path, args: &[&str], scratch: &Path) -> String {
    let profile = scratch.join(format!(
        "profile-{}",
        page.file_stem().unwrap().to_string_lossy()
    ));
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--proxy-server=127.0.0.1:9",
        "--hide-scrollbars",
        "--virtual-time-budget=5000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .arg(format!("file://{}", page.display()))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium exited with {status}");
            break;
        }
        if start.elapsed() > Duration::from_secs(60) {
            // The whole group: Chromium's renderer and GPU processes too.
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium took more than 60 s on {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

/// What the probe measured in `html`, opened from a copy in `scratch`.
fn measure(html: &str, scratch: &Path, name: &str) -> Value {
    let page = scratch.join(format!("{name}.html"));
    let probed = html.replacen("</body>", &format!("{PROBE}</body>"), 1);
    std::fs::write(&page, probed).unwrap();
    let dom = browse(&page, &["--window-size=1280,800", "--dump-dom"], scratch);
    let open = "<pre id=\"ratesim-verdict\">";
    let start = dom
        .find(open)
        .unwrap_or_else(|| panic!("{name}: the probe wrote no verdict; the page:\n{dom}"))
        + open.len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{name}: {e}: {json}"))
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no number {key} in {v}"))
}

/// The checks every report passes: charts visible inside the page, nothing
/// wider than the window, nothing fetched, CIs unbroken. Returns the verdict.
fn renders(report: &Path, scratch: &Path, name: &str) -> Value {
    let html = std::fs::read_to_string(report).unwrap();
    for remote in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "href=\"//",
        "url(http",
        "url(//",
        "@import",
        "<link",
    ] {
        assert!(
            !html.contains(remote),
            "{name}: the page refers to {remote}"
        );
    }
    let v = measure(&html, scratch, name);
    assert_eq!(
        num(&v, "inner_width"),
        WIDTH,
        "{name}: the window is 1280 px"
    );
    assert!(
        num(&v, "scroll_width") <= WIDTH,
        "{name}: the page scrolls sideways: {v}"
    );
    assert_eq!(
        v["too_wide"],
        Value::Array(vec![]),
        "{name}: wider than 1280 px"
    );
    assert_eq!(
        v["resources"],
        Value::Array(vec![]),
        "{name}: fetched resources"
    );
    let charts = v["charts"].as_array().unwrap();
    assert!(!charts.is_empty(), "{name}: no chart at all");
    let height = num(&v, "page_height");
    for c in charts {
        assert!(
            c["shown"].as_bool().unwrap() && c["loaded"].as_bool().unwrap(),
            "{name}: {c}"
        );
        let (l, t, w, h) = (
            num(c, "left"),
            num(c, "top"),
            num(c, "width"),
            num(c, "height"),
        );
        assert!(w > 0.0 && h > 0.0, "{name}: a chart with an empty box: {c}");
        assert!(
            l >= 0.0 && t >= 0.0 && l + w <= WIDTH + 0.5 && t + h <= height + 0.5,
            "{name}: a chart outside the page: {c}"
        );
    }
    assert_eq!(
        v["ci_broken"],
        Value::Array(vec![]),
        "{name}: CIs over two lines"
    );
    v
}

fn section<'a>(v: &'a Value, title: &str) -> &'a Value {
    v["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["title"] == title)
        .unwrap_or_else(|| panic!("no section {title}: {v}"))
}

/// Writes `reports/examples/<example>/report-screenshot.png` of `report`
/// when UPDATE_SCREENSHOTS is set.
fn screenshot(report: &Path, example: &str, scratch: &Path) {
    if std::env::var_os("UPDATE_SCREENSHOTS").is_none() {
        return;
    }
    let png = repo(&format!("reports/examples/{example}/report-screenshot.png"));
    let shot = format!("--screenshot={}", png.display());
    browse(report, &["--window-size=1280,2400", &shot], scratch);
    assert!(png.is_file(), "no screenshot at {}", png.display());
}

fn run(args: &[&str]) {
    let out = ratesim(args);
    assert!(
        out.status.success(),
        "ratesim {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_compare_report_renders_in_a_browser_with_its_answer_first() {
    let dir = TempDir::new("browser-compare");
    let out = dir.path().join("report");
    let out_s = out.to_str().unwrap();
    run(&[
        "compare",
        "scenarios/quickstart.toml",
        "--out",
        out_s,
        "--quiet",
    ]);
    let report = out.join("report.html");
    let v = renders(&report, dir.path(), "compare");
    assert!(num(&v, "ci_cells") > 0.0, "the ranking has CI cells: {v}");
    // The answer is the first thing under the title, whole on the first screen.
    assert_eq!(v["first_after_h1"], "answer", "{v}");
    let lead = &v["lead"];
    assert!(lead["text"].as_str().unwrap().starts_with("Use "), "{lead}");
    assert!(num(lead, "top") + num(lead, "height") <= FOLD, "{lead}");
    screenshot(&report, "quickstart-compare", dir.path());
    // The longest preset names still fit the ranking table in the window.
    let long = dir.path().join("long");
    run(&[
        "compare",
        "scenarios/quickstart.toml",
        "--strategies",
        "openai-cookbook-parallel-processor,tenacity-random-exponential,venice-docs-example",
        "--out",
        long.to_str().unwrap(),
        "--quiet",
    ]);
    renders(&long.join("report.html"), dir.path(), "compare-long-names");
}

#[test]
fn the_plan_report_renders_in_a_browser_with_answer_and_recommendations_above_the_fold() {
    let dir = TempDir::new("browser-plan");
    let out = dir.path().join("report");
    let out_s = out.to_str().unwrap();
    run(&[
        "plan",
        "scenarios/plan-quickstart.toml",
        "--out",
        out_s,
        "--quiet",
    ]);
    let report = out.join("report.html");
    let v = renders(&report, dir.path(), "plan");
    assert!(
        num(&v, "ci_cells") > 0.0,
        "the per-model table has CI cells: {v}"
    );
    assert!(
        v["lead"].is_null(),
        "plan-quickstart meets its objective today: {v}"
    );
    for title in ["The answer", "Recommendations"] {
        let s = section(&v, title);
        assert!(num(s, "bottom") <= FOLD, "{title} ends below the fold: {s}");
    }
    screenshot(&report, "plan-quickstart", dir.path());
}

#[test]
fn a_plan_failing_today_says_so_in_a_banner_at_the_top() {
    let dir = TempDir::new("browser-failing");
    // 100 requests/min against 10 RPM: "no 429 at all" fails at today's load.
    let scenario = dir.path().join("hopeless.toml");
    std::fs::write(
        &scenario,
        r#"
name = "hopeless"
duration = "5m"
[[policy.models]]
id = "llama-3.3-70b"
rpm = 10
[[groups]]
name = "g"
model = "llama-3.3-70b"
arrival = { process = "poisson", rate = "100/min" }
input_tokens = 100
output_tokens = 100
[plan]
max_share_429 = 0.0
factors = [0.25, 0.5, 1.0]
replications = 2
candidates = [{ kind = "none" }]
"#,
    )
    .unwrap();
    let out = dir.path().join("report");
    let out_s = out.to_str().unwrap();
    run(&[
        "plan",
        scenario.to_str().unwrap(),
        "--out",
        out_s,
        "--quiet",
    ]);
    let v = renders(&out.join("report.html"), dir.path(), "failing");
    assert_eq!(v["first_after_h1"], "banner", "{v}");
    let lead = &v["lead"];
    assert!(
        lead["text"]
            .as_str()
            .unwrap()
            .contains("The objective already fails at today's load"),
        "{lead}"
    );
    assert!(num(lead, "top") + num(lead, "height") <= FOLD, "{lead}");
    assert!(num(section(&v, "The answer"), "top") < FOLD, "{v}");
}

#[test]
fn the_tune_report_renders_in_a_browser_with_the_best_parameters_on_the_first_screen() {
    let dir = TempDir::new("browser-tune");
    let out = dir.path().join("report");
    run(&[
        "tune",
        "scenarios/tune-pacer.toml",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let v = renders(&out.join("report.html"), dir.path(), "tune");
    assert!(
        num(&v, "ci_cells") > 0.0,
        "the metrics table has CI cells: {v}"
    );
    // tune-pacer has a candidate that meets the objective: no banner.
    assert!(v["lead"].is_null(), "{v}");
    let best = section(&v, "Best parameters");
    assert!(
        num(best, "bottom") <= FOLD,
        "the best parameters end below the fold: {best}"
    );
    // Both Pareto charts are drawn.
    assert!(v["charts"].as_array().unwrap().len() >= 2, "{v}");
}
