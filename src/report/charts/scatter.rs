//! Scatter charts: one labelled point per item with 95% confidence
//! whiskers on both axes, for trade-offs read at a glance (success share
//! against attempts per success, one point per strategy). Each point is
//! named beside it and there is no legend: a legend only repeated the names
//! and, wherever it went, covered a point of some comparison (quickstart's
//! constant-1s sat under it).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{extent, format_number, tick_decimals};
use super::line::{
    marker_shape, GRID_ALPHA, LABEL_SIZE, MARGIN, MARGIN_RIGHT, TICK_SIZE, X_LABEL_AREA,
    Y_LABEL_AREA, Y_TICKS,
};
use super::{marker, palette, DrawResult, ScatterChart, FONT, INK};

/// An axis over `values` with a tenth of its span spare at each end.
fn padded(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = extent(values).unwrap_or((0.0, 1.0));
    let pad = if hi > lo {
        (hi - lo) * 0.12
    } else {
        lo.abs().max(1.0) * 0.1
    };
    lo - pad..hi + pad
}

pub(super) fn draw_scatter<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &ScatterChart,
) -> DrawResult<DB> {
    let finite = |v: &f64| v.is_finite();
    let x = padded(
        c.points
            .iter()
            .flat_map(|p| [p.x.mean, p.x.low, p.x.high])
            .filter(finite),
    );
    let y = padded(
        c.points
            .iter()
            .flat_map(|p| [p.y.mean, p.y.low, p.y.high])
            .filter(finite),
    );
    let (xd, yd) = (tick_decimals(&x, 10), tick_decimals(&y, Y_TICKS));
    let x_fmt = |v: &f64| format_number(*v, xd);
    let y_fmt = |v: &f64| format_number(*v, yd);
    let mut chart = ChartBuilder::on(area)
        .margin(MARGIN)
        .margin_right(MARGIN_RIGHT)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(x.clone(), y.clone())?;
    chart
        .configure_mesh()
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .x_labels(10)
        .y_labels(Y_TICKS)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, LABEL_SIZE))
        .bold_line_style(BLACK.mix(GRID_ALPHA))
        .light_line_style(TRANSPARENT)
        .draw()?;

    let label_style = (FONT, TICK_SIZE).into_font().color(&BLACK);
    for (i, p) in c.points.iter().enumerate() {
        if !(p.x.mean.is_finite() && p.y.mean.is_finite()) {
            continue;
        }
        let colour = palette(i);
        let whisker = colour.stroke_width(2);
        let at = (p.x.mean, p.y.mean);
        let mut whiskers = Vec::new();
        if p.x.low.is_finite() && p.x.high.is_finite() {
            whiskers.push(PathElement::new(
                [(p.x.low, at.1), (p.x.high, at.1)],
                whisker,
            ));
        }
        if p.y.low.is_finite() && p.y.high.is_finite() {
            whiskers.push(PathElement::new(
                [(at.0, p.y.low), (at.0, p.y.high)],
                whisker,
            ));
        }
        chart.draw_series(whiskers)?;
        let shape = marker_shape(marker(i));
        let big: Vec<(i32, i32)> = shape.iter().map(|&(a, b)| (a * 3 / 2, b * 3 / 2)).collect();
        chart.draw_series(std::iter::once(
            EmptyElement::at(at) + Polygon::new(big, colour.filled()),
        ))?;
        let text = Text::new(
            p.label.clone(),
            (10, -8),
            label_style.pos(Pos::new(HPos::Left, VPos::Bottom)),
        );
        chart.draw_series(std::iter::once(EmptyElement::at(at) + text))?;
    }
    if !c.better.is_empty() {
        let note = (FONT, TICK_SIZE)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Left, VPos::Top));
        let corner =
            EmptyElement::at((x.start, y.end)) + Text::new(c.better.clone(), (10, 10), note);
        chart.draw_series(std::iter::once(corner))?;
    }
    Ok(())
}
