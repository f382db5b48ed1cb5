//! Chart rendering: a [`Chart`] description in, SVG text or PNG bytes out.
//!
//! Charts are plain data so the report code decides *what* to plot and this
//! module alone decides *how* it looks: one palette, one set of line styles
//! and markers, one set of font sizes, one tick format, for every chart of
//! every report. Renderers return bytes and never choose where they go (the
//! single writer owns the disk).
//!
//! Choices worth knowing:
//! - **One drawing, two formats.** plotters draws each chart once, as SVG;
//!   the PNG is that SVG rasterised by `resvg` ([`png`]). plotters' own
//!   bitmap backend placed every glyph at a rounded advance, so PNG text
//!   read "4. 47" and "full-j itter"; resvg shapes each text run with
//!   rustybuzz, so the PNG spaces text as the SVG does, and both formats
//!   always show the same picture.
//! - Text is DejaVu Sans, embedded through the `dejavu` crate: registered
//!   with plotters (which measures text to lay out legends and labels) and
//!   loaded as resvg's only font, mapped to `sans-serif`, so PNGs render the
//!   same on a bare machine without fontconfig.
//! - Output is byte-identical for the same chart: no clock, no randomness,
//!   every collection is walked in order.
//! - Series are told apart by colour *and* line style *and* marker shape
//!   ([`palette`], [`Dash`], [`Marker`], all cycled by the series' style
//!   index), so overlapping lines stay readable in grey print.
//! - Non-finite points (and non-positive x on a log axis) are skipped rather
//!   than rejected: a chart of a run that produced no data still renders.

mod axis;
mod bar;
mod line;
mod png;
mod scatter;

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rayon::prelude::*;

pub use png::render_png;

/// Width of every rendered chart, in pixels.
pub const WIDTH: u32 = 1200;
/// Height of a single-plot chart, in pixels.
pub const HEIGHT: u32 = 700;
/// Height of one row of a [`Panels`] chart, in pixels.
pub const PANEL_HEIGHT: u32 = 330;

const FONT: &str = "sans-serif";
const TITLE_BAND: u32 = 50;
const SUBTITLE_BAND: u32 = 26;
const TITLE_SIZE: f64 = 28.0;
const SUBTITLE_SIZE: f64 = 18.0;
/// The shade colour index of outages; lockout shades cycle the ones below.
pub const OUTAGE_SHADE: usize = 4;
/// Dashed reference lines and whiskers: dark grey, never a palette colour.
const INK: RGBColor = RGBColor(70, 70, 70);

/// One named set of shaded x ranges of a [`LineChart`] (one key's lockout
/// blocks, say), with its own legend entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Shade {
    pub label: String,
    /// x ranges; an infinite end runs to the edge of the plot.
    pub ranges: Vec<(f64, f64)>,
    /// Colour index (see [`shade_colour`]); sets with the same index look
    /// alike, so a key keeps its colour on every chart of a report.
    pub colour: usize,
}

/// One named line of a [`LineChart`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// A confidence band as (x, low, high), filled translucent in the
    /// series' colour behind the lines. Empty: no band.
    pub band: Vec<(f64, f64, f64)>,
    /// Colour, dash and marker index; `None` uses the series' position.
    /// Callers that give a strategy the same index everywhere get the same
    /// look for it on every chart.
    pub style: Option<usize>,
}

impl Series {
    /// A plain line in the style of its position.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series {
            name: name.into(),
            points,
            ..Series::default()
        }
    }
}

