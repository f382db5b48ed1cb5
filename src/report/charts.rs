//! Chart rendering: a [`Chart`] description in, SVG text or PNG bytes out.
//!
//! Charts are plain data so the report code decides *what* to plot and this
//! module alone decides *how* it looks: one palette, one set of font sizes,
//! one tick format, for every chart of every report. Renderers return bytes
//! and never choose where they go (the single writer owns the disk).
//!
//! Choices worth knowing:
//! - Text is laid out with DejaVu Sans, embedded through the `dejavu` crate
//!   and registered once with plotters' `ab_glyph` support, so PNGs render
//!   the same on a bare machine without fontconfig. SVG names `sans-serif`.
//! - Output is byte-identical for the same chart: no clock, no randomness,
//!   every collection is walked in order.
//! - PNGs are drawn into an in-memory RGB buffer and encoded with the `image`
//!   crate (the version plotters already depends on), so rendering touches
//!   no file.
//! - Non-finite points (and non-positive x on a log axis) are skipped rather
//!   than rejected: a chart of a run that produced no data still renders.

use std::ops::Range;
use std::sync::Once;

use image::ImageEncoder;

use plotters::coord::ranged1d::{AsRangedCoord, DefaultFormatting, KeyPointHint, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of every rendered chart, in pixels.
pub const WIDTH: u32 = 1200;
/// Height of every rendered chart, in pixels.
pub const HEIGHT: u32 = 700;

const FONT: &str = "sans-serif";
const TITLE_BAND: u32 = 50;
const MARGIN: u32 = 10;
/// Room right of the plot so the last x tick label is not cut off.
const MARGIN_RIGHT: u32 = 40;
/// Height of one row of marker labels above the plot.
const MARKER_ROW: u32 = 24;
/// Marker labels stack at most this deep; any more may overlap.
const MAX_MARKER_ROWS: usize = 3;
/// Tick counts asked of plotters (an upper bound; it picks round steps).
const X_TICKS: usize = 10;
const Y_TICKS: usize = 8;
const X_LABEL_AREA: u32 = 60;
const Y_LABEL_AREA: u32 = 100;
const LEGEND_MARGIN: u32 = 12;
const GRID_ALPHA: f64 = 0.12;
const TITLE_SIZE: f64 = 28.0;
const LABEL_SIZE: f64 = 20.0;
const TICK_SIZE: f64 = 16.0;
const LEGEND_SIZE: f64 = 18.0;
/// Dashed reference lines and whiskers: dark grey, never a palette colour.
const INK: RGBColor = RGBColor(70, 70, 70);
/// Shaded x ranges (abuse lockouts, outages), drawn translucent: a grey-red
/// for the first set, then colours far from the line palette's.
const SHADES: [RGBColor; 4] = [
    RGBColor(214, 120, 110),
    RGBColor(120, 150, 214),
    RGBColor(200, 170, 60),
    RGBColor(150, 110, 190),
];
const SHADE_ALPHA: f64 = 0.22;

/// The colour of shaded set `i`.
fn shade_colour(i: usize) -> RGBColor {
    SHADES[i % SHADES.len()]
}

/// One named set of shaded x ranges of a [`LineChart`] (one key's lockout
/// blocks, say), with its own legend entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Shade {
    pub label: String,
    /// x ranges; an infinite end runs to the edge of the plot.
    pub ranges: Vec<(f64, f64)>,
}

