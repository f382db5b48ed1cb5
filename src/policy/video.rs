//! The two readings of how video models are limited.
//!
//! The current rate-limit page says video and music models are not rate
//! limited (they are billed per use); older docs limited video per call, 40
//! queue calls and 120 retrieve calls a minute. ratesim simulates a video
//! request as one call that answers with the finished video: that call is
//! the queue call, and the polling (retrieve) calls a real client makes while
//! it waits are not simulated. So under the per-call reading a video model
//! gets the queue call's 40 RPM; the 120 retrieve calls a minute are
//! documented, not enforced (a client polling once every 2 s or slower per
//! video in flight stays under them).
//!
//! The reading applies after the catalogue resolved the models, and only to
//! video models the resolution left unlimited by type: a scenario that sets
//! a video model's limits (or `unlimited = true`) keeps what it set.

use crate::policy::{LimitSpec, ModelType, ResolvedModel, Rule, VideoLimits};

/// Queue calls a minute under the per-call reading.
pub const QUEUE_RPM: u64 = 40;
/// Retrieve (polling) calls a minute under the per-call reading; not
/// enforced, since polling is not simulated.
pub const RETRIEVE_RPM: u64 = 120;

/// Applies `reading` to the resolved models.
pub fn apply(models: &mut [ResolvedModel], reading: VideoLimits) {
    if reading == VideoLimits::Unlimited {
        return;
    }
    for m in models
        .iter_mut()
        .filter(|m| m.kind == ModelType::Video && m.rule == Rule::Unlimited)
    {
        m.rule = Rule::VideoPerCall;
        m.limits = vec![LimitSpec::rpm(QUEUE_RPM)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::catalogue::{resolve, ModelEntry};
    use crate::policy::presets::preset;

    fn find<'a>(models: &'a [ResolvedModel], id: &str) -> &'a ResolvedModel {
        models.iter().find(|m| m.id == id).unwrap()
    }

    #[test]
    fn per_call_limits_video_to_its_queue_calls_and_leaves_music_and_overrides_alone() {
        let entry = ModelEntry {
            id: "my-video".into(),
            kind: Some(ModelType::Video),
            limits: Some(vec![LimitSpec::rpm(5)]),
            ..ModelEntry::default()
        };
        let table = preset("venice").unwrap();
        let mut models = resolve(table, &[entry]).unwrap();
        let before = models.clone();
        apply(&mut models, VideoLimits::Unlimited);
        assert_eq!(models, before);
        apply(&mut models, VideoLimits::PerCall);
        let video = find(&models, "kling-v3-pro-text-to-video");
        assert_eq!(video.rule, Rule::VideoPerCall);
        assert_eq!(video.limits, [LimitSpec::rpm(40)]);
        assert_eq!(find(&models, "minimax-music-v26").limits, []);
        assert_eq!(find(&models, "my-video").limits, [LimitSpec::rpm(5)]);
    }
}