/// Lines over a numeric x axis, with optional shaded ranges and reference lines.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineChart {
    pub title: String,
    /// A smaller line under the title: what the data are (e.g. "bins of 30 s").
    pub subtitle: String,
    /// Axis labels include units, e.g. "time (min)".
    pub x_label: String,
    pub y_label: String,
    /// Series `i` is drawn in style `i` (colour [`palette`], [`Dash`],
    /// [`Marker`]) unless it names its own.
    pub series: Vec<Series>,
    /// Draw the series as areas stacked on each other in order (the parts
    /// of a total, such as 429s by cause); every series must share x values.
    pub stacked: bool,
    /// Sets of x ranges shaded behind the lines (e.g. each key's abuse
    /// lockout blocks).
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
    /// Faint unlabelled vertical lines at x (the edges of fixed windows).
    pub vlines: Vec<f64>,
    /// Horizontal dashed lines at y (limits, objectives), labelled at the left end.
    pub hlines: Vec<(f64, String)>,
    /// Fixed x extent (e.g. the whole run), instead of the data's.
    pub x_range: Option<(f64, f64)>,
    /// Ticks exactly at these x values (the settings of a sweep axis),
    /// instead of evenly spaced ones; ignored on a log axis or when empty.
    pub x_ticks_at: Vec<f64>,
    /// Fixed top of the y axis before legend headroom (e.g. 100 for a
    /// percentage); ticks above it are left unlabelled and higher values
    /// are drawn at the top.
    pub y_max: Option<f64>,
    /// The y axis reaches at least this (one scale for panels that are
    /// compared), its ticks labelled.
    pub y_reach: Option<f64>,
    /// Put the legend in the lower right (for rising curves such as CDFs).
    pub legend_lower_right: bool,
}

/// Small multiples: line charts in a grid under one title, each panel with
/// its own title (its `title`), axes and legend. Panels that should be
/// compared give the same `x_range` (and `y_max`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Panels {
    pub title: String,
    pub subtitle: String,
    pub panels: Vec<LineChart>,
    /// Panels per row (at least 1).
    pub columns: usize,
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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BarChart {
    pub title: String,
    pub subtitle: String,
    pub x_label: String,
    pub y_label: String,
    pub bars: Vec<Bar>,
    /// Bar `i` in [`palette`]`(i)` instead of all bars in `palette(0)`.
    pub colour_by_label: bool,
    /// Bars come in groups of this many, bar `j` of each group in
    /// `palette(j)` and named in a legend (e.g. mean, p95 minute, max
    /// minute). Empty: no groups.
    pub group_names: Vec<String>,
}

/// A value with its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ci {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// One labelled point of a [`ScatterChart`], with whiskers on both axes.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub label: String,
    pub x: Ci,
    pub y: Ci,
}

/// Points with confidence whiskers: point `i` in style `i`, labelled beside
/// it and in the legend (a trade-off of two figures at a glance).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScatterChart {
    pub title: String,
    pub subtitle: String,
    pub x_label: String,
    pub y_label: String,
    pub points: Vec<Point>,
    /// Where the better points lie, printed in the plot's corner (e.g.
    /// "better: up and left").
    pub better: String,
}

/// A chart to render: what to show; this module decides how it looks.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Line(LineChart),
    Panels(Panels),
    Bar(BarChart),
    Scatter(ScatterChart),
}

impl Chart {
    fn title(&self) -> &str {
        match self {
            Chart::Line(c) => &c.title,
            Chart::Panels(c) => &c.title,
            Chart::Bar(c) => &c.title,
            Chart::Scatter(c) => &c.title,
        }
    }

    fn subtitle(&self) -> &str {
        match self {
            Chart::Line(c) => &c.subtitle,
            Chart::Panels(c) => &c.subtitle,
            Chart::Bar(c) => &c.subtitle,
            Chart::Scatter(c) => &c.subtitle,
        }
    }

    /// The canvas in pixels: panels get a row of [`PANEL_HEIGHT`] each.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Chart::Panels(p) => {
                let rows = p.panels.len().div_ceil(p.columns.max(1)).max(1) as u32;
                (WIDTH, self.title_height() + rows * PANEL_HEIGHT)
            }
            _ => (WIDTH, HEIGHT),
        }
    }

    fn title_height(&self) -> u32 {
        TITLE_BAND
            + if self.subtitle().is_empty() {
                0
            } else {
                SUBTITLE_BAND
            }
    }
}

/// Why a PNG could not be produced. (SVG rendering cannot fail.)
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("could not draw chart {title:?}: {message}")]
    Draw { title: String, message: String },
}

/// The colour of series (or bar) style `index`: the Okabe-Ito
/// colour-blind-safe palette, reordered so the first colours contrast most
/// on white, then repeated.
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

/// How the line of style `index` is stroked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dash {
    Solid,
    Dashed,
    Dotted,
}