/// One named line of a [`LineChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// Lines over a numeric x axis, with optional shaded ranges and reference lines.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineChart {
    pub title: String,
    /// Axis labels include units, e.g. "time (min)".
    pub x_label: String,
    pub y_label: String,
    /// Series `i` is drawn in [`palette`]`(i)`.
    pub series: Vec<Series>,
    /// Sets of x ranges shaded behind the lines (e.g. each key's abuse
    /// lockout blocks), set `i` in [`shade_colour`]`(i)`.
    pub shaded: Vec<Shade>,
    /// Draw each value as holding until the next point (CDFs, per-interval
    /// counts) instead of joining points with straight segments.
    pub step: bool,
    /// Anchor the y axis at zero.
    pub y_min_zero: bool,
    /// Logarithmic x axis; points with x <= 0 are skipped.
    pub x_log: bool,
    /// Vertical dashed lines at x, labelled above the plot.
    pub markers: Vec<(f64, String)>,
    /// Horizontal dashed lines at y, labelled at the left end.
    pub hlines: Vec<(f64, String)>,
    /// Fixed x extent (e.g. the whole run), instead of the data's.
    pub x_range: Option<(f64, f64)>,
    /// Fixed top of the y axis before legend headroom (e.g. 100 for a
    /// percentage); ticks above it are left unlabelled.
    pub y_max: Option<f64>,
    /// Put the legend in the lower right (for rising curves such as CDFs).
    pub legend_lower_right: bool,
}

/// One bar of a [`BarChart`]; `low`/`high` draw a confidence-interval whisker.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// One bar per label, value printed on top.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub bars: Vec<Bar>,
    /// Bar `i` in [`palette`]`(i)` instead of all bars in `palette(0)`.
    pub colour_by_label: bool,
}

/// A chart to render: what to show; this module decides how it looks.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Line(LineChart),
    Bar(BarChart),
}

impl Chart {
    fn title(&self) -> &str {
        match self {
            Chart::Line(c) => &c.title,
            Chart::Bar(c) => &c.title,
        }
    }
}

/// Why a PNG could not be produced. (SVG rendering cannot fail.)
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("could not draw chart {title:?}: {message}")]
    Draw { title: String, message: String },
}

/// The colour of series (or bar) `index`: the Okabe-Ito colour-blind-safe
/// palette, reordered so the first colours contrast most on white, then
/// repeated. Callers that pass strategies in the same order get the same
/// colour for a strategy on every chart.
pub fn palette(index: usize) -> RGBColor {
    const COLOURS: [RGBColor; 8] = [
        RGBColor(0, 114, 178),   // blue
        RGBColor(230, 159, 0),   // orange
        RGBColor(0, 158, 115),   // bluish green
        RGBColor(213, 94, 0),    // vermillion
        RGBColor(204, 121, 167), // reddish purple
        RGBColor(86, 180, 233),  // sky blue
        RGBColor(0, 0, 0),       // black
        RGBColor(240, 228, 66),  // yellow
    ];
    COLOURS[index % COLOURS.len()]
}

/// Renders `chart` as a standalone SVG document.
pub fn render_svg(chart: &Chart) -> String {
    register_fonts();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        // Writing into a String cannot fail, the embedded font always loads
        // and every coordinate is finite by construction, so an error here
        // is a bug in this module.
        draw(&root, chart)
            .and_then(|()| root.present())
            .unwrap_or_else(|e| panic!("SVG chart {:?} failed to draw: {e}", chart.title()));
    }
    svg
}

