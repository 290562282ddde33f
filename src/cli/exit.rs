//! The process's exit codes, in one place: what each means, and how a command that
//! judges many things (scenarios, seeds, history files) ranks their codes to give one.
//! Nothing below the command line knows these numbers.

/// What the process tells its caller (a shell, a CI job).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum ExitCode {
    /// Every expectation met, every history linearizable, or the command did its work.
    Ok = 0,
    /// An expectation unmet, or a history that is not linearizable.
    Unmet = 1,
    /// Bad input or usage: a file, field or flag is wrong, and the message names it.
    BadInput = 2,
    /// A limit was hit (events, simulated time, report size, a search's budget), or
    /// gameday found a bug in itself.
    Limit = 3,
    /// Ctrl-C during `sweep` or `check`: what finished is written, marked partial.
    /// 128 + SIGINT, as shells report a process that Ctrl-C ended.
    Interrupted = 130,
}

impl ExitCode {
    /// The number the process exits with.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The one code for many items' codes: the most severe under `ranking`, or `Ok`
    /// when there are none.
    pub fn most_severe(codes: impl IntoIterator<Item = ExitCode>, ranking: Ranking) -> ExitCode {
        codes.into_iter().max_by_key(|code| ranking.severity(*code)).unwrap_or(ExitCode::Ok)
    }
}

/// How codes of many items rank. Bad input always comes first: a wrong file makes every
/// other verdict of the same command suspect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ranking {
    /// A limit hit outranks an unmet expectation (`check`, `sweep`, `merge`): a run cut
    /// short has no verdict, and CI must see that before the failures of the others.
    LimitBeforeUnmet,
    /// A definite failure outranks an unknown verdict (`history check`): a history
    /// shown not linearizable is a finding, whatever limits other files hit.
    UnmetBeforeLimit,
}

impl Ranking {
    fn severity(self, code: ExitCode) -> u8 {
        match (self, code) {
            (_, ExitCode::Ok) => 0,
            (Ranking::LimitBeforeUnmet, ExitCode::Unmet)
            | (Ranking::UnmetBeforeLimit, ExitCode::Limit) => 1,
            (Ranking::LimitBeforeUnmet, ExitCode::Limit)
            | (Ranking::UnmetBeforeLimit, ExitCode::Unmet) => 2,
            (_, ExitCode::BadInput) => 3,
            (_, ExitCode::Interrupted) => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExitCode::{BadInput, Limit, Ok, Unmet};

    #[test]
    fn codes_are_the_documented_numbers() {
        let codes = [Ok, Unmet, BadInput, Limit, ExitCode::Interrupted].map(ExitCode::code);
        assert_eq!(codes, [0, 1, 2, 3, 130]);
    }

    #[test]
    fn bad_input_outranks_everything_and_the_ranking_orders_limit_and_unmet() {
        let all = [Ok, Unmet, Limit, BadInput];
        for ranking in [Ranking::LimitBeforeUnmet, Ranking::UnmetBeforeLimit] {
            assert_eq!(ExitCode::most_severe(all, ranking), BadInput);
            assert_eq!(ExitCode::most_severe([], ranking), Ok);
            assert_eq!(ExitCode::most_severe([Ok, Ok], ranking), Ok);
        }
        assert_eq!(ExitCode::most_severe([Unmet, Limit], Ranking::LimitBeforeUnmet), Limit);
        assert_eq!(ExitCode::most_severe([Limit, Unmet], Ranking::UnmetBeforeLimit), Unmet);
    }
}
