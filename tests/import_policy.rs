//! `ratesim policy import`: the sample body of GET /api/v1/api_keys/rate_limits
//! becomes exactly the limits it lists, and the written TOML gives a scenario
//! those limits.

mod support;

use std::path::Path;

use ratesim::policy::import::{import_limits, policy_toml};
use ratesim::policy::{Counts, LimitSpec};
use ratesim::time::Nanos;
use support::repo;

/// (model, [(type, amount)]) as the body lists them, read independently.
fn listed(body: &str) -> Vec<(String, Vec<(String, u64)>)> {
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    json["data"]["rateLimits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let limits = m["rateLimits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    (
                        l["type"].as_str().unwrap().to_string(),
                        l["amount"].as_u64().unwrap(),
                    )
                })
                .collect();
            (m["apiModelId"].as_str().unwrap().to_string(), limits)
        })
        .collect()
}

/// A limit as the API names it.
fn api_type(limit: &LimitSpec) -> (String, u64) {
    let name = match (limit.counts, limit.window) {
        (Counts::Requests, Nanos::MINUTE) => "RPM",
        (Counts::Tokens, Nanos::MINUTE) => "TPM",
        (Counts::Requests, w) if w == Nanos::from_secs(86_400) => "RPD",
        other => panic!("the API has no limit like {other:?}"),
    };
    (name.to_string(), limit.amount)
}

fn sorted(mut v: Vec<(String, u64)>) -> Vec<(String, u64)> {
    v.sort();
    v
}

#[test]
fn the_sample_body_imports_exactly_its_limits() {
    let body = std::fs::read_to_string(repo("scenarios/samples/rate_limits.json")).unwrap();
    let expected = listed(&body);
    let entries = import_limits(&body).unwrap();
    assert_eq!(entries.len(), expected.len());
    for (entry, (id, limits)) in entries.iter().zip(&expected) {
        assert_eq!(&entry.id, id);
        let got: Vec<(String, u64)> = entry
            .limits
            .as_ref()
            .unwrap()
            .iter()
            .map(api_type)
            .collect();
        assert_eq!(&got, limits, "{id}");
    }
    // Video and music list nothing: not limited.
    assert!(expected.iter().any(|(_, l)| l.is_empty()));

    let text = format!(
        "name = \"imported\"\n\n[[groups]]\nname = \"g\"\nmodel = \"llama-3.3-70b\"\n\
         arrival = {{ process = \"poisson\", rate = \"1/s\" }}\ninput_tokens = 10\n\
         output_tokens = 10\n\n{}",
        policy_toml(&entries, "Imported from scenarios/samples/rate_limits.json")
    );
    let scenario = ratesim::scenario::parse(&text, Path::new("imported.toml"))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    for (id, limits) in &expected {
        let model = scenario.policy.models.iter().find(|m| &m.id == id).unwrap();
        let got: Vec<(String, u64)> = model.limits.iter().map(api_type).collect();
        assert_eq!(sorted(got), sorted(limits.clone()), "{id}");
    }
    // The one id the catalogue lacks was added as a text model.
    assert!(text.contains("id = \"mistral-medium-3-1\"\ntype = \"text\"  # not in the built-in"));
}

/// Every body `policy import` accepts writes TOML the scenario loader
/// accepts: amounts at and past the bounds, every limit type, known and
/// unknown ids (odd characters included), empty lists.
#[test]
fn every_accepted_import_loads_in_a_scenario() {
    let amounts = [
        "0",
        "1",
        "2.0",
        "1.5",
        "-3",
        "100",
        "9007199254740991",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "\"5\"",
        "null",
    ];
    let ids = [
        "llama-3.3-70b",
        "z-image-turbo",
        "kling-v3-pro-text-to-video",
        "new-model",
        "q\\\"uote's \\u00e9",
        " padded ",
    ];
    let (mut accepted, mut refused) = (0, 0);
    for id in ids {
        for types in [
            &["RPM"][..],
            &["TPM"],
            &["RPD"],
            &["RPM", "TPM", "RPD"],
            &[],
        ] {
            for amount in amounts {
                let limits: Vec<String> = types
                    .iter()
                    .map(|t| format!("{{\"type\":\"{t}\",\"amount\":{amount}}}"))
                    .collect();
                let body = format!(
                    "{{\"data\":{{\"rateLimits\":[{{\"apiModelId\":\"{id}\",\"rateLimits\":[{}]}}]}}}}",
                    limits.join(",")
                );
                let Ok(entries) = import_limits(&body) else {
                    refused += 1;
                    continue;
                };
                accepted += 1;
                let text = format!(
                    "name = \"imported\"\n\n[[groups]]\nname = \"g\"\nmodel = \"llama-3.3-70b\"\n\
                     arrival = {{ process = \"poisson\", rate = \"1/s\" }}\ninput_tokens = 10\n\
                     output_tokens = 10\n\n{}",
                    policy_toml(&entries, "round trip")
                );
                if let Err(e) = ratesim::scenario::parse(&text, Path::new("imported.toml")) {
                    panic!("import accepted {body} but the scenario refuses it: {e}");
                }
            }
        }
    }
    assert!(
        accepted > 20 && refused > 20,
        "{accepted} accepted, {refused} refused"
    );
}
