//! The part file one shard writes for one round of a sharded `plan` or
//! `tune`: self-describing, so the other shards and `merge` need nothing
//! else.
//!
//! ```text
//! #ratesim-rounds-part=1
//! #kind=plan
//! #search=<FNV-1a of the kind, the scenario's path and text and the options, hex>
//! #round=3
//! #label=load bisection step 1
//! #shard=K/N
//! #units=U
//! #origin=<the scenario's path and text and the options, as a record>
//! unit,hash,replication,result
//! 0,9f0c...,0,<the unit's result as a record>
//! ```
//!
//! `units` counts the whole round's units, every shard's. The origin is
//! what `merge` rebuilds the search from; records are the lossless encoding
//! of [`crate::experiment::record`], decoded by the search's own type.

use crate::experiment::record::{self, DecodeError, Decoder, Encoder, Record};
use crate::sweep::{fnv1a, fnv1a_more, Shard};

const MAGIC: &str = "ratesim-rounds-part";
const VERSION: &str = "1";
const COLUMNS: &str = "unit,hash,replication,result";

/// What a search was made from: enough to make it again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The scenario's path as given on the command line.
    pub scenario_path: String,
    pub scenario_text: String,
    /// The command's options that change the search, as (name, value).
    pub options: Vec<(String, String)>,
}

impl Record for Origin {
    fn encode(&self, e: &mut Encoder) {
        e.str(&self.scenario_path);
        e.str(&self.scenario_text);
        e.len(self.options.len());
        for (k, v) in &self.options {
            e.str(k);
            e.str(v);
        }
    }

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let scenario_path = d.str("scenario path")?;
        let scenario_text = d.str("scenario text")?;
        let mut options = Vec::new();
        for _ in 0..d.len("options", 2)? {
            options.push((d.str("option name")?, d.str("option value")?));
        }
        Ok(Origin {
            scenario_path,
            scenario_text,
            options,
        })
    }
}

impl Origin {
    /// The search's hash: parts of two searches never mix. It covers this
    /// ratesim's version, so parts of another build do not either.
    pub fn search_hash(&self, kind: &str) -> u64 {
        let h = fnv1a(format!("{MAGIC}={VERSION} {}", env!("CARGO_PKG_VERSION")).as_bytes());
        let h = fnv1a_more(h, kind.as_bytes());
        fnv1a_more(h, record::encode(self).as_bytes())
    }

    /// The value of option `name`, if given.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The stable hash of one unit of round `round` of search `search`: the
/// variant's canonical identity and the replication.
pub fn unit_hash(search: u64, round: usize, identity: &[u8], replication: u32) -> u64 {
    let h = fnv1a(&search.to_le_bytes());
    let h = fnv1a_more(h, &(round as u64).to_le_bytes());
    let h = fnv1a_more(h, &(identity.len() as u64).to_le_bytes());
    let h = fnv1a_more(h, identity);
    fnv1a_more(h, &replication.to_le_bytes())
}

/// The name of shard `s`'s part of round `round`.
pub fn part_name(kind: &str, round: usize, s: Shard) -> String {
    format!("{kind}-round-{round}-part-{}-of-{}.csv", s.index, s.count)
}

/// The (round, shard) a part file's name says, if it is one of `kind`'s.
pub fn parse_part_name(kind: &str, name: &str) -> Option<(usize, Shard)> {
    let rest = name.strip_prefix(kind)?.strip_prefix("-round-")?;
    let rest = rest.strip_suffix(".csv")?;
    let (round, shard) = rest.split_once("-part-")?;
    let (k, n) = shard.split_once("-of-")?;
    let round = round.parse().ok()?;
    let shard = Shard::parse(&format!("{k}/{n}"), "").ok()?;
    Some((round, shard))
}

/// One unit's result in a part.
#[derive(Clone, Debug, PartialEq)]
pub struct PartRow {
    pub unit: usize,
    pub hash: u64,
    pub replication: u32,
    /// The result's record, still encoded.
    pub result: String,
    /// The row's line in the file.
    pub line: usize,
}

/// A part file.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundPart {
    pub kind: String,
    pub search: u64,
    pub round: usize,
    pub label: String,
    pub shard: Shard,
    /// Units in the whole round.
    pub units: usize,
    pub origin: Origin,
    pub rows: Vec<PartRow>,
}

/// The bytes of a part file.
pub fn part_bytes(p: &RoundPart) -> Vec<u8> {
    let mut out = format!(
        "#{MAGIC}={VERSION}\n#kind={}\n#search={:016x}\n#round={}\n#label={}\n#shard={}/{}\n#units={}\n#origin={}\n{COLUMNS}\n",
        p.kind,
        p.search,
        p.round,
        p.label.replace(['\n', '\r'], " "),
        p.shard.index,
        p.shard.count,
        p.units,
        record::encode(&p.origin)
    );
    for r in &p.rows {
        out += &format!(
            "{},{:016x},{},{}\n",
            r.unit, r.hash, r.replication, r.result
        );
    }
    out.into_bytes()
}

/// Whether `bytes` start like a rounds part file.
pub fn is_part(bytes: &[u8]) -> bool {
    bytes.starts_with(format!("#{MAGIC}=").as_bytes())
}

/// A located reason a part file does not parse: (line, message).
pub type PartError = (usize, String);

