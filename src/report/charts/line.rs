//! Line charts and small multiples: lines in a style per series, confidence
//! bands, stacked areas, shaded x ranges, limit lines, markers and faint
//! window edges, over a linear or log x axis.

use std::ops::Range;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{
    exact_decimals, format_number, log_ticks, steps, tick_decimals, x_range, y_range, TicksAt,
};
use super::{
    dash, marker, palette, shade_colour, Dash, DrawResult, LineChart, Marker, Panels, FONT, INK,
};

pub(super) const MARGIN: u32 = 10;
/// Room right of the plot so the last x tick label is not cut off.
pub(super) const MARGIN_RIGHT: u32 = 40;
/// Height of one row of marker labels above the plot.
const MARKER_ROW: u32 = 24;
/// Marker labels stack at most this deep; any more may overlap.
const MAX_MARKER_ROWS: usize = 3;
pub(super) const Y_TICKS: usize = 8;
pub(super) const X_LABEL_AREA: u32 = 60;
pub(super) const Y_LABEL_AREA: u32 = 100;
const LEGEND_MARGIN: u32 = 12;
pub(super) const GRID_ALPHA: f64 = 0.12;
pub(super) const LABEL_SIZE: f64 = 20.0;
pub(super) const TICK_SIZE: f64 = 16.0;
const SHADE_ALPHA: f64 = 0.22;
const BAND_ALPHA: f64 = 0.18;
const STACK_ALPHA: f64 = 0.75;
/// Point markers per line, at most (every point when it has fewer).
const MARKERS_PER_LINE: usize = 14;
/// Stroke width of a legend swatch (a line is 2, a dotted one 3).
pub const SWATCH_WIDTH: u32 = 4;
/// Height of a panel's own title.
const PANEL_TITLE: u32 = 30;

/// Text sizes and axis room: a whole chart or one panel of small multiples.
pub(super) struct Sizes {
    label: f64,
    tick: f64,
    legend: f64,
    x_label_area: u32,
    y_label_area: u32,
    x_ticks: usize,
    y_ticks: usize,
}

pub(super) const FULL: Sizes = Sizes {
    label: LABEL_SIZE,
    tick: TICK_SIZE,
    legend: 18.0,
    x_label_area: X_LABEL_AREA,
    y_label_area: Y_LABEL_AREA,
    x_ticks: 10,
    y_ticks: Y_TICKS,
};

const PANEL: Sizes = Sizes {
    label: 15.0,
    tick: 13.0,
    legend: 14.0,
    x_label_area: 44,
    y_label_area: 78,
    x_ticks: 6,
    y_ticks: 5,
};

/// A line chart's data after skipping unplottable values and fixing the
/// axes, ready to draw on either kind of x axis.
struct LineLayout<'a> {
    chart: &'a LineChart,
    /// Per series, the points to draw (stacked: the running totals).
    series: Vec<Vec<(f64, f64)>>,
    /// Per series, the finite band points.
    bands: Vec<Vec<(f64, f64, f64)>>,
    /// Shaded sets with their ranges clipped to the x axis; empty ranges
    /// dropped.
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

/// The style index of series `i` of `c`.
fn style_of(c: &LineChart, i: usize) -> usize {
    c.series[i].style.unwrap_or(i)
}

/// Draws the panels of `p` in a grid, each with its title above it.
pub(super) fn draw_panels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &Panels,
) -> DrawResult<DB> {
    let cols = p.columns.max(1);
    let rows = p.panels.len().div_ceil(cols).max(1);
    let cells = area.split_evenly((rows, cols));
    let title = TextStyle::from(FontDesc::new(FontFamily::SansSerif, 18.0, FontStyle::Bold))
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (panel, cell) in p.panels.iter().zip(&cells) {
        let (band, body) = cell.split_vertically(PANEL_TITLE);
        let mid = band.dim_in_pixel().0 as i32 / 2;
        band.draw(&Text::new(panel.title.as_str(), (mid, 8), title.clone()))?;
        draw_line_chart(&body, panel, &PANEL)?;
    }
    Ok(())
}

