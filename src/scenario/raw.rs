//! The scenario file as written: serde structs mirroring the TOML.
//!
//! Values that need checking (durations, rates, ranges) are kept as written
//! here and checked in [`super::validate`], which knows where each one sits
//! in the file. Unknown keys are rejected by serde with their location.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Option<String>,
    #[serde(default)]
    pub description: String,
    pub seed: Option<i64>,
    pub duration: Option<String>,
    pub drain: Option<String>,
    /// Unix start instant as an RFC 3339 date-time (UTC).
    pub start: Option<toml::value::Datetime>,
    pub interval: Option<String>,
    #[serde(default)]
    pub keys: Vec<String>,
    #[serde(default)]
    pub policy: RawPolicy,
    #[serde(default)]
    pub service: RawService,
    #[serde(default)]
    pub groups: Vec<RawGroup>,
    pub compare: Option<RawCompare>,
    pub plan: Option<RawPlan>,
    pub tune: Option<RawTune>,
    pub sweep: Option<RawSweep>,
    /// `[thresholds]`: `total` or a group's name to a list of terms.
    #[serde(default)]
    pub thresholds: BTreeMap<String, Vec<String>>,
    /// `[[prices]]`: what the provider bills per model.
    #[serde(default)]
    pub prices: Vec<RawPrice>,
}

/// One model's price, in any one currency.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrice {
    pub model: String,
    pub per_request: Option<f64>,
    pub input_per_million: Option<f64>,
    pub output_per_million: Option<f64>,
    pub per_image: Option<f64>,
    /// Images one request makes (default 1).
    pub images: Option<i64>,
    pub per_second: Option<f64>,
    /// Seconds of audio or video one request makes or reads.
    pub seconds: Option<String>,
}

/// `[plan]`: the objective and sweep of `ratesim plan`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    pub max_share_429: Option<f64>,
    pub max_p99: Option<String>,
    pub max_gave_up: Option<f64>,
    /// Monthly growth rate of the traffic (0.15 is 15% a month).
    pub growth: Option<f64>,
    pub start_date: Option<toml::value::Datetime>,
    pub horizon_months: Option<i64>,
    pub factors: Option<Vec<f64>>,
    pub bisect_steps: Option<i64>,
    pub replications: Option<i64>,
    /// Preset names or strategy tables.
    pub candidates: Option<Vec<toml::Value>>,
    pub outage: Option<String>,
}

/// `[tune]`: what `ratesim tune` searches and holds the strategy to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTune {
    /// Groups that take the tuned strategy (default: `[compare]`'s, else all).
    pub groups: Option<Vec<String>>,
    /// The strategy to tune (default: the first tuned group's).
    pub strategy: Option<toml::Value>,
    /// `--objective` terms.
    pub objective: Option<String>,
    pub budget: Option<i64>,
    pub replications: Option<i64>,
    /// Parameter (`cap`, `pacer.rpm`, also as nested tables) to `[low, high]` or `"default"`.
    #[serde(default)]
    pub params: toml::Table,
}

/// `[sweep]`: the grid `ratesim sweep` runs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSweep {
    /// Preset names or strategy tables (default: the scenario's own).
    #[serde(default)]
    pub strategies: Vec<toml::Value>,
    /// Load factors (default: 1).
    pub load: Option<Vec<f64>>,
    /// Limit multiples (default: 1).
    pub limits: Option<Vec<i64>>,
    pub replications: Option<i64>,
    /// The summary metric the charts plot (default: success_share).
    pub metric: Option<String>,
    /// The group whose metric the charts plot (default: total).
    pub group: Option<String>,
    /// A scenario path (`groups.app.strategy.max_attempts`) to the values
    /// it takes, one axis each.
    #[serde(default)]
    pub set: toml::Table,
}

