//! TrueTime-style timestamps (consensus with `design.commit_wait`): each key keeps its
//! recent versions with the writer's clock reading when it took them, so a read at a
//! timestamp returns the newest version at or before it (Spanner's snapshot reads), and
//! a leader shows a committed write only once its commit wait has passed. A timestamp
//! is the writer's clock plus the uncertainty bound; comparing two of them the bound
//! cancels, so versions keep the clock reading alone.

use super::*;

/// Versions kept per key: enough for reads a few uncertainty windows in the past.
pub const VERSIONS_MAX: usize = 32;

/// One version of a key: when its writer took it (its clock), where it sits in the log,
/// and what a read returning it answers.
#[derive(Clone, Copy, Debug)]
pub struct KeyVersion {
    pub taken_local_us: i64,
    pub lsn: u64,
    pub value: i64,
    pub version: Version,
    pub seen: Seen,
}

impl Store {
    /// Starts keeping versions (the design reads at timestamps): every key's initial
    /// value is a version older than any timestamp.
    pub fn keep_versions(&mut self) {
        self.versions = self
            .cells
            .iter()
            .map(|c| {
                let base = KeyVersion {
                    taken_local_us: i64::MIN,
                    lsn: 0,
                    value: c.value,
                    version: c.version,
                    seen: c.seen.view(),
                };
                VecDeque::from([base])
            })
            .collect();
    }

    /// Records the key's new value as a version (a no-op unless versions are kept).
    pub(super) fn record_version(&mut self, key: Key, entry: &Entry) {
        let Some(history) = self.versions.get_mut(key as usize) else { return };
        let c = &self.cells[key as usize];
        if history.len() == VERSIONS_MAX {
            history.pop_front();
        }
        history.push_back(KeyVersion {
            taken_local_us: entry.commit_local_us,
            lsn: entry.lsn,
            value: c.value,
            version: c.version,
            seen: c.seen.view(),
        });
    }

    /// A snapshot replaced the state: each key's value becomes its one version.
    pub(super) fn reset_versions(&mut self) {
        if !self.versions.is_empty() {
            self.keep_versions();
        }
    }

    /// The answer to a read of `key` at timestamp `at_local_us` (a clock reading): the
    /// newest version taken at or before it that this node may show.
    pub fn serve_at(&self, key: Key, at_local_us: i64) -> Res {
        let shown = self.visible_lsn();
        let history = &self.versions[key as usize];
        let v = history
            .iter()
            .rev()
            .find(|v| v.taken_local_us <= at_local_us && v.lsn <= shown)
            .or(history.front())
            .expect("a key keeps at least one version");
        Res::Value { value: v.value, version: v.version, seen: v.seen }
    }

    /// How far this node may show the log: a leader, what has committed and (with
    /// commit wait) waited out the uncertainty; a follower, all it applied (it applies
    /// only what its leader showed).
    pub fn visible_lsn(&self) -> u64 {
        if self.primary {
            self.visible
        } else {
            self.applied_lsn
        }
    }

    /// The clock reading up to which this node can answer reads at a timestamp: every
    /// write taken at or before it is one it shows. A follower knows it from its
    /// leader's appends (the leader's clock when it sent the newest one it has fully
    /// applied; every later write is taken later); a leader, from its own clock, but not
    /// past a write it still waits to show.
    pub fn safe_local_us(&self, local_us: i64) -> i64 {
        if !self.primary {
            return self.fresh_as_of_local_us;
        }
        match self.entry(self.visible + 1) {
            Some(e) => local_us.min(e.commit_local_us - 1),
            None => local_us,
        }
    }

    /// A leader shows committed entries once `wait_us` has passed on its clock since it
    /// took them (twice the uncertainty; none without commit wait). Returns when, on
    /// its clock, the next one may be shown, if one waits.
    pub fn reveal(&mut self, local_us: i64, wait_us: i64) -> Option<i64> {
        if !self.primary {
            return None;
        }
        while self.visible < self.commit_lsn {
            let Some(e) = self.entry(self.visible + 1) else {
                self.visible = self.commit_lsn;
                break;
            };
            if e.commit_local_us + wait_us > local_us {
                return Some(e.commit_local_us + wait_us);
            }
            self.visible += 1;
        }
        None
    }
}
