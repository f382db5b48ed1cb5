//! The server side of the simulation: every key's windows and lockout.
//!
//! One [`Limiter`] answers every attempt the way the provider would: a blocked
//! key is refused first; then each limit of the model is checked in order and
//! the first that would be exceeded answers 429, with nothing counted; only
//! when all fit is the attempt counted against all of them. It also writes the
//! `x-ratelimit-*` headers a client sees, so header-reading strategies react
//! to the same state the limiter enforces.
//!
//! Counters are per (key, model), as the provider scopes them, or per model
//! for the whole account under [`LimitScope::Account`] (every key shares
//! them); the lockout is per key across models under both. A counter gets
//! its windows on first use, so a run with many keys and models only pays
//! for the pairs it touches, and nothing is allocated per attempt after that.

use crate::policy::lockout::Lockout;
use crate::policy::window::{capacity, AnyWindow};
use crate::policy::{
    Counts, HeaderUnits, KeyId, LimitScope, LimitSpec, LockoutConfig, ModelId, Policy, WindowAlgo,
};
use crate::response::{Cause, Headers, Status};
use crate::time::{Clock, Nanos};

/// The decision on one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// Refused by the model's limit of this index (in the model's limit order).
    Limited(usize),
    /// Refused because the key is blocked by the abuse lockout.
    LockedOut,
}

/// What one limit of one (key, model) did over a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitStats {
    pub key: KeyId,
    pub model: ModelId,
    pub limit: LimitSpec,
    /// Units admitted (requests, or tokens for a token limit).
    pub admitted: u64,
    /// Attempts this limit refused (the first limit that would be exceeded
    /// refuses; later ones are not asked).
    pub refused: u64,
    /// Windows of the limit's length the run covered (see [`capacity`]).
    pub windows: u64,
    /// The most the limit could have admitted over the run.
    pub capacity: u64,
}

impl LimitStats {
    /// Admitted / capacity.
    pub fn utilisation(&self) -> f64 {
        if self.capacity == 0 {
            0.0
        } else {
            self.admitted as f64 / self.capacity as f64
        }
    }
}

/// The limit counters of one key (or of the account).
#[derive(Clone, Debug)]
struct Counters {
    /// Indexed by model: one window per limit of the model, in the model's
    /// limit order; empty until the pair is first used.
    windows: Vec<Vec<AnyWindow>>,
    /// Refusals by each of those windows, same shape.
    refused: Vec<Vec<u64>>,
    /// By model: the key that first used the counters (the key the
    /// account's counters are reported under).
    first_key: Vec<KeyId>,
}

impl Counters {
    fn new(models: usize) -> Counters {
        Counters {
            windows: vec![Vec::new(); models],
            refused: vec![Vec::new(); models],
            first_key: vec![0; models],
        }
    }
}

/// Every key's counters and lockout under one policy.
#[derive(Clone, Debug)]
pub struct Limiter {
    algo: WindowAlgo,
    clock: Clock,
    header_units: HeaderUnits,
    scope: LimitScope,
    /// Unix time of virtual zero, which fixes where fixed windows start.
    offset: Nanos,
    /// The limits of each model, by model index.
    limits: Vec<Vec<LimitSpec>>,
    /// By model: the smallest amount of its token limits (`u64::MAX` if it
    /// has none), below which a request always fits some window.
    least_tokens: Vec<u64>,
    lockout: LockoutConfig,
    /// By key.
    lockouts: Vec<Lockout>,
    /// By key under key scope; one set under account scope.
    counters: Vec<Counters>,
}

impl Limiter {
    /// A limiter for `keys` keys, with fixed windows aligned to `clock`'s Unix time.
    pub fn new(policy: &Policy, keys: usize, clock: Clock) -> Limiter {
        let models = policy.models.len();
        let mut limiter = Limiter {
            algo: policy.window,
            clock,
            header_units: policy.header_units,
            scope: policy.scope,
            offset: Nanos(clock.start_unix_ms.saturating_mul(1_000_000)),
            limits: policy.models.iter().map(|m| m.limits.clone()).collect(),
            least_tokens: policy
                .models
                .iter()
                .map(|m| {
                    m.limits
                        .iter()
                        .filter(|l| l.counts == Counts::Tokens)
                        .map(|l| l.amount)
                        .min()
                        .unwrap_or(u64::MAX)
                })
                .collect(),
            lockout: policy.lockout.clone(),
            lockouts: Vec::with_capacity(keys),
            counters: match policy.scope {
                LimitScope::Key => Vec::with_capacity(keys),
                LimitScope::Account => vec![Counters::new(models)],
            },
        };
        for _ in 0..keys {
            limiter.add_key();
        }
        limiter
    }