/// Chart files and the SVG texts for inlining in an HTML report.
pub type Rendered = (Vec<(String, Vec<u8>)>, Vec<(&'static str, String)>);

/// Renders each `(stem, chart)` as `stem.png` and `stem.svg`; also returns the
/// SVG texts, for reports that inline them.
pub fn render_files(charts: Vec<(&'static str, Chart)>) -> Result<Rendered, ChartError> {
    let mut files = Vec::new();
    let mut svgs = Vec::new();
    for (stem, chart) in charts {
        let svg = render_svg(&chart);
        files.push((format!("{stem}.png"), render_png(&chart)?));
        files.push((format!("{stem}.svg"), svg.clone().into_bytes()));
        svgs.push((stem, svg));
    }
    Ok((files, svgs))
}

/// Renders `chart` as PNG-encoded bytes: drawn into an RGB buffer in memory,
/// then encoded with the `image` crate plotters itself uses.
pub fn render_png(chart: &Chart) -> Result<Vec<u8>, ChartError> {
    register_fonts();
    let draw_error = |message: String| ChartError::Draw {
        title: chart.title().to_owned(),
        message,
    };
    let mut rgb = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, chart)
            .and_then(|()| root.present())
            .map_err(|e| draw_error(e.to_string()))?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&rgb, WIDTH, HEIGHT, image::ColorType::Rgb8)
        .map_err(|e| draw_error(e.to_string()))?;
    Ok(png)
}

fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        // The embedded TTFs are valid; were they not, drawing would report
        // FontUnavailable, which names the problem better than this could.
        let _ = register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    // A band of our own rather than `titled`: its 5 px padding lets the PNG
    // title touch the top edge.
    let (band, body) = root.split_vertically(TITLE_BAND);
    let title = TextStyle::from(FontDesc::new(
        FontFamily::SansSerif,
        TITLE_SIZE,
        FontStyle::Bold,
    ))
    .pos(Pos::new(HPos::Center, VPos::Top));
    band.draw(&Text::new(chart.title(), (WIDTH as i32 / 2, 14), title))?;
    match chart {
        Chart::Line(c) => draw_line_chart(&body, c),
        Chart::Bar(c) => draw_bar_chart(&body, c),
    }
}

/// A line chart's data after skipping unplottable values and fixing the
/// axes, ready to draw on either kind of x axis.
struct LineLayout<'a> {
    chart: &'a LineChart,
    series: Vec<Vec<(f64, f64)>>,
    /// Shaded sets with their ranges clipped to the x axis; empty ranges
    /// dropped (a set left empty keeps its place, so colours stay stable).
    shaded: Vec<Vec<(f64, f64)>>,
    y: Range<f64>,
    markers: Vec<MarkerLabel<'a>>,
    margin_top: u32,
}

/// A marker's label, placed in a row above the plot.
struct MarkerLabel<'a> {
    x: f64,
    text: &'a str,
    h_pos: HPos,
    row: usize,
}

fn draw_line_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &LineChart,
) -> DrawResult<DB> {
    // A NaN y is kept as a gap in its line; other non-finite points are dropped.
    let keep = |&(x, y): &(f64, f64)| {
        x.is_finite() && (y.is_finite() || y.is_nan()) && (!c.x_log || x > 0.0)
    };
    let series: Vec<Vec<(f64, f64)>> = c
        .series
        .iter()
        .map(|s| s.points.iter().copied().filter(keep).collect())
        .collect();

    let x_values = series
        .iter()
        .flatten()
        .filter(|p| p.1.is_finite())
        .map(|p| p.0);
    let x_values = x_values.chain(c.x_range.iter().flat_map(|&(a, b)| [a, b]));
    let x_values = x_values
        .chain(
            c.shaded
                .iter()
                .flat_map(|s| s.ranges.iter())
                .flat_map(|&(a, b)| [a, b]),
        )
        .chain(c.markers.iter().map(|m| m.0))
        .filter(|&x| !c.x_log || x > 0.0);
    let x = match c.x_range {
        Some((a, b)) if a < b && (!c.x_log || a > 0.0) => a..b,
        _ => x_range(x_values, c.x_log),
    };
    let shaded: Vec<Vec<(f64, f64)>> = c
        .shaded
        .iter()
        .map(|s| {
            s.ranges
                .iter()
                .filter(|(a, b)| !(a.is_nan() || b.is_nan()))
                .map(|&(a, b)| (a.max(x.start), b.min(x.end)))
                .filter(|(a, b)| a < b)
                .collect()
        })
        .collect();

    let markers = place_markers(area, c, &x)?;
    let marker_rows = markers.iter().map(|m| m.row as u32 + 1).max().unwrap_or(0);
    let margin_top = MARGIN + marker_rows * MARKER_ROW;

    // Lift the top of the y axis so the highest value stays below the
    // legend, which would otherwise hide lines that run along a limit.
    let plot_height = area
        .dim_in_pixel()
        .1
        .saturating_sub(margin_top + MARGIN + X_LABEL_AREA);
    let legend_rows = c.series.len() + shaded.iter().filter(|s| !s.is_empty()).count();
    let legend_height = if legend_rows == 0 {
        0.0
    } else {
        LEGEND_SIZE * 1.25 * legend_rows as f64 + f64::from(2 * LEGEND_MARGIN + 15)
    };
    let headroom = (legend_height / f64::from(plot_height.max(1))).clamp(0.08, 0.5);
    let y_values = series
        .iter()
        .flatten()
        .map(|p| p.1)
        .filter(|y| y.is_finite());
    let y = y_range(
        y_values
            .chain(c.hlines.iter().map(|h| h.0))
            .chain(c.y_max)
            .map(|y| c.y_max.map_or(y, |m| y.min(m))),
        c.y_min_zero,
        headroom,
    );

    let layout = LineLayout {
        chart: c,
        series,
        shaded,
        y,
        markers,
        margin_top,
    };
    if c.x_log {
        let fmt = |v: &f64| format_number(*v, exact_decimals(&[*v]));
        let ticks = log_ticks(&x);
        draw_lines(area, &layout, x.log_scale().with_key_points(ticks), &fmt)
    } else {
        let decimals = tick_decimals(&x, X_TICKS);
        let fmt = move |v: &f64| format_number(*v, decimals);
        draw_lines(area, &layout, x, &fmt)
    }
}

