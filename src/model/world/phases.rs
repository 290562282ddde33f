//! The run's phases: the drill, the liveness phase that must converge, the final reads,
//! and what convergence means.

use super::super::*;

impl World {
    /// The drill ends: faults heal (clock skews stay: clocks do not jump back), load
    /// stops, and the liveness phase begins.
    pub(in crate::model) fn end_drill(&mut self) {
        for i in 0..self.fault_active.len() {
            if self.fault_active[i] && self.scenario.faults[i].kind.heals_at_drill_end() {
                self.fault(i, false);
            }
        }
        self.phase = Phase::Converging { since: self.now };
    }

    /// The liveness phase ends once the system has converged, or after
    /// `convergence_max`; then come the final reads, which end when every one has its
    /// answer (or after `FINAL_READS_MAX`).
    pub(in crate::model) fn phase_tick(&mut self) {
        match self.phase {
            Phase::Converging { since } => {
                let converged = self.converged();
                if converged {
                    self.converged_at = Some(self.now);
                }
                if converged || self.now.since(since) > self.scenario.convergence_max {
                    self.begin_final_reads();
                }
            }
            Phase::FinalReads { since } => {
                if self.clients.ops.alive == 0 || self.now.since(since) > FINAL_READS_MAX {
                    self.phase = Phase::Done;
                }
            }
            Phase::Drill | Phase::Done => {}
        }
    }

    /// Every region reads every list, from its own store.
    pub(in crate::model) fn begin_final_reads(&mut self) {
        if self.scenario.workload.lists == 0 || !self.scenario.workload.has_lists() {
            self.phase = Phase::Done;
            return;
        }
        self.phase = Phase::FinalReads { since: self.now };
        self.out.obs.push(Obs::FinalReads);
        let base = self.scenario.workload.list_base();
        for region in self.scenario.region_ids() {
            for key in base..base + self.scenario.workload.lists {
                let mut op = client::final_read(region, key, self.now);
                self.clients.next_op_key += 1;
                op.key = self.clients.next_op_key;
                let (kind, op_key, req) = (op.kind, op.key, op.req);
                let id = self.clients.ops.insert(op);
                self.out.obs.push(Obs::Invoke { op: id, kind, region, op_key, req });
                if self.regions.up[region.idx()] {
                    self.start_attempt(id);
                } else {
                    self.complete(id, false, None, None);
                }
            }
        }
    }

    /// Whether the system has converged: every region up, nothing in flight, every
    /// store has applied what it holds, one writer, and every store holds the same value
    /// for every key. Convergence is of values, not of logs: two logs that agree on
    /// their length and labels but not on their content have not converged.
    pub fn converged(&self) -> bool {
        if self.clients.ops.alive > 0 || self.regions.up.iter().any(|u| !u) {
            return false;
        }
        let writer = self.control.writer;
        let store = &self.stores[writer.idx()];
        let drained = !self.scenario.design.stream.side_effects
            || self.regions.workers[writer.idx()].drained(store);
        self.replication.settled(&self.stores, writer, drained)
            && self.divergent_keys().next().is_none()
    }

    /// The keys whose value (for a list: its elements, in order) is not the same in
    /// every store.
    pub fn divergent_keys(&self) -> impl Iterator<Item = Key> + '_ {
        let first = &self.stores[0];
        (0..first.cells.len() as Key).filter(move |&k| {
            self.stores[1..].iter().any(|st| {
                st.cells[k as usize].value != first.cells[k as usize].value
                    || st.list(k) != first.list(k)
            })
        })
    }

    /// The control plane runs: its region is up and no outage stopped it.
    pub fn control_running(&self) -> bool {
        self.services.control_up && self.regions.up[self.control.region.idx()]
    }

    /// What stands between the system and convergence, one line per reason.
    pub fn convergence_gaps(&self) -> Vec<String> {
        let mut gaps = Vec::new();
        let name = |r: RegionId| self.scenario.region_name(r).to_string();
        for (i, up) in self.regions.up.iter().enumerate() {
            if !up {
                gaps.push(format!("{} is down", name(RegionId(i as u8))));
            }
        }
        if self.clients.ops.alive > 0 {
            gaps.push(format!("{} operations still in flight", self.clients.ops.alive));
        }
        let store = &self.stores[self.control.writer.idx()];
        if !store.primary || !store.ready {
            gaps.push(format!("the named writer {} is not serving as primary", name(store.region)));
        }
        let wk = &self.regions.workers[store.region.idx()];
        if self.scenario.design.stream.side_effects && store.primary && !wk.drained(store) {
            gaps.push(format!(
                "{}'s workers are at log position {} of {}{}",
                name(store.region),
                wk.pos,
                store.applied_lsn,
                if wk.paused { " (paused, waiting for a runbook queue step)" } else { "" }
            ));
        }
        let divergent = self.divergent_keys().count();
        if divergent > 0 {
            gaps.push(format!(
                "{divergent} {} a different value in different regions",
                if divergent == 1 { "key has" } else { "keys have" }
            ));
        }
        for st in &self.stores {
            if st.region != store.region
                && (st.end_lsn != store.end_lsn || st.applied_lsn != st.end_lsn)
            {
                gaps.push(format!(
                    "{} has applied {} of {} entries (writer {} has {})",
                    name(st.region),
                    st.applied_lsn,
                    st.end_lsn,
                    name(store.region),
                    store.end_lsn
                ));
            }
        }
        gaps
    }
}
