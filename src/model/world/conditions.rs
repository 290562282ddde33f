//! What faults do to the world: each fault kind acts through `Conditions`, the only
//! way a fault may change the world.

use super::super::*;

impl World {
    pub(in crate::model) fn fault(&mut self, index: usize, start: bool) {
        if !start && !self.fault_active[index] {
            return;
        }
        self.fault_active[index] = start;
        self.out.obs.push(if start {
            Obs::FaultStarted { index }
        } else {
            Obs::FaultEnded { index }
        });
        let s = self.scenario.clone();
        s.faults[index].kind.apply(start, self);
    }
}

impl World {
    /// Every site of `region`'s region: a fault on a region acts on all its zones.
    fn zones(&self, region: RegionId) -> Vec<RegionId> {
        crate::region::zones_of(&self.scenario.regions, region).collect()
    }

    /// Every site of the regions listed.
    fn all_zones(&self, regions: &[RegionId]) -> Vec<RegionId> {
        regions.iter().flat_map(|r| self.zones(*r)).collect()
    }

    /// One site's datastore process stops handling anything, or resumes.
    fn site_paused(&mut self, region: RegionId, paused: bool) {
        let slot = &mut self.regions.paused[region.idx()];
        if paused {
            slot.get_or_insert_with(Default::default);
        } else if let Some(held) = slot.take() {
            // Everything it missed, now: first the messages waiting in its sockets, in
            // the order they arrived, then the timers that came due meanwhile.
            let (messages, timers): (Vec<Event>, Vec<Event>) =
                held.into_iter().partition(|ev| matches!(ev, Event::Deliver { .. }));
            for ev in messages.into_iter().chain(timers) {
                self.out.timer(self.now, ev);
            }
        }
    }
}

