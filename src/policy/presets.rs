//! The provider's published limit tables, as data.
//!
//! A preset is one table: a row per size class, provider class, image class
//! and audio type. Keeping the tables as plain constants (rather than code that
//! branches on names) means a new or changed table is an edit to one literal,
//! and the same resolution code serves every table.
//!
//! Four tables ship:
//!
//! - `venice`: the current standard paid tier, the default.
//! - `venice-partner`: the partner tier as [`PARTNER_MULTIPLE`] times every
//!   row of `venice`. The provider says partners sit above the standard tier
//!   with "significantly higher" limits tuned per partner and publishes no
//!   numbers, so this table is an assumption: 2x is the smallest whole
//!   multiple that is clearly above the standard tier on every row (the old
//!   partner table is not above it), and it is the first multiple `plan`
//!   tries when it asks what limits would meet an objective, so a plan that
//!   needs x2 is exactly what this preset gives. `plan` states the limits an
//!   agreement would need when a scenario needs more.
//! - `venice-legacy`: the older standard table. It had no provider classes and
//!   a single image row, so provider and image classes are absent from it; a
//!   model whose provider or image class a preset lacks falls back to its size
//!   class or to the preset's `Default` image class (see
//!   [`crate::policy::catalogue`]). Its embedding row publishes 500 RPM and no
//!   token limit, and is taken as exactly that.
//! - `venice-partner-legacy`: an older published partner table, kept under a
//!   name that says its age. It is below today's standard table (Large 60 RPM
//!   against 100), so it is history, not what a partner gets today. It has no
//!   embedding row, so embeddings use their size class.
//!
//! Class names given by users are matched case-insensitively, ignoring `-`,
//! `_`, spaces and parentheses (so "grok-imagine (pro)" is
//! "grok-imagine-pro"), and size classes also accept the short forms
//! XS, S, M, L (and xsmall, extra-small, sm, med, lg).

/// One limit table. Rows are `(canonical class name, RPM, TPM)`; a `None` TPM
/// means the class has no token limit.
#[derive(Debug, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    pub description: &'static str,
    /// The account tier the table belongs to, as the provider names it in
    /// `rateLimitTier` (rate-limit log) and `apiTier.id`.
    pub tier: &'static str,
    /// Text and embedding size classes: X-Small, Small, Medium, Large.
    pub size_classes: &'static [(&'static str, u64, Option<u64>)],
    /// Upstream provider classes that replace the size class for text and
    /// embedding models running on them.
    pub providers: &'static [(&'static str, u64, Option<u64>)],
    /// Image classes and their RPM; every preset has a "Default" row.
    pub image_classes: &'static [(&'static str, u64)],
    pub tts_rpm: u64,
    pub asr_rpm: u64,
    /// A row of its own for embedding models, `(RPM, TPM)`; `None` means
    /// embeddings use their size class like text models.
    pub embedding: Option<(u64, Option<u64>)>,
}

/// The preset a scenario gets when it names none.
pub const DEFAULT_PRESET: &str = "venice";

/// Name of the image class every preset has and unknown image classes fall back to.
pub const DEFAULT_IMAGE_CLASS: &str = "Default";

/// The partner preset's multiple of the standard table (see the module docs).
pub const PARTNER_MULTIPLE: u64 = 2;

const VENICE_SIZE: [(&str, u64, Option<u64>); 4] = [
    ("X-Small", 500, Some(5_000_000)),
    ("Small", 150, Some(3_000_000)),
    ("Medium", 100, Some(2_000_000)),
    ("Large", 100, Some(2_000_000)),
];
const VENICE_PROVIDERS: [(&str, u64, Option<u64>); 5] = [
    ("DeepInfra", 150, Some(10_000_000)),
    ("Anthropic", 500, Some(5_000_000)),
    ("xAI", 500, Some(10_000_000)),
    ("OpenRouter", 1_000, None),
    ("Parasail", 1_000, None),
];
const VENICE_IMAGES: [(&str, u64); 5] = [
    ("Default", 20),
    ("Bytedance", 50),
    ("Fal", 50),
    ("grok-imagine", 120),
    ("grok-imagine-pro", 20),
];
const VENICE_AUDIO_RPM: u64 = 60;

