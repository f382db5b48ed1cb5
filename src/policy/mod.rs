//! The provider's limit table as data.
//!
//! A policy is a list of resolved models, each with its limits, plus the
//! choices the provider leaves unsaid (window algorithm, what TPM counts, the
//! abuse lockout, header units). Nothing here branches on a model's name: the
//! table lives in [`presets`] and [`catalogue`], and a scenario can override
//! every row.

pub mod catalogue;
pub mod describe;
pub mod import;
pub mod limiter;
pub mod lockout;
pub mod presets;
pub mod video;
pub mod window;

use crate::response::{Cause, Status};
use crate::time::Nanos;

/// What kind of model, which decides the table a model's class is looked up in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModelType {
    Text,
    Embedding,
    Image,
    Tts,
    Asr,
    Video,
    Music,
}

impl ModelType {
    pub const ALL: [ModelType; 7] = [
        ModelType::Text,
        ModelType::Embedding,
        ModelType::Image,
        ModelType::Tts,
        ModelType::Asr,
        ModelType::Video,
        ModelType::Music,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            ModelType::Text => "text",
            ModelType::Embedding => "embedding",
            ModelType::Image => "image",
            ModelType::Tts => "tts",
            ModelType::Asr => "asr",
            ModelType::Video => "video",
            ModelType::Music => "music",
        }
    }

    pub fn from_name(name: &str) -> Option<ModelType> {
        ModelType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether requests of this type carry token counts that a TPM limit could count.
    pub const fn uses_tokens(self) -> bool {
        matches!(self, ModelType::Text | ModelType::Embedding)
    }
}

/// What a limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Counts {
    Requests,
    Tokens,
}

/// One limit: at most `amount` of `counts` per `window`. RPM, TPM, RPD and
/// sub-minute windows are all this one shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitSpec {
    pub counts: Counts,
    pub window: Nanos,
    /// Always at least 1.
    pub amount: u64,
}

impl LimitSpec {
    pub const fn rpm(amount: u64) -> LimitSpec {
        LimitSpec {
            counts: Counts::Requests,
            window: Nanos::MINUTE,
            amount,
        }
    }

    pub const fn tpm(amount: u64) -> LimitSpec {
        LimitSpec {
            counts: Counts::Tokens,
            window: Nanos::MINUTE,
            amount,
        }
    }

    /// Conventional short name: "RPM", "TPM", "RPD", "TPD", or e.g. "R/10s".
    /// The cause a refusal by this limit is counted under: request limits
    /// of a day or longer are RPD, shorter ones RPM, token limits TPM.
    pub fn cause(&self) -> Cause {
        match self.counts {
            Counts::Tokens => Cause::Tokens,
            Counts::Requests if self.window >= Nanos::from_secs(86_400) => Cause::RequestsPerDay,
            Counts::Requests => Cause::Requests,
        }
    }

    pub fn label(&self) -> String {
        let unit = match self.counts {
            Counts::Requests => "R",
            Counts::Tokens => "T",
        };
        match self.window.0 {
            60_000_000_000 => format!("{unit}PM"),
            86_400_000_000_000 => format!("{unit}PD"),
            3_600_000_000_000 => format!("{unit}PH"),
            _ => format!("{unit}/{}", self.window),
        }
    }
}

/// Which rule of the resolution order produced a model's limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The scenario (or an imported policy) set every limit of this model itself.
    Override,
    /// The scenario set some limits (`overridden`, as [`LimitSpec::label`]s
    /// such as "RPM"); the others come from `rest`, the rule that applies
    /// without the override.
    PartialOverride {
        overridden: Vec<String>,
        rest: Box<Rule>,
    },
    /// The model runs on a provider class (e.g. "OpenRouter").
    Provider(String),
    /// The default of the model's class for its type (e.g. text "Medium", image "Bytedance").
    Class(String),
    /// The type is not limited at all (video, music).
    Unlimited,
    /// A video model under the per-call reading ([`VideoLimits::PerCall`]).
    VideoPerCall,
}

/// Response-time profile of a model: time to first token plus output tokens at
/// a decode speed, times a lognormal spread with median 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Latency {
    pub first_token: Nanos,
    /// Output tokens per second; 0 means the time does not depend on tokens.
    pub tokens_per_sec: f64,
    /// Sigma of the lognormal multiplier (0 = no spread).
    pub spread: f64,
}

/// A model with everything the simulator needs to serve it.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedModel {
    pub id: String,
    pub kind: ModelType,
    /// The class name the model was resolved through (size class, provider or image class).
    pub class: String,
    pub rule: Rule,
    /// Empty for an unlimited model.
    pub limits: Vec<LimitSpec>,
    pub latency: Latency,
}