pub(super) fn draw_line_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &LineChart,
    sz: &Sizes,
) -> DrawResult<DB> {
    // A NaN y is kept as a gap in its line; other non-finite points are dropped.
    let keep = |&(x, y): &(f64, f64)| {
        x.is_finite() && (y.is_finite() || y.is_nan()) && (!c.x_log || x > 0.0)
    };
    let mut series: Vec<Vec<(f64, f64)>> = c
        .series
        .iter()
        .map(|s| s.points.iter().copied().filter(keep).collect())
        .collect();
    if c.stacked {
        // Running totals, point by point; a gap counts as nothing.
        for i in 1..series.len() {
            let (below, rest) = series.split_at_mut(i);
            for (p, q) in rest[0].iter_mut().zip(&below[i - 1]) {
                p.1 = if p.1.is_nan() { 0.0 } else { p.1 } + q.1;
            }
        }
    }
    let bands: Vec<Vec<(f64, f64, f64)>> = c
        .series
        .iter()
        .map(|s| {
            s.band
                .iter()
                .copied()
                .filter(|&(x, lo, hi)| {
                    x.is_finite() && lo.is_finite() && hi.is_finite() && (!c.x_log || x > 0.0)
                })
                .collect()
        })
        .collect();

    let x_values = series
        .iter()
        .flatten()
        .filter(|p| p.1.is_finite())
        .map(|p| p.0)
        .chain(bands.iter().flatten().map(|b| b.0));
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

    let markers = place_markers(area, c, &x, sz)?;
    let marker_rows = markers.iter().map(|m| m.row as u32 + 1).max().unwrap_or(0);
    let margin_top = MARGIN + marker_rows * MARKER_ROW;

    // Lift the top of the y axis so the highest value stays below the
    // legend, which would otherwise hide lines that run along a limit.
    let plot_height = area
        .dim_in_pixel()
        .1
        .saturating_sub(margin_top + MARGIN + sz.x_label_area);
    let legend_rows = c.series.len() + shaded.iter().filter(|s| !s.is_empty()).count();
    let legend_height = if legend_rows == 0 {
        0.0
    } else {
        sz.legend * 1.25 * legend_rows as f64 + f64::from(2 * LEGEND_MARGIN + 15)
    };
    let headroom = (legend_height / f64::from(plot_height.max(1))).clamp(0.08, 0.6);
    let y_values = series
        .iter()
        .flatten()
        .map(|p| p.1)
        .chain(bands.iter().flatten().flat_map(|b| [b.1, b.2]))
        .filter(|y| y.is_finite());
    let y = y_range(
        y_values
            .chain(c.hlines.iter().map(|h| h.0))
            .chain(c.y_reach)
            .chain(c.y_max)
            .map(|y| c.y_max.map_or(y, |m| y.min(m))),
        c.y_min_zero,
        headroom,
    );

    let layout = LineLayout {
        chart: c,
        series,
        bands,
        shaded,
        y,
        markers,
        margin_top,
    };
    if c.x_log {
        let fmt = |v: &f64| format_number(*v, exact_decimals(&[*v]));
        let ticks = log_ticks(&x);
        draw_lines(
            area,
            &layout,
            sz,
            x.log_scale().with_key_points(ticks),
            &fmt,
        )
    } else if !c.x_ticks_at.is_empty() {
        let fmt = |v: &f64| format_number(*v, exact_decimals(&[*v]));
        let at = TicksAt::new(x, c.x_ticks_at.clone());
        draw_lines(area, &layout, sz, at, &fmt)
    } else {
        let decimals = tick_decimals(&x, sz.x_ticks);
        let fmt = move |v: &f64| format_number(*v, decimals);
        draw_lines(area, &layout, sz, x, &fmt)
    }
}

/// Places marker labels above the plot, centred on their line (extending
/// inwards near either edge so they are not cut off), each in the lowest
/// row where it clears the labels already there.
fn place_markers<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &'a LineChart,
    x: &Range<f64>,
    sz: &Sizes,
) -> Result<Vec<MarkerLabel<'a>>, DrawingAreaErrorKind<DB::ErrorType>> {
    let width = area.dim_in_pixel().0 as i32 - (MARGIN + sz.y_label_area + MARGIN_RIGHT) as i32;
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
        let w = area.estimate_text_size(text, &note_style(sz))?.0 as i32;
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
fn note_style(sz: &Sizes) -> TextStyle<'static> {
    (FONT, sz.tick).into_font().color(&INK)
}

