//! The built-in model catalogue and how a model's limits are resolved.
//!
//! The provider publishes limits per class, not per model, and publishes no
//! mapping from models to classes. The catalogue below is therefore an
//! illustrative assumption (real Venice ids, plausible classes) that every
//! scenario can change: a [`ModelEntry`] with a known id edits that model, a new
//! id adds one.
//!
//! Resolution follows the provider's order: a model's own limits (an override)
//! win, then its provider class, then the class of its type (size class for
//! text and embedding, image class for images, the audio rows for TTS and ASR);
//! video and music are not limited. An override replaces only the limits it
//! names (a limit counting the same thing over the same window): a scenario
//! that raises a model's RPM keeps the model's class TPM.
//!
//! A class the chosen preset does not have, but some other preset does, is not
//! an error: older tables had no provider classes and a single image row, so a
//! model on a provider class falls back to its size class, and an image model
//! to the preset's `Default` image class. This lets one scenario run unchanged
//! under every preset; `ratesim policy` shows the rule that applied. A name no
//! preset knows is a typo and is reported with suggestions.

use crate::policy::presets::{self, ClassKind, Preset, DEFAULT_IMAGE_CLASS};
use crate::policy::{Counts, Latency, LimitSpec, ModelId, ModelType, Policy, ResolvedModel, Rule};
use crate::suggest::{close_matches, did_you_mean, or_list};
use crate::time::Nanos;

/// One row of the built-in catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CatalogueModel {
    pub id: &'static str,
    pub kind: ModelType,
    /// Size class (text, embedding) or image class (image); `None` for audio,
    /// video and music, which have no classes.
    pub class: Option<&'static str>,
    /// Provider class of a text model served by an upstream provider.
    pub provider: Option<&'static str>,
}

const fn row(
    id: &'static str,
    kind: ModelType,
    class: Option<&'static str>,
    provider: Option<&'static str>,
) -> CatalogueModel {
    CatalogueModel {
        id,
        kind,
        class,
        provider,
    }
}

/// The default catalogue, in the order reports list models.
///
/// The two provider-class models also carry a size class ("Large"), an
/// assumption used only under presets without provider classes.
pub const CATALOGUE: &[CatalogueModel] = &[
    row("llama-3.2-3b", ModelType::Text, Some("X-Small"), None),
    row("qwen3-5-9b", ModelType::Text, Some("Small"), None),
    row(
        "mistral-small-3-2-24b-instruct",
        ModelType::Text,
        Some("Small"),
        None,
    ),
    row(
        "venice-uncensored-1-2",
        ModelType::Text,
        Some("Small"),
        None,
    ),
    row(
        "google-gemma-3-27b-it",
        ModelType::Text,
        Some("Medium"),
        None,
    ),
    row("llama-3.3-70b", ModelType::Text, Some("Medium"), None),
    row("zai-org-glm-5", ModelType::Text, Some("Medium"), None),
    row("zai-org-glm-5-1", ModelType::Text, Some("Medium"), None),
    row("openai-gpt-oss-120b", ModelType::Text, Some("Large"), None),
    row(
        "qwen3-235b-a22b-instruct-2507",
        ModelType::Text,
        Some("Large"),
        None,
    ),
    row(
        "hermes-3-llama-3.1-405b",
        ModelType::Text,
        Some("Large"),
        None,
    ),
    row(
        "claude-sonnet-4-6",
        ModelType::Text,
        Some("Large"),
        Some("Anthropic"),
    ),
    row("grok-4-3", ModelType::Text, Some("Large"), Some("xAI")),
    row(
        "text-embedding-bge-m3",
        ModelType::Embedding,
        Some("X-Small"),
        None,
    ),
    row("z-image-turbo", ModelType::Image, Some("Default"), None),
    row(
        "seedream-v5-lite",
        ModelType::Image,
        Some("Bytedance"),
        None,
    ),
    row(
        "grok-imagine-image",
        ModelType::Image,
        Some("grok-imagine"),
        None,
    ),
    row(
        "grok-imagine-image-quality",
        ModelType::Image,
        Some("grok-imagine-pro"),
        None,
    ),
    row("tts-kokoro", ModelType::Tts, None, None),
    row("openai/whisper-large-v3", ModelType::Asr, None, None),
    row("kling-v3-pro-text-to-video", ModelType::Video, None, None),
    row("minimax-music-v26", ModelType::Music, None, None),
];

/// Sigma of the lognormal latency multiplier for every default profile: about
/// +-28% between the median and one sigma, the run-to-run scatter typical of a
/// shared inference service.
pub const DEFAULT_SPREAD: f64 = 0.25;

