//! The text of a plan: the blocks (paragraphs, lists, tables) of the report
//! (rendered by `render`), the verdict `ratesim plan` prints, and the
//! helpers that word percentages and break points.
//!
//! The report opens with what a reader came for: a banner when today's load
//! already fails the objective, the answer, the recommendations; what was
//! simulated and the detail follow. A break point with its interval is one
//! unbreakable token, so a table cell never splits it over lines.

use super::render::Block;
use super::{factor_label, offered_today, scopes};
use crate::objective::{Measured, Term};
use crate::plan::{BreakPoint, Mechanism, PlanResult, Point, Scope};
use crate::policy::presets::{DEFAULT_PRESET, PARTNER_MULTIPLE};
use crate::policy::LimitScope;
use crate::report::numbers::{fixed, one_token, thousands};
use crate::scenario::Scenario;

fn pct(x: f64) -> String {
    if x == 0.0 {
        "0%".to_string()
    } else if x < 0.001 {
        format!("{:.2}%", 100.0 * x)
    } else {
        format!("{:.1}%", 100.0 * x)
    }
}

/// A break point in words, with its interval: one token (non-breaking spaces).
fn bp_text(bp: &BreakPoint, factors: &[f64]) -> String {
    one_token(&bp_words(bp, factors))
}

fn bp_words(bp: &BreakPoint, factors: &[f64]) -> String {
    let n = bp.searches.len();
    let (lo, hi) = (factors[0], *factors.last().expect("non-empty"));
    if bp.unreachable() {
        return format!("below {} (out of reach)", factor_label(lo));
    }
    if bp.above_sweep() * 2 > n {
        return format!("at least {}", factor_label(hi));
    }
    let e = bp.estimate;
    if n > 1 {
        format!(
            "{} (95% CI {} to {})",
            factor_label(e.mean),
            factor_label(e.low().max(0.0)),
            factor_label(e.high())
        )
    } else {
        factor_label(e.mean)
    }
}

fn headroom(bp: &BreakPoint) -> String {
    if bp.unreachable() {
        return "none".into();
    }
    let h = bp.estimate.mean - 1.0;
    if bp.above_sweep() * 2 > bp.searches.len() {
        format!("at least +{:.0}%", 100.0 * h)
    } else if h >= 0.0 {
        format!("+{:.0}%", 100.0 * h)
    } else {
        format!("{:.0}% (over today)", 100.0 * h)
    }
}

/// The banner of a plan whose objective already fails at today's load: how
/// many of today's runs break it, and each broken term's mean today against
/// its ceiling.
fn today_fails(res: &PlanResult) -> String {
    let obj = &res.settings.objective;
    let measured: Vec<Measured> = res.today().iter().map(|p| p.all.measured()).collect();
    let k = measured.len();
    let failing = measured.iter().filter(|m| !obj.meets(m)).count();
    let mean = |f: fn(&Measured) -> f64| measured.iter().map(f).sum::<f64>() / k as f64;
    let terms: Vec<String> = Term::ALL
        .into_iter()
        .filter(|t| measured.iter().any(|m| obj.broken(m).contains(t)))
        .map(|t| match t {
            Term::Share429 => format!(
                "429 share {} against at most {}",
                pct(mean(|m| m.share_429)),
                pct(obj.max_share_429.unwrap_or(0.0))
            ),
            Term::P99 => format!(
                "p99 completion {} s against at most {}",
                fixed(mean(|m| m.p99_s), 1),
                obj.max_p99.map_or_else(String::new, |d| d.to_string())
            ),
            Term::GaveUp => format!(
                "{} of requests given up against at most {}",
                pct(mean(|m| m.gave_up_share)),
                pct(obj.max_gave_up.unwrap_or(0.0))
            ),
        })
        .collect();
    format!(
        "**The objective already fails at today's load**: {failing} of {k} simulated runs of today's traffic break it (mean over the runs: {}). There is no headroom to plan growth into; start with the recommendations.",
        terms.join("; ")
    )
}

