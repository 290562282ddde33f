//! What invariants report beyond held or violated (lost writes, RPO, staleness,
//! duplicates...), as typed values. Each invariant defines its own struct beside its
//! checker; `Details` holds any of them in an `InvariantReport`, serialized as that
//! struct's own JSON object in summary.json. Readers find an invariant's figures by
//! their type (`details::<FreshnessDetails>(&reports)`), never by a key in JSON.
//!
//! Fields are declared in alphabetical order: summary.json sorts object keys, and a
//! struct serialized on its own (as the checker snapshots do) must read the same.

use super::InvariantReport;
use serde::Serialize;

pub use super::acked_durability::{AckedDurabilityDetails, LostWrite};
pub use super::append_integrity::AppendIntegrityDetails;
pub use super::domain::DomainDetails;
pub use super::exactly_once_effects::{
    CommittedAttempt, DuplicateEffect, DuplicateWrite, ExactlyOnceEffectsDetails, RepeatedAttempt,
};
pub use super::freshness::FreshnessDetails;
pub use super::linearizable::{LinearizableDetails, LinearizableVerdict};
pub use super::no_lost_update::NoLostUpdateDetails;
pub use super::recovery::RecoveryDetails;
pub use super::session::SessionDetails;

/// One invariant's figures. Serialized without a tag: each variant's JSON is exactly
/// its struct's, as summary.json has always shown it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Details {
    AckedDurability(AckedDurabilityDetails),
    AppendIntegrity(AppendIntegrityDetails),
    Domain(DomainDetails),
    ExactlyOnceEffects(ExactlyOnceEffectsDetails),
    Freshness(FreshnessDetails),
    Linearizable(LinearizableDetails),
    NoLostUpdate(NoLostUpdateDetails),
    Recovery(RecoveryDetails),
    Session(SessionDetails),
}

/// A struct of figures that one invariant reports, found in `Details` by its type.
pub trait InvariantDetails: Sized {
    fn of(details: &Details) -> Option<&Self>;
}

macro_rules! variants {
    ($($variant:ident($ty:ty)),* $(,)?) => {$(
        impl From<$ty> for Details {
            fn from(d: $ty) -> Self {
                Details::$variant(d)
            }
        }

        impl InvariantDetails for $ty {
            fn of(details: &Details) -> Option<&Self> {
                match details {
                    Details::$variant(d) => Some(d),
                    _ => None,
                }
            }
        }
    )*};
}

variants! {
    AckedDurability(AckedDurabilityDetails),
    AppendIntegrity(AppendIntegrityDetails),
    Domain(DomainDetails),
    ExactlyOnceEffects(ExactlyOnceEffectsDetails),
    Freshness(FreshnessDetails),
    Linearizable(LinearizableDetails),
    NoLostUpdate(NoLostUpdateDetails),
    Recovery(RecoveryDetails),
    Session(SessionDetails),
}

impl InvariantReport {
    /// This invariant's figures, if they are of type `T`.
    pub fn details_as<T: InvariantDetails>(&self) -> Option<&T> {
        self.details.as_ref().and_then(T::of)
    }
}

/// The figures of type `T` among a run's invariant reports: each type belongs to one
/// invariant, so this finds that invariant's.
pub fn details<T: InvariantDetails>(reports: &[InvariantReport]) -> Option<&T> {
    reports.iter().find_map(InvariantReport::details_as)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Serialized on its own, every struct of figures lists its keys sorted, exactly
    /// as summary.json (sorted through `serde_json::Value`) shows it.
    #[test]
    fn details_serialize_with_sorted_keys_as_summary_json_shows_them() {
        let s = std::sync::Arc::new(crate::scenario::load("scenarios/gameday-naive.json").unwrap());
        let reports = super::super::Checkers::new(&s).reports();
        let mut shown: Vec<String> = reports
            .iter()
            .filter_map(|r| r.details.as_ref())
            .map(|d| serde_json::to_string(d).unwrap())
            .collect();
        assert_eq!(shown.len(), 9, "every invariant with figures");
        let lost =
            LostWrite { age_ms: 1.5, attempt: 2, how: "gone".into(), lost_at_s: 3.0, operation: 4 };
        let again = RepeatedAttempt { at_s: 1.0, attempt: 2, region: "eu-west".into() };
        let first = CommittedAttempt { attempt: 1, region: "us-east".into() };
        let twice = DuplicateWrite { again, first, operation: 7 };
        let effect = DuplicateEffect {
            again_region: "eu-west".into(),
            at_s: 2.0,
            first_region: "us-east".into(),
            operation: 8,
        };
        shown.push(serde_json::to_string(&lost).unwrap());
        shown.push(serde_json::to_string(&twice).unwrap());
        shown.push(serde_json::to_string(&effect).unwrap());
        for text in shown {
            let sorted: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(text, sorted.to_string());
        }
    }
}