    /// Adds a key (e.g. one first seen while replaying a trace) and returns its id.
    pub fn add_key(&mut self) -> KeyId {
        self.lockouts.push(Lockout::new(&self.lockout));
        if self.scope == LimitScope::Key {
            self.counters.push(Counters::new(self.limits.len()));
        }
        (self.lockouts.len() - 1) as KeyId
    }

    /// Decides one attempt of `tokens` tokens at `now`: lockout first
    /// (`LockedOut`), then every limit of the model in order (the first that
    /// would be exceeded refuses, `Limited(i)`, and nothing is counted unless
    /// all fit), then counts it against all of them.
    /// Returns the decision and the headers as the client sees them after it.
    ///
    /// `key` must come from [`Limiter::new`] or [`Limiter::add_key`], `model`
    /// from the policy the limiter was built with.
    pub fn admit(
        &mut self,
        now: Nanos,
        key: KeyId,
        model: ModelId,
        tokens: u64,
    ) -> (Admission, Headers) {
        let admission = self.decide(now, key, model, tokens);
        let specs = &self.limits[model as usize];
        let c = counters(
            &mut self.counters,
            self.scope,
            key,
            model,
            specs,
            self.algo,
            self.offset,
        );
        let headers = headers(
            &mut c.windows[model as usize],
            specs,
            now,
            self.clock,
            self.header_units,
        );
        (admission, headers)
    }

    /// [`Limiter::admit`] without the headers, for clients that never read
    /// them: the same decision and the same state afterwards (reading a
    /// window's remaining amount and reset only brings it up to `now`, which
    /// the decision already did).
    pub fn decide(&mut self, now: Nanos, key: KeyId, model: ModelId, tokens: u64) -> Admission {
        let specs = &self.limits[model as usize];
        let c = counters(
            &mut self.counters,
            self.scope,
            key,
            model,
            specs,
            self.algo,
            self.offset,
        );
        if self.lockouts[key as usize].blocked(now) {
            return Admission::LockedOut;
        }
        let windows = &mut c.windows[model as usize];
        let charge = |spec: &LimitSpec| match spec.counts {
            Counts::Requests => 1,
            Counts::Tokens => tokens,
        };
        let exceeded = windows
            .iter_mut()
            .zip(specs)
            .position(|(window, spec)| !window.fits(now, charge(spec)));
        match exceeded {
            Some(i) => {
                count_refusal(&mut c.refused[model as usize], specs.len(), i);
                Admission::Limited(i)
            }
            None => {
                for (window, spec) in windows.iter_mut().zip(specs) {
                    window.commit(now, charge(spec));
                }
                Admission::Admitted
            }
        }
    }

    /// Whether `key` is blocked by the abuse lockout at `now`.
    pub fn is_locked_out(&self, now: Nanos, key: KeyId) -> bool {
        self.lockouts[key as usize].blocked(now)
    }

    /// Charges `tokens` of output against the model's token limits when a
    /// response completes (input-then-output accounting). This may take a
    /// window past its limit; later admissions wait until it drains.
    pub fn charge_output(&mut self, now: Nanos, key: KeyId, model: ModelId, tokens: u64) {
        let specs = &self.limits[model as usize];
        let c = counters(
            &mut self.counters,
            self.scope,
            key,
            model,
            specs,
            self.algo,
            self.offset,
        );
        for (window, spec) in c.windows[model as usize].iter_mut().zip(specs) {
            if spec.counts == Counts::Tokens {
                window.commit(now, tokens);
            }
        }
    }

