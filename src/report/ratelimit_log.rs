//! `rate_limit_log.json`: every limit a run hit, in the provider's own shape.
//!
//! The provider's `GET /api/v1/api_keys/rate_limits/log` lists an account's
//! last 50 rate-limit hits, newest first:
//!
//! ```json
//! {"object":"list","data":[{"apiKeyId":"...","modelId":"...","rateLimitTier":"paid",
//!   "rateLimitType":"RPM","timestamp":"2026-04-20T12:34:56.000Z"}]}
//! ```
//!
//! Writing a simulation's hits the same way lets the tools people point at
//! the real endpoint read a simulated run, and lets a run be compared with a
//! real log. Unlike the endpoint, the file holds every hit, not the last 50.
//! The key's name stands in for `apiKeyId`, and timestamps are the run's
//! virtual instants on the scenario's clock, to the millisecond.
//! `rateLimitTier` is the tier of the scenario's preset
//! ([`crate::policy::Policy::tier`]: `paid` for the standard tables, `partner`
//! for the partner table). Each entry is written on a line of its own so the
//! file can be read and diffed.

use std::cmp::Reverse;

use serde::Serialize;

use crate::outcome::LimitHit;
use crate::response::Cause;
use crate::time::Clock;

/// The provider's `rateLimitType` for a refusal of `cause`. The API knows
/// only RPM, RPD and TPM, so a request limit with a window of a day or more
/// is RPD, any shorter one (sub-minute windows included) RPM, every token
/// limit TPM (see [`crate::policy::LimitSpec::cause`]), and a refusal during
/// an abuse lockout FAILED_REQUESTS.
pub const fn log_type(cause: Cause) -> &'static str {
    match cause {
        Cause::Requests => "RPM",
        Cause::RequestsPerDay => "RPD",
        Cause::Tokens => "TPM",
        Cause::Lockout => "FAILED_REQUESTS",
        // Overload is not a rate limit; the engine never logs it.
        Cause::Overloaded => "MODEL_OVERLOADED",
        // The provider's log names no concurrency type; this one is ratesim's.
        Cause::Concurrency => "CONCURRENT_REQUESTS",
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    api_key_id: &'a str,
    model_id: &'a str,
    rate_limit_tier: &'a str,
    rate_limit_type: &'static str,
    timestamp: String,
}

/// The log of `hits`, newest first (hits at the same instant in reverse of
/// the order given). `key_names` and `model_ids` name the ids the hits carry;
/// every entry reports `tier`.
pub fn rate_limit_log_json(
    hits: &[LimitHit],
    key_names: &[String],
    model_ids: &[String],
    tier: &str,
    clock: &Clock,
) -> String {
    let mut order: Vec<usize> = (0..hits.len()).collect();
    order.sort_by_key(|&i| (Reverse(hits[i].at), Reverse(i)));
    let mut out = String::from("{\"object\":\"list\",\"data\":[");
    for (n, &i) in order.iter().enumerate() {
        let hit = &hits[i];
        let entry = Entry {
            api_key_id: &key_names[hit.key as usize],
            model_id: &model_ids[hit.model as usize],
            rate_limit_tier: tier,
            rate_limit_type: log_type(hit.cause),
            timestamp: clock.rfc3339_millis(hit.at),
        };
        out.push_str(if n == 0 { "\n" } else { ",\n" });
        out.push_str(&serde_json::to_string(&entry).expect("an entry serialises"));
    }
    out.push_str(if hits.is_empty() { "]}\n" } else { "\n]}\n" });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Counts, LimitSpec};
    use crate::time::Nanos;

    /// 2026-04-20T12:00:00Z, the default scenario start.
    const START_MS: u64 = 1_776_686_400_000;

    #[test]
    fn limits_map_to_the_api_types() {
        let day = LimitSpec {
            counts: Counts::Requests,
            window: Nanos::from_secs(86_400),
            amount: 1,
        };
        let ten_seconds = LimitSpec {
            window: Nanos::from_secs(10),
            ..LimitSpec::rpm(1)
        };
        let ty = |l: &LimitSpec| log_type(l.cause());
        assert_eq!(ty(&LimitSpec::rpm(1)), "RPM");
        assert_eq!(ty(&ten_seconds), "RPM");
        assert_eq!(ty(&day), "RPD");
        assert_eq!(ty(&LimitSpec::tpm(1)), "TPM");
    }

    #[test]
    fn every_hit_newest_first_in_the_api_shape() {
        let hit = |ms: u64, key, model, cause| LimitHit {
            at: Nanos::from_millis(ms),
            key,
            model,
            cause,
        };
        let hits = [
            hit(1_000, 0, 0, Cause::Requests),
            hit(2_500, 1, 1, Cause::Tokens),
            hit(2_500, 1, 1, Cause::Lockout),
            hit(86_400_000, 0, 0, Cause::RequestsPerDay),
        ];
        let keys = ["batch".to_string(), "agent \"x\"".to_string()];
        let models = ["llama-3.3-70b".to_string(), "zai-org-glm-5".to_string()];
        let clock = Clock {
            start_unix_ms: START_MS,
        };
        let text = rate_limit_log_json(&hits, &keys, &models, "paid", &clock);
        assert_eq!(
            text,
            "{\"object\":\"list\",\"data\":[\n\
             {\"apiKeyId\":\"batch\",\"modelId\":\"llama-3.3-70b\",\"rateLimitTier\":\"paid\",\"rateLimitType\":\"RPD\",\"timestamp\":\"2026-04-21T12:00:00.000Z\"},\n\
             {\"apiKeyId\":\"agent \\\"x\\\"\",\"modelId\":\"zai-org-glm-5\",\"rateLimitTier\":\"paid\",\"rateLimitType\":\"FAILED_REQUESTS\",\"timestamp\":\"2026-04-20T12:00:02.500Z\"},\n\
             {\"apiKeyId\":\"agent \\\"x\\\"\",\"modelId\":\"zai-org-glm-5\",\"rateLimitTier\":\"paid\",\"rateLimitType\":\"TPM\",\"timestamp\":\"2026-04-20T12:00:02.500Z\"},\n\
             {\"apiKeyId\":\"batch\",\"modelId\":\"llama-3.3-70b\",\"rateLimitTier\":\"paid\",\"rateLimitType\":\"RPM\",\"timestamp\":\"2026-04-20T12:00:01.000Z\"}\n\
             ]}\n"
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["object"], "list");
        assert_eq!(parsed["data"].as_array().unwrap().len(), 4);
        assert_eq!(
            rate_limit_log_json(&[], &keys, &models, "paid", &clock),
            "{\"object\":\"list\",\"data\":[]}\n"
        );
    }
}