/// Places marker labels above the plot, centred on their line (extending
/// inwards near either edge so they are not cut off), each in the lowest
/// row where it clears the labels already there.
fn place_markers<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &'a LineChart,
    x: &Range<f64>,
) -> Result<Vec<MarkerLabel<'a>>, DrawingAreaErrorKind<DB::ErrorType>> {
    let width = area.dim_in_pixel().0 as i32 - (MARGIN + Y_LABEL_AREA + MARGIN_RIGHT) as i32;
    let fraction = |v: f64| {
        if c.x_log {
            (v / x.start).ln() / (x.end / x.start).ln()
        } else {
            (v - x.start) / (x.end - x.start)
        }
    };
    let mut markers: Vec<_> = c
        .markers
        .iter()
        .filter(|m| (x.start..=x.end).contains(&m.0))
        .collect();
    markers.sort_by(|a, b| a.0.total_cmp(&b.0));

    let mut row_ends: Vec<i32> = Vec::new();
    let mut labels = Vec::with_capacity(markers.len());
    for (mx, text) in markers {
        let px = (fraction(*mx) * f64::from(width)) as i32;
        let w = area.estimate_text_size(text, &note_style())?.0 as i32;
        let (h_pos, left) = match () {
            _ if px < width / 10 => (HPos::Left, px),
            _ if px > width * 9 / 10 => (HPos::Right, px - w),
            _ => (HPos::Center, px - w / 2),
        };
        let row = row_ends
            .iter()
            .position(|&end| end + 12 <= left)
            .unwrap_or(row_ends.len())
            .min(MAX_MARKER_ROWS - 1);
        match row_ends.get_mut(row) {
            Some(end) => *end = left + w,
            None => row_ends.push(left + w),
        }
        labels.push(MarkerLabel {
            x: *mx,
            text,
            h_pos,
            row,
        });
    }
    Ok(labels)
}

/// Reference-line labels: tick-sized, in the reference lines' grey.
fn note_style() -> TextStyle<'static> {
    (FONT, TICK_SIZE).into_font().color(&INK)
}