/// The default response-time profile of a model, chosen by type and class.
///
/// These are round, plausible numbers, not measurements; they only need to put
/// response times in the right order of magnitude, since rate limits, not
/// latency, are what ratesim studies (latency matters through how long closed
/// loops and in-flight requests wait).
///
/// - Text by size class: smaller models start sooner and decode faster.
///   X-Small 0.2 s + 200 tok/s, Small 0.3 s + 120 tok/s, Medium 0.5 s +
///   60 tok/s, Large 0.8 s + 40 tok/s. A model on a provider class (or with no
///   class) gets the Medium profile: frontier APIs start in about half a second
///   and stream at tens of tokens per second. The profile depends on the
///   model, never on the preset, so switching presets changes only limits.
/// - Embedding: 0.1 s regardless of tokens (one forward pass, no decoding).
/// - Image 4 s, TTS 1 s, ASR 2 s, video 90 s, music 30 s, all independent of tokens.
pub fn default_latency(kind: ModelType, class: Option<&str>, provider: Option<&str>) -> Latency {
    let (first_token_ms, tokens_per_sec) = match kind {
        ModelType::Text => match (provider, class.and_then(size_class_name)) {
            (None, Some("X-Small")) => (200, 200.0),
            (None, Some("Small")) => (300, 120.0),
            (None, Some("Large")) => (800, 40.0),
            _ => (500, 60.0),
        },
        ModelType::Embedding => (100, 0.0),
        ModelType::Image => (4_000, 0.0),
        ModelType::Tts => (1_000, 0.0),
        ModelType::Asr => (2_000, 0.0),
        ModelType::Video => (90_000, 0.0),
        ModelType::Music => (30_000, 0.0),
    };
    Latency {
        first_token: Nanos::from_millis(first_token_ms),
        tokens_per_sec,
        spread: DEFAULT_SPREAD,
    }
}

fn size_class_name(class: &str) -> Option<&'static str> {
    match presets::known_class(class) {
        Some((ClassKind::Size, name)) => Some(name),
        _ => None,
    }
}

/// A scenario's change to the catalogue: edits the model with this id, or adds
/// a model when the id is new. `None` fields leave the model as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelEntry {
    pub id: String,
    /// Required for a new model. Changing the type of a known model drops its
    /// class and provider, which belonged to the old type's table.
    pub kind: Option<ModelType>,
    /// Size class (text, embedding) or image class (image). May also name a
    /// provider class, which then becomes the model's provider. Setting a size
    /// class drops a provider the model had, unless `provider` is set too.
    pub class: Option<String>,
    /// Provider class (text and embedding only).
    pub provider: Option<String>,
    /// Explicit limits: each replaces the class limits that count the same
    /// thing over the same window and leaves the others (so `rpm` alone keeps
    /// the class TPM); an empty list makes the model unlimited.
    pub limits: Option<Vec<LimitSpec>>,
    pub first_token: Option<Nanos>,
    pub tokens_per_sec: Option<f64>,
    pub spread: Option<f64>,
}

/// Why an entry could not be applied. Displays as the message alone: the
/// caller knows where entry `entry` came from and names the location.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CatalogueError {
    /// Index of the offending entry in the `entries` given to [`resolve`].
    pub entry: usize,
    /// The entry's field at fault: "id", "kind", "class", "provider", "limits",
    /// "tokens_per_sec" or "spread".
    pub field: &'static str,
    /// What was wrong and what would be accepted.
    pub message: String,
}

/// A model being assembled from the catalogue and the entries.
struct Draft {
    id: String,
    kind: ModelType,
    /// Canonical size or image class.
    class: Option<String>,
    /// Canonical provider class.
    provider: Option<String>,
    limits: Option<Vec<LimitSpec>>,
    first_token: Option<Nanos>,
    tokens_per_sec: Option<f64>,
    spread: Option<f64>,
}

impl Draft {
    fn new(id: &str, kind: ModelType) -> Draft {
        Draft {
            id: id.to_string(),
            kind,
            class: None,
            provider: None,
            limits: None,
            first_token: None,
            tokens_per_sec: None,
            spread: None,
        }
    }
}

