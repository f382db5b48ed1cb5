//! The `[policy]` table: the preset, the window and TPM accounting, the
//! lockout, and the models added or overridden.

use super::{Result, Validator};
use crate::policy::catalogue::{resolve, ModelEntry};
use crate::policy::import::MAX_AMOUNT;
use crate::policy::presets::{preset, DEFAULT_PRESET, PRESETS};
use crate::policy::{
    Counts, HeaderUnits, LimitScope, LimitSpec, LockoutConfig, LockoutReading, ModelType, Policy,
    TpmAccounting, VideoLimits,
};
use crate::response::Status;
use crate::scenario::raw::{RawLockout, RawModel, RawPolicy};
use crate::time::Nanos;

impl Validator<'_> {
    pub(super) fn policy(&self, raw: &RawPolicy) -> Result<Policy> {
        let preset_name = raw.preset.as_deref().unwrap_or(DEFAULT_PRESET);
        let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        self.one_of("policy.preset", preset_name, &names)?;
        let table = preset(preset_name).expect("checked above");
        let window = self.window(raw)?;
        let tpm = match raw.tpm_accounting.as_deref() {
            None => TpmAccounting::InputPlusMaxTokens,
            Some(t) => match self.one_of(
                "policy.tpm_accounting",
                t,
                &["input+max_tokens", "input+actual", "input-then-output"],
            )? {
                "input+max_tokens" => TpmAccounting::InputPlusMaxTokens,
                "input+actual" => TpmAccounting::InputPlusActual,
                _ => TpmAccounting::InputThenOutput,
            },
        };
        let header_units = match raw.reset_units.as_deref() {
            None => HeaderUnits::Seconds,
            Some(u) => match self.one_of("policy.reset_units", u, &["seconds", "milliseconds"])? {
                "seconds" => HeaderUnits::Seconds,
                _ => HeaderUnits::Milliseconds,
            },
        };
        let scope = match raw.scope.as_deref() {
            None => LimitScope::Key,
            Some(u) => match self.one_of("policy.scope", u, &["key", "account"])? {
                "key" => LimitScope::Key,
                _ => LimitScope::Account,
            },
        };
        let video = match raw.video.as_deref() {
            None => VideoLimits::Unlimited,
            Some(u) => match self.one_of("policy.video", u, &["unlimited", "per-call"])? {
                "unlimited" => VideoLimits::Unlimited,
                _ => VideoLimits::PerCall,
            },
        };
        let lockout = self.lockout(&raw.lockout)?;
        let entries = raw
            .models
            .iter()
            .enumerate()
            .map(|(i, m)| self.model_entry(i, m))
            .collect::<Result<Vec<_>>>()?;
        let mut models = resolve(table, &entries).map_err(|e| {
            self.err(
                &format!("policy.models[{}].{}", e.entry, e.field),
                e.to_string(),
            )
        })?;
        crate::policy::video::apply(&mut models, video);
        Ok(Policy {
            preset: table.name.to_string(),
            models,
            window,
            tpm,
            lockout,
            header_units,
            scope,
            video,
        })
    }

    fn lockout(&self, raw: &RawLockout) -> Result<LockoutConfig> {
        let reading = match raw.reading.as_deref() {
            None => LockoutReading::RateLimitPage,
            Some(r) => match self.one_of(
                "policy.lockout.reading",
                r,
                &["rate-limit-page", "developer-guides"],
            )? {
                "rate-limit-page" => LockoutReading::RateLimitPage,
                _ => LockoutReading::DeveloperGuides,
            },
        };
        let (threshold, statuses) = reading.defaults();
        let d = LockoutConfig {
            reading,
            threshold,
            statuses,
            ..LockoutConfig::default()
        };
        let statuses = match &raw.statuses {
            None => d.statuses.clone(),
            Some(codes) => self.statuses("policy.lockout.statuses", codes)?,
        };
        Ok(LockoutConfig {
            enabled: raw.enabled.unwrap_or(d.enabled),
            reading,
            threshold: match raw.threshold {
                Some(t) => self.count("policy.lockout.threshold", t, 0, 1_000_000)? as u32,
                None => d.threshold,
            },
            window: match &raw.window {
                Some(w) => self.positive_duration("policy.lockout.window", w)?,
                None => d.window,
            },
            block: match &raw.block {
                Some(b) => self.positive_duration("policy.lockout.block", b)?,
                None => d.block,
            },
            statuses,
            count_blocked: raw.count_blocked.unwrap_or(d.count_blocked),
        })
    }

    fn statuses(&self, field: &str, codes: &[i64]) -> Result<Vec<Status>> {
        let mut out = Vec::new();
        for (i, c) in codes.iter().enumerate() {
            if !(100..=599).contains(c) {
                return Err(self.err(
                    &format!("{field}[{i}]"),
                    format!("{c} is not an HTTP status code"),
                ));
            }
            // Codes the simulator never produces (e.g. 408) are accepted and have no effect.
            if let Some(s) = Status::from_code(*c as u16) {
                out.push(s);
            }
        }
        Ok(out)
    }

    fn model_entry(&self, i: usize, m: &RawModel) -> Result<ModelEntry> {
        let f = |name: &str| format!("policy.models[{i}].{name}");
        let kind = match &m.kind {
            None => None,
            Some(k) => {
                let names: Vec<&str> = ModelType::ALL.iter().map(|t| t.name()).collect();
                Some(ModelType::from_name(self.one_of(&f("type"), k, &names)?).expect("listed"))
            }
        };
        let mut limits: Option<Vec<LimitSpec>> = None;
        if m.unlimited == Some(true) {
            limits = Some(Vec::new());
        }
        for (name, value, spec) in [
            ("rpm", m.rpm, LimitSpec::rpm(0)),
            ("tpm", m.tpm, LimitSpec::tpm(0)),
            (
                "rpd",
                m.rpd,
                LimitSpec {
                    counts: Counts::Requests,
                    window: Nanos::from_secs(86_400),
                    amount: 0,
                },
            ),
        ] {
            if let Some(v) = value {
                let amount = self.count(&f(name), v, 1, MAX_AMOUNT as i64)?;
                limits
                    .get_or_insert_with(Vec::new)
                    .push(LimitSpec { amount, ..spec });
            }
        }
        if let Some(list) = &m.limits {
            for (j, l) in list.iter().enumerate() {
                let lf = |name: &str| format!("policy.models[{i}].limits[{j}].{name}");
                let counts = match self.one_of(&lf("counts"), &l.counts, &["requests", "tokens"])? {
                    "requests" => Counts::Requests,
                    _ => Counts::Tokens,
                };
                let window = self.positive_duration(&lf("window"), &l.window)?;
                let amount = self.count(&lf("amount"), l.amount, 1, MAX_AMOUNT as i64)?;
                limits.get_or_insert_with(Vec::new).push(LimitSpec {
                    counts,
                    window,
                    amount,
                });
            }
        }
        if m.unlimited == Some(true) && limits.as_ref().is_some_and(|l| !l.is_empty()) {
            return Err(self.err(
                &f("unlimited"),
                "a model cannot be unlimited and have limits; remove one",
            ));
        }
        Ok(ModelEntry {
            id: m.id.clone(),
            kind,
            class: m.class.clone(),
            provider: m.provider.clone(),
            limits,
            first_token: m
                .first_token
                .as_deref()
                .map(|t| self.duration(&f("first_token"), t))
                .transpose()?,
            tokens_per_sec: m
                .tokens_per_sec
                .map(|x| self.finite(&f("tokens_per_sec"), x, 0.0))
                .transpose()?,
            spread: m
                .spread
                .map(|x| self.finite(&f("spread"), x, -f64::MIN_POSITIVE))
                .transpose()?,
        })
    }
}