pub(super) fn blocks(sc: &Scenario, res: &PlanResult) -> Vec<Block> {
    let s = &res.settings;
    let k = s.replications;
    let obj = &s.objective;
    let name = |scope: Scope| scope.name(sc);
    let account = sc.policy.scope == LimitScope::Account;
    let mut b = Vec::new();

    if !res.meets_today() {
        b.push(Block::Banner(today_fails(res)));
    }

    // The answer.
    b.push(Block::Heading("The answer".into()));
    let all = res.breakpoint(Scope::All);
    let mut answer = Vec::new();
    if all.unreachable() {
        answer.push(format!(
            "**The objective is out of reach**: even at {} of today's traffic it is broken in {} of {k} simulated runs. Nothing in this plan's load range meets it; see what breaks first below and the recommendations.",
            factor_label(s.factors[0]),
            all.below_sweep()
        ));
    } else {
        answer.push(format!(
            "All traffic together meets the objective up to **{}** today's load. Headroom: {}.",
            bp_text(all, &s.factors),
            headroom(all)
        ));
    }
    for &m in &res.models {
        let scope = Scope::Model(m);
        let bp = res.breakpoint(scope);
        let cause = match res.mechanisms(sc, scope).first() {
            Some((m, n)) => format!("breaks by {} ({n} of {k} runs)", m.describe()),
            None => "does not break in the sweep".to_string(),
        };
        let split = res
            .own_keys_breakpoint(scope)
            .filter(|_| matches!(res.mechanism(sc, scope), Some(Mechanism::Lockout { .. })))
            .map(|o| {
                format!(
                    " With every group on a key of its own{}: up to {}.",
                    if account {
                        " (its own abuse lockout; the limits stay shared per account)"
                    } else {
                        ""
                    },
                    bp_text(o, &s.factors)
                )
            })
            .unwrap_or_default();
        if bp.unreachable() {
            answer.push(format!(
                "`{}`: **out of reach** even at {}; it {cause}.{split}",
                name(scope),
                factor_label(s.factors[0]),
            ));
        } else {
            answer.push(format!(
                "`{}`: up to {}; it {cause}.{split}",
                name(scope),
                bp_text(bp, &s.factors),
            ));
        }
    }
    b.push(Block::List(answer));

    // Recommendations.
    b.push(Block::Heading("Recommendations".into()));
    let mut recs = Vec::new();
    // Strategy.
    if !res.candidates.is_empty() {
        let mut ranked: Vec<(&str, &BreakPoint)> = res
            .candidates
            .iter()
            .map(|c| (c.label.as_str(), &c.breakpoints[0]))
            .collect();
        ranked.sort_by(|a, b| b.1.estimate.mean.total_cmp(&a.1.estimate.mean));
        let (best, bbp) = ranked[0];
        let list: Vec<String> = ranked
            .iter()
            .map(|(n, bp)| format!("{n} {}", bp_text(bp, &s.factors)))
            .collect();
        let vs_now = if bbp.estimate.mean > all.estimate.mean {
            if bbp.estimate.low() > all.estimate.high() {
                "clearly better than the configured strategies".to_string()
            } else {
                "better than the configured strategies, though within the uncertainty".to_string()
            }
        } else {
            "no better than the configured strategies".to_string()
        };
        recs.push(format!(
            "**Strategy**: `{best}` keeps the objective to the highest load, {} — {vs_now} ({}). All candidates, break point overall: {}.",
            bp_text(bbp, &s.factors),
            bp_text(all, &s.factors),
            list.join("; ")
        ));
    }
    // Pacing: only where a model's own limits are what refuses it; a pacer
    // cannot avoid a lockout that other traffic on the key trips.
    let mut pacing = Vec::new();
    let mut not_pacing = Vec::new();
    for &m in &res.models {
        let z = res.zero_429(m);
        let id = &sc.policy.models[m as usize].id;
        let offered = offered_today(sc, res, Scope::Model(m));
        match res.pacing_mechanism(sc, m) {
            Some(mech) if !mech.pacing_helps() => {
                not_pacing.push(format!("`{id}` ({})", mech.describe()));
                continue;
            }
            _ => {}
        }
        if z.unreachable() {
            pacing.push(format!(
                "`{id}` sees 429s from its own limits even at {} today's rate ({} req/min): pace it with a client-side token bucket below its limit",
                factor_label(s.factors[0]),
                fixed(offered * s.factors[0], 1)
            ));
        } else {
            let above = z.above_sweep() * 2 > z.searches.len();
            pacing.push(format!(
                "`{id}` {}{} req/min ({} today's)",
                if above { "at least " } else { "" },
                fixed(offered * z.estimate.mean, 1),
                factor_label(z.estimate.mean)
            ));
        }
    }
    if !pacing.is_empty() {
        recs.push(format!(
            "**Pacing**: the highest steady offered rate with no 429 at all in every run, from the sweep: {}. A client-side pacer set at or below these rates (per model and key) avoids the 429s of these models' own limits with this traffic's burstiness.",
            pacing.join("; ")
        ));
    }
    if !not_pacing.is_empty() {
        recs.push(format!(
            "**Pacing cannot help** {}: the first 429s these models meet do not come from their own limits, so pacing their requests does not avoid them. Fix the retries of the groups named, or move them to a key of their own.",
            not_pacing.join("; ")
        ));
    }
    // Keys / limits.
    let projected = s.projected_factor();
    let mut limit_recs = Vec::new();
    for scope in scopes(res) {
        match res.limit_multiple(scope) {
            Some(1) => {}
            Some(m) => limit_recs.push(format!("`{}` ×{m}", name(scope))),
            None => limit_recs.push(format!(
                "`{}` more than ×{} (not met at any multiple tried)",
                name(scope),
                crate::plan::LIMIT_MULTIPLES.last().expect("non-empty")
            )),
        }
    }
    recs.push(if limit_recs.is_empty() {
        format!(
            "**Keys and limits**: today's limits meet the objective at the projected load ({} in {} months).",
            factor_label(projected),
            s.horizon_months
        )
    } else {
        let keys = if account {
            "More keys would not help: the limits count per account (`policy.scope = \"account\"`), shared by every key."
        } else {
            "Or as many keys with the traffic split evenly over them: that helps only because the limits count per key (`policy.scope = \"key\"`; each key also gets its own abuse threshold); under per-account limits it would not."
        };
        format!(
            "**Keys and limits**: at the projected load ({} today's, {} months of growth), the objective needs every limit multiplied by: {}. That is the tier to ask for. {keys} Simulated with every limit ×{}.{}",
            factor_label(projected),
            s.horizon_months,
            limit_recs.join(", "),
            crate::plan::LIMIT_MULTIPLES
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ×"),
            partner_sentence(sc, res)
        )
    });
    // Unservable.
    let unservable: Vec<String> = res
        .models
        .iter()
        .filter_map(|&m| {
            let scope = Scope::Model(m);
            let n = res.today_mean(scope, |s| s.unservable as f64);
            (n > 0.0).then(|| {
                let share = n / res.today_mean(scope, |s| s.arrivals as f64).max(1.0);
                format!(
                    "`{}`: {} requests per run ({}) are larger than its token limit on their own and can never pass; split them or cut max_tokens",
                    name(scope),
                    fixed(n, 1),
                    pct(share)
                )
            })
        })
        .collect();
    recs.push(if unservable.is_empty() {
        "**Request sizes**: no request is too large for its model's token limit.".to_string()
    } else {
        format!("**Request sizes**: {}.", unservable.join("; "))
    });
    b.push(Block::List(recs));

    // What was simulated.
    b.push(Block::Heading("What was simulated".into()));
    b.push(Block::Para(format!(
        "Scenario **{}**{}: {} of traffic (then {} of drain) against policy `{}` with {} windows.",
        sc.name,
        if sc.description.is_empty() {
            String::new()
        } else {
            format!(" — {}", sc.description)
        },
        sc.duration,
        sc.drain,
        sc.policy.preset,
        sc.policy.window.name()
    )));
    b.push(Block::Para(format!(
        "**The objective**: {obj}. A load **meets** it when the simulated {} of traffic stays within every term. \"Load ×2\" means twice today's traffic: every arrival rate doubled (closed-loop groups get twice the workers; recorded traces are replayed twice as fast). Each load was simulated {k} times with different random seeds (the same seeds at every load), so the numbers in this report come with 95% confidence intervals.",
        sc.duration
    )));

    // Per model table.
    b.push(Block::Heading("Per model".into()));
    b.push(Block::Para("Break point: the largest load (× today's) that meets the objective for that model's requests, all traffic scaled together. Utilisation: admitted / capacity of each limit over the run at today's load, on the busiest key. The crossing date assumes the stated growth.".into()));
    let header: Vec<String> = [
        "model",
        "offered today (req/min)",
        "break point",
        "headroom",
        "binds first",
        "utilisation today",
        "first symptom and mechanism",
        "crossed on",
    ]
    .map(String::from)
    .to_vec();
    let mut rows = Vec::new();
    for &m in &res.models {
        let scope = Scope::Model(m);
        let bp = res.breakpoint(scope);
        let util: Vec<String> = res
            .utilisation_today(m)
            .iter()
            .map(|(l, u)| format!("{} {}", l.label(), pct(*u)))
            .collect();
        let crossing = if bp.unreachable() {
            "already".to_string()
        } else if bp.above_sweep() * 2 > bp.searches.len() {
            match res.crossing(bp.estimate.mean) {
                Some((_, d)) => format!("not before {d}"),
                None => "never (no growth)".into(),
            }
        } else {
            match res.crossing(bp.estimate.mean) {
                Some((0.0, _)) => "already".to_string(),
                Some((_, d)) => d.to_string(),
                None => "never (no growth)".into(),
            }
        };
        rows.push(vec![
            name(scope),
            fixed(offered_today(sc, res, scope), 1),
            bp_text(bp, &s.factors),
            headroom(bp),
            res.binding(scope).label().to_string(),
            if util.is_empty() {
                "not limited".into()
            } else {
                util.join(", ")
            },
            res.mechanism(sc, scope).map_or_else(
                || "none in range".into(),
                |m| match res.symptoms(scope).first() {
                    Some((t, _)) => format!("{t}: {}", m.describe()),
                    None => m.describe(),
                },
            ),
            crossing,
        ]);
    }
    b.push(Block::Table(header, rows));

    // Growth.
    b.push(Block::Heading("Growth".into()));
    b.push(Block::Para(format!(
        "At {:.0}% growth a month from {}, load is {} today's after {} months. A model crosses its break point b after ln(b) / ln(1 + growth) months.",
        100.0 * s.growth,
        s.start_date,
        factor_label(s.projected_factor()),
        s.horizon_months
    )));

    // Lockout check.
    b.push(Block::Heading("Abuse lockout during a 5xx burst".into()));
    let o = Some((res.outage_window.start, res.outage_window.end));
    let locked_with = res
        .outage
        .iter()
        .filter(|p| p.all.locked_out_s > 0.0)
        .count();
    let locked_without = res
        .today()
        .iter()
        .filter(|p| p.all.locked_out_s > 0.0)
        .count();
    let locked_keys = |pts: &[&Point]| -> std::collections::BTreeSet<String> {
        pts.iter()
            .flat_map(|p| p.key_lockout_s.iter())
            .filter(|(_, s)| *s > 0.0)
            .map(|(k, _)| k.clone())
            .collect()
    };
    let with: Vec<&Point> = res.outage.iter().collect();
    let keys_with = locked_keys(&with);
    let keys_without = locked_keys(&res.today());
    let only_outage: Vec<String> = keys_with
        .difference(&keys_without)
        .map(|k| format!("`{k}`"))
        .collect();
    let mean_locked = res.outage.iter().map(|p| p.all.locked_out_s).sum::<f64>() / f64::from(k);
    let mean_base = res.today().iter().map(|p| p.all.locked_out_s).sum::<f64>() / f64::from(k);
    let when = o.map_or_else(String::new, |(a, e)| format!(" from {a} to {e}"));
    let rule = format!(
        "more than {} counted answers in {} block a key for {}",
        thousands(sc.policy.lockout.threshold.into()),
        sc.policy.lockout.window,
        sc.policy.lockout.block
    );
    b.push(Block::Para(if !sc.policy.lockout.enabled {
        "The scenario disables the abuse lockout, so no outage can trigger it.".to_string()
    } else if locked_with == 0 {
        format!(
            "With every admitted request answered 503 for {}{when} at today's load, **no key was locked out** in any of {k} runs: the configured strategies back off enough to stay under the abuse threshold ({rule}).",
            s.outage
        )
    } else if only_outage.is_empty() && locked_without > 0 {
        format!(
            "Today's load already trips the abuse lockout without any outage ({locked_without} of {k} runs, {} s per run on average, keys {}); a {} 503 burst{when} makes it {} s ({locked_with} of {k} runs). Rule: {rule}.",
            fixed(mean_base, 0),
            keys_without.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
            s.outage,
            fixed(mean_locked, 0)
        )
    } else {
        format!(
            "**Yes: the configured strategies trip the abuse lockout during a 5xx burst.** With every admitted request answered 503 for {}{when} at today's load, {} locked out in {locked_with} of {k} runs ({} s of lockout per run on average{}). Rule: {rule}; fast, persistent retries of 5xx count toward it, longer backoff or a retry budget avoids it.",
            s.outage,
            if only_outage.len() == 1 {
                format!("key {} was", only_outage[0])
            } else {
                format!("keys {} were", only_outage.join(", "))
            },
            fixed(mean_locked, 0),
            if locked_without > 0 {
                format!(
                    "; without the outage only {} locked out, {} s",
                    keys_without.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
                    fixed(mean_base, 0)
                )
            } else {
                "; none without the outage".to_string()
            }
        )
    }));

    // Method.
    b.push(Block::Heading("How this was computed".into()));
    b.push(Block::List(vec![
        format!(
            "Load factors {} (geometric grid), then {} bisection steps between the last factor that held and the first that broke, separately in each of {k} replications (seeds {} to {}).",
            s.factors.iter().map(|f| factor_label(*f)).collect::<Vec<_>>().join(", "),
            s.bisect_steps,
            s.base_seed,
            s.base_seed + u64::from(k) - 1
        ),
        "A replication's break point is the largest factor that held; the break point shown is their mean with a Student-t 95% interval. A replication broken even at the smallest factor counts as 0; one that held at the largest counts as the largest (a lower bound).".into(),
        "429 share counts every 429 (limit, abuse lockout, overload) among attempts; p99 is over successful requests, arrival to success; given up counts requests the client abandoned or refused, as a share of arrivals. Requests too large for a token limit are reported separately.".into(),
        "The model's own limit that refuses first is the limit that refused most attempts at the smallest load where any of its limits refuses one; \"neither\" when none does in the sweep. What breaks a model is read off each replication's first breaking run: the failure most of its failed attempts met (its own limit; the abuse lockout of its key, with the client groups whose failures tripped the block; overload; or 5xx faults).".into(),
    ]));
    b.push(Block::Para("Data beside this report: plan.csv (every simulated run and scope) and breakpoints.csv (every break point with its interval).".into()));
    b
}

