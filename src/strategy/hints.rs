//! Server hints: `Retry-After` and the `x-ratelimit-reset-*` headers.
//!
//! A strategy with a `hints` table waits what the server asks instead of its
//! own schedule, within limits the sources disagree on, so each is a setting:
//! which hints are read, which wins when both exist, the largest wait trusted
//! and what happens above it (openai-python before 2026 ignored a
//! `Retry-After` above 60 s and fell back to its schedule; since then it
//! gives up above 120 s; header-aware clients clamp), and a uniform jitter
//! added to the hinted wait (Venice's own example adds up to 250 ms).
//!
//! A client reads only headers: it tells a request limit from a token limit
//! by which `remaining` header is exhausted, never by the server's cause.

use super::config::{toml_duration, Fields, Result};
use super::RetryCtx;
use crate::policy::HeaderUnits;
use crate::response::Status;
use crate::rng::Rng;
use crate::time::Nanos;

/// Which hint wins when an answer carries both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefer {
    RetryAfter,
    Reset,
    /// The longer of the two.
    Longer,
}

/// What to do with a hinted wait above `cap`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AboveCap {
    /// Wait `cap`.
    Clamp,
    /// Disregard the hint and use the schedule.
    Ignore,
    /// Do not retry at all.
    GiveUp,
}

/// How a strategy treats server hints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hints {
    pub retry_after: bool,
    pub reset: bool,
    pub prefer: Prefer,
    pub cap: Option<Nanos>,
    pub above_cap: AboveCap,
    pub jitter: Nanos,
}

/// The outcome of reading the hints of one answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hint {
    Wait(Nanos),
    /// No usable hint: the schedule decides.
    None,
    GiveUp,
}

const PREFER: [(&str, Prefer); 3] = [
    ("retry-after", Prefer::RetryAfter),
    ("reset", Prefer::Reset),
    ("longer", Prefer::Longer),
];
const ABOVE: [(&str, AboveCap); 3] = [
    ("clamp", AboveCap::Clamp),
    ("ignore", AboveCap::Ignore),
    ("give-up", AboveCap::GiveUp),
];

impl Hints {
    pub const KEYS: &'static [&'static str] = &[
        "retry_after",
        "reset",
        "prefer",
        "cap",
        "above_cap",
        "jitter",
    ];

    pub(crate) fn parse(f: &Fields<'_>) -> Result<Hints> {
        let prefer = f.choice("prefer", &["retry-after", "reset", "longer"], "retry-after")?;
        let above = f.choice("above_cap", &["clamp", "ignore", "give-up"], "clamp")?;
        Ok(Hints {
            retry_after: f.bool("retry_after", true)?,
            reset: f.bool("reset", false)?,
            prefer: PREFER
                .iter()
                .find(|(n, _)| *n == prefer)
                .expect("a listed choice")
                .1,
            cap: f.opt_positive_duration("cap")?,
            above_cap: ABOVE
                .iter()
                .find(|(n, _)| *n == above)
                .expect("a listed choice")
                .1,
            jitter: f.duration("jitter", Nanos::ZERO)?,
        })
    }

    /// `key = value` pairs as a `hints` table writes them (`cap` only when set).
    pub fn describe(&self) -> String {
        let name = |p| PREFER.iter().find(|(_, v)| *v == p).expect("listed").0;
        let above = ABOVE
            .iter()
            .find(|(_, v)| *v == self.above_cap)
            .expect("listed")
            .0;
        let mut parts = vec![
            format!("retry_after = {}", self.retry_after),
            format!("reset = {}", self.reset),
            format!("prefer = \"{}\"", name(self.prefer)),
        ];
        if let Some(cap) = self.cap {
            parts.push(format!("cap = {}", toml_duration(cap)));
        }
        parts.push(format!("above_cap = \"{above}\""));
        parts.push(format!("jitter = {}", toml_duration(self.jitter)));
        parts.join(", ")
    }

    /// What the hints of `ctx.response` say. Draws from `rng` only when a
    /// hinted wait gets jitter.
    pub fn decide(&self, ctx: &RetryCtx<'_>, rng: &mut Rng) -> Hint {
        let after = if self.retry_after {
            retry_after(ctx)
        } else {
            None
        };
        let reset = if self.reset { reset_wait(ctx) } else { None };
        let wait = match (self.prefer, after, reset) {
            (_, None, None) => return Hint::None,
            (Prefer::Longer, Some(a), Some(r)) => a.max(r),
            (Prefer::Reset, a, r) => r.or(a).expect("one is set"),
            (_, a, r) => a.or(r).expect("one is set"),
        };
        let wait = match self.cap {
            Some(cap) if wait > cap => match self.above_cap {
                AboveCap::Clamp => cap,
                AboveCap::Ignore => return Hint::None,
                AboveCap::GiveUp => return Hint::GiveUp,
            },
            _ => wait,
        };
        if self.jitter == Nanos::ZERO {
            Hint::Wait(wait)
        } else {
            Hint::Wait(wait + super::backoff::scaled(self.jitter, rng))
        }
    }
}