    /// The cause a 429 of `admission` for `model` is counted under (`None`
    /// when admitted).
    pub fn cause(&self, model: ModelId, admission: Admission) -> Option<Cause> {
        match admission {
            Admission::Admitted => None,
            Admission::Limited(i) => Some(self.limits[model as usize][i].cause()),
            Admission::LockedOut => Some(Cause::Lockout),
        }
    }

    /// Feeds the key's lockout with the final status of an attempt sent by
    /// client group `group`; true when a block started or was extended.
    pub fn record_status(
        &mut self,
        now: Nanos,
        key: KeyId,
        status: Status,
        was_lockout_refusal: bool,
        group: u32,
    ) -> bool {
        self.lockouts[key as usize].record(now, status, was_lockout_refusal, group)
    }

    /// The token limit a request of `tokens` can never pass, exceeding its
    /// amount on its own (the first such limit, by index), if any.
    #[inline]
    pub fn never_fits(&self, model: ModelId, tokens: u64) -> Option<usize> {
        if tokens <= self.least_tokens[model as usize] {
            return None;
        }
        self.limits[model as usize]
            .iter()
            .position(|spec| spec.counts == Counts::Tokens && tokens > spec.amount)
    }

    /// Counts a refusal by limit `limit` of `model` decided without asking
    /// the windows (a request that can never fit).
    pub fn refuse(&mut self, key: KeyId, model: ModelId, limit: usize) {
        let specs = &self.limits[model as usize];
        let c = counters(
            &mut self.counters,
            self.scope,
            key,
            model,
            specs,
            self.algo,
            self.offset,
        );
        count_refusal(&mut c.refused[model as usize], specs.len(), limit);
    }

    /// The key's lockout blocks, as `[start, end)`, and for each the client
    /// groups whose counted failures tripped it.
    pub fn blocks(&self, key: KeyId) -> (&[(Nanos, Nanos)], &[Vec<u32>]) {
        let l = &self.lockouts[key as usize];
        (l.blocked_intervals(), l.culprits())
    }

    /// What each limit admitted and refused, with its capacity over a run of
    /// `horizon`, for every (key, model) that saw an attempt, in (key, model,
    /// limit) order. Under account scope each model's shared counters are
    /// listed once, under the key that used them first.
    pub fn limit_stats(&self, horizon: Nanos) -> Vec<LimitStats> {
        let mut out = Vec::new();
        for (index, c) in self.counters.iter().enumerate() {
            for (model, windows) in c.windows.iter().enumerate() {
                let key = match self.scope {
                    LimitScope::Key => index as KeyId,
                    LimitScope::Account => c.first_key[model],
                };
                let refused = &c.refused[model];
                for (i, (window, limit)) in windows.iter().zip(&self.limits[model]).enumerate() {
                    let (windows, capacity) = capacity(self.algo, *limit, self.offset, horizon);
                    out.push(LimitStats {
                        key,
                        model: model as ModelId,
                        limit: *limit,
                        admitted: window.admitted_total(),
                        refused: refused.get(i).copied().unwrap_or(0),
                        windows,
                        capacity,
                    });
                }
            }
        }
        out.sort_by_key(|l| (l.key, l.model));
        out
    }
}

/// Adds one refusal by limit `i` to a pair's counters (sized on first use).
fn count_refusal(refused: &mut Vec<u64>, limits: usize, i: usize) {
    if refused.len() != limits {
        refused.resize(limits, 0);
    }
    refused[i] += 1;
}

/// The counters `key` uses for `model` under `scope`, their windows created
/// on first use.
fn counters<'a>(
    all: &'a mut [Counters],
    scope: LimitScope,
    key: KeyId,
    model: ModelId,
    specs: &[LimitSpec],
    algo: WindowAlgo,
    offset: Nanos,
) -> &'a mut Counters {
    let c = match scope {
        LimitScope::Key => &mut all[key as usize],
        LimitScope::Account => &mut all[0],
    };
    let windows = &mut c.windows[model as usize];
    if windows.len() != specs.len() {
        *windows = specs
            .iter()
            .map(|spec| AnyWindow::new(algo, *spec, offset))
            .collect();
        c.first_key[model as usize] = key;
    }
    c
}

