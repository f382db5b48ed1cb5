//! Finding a field's place in the scenario source.
//!
//! Validation names fields by a dotted path (`groups[1].arrival.rate`); this
//! module walks the format-preserving TOML document to turn that path into a
//! byte offset, then into a line and column. A field that is missing is
//! reported at the table that should hold it.

use std::ops::Range;
use toml_edit::{ImDocument, Item};

/// Byte range of the deepest part of `path` present in `source`.
pub fn span_of(source: &str, path: &str) -> Option<Range<usize>> {
    let doc = ImDocument::parse(source).ok()?;
    let mut item: &Item = doc.as_item();
    let mut best = None;
    for seg in segments(path) {
        let next = match seg {
            Seg::Key(k) => item.get(k),
            Seg::Index(i) => item.get(i),
        };
        match next {
            Some(n) => {
                item = n;
                if let Some(s) = span_item(n) {
                    best = Some(s);
                }
            }
            None => break,
        }
    }
    best
}

fn span_item(item: &Item) -> Option<Range<usize>> {
    match item {
        Item::Table(t) => t.span(),
        Item::Value(v) => v.span(),
        Item::ArrayOfTables(a) => a.span(),
        Item::None => None,
    }
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Seg::Key(key));
        }
        for idx in rest.split('[') {
            if let Ok(i) = idx.trim_end_matches(']').parse() {
                out.push(Seg::Index(i));
            }
        }
    }
    out
}

/// 1-based line and column (in characters) of byte `offset`.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The text of 1-based `line`.
pub fn line_text(source: &str, line: usize) -> Option<String> {
    source.lines().nth(line.checked_sub(1)?).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_fields() {
        let src = "name = \"x\"\n\n[[groups]]\nname = \"a\"\n\n[[groups]]\nname = \"b\"\narrival = { process = \"poisson\", rate = \"-3/s\" }\n";
        let span = span_of(src, "groups[1].arrival.rate").unwrap();
        assert_eq!(&src[span.clone()], "\"-3/s\"");
        assert_eq!(line_col(src, span.start), (8, 41));
        // A missing field is reported at its parent.
        let span = span_of(src, "groups[1].arrival.workers").unwrap();
        assert!(src[span].starts_with("{ process"));
    }
}
