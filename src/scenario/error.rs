//! Scenario errors that point at the file, line, column and field.

use crate::suggest::EXCERPT_CHARS;
use std::fmt;
use std::path::PathBuf;

/// A scenario that cannot be run, and where the problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub path: PathBuf,
    /// 1-based; 0 when the problem has no single place (e.g. a missing file).
    pub line: usize,
    pub column: usize,
    /// Dotted path of the field, e.g. `groups[1].arrival.rate`.
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
    /// The offending source line, for the caret display.
    pub source_line: Option<String>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if self.field.is_empty() {
            write!(f, ": {}", self.message)?;
        } else {
            write!(f, ": field `{}`: {}", self.field, self.message)?;
        }
        if let Some(src) = &self.source_line {
            let (shown, caret) = window(src, self.column.saturating_sub(1));
            let gutter = self.line.to_string();
            write!(
                f,
                "\n {gutter} | {shown}\n {} | {}^",
                " ".repeat(gutter.len()),
                " ".repeat(caret)
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// At most [`EXCERPT_CHARS`] characters of `line` around the 0-based
/// character `column`, with `…` where it was cut, and the caret's place in
/// what is shown: a 100,000-character line is not echoed whole.
fn window(line: &str, column: usize) -> (String, usize) {
    let chars = line.chars().count();
    if chars <= EXCERPT_CHARS {
        return (line.to_string(), column);
    }
    let start = column
        .saturating_sub(EXCERPT_CHARS / 2)
        .min(chars - EXCERPT_CHARS);
    let body: String = line.chars().skip(start).take(EXCERPT_CHARS).collect();
    let before = if start > 0 { "…" } else { "" };
    let after = if start + EXCERPT_CHARS < chars {
        "…"
    } else {
        ""
    };
    (
        format!("{before}{body}{after}"),
        column - start + usize::from(start > 0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_shown_around_the_caret() {
        let line = format!("name = \"{}\" = 3", "x".repeat(100_000));
        let column = line.find(" = 3").unwrap() + 1;
        let (shown, caret) = window(&line, column);
        assert!(shown.starts_with('…') && shown.chars().count() <= EXCERPT_CHARS + 2);
        assert_eq!(shown.chars().nth(caret), Some('='));
        assert_eq!(window("seed = = 3", 7), ("seed = = 3".to_string(), 7));
    }
}
