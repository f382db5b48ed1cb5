//! Chart renderer tests: every chart goes through `check`, which renders it
//! as SVG and PNG and asserts what any reader of a report relies on
//! (well-formed SVG, a real PNG, byte-identical output); each test then
//! checks what is specific to its chart.

use ratesim::report::charts::{
    palette, render_png, render_svg, Bar, BarChart, Chart, LineChart, Series, Shade,
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

/// The drawn lines (not legend swatches, which are rectangles) in colour `i`.
fn polylines_in(svg: &str, i: usize) -> Vec<&str> {
    let stroke = format!("stroke=\"{}\"", hex(i));
    svg.lines()
        .filter(|l| l.contains("<polyline") && l.contains(&stroke))
        .collect()
}

fn points_in(polyline: &str) -> usize {
    let start = polyline.find("points=\"").unwrap() + "points=\"".len();
    let end = start + polyline[start..].find('"').unwrap();
    polyline[start..end].split_whitespace().count()
}

fn series(name: &str, points: &[(f64, f64)]) -> Series {
    Series {
        name: name.to_owned(),
        points: points.to_vec(),
    }
}

fn line(series: Vec<Series>) -> LineChart {
    LineChart {
        title: "Goodput over time".to_owned(),
        x_label: "time (min)".to_owned(),
        y_label: "successful requests / min".to_owned(),
        series,
        shaded: vec![],
        step: false,
        y_min_zero: true,
        x_log: false,
        markers: vec![],
        hlines: vec![],
        x_range: None,
        y_max: None,
        legend_lower_right: false,
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
            },
            Shade {
                label: "outage (5xx)".to_owned(),
                ranges: vec![(5.5, 6.0)],
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
        assert_eq!(lines.len(), 1, "series {i} should be exactly one line");
        assert_eq!(points_in(lines[0]), 10);
    }
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
    assert!(svg.contains("<circle"), "a lone point is drawn as a dot");
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
