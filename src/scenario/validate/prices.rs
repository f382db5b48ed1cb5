//! `[[prices]]`: what the provider bills per model, turned into whole
//! pico-units per request and per token (see [`crate::price`]).

use super::{Result, Validator};
use crate::policy::{ModelType, Policy};
use crate::price::{Price, PICO};
use crate::scenario::raw::RawPrice;

/// The highest price any one field may name: a request costing more than a
/// million is a typo, and the bound keeps every sum far from overflow.
const MAX_PRICE: f64 = 1e6;

impl Validator<'_> {
    /// One price per model of `policy` (free where none is given).
    pub(super) fn prices(&self, raw: &[RawPrice], policy: &Policy) -> Result<Vec<Price>> {
        let mut prices = vec![Price::default(); policy.models.len()];
        let mut seen = vec![None; policy.models.len()];
        for (i, p) in raw.iter().enumerate() {
            let f = |name: &str| format!("prices[{i}].{name}");
            let m = policy
                .model_index(&p.model)
                .map_err(|e| self.err(&f("model"), e.to_string()))? as usize;
            if let Some(first) = seen[m] {
                return Err(self.err(
                    &f("model"),
                    format!(
                        "{:?} already has a price (prices[{first}]); give each model one",
                        p.model
                    ),
                ));
            }
            seen[m] = Some(i);
            let kind = policy.models[m].kind;
            let amount = |name: &str, v: Option<f64>| -> Result<f64> {
                match v {
                    None => Ok(0.0),
                    Some(x) if x.is_finite() && (0.0..=MAX_PRICE).contains(&x) => Ok(x),
                    Some(x) => Err(self.err(
                        &f(name),
                        format!("expected a price from 0 to {MAX_PRICE}, got {x}"),
                    )),
                }
            };
            let input = amount("input_per_million", p.input_per_million)?;
            let output = amount("output_per_million", p.output_per_million)?;
            if (input > 0.0 || output > 0.0) && !kind.uses_tokens() {
                let field = if input > 0.0 {
                    "input_per_million"
                } else {
                    "output_per_million"
                };
                return Err(self.err(
                    &f(field),
                    format!(
                        "{:?} is a {} model: its requests carry no token counts; price it with per_request, per_image or per_second",
                        p.model,
                        kind.name()
                    ),
                ));
            }
            let per_image = amount("per_image", p.per_image)?;
            let images = match p.images {
                None => 1,
                Some(n) => self.count(&f("images"), n, 1, 1_000)?,
            };
            if p.images.is_some() && kind != ModelType::Image {
                return Err(self.err(&f("images"), format!("{:?} is not an image model", p.model)));
            }
            let per_second = amount("per_second", p.per_second)?;
            let seconds = match (&p.seconds, per_second > 0.0) {
                (Some(s), _) => self.positive_duration(&f("seconds"), s)?.as_secs_f64(),
                (None, true) => {
                    return Err(self.err(
                        &f("per_second"),
                        "a price per second needs `seconds`, the audio or video one request makes or reads (e.g. \"8s\")",
                    ))
                }
                (None, false) => 0.0,
            };
            if seconds > 86_400.0 {
                return Err(self.err(&f("seconds"), "longer than a day of media per request"));
            }
            let fixed = amount("per_request", p.per_request)?
                + per_image * images as f64
                + per_second * seconds;
            if fixed > MAX_PRICE {
                return Err(self.err(
                    &f("model"),
                    format!(
                        "one request of {:?} would cost {fixed}, more than {MAX_PRICE}",
                        p.model
                    ),
                ));
            }
            prices[m] = Price {
                per_request: (fixed * PICO).round() as u64,
                per_input_token: (input * PICO / 1e6).round() as u64,
                per_output_token: (output * PICO / 1e6).round() as u64,
            };
        }
        Ok(prices)
    }
}