/// The `x-ratelimit-*` headers: the request headers come from the request
/// limit with the least remaining, the token headers from the token limit with
/// the least remaining (the first on ties); a kind of limit the model lacks
/// leaves its headers absent.
fn headers(
    windows: &mut [AnyWindow],
    specs: &[LimitSpec],
    now: Nanos,
    clock: Clock,
    units: HeaderUnits,
) -> Headers {
    let mut requests: Option<(u64, u64, Nanos)> = None;
    let mut tokens: Option<(u64, u64, Nanos)> = None;
    for (window, spec) in windows.iter_mut().zip(specs) {
        let slot = match spec.counts {
            Counts::Requests => &mut requests,
            Counts::Tokens => &mut tokens,
        };
        let remaining = window.remaining(now);
        let least_so_far = slot.map_or(true, |(_, least, _)| remaining < least);
        if least_so_far {
            *slot = Some((spec.amount, remaining, window.reset_at(now)));
        }
    }
    let reset_stamp = |at: Nanos| match units {
        HeaderUnits::Seconds => clock.unix_secs_ceil(at),
        HeaderUnits::Milliseconds => (u128::from(clock.start_unix_ms) * 1_000_000
            + u128::from(at.0))
        .div_ceil(1_000_000) as u64,
    };
    Headers {
        limit_requests: requests.map(|(limit, _, _)| limit),
        remaining_requests: requests.map(|(_, remaining, _)| remaining),
        reset_requests: requests.map(|(_, _, at)| reset_stamp(at)),
        limit_tokens: tokens.map(|(limit, _, _)| limit),
        remaining_tokens: tokens.map(|(_, remaining, _)| remaining),
        reset_tokens: tokens.map(|(_, _, at)| (at - now).0.div_ceil(1_000_000_000)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Latency, ModelType, ResolvedModel, Rule, TpmAccounting};

    /// 2026-04-20T12:00:00Z, on a minute boundary.
    const CLOCK: Clock = Clock {
        start_unix_ms: 1_776_686_400_000,
    };
    const TEXT: ModelId = 0;
    const VIDEO: ModelId = 1;
    const IMAGE: ModelId = 2;

    fn model(id: &str, kind: ModelType, limits: Vec<LimitSpec>) -> ResolvedModel {
        ResolvedModel {
            id: id.into(),
            kind,
            class: String::new(),
            rule: Rule::Override,
            limits,
            latency: Latency {
                first_token: Nanos::SECOND,
                tokens_per_sec: 0.0,
                spread: 0.0,
            },
        }
    }

    fn policy(window: WindowAlgo) -> Policy {
        Policy {
            preset: "test".into(),
            models: vec![
                model(
                    "text",
                    ModelType::Text,
                    vec![LimitSpec::rpm(100), LimitSpec::tpm(10_000)],
                ),
                model("video", ModelType::Video, vec![]),
                model("image", ModelType::Image, vec![LimitSpec::rpm(20)]),
            ],
            window,
            tpm: TpmAccounting::InputPlusMaxTokens,
            lockout: LockoutConfig::default(),
            header_units: HeaderUnits::Seconds,
            scope: Default::default(),
            video: Default::default(),
        }
    }

    fn limiter() -> Limiter {
        Limiter::new(&policy(WindowAlgo::Fixed), 1, CLOCK)
    }

    fn secs(s: u64) -> Nanos {
        Nanos::from_secs(s)
    }

    #[test]
    fn headers_after_three_admissions() {
        let mut limiter = limiter();
        let mut last = None;
        for _ in 0..3 {
            last = Some(limiter.admit(secs(10), 0, TEXT, 100));
        }
        let (admission, headers) = last.unwrap();
        assert_eq!(admission, Admission::Admitted);
        assert_eq!(
            headers,
            Headers {
                limit_requests: Some(100),
                remaining_requests: Some(97),
                reset_requests: Some(1_776_686_460),
                limit_tokens: Some(10_000),
                remaining_tokens: Some(9_700),
                reset_tokens: Some(50),
            }
        );
    }

    #[test]
    fn millisecond_reset_headers() {
        let mut p = policy(WindowAlgo::Fixed);
        p.header_units = HeaderUnits::Milliseconds;
        let mut limiter = Limiter::new(&p, 1, CLOCK);
        let (_, headers) = limiter.admit(Nanos::from_millis(10_500), 0, TEXT, 1);
        assert_eq!(headers.reset_requests, Some(1_776_686_460_000));
        assert_eq!(headers.reset_tokens, Some(50));
    }

    #[test]
    fn the_101st_request_in_a_minute_is_refused() {
        let mut limiter = limiter();
        for i in 0..100 {
            assert_eq!(
                limiter.admit(secs(i / 2), 0, TEXT, 1).0,
                Admission::Admitted,
                "request {i}"
            );
        }
        let (admission, headers) = limiter.admit(secs(59), 0, TEXT, 1);
        assert_eq!(admission, Admission::Limited(0));
        assert_eq!(headers.remaining_requests, Some(0));
        assert_eq!(headers.remaining_tokens, Some(9_900));
        assert_eq!(limiter.admit(secs(60), 0, TEXT, 1).0, Admission::Admitted);
    }

    #[test]
    fn a_request_bigger_than_the_token_limit_never_passes() {
        let mut limiter = limiter();
        assert_eq!(limiter.never_fits(TEXT, 10_001), Some(1));
        assert_eq!(limiter.never_fits(TEXT, 10_000), None);
        assert_eq!(limiter.never_fits(IMAGE, 1_000_000), None);
        let (admission, headers) = limiter.admit(secs(1), 0, TEXT, 10_001);
        assert_eq!(admission, Admission::Limited(1));
        // Nothing was counted against the request limit.
        assert_eq!(headers.remaining_requests, Some(100));
    }

    #[test]
    fn requests_and_tokens_are_both_enforced() {
        let mut limiter = limiter();
        assert_eq!(
            limiter.admit(secs(1), 0, TEXT, 6_000).0,
            Admission::Admitted
        );
        let (admission, headers) = limiter.admit(secs(2), 0, TEXT, 5_000);
        assert_eq!(admission, Admission::Limited(1));
        assert_eq!(
            (headers.remaining_requests, headers.remaining_tokens),
            (Some(99), Some(4_000))
        );
        assert_eq!(
            limiter.admit(secs(3), 0, TEXT, 4_000).0,
            Admission::Admitted
        );
    }

    #[test]
    fn output_charged_on_completion_can_overshoot() {
        let mut limiter = limiter();
        assert_eq!(
            limiter.admit(secs(1), 0, TEXT, 9_000).0,
            Admission::Admitted
        );
        limiter.charge_output(secs(5), 0, TEXT, 3_000);
        let (admission, headers) = limiter.admit(secs(6), 0, TEXT, 0);
        assert_eq!(admission, Admission::Limited(1));
        assert_eq!(headers.remaining_tokens, Some(0));
        assert_eq!(limiter.admit(secs(60), 0, TEXT, 0).0, Admission::Admitted);
    }

    #[test]
    fn the_lockout_is_checked_before_the_limits() {
        let mut limiter = limiter();
        for _ in 0..20 {
            assert!(!limiter.record_status(secs(1), 0, Status::Unavailable, false, 0));
        }
        assert!(limiter.record_status(secs(1), 0, Status::Unavailable, false, 0));
        let (admission, headers) = limiter.admit(secs(2), 0, TEXT, 1);
        assert_eq!(admission, Admission::LockedOut);
        assert_eq!(headers.remaining_requests, Some(100));
        // The lockout covers every model of the key, limited or not.
        assert_eq!(limiter.admit(secs(2), 0, VIDEO, 1).0, Admission::LockedOut);
        assert_eq!(limiter.blocks(0).0, [(secs(1), secs(31))]);
        assert_eq!(limiter.admit(secs(31), 0, TEXT, 1).0, Admission::Admitted);
    }

    #[test]
    fn an_unlimited_model_sends_no_headers_and_an_image_model_no_token_headers() {
        let mut limiter = limiter();
        for _ in 0..10_000 {
            assert_eq!(
                limiter.admit(secs(1), 0, VIDEO, 1),
                (Admission::Admitted, Headers::default())
            );
        }
        let (_, headers) = limiter.admit(secs(1), 0, IMAGE, 500);
        assert_eq!(headers.remaining_requests, Some(19));
        assert_eq!(
            (
                headers.limit_tokens,
                headers.remaining_tokens,
                headers.reset_tokens
            ),
            (None, None, None)
        );
    }

    #[test]
    fn keys_are_counted_separately() {
        let mut limiter = limiter();
        let second = limiter.add_key();
        assert_eq!(second, 1);
        for _ in 0..20 {
            limiter.admit(secs(1), 0, IMAGE, 0);
        }
        assert_eq!(limiter.admit(secs(1), 0, IMAGE, 0).0, Admission::Limited(0));
        assert_eq!(
            limiter.admit(secs(1), second, IMAGE, 0).0,
            Admission::Admitted
        );
    }

    #[test]
    fn utilisation_lists_the_pairs_that_saw_attempts() {
        let mut limiter = Limiter::new(&policy(WindowAlgo::Fixed), 2, CLOCK);
        limiter.admit(secs(1), 1, IMAGE, 0);
        limiter.admit(secs(1), 0, TEXT, 300);
        limiter.admit(secs(1), 0, TEXT, 20_000);
        limiter.admit(secs(1), 0, VIDEO, 1);
        let expected = [
            LimitStats {
                key: 0,
                model: TEXT,
                limit: LimitSpec::rpm(100),
                admitted: 1,
                refused: 0,
                windows: 1,
                capacity: 100,
            },
            LimitStats {
                key: 0,
                model: TEXT,
                limit: LimitSpec::tpm(10_000),
                admitted: 300,
                refused: 1,
                windows: 1,
                capacity: 10_000,
            },
            LimitStats {
                key: 1,
                model: IMAGE,
                limit: LimitSpec::rpm(20),
                admitted: 1,
                refused: 0,
                windows: 1,
                capacity: 20,
            },
        ];
        assert_eq!(limiter.limit_stats(secs(60)), expected);
    }

    #[test]
    fn a_day_limit_refuses_as_rpd_and_its_capacity_counts_the_days_the_run_touches() {
        let mut p = policy(WindowAlgo::Fixed);
        let day = LimitSpec {
            counts: Counts::Requests,
            window: Nanos::from_secs(86_400),
            amount: 2,
        };
        p.models[IMAGE as usize].limits = vec![LimitSpec::rpm(20), day];
        // Start at 23:59:30 UTC: an hour's run touches two days and 61 minutes.
        let clock = Clock {
            start_unix_ms: 1_776_686_400_000 + (11 * 3_600 + 59 * 60 + 30) * 1_000,
        };
        let mut limiter = Limiter::new(&p, 1, clock);
        for _ in 0..2 {
            assert_eq!(limiter.admit(secs(1), 0, IMAGE, 0).0, Admission::Admitted);
        }
        let refused = limiter.admit(secs(2), 0, IMAGE, 0).0;
        assert_eq!(refused, Admission::Limited(1));
        assert_eq!(limiter.cause(IMAGE, refused), Some(Cause::RequestsPerDay));
        let stats = limiter.limit_stats(secs(3_600));
        assert_eq!((stats[0].windows, stats[0].capacity), (61, 1_220));
        assert_eq!((stats[1].windows, stats[1].capacity), (2, 4));
        assert_eq!(stats[1].refused, 1);
        assert!(stats.iter().all(|s| s.utilisation() <= 1.0));
    }

    #[test]
    fn sliding_log_headers_announce_when_the_oldest_admission_expires() {
        let mut limiter = Limiter::new(&policy(WindowAlgo::SlidingLog), 1, CLOCK);
        limiter.admit(secs(10), 0, TEXT, 100);
        let (_, headers) = limiter.admit(secs(25), 0, TEXT, 100);
        assert_eq!(headers.remaining_requests, Some(98));
        assert_eq!(headers.reset_requests, Some(1_776_686_470));
        assert_eq!(headers.reset_tokens, Some(45));
    }
}
