//! The page around the HTML reports (compare and plan): one self-contained
//! document with no scripts and no fetches, its style and SVG charts inline,
//! so a report opens anywhere, offline, and can be mailed as one file.
//!
//! Plain strings, not a template crate: the reports' content is built as text
//! by their own modules, and [`escape`] is the one place text becomes HTML.
//! A template engine (maud) would escape the same five-character set but only
//! pay off if every table and list moved into its macros.

/// The style every report shares, around a report's own rules.
const STYLE_BEFORE: &str = "body{font-family:sans-serif;max-width:1240px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.35em .6em}td{text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}";
const STYLE_AFTER: &str = "figure{margin:2em 0}figcaption{font-weight:bold;margin-bottom:.5em}";

/// A whole page titled `title` (also its `<h1>`), with `style` added to the
/// shared rules and `body` after the heading.
pub fn page(title: &str, style: &str, body: &str) -> String {
    let title = escape(title);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE_BEFORE}{style}{STYLE_AFTER}</style>\n</head>\n<body>\n\
         <h1>{title}</h1>\n{body}</body>\n</html>\n"
    )
}

/// A "Charts" section: a figure per `(stem, caption)` in `charts` whose SVG
/// is in `svgs`, in the order of `charts`.
pub fn charts(charts: &[(&str, &str)], svgs: &[(&str, String)]) -> String {
    let mut h = String::from("<h2>Charts</h2>\n");
    for (stem, caption) in charts {
        if let Some((_, svg)) = svgs.iter().find(|(s, _)| s == stem) {
            h += &format!(
                "<figure>\n<figcaption>{}</figcaption>\n{}\n</figure>\n",
                escape(caption),
                inline_svg(svg)
            );
        }
    }
    h
}

/// `s` as HTML text or a double-quoted attribute value.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Inline markdown emphasis (`**x**`, `` `x` ``) to HTML, after escaping.
pub fn inline(s: &str) -> String {
    let mut out = String::new();
    let mut bold = false;
    let mut code = false;
    let e = escape(s);
    let mut rest = e.as_str();
    while let Some(i) = rest.find(['*', '`']) {
        out += &rest[..i];
        if rest[i..].starts_with("**") {
            out += if bold { "</strong>" } else { "<strong>" };
            bold = !bold;
            rest = &rest[i + 2..];
        } else if rest[i..].starts_with('`') {
            out += if code { "</code>" } else { "<code>" };
            code = !code;
            rest = &rest[i + 1..];
        } else {
            out.push('*');
            rest = &rest[i + 1..];
        }
    }
    out + rest
}

/// An SVG document made fit to inline in HTML: no XML prolog, no namespace URLs.
///
/// The chart's own `viewBox` is kept (panel charts are taller than 700 px);
/// one is added only to an SVG that has none.
fn inline_svg(svg: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    let svg = &svg[start..];
    let has_view_box = svg
        .find('>')
        .is_some_and(|end| svg[..end].contains("viewBox="));
    let attrs = if has_view_box {
        "<svg role=\"img\" style=\"max-width:100%;height:auto\""
    } else {
        "<svg role=\"img\" viewBox=\"0 0 1200 700\" style=\"max-width:100%;height:auto\""
    };
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        .replacen(" xmlns:xlink=\"http://www.w3.org/1999/xlink\"", "", 1)
        .replacen("<svg", attrs, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_escapes_its_title_and_inlines_charts_without_urls() {
        let svg = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1200\"><text>a</text></svg>".to_string();
        let body = charts(&[("a", "A & B"), ("missing", "M")], &[("a", svg)]);
        let html = page("Plan: <x>", "td.best{font-weight:bold}", &body);
        assert!(html.starts_with("<!DOCTYPE html>\n"));
        assert!(html.contains("<title>Plan: &lt;x&gt;</title>"));
        assert!(html.contains("<h1>Plan: &lt;x&gt;</h1>\n<h2>Charts</h2>\n"));
        assert!(html.contains("th{background:#f3f3f3}td.best{font-weight:bold}figure{"));
        assert!(html.contains("<figcaption>A &amp; B</figcaption>\n<svg role=\"img\""));
        assert!(!html.contains("M</figcaption>"));
        assert!(!html.contains("http") && !html.contains("<?xml"));
        assert!(html.ends_with("</svg>\n</figure>\n</body>\n</html>\n"));
    }

    #[test]
    fn inline_markdown_emphasis() {
        assert_eq!(
            inline("**5 & 6** keys, `a<b`, 2*3"),
            "<strong>5 &amp; 6</strong> keys, <code>a&lt;b</code>, 2*3"
        );
    }
}
