//! Named strategies: the clients people actually run, each as faithful to its
//! source as the simulator allows.
//!
//! A preset is a composition written in the scenario format itself, so
//! `strategy = "openai-python"` and `strategy = { preset = "openai-python",
//! max_attempts = 5 }` go through the same parser as a hand-written table, and
//! `ratesim strategies NAME` can print a table the user can paste and edit.
//! Adding a preset is one `const` here plus one line in [`PRESETS`].
//!
//! Where a source needs a value it does not fix (a limiter's rate, a
//! library's backoff when the preset is about its budget), the preset uses the
//! library's own default if it has one, else ratesim's defaults, and says so.

use super::config::{self, toml_codes};
use super::StrategySpec;
use crate::suggest::{close_matches, did_you_mean};
use std::fmt;
use toml::Table;

/// A named composition.
#[derive(Clone, Copy, Debug)]
pub struct Preset {
    pub name: &'static str,
    /// One line for `ratesim strategies`.
    pub summary: &'static str,
    /// Where the behaviour and constants come from.
    pub source: &'static str,
    /// The composition, as the body of a TOML table in the scenario format.
    pub toml: &'static str,
}

impl Preset {
    /// The composition as a table.
    pub fn table(&self) -> Table {
        toml::from_str(self.toml).expect("preset tables are valid TOML (tested)")
    }

    /// The validated strategy.
    pub fn spec(&self) -> StrategySpec {
        config::parse(&toml::Value::Table(self.table()))
            .map(|mut s| {
                s.name = self.name.to_string();
                s
            })
            .expect("presets are valid strategies (tested)")
    }
}

/// The OpenAI Python SDK, current releases: 2 retries; delay
/// `min(0.5 s * 2^(n-1), 8 s) * (1 - 0.25U)` (0.5 s before the first retry);
/// `retry-after-ms`/`retry-after` honoured when 0 < value <= 120 s, and a
/// larger value stops retrying; retries 408, 409, 429 and >= 500.
pub const OPENAI_PYTHON: Preset = Preset {
    name: "openai-python",
    summary: "OpenAI Python SDK: 2 retries, 0.5-8 s x (1-0.25U), Retry-After up to 120 s else give up",
    source: "openai-python src/openai/_base_client.py (_calculate_retry_timeout, _should_retry): DEFAULT_MAX_RETRIES = 2, INITIAL_RETRY_DELAY = 0.5, MAX_RETRY_DELAY = 8.0, MAX_RETRY_AFTER_DELAY = 120",
    toml: r#"
kind = "multiplicative-jitter"
initial = "500ms"
multiplier = 2
cap = "8s"
jitter = 0.25
max_attempts = 3
retry_on = [429, 500, 503]
hints = { retry_after = true, cap = "120s", above_cap = "give-up" }
"#,
};

/// The OpenAI Python SDK before 2026: as [`OPENAI_PYTHON`], but a
/// `Retry-After` is honoured only up to 60 s; a longer one is ignored and the
/// SDK's own delay used.
pub const OPENAI_PYTHON_LEGACY: Preset = Preset {
    name: "openai-python-legacy",
    summary: "OpenAI Python SDK before 2026: as openai-python, Retry-After honoured up to 60 s else ignored",
    source: "openai-python src/openai/_base_client.py before 2026: `if retry_after is not None and 0 < retry_after <= 60: return retry_after`",
    toml: r#"
kind = "multiplicative-jitter"
initial = "500ms"
multiplier = 2
cap = "8s"
jitter = 0.25
max_attempts = 3
retry_on = [429, 500, 503]
hints = { retry_after = true, cap = "60s", above_cap = "ignore" }
"#,
};

/// The Anthropic Python SDK (same generator as openai-python): 2 retries,
/// `min(0.5 s * 2^(n-1), 8 s) * (1 - 0.25U)`, `Retry-After` honoured up to
/// 60 s and otherwise ignored (its retry decision never reads it).
pub const ANTHROPIC_PYTHON: Preset = Preset {
    name: "anthropic-python",
    summary: "Anthropic Python SDK: 2 retries, 0.5-8 s x (1-0.25U), Retry-After up to 60 s else ignored",
    source: "anthropic-sdk-python src/anthropic/_base_client.py: DEFAULT_MAX_RETRIES = 2, INITIAL_RETRY_DELAY = 0.5, MAX_RETRY_DELAY = 8.0, Retry-After honoured when 0 < value <= 60",
    toml: r#"
kind = "multiplicative-jitter"
initial = "500ms"
multiplier = 2
cap = "8s"
jitter = 0.25
max_attempts = 3
retry_on = [429, 500, 503]
hints = { retry_after = true, cap = "60s", above_cap = "ignore" }
"#,
};