/// How a window counts what it admits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WindowAlgo {
    /// Windows of fixed length aligned to Unix time (a minute window resets at :00).
    #[default]
    Fixed,
    /// Counts what was admitted in the trailing window length.
    SlidingLog,
    /// A bucket refilled at `amount / window` on average; its capacity,
    /// first fill and refill (continuous or in steps) are the [`Bucket`].
    TokenBucket(Bucket),
    /// The generic cell rate algorithm (as in the governor crate): one
    /// emission interval `window / amount` apart, with a burst tolerance.
    Gcra(Gcra),
}

impl WindowAlgo {
    /// The scenario's name for the algorithm.
    pub const fn name(self) -> &'static str {
        match self {
            WindowAlgo::Fixed => "fixed",
            WindowAlgo::SlidingLog => "sliding-log",
            WindowAlgo::TokenBucket(_) => "token-bucket",
            WindowAlgo::Gcra(_) => "gcra",
        }
    }

    /// The name, with the bucket's or GCRA's settings when they differ from
    /// the defaults (so the default reads exactly as before).
    pub fn describe(self) -> String {
        match self {
            WindowAlgo::TokenBucket(b) if b != Bucket::default() => {
                let refill = match b.refill {
                    Refill::Continuous => "continuous refill".to_string(),
                    Refill::Discrete { period, phase } if phase == Nanos::ZERO => {
                        format!("refilled every {period}")
                    }
                    Refill::Discrete { period, phase } => {
                        format!("refilled every {period} from {phase}")
                    }
                };
                format!(
                    "token-bucket (capacity {}x the limit, starts {} full, {refill})",
                    ppm_text(b.capacity_ppm),
                    share_text(b.initial_fill_ppm)
                )
            }
            WindowAlgo::Gcra(g) if g != Gcra::default() => {
                format!("gcra (burst {}x the limit)", ppm_text(g.burst_ppm))
            }
            other => other.name().to_string(),
        }
    }
}

/// Millionths as a short decimal: 1_500_000 is "1.5".
fn ppm_text(ppm: u64) -> String {
    let text = format!("{:.6}", ppm as f64 / 1e6);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Millionths as a percentage: 500_000 is "50%".
fn share_text(ppm: u64) -> String {
    format!("{}%", ppm_text(ppm * 100))
}

/// One million: the scale of the `_ppm` fields (parts per million).
pub const PPM: u64 = 1_000_000;

/// A token bucket's shape. Every limit of `amount` per `window` gets a
/// bucket of `amount x capacity`, refilled at `amount` per `window` on
/// average. The default (capacity 1x, full at the start, continuous) is
/// the bucket ratesim always had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    /// Capacity as a multiple of the per-window limit, in millionths (at least 1).
    pub capacity_ppm: u64,
    /// The level at virtual zero as a share of the capacity, in millionths.
    pub initial_fill_ppm: u64,
    pub refill: Refill,
}

impl Default for Bucket {
    fn default() -> Self {
        Bucket {
            capacity_ppm: PPM,
            initial_fill_ppm: PPM,
            refill: Refill::Continuous,
        }
    }
}

/// How a bucket refills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refill {
    /// A trickle: one nanosecond adds `amount / window`.
    Continuous,
    /// Steps: at every instant `phase + j * period` after virtual zero the
    /// bucket gains `amount * period / window`, capped at its capacity.
    /// `phase < period`; a zero phase puts the first step at `period`.
    Discrete { period: Nanos, phase: Nanos },
}

/// GCRA's burst tolerance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gcra {
    /// The burst as a multiple of the per-window limit, in millionths; the
    /// burst in units is at least 1. The default, 1x, is governor's
    /// `Quota::per_minute(n)` (a burst of n).
    pub burst_ppm: u64,
}

impl Default for Gcra {
    fn default() -> Self {
        Gcra { burst_ppm: PPM }
    }
}

/// `amount x ppm / 1e6` rounded down, at least 1 (unless `amount` is 0): a
/// bucket's capacity or a GCRA burst in units.
pub fn scaled(amount: u64, ppm: u64) -> u64 {
    let units = u128::from(amount) * u128::from(ppm) / u128::from(PPM);
    u64::try_from(units).unwrap_or(u64::MAX).max(amount.min(1))
}

/// What the limit counters belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LimitScope {
    /// Every key has its own counters per model (the current page).
    #[default]
    Key,
    /// All keys of the account share one set of counters per model (older
    /// docs: limits apply at the user level regardless of the number of
    /// keys). The abuse lockout stays per key.
    Account,
}

impl LimitScope {
    pub const fn name(self) -> &'static str {
        match self {
            LimitScope::Key => "key",
            LimitScope::Account => "account",
        }
    }
}

