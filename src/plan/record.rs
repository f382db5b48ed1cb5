//! A plan [`Point`] as an [`experiment::Record`](crate::experiment::Record):
//! every field, in declaration order, so a sharded plan's shards and its
//! merge continue with the very point the owner measured.

use super::{LimitUse, Point, ScopeStats};
use crate::experiment::record::{DecodeError, Decoder, Encoder};
use crate::experiment::Record;
use crate::outcome::LockoutBlock;
use crate::policy::{Counts, LimitSpec};
use crate::response::CAUSES;
use crate::time::Nanos;
use std::collections::BTreeMap;

impl Record for ScopeStats {
    fn encode(&self, e: &mut Encoder) {
        for x in [
            self.arrivals,
            self.attempts,
            self.succeeded,
            self.gave_up,
            self.unservable,
            self.in_flight,
        ] {
            e.u64(x);
        }
        for &x in &self.rejected {
            e.u64(x);
        }
        e.u64(self.errors_5xx);
        e.u64(self.tokens);
        e.f64(self.p50_s);
        e.f64(self.p99_s);
        e.f64(self.locked_out_s);
        e.len(self.keys.len());
        for &k in &self.keys {
            e.u32(k);
        }
    }

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let mut s = ScopeStats {
            arrivals: d.u64("arrivals")?,
            attempts: d.u64("attempts")?,
            succeeded: d.u64("succeeded")?,
            gave_up: d.u64("gave_up")?,
            unservable: d.u64("unservable")?,
            in_flight: d.u64("in_flight")?,
            ..ScopeStats::default()
        };
        let mut rejected = [0; CAUSES];
        for r in &mut rejected {
            *r = d.u64("rejected")?;
        }
        s.rejected = rejected;
        s.errors_5xx = d.u64("errors_5xx")?;
        s.tokens = d.u64("tokens")?;
        s.p50_s = d.f64("p50_s")?;
        s.p99_s = d.f64("p99_s")?;
        s.locked_out_s = d.f64("locked_out_s")?;
        let n = d.len("keys", 1)?;
        s.keys = (0..n).map(|_| d.u32("key")).collect::<Result<_, _>>()?;
        Ok(s)
    }
}

impl Record for LimitUse {
    fn encode(&self, e: &mut Encoder) {
        e.u32(self.model);
        e.bool(self.limit.counts == Counts::Tokens);
        e.u64(self.limit.window.0);
        e.u64(self.limit.amount);
        e.f64(self.utilisation);
        e.u64(self.refused);
        e.u32(self.keys);
        e.bool(self.minutes.is_some());
        if let Some((p95, max)) = self.minutes {
            e.f64(p95);
            e.f64(max);
        }
    }

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let model = d.u32("limit model")?;
        let counts = if d.bool("limit counts tokens")? {
            Counts::Tokens
        } else {
            Counts::Requests
        };
        let limit = LimitSpec {
            counts,
            window: Nanos(d.u64("limit window")?),
            amount: d.u64("limit amount")?,
        };
        let utilisation = d.f64("utilisation")?;
        let refused = d.u64("refused")?;
        let keys = d.u32("limit keys")?;
        let minutes = if d.bool("has busiest minutes")? {
            Some((d.f64("busiest minutes p95")?, d.f64("busiest minute")?))
        } else {
            None
        };
        Ok(LimitUse {
            model,
            limit,
            utilisation,
            refused,
            keys,
            minutes,
        })
    }
}

impl Record for Point {
    fn encode(&self, e: &mut Encoder) {
        e.f64(self.factor);
        e.u32(self.replication);
        e.u64(self.seed);
        self.all.encode(e);
        e.len(self.models.len());
        for (&m, s) in &self.models {
            e.u32(m);
            s.encode(e);
        }
        e.len(self.limits.len());
        for l in &self.limits {
            l.encode(e);
        }
        e.len(self.key_lockout_s.len());
        for (key, s) in &self.key_lockout_s {
            e.str(key);
            e.f64(*s);
        }
        e.len(self.lockouts.len());
        for b in &self.lockouts {
            e.u32(b.key);
            e.u64(b.start.0);
            e.u64(b.end.0);
            e.len(b.groups.len());
            for &g in &b.groups {
                e.u32(g);
            }
        }
        e.u64(self.events);
    }

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let factor = d.f64("factor")?;
        let replication = d.u32("replication")?;
        let seed = d.u64("seed")?;
        let all = ScopeStats::decode(d)?;
        let mut models = BTreeMap::new();
        for _ in 0..d.len("models", 2)? {
            let m = d.u32("model")?;
            models.insert(m, ScopeStats::decode(d)?);
        }
        let n = d.len("limits", 8)?;
        let limits = (0..n)
            .map(|_| LimitUse::decode(d))
            .collect::<Result<_, _>>()?;
        let mut key_lockout_s = Vec::new();
        for _ in 0..d.len("key lockouts", 2)? {
            let key = d.str("key name")?;
            key_lockout_s.push((key, d.f64("key locked out")?));
        }
        let mut lockouts = Vec::new();
        for _ in 0..d.len("lockout blocks", 4)? {
            let key = d.u32("block key")?;
            let start = Nanos(d.u64("block start")?);
            let end = Nanos(d.u64("block end")?);
            let n = d.len("block groups", 1)?;
            let groups = (0..n)
                .map(|_| d.u32("block group"))
                .collect::<Result<_, _>>()?;
            lockouts.push(LockoutBlock {
                key,
                start,
                end,
                groups,
            });
        }
        Ok(Point {
            factor,
            replication,
            seed,
            all,
            models,
            limits,
            key_lockout_s,
            lockouts,
            events: d.u64("events")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::experiment::record::{decode, encode};
    use crate::plan::{simulate_at, Point};

    /// A point with lockouts, several models and limits survives the trip
    /// to the bit (compared through its encoding, which spells every f64's bits).
    #[test]
    fn a_measured_point_round_trips() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/plan-quickstart.toml");
        let sc = crate::scenario::load(&path).unwrap();
        let p = simulate_at(&sc, 2.0, 1, 12).unwrap();
        assert!(p.models.len() > 1 && !p.limits.is_empty());
        let line = encode(&p);
        let back: Point = decode(&line).unwrap();
        assert_eq!(back, p);
        assert_eq!(encode(&back), line);
    }
}