/// AWS SDK standard retry mode: 3 attempts; `U * min(2^(n-1) s, 20 s)`
/// (written here as full jitter with base 0.5 s, since `base * 2^n` with
/// base 0.5 s is `2^(n-1)` s); retry quota of 500 tokens, 5 per retry, 10 after
/// a timeout (never in the simulator), 1 back per first-try success; throttles
/// (429) and transient errors (500, 502, 503, 504) are retried; `Retry-After`
/// is not read.
pub const AWS_STANDARD: Preset = Preset {
    name: "aws-standard",
    summary: "AWS SDK standard mode: 3 attempts, U x min(2^(n-1), 20) s, 500-token retry quota",
    source: "botocore retries/standard.py (ExponentialBackoff: _BASE = 2, _MAX_BACKOFF = 20; RetryQuotaChecker: _RETRY_COST = 5, _NO_RETRY_INCREMENT = 1, _TIMEOUT_RETRY_REQUEST = 10) and quota.py (INITIAL_CAPACITY = 500); DEFAULT_MAX_ATTEMPTS = 3",
    toml: r#"
kind = "full-jitter"
base = "500ms"
cap = "20s"
max_attempts = 3
retry_on = [429, 500, 503]
budget = { kind = "aws-quota", capacity = 500, retry_cost = 5, timeout_cost = 10, refund = 1 }
"#,
};

/// AWS SDK adaptive retry mode: standard mode plus the client-side rate
/// limiter (CUBIC, C = 0.4, beta = 0.7; rate measured in 0.5 s buckets
/// smoothed 0.8; at least 0.5 req/s; at most twice the measured rate; off
/// until the first throttle). The limiter paces every attempt.
pub const AWS_ADAPTIVE: Preset = Preset {
    name: "aws-adaptive",
    summary: "AWS SDK adaptive mode: standard mode plus a CUBIC client-side rate, on after the first throttle",
    source: "botocore retries/adaptive.py (ClientRateLimiter _MAX_RATE_ADJUST_SCALE = 2.0; RateClocker _DEFAULT_SMOOTHING = 0.8, _TIME_BUCKET_RANGE = 0.5), throttling.py (CubicCalculator _SCALE_CONSTANT = 0.4, _BETA = 0.7), bucket.py (TokenBucket _MIN_RATE = 0.5)",
    toml: r#"
kind = "full-jitter"
base = "500ms"
cap = "20s"
max_attempts = 3
retry_on = [429, 500, 503]
budget = { kind = "aws-quota", capacity = 500, retry_cost = 5, timeout_cost = 10, refund = 1 }
pacer = { kind = "aws-adaptive", c = 0.4, beta = 0.7, min_rate = 0.5, smoothing = 0.8, bucket = "500ms", max_scale = 2 }
"#,
};

/// AWS SDK standard retry mode as revised in 2026 (opt-in at first, behind
/// `AWS_NEW_RETRIES_2026` in botocore): 3 attempts; `U * min(b * 2^(n-1),
/// 20 s)` with b = 1 s after a throttle and 50 ms after a transient error;
/// the retry quota of 500 charges 5 per retry after a throttle and 14 after
/// anything else (timeouts included), paying back what was charged on a
/// success after retries and 1 on a first-try success; a `Retry-After`
/// (`x-amz-retry-after`) is honoured within `[t, t + 5 s]` of the drawn delay.
pub const AWS_STANDARD_2026: Preset = Preset {
    name: "aws-standard-2026",
    summary: "AWS SDK standard mode, 2026 revision: 3 attempts, U x min(2^(n-1) x 1 s (429) or 50 ms, 20 s), quota 500 at 5 (429) or 14, Retry-After within [t, t + 5 s]",
    source: "botocore retries/standard.py with NEW_RETRIES_ENABLED (ExponentialBackoff _DEFAULT_BACKOFF_CONFIG throttling_base_scale 1, non_throttling_base_scale 0.05, _MAX_BACKOFF 20, _RETRY_AFTER_MAX_ADDITIONAL 5; RetryQuotaChecker _RETRY_COST_V2 14, _THROTTLING_RETRY_COST 5, _NO_RETRY_INCREMENT 1), commit b8db53912a3938887a5f4e82681f1354b5bda0d4 (2026-05-04); smithy-kotlin NewStandardRetryIntegrationTestResources.kt",
    toml: r#"
kind = "aws-jitter"
base = "50ms"
throttle_base = "1s"
cap = "20s"
retry_after_extra = "5s"
max_attempts = 3
retry_on = [429, 500, 503]
budget = { kind = "aws-quota", capacity = 500, retry_cost = 14, throttle_cost = 5, timeout_cost = 14, refund = 1 }
"#,
};

