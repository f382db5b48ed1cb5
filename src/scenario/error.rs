//! Scenario errors that point at the file, line, column and field.

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
            let gutter = self.line.to_string();
            write!(
                f,
                "\n {gutter} | {src}\n {} | {}^",
                " ".repeat(gutter.len()),
                " ".repeat(self.column.saturating_sub(1))
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}
