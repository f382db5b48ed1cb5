//! Axis arithmetic shared by every chart kind: data extents, tick positions
//! and the way numbers are printed on ticks and bars.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;

/// A linear x axis with its ticks at given values (a sweep's settings).
pub(super) struct TicksAt {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl TicksAt {
    pub(super) fn new(range: Range<f64>, ticks: Vec<f64>) -> TicksAt {
        TicksAt {
            inner: range.into(),
            ticks,
        }
    }
}

impl Ranged for TicksAt {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

/// The x axis range: the data's extent, widened when it is a single value.
pub(super) fn x_range(values: impl Iterator<Item = f64>, log: bool) -> Range<f64> {
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
pub(super) fn log_ticks(range: &Range<f64>) -> Vec<f64> {
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
pub(super) fn y_range(values: impl Iterator<Item = f64>, zero: bool, headroom: f64) -> Range<f64> {
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

pub(super) fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Turns points into a staircase: each y holds until the next point's x.
pub(super) fn steps(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
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
pub(super) fn decimals_for_step(step: f64) -> usize {
    if step > 0.0 && step.is_finite() {
        (-step.log10()).ceil().clamp(0.0, 3.0) as usize
    } else {
        0
    }
}

/// The fewest decimals (at most 3) that print every one of `values` exactly.
pub(super) fn exact_decimals(values: &[f64]) -> usize {
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
pub(super) fn tick_decimals(range: &Range<f64>, count: usize) -> usize {
    exact_decimals(&RangedCoordf64::from(range.clone()).key_points(count))
}

/// A bar's value as printed above it: at most three significant digits and
/// two decimals, no trailing zeros ("23.4", "4.27", "12,500", "2").
pub(super) fn value_label(v: f64) -> String {
    let decimals = exact_decimals(&[v])
        .min(decimals_for_step(v.abs() / 100.0))
        .min(2);
    format_number(v, decimals)
}

/// `v` with `decimals` places and thousands separators: "12,500", "-0.25".
pub(super) fn format_number(v: f64, decimals: usize) -> String {
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