/// Parses a part file.
pub fn parse_part(bytes: &[u8]) -> Result<RoundPart, PartError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        (line, "not UTF-8 text".to_string())
    })?;
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let mut header = |key: &str| -> Result<(usize, &str), PartError> {
        let (n, line) = lines
            .next()
            .ok_or((0, format!("the file ends before its `#{key}=` line")))?;
        let value = line
            .strip_prefix('#')
            .and_then(|l| l.strip_prefix(key))
            .and_then(|l| l.strip_prefix('='))
            .ok_or_else(|| {
                let shown: String = line.chars().take(60).collect();
                (n, format!("expected `#{key}=...`, found {shown:?}"))
            })?;
        Ok((n, value))
    };
    let (n, version) = header(MAGIC)?;
    if version != VERSION {
        return Err((
            n,
            format!("part file version {version:?}, expected {VERSION}"),
        ));
    }
    let (_, kind) = header("kind")?;
    let kind = kind.to_string();
    let (n, search) = header("search")?;
    let search = u64::from_str_radix(search, 16).map_err(|_| {
        (
            n,
            format!("`search`: expected a hex hash, found {search:?}"),
        )
    })?;
    let whole = |(n, v): (usize, &str), what: &str| -> Result<usize, PartError> {
        v.parse()
            .map_err(|_| (n, format!("`{what}`: expected a whole number, found {v:?}")))
    };
    let round = whole(header("round")?, "round")?;
    let (_, label) = header("label")?;
    let label = label.to_string();
    let (n, shard) = header("shard")?;
    let shard = Shard::parse(shard, "`shard`").map_err(|e| (n, e))?;
    let units = whole(header("units")?, "units")?;
    let (n, origin) = header("origin")?;
    let origin: Origin = record::decode(origin).map_err(|e| (n, format!("`origin`: {e}")))?;
    let (n, cols) = lines
        .next()
        .ok_or((0, "the file ends before its column line".to_string()))?;
    if cols != COLUMNS {
        return Err((n, format!("expected the columns `{COLUMNS}`")));
    }
    let mut rows = Vec::new();
    for (n, line) in lines {
        let mut f = line.splitn(4, ',');
        let mut next = |what: &str| {
            f.next()
                .ok_or((n, format!("the row ends before its `{what}` column")))
        };
        let unit = next("unit")?;
        let unit: usize = unit.parse().ok().filter(|&u| u < units).ok_or((
            n,
            format!("`unit`: expected a unit below {units}, found {unit:?}"),
        ))?;
        let hash = next("hash")?;
        let hash = u64::from_str_radix(hash, 16)
            .map_err(|_| (n, format!("`hash`: expected a hex hash, found {hash:?}")))?;
        let rep = next("replication")?;
        let replication = rep.parse().map_err(|_| {
            (
                n,
                format!("`replication`: expected a whole number, found {rep:?}"),
            )
        })?;
        let result = next("result")?.to_string();
        rows.push(PartRow {
            unit,
            hash,
            replication,
            result,
            line: n,
        });
    }
    Ok(RoundPart {
        kind,
        search,
        round,
        label,
        shard,
        units,
        origin,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RoundPart {
        RoundPart {
            kind: "plan".into(),
            search: 0xdead_beef,
            round: 2,
            label: "load grid".into(),
            shard: Shard { index: 1, count: 3 },
            units: 5,
            origin: Origin {
                scenario_path: "scenarios/a b.toml".into(),
                scenario_text: "name = \"x\"\n# comment, with \"quotes\"\n".into(),
                options: vec![("objective".into(), "share_429<=1%,p99<=60s".into())],
            },
            rows: vec![PartRow {
                unit: 4,
                hash: 7,
                replication: 1,
                result: "1 3ff0000000000000 s6b".into(),
                line: 10,
            }],
        }
    }

    #[test]
    fn a_part_round_trips() {
        let p = sample();
        let bytes = part_bytes(&p);
        assert!(is_part(&bytes));
        assert_eq!(parse_part(&bytes).unwrap(), p);
        assert_eq!(
            parse_part_name("plan", &part_name("plan", 2, p.shard)),
            Some((2, p.shard))
        );
        assert_eq!(
            parse_part_name("plan", ".plan-round-2-part-1-of-3.csv.partial-9"),
            None
        );
        assert_eq!(
            parse_part_name("tune", "plan-round-2-part-1-of-3.csv"),
            None
        );
    }

    #[test]
    fn corrupt_parts_are_located_errors() {
        let good = String::from_utf8(part_bytes(&sample())).unwrap();
        let cases = [
            (good.replace("#search=", "#serch="), 3),
            (good.replace("#units=5", "#units=five"), 7),
            (good.replace("4,0000", "9,0000"), 10),
            (good.replace("0000000000000007", "zz"), 10),
            (good.replace(",1,1 3ff", ",x,1 3ff"), 10),
            (good.replace("unit,hash", "unit;hash"), 9),
            (good[..40].to_string(), 3),
        ];
        for (text, line) in cases {
            let e = parse_part(text.as_bytes()).unwrap_err();
            assert_eq!(e.0, line, "{e:?}");
        }
        let mut bad = good.clone().into_bytes();
        bad.insert(20, 0xff);
        assert_eq!(parse_part(&bad).unwrap_err().0, 1);
    }
}