/// `[compare]`: the strategies `ratesim compare` runs against each other.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCompare {
    /// Preset names or strategy tables.
    #[serde(default)]
    pub strategies: Vec<toml::Value>,
    pub replications: Option<i64>,
    /// Groups whose strategy is replaced by each candidate (default: all).
    pub groups: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub preset: Option<String>,
    pub window: Option<String>,
    pub tpm_accounting: Option<String>,
    pub reset_units: Option<String>,
    /// `"key"` or `"account"`: what the limit counters belong to.
    pub scope: Option<String>,
    /// `"unlimited"` or `"per-call"`: the reading of video limits.
    pub video: Option<String>,
    /// `[policy.bucket]`: the token bucket's shape (with `window = "token-bucket"`).
    pub bucket: Option<RawBucket>,
    /// `[policy.gcra]`: GCRA's burst (with `window = "gcra"`).
    pub gcra: Option<RawGcra>,
    #[serde(default)]
    pub lockout: RawLockout,
    #[serde(default)]
    pub models: Vec<RawModel>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBucket {
    /// Multiple of the per-window limit.
    pub capacity: Option<f64>,
    /// Share of the capacity at the start.
    pub initial_fill: Option<f64>,
    /// `"continuous"` or `"discrete"`.
    pub refill: Option<String>,
    pub period: Option<String>,
    pub phase: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGcra {
    /// Multiple of the per-window limit.
    pub burst: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLockout {
    /// `"rate-limit-page"` or `"developer-guides"`.
    pub reading: Option<String>,
    pub enabled: Option<bool>,
    pub threshold: Option<i64>,
    pub window: Option<String>,
    pub block: Option<String>,
    pub statuses: Option<Vec<i64>>,
    pub count_blocked: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub class: Option<String>,
    pub provider: Option<String>,
    pub rpm: Option<i64>,
    pub tpm: Option<i64>,
    pub rpd: Option<i64>,
    pub limits: Option<Vec<RawLimit>>,
    pub unlimited: Option<bool>,
    pub first_token: Option<String>,
    pub tokens_per_sec: Option<f64>,
    pub spread: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimit {
    pub counts: String,
    pub window: String,
    pub amount: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub error_latency: Option<RawDelay>,
    pub latency_429: Option<RawDelay>,
    pub latency_5xx: Option<RawDelay>,
    pub network: Option<RawNetwork>,
    #[serde(default)]
    pub load: Vec<RawLoad>,
    pub concurrency: Option<RawConcurrency>,
    pub error_500: Option<f64>,
    pub error_503: Option<f64>,
    pub overload: Option<f64>,
    pub overload_retry_after: Option<String>,
    #[serde(default)]
    pub outages: Vec<RawOutage>,
}

/// A delay: a duration string is a constant.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawDelay {
    Constant(String),
    Dist(RawDelayDist),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "dist", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RawDelayDist {
    Constant { value: String },
    Uniform { min: String, max: String },
    Lognormal { median: String, p95: String },
    Normal { mean: String, sd: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    pub to_server: Option<RawDelay>,
    pub to_client: Option<RawDelay>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoad {
    pub model: String,
    pub slots: Option<i64>,
    pub per_request: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConcurrency {
    pub limit: i64,
    pub per: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutage {
    pub start: String,
    pub end: String,
    pub status: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub name: String,
    pub key: Option<String>,
    pub model: Option<String>,
    /// Weighted model mix: model id to weight.
    pub models: Option<BTreeMap<String, f64>>,
    pub arrival: Option<RawArrival>,
    pub input_tokens: Option<RawSize>,
    pub output_tokens: Option<RawSize>,
    pub max_tokens: Option<i64>,
    /// Read by [`crate::strategy::config`], which owns the strategy format.
    pub strategy: Option<toml::Value>,
    pub trace: Option<String>,
    /// The trace's format (default: the canonical CSV); see docs/traces.md.
    pub trace_format: Option<String>,
    /// The client abandons an attempt whose answer takes longer.
    pub timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "process", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RawArrival {
    Poisson {
        rate: String,
    },
    Constant {
        rate: String,
    },
    Gamma {
        rate: String,
        burstiness: f64,
    },
    OnOff {
        rate: String,
        on: String,
        off: String,
    },
    Profile {
        points: Vec<RawPoint>,
    },
    Closed {
        workers: i64,
        think: Option<String>,
        think_dist: Option<String>,
    },
    Batch {
        clients: i64,
        per_client: Option<i64>,
        total: Option<i64>,
        start: Option<String>,
        stagger: Option<String>,
        spacing: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPoint {
    pub at: String,
    pub rate: String,
}

/// A token-size distribution: a plain integer is a constant.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawSize {
    Constant(i64),
    Dist(RawSizeDist),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "dist", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RawSizeDist {
    Constant { value: i64 },
    Uniform { min: i64, max: i64 },
    Lognormal { median: f64, p95: f64 },
}