/// Every RPM and TPM of `rows` times `k`.
const fn times<const N: usize>(
    rows: [(&'static str, u64, Option<u64>); N],
    k: u64,
) -> [(&'static str, u64, Option<u64>); N] {
    let mut out = rows;
    let mut i = 0;
    while i < N {
        out[i].1 = rows[i].1 * k;
        out[i].2 = match rows[i].2 {
            Some(tpm) => Some(tpm * k),
            None => None,
        };
        i += 1;
    }
    out
}

/// Every RPM of `rows` times `k`.
const fn rpm_times<const N: usize>(
    rows: [(&'static str, u64); N],
    k: u64,
) -> [(&'static str, u64); N] {
    let mut out = rows;
    let mut i = 0;
    while i < N {
        out[i].1 = rows[i].1 * k;
        i += 1;
    }
    out
}

const PARTNER_SIZE: [(&str, u64, Option<u64>); 4] = times(VENICE_SIZE, PARTNER_MULTIPLE);
const PARTNER_PROVIDERS: [(&str, u64, Option<u64>); 5] = times(VENICE_PROVIDERS, PARTNER_MULTIPLE);
const PARTNER_IMAGES: [(&str, u64); 5] = rpm_times(VENICE_IMAGES, PARTNER_MULTIPLE);

/// Every shipped table, the default first.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "venice",
        description: "Venice standard paid tier: size, provider, image and audio classes",
        tier: "paid",
        size_classes: &VENICE_SIZE,
        providers: &VENICE_PROVIDERS,
        image_classes: &VENICE_IMAGES,
        tts_rpm: VENICE_AUDIO_RPM,
        asr_rpm: VENICE_AUDIO_RPM,
        embedding: None,
    },
    Preset {
        name: "venice-partner",
        description: "Venice partner tier, assumed: every row of the standard table x2 (no numbers are published)",
        tier: "partner-tier-1",
        size_classes: &PARTNER_SIZE,
        providers: &PARTNER_PROVIDERS,
        image_classes: &PARTNER_IMAGES,
        tts_rpm: VENICE_AUDIO_RPM * PARTNER_MULTIPLE,
        asr_rpm: VENICE_AUDIO_RPM * PARTNER_MULTIPLE,
        embedding: None,
    },
    Preset {
        name: "venice-legacy",
        description: "Venice's older standard table (no provider classes, one image row)",
        tier: "paid",
        size_classes: &[
            ("X-Small", 500, Some(1_000_000)),
            ("Small", 75, Some(750_000)),
            ("Medium", 50, Some(750_000)),
            ("Large", 20, Some(500_000)),
        ],
        providers: &[],
        image_classes: &[("Default", 20)],
        tts_rpm: 60,
        asr_rpm: 60,
        embedding: Some((500, None)),
    },
    Preset {
        name: "venice-partner-legacy",
        description: "An older published Venice partner table, below today's standard tier (history, not today's partner limits)",
        tier: "partner",
        size_classes: &[
            ("X-Small", 500, Some(2_000_000)),
            ("Small", 150, Some(1_500_000)),
            ("Medium", 100, Some(1_500_000)),
            ("Large", 60, Some(1_000_000)),
        ],
        providers: &[],
        image_classes: &[("Default", 60)],
        tts_rpm: 120,
        asr_rpm: 120,
        embedding: None,
    },
];

/// The preset called `name` (case-insensitive).
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// Short forms accepted for the size classes, in normalised spelling.
const SIZE_ALIASES: &[(&str, &[&str])] = &[
    ("X-Small", &["xs", "xsmall", "extrasmall"]),
    ("Small", &["s", "sm"]),
    ("Medium", &["m", "med"]),
    ("Large", &["l", "lg"]),
];

/// Lower case without `-`, `_`, spaces or parentheses: the form class names are compared in.
pub fn normalise_class(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '-' | '_' | ' ' | '(' | ')'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn find_row<'a, T>(
    rows: &'a [T],
    name: &str,
    row_name: impl Fn(&T) -> &'static str,
) -> Option<&'a T> {
    let wanted = normalise_class(name);
    rows.iter()
        .find(|row| normalise_class(row_name(row)) == wanted)
}

impl Preset {
    /// The size class row called `name` or one of its aliases.
    pub fn size_class(&self, name: &str) -> Option<(&'static str, u64, Option<u64>)> {
        let name = canonical_size_alias(name).unwrap_or(name);
        find_row(self.size_classes, name, |row| row.0).copied()
    }

    /// The provider class row called `name`.
    pub fn provider(&self, name: &str) -> Option<(&'static str, u64, Option<u64>)> {
        find_row(self.providers, name, |row| row.0).copied()
    }

    /// The image class row called `name`.
    pub fn image_class(&self, name: &str) -> Option<(&'static str, u64)> {
        find_row(self.image_classes, name, |row| row.0).copied()
    }
}

fn canonical_size_alias(name: &str) -> Option<&'static str> {
    let wanted = normalise_class(name);
    SIZE_ALIASES
        .iter()
        .find(|(_, aliases)| aliases.contains(&wanted.as_str()))
        .map(|(canonical, _)| *canonical)
}

/// Which table of a preset a class name belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassKind {
    Size,
    Provider,
    Image,
}

/// The canonical spelling and table of a class name known to any preset, so a
/// name valid in one table but absent from another is told apart from a typo.
pub fn known_class(name: &str) -> Option<(ClassKind, &'static str)> {
    let name = canonical_size_alias(name).unwrap_or(name);
    PRESETS.iter().find_map(|p| {
        p.size_class(name)
            .map(|row| (ClassKind::Size, row.0))
            .or_else(|| p.provider(name).map(|row| (ClassKind::Provider, row.0)))
            .or_else(|| p.image_class(name).map(|row| (ClassKind::Image, row.0)))
    })
}

/// Every canonical class name of one kind across all presets, in table order.
pub fn known_class_names(kind: ClassKind) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for p in PRESETS {
        let rows: Vec<&'static str> = match kind {
            ClassKind::Size => p.size_classes.iter().map(|row| row.0).collect(),
            ClassKind::Provider => p.providers.iter().map(|row| row.0).collect(),
            ClassKind::Image => p.image_classes.iter().map(|row| row.0).collect(),
        };
        for name in rows {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_found_by_name_in_any_case() {
        assert_eq!(preset("venice").map(|p| p.name), Some("venice"));
        assert_eq!(
            preset("Venice-Legacy").map(|p| p.name),
            Some("venice-legacy")
        );
        assert!(preset("venice-partner-2").is_none());
        assert_eq!(PRESETS[0].name, DEFAULT_PRESET);
    }

    #[test]
    fn the_partner_preset_is_twice_every_row_of_the_standard_table() {
        let (standard, partner) = (preset("venice").unwrap(), preset("venice-partner").unwrap());
        assert_eq!(partner.tier, "partner-tier-1");
        let pairs = standard.size_classes.iter().zip(partner.size_classes);
        let pairs = pairs.chain(standard.providers.iter().zip(partner.providers));
        for (s, p) in pairs {
            assert_eq!((p.0, p.1, p.2), (s.0, 2 * s.1, s.2.map(|t| 2 * t)));
        }
        assert_eq!(
            partner.size_class("Large"),
            Some(("Large", 200, Some(4_000_000)))
        );
        assert_eq!(
            partner.provider("OpenRouter"),
            Some(("OpenRouter", 2_000, None))
        );
        for (s, p) in standard.image_classes.iter().zip(partner.image_classes) {
            assert_eq!(*p, (s.0, 2 * s.1));
        }
        assert_eq!((partner.tts_rpm, partner.asr_rpm), (120, 120));
        // Above the standard tier on every size class; the legacy partner table is not.
        let legacy = preset("venice-partner-legacy").unwrap();
        assert!(legacy.size_class("Large").unwrap().1 < standard.size_class("Large").unwrap().1);
        assert_eq!(standard.providers.len(), partner.providers.len());
    }

    #[test]
    fn every_preset_has_the_four_size_classes_and_a_default_image_class() {
        for p in PRESETS {
            for class in ["X-Small", "Small", "Medium", "Large"] {
                assert!(p.size_class(class).is_some(), "{} lacks {class}", p.name);
            }
            assert!(p.image_class(DEFAULT_IMAGE_CLASS).is_some(), "{}", p.name);
        }
    }

    #[test]
    fn size_class_aliases() {
        let venice = preset("venice").unwrap();
        for alias in [
            "xs",
            "XS",
            "xsmall",
            "x-small",
            "X_Small",
            "extra-small",
            "X-Small",
        ] {
            assert_eq!(
                venice.size_class(alias),
                Some(("X-Small", 500, Some(5_000_000))),
                "{alias}"
            );
        }
        assert_eq!(venice.size_class("m").map(|r| r.0), Some("Medium"));
        assert_eq!(venice.size_class("LG").map(|r| r.0), Some("Large"));
        assert_eq!(venice.size_class("huge"), None);
    }

    #[test]
    fn provider_and_image_names_ignore_case_and_punctuation() {
        let venice = preset("venice").unwrap();
        assert_eq!(
            venice.provider("openrouter"),
            Some(("OpenRouter", 1_000, None))
        );
        assert_eq!(venice.provider("XAI").map(|r| r.1), Some(500));
        assert_eq!(
            venice.image_class("grok-imagine (pro)"),
            Some(("grok-imagine-pro", 20))
        );
        assert_eq!(venice.image_class("BYTEDANCE"), Some(("Bytedance", 50)));
    }

    #[test]
    fn known_classes_span_all_presets() {
        assert_eq!(
            known_class("parasail"),
            Some((ClassKind::Provider, "Parasail"))
        );
        assert_eq!(known_class("xs"), Some((ClassKind::Size, "X-Small")));
        assert_eq!(known_class("fal"), Some((ClassKind::Image, "Fal")));
        assert_eq!(known_class("Gigantic"), None);
        assert_eq!(
            known_class_names(ClassKind::Size),
            ["X-Small", "Small", "Medium", "Large"]
        );
    }
}