/// The rest of [`draw_line_chart`], generic over a linear or log x axis.
fn draw_lines<DB, XS>(
    area: &DrawingArea<DB, Shift>,
    layout: &LineLayout,
    x_spec: XS,
    x_fmt: &dyn Fn(&f64) -> String,
) -> DrawResult<DB>
where
    DB: DrawingBackend,
    XS: AsRangedCoord<Value = f64>,
    XS::CoordDescType: ValueFormatter<f64>,
{
    let c = layout.chart;
    let (y_lo, y_hi) = (layout.y.start, layout.y.end);
    let y_decimals = tick_decimals(&layout.y, Y_TICKS);
    // Above a fixed top (e.g. 100%) the axis is only room for the legend:
    // leave those ticks unlabelled so no one reads 120%.
    let y_fmt = |v: &f64| match c.y_max {
        Some(top) if *v > top + 1e-9 => String::new(),
        _ => format_number(*v, y_decimals),
    };
    let mut chart = ChartBuilder::on(area)
        .margin(MARGIN)
        .margin_top(layout.margin_top)
        .margin_right(MARGIN_RIGHT)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(x_spec, y_lo..y_hi)?;
    chart
        .configure_mesh()
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .x_labels(X_TICKS)
        .y_labels(Y_TICKS)
        .x_label_formatter(x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, LABEL_SIZE))
        .bold_line_style(BLACK.mix(GRID_ALPHA))
        .light_line_style(TRANSPARENT)
        .draw()?;
    let (x_lo, x_hi) = {
        let r = chart.x_range();
        (r.start, r.end)
    };

    for (i, (set, ranges)) in c.shaded.iter().zip(&layout.shaded).enumerate() {
        if ranges.is_empty() {
            continue;
        }
        let colour = shade_colour(i);
        let fill = colour.mix(SHADE_ALPHA).filled();
        let bands = ranges
            .iter()
            .map(|&(a, b)| Rectangle::new([(a, y_lo), (b, y_hi)], fill));
        chart
            .draw_series(bands)?
            .label(set.label.as_str())
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 8), (x + 24, y + 8)], colour.mix(0.45).filled())
            });
    }

    // Reference lines go under the data, their labels over it.
    let hlines: Vec<_> = c
        .hlines
        .iter()
        .filter(|h| (y_lo..=y_hi).contains(&h.0))
        .collect();
    let dash = |from, to| DashedPathElement::new([from, to], 8, 6, INK.stroke_width(1));
    let across = hlines.iter().map(|(y, _)| dash((x_lo, *y), (x_hi, *y)));
    let upright = layout
        .markers
        .iter()
        .map(|m| dash((m.x, y_lo), (m.x, y_hi)));
    chart.draw_series(across.chain(upright))?;

    for (i, (s, points)) in c.series.iter().zip(&layout.series).enumerate() {
        let colour = palette(i);
        // NaN values split the line into segments drawn as one series.
        let segments: Vec<Vec<(f64, f64)>> = points
            .split(|p| p.1.is_nan())
            .filter(|seg| !seg.is_empty())
            .map(|seg| if c.step { steps(seg) } else { seg.to_vec() })
            .collect();
        // A lone point has no segment to draw; show it as a dot.
        let dots = segments
            .iter()
            .filter(|seg| seg.len() == 1)
            .map(|seg| Circle::new(seg[0], 4, colour.filled()));
        chart.draw_series(dots)?;
        let lines = segments
            .into_iter()
            .filter(|seg| seg.len() > 1)
            .map(|seg| PathElement::new(seg, colour.stroke_width(2)));
        let anno = chart.draw_series(lines)?;
        anno.label(s.name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 2), (x + 24, y + 2)], colour.filled()));
    }

    let note = note_style();
    for (y, label) in hlines {
        // At the left end, away from the legend, on a light backing so the
        // lines that run along a limit do not cross the text.
        let (w, h) = area.estimate_text_size(label, &note)?;
        let (w, h) = (w as i32, h as i32);
        let tag = EmptyElement::at((x_lo, *y))
            + Rectangle::new([(4, -h - 12), (w + 14, -3)], WHITE.mix(0.75).filled())
            + Text::new(
                label.clone(),
                (9, -7),
                note.pos(Pos::new(HPos::Left, VPos::Bottom)),
            );
        chart.draw_series(std::iter::once(tag))?;
    }
    for m in &layout.markers {
        let dy = -8 - (m.row as u32 * MARKER_ROW) as i32;
        let style = note.pos(Pos::new(m.h_pos, VPos::Bottom));
        let text = Text::new(m.text.to_owned(), (0, dy), style);
        chart.draw_series(std::iter::once(EmptyElement::at((m.x, y_hi)) + text))?;
    }

    if !c.series.is_empty() || layout.shaded.iter().any(|s| !s.is_empty()) {
        chart
            .configure_series_labels()
            .position(if c.legend_lower_right {
                SeriesLabelPosition::LowerRight
            } else {
                SeriesLabelPosition::UpperRight
            })
            .margin(LEGEND_MARGIN)
            .legend_area_size(32)
            .label_font((FONT, LEGEND_SIZE))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.5))
            .draw()?;
    }
    Ok(())
}