/// What a fault may change in the world: conditions and operator actions only. A fault
/// on a region acts on every zone of it; `zone_running` and a zone's pause on one.
impl crate::fault::Conditions for World {
    fn region_running(&mut self, region: RegionId, up: bool) {
        for site in self.zones(region) {
            self.zone_running(site, up);
        }
    }
    fn zone_running(&mut self, region: RegionId, up: bool) {
        self.regions.up[region.idx()] = up;
        if up {
            self.stores[region.idx()].restart(self.now, &mut self.out);
            self.lease_watch(region);
            self.repl_each(region, true);
        } else {
            self.stores[region.idx()].crash(&mut self.out);
            if let Some(tier) = self.regions.tiers.get_mut(region.idx()) {
                tier.region_down();
            }
            if let Some(db) = self.regions.db.get_mut(region.idx()) {
                db.region_down();
            }
        }
    }
    fn process_paused(&mut self, region: RegionId, zone_only: bool, paused: bool) {
        let sites = if zone_only { vec![region] } else { self.zones(region) };
        for site in sites {
            self.site_paused(site, paused);
        }
    }
    fn links_cut(&mut self, from: &[RegionId], to: &[RegionId], one_way: bool, cut: bool) {
        let (from, to) = (self.all_zones(from), self.all_zones(to));
        self.net.set_cut(&from, &to, one_way, !cut)
    }
    fn links_lossy(
        &mut self,
        from: &[RegionId],
        to: &[RegionId],
        one_way: bool,
        loss: f64,
        on: bool,
    ) {
        let (from, to) = (self.all_zones(from), self.all_zones(to));
        self.net.set_loss(&from, &to, one_way, loss, !on)
    }
    fn links_slow(
        &mut self,
        from: &[RegionId],
        to: &[RegionId],
        one_way: bool,
        factor: f64,
        on: bool,
    ) {
        let (from, to) = (self.all_zones(from), self.all_zones(to));
        self.net.set_slow(&from, &to, one_way, factor, !on)
    }
    fn replica_apply_factor(&mut self, region: RegionId, factor: f64) {
        for site in self.zones(region) {
            let store = &mut self.stores[site.idx()];
            store.apply_factor = factor;
            store.schedule_apply(self.now, &mut self.out);
        }
    }
    fn replica_apply_delay(&mut self, region: RegionId, delay: Option<SimDuration>) {
        for site in self.zones(region) {
            let store = &mut self.stores[site.idx()];
            store.apply_delay = delay;
            store.schedule_apply(self.now, &mut self.out);
        }
    }
    fn clock_skew(&mut self, region: RegionId, offset_us: i64, drift_ppm: f64) {
        for site in self.zones(region) {
            self.regions.clocks[site.idx()].skew(self.now, offset_us, drift_ppm);
        }
    }
    fn tier_degraded(
        &mut self,
        region: RegionId,
        which: crate::fault::file::TierFile,
        degradation: Option<crate::fault::brownout::Degradation>,
    ) {
        let now = self.now;
        let brownout = degradation.map(|d| apptier::Brownout {
            latency_factor: d.latency_factor,
            capacity_factor: d.capacity_factor,
            error_rate: d.error_rate,
            start: now,
            ramp: d.ramp,
        });
        if which == crate::fault::file::TierFile::Database {
            let Some(db) = self.regions.db.get_mut(region.idx()) else { return };
            db.brownout = brownout;
            if degradation.is_none() {
                self.start_db(region);
            }
            return;
        }
        let Some(tier) = self.regions.tiers.get_mut(region.idx()) else { return };
        tier.brownout = brownout;
        // Servers come back: start what waited for them.
        if degradation.is_none() {
            for cell in 0..self.regions.tiers[region.idx()].cells.len() {
                self.start_service(region, cell);
            }
        }
    }
    fn control_plane_running(&mut self, up: bool) {
        self.services.control_up = up;
    }
    fn identity_running(&mut self, up: bool) {
        self.services.identity_up = up;
    }
    fn provider_trouble(&mut self, trouble: Option<crate::fault::dependencies::ProviderTrouble>) {
        self.services.provider.trouble = trouble.map(|t| crate::model::provider::Trouble {
            error_rate: t.error_rate,
            performed_rate: t.performed_rate,
            latency_factor: t.latency_factor,
        });
    }
    fn poison_customer(&mut self, customer: Option<u32>) {
        self.services.poison_customer = customer;
    }
    fn arrivals_surge(&mut self, region: Option<RegionId>, factor: f64, start: bool) {
        for r in self.scenario.region_ids().filter(|r| region.is_none_or(|x| x == *r)) {
            if start {
                self.clients.surge[r.idx()] *= factor;
            } else {
                self.clients.surge[r.idx()] /= factor;
            }
        }
    }
    fn workers_running(&mut self, region: RegionId, up: bool) {
        let workers = &mut self.regions.workers[region.idx()];
        if up {
            workers.restart();
        } else {
            workers.crash();
        }
    }
    fn consumer_rewound(&mut self, region: RegionId, events: Option<u64>, to: Option<SimTime>) {
        let store = &self.stores[region.idx()];
        self.regions.workers[region.idx()].rewind(store, events, to);
    }
    fn delivery_duplicated(&mut self, region: RegionId, probability: f64) {
        self.regions.workers[region.idx()].duplicate_probability = probability;
    }
    fn next_event_poisoned(&mut self, region: RegionId, on: bool) {
        let workers = &mut self.regions.workers[region.idx()];
        if on {
            workers.poison_next(&self.stores[region.idx()]);
        } else {
            workers.cure(&mut self.out);
        }
    }
    fn operator_promotes(&mut self, region: RegionId, fenced: bool) {
        if self.control_running() {
            let local = self.local(self.control.region);
            let regions = self.scenario.regions.len();
            let design = &self.scenario.design;
            self.control.operator_promote(
                self.now,
                local,
                design,
                region,
                fenced,
                regions,
                &mut self.out,
            );
        }
    }
}
