//! What the provider bills: a price per model, and the spend a run adds up.
//!
//! Spend is counted in whole pico-units of the prices' currency (10^-12), so
//! sums are integers: exact, independent of the order they are added in, and
//! the same whether a run is simulated on one engine or split over several.
//!
//! What is billed (docs/assumptions.md, "Usage cost"): an attempt the server
//! admits and serves to a 200, whether or not its client still waits for the
//! answer. A 429 or a 5xx costs nothing. Every success is billed once; every
//! other billed attempt is spend the client paid for and did not use: an
//! answer it had abandoned on timeout (and so asked for again), or an answer
//! still on its way when the run ended.

/// Pico-units in one unit of the currency.
pub const PICO: f64 = 1e12;

/// The price of one model, in pico-units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Price {
    /// Per served request: the per-request price plus images x per-image plus
    /// media seconds x per-second.
    pub per_request: u64,
    /// Per input token.
    pub per_input_token: u64,
    /// Per output token.
    pub per_output_token: u64,
}

impl Price {
    /// The bill for one served request with these token counts.
    pub fn of(&self, input: u32, output: u32) -> u128 {
        u128::from(self.per_request)
            + u128::from(self.per_input_token) * u128::from(input)
            + u128::from(self.per_output_token) * u128::from(output)
    }

    pub fn is_free(&self) -> bool {
        *self == Price::default()
    }
}

/// Spend of one scope of a run (a group, a (key, model) pair, the total), in
/// pico-units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spend {
    /// Every attempt served to a 200.
    pub billed: u128,
    /// The answers that became successes (each success once).
    pub used: u128,
    /// Answers the client had abandoned on timeout before they arrived.
    pub abandoned: u128,
}

impl Spend {
    pub fn merge(&mut self, other: &Spend) {
        self.billed += other.billed;
        self.used += other.used;
        self.abandoned += other.abandoned;
    }

    /// Everything billed, in the prices' currency.
    pub fn total(&self) -> f64 {
        self.billed as f64 / PICO
    }

    /// Billed and not used: abandoned answers and answers still on their way
    /// at the end. This is what retries after timeouts add to the bill.
    pub fn unused(&self) -> f64 {
        self.billed.saturating_sub(self.used) as f64 / PICO
    }

    /// Abandoned answers alone.
    pub fn abandoned(&self) -> f64 {
        self.abandoned as f64 / PICO
    }

    /// Spend per successful request (`None` without a success).
    pub fn per_success(&self, succeeded: u64) -> Option<f64> {
        (succeeded > 0).then(|| self.total() / succeeded as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_costs_its_fixed_price_and_its_tokens() {
        // $0.70 per million input tokens is 700,000 pico-dollars a token.
        let p = Price {
            per_request: 1_000_000_000,
            per_input_token: 700_000,
            per_output_token: 2_800_000,
        };
        assert_eq!(
            p.of(1_000, 500),
            1_000_000_000 + 700_000_000 + 1_400_000_000
        );
    }

    #[test]
    fn unused_spend_is_what_was_billed_beyond_the_successes() {
        let s = Spend {
            billed: 5 * 10u128.pow(12),
            used: 3 * 10u128.pow(12),
            abandoned: 10u128.pow(12),
        };
        assert_eq!(s.total(), 5.0);
        assert_eq!(s.unused(), 2.0);
        assert_eq!(s.abandoned(), 1.0);
        assert_eq!(s.per_success(2), Some(2.5));
        assert_eq!(s.per_success(0), None);
    }
}