/// A field at fault and the message for it.
type Problem = (&'static str, String);

/// The catalogue with `entries` applied, resolved against `preset`: built-in
/// models in catalogue order, then new models in entry order.
///
/// # Panics
///
/// If `preset` lacks a size class or the `Default` image class that the
/// built-in catalogue relies on. Every preset in
/// [`PRESETS`](crate::policy::presets::PRESETS) has them (a test checks it).
pub fn resolve(
    preset: &Preset,
    entries: &[ModelEntry],
) -> Result<Vec<ResolvedModel>, CatalogueError> {
    let mut drafts: Vec<Draft> = CATALOGUE
        .iter()
        .map(|m| Draft {
            class: m.class.map(String::from),
            provider: m.provider.map(String::from),
            ..Draft::new(m.id, m.kind)
        })
        .collect();

    for (index, entry) in entries.iter().enumerate() {
        let fail = |(field, message): Problem| CatalogueError {
            entry: index,
            field,
            message,
        };
        let position = match drafts.iter().position(|d| d.id == entry.id) {
            Some(position) => position,
            None => {
                drafts.push(new_draft(entry, &drafts).map_err(fail)?);
                drafts.len() - 1
            }
        };
        apply(&mut drafts[position], entry).map_err(fail)?;
        // Resolve now, so an error names the entry that caused it.
        resolve_draft(preset, &drafts[position]).map_err(fail)?;
    }

    let models = drafts
        .iter()
        .map(|d| {
            resolve_draft(preset, d).unwrap_or_else(|(_, message)| {
                panic!(
                    "preset {} cannot resolve built-in model {}: {message}",
                    preset.name, d.id
                )
            })
        })
        .collect();
    Ok(models)
}

fn new_draft(entry: &ModelEntry, drafts: &[Draft]) -> Result<Draft, Problem> {
    if entry.id.trim().is_empty() {
        return Err(("id", "a model needs a non-empty id".to_string()));
    }
    match entry.kind {
        Some(kind) => Ok(Draft::new(&entry.id, kind)),
        None => {
            let suggestions = close_matches(&entry.id, drafts.iter().map(|d| d.id.as_str()));
            Err((
                "kind",
                format!(
                    "{:?} is not a known model{}; to add it, give its kind (one of {})",
                    entry.id,
                    did_you_mean(&suggestions),
                    or_list(&ModelType::ALL.map(ModelType::name)),
                ),
            ))
        }
    }
}

/// Applies the set fields of `entry` to `draft`, checking each name.
fn apply(draft: &mut Draft, entry: &ModelEntry) -> Result<(), Problem> {
    if let Some(kind) = entry.kind {
        if kind != draft.kind {
            draft.kind = kind;
            draft.class = None;
            draft.provider = None;
        }
    }
    let kind = draft.kind;
    let takes_provider = matches!(kind, ModelType::Text | ModelType::Embedding);

    if let Some(class) = &entry.class {
        match (kind, presets::known_class(class)) {
            (ModelType::Text | ModelType::Embedding, Some((ClassKind::Size, name))) => {
                draft.class = Some(name.to_string());
                draft.provider = None;
            }
            (ModelType::Text | ModelType::Embedding, Some((ClassKind::Provider, name))) => {
                draft.provider = Some(name.to_string());
            }
            (ModelType::Image, Some((ClassKind::Image, name))) => {
                draft.class = Some(name.to_string());
            }
            (ModelType::Tts | ModelType::Asr | ModelType::Video | ModelType::Music, _) => {
                return Err((
                    "class",
                    format!(
                        "{} models have no class: {}",
                        kind.name(),
                        if kind == ModelType::Tts || kind == ModelType::Asr {
                            "the preset's audio row applies; set `limits` to change it"
                        } else {
                            "they are not limited unless `limits` is set"
                        }
                    ),
                ));
            }
            _ => return Err(("class", unknown_class(kind, class))),
        }
    }

    if let Some(provider) = &entry.provider {
        if !takes_provider {
            return Err((
                "provider",
                format!(
                    "only text and embedding models run on provider classes, not {} models",
                    kind.name()
                ),
            ));
        }
        match presets::known_class(provider) {
            Some((ClassKind::Provider, name)) => draft.provider = Some(name.to_string()),
            Some((_, name)) => {
                return Err((
                    "provider",
                    format!("{name:?} is not a provider class; write it as `class`"),
                ));
            }
            None => {
                let names = presets::known_class_names(ClassKind::Provider);
                return Err((
                    "provider",
                    format!(
                        "unknown provider class {provider:?}{}; expected one of {}",
                        did_you_mean(&close_matches(provider, names.iter().copied())),
                        or_list(&names)
                    ),
                ));
            }
        }
    }

    if let Some(limits) = &entry.limits {
        for limit in limits {
            if limit.amount == 0 {
                return Err((
                    "limits",
                    "a limit's amount must be at least 1 (an empty list makes the model unlimited)"
                        .to_string(),
                ));
            }
            if limit.window == Nanos::ZERO {
                return Err((
                    "limits",
                    "a limit's window must be longer than zero".to_string(),
                ));
            }
            if limit.counts == Counts::Tokens && !kind.uses_tokens() {
                return Err((
                    "limits",
                    format!(
                        "{} requests carry no tokens, so a token limit would never count anything",
                        kind.name()
                    ),
                ));
            }
        }
        draft.limits = Some(limits.clone());
    }

    if let Some(first_token) = entry.first_token {
        draft.first_token = Some(first_token);
    }
    if let Some(rate) = entry.tokens_per_sec {
        if !(rate.is_finite() && rate >= 0.0) {
            return Err((
                "tokens_per_sec",
                format!("expected a number of tokens per second >= 0, got {rate}"),
            ));
        }
        draft.tokens_per_sec = Some(rate);
    }
    if let Some(spread) = entry.spread {
        if !(spread.is_finite() && spread >= 0.0) {
            return Err((
                "spread",
                format!("expected a lognormal sigma >= 0 (0 = no spread), got {spread}"),
            ));
        }
        draft.spread = Some(spread);
    }
    Ok(())
}

fn unknown_class(kind: ModelType, class: &str) -> String {
    let names: Vec<&str> = match kind {
        ModelType::Image => presets::known_class_names(ClassKind::Image),
        _ => {
            let mut names = presets::known_class_names(ClassKind::Size);
            names.extend(presets::known_class_names(ClassKind::Provider));
            names
        }
    };
    format!(
        "{class:?} is not a {} class{}; expected one of {}",
        kind.name(),
        did_you_mean(&close_matches(class, names.iter().copied())),
        or_list(&names)
    )
}

/// The limits a draft gets under `preset`, by the resolution order.
fn resolve_draft(preset: &Preset, d: &Draft) -> Result<ResolvedModel, Problem> {
    let defaults = default_latency(d.kind, d.class.as_deref(), d.provider.as_deref());
    let latency = Latency {
        first_token: d.first_token.unwrap_or(defaults.first_token),
        tokens_per_sec: d.tokens_per_sec.unwrap_or(defaults.tokens_per_sec),
        spread: d.spread.unwrap_or(defaults.spread),
    };
    let (class, rule, limits) = match &d.limits {
        Some(limits) => with_overrides(preset, d, limits),
        None => class_limits(preset, d)?,
    };
    Ok(ResolvedModel {
        id: d.id.clone(),
        kind: d.kind,
        class,
        rule,
        limits,
        latency,
    })
}

/// The class limits of `d` with `explicit` laid over them: an explicit limit
/// replaces the class limits that count the same thing over the same window
/// (so `rpm` replaces the class RPM and leaves its TPM), and is added when the
/// class has none such. An empty `explicit` makes the model unlimited. When
/// the class cannot be resolved (a new model with only limits), the explicit
/// limits are all there is.
fn with_overrides(
    preset: &Preset,
    d: &Draft,
    explicit: &[LimitSpec],
) -> (String, Rule, Vec<LimitSpec>) {
    let own_class = || {
        d.provider
            .clone()
            .or_else(|| d.class.clone())
            .unwrap_or_default()
    };
    let Ok((class, rest, base)) = class_limits(preset, d) else {
        return (own_class(), Rule::Override, explicit.to_vec());
    };
    if explicit.is_empty() {
        return (own_class(), Rule::Override, Vec::new());
    }
    let same = |a: &LimitSpec, b: &LimitSpec| a.counts == b.counts && a.window == b.window;
    let mut limits = Vec::new();
    let mut kept = false;
    for (i, limit) in base.iter().enumerate() {
        if !explicit.iter().any(|e| same(e, limit)) {
            limits.push(*limit);
            kept = true;
        } else if !base[..i].iter().any(|b| same(b, limit)) {
            limits.extend(explicit.iter().filter(|e| same(e, limit)));
        }
    }
    limits.extend(explicit.iter().filter(|e| !base.iter().any(|b| same(b, e))));
    if !kept {
        return (own_class(), Rule::Override, limits);
    }
    let mut overridden: Vec<String> = Vec::new();
    for label in explicit.iter().map(LimitSpec::label) {
        if !overridden.contains(&label) {
            overridden.push(label);
        }
    }
    let rule = Rule::PartialOverride {
        overridden,
        rest: Box::new(rest),
    };
    (class, rule, limits)
}

fn class_limits(preset: &Preset, d: &Draft) -> Result<(String, Rule, Vec<LimitSpec>), Problem> {
    let requests_and_tokens = |rpm: u64, tpm: Option<u64>| {
        let mut limits = vec![LimitSpec::rpm(rpm)];
        limits.extend(tpm.map(LimitSpec::tpm));
        limits
    };
    let by_class =
        |name: &str, limits| Ok((name.to_string(), Rule::Class(name.to_string()), limits));

    match d.kind {
        ModelType::Text | ModelType::Embedding => {
            if let Some((name, rpm, tpm)) = d.provider.as_deref().and_then(|p| preset.provider(p)) {
                return Ok((
                    name.to_string(),
                    Rule::Provider(name.to_string()),
                    requests_and_tokens(rpm, tpm),
                ));
            }
            if let (ModelType::Embedding, Some((rpm, tpm))) = (d.kind, preset.embedding) {
                return by_class("Embedding", requests_and_tokens(rpm, tpm));
            }
            let sizes: Vec<&str> = preset.size_classes.iter().map(|row| row.0).collect();
            match d.class.as_deref() {
                Some(class) => match preset.size_class(class) {
                    Some((name, rpm, tpm)) => by_class(name, requests_and_tokens(rpm, tpm)),
                    None => Err((
                        "class",
                        format!(
                            "preset {} has no size class {class:?}; it has {}",
                            preset.name,
                            or_list(&sizes)
                        ),
                    )),
                },
                None => {
                    let why = match &d.provider {
                        Some(p) => format!(
                            "provider class {p} is not in preset {}, so the model needs a size class to fall back on",
                            preset.name
                        ),
                        None => format!("a {} model needs a size class, a provider class or explicit `limits`", d.kind.name()),
                    };
                    Err(("class", format!("{why}: one of {}", or_list(&sizes))))
                }
            }
        }
        ModelType::Image => {
            let images: Vec<&str> = preset.image_classes.iter().map(|row| row.0).collect();
            let Some(class) = d.class.as_deref() else {
                return Err((
                    "class",
                    format!(
                        "an image model needs an image class or explicit `limits`: one of {}",
                        or_list(&images)
                    ),
                ));
            };
            match preset
                .image_class(class)
                .or_else(|| preset.image_class(DEFAULT_IMAGE_CLASS))
            {
                Some((name, rpm)) => by_class(name, vec![LimitSpec::rpm(rpm)]),
                None => Err((
                    "class",
                    format!(
                        "preset {} has no image class {class:?}; it has {}",
                        preset.name,
                        or_list(&images)
                    ),
                )),
            }
        }
        ModelType::Tts => by_class("TTS", vec![LimitSpec::rpm(preset.tts_rpm)]),
        ModelType::Asr => by_class("ASR", vec![LimitSpec::rpm(preset.asr_rpm)]),
        ModelType::Video | ModelType::Music => Ok((String::new(), Rule::Unlimited, Vec::new())),
    }
}

/// A model id that is not in the policy, with the closest ids.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown model {id:?}{}", did_you_mean(.suggestions))]
pub struct UnknownModel {
    pub id: String,
    pub suggestions: Vec<String>,
}

impl Policy {
    /// The index of the model called `id` (exact, case-sensitive, as the API is).
    pub fn model_index(&self, id: &str) -> Result<ModelId, UnknownModel> {
        match self.models.iter().position(|m| m.id == id) {
            Some(index) => Ok(index as ModelId),
            None => Err(UnknownModel {
                id: id.to_string(),
                suggestions: close_matches(id, self.models.iter().map(|m| m.id.as_str()))
                    .into_iter()
                    .map(String::from)
                    .collect(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::presets::{preset, PRESETS};

    fn venice() -> &'static Preset {
        preset("venice").unwrap()
    }

    fn find<'a>(models: &'a [ResolvedModel], id: &str) -> &'a ResolvedModel {
        models
            .iter()
            .find(|m| m.id == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    }

    fn class(name: &str) -> Rule {
        Rule::Class(name.to_string())
    }

    fn rpm_tpm(rpm: u64, tpm: u64) -> Vec<LimitSpec> {
        vec![LimitSpec::rpm(rpm), LimitSpec::tpm(tpm)]
    }

    /// Every row of the published table, through the model that uses it.
    #[test]
    fn every_row_of_the_venice_table_resolves() {
        let models = resolve(venice(), &[]).unwrap();
        let expected: [(&str, Rule, Vec<LimitSpec>); 22] = [
            ("llama-3.2-3b", class("X-Small"), rpm_tpm(500, 5_000_000)),
            ("qwen3-5-9b", class("Small"), rpm_tpm(150, 3_000_000)),
            (
                "mistral-small-3-2-24b-instruct",
                class("Small"),
                rpm_tpm(150, 3_000_000),
            ),
            (
                "venice-uncensored-1-2",
                class("Small"),
                rpm_tpm(150, 3_000_000),
            ),
            (
                "google-gemma-3-27b-it",
                class("Medium"),
                rpm_tpm(100, 2_000_000),
            ),
            ("llama-3.3-70b", class("Medium"), rpm_tpm(100, 2_000_000)),
            ("zai-org-glm-5", class("Medium"), rpm_tpm(100, 2_000_000)),
            ("zai-org-glm-5-1", class("Medium"), rpm_tpm(100, 2_000_000)),
            (
                "openai-gpt-oss-120b",
                class("Large"),
                rpm_tpm(100, 2_000_000),
            ),
            (
                "qwen3-235b-a22b-instruct-2507",
                class("Large"),
                rpm_tpm(100, 2_000_000),
            ),
            (
                "hermes-3-llama-3.1-405b",
                class("Large"),
                rpm_tpm(100, 2_000_000),
            ),
            (
                "claude-sonnet-4-6",
                Rule::Provider("Anthropic".into()),
                rpm_tpm(500, 5_000_000),
            ),
            (
                "grok-4-3",
                Rule::Provider("xAI".into()),
                rpm_tpm(500, 10_000_000),
            ),
            (
                "text-embedding-bge-m3",
                class("X-Small"),
                rpm_tpm(500, 5_000_000),
            ),
            ("z-image-turbo", class("Default"), vec![LimitSpec::rpm(20)]),
            (
                "seedream-v5-lite",
                class("Bytedance"),
                vec![LimitSpec::rpm(50)],
            ),
            (
                "grok-imagine-image",
                class("grok-imagine"),
                vec![LimitSpec::rpm(120)],
            ),
            (
                "grok-imagine-image-quality",
                class("grok-imagine-pro"),
                vec![LimitSpec::rpm(20)],
            ),
            ("tts-kokoro", class("TTS"), vec![LimitSpec::rpm(60)]),
            (
                "openai/whisper-large-v3",
                class("ASR"),
                vec![LimitSpec::rpm(60)],
            ),
            ("kling-v3-pro-text-to-video", Rule::Unlimited, vec![]),
            ("minimax-music-v26", Rule::Unlimited, vec![]),
        ];
        assert_eq!(models.len(), expected.len());
        for (model, (id, rule, limits)) in models.iter().zip(expected) {
            assert_eq!(
                (model.id.as_str(), &model.rule, &model.limits),
                (id, &rule, &limits)
            );
        }
    }

    /// The rows no built-in model uses: DeepInfra, OpenRouter, Parasail, Fal.
    #[test]
    fn provider_and_image_rows_without_a_builtin_model() {
        let entries: Vec<ModelEntry> = [("DeepInfra", "a"), ("OpenRouter", "b"), ("parasail", "c")]
            .into_iter()
            .map(|(provider, id)| ModelEntry {
                id: id.into(),
                kind: Some(ModelType::Text),
                provider: Some(provider.into()),
                ..ModelEntry::default()
            })
            .chain([ModelEntry {
                id: "d".into(),
                kind: Some(ModelType::Image),
                class: Some("fal".into()),
                ..ModelEntry::default()
            }])
            .collect();
        let models = resolve(venice(), &entries).unwrap();
        assert_eq!(find(&models, "a").limits, rpm_tpm(150, 10_000_000));
        assert_eq!(find(&models, "b").limits, vec![LimitSpec::rpm(1_000)]);
        assert_eq!(find(&models, "c").rule, Rule::Provider("Parasail".into()));
        assert_eq!(find(&models, "c").limits, vec![LimitSpec::rpm(1_000)]);
        assert_eq!(find(&models, "d").rule, class("Fal"));
        assert_eq!(find(&models, "d").limits, vec![LimitSpec::rpm(50)]);
        // New models come after the catalogue, in entry order.
        let ids: Vec<&str> = models[CATALOGUE.len()..]
            .iter()
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
    }

    #[test]
    fn legacy_preset_falls_back_from_provider_and_image_classes() {
        let models = resolve(preset("venice-legacy").unwrap(), &[]).unwrap();
        let claude = find(&models, "claude-sonnet-4-6");
        assert_eq!(
            (&claude.rule, &claude.limits),
            (&class("Large"), &rpm_tpm(20, 500_000))
        );
        assert_eq!(
            find(&models, "llama-3.2-3b").limits,
            rpm_tpm(500, 1_000_000)
        );
        assert_eq!(find(&models, "qwen3-5-9b").limits, rpm_tpm(75, 750_000));
        assert_eq!(find(&models, "llama-3.3-70b").limits, rpm_tpm(50, 750_000));
        let seedream = find(&models, "seedream-v5-lite");
        assert_eq!(
            (&seedream.rule, &seedream.limits),
            (&class("Default"), &vec![LimitSpec::rpm(20)])
        );
        let embedding = find(&models, "text-embedding-bge-m3");
        assert_eq!(
            (&embedding.rule, &embedding.limits),
            (&class("Embedding"), &vec![LimitSpec::rpm(500)])
        );
        assert_eq!(find(&models, "tts-kokoro").limits, vec![LimitSpec::rpm(60)]);
    }

    #[test]
    fn partner_legacy_preset() {
        let models = resolve(preset("venice-partner-legacy").unwrap(), &[]).unwrap();
        assert_eq!(
            find(&models, "hermes-3-llama-3.1-405b").limits,
            rpm_tpm(60, 1_000_000)
        );
        assert_eq!(
            find(&models, "text-embedding-bge-m3").limits,
            rpm_tpm(500, 2_000_000)
        );
        assert_eq!(
            find(&models, "grok-imagine-image").limits,
            vec![LimitSpec::rpm(60)]
        );
        assert_eq!(
            find(&models, "openai/whisper-large-v3").limits,
            vec![LimitSpec::rpm(120)]
        );
    }

    #[test]
    fn every_preset_resolves_the_builtin_catalogue() {
        for p in PRESETS {
            assert_eq!(
                resolve(p, &[]).unwrap().len(),
                CATALOGUE.len(),
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn an_entry_changes_only_what_it_sets() {
        let entries = [
            ModelEntry {
                id: "llama-3.3-70b".into(),
                class: Some("xs".into()),
                ..ModelEntry::default()
            },
            ModelEntry {
                id: "zai-org-glm-5".into(),
                limits: Some(vec![LimitSpec::rpm(7)]),
                ..ModelEntry::default()
            },
            ModelEntry {
                id: "claude-sonnet-4-6".into(),
                class: Some("Medium".into()),
                ..ModelEntry::default()
            },
            ModelEntry {
                id: "google-gemma-3-27b-it".into(),
                class: Some("OpenRouter".into()),
                ..ModelEntry::default()
            },
            ModelEntry {
                id: "minimax-music-v26".into(),
                limits: Some(vec![LimitSpec::rpm(5)]),
                ..ModelEntry::default()
            },
            ModelEntry {
                id: "qwen3-5-9b".into(),
                limits: Some(vec![]),
                spread: Some(0.0),
                ..ModelEntry::default()
            },
        ];
        let models = resolve(venice(), &entries).unwrap();
        let llama = find(&models, "llama-3.3-70b");
        assert_eq!(
            (&llama.rule, &llama.limits),
            (&class("X-Small"), &rpm_tpm(500, 5_000_000))
        );
        assert_eq!(llama.latency.tokens_per_sec, 200.0);
        let glm = find(&models, "zai-org-glm-5");
        assert_eq!(
            (&glm.rule, glm.class.as_str(), &glm.limits),
            (
                &Rule::PartialOverride {
                    overridden: vec!["RPM".into()],
                    rest: Box::new(class("Medium"))
                },
                "Medium",
                &rpm_tpm(7, 2_000_000)
            )
        );
        assert_eq!(find(&models, "claude-sonnet-4-6").rule, class("Medium"));
        let gemma = find(&models, "google-gemma-3-27b-it");
        assert_eq!(
            (&gemma.rule, &gemma.limits),
            (
                &Rule::Provider("OpenRouter".into()),
                &vec![LimitSpec::rpm(1_000)]
            )
        );
        assert_eq!(find(&models, "minimax-music-v26").rule, Rule::Override);
        let qwen = find(&models, "qwen3-5-9b");
        assert_eq!(
            (&qwen.rule, qwen.limits.is_empty(), qwen.latency.spread),
            (&Rule::Override, true, 0.0)
        );
        assert_eq!(models.len(), CATALOGUE.len());
    }

    #[test]
    fn latency_defaults_and_overrides() {
        let entries = [ModelEntry {
            id: "tts-kokoro".into(),
            first_token: Some(Nanos::from_millis(300)),
            tokens_per_sec: Some(50.0),
            ..ModelEntry::default()
        }];
        let models = resolve(venice(), &entries).unwrap();
        let claude = find(&models, "claude-sonnet-4-6").latency;
        assert_eq!(
            (claude.first_token, claude.tokens_per_sec),
            (Nanos::from_millis(500), 60.0)
        );
        let hermes = find(&models, "hermes-3-llama-3.1-405b").latency;
        assert_eq!(
            (hermes.first_token, hermes.tokens_per_sec),
            (Nanos::from_millis(800), 40.0)
        );
        assert_eq!(
            find(&models, "kling-v3-pro-text-to-video")
                .latency
                .first_token,
            Nanos::from_secs(90)
        );
        let tts = find(&models, "tts-kokoro").latency;
        assert_eq!(
            (tts.first_token, tts.tokens_per_sec, tts.spread),
            (Nanos::from_millis(300), 50.0, DEFAULT_SPREAD)
        );
    }

    #[test]
    fn provider_unknown_to_the_preset_falls_back_or_asks_for_a_size_class() {
        let legacy = preset("venice-legacy").unwrap();
        let with_class = ModelEntry {
            id: "x".into(),
            kind: Some(ModelType::Text),
            class: Some("Small".into()),
            provider: Some("OpenRouter".into()),
            ..ModelEntry::default()
        };
        let models = resolve(legacy, std::slice::from_ref(&with_class)).unwrap();
        assert_eq!(find(&models, "x").rule, class("Small"));

        let without_class = ModelEntry {
            class: None,
            ..with_class
        };
        let err = resolve(legacy, &[without_class]).unwrap_err();
        assert_eq!((err.entry, err.field), (0, "class"));
        assert!(
            err.message
                .contains("provider class OpenRouter is not in preset venice-legacy"),
            "{err}"
        );
    }

    fn error_of(entries: &[ModelEntry]) -> CatalogueError {
        resolve(venice(), entries).unwrap_err()
    }

    #[test]
    fn errors_name_the_entry_and_field_and_suggest() {
        let ok = ModelEntry {
            id: "llama-3.2-3b".into(),
            ..ModelEntry::default()
        };

        let typo = ModelEntry {
            id: "llama-3.3-70".into(),
            ..ModelEntry::default()
        };
        let err = error_of(&[ok.clone(), typo]);
        assert_eq!((err.entry, err.field), (1, "kind"));
        assert!(err.message.contains("(did you mean llama-3.3-70b"), "{err}");

        let bad_class = ModelEntry {
            id: "llama-3.3-70b".into(),
            class: Some("Mediun".into()),
            ..ModelEntry::default()
        };
        let err = error_of(&[bad_class]);
        assert_eq!((err.entry, err.field), (0, "class"));
        assert_eq!(
            err.to_string(),
            "\"Mediun\" is not a text class (did you mean Medium?); expected one of \
             X-Small, Small, Medium, Large, DeepInfra, Anthropic, xAI, OpenRouter or Parasail"
        );

        let image_provider = ModelEntry {
            id: "z-image-turbo".into(),
            provider: Some("Fal".into()),
            ..ModelEntry::default()
        };
        assert_eq!(error_of(&[image_provider]).field, "provider");

        let size_as_provider = ModelEntry {
            id: "llama-3.3-70b".into(),
            provider: Some("Large".into()),
            ..ModelEntry::default()
        };
        assert!(error_of(&[size_as_provider])
            .message
            .contains("write it as `class`"));

        let image_tokens = ModelEntry {
            id: "z-image-turbo".into(),
            limits: Some(vec![LimitSpec::tpm(1_000)]),
            ..ModelEntry::default()
        };
        assert_eq!(error_of(&[image_tokens]).field, "limits");

        let zero = ModelEntry {
            id: "llama-3.2-3b".into(),
            limits: Some(vec![LimitSpec::rpm(0)]),
            ..ModelEntry::default()
        };
        assert_eq!(error_of(&[zero]).field, "limits");

        let tts_class = ModelEntry {
            id: "tts-kokoro".into(),
            class: Some("Small".into()),
            ..ModelEntry::default()
        };
        assert_eq!(error_of(&[tts_class]).field, "class");

        let classless = ModelEntry {
            id: "new".into(),
            kind: Some(ModelType::Image),
            ..ModelEntry::default()
        };
        let err = error_of(&[classless]);
        assert_eq!(err.field, "class");
        assert!(
            err.message
                .contains("Default, Bytedance, Fal, grok-imagine or grok-imagine-pro"),
            "{err}"
        );

        let nan = ModelEntry {
            id: "llama-3.2-3b".into(),
            tokens_per_sec: Some(f64::NAN),
            ..ModelEntry::default()
        };
        assert_eq!(error_of(&[nan]).field, "tokens_per_sec");
    }

    /// A `[[policy.models]]` entry that sets only `rpm` keeps the class TPM.
    #[test]
    fn a_partial_override_keeps_the_class_limits_it_does_not_name() {
        let text = "name = \"partial\"\n\n\
            [[policy.models]]\nid = \"llama-3.3-70b\"\nrpm = 250\n\n\
            [[policy.models]]\nid = \"qwen3-5-9b\"\ntpm = 9000\nrpd = 40\n\n\
            [[groups]]\nname = \"g\"\nmodel = \"llama-3.3-70b\"\n\
            arrival = { process = \"poisson\", rate = \"1/s\" }\n\
            input_tokens = 10\noutput_tokens = 10\n";
        let scenario = crate::scenario::parse(text, std::path::Path::new("partial.toml")).unwrap();
        let models = &scenario.policy.models;
        let llama = find(models, "llama-3.3-70b");
        assert_eq!(llama.class, "Medium");
        assert_eq!(llama.limits, rpm_tpm(250, 2_000_000));
        assert_eq!(
            crate::policy::describe::describe(
                &scenario.policy,
                scenario.policy.model_index("llama-3.3-70b").ok()
            )
            .lines()
            .nth(2)
            .unwrap(),
            "llama-3.3-70b  text  Medium  RPM override, size class Medium  250  2,000,000"
        );
        let day = LimitSpec {
            counts: Counts::Requests,
            window: Nanos::from_secs(86_400),
            amount: 40,
        };
        let qwen = find(models, "qwen3-5-9b");
        assert_eq!(
            qwen.limits,
            vec![LimitSpec::rpm(150), LimitSpec::tpm(9000), day]
        );
    }

    #[test]
    fn changing_the_type_drops_the_old_class() {
        let to_tts = ModelEntry {
            id: "llama-3.2-3b".into(),
            kind: Some(ModelType::Tts),
            ..ModelEntry::default()
        };
        let models = resolve(venice(), &[to_tts]).unwrap();
        assert_eq!(
            find(&models, "llama-3.2-3b").limits,
            vec![LimitSpec::rpm(60)]
        );

        let to_image = ModelEntry {
            id: "llama-3.2-3b".into(),
            kind: Some(ModelType::Image),
            ..ModelEntry::default()
        };
        assert_eq!(error_of(&[to_image]).field, "class");
    }

    #[test]
    fn model_index_suggests_close_ids() {
        let policy = Policy {
            preset: "venice".into(),
            models: resolve(venice(), &[]).unwrap(),
            window: Default::default(),
            tpm: Default::default(),
            lockout: Default::default(),
            header_units: Default::default(),
            scope: Default::default(),
            video: Default::default(),
        };
        assert_eq!(policy.model_index("llama-3.3-70b"), Ok(5));
        let err = policy.model_index("llama-3.3-70").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown model \"llama-3.3-70\" (did you mean llama-3.3-70b or llama-3.2-3b?)"
        );
        assert_eq!(
            policy.model_index("gpt-4o").unwrap_err().to_string(),
            "unknown model \"gpt-4o\""
        );
    }
}
