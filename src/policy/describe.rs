//! `ratesim policy`: the limit table and the resolved catalogue as plain
//! aligned text.
//!
//! Users need to see which limits a scenario actually applies and why (which
//! rule of the resolution order produced each row) before trusting a
//! simulation built on them. The table comes first, every class row of the
//! preset, including classes no catalogue model uses (a model a user adds
//! may), then each model with the class it resolved to. The output is plain text with aligned columns,
//! so it reads the same in a terminal, a log and a code review.

use crate::policy::presets::Preset;
use crate::policy::{
    Counts, HeaderUnits, LimitScope, LimitSpec, LockoutReading, ModelId, ModelType, Policy,
    ResolvedModel, Rule, VideoLimits,
};
use crate::time::Nanos;

/// A header line naming the assumptions in force, then one row per model (or
/// only `model`), with a column per kind of limit any shown model has.
pub fn describe(policy: &Policy, model: Option<ModelId>) -> String {
    let models: Vec<&ResolvedModel> = match model {
        Some(id) => policy.models.get(id as usize).into_iter().collect(),
        None => policy.models.iter().collect(),
    };

    // Limit columns: requests before tokens, shorter windows first (R/10s, RPM, RPD, TPM).
    let mut columns: Vec<(Counts, Nanos)> = models
        .iter()
        .flat_map(|m| m.limits.iter().map(|l| (l.counts, l.window)))
        .collect();
    columns.sort();
    columns.dedup();

    let mut header: Vec<String> = ["model", "type", "class", "rule"]
        .map(String::from)
        .to_vec();
    header.extend(columns.iter().map(|&(counts, window)| {
        LimitSpec {
            counts,
            window,
            amount: 1,
        }
        .label()
    }));
    let mut rows = vec![header];
    for m in &models {
        let mut row = vec![
            m.id.clone(),
            m.kind.name().to_string(),
            if m.class.is_empty() {
                "-".to_string()
            } else {
                m.class.clone()
            },
            rule_text(m),
        ];
        for &(counts, window) in &columns {
            let amounts: Vec<String> = m
                .limits
                .iter()
                .filter(|l| l.counts == counts && l.window == window)
                .map(|l| thousands(l.amount))
                .collect();
            row.push(if amounts.is_empty() {
                "-".to_string()
            } else {
                amounts.join(" / ")
            });
        }
        rows.push(row);
    }

    let mut out = assumptions(policy);
    out.push('\n');
    out.push_str(&table(&rows, 4));
    out
}

/// Every row of a limit table: each class with its RPM and TPM, and the
/// models that fall to it ([`describe`] shows which model gets which), with
/// video as `video` reads it.
pub fn describe_preset(p: &Preset, video: VideoLimits) -> String {
    let limit = |x: Option<u64>| x.map_or("-".to_string(), thousands);
    let mut rows: Vec<Vec<String>> = vec![["applies to", "class", "RPM", "TPM"]
        .map(String::from)
        .to_vec()];
    let mut add = |what: &str, class: &str, rpm: u64, tpm: Option<u64>| {
        rows.push(vec![
            what.to_string(),
            class.to_string(),
            thousands(rpm),
            limit(tpm),
        ]);
    };
    let sizes = if p.embedding.is_some() {
        "text (size)"
    } else {
        "text, embedding (size)"
    };
    for &(class, rpm, tpm) in p.size_classes {
        add(sizes, class, rpm, tpm);
    }
    for &(class, rpm, tpm) in p.providers {
        add("text (provider)", class, rpm, tpm);
    }
    if let Some((rpm, tpm)) = p.embedding {
        add("embedding", "Embedding", rpm, tpm);
    }
    for &(class, rpm) in p.image_classes {
        add("image", class, rpm, None);
    }
    add("tts", "TTS", p.tts_rpm, None);
    add("asr", "ASR", p.asr_rpm, None);
    let unlimited = match video {
        VideoLimits::Unlimited => "video and music are not limited",
        VideoLimits::PerCall => "music is not limited; video is limited per call (policy.video)",
    };
    format!(
        "limit table {} ({}); {unlimited}\n{}",
        p.name,
        p.description,
        table(&rows, 2)
    )
}

