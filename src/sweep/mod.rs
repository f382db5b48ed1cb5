//! `ratesim sweep`: a grid of scenario variants (strategy x load factor x
//! limit multiple x the values of each `set` path), each point replicated, split into work units that
//! shard across processes and machines and merge back into the bytes of
//! the single-process run.
//!
//! The grid, its units, their hashes, shards and seeds live here; the
//! rows, part files and charts are rendered by `report::sweep`. Every run
//! goes through `experiment::run_jobs`.

mod unit;

pub use crate::experiment::shard::{fnv1a, fnv1a_more, Shard, MAX_SHARDS};
pub use unit::Unit;

use crate::experiment::{self, ExperimentError, Job, Variant};
use crate::outcome::{GroupStats, Outcome};
use crate::scenario::{Scenario, ScenarioError, SweepSpec};

/// One point of the grid: its settings as labels a part file can carry.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The strategy's name; empty when the sweep keeps the scenario's own.
    pub strategy: String,
    pub load: f64,
    pub limits: u32,
    /// The value of each `set` axis, in the axes' order.
    pub set: Vec<SetValue>,
}

/// A point's value on one `set` axis.
#[derive(Clone, Debug, PartialEq)]
pub struct SetValue {
    pub path: String,
    /// As written, without a string's quotes (sweep.csv's column).
    pub label: String,
    /// In TOML, a string quoted (what the hash encodes).
    pub canonical: String,
}

fn push_str(b: &mut Vec<u8>, s: &str) {
    b.extend((s.len() as u64).to_le_bytes());
    b.extend(s.as_bytes());
}

impl Point {
    /// The canonical byte encoding the unit hash is taken over: the
    /// strategy name's length and bytes, the load's IEEE bits, the limit
    /// multiple, then (only when the sweep has `set` axes) their count and
    /// each path and value in TOML (a string quoted) as length and bytes;
    /// all little-endian.
    pub fn canonical(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(self.strategy.len() + 20);
        push_str(&mut b, &self.strategy);
        b.extend(self.load.to_bits().to_le_bytes());
        b.extend(self.limits.to_le_bytes());
        if !self.set.is_empty() {
            b.extend((self.set.len() as u64).to_le_bytes());
            for v in &self.set {
                push_str(&mut b, &v.path);
                push_str(&mut b, &v.canonical);
            }
        }
        b
    }
}

/// A grid: its points in order (strategy, then load, then limits) and
/// the replications of each.
#[derive(Clone, Debug)]
pub struct Grid {
    pub points: Vec<Point>,
    pub replications: u32,
    pub base_seed: u64,
    /// The strategy index of each point (`None`: the scenario's own).
    strategy_of: Vec<Option<usize>>,
    /// The combination of `set` values of each point (an index into
    /// [`Grid::scenarios`]).
    set_of: Vec<usize>,
    spec: SweepSpec,
}

impl Grid {
    pub fn new(spec: &SweepSpec, base_seed: u64) -> Grid {
        let strategies: Vec<Option<usize>> = if spec.strategies.is_empty() {
            vec![None]
        } else {
            (0..spec.strategies.len()).map(Some).collect()
        };
        let sets: Vec<Vec<SetValue>> = (0..spec.set_points())
            .map(|c| {
                spec.set_point(c)
                    .iter()
                    .zip(&spec.set)
                    .map(|(&i, a)| SetValue {
                        path: a.path.clone(),
                        label: a.label(i),
                        canonical: a.canonical(i),
                    })
                    .collect()
            })
            .collect();
        let mut points = Vec::new();
        let mut strategy_of = Vec::new();
        let mut set_of = Vec::new();
        for &s in &strategies {
            for &load in &spec.load {
                for &limits in &spec.limits {
                    for (c, set) in sets.iter().enumerate() {
                        points.push(Point {
                            strategy: s.map_or(String::new(), |i| spec.strategies[i].name.clone()),
                            load,
                            limits,
                            set: set.clone(),
                        });
                        strategy_of.push(s);
                        set_of.push(c);
                    }
                }
            }
        }
        Grid {
            points,
            replications: spec.replications,
            base_seed,
            strategy_of,
            set_of,
            spec: spec.clone(),
        }
    }

    /// The scenario of each combination of `set` values, validated (the
    /// scenario file's text is `source`): the scenario itself when the
    /// sweep has no `set`. Every combination is checked before any runs.
    pub fn scenarios(&self, base: &Scenario, source: &str) -> Result<Vec<Scenario>, ScenarioError> {
        if self.spec.set.is_empty() {
            return Ok(vec![base.clone()]);
        }
        crate::scenario::validate::sweep_points(source, &base.path, &self.spec)
    }