/// tenacity's `wait_random_exponential(min=1, max=60)` with
/// `stop_after_attempt(6)`, as the OpenAI cookbook's rate-limit guide uses it:
/// `U(1 s, max(1 s, min(60 s, 1 s * 2^(n-1))))`, every error retried.
pub const TENACITY_RANDOM_EXPONENTIAL: Preset = Preset {
    name: "tenacity-random-exponential",
    summary: "tenacity wait_random_exponential(min=1, max=60), 6 attempts (OpenAI cookbook)",
    source: "tenacity wait.py (wait_random_exponential: uniform(min, min(max, multiplier * 2^(attempt-1)))); OpenAI cookbook How_to_handle_rate_limits: @retry(wait=wait_random_exponential(min=1, max=60), stop=stop_after_attempt(6))",
    toml: r#"
kind = "random-exponential"
min = "1s"
initial = "1s"
cap = "60s"
max_attempts = 6
retry_on = [429, 500, 503]
"#,
};

/// backon's `ExponentialBuilder` defaults (1 s, factor 2, at most 60 s, 3
/// retries) with `with_jitter()`: each delay `d` plus `U * d`. backon's
/// builder has jitter off by default; set `kind = "exponential"`-like
/// schedules yourself for that.
pub const BACKON_DEFAULT: Preset = Preset {
    name: "backon-default",
    summary: "backon ExponentialBuilder defaults with jitter: 1 s..60 s, x2, 3 retries, delay in [d, 2d)",
    source: "backon src/backoff/exponential.rs: min_delay 1s, max_delay 60s, factor 2, max_times 3; with_jitter adds U * current_delay",
    toml: r#"
kind = "additive-jitter"
initial = "1s"
multiplier = 2
cap = "60s"
max_attempts = 4
retry_on = [429, 500, 503]
"#,
};

/// The OpenAI cookbook's `api_request_parallel_processor.py` with its
/// command-line defaults: request and token buckets refilled continuously
/// from `max_requests_per_minute = 3000 * 0.5` and `max_tokens_per_minute =
/// 250000 * 0.5`, each holding a minute and starting full; failed requests go
/// back in the queue at once (5 attempts); after a rate-limit error every send
/// pauses 15 s. Override `pacer.rpm`/`pacer.tpm` with your model's limits
/// (the cookbook advises 50-75% of them: `headroom`).
pub const OPENAI_COOKBOOK: Preset = Preset {
    name: "openai-cookbook-parallel-processor",
    summary: "OpenAI cookbook parallel processor: RPM/TPM buckets at 50% of 3000/250k, 15 s pause after a 429, 5 attempts",
    source: "openai-cookbook examples/api_request_parallel_processor.py: --max_requests_per_minute 3_000 * 0.5, --max_tokens_per_minute 250_000 * 0.5, --max_attempts 5, seconds_to_pause_after_rate_limit_error = 15",
    toml: r#"
kind = "immediate"
max_attempts = 5
retry_on = [429, 500, 503]
pause_after_429 = "15s"
pacer = { kind = "token-bucket", rpm = 3000, tpm = 250000, headroom = 0.5, burst = "60s", start = "full" }
"#,
};

