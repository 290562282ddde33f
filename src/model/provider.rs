//! The external provider the event workers call (a card processor, a notification
//! service): the outside world's side of every effect. It may honour idempotency keys
//! (it keeps each key it performed for `PROVIDER_KEY_TTL` and performs a repeat as a
//! no-op), and a `provider_outage` fault makes it fail calls, answer too late, or answer
//! slowly. What a failed call leaves behind is the hard part: a call the provider
//! performed but whose answer the worker never got looks exactly like one that never
//! arrived, so the worker calls again. Whether that charges twice is the design's
//! business (an idempotency key the provider honours), never this module's.

use crate::engine::{SimDuration, SimTime};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, VecDeque};

/// How long the provider remembers an idempotency key (a bounded, named retention).
pub const PROVIDER_KEY_TTL: SimDuration = SimDuration::from_secs(120);

/// A provider outage or slowdown in effect.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trouble {
    /// The share of calls that fail (the worker hears no success).
    pub error_rate: f64,
    /// Of the failed calls, the share the provider performed anyway.
    pub performed_rate: f64,
    /// How many times slower it answers: the workers get through that many times fewer
    /// calls per second.
    pub latency_factor: f64,
}

#[derive(Default)]
pub struct Provider {
    keys: BTreeMap<u64, SimTime>,
    fifo: VecDeque<(SimTime, u64)>,
    pub trouble: Option<Trouble>,
}

/// What one call did: whether the effect happened in the outside world (for a repeated
/// key the provider honours, it did not happen again), and whether the worker heard a
/// success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    pub performed: bool,
    pub answered: bool,
}

impl Provider {
    /// Whether a call with `key` performs the effect (false for a key seen before).
    pub fn perform(&mut self, key: u64, now: SimTime) -> bool {
        while self.fifo.front().is_some_and(|(t, _)| now.since(*t) > PROVIDER_KEY_TTL) {
            let (_, k) = self.fifo.pop_front().expect("non-empty");
            self.keys.remove(&k);
        }
        if self.keys.contains_key(&key) {
            return false;
        }
        self.keys.insert(key, now);
        self.fifo.push_back((now, key));
        true
    }

    /// One call for the operation `key`; `keyed` when the design sends the key and the
    /// provider honours it. Randomness is drawn only while the provider is in trouble, so
    /// a drill without a provider fault runs exactly as it would without this.
    pub fn call(&mut self, key: u64, keyed: bool, now: SimTime, rng: &mut ChaCha8Rng) -> Call {
        let attempt = |p: &mut Provider| if keyed { p.perform(key, now) } else { true };
        let Some(t) = self.trouble.filter(|t| t.error_rate > 0.0) else {
            return Call { performed: attempt(self), answered: true };
        };
        if !rng.gen_bool(t.error_rate.min(1.0)) {
            return Call { performed: attempt(self), answered: true };
        }
        let performed = t.performed_rate > 0.0 && rng.gen_bool(t.performed_rate.min(1.0));
        Call { performed: performed && attempt(self), answered: false }
    }

    /// The share of their usual call rate the workers keep (1 when the provider is well).
    pub fn pace(&self) -> f64 {
        self.trouble.map_or(1.0, |t| 1.0 / t.latency_factor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_well_provider_performs_once_per_key_and_always_answers() {
        let mut p = Provider::default();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let now = SimTime::ZERO;
        assert_eq!(p.call(7, true, now, &mut rng), Call { performed: true, answered: true });
        assert_eq!(p.call(7, true, now, &mut rng), Call { performed: false, answered: true });
        assert_eq!(p.call(7, false, now, &mut rng), Call { performed: true, answered: true });
    }

    /// A failed call the provider performed is not performed again for a key it honours,
    /// but is for a call without one; one it did not perform leaves no trace.
    #[test]
    fn a_failed_call_may_have_been_performed() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let now = SimTime::ZERO;
        let trouble =
            |performed_rate| Trouble { error_rate: 1.0, performed_rate, latency_factor: 1.0 };
        let mut p = Provider { trouble: Some(trouble(1.0)), ..Provider::default() };
        assert_eq!(p.call(1, true, now, &mut rng), Call { performed: true, answered: false });
        assert_eq!(p.call(1, true, now, &mut rng), Call { performed: false, answered: false });
        assert_eq!(p.call(2, false, now, &mut rng), Call { performed: true, answered: false });
        assert_eq!(p.call(2, false, now, &mut rng), Call { performed: true, answered: false });
        let mut p = Provider { trouble: Some(trouble(0.0)), ..Provider::default() };
        assert_eq!(p.call(3, true, now, &mut rng), Call { performed: false, answered: false });
        p.trouble = None;
        assert_eq!(p.call(3, true, now, &mut rng), Call { performed: true, answered: true });
    }
}