/// The lines `ratesim plan` prints: the overall and per-model break points.
/// " A partner agreement would need ..." with the limits each model needs
/// (empty when none needs more than today's), and whether the
/// `venice-partner` preset would cover them when the scenario runs on the
/// standard table.
fn partner_sentence(sc: &Scenario, res: &PlanResult) -> String {
    let needed = res.needed_limits(sc);
    if needed.is_empty() {
        return String::new();
    }
    let rows: Vec<String> = needed
        .iter()
        .map(|n| {
            let id = &sc.policy.models[n.model as usize].id;
            let limits: Vec<String> = n
                .limits
                .iter()
                .map(|l| format!("{} {}", thousands(l.amount), l.label()))
                .collect();
            match n.multiple {
                Some(k) => format!("`{id}` {} (×{k})", limits.join(", ")),
                None => format!(
                    "`{id}` more than ×{} of {}",
                    crate::plan::LIMIT_MULTIPLES.last().expect("non-empty"),
                    limits.join(", ")
                ),
            }
        })
        .collect();
    let most = needed.iter().map(|n| n.multiple.unwrap_or(u32::MAX)).max();
    let preset = if sc.policy.preset != DEFAULT_PRESET {
        String::new()
    } else if most.is_some_and(|k| u64::from(k) <= PARTNER_MULTIPLE) {
        format!(" The `venice-partner` preset (×{PARTNER_MULTIPLE} the standard table, an assumption) covers that.")
    } else {
        format!(" That is beyond the `venice-partner` preset (×{PARTNER_MULTIPLE} the standard table, an assumption).")
    };
    format!(
        " A partner agreement would need at least: {}.{preset}",
        rows.join("; ")
    )
}

pub fn verdict(sc: &Scenario, res: &PlanResult) -> Vec<String> {
    let s = &res.settings;
    let mut out = vec![format!("objective: {}", s.objective)];
    if !res.meets_today() {
        out.push("today's load already fails the objective (see the report's banner)".to_string());
    }
    for scope in scopes(res) {
        let bp = res.breakpoint(scope);
        let binding = match res.mechanism(sc, scope) {
            Some(m) => format!(", breaks by {}", m.describe()),
            None => String::new(),
        };
        out.push(format!(
            "{}: break point {}{binding}",
            scope.name(sc),
            bp_words(bp, &s.factors)
        ));
    }
    out
}