/// The one-line summary of the unpublished choices.
fn assumptions(policy: &Policy) -> String {
    let lockout = &policy.lockout;
    let lockout_text = if lockout.enabled {
        let codes: Vec<String> = lockout
            .statuses
            .iter()
            .map(|s| s.code().to_string())
            .collect();
        let counted = if codes.is_empty() {
            "non-429 4xx (none of which the simulator answers)".to_string()
        } else {
            codes.join("/")
        };
        format!(
            "more than {} of {} within {} blocks the key for {}{}",
            lockout.threshold,
            counted,
            lockout.window,
            lockout.block,
            if lockout.count_blocked {
                " (refusals during a block count)"
            } else {
                ""
            }
        )
    } else {
        "off".to_string()
    };
    let units = match policy.header_units {
        HeaderUnits::Seconds => "Unix seconds",
        HeaderUnits::Milliseconds => "Unix milliseconds",
    };
    // The readings added later are named only when they differ from the
    // default, so a default policy reads as it always did.
    let mut readings = String::new();
    if lockout.reading != LockoutReading::default() {
        readings += &format!("; lockout reading {}", lockout.reading.name());
    }
    if policy.scope != LimitScope::default() {
        readings += &format!("; limits shared per {}", policy.scope.name());
    }
    if policy.video != VideoLimits::default() {
        readings += &format!(
            "; video limited {} ({} queue calls/min; {} retrieve calls/min not simulated)",
            policy.video.name(),
            crate::policy::video::QUEUE_RPM,
            crate::policy::video::RETRIEVE_RPM
        );
    }
    format!(
        "preset {}; window {}; tokens counted as {}; lockout: {}; reset headers in {}{readings}",
        policy.preset,
        policy.window.describe(),
        policy.tpm.name(),
        lockout_text,
        units
    )
}

fn rule_text(model: &ResolvedModel) -> String {
    rule_name(&model.rule, model.kind)
}

fn rule_name(rule: &Rule, kind: ModelType) -> String {
    match rule {
        Rule::Override => "override".to_string(),
        Rule::PartialOverride { overridden, rest } => {
            format!(
                "{} override, {}",
                overridden.join("+"),
                rule_name(rest, kind)
            )
        }
        Rule::Provider(name) => format!("provider class {name}"),
        Rule::Class(name) => match kind {
            ModelType::Embedding if name == "Embedding" => "embedding row".to_string(),
            ModelType::Text | ModelType::Embedding => format!("size class {name}"),
            ModelType::Image => format!("image class {name}"),
            _ => format!("audio {name}"),
        },
        Rule::Unlimited => "not limited".to_string(),
        Rule::VideoPerCall => "video per call".to_string(),
    }
}

