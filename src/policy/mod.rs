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
    /// A bucket of `amount` refilled continuously at `amount / window`.
    TokenBucket,
}

impl WindowAlgo {
    pub const fn name(self) -> &'static str {
        match self {
            WindowAlgo::Fixed => "fixed",
            WindowAlgo::SlidingLog => "sliding-log",
            WindowAlgo::TokenBucket => "token-bucket",
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

/// The abuse lockout: more than `threshold` counted responses within a sliding
/// `window` block the key for `block`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockoutConfig {
    pub enabled: bool,
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
        LockoutConfig {
            enabled: true,
            threshold: 20,
            window: Nanos::from_secs(30),
            block: Nanos::from_secs(30),
            statuses: vec![Status::TooMany, Status::Internal, Status::Unavailable],
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
