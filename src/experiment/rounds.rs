//! Searches in rounds: `plan` and `tune` hand each batch of independent runs
//! to a [`Rounds`] runner instead of calling [`run_jobs`] themselves.
//!
//! A round's runs are independent, but the next round depends on this
//! one's results (plan: the grid, then bisection steps, then the analysis
//! runs; tune: successive halving). [`Local`] runs every job of a round
//! here. A sharded runner (the binary's `--shard K/N`) runs only the jobs
//! whose stable hash falls into its shard, exchanges the round's results
//! with the other shards and returns the whole round, so every shard takes
//! the same next step; a replaying runner (`merge`) returns results other
//! processes recorded and simulates nothing. Whatever the runner, a
//! search sees the same results in the same order, so it writes the same
//! bytes.
//!
//! The results cross processes as [`Record`]s, so every runner needs the
//! reduced type to encode losslessly; each job names its variant by
//! canonical identity bytes (what the variant is, not where it sits in the
//! round's list), which the sharded runner hashes with the round and the
//! replication.

use super::{run_jobs, ExperimentError, Job, Record, Variant};
use crate::outcome::Outcome;
use std::path::PathBuf;

/// One round of a search.
pub struct Round<'a> {
    /// What the round is ("grid", "bisection step 2"), for messages.
    pub label: &'a str,
    pub variants: &'a [Variant],
    /// The canonical identity of each variant, in variant order.
    pub identities: &'a [Vec<u8>],
    pub jobs: &'a [Job],
    pub base_seed: u64,
}

/// Runs a search's rounds; results in job order.
pub trait Rounds: Sync {
    fn round<T: Record + Send>(
        &self,
        round: Round<'_>,
        reduce: &(dyn Fn(&Job, Outcome) -> T + Sync),
        tick: &(dyn Fn() + Sync),
    ) -> Result<Vec<T>, ExperimentError>;
}

/// Every job of every round, here, on rayon's current pool.
pub struct Local;

impl Rounds for Local {
    fn round<T: Record + Send>(
        &self,
        round: Round<'_>,
        reduce: &(dyn Fn(&Job, Outcome) -> T + Sync),
        tick: &(dyn Fn() + Sync),
    ) -> Result<Vec<T>, ExperimentError> {
        run_jobs(round.variants, round.jobs, round.base_seed, reduce, tick)
    }
}

/// Why a sharded or replayed round has no results.
#[derive(Debug, thiserror::Error)]
pub enum RoundError {
    /// Some units of the round never arrived (the wait ran out), or a
    /// replay's parts lack or repeat some: the user's to fix.
    #[error("round {round} ({label}): {detail}")]
    Incomplete {
        round: usize,
        label: String,
        detail: String,
    },
    /// A part file that does not parse or belongs to another search.
    #[error("{path}:{line}: {message}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// The OS error is the source, printed after this by `{:#}`.
    #[error("cannot {action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}
