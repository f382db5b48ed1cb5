//! The `[[groups]]` tables: each group's key, its trace or synthetic
//! workload, and its strategy.

use super::{Keys, Result, Validator};
use crate::policy::Policy;
use crate::scenario::raw::RawGroup;
use crate::scenario::{Arrival, Group, Workload};
use crate::strategy;
use crate::suggest::close_matches;
use crate::workload::import::Format;
use std::path::Path;

impl Validator<'_> {
    pub(super) fn group(
        &self,
        i: usize,
        g: &RawGroup,
        policy: &Policy,
        keys: &mut Keys,
    ) -> Result<Group> {
        let f = |name: &str| format!("groups[{i}].{name}");
        if g.name.trim().is_empty() {
            return Err(self.err(&f("name"), "a group needs a name"));
        }
        let key_name = g.key.as_deref().unwrap_or("default");
        let key = match keys.id(key_name) {
            Some(k) => k,
            None if keys.declared => {
                let close = close_matches(key_name, keys.names.iter().map(String::as_str));
                let hint = if close.is_empty() {
                    String::new()
                } else {
                    format!(" (did you mean {}?)", close.join(" or "))
                };
                return Err(self.err(
                    &f("key"),
                    format!("key {key_name:?} is not in the scenario's `keys` list{hint}"),
                ));
            }
            None => keys.add(key_name),
        };
        let workload = match &g.trace {
            Some(trace) => {
                for (name, present) in [
                    ("model", g.model.is_some()),
                    ("models", g.models.is_some()),
                    ("input_tokens", g.input_tokens.is_some()),
                    ("output_tokens", g.output_tokens.is_some()),
                    ("max_tokens", g.max_tokens.is_some()),
                ] {
                    if present {
                        return Err(self.err(
                            &f(name),
                            format!(
                                "a trace group takes `{name}` from its trace file; remove it here"
                            ),
                        ));
                    }
                }
                let path = self.path.parent().unwrap_or(Path::new("")).join(trace);
                if !path.is_file() {
                    return Err(self.err(
                        &f("trace"),
                        format!(
                            "no trace file at {} (paths are relative to the scenario file)",
                            path.display()
                        ),
                    ));
                }
                let format = match &g.trace_format {
                    None => Format::Canonical,
                    Some(name) => Format::from_name(name)
                        .map_err(|e| self.err(&f("trace_format"), e.to_string()))?,
                };
                let arrival = match (&g.arrival, format) {
                    (Some(a), Format::OpenaiBatch) => match self.arrival(&f("arrival"), a)? {
                        Arrival::Open(spec) => Some(spec),
                        Arrival::Closed { .. } | Arrival::Batch(_) => {
                            return Err(self.err(&f("arrival"), "a batch file is sent open loop: use poisson, constant, gamma, on-off or profile"))
                        }
                    },
                    (None, Format::OpenaiBatch) => {
                        return Err(self.err(&f("trace_format"), "an OpenAI batch file has no arrival times: add an `arrival` process, e.g. arrival = { process = \"constant\", rate = \"2/s\" }"))
                    }
                    (Some(_), _) => return Err(self.err(&f("arrival"), "a trace group takes `arrival` from its trace file; remove it here")),
                    (None, _) => None,
                };
                Workload::Trace {
                    path,
                    format,
                    arrival,
                }
            }
            None => {
                if g.trace_format.is_some() {
                    return Err(self.err(
                        &f("trace_format"),
                        "`trace_format` describes a `trace` file; this group has none",
                    ));
                }
                Workload::Synthetic(self.synthetic(i, g, policy)?)
            }
        };
        let has_clients = matches!(
            &workload,
            Workload::Synthetic(s) if matches!(s.arrival, Arrival::Closed { .. } | Arrival::Batch(_))
        );
        let strategy = match &g.strategy {
            Some(s) if has_clients => self.client_strategy(&f("strategy"), s)?,
            Some(s) => self.strategy(&f("strategy"), s)?,
            None => strategy::config::default_strategy(),
        };
        let timeout = match &g.timeout {
            Some(t) => Some(self.positive_duration(&f("timeout"), t)?),
            None => None,
        };
        Ok(Group {
            name: g.name.clone(),
            key,
            workload,
            strategy,
            timeout,
        })
    }
}