fn draw_bar_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &BarChart,
) -> DrawResult<DB> {
    // Bars grow from zero, so the axis always includes it.
    let (mut lo, mut hi) = c
        .bars
        .iter()
        .flat_map(|b| [Some(b.value), b.low, b.high])
        .flatten()
        .filter(|v| v.is_finite())
        .fold((0.0, 0.0), |(lo, hi), v| (v.min(lo), v.max(hi)));
    if lo == hi {
        hi = 1.0;
    }
    // Headroom for the value printed above each bar (below, if negative).
    let pad = (hi - lo) * 0.12;
    hi += pad;
    if lo < 0.0 {
        lo -= pad;
    }
    let y_decimals = tick_decimals(&(lo..hi), Y_TICKS);
    let y_fmt = |v: &f64| format_number(*v, y_decimals);

    let x_fmt = |v: &f64| {
        let i = v.round() as usize;
        c.bars.get(i).map_or_else(String::new, |b| b.label.clone())
    };
    let mut chart = ChartBuilder::on(area)
        .margin(MARGIN)
        .margin_right(MARGIN_RIGHT)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(BarSlots::new(c.bars.len()), lo..hi)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .y_labels(Y_TICKS)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, LABEL_SIZE))
        .bold_line_style(BLACK.mix(GRID_ALPHA))
        .light_line_style(TRANSPARENT)
        .draw()?;

    let value_style = (FONT, TICK_SIZE).into_font().color(&BLACK);
    let whisker_style = INK.stroke_width(2);
    for (i, bar) in c.bars.iter().enumerate() {
        if !bar.value.is_finite() {
            continue;
        }
        let x = i as f64;
        let colour = if c.colour_by_label {
            palette(i)
        } else {
            palette(0)
        };
        let rect = Rectangle::new([(x - 0.3, 0.0), (x + 0.3, bar.value)], colour.filled());
        chart.draw_series(std::iter::once(rect))?;

        let whisker = bar
            .low
            .zip(bar.high)
            .filter(|(l, h)| l.is_finite() && h.is_finite());
        if let Some((low, high)) = whisker {
            let stem = PathElement::new([(x, low), (x, high)], whisker_style);
            chart.draw_series(std::iter::once(stem))?;
            let cap =
                |y| EmptyElement::at((x, y)) + PathElement::new([(-10, 0), (10, 0)], whisker_style);
            chart.draw_series([cap(low), cap(high)])?;
        }

        // The value sits beyond the end of the bar and of its whisker.
        let (v_pos, dy, y) = if bar.value >= 0.0 {
            let top = whisker.map_or(bar.value, |(l, h)| bar.value.max(l).max(h));
            (VPos::Bottom, -6, top)
        } else {
            let bottom = whisker.map_or(bar.value, |(l, h)| bar.value.min(l).min(h));
            (VPos::Top, 10, bottom)
        };
        let text = Text::new(
            value_label(bar.value),
            (0, dy),
            value_style.pos(Pos::new(HPos::Center, v_pos)),
        );
        chart.draw_series(std::iter::once(EmptyElement::at((x, y)) + text))?;
    }
    Ok(())
}

/// The bar chart's x axis: bar `i` centred on x = `i`, one tick per bar.
/// (plotters' segmented axes add a spare slot and misplace a single bar; its
/// custom key points lose the f64 tick formatter the mesh needs.)
struct BarSlots {
    count: usize,
    linear: RangedCoordf64,
}