/// `12345678` as `"12,345,678"`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Rows padded into columns two spaces apart; columns from `first_numeric` on
/// are right-aligned. Lines carry no trailing spaces.
pub(crate) fn table(rows: &[Vec<String>], first_numeric: usize) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, &width))| {
                if c >= first_numeric {
                    format!("{cell:>width$}")
                } else {
                    format!("{cell:<width$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::catalogue::{resolve, ModelEntry};
    use crate::policy::presets::preset;
    use crate::policy::LockoutConfig;

    fn policy(entries: &[ModelEntry]) -> Policy {
        let mut models = resolve(preset("venice").unwrap(), entries).unwrap();
        let keep = [
            "llama-3.3-70b",
            "claude-sonnet-4-6",
            "seedream-v5-lite",
            "tts-kokoro",
            "minimax-music-v26",
            "mine",
        ];
        models.retain(|m| keep.contains(&m.id.as_str()));
        Policy {
            preset: "venice".into(),
            models,
            window: Default::default(),
            tpm: Default::default(),
            lockout: Default::default(),
            header_units: Default::default(),
            scope: Default::default(),
            video: Default::default(),
        }
    }

    #[test]
    fn table_of_a_few_models() {
        let mine = ModelEntry {
            id: "mine".into(),
            kind: Some(ModelType::Text),
            class: Some("Small".into()),
            limits: Some(vec![
                LimitSpec::rpm(40),
                LimitSpec {
                    counts: Counts::Requests,
                    window: Nanos::from_secs(10),
                    amount: 10,
                },
                LimitSpec::tpm(1_234_567),
            ]),
            ..ModelEntry::default()
        };
        let expected = "\
preset venice; window fixed; tokens counted as input+max_tokens; lockout: more than 20 of 429/500/503 within 30s blocks the key for 30s (refusals during a block count); reset headers in Unix seconds
model              type   class      rule                      R/10s  RPM        TPM
llama-3.3-70b      text   Medium     size class Medium             -  100  2,000,000
claude-sonnet-4-6  text   Anthropic  provider class Anthropic      -  500  5,000,000
seedream-v5-lite   image  Bytedance  image class Bytedance         -   50          -
tts-kokoro         tts    TTS        audio TTS                     -   60          -
minimax-music-v26  music  -          not limited                   -    -          -
mine               text   Small      override                     10   40  1,234,567
";
        assert_eq!(describe(&policy(&[mine]), None), expected);
    }

    #[test]
    fn one_model_and_a_disabled_lockout() {
        let mut p = policy(&[]);
        p.lockout = LockoutConfig {
            enabled: false,
            ..LockoutConfig::default()
        };
        p.header_units = HeaderUnits::Milliseconds;
        let expected = "\
preset venice; window fixed; tokens counted as input+max_tokens; lockout: off; reset headers in Unix milliseconds
model             type   class      rule                   RPM
seedream-v5-lite  image  Bytedance  image class Bytedance   50
";
        assert_eq!(describe(&p, Some(2)), expected);
    }

    #[test]
    fn the_readings_and_window_shapes_are_named_when_not_the_default() {
        let mut p = policy(&[]);
        let (threshold, statuses) = LockoutReading::DeveloperGuides.defaults();
        p.lockout = LockoutConfig {
            reading: LockoutReading::DeveloperGuides,
            threshold,
            statuses,
            ..LockoutConfig::default()
        };
        p.scope = LimitScope::Account;
        p.video = VideoLimits::PerCall;
        p.window = crate::policy::WindowAlgo::TokenBucket(crate::policy::Bucket {
            capacity_ppm: 2_000_000,
            initial_fill_ppm: 500_000,
            refill: crate::policy::Refill::Discrete {
                period: Nanos::from_secs(10),
                phase: Nanos::ZERO,
            },
        });
        let head = describe(&p, Some(2));
        let head = head.lines().next().unwrap();
        assert_eq!(
            head,
            "preset venice; window token-bucket (capacity 2x the limit, starts 50% full, refilled every 10s); \
tokens counted as input+max_tokens; lockout: more than 50 of non-429 4xx (none of which the simulator answers) \
within 30s blocks the key for 30s (refusals during a block count); reset headers in Unix seconds; \
lockout reading developer-guides; limits shared per account; \
video limited per-call (40 queue calls/min; 120 retrieve calls/min not simulated)"
        );
        p.window = crate::policy::WindowAlgo::Gcra(crate::policy::Gcra { burst_ppm: 250_000 });
        assert!(
            describe(&p, None).starts_with("preset venice; window gcra (burst 0.25x the limit);")
        );
    }

    #[test]
    fn the_preset_table_says_how_video_is_read() {
        let table = crate::policy::presets::preset("venice").unwrap();
        let head = |v| {
            describe_preset(table, v)
                .lines()
                .next()
                .unwrap()
                .to_string()
        };
        assert!(head(VideoLimits::Unlimited).ends_with("; video and music are not limited"));
        assert!(head(VideoLimits::PerCall)
            .ends_with("; music is not limited; video is limited per call (policy.video)"));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(10_000_000), "10,000,000");
    }
}
