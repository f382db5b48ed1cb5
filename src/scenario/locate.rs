//! Finding a field's place in the scenario source.
//!
//! Validation names fields by a dotted path (`groups[1].arrival.rate`); this
//! module walks the format-preserving TOML document to turn that path into a
//! byte offset, then into a line and column. A field that is missing is
//! reported at the table that should hold it. The other way round,
//! [`fields`] lists every key with its path and place, so an error serde
//! reports at a byte offset (a wrong type, an unknown key) can name the field.

use std::ops::Range;
use toml_edit::{ImDocument, Item, Value};

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

/// The keys and indices of a dotted path; a key in double quotes may hold
/// dots (`sweep.set."groups.app.strategy.base"[1]`).
fn segments(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            out.push(Seg::Key(&quoted[..end]));
            rest = quoted.get(end + 1..).unwrap_or("");
        } else if let Some(inner) = rest.strip_prefix('[') {
            let end = inner.find(']').unwrap_or(inner.len());
            if let Ok(i) = inner[..end].parse() {
                out.push(Seg::Index(i));
            }
            rest = inner.get(end + 1..).unwrap_or("");
        } else if let Some(next) = rest.strip_prefix('.') {
            rest = next;
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            out.push(Seg::Key(&rest[..end]));
            rest = &rest[end..];
        }
    }
    out
}

/// A key of the document: its dotted path, where the key and its value sit,
/// and the value described as serde describes an unexpected one
/// (`integer \`300\``, `string "300"`, `map`).
pub struct Field {
    pub path: String,
    pub key: Range<usize>,
    pub value: Range<usize>,
    pub described: String,
}

/// Every key and array element of `source`, parents before children, in
/// file order within a table; empty when `source` is not TOML.
pub fn fields(source: &str) -> Vec<Field> {
    let mut out = Vec::new();
    if let Ok(doc) = ImDocument::parse(source) {
        collect_item(doc.as_item(), "", None, &mut out);
    }
    out
}

/// The deepest field whose key or value holds byte `offset`.
pub fn field_at(fields: &[Field], offset: usize) -> Option<&Field> {
    let holds = |r: &Range<usize>| r.start <= offset && offset < r.end.max(r.start + 1);
    fields
        .iter()
        .filter(|f| holds(&f.key) || holds(&f.value))
        .max_by_key(|f| f.path.len())
}

fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn push(
    out: &mut Vec<Field>,
    path: &str,
    key: Option<Range<usize>>,
    value: Option<Range<usize>>,
    described: String,
) {
    let value = value.or_else(|| key.clone()).unwrap_or(0..0);
    out.push(Field {
        path: path.to_string(),
        key: key.unwrap_or_else(|| value.clone()),
        value,
        described,
    });
}

fn collect_item(item: &Item, path: &str, key: Option<Range<usize>>, out: &mut Vec<Field>) {
    match item {
        Item::Value(v) => collect_value(v, path, key, out),
        Item::Table(t) => {
            if !path.is_empty() {
                push(out, path, key, t.span(), "map".into());
            }
            for (k, child) in t.iter() {
                let key_span = t.key(k).and_then(|k| k.span());
                collect_item(child, &child_path(path, k), key_span, out);
            }
        }
        Item::ArrayOfTables(a) => {
            push(out, path, key, a.span(), "sequence".into());
            for (i, t) in a.iter().enumerate() {
                let p = format!("{path}[{i}]");
                push(out, &p, t.span(), t.span(), "map".into());
                for (k, child) in t.iter() {
                    let key_span = t.key(k).and_then(|k| k.span());
                    collect_item(child, &child_path(&p, k), key_span, out);
                }
            }
        }
        Item::None => {}
    }
}

fn collect_value(v: &Value, path: &str, key: Option<Range<usize>>, out: &mut Vec<Field>) {
    let described = match v {
        Value::String(s) => format!("string {:?}", s.value()),
        Value::Integer(i) => format!("integer `{}`", i.value()),
        Value::Float(f) => format!("floating point `{}`", f.value()),
        Value::Boolean(b) => format!("boolean `{}`", b.value()),
        Value::Datetime(_) => "datetime".into(),
        Value::Array(_) => "sequence".into(),
        Value::InlineTable(_) => "map".into(),
    };
    push(out, path, key, v.span(), described);
    match v {
        Value::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                collect_value(e, &format!("{path}[{i}]"), None, out);
            }
        }
        Value::InlineTable(t) => {
            for (k, e) in t.iter() {
                let key_span = t.key(k).and_then(|k| k.span());
                collect_value(e, &child_path(path, k), key_span, out);
            }
        }
        _ => {}
    }
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
        // A quoted key may hold dots.
        let src = "[sweep]\nset = { \"groups.app.base\" = [\"1s\", \"x\"] }\n";
        let span = span_of(src, "sweep.set.\"groups.app.base\"[1]").unwrap();
        assert_eq!(&src[span], "\"x\"");
    }

    #[test]
    fn offsets_name_the_deepest_field() {
        let src = "seed = \"300\"\n[[groups]]\nname = \"a\"\narrival = { process = \"poisson\", rate = 60 }\n";
        let fields = fields(src);
        let at =
            |needle: &str| field_at(&fields, src.find(needle).unwrap()).map(|f| f.path.as_str());
        assert_eq!(at("\"300\""), Some("seed"));
        assert_eq!(at("{ process"), Some("groups[0].arrival"));
        assert_eq!(at("60"), Some("groups[0].arrival.rate"));
        assert_eq!(at("name"), Some("groups[0].name"));
        let rate = fields
            .iter()
            .find(|f| f.path == "groups[0].arrival.rate")
            .unwrap();
        assert_eq!(rate.described, "integer `60`");
    }
}