/// LangChain's `InMemoryRateLimiter` with its defaults
/// (`requests_per_second = 1`, `check_every_n_seconds = 0.1`,
/// `max_bucket_size = 1`, starting empty) in front of a chat model; the
/// limiter is asked once per call, and the retries happen inside the
/// provider SDK (openai-python, 2 retries) without it.
pub const LANGCHAIN_INMEMORY: Preset = Preset {
    name: "langchain-inmemory",
    summary: "LangChain InMemoryRateLimiter (1 req/s, bucket 1, polled every 0.1 s) over openai-python's retries",
    source: "langchain_core/rate_limiters.py InMemoryRateLimiter(requests_per_second=1, check_every_n_seconds=0.1, max_bucket_size=1); BaseChatModel acquires once per call; ChatOpenAI retries through openai-python (max_retries=2)",
    toml: r#"
kind = "multiplicative-jitter"
initial = "500ms"
multiplier = 2
cap = "8s"
jitter = 0.25
max_attempts = 3
retry_on = [429, 500, 503]
hints = { retry_after = true, cap = "120s", above_cap = "give-up" }
pacer = { kind = "token-bucket", rpm = 60, burst = "0s", start = "empty", poll = "100ms", retries = false }
"#,
};

/// venice-py: stops sending while the last `x-ratelimit-remaining-requests`
/// was 0, until `x-ratelimit-reset-requests`; on a failure honours
/// `Retry-After`, else `2^(n-1)` s capped at 60 s with +-10% jitter; 3 retries.
pub const VENICE_PY: Preset = Preset {
    name: "venice-py",
    summary: "Venice Python client: pause at remaining-requests 0 until the reset; Retry-After else 2^(n-1) s (<= 60 s) +-10%, 3 retries",
    source: "Venice's Python client as ratesim models it (it publishes no retry constants): no sends while x-ratelimit-remaining-requests is 0, until x-ratelimit-reset-requests; Retry-After honoured; else 1 s doubling to 60 s, +-10%; 3 retries",
    toml: r#"
kind = "symmetric-jitter"
initial = "1s"
multiplier = 2
cap = "60s"
jitter = 0.1
max_attempts = 4
retry_on = [429, 500, 503]
hints = { retry_after = true }
pacer = { kind = "header-tracking", limits = "requests" }
"#,
};

/// Venice's own TypeScript example: on a 429 wait for `Retry-After`, else for
/// the reset header minus now, plus U(0, 250 ms); on a 5xx back off from
/// 500 ms doubling to at most 30 s; 5 retries.
pub const VENICE_DOCS_EXAMPLE: Preset = Preset {
    name: "venice-docs-example",
    summary: "Venice docs example: 429 waits Retry-After or the reset + U(0, 250 ms); 5xx 0.5 s doubling to 30 s; 5 retries",
    source: "Venice's TypeScript rate-limit example: on a 429 wait Retry-After, else x-ratelimit-reset-requests minus now, plus U(0, 250 ms) jitter; on a 5xx 500 ms doubling to 30 s; 5 retries",
    toml: r#"
kind = "exponential"
base = "250ms"
cap = "30s"
max_attempts = 6
retry_on = [429, 500, 503]
hints = { retry_after = true, reset = true, prefer = "retry-after", jitter = "250ms" }
"#,
};

/// gRPC with the retry policy and throttling of gRFC A6's example service
/// config: 4 attempts, backoff 0.1 s growing x2 to 1 s with the +-20% jitter
/// gRPC uses since 2024, retrying UNAVAILABLE (HTTP 429 and 503 map to it; 500
/// maps to UNKNOWN), throttled with maxTokens 10, tokenRatio 0.1.
pub const GRPC_DEFAULT: Preset = Preset {
    name: "grpc-default",
    summary: "gRPC (gRFC A6 example): 4 attempts, 0.1-1 s x U(0.8, 1.2), retry throttling 10 / 0.1",
    source: "gRFC A6 client retries: example retryPolicy (maxAttempts 4, initialBackoff 0.1s, maxBackoff 1s, backoffMultiplier 2, retryableStatusCodes [UNAVAILABLE]) and retryThrottling (maxTokens 10, tokenRatio 0.1); jitter U(0.8, 1.2) since 2024",
    toml: r#"
kind = "symmetric-jitter"
initial = "100ms"
multiplier = 2
cap = "1s"
jitter = 0.2
max_attempts = 4
retry_on = [429, 503]
budget = { kind = "grpc", max_tokens = 10, token_ratio = 0.1 }
"#,
};