/// The dash of style `index`: solid, dashed, dotted, repeated.
pub fn dash(index: usize) -> Dash {
    [Dash::Solid, Dash::Dashed, Dash::Dotted][index % 3]
}

/// The shape drawn on the points of style `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Triangle,
    Square,
    Cross,
    Diamond,
}

/// The marker of style `index`. Five shapes against three dashes and eight
/// colours: no two of the first 15 styles look alike in grey.
pub fn marker(index: usize) -> Marker {
    [
        Marker::Circle,
        Marker::Triangle,
        Marker::Square,
        Marker::Cross,
        Marker::Diamond,
    ][index % 5]
}

/// The colour of shaded set colour index `i`: a grey-red first, then
/// colours far from the line palette's.
pub fn shade_colour(i: usize) -> RGBColor {
    const SHADES: [RGBColor; 5] = [
        RGBColor(214, 120, 110),
        RGBColor(120, 150, 214),
        RGBColor(200, 170, 60),
        RGBColor(150, 110, 190),
        RGBColor(110, 180, 150),
    ];
    SHADES[i % SHADES.len()]
}

/// Renders `chart` as a standalone SVG document.
pub fn render_svg(chart: &Chart) -> String {
    register_fonts();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, chart.size()).into_drawing_area();
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
pub type Rendered<S = &'static str> = (Vec<(String, Vec<u8>)>, Vec<(S, String)>);

/// Renders each `(stem, chart)` as `stem.png` and `stem.svg` (one drawing:
/// the PNG is the SVG rasterised); also returns the SVG texts, for reports
/// that inline them. The charts are drawn in parallel (rasterising is most
/// of a short run's time, and the last serial step of a long one); files
/// and errors come in `charts` order whatever the threads do.
pub fn render_files<S: AsRef<str> + Send>(
    charts: Vec<(S, Chart)>,
) -> Result<Rendered<S>, ChartError> {
    /// One chart's stem, SVG text and PNG bytes.
    type Drawn<S> = (S, String, Vec<u8>);
    let draw = |(stem, chart): (S, Chart)| -> Result<Drawn<S>, ChartError> {
        let svg = render_svg(&chart);
        let png = png::rasterise(&svg, chart.title())?;
        Ok((stem, svg, png))
    };
    // On one thread the charts are drawn here: handing them to the pool's
    // one worker only costs that thread's allocator arena (1.3 MB more
    // peak memory on the day bench).
    let drawn: Vec<Result<Drawn<S>, ChartError>> = if rayon::current_num_threads() > 1 {
        charts.into_par_iter().map(draw).collect()
    } else {
        charts.into_iter().map(draw).collect()
    };
    let mut files = Vec::new();
    let mut svgs = Vec::new();
    for chart in drawn {
        let (stem, svg, png) = chart?;
        let name = stem.as_ref();
        files.push((format!("{name}.png"), png));
        files.push((format!("{name}.svg"), svg.clone().into_bytes()));
        svgs.push((stem, svg));
    }
    Ok((files, svgs))
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
    // A band of our own rather than `titled`: its 5 px padding lets the
    // title touch the top edge.
    let (band, body) = root.split_vertically(chart.title_height());
    let centre = Pos::new(HPos::Center, VPos::Top);
    let title = TextStyle::from(FontDesc::new(
        FontFamily::SansSerif,
        TITLE_SIZE,
        FontStyle::Bold,
    ))
    .pos(centre);
    let mid = WIDTH as i32 / 2;
    band.draw(&Text::new(chart.title(), (mid, 14), title))?;
    if !chart.subtitle().is_empty() {
        let style = TextStyle::from((FONT, SUBTITLE_SIZE).into_font())
            .color(&INK)
            .pos(centre);
        band.draw(&Text::new(chart.subtitle(), (mid, 50), style))?;
    }
    match chart {
        Chart::Line(c) => line::draw_line_chart(&body, c, &line::FULL),
        Chart::Panels(p) => line::draw_panels(&body, p),
        Chart::Bar(c) => bar::draw_bar_chart(&body, c),
        Chart::Scatter(c) => scatter::draw_scatter(&body, c),
    }
}