/// The outline of a point marker, in pixels around its centre.
pub(super) fn marker_shape(m: Marker) -> Vec<(i32, i32)> {
    match m {
        Marker::Circle => (0..12)
            .map(|i| {
                let a = f64::from(i) * std::f64::consts::PI / 6.0;
                (
                    (5.0 * a.cos()).round() as i32,
                    (5.0 * a.sin()).round() as i32,
                )
            })
            .collect(),
        Marker::Triangle => vec![(0, -6), (6, 5), (-6, 5)],
        Marker::Square => vec![(-5, -5), (5, -5), (5, 5), (-5, 5)],
        Marker::Diamond => vec![(0, -7), (6, 0), (0, 7), (-6, 0)],
        Marker::Cross => vec![
            (-6, -4),
            (-4, -6),
            (0, -2),
            (4, -6),
            (6, -4),
            (2, 0),
            (6, 4),
            (4, 6),
            (0, 2),
            (-4, 6),
            (-6, 4),
            (-2, 0),
        ],
    }
}

/// The legend swatch of a dash: four pieces of a 24 px line.
fn swatch(d: Dash) -> [(i32, i32); 4] {
    match d {
        Dash::Solid => [(0, 6), (6, 12), (12, 18), (18, 24)],
        Dash::Dashed => [(0, 8), (14, 22), (24, 24), (24, 24)],
        Dash::Dotted => [(0, 3), (7, 10), (14, 17), (21, 24)],
    }
}

