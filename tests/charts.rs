//! Chart renderer tests: every chart goes through `check`, which renders it
//! as SVG and PNG and asserts what any reader of a report relies on
//! (well-formed SVG, a real PNG, byte-identical output); each test then
//! checks what is specific to its chart.

use ratesim::report::charts::{
    dash, marker, palette, render_png, render_svg, Bar, BarChart, Chart, Ci, Dash, LineChart,
    Panels, Point, ScatterChart, Series, Shade,
};

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Renders `chart` in both formats, checks the properties every chart must
/// have and returns the SVG for chart-specific assertions. (PNG determinism
/// has its own test: a PNG takes most of a second in a debug build.)
fn check(chart: &Chart) -> String {
    let svg = render_svg(chart);
    assert_eq!(svg, render_svg(chart), "SVG output is not deterministic");
    assert_well_formed(&svg);
    assert!(
        !svg.contains("NaN"),
        "a non-finite value leaked into the SVG"
    );
    let png = render_png(chart).expect("PNG renders");
    assert!(png.starts_with(PNG_MAGIC), "not a PNG");
    svg
}

/// Checks that `svg` is one `<svg>` element whose tags all balance. Text is
/// escaped by the backend, so every `<` opens a tag.
fn assert_well_formed(svg: &str) {
    let svg = svg.trim();
    assert!(svg.starts_with("<svg"), "does not start with <svg");
    assert!(svg.ends_with("</svg>"), "does not end with </svg>");
    let mut open: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = start + rest[start..].find('>').expect("unterminated tag");
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name.trim()), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().expect("empty tag"));
        }
        if open.is_empty() {
            assert!(rest.trim().is_empty(), "content after the root element");
        }
    }
    assert!(open.is_empty(), "unclosed tags: {open:?}");
}