impl BarSlots {
    fn new(count: usize) -> Self {
        let linear = (-0.5..count.max(1) as f64 - 0.5).into();
        BarSlots { count, linear }
    }
}

impl Ranged for BarSlots {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        (0..self.count).map(|i| i as f64).collect()
    }

    fn range(&self) -> Range<f64> {
        self.linear.range()
    }
}

/// The x axis range: the data's extent, widened when it is a single value.
fn x_range(values: impl Iterator<Item = f64>, log: bool) -> Range<f64> {
    let default = if log { (1.0, 10.0) } else { (0.0, 1.0) };
    let (lo, hi) = extent(values).unwrap_or(default);
    match () {
        _ if lo < hi => lo..hi,
        _ if log => lo / 2.0..hi * 2.0,
        _ => {
            let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
            lo - pad..hi + pad
        }
    }
}

/// Ticks for a log axis: 1, 2 and 5 times each power of ten in `range`;
/// only the powers of ten when that would crowd the axis; the two ends when
/// the range is too narrow for either. (plotters' own log ticks skip all
/// below the first power of ten and print that power twice.)
fn log_ticks(range: &Range<f64>) -> Vec<f64> {
    let first = range.start.log10().floor() as i32;
    let last = range.end.log10().ceil() as i32;
    let within = |v: &f64| range.start <= *v && *v <= range.end;
    let ticks: Vec<f64> = (first..=last)
        .flat_map(|e| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(e)))
        .filter(within)
        .collect();
    match ticks.len() {
        0 | 1 => vec![range.start, range.end],
        2..=12 => ticks,
        _ => (first..=last)
            .map(|e| 10f64.powi(e))
            .filter(within)
            .collect(),
    }
}

/// The y axis range: the data's extent (with zero when asked), widened when
/// it is a single value, with the top `headroom` fraction of the axis left
/// free above the data and a little room below it.
fn y_range(values: impl Iterator<Item = f64>, zero: bool, headroom: f64) -> Range<f64> {
    let (mut lo, mut hi) = extent(values).unwrap_or((0.0, 1.0));
    if zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    let anchored = zero && lo == 0.0;
    if lo == hi {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        hi += pad;
        if !anchored {
            lo -= pad;
        }
    }
    if !anchored {
        lo -= (hi - lo) * 0.04;
    }
    hi = lo + (hi - lo) / (1.0 - headroom);
    lo..hi
}

fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Turns points into a staircase: each y holds until the next point's x.
fn steps(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for (i, &(x, y)) in points.iter().enumerate() {
        if i > 0 {
            out.push((x, points[i - 1].1));
        }
        out.push((x, y));
    }
    out
}

/// Decimal places needed to tell apart values `step` apart: 0 for steps of
/// 1 or more, up to 3 for steps of a thousandth.
fn decimals_for_step(step: f64) -> usize {
    if step > 0.0 && step.is_finite() {
        (-step.log10()).ceil().clamp(0.0, 3.0) as usize
    } else {
        0
    }
}

/// The fewest decimals (at most 3) that print every one of `values` exactly.
fn exact_decimals(values: &[f64]) -> usize {
    (0..3)
        .find(|&d| {
            let scale = 10f64.powi(d as i32);
            values.iter().all(|v| {
                let scaled = v * scale;
                (scaled.round() - scaled).abs() <= 1e-9 * scaled.abs().max(1.0)
            })
        })
        .unwrap_or(3)
}

/// Decimals for the ticks of a linear axis over `range`: computed from the
/// very ticks plotters will place there, so "0.5" never prints as "1" and
/// round numbers never carry a ".0".
fn tick_decimals(range: &Range<f64>, count: usize) -> usize {
    exact_decimals(&RangedCoordf64::from(range.clone()).key_points(count))
}