/// Finagle's (and tower's) retry budget with its defaults: retries at most
/// 20% of requests plus 10 per second, over 10 s. Finagle's backoff is
/// milliseconds-scale for RPC; here the schedule is ratesim's default (full
/// jitter 1 s..60 s, 5 attempts) so the budget's effect stands alone.
pub const FINAGLE_BUDGET: Preset = Preset {
    name: "finagle-budget",
    summary: "Finagle/tower retry budget (20% + 10/s over 10 s) on ratesim's default full jitter",
    source: "Finagle RetryBudget (percentCanRetry 0.2, minRetriesPerSec 10, ttl 10 s); tower retry::budget::TpsBudget::default",
    toml: r#"
kind = "full-jitter"
base = "1s"
cap = "60s"
max_attempts = 5
retry_on = [429, 500, 503]
budget = { kind = "ratio", ratio = 0.2, min_per_sec = 10, ttl = "10s" }
"#,
};

/// Google SRE client-side adaptive throttling, K = 2 over 2 minutes, with
/// the book's per-request cap of 3 attempts; the schedule is ratesim's
/// default full jitter (the book prescribes jittered exponential backoff
/// without constants).
pub const SRE_THROTTLING: Preset = Preset {
    name: "sre-throttling",
    summary: "Google SRE adaptive throttling (K = 2, 2 min), 3 attempts, full jitter 1 s..60 s",
    source: "Site Reliability Engineering (2016), ch. 21 \"Handling Overload\": reject with max(0, (requests - K * accepts) / (requests + 1)), K = 2, 2-minute history; at most 3 attempts per request",
    toml: r#"
kind = "full-jitter"
base = "1s"
cap = "60s"
max_attempts = 3
retry_on = [429, 500, 503]
budget = { kind = "sre", k = 2, window = "2m" }
"#,
};

/// Brooker's full jitter, `U * min(cap, base * 2^n)`, with ratesim's default
/// base 1 s, cap 60 s and 5 attempts (the article gives formulas, not
/// constants).
pub const BROOKER_FULL_JITTER: Preset = Preset {
    name: "brooker-full-jitter",
    summary: "Brooker full jitter: U x min(60 s, 1 s x 2^n), 5 attempts",
    source: "Marc Brooker, \"Exponential Backoff And Jitter\", AWS Architecture Blog, 2015",
    toml: r#"
kind = "full-jitter"
base = "1s"
cap = "60s"
max_attempts = 5
"#,
};

/// Brooker's equal jitter, `v/2 + U * v/2` with `v = min(cap, base * 2^n)`.
pub const BROOKER_EQUAL_JITTER: Preset = Preset {
    name: "brooker-equal-jitter",
    summary: "Brooker equal jitter: v/2 + U x v/2, v = min(60 s, 1 s x 2^n), 5 attempts",
    source: "Marc Brooker, \"Exponential Backoff And Jitter\", AWS Architecture Blog, 2015",
    toml: r#"
kind = "equal-jitter"
base = "1s"
cap = "60s"
max_attempts = 5
"#,
};

/// Brooker's decorrelated jitter, `min(cap, base + U * (3 * prev - base))`,
/// prev starting at base.
pub const BROOKER_DECORRELATED: Preset = Preset {
    name: "brooker-decorrelated",
    summary: "Brooker decorrelated jitter: min(60 s, 1 s + U x (3 x prev - 1 s)), 5 attempts",
    source: "Marc Brooker, \"Exponential Backoff And Jitter\", AWS Architecture Blog, 2015",
    toml: r#"
kind = "decorrelated"
base = "1s"
cap = "60s"
max_attempts = 5
"#,
};

/// Brooker's baseline without jitter, `min(cap, base * 2^n)`.
pub const BROOKER_EXPONENTIAL: Preset = Preset {
    name: "brooker-exponential",
    summary: "Brooker capped exponential, no jitter: min(60 s, 1 s x 2^n), 5 attempts",
    source: "Marc Brooker, \"Exponential Backoff And Jitter\", AWS Architecture Blog, 2015",
    toml: r#"
kind = "exponential"
base = "1s"
cap = "60s"
max_attempts = 5
"#,
};