fn hex(i: usize) -> String {
    let c = palette(i);
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// The drawn lines in colour `i` (not legend swatches, drawn 4 px wide).
fn polylines_in(svg: &str, i: usize) -> Vec<&str> {
    let stroke = format!("stroke=\"{}\"", hex(i));
    svg.lines()
        .filter(|l| l.contains("<polyline") && l.contains(&stroke))
        .filter(|l| !l.contains("stroke-width=\"4\""))
        .collect()
}

/// Filled shapes (point markers, bands, areas) in colour `i`.
fn polygons_in(svg: &str, i: usize) -> usize {
    let fill = format!("fill=\"{}\"", hex(i));
    svg.lines()
        .filter(|l| l.contains("<polygon") && l.contains(&fill))
        .count()
}

fn points_in(polyline: &str) -> usize {
    let start = polyline.find("points=\"").unwrap() + "points=\"".len();
    let end = start + polyline[start..].find('"').unwrap();
    polyline[start..end].split_whitespace().count()
}

fn series(name: &str, points: &[(f64, f64)]) -> Series {
    Series::new(name, points.to_vec())
}

fn line(series: Vec<Series>) -> LineChart {
    LineChart {
        title: "Goodput over time".to_owned(),
        x_label: "time (min)".to_owned(),
        y_label: "successful requests / min".to_owned(),
        series,
        y_min_zero: true,
        ..LineChart::default()
    }
}

fn ramp(n: usize, scale: f64) -> Vec<(f64, f64)> {
    (0..n).map(|i| (i as f64, scale * i as f64)).collect()
}

/// A line chart using every feature: three series, shading, a marker, a limit.
fn full_line_chart() -> Chart {
    Chart::Line(LineChart {
        shaded: vec![
            Shade {
                label: "abuse lockout: key batch".to_owned(),
                ranges: vec![(2.0, 4.0), (7.0, 8.0)],
                colour: 0,
            },
            Shade {
                label: "outage (5xx)".to_owned(),
                ranges: vec![(5.5, 6.0)],
                colour: 4,
            },
        ],
        markers: vec![(5.0, "break point".to_owned())],
        hlines: vec![(100.0, "RPM limit 100/min".to_owned())],
        x_range: None,
        y_max: None,
        legend_lower_right: false,
        ..line(vec![
            series("naive retry", &ramp(10, 12.0)),
            series("exponential backoff", &ramp(10, 9.0)),
            series("token-bucket pacer", &ramp(10, 7.5)),
        ])
    })
}

#[test]
fn png_output_is_byte_identical_across_renders() {
    let charts = [
        full_line_chart(),
        bars(vec![bar("naive", 12.5, Some((10.0, 15.0)))], true),
    ];
    for chart in charts {
        let png = render_png(&chart).unwrap();
        assert!(png.starts_with(PNG_MAGIC), "not a PNG");
        assert_eq!(
            png,
            render_png(&chart).unwrap(),
            "PNG output is not deterministic"
        );
    }
}

#[test]
fn each_series_is_one_line_in_its_palette_colour_and_named_in_the_legend() {
    let svg = check(&full_line_chart());
    for (i, name) in ["naive retry", "exponential backoff", "token-bucket pacer"]
        .iter()
        .enumerate()
    {
        assert!(svg.contains(name), "legend lacks {name}");
        let lines = polylines_in(&svg, i);
        match dash(i) {
            Dash::Solid => {
                assert_eq!(lines.len(), 1, "series {i} should be exactly one line");
                assert_eq!(points_in(lines[0]), 10);
            }
            // A dashed or dotted line is drawn dash by dash.
            _ => assert!(lines.len() > 10, "series {i} is not dashed: {lines:?}"),
        }
        // Every one of the 10 points gets a marker, and the legend one more.
        assert_eq!(polygons_in(&svg, i), 11, "series {i} markers");
    }
    assert_ne!(dash(0), dash(1));
    assert_ne!(marker(1), marker(2));
    for text in ["lockout", "break point", "RPM limit 100/min", "time (min)"] {
        assert!(svg.contains(text), "missing {text:?}");
    }
}

#[test]
fn step_charts_hold_each_value_until_the_next_point() {
    let chart = LineChart {
        step: true,
        ..line(vec![series("cdf", &[(0.0, 0.1), (1.0, 0.5), (3.0, 1.0)])])
    };
    let svg = check(&Chart::Line(chart));
    let lines = polylines_in(&svg, 0);
    assert_eq!(lines.len(), 1);
    assert_eq!(points_in(lines[0]), 5, "3 points become 5 stair corners");
}

#[test]
fn ticks_are_short_and_grouped() {
    let chart = line(vec![series("big", &[(0.0, 0.0), (30.0, 25_000.0)])]);
    let svg = check(&Chart::Line(chart));
    assert!(svg.contains("20,000"), "no grouped thousands in ticks");
    assert!(!svg.contains("0000000"), "long float in ticks");
}

#[test]
fn log_x_skips_non_positive_x() {
    let chart = LineChart {
        x_log: true,
        x_label: "load factor (× limit)".to_owned(),
        ..line(vec![series(
            "goodput",
            &[
                (0.0, 1.0),
                (-1.0, 1.0),
                (0.5, 50.0),
                (1.0, 100.0),
                (8.0, 40.0),
            ],
        )])
    };
    let svg = check(&Chart::Line(chart));
    let lines = polylines_in(&svg, 0);
    assert_eq!(lines.len(), 1);
    assert_eq!(points_in(lines[0]), 3);
}

#[test]
fn degenerate_line_charts_still_render() {
    let cases = [
        ("no series", line(vec![])),
        ("empty series", line(vec![series("empty", &[])])),
        ("single point", line(vec![series("one", &[(3.0, 7.0)])])),
        (
            "all zero",
            line(vec![series("zero", &[(0.0, 0.0), (5.0, 0.0)])]),
        ),
        (
            "same x",
            line(vec![series("same x", &[(2.0, 1.0), (2.0, 3.0)])]),
        ),
        (
            "non-finite",
            line(vec![series(
                "gaps",
                &[
                    (0.0, 1.0),
                    (1.0, f64::NAN),
                    (f64::NAN, 2.0),
                    (2.0, f64::INFINITY),
                    (3.0, 2.0),
                ],
            )]),
        ),
        (
            "only NaN",
            LineChart {
                x_log: true,
                shaded: vec![Shade {
                    label: "nan".to_owned(),
                    ranges: vec![(f64::NAN, 1.0)],
                    colour: 0,
                }],
                markers: vec![(f64::NAN, "nan".to_owned())],
                hlines: vec![(f64::NAN, "nan".to_owned())],
                x_range: None,
                y_max: None,
                legend_lower_right: false,
                ..line(vec![series("nan", &[(f64::NAN, f64::NAN)])])
            },
        ),
    ];
    for (case, chart) in cases {
        let svg = check(&Chart::Line(chart));
        assert!(svg.contains("Goodput over time"), "{case}: title missing");
    }
    let svg = check(&Chart::Line(line(vec![
        series(
            "gaps",
            &[
                (0.0, 1.0),
                (1.0, 2.0),
                (2.0, f64::NAN),
                (3.0, 2.0),
                (4.0, 1.0),
            ],
        ),
        series("one", &[(3.0, 7.0)]),
    ])));
    let gaps = polylines_in(&svg, 0);
    assert_eq!(gaps.len(), 2, "a NaN value splits the line in two");
    assert_eq!(points_in(gaps[0]), 2);
    assert!(
        polylines_in(&svg, 1).is_empty(),
        "a lone point is a dot, not a line"
    );
    assert_eq!(polygons_in(&svg, 1), 2, "a lone point is drawn as a marker");
}

fn bar(label: &str, value: f64, ci: Option<(f64, f64)>) -> Bar {
    Bar {
        label: label.to_owned(),
        value,
        low: ci.map(|c| c.0),
        high: ci.map(|c| c.1),
    }
}

fn bars(bars: Vec<Bar>, colour_by_label: bool) -> Chart {
    Chart::Bar(BarChart {
        title: "Requests that gave up".to_owned(),
        x_label: "strategy".to_owned(),
        y_label: "gave up (%)".to_owned(),
        bars,
        colour_by_label,
        ..BarChart::default()
    })
}

#[test]
fn bars_show_values_whiskers_and_palette_colours() {
    let chart = bars(
        vec![
            bar("naive", 12.5, Some((10.0, 15.0))),
            bar("backoff", 3.3, Some((2.5, 4.0))),
            bar("pacer", 0.5, None),
        ],
        true,
    );
    let svg = check(&chart);
    for text in [
        "naive", "backoff", "pacer", "\n12.5\n", "\n3.3\n", "\n0.5\n",
    ] {
        assert!(svg.contains(text), "missing {text:?}");
    }
    for i in 0..3 {
        let fill = format!("fill=\"{}\"", hex(i));
        assert!(svg.contains(&fill), "bar {i} not in palette({i})");
    }
}

#[test]
fn degenerate_bar_charts_still_render() {
    let cases = [
        vec![],
        vec![bar("zero", 0.0, None)],
        vec![bar("nan", f64::NAN, Some((f64::NAN, 1.0)))],
        vec![
            bar("loss", -4.0, Some((-6.0, -2.0))),
            bar("gain", 2.0, None),
        ],
    ];
    for case in cases {
        check(&bars(case, false));
    }
}

#[test]
fn bands_stacks_panels_and_scatter_render_what_they_are_given() {
    let banded = Series {
        band: vec![(0.0, 1.0, 3.0), (1.0, 2.0, 4.0), (2.0, 3.0, 5.0)],
        ..series("mean", &[(0.0, 2.0), (1.0, 3.0), (2.0, 4.0)])
    };
    let svg = check(&Chart::Line(line(vec![banded])));
    // The band is one translucent polygon in the line's colour, under it.
    let fill = format!("fill=\"{}\"", hex(0));
    let band = svg
        .lines()
        .find(|l| l.contains("<polygon") && l.contains(&fill) && l.contains("opacity=\"0.18\""));
    assert!(band.is_some(), "no band polygon");

    let stacked = LineChart {
        stacked: true,
        subtitle: "bins of 30 s".to_owned(),
        ..line(vec![
            series("429 RPM", &[(0.0, 1.0), (1.0, 2.0)]),
            series("429 lockout", &[(0.0, 3.0), (1.0, 1.0)]),
        ])
    };
    let svg = check(&Chart::Line(stacked));
    assert!(svg.contains("bins of 30 s"), "the bin width is not stated");
    for i in 0..2 {
        assert!(polygons_in(&svg, i) >= 1, "stacked area {i} missing");
    }
    // The stack tops out at 1 + 3: the y axis shows 4.
    assert!(
        svg.contains(">\n4\n<") || svg.contains("\n4\n"),
        "stack total not on the axis"
    );

    let panels = Chart::Panels(Panels {
        title: "Per strategy".to_owned(),
        subtitle: "mean of 5 replications".to_owned(),
        panels: ["naive", "full-jitter", "token-bucket"]
            .iter()
            .map(|n| LineChart {
                title: n.to_string(),
                ..line(vec![series("successes", &ramp(5, 1.0))])
            })
            .collect(),
        columns: 2,
    });
    assert_eq!(panels.size().1, 50 + 26 + 2 * 330, "two rows of panels");
    let svg = check(&panels);
    for n in [
        "naive",
        "full-jitter",
        "token-bucket",
        "mean of 5 replications",
    ] {
        assert!(
            svg.contains(&format!("\n{n}\n")),
            "panel title {n:?} missing"
        );
    }

    let ci = |mean: f64| Ci {
        mean,
        low: mean * 0.9,
        high: mean * 1.1,
    };
    let scatter = Chart::Scatter(ScatterChart {
        title: "Trade-off".to_owned(),
        x_label: "attempts per success".to_owned(),
        y_label: "succeeded (%)".to_owned(),
        points: vec![
            Point {
                label: "naive".to_owned(),
                x: ci(4.47),
                y: ci(60.0),
            },
            Point {
                label: "full-jitter".to_owned(),
                x: ci(1.2),
                y: ci(95.0),
            },
        ],
        better: "better: up and to the left".to_owned(),
        ..ScatterChart::default()
    });
    let svg = check(&scatter);
    for i in 0..2 {
        // The marker, and its whiskers on both axes.
        assert!(polygons_in(&svg, i) >= 1, "point {i} missing");
        assert_eq!(polylines_in(&svg, i).len(), 2, "point {i} whiskers");
    }
    assert!(svg.contains("better: up and to the left"));
    // Each point is named once, beside it: no legend repeats the names over
    // the plot (it covered quickstart's constant-1s point).
    for name in ["naive", "full-jitter"] {
        assert_eq!(
            svg.matches(&format!(">\n{name}\n</text>")).count(),
            1,
            "{name}"
        );
    }
}

/// Text is written as whole strings, never glyph by glyph, so the PNG (the
/// SVG rasterised by resvg, which shapes each string) spaces it as the font
/// does: the old bitmap backend printed "4. 47" and "full-j itter".
#[test]
fn text_is_drawn_as_whole_strings() {
    let chart = Chart::Line(LineChart {
        hlines: vec![(4.47, "full-jitter 4.47".to_owned())],
        ..line(vec![series("full-jitter", &ramp(5, 1.0))])
    });
    let svg = check(&chart);
    assert!(svg.contains("\nfull-jitter 4.47\n"), "label split up");
    assert!(svg.contains("\nfull-jitter\n"), "legend split up");
    let png = render_png(&chart).unwrap();
    let other = render_png(&Chart::Line(line(vec![series(
        "full-jitter",
        &ramp(5, 1.0),
    )])))
    .unwrap();
    assert_ne!(png, other, "the label is not in the PNG");
}

mod run_charts {
    //! The charts of `ratesim run` on bundled scenarios: what they draw is
    //! what the outcome counted.

    use ratesim::outcome::Outcome;
    use ratesim::policy::Counts;
    use ratesim::report::charts::{Chart, LineChart};
    use ratesim::report::timecharts::run::run_charts;
    use ratesim::scenario::Scenario;

    fn run(name: &str) -> (Scenario, Outcome) {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"));
        let sc = ratesim::scenario::load(&path).unwrap();
        let o = ratesim::experiment::simulate_quiet(&sc, sc.seed).unwrap();
        (sc, o)
    }

    fn panels(chart: &Chart) -> Vec<&LineChart> {
        match chart {
            Chart::Panels(p) => p.panels.iter().collect(),
            Chart::Line(c) => vec![c],
            other => panic!("not a time chart: {other:?}"),
        }
    }

    fn chart<'a>(charts: &'a [(&'static str, Chart)], stem: &str) -> &'a Chart {
        &charts.iter().find(|c| c.0 == stem).expect(stem).1
    }

    #[test]
    fn throughput_draws_each_pairs_offered_load_and_its_limits_per_minute() {
        let (sc, o) = run("quickstart");
        let charts = run_charts(&sc, &o);
        let panels = panels(chart(&charts, "throughput"));
        assert_eq!(panels.len(), o.pairs.len(), "one panel per key and model");
        for (panel, pair) in panels.iter().zip(&o.pairs) {
            let name = format!(
                "key {} · {}",
                o.keys[pair.key as usize], sc.policy.models[pair.model as usize].id
            );
            assert_eq!(panel.title, name);
            let offered = panel
                .series
                .iter()
                .find(|s| s.name == "offered (arrivals)")
                .expect("offered line");
            // Points sit mid-bin; rates per minute times the bin length
            // give back every arrival.
            let bin_min = 2.0 * offered.points[0].0;
            let drawn: f64 = offered.points.iter().map(|p| p.1 * bin_min).sum();
            assert!(
                (drawn - pair.stats.arrivals as f64).abs() < 1e-6,
                "{name}: offered line sums to {drawn}, arrivals {}",
                pair.stats.arrivals
            );
            let rpm: Vec<u64> = o
                .limits
                .iter()
                .filter(|l| l.key == pair.key && l.model == pair.model)
                .filter(|l| l.limit.counts == Counts::Requests)
                .map(|l| l.limit.amount)
                .collect();
            assert!(!rpm.is_empty(), "{name} has no request limit");
            for amount in rpm {
                let line = panel.hlines.iter().find(|h| h.0 == amount as f64);
                assert!(line.is_some(), "{name}: no limit line at {amount}/min");
                assert!(line.unwrap().1.contains(&amount.to_string()));
            }
        }
        let svg = ratesim::report::charts::render_svg(chart(&charts, "throughput"));
        for text in ["offered (arrivals)", "RPM limit 150", "bins of 30 s"] {
            assert!(svg.contains(text), "SVG lacks {text:?}");
        }
    }

    #[test]
    fn lockout_shading_covers_each_keys_blocks_in_its_own_panel() {
        let (sc, o) = run("lockout-outage");
        let charts = run_charts(&sc, &o);
        for stem in ["throughput", "rate_429"] {
            for (panel, pair) in panels(chart(&charts, stem)).iter().zip(&o.pairs) {
                let key = &o.keys[pair.key as usize];
                let blocks: Vec<(f64, f64)> = o
                    .blocks_of(pair.key)
                    .map(|b| (b.start.as_secs_f64() / 60.0, b.end.as_secs_f64() / 60.0))
                    .collect();
                let shade = panel.shaded.iter().find(|s| s.label.contains("lockout"));
                match shade {
                    None => assert!(blocks.is_empty(), "{stem} {key}: blocks not shaded"),
                    Some(s) => {
                        assert_eq!(s.label, format!("abuse lockout: key {key}"));
                        assert_eq!(s.ranges, blocks, "{stem} {key}: shaded elsewhere");
                    }
                }
                let outage = panel.shaded.iter().find(|s| s.label == "outage (5xx)");
                assert_eq!(outage.expect("outage shaded").ranges, vec![(5.0, 10.0)]);
            }
        }
        // The retrying keys were locked out, the non-retrying one never.
        let locked: Vec<bool> = o
            .pairs
            .iter()
            .map(|p| o.blocks_of(p.key).next().is_some())
            .collect();
        assert_eq!(locked, [true, true, false]);
        // 429s by cause: the lockout's 429s are drawn, and they add up.
        let rate = panels(chart(&charts, "rate_429"));
        for (panel, pair) in rate.iter().zip(&o.pairs) {
            let lockout = panel.series.iter().find(|s| s.name == "429 lockout");
            let bin_min = 2.0 * panel.series[0].points[0].0;
            let want = pair.stats.rejected_by(ratesim::response::Cause::Lockout) as f64;
            let got = lockout.map_or(0.0, |s| s.points.iter().map(|p| p.1 * bin_min).sum());
            assert!(
                (got - want).abs() < 1e-6,
                "lockout 429s drawn {got}, counted {want}"
            );
        }
    }

    #[test]
    fn a_pair_without_429s_or_5xx_says_so_in_its_panel() {
        let (sc, o) = run("quickstart");
        let charts = run_charts(&sc, &o);
        let rate = panels(chart(&charts, "rate_429"));
        let mut quiet = 0;
        for (panel, pair) in rate.iter().zip(&o.pairs) {
            let none = pair.stats.rejected_total() + pair.stats.errors_5xx == 0;
            assert_eq!(
                panel.title.ends_with(": no 429s, no 5xx"),
                none,
                "{}",
                panel.title
            );
            assert_eq!(panel.series.is_empty(), none, "{}", panel.title);
            quiet += usize::from(none);
        }
        // chat's two models and voice never see a 429; the batch key does.
        assert_eq!(quiet, 3);
    }

    #[test]
    fn token_limited_pairs_get_a_tokens_chart_against_tpm() {
        let (sc, o) = run("tpm-bound");
        let charts = run_charts(&sc, &o);
        let tokens = panels(chart(&charts, "tokens"));
        assert!(!tokens.is_empty());
        for panel in tokens {
            assert!(
                panel.hlines.iter().any(|h| h.1.starts_with("TPM limit")),
                "{}: no TPM line",
                panel.title
            );
        }
        let (sc, o) = run("video-unlimited");
        assert!(
            run_charts(&sc, &o).iter().all(|c| c.0 != "tokens"),
            "an unlimited model gets no tokens chart"
        );
    }
}

mod daily_and_sub_minute_limits {
    //! A model with a daily limit and a 10 s window (no bundled scenario
    //! has either): the daily chart counts admitted requests against RPD,
    //! and the 10 s limit is drawn in requests per minute.

    use ratesim::report::charts::Chart;
    use ratesim::report::timecharts::run::run_charts;

    const SCENARIO: &str = r#"
name = "daily"
seed = 5
duration = "10m"
interval = "30s"

[policy.lockout]
enabled = false

[[policy.models]]
id = "qwen3-5-9b"
rpd = 300
limits = [{ counts = "requests", window = "10s", amount = 20 }]

[[groups]]
name = "steady"
key = "a"
model = "qwen3-5-9b"
arrival = { process = "constant", rate = "60/min" }
input_tokens = 100
output_tokens = 100
strategy = { kind = "none" }
"#;

    #[test]
    fn daily_limits_count_admitted_requests_and_short_windows_are_per_minute() {
        let dir = std::env::temp_dir().join(format!("ratesim-daily-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("daily.toml");
        std::fs::write(&path, SCENARIO).unwrap();
        let sc = ratesim::scenario::load(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let o = ratesim::experiment::simulate_quiet(&sc, sc.seed).unwrap();
        let charts = run_charts(&sc, &o);
        let get = |stem: &str| &charts.iter().find(|c| c.0 == stem).expect(stem).1;
        let Chart::Line(daily) = get("daily") else {
            panic!("one pair, one daily panel")
        };
        assert_eq!(daily.hlines, vec![(300.0, "RPD limit 300".to_string())]);
        let rpd = o.limits.iter().find(|l| l.limit.label() == "RPD").unwrap();
        let last = daily.series[0].points.last().unwrap().1;
        assert_eq!(
            last, rpd.admitted as f64,
            "the count ends at what RPD admitted"
        );
        assert_eq!(rpd.admitted, 300, "60/min for 10 min overruns 300 a day");
        let Chart::Line(tp) = get("throughput") else {
            panic!("one pair, one throughput panel")
        };
        assert!(
            tp.hlines
                .contains(&(120.0, "R/10s limit 20 = 120/min".to_string())),
            "{:?}",
            tp.hlines
        );
    }
}

mod compare_charts {
    //! The charts of `ratesim compare` on the quickstart comparison.

    use ratesim::compare::{run_with_threads, Plan};
    use ratesim::report::charts::Chart;
    use ratesim::report::compare::compare_charts;

    #[test]
    fn each_strategy_gets_a_panel_and_lockout_is_the_share_of_replications_locked() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
        let sc = ratesim::scenario::load(&path).unwrap();
        let spec = sc.compare.clone().unwrap();
        let plan = Plan {
            strategies: spec.strategies,
            replications: 4,
            groups: spec.groups,
            base_seed: sc.seed,
        };
        let c = run_with_threads(&sc, &plan, None, &|| {}).unwrap();
        let charts = compare_charts(&sc, &c);
        let get = |stem: &str| &charts.iter().find(|x| x.0 == stem).expect(stem).1;
        let names: Vec<&str> = plan.strategies.iter().map(|s| s.name.as_str()).collect();
        let Chart::Panels(rate) = get("rate_429") else {
            panic!("rate_429 is not small multiples")
        };
        let titles: Vec<&str> = rate.panels.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, names, "one panel per strategy, in order");
        for (s, panel) in rate.panels.iter().enumerate() {
            let locked = &panel.series[1];
            assert_eq!(locked.name, "replications locked out");
            let runs = c.runs_of(s);
            // Each bin: the share of replications with a locked key in it.
            let bins: Vec<_> = runs
                .iter()
                .map(|r| ratesim::report::timecharts::Bins::of(&r.series, c.interval))
                .collect();
            for (i, p) in locked.points.iter().enumerate() {
                let n = bins.iter().filter(|b| b.bins[i].locked_ns > 0).count();
                let want = 100.0 * n as f64 / runs.len() as f64;
                assert!((p.1 - want).abs() < 1e-9, "{}: bin {i}", names[s]);
            }
            // The 429 share carries its band across replications.
            assert!(!panel.series[0].band.is_empty(), "{}: no band", names[s]);
        }
        // The compared image batch sends to one key and model: its RPM is drawn.
        let Chart::Panels(tp) = get("throughput") else {
            panic!("throughput is not small multiples")
        };
        for p in &tp.panels {
            let line = p.hlines.iter().find(|h| h.0 == 20.0).expect("RPM line");
            assert_eq!(line.1, "RPM limit 20 (key batch · z-image-turbo)");
        }
        let Chart::Scatter(t) = get("tradeoff") else {
            panic!("tradeoff is not a scatter")
        };
        let labels: Vec<&str> = t.points.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, names);
        for (s, p) in t.points.iter().enumerate() {
            let runs = c.runs_of(s);
            let share = runs
                .iter()
                .map(|r| 100.0 * r.stats.success_share())
                .sum::<f64>()
                / runs.len() as f64;
            assert!(
                (p.y.mean - share).abs() < 1e-9,
                "{}: y {} vs {share}",
                names[s],
                p.y.mean
            );
            assert!(p.x.low <= p.x.mean && p.x.mean <= p.x.high);
        }
    }
}

mod plan_charts {
    //! What the plan's utilisation chart reads: each limit's busiest minutes.

    use ratesim::outcome::TimeSeries;
    use ratesim::policy::Counts;

    #[test]
    fn busiest_minutes_are_the_admitted_count_of_the_fullest_minute_over_the_limit() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
        let sc = ratesim::scenario::load(&path).unwrap();
        let o = ratesim::experiment::simulate_quiet(&sc, sc.seed).unwrap();
        let per_minute = (60 / o.pair_series.interval.as_secs_f64() as usize).max(1);
        // By hand: the fullest minute of every (key, model) RPM limit.
        let mut want: Vec<(u32, f64)> = Vec::new();
        for l in o.limits.iter().filter(|l| l.limit.label() == "RPM") {
            let i = o
                .pairs
                .iter()
                .position(|p| p.key == l.key && p.model == l.model)
                .unwrap();
            let max = o.pair_series.rows[i]
                .chunks(per_minute)
                .map(|c| c.iter().map(TimeSeries::admitted).sum::<u32>())
                .max()
                .unwrap();
            let u = f64::from(max) / l.limit.amount as f64;
            match want.iter_mut().find(|w| w.0 == l.model) {
                Some(w) => w.1 = w.1.max(u),
                None => want.push((l.model, u)),
            }
        }
        let point = ratesim::plan::point_of(1.0, 0, sc.seed, o.clone());
        for (model, max) in want {
            let u = point
                .limits
                .iter()
                .find(|u| {
                    u.model == model
                        && u.limit.counts == Counts::Requests
                        && u.limit.label() == "RPM"
                })
                .unwrap();
            let (p95, busiest) = u.minutes.expect("an RPM limit has minutes");
            assert!(
                (busiest - max).abs() < 1e-12,
                "model {model}: {busiest} vs {max}"
            );
            assert!(
                p95 <= busiest && busiest <= 1.0 + 1e-12,
                "a minute over its limit"
            );
            assert!(
                busiest >= u.utilisation,
                "the busiest minute is below the mean"
            );
        }
    }
}

/// Charts are drawn in parallel; on one thread or four, a run's files are
/// the same bytes in the same order.
#[test]
fn charts_drawn_on_any_number_of_threads_are_the_same_files() {
    let sc = ratesim::scenario::load(std::path::Path::new("scenarios/quickstart.toml")).unwrap();
    let outcome = ratesim::experiment::simulate_quiet(&sc, sc.seed).unwrap();
    let files_on = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| ratesim::report::run_files(&sc, &outcome).unwrap())
    };
    let one = files_on(1);
    assert!(
        one.iter()
            .filter(|(name, _)| name.ends_with(".png"))
            .count()
            >= 3
    );
    assert!(one == files_on(4), "files differ between 1 and 4 threads");
}
