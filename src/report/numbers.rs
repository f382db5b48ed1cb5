//! Numbers as the reports print them: thousands separated (727,130, not
//! 727130), and a confidence interval held together as one token so a table
//! cell or a line never breaks it in two.
//!
//! The documents (report.md, report.html, the terminal verdict) use these;
//! CSV files keep plain numbers for the programs that read them.

/// A whole number with thousands separators: 2000000 -> "2,000,000".
pub fn thousands(n: u64) -> String {
    group(&n.to_string())
}

/// `x` with `decimals` decimals and thousands separators in its integer
/// part: (727130.0, 0) -> "727,130", (-1234.56, 1) -> "-1,234.6". Infinite
/// and NaN values print as Rust prints them.
pub fn fixed(x: f64, decimals: usize) -> String {
    let text = format!("{x:.decimals$}");
    if !x.is_finite() {
        return text;
    }
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = digits.split_at(digits.find('.').unwrap_or(digits.len()));
    format!("{sign}{}{frac}", group(int))
}

/// Commas between groups of three digits of a run of digits.
fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `s` with its spaces made non-breaking (U+00A0): one token in Markdown,
/// one unbroken run in an HTML cell, whatever the column width.
pub fn one_token(s: &str) -> String {
    s.replace(' ', "\u{a0}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(727_130), "727,130");
        assert_eq!(thousands(2_000_000), "2,000,000");
    }

    #[test]
    fn fixed_separates_the_integer_part_only() {
        assert_eq!(fixed(727_130.0, 0), "727,130");
        assert_eq!(fixed(1234.5678, 2), "1,234.57");
        assert_eq!(fixed(-1234.56, 1), "-1,234.6");
        assert_eq!(fixed(999.96, 1), "1,000.0");
        assert_eq!(fixed(0.25, 3), "0.250");
        assert_eq!(fixed(f64::INFINITY, 1), "inf");
    }

    #[test]
    fn one_token_keeps_an_interval_unbroken() {
        let ci = one_token("9.1 ± 0.3");
        assert_eq!(ci, "9.1\u{a0}±\u{a0}0.3");
        assert!(!ci.contains(' '));
    }
}
