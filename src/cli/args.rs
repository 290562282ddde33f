//! Flag values that clap cannot check alone (ranges, combinations, a limit against the
//! drill), checked before any command starts work, with messages that name the flag,
//! what it got and what would be valid.

use crate::engine::SimDuration;
use crate::explore::shard::ShardError;
use crate::explore::sweep;

/// The longest `--sim-time-max-s`: a year of simulated time.
const SIM_TIME_MAX_S_MAX: f64 = 31_536_000.0;
/// The longest `--duration-s`: a day.
const DURATION_S_MAX: f64 = 86_400.0;
/// The most `--jobs` threads.
const JOBS_MAX: usize = 1024;

/// A flag value out of range, malformed, or at odds with the scenario.
#[derive(Debug, thiserror::Error)]
pub enum ArgError {
    #[error("--events-max: must be at least 1")]
    EventsMaxZero,
    #[error(
        "--sim-time-max-s: must be a positive number of seconds up to a year, got {sim_time_max_s}"
    )]
    SimTimeMax { sim_time_max_s: f64 },
    #[error(
        "--sim-time-max-s: {limit_s} s is shorter than the drill ({drill_s} s); give at least \
         the drill's length"
    )]
    SimTimeShorterThanDrill { limit_s: f64, drill_s: f64 },
    #[error("--duration-s: must be a positive number of seconds up to {DURATION_S_MAX}, got {duration_s}")]
    Duration { duration_s: f64 },
    #[error("--jobs: must be at least 1")]
    JobsZero,
    #[error("--jobs: at most {JOBS_MAX} threads, got {jobs}")]
    JobsTooMany { jobs: usize },
    #[error(transparent)]
    Shard(#[from] ShardError),
    #[error("--attempts: must be at least 1")]
    AttemptsZero,
    #[error("no scenario files (*.json) under {paths}")]
    NoScenarioFiles { paths: String },
}

/// `run`'s overrides of the scenario's limits: events dispatched and simulated time.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunLimits {
    pub events_max: Option<u64>,
    pub sim_time_max: Option<SimDuration>,
}

/// `--events-max` and `--sim-time-max-s`, checked.
pub fn run_limits(
    events_max: Option<u64>,
    sim_time_max_s: Option<f64>,
) -> Result<RunLimits, ArgError> {
    if events_max == Some(0) {
        return Err(ArgError::EventsMaxZero);
    }
    match sim_time_max_s {
        Some(limit_s)
            if !(limit_s.is_finite() && limit_s > 0.0 && limit_s <= SIM_TIME_MAX_S_MAX) =>
        {
            Err(ArgError::SimTimeMax { sim_time_max_s: limit_s })
        }
        limit_s => {
            Ok(RunLimits { events_max, sim_time_max: limit_s.map(SimDuration::from_secs_f64) })
        }
    }
}

/// `--sim-time-max-s` must leave room for the whole drill.
pub fn check_sim_time_covers(limits: RunLimits, drill: SimDuration) -> Result<(), ArgError> {
    match limits.sim_time_max {
        Some(limit) if limit < drill => Err(ArgError::SimTimeShorterThanDrill {
            limit_s: limit.as_secs_f64(),
            drill_s: drill.as_secs_f64(),
        }),
        _ => Ok(()),
    }
}

/// `--duration-s`, checked: a positive number of seconds up to a day.
pub fn parse_duration(duration_s: Option<f64>) -> Result<Option<SimDuration>, ArgError> {
    match duration_s {
        None => Ok(None),
        Some(d) if d.is_finite() && d > 0.0 && d <= DURATION_S_MAX => {
            Ok(Some(SimDuration::from_secs_f64(d)))
        }
        Some(d) => Err(ArgError::Duration { duration_s: d }),
    }
}

/// `--jobs`, checked; absent, every core.
fn jobs_or_cores(jobs: Option<usize>) -> Result<usize, ArgError> {
    match jobs {
        Some(0) => Err(ArgError::JobsZero),
        Some(n) if n > JOBS_MAX => Err(ArgError::JobsTooMany { jobs: n }),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// `--jobs` (default: every core) and `--shard I/N`, checked.
pub fn jobs_and_shard(
    jobs: Option<usize>,
    shard: Option<&str>,
) -> Result<(usize, Option<(u32, u32)>), ArgError> {
    Ok((jobs_or_cores(jobs)?, shard.map(sweep::parse_shard).transpose()?))
}