/// Farkiani, Liu and Crowley's "unlimited backoff" (UB) baseline client:
/// after the n-th failure sleep `U(0.1 s, min(2^n - 1 s, cap))`, rounded to
/// 10 ms, and retry until it succeeds. The source draws each client's cap
/// uniformly in [30 s, 34 s]; the preset fixes it at the middle, 32 s.
pub const UNLIMITED_BACKOFF: Preset = Preset {
    name: "unlimited-backoff",
    summary: "Farkiani et al.'s UB: U(0.1 s, min(2^n - 1 s, 32 s)) in 10 ms steps, retry until done",
    source: "Farkiani, Liu, Crowley, \"Rethinking HTTP API Rate Limiting: A Client-Side Approach\", arXiv:2510.04516; github.com/Bfarkiani/ratelimiter UB.py (commit 5def00a3cdf146673a5e695a72e21c7cb08ab08c): sleep_time = round(uniform(0.1, min(2 ** nr_of_attempts - 1, max_sleep)), 2), max_sleep = round(uniform(30, 34), 2) per client",
    toml: r#"
kind = "unlimited-backoff"
min = "100ms"
cap = "32s"
resolution = "10ms"
max_attempts = 10000
retry_on = [429, 500, 503]
"#,
};

/// Farkiani, Liu and Crowley's adaptive token bucket (ATB) client with the
/// constants of their published configuration: a bucket of 40 requests
/// starting with 1 token at 40/min (0.67/s); each success multiplies the
/// rate by 1.2 (both phases) and adds at least 0.01/s; each failure (429 or
/// 5xx) records the congestion rate, halves the rate (at least 0.01/s) and
/// empties the bucket; rates on a 0.01/s grid; no upper bound; a failed
/// request queues again for a token at once, without end.
pub const ATB: Preset = Preset {
    name: "atb",
    summary: "Farkiani et al.'s ATB: bucket of 40 from 1 token at 40/min; x1.2 (+0.01/s at least) per success, halved and emptied per failure",
    source: "Farkiani, Liu, Crowley, arXiv:2510.04516; github.com/Bfarkiani/ratelimiter ATB.py (TokenBucket.increase: max(rate + 0.01, rate * first_step or second_step) around last_congestion_rate, rounded to 0.01; decrease: max(0.01, round(rate / 2, 2)), tokens = 0) and configs/ATB/config_1.json (bucket_size 40, initial_tokens 1, initial_rate 40/min, initial_congestion 300, first_step 1.2, second_step 1.2), commit 5def00a3cdf146673a5e695a72e21c7cb08ab08c",
    toml: r#"
kind = "immediate"
max_attempts = 10000
retry_on = [429, 500, 503]
pacer = { kind = "adaptive-bucket", initial = "0.67/s", min = "0.01/s", max = "none", increase = 1.2, increase_above = 1.2, step = "0.01/s", decrease = 0.5, congestion = "300/s", statuses = [429, 500, 503], capacity = 40, tokens = 1, resolution = "0.01/s" }
"#,
};

/// Every preset, in the order `ratesim strategies` lists them.
pub const PRESETS: &[&Preset] = &[
    &OPENAI_PYTHON,
    &OPENAI_PYTHON_LEGACY,
    &ANTHROPIC_PYTHON,
    &AWS_STANDARD,
    &AWS_ADAPTIVE,
    &TENACITY_RANDOM_EXPONENTIAL,
    &BACKON_DEFAULT,
    &OPENAI_COOKBOOK,
    &LANGCHAIN_INMEMORY,
    &VENICE_PY,
    &VENICE_DOCS_EXAMPLE,
    &GRPC_DEFAULT,
    &FINAGLE_BUDGET,
    &SRE_THROTTLING,
    &BROOKER_FULL_JITTER,
    &BROOKER_EQUAL_JITTER,
    &BROOKER_DECORRELATED,
    &BROOKER_EXPONENTIAL,
    &AWS_STANDARD_2026,
    &UNLIMITED_BACKOFF,
    &ATB,
];

/// A preset name that is not in [`PRESETS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownPreset {
    pub name: String,
    pub suggestions: Vec<&'static str>,
}

impl fmt::Display for UnknownPreset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown strategy preset {:?}{}; `ratesim strategies` lists them",
            self.name,
            did_you_mean(&self.suggestions)
        )
    }
}

impl std::error::Error for UnknownPreset {}

