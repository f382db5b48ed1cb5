//! Bar charts: one bar per label with its value printed on top and an
//! optional confidence whisker.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{format_number, tick_decimals, value_label};
use super::line::{
    GRID_ALPHA, LABEL_SIZE, MARGIN, MARGIN_RIGHT, TICK_SIZE, X_LABEL_AREA, Y_LABEL_AREA, Y_TICKS,
};
use super::{palette, BarChart, DrawResult, FONT, INK};

pub(super) fn draw_bar_chart<DB: DrawingBackend>(
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
    // Grouped bars keep their legend above the tallest bar.
    let pad = (hi - lo) * if c.group_names.is_empty() { 0.12 } else { 0.3 };
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
        let colour = match c.group_names.len() {
            0 if c.colour_by_label => palette(i),
            0 => palette(0),
            n => palette(i % n),
        };
        // Bars of a group nearly touch, so the groups stand apart.
        let half = if c.group_names.is_empty() { 0.3 } else { 0.42 };
        let rect = Rectangle::new([(x - half, 0.0), (x + half, bar.value)], colour.filled());
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
    // Grouped bars: which colour is which, in the upper right.
    let legend = (FONT, TICK_SIZE).into_font().color(&BLACK);
    let right = area.dim_in_pixel().0 as i32 - MARGIN_RIGHT as i32 - 10;
    for (j, name) in c.group_names.iter().enumerate() {
        let y = 20 + 24 * j as i32;
        let w = area.estimate_text_size(name, &legend)?.0 as i32;
        area.draw(&Rectangle::new(
            [(right - w - 34, y - 8), (right - w - 10, y + 8)],
            palette(j).filled(),
        ))?;
        area.draw(&Text::new(
            name.as_str(),
            (right - w, y),
            legend.pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
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