/// `Retry-After`, when the server sent a positive one (the SDKs ignore zero).
pub fn retry_after(ctx: &RetryCtx<'_>) -> Option<Nanos> {
    ctx.response.retry_after.filter(|d| *d > Nanos::ZERO)
}

/// For a 429: the wait until the limit the headers show exhausted resets.
///
/// Tokens count as exhausted when requests remain but fewer tokens remain than
/// this request needs; then `x-ratelimit-reset-tokens` (seconds from now)
/// applies. Otherwise `x-ratelimit-reset-requests` (a Unix time in the
/// scenario's units) applies, which is also what a client does when neither
/// looks exhausted (an abuse block), as Venice's own example reads it.
pub fn reset_wait(ctx: &RetryCtx<'_>) -> Option<Nanos> {
    let r = ctx.response;
    if r.status != Status::TooMany {
        return None;
    }
    let h = &r.headers;
    let tokens_short = h.remaining_requests != Some(0)
        && h.remaining_tokens
            .is_some_and(|left| left < ctx.tokens.max(1));
    if tokens_short {
        if let Some(secs) = h.reset_tokens {
            return Some(Nanos::from_secs(secs));
        }
    }
    let reset = h.reset_requests?;
    Some(unix_reset(ctx.clock, ctx.header_units, reset).saturating_sub(ctx.now))
}

/// The virtual instant of an `x-ratelimit-reset-requests` value.
pub fn unix_reset(clock: crate::time::Clock, units: HeaderUnits, reset: u64) -> Nanos {
    let ms = match units {
        HeaderUnits::Seconds => reset.saturating_mul(1000),
        HeaderUnits::Milliseconds => reset,
    };
    clock.from_unix_ms(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::{Headers, Response};
    use crate::time::Clock;

    fn hints(text: &str) -> Hints {
        let t: toml::Table = toml::from_str(text).unwrap();
        Hints::parse(&Fields::new(&t, "hints.")).unwrap()
    }

    fn decide(h: &Hints, retry_after_s: Option<u64>, reset_at_s: u64) -> Hint {
        let r = Response {
            status: Status::TooMany,
            cause: None,
            headers: Headers {
                remaining_requests: Some(0),
                reset_requests: Some(reset_at_s),
                ..Headers::default()
            },
            retry_after: retry_after_s.map(Nanos::from_secs),
        };
        let ctx = RetryCtx {
            retry: 1,
            prev_delay: Nanos::ZERO,
            response: &r,
            now: Nanos::ZERO,
            clock: Clock { start_unix_ms: 0 },
            header_units: HeaderUnits::Seconds,
            tokens: 1,
        };
        h.decide(
            &ctx,
            &mut crate::rng::stream(1, "h", crate::rng::Purpose::Strategy),
        )
    }

    #[test]
    fn the_cap_rules_of_each_sdk_generation() {
        let legacy = hints(
            r#"cap = "60s"
above_cap = "ignore""#,
        );
        assert_eq!(
            decide(&legacy, Some(30), 0),
            Hint::Wait(Nanos::from_secs(30))
        );
        assert_eq!(decide(&legacy, Some(90), 0), Hint::None);
        let current = hints(
            r#"cap = "120s"
above_cap = "give-up""#,
        );
        assert_eq!(
            decide(&current, Some(90), 0),
            Hint::Wait(Nanos::from_secs(90))
        );
        assert_eq!(decide(&current, Some(121), 0), Hint::GiveUp);
        let clamp = hints(r#"cap = "10s""#);
        assert_eq!(
            decide(&clamp, Some(30), 0),
            Hint::Wait(Nanos::from_secs(10))
        );
        // Reset headers are read only when asked for.
        assert_eq!(decide(&clamp, None, 40), Hint::None);
    }

    #[test]
    fn which_hint_wins() {
        let both = |prefer: &str| hints(&format!("reset = true\nprefer = \"{prefer}\""));
        assert_eq!(
            decide(&both("retry-after"), Some(5), 40),
            Hint::Wait(Nanos::from_secs(5))
        );
        assert_eq!(
            decide(&both("reset"), Some(5), 40),
            Hint::Wait(Nanos::from_secs(40))
        );
        assert_eq!(
            decide(&both("longer"), Some(50), 40),
            Hint::Wait(Nanos::from_secs(50))
        );
        assert_eq!(
            decide(&both("reset"), Some(5), 0),
            Hint::Wait(Nanos::ZERO),
            "a past reset waits nothing"
        );
        let jittered = hints("reset = true\njitter = \"250ms\"");
        let Hint::Wait(w) = decide(&jittered, None, 40) else {
            panic!()
        };
        assert!(w >= Nanos::from_secs(40) && w < Nanos::from_millis(40_250));
    }
}