/// The preset called `name`.
pub fn find(name: &str) -> Result<&'static Preset, UnknownPreset> {
    PRESETS
        .iter()
        .copied()
        .find(|p| p.name == name)
        .ok_or_else(|| UnknownPreset {
            name: name.to_string(),
            suggestions: close_matches(name, PRESETS.iter().map(|p| p.name)),
        })
}

/// One line per preset: its name and what it does.
pub fn describe_all() -> String {
    let width = PRESETS.iter().map(|p| p.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for p in PRESETS {
        out += &format!("{:width$}  {}\n", p.name, p.summary);
    }
    out += "\n`ratesim strategies NAME` prints one in full; use it as strategy = \"NAME\" or { preset = \"NAME\", ... }.\n";
    out
}

/// The full composition of the preset called `name`, with every parameter.
pub fn describe(name: &str) -> Result<String, UnknownPreset> {
    let p = find(name)?;
    let spec = p.spec();
    Ok(format!(
        "{}: {}\nsource: {}\n\n{}\nas a scenario table (every parameter spelled out):\nstrategy = {}\n",
        p.name,
        p.summary,
        p.source,
        describe_spec(&spec),
        to_toml(&spec)
    ))
}

/// A composition, one part per line, with the delay range of the first retries.
pub fn describe_spec(s: &StrategySpec) -> String {
    let none = || "none".to_string();
    let mut rows: Vec<(&str, String)> = vec![
        ("backoff", s.backoff.describe()),
        ("max_attempts", s.retry.max_attempts.to_string()),
        (
            "deadline",
            s.retry.deadline.map_or_else(none, |d| d.to_string()),
        ),
        ("retry_on", toml_codes(s.retry.retry_on)),
        ("hints", s.hints.map_or_else(none, |h| h.describe())),
        (
            "pacer",
            s.pacer.as_ref().map_or_else(none, |p| p.describe()),
        ),
        (
            "budget",
            s.budget.as_ref().map_or_else(none, |b| b.describe()),
        ),
        (
            "breaker",
            s.breaker.as_ref().map_or_else(none, |b| b.describe()),
        ),
        (
            "pause_after_429",
            if s.pause_after_429.0 == 0 {
                none()
            } else {
                s.pause_after_429.to_string()
            },
        ),
        ("scope", s.scope.label().to_string()),
    ];
    if let Some(r) = &s.random {
        rows.push(("per client", r.describe()));
    }
    let retries = s.retry.max_attempts.saturating_sub(1).min(6);
    if retries > 0 {
        let ranges: Vec<String> = (1..=retries)
            .map(|n| {
                let (lo, hi) = s.backoff.range(n);
                if lo == hi {
                    format!("{n}: {}", config::show(lo))
                } else {
                    format!("{n}: {}..{}", config::show(lo), config::show(hi))
                }
            })
            .collect();
        rows.insert(1, ("  delays", ranges.join(", ")));
    }
    rows.iter().map(|(k, v)| format!("{k:16} {v}\n")).collect()
}

/// The composition as an inline TOML table in the scenario format.
pub fn to_toml(s: &StrategySpec) -> String {
    if let Some(r) = &s.random {
        return r.to_toml(&s.name);
    }
    let mut parts = vec![
        format!("name = \"{}\"", s.name),
        s.backoff.describe(),
        format!("max_attempts = {}", s.retry.max_attempts),
        format!("retry_on = {}", toml_codes(s.retry.retry_on)),
    ];
    if let Some(d) = s.retry.deadline {
        parts.push(format!("deadline = \"{d}\""));
    }
    if let Some(h) = &s.hints {
        parts.push(format!("hints = {{ {} }}", h.describe()));
    }
    if let Some(p) = &s.pacer {
        parts.push(format!("pacer = {{ {} }}", p.describe()));
    }
    if let Some(b) = &s.budget {
        parts.push(format!("budget = {{ {} }}", b.describe()));
    }
    if let Some(b) = &s.breaker {
        parts.push(format!("breaker = {{ {} }}", b.describe()));
    }
    if s.pause_after_429.0 > 0 {
        parts.push(format!("pause_after_429 = \"{}\"", s.pause_after_429));
    }
    parts.push(format!("scope = \"{}\"", s.scope.label()));
    format!("{{ {} }}", parts.join(", "))
}

#[cfg(test)]
mod tests;
