//! Merging the part files of a sharded sweep into the report the
//! single-process run writes, byte for byte.

use super::{Args, PartFile};
use crate::cli::{input, write_files};
use anyhow::Result;
use ratesim::report::sweep::{self as render, Part};
use ratesim::sweep::Unit;
use std::path::PathBuf;

fn list(units: &[Unit]) -> String {
    const SHOWN: usize = 20;
    let mut s: Vec<String> = units
        .iter()
        .take(SHOWN)
        .map(|u| format!("(point {}, replication {})", u.point, u.replication))
        .collect();
    if units.len() > SHOWN {
        s.push(format!("and {} more", units.len() - SHOWN));
    }
    s.join(", ")
}

pub fn merge(files: &[PartFile], args: &Args) -> Result<()> {
    for (flag, given) in [
        ("--threshold", !args.thresholds.is_empty()),
        ("--export-json", args.export_json.is_some()),
        ("--export-markdown", args.export_markdown.is_some()),
    ] {
        if given {
            return Err(input(format!(
                "{flag} applies to compare parts; these are sweep parts"
            )));
        }
    }
    let mut parts: Vec<(PathBuf, Part)> = Vec::new();
    for f in files {
        let part = render::parse_part(&f.bytes, &f.name()).map_err(input)?;
        parts.push((f.path.clone(), part));
    }
    let (first_path, first) = &parts[0];
    let h = first.header.clone();
    for (path, p) in &parts[1..] {
        let o = &p.header;
        let differs = if o.scenario != h.scenario {
            Some("scenario file")
        } else if o.grid != h.grid
            || o.points != h.points
            || o.replications != h.replications
            || o.set != h.set
        {
            Some("grid (its [sweep] table or --seed)")
        } else if o.shard.count != h.shard.count {
            Some("shard count")
        } else if o.focus != h.focus {
            Some("metric of interest")
        } else {
            None
        };
        if let Some(what) = differs {
            return Err(input(format!(
                "{} and {} come from a different {what}: merge parts of one sweep only",
                first_path.display(),
                path.display()
            )));
        }
    }
    let units: Vec<Unit> = parts
        .iter()
        .flat_map(|(_, p)| {
            let mut u: Vec<Unit> = p.rows.iter().map(|r| r.unit).collect();
            u.dedup();
            u
        })
        .collect();
    let (missing, dup) = ratesim::sweep::check_complete(h.points, h.replications, &units);
    if !missing.is_empty() || !dup.is_empty() {
        let mut msg = String::from("the parts do not hold every unit exactly once:");
        if !missing.is_empty() {
            msg += &format!("\n  missing {} unit(s): {}", missing.len(), list(&missing));
        }
        if !dup.is_empty() {
            msg += &format!("\n  duplicated {} unit(s): {}", dup.len(), list(&dup));
        }
        let mut shards: Vec<u64> = parts.iter().map(|(_, p)| p.header.shard.index).collect();
        shards.sort_unstable();
        shards.dedup();
        let absent: Vec<String> = (0..h.shard.count)
            .filter(|k| !shards.contains(k))
            .take(20)
            .map(|k| k.to_string())
            .collect();
        if !absent.is_empty() {
            msg += &format!(
                "\n  no part of shard(s) {} of {} was given",
                absent.join(", "),
                h.shard.count
            );
        }
        return Err(input(msg));
    }
    let mut rows: Vec<render::Row> = parts.into_iter().flat_map(|(_, p)| p.rows).collect();
    // Stable: a unit's rows keep their group order.
    rows.sort_by_key(|r| r.unit);
    let files = render::sweep_files(&rows, &h.focus, &h.set)?;
    let written = write_files(&args.out, &files)?;
    if !args.quiet {
        print!("{}", render::terminal(&rows, &h.focus, &h.set));
        for p in written {
            eprintln!("wrote {}", p.display());
        }
    }
    Ok(())
}