/// How video models are limited: the two readings of the provider's docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum VideoLimits {
    /// Not rate limited, billed per use (the current rate-limit page).
    #[default]
    Unlimited,
    /// Limited per call (older docs: 40 queue and 120 retrieve calls a
    /// minute); a simulated video request is its queue call, so video
    /// models get 40 RPM. See [`video`].
    PerCall,
}

impl VideoLimits {
    pub const fn name(self) -> &'static str {
        match self {
            VideoLimits::Unlimited => "unlimited",
            VideoLimits::PerCall => "per-call",
        }
    }
}

/// What a token limit counts for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TpmAccounting {
    /// Input plus `max_tokens` at admission; actual output when max_tokens is absent (OpenAI, Azure).
    #[default]
    InputPlusMaxTokens,
    /// Input plus the actual output, all charged at admission.
    InputPlusActual,
    /// Input at admission, output charged when the response completes (Anthropic).
    InputThenOutput,
}

impl TpmAccounting {
    pub const fn name(self) -> &'static str {
        match self {
            TpmAccounting::InputPlusMaxTokens => "input+max_tokens",
            TpmAccounting::InputPlusActual => "input+actual",
            TpmAccounting::InputThenOutput => "input-then-output",
        }
    }
}

/// Units of the reset timestamp header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HeaderUnits {
    /// Unix seconds (the provider's page).
    #[default]
    Seconds,
    /// Unix milliseconds (the provider's SDKs).
    Milliseconds,
}

/// Which of the provider's descriptions of the abuse lockout is in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LockoutReading {
    /// The rate-limit page: more than 20 failures (429, 500, 503) within 30 s.
    #[default]
    RateLimitPage,
    /// The developer guides: more than 50 failed requests within 30 s,
    /// counting only 4xx answers other than 429 (5xx do not count).
    DeveloperGuides,
}

impl LockoutReading {
    pub const fn name(self) -> &'static str {
        match self {
            LockoutReading::RateLimitPage => "rate-limit-page",
            LockoutReading::DeveloperGuides => "developer-guides",
        }
    }

    /// The threshold and counted statuses the reading states. The guides
    /// count every 4xx but 429; the simulator answers no such status, so
    /// under that reading nothing it answers counts.
    pub fn defaults(self) -> (u32, Vec<Status>) {
        match self {
            LockoutReading::RateLimitPage => (
                20,
                vec![Status::TooMany, Status::Internal, Status::Unavailable],
            ),
            LockoutReading::DeveloperGuides => (
                50,
                Status::ALL
                    .into_iter()
                    .filter(|s| (400..500).contains(&s.code()) && s.code() != 429)
                    .collect(),
            ),
        }
    }
}

/// The abuse lockout: more than `threshold` counted responses within a sliding
/// `window` block the key for `block`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockoutConfig {
    pub enabled: bool,
    /// The reading `threshold` and `statuses` default from.
    pub reading: LockoutReading,
    pub threshold: u32,
    pub window: Nanos,
    pub block: Nanos,
    /// Statuses that count toward the threshold.
    pub statuses: Vec<Status>,
    /// Whether requests refused during a block count too (and so extend it).
    pub count_blocked: bool,
}

impl Default for LockoutConfig {
    fn default() -> Self {
        let reading = LockoutReading::default();
        let (threshold, statuses) = reading.defaults();
        LockoutConfig {
            enabled: true,
            reading,
            threshold,
            window: Nanos::from_secs(30),
            block: Nanos::from_secs(30),
            statuses,
            count_blocked: true,
        }
    }
}

/// A validated policy: the resolved models and the assumptions in force.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Name of the preset table the models were resolved against.
    pub preset: String,
    pub models: Vec<ResolvedModel>,
    pub window: WindowAlgo,
    pub tpm: TpmAccounting,
    pub lockout: LockoutConfig,
    pub header_units: HeaderUnits,
    pub scope: LimitScope,
    /// The reading video models were resolved under (already applied to `models`).
    pub video: VideoLimits,
}

impl Policy {
    /// Every model's id, in model order (what traces and logs are keyed by).
    pub fn model_ids(&self) -> Vec<String> {
        self.models.iter().map(|m| m.id.clone()).collect()
    }

    /// The account tier of the preset the models were resolved against
    /// (`rateLimitTier` in the provider's rate-limit log). A policy built by
    /// hand with a name no preset has gets the default preset's tier.
    pub fn tier(&self) -> &'static str {
        presets::preset(&self.preset)
            .or_else(|| presets::preset(presets::DEFAULT_PRESET))
            .map_or("paid", |p| p.tier)
    }
}

/// Index of a model in [`Policy::models`].
pub type ModelId = u32;
/// Index of an API key in the scenario's key list.
pub type KeyId = u32;
