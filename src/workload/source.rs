//! The stream of recorded requests a trace group replays.
//!
//! The engine pulls rows through this trait, so it never opens a file: the
//! caller opens a [`TraceReader`] (or an importer, or a time-compressed
//! wrapper) and hands it over.

use super::{TraceError, TraceReader, TraceRow};
use crate::policy::KeyId;
use std::io::Read;

/// A stream of recorded requests for one trace group.
pub trait TraceSource {
    fn next_row(&mut self) -> Option<Result<TraceRow, TraceError>>;
    /// Name of a key id the source handed out.
    fn key_name(&self, key: KeyId) -> &str;
}

impl<R: Read> TraceSource for TraceReader<R> {
    fn next_row(&mut self) -> Option<Result<TraceRow, TraceError>> {
        self.next()
    }

    fn key_name(&self, key: KeyId) -> &str {
        &self.keys()[key as usize]
    }
}
