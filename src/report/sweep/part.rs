//! The part file a shard writes: self-describing, so `merge` needs nothing
//! else.
//!
//! ```text
//! #ratesim-sweep-part=1
//! #scenario=<FNV-1a of the scenario file, hex>
//! #grid=<hash of the grid's points, replications and seed, hex>
//! #shard=K/N
//! #points=P
//! #replications=R
//! #metric=success_share
//! #group=total
//! point,replication,seed,strategy,load,limits,[set paths...],group,arrivals,...
//! ```
//!
//! with one column per `set` path of the sweep, headed by the path,
//! between `limits` and `group` (none without `set`).
//!
//! then one row per unit and group with every summary metric, written in
//! Rust's shortest round-trip form (`NaN`, `inf` included), so merged
//! numbers are the numbers measured, to the bit.

use super::{Focus, Row};
use crate::report::summary::{csv_bytes, METRICS};
use crate::sweep::{Shard, Unit};

const MAGIC: &str = "ratesim-sweep-part";
const VERSION: &str = "1";

/// The header of a part file.
#[derive(Clone, Debug, PartialEq)]
pub struct PartHeader {
    pub scenario: u64,
    pub grid: u64,
    pub shard: Shard,
    pub points: usize,
    pub replications: u32,
    pub focus: Focus,
    /// The `set` axes' paths (the columns after `limits`).
    pub set: Vec<String>,
}

/// A parsed part file.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub header: PartHeader,
    pub rows: Vec<Row>,
}

/// The columns before the `set` paths.
const LEADING: [&str; 6] = ["point", "replication", "seed", "strategy", "load", "limits"];

fn columns(set: &[String]) -> Vec<&str> {
    let mut c = LEADING.to_vec();
    c.extend(set.iter().map(String::as_str));
    c.push("group");
    c.extend(METRICS.iter().map(|m| m.0));
    c
}

/// The bytes of a part file.
pub fn part_bytes(h: &PartHeader, rows: &[Row]) -> Vec<u8> {
    let mut out = format!(
        "#{MAGIC}={VERSION}\n#scenario={:016x}\n#grid={:016x}\n#shard={}/{}\n#points={}\n#replications={}\n#metric={}\n#group={}\n",
        h.scenario, h.grid, h.shard.index, h.shard.count, h.points, h.replications, h.focus.metric, h.focus.group
    )
    .into_bytes();
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut v = vec![
                r.unit.point.to_string(),
                r.unit.replication.to_string(),
                r.seed.to_string(),
                r.strategy.clone(),
                r.load.to_string(),
                r.limits.to_string(),
            ];
            v.extend(r.set.iter().cloned());
            v.push(r.group.clone());
            v.extend(r.values.iter().map(|x| x.to_string()));
            v
        })
        .collect();
    out.extend(csv_bytes(&columns(&h.set), &body));
    out
}

/// Parses a part file; errors name the line (`what` names the file).
pub fn parse_part(bytes: &[u8], what: &str) -> Result<Part, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("{what}: not UTF-8 text ({e})"))?;
    let mut fields: Vec<(&str, &str)> = Vec::new();
    let mut body_start = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let Some(rest) = line.strip_prefix('#') else {
            break;
        };
        let (k, v) = rest
            .trim_end_matches(['\n', '\r'])
            .split_once('=')
            .ok_or_else(|| {
                format!(
                    "{what}:{}: expected `#key=value` in the header, found {:?}",
                    n + 1,
                    line.trim_end()
                )
            })?;
        fields.push((k, v));
        body_start += line.len();
    }
    let get = |key: &str| -> Result<&str, String> {
        fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                format!("{what}: not a ratesim sweep part file (its header has no `#{key}=`)")
            })
    };
    if get(MAGIC)? != VERSION {
        return Err(format!(
            "{what}: part file version {:?}, expected {VERSION}",
            get(MAGIC)?
        ));
    }
    let hex = |key: &str| -> Result<u64, String> {
        u64::from_str_radix(get(key)?, 16)
            .map_err(|_| format!("{what}: header `{key}`: expected a hex hash"))
    };
    let int = |key: &str| -> Result<u64, String> {
        get(key)?
            .parse()
            .map_err(|_| format!("{what}: header `{key}`: expected a whole number"))
    };
    let header_lines = fields.len();
    let mut reader = csv::ReaderBuilder::new().from_reader(&bytes[body_start..]);
    let cols = reader
        .headers()
        .map_err(|e| format!("{what}:{}: {e}", header_lines + 1))?
        .clone();
    // The `set` paths sit between `limits` and `group`.
    let group_col = cols.iter().position(|c| c == "group").unwrap_or(0);
    let set: Vec<String> = cols
        .iter()
        .take(group_col)
        .skip(LEADING.len())
        .map(str::to_string)
        .collect();
    if cols.iter().collect::<Vec<_>>() != columns(&set) {
        return Err(format!(
            "{what}:{}: the columns are not those of this ratesim's part files",
            header_lines + 1
        ));
    }
    let header = PartHeader {
        scenario: hex("scenario")?,
        grid: hex("grid")?,
        shard: Shard::parse(get("shard")?, &format!("{what}: header `shard`"))?,
        points: int("points")? as usize,
        replications: u32::try_from(int("replications")?)
            .map_err(|_| format!("{what}: header `replications` is too large"))?,
        focus: Focus {
            metric: get("metric")?.to_string(),
            group: get("group")?.to_string(),
        },
        set,
    };
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = header_lines + 2 + i;
        let rec = rec.map_err(|e| format!("{what}:{line}: {e}"))?;
        let num = |c: usize| -> Result<f64, String> {
            rec[c].parse::<f64>().map_err(|_| {
                format!(
                    "{what}:{line}: column `{}`: expected a number, found {:?}",
                    &cols[c], &rec[c]
                )
            })
        };
        let whole = |c: usize| -> Result<u64, String> {
            rec[c].parse::<u64>().map_err(|_| {
                format!(
                    "{what}:{line}: column `{}`: expected a whole number, found {:?}",
                    &cols[c], &rec[c]
                )
            })
        };
        rows.push(Row {
            unit: Unit {
                point: whole(0)? as usize,
                replication: u32::try_from(whole(1)?)
                    .map_err(|_| format!("{what}:{line}: replication too large"))?,
            },
            seed: whole(2)?,
            strategy: rec[3].to_string(),
            load: num(4)?,
            limits: u32::try_from(whole(5)?)
                .map_err(|_| format!("{what}:{line}: limits too large"))?,
            set: (LEADING.len()..group_col)
                .map(|c| rec[c].to_string())
                .collect(),
            group: rec[group_col].to_string(),
            values: (group_col + 1..cols.len())
                .map(num)
                .collect::<Result<Vec<_>, _>>()?,
        });
    }
    Ok(Part { header, rows })
}