/// The rest of [`draw_line_chart`], generic over a linear or log x axis.
fn draw_lines<DB, XS>(
    area: &DrawingArea<DB, Shift>,
    layout: &LineLayout,
    sz: &Sizes,
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
    let y_decimals = tick_decimals(&layout.y, sz.y_ticks);
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
        .x_label_area_size(sz.x_label_area)
        .y_label_area_size(sz.y_label_area)
        .build_cartesian_2d(x_spec, y_lo..y_hi)?;
    chart
        .configure_mesh()
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .x_labels(sz.x_ticks)
        .y_labels(sz.y_ticks)
        .x_label_formatter(x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style((FONT, sz.tick))
        .axis_desc_style((FONT, sz.label))
        .bold_line_style(BLACK.mix(GRID_ALPHA))
        .light_line_style(TRANSPARENT)
        .draw()?;
    let (x_lo, x_hi) = {
        let r = chart.x_range();
        (r.start, r.end)
    };
    // Values above a fixed top are drawn at the top, not off the plot.
    let top = c.y_max.map_or(y_hi, |m| m.min(y_hi));
    let clamp = |(x, y): (f64, f64)| (x, if y.is_nan() { y } else { y.clamp(y_lo, top) });

    let edges = c
        .vlines
        .iter()
        .filter(|&&v| v > x_lo && v < x_hi)
        .map(|&v| PathElement::new([(v, y_lo), (v, y_hi)], BLACK.mix(0.07).stroke_width(1)));
    chart.draw_series(edges)?;

    for (set, ranges) in c.shaded.iter().zip(&layout.shaded) {
        if ranges.is_empty() {
            continue;
        }
        let colour = shade_colour(set.colour);
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

    for (i, band) in layout.bands.iter().enumerate() {
        if band.len() < 2 {
            continue;
        }
        let colour = palette(style_of(c, i));
        let outline: Vec<(f64, f64)> = band
            .iter()
            .map(|&(x, _, hi)| clamp((x, hi)))
            .chain(band.iter().rev().map(|&(x, lo, _)| clamp((x, lo))))
            .collect();
        chart.draw_series(std::iter::once(Polygon::new(
            outline,
            colour.mix(BAND_ALPHA).filled(),
        )))?;
    }

    if c.stacked {
        for (i, (s, points)) in c.series.iter().zip(&layout.series).enumerate() {
            let colour = palette(style_of(c, i));
            let below: Vec<(f64, f64)> = match i {
                0 => points.iter().map(|p| (p.0, 0.0)).collect(),
                _ => layout.series[i - 1].clone(),
            };
            let shape = |pts: &[(f64, f64)]| {
                let pts: Vec<(f64, f64)> = pts
                    .iter()
                    .map(|&(x, y)| clamp((x, if y.is_nan() { 0.0 } else { y })))
                    .collect();
                if c.step {
                    steps(&pts)
                } else {
                    pts
                }
            };
            let top = shape(points);
            let mut outline = top.clone();
            outline.extend(shape(&below).into_iter().rev());
            let fill = colour.mix(STACK_ALPHA).filled();
            chart
                .draw_series(std::iter::once(Polygon::new(outline, fill)))?
                .label(s.name.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 24, y + 7)], fill));
            if top.len() > 1 {
                chart.draw_series(std::iter::once(PathElement::new(
                    top,
                    colour.stroke_width(1),
                )))?;
            }
        }
    }

    // Reference lines go under the data, their labels over it.
    let hlines: Vec<_> = c
        .hlines
        .iter()
        .filter(|h| (y_lo..=y_hi).contains(&h.0))
        .collect();
    let dashed = |from, to| DashedPathElement::new([from, to], 8, 6, INK.stroke_width(2));
    let across = hlines.iter().map(|(y, _)| dashed((x_lo, *y), (x_hi, *y)));
    let upright = layout
        .markers
        .iter()
        .map(|m| dashed((m.x, y_lo), (m.x, y_hi)));
    chart.draw_series(across.chain(upright))?;

    for (i, (s, points)) in c.series.iter().zip(&layout.series).enumerate() {
        if c.stacked {
            break;
        }
        let style = style_of(c, i);
        let colour = palette(style);
        let (d, shape) = (dash(style), marker_shape(marker(style)));
        let points: Vec<(f64, f64)> = points.iter().copied().map(clamp).collect();
        // NaN values split the line into segments drawn as one series.
        let segments: Vec<Vec<(f64, f64)>> = points
            .split(|p| p.1.is_nan())
            .filter(|seg| !seg.is_empty())
            .map(|seg| if c.step { steps(seg) } else { seg.to_vec() })
            .collect();
        let stroke = colour.stroke_width(if d == Dash::Dotted { 3 } else { 2 });
        for seg in segments.iter().filter(|seg| seg.len() > 1) {
            match d {
                Dash::Solid => {
                    chart.draw_series(std::iter::once(PathElement::new(seg.clone(), stroke)))?;
                }
                Dash::Dashed => {
                    chart.draw_series(std::iter::once(DashedPathElement::new(
                        seg.clone(),
                        12,
                        7,
                        stroke,
                    )))?;
                }
                Dash::Dotted => {
                    chart.draw_series(std::iter::once(DashedPathElement::new(
                        seg.clone(),
                        3,
                        5,
                        stroke,
                    )))?;
                }
            }
        }
        // Markers on every point of a short line; on evenly spaced points
        // of a long one, offset by style so two lines' markers do not sit
        // on each other. A lone point always gets one.
        let finite: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.1.is_finite()).collect();
        let every = finite.len().div_ceil(MARKERS_PER_LINE).max(1);
        let offset = (style * every / 3) % every;
        let dots = finite
            .iter()
            .enumerate()
            .filter(|(j, _)| j % every == offset || finite.len() == 1)
            .map(|(_, &p)| EmptyElement::at(p) + Polygon::new(shape.clone(), colour.filled()));
        let legend_shape = shape.clone();
        chart
            .draw_series(dots)?
            .label(s.name.as_str())
            .legend(move |(x, y)| {
                // Thicker than the line, so the dash reads at 24 px.
                let piece = |(a, b): (i32, i32)| {
                    PathElement::new([(a, 0), (b, 0)], colour.stroke_width(SWATCH_WIDTH))
                };
                let [p, q, r, t] = swatch(d);
                let swatch_shape: Vec<(i32, i32)> =
                    legend_shape.iter().map(|&(dx, dy)| (dx + 12, dy)).collect();
                EmptyElement::at((x, y))
                    + piece(p)
                    + piece(q)
                    + piece(r)
                    + piece(t)
                    + Polygon::new(swatch_shape, colour.filled())
            });
    }

    let note = note_style(sz);
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
            .label_font((FONT, sz.legend))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.5))
            .draw()?;
    }
    Ok(())
}
