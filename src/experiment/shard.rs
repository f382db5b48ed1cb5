//! Sharding jobs across processes: `--shard K/N`, the batch engines'
//! conventions for it, and the stable hash that puts a unit of work in a
//! shard.
//!
//! The hash is FNV-1a (64 bit) over a canonical byte encoding of the unit,
//! never std's randomly keyed hasher, so a unit lands on the same shard on
//! every machine, build and run; `sweep` and `compare` each define their
//! unit's encoding.
//!
//! Shards are numbered from 0: `0/4` .. `3/4`. Without the flag, a shard is
//! read from the environment:
//! - Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` (set by Kubernetes)
//!   with `JOB_COMPLETIONS`, which the manifest must set to the job's
//!   `completions` (Kubernetes does not export it);
//! - Slurm arrays: `SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN`
//!   (an array may start at 1) with `SLURM_ARRAY_TASK_COUNT`.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, 64 bit, of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_more(FNV_OFFSET, bytes)
}

/// Continues an FNV-1a hash `h` over `bytes`.
pub fn fnv1a_more(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// Shard `index` of `count` (index < count).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

/// The most shards a grid may be split into.
pub const MAX_SHARDS: u64 = 1_000_000;

impl Shard {
    /// Parses `K/N` (`what` names where the text came from, for errors).
    pub fn parse(text: &str, what: &str) -> Result<Shard, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("{what}: expected K/N (e.g. 0/4), found {text:?}"))?;
        let k: u64 = k
            .trim()
            .parse()
            .map_err(|_| format!("{what}: expected a whole shard index K in K/N, found {k:?}"))?;
        let n: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("{what}: expected a whole shard count N in K/N, found {n:?}"))?;
        Shard::new(k, n, what)
    }

    fn new(index: u64, count: u64, what: &str) -> Result<Shard, String> {
        if count == 0 || count > MAX_SHARDS {
            return Err(format!(
                "{what}: expected a shard count from 1 to {MAX_SHARDS}, found {count}"
            ));
        }
        if index >= count {
            return Err(format!(
                "{what}: shard index {index} is not below the shard count {count} (shards count from 0)"
            ));
        }
        Ok(Shard { index, count })
    }

    /// The shard the environment names, if any: `env` looks a variable up.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Shard>, String> {
        let num = |name: &str| -> Result<Option<u64>, String> {
            match env(name) {
                None => Ok(None),
                Some(v) => v.trim().parse().map(Some).map_err(|_| {
                    format!("environment variable {name}: expected a whole number, found {v:?}")
                }),
            }
        };
        if let Some(index) = num("JOB_COMPLETION_INDEX")? {
            let count = num("JOB_COMPLETIONS")?.ok_or_else(|| {
                "environment variable JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not: set it to the Job's `completions` in the manifest (see docs/distributed.md)".to_string()
            })?;
            return Shard::new(index, count, "JOB_COMPLETION_INDEX/JOB_COMPLETIONS").map(Some);
        }
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let count = num("SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
                "environment variable SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not".to_string()
            })?;
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let index = id.checked_sub(min).ok_or_else(|| {
                format!("SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {min}")
            })?;
            return Shard::new(index, count, "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT")
                .map(Some);
        }
        Ok(None)
    }

    /// Whether the unit of hash `hash` belongs to this shard.
    pub fn holds(&self, hash: u64) -> bool {
        hash % self.count == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        // From the FNV reference (draft-eastlake-fnv): "" and "a".
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