/// A bar's value as printed above it: at most three significant digits and
/// two decimals, no trailing zeros ("23.4", "4.27", "12,500", "2").
fn value_label(v: f64) -> String {
    let decimals = exact_decimals(&[v])
        .min(decimals_for_step(v.abs() / 100.0))
        .min(2);
    format_number(v, decimals)
}

/// `v` with `decimals` places and thousands separators: "12,500", "-0.25".
fn format_number(v: f64, decimals: usize) -> String {
    let digits = format!("{:.*}", decimals, v.abs());
    let (int, frac) = digits.split_once('.').unwrap_or((&digits, ""));
    let mut out = String::with_capacity(digits.len() + int.len() / 3 + 1);
    // No "-0" for values that round to zero.
    if v < 0.0 && digits.bytes().any(|b| matches!(b, b'1'..=b'9')) {
        out.push('-');
    }
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_few_decimals_and_grouped_thousands() {
        let cases = [
            (12500.0, 0, "12,500"),
            (1234567.891, 1, "1,234,567.9"),
            (999.0, 0, "999"),
            (0.25, 2, "0.25"),
            (-0.001, 2, "0.00"),
            (-1500.5, 0, "-1,500"),
            (0.30000000000000004, 1, "0.3"),
        ];
        for (v, decimals, want) in cases {
            assert_eq!(
                format_number(v, decimals),
                want,
                "{v} with {decimals} decimals"
            );
        }
    }

    #[test]
    fn ticks_get_just_the_decimals_they_need() {
        assert_eq!(exact_decimals(&[0.0, 2.0, 4.0]), 0);
        assert_eq!(exact_decimals(&[0.0, 0.5, 1.0, 0.30000000000000004]), 1);
        assert_eq!(exact_decimals(&[0.25, 1e12]), 2);
        assert_eq!(exact_decimals(&[1.0 / 3.0]), 3);
        assert_eq!(tick_decimals(&(0.0..9.3), 8), 0);
        assert_eq!(tick_decimals(&(0.0..1.12), 8), 1);
        let labels: Vec<String> = [23.4, 4.27, 1234.5, 2.0, 0.123456, -4.0]
            .map(value_label)
            .into();
        assert_eq!(labels, ["23.4", "4.27", "1,234", "2", "0.12", "-4"]);
    }

    #[test]
    fn decimals_follow_the_tick_step() {
        assert_eq!(decimals_for_step(250.0), 0);
        assert_eq!(decimals_for_step(1.0), 0);
        assert_eq!(decimals_for_step(0.2), 1);
        assert_eq!(decimals_for_step(0.05), 2);
        assert_eq!(decimals_for_step(1e-9), 3);
        assert_eq!(decimals_for_step(0.0), 0);
    }

    #[test]
    fn steps_hold_each_value_until_the_next_x() {
        let got = steps(&[(0.0, 1.0), (2.0, 3.0), (5.0, 4.0)]);
        assert_eq!(
            got,
            [(0.0, 1.0), (2.0, 1.0), (2.0, 3.0), (5.0, 3.0), (5.0, 4.0)]
        );
    }

    #[test]
    fn log_ticks_step_one_two_five_and_thin_out_over_many_decades() {
        assert_eq!(log_ticks(&(0.25..16.0)), [0.5, 1.0, 2.0, 5.0, 10.0]);
        assert_eq!(
            log_ticks(&(1.0..1e6)),
            [1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6]
        );
        assert_eq!(log_ticks(&(3.0..4.0)), [3.0, 4.0]);
    }

    #[test]
    fn degenerate_ranges_are_widened() {
        let x = x_range([3.0, 3.0].into_iter(), false);
        assert!(x.start < 3.0 && x.end > 3.0, "{x:?}");
        assert_eq!(x_range([4.0].into_iter(), true), 2.0..8.0);
        assert_eq!(x_range(std::iter::empty(), false), 0.0..1.0);
        let y = y_range([0.0, 0.0].into_iter(), true, 0.5);
        assert_eq!(y, 0.0..2.0);
    }
}