    /// The `set` combination of point `i` as a label (`a = 1, b = 2s`).
    pub fn set_label(&self, i: usize) -> String {
        self.points[i]
            .set
            .iter()
            .map(|v| format!("{} = {}", v.path, v.label))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Which of [`Grid::scenarios`] point `i` runs.
    pub fn scenario_of(&self, i: usize) -> usize {
        self.set_of[i]
    }

    pub fn spec(&self) -> &SweepSpec {
        &self.spec
    }

    /// Every unit, in (point, replication) order: the order of sweep.csv.
    pub fn units(&self) -> Vec<Unit> {
        (0..self.points.len())
            .flat_map(|point| {
                (0..self.replications).map(move |replication| Unit { point, replication })
            })
            .collect()
    }

    /// The stable hash of `unit`.
    pub fn unit_hash(&self, unit: Unit) -> u64 {
        unit.hash(&self.points[unit.point].canonical())
    }

    /// The units of `shard` (all when `None`), in grid order.
    pub fn units_of(&self, shard: Option<Shard>) -> Vec<Unit> {
        self.units()
            .into_iter()
            .filter(|&u| shard.map_or(true, |s| s.holds(self.unit_hash(u))))
            .collect()
    }

    /// The grid's hash: its points, replications and base seed, so parts
    /// of different grids or seeds never merge.
    pub fn hash(&self) -> u64 {
        let mut h = fnv1a(b"ratesim-sweep-grid-v1");
        for p in &self.points {
            h = fnv1a_more(h, &p.canonical());
        }
        h = fnv1a_more(h, &self.replications.to_le_bytes());
        fnv1a_more(h, &self.base_seed.to_le_bytes())
    }

    /// The variant of point `i`, given [`Grid::scenarios`]: the point's
    /// `set` values written, then its strategy for every group, its load
    /// factor and its limit multiple.
    pub fn variant(&self, scenarios: &[Scenario], i: usize) -> Variant {
        let p = &self.points[i];
        let scenario = &scenarios[self.set_of[i]];
        let mut v = Variant::of(scenario);
        if let Some(s) = self.strategy_of[i] {
            let all: Vec<usize> = (0..scenario.groups.len()).collect();
            v = v.with_strategy(&self.spec.strategies[s], &all);
        }
        v.scaled(p.load).limits_times(p.limits)
    }
}

/// What one unit measured: every group's counters, then the total's.
#[derive(Clone, Debug)]
pub struct UnitResult {
    pub unit: Unit,
    pub seed: u64,
    /// One per group, in scenario order, then the total.
    pub stats: Vec<GroupStats>,
    /// The run's length in minutes (rates are per minute of it).
    pub minutes: f64,
}

/// Runs `units` of `grid` on rayon's current pool (`scenarios` from
/// [`Grid::scenarios`]).
pub fn run(
    scenarios: &[Scenario],
    grid: &Grid,
    units: &[Unit],
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<UnitResult>, ExperimentError> {
    let variants: Vec<Variant> = (0..grid.points.len())
        .map(|i| grid.variant(scenarios, i))
        .collect();
    let jobs: Vec<Job> = units
        .iter()
        .map(|u| Job {
            variant: u.point,
            replication: u.replication,
        })
        .collect();
    let reduce = |job: &Job, o: Outcome| {
        let unit = Unit {
            point: job.variant,
            replication: job.replication,
        };
        let mut stats = o.groups;
        stats.push(o.total);
        UnitResult {
            unit,
            seed: unit.seed(grid.base_seed),
            stats,
            minutes: o.horizon.as_secs_f64() / 60.0,
        }
    };
    experiment::run_jobs(&variants, &jobs, grid.base_seed, &reduce, tick)
}

/// Runs `units` on a pool of `threads` threads (all cores when `None`).
pub fn run_with_threads(
    scenarios: &[Scenario],
    grid: &Grid,
    units: &[Unit],
    threads: Option<usize>,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<UnitResult>, ExperimentError> {
    experiment::with_pool(threads, || run(scenarios, grid, units, tick))
}

/// Units missing from and duplicated in `present` (out-of-grid units
/// count as duplicates), against a grid of `points` x `replications`.
pub fn check_complete(
    points: usize,
    replications: u32,
    present: &[Unit],
) -> (Vec<Unit>, Vec<Unit>) {
    let r = replications as usize;
    let mut seen = vec![0u32; points * r];
    let mut dup = Vec::new();
    for &u in present {
        if u.point >= points || u.replication >= replications {
            dup.push(u);
            continue;
        }
        let i = u.point * r + u.replication as usize;
        seen[i] += 1;
        if seen[i] == 2 {
            dup.push(u);
        }
    }
    let missing = (0..points)
        .flat_map(|point| (0..replications).map(move |replication| Unit { point, replication }))
        .filter(|u| seen[u.point * r + u.replication as usize] == 0)
        .collect();
    dup.sort();
    (missing, dup)
}
